//! `cargo xtask bench-ingest` (`make bench-ingest`): a figure, not a test. Drives
//! `POST /api/v1/leads` of a release-built collector from a second process (`wrk`, from
//! Debian) on 127.0.0.1 with realistic, distinct leads — each a new `lead_id`, validated
//! against the demo offer and scored by the collector — for SQLite and for PostgreSQL, and
//! prints sustained leads/s, p50/p99 latency and errors for docs/benchmarks.md.

use crate::{output, run, Postgres, Result};
use std::fs;
use std::io::Read;
use std::process::{Command, Stdio};

/// One lead as the widget sends it for the demo eBook (about 1.4 KB). `%s` is the lead id,
/// `%d` a running number (a distinct email).
const TEMPLATE: &str = r#"{"version":1,"lead_id":"%s","offer_id":"ebook-lead-scoring","submitted_at":"2026-11-27T08:30:00.000Z","fields":{"email":"bench-%d@contoso.example","first_name":"Ada","company":"Contoso","company_size":"250+","timeline":"now","newsletter":true,"consent":true},"context":{"page_url":"https://www.example.com/ebook?utm_source=newsletter","page_title":"The Lead Scoring Playbook","referrer":"https://search.example/","locale":"en","widget_version":"0.1.0","device":"desktop","config_hash":"9c1e02ab","time_zone":"Europe/Berlin","viewport":"large"},"events":[{"type":"page_view","at":"2026-11-27T08:28:41.000Z","url":"https://www.example.com/pricing","seconds":75,"scroll_percent":90},{"type":"page_view","at":"2026-11-27T08:29:41.000Z","url":"https://www.example.com/ebook","seconds":40,"scroll_percent":64},{"type":"offer_view","at":"2026-11-27T08:29:42.000Z","url":"https://www.example.com/ebook","offer_id":"ebook-lead-scoring"}],"form":{"seconds":41,"validation_errors":1,"refused_attempts":1,"asked":["email","first_name","company","company_size","timeline","newsletter","consent"],"known":[]},"email_domain_class":"business","attribution":{"last_touch":{"landing_page":"https://www.example.com/ebook?utm_source=newsletter","at":"2026-11-27T08:28:41.000Z","utm_source":"newsletter"}},"consent":{"purposes":[{"purpose":"marketing","field":"newsletter","granted":true,"text_hash":"0be41c77","text_version":"2026-11"},{"purpose":"processing","field":"consent","granted":true,"text_hash":"5d2f9a10","text_version":"2026-11"}],"locale":"en","page_url":"https://www.example.com/ebook","at":"2026-11-27T08:30:00.000Z","gpc":false},"score":{"fit":40,"engagement":15,"total":55,"grade":"A","level":3,"matrix":"A3","stage":"mql","queue":"enterprise","breakdown":[]}}"#;

/// wrk's script: a fresh UUID v4 and email per request.
fn lua() -> String {
    format!(
        r#"local hex = "0123456789abcdef"
local n = 0
math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16) % 100000)
local function uuid()
  local t = {{}}
  for i = 1, 32 do local r = math.random(1, 16); t[i] = hex:sub(r, r) end
  t[13] = "4"
  local v = math.random(9, 12); t[17] = hex:sub(v, v)
  local s = table.concat(t)
  return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-" .. s:sub(13, 16) .. "-" .. s:sub(17, 20) .. "-" .. s:sub(21, 32)
end
local template = [==[{TEMPLATE}]==]
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format(template, uuid(), n))
end
"#
    )
}

const SECONDS: &str = "15";
const CONNECTIONS: &str = "32";

pub fn bench() -> Result {
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("bench-ingest: installing wrk from Debian");
        run(Command::new("sh").args([
            "-c",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk",
        ]))?;
    }
    run(Command::new("cargo").args([
        "build",
        "--quiet",
        "--release",
        "-p",
        "leadmagnet-server",
        "--bin",
        "leadmagnet",
    ]))?;
    let dir = std::env::temp_dir().join(format!("leadmagnet-bench-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let script = dir.join("ingest.lua");
    fs::write(&script, lua()).map_err(|e| e.to_string())?;
    let postgres = Postgres::start()?;
    let pg_db = format!("leadmagnet_bench_{}", std::process::id());
    run(Command::new("psql").args([
        postgres.url.as_str(),
        "-q",
        "-c",
        &format!("CREATE DATABASE {pg_db}"),
    ]))?;
    let pg_url = postgres.url.replace("/postgres", &format!("/{pg_db}"));
    let sqlite_url = format!("sqlite://{}/leads.db", dir.display());

    println!(
        "\ningest benchmark: wrk, 1 thread, {CONNECTIONS} connections, {SECONDS} s, 127.0.0.1, release build, \
         ~1.4 KB leads for the demo eBook (validated and scored by the collector)"
    );
    println!("| database | leads/s | p50 | p99 | errors | requests |");
    println!("|---|---|---|---|---|---|");
    for (name, url) in [
        ("SQLite (WAL)", sqlite_url.as_str()),
        ("PostgreSQL 15", pg_url.as_str()),
    ] {
        let line = measure(url, &script)?;
        println!("| {name} | {line} |");
    }
    let _ = run(Command::new("psql").args([
        postgres.url.as_str(),
        "-q",
        "-c",
        &format!("DROP DATABASE {pg_db} WITH (FORCE)"),
    ]));
    let _ = fs::remove_dir_all(&dir);
    Ok(())
}

/// Starts the collector on `database_url`, runs wrk against it, and returns the table cells.
fn measure(database_url: &str, script: &std::path::Path) -> Result<String> {
    let mut child = Command::new("target/release/leadmagnet")
        .args([
            "serve",
            "--port",
            "0",
            "--rate-limit",
            "0",
            "--proof-of-work",
            "0",
            "--min-fill-seconds",
            "0",
        ])
        .env("LEADMAGNET_ADMIN_TOKEN", "bench-admin-token-0123456789")
        .env("DATABASE_URL", database_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the collector: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).map_err(|e| e.to_string())? == 1 && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
    });
    let line = String::from_utf8_lossy(&first).into_owned();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|u| u.trim_end_matches('/').to_owned())
        .ok_or_else(|| format!("the collector did not print its URL: {line:?}"))?;
    let report = output(Command::new("wrk").args([
        "-t1",
        "-c",
        CONNECTIONS,
        "-d",
        &format!("{SECONDS}s"),
        "--latency",
        "-s",
        &script.display().to_string(),
        &format!("{url}/api/v1/leads"),
    ]))
    .ok_or("wrk failed")?;
    let _ = child.kill();
    let _ = child.wait();
    // The run leaves hundreds of MB of dirty pages; written back during the next run, they
    // would slow that database's syncs (measured: PostgreSQL's p99 34 ms right after the
    // SQLite run, 9 ms with this).
    let _ = Command::new("sync").status();
    let find = |label: &str| {
        report
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
            .unwrap_or_else(|| "0".into())
    };
    let requests = report
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("?")
        .to_owned();
    let socket = report
        .lines()
        .find(|l| l.contains("Socket errors"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_else(|| "none".into());
    Ok(format!(
        "{} | {} | {} | {} non-2xx; {} | {requests} in {SECONDS} s",
        find("Requests/sec:"),
        find("50%"),
        find("99%"),
        find("Non-2xx"),
        socket
    ))
}
