//! The lead payload v1: what the widget POSTs and the collector stores.
//!
//! # API boundary
//! A stable, versioned JSON surface (`"version": 1`). Later additions (events,
//! attribution, consent, score) are new optional keys; unknown top-level keys are
//! accepted by [`parse_lead`] so that a newer widget can talk to an older collector.
//!
//! `lead_id` is a UUID made once per submission ([`new_lead_id`]: v7, time-ordered) and
//! reused by every retry: it is the idempotency key. The collector also takes v4, which
//! earlier widget builds sent (a page may serve a cached copy for a while).

use crate::consent::{Attribution, Consent};
use crate::json::{from_json_struct, ToJson, Writer};
use crate::pow::{Honeypot, Proof};
use crate::scoring::{Event, Score};
use crate::validate::{ValidLead, Values};
use serde::Serialize;
use std::fmt;

pub const PAYLOAD_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq)]
pub struct LeadPayload {
    pub version: u32,
    pub lead_id: String,
    pub offer_id: String,
    /// RFC 3339 UTC time of the visitor's submit, from the visitor's clock.
    pub submitted_at: String,
    pub fields: Values,
    pub context: Context,
    /// What the visitor did before this lead (docs/scoring.md, "Events"): this page view
    /// and offer views, plus, with marketing consent and without GPC, the kept history.
    /// Exactly the events the preliminary score counted.
    pub events: Vec<Event>,
    /// How the form went.
    pub form: Option<FormMetrics>,
    /// `free`, `disposable` or `business`: the class of the first email field's domain by
    /// the widget's compact lists (the collector classes it again with the full lists).
    pub email_domain_class: Option<String>,
    /// The preliminary score the widget computed with the compact domain lists; the
    /// collector computes its own.
    pub score: Option<Score>,
    /// What the visitor agreed to, in which wording, under which privacy signal. Read
    /// leniently (as the attribution): a record of another shape counts as none.
    pub consent: Option<Consent>,
    /// Where the visitor came from (this page view; with marketing consent, the first
    /// touch too).
    pub attribution: Option<Attribution>,
    /// The proof-of-work solution for the collector's spam check (key `challenge`).
    pub challenge: Option<Proof>,
    /// The honeypot's value: present only when something filled it.
    pub honeypot: Option<Honeypot>,
}

/// How the form went: time from the first input to the submit, validation errors shown,
/// the fields asked and those already known (sent from the visitor's memory, not asked).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FormMetrics {
    /// Whole seconds from the visitor's first input to the submit.
    pub seconds: Option<f64>,
    /// Errors shown, each field counted once per refused attempt.
    pub validation_errors: u32,
    /// Submit or "Next" attempts refused by validation.
    pub refused_attempts: u32,
    pub asked: Vec<String>,
    pub known: Vec<String>,
}

/// Where and how the lead was captured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context {
    pub page_url: String,
    pub page_title: Option<String>,
    pub referrer: Option<String>,
    /// Locale the form was shown in.
    pub locale: Option<String>,
    pub widget_version: Option<String>,
    /// `mobile`, `tablet` or `desktop` ([`crate::display::device_class`]).
    pub device: Option<String>,
    /// The A/B variant the visitor saw (`variants[].id` of the offer).
    pub variant: Option<String>,
    /// A quiz's outcome: the title of the result band reached, and the points.
    pub quiz_result: Option<String>,
    pub quiz_points: Option<f64>,
    /// A calculator's result, unrounded.
    pub calculator_result: Option<f64>,
    /// FNV-1a of the offer config as loaded: which version of it the visitor saw.
    pub config_hash: Option<String>,
    /// The browser's IANA time zone (`Intl`).
    pub time_zone: Option<String>,
    /// `small` (< 600 px), `medium` (< 1024 px) or `large`.
    pub viewport: Option<String>,
}

