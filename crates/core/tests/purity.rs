//! Architecture invariant: the core stays pure. Nothing that does I/O or ties it to one
//! platform may enter its dependency tree (normal and build dependencies).

use std::process::Command;

const FORBIDDEN: &[&str] = &[
    "yew",
    "web-sys",
    "js-sys",
    "wasm-bindgen",
    "gloo",
    "tokio",
    "sqlx",
    "rusqlite",
    "postgres",
    "axum",
    "hyper",
    "reqwest",
    "regex",
    "chrono",
];

#[test]
fn core_dependency_tree_has_no_io_or_web_crates() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "leadmagnet-core",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(crates.contains(&"libm"), "the tree looks wrong: {tree}");
    let found: Vec<&&str> = crates
        .iter()
        .filter(|c| FORBIDDEN.iter().any(|f| c.starts_with(f)))
        .collect();
    assert!(
        found.is_empty(),
        "forbidden crates in the core: {found:?}\n{tree}"
    );
}
