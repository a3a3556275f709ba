//! Data-driven tests: `config + input → expected output` folders under tests/fixtures.
//!
//! - `config/<case>.json` → `config/<case>.out`: what `leadmagnet validate` prints.
//! - `score/<case>/{lead.json, now[, config.json]}` → `expected.json`: `leadmagnet score`
//!   (config.json of the case, else `score/config.json`).
//! - `fields/<case>/{profile.json[, answers.json, config.json]}` → `expected.json`:
//!   `leadmagnet fields`.
//!
//! Run with `UPDATE_FIXTURES=1` to write the outputs after a deliberate change, then read
//! the diff before committing it.

use leadmagnet_core::domains::CompactLists;
use leadmagnet_core::json::ToJson;
use leadmagnet_core::profiling::fields_to_show;
use leadmagnet_core::scoring::{parse_leads, score};
use leadmagnet_core::time::parse_rfc3339;
use leadmagnet_core::{parse_offer, Values};
use std::fs;
use std::path::{Path, PathBuf};

fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compares (or, in update mode, writes) one expected output; returns a failure line.
fn check(expected_path: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        fs::write(expected_path, actual).expect("write fixture");
        return None;
    }
    let expected = fs::read_to_string(expected_path).unwrap_or_default();
    (expected != actual).then(|| {
        format!(
            "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
            expected_path.display()
        )
    })
}

fn cases(kind: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir(kind))
        .expect("fixture dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

fn report(kind: &str, failures: Vec<String>, count: usize) {
    assert!(count > 0, "no {kind} fixtures found");
    assert!(
        failures.is_empty(),
        "{} of {count} {kind} fixtures differ (UPDATE_FIXTURES=1 rewrites them):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn config_fixtures() {
    let inputs: Vec<PathBuf> = cases("config")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|input| {
            let out = match parse_offer(&read(input)) {
                Ok(_) => "ok\n".to_owned(),
                Err(problems) => problems.iter().map(|p| format!("{p}\n")).collect(),
            };
            check(&input.with_extension("out"), &out)
        })
        .collect();
    report("config", failures, inputs.len());
}

#[test]
fn score_fixtures() {
    let shared = read(&dir("score").join("config.json"));
    let cases: Vec<PathBuf> = cases("score").into_iter().filter(|p| p.is_dir()).collect();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let own = case.join("config.json");
            let config_text = if own.exists() {
                read(&own)
            } else {
                shared.clone()
            };
            let config =
                parse_offer(&config_text).unwrap_or_else(|e| panic!("{}: {e:?}", case.display()));
            let scoring = config.scoring.unwrap_or_default();
            let now = parse_rfc3339(read(&case.join("now")).trim()).expect("now");
            let (leads, array) = parse_leads(&read(&case.join("lead.json"))).expect("lead.json");
            let scores: Vec<_> = leads
                .iter()
                .map(|l| score(&scoring, l, now, &CompactLists))
                .collect();
            let json = if array {
                scores.to_json_pretty()
            } else {
                scores[0].to_json_pretty()
            };
            check(&case.join("expected.json"), &format!("{json}\n"))
        })
        .collect();
    report("score", failures, cases.len());
}

#[test]
fn fields_fixtures() {
    let shared = read(&dir("fields").join("config.json"));
    let cases: Vec<PathBuf> = cases("fields").into_iter().filter(|p| p.is_dir()).collect();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let own = case.join("config.json");
            let config = parse_offer(&if own.exists() {
                read(&own)
            } else {
                shared.clone()
            })
            .expect("config");
            let values = |name: &str| -> Values {
                let path = case.join(name);
                if path.exists() {
                    leadmagnet_core::json::read(&read(&path), true).expect("values")
                } else {
                    Values::new()
                }
            };
            let shown = fields_to_show(
                &config,
                &values("profile.json"),
                &values("answers.json"),
                &CompactLists,
            );
            let json = shown.to_json_pretty();
            check(&case.join("expected.json"), &format!("{json}\n"))
        })
        .collect();
    report("fields", failures, cases.len());
}
