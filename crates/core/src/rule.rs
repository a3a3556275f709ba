//! Rules and conditions: one shape for fit rules, engagement rules, disqualifiers, routing
//! `when` and fields' `visible_if`.
//!
//! A [`Rule`] is read as written (every key optional) and checked by
//! [`crate::config::OfferConfig::check`], which reports each misuse with its pointer; the
//! evaluation here may then rely on a well-formed rule. One shape keeps the config format
//! small to learn and the widget small to ship.

use crate::config::check::{add, Problems};
use crate::config::{num, OfferConfig};
use crate::domains::{DomainClass, DomainLists};
use crate::json::did_you_mean;
use crate::json::{from_json_struct, FromJson, Node, Reader, Value};
use crate::validate::{FieldValue, Values};
use serde::{Serialize, Serializer};

/// A condition, or a rule that adds a condition to an effect (`id`, `points`, `event` …).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Rule {
    /// Names the rule in score breakdowns (fit, engagement and disqualify rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Points the rule adds (negative to subtract); whole numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,

    /// The field a condition looks at. In `scoring.routing` conditions also the score's
    /// results: `score.stage` (inquiry, mql, disqualified), `score.grade`, `score.level`
    /// and `score.matrix` (e.g. "A1").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The field's value equals this (text case-insensitively).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Scalar>,
    /// The field's value equals one of these.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Scalar>>,
    /// The field's text contains one of these (case-insensitively).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains_any: Option<Vec<String>>,
    /// The field's value, as a number, is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    /// The field's value, as a number, is at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
    /// The field's text matches this pattern, `*` standing for any characters
    /// (case-insensitively), e.g. `"https://example.com/pricing*"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    /// The field has (true) or lacks (false) a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_set: Option<bool>,
    /// The email address's domain is of this class, or one of these domains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_domain: Option<EmailDomain>,
    /// Every one of these conditions holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<Rule>>,
    /// At least one of these conditions holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<Rule>>,
    /// This condition does not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Rule>>,

    /// Engagement rules: the event type counted (`page_view`, `offer_completed` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Engagement rules: only events whose URL contains this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_contains: Option<String>,
    /// Engagement rules: only events of this offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
    /// Engagement rules: count at most this many of the most recent matching events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// `page_view` rules: only page views visible at least this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_seconds: Option<f64>,
    /// `page_view` rules: only page views scrolled at least this far (0 to 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_scroll_percent: Option<f64>,
}

/// A value in a condition: text, a number or a boolean.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

/// `"free"`, `"disposable"`, `"business"`, or a list of domains.
#[derive(Debug, Clone, PartialEq)]
pub enum EmailDomain {
    Class(String),
    Domains(Vec<String>),
}

/// What conditions are evaluated against: known values (profile and answers) and the
/// domain lists for `email_domain`.
pub struct Facts<'a> {
    pub values: &'a Values,
    pub lists: &'a dyn DomainLists,
    /// Routing only: the score's results ([`ROUTING_FACTS`]), looked up after the values.
    pub score: Option<&'a Values>,
}

impl Facts<'_> {
    /// The class of the lead's email domain, from the first text value that looks like an
    /// email address in the `email` field.
    fn email_domain(&self) -> Option<String> {
        match self.values.get("email") {
            Some(FieldValue::Text(e)) => crate::email::domain(e),
            _ => None,
        }
    }
}

/// Lower case after trimming: how every text comparison is made.
///
/// Unicode's lower-case mapping for the scripts of the markets served (Latin with
/// Latin-1 and Latin Extended-A, modern Greek, Cyrillic; tested against the standard
/// library for every letter of those blocks). Other characters compare as written: std's full
/// tables would cost the widget ~15 KB, and the server must compute exactly what the
/// browser did.
pub fn fold(text: &str) -> String {
    text.trim().chars().map(lower).collect()
}

