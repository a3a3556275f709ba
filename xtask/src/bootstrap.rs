//! `cargo xtask bootstrap`: what a fresh Debian machine lacks (the pinned toolchain's
//! check, wasm-bindgen CLI, Chromium and ChromeDriver, brotli, the npm dev tools).

use super::*;

/// The file that pins the toolchain; every toolchain message names it.
pub(crate) const TOOLCHAIN_FILE: &str = "rust-toolchain.toml";

/// Where the active toolchain's standard library sources would be (`rust-src`).
pub(crate) fn rust_src_lock() -> Option<PathBuf> {
    let sysroot = output(Command::new("rustc").args(["--print", "sysroot"]))?;
    Some(Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library/Cargo.lock"))
}

pub(crate) fn toolchain_ready() -> bool {
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
pub(crate) fn toolchain_check() -> Result {
    flags_check(WIDGET_RUSTFLAGS)
}

/// The toolchain check with `rustflags` (a test passes flags no rustc takes).
pub(crate) fn flags_check(rustflags: &str) -> Result {
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

pub(crate) fn bootstrap() -> Result {
    let started = Instant::now();
    // The toolchain, its components and the wasm target come from rust-toolchain.toml,
    // installed by `make` (`rustup toolchain install`) before this first cargo call. A
    // `cargo xtask` run on its own still installs what the file names, then checks it.
    if !toolchain_ready() {
        run(Command::new("rustup").args(["toolchain", "install"]))?;
    }
    toolchain_check()?;
    println!("bootstrap: pinned toolchain (rust-toolchain.toml) with rust-src and wasm32 present");

    let wanted = wasm_bindgen_version()?;
    let bindgen = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if bindgen.trim() == format!("wasm-bindgen {wanted}") {
        println!("bootstrap: {} present", bindgen.trim());
    } else {
        println!("bootstrap: installing wasm-bindgen-cli {wanted} (a few minutes, once)");
        // Not --locked: its lockfile wants a webpki-roots version the registry mirror lacks.
        run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &wanted]))?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
