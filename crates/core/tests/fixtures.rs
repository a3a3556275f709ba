//! Data-driven tests: `config + input → expected output` folders under tests/fixtures.
//!
//! - `config/<case>.json` → `config/<case>.out`: what `leadmagnet validate` prints after
//!   the file's name (`line:column: pointer: message`).
//! - `score/<case>/{lead.json, now[, config.json]}` → `expected.json`: `leadmagnet score`
//!   (config.json of the case, else `score/config.json`).
//! - `fields/<case>/{profile.json[, answers.json, config.json]}` → `expected.json`:
//!   `leadmagnet fields`.
//! - `formats/{config.json, payload.json}` → `<endpoint>.request`: the exact request each
//!   endpoint of the config (`endpoint`, then `also_send_to`) makes of the one payload,
//!   from the browser; `collector-hubspot.request` is the collector's forwarding.
//!
//! Run with `UPDATE_FIXTURES=1` (exactly `1`) to write the outputs after a deliberate
//! change, then read the diff before committing it. `make test` refuses to run with the
//! variable set, so the suite never rewrites what it checks. The generated 200-lead batch
//! is also checked against a second, deliberately simple scorer below, so an update cannot
//! bless a wrong result unnoticed.

use leadmagnet_core::config::offer_problems;
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
    if std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| v == "1") {
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
            // Every problem in one run, reading and semantic, each at its line and
            // column: what `leadmagnet validate` prints after the file's name.
            let text = read(input);
            let problems = offer_problems(&text);
            assert_eq!(
                problems.is_empty(),
                parse_offer(&text).is_ok(),
                "{}: the checker and parse_offer disagree",
                input.display()
            );
            let out = if problems.is_empty() {
                "ok\n".to_owned()
            } else {
                problems
                    .iter()
                    .map(|p| {
                        let at = if p.pointer.is_empty() {
                            "/"
                        } else {
                            &p.pointer
                        };
                        let (line, column) = (p.line.unwrap_or(0), p.column.unwrap_or(0));
                        format!("{line}:{column}: {at}: {}\n", p.message)
                    })
                    .collect()
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

/// `contact/<case>/{person.json, now}` → `expected.json`: a person as the collector scores
/// them (their submissions and later events added up, scored against `score/config.json`,
/// and whether this is their MQL moment): `leadmagnet score --contact`. The wasm build runs
/// the same cases in Chromium (tests/widget.rs).
#[test]
fn contact_fixtures() {
    let config = parse_offer(&read(&dir("score").join("config.json"))).expect("config");
    let scoring = config.scoring.unwrap_or_default();
    let cases: Vec<PathBuf> = cases("contact")
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    assert!(cases.len() >= 4, "{cases:?}");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let now = parse_rfc3339(read(&case.join("now")).trim()).expect("now");
            let person: leadmagnet_core::contact::PersonFacts =
                leadmagnet_core::json::read(&read(&case.join("person.json")), false)
                    .unwrap_or_else(|e| panic!("{}: {e:?}", case.display()));
            let assessment = person
                .assess(&scoring, now, &CompactLists)
                .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
            check(
                &case.join("expected.json"),
                &format!("{}\n", assessment.to_json_pretty()),
            )
        })
        .collect();
    report("contact", failures, cases.len());
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

/// The generated batch against an independent scorer: a second implementation of
/// docs/scoring.md for the shared config, written plainly (serde_json, std's `exp2`, its
/// own date arithmetic) and sharing no code with `scoring.rs` but the domain lists' data.
/// Totals may differ only where the decayed sum sits within a hair of a rounding edge.
#[test]
fn generated_batch_matches_a_second_simple_scorer() {
    use leadmagnet_core::domains::DomainLists;
    use serde_json::Value;
    let case = dir("score").join("generated-batch");
    let leads: Vec<Value> = serde_json::from_str(&read(&case.join("lead.json"))).expect("leads");
    let expected: Vec<Value> =
        serde_json::from_str(&read(&case.join("expected.json"))).expect("expected");
    assert_eq!(leads.len(), 200);
    assert_eq!(expected.len(), leads.len());
    let now = simple_time("2026-11-27T12:00:00Z").expect("now");
    assert_eq!(read(&case.join("now")).trim(), "2026-11-27T12:00:00Z");
    let (mut mql, mut disqualified, mut enterprise) = (0, 0, 0);
    for (i, (lead, got)) in leads.iter().zip(&expected).enumerate() {
        let text = |k: &str| lead["fields"][k].as_str().unwrap_or("").to_lowercase();
        let domain = text("email").rsplit_once('@').map(|(_, d)| d.to_owned());
        let class = domain.as_deref().map(|d| CompactLists.classify(d).name());
        let mut fit = 0.0;
        let mut rules = Vec::new();
        let role = text("role");
        for (rule, hit, points) in [
            (
                "senior-role",
                ["ceo", "geschäftsführer", "head", "leiter", "director"]
                    .iter()
                    .any(|p| role.contains(p)),
                20.0,
            ),
            (
                "mid-size",
                ["50-249", "250+"].contains(&text("company_size").as_str()),
                15.0,
            ),
            ("buying-now", text("timeline") == "now", 25.0),
            ("freemail", class == Some("free"), -10.0),
            ("disposable", class == Some("disposable"), -50.0),
        ] {
            if hit {
                fit += points;
                rules.push((rule.to_owned(), points));
            }
        }
        let events = lead["events"].as_array().expect("events");
        let mut engagement = 0.0;
        for (rule, kind, url, points, max) in [
            ("pricing-visit", "page_view", Some("/pricing"), 10.0, 3),
            ("downloaded", "offer_completed", None, 15.0, usize::MAX),
            ("came-back", "return_visit", None, 8.0, 3),
        ] {
            let mut times: Vec<i64> = events
                .iter()
                .filter(|e| e["type"] == kind)
                .filter(|e| {
                    url.is_none_or(|u| {
                        e["url"]
                            .as_str()
                            .is_some_and(|x| x.to_lowercase().contains(u))
                    })
                })
                .filter_map(|e| simple_time(e["at"].as_str()?))
                .collect();
            if times.is_empty() {
                continue;
            }
            times.sort_unstable_by(|a, b| b.cmp(a));
            times.truncate(max);
            let sum: f64 = times
                .iter()
                .map(|t| points * (-((now - t).max(0) as f64 / 86_400_000.0) / 30.0).exp2())
                .sum();
            engagement += sum;
            rules.push((rule.to_owned(), (sum * 100.0).round() / 100.0));
        }
        let near_edge = (engagement.fract().abs() - 0.5).abs() < 1e-9;
        let engagement = engagement.round();
        let total = fit + engagement;
        let grade = [("A", 40.0), ("B", 25.0), ("C", 10.0)]
            .iter()
            .find(|(_, min)| fit >= *min)
            .map_or("D", |(g, _)| *g);
        let level = [(1, 40.0), (2, 20.0), (3, 5.0)]
            .iter()
            .find(|(_, min)| engagement >= *min)
            .map_or(4, |(l, _)| *l);
        let is_disqualified = role.contains("student");
        let stage = if is_disqualified {
            "disqualified"
        } else if total >= 50.0 && (grade == "A" || grade == "B") {
            "mql"
        } else {
            "inquiry"
        };
        let queue = if text("company_size") == "250+" {
            "enterprise"
        } else {
            "default"
        };
        let at = format!("lead {i}: {lead}");
        if !near_edge {
            assert_eq!(got["engagement"].as_f64(), Some(engagement), "{at}");
            assert_eq!(got["total"].as_f64(), Some(total), "{at}");
            assert_eq!(got["level"].as_i64(), Some(level), "{at}");
            assert_eq!(got["stage"], stage, "{at}");
        }
        assert_eq!(got["fit"].as_f64(), Some(fit), "{at}");
        assert_eq!(got["grade"], grade, "{at}");
        assert_eq!(got["queue"], queue, "{at}");
        let listed: Vec<(String, f64)> = got["breakdown"]
            .as_array()
            .expect("breakdown")
            .iter()
            .filter(|c| c["kind"] != "disqualify")
            .map(|c| {
                (
                    c["rule"].as_str().unwrap_or("").to_owned(),
                    c["points"].as_f64().unwrap_or(f64::NAN),
                )
            })
            .collect();
        assert_eq!(listed.len(), rules.len(), "{at}");
        for ((name, points), (want, want_points)) in listed.iter().zip(&rules) {
            assert_eq!(name, want, "{at}");
            assert!(
                (points - want_points).abs() <= 0.011,
                "{at}: {name} {points} vs {want_points}"
            );
        }
        mql += usize::from(stage == "mql");
        disqualified += usize::from(is_disqualified);
        enterprise += usize::from(queue == "enterprise");
    }
    // The batch exercises every outcome, or it would prove little.
    assert!(
        mql > 0 && disqualified > 0 && enterprise > 0,
        "{mql} {disqualified} {enterprise}"
    );
}

/// Milliseconds since the epoch of an RFC 3339 time (`Z` or `±hh:mm`), by the civil-date
/// formula; `None` for anything else.
fn simple_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { text.get(r)?.parse().ok() };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    let mut ms = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let padded = format!("{:0<3}", &frac[..digits]);
        ms = padded[..3].parse().ok()?;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" => 0,
        _ if rest.len() == 6 => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest[1..3].parse::<i64>().ok()? * 60 + rest[4..6].parse::<i64>().ok()?)
        }
        _ => return None,
    };
    let (y, m) = if m <= 2 { (y - 1, m + 12) } else { (y, m) };
    let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + d - 719_469;
    Some(((days * 24 + h) * 60 + mi - offset) * 60_000 + s * 1000 + ms)
}