fn lower(c: char) -> char {
    let u = c as u32;
    let mapped = match u {
        0x41..=0x5A => u + 0x20,
        0xC0..=0xDE if u != 0xD7 => u + 0x20,
        // Latin Extended-A: pairs of capital and small letters.
        0x100..=0x137 | 0x14A..=0x177 if u.is_multiple_of(2) => u + 1,
        0x139..=0x148 | 0x179..=0x17E if !u.is_multiple_of(2) => u + 1,
        0x178 => 0xFF,
        0x1E9E => 0xDF,
        0x391..=0x3AB if u != 0x3A2 => u + 0x20,
        0x386 => 0x3AC,
        0x388..=0x38A => u + 0x25,
        0x38C => 0x3CC,
        0x38E | 0x38F => u + 0x3F,
        0x400..=0x40F => u + 0x50,
        0x410..=0x42F => u + 0x20,
        // Cyrillic pairs (Ukrainian Ґ, Kazakh, …).
        0x460..=0x480 | 0x48A..=0x4BF | 0x4D0..=0x52F if u.is_multiple_of(2) => u + 1,
        0x4C1..=0x4CE if !u.is_multiple_of(2) => u + 1,
        0x4C0 => 0x4CF,
        _ => u,
    };
    char::from_u32(mapped).unwrap_or(c)
}

fn is_set(value: Option<&FieldValue>) -> bool {
    match value {
        Some(FieldValue::Text(t)) => !t.trim().is_empty(),
        Some(FieldValue::Bool(_)) => true,
        Some(FieldValue::List(items)) => !items.is_empty(),
        None => false,
    }
}

fn number_of(value: &FieldValue) -> Option<f64> {
    match value {
        FieldValue::Text(t) => crate::json::parse_decimal(t.trim()),
        _ => None,
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters (also
/// none); both folded, so case does not matter. `*/pricing*` matches every pricing URL.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (fold(pattern), fold(text));
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn scalar_matches(value: &FieldValue, want: &Scalar) -> bool {
    match (value, want) {
        (FieldValue::List(items), w) => items
            .iter()
            .any(|i| scalar_matches(&FieldValue::Text(i.clone()), w)),
        (FieldValue::Text(t), Scalar::Text(w)) => fold(t) == fold(w),
        (FieldValue::Text(_), Scalar::Number(n)) => number_of(value) == Some(*n),
        (FieldValue::Text(t), Scalar::Bool(b)) => fold(t) == if *b { "true" } else { "false" },
        (FieldValue::Bool(v), Scalar::Bool(b)) => v == b,
        (FieldValue::Bool(v), Scalar::Text(w)) => fold(w) == if *v { "true" } else { "false" },
        (FieldValue::Bool(_), Scalar::Number(_)) => false,
    }
}

impl Rule {
    /// Whether the rule carries any condition key (a rule without one always holds,
    /// which only makes sense for engagement rules and routing fallbacks).
    pub fn has_condition(&self) -> bool {
        self.field.is_some()
            || self.email_domain.is_some()
            || self.all.is_some()
            || self.any.is_some()
            || self.not.is_some()
    }

    /// Whether the condition holds for `facts`. A missing field matches nothing except
    /// `is_set: false`.
    pub fn matches(&self, facts: &Facts) -> bool {
        if let Some(all) = &self.all {
            return all.iter().all(|r| r.matches(facts));
        }
        if let Some(any) = &self.any {
            return any.iter().any(|r| r.matches(facts));
        }
        if let Some(not) = &self.not {
            return !not.matches(facts);
        }
        if let Some(wanted) = &self.email_domain {
            let Some(domain) = facts.email_domain() else {
                return false;
            };
            return match wanted {
                EmailDomain::Class(class) => {
                    DomainClass::parse(class) == Some(facts.lists.classify(&domain))
                }
                EmailDomain::Domains(list) => list.iter().any(|d| {
                    let d = fold(d);
                    domain == d || domain.ends_with(&format!(".{d}"))
                }),
            };
        }
        let Some(field) = &self.field else {
            return true;
        };
        let value = facts
            .values
            .get(field)
            .or_else(|| facts.score.and_then(|s| s.get(field)));
        if let Some(wanted) = self.is_set {
            return is_set(value) == wanted;
        }
        let Some(value) = value.filter(|v| is_set(Some(v))) else {
            return false;
        };
        if let Some(want) = &self.equals {
            return scalar_matches(value, want);
        }
        if let Some(list) = &self.one_of {
            return list.iter().any(|w| scalar_matches(value, w));
        }
        if let Some(parts) = &self.contains_any {
            let texts: Vec<String> = match value {
                FieldValue::Text(t) => vec![fold(t)],
                FieldValue::List(items) => items.iter().map(|i| fold(i)).collect(),
                FieldValue::Bool(_) => return false,
            };
            return texts
                .iter()
                .any(|t| parts.iter().any(|p| t.contains(&fold(p))));
        }
        if let Some(pattern) = &self.matches {
            return match value {
                FieldValue::Text(t) => glob(pattern, t),
                FieldValue::List(items) => items.iter().any(|i| glob(pattern, i)),
                FieldValue::Bool(_) => false,
            };
        }
        if self.gte.is_some() || self.lte.is_some() {
            let Some(n) = number_of(value) else {
                return false;
            };
            return self.gte.is_none_or(|min| n >= min) && self.lte.is_none_or(|max| n <= max);
        }
        false
    }
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Text(t) => s.serialize_str(t),
            Scalar::Number(n) => s.serialize_f64(*n),
            Scalar::Bool(b) => s.serialize_bool(*b),
        }
    }
}

impl FromJson for Scalar {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        match &node.value {
            Value::String(s) => Some(Scalar::Text(s.clone())),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            Value::Number(_) => f64::read(r, node, at).map(Scalar::Number),
            _ => r.expected(node, at, "a string, a number or a boolean"),
        }
    }
}

