//! Leadmagnet's one build entry; `make` targets call these. Run with `cargo xtask <task>`.
//!
//! - `bootstrap`: install what is missing on a fresh Debian machine (wasm target,
//!   rust-src, wasm-bindgen CLI pinned to the library version, Chromium + ChromeDriver, brotli, the
//!   npm dev tools from package-lock.json) and skip what is present.
//! - `widget`: build `www/dist/leadmagnet.js` and the content-hashed `.wasm`.
//! - `size [--check]`: raw / gzip -9 / brotli -11 bytes of both; `--check` enforces the
//!   100 KB brotli budget.
//! - `test`: everything `make test` runs, with a summary of what ran.
//! - `yew check | patches | apply`: the vendored yew as upstream + patch files (`yew.rs`).
//! - `contract`: writes `src/js/contract.mjs`, the core's keys and bounds for the loader.
//! - `bench-ingest`, `bench-events`: figures for docs/benchmarks.md (`ingest.rs`, `events.rs`).
//!
//! Plain `std::process::Command`, no dependencies: xtask must build in seconds on a bare
//! machine.

use std::collections::hash_map::DefaultHasher;
use std::env;
use std::fs;
use std::hash::Hasher;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

mod bootstrap;
mod disk;
mod events;
mod glue;
mod ingest;
mod load;
mod names;
mod size;
mod testing;
mod widget;
mod yew;

use bootstrap::*;
use size::*;
use testing::*;
use widget::*;

/// The `wasm-bindgen` library version the build uses, read from Cargo.lock (its one
/// place): the CLI that post-processes the wasm must be exactly that version.
fn wasm_bindgen_version() -> Result<String> {
    let lock = fs::read_to_string("Cargo.lock").map_err(|e| format!("Cargo.lock: {e}"))?;
    locked_version(&lock, "wasm-bindgen")
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package: run `cargo update`".into())
}

/// The version of `package` in a Cargo.lock text.
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let name = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            return version.strip_suffix('"').map(str::to_owned);
        }
    }
    None
}
/// Budget for leadmagnet.js + wasm, brotli -11 (the README states the measured figure).
const BUDGET_BROTLI_BYTES: u64 = 100 * 1000;
const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = root();
    if let Err(e) = env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let result = match args.first().map(String::as_str) {
        Some("bootstrap") => bootstrap(),
        Some("widget") => widget(),
        Some("size") => size(args.iter().any(|a| a == "--check")),
        Some("test") => test(),
        Some("yew") => yew::yew(&args[1..]),
        Some("contract") => contract(),
        Some("bench-ingest") => ingest::bench(args.get(1).map(String::as_str)),
        Some("bench-events") => events::bench(args.get(1).map(String::as_str)),
        _ => Err(
            "usage: cargo xtask <bootstrap | widget | size [--check] | test | yew <check | patches | apply> | contract | bench-ingest [sqlite | postgres] | bench-events [sqlite | postgres]>"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}").replace('"', "");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wasm_bindgen_version_comes_from_cargo_lock() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9.9.9\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "serde"), None);
        // The real lockfile names one, and the root Cargo.toml pins that same one.
        std::env::set_current_dir(root()).expect("root");
        let version = wasm_bindgen_version().expect("in Cargo.lock");
        let manifest = fs::read_to_string("Cargo.toml").expect("Cargo.toml");
        assert!(
            manifest.contains(&format!("\"={version}\"")),
            "Cargo.toml pins wasm-bindgen ={version}"
        );
    }
}
