//! The `leadmagnet` binary's start-up rules.

use std::process::Command;

#[test]
fn serve_refuses_to_start_without_a_token_unless_demo() {
    let output = Command::new(env!("CARGO_BIN_EXE_leadmagnet"))
        .args(["serve", "--port", "0"])
        .env_remove("LEADMAGNET_ADMIN_TOKEN")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("LEADMAGNET_ADMIN_TOKEN is not set") && stderr.contains("--demo"),
        "{stderr}"
    );
}

#[test]
fn serve_names_a_missing_www_folder() {
    let output = Command::new(env!("CARGO_BIN_EXE_leadmagnet"))
        .args(["serve", "--port", "0", "--demo", "--www", "/nonexistent"])
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no index.html in /nonexistent"), "{stderr}");
}
