//! `cargo xtask size [--check]`: raw / gzip -9 / brotli -11 bytes of each build, and the
//! 100 KB brotli budget.

use super::*;

/// The script and wasm of a build in www/dist: `leadmagnet`, `leadmagnet-full` or
/// `leadmagnet-check`.
pub(crate) fn dist_files(build: &str) -> Result<(PathBuf, PathBuf)> {
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

pub(crate) fn compressed_len(program: &str, args: &[&str], file: &Path) -> Result<u64> {
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

pub(crate) fn size(check: bool) -> Result {
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
    // leadmagnet.js with an offer that needs the full build: it fetches the full build's
    // part and wasm on demand, beside its own wasm. Reported: the budget is for the pages
    // that need none of it, and pages whose offers all need it name leadmagnet-full.js.
    let (_, full_wasm) = dist_files("leadmagnet-full")?;
    let part = full_wasm.with_file_name(
        full_wasm
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .replace(".wasm", ".part.js"),
    );
    let part_br = compressed_len("brotli", &["-q", "11", "-c"], &part)?;
    let wasm_br = compressed_len("brotli", &["-q", "11", "-c"], &full_wasm)?;
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        part.display(),
        fs::metadata(&part).map_err(|e| e.to_string())?.len(),
        compressed_len("gzip", &["-9", "-c"], &part)?,
        part_br
    );
    println!(
        "{:<44} {:>10} {:>10} {:>12}  fetched by leadmagnet.js for an offer that needs the full build\n",
        "on demand (part + full wasm)",
        "",
        "",
        part_br + wasm_br
    );
    if check && !over.is_empty() {
        return Err(format!(
            "over the {BUDGET_BROTLI_BYTES}-byte budget: {}",
            over.join(", ")
        ));
    }
    Ok(())
}