impl Serialize for EmailDomain {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EmailDomain::Class(c) => s.serialize_str(c),
            EmailDomain::Domains(list) => list.serialize(s),
        }
    }
}

impl FromJson for EmailDomain {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        match &node.value {
            Value::String(s) => Some(EmailDomain::Class(s.clone())),
            Value::Array(_) => Vec::read(r, node, at).map(EmailDomain::Domains),
            _ => r.expected(
                node,
                at,
                "\"free\", \"disposable\", \"business\" or a list of domains",
            ),
        }
    }
}

// Which of these keys fit where (fit, engagement, condition …) is checked with the config.
from_json_struct!(Rule {
    id: opt "id",
    points: opt "points",
    field: opt "field",
    equals: opt "equals",
    one_of: opt "in",
    contains_any: opt "contains_any",
    gte: opt "gte",
    lte: opt "lte",
    matches: opt "matches",
    is_set: opt "is_set",
    email_domain: opt "email_domain",
    all: opt "all",
    any: opt "any",
    not: opt "not",
    event: opt "event",
    url_contains: opt "url_contains",
    offer_id: opt "offer_id",
    max: opt "max",
    min_seconds: opt "min_seconds",
    min_scroll_percent: opt "min_scroll_percent",
});

/// Where a rule stands, which decides the keys it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleRole {
    Fit,
    Engagement,
    Disqualify,
    Condition,
    /// `display.targeting`: a condition over page facts rather than fields.
    Targeting,
    /// `scoring.routing[].when`: a condition over fields and the score's results
    /// ([`ROUTING_FACTS`]).
    Routing,
}

/// What routing conditions can look at besides fields: the score's results, so a queue
/// can take MQLs only, or grade A and B (see `scoring::score`).
pub const ROUTING_FACTS: &[&str] = &["score.stage", "score.grade", "score.level", "score.matrix"];

/// What `display.targeting` conditions can look at (see [`crate::display::PageFacts`]).
pub const TARGETING_FACTS: &[&str] = &[
    "page_url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "visitor",
    "device",
];

