//! Engagement after the form: the batches of behaviour events a visitor's browser sends the
//! collector after a submission with marketing consent (and without GPC), and the rules for
//! reading them.
//!
//! A batch names its browser by a random pseudonymous **device id** the loader made at that
//! submission, and the submission by its `lead_id`; the collector ties the device to the
//! submission's person the first time it sees it, and only while that person's latest
//! submission still allows history ([`crate::consent::Consent::allows_history`]). An email
//! address never travels in a batch. The loader (`src/loader.js`) builds batches from this
//! page view's events and takes [`BATCH_VERSION`] and [`MAX_BATCH_EVENTS`] from the
//! generated `src/js/contract.mjs`.
//!
//! ```json
//! {"version": 1, "device": "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b",
//!  "lead_id": "019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d",
//!  "events": [{"type": "page_view", "at": "2026-12-01T10:00:00.000Z",
//!              "url": "https://example.com/pricing.html", "seconds": 42, "scroll_percent": 80}]}
//! ```

use crate::json::{ToJson, Writer};
use crate::payload::{is_rfc3339_utc, parse_lead_id, read_body, PayloadError};
use crate::scoring::{Event, EVENT_TYPES};

/// The batch format's version.
pub const BATCH_VERSION: u32 = 1;
/// At most this many events in one batch (one page view has a page view, a return visit
/// and its offers' views and completions; the loader bounds its own to the same number).
pub const MAX_BATCH_EVENTS: usize = 50;
/// How long a browser's outbox keeps a batch it could not deliver before dropping it (a
/// batch whose submission was erased meanwhile is answered 409 for ever).
pub const BATCH_TTL_DAYS: u64 = 7;
/// Longest `url` kept, in bytes, and longest `offer_id`: together they stay well inside the
/// databases' limit on one index entry (PostgreSQL's is about 2.7 KB), as each event's
/// identity is indexed.
const MAX_URL: usize = 2048;
const MAX_OFFER_ID: usize = 200;
/// A page view lasting longer than a day is a page left open: counted as a day.
const MAX_SECONDS: f64 = 86_400.0;

/// One batch as the collector reads it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventBatch {
    pub version: u32,
    /// The device id, canonical lower case.
    pub device: String,
    /// The submission (with marketing consent) the device was made at.
    pub lead_id: String,
    pub events: Vec<Event>,
}

crate::json::from_json_struct!(EventBatch {
    version: req "version",
    device: req "device",
    lead_id: req "lead_id",
    events: req "events",
});

impl ToJson for EventBatch {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("version", &self.version);
        w.field("device", &self.device);
        w.field("lead_id", &self.lead_id);
        w.field("events", &self.events);
        w.end_object();
    }
}

/// Reads a batch and checks every part of it: the version, both ids (UUIDs), and each
/// event (a known type, an RFC 3339 UTC time, bounded texts and figures). The first problem
/// names its place as a JSON pointer.
pub fn parse_batch(body: &[u8]) -> Result<EventBatch, PayloadError> {
    let mut batch: EventBatch = read_body(body, "event batch")?;
    if batch.version != BATCH_VERSION {
        return Err(PayloadError::at(
            "/version",
            &format!(
                "unsupported batch version {}; this collector reads version {BATCH_VERSION}",
                batch.version
            ),
        ));
    }
    batch.device = parse_lead_id(&batch.device).ok_or_else(|| {
        PayloadError::at(
            "/device",
            "the device id must be a random UUID (crypto.randomUUID())",
        )
    })?;
    batch.lead_id = parse_lead_id(&batch.lead_id).ok_or_else(|| {
        PayloadError::at(
            "/lead_id",
            "must be the lead_id of the submission the device id was made at",
        )
    })?;
    if batch.events.len() > MAX_BATCH_EVENTS {
        return Err(PayloadError::at(
            "/events",
            &format!(
                "{} events; send at most {MAX_BATCH_EVENTS} in one batch",
                batch.events.len()
            ),
        ));
    }
    for (i, e) in batch.events.iter_mut().enumerate() {
        check_event(e)
            .map_err(|(key, message)| PayloadError::at(&format!("/events/{i}{key}"), &message))?;
    }
    Ok(batch)
}

