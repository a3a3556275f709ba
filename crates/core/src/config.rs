//! The offer config v1: what a marketer writes in JSON to describe one offer.
//!
//! # API boundary
//! The JSON shape is a stable, versioned surface (`"version": 1`): keys are added, never
//! renamed. Unknown keys are rejected so that a typo (`"titel"`) is an error with its
//! place (and a "did you mean"), not a silently ignored setting. The JSON Schema
//! (`leadmagnet schema`, `www/schema/offer.v1.json`) is generated from these types.
//!
//! Parsing happens in two passes: [`parse_offer`] reads the JSON (type errors carry a
//! JSON pointer, line and column; every unknown key is collected), then
//! [`OfferConfig::check`] finds every semantic problem at once (duplicate ids, a select
//! without options, a rule naming an unknown field, unsorted grades …), each with its
//! pointer.

use crate::json::did_you_mean;
use crate::json::{from_json_struct, FromJson, Node, Reader};
use crate::rule::{EmailDomain, Rule, Scalar};
use crate::scoring::Scoring;
use crate::text::Text;
use serde::Serialize;
use std::fmt;

/// The only config version this core reads.
pub const CONFIG_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct OfferConfig {
    /// The JSON Schema, for editor autocompletion (`/schema/offer.v1.json`); ignored.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub version: u32,
    /// Stable id of the offer; leads carry it as `offer_id`.
    pub id: String,
    /// Locale of the visitor-facing texts (a BCP 47 tag such as `de` or `en-GB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub offer: Offer,
    pub fields: Vec<Field>,
    /// Progressive profiling: which fields a visit asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiling: Option<Profiling>,
    /// Lead scoring, grading, qualification and routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring: Option<Scoring>,
    pub endpoint: Endpoint,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Profiling {
    /// Fields asked on every visit (e.g. email and consent).
    #[serde(default)]
    pub always: Vec<String>,
    /// Fields asked progressively, in this order, once each.
    #[serde(default)]
    pub order: Vec<String>,
    /// How many fields of `order` a visit asks at most; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_new_fields: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Offer {
    pub kind: OfferKind,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// What the visitor gets after submitting (an eBook, a checklist …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<Asset>,
    /// Label of the submit button; a sensible default per locale otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_label: Option<Text>,
    /// Thank-you text shown after a successful submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// Content (eBook, whitepaper, checklist) in exchange for contact data.
    GatedContent,
    /// A plain form.
    Form,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Asset {
    /// Where the asset is downloaded from; relative URLs resolve against the config's URL.
    pub url: String,
    /// Text of the download link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Endpoint {
    /// Where leads are POSTed; relative URLs resolve against the config's URL.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Field {
    /// The key of the value in the lead payload: lower-case letters, digits and `_`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label: Text,
    #[serde(default)]
    pub required: bool,
    /// Choices of a `select` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
    /// HTML autocomplete token; derived from the field id when absent (see
    /// [`Field::autocomplete_token`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autocomplete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<Text>,
    /// A hint shown below the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Show the field only while this condition holds (dependent fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<Rule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Email,
    Select,
    Checkbox,
    /// A consent checkbox: never pre-ticked, its label is the consent text.
    Consent,
}

impl FieldType {
    /// Whether the field's value is a boolean (a tick box) rather than text.
    pub fn is_tick_box(self) -> bool {
        matches!(self, FieldType::Checkbox | FieldType::Consent)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct FieldOption {
    pub value: String,
    /// Shown to the visitor; the value itself otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
}

impl Field {
    /// The autocomplete token (WCAG 1.3.5): the configured one, or one derived from
    /// well-known field ids so browser autofill works without configuration.
    pub fn autocomplete_token(&self) -> Option<&str> {
        if self.kind.is_tick_box() {
            return None;
        }
        if let Some(token) = &self.autocomplete {
            return Some(token);
        }
        Some(match (self.kind, self.id.as_str()) {
            (FieldType::Email, _) | (_, "email") => "email",
            (_, "first_name" | "given_name") => "given-name",
            (_, "last_name" | "family_name") => "family-name",
            (_, "name" | "full_name") => "name",
            (_, "company" | "organization" | "organisation") => "organization",
            (_, "role" | "job_title" | "title" | "position") => "organization-title",
            (_, "phone" | "tel" | "telephone") => "tel",
            (_, "country") => "country-name",
            (_, "postal_code" | "zip") => "postal-code",
            (_, "website" | "url") => "url",
            _ => "on",
        })
    }
}

impl OfferConfig {
    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The locale of the texts, `en` when the config names none.
    pub fn locale(&self) -> &str {
        self.locale.as_deref().unwrap_or("en")
    }

    /// Every semantic problem of the config, each with the JSON pointer of its place.
    pub fn check(&self) -> Vec<ConfigError> {
        let mut p = Problems::default();
        if self.version != CONFIG_VERSION {
            p.add(
                "/version",
                format!(
                    "unsupported config version {}: this Leadmagnet reads version {CONFIG_VERSION}",
                    self.version
                ),
            );
        }
        if !is_slug(&self.id, |c| c == '-' || c == '_') {
            p.add(
                "/id",
                format!("offer id \"{}\" must be 1–64 characters of a–z, 0–9, `-` and `_`, e.g. \"ebook-lead-scoring\"", self.id),
            );
        }
        check_text(&self.offer.title, "/offer/title", &mut p);
        if let Some(asset) = &self.offer.asset {
            if let Err(why) = check_url(&asset.url) {
                p.add("/offer/asset/url", why);
            }
        }
        if let Err(why) = check_url(&self.endpoint.url) {
            p.add("/endpoint/url", why);
        }
        if self.fields.is_empty() {
            p.add(
                "/fields",
                "an offer needs at least one field, e.g. {\"id\": \"email\", \"type\": \"email\", \"label\": \"Email\", \"required\": true}".into(),
            );
        }
        for (i, field) in self.fields.iter().enumerate() {
            self.check_field(i, field, &mut p);
        }
        if let Some(profiling) = &self.profiling {
            self.check_profiling(profiling, &mut p);
        }
        if let Some(scoring) = &self.scoring {
            self.check_scoring(scoring, &mut p);
        }
        p.0
    }

    fn check_field(&self, i: usize, field: &Field, p: &mut Problems) {
        let at = format!("/fields/{i}");
        if !is_slug(&field.id, |c| c == '_') {
            p.add(
                format!("{at}/id"),
                format!("field id \"{}\" must be 1–64 characters of a–z, 0–9 and `_`, e.g. \"first_name\"", field.id),
            );
        }
        if let Some(first) = self.fields[..i].iter().position(|f| f.id == field.id) {
            p.add(
                format!("{at}/id"),
                format!("duplicate field id \"{}\" (also at /fields/{first}): give each field its own id", field.id),
            );
        }
        check_text(&field.label, &format!("{at}/label"), p);
        match field.kind {
            FieldType::Select if field.options.is_empty() => p.add(
                format!("{at}/options"),
                "a select field needs at least one option, e.g. [{\"value\": \"1-9\"}]".into(),
            ),
            FieldType::Select => {
                for (j, opt) in field.options.iter().enumerate() {
                    if opt.value.trim().is_empty() {
                        p.add(
                            format!("{at}/options/{j}/value"),
                            "option value must not be empty".into(),
                        );
                    }
                    if field.options[..j].iter().any(|o| o.value == opt.value) {
                        p.add(
                            format!("{at}/options/{j}/value"),
                            format!("duplicate option value \"{}\"", opt.value),
                        );
                    }
                }
            }
            _ if !field.options.is_empty() => p.add(
                format!("{at}/options"),
                "only select fields have options; remove them or set \"type\": \"select\"".into(),
            ),
            _ => {}
        }
        if let Some(token) = &field.autocomplete {
            if token.trim().is_empty() || token.chars().any(|c| c.is_ascii_uppercase()) {
                p.add(
                    format!("{at}/autocomplete"),
                    format!("\"{token}\" is not an HTML autocomplete token; use lower-case tokens such as \"email\" or \"organization\""),
                );
            }
        }
        if let Some(cond) = &field.visible_if {
            self.check_rule(cond, &format!("{at}/visible_if"), RuleRole::Condition, p);
            if mentions_field(cond, &field.id) {
                p.add(
                    format!("{at}/visible_if"),
                    format!(
                        "field \"{}\" cannot depend on itself: it would never appear",
                        field.id
                    ),
                );
            }
        }
    }

    fn check_profiling(&self, profiling: &Profiling, p: &mut Problems) {
        for (list, name) in [(&profiling.always, "always"), (&profiling.order, "order")] {
            for (i, id) in list.iter().enumerate() {
                let at = format!("/profiling/{name}/{i}");
                self.check_field_ref(id, &at, p);
                if list[..i].contains(id) {
                    p.add(at.clone(), format!("\"{id}\" is listed twice"));
                }
                if name == "order" && profiling.always.contains(id) {
                    p.add(
                        at,
                        format!("\"{id}\" is in both always and order; keep it in one"),
                    );
                }
            }
        }
        for (i, field) in self.fields.iter().enumerate() {
            if !profiling.always.contains(&field.id) && !profiling.order.contains(&field.id) {
                p.add(
                    format!("/fields/{i}/id"),
                    format!("field \"{}\" is in neither profiling.always nor profiling.order, so it is never asked; add it to one of them", field.id),
                );
            }
        }
    }

    fn check_scoring(&self, scoring: &Scoring, p: &mut Problems) {
        let mut ids: Vec<(String, String)> = Vec::new();
        let sections: [(&[Rule], &str, RuleRole); 3] = [
            (&scoring.fit, "fit", RuleRole::Fit),
            (&scoring.engagement, "engagement", RuleRole::Engagement),
            (&scoring.disqualify, "disqualify", RuleRole::Disqualify),
        ];
        for (rules, section, role) in sections {
            for (i, rule) in rules.iter().enumerate() {
                let at = format!("/scoring/{section}/{i}");
                self.check_rule(rule, &at, role, p);
                if let Some(id) = &rule.id {
                    if let Some((_, first)) = ids.iter().find(|(other, _)| other == id) {
                        p.add(format!("{at}/id"), format!("duplicate rule id \"{id}\" (also at {first}): breakdowns name rules by id"));
                    } else {
                        ids.push((id.clone(), at.clone()));
                    }
                }
            }
        }
        if let Some(h) = scoring.decay_half_life_days {
            if h.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                p.add(
                    "/scoring/decay_half_life_days",
                    "the half-life must be a positive number of days, e.g. 30".into(),
                );
            }
        }
        for (i, g) in scoring.fit_grades.iter().enumerate() {
            let at = format!("/scoring/fit_grades/{i}");
            if g.grade.trim().is_empty() {
                p.add(
                    format!("{at}/grade"),
                    "grade must not be empty, e.g. \"A\"".into(),
                );
            }
            if scoring.fit_grades[..i].iter().any(|o| o.grade == g.grade) {
                p.add(
                    format!("{at}/grade"),
                    format!("duplicate grade \"{}\"", g.grade),
                );
            }
            if let Some(prev) = i.checked_sub(1).map(|j| &scoring.fit_grades[j]) {
                if g.min >= prev.min {
                    p.add(
                        format!("{at}/min"),
                        format!("fit_grades must be sorted by min, highest first: {} does not come below {} (\"{}\")", num(g.min), num(prev.min), prev.grade),
                    );
                }
            }
        }
        for (i, l) in scoring.engagement_levels.iter().enumerate() {
            let at = format!("/scoring/engagement_levels/{i}");
            if scoring.engagement_levels[..i]
                .iter()
                .any(|o| o.level == l.level)
            {
                p.add(
                    format!("{at}/level"),
                    format!("duplicate level {}", l.level),
                );
            }
            if let Some(prev) = i.checked_sub(1).map(|j| &scoring.engagement_levels[j]) {
                if l.min >= prev.min {
                    p.add(
                        format!("{at}/min"),
                        format!("engagement_levels must be sorted by min, highest first: {} does not come below {} (level {})", num(l.min), num(prev.min), prev.level),
                    );
                }
            }
        }
        if let Some(mql) = &scoring.mql {
            let known = || {
                scoring
                    .fit_grades
                    .iter()
                    .map(|g| g.grade.as_str())
                    .chain(["D"])
            };
            if !known().any(|g| g == mql.min_fit_grade) {
                let hint = did_you_mean(&mql.min_fit_grade, known())
                    .map_or(String::new(), |g| format!(" (did you mean \"{g}\"?)"));
                let mut names: Vec<String> = Vec::new();
                for g in known().map(|g| format!("\"{g}\"")) {
                    if !names.contains(&g) {
                        names.push(g);
                    }
                }
                p.add(
                    "/scoring/mql/min_fit_grade",
                    format!(
                        "unknown grade \"{}\"{hint}; grades are {}",
                        mql.min_fit_grade,
                        names.join(", ")
                    ),
                );
            }
        }
        for (i, route) in scoring.routing.iter().enumerate() {
            let at = format!("/scoring/routing/{i}");
            if route.queue.trim().is_empty() {
                p.add(format!("{at}/queue"), "queue must not be empty".into());
            }
            match &route.when {
                Some(when) => self.check_rule(when, &format!("{at}/when"), RuleRole::Condition, p),
                None if i + 1 < scoring.routing.len() => p.add(
                    at,
                    "an entry without \"when\" always matches, so the entries after it are never reached; move it last".into(),
                ),
                None => {}
            }
        }
    }

    fn check_field_ref(&self, id: &str, at: &str, p: &mut Problems) -> Option<&Field> {
        let found = self.field(id);
        if found.is_none() {
            let hint = did_you_mean(id, self.fields.iter().map(|f| f.id.as_str()))
                .map_or(String::new(), |f| format!(" (did you mean \"{f}\"?)"));
            p.add(at.to_owned(), format!("unknown field \"{id}\"{hint}"));
        }
        found
    }

    fn check_rule(&self, rule: &Rule, at: &str, role: RuleRole, p: &mut Problems) {
        let named = matches!(
            role,
            RuleRole::Fit | RuleRole::Engagement | RuleRole::Disqualify
        );
        if named && rule.id.as_ref().is_none_or(|id| id.trim().is_empty()) {
            p.add(
                format!("{at}/id"),
                "give the rule an id, e.g. \"senior-role\": breakdowns name rules by it".into(),
            );
        }
        if !named && rule.id.is_some() {
            p.add(
                format!("{at}/id"),
                "a condition has no id; ids belong to fit, engagement and disqualify rules".into(),
            );
        }
        let scored = matches!(role, RuleRole::Fit | RuleRole::Engagement);
        match rule.points {
            Some(points) if !scored => {
                let _ = points;
                p.add(
                    format!("{at}/points"),
                    "points belong to fit and engagement rules only".into(),
                )
            }
            Some(points) if points.fract() != 0.0 || !points.is_finite() => p.add(
                format!("{at}/points"),
                format!("points must be a whole number, not {}", num(points)),
            ),
            None if scored => p.add(
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
        ];
        if role == RuleRole::Engagement {
            if rule.event.as_ref().is_none_or(|e| e.trim().is_empty()) {
                p.add(
                    format!("{at}/event"),
                    "an engagement rule counts one event type, e.g. \"event\": \"page_view\""
                        .into(),
                );
            }
            if let Some(max) = rule.max {
                if max < 1.0 || max.fract() != 0.0 {
                    p.add(
                        format!("{at}/max"),
                        format!(
                            "max must be a whole number of events, at least 1, not {}",
                            num(max)
                        ),
                    );
                }
            }
            if rule.has_condition() {
                p.add(
                    at.to_owned(),
                    "an engagement rule counts events; field conditions belong in fit rules".into(),
                );
            }
            return;
        }
        for (key, present) in engagement_keys {
            if present {
                p.add(
                    format!("{at}/{key}"),
                    format!("\"{key}\" belongs to engagement rules only"),
                );
            }
        }
        self.check_condition(rule, at, p);
    }

    fn check_condition(&self, c: &Rule, at: &str, p: &mut Problems) {
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
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| name)
        .collect();
        match kinds.iter().filter(|k| **k).count() {
            0 if operators.is_empty() => {
                p.add(at.to_owned(), "a condition needs \"field\" with an operator, \"email_domain\", \"all\", \"any\" or \"not\"".into());
                return;
            }
            0 => {
                p.add(
                    format!("{at}/field"),
                    format!("\"{}\" needs the \"field\" it tests", operators[0]),
                );
                return;
            }
            1 => {}
            _ => {
                p.add(
                    at.to_owned(),
                    "one condition per object: combine several with \"all\" or \"any\"".into(),
                );
                return;
            }
        }
        if let Some(field_id) = &c.field {
            let field = self.check_field_ref(field_id, &format!("{at}/field"), p);
            let range = operators.iter().all(|o| *o == "gte" || *o == "lte");
            if operators.is_empty() {
                p.add(at.to_owned(), format!("say what to test \"{field_id}\" for: equals, in, contains_any, gte, lte or is_set"));
            } else if operators.len() > 1 && !range {
                p.add(
                    at.to_owned(),
                    format!(
                        "one operator per condition, not {}: combine them with \"all\" or \"any\"",
                        operators.join(" and ")
                    ),
                );
            }
            if let (Some(lo), Some(hi)) = (c.gte, c.lte) {
                if lo > hi {
                    p.add(
                        format!("{at}/gte"),
                        format!(
                            "gte {} is above lte {}: nothing can match",
                            num(lo),
                            num(hi)
                        ),
                    );
                }
            }
            if let Some(field) = field.filter(|f| f.kind == FieldType::Select) {
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
                        p.add(pointer, format!("\"{text}\" is not an option of \"{field_id}\"{hint}; options are {}", names.join(", ")));
                    }
                }
            }
            if c.contains_any.as_ref().is_some_and(Vec::is_empty)
                || c.one_of.as_ref().is_some_and(Vec::is_empty)
            {
                p.add(
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
                    p.add(format!("{at}/email_domain"), format!("unknown domain class \"{class}\"{hint}; use \"free\", \"disposable\", \"business\" or a list of domains"));
                }
                EmailDomain::Domains(list) if list.is_empty() => p.add(
                    format!("{at}/email_domain"),
                    "an empty list matches nothing; give at least one domain".into(),
                ),
                EmailDomain::Domains(list) => {
                    for (i, d) in list.iter().enumerate() {
                        if !d.contains('.') || d.contains('@') || d.trim() != d {
                            p.add(
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
                p.add(
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
                self.check_rule(inner, &inner_at, RuleRole::Condition, p);
            }
        }
        if c.field.is_none() && !operators.is_empty() {
            p.add(
                at.to_owned(),
                format!("\"{}\" belongs with a \"field\"", operators[0]),
            );
        }
    }
}

/// Where a rule stands, which decides the keys it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleRole {
    Fit,
    Engagement,
    Disqualify,
    Condition,
}

#[derive(Default)]
struct Problems(Vec<ConfigError>);

impl Problems {
    fn add(&mut self, pointer: impl Into<String>, message: String) {
        self.0.push(ConfigError {
            pointer: pointer.into(),
            line: None,
            column: None,
            message,
        });
    }
}

/// A number for a message, without f64's `Display` (≈14 KB of wasm): whole numbers as
/// such, others with up to 4 decimals.
fn num(n: f64) -> String {
    if !n.is_finite() {
        return "a number out of range".into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let scaled = libm::round(n.abs() * 10_000.0) as u64;
    let (int, frac) = (scaled / 10_000, scaled % 10_000);
    if frac == 0 {
        format!("{sign}{int}")
    } else {
        let digits = format!("{frac:04}");
        format!("{sign}{int}.{}", digits.trim_end_matches('0'))
    }
}

fn mentions_field(c: &Rule, id: &str) -> bool {
    c.field.as_deref() == Some(id)
        || c.all
            .iter()
            .chain(c.any.iter())
            .flatten()
            .any(|r| mentions_field(r, id))
        || c.not.as_deref().is_some_and(|r| mentions_field(r, id))
}

fn is_slug(s: &str, extra: impl Fn(char) -> bool) -> bool {
    (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra(c))
}

fn check_text(text: &Text, pointer: &str, p: &mut Problems) {
    for (locale, value) in text.variants() {
        if value.trim().is_empty() {
            let at = if locale.is_empty() {
                pointer.to_owned()
            } else {
                format!("{pointer}/{locale}")
            };
            p.add(at, "text must not be empty".into());
        }
    }
}

/// An absolute http(s) URL or a relative one; never `javascript:`, `data:` and the like.
fn check_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("URL must not be empty, e.g. \"/api/v1/leads\"".into());
    }
    let scheme_end = url.find(':');
    let first_delim = url.find(['/', '?', '#']);
    match scheme_end {
        Some(colon) if first_delim.is_none_or(|d| colon < d) => {
            let scheme = url[..colon].to_ascii_lowercase();
            if scheme == "https" || scheme == "http" {
                Ok(())
            } else {
                Err(format!(
                    "URL scheme `{scheme}:` is not allowed; use https:// or a relative path"
                ))
            }
        }
        _ => Ok(()),
    }
}

/// One problem of a config: where (JSON pointer, and line/column when the JSON itself
/// was wrong) and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    /// JSON pointer (RFC 6901) of the offending value; `""` is the whole document.
    pub pointer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{at}")?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " (line {line}, column {column})")?;
        }
        write!(f, ": {}", self.message)
    }
}

from_json_struct!(OfferConfig {
    schema: opt "$schema",
    version: req "version",
    id: req "id",
    locale: opt "locale",
    offer: req "offer",
    fields: req "fields",
    profiling: opt "profiling",
    scoring: opt "scoring",
    endpoint: req "endpoint",
});

from_json_struct!(Profiling {
    always: or_default "always",
    order: or_default "order",
    max_new_fields: opt "max_new_fields",
});

from_json_struct!(Offer {
    kind: req "kind",
    title: req "title",
    description: opt "description",
    asset: opt "asset",
    submit_label: opt "submit_label",
    success: opt "success",
});

impl FromJson for OfferKind {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("gated_content", OfferKind::GatedContent),
                ("form", OfferKind::Form),
            ],
        )
    }
}

