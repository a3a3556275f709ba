//! The vendored yew as upstream plus patch files.
//!
//! `crates/yew` is yew 0.23.0 as published on crates.io with the byte-budget changes of
//! `crates/yew/patches/*.patch` applied (what each does: `crates/yew/TRIMMED.md`). Only the
//! patches are ours; the tree is kept in the repository so that a build needs no download.
//!
//! - `cargo xtask yew check` (a step of `make test`) rebuilds the tree from the published
//!   crate (checksum-pinned) and the patches, and fails on any difference: an edit to the
//!   vendored tree that is not in a patch, or a patch that no longer applies.
//! - `cargo xtask yew patches` writes the patches again from the vendored tree, one per
//!   changed file, after an intended change to it.
//!
//! Upgrading yew: set `VERSION` and `SHA256` below, run `cargo xtask yew apply`, which
//! unpacks the new release into `crates/yew` and applies the patches (a rejected hunk
//! names its file), fix what the new release moved, then `cargo xtask yew patches`.

use crate::{output, run, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The upstream release the vendored tree starts from.
const VERSION: &str = "0.23.0";
/// sha256 of `yew-VERSION.crate` as crates.io serves it (also in the registry index).
const SHA256: &str = "2c154fadfa97eabdd3f3b79345ceeb9c05ee8f13f76d3d881d17fba618bf558d";
const VENDORED: &str = "crates/yew";
const PATCHES: &str = "crates/yew/patches";
/// Files of the vendored tree that are ours, not upstream's.
const OURS: &[&str] = &["TRIMMED.md", "patches"];
/// Every patched source file adds at least one comment with this, so a reader of yew's
/// code sees what is ours and why.
const MARKER: &str = "Leadmagnet trim";

pub fn yew(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        Some("check") => check(),
        Some("patches") => write_patches(),
        Some("apply") => apply(),
        _ => Err("usage: cargo xtask yew <check | patches | apply>".into()),
    }
}

/// Fails unless the vendored tree is exactly upstream + patches.
fn check() -> Result {
    check_markers()?;
    let scratch = Scratch::new("check")?;
    let expected = scratch.0.join("yew");
    unpack_upstream(&expected)?;
    apply_patches(&expected)?;
    let differences = compare(&expected, Path::new(VENDORED))?;
    if differences.is_empty() {
        println!(
            "crates/yew is yew {VERSION} from crates.io + {} patches",
            patch_files()?.len()
        );
        return Ok(());
    }
    let mut diff = String::new();
    for file in &differences {
        diff.push_str(&file_diff(&expected, file).unwrap_or_default());
    }
    Err(format!(
        "crates/yew differs from yew {VERSION} + crates/yew/patches in {}:\n{}\n{diff}\n\
         An intended change to the vendored tree: mark it `{MARKER}` and run \
         `cargo xtask yew patches`.",
        differences.len(),
        differences.join("\n")
    ))
}

/// Writes one patch per file that differs from upstream (removing stale ones).
fn write_patches() -> Result {
    let scratch = Scratch::new("patches")?;
    let upstream = scratch.0.join("yew");
    unpack_upstream(&upstream)?;
    for old in patch_files()? {
        fs::remove_file(&old).map_err(|e| format!("{}: {e}", old.display()))?;
    }
    fs::create_dir_all(PATCHES).map_err(|e| format!("{PATCHES}: {e}"))?;
    let changed = compare(&upstream, Path::new(VENDORED))?;
    for file in &changed {
        let patch = file_diff(&upstream, file)?;
        let name = format!("{}.patch", file.replace('/', "--"));
        fs::write(Path::new(PATCHES).join(&name), patch)
            .map_err(|e| format!("{PATCHES}/{name}: {e}"))?;
        println!("{PATCHES}/{name}");
    }
    check_markers()
}

