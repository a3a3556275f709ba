//! What the widget remembers about a visitor, and the consent rule for storing it.
//!
//! One small JSON document (versioned key [`STORAGE_KEY`]). With consent (a ticked
//! `consent` field on a sent lead) the whole of it lives in `localStorage`: known field
//! values (so a returning visitor is not asked again), the visit count,
//! the variant seed and the per-offer memory (dismissed, converted). Before consent
//! nothing is stored on the device (a seed or a frequency count is storage too, which the
//! ePrivacy rules tie to consent) unless the page grants it (its consent manager, or
//! `Leadmagnet.allowStorage(true)`); then only [`Visitor::without_personal_data`] goes to
//! `sessionStorage`, enough for frequency caps and sticky variants within the session.
//! Without either, the memory lives for the page view. The widget does the storing; this
//! module decides what is stored.

use crate::config::OfferConfig;
use crate::map::SortedMap;
use crate::validate::{FieldValue, Values};

/// The storage key; a new shape gets a new key, and old entries are ignored.
pub const STORAGE_KEY: &str = "leadmagnet:v1";

/// A page view later than this after the last one starts a new visit (30 minutes, the
/// usual web-analytics session timeout).
pub const VISIT_GAP_MS: f64 = (crate::record::VISIT_GAP_MINUTES * 60_000) as f64;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Visitor {
    /// Random, made once; picks the sticky A/B variants.
    pub seed: String,
    /// Whether the visitor consented (then the profile may live in `localStorage`).
    pub consent: bool,
    pub visits: u32,
    pub last_seen_ms: f64,
    /// Known field values (never consent ticks: consent is asked every time).
    pub values: Values,
    /// Offer id → what happened with it.
    pub offers: SortedMap<OfferMemory>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferMemory {
    pub dismissed_ms: Option<f64>,
    pub converted: bool,
}

impl Visitor {
    /// Counts this page view: a new visit after [`VISIT_GAP_MS`]; the seed is set once.
    /// (Attribution and behaviour history are the loader's, kept only with marketing
    /// consent: src/loader.js, "Behaviour".)
    pub fn page_view(&mut self, now_ms: f64, new_seed: &str) {
        if self.seed.is_empty() {
            self.seed = new_seed.to_owned();
        }
        if self.visits == 0 || now_ms - self.last_seen_ms > VISIT_GAP_MS {
            self.visits += 1;
        }
        self.last_seen_ms = now_ms;
    }

    /// Seen on an earlier visit.
    pub fn returning(&self) -> bool {
        self.visits > 1
    }

    /// The visitor's first name, for "Welcome back, {first_name}".
    pub fn first_name(&self) -> Option<&str> {
        match self.values.get("first_name") {
            Some(FieldValue::Text(t)) if !t.trim().is_empty() => Some(t.trim()),
            _ => None,
        }
    }

    /// Known values that fit `config` now: values of its fields that would pass its rules
    /// on their own. A stale or edited value is dropped (and asked again), never sent.
    pub fn known_for(&self, config: &OfferConfig) -> Values {
        let mut known = Values::new();
        for field in config.fields.iter().filter(|f| !f.kind.is_tick_box()) {
            let Some(value) = self.values.get(&field.id) else {
                continue;
            };
            let mut one = Values::new();
            one.insert(field.id.clone(), value.clone());
            if let Ok(lead) = crate::validate::validate_asked(config, &one, &[]) {
                if let Some(v) = lead.fields().get(&field.id) {
                    known.insert(field.id.clone(), v.clone());
                }
            }
        }
        known
    }

    /// A lead was sent with `fields`. With consent they are remembered (tick boxes
    /// excepted); the offer counts as converted either way.
    pub fn converted(&mut self, config: &OfferConfig, fields: &Values) {
        let consented = config.fields.iter().any(|f| {
            f.kind == crate::config::FieldType::Consent
                && fields.get(&f.id) == Some(&FieldValue::Bool(true))
        });
        if consented {
            self.consent = true;
        }
        if self.consent {
            for field in config.fields.iter().filter(|f| !f.kind.is_tick_box()) {
                if let Some(v) = fields.get(&field.id) {
                    self.values.insert(field.id.clone(), v.clone());
                }
            }
        }
        self.offers.entry_or_default(&config.id).converted = true;
    }

    /// The visitor closed a modal or slide-in offer.
    pub fn dismissed(&mut self, offer_id: &str, now_ms: f64) {
        self.offers.entry_or_default(offer_id).dismissed_ms = Some(now_ms);
    }

    /// "Not you?": forget the person (values, visits, consent); keep the
    /// seed and the offer memory, which name no one.
    pub fn forget(&mut self) {
        self.consent = false;
        self.values = Values::new();
        self.visits = 1;
    }

    /// What may be kept before the visitor's own consent, with the page's permission (in
    /// `sessionStorage`): no values.
    pub fn without_personal_data(&self) -> Visitor {
        Visitor {
            values: Values::new(),
            consent: false,
            ..self.clone()
        }
    }

    /// The stored form: one line per fact, tab-separated, with `\`, tab and newline
    /// escaped. Not JSON: reading this takes a few lines of code rather than the JSON
    /// machinery, which counts in the widget's byte budget.
    ///
    /// ```text
    /// lm1
    /// seed  <seed>          consent  1|0        visits  <n>        seen  <ms>
    /// text  <field>  <value>      tick  <field>  1|0      list  <field>  <a>  <b> …
    /// offer <offer id>  <dismissed ms or empty>  1|0 (converted)
    /// ```
    pub fn to_storage(&self) -> String {
        let mut out = String::from(STORAGE_FORMAT);
        let mut line = |parts: &[&str]| {
            out.push('\n');
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push('\t');
                }
                for c in part.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        c => out.push(c),
                    }
                }
            }
        };
        let flag = |b: bool| if b { "1" } else { "0" };
        line(&["seed", &self.seed]);
        line(&["consent", flag(self.consent)]);
        line(&["visits", &self.visits.to_string()]);
        line(&["seen", &whole(self.last_seen_ms)]);
        for (field, value) in &self.values {
            match value {
                FieldValue::Text(t) => line(&["text", field, t]),
                FieldValue::Bool(b) => line(&["tick", field, flag(*b)]),
                FieldValue::List(items) => {
                    let mut parts = vec!["list", field.as_str()];
                    parts.extend(items.iter().map(String::as_str));
                    line(&parts);
                }
            }
        }
        for (offer, m) in &self.offers {
            let dismissed = m.dismissed_ms.map(whole).unwrap_or_default();
            line(&["offer", offer, &dismissed, flag(m.converted)]);
        }
        out
    }

    /// Reads [`Visitor::to_storage`]'s form; anything else (nothing, another version, a
    /// hand-edited entry) is a fresh visitor, never an error: memory is a convenience.
    pub fn from_storage(stored: Option<&str>) -> Visitor {
        let mut v = Visitor::default();
        let Some(text) = stored else {
            return v;
        };
        let mut lines = text.split('\n');
        if lines.next() != Some(STORAGE_FORMAT) {
            return v;
        }
        for line in lines {
            let parts: Vec<String> = line.split('\t').map(unescape).collect();
            let p = |i: usize| parts.get(i).map(String::as_str).unwrap_or("");
            let ms = |i: usize| p(i).parse::<u64>().ok().map(|n| n as f64);
            match p(0) {
                "seed" => v.seed = p(1).to_owned(),
                "consent" => v.consent = p(1) == "1",
                "visits" => v.visits = p(1).parse().unwrap_or(0),
                "seen" => v.last_seen_ms = ms(1).unwrap_or(0.0),
                "text" => {
                    v.values
                        .insert(p(1).to_owned(), FieldValue::Text(p(2).to_owned()));
                }
                "tick" => {
                    v.values
                        .insert(p(1).to_owned(), FieldValue::Bool(p(2) == "1"));
                }
                "list" => {
                    let items = parts.iter().skip(2).cloned().collect();
                    v.values.insert(p(1).to_owned(), FieldValue::List(items));
                }
                "offer" => {
                    v.offers.insert(
                        p(1).to_owned(),
                        OfferMemory {
                            dismissed_ms: ms(2),
                            converted: p(3) == "1",
                        },
                    );
                }
                _ => {}
            }
        }
        v
    }
}