from_json_struct!(Asset { url: req "url", label: opt "label" });

from_json_struct!(Endpoint { url: req "url" });

from_json_struct!(Field {
    id: req "id",
    kind: req "type",
    label: req "label",
    required: or_default "required",
    options: or_default "options",
    autocomplete: opt "autocomplete",
    placeholder: opt "placeholder",
    help: opt "help",
    visible_if: opt "visible_if",
});

impl FromJson for FieldType {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("text", FieldType::Text),
                ("email", FieldType::Email),
                ("select", FieldType::Select),
                ("checkbox", FieldType::Checkbox),
                ("consent", FieldType::Consent),
            ],
        )
    }
}

from_json_struct!(FieldOption { value: req "value", label: opt "label" });

/// Reads an offer config and checks it: `Ok` only for a config the widget can render.
/// On error, every problem found (one for malformed JSON, all semantic ones otherwise).
pub fn parse_offer(json: &str) -> Result<OfferConfig, Vec<ConfigError>> {
    let config: OfferConfig = crate::json::read(json, true).map_err(|problems| {
        problems
            .into_iter()
            .map(|err| ConfigError {
                pointer: err.pointer,
                line: Some(err.line),
                column: Some(err.column),
                message: err.message,
            })
            .collect::<Vec<_>>()
    })?;
    let problems = config.check();
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}
