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
fn serve_warns_about_invalid_offer_configs_at_start() {
    let dir = std::env::temp_dir().join(format!("lm-www-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("offers")).expect("dir");
    std::fs::write(dir.join("index.html"), "<!doctype html>").expect("index");
    std::fs::write(dir.join("offers/broken.json"), "{\"version\": 1}").expect("offer");
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadmagnet"))
        .args([
            "serve",
            "--port",
            "0",
            "--demo",
            "--www",
            dir.to_str().expect("path"),
        ])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/leads.db", dir.display()),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    // The first stdout line means start-up (and so the check) is done.
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("line");
    assert!(line.contains("listening on"), "{line}");
    child.kill().expect("kill");
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("WARN") && stderr.contains("offer config")
            && stderr.contains(
                "broken.json is left out (its leads are refused): / (line 1, column 1): missing key \"id\""
            ),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
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

use std::path::{Path, PathBuf};
use std::process::Output;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    root().join("crates/core/tests/fixtures")
}

fn leadmagnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadmagnet"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn validate_says_ok_or_lists_every_problem() {
    let ok = leadmagnet(&["validate", "www/offers/ebook.json"]);
    assert_eq!(
        (ok.status.code(), text(&ok.stdout).as_str()),
        (Some(0), "ok\n")
    );

    // Every config fixture: the CLI prints exactly what the fixture expects.
    for entry in std::fs::read_dir(fixtures().join("config"))
        .expect("fixtures")
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let out = leadmagnet(&["validate", path.to_str().expect("utf-8 path")]);
        let expected =
            std::fs::read_to_string(path.with_extension("out")).expect("expected output");
        // Each problem line starts with the file's name (`file:line:column: …`).
        let prefix = format!("{}:", path.display());
        let printed: String = text(&out.stdout)
            .lines()
            .map(|l| format!("{}\n", l.strip_prefix(prefix.as_str()).unwrap_or(l)))
            .collect();
        assert_eq!(printed, expected, "{}", path.display());
        assert_eq!(
            out.status.code(),
            Some(if expected == "ok\n" { 0 } else { 1 }),
            "{}",
            path.display()
        );
        assert!(
            !text(&out.stdout).contains("Error {"),
            "no Rust debug dumps"
        );
    }
}