/// The first line of the stored form (its version).
const STORAGE_FORMAT: &str = "lm1";

/// Milliseconds as a whole number (timestamps need no fraction).
fn whole(ms: f64) -> String {
    (ms.max(0.0) as u64).to_string()
}

fn unescape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    let mut chars = part.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_offer;

    fn config() -> OfferConfig {
        parse_offer(
            r#"{"version":1,"id":"ebook","offer":{"kind":"form","title":"T"},
            "fields":[{"id":"email","type":"email","label":"E","required":true},
                      {"id":"first_name","type":"text","label":"N"},
                      {"id":"size","type":"select","label":"S","options":[{"value":"1-9"}]},
                      {"id":"consent","type":"consent","label":"C"}],
            "endpoint":{"url":"/x"}}"#,
        )
        .expect("valid")
    }

    fn lead(consent: bool) -> Values {
        let mut v = Values::new();
        v.insert("email".into(), FieldValue::Text("ada@example.com".into()));
        v.insert("first_name".into(), FieldValue::Text("Ada".into()));
        v.insert("consent".into(), FieldValue::Bool(consent));
        v
    }

    #[test]
    fn nothing_personal_without_consent() {
        let mut v = Visitor::default();
        v.page_view(1000.0, "seed");
        v.converted(&config(), &lead(false));
        assert!(!v.consent);
        assert!(v.values.is_empty());
        assert!(v.offers.get("ebook").is_some_and(|m| m.converted));
        let session = v.without_personal_data();
        assert!(session.values.is_empty());
        assert!(!session.to_storage().contains("Ada"));
    }

    #[test]
    fn consent_remembers_values_but_never_the_tick() {
        let mut v = Visitor::default();
        v.converted(&config(), &lead(true));
        assert!(v.consent);
        assert_eq!(v.first_name(), Some("Ada"));
        assert!(v.values.get("consent").is_none());
        let back = Visitor::from_storage(Some(&v.to_storage()));
        assert_eq!(back, v);
        back.known_for(&config());
        assert_eq!(back.known_for(&config()).len(), 2);
    }

    #[test]
    fn storage_round_trips_every_kind_of_value_and_awkward_text() {
        let mut v = Visitor::default();
        v.page_view(1_700_000_000_123.0, "seed\twith\ttabs");
        v.consent = true;
        v.values.insert(
            "note".into(),
            FieldValue::Text("line 1\nline 2\ttab \\ back \\t not a tab".into()),
        );
        v.values.insert("news".into(), FieldValue::Bool(true));
        v.values.insert(
            "channels".into(),
            FieldValue::List(vec!["a".into(), "b\tc".into()]),
        );
        v.dismissed("ebook", 1_700_000_100_000.0);
        v.offers.entry_or_default("quiz").converted = true;
        let stored = v.to_storage();
        assert_eq!(Visitor::from_storage(Some(&stored)), v, "{stored}");
    }

    #[test]
    fn visits_count_after_the_gap_and_forget_keeps_the_seed() {
        let mut v = Visitor::default();
        v.page_view(0.0, "s1");
        v.page_view(60_000.0, "s2");
        assert_eq!(v.visits, 1);
        assert!(!v.returning());
        v.page_view(60_000.0 + VISIT_GAP_MS + 1.0, "s3");
        assert_eq!(v.visits, 2);
        assert!(v.returning());
        assert_eq!(v.seed, "s1");
        v.converted(&config(), &lead(true));
        v.forget();
        assert!(v.values.is_empty() && !v.consent);
        assert_eq!(v.seed, "s1");
    }

    #[test]
    fn unreadable_or_stale_memory_is_a_fresh_start() {
        assert_eq!(Visitor::from_storage(Some("{not ours")), Visitor::default());
        assert_eq!(
            Visitor::from_storage(Some(
                "lm0
seed	x"
            )),
            Visitor::default()
        );
        assert_eq!(Visitor::from_storage(None), Visitor::default());
        let mut v = Visitor::default();
        v.values
            .insert("email".into(), FieldValue::Text("not an email".into()));
        v.values
            .insert("size".into(), FieldValue::Text("gone option".into()));
        v.values
            .insert("first_name".into(), FieldValue::Text("Ada".into()));
        let known = v.known_for(&config());
        assert_eq!(known.len(), 1);
        assert!(known.get("first_name").is_some());
    }
}