#[test]
fn format_fixtures() {
    use leadmagnet_core::formats::{for_endpoint, hubspot, offer_wording};
    let dir = dir("formats");
    let config = parse_offer(&read(&dir.join("config.json"))).expect("config");
    let payload =
        leadmagnet_core::parse_lead(read(&dir.join("payload.json")).as_bytes()).expect("payload");
    // In the browser the wording is the label exactly as shown (here the German one).
    let shown = |id: &str| -> String {
        match id {
            "consent" => "Ich willige ein, dass Contoso meine Angaben verarbeitet.".to_owned(),
            "newsletter" => "Schickt mir den monatlichen Newsletter".to_owned(),
            _ => String::new(),
        }
    };
    let endpoints: Vec<_> = std::iter::once(&config.endpoint)
        .chain(&config.also_send_to)
        .collect();
    let mut failures = Vec::new();
    let mut count = 0;
    for (i, endpoint) in endpoints.iter().enumerate() {
        let name = format!("{i}-{}", format!("{:?}", endpoint.format).to_lowercase());
        let name = match endpoint.encoding {
            Some(e) => format!("{name}-{}", format!("{e:?}").to_lowercase()),
            None => name,
        };
        let url = if endpoint.url.is_empty() {
            String::new()
        } else {
            format!("https://collector.example{}", endpoint.url)
        };
        let request = for_endpoint(endpoint, &url, &payload, &shown, Some("a1b2c3d4e5f6"));
        failures.extend(check(
            &dir.join(format!("{name}.request")),
            &request.to_text(),
        ));
        count += 1;
    }
    // The collector's forwarding: the secure submit, the offer's own wording in the lead's
    // locale (de), no browser cookie.
    let forward = &config.forward[0];
    let request = hubspot(
        "https://api.hsforms.com/submissions/v3/integration/secure/submit/1234567/0b5a1e2c-1111-4222-8333-444455556666",
        &forward.field_map,
        None,
        &payload,
        &offer_wording(&config, &payload),
        None,
    );
    failures.extend(check(
        &dir.join("collector-hubspot.request"),
        &request.to_text(),
    ));
    report("formats", failures, count + 1);
}
