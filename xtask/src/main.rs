//! Leadmagnet's one build entry; `make` targets call these. Run with `cargo xtask <task>`.
//!
//! - `bootstrap`: install what is missing on a fresh Debian machine (wasm target,
//!   rust-src, wasm-bindgen CLI pinned to the library version, Chromium + ChromeDriver, brotli, the
//!   npm dev tools from package-lock.json) and skip what is present.
//! - `widget`: build `www/dist/leadmagnet.js` and the content-hashed `.wasm`.
//! - `size [--check]`: raw / gzip -9 / brotli -11 bytes of both; `--check` enforces the
//!   100 KB brotli budget.
//! - `test`: everything `make test` runs, with a summary of what ran.
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

mod disk;
mod glue;
mod ingest;
mod load;
mod names;

/// Must equal the `wasm-bindgen` version pinned in the root Cargo.toml.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
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
        Some("bench-ingest") => ingest::bench(args.get(1).map(String::as_str)),
        _ => Err(
            "usage: cargo xtask <bootstrap | widget | size [--check] | test | bench-ingest [sqlite | postgres]>"
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

// ---------------------------------------------------------------- bootstrap

/// The file that pins the toolchain; every toolchain message names it.
const TOOLCHAIN_FILE: &str = "rust-toolchain.toml";

/// Where the active toolchain's standard library sources would be (`rust-src`).
fn rust_src_lock() -> Option<PathBuf> {
    let sysroot = output(Command::new("rustc").args(["--print", "sysroot"]))?;
    Some(Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library/Cargo.lock"))
}

fn toolchain_ready() -> bool {
    let targets =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
        && rust_src_lock().is_some_and(|p| p.exists())
        && have("cargo-clippy")
        && have("rustfmt")
}

/// Fails with one line naming rust-toolchain.toml when the active toolchain lacks what the
/// widget build needs, or refuses its unstable std-building flags.
fn toolchain_check() -> Result {
    flags_check(WIDGET_RUSTFLAGS)
}

/// The toolchain check with `rustflags` (a test passes flags no rustc takes).
fn flags_check(rustflags: &str) -> Result {
    let version = output(Command::new("rustc").arg("--version")).unwrap_or_default();
    let version = version.trim();
    if !rust_src_lock().is_some_and(|p| p.exists()) {
        return Err(format!(
            "{version} has no rust-src, which the widget's `-Z build-std` needs: run `rustup toolchain install` (it reads {TOOLCHAIN_FILE})"
        ));
    }
    // rustc accepts or refuses the same flags cargo passes it for the widget.
    let probe = Command::new("rustc")
        .args(["-", "--crate-type", "lib", "--emit", "metadata", "-o", "-"])
        .args(["--target", "wasm32-unknown-unknown"])
        .args(rustflags.split(' '))
        .env("RUSTC_BOOTSTRAP", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    if !probe.status.success() {
        let why = String::from_utf8_lossy(&probe.stderr);
        let why = why
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("refused");
        return Err(format!(
            "{version} refuses the widget's unstable flags ({why}): pin a toolchain that takes them in {TOOLCHAIN_FILE}, or change the flags in xtask/src/main.rs (WIDGET_RUSTFLAGS)"
        ));
    }
    Ok(())
}

fn bootstrap() -> Result {
    let started = Instant::now();
    // The toolchain, its components and the wasm target come from rust-toolchain.toml,
    // installed by `make` (`rustup toolchain install`) before this first cargo call. A
    // `cargo xtask` run on its own still installs what the file names, then checks it.
    if !toolchain_ready() {
        run(Command::new("rustup").args(["toolchain", "install"]))?;
    }
    toolchain_check()?;
    println!("bootstrap: pinned toolchain (rust-toolchain.toml) with rust-src and wasm32 present");

    let bindgen = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if bindgen.trim() == format!("wasm-bindgen {WASM_BINDGEN_VERSION}") {
        println!("bootstrap: {} present", bindgen.trim());
    } else {
        println!(
            "bootstrap: installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (a few minutes, once)"
        );
        // Not --locked: its lockfile wants a webpki-roots version the registry mirror lacks.
        run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ]))?;
    }

    let missing: Vec<&str> = [
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
        ("brotli", "brotli"),
        // The store's tests run against PostgreSQL too (started for the run, see `test`).
        ("pg_ctlcluster", "postgresql"),
    ]
    .into_iter()
    .filter(|(bin, _)| !have(bin))
    .map(|(_, pkg)| pkg)
    .collect();
    if missing.is_empty() {
        println!("bootstrap: chromium, chromedriver, brotli, postgresql present");
    } else {
        println!("bootstrap: installing {} from Debian", missing.join(", "));
        let sudo = if output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0") {
            ""
        } else {
            "sudo "
        };
        run(Command::new("sh").args([
            "-c",
            &format!(
                "{sudo}apt-get update -qq && DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -qq --no-install-recommends {}",
                missing.join(" ")
            ),
        ]))?;
    }

    // npm ci only when node_modules is missing or older than the lock file.
    let stamp = Path::new("node_modules/.package-lock.json");
    let fresh = match (
        fs::metadata(stamp).and_then(|m| m.modified()),
        fs::metadata("package-lock.json").and_then(|m| m.modified()),
    ) {
        (Ok(installed), Ok(locked)) => installed >= locked,
        _ => false,
    };
    if fresh {
        println!("bootstrap: npm dev tools present (package-lock.json)");
    } else {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    }
    println!(
        "bootstrap: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---------------------------------------------------------------- widget

/// Where the widget's size-optimized build goes: its flags differ from every other
/// build's, so it gets its own target directory and never invalidates theirs.
const WIDGET_TARGET_DIR: &str = "target/widget-build";
/// The widget's unstable rustc flags (with `-Z build-std` in cargo's arguments): panics
/// abort without a message, no source locations, no Debug formatting. Checked against the
/// pinned toolchain by `toolchain_check` before any build.
const WIDGET_RUSTFLAGS: &str =
    "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none";

/// The newest modification time of the files under `paths` (walked recursively).
fn newest(paths: &[&str]) -> Option<std::time::SystemTime> {
    fn walk(path: &Path, newest: &mut Option<std::time::SystemTime>) {
        let Ok(meta) = fs::metadata(path) else { return };
        if meta.is_dir() {
            for entry in fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        } else if let Ok(modified) = meta.modified() {
            *newest = (*newest).max(Some(modified));
        }
    }
    let mut found = None;
    for p in paths {
        walk(Path::new(p), &mut found);
    }
    found
}

/// Whether www/dist is newer than everything the widget is built from.
fn widget_is_fresh() -> bool {
    let inputs = newest(&[
        "src",
        "crates/core/src",
        "crates/core/Cargo.toml",
        "crates/checker",
        "crates/yew",
        "crates/panic-hook",
        "Cargo.toml",
        "Cargo.lock",
        "xtask/src",
    ]);
    let built = fs::metadata("www/dist/leadmagnet.js")
        .and_then(|m| m.modified())
        .ok();
    let has_wasm = fs::read_dir("www/dist")
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.path().extension().is_some_and(|x| x == "wasm"));
    has_wasm && matches!((inputs, built), (Some(i), Some(b)) if b > i)
}

