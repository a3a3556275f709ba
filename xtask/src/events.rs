//! `cargo xtask bench-events` (`make bench-events`): figures, not a test. The cost of
//! engagement after the form: `POST /api/v1/events` of a release-built collector on
//! 127.0.0.1, for SQLite and for PostgreSQL, against people who already have 1,000 events
//! each, so that every batch is stored and re-scored against the demo's account-wide model
//! with a full history (the re-score reads at most the newest 1,000 events of the person:
//! `MAX_CONTACT_EVENTS`). The people stay below the MQL line, so each batch pays the whole
//! re-score and none stops early at a hand-over already made.
//!
//! Set-up: `PEOPLE` leads with marketing consent, then 20 batches of 50 events per person.
//! Measured: 32 connections, each sending its next batch of 10 page views (of a person in
//! turn) when the last answer arrives, for 15 s.

use crate::{load, spawn_collector, Result};
use leadmagnet_core::time::format_rfc3339;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const PEOPLE: u64 = 100;
const HISTORY: u64 = 1_000;
const SETUP_BATCH: u64 = 50;
const BATCH: u64 = 10;
const LANES: u32 = 32;
const SECONDS: u32 = 15;
const EVENTS: load::Endpoint = load::Endpoint {
    path: "/api/v1/events",
    ok: 202,
};

/// The run's start: event times are counted from 60 days before it (all in the past, so
/// none is capped at its arrival and merged with another).
static START_MS: OnceLock<i64> = OnceLock::new();

fn start_ms() -> i64 {
    *START_MS.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
            - 60 * 86_400_000
    })
}

fn lead_id(person: u64) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", person + 1, person + 1)
}

fn device(person: u64) -> String {
    format!("{:08x}-0000-4000-9000-{:012x}", person + 1, person + 1)
}

/// A person's lead: the ingest benchmark's eBook lead (marketing consent, no GPC) for a
/// small company buying later, which no page view makes an MQL.
fn lead(person: u64) -> Result<String> {
    let template = crate::ingest::TEMPLATE;
    let fit = r#""company_size":"250+","timeline":"now""#;
    if !template.contains(fit) {
        return Err("the ingest template changed: adapt bench-events".into());
    }
    Ok(template
        .replacen("%s", &lead_id(person), 1)
        .replacen("%d", &format!("events-{person}"), 1)
        .replacen(fit, r#""company_size":"1-9","timeline":"later""#, 1))
}

/// A batch of `count` page views of `person`, the k-th at `start_ms() + (first + k) s`.
fn batch(person: u64, first: u64, count: u64) -> String {
    let events: Vec<String> = (first..first + count)
        .map(|k| {
            format!(
                r#"{{"type":"page_view","at":"{}","url":"https://www.example.com/pricing","seconds":30,"scroll_percent":60}}"#,
                format_rfc3339(start_ms() + (k as i64) * 1000)
            )
        })
        .collect();
    format!(
        r#"{{"version":1,"device":"{}","lead_id":"{}","events":[{}]}}"#,
        device(person),
        lead_id(person),
        events.join(",")
    )
}

/// The measured run's n-th batch: a person in turn, after their history.
fn measured_batch(n: u64) -> String {
    let person = n % PEOPLE;
    batch(person, HISTORY + (n / PEOPLE) * BATCH, BATCH)
}

pub fn bench(only: Option<&str>) -> Result {
    let databases = crate::ingest::Databases::prepare("bench-events", "bench-events", only)?;
    let mut rows = Vec::new();
    for (_, name, url) in databases.each(only) {
        rows.push((name, measure(url)?));
    }
    println!(
        "\nevent ingest benchmark, 127.0.0.1, release build, {} cores: {PEOPLE} people with \
         {HISTORY} events each; {LANES} connections, each sending its next batch of {BATCH} \
         page views when the last answer arrives, {SECONDS} s; each batch stored and the \
         person re-scored against the demo's account-wide model",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| database | batches/s answered 202 | events/s | p50 | p99 | max | errors |");
    println!("|---|---|---|---|---|---|---|");
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    for (name, f) in &rows {
        println!(
            "| {name} | {:.0} | {:.0} | {:.2}ms | {:.2}ms | {:.1}ms | {} of {} |",
            f.achieved,
            f.achieved * BATCH as f64,
            ms(f.p50),
            ms(f.p99),
            ms(f.max),
            f.errors,
            f.sent
        );
    }
    Ok(())
}

fn measure(database_url: &str) -> Result<load::Figures> {
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
    let addr = url.trim_start_matches("http://").to_owned();
    let figures = (|| {
        let leads = (0..PEOPLE).map(lead).collect::<Result<Vec<_>>>()?;
        let refused = load::send_all(&addr, load::LEADS, leads, 4)?;
        if refused > 0 {
            return Err(format!("{refused} of the set-up leads were refused"));
        }
        let history: Vec<String> = (0..HISTORY / SETUP_BATCH)
            .flat_map(|b| (0..PEOPLE).map(move |p| batch(p, b * SETUP_BATCH, SETUP_BATCH)))
            .collect();
        let refused = load::send_all(&addr, EVENTS, history, 8)?;
        if refused > 0 {
            return Err(format!("{refused} of the set-up batches were refused"));
        }
        load::drive(&addr, EVENTS, None, SECONDS, LANES, measured_batch)
    })();
    let _ = child.kill();
    let _ = child.wait();
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_batches_and_leads_read_as_the_collector_reads_them() {
        for person in [0, 7, PEOPLE - 1] {
            let lead = lead(person).expect("lead");
            let lead = leadmagnet_core::parse_lead(lead.as_bytes()).expect("a lead");
            assert!(lead.consent.is_some_and(|c| c.allows_history()));
            let b =
                leadmagnet_core::engagement::parse_batch(batch(person, 0, SETUP_BATCH).as_bytes())
                    .expect("a batch");
            assert_eq!(b.lead_id, lead.lead_id);
            assert_eq!(b.events.len() as u64, SETUP_BATCH);
        }
        let m = leadmagnet_core::engagement::parse_batch(measured_batch(PEOPLE + 3).as_bytes())
            .expect("a batch");
        assert_eq!(m.device, device(3));
        assert_eq!(
            m.events[0].at,
            format_rfc3339(start_ms() + (HISTORY + BATCH) as i64 * 1000),
            "after the person's history"
        );
    }
}