impl LeadPayload {
    /// The payload for a validated lead. The id and time come from the caller (the core
    /// has no clock and no randomness); they are checked like the collector checks them.
    pub fn new(
        lead: ValidLead,
        lead_id: &str,
        submitted_at: &str,
        context: Context,
    ) -> Result<LeadPayload, PayloadError> {
        let lead_id = parse_lead_id(lead_id)
            .ok_or_else(|| PayloadError::at("/lead_id", "not a UUID v7 or v4"))?;
        if !is_rfc3339_utc(submitted_at) {
            return Err(PayloadError::at(
                "/submitted_at",
                "not an RFC 3339 UTC time",
            ));
        }
        let (offer_id, fields) = lead.into_parts();
        Ok(LeadPayload {
            version: PAYLOAD_VERSION,
            lead_id,
            offer_id,
            submitted_at: submitted_at.to_owned(),
            fields,
            context,
            events: Vec::new(),
            form: None,
            email_domain_class: None,
            score: None,
            consent: None,
            attribution: None,
            challenge: None,
            honeypot: None,
        })
    }

    /// The payload with the preliminary score attached.
    pub fn with_score(self, score: Score) -> LeadPayload {
        LeadPayload {
            score: Some(score),
            ..self
        }
    }

    pub fn to_json(&self) -> String {
        self.to_json_string()
    }
}

impl ToJson for LeadPayload {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("version", &self.version);
        w.field("lead_id", &self.lead_id);
        w.field("offer_id", &self.offer_id);
        w.field("submitted_at", &self.submitted_at);
        w.field("fields", &self.fields);
        w.field("context", &self.context);
        w.field("events", &self.events);
        w.field_opt("form", &self.form);
        w.field_opt("email_domain_class", &self.email_domain_class);
        w.field_opt("score", &self.score);
        w.field_opt("consent", &self.consent);
        w.field_opt("attribution", &self.attribution);
        w.field_opt("challenge", &self.challenge);
        w.field_opt("honeypot", &self.honeypot);
        w.end_object();
    }
}

impl ToJson for FormMetrics {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field_opt("seconds", &self.seconds);
        w.field("validation_errors", &self.validation_errors);
        w.field("refused_attempts", &self.refused_attempts);
        w.field("asked", &self.asked);
        w.field("known", &self.known);
        w.end_object();
    }
}

impl ToJson for Context {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("page_url", &self.page_url);
        w.field_opt("page_title", &self.page_title);
        w.field_opt("referrer", &self.referrer);
        w.field_opt("locale", &self.locale);
        w.field_opt("widget_version", &self.widget_version);
        w.field_opt("device", &self.device);
        w.field_opt("variant", &self.variant);
        w.field_opt("quiz_result", &self.quiz_result);
        w.field_opt("quiz_points", &self.quiz_points);
        w.field_opt("calculator_result", &self.calculator_result);
        w.field_opt("config_hash", &self.config_hash);
        w.field_opt("time_zone", &self.time_zone);
        w.field_opt("viewport", &self.viewport);
        w.end_object();
    }
}

from_json_struct!(LeadPayload {
    version: req "version",
    lead_id: req "lead_id",
    offer_id: req "offer_id",
    submitted_at: req "submitted_at",
    fields: req "fields",
    context: req "context",
    events: or_default "events",
    form: opt "form",
    email_domain_class: opt "email_domain_class",
    score: opt "score",
    consent: lenient "consent",
    attribution: lenient "attribution",
    challenge: opt "challenge",
    honeypot: opt "honeypot",
});

from_json_struct!(FormMetrics {
    seconds: opt "seconds",
    validation_errors: req "validation_errors",
    refused_attempts: req "refused_attempts",
    asked: or_default "asked",
    known: or_default "known",
});

from_json_struct!(Context {
    page_url: req "page_url",
    page_title: opt "page_title",
    referrer: opt "referrer",
    locale: opt "locale",
    widget_version: opt "widget_version",
    device: opt "device",
    variant: opt "variant",
    quiz_result: opt "quiz_result",
    quiz_points: opt "quiz_points",
    calculator_result: opt "calculator_result",
    config_hash: opt "config_hash",
    time_zone: opt "time_zone",
    viewport: opt "viewport",
});

/// Why a payload was refused: where (a JSON pointer) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayloadError {
    pub pointer: String,
    pub message: String,
    /// The body is not JSON at all (HTTP 400), rather than a JSON lead with a wrong
    /// value (HTTP 422).
    pub syntax: bool,
}