/// The checks of a rule, each problem with its JSON pointer (see [`OfferConfig::check`]).
impl Rule {
    /// The checks of this rule standing at `at` in `offer`, in the `role` that decides the
    /// keys it may have.
    pub(crate) fn check(&self, offer: &OfferConfig, at: &str, role: RuleRole, p: &mut Problems) {
        let rule = self;
        let named = matches!(
            role,
            RuleRole::Fit | RuleRole::Engagement | RuleRole::Disqualify
        );
        if named && rule.id.as_ref().is_none_or(|id| id.trim().is_empty()) {
            add!(
                p,
                format!("{at}/id"),
                "give the rule an id, e.g. \"senior-role\": breakdowns name rules by it".into(),
            );
        }
        if !named && rule.id.is_some() {
            add!(
                p,
                format!("{at}/id"),
                "a condition has no id; ids belong to fit, engagement and disqualify rules".into(),
            );
        }
        let scored = matches!(role, RuleRole::Fit | RuleRole::Engagement);
        match rule.points {
            Some(points) if !scored => {
                let _ = points;
                add!(
                    p,
                    format!("{at}/points"),
                    "points belong to fit and engagement rules only".into(),
                )
            }
            Some(points) if points.fract() != 0.0 || !points.is_finite() => add!(
                p,
                format!("{at}/points"),
                format!("points must be a whole number, not {}", num(points)),
            ),
            None if scored => add!(
                p,
                format!("{at}/points"),
                "the rule needs points, e.g. \"points\": 10".into(),
            ),
            _ => {}
        }
        let engagement_keys = [
            ("event", rule.event.is_some()),
            ("url_contains", rule.url_contains.is_some()),
            ("offer_id", rule.offer_id.is_some()),
            ("max", rule.max.is_some()),
            ("min_seconds", rule.min_seconds.is_some()),
            ("min_scroll_percent", rule.min_scroll_percent.is_some()),
        ];
        if role == RuleRole::Engagement {
            match rule.event.as_deref().map(str::trim) {
                None | Some("") => add!(
                    p,
                    format!("{at}/event"),
                    "an engagement rule counts one event type, e.g. \"event\": \"page_view\""
                        .into(),
                ),
                // Only the events the widget records can ever be counted.
                Some(event) if !crate::scoring::EVENT_TYPES.contains(&event) => {
                    let hint = did_you_mean(event, crate::scoring::EVENT_TYPES)
                        .map_or(String::new(), |e| format!(" (did you mean \"{e}\"?)"));
                    add!(
                        p,
                        format!("{at}/event"),
                        format!(
                            "unknown event \"{event}\"{hint}; the widget records {}",
                            crate::scoring::EVENT_TYPES.join(", ")
                        ),
                    )
                }
                _ => {}
            }
            for (key, min, top) in [
                ("min_seconds", rule.min_seconds, f64::INFINITY),
                ("min_scroll_percent", rule.min_scroll_percent, 100.0),
            ] {
                let Some(min) = min else { continue };
                if rule.event.as_deref() != Some("page_view") {
                    add!(
                        p,
                        format!("{at}/{key}"),
                        format!("\"{key}\" applies to \"event\": \"page_view\" only"),
                    );
                } else if !(0.0..=top).contains(&min) {
                    let range = if top.is_finite() {
                        format!("from 0 to {}", num(top))
                    } else {
                        "0 or more".to_owned()
                    };
                    add!(
                        p,
                        format!("{at}/{key}"),
                        format!("{key} must be {range}, not {}", num(min)),
                    );
                }
            }
            if let Some(max) = rule.max {
                if max < 1.0 || max.fract() != 0.0 {
                    add!(
                        p,
                        format!("{at}/max"),
                        format!(
                            "max must be a whole number of events, at least 1, not {}",
                            num(max)
                        ),
                    );
                }
            }
            if rule.has_condition() {
                add!(
                    p,
                    at.to_owned(),
                    "an engagement rule counts events; field conditions belong in fit rules".into(),
                );
            }
            return;
        }
        for (key, present) in engagement_keys {
            if present {
                add!(
                    p,
                    format!("{at}/{key}"),
                    format!("\"{key}\" belongs to engagement rules only"),
                );
            }
        }
        rule.check_condition(offer, at, role, p);
    }

