//! `cargo xtask bench-ingest` (`make bench-ingest`): figures, not a test. Drives
//! `POST /api/v1/leads` of a release-built collector on 127.0.0.1 with realistic, distinct
//! leads — each with a new `lead_id` made as the widget makes it, validated against the
//! demo offer and scored by the collector — for SQLite and for PostgreSQL, with
//! [`crate::load`] in two ways, and prints the tables for docs/benchmarks.md:
//! - **saturation**: 32 connections each sending its next lead when the last answer
//!   arrives, for 15 s: the most leads/s the machine takes;
//! - **paced**: a fixed 5,000 leads/s (the goal) offered for 30 s over 64 connections,
//!   with each latency counted from when its request was due.
//!
//! Beside each run, [`crate::disk`] counts the bytes written and times an fsync probe.

use crate::{disk, load, run, spawn_collector, Postgres, Result};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// One lead as the widget sends it for the demo eBook (about 1.4 KB). `%s` is the lead id,
/// `%d` a running number (a distinct email).
pub(crate) const TEMPLATE: &str = r#"{"version":1,"lead_id":"%s","offer_id":"ebook-lead-scoring","submitted_at":"2026-11-27T08:30:00.000Z","fields":{"email":"bench-%d@contoso.example","first_name":"Ada","company":"Contoso","company_size":"250+","timeline":"now","newsletter":true,"consent":true},"context":{"page_url":"https://www.example.com/ebook?utm_source=newsletter","page_title":"The Lead Scoring Playbook","referrer":"https://search.example/","locale":"en","widget_version":"0.1.0","device":"desktop","config_hash":"9c1e02ab","time_zone":"Europe/Berlin","viewport":"large"},"events":[{"type":"page_view","at":"2026-11-27T08:28:41.000Z","url":"https://www.example.com/pricing","seconds":75,"scroll_percent":90},{"type":"page_view","at":"2026-11-27T08:29:41.000Z","url":"https://www.example.com/ebook","seconds":40,"scroll_percent":64},{"type":"offer_view","at":"2026-11-27T08:29:42.000Z","url":"https://www.example.com/ebook","offer_id":"ebook-lead-scoring"}],"form":{"seconds":41,"validation_errors":1,"refused_attempts":1,"asked":["email","first_name","company","company_size","timeline","newsletter","consent"],"known":[]},"email_domain_class":"business","attribution":{"last_touch":{"landing_page":"https://www.example.com/ebook?utm_source=newsletter","at":"2026-11-27T08:28:41.000Z","utm_source":"newsletter"}},"consent":{"purposes":[{"purpose":"marketing","field":"newsletter","granted":true,"text_hash":"0be41c77","text_version":"2026-11"},{"purpose":"processing","field":"consent","granted":true,"text_hash":"5d2f9a10","text_version":"2026-11"}],"locale":"en","page_url":"https://www.example.com/ebook","at":"2026-11-27T08:30:00.000Z","gpc":false},"score":{"fit":40,"engagement":15,"total":55,"grade":"A","level":3,"matrix":"A3","stage":"mql","queue":"enterprise","breakdown":[]}}"#;

/// The saturation run: this many connections, for this long.
const SATURATION_LANES: u32 = 32;
const SATURATION_SECONDS: u32 = 15;
/// The paced run: the goal's rate, for this long, over this many connections.
const PACED_RATE: u32 = 5_000;
const PACED_SECONDS: u32 = 30;
const PACED_LANES: u32 = 64;

/// The paced run's n-th lead: the template with a unique UUID v7 made as the widget makes
/// it, from the time of sending, and a distinct email. One lead in fifty comes from a
/// visitor whose clock is off by up to a day either way, so its id lands inside the index
/// rather than at its end. The random bits hold all 64 bits of SplitMix64(n), a
/// bijection, so no two `n` share an id.
fn paced_lead(n: u64) -> String {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    const DAY_MS: u64 = 86_400_000;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let (random, other) = (mix(n), mix(n ^ 0x5bd1_e995_5bd1_e995));
    let ms = if other % 50 == 0 {
        (now + (other >> 8) % (2 * DAY_MS)).saturating_sub(DAY_MS)
    } else {
        now
    };
    let mut bits = [0u8; 10];
    bits[..8].copy_from_slice(&random.to_be_bytes());
    bits[8..].copy_from_slice(&other.to_be_bytes()[..2]);
    // new_lead_id keeps the low 4 bits of byte 0 and the low 6 of byte 2 (version and
    // variant take the rest), so spread `random` over bytes 0, 1 and 3.. to keep all of it.
    let spread = [
        bits[0] >> 4,
        bits[1],
        bits[0] & 0x0f,
        bits[2],
        bits[3],
        bits[4],
        bits[5],
        bits[6],
        bits[7],
        bits[8],
    ];
    let id = leadmagnet_core::payload::new_lead_id(ms, spread);
    TEMPLATE
        .replacen("%s", &id, 1)
        .replacen("%d", &format!("paced-{n}"), 1)
}