/// Reads a request body of JSON into `T`: the first problem, with its line and column
/// (400 when the body is not JSON at all, 422 for a wrong value). Unknown keys are
/// accepted: a newer browser build may send more than this collector knows.
pub(crate) fn read_body<T: crate::json::FromJson>(
    body: &[u8],
    what: &str,
) -> Result<T, PayloadError> {
    let text = std::str::from_utf8(body).map_err(|e| PayloadError {
        pointer: String::new(),
        message: format!("the body is not UTF-8 text: {e}"),
        syntax: true,
    })?;
    crate::json::read(text, false).map_err(|problems| {
        let syntax = problems.iter().any(|e| e.syntax);
        match problems.into_iter().next() {
            Some(err) => PayloadError {
                message: format!("{} (line {}, column {})", err.message, err.line, err.column),
                pointer: err.pointer,
                syntax,
            },
            None => PayloadError::at("", &format!("unreadable {what}")),
        }
    })
}

impl PayloadError {
    pub(crate) fn at(pointer: &str, message: &str) -> PayloadError {
        PayloadError {
            pointer: pointer.into(),
            message: message.into(),
            syntax: false,
        }
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            if self.pointer.is_empty() {
                "/"
            } else {
                &self.pointer
            },
            self.message
        )
    }
}

/// Reads a lead payload as the collector receives it and checks its envelope (version,
/// lead id, offer id, time). The field values are checked against the offer separately.
pub fn parse_lead(body: &[u8]) -> Result<LeadPayload, PayloadError> {
    let mut lead: LeadPayload = read_body(body, "lead")?;
    if lead.version != PAYLOAD_VERSION {
        return Err(PayloadError {
            pointer: "/version".into(),
            message: format!(
                "unsupported payload version {}; this collector reads version {PAYLOAD_VERSION}",
                lead.version
            ),
            syntax: false,
        });
    }
    lead.lead_id = parse_lead_id(&lead.lead_id).ok_or_else(|| PayloadError {
        pointer: "/lead_id".into(),
        message: format!(
            "`{}` is not a UUID v7 or v4 (such as \"019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d\")",
            lead.lead_id
        ),
        syntax: false,
    })?;
    if lead.offer_id.trim().is_empty() {
        return Err(PayloadError::at("/offer_id", "must not be empty"));
    }
    if !is_rfc3339_utc(&lead.submitted_at) {
        return Err(PayloadError {
            pointer: "/submitted_at".into(),
            message: format!(
                "`{}` is not an RFC 3339 UTC time such as \"2026-11-27T08:30:00.000Z\"",
                lead.submitted_at
            ),
            syntax: false,
        });
    }
    Ok(lead)
}

/// A new lead's id: a UUID v7 (RFC 9562 §5.7), the Unix time in milliseconds in its first
/// 48 bits and 74 random bits after. The widget makes it with the visitor's clock and
/// `crypto.getRandomValues` (the core has neither, so both come in).
///
/// Why v7 and not v4: ids made later sort later, so the collector's unique `lead_id` index
/// and the outbox keyed by it take each batch of new leads at their right-hand edge. With
/// random v4 ids every lead rewrote its own random index page, which was most of what
/// SQLite wrote under load (docs/benchmarks.md). 74 random bits keep two visitors in the
/// same millisecond apart; the time in the id says no more than `submitted_at` does.
pub fn new_lead_id(unix_ms: u64, random: [u8; 10]) -> String {
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
    b[6..].copy_from_slice(&random);
    b[6] = 0x70 | (b[6] & 0x0f); // version 7
    b[8] = 0x80 | (b[8] & 0x3f); // RFC 9562 variant
    hyphenated(&b)
}

/// Lower-case hex of `bytes`, two digits each.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 * bytes.len());
    push_hex(&mut s, bytes, &[]);
    s
}

/// The 8-4-4-4-12 hex form of a UUID's 16 bytes.
fn hyphenated(b: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    push_hex(&mut s, b, &[4, 6, 8, 10]);
    s
}

