//! Leadmagnet's pure core: the brain the widget and the collector share.
//!
//! # Layout
//! - [`map`]: a small sorted map (BTreeMap's order, a fraction of its wasm bytes).
//! - [`text`]: config text that is either one string or a map of locale → string.
//! - [`config`]: the offer config v1 (a versioned API boundary), its parser with
//!   errors that name a JSON pointer, a line and a column, and its semantic checks.
//! - [`email`]: the email syntax rule, without the `regex` crate (it would cost the widget
//!   ~100 KB).
//! - [`validate`]: form values → all field errors, or a [`validate::ValidLead`]; the only
//!   way to obtain a validated lead.
//! - [`form`]: the form state machine (values, shown errors, sending) the widget renders.
//! - [`messages`]: visitor-facing texts in German and English.
//! - [`json`]: the JSON reader for both documents, with pointer, line and column in
//!   every error (and, with the writer, ~31 KB brotli less wasm than serde_json).
//! - [`rule`]: the one condition language (fit rules, disqualifiers, routing, `visible_if`).
//! - [`domains`]: email domain classes (free, disposable, business) over lists handed in.
//! - [`scoring`]: fit × engagement with decay, grade, level, matrix, stage, queue, breakdown.
//! - [`profiling`]: which fields a visit asks (progressive profiling, dependent fields).
//! - [`formula`]: calculator formulas, parsed and checked with positions, evaluated safely.
//! - [`display`]: targeting, frequency caps, sticky A/B variants, quiz and calculator
//!   outcomes.
//! - [`profile`]: what is remembered about a visitor, and what only with consent.
//! - [`math`]: `exp2` and `pow` that give the same bits in the browser and on the server.
//! - [`time`]: RFC 3339 parsing for event ages (the clock is always an argument).
//! - [`waterfall`]: the stages after scoring (MQL → SAL → SQL → opportunity → won/lost) and
//!   the moves between them.
//! - [`pow`]: the proof of work against spam (SHA-256, HMAC, solving), shared by the
//!   widget, which solves, and the collector, which checks.
//! - [`payload`]: the lead payload v1 (a versioned API boundary) built from a validated
//!   lead, and parsed back with precise errors on the collector's side.
//! - [`consent`]: the payload's consent record and attribution, typed.
//! - [`facts`]: what only the browser knows at a submit, and how it completes a payload
//!   (the consent rule for attribution beyond this page view lives here).
//! - [`formats`]: the endpoint formats, payload → request (the collector's own, HubSpot,
//!   Salesforce, webhooks), used by the widget and by the collector's forwarding alike.
//!
//! # Architecture invariant
//! The core does no I/O: no network, no storage, no clock, no randomness. Time and ids
//! come in as arguments. It therefore cannot fail in ways other than by returning an
//! error value, and it runs the same in the browser (wasm) and on the server.

#[cfg(feature = "collector")]
pub mod account;
#[cfg(feature = "collector")]
pub mod analytics;
pub mod config;
pub mod consent;
#[cfg(feature = "people")]
pub mod contact;
pub mod display;
pub mod domains;
pub mod email;
#[cfg(feature = "collector")]
pub mod engagement;
pub mod facts;
pub mod form;
pub mod formats;
pub mod formula;
#[cfg(feature = "people")]
pub mod handover;
pub mod json;
pub mod map;
pub mod math;
pub mod messages;
pub mod payload;
pub mod pow;
pub mod profile;
pub mod profiling;
pub mod record;
pub mod rule;
pub mod scoring;
pub mod text;
pub mod time;
pub mod validate;
pub mod waterfall;

pub use config::{parse_offer, read_offer, ConfigError, Field, FieldType, OfferConfig};
pub use messages::Lang;
pub use payload::{parse_lead, Context, LeadPayload, PayloadError};
pub use text::Text;
pub use validate::{validate, validate_asked, FieldError, FieldValue, Problem, ValidLead, Values};