/// The saturation run's n-th lead: as [`paced_lead`], from a range of `n` the paced run
/// never reaches.
fn saturation_lead(n: u64) -> String {
    paced_lead(n + (1 << 40))
}

/// `only`: `sqlite` or `postgres` measures that database alone.
/// The release-built collector and a fresh database of each kind for a benchmark, dropped
/// (the PostgreSQL database and the SQLite folder) when it goes.
pub(crate) struct Databases {
    pub(crate) sqlite_url: String,
    pub(crate) pg_url: String,
    dir: std::path::PathBuf,
    postgres: Postgres,
    pg_db: String,
}

impl Databases {
    /// Checks `only` (`sqlite`, `postgres` or none), builds the collector in release mode and
    /// makes the databases, named after `name` and this process.
    pub(crate) fn prepare(task: &str, name: &str, only: Option<&str>) -> Result<Databases> {
        if only.is_some_and(|o| o != "sqlite" && o != "postgres") {
            return Err(format!(
                "{task} takes `sqlite` or `postgres` (or nothing, for both)"
            ));
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
        let id = std::process::id();
        let dir = std::env::temp_dir().join(format!("leadmagnet-{name}-{id}"));
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let postgres = Postgres::start()?;
        let pg_db = format!("leadmagnet_{}_{id}", name.replace('-', "_"));
        run(Command::new("psql").args([
            postgres.url.as_str(),
            "-q",
            "-c",
            &format!("CREATE DATABASE {pg_db}"),
        ]))?;
        Ok(Databases {
            pg_url: postgres.url.replace("/postgres", &format!("/{pg_db}")),
            sqlite_url: format!("sqlite://{}/leads.db", dir.display()),
            dir,
            postgres,
            pg_db,
        })
    }

    /// (key, name, URL) of each database `only` lets run.
    pub(crate) fn each(&self, only: Option<&str>) -> Vec<(&'static str, &'static str, &str)> {
        [
            ("sqlite", "SQLite (WAL)", self.sqlite_url.as_str()),
            ("postgres", "PostgreSQL 15", self.pg_url.as_str()),
        ]
        .into_iter()
        .filter(|(key, _, _)| only.is_none_or(|o| o == *key))
        .collect()
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        let _ = run(Command::new("psql").args([
            self.postgres.url.as_str(),
            "-q",
            "-c",
            &format!("DROP DATABASE {} WITH (FORCE)", self.pg_db),
        ]));
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub fn bench(only: Option<&str>) -> Result {
    let databases = Databases::prepare("bench-ingest", "bench", only)?;
    let dir = databases.dir();
    let mut rows = Vec::new();
    for (_, name, url) in databases.each(only) {
        let (saturated, paced) = measure(url, dir)?;
        rows.push((name, saturated, paced));
    }
    println!(
        "\ningest benchmark, 127.0.0.1, release build, ~1.4 KB leads for the demo eBook \
         (validated and scored by the collector), {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "\nsaturation: {SATURATION_LANES} connections, each sending its next lead when the last \
         answer arrives, {SATURATION_SECONDS} s"
    );
    table(rows.iter().map(|(name, saturated, _)| (*name, saturated)));
    println!(
        "\npaced: {PACED_RATE} leads/s offered for {PACED_SECONDS} s over {PACED_LANES} connections, \
         latency from each request's due time"
    );
    table(rows.iter().map(|(name, _, paced)| (*name, paced)));
    println!(
        "(disk written: all block devices, during the run and the `sync` after it; probe: a \
         4 KiB write + fsync every 10 ms beside the load, in the bench's directory)"
    );
    Ok(())
}

/// A run's figures and what the disk did meanwhile.
struct Run {
    load: load::Figures,
    /// Bytes written to the disks during the run and the `sync` after it.
    written: Option<u64>,
    syncs: disk::Syncs,
}

/// The markdown table of one kind of run, a row per database.
fn table<'a>(rows: impl Iterator<Item = (&'a str, &'a Run)>) {
    println!(
        "| database | leads/s answered 201 | p50 | p99 | max | errors | disk written per lead | \
         probe fsync p99 / max |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    for (name, run) in rows {
        let l = &run.load;
        let per_lead = run.written.map_or("?".into(), |b| {
            format!("{:.1} KB", b as f64 / l.sent.max(1) as f64 / 1e3)
        });
        println!(
            "| {name} | {:.0} | {:.2}ms | {:.2}ms | {:.1}ms | {} of {} | {per_lead} | {:.1}ms / {:.1}ms |",
            l.achieved,
            ms(l.p50),
            ms(l.p99),
            ms(l.max),
            l.errors,
            l.sent,
            ms(run.syncs.p99),
            ms(run.syncs.max),
        );
    }
}

/// Starts the collector on a fresh `database_url`, saturates it, then runs the paced load
/// on the same store; the disk is watched ([`disk`]) from `dir`.
fn measure(database_url: &str, dir: &Path) -> Result<(Run, Run)> {
    let (mut child, url) = spawn_collector(
        Command::new("target/release/leadmagnet")
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
            .stderr(Stdio::null()),
    )?;
    let addr = url.trim_start_matches("http://");
    let saturated = watched(dir, || {
        load::drive(
            addr,
            load::LEADS,
            None,
            SATURATION_SECONDS,
            SATURATION_LANES,
            saturation_lead,
        )
    });
    let paced = watched(dir, || {
        load::drive(
            addr,
            load::LEADS,
            Some(PACED_RATE),
            PACED_SECONDS,
            PACED_LANES,
            paced_lead,
        )
    });
    let _ = child.kill();
    let _ = child.wait();
    Ok((saturated?, paced?))
}

/// Runs `load` with the disk watched. Starts and ends with a `sync`: a run leaves hundreds
/// of MB of dirty pages, and written back during the next run they would slow its syncs
/// (measured: PostgreSQL's p99 34 ms right after the SQLite run, 9 ms with this).
fn watched(dir: &Path, load: impl FnOnce() -> Result<load::Figures>) -> Result<Run> {
    let _ = Command::new("sync").status();
    let before = disk::bytes_written();
    let probe = disk::Probe::start(dir);
    let figures = load();
    let syncs = probe.stop();
    let _ = Command::new("sync").status();
    let written = before
        .zip(disk::bytes_written())
        .map(|(b, a)| a.saturating_sub(b));
    Ok(Run {
        load: figures?,
        written,
        syncs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadmagnet_core::payload::parse_lead_id;

    fn id(lead: &str) -> &str {
        let at = lead.find(r#""lead_id":""#).expect("lead_id") + 11;
        &lead[at..at + 36]
    }

    #[test]
    fn bench_leads_carry_distinct_v7_ids_of_now_and_a_few_skewed_clocks() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut ids = std::collections::HashSet::new();
        let mut skewed = 0;
        for n in (0..5_000).chain((0..5_000).map(|n| n + (1 << 40))) {
            let lead = if n < 1 << 40 {
                paced_lead(n)
            } else {
                saturation_lead(n - (1 << 40))
            };
            let id = id(&lead).to_owned();
            assert_eq!(parse_lead_id(&id).as_deref(), Some(id.as_str()), "{id}");
            assert_eq!(&id[14..15], "7", "{id}");
            let ms = u64::from_str_radix(&id[..13].replace('-', ""), 16).expect("hex");
            assert!(
                ms.abs_diff(now) <= 86_400_000 + 60_000,
                "{id} is within a day"
            );
            if ms.abs_diff(now) > 60_000 {
                skewed += 1;
            }
            assert!(ids.insert(id), "ids are distinct");
        }
        // One in fifty, give or take.
        assert!((100..=320).contains(&skewed), "{skewed} of 10,000 skewed");
    }
}