/// Several files and folders in one run: every problem of every file, each at its file,
/// line and column, then a count; a folder stands for its `*.json` files.
#[test]
fn validate_checks_several_files_and_folders_in_one_run() {
    let offers = leadmagnet(&["validate", "www/offers"]);
    let stdout = text(&offers.stdout);
    assert_eq!(offers.status.code(), Some(0), "{stdout}");
    let count = std::fs::read_dir(root().join("www/offers"))
        .expect("offers")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .count();
    assert!(count > 3, "the demo offers are there");
    assert!(stdout.contains("www/offers/ebook.json: ok\n"), "{stdout}");
    assert!(stdout.contains("www/offers/scoring.json: ok\n"), "{stdout}");
    assert!(
        stdout.ends_with(&format!("{count} files checked, 0 with problems\n")),
        "{stdout}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let ebook = std::fs::read_to_string(root().join("www/offers/ebook.json")).expect("ebook");
    // A reading problem (a misspelt key) and a semantic one (a misspelt option) in one
    // file, a syntax error in another, a good one beside them.
    let both = ebook.replacen("\"required\"", "\"requird\"", 1).replacen(
        "\"equals\": \"now\"",
        "\"equals\": \"nwo\"",
        1,
    );
    assert_eq!(both.len(), ebook.len() - 1, "both mistakes made");
    std::fs::write(dir.path().join("a-both.json"), &both).expect("write");
    std::fs::write(
        dir.path().join("b-syntax.json"),
        "{\n  \"version\": 1,\n}\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("c-good.json"), &ebook).expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a config").expect("write");
    let out = leadmagnet(&["validate", &dir.path().to_string_lossy()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let a = dir.path().join("a-both.json");
    let line = both
        .lines()
        .position(|l| l.contains("requird"))
        .expect("the misspelt key")
        + 1;
    assert!(
        stdout.contains(&format!("{}:{line}:", a.display()))
            && stdout.contains("unknown key \"requird\" (did you mean \"required\"?)"),
        "{stdout}"
    );
    let line = both
        .lines()
        .position(|l| l.contains("nwo"))
        .expect("the misspelt option")
        + 1;
    assert!(
        stdout.contains(&format!("{}:{line}:", a.display()))
            && stdout.contains("/scoring/fit/1/equals: \"nwo\" is not an option of \"timeline\""),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{}:3:1: /: ",
            dir.path().join("b-syntax.json").display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("c-good.json: ok"), "{stdout}");
    assert!(!stdout.contains("notes.txt"), "{stdout}");
    assert!(
        stdout.ends_with("3 files checked, 2 with problems\n"),
        "{stdout}"
    );

    // Files named one by one, and a folder without configs.
    let out = leadmagnet(&[
        "validate",
        &dir.path().join("c-good.json").to_string_lossy(),
        "www/offers/quiz.json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).ends_with("2 files checked, 0 with problems\n"));
    let empty = tempfile::tempdir().expect("tempdir");
    let out = leadmagnet(&["validate", &empty.path().to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("no *.json offer configs"),
        "{}",
        text(&out.stdout)
    );
}

/// A test lead the collector would refuse is not scored: an option's label for its value,
/// a misspelt field, a misspelt event type, a wrong email, a bad time — each named at its
/// place with the fix, exit 1. In an array of leads, each at its index.
#[test]
fn score_checks_a_test_lead_as_the_collector_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lead = dir.path().join("lead.json");
    let cases: [(&str, &str); 6] = [
        (
            r#""timeline": "This quarter""#,
            r#"/fields/timeline: "This quarter" is the label of the option "now": give its value"#,
        ),
        (
            r#""timeline": "Dieses Quartal""#,
            r#"/fields/timeline: "Dieses Quartal" is the label of the option "now": give its value"#,
        ),
        (
            r#""company_sise": "250+""#,
            r#"/fields/company_sise: the offer has no field "company_sise" (did you mean "company_size"?)"#,
        ),
        (
            r#""company_size": "250 +""#,
            r#"/fields/company_size: "250 +" is not an option (did you mean "250+"?)"#,
        ),
        (
            r#""email": "ann@""#,
            r#"/fields/email: "ann@" is refused: Please enter a valid email address"#,
        ),
        (
            r#""newsletter": "yes""#,
            r#"/fields/newsletter: "yes" is refused"#,
        ),
    ];
    for (field, expected) in cases {
        std::fs::write(
            &lead,
            format!(r#"{{"fields": {{"first_name": "Ann", {field}}}, "events": []}}"#),
        )
        .expect("write");
        let out = leadmagnet(&[
            "score",
            "--config",
            "www/offers/ebook.json",
            "--lead",
            &lead.to_string_lossy(),
        ]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{field}: {stderr}");
        assert!(text(&out.stdout).is_empty(), "nothing scored for {field}");
        assert!(
            stderr.contains(&format!("{}: {expected}", lead.display())),
            "{field}: {stderr}"
        );
        assert!(
            stderr.contains("the collector would refuse this lead"),
            "{stderr}"
        );
    }

    std::fs::write(
        &lead,
        r#"[{"fields": {"email": "ann@contoso.example"}, "events": [{"type": "page_view", "at": "2026-11-27T12:00:00Z"}]},
            {"fields": {}, "events": [{"type": "pricing_visit", "at": "2026-11-27T12:00:00Z"}, {"type": "page_veiw", "at": "yesterday"}]}]"#,
    )
    .expect("write");
    let out = leadmagnet(&[
        "score",
        "--config",
        "www/offers/ebook.json",
        "--lead",
        &lead.to_string_lossy(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "/1/events/0/type: unknown event type \"pricing_visit\"; the widget records page_view"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "/1/events/1/type: unknown event type \"page_veiw\" (did you mean \"page_view\"?)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("/1/events/1/at: \"yesterday\" is not an RFC 3339 time"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(": /0/"),
        "the first lead is fine: {stderr}"
    );

    // The same lead, corrected, scores.
    std::fs::write(
        &lead,
        r#"{"fields": {"email": "ann@contoso.example", "timeline": "now", "company_size": "250+"}, "events": [{"type": "page_view", "at": "2026-11-27T12:00:00Z"}]}"#,
    )
    .expect("write");
    let out = leadmagnet(&[
        "score",
        "--config",
        "www/offers/ebook.json",
        "--lead",
        &lead.to_string_lossy(),
        "--now",
        "2026-11-27T12:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("\"fit\": 40"), "{stdout}");
    // With the explanation: why (not) an MQL, what did not count, which entry routed.
    assert!(stdout.contains("\"explanation\": ["), "{stdout}");
    assert!(
        stdout.contains("\"MQL: total 40 ≥ 40 and grade A is B or better\""),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#""queue \"enterprise\": routing entry 0, the first whose condition holds (company_size equals \"250+\")""#),
        "{stdout}"
    );
}

/// The snippet names the real script path, and one script for every offer: an offer that
/// needs the full build gets leadmagnet.js too, with the full build's part and wasm
/// preloaded; `--script …/leadmagnet-full.js` preloads that build's wasm.
#[test]
fn render_names_one_script_and_preloads_what_it_fetches() {
    let dist = tempfile::tempdir().expect("tempdir");
    for name in [
        "leadmagnet-0123456789ab.wasm",
        "leadmagnet-full-ba9876543210.wasm",
        "leadmagnet-full-ba9876543210.part.js",
        "leadmagnet-check-111111111111.wasm",
    ] {
        std::fs::write(dist.path().join(name), "x").expect("write");
    }
    let dist_arg = dist.path().to_string_lossy().into_owned();
    let run = |config: &str, extra: &[&str]| {
        let mut args = vec![
            "render",
            config,
            "--config-url",
            "https://leads.example.com/offers/x.json",
            "--dist",
            &dist_arg,
        ];
        args.extend_from_slice(extra);
        let out = leadmagnet(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let preload = |url: &str, kind: &str| {
        let cors = if kind == "fetch" {
            " crossorigin=\"anonymous\""
        } else {
            ""
        };
        format!("<link rel=\"preload\" href=\"https://leads.example.com/dist/{url}\" as=\"{kind}\"{cors}>")
    };
    let script = "<script src=\"https://leads.example.com/dist/leadmagnet.js\" async></script>";

    let slide_in = run("www/offers/newsletter-slide-in.json", &[]);
    assert!(slide_in.contains(script), "{slide_in}");
    assert!(
        slide_in.contains(&preload("leadmagnet-0123456789ab.wasm", "fetch")),
        "{slide_in}"
    );
    assert!(
        slide_in.contains(&preload("leadmagnet-full-ba9876543210.wasm", "fetch")),
        "{slide_in}"
    );
    assert!(
        slide_in.contains(&preload("leadmagnet-full-ba9876543210.part.js", "script")),
        "{slide_in}"
    );
    assert!(
        !slide_in.contains("shadowrootmode"),
        "overlays are drawn in the browser"
    );

    // Inline offers, calculators included: the default build only, rendered on the server.
    for inline in ["www/offers/ebook.json", "www/offers/roi-calculator.json"] {
        let out = run(inline, &[]);
        assert!(out.contains(script), "{out}");
        assert!(
            out.contains(&preload("leadmagnet-0123456789ab.wasm", "fetch")),
            "{out}"
        );
        assert!(!out.contains("leadmagnet-full"), "{inline}: {out}");
        assert!(out.contains("shadowrootmode=\"open\""), "{inline}");
    }

    let full = run(
        "www/offers/newsletter-slide-in.json",
        &["--script", "https://cdn.example.com/lm/leadmagnet-full.js"],
    );
    assert!(
        full.contains(
            "<script src=\"https://cdn.example.com/lm/leadmagnet-full.js\" async></script>"
        ),
        "{full}"
    );
    assert!(
        full.contains("href=\"https://cdn.example.com/lm/leadmagnet-full-ba9876543210.wasm\""),
        "{full}"
    );
    assert!(
        !full.contains("part.js") && !full.contains("leadmagnet-0123456789ab"),
        "{full}"
    );
}

#[test]
fn validate_names_an_unreadable_file() {
    let out = leadmagnet(&["validate", "no/such/offer.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with("no/such/offer.json: cannot read:"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn schema_is_the_committed_one() {
    let out = leadmagnet(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let committed =
        std::fs::read_to_string(root().join("www/schema/offer.v1.json")).expect("committed schema");
    assert_eq!(
        text(&out.stdout),
        committed,
        "run `leadmagnet schema > www/schema/offer.v1.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).expect("schema is JSON");
    let props = schema["properties"].as_object().expect("properties");
    for key in [
        "version",
        "id",
        "offer",
        "fields",
        "profiling",
        "scoring",
        "endpoint",
    ] {
        assert!(props.contains_key(key), "schema lacks {key}");
    }
    assert_eq!(
        schema["additionalProperties"], false,
        "typos are flagged in editors too"
    );
}

#[test]
fn score_matches_the_core_fixtures() {
    let dir = fixtures().join("score");
    for case in [
        "senior-enterprise-mql",
        "freemail-and-disposable-are-disjoint",
        "combinators-no-decay",
    ] {
        let case_dir = dir.join(case);
        let config = if case_dir.join("config.json").exists() {
            case_dir.join("config.json")
        } else {
            dir.join("config.json")
        };
        let now = std::fs::read_to_string(case_dir.join("now")).expect("now");
        let out = leadmagnet(&[
            "score",
            "--config",
            config.to_str().expect("path"),
            "--lead",
            case_dir.join("lead.json").to_str().expect("path"),
            "--now",
            now.trim(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let expected = std::fs::read_to_string(case_dir.join("expected.json")).expect("expected");
        // The fixture's score, with the explanation the CLI adds to each.
        let mut printed: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("score prints JSON");
        let expected: serde_json::Value = serde_json::from_str(&expected).expect("fixture");
        let scores = match printed.as_array_mut() {
            Some(all) => all.iter_mut().collect::<Vec<_>>(),
            None => vec![&mut printed],
        };
        for score in scores {
            let explanation = score
                .as_object_mut()
                .and_then(|o| o.remove("explanation"))
                .unwrap_or_else(|| panic!("{case}: no explanation"));
            let lines = explanation.as_array().expect("lines").len();
            assert!(lines >= 2, "{case}: {explanation}");
        }
        assert_eq!(printed, expected, "{case}");
    }
}

#[test]
fn score_assesses_a_person_as_the_contact_fixtures_say() {
    let config = fixtures().join("score/config.json");
    for case in ["mql-at-a-later-event", "only-forward-after-decay"] {
        let case_dir = fixtures().join("contact").join(case);
        let now = std::fs::read_to_string(case_dir.join("now")).expect("now");
        let out = leadmagnet(&[
            "score",
            "--config",
            config.to_str().expect("path"),
            "--contact",
            case_dir.join("person.json").to_str().expect("path"),
            "--now",
            now.trim(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let expected = std::fs::read_to_string(case_dir.join("expected.json")).expect("expected");
        assert_eq!(text(&out.stdout), expected, "{case}");
    }
    // A person file with a wrong place is named, with the file.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("person.json");
    std::fs::write(
        &bad,
        r#"{"submissions": [{"received_at": "yesterday", "lead": {"version": 1, "lead_id": "019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d", "offer_id": "o", "submitted_at": "2026-11-01T10:00:00.000Z", "fields": {}, "context": {"page_url": "https://x.example/"}}}]}"#,
    )
    .expect("write");
    let out = leadmagnet(&[
        "score",
        "--config",
        config.to_str().expect("path"),
        "--contact",
        bad.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("person.json") && err.contains("/submissions/0/received_at"),
        "{err}"
    );
    let neither = leadmagnet(&["score", "--config", config.to_str().expect("path")]);
    assert_ne!(
        neither.status.code(),
        Some(0),
        "--lead or --contact is needed"
    );
}

#[test]
fn score_names_the_file_and_place_of_bad_input() {
    let dir = std::env::temp_dir().join(format!("lm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = fixtures().join("score/config.json");
    let config = config.to_str().expect("path");
    let bad_shape = dir.join("shape.json");
    std::fs::write(&bad_shape, "{\"fields\": {\"email\": 5}}").expect("write");
    let bad_time = dir.join("time.json");
    std::fs::write(
        &bad_time,
        "[{\"events\": [{\"type\": \"page_view\", \"at\": \"tuesday\"}]}]",
    )
    .expect("write");
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "fields: 1").expect("write");
    let cases = [
        (
            bad_shape,
            "shape.json:1:22: /fields/email: expected a string, a boolean or a list of strings, found the number 5",
        ),
        (
            bad_time,
            "time.json: /0/events/0/at: \"tuesday\" is not an RFC 3339 time",
        ),
        (not_json, "not.json:1:1: /: expected a value, found `f`"),
    ];
    for (file, message) in cases {
        let out = leadmagnet(&[
            "score",
            "--config",
            config,
            "--lead",
            file.to_str().expect("path"),
        ]);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
    }
    let out = leadmagnet(&[
        "score", "--config", config, "--lead", "x.json", "--now", "soon",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = leadmagnet(&["score", "--config", config]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing --lead is a usage error"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fields_follow_the_profile() {
    let config = fixtures().join("fields/config.json");
    let profile = fixtures().join("fields/visit-2-knows-name-and-company/profile.json");
    let out = leadmagnet(&[
        "fields",
        "--config",
        config.to_str().expect("path"),
        "--profile",
        profile.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let ids: Vec<String> = serde_json::from_slice(&out.stdout).expect("json array");
    assert_eq!(ids, ["email", "role", "company_size", "consent"]);
    let first = leadmagnet(&["fields", "--config", config.to_str().expect("path")]);
    let ids: Vec<String> = serde_json::from_slice(&first.stdout).expect("json array");
    assert_eq!(ids, ["email", "first_name", "company", "consent"]);
}

/// The start-up banner, up to its `limits:` line, of `serve` with `env`.
fn banner(env: &[(&str, &str)], args: &[&str]) -> String {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadmagnet"));
    cmd.args(["serve", "--port", "0"])
        .args(args)
        .env_remove("LEADMAGNET_ADMIN_TOKEN")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/leads.db", dir.path().display()),
        )
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("binary runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let done = line.contains("limits:");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().expect("kill");
    let _ = child.wait();
    lines.join("\n")
}

#[test]
fn serve_never_prints_a_token_from_the_environment() {
    let secret = "operator-secret-token-0123456789";
    for args in [&[][..], &["--demo"][..]] {
        let shown = banner(&[("LEADMAGNET_ADMIN_TOKEN", secret)], args);
        assert!(!shown.contains(secret), "{args:?}: {shown}");
        assert!(
            shown.contains("from LEADMAGNET_ADMIN_TOKEN (not shown)"),
            "{shown}"
        );
        assert!(shown.contains("Bearer $LEADMAGNET_ADMIN_TOKEN"), "{shown}");
    }
    // A throwaway demo token is the one to copy, so it is shown.
    let demo = banner(&[], &["--demo"]);
    let token = demo
        .lines()
        .find_map(|l| l.trim().strip_prefix("admin token: "))
        .expect("the demo token line");
    assert_eq!(token.len(), 32, "{demo}");
    assert!(demo.contains(&format!("Bearer {token}")));
    assert!(
        demo.contains("limits:") && demo.contains("connections"),
        "{demo}"
    );
}

/// An offer folder in `dir` holding the demo eBook offer.
fn offer_folder(dir: &Path) -> PathBuf {
    let offers = dir.join("offers");
    std::fs::create_dir_all(&offers).expect("offers");
    std::fs::copy(
        root().join("www/offers/ebook.json"),
        offers.join("ebook.json"),
    )
    .expect("copy");
    offers
}

/// The start-up lines a collector prints, up to the one containing `last`. The caller
/// keeps `reader` open: a collector printing to a closed pipe would fail.
fn banner_until(reader: &mut impl std::io::BufRead, last: &str) -> String {
    let mut banner = String::new();
    while !banner.contains(last) {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("line") == 0 {
            break;
        }
        banner.push_str(&line);
    }
    banner
}

/// A collector (`leadmagnet serve --port 0 …`) on a fresh SQLite file in `dir`, started
/// through `sh -c "<prefix> exec …"` when `shell` names a prefix (e.g. `ulimit -n 128 &&`);
/// its stdout stays open in the returned reader.
fn serve_in(
    dir: &Path,
    shell: &str,
    args: &[&str],
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
) {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("{shell} exec \"$0\" serve --port 0 \"$@\""))
        .arg(env!("CARGO_BIN_EXE_leadmagnet"))
        .args(args)
        .env("LEADMAGNET_ADMIN_TOKEN", "cli-test-token-0123456789")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/leads.db", dir.display()),
        )
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("binary runs");
    let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    (child, stdout)
}

/// The `http://host:port` address in a collector's banner, as `host:port`.
fn address(banner: &str) -> String {
    banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .map(|a| a.trim_end_matches('/').to_owned())
        .expect("address")
}

/// POSTs a lead body to the collector at `addr` over a plain socket; the status code.
fn post_lead(addr: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "POST /api/v1/leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.chars().skip(9).take(3).collect()
}

/// With few file descriptors and a flood of idle connections (the ~20,000 that once left
/// the collector unable to read its offer folder, scaled to a limit of 128), the collector
/// keeps descriptors for its database and files: the surplus waits unaccepted, idle ones
/// are cut off, an offer change is read, and a lead sent meanwhile is stored.
#[test]
fn a_connection_flood_cannot_take_the_descriptors_the_collector_needs() {
    use std::net::TcpStream;
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("temp dir");
    let offers = offer_folder(dir.path());
    let offers_arg = offers.to_str().expect("path");
    let (mut child, mut stdout) = serve_in(
        dir.path(),
        "ulimit -n 128 &&",
        &[
            "--header-timeout",
            "1",
            "--rate-limit",
            "0",
            "--offers",
            offers_arg,
        ],
    );
    let banner = banner_until(&mut stdout, "limits:");
    assert!(banner.contains("limits:      16 connections"), "{banner}");
    let addr = address(&banner);
    // Two hundred idle connections: far more than the 128 descriptors.
    let held: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    assert!(held.len() >= 150, "only {} connected", held.len());
    // The offer folder changes meanwhile: read again, not swapped for an empty one.
    let config = std::fs::read_to_string(offers.join("ebook.json")).expect("read");
    std::fs::write(
        offers.join("ebook.json"),
        config.replace("The Lead Scoring Playbook", "The Lead Scoring Playbook 2"),
    )
    .expect("write");
    std::thread::sleep(Duration::from_secs(3));
    let body = r#"{"version": 1, "lead_id": "019cc3f2-8b1e-7a4d-8f6b-00000000f100", "offer_id": "ebook-lead-scoring", "submitted_at": "2026-11-27T08:30:00.000Z", "fields": {"email": "flood@example.com", "consent": true}, "context": {"page_url": "http://127.0.0.1/"}}"#;
    let answer = post_lead(&addr, body);
    drop(held);
    child.kill().expect("kill");
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(answer, "201", "{stderr}");
    assert!(
        !stderr.contains("cannot read the offer configs"),
        "the folder stayed readable: {stderr}"
    );
}

/// A FIFO in the offer folder (or any file that is not a regular one) never blocks the
/// start, a reload or the exit: it is left out with a warning, and SIGTERM ends the
/// process within its grace.
#[test]
fn a_fifo_in_the_offer_folder_blocks_neither_start_nor_exit() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().expect("temp dir");
    let offers = offer_folder(dir.path());
    let made = Command::new("mkfifo")
        .arg(offers.join("pipe.json"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadmagnet"))
        .args(["serve", "--port", "0", "--offers"])
        .arg(&offers)
        .env("LEADMAGNET_ADMIN_TOKEN", "fifo-test-token-0123456789")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/leads.db", dir.path().display()),
        )
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let banner = banner_until(&mut stdout, "offers:");
    assert!(
        banner.contains("offers:") && banner.contains("ebook-lead-scoring"),
        "{banner}"
    );
    // A change to the folder makes the watcher read it again, FIFO and all.
    std::fs::write(offers.join("touch.json"), "{}").expect("write");
    std::thread::sleep(Duration::from_secs(3));
    let stopped = Instant::now();
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if stopped.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("still running 15 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pipe.json is left out (its leads are refused): not a regular file"),
        "{stderr}"
    );
}

/// The account-wide scoring model (`scoring.json`): its committed schema, `validate` with
/// every problem located, and `score` against it.
#[test]
fn the_scoring_model_has_its_schema_validates_and_scores() {
    let out = leadmagnet(&["schema", "--model"]);
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(root().join("www/schema/scoring.v1.json"))
        .expect("committed schema");
    assert_eq!(
        text(&out.stdout),
        committed,
        "run `leadmagnet schema --model > www/schema/scoring.v1.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).expect("json");
    let keys: std::collections::BTreeSet<String> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect();
    let reader: std::collections::BTreeSet<String> =
        <leadmagnet_core::account::ScoringModel as leadmagnet_core::json::JsonKeys>::KEYS
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
    assert_eq!(keys, reader, "schema (left) vs reader (right)");

    let out = leadmagnet(&["validate", "www/offers/scoring.json"]);
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (Some(0), "ok\n".into())
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("scoring.json");
    let model = std::fs::read_to_string(root().join("www/offers/scoring.json")).expect("model");
    std::fs::write(
        &broken,
        model
            .replace(r#""in": ["50-249", "250+"]"#, r#""in": ["50-249", "251+"]"#)
            .replace(
                r#""page_view", "url_contains""#,
                r#""page_veiw", "url_contains""#,
            ),
    )
    .expect("write");
    let out = leadmagnet(&["validate", &broken.to_string_lossy()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("/scoring/fit/0/in/1: \"251+\" is not an option"),
        "{stdout}"
    );
    assert!(
        stdout.contains("/scoring/engagement/0/event: unknown event \"page_veiw\""),
        "{stdout}"
    );
    std::fs::write(&broken, model.replace("\"fields\"", "\"feilds\"")).expect("write");
    let out = leadmagnet(&["validate", &broken.to_string_lossy()]);
    assert!(
        text(&out.stdout).contains("feilds"),
        "{}",
        text(&out.stdout)
    );

    let lead = dir.path().join("facts.json");
    std::fs::write(
        &lead,
        r#"{"fields": {"email": "ann@contoso.example", "company_size": "250+", "timeline": "now"},
            "events": [{"type": "page_view", "at": "2026-11-26T12:00:00Z", "url": "https://x.example/pricing"}]}"#,
    )
    .expect("write");
    let out = leadmagnet(&[
        "score",
        "--config",
        "www/offers/scoring.json",
        "--lead",
        &lead.to_string_lossy(),
        "--now",
        "2026-11-27T12:00:00Z",
    ]);
    let score: serde_json::Value = serde_json::from_slice(&out.stdout).expect("score json");
    assert_eq!(score["fit"], 40, "{score}");
    assert_eq!(score["grade"], "A", "{score}");
    assert_eq!(score["queue"], "enterprise", "{score}");
}

/// The JSON Schema marketers' editors check against and the reader the collector checks
/// with know the same keys, type by type: a key only the schema has would be refused on
/// upload; one only the reader has would be flagged by the editor.
#[test]
fn the_schemas_keys_and_the_readers_keys_are_the_same_set() {
    use leadmagnet_core::config::*;
    use leadmagnet_core::json::JsonKeys;
    use leadmagnet_core::rule::Rule;
    use leadmagnet_core::scoring::{EngagementLevel, FitGrade, Mql, Route, Scoring};
    use std::collections::BTreeSet;
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("www/schema/offer.v1.json")).expect("schema"),
    )
    .expect("json");
    let readers: Vec<(&str, &[&str])> = vec![
        ("", OfferConfig::KEYS),
        ("Analytics", Analytics::KEYS),
        ("Asset", Asset::KEYS),
        ("Calculator", Calculator::KEYS),
        ("Cover", Cover::KEYS),
        ("Display", Display::KEYS),
        ("Endpoint", Endpoint::KEYS),
        ("EngagementLevel", EngagementLevel::KEYS),
        ("Field", Field::KEYS),
        ("FieldOption", FieldOption::KEYS),
        ("FitGrade", FitGrade::KEYS),
        ("Forward", Forward::KEYS),
        ("Frequency", Frequency::KEYS),
        ("Mql", Mql::KEYS),
        ("NumberFormat", NumberFormat::KEYS),
        ("Offer", Offer::KEYS),
        ("Profiling", Profiling::KEYS),
        ("Quiz", Quiz::KEYS),
        ("QuizResult", QuizResult::KEYS),
        ("Route", Route::KEYS),
        ("Rule", Rule::KEYS),
        ("Scoring", Scoring::KEYS),
        ("Step", Step::KEYS),
        ("Trigger", Trigger::KEYS),
        ("Variant", Variant::KEYS),
    ];
    let properties = |def: &serde_json::Value| -> Option<BTreeSet<String>> {
        def["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
    };
    for (name, keys) in &readers {
        let def = if name.is_empty() {
            &schema
        } else {
            &schema["$defs"][name]
        };
        let in_schema =
            properties(def).unwrap_or_else(|| panic!("the schema has no object {name}"));
        let in_reader: BTreeSet<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        assert_eq!(
            in_schema,
            in_reader,
            "{}: schema (left) vs reader (right)",
            if name.is_empty() { "OfferConfig" } else { name }
        );
    }
    // Every object of the schema is covered above: a new type cannot slip past.
    let covered: BTreeSet<&str> = readers.iter().map(|(n, _)| *n).collect();
    for (name, def) in schema["$defs"].as_object().expect("$defs") {
        if properties(def).is_some() {
            assert!(
                covered.contains(name.as_str()),
                "{name}: add it to this test"
            );
        }
    }
}

/// The offer folder is read again when a file is added, changed or removed (the watcher
/// looks every 2 s): a new offer takes leads, a removed one refuses them. How long each
/// took is printed as a figure, not asserted (shared machines are noisy).
#[test]
fn the_offer_folder_reloads_on_add_change_and_remove() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().expect("temp dir");
    let offers = offer_folder(dir.path());
    let offers_arg = offers.to_str().expect("path");
    let (mut child, mut stdout) = serve_in(
        dir.path(),
        "",
        &["--rate-limit", "0", "--offers", offers_arg],
    );
    let addr = address(&banner_until(&mut stdout, "offers:"));
    let count = std::cell::Cell::new(0u32);
    // The status of a lead for `offer` (each with a new id).
    let status = |offer: &str| -> String {
        count.set(count.get() + 1);
        let n = count.get();
        post_lead(
            &addr,
            &format!(
                r#"{{"version": 1, "lead_id": "019cc3f2-8b1e-7a4d-8f6b-{n:012x}", "offer_id": "{offer}", "submitted_at": "2026-11-27T08:30:00.000Z", "fields": {{"email": "r{n}@example.com", "consent": true}}, "context": {{"page_url": "http://127.0.0.1/"}}}}"#
            ),
        )
    };
    let until = |offer: &str, want: &str, what: &str| {
        let started = Instant::now();
        loop {
            let got = status(offer);
            if got == want {
                eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what}: still {got}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    until("webinar", "422", "unknown before it exists");
    let config = std::fs::read_to_string(offers.join("ebook.json")).expect("read");
    let webinar = config.replace("\"ebook-lead-scoring\"", "\"webinar\"");
    assert_ne!(webinar, config);
    std::fs::write(offers.join("webinar.json"), &webinar).expect("write");
    until("webinar", "201", "added: takes leads after");
    // Changed: the offer id in the file moves.
    std::fs::write(
        offers.join("webinar.json"),
        webinar.replace("\"webinar\"", "\"webinar-2\""),
    )
    .expect("write");
    until("webinar-2", "201", "changed: the new id takes leads after");
    assert_eq!(
        status("webinar"),
        "422",
        "the old id is gone with the change"
    );
    std::fs::remove_file(offers.join("webinar.json")).expect("remove");
    until("webinar-2", "422", "removed: refused after");
    assert_eq!(
        status("ebook-lead-scoring"),
        "201",
        "the other offer was never affected"
    );
    child.kill().expect("kill");
    let _ = child.wait();
}

/// The marketer's guide in the README, steps 3 and 4, on the shipped templates: the starter
/// offer validates, and the README's test lead scores as the README says.
#[test]
fn the_readme_starter_steps_say_what_the_program_says() {
    let out = leadmagnet(&["validate", "templates/offers"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tempfile::tempdir().expect("tmp");
    let readme = std::fs::read_to_string(root().join("README.md")).expect("readme");
    // The test lead exactly as README step 4 writes it.
    let lead = readme
        .split("echo '")
        .nth(1)
        .and_then(|rest| rest.split("' > lead.json").next())
        .expect("README step 4's test lead");
    std::fs::write(dir.path().join("lead.json"), lead).expect("lead");
    let lead_path = dir.path().join("lead.json");
    let out = leadmagnet(&[
        "score",
        "--config",
        "templates/offers/starter.json",
        "--lead",
        lead_path.to_str().expect("utf-8"),
        "--now",
        "2026-12-01T10:00:00Z",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(readme.contains("--lead lead.json --now 2026-12-01T10:00:00Z"));
    let said =
        "not an MQL: MQL needs a total of 25 or more: total 20 < 25 (fit 10 + engagement 10)";
    let scored: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(scored["explanation"][0], said);
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("`{said}`")), "the README quotes it");
}