/// Appends `bytes` as hex to `s`, with a hyphen before each byte whose index is in `hyphens`.
fn push_hex(s: &mut String, bytes: &[u8], hyphens: &[usize]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, x) in bytes.iter().enumerate() {
        if hyphens.contains(&i) {
            s.push('-');
        }
        s.push(char::from(DIGITS[usize::from(x >> 4)]));
        s.push(char::from(DIGITS[usize::from(x & 0x0f)]));
    }
}

/// The id in canonical lower-case form, if `s` is a UUID v7 ([`new_lead_id`]) or v4 (what
/// earlier widgets sent), RFC 9562 variant.
pub fn parse_lead_id(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let hyphens_ok = b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-');
    let hex_ok = b
        .iter()
        .enumerate()
        .all(|(i, c)| [8, 13, 18, 23].contains(&i) || c.is_ascii_hexdigit());
    let version_ok = hyphens_ok && matches!(b[14], b'4' | b'7');
    let variant_ok = hyphens_ok && matches!(b[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b');
    (hyphens_ok && hex_ok && version_ok && variant_ok).then(|| s.to_ascii_lowercase())
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, as `Date.prototype.toISOString` writes it: an RFC
/// 3339 time ([`crate::time::parse_rfc3339`]) in UTC with an upper-case `T` and `Z`.
pub fn is_rfc3339_utc(s: &str) -> bool {
    s.as_bytes().get(10) == Some(&b'T')
        && s.ends_with('Z')
        && crate::time::parse_rfc3339(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_ids_are_uuid_v7_or_v4() {
        assert_eq!(
            parse_lead_id("3F2B8C1E-9A4D-4F6B-8C2D-1E5F7A9B0C3D").as_deref(),
            Some("3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3d")
        );
        assert_eq!(
            parse_lead_id("019CC3F2-8B1E-7A4D-8F6B-1E5F7A9B0C3D").as_deref(),
            Some("019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d")
        );
        for bad in [
            "",
            "3f2b8c1e-9a4d-1f6b-8c2d-1e5f7a9b0c3d", // version 1
            "019cc3f2-8b1e-6a4d-8f6b-1e5f7a9b0c3d", // version 6
            "3f2b8c1e-9a4d-4f6b-cc2d-1e5f7a9b0c3d", // wrong variant
            "3f2b8c1e9a4d4f6b8c2d1e5f7a9b0c3d",     // no hyphens
            "3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3g",
            "3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3d0",
        ] {
            assert_eq!(parse_lead_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn new_lead_ids_are_v7_and_sort_by_time() {
        // 2026-11-27T08:30:00.000Z is 1_795_768_200_000 ms = 0x01a2_1c20_2b40.
        let id = new_lead_id(1_795_768_200_000, [0xff; 10]);
        assert_eq!(id, "01a21c20-2b40-7fff-bfff-ffffffffffff");
        assert_eq!(parse_lead_id(&id).as_deref(), Some(id.as_str()));
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let id = new_lead_id(0, [0; 10]);
        assert_eq!(id, "00000000-0000-7000-8000-000000000000");
        assert_eq!(parse_lead_id(&id).as_deref(), Some(id.as_str()));
        // A later millisecond sorts after, whatever the random bits; the same
        // millisecond with other random bits is another id.
        let earlier = new_lead_id(1_795_768_200_000, [0xff; 10]);
        let later = new_lead_id(1_795_768_200_001, [0; 10]);
        assert!(earlier < later);
        assert_ne!(
            new_lead_id(1_795_768_200_000, [1; 10]),
            new_lead_id(1_795_768_200_000, [2; 10])
        );
    }

    #[test]
    fn timestamps_as_browsers_write_them() {
        assert!(is_rfc3339_utc("2026-11-27T08:30:00.000Z"));
        assert!(is_rfc3339_utc("2024-02-29T23:59:59Z"));
        for bad in [
            "2026-11-27T08:30:00",
            "2026-11-27 08:30:00Z",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T08:30:00.Z",
            "2026-11-27T08:30:00+01:00",
            "yesterday",
        ] {
            assert!(!is_rfc3339_utc(bad), "{bad}");
        }
    }
}