    fn check_condition(&self, offer: &OfferConfig, at: &str, role: RuleRole, p: &mut Problems) {
        let c = self;
        let kinds = [
            c.field.is_some(),
            c.email_domain.is_some(),
            c.all.is_some(),
            c.any.is_some(),
            c.not.is_some(),
        ];
        let operators: Vec<&str> = [
            ("equals", c.equals.is_some()),
            ("in", c.one_of.is_some()),
            ("contains_any", c.contains_any.is_some()),
            ("gte", c.gte.is_some()),
            ("lte", c.lte.is_some()),
            ("is_set", c.is_set.is_some()),
            ("matches", c.matches.is_some()),
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| name)
        .collect();
        match kinds.iter().filter(|k| **k).count() {
            0 if operators.is_empty() => {
                add!(p, at.to_owned(), "a condition needs \"field\" with an operator, \"email_domain\", \"all\", \"any\" or \"not\"".into());
                return;
            }
            0 => {
                add!(
                    p,
                    format!("{at}/field"),
                    format!("\"{}\" needs the \"field\" it tests", operators[0]),
                );
                return;
            }
            1 => {}
            _ => {
                add!(
                    p,
                    at.to_owned(),
                    "one condition per object: combine several with \"all\" or \"any\"".into(),
                );
                return;
            }
        }
        if let Some(field_id) = &c.field {
            let field = if role == RuleRole::Targeting {
                if !TARGETING_FACTS.contains(&field_id.as_str()) {
                    let hint = did_you_mean(field_id, TARGETING_FACTS.iter().copied())
                        .map_or(String::new(), |f| format!(" (did you mean \"{f}\"?)"));
                    add!(p,
                        format!("{at}/field"),
                        format!(
                            "targeting looks at the page, not the form: unknown fact \"{field_id}\"{hint}; facts are {}",
                            TARGETING_FACTS.join(", ")
                        ),
                    );
                }
                None
            } else if role == RuleRole::Routing && field_id.starts_with("score.") {
                check_routing_fact(offer, c, field_id, at, p);
                None
            } else {
                offer.check_field_ref(field_id, &format!("{at}/field"), p)
            };
            let range = operators.iter().all(|o| *o == "gte" || *o == "lte");
            if operators.is_empty() {
                add!(p, at.to_owned(), format!("say what to test \"{field_id}\" for: equals, in, contains_any, matches, gte, lte or is_set"));
            } else if operators.len() > 1 && !range {
                add!(
                    p,
                    at.to_owned(),
                    format!(
                        "one operator per condition, not {}: combine them with \"all\" or \"any\"",
                        operators.join(" and ")
                    ),
                );
            }
            if let (Some(lo), Some(hi)) = (c.gte, c.lte) {
                if lo > hi {
                    add!(
                        p,
                        format!("{at}/gte"),
                        format!(
                            "gte {} is above lte {}: nothing can match",
                            num(lo),
                            num(hi)
                        ),
                    );
                }
            }
            if let Some(pattern) = &c.matches {
                if pattern.trim().is_empty() {
                    add!(
                        p,
                        format!("{at}/matches"),
                        "an empty pattern; use * as a wildcard, e.g. \"*/pricing*\"".into(),
                    );
                }
            }
            if let Some(field) = field.filter(|f| f.kind.has_options()) {
                let values: Vec<(String, &Scalar)> = match (&c.equals, &c.one_of) {
                    (Some(v), _) => vec![(format!("{at}/equals"), v)],
                    (_, Some(list)) => list
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("{at}/in/{i}"), v))
                        .collect(),
                    _ => Vec::new(),
                };
                for (pointer, value) in values {
                    let Scalar::Text(text) = value else { continue };
                    if !field
                        .options
                        .iter()
                        .any(|o| o.value.eq_ignore_ascii_case(text.trim()))
                    {
                        let hint =
                            did_you_mean(text, field.options.iter().map(|o| o.value.as_str()))
                                .map_or(String::new(), |o| format!(" (did you mean \"{o}\"?)"));
                        let names: Vec<String> = field
                            .options
                            .iter()
                            .map(|o| format!("\"{}\"", o.value))
                            .collect();
                        add!(p, pointer, format!("\"{text}\" is not an option of \"{field_id}\"{hint}; options are {}", names.join(", ")));
                    }
                }
            }
            if c.contains_any.as_ref().is_some_and(Vec::is_empty)
                || c.one_of.as_ref().is_some_and(Vec::is_empty)
            {
                add!(
                    p,
                    at.to_owned(),
                    "an empty list matches nothing; give at least one value".into(),
                );
            }
        } else if let Some(domain) = &c.email_domain {
            match domain {
                EmailDomain::Class(class)
                    if crate::domains::DomainClass::parse(class).is_none() =>
                {
                    let hint = did_you_mean(class, ["free", "disposable", "business"])
                        .map_or(String::new(), |c| format!(" (did you mean \"{c}\"?)"));
                    add!(p, format!("{at}/email_domain"), format!("unknown domain class \"{class}\"{hint}; use \"free\", \"disposable\", \"business\" or a list of domains"));
                }
                EmailDomain::Domains(list) if list.is_empty() => add!(
                    p,
                    format!("{at}/email_domain"),
                    "an empty list matches nothing; give at least one domain".into(),
                ),
                EmailDomain::Domains(list) => {
                    for (i, d) in list.iter().enumerate() {
                        if !d.contains('.') || d.contains('@') || d.trim() != d {
                            add!(
                                p,
                                format!("{at}/email_domain/{i}"),
                                format!("\"{d}\" is not a domain such as \"contoso.com\""),
                            );
                        }
                    }
                }
                EmailDomain::Class(_) => {}
            }
        } else {
            let (key, list) = match (&c.all, &c.any) {
                (Some(all), _) => ("all", all.as_slice()),
                (_, Some(any)) => ("any", any.as_slice()),
                _ => ("not", std::slice::from_ref(c.not.as_deref().unwrap_or(c))),
            };
            if list.is_empty() {
                add!(
                    p,
                    format!("{at}/{key}"),
                    format!("\"{key}\" needs at least one condition"),
                );
            }
            for (i, inner) in list.iter().enumerate() {
                let inner_at = if key == "not" {
                    format!("{at}/not")
                } else {
                    format!("{at}/{key}/{i}")
                };
                let inner_role = match role {
                    RuleRole::Targeting | RuleRole::Routing => role,
                    _ => RuleRole::Condition,
                };
                inner.check(offer, &inner_at, inner_role, p);
            }
        }
        if c.field.is_none() && !operators.is_empty() {
            add!(
                p,
                at.to_owned(),
                format!("\"{}\" belongs with a \"field\"", operators[0]),
            );
        }
    }

    /// Whether this condition, or one inside it, looks at field `id`.
    pub(crate) fn mentions_field(&self, id: &str) -> bool {
        self.field.as_deref() == Some(id)
            || self
                .all
                .iter()
                .chain(self.any.iter())
                .flatten()
                .any(|r| r.mentions_field(id))
            || self.not.as_deref().is_some_and(|r| r.mentions_field(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_is_unicode_lower_case_for_the_covered_scripts() {
        let blocks = [0x20..0x180u32, 0x386..0x3CF, 0x400..0x530, 0x1E9E..0x1E9F];
        for c in blocks.into_iter().flatten().filter_map(char::from_u32) {
            let std: Vec<char> = c.to_lowercase().collect();
            // U+0130 (İ) lower-cases to two characters; it stays as written.
            if std.len() == 1 {
                assert_eq!(lower(c), std[0], "U+{:04X} {c}", c as u32);
            }
        }
        assert_eq!(fold("  GESCHÄFTSFÜHRERIN "), "geschäftsführerin");
        assert_eq!(fold("ŁÓDŹ ΑΘΗΝΑ МОСКВА"), "łódź αθηνα москва");
    }

    #[test]
    fn glob_patterns() {
        assert!(glob("*/pricing*", "https://x.io/pricing?a=1"));
        assert!(glob("https://X.io/*", "https://x.io/"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "abc"));
        assert!(glob("a*b*c", "a-b-b-c"));
        assert!(!glob("a*b*c", "a-c"));
        assert!(!glob("*/pricing", "https://x.io/pricing/x"));
        assert!(!glob("abc", "abcd"));
        assert!(glob("abc", "ABC"));
        assert!(!glob("ab*ba", "aba"));
    }
}

#[cfg(feature = "schema")]
mod schema {
    use super::{EmailDomain, Scalar};
    use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
    use std::borrow::Cow;

    impl JsonSchema for Scalar {
        fn schema_name() -> Cow<'static, str> {
            "Scalar".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({ "type": ["string", "number", "boolean"] })
        }
    }

    impl JsonSchema for EmailDomain {
        fn schema_name() -> Cow<'static, str> {
            "EmailDomain".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "anyOf": [
                    { "enum": ["free", "disposable", "business"] },
                    { "type": "array", "items": { "type": "string" } }
                ]
            })
        }
    }
}