fn check_event(e: &mut Event) -> Result<(), (&'static str, String)> {
    if !EVENT_TYPES.contains(&e.kind.as_str()) {
        return Err((
            "/type",
            format!(
                "unknown event type `{}`; one of {}",
                e.kind,
                EVENT_TYPES.join(", ")
            ),
        ));
    }
    match crate::time::parse_rfc3339(&e.at).filter(|_| is_rfc3339_utc(&e.at)) {
        // One way to write each moment (milliseconds, as the loader writes them), so the
        // same happening written another way is still the same happening.
        Some(ms) => e.at = crate::time::format_rfc3339(ms),
        None => {
            return Err((
                "/at",
                format!(
                    "`{}` is not an RFC 3339 UTC time such as 2026-12-01T10:00:00.000Z",
                    e.at.chars().take(40).collect::<String>()
                ),
            ))
        }
    }
    for (key, text, max) in [
        ("/url", &e.url, MAX_URL),
        ("/offer_id", &e.offer_id, MAX_OFFER_ID),
    ] {
        let Some(text) = text else { continue };
        if text.len() > max {
            return Err((key, format!("longer than {max} bytes")));
        }
        // NUL and the other control characters: no URL or id has them, and PostgreSQL
        // cannot store NUL in text at all.
        if text.chars().any(char::is_control) {
            return Err((key, "holds a control character".to_owned()));
        }
    }
    for (key, figure, max) in [
        ("/seconds", &mut e.seconds, MAX_SECONDS),
        ("/scroll_percent", &mut e.scroll_percent, 100.0),
    ] {
        if let Some(x) = figure {
            if !x.is_finite() || *x < 0.0 {
                return Err((key, format!("must be a number from 0 to {max}")));
            }
            *x = x.min(max);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVICE: &str = "1B4E28BA-2FA1-4D3B-A3F5-EF19B5A7633B";
    const LEAD: &str = "019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d";

    fn batch(events: &str) -> String {
        format!(r#"{{"version":1,"device":"{DEVICE}","lead_id":"{LEAD}","events":{events}}}"#)
    }

    #[test]
    fn a_batch_reads_with_its_ids_in_canonical_form_and_figures_within_bounds() {
        let b = parse_batch(
            batch(
                r#"[{"type":"page_view","at":"2026-12-01T10:00:00.000Z","url":"https://x.example/pricing.html","seconds":200000,"scroll_percent":80},
                    {"type":"return_visit","at":"2026-12-01T10:00:00.000Z"}]"#,
            )
            .as_bytes(),
        )
        .expect("batch");
        assert_eq!(b.device, DEVICE.to_ascii_lowercase());
        assert_eq!(b.lead_id, LEAD);
        assert_eq!(b.events.len(), 2);
        assert_eq!(
            b.events[0].seconds,
            Some(MAX_SECONDS),
            "a page left open counts a day"
        );
        assert_eq!(b.events[0].scroll_percent, Some(80.0));
        // What the loader writes reads back the same.
        assert_eq!(parse_batch(b.to_json_string().as_bytes()), Ok(b));
    }

    #[test]
    fn each_wrong_part_of_a_batch_is_named_by_its_pointer() {
        let ev = |e: &str| batch(&format!("[{e}]"));
        let at = r#""at":"2026-12-01T10:00:00.000Z""#;
        let cases = [
            ("{".to_owned(), "", true),
            (
                batch("[]").replace(r#""version":1"#, r#""version":2"#),
                "/version",
                false,
            ),
            (
                batch("[]").replace(DEVICE, "me@example.com"),
                "/device",
                false,
            ),
            (batch("[]").replace(LEAD, "1"), "/lead_id", false),
            // A missing key is named in the message, at its object.
            (batch("[]").replace(r#","events":[]"#, ""), "", false),
            (
                ev(&format!(r#"{{"type":"purchase",{at}}}"#)),
                "/events/0/type",
                false,
            ),
            (
                ev(r#"{"type":"page_view","at":"yesterday"}"#),
                "/events/0/at",
                false,
            ),
            (
                ev(&format!(r#"{{"type":"page_view",{at},"seconds":-1}}"#)),
                "/events/0/seconds",
                false,
            ),
            (
                ev(&format!(
                    r#"{{"type":"page_view",{at},"scroll_percent":"80"}}"#
                )),
                "/events/0/scroll_percent",
                false,
            ),
            (
                ev(&format!(
                    r#"{{"type":"page_view",{at},"url":"{}"}}"#,
                    "x".repeat(MAX_URL + 1)
                )),
                "/events/0/url",
                false,
            ),
            (
                ev(&format!(
                    r#"{{"type":"page_view",{at},"offer_id":"{}"}}"#,
                    "o".repeat(MAX_OFFER_ID + 1)
                )),
                "/events/0/offer_id",
                false,
            ),
            (
                ev(&format!(
                    r#"{{"type":"page_view",{at},"url":"https://x.example/\u0000evil"}}"#
                )),
                "/events/0/url",
                false,
            ),
            (
                ev(&format!(
                    r#"{{"type":"page_view",{at},"offer_id":"a\u001bb"}}"#
                )),
                "/events/0/offer_id",
                false,
            ),
            (
                ev(r#"{"type":"page_view","at":"2026-12-01T10:00:00+02:00"}"#),
                "/events/0/at",
                false,
            ),
            (
                batch(&format!(
                    "[{}]",
                    vec![format!(r#"{{"type":"page_view",{at}}}"#); MAX_BATCH_EVENTS + 1].join(",")
                )),
                "/events",
                false,
            ),
        ];
        for (body, pointer, syntax) in cases {
            let e = parse_batch(body.as_bytes()).expect_err(&body[..body.len().min(120)]);
            assert_eq!(
                (e.pointer.as_str(), e.syntax),
                (pointer, syntax),
                "{}: {}",
                &body[..body.len().min(120)],
                e.message
            );
            assert!(!e.message.is_empty());
        }
        assert!(parse_batch(b"\xff").is_err_and(|e| e.syntax), "not UTF-8");
    }

    #[test]
    fn one_moment_written_many_ways_is_one_time() {
        let long = format!("10:00:00.000{}Z", "0".repeat(5000));
        let ways = [
            "10:00:00Z",
            "10:00:00.0Z",
            "10:00:00.00Z",
            "10:00:00.000Z",
            "10:00:00.000000Z",
            long.as_str(),
        ];
        for way in ways {
            let b = parse_batch(
                batch(&format!(
                    r#"[{{"type":"page_view","at":"2026-12-01T{way}"}}]"#
                ))
                .as_bytes(),
            )
            .expect("a batch");
            assert_eq!(
                b.events[0].at,
                "2026-12-01T10:00:00.000Z",
                "{}",
                &way[..way.len().min(20)]
            );
        }
    }
}
