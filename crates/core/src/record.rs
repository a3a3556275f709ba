//! The behaviour record kept on the visitor's device: its storage key, its bounds and when
//! a visit starts — the contract the loader's JavaScript carries out.
//!
//! Why JavaScript carries it out: the record notes every page view on every page with the
//! script, also pages without an offer, where no wasm is loaded (loading it there to note
//! a page view would cost those pages 80 KB). So the core owns what the record *is* —
//! these values, the consent rule ([`crate::consent::Consent::allows_history`], told to
//! the loader with each lead) and the events a lead may carry
//! ([`crate::facts::BrowserFacts::lead_events`]) — and `src/js/contract.mjs`, generated
//! from [`loader_contract`] and checked against it by a test, hands the values to
//! `src/js/record.mjs` and the loader. The visitor memory's key
//! ([`crate::profile::STORAGE_KEY`]) goes the same way.

/// `localStorage` key of the behaviour record (first and last touch, the kept events).
pub const ACTIVITY_KEY: &str = "leadmagnet:activity:v1";
/// The record keeps the newest this many events…
pub const MAX_EVENTS: usize = 100;
/// …of the last this many days.
pub const MAX_AGE_DAYS: u64 = 90;
/// A visit (and a `return_visit` event) starts after this many minutes without activity.
pub const VISIT_GAP_MINUTES: u64 = 30;

/// The text of `src/js/contract.mjs`: the values above (and the visitor memory's key) as
/// the loader's JavaScript imports them, with the event batches' version and bounds
/// ([`crate::engagement`]).
#[cfg(feature = "collector")]
pub fn loader_contract() -> String {
    use crate::analytics::COUNTS_VERSION;
    use crate::engagement::{BATCH_TTL_DAYS, BATCH_VERSION, MAX_BATCH_EVENTS};
    format!(
        "// Generated from the core (crates/core/src/record.rs, profile.rs, engagement.rs): do not edit.\n\
         // After changing those: cargo xtask contract (a test compares this file).\n\
         export var STORAGE_KEY = \"{}\";\n\
         export var ACTIVITY_KEY = \"{ACTIVITY_KEY}\";\n\
         export var MAX_EVENTS = {MAX_EVENTS};\n\
         export var MAX_AGE_MS = {};\n\
         export var VISIT_GAP_MS = {};\n\
         export var BATCH_VERSION = {BATCH_VERSION};\n\
         export var MAX_BATCH_EVENTS = {MAX_BATCH_EVENTS};\n\
         export var BATCH_TTL_MS = {};\n\
         export var COUNTS_VERSION = {COUNTS_VERSION};\n",
        crate::profile::STORAGE_KEY,
        MAX_AGE_DAYS * 86_400_000,
        VISIT_GAP_MINUTES * 60_000,
        BATCH_TTL_DAYS * 86_400_000,
    )
}
