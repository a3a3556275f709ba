//! `cargo xtask widget`: the wasm builds (default, full, checker), wasm-bindgen, wasm-opt,
//! the esbuild bundle of the loader's ES modules, and the content-hashed files in www/dist.

use super::*;

/// Where the widget's size-optimized build goes: its flags differ from every other
/// build's, so it gets its own target directory and never invalidates theirs.
pub(crate) const WIDGET_TARGET_DIR: &str = "target/widget-build";
/// The widget's unstable rustc flags (with `-Z build-std` in cargo's arguments): panics
/// abort without a message, no source locations, no Debug formatting. Checked against the
/// pinned toolchain by `toolchain_check` before any build.
pub(crate) const WIDGET_RUSTFLAGS: &str =
    "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none";

/// The newest modification time of the files under `paths` (walked recursively).
pub(crate) fn newest(paths: &[&str]) -> Option<std::time::SystemTime> {
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
pub(crate) fn widget_is_fresh() -> bool {
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

/// The studio's scripts (`crates/server/studio/`: CodeMirror 6 and the preview frame's),
/// bundled by esbuild into www/dist/studio.js and studio-preview.js. Not the widget: no
/// byte budget, but its size is printed (and stated in the README). Under a second.
pub(crate) fn studio() -> Result {
    fs::create_dir_all("www/dist").map_err(|e| e.to_string())?;
    for (source, out) in [
        ("crates/server/studio/studio.js", "www/dist/studio.js"),
        (
            "crates/server/studio/preview.js",
            "www/dist/studio-preview.js",
        ),
    ] {
        run(Command::new("node_modules/.bin/esbuild").args([
            source,
            "--bundle",
            "--minify",
            "--format=iife",
            "--target=es2020",
            "--legal-comments=none",
            "--log-level=warning",
            &format!("--outfile={out}"),
        ]))?;
    }
    let raw = fs::metadata("www/dist/studio.js")
        .map_err(|e| e.to_string())?
        .len();
    let br = size::compressed_len(
        "brotli",
        &["-q", "11", "-c"],
        Path::new("www/dist/studio.js"),
    )?;
    println!("studio: www/dist/studio.js {raw} bytes, {br} brotli");
    Ok(())
}

pub(crate) fn widget() -> Result {
    studio()?;
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
            "hydrate",
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
            let (trimmed, removed) = glue::trim(&glue).map_err(|e| format!("{glue_path}: {e}"))?;
            glue::check_cuts(&removed).map_err(|e| format!("{glue_path}: {e}"))?;
            glue = trimmed;
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
    // The full build's glue as a part of its own, which leadmagnet.js fetches (with the
    // full wasm) only for an offer that needs it: it hands its init function to the loader
    // and is gone, as the checker's does.
    let full_wasm =
        fs::read("target/widget/leadmagnet-full.opt.wasm").map_err(|e| e.to_string())?;
    let full_wasm_name = format!("leadmagnet-full-{}.wasm", content_hash(&full_wasm));
    let full_part_name = full_wasm_name.replace(".wasm", ".part.js");
    let full_glue =
        fs::read_to_string("target/widget/leadmagnet-full.js").map_err(|e| e.to_string())?;
    fs::write(
        "target/widget/full.part.js",
        format!("window.__leadmagnetFull = (function () {{\n{full_glue}\nreturn wasm_bindgen;\n}})();\n"),
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
        .replace("__LEADMAGNET_FULL_JS__", &full_part_name)
        .replace("__LEADMAGNET_FULL_WASM__", &full_wasm_name)
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
        let hashed = name.contains(".wasm")
            || name.starts_with("leadmagnet-check-")
            || name.contains(".part.js");
        if name.starts_with("leadmagnet-")
            && hashed
            && !keep.iter().any(|k| name.starts_with(k.as_str()))
        {
            fs::remove_file(entry.path()).map_err(|e| e.to_string())?;
        }
    }
    let mut compress = vec![
        dist.join(&checker_name),
        dist.join(&checker_js_name),
        dist.join(&full_part_name),
    ];
    run(Command::new("node_modules/.bin/esbuild").args([
        "target/widget/full.part.js",
        "--minify",
        "--target=es2018",
        "--log-level=warning",
        &format!("--outfile=www/dist/{full_part_name}"),
    ]))?;
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
pub(crate) fn content_hash(bytes: &[u8]) -> String {
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

/// Where the loader's JavaScript gets the core's values (`record::loader_contract`).
pub(crate) const CONTRACT: &str = "src/js/contract.mjs";

/// `cargo xtask contract`: writes [`CONTRACT`] from the core.
pub(crate) fn contract() -> Result {
    fs::write(CONTRACT, leadmagnet_core::record::loader_contract())
        .map_err(|e| format!("{CONTRACT}: {e}"))?;
    println!("{CONTRACT} written from crates/core/src/record.rs");
    Ok(())
}