/// Replaces the vendored tree's upstream files with the release `VERSION`, then applies
/// the patches: the first step of an upgrade.
fn apply() -> Result {
    let scratch = Scratch::new("apply")?;
    let fresh = scratch.0.join("yew");
    unpack_upstream(&fresh)?;
    if let Err(e) = apply_patches(&fresh) {
        // Kept for the maintainer: the release with the patches before the failing one.
        let kept = Path::new("target/yew-upstream/apply");
        let _ = fs::remove_dir_all(kept);
        let _ = fs::create_dir_all("target/yew-upstream");
        let moved = run(Command::new("cp").arg("-r").arg(&fresh).arg(kept));
        return Err(match moved {
            Ok(()) => format!(
                "{e}\n{} holds yew {VERSION} with the patches before that one applied \
                 (crates/yew is unchanged); adapt the patch and run again.",
                kept.display()
            ),
            Err(_) => format!("{e}\ncrates/yew is unchanged; adapt the patch and run again."),
        });
    }
    for entry in read_dir(Path::new(VENDORED))? {
        if !OURS.contains(&entry.as_str()) {
            let path = Path::new(VENDORED).join(&entry);
            let removed = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            removed.map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    for entry in read_dir(&fresh)? {
        run(Command::new("cp").args(["-r", &fresh.join(&entry).to_string_lossy(), VENDORED]))?;
    }
    println!(
        "crates/yew is now yew {VERSION} + patches; build and test, then `cargo xtask yew patches`"
    );
    Ok(())
}

/// The `git diff` of one file, `base` → vendored, with paths as `git apply -p1` reads them.
fn file_diff(base: &Path, file: &str) -> Result<String> {
    let old = base.join(file);
    let new = Path::new(VENDORED).join(file);
    let (old_arg, new_arg) = (
        if old.exists() {
            old.to_string_lossy().into_owned()
        } else {
            "/dev/null".into()
        },
        if new.exists() {
            new.to_string_lossy().into_owned()
        } else {
            "/dev/null".into()
        },
    );
    let out = Command::new("git")
        .args([
            "diff",
            "--no-index",
            "--no-color",
            "--no-ext-diff",
            "--full-index",
            &old_arg,
            &new_arg,
        ])
        .output()
        .map_err(|e| format!("cannot run git diff: {e}"))?;
    // git diff --no-index exits 1 when the files differ.
    if out.status.code() != Some(1) {
        return Err(format!(
            "git diff of {file} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // Rewrite the scratch and vendored paths to a/FILE and b/FILE.
    let mut patch = String::new();
    let mut in_header = true;
    for line in text.lines() {
        // Only the header names paths; a hunk line may start with "--- " too.
        in_header = in_header && !line.starts_with("@@");
        let rewritten = if !in_header {
            line.to_owned()
        } else if line.starts_with("diff --git ") {
            format!("diff --git a/{file} b/{file}")
        } else if let Some(rest) = line.strip_prefix("--- ") {
            if rest == "/dev/null" {
                line.to_owned()
            } else {
                format!("--- a/{file}")
            }
        } else if let Some(rest) = line.strip_prefix("+++ ") {
            if rest == "/dev/null" {
                line.to_owned()
            } else {
                format!("+++ b/{file}")
            }
        } else {
            line.to_owned()
        };
        patch.push_str(&rewritten);
        patch.push('\n');
    }
    Ok(patch)
}

/// Every patch of a source file adds at least one line naming the marker.
fn check_markers() -> Result {
    let mut unmarked = Vec::new();
    for patch in patch_files()? {
        let text = fs::read_to_string(&patch).map_err(|e| format!("{}: {e}", patch.display()))?;
        let is_source = text.lines().next().is_some_and(|l| l.ends_with(".rs"));
        let marked = text
            .lines()
            .any(|l| l.starts_with('+') && !l.starts_with("+++") && l.contains(MARKER));
        if is_source && !marked {
            unmarked.push(patch.display().to_string());
        }
    }
    if unmarked.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "these patches change yew's source without a `// {MARKER}: why` comment:\n{}",
            unmarked.join("\n")
        ))
    }
}

fn patch_files() -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = match fs::read_dir(PATCHES) {
        Ok(dir) => dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "patch"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    Ok(files)
}

fn apply_patches(tree: &Path) -> Result {
    for patch in patch_files()? {
        let absolute = fs::canonicalize(&patch).map_err(|e| format!("{}: {e}", patch.display()))?;
        // Outside any git repository (the scratch directory), `git apply` patches files
        // relative to the working directory, as `patch -p1` would.
        let out = Command::new("git")
            .args(["apply", "--whitespace=nowarn", "-p1"])
            .arg(&absolute)
            .current_dir(tree)
            .env("GIT_CEILING_DIRECTORIES", tree.parent().unwrap_or(tree))
            .output()
            .map_err(|e| format!("cannot run git apply: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{} does not apply to yew {VERSION}: {}",
                patch.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(())
}

/// The published crate, unpacked to `into` with only the files a build reads (`src/`,
/// `Cargo.toml`, `README.md`): upstream's tests need its dev-dependencies.
fn unpack_upstream(into: &Path) -> Result {
    let archive = crate_file()?;
    let parent = into.parent().ok_or("scratch directory has no parent")?;
    run(Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(parent))?;
    let unpacked = parent.join(format!("yew-{VERSION}"));
    fs::create_dir_all(into).map_err(|e| format!("{}: {e}", into.display()))?;
    for kept in ["src", "Cargo.toml", "README.md"] {
        fs::rename(unpacked.join(kept), into.join(kept))
            .map_err(|e| format!("yew-{VERSION}.crate has no {kept}: {e}"))?;
    }
    Ok(())
}

/// `yew-VERSION.crate`: from cargo's download cache, else downloaded once into `target/`;
/// either way checked against `SHA256`.
fn crate_file() -> Result<PathBuf> {
    let name = format!("yew-{VERSION}.crate");
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    let mut candidates = Vec::new();
    if let Some(home) = cargo_home {
        for registry in read_dir(&home.join("registry/cache")).unwrap_or_default() {
            candidates.push(home.join("registry/cache").join(registry).join(&name));
        }
    }
    let downloaded = Path::new("target/yew-upstream").join(&name);
    candidates.push(downloaded.clone());
    for candidate in &candidates {
        if candidate.is_file() && sha256(candidate)? == SHA256 {
            return Ok(candidate.clone());
        }
    }
    fs::create_dir_all("target/yew-upstream").map_err(|e| format!("target/yew-upstream: {e}"))?;
    let url = format!("https://static.crates.io/crates/yew/{name}");
    run(Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--fail",
            "--location",
            "--retry",
            "3",
            "--connect-timeout",
            "15",
            "--max-time",
            "120",
            "-o",
        ])
        .arg(&downloaded)
        .arg(&url))
    .map_err(|e| {
        format!(
            "{e}\nThe check needs yew {VERSION} as published: download {url} into \
             target/yew-upstream/, then run it again."
        )
    })?;
    let got = sha256(&downloaded)?;
    if got != SHA256 {
        let _ = fs::remove_file(&downloaded);
        return Err(format!("{url} has sha256 {got}, expected {SHA256}"));
    }
    Ok(downloaded)
}

fn sha256(file: &Path) -> Result<String> {
    let out = output(Command::new("sha256sum").arg(file))
        .ok_or_else(|| format!("sha256sum {} failed", file.display()))?;
    Ok(out.split_whitespace().next().unwrap_or_default().to_owned())
}

/// Relative paths of the files that differ between the two trees (either side may lack
/// the file), leaving out our own files.
fn compare(expected: &Path, vendored: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    list(expected, "", &mut files)?;
    list(vendored, "", &mut files)?;
    files.sort();
    files.dedup();
    Ok(files
        .into_iter()
        .filter(|f| {
            !OURS
                .iter()
                .any(|o| f == o || f.starts_with(&format!("{o}/")))
        })
        .filter(|f| fs::read(expected.join(f)).ok() != fs::read(vendored.join(f)).ok())
        .collect())
}

fn list(dir: &Path, prefix: &str, into: &mut Vec<String>) -> Result {
    for name in read_dir(&dir.join(prefix))? {
        // What cargo or an editor leaves when run inside the excluded crate is neither
        // upstream's nor ours.
        let build_output = prefix.is_empty() && (name == "target" || name == "Cargo.lock");
        if build_output || name.starts_with('.') {
            continue;
        }
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if dir.join(&relative).is_dir() {
            list(dir, &relative, into)?;
        } else {
            into.push(relative);
        }
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    Ok(names)
}

/// A directory under the system's temporary directory (outside any git repository, so
/// `git apply` works as plain `patch`), removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(job: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("leadmagnet-yew-{job}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The comparison finds an edited, an added and a removed file, and ignores ours.
    #[test]
    fn compare_names_every_kind_of_difference() {
        let scratch = Scratch::new("test-compare").expect("scratch");
        let (a, b) = (scratch.0.join("a"), scratch.0.join("b"));
        for (dir, files) in [
            (
                &a,
                &[("src/x.rs", "1"), ("src/y.rs", "same"), ("gone.rs", "g")][..],
            ),
            (
                &b,
                &[
                    ("src/x.rs", "2"),
                    ("src/y.rs", "same"),
                    ("new.rs", "n"),
                    ("TRIMMED.md", "t"),
                    ("patches/p.patch", "p"),
                ][..],
            ),
        ] {
            for (path, text) in files {
                let path = dir.join(path);
                fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                fs::write(path, text).expect("write");
            }
        }
        assert_eq!(
            compare(&a, &b).expect("compare"),
            ["gone.rs", "new.rs", "src/x.rs"]
        );
    }
}