fn widget() -> Result {
    if widget_is_fresh() {
        println!("widget: www/dist is up to date");
        return Ok(());
    }
    toolchain_check()?;
    let started = Instant::now();
    // The standard library is rebuilt for size (`-Z build-std`, `optimize_for_size`),
    // panics abort at once without formatting a message, and no source locations or
    // Debug impls are kept: together ~13 KB brotli of the 100 KB budget. These are
    // unstable flags, enabled on the pinned stable toolchain with RUSTC_BOOTSTRAP=1 for
    // this one build only (see ARCHITECTURE.md, "The byte budget").
    let work = Path::new("target/widget");
    fs::create_dir_all(work).map_err(|e| e.to_string())?;
    // Built one by one, so that the checker's `messages` feature of the core does not
    // reach the widget (cargo unifies features within one build). The full build
    // (calculators, targeting, variants) is the widget with its `full` feature; the
    // default build is the one held to the byte budget.
    for (package, features, artifact, out_name, global) in [
        (
            "leadmagnet-widget",
            "",
            "leadmagnet_widget",
            "leadmagnet",
            "wasm_bindgen",
        ),
        (
            "leadmagnet-widget",
            "full",
            "leadmagnet_widget",
            "leadmagnet-full",
            "wasm_bindgen",
        ),
        (
            "leadmagnet-checker",
            "",
            "leadmagnet_checker",
            "checker",
            "leadmagnet_checker",
        ),
    ] {
        let mut build = Command::new("cargo");
        build
            .args([
                "build",
                "--quiet",
                "-p",
                package,
                "--target",
                "wasm32-unknown-unknown",
                "--profile",
                "widget",
                "-Z",
                "build-std=std,panic_abort",
                "-Z",
                "build-std-features=optimize_for_size",
                "--features",
                features,
            ])
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_DIR", WIDGET_TARGET_DIR)
            .env("RUSTFLAGS", WIDGET_RUSTFLAGS);
        run(&mut build)?;
        run(Command::new("wasm-bindgen").args([
            "--target",
            "no-modules",
            "--no-modules-global",
            global,
            "--no-typescript",
            "--out-dir",
            "target/widget",
            "--out-name",
            out_name,
            &format!("target/widget-build/wasm32-unknown-unknown/widget/{artifact}.wasm"),
        ]))?;
        // npm binaryen: Debian's wasm-opt 108 writes modules that die at start-up.
        let mut opt = Command::new("node_modules/.bin/wasm-opt");
        // Two rounds of flatten + rereloop (Binaryen's Relooper rebuilds the control flow)
        // before -Oz again: ~0.9 KB brotli less than -Oz alone; then Binaryen's whole-program
        // flow analysis (GUFA: constants and unreachable code it proves from every caller)
        // and -Oz once more: 0.7 KB less (ARCHITECTURE.md, "The byte budget").
        opt.args(["-Oz", "--converge"])
            .args(["--flatten", "--rereloop", "-Oz", "--converge"])
            .args(["--flatten", "--rereloop", "-Oz", "--converge"])
            .args(["--gufa", "-Oz"])
            .args(WASM_OPT_FEATURES)
            .args([
                &format!("target/widget/{out_name}_bg.wasm"),
                "-o",
                &format!("target/widget/{out_name}.opt.wasm"),
            ]);
        run(&mut opt)?;
        let opt_path = format!("target/widget/{out_name}.opt.wasm");
        let glue_path = format!("target/widget/{out_name}.js");
        let wasm = fs::read(&opt_path).map_err(|e| e.to_string())?;
        let glue = fs::read_to_string(&glue_path).map_err(|e| e.to_string())?;
        let (wasm, mut glue) =
            names::shorten(&wasm, &glue).map_err(|e| format!("{opt_path}: {e}"))?;
        // The checker is started from a URL by its own glue; only the widget's glue is
        // started by the loader, which needs none of the other paths.
        if package == "leadmagnet-widget" {
            glue = glue::trim(&glue).map_err(|e| format!("{glue_path}: {e}"))?;
        }
        fs::write(&opt_path, wasm).map_err(|e| e.to_string())?;
        fs::write(&glue_path, glue).map_err(|e| e.to_string())?;
    }

    let checker = fs::read("target/widget/checker.opt.wasm").map_err(|e| e.to_string())?;
    let checker_name = format!("leadmagnet-check-{}.wasm", content_hash(&checker));
    // The checker's glue is its own small script, loaded with its wasm and only when a
    // config needs checking; it hands its init function to the loader and is gone.
    let checker_glue = fs::read_to_string("target/widget/checker.js").map_err(|e| e.to_string())?;
    let checker_js_name = checker_name.replace(".wasm", ".js");
    fs::write(
        "target/widget/checker.bundle.js",
        format!(
            "window.__leadmagnetChecker = (function () {{\n{checker_glue}\nreturn leadmagnet_checker;\n}})();\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let version = env!("CARGO_PKG_VERSION");

    // (script, wasm file) of each flavor: leadmagnet.js and leadmagnet-full.js.
    let mut files: Vec<(String, String, Vec<u8>)> = Vec::new();
    for flavor in ["leadmagnet", "leadmagnet-full"] {
        let wasm =
            fs::read(format!("target/widget/{flavor}.opt.wasm")).map_err(|e| e.to_string())?;
        let wasm_name = format!("{flavor}-{}.wasm", content_hash(&wasm));
        // The loader is an ES module (with the outbox and the rules in src/js/); the glue
        // becomes one too, imported as `leadmagnet-glue`. esbuild bundles them into one
        // scope; the IIFE around it returns early when the page already has a Leadmagnet.
        let glue =
            fs::read_to_string(format!("target/widget/{flavor}.js")).map_err(|e| e.to_string())?;
        let glue_module = format!("target/widget/{flavor}.glue.mjs");
        fs::write(
            &glue_module,
            format!("{glue}\nexport default wasm_bindgen;\n"),
        )
        .map_err(|e| e.to_string())?;
        let modules = format!("target/widget/{flavor}.modules.js");
        run(Command::new("node_modules/.bin/esbuild").args([
            "src/loader.js",
            "--bundle",
            "--format=esm",
            "--target=es2018",
            "--log-level=warning",
            &format!("--alias:leadmagnet-glue=./{glue_module}"),
            &format!("--outfile={modules}"),
        ]))?;
        let loader = fs::read_to_string(&modules).map_err(|e| format!("{modules}: {e}"))?;
        let script = format!(
            "/*! Leadmagnet widget {version} | MIT OR Apache-2.0 */\n\
             (function () {{\n\"use strict\";\nif (window.Leadmagnet) {{ return; }}\n{loader}\n}})();\n"
        )
        .replace("__LEADMAGNET_VERSION__", version)
        .replace("__LEADMAGNET_WASM__", &wasm_name)
        .replace("__LEADMAGNET_CHECK_JS__", &checker_js_name)
        .replace("__LEADMAGNET_CHECK__", &checker_name);
        fs::write(format!("target/widget/{flavor}.bundle.js"), script)
            .map_err(|e| e.to_string())?;
        files.push((format!("{flavor}.js"), wasm_name, wasm));
    }

    let dist = Path::new("www/dist");
    fs::create_dir_all(dist).map_err(|e| e.to_string())?;
    // Old hashed builds go: a stale wasm beside a new loader would only confuse.
    let keep: Vec<String> = files
        .iter()
        .map(|(_, name, _)| name.trim_end_matches(".wasm").to_owned())
        .chain([checker_name.trim_end_matches(".wasm").to_owned()])
        .collect();
    for entry in fs::read_dir(dist).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let hashed = name.contains(".wasm") || name.starts_with("leadmagnet-check-");
        if name.starts_with("leadmagnet-")
            && hashed
            && !keep.iter().any(|k| name.starts_with(k.as_str()))
        {
            fs::remove_file(entry.path()).map_err(|e| e.to_string())?;
        }
    }
    let mut compress = vec![dist.join(&checker_name), dist.join(&checker_js_name)];
    for (script, wasm_name, wasm) in &files {
        let bundle = format!("target/widget/{}", script.replace(".js", ".bundle.js"));
        run(Command::new("node_modules/.bin/esbuild").args([
            bundle.as_str(),
            "--minify",
            "--target=es2018",
            "--legal-comments=inline",
            "--log-level=warning",
            &format!("--define:LEADMAGNET_FULL={}", script.contains("full")),
            &format!("--outfile=www/dist/{script}"),
        ]))?;
        fs::write(dist.join(wasm_name), wasm).map_err(|e| e.to_string())?;
        compress.push(dist.join(script));
        compress.push(dist.join(wasm_name));
    }
    run(Command::new("node_modules/.bin/esbuild").args([
        "target/widget/checker.bundle.js",
        "--minify",
        "--target=es2018",
        "--log-level=warning",
        &format!("--outfile=www/dist/{checker_js_name}"),
    ]))?;
    fs::write(dist.join(&checker_name), &checker).map_err(|e| e.to_string())?;
    // Precompressed copies, served as they are (Content-Encoding) by `leadmagnet serve`
    // and by any static host configured for it.
    for file in compress {
        let path = file.display().to_string();
        run(Command::new("sh").args([
            "-c",
            &format!("brotli -q 11 -f -o '{path}.br' '{path}' && gzip -9 -k -f -n '{path}'"),
        ]))?;
    }
    let wasm_name = &files[0].1;
    println!(
        "widget: www/dist/leadmagnet.js + www/dist/{wasm_name} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// 64-bit FNV-1a of the bytes, as 12 hex digits: enough to tell builds apart in a
/// file name (it is a cache key, not a security measure).
fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // DefaultHasher only to fold in the length, so equal-prefix files differ too.
    let mut d = DefaultHasher::new();
    d.write_usize(bytes.len());
    format!("{:012x}", (h ^ d.finish()) & 0xffff_ffff_ffff)
}

// ---------------------------------------------------------------- size

/// The script and wasm of a build in www/dist: `leadmagnet`, `leadmagnet-full` or
/// `leadmagnet-check`.
fn dist_files(build: &str) -> Result<(PathBuf, PathBuf)> {
    let files: Vec<PathBuf> = fs::read_dir("www/dist")
        .map_err(|_| "www/dist is missing: run `make widget` first".to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    // Hashed names: `leadmagnet-<12 hex>.wasm` must not match `leadmagnet-full-…`.
    let of_build = |p: &PathBuf, ext: &str| {
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        let Some(rest) = name.strip_prefix(build) else {
            return false;
        };
        let rest = rest.strip_suffix(ext).unwrap_or("x");
        rest.is_empty()
            || rest
                .strip_prefix('-')
                .is_some_and(|h| h.len() == 12 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let find = |ext: &str| {
        files
            .iter()
            .find(|p| of_build(p, ext))
            .cloned()
            .ok_or(format!(
                "no {build}{ext} in www/dist: run `make widget` first"
            ))
    };
    Ok((find(".js")?, find(".wasm")?))
}

fn compressed_len(program: &str, args: &[&str], file: &Path) -> Result<u64> {
    let out = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run {program} (run `make bootstrap`): {e}"))?;
    if !out.status.success() {
        return Err(format!("{program} failed on {}", file.display()));
    }
    Ok(out.stdout.len() as u64)
}

fn size(check: bool) -> Result {
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        "file", "raw", "gzip -9", "brotli -11"
    );
    let mut over = Vec::new();
    // Both builds are held to the budget: leadmagnet.js (inline offers, stores nothing)
    // and leadmagnet-full.js (overlays, visitor memory, calculators, targeting, variants).
    // The checker is reported: it is fetched only for configs the collector did not check.
    for (build, budgeted) in [
        ("leadmagnet", true),
        ("leadmagnet-full", true),
        ("leadmagnet-check", false),
    ] {
        let (js, wasm) = dist_files(build)?;
        let mut total = [0u64; 3];
        for file in [&js, &wasm] {
            let raw = fs::metadata(file).map_err(|e| e.to_string())?.len();
            let gz = compressed_len("gzip", &["-9", "-c"], file)?;
            let br = compressed_len("brotli", &["-q", "11", "-c"], file)?;
            for (t, v) in total.iter_mut().zip([raw, gz, br]) {
                *t += v;
            }
            println!("{:<44} {:>10} {:>10} {:>12}", file.display(), raw, gz, br);
        }
        let note = if budgeted {
            format!(
                "{:.1} % of the {BUDGET_BROTLI_BYTES}-byte budget",
                total[2] as f64 * 100.0 / BUDGET_BROTLI_BYTES as f64
            )
        } else {
            "loaded only for configs the collector did not check".to_owned()
        };
        println!(
            "{:<44} {:>10} {:>10} {:>12}  {note}\n",
            format!("{build} total"),
            total[0],
            total[1],
            total[2]
        );
        if budgeted && total[2] > BUDGET_BROTLI_BYTES {
            over.push(format!("{build} is {} bytes brotli", total[2]));
        }
    }
    if check && !over.is_empty() {
        return Err(format!(
            "over the {BUDGET_BROTLI_BYTES}-byte budget: {}",
            over.join(", ")
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- test

/// One step of the test run and what it reported.
struct Step {
    name: &'static str,
    seconds: f64,
    tests: u64,
}

/// Runs `cmd`, echoing its output, and counts the tests it reports
/// (cargo's "test result: ok. N passed" and node's "# pass N").
fn run_counting(name: &'static str, cmd: &mut Command, steps: &mut Vec<Step>) -> Result {
    println!("\n==> {name}");
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    let mut tests = 0;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
        {
            println!("{line}");
            let passed = line
                .strip_prefix("test result: ok. ")
                .and_then(|rest| rest.split(' ').next())
                .or_else(|| line.strip_prefix("# pass "))
                .or_else(|| line.strip_prefix("ℹ pass "));
            tests += passed
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("{name} failed ({status})"));
    }
    steps.push(Step {
        name,
        seconds: started.elapsed().as_secs_f64(),
        tests,
    });
    Ok(())
}

/// Like [`run_counting`] for a step that runs tests: a step that reports none failed to
/// find or run them (a filter that matches nothing, a target that built no tests), so it
/// fails rather than passing unseen.
fn run_tests(name: &'static str, cmd: &mut Command, steps: &mut Vec<Step>) -> Result {
    run_counting(name, cmd, steps)?;
    ran_some(steps.last().map_or(0, |s| s.tests), name)
}

fn ran_some(tests: u64, name: &str) -> Result {
    if tests == 0 {
        return Err(format!(
            "{name} ran no tests: the step reported success but nothing was tested"
        ));
    }
    Ok(())
}

/// `make test` checks expectations, never rewrites them: the fixture suites write their
/// outputs when UPDATE_FIXTURES=1, so a run with it set would pass whatever the code does.
fn refuse_update_mode(value: Option<std::ffi::OsString>) -> Result {
    match value {
        Some(v) => Err(format!(
            "UPDATE_FIXTURES is set ({v:?}): `make test` never runs in update mode. Fix: \
             unset it; to rewrite fixtures run `UPDATE_FIXTURES=1 cargo test -p \
             leadmagnet-core --test fixtures` and read the diff."
        )),
        None => Ok(()),
    }
}

fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A collector for the wasm tests: started from the built binary with a throwaway
/// database, stopped (killed) when dropped.
struct Collector {
    child: Child,
    url: String,
    _dir: TempDir,
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The local PostgreSQL cluster (Debian's `postgresql` package) for the store's tests:
/// started if it was down, a `leadmagnet` role with CREATEDB made once, stopped on drop if
/// this run started it.
struct Postgres {
    url: String,
    started: Option<(String, String)>,
}

impl Postgres {
    fn start() -> Result<Postgres> {
        let root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
        let as_root = |args: &[&str]| {
            let mut cmd = if root {
                Command::new(args[0])
            } else {
                let mut c = Command::new("sudo");
                c.arg(args[0]);
                c
            };
            cmd.args(&args[1..]);
            cmd
        };
        let clusters =
            || output(Command::new("pg_lsclusters").arg("--no-header")).unwrap_or_default();
        if clusters().trim().is_empty() {
            // The package was installed without a cluster (no init system): make one.
            let version = fs::read_dir("/usr/lib/postgresql")
                .map_err(|e| format!("PostgreSQL is not installed ({e}): run `make bootstrap`"))?
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
                .ok_or("no PostgreSQL version in /usr/lib/postgresql: run `make bootstrap`")?;
            run(&mut as_root(&["pg_createcluster", &version, "main"]))?;
        }
        let list = clusters();
        let fields: Vec<&str> = list
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let [version, cluster, port, status, ..] = fields[..] else {
            return Err(format!("cannot read pg_lsclusters: {list:?}"));
        };
        let mut started = None;
        if status != "online" {
            println!("postgres: starting cluster {version}/{cluster} on port {port}");
            run(&mut as_root(&["pg_ctlcluster", version, cluster, "start"]))?;
            started = Some((version.to_owned(), cluster.to_owned()));
        }
        let role = "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'leadmagnet') \
                    THEN CREATE ROLE leadmagnet LOGIN CREATEDB PASSWORD 'leadmagnet'; END IF; END $$;";
        // No shell in between: the statement's `$$` must reach psql as written.
        let mut psql = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "psql", "-q", "-p", port, "-c", role]);
            c
        } else {
            let mut c = Command::new("sudo");
            c.args(["-u", "postgres", "psql", "-q", "-p", port, "-c", role]);
            c
        };
        let made = run(&mut psql);
        let postgres = Postgres {
            url: format!("postgres://leadmagnet:leadmagnet@127.0.0.1:{port}/postgres"),
            started,
        };
        made.map(|()| postgres)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some((version, cluster)) = self.started.take() {
            let root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
            let mut stop = if root {
                Command::new("pg_ctlcluster")
            } else {
                let mut c = Command::new("sudo");
                c.arg("pg_ctlcluster");
                c
            };
            let _ = stop
                .args([version.as_str(), cluster.as_str(), "stop"])
                .status();
        }
    }
}

/// Starts `leadmagnet serve …` (`cmd`), reads the URL from the first line it prints, and
/// keeps draining its output so it never blocks on a full pipe.
fn spawn_collector(cmd: &mut Command) -> Result<(std::process::Child, String)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let mut stdout = child.stdout.take().ok_or("collector has no stdout")?;
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).map_err(|e| e.to_string())? == 1 && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&first).into_owned();
    let Some(url) = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|u| u.trim_end_matches('/').to_owned())
    else {
        let _ = child.kill();
        return Err(format!("collector did not print its URL: {line:?}"));
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
    });
    Ok((child, url))
}

fn start_collector(allow_origin: &str) -> Result<Collector> {
    let dir = env::temp_dir().join(format!("leadmagnet-xtask-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let dir = TempDir(dir);
    let (child, url) = spawn_collector(
        Command::new("target/debug/leadmagnet")
            .args(["serve", "--port", "0", "--allow-origin", allow_origin])
            .env(
                "LEADMAGNET_ADMIN_TOKEN",
                "xtask-wasm-tests-token-0123456789",
            )
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/leads.db", dir.0.display()),
            ),
    )?;
    Ok(Collector {
        child,
        url,
        _dir: dir,
    })
}

fn test() -> Result {
    refuse_update_mode(std::env::var_os("UPDATE_FIXTURES"))?;
    let started = Instant::now();
    let mut steps = Vec::new();
    let cargo = || Command::new("cargo");

    run_counting(
        "format (cargo fmt --check)",
        cargo().args(["fmt", "--all", "--", "--check"]),
        &mut steps,
    )?;
    run_counting(
        "lints, native (clippy -D warnings)",
        cargo().args([
            "clippy",
            "--quiet",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        &mut steps,
    )?;
    // Both widget builds: the default one and the full one (feature `full`).
    for (name, features) in [
        ("lints, widget on wasm32 (clippy -D warnings)", ""),
        ("lints, full widget on wasm32 (clippy -D warnings)", "full"),
    ] {
        run_counting(
            name,
            cargo().args([
                "clippy",
                "--quiet",
                "-p",
                "leadmagnet-widget",
                "--features",
                features,
                "--target",
                "wasm32-unknown-unknown",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            &mut steps,
        )?;
    }
    // PostgreSQL on 127.0.0.1 for the store's tests; stopped again when this run ends
    // (if this run started it).
    let postgres = Postgres::start()?;
    run_tests(
        "native tests: core, server (SQLite and PostgreSQL), widget, xtask",
        cargo()
            .args(["test", "--workspace"])
            .env("LEADMAGNET_TEST_POSTGRES", &postgres.url),
        &mut steps,
    )?;
    // The HTTP API's tests again, each collector on a PostgreSQL database of its own.
    run_tests(
        "API tests on PostgreSQL",
        cargo()
            .args(["test", "-p", "leadmagnet-server", "--test", "api"])
            .env("LEADMAGNET_TEST_POSTGRES", &postgres.url)
            .env("LEADMAGNET_TEST_API_ON", "postgres"),
        &mut steps,
    )?;
    drop(postgres);

    // What stays JavaScript, tested as code: the outbox's and the behaviour record's rules
    // and the loader's failure messages (src/js/*.mjs).
    run_tests(
        "JavaScript unit tests (node --test)",
        Command::new("node").args(["--test", "--test-reporter=tap", "tests/js/"]),
        &mut steps,
    )?;

    println!("\n==> widget build and byte budget");
    widget()?;
    size(true)?;

    run(cargo().args([
        "build",
        "--quiet",
        "-p",
        "leadmagnet-server",
        "--bin",
        "leadmagnet",
    ]))?;
    // The wasm tests POST to a real collector; it must grant CORS to the test page, so
    // the test runner gets a fixed address.
    let runner_addr = format!("127.0.0.1:{}", free_port()?);
    let collector = start_collector(&format!("http://{runner_addr}"))?;
    run_tests(
        "widget tests in headless Chromium (wasm-bindgen-test)",
        cargo()
            .args([
                "test",
                "-p",
                "leadmagnet-widget",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .env("LEADMAGNET_TEST_COLLECTOR", &collector.url)
            .env("WASM_BINDGEN_TEST_ADDRESS", &runner_addr)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "60")
            .env("CHROMEDRIVER", "/usr/bin/chromedriver"),
        &mut steps,
    )?;
    drop(collector);

    run_tests(
        "end-to-end in headless Chromium (playwright-core)",
        Command::new("node")
            .args([
                "--test",
                "--test-reporter=tap",
                "--test-concurrency=1",
                // A test that never settles (a server left open) fails rather than hangs.
                // Each file also counts as one test here: the longest (experiences, with
                // ~500 naughty strings) takes about three minutes on the 2-core machine.
                "--test-timeout=420000",
                "tests/e2e/",
            ])
            .env("LEADMAGNET_BIN", "target/debug/leadmagnet"),
        &mut steps,
    )?;

    println!("\n==> summary");
    let mut total = 0;
    for step in &steps {
        total += step.tests;
        let count = if step.tests > 0 {
            format!("{} tests passed", step.tests)
        } else {
            "passed".into()
        };
        println!("  {:<52} {:>20} {:>7.1} s", step.name, count, step.seconds);
    }
    println!(
        "  {total} tests passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_step_that_ran_nothing_fails() {
        assert!(ran_some(0, "end-to-end").is_err_and(|e| e.contains("ran no tests")));
        assert!(ran_some(1, "end-to-end").is_ok());
        // What a step reports is counted from its own lines: cargo's and node's.
        let mut steps = Vec::new();
        let quiet = run_tests(
            "a step that runs nothing",
            Command::new("sh").args(["-c", "echo 'test result: ok. 0 passed; 0 failed'"]),
            &mut steps,
        );
        assert!(quiet.is_err_and(|e| e.contains("ran no tests")));
        let counted = run_tests(
            "a step that runs three",
            Command::new("sh").args([
                "-c",
                "echo 'test result: ok. 2 passed; 0 failed'; echo '# pass 1'",
            ]),
            &mut steps,
        );
        assert!(counted.is_ok());
        assert_eq!(steps.last().map(|s| s.tests), Some(3));
    }

    #[test]
    fn make_test_refuses_update_mode_whatever_its_value() {
        assert!(refuse_update_mode(None).is_ok());
        for value in ["1", "0", ""] {
            assert!(refuse_update_mode(Some(value.into()))
                .is_err_and(|e| e.contains("never runs in update mode")));
        }
    }

    /// The pinned toolchain takes the widget's flags; one that refused them would stop the
    /// build with one line naming the file to change.
    #[test]
    fn the_toolchain_check_names_the_file_to_change() {
        if let Err(e) = toolchain_check() {
            panic!("the pinned toolchain should take the widget's flags: {e}");
        }
        for refused in ["-Zno-such-flag-here", "-Cpanic=no-such-strategy"] {
            let err = flags_check(refused).expect_err(refused);
            assert!(err.contains("rust-toolchain.toml"), "{err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }
}