/// A routing condition on the score's results: a known result, and for the stage and the
/// grade, values it can have.
fn check_routing_fact(offer: &OfferConfig, c: &Rule, fact: &str, at: &str, p: &mut Problems) {
    if !ROUTING_FACTS.contains(&fact) {
        let hint = did_you_mean(fact, ROUTING_FACTS.iter().copied())
            .map_or(String::new(), |f| format!(" (did you mean \"{f}\"?)"));
        add!(
            p,
            format!("{at}/field"),
            format!(
                "unknown score result \"{fact}\"{hint}; routing can use {}",
                ROUTING_FACTS.join(", ")
            ),
        );
        return;
    }
    let known: Vec<String> = match fact {
        "score.stage" => ["inquiry", "mql", "disqualified"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        "score.grade" => {
            let mut grades: Vec<String> = offer
                .scoring
                .iter()
                .flat_map(|s| s.fit_grades.iter().map(|g| g.grade.clone()))
                .collect();
            grades.push("D".into());
            grades
        }
        _ => return,
    };
    let values: Vec<(String, &Scalar)> = match (&c.equals, &c.one_of) {
        (Some(v), _) => vec![(format!("{at}/equals"), v)],
        (_, Some(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{at}/in/{i}"), v))
            .collect(),
        _ => Vec::new(),
    };
    for (pointer, value) in values {
        let Scalar::Text(text) = value else { continue };
        if !known.iter().any(|k| k.eq_ignore_ascii_case(text.trim())) {
            let hint = did_you_mean(text, known.iter().map(String::as_str))
                .map_or(String::new(), |k| format!(" (did you mean \"{k}\"?)"));
            let names: Vec<String> = known.iter().map(|k| format!("\"{k}\"")).collect();
            add!(
                p,
                pointer,
                format!(
                    "\"{text}\" is not a value of {fact}{hint}; it is one of {}",
                    names.join(", ")
                ),
            );
        }
    }
}

/// A condition in words (`company_size in "50-249", "250+"`), for explanations.
#[cfg(feature = "messages")]
pub fn describe(c: &Rule) -> String {
    let list = |rules: &[Rule], joint: &str| {
        let parts: Vec<String> = rules.iter().map(|r| format!("({})", describe(r))).collect();
        parts.join(joint)
    };
    if let Some(all) = &c.all {
        return list(all, " and ");
    }
    if let Some(any) = &c.any {
        return list(any, " or ");
    }
    if let Some(not) = &c.not {
        return format!("not ({})", describe(not));
    }
    if let Some(d) = &c.email_domain {
        return match d {
            EmailDomain::Class(class) => format!("the email domain is {class}"),
            EmailDomain::Domains(list) => format!("the email domain is one of {}", list.join(", ")),
        };
    }
    let field = c.field.as_deref().unwrap_or("?");
    let scalar = |s: &Scalar| match s {
        Scalar::Text(t) => format!("\"{t}\""),
        Scalar::Number(n) => num(*n),
        Scalar::Bool(b) => b.to_string(),
    };
    if let Some(v) = &c.equals {
        return format!("{field} equals {}", scalar(v));
    }
    if let Some(l) = &c.one_of {
        let parts: Vec<String> = l.iter().map(scalar).collect();
        return format!("{field} in {}", parts.join(", "));
    }
    if let Some(parts) = &c.contains_any {
        return format!("{field} contains any of \"{}\"", parts.join("\", \""));
    }
    if let Some(p) = &c.matches {
        return format!("{field} matches \"{p}\"");
    }
    if let Some(set) = c.is_set {
        return format!("{field} is {}", if set { "set" } else { "not set" });
    }
    match (c.gte, c.lte) {
        (Some(lo), Some(hi)) => format!("{field} from {} to {}", num(lo), num(hi)),
        (Some(lo), None) => format!("{field} ≥ {}", num(lo)),
        (None, Some(hi)) => format!("{field} ≤ {}", num(hi)),
        (None, None) => format!("{field} is tested"),
    }
}

/// Why a condition does not hold for `facts`, in words: the field's value against what
/// the condition wants (`role is "Intern"; wanted role contains any of "head", "vp"`).
#[cfg(feature = "messages")]
pub fn why_not(c: &Rule, facts: &Facts) -> String {
    let wanted = describe(c);
    if c.email_domain.is_some() {
        return match facts.email_domain() {
            Some(domain) => format!(
                "the email domain \"{domain}\" is {}; wanted {wanted}",
                facts.lists.classify(&domain).name()
            ),
            None => format!("no email address is known; wanted {wanted}"),
        };
    }
    let Some(field) = c.field.as_deref() else {
        return format!("wanted {wanted}");
    };
    match facts.values.get(field) {
        None => format!("{field} is not known; wanted {wanted}"),
        Some(FieldValue::Text(t)) => format!("{field} is \"{t}\"; wanted {wanted}"),
        Some(FieldValue::Bool(b)) => format!("{field} is {b}; wanted {wanted}"),
        Some(FieldValue::List(l)) => {
            format!("{field} is \"{}\"; wanted {wanted}", l.join("\", \""))
        }
    }
}
