//! The semantic checks of an offer config: every problem at once, each with the JSON
//! pointer of its place and a fix. Their texts exist only with the `messages` feature
//! (the checker and the collector); the widget runs the same checks without them.

use super::*;
use crate::json::did_you_mean;
use crate::rule::RuleRole;

/// `add!(p, pointer, message)`: a problem whose texts are built lazily (see
/// [`Problems::add`]).
macro_rules! add {
    ($p:expr, $at:expr, $msg:expr $(,)?) => {
        $p.add(|| -> (String, String) { ($at.into(), $msg) })
    };
}
pub(crate) use add;

impl OfferConfig {
    /// Every semantic problem of the config, each with the JSON pointer of its place.
    pub fn check(&self) -> Vec<ConfigError> {
        let mut p = Problems::default();
        if self.version != CONFIG_VERSION {
            add!(
                p,
                "/version",
                format!(
                    "unsupported config version {}: this Leadmagnet reads version {CONFIG_VERSION}",
                    self.version
                ),
            );
        }
        if !is_slug(&self.id, |c| c == '-' || c == '_') {
            add!(p,
                "/id",
                format!("offer id \"{}\" must be 1–64 characters of a–z, 0–9, `-` and `_`, e.g. \"ebook-lead-scoring\"", self.id),
            );
        }
        check_text(&self.offer.title, "/offer/title", &mut p);
        if let Some(asset) = &self.offer.asset {
            if let Err(why) = check_url(&asset.url) {
                add!(p, "/offer/asset/url", why);
            }
        }
        check_endpoint(&self.endpoint, "/endpoint", &mut p);
        #[cfg(feature = "messages")]
        if self.account_scoring && self.scoring.is_some() {
            add!(
                p,
                "/account_scoring",
                "an offer is scored by its own `scoring` section or by the account-wide model, not both: remove `scoring` or `account_scoring`"
                    .to_owned(),
            );
        }
        #[cfg(feature = "messages")]
        for (i, e) in self.also_send_to.iter().enumerate() {
            check_endpoint(e, &format!("/also_send_to/{i}"), &mut p);
        }
        #[cfg(feature = "messages")]
        for (i, f) in self.forward.iter().enumerate() {
            check_forward(f, &format!("/forward/{i}"), &mut p);
        }
        #[cfg(feature = "messages")]
        for (i, origin) in self.allowed_origins.iter().enumerate() {
            if normalize_origin(origin).is_none() {
                add!(
                    p,
                    format!("/allowed_origins/{i}"),
                    format!("\"{origin}\" is not an origin: give scheme, host and optional port, without a path, e.g. \"https://www.example.com\"")
                );
            }
        }
        if let Some(a) = &self.analytics {
            if let Some(c) = &a.currency {
                if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                    add!(
                        p,
                        "/analytics/currency",
                        format!("currency must be an ISO 4217 code of three capital letters, e.g. \"EUR\", found \"{c}\"")
                    );
                }
            }
            if a.value.is_some_and(|v| v < 0.0) {
                add!(
                    p,
                    "/analytics/value",
                    "value must be a number of 0 or more".into()
                );
            }
            if a.value.is_some() && a.currency.is_none() {
                add!(
                    p,
                    "/analytics/currency",
                    "a value needs its currency, e.g. \"currency\": \"EUR\"".into()
                );
            }
        }
        if self.fields.is_empty() {
            add!(p,
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
            scoring.check(self, &mut p);
        }
        if let Some(locale) = &self.locale {
            let ok = locale == "auto"
                || (!locale.is_empty()
                    && locale.split('-').all(|part| {
                        (1..=8).contains(&part.len())
                            && part.chars().all(|c| c.is_ascii_alphanumeric())
                    }));
            if !ok {
                add!(p, "/locale", format!("\"{locale}\" is not a language tag such as \"de\", \"en-GB\" or \"auto\" (the visitor's browser language)"));
            }
        }
        if let Some(cover) = &self.offer.cover {
            if let Err(why) = check_url(&cover.url) {
                add!(p, "/offer/cover/url", why);
            }
            check_text(&cover.alt, "/offer/cover/alt", &mut p);
        }
        if let Some(url) = &self.offer.redirect_url {
            if let Err(why) = check_url(url) {
                add!(p, "/offer/redirect_url", why);
            }
        }
        self.check_steps(&mut p);
        self.check_kind(&mut p);
        if let Some(display) = &self.display {
            self.check_display(display, &mut p);
        }
        self.check_variants(&mut p);
        p.0
    }

    /// The checks of the fields and the scoring section only: an account-wide scoring
    /// model ([`crate::account`]) is checked so.
    #[cfg(feature = "collector")]
    pub fn check_fields_and_scoring(&self) -> Vec<ConfigError> {
        let mut p = Problems::default();
        for (i, field) in self.fields.iter().enumerate() {
            self.check_field(i, field, &mut p);
        }
        if let Some(scoring) = &self.scoring {
            scoring.check(self, &mut p);
        }
        p.0
    }

    fn check_steps(&self, p: &mut Problems) {
        for (i, step) in self.steps.iter().enumerate() {
            let at = format!("/steps/{i}");
            if step.fields.is_empty() {
                add!(
                    p,
                    format!("{at}/fields"),
                    "a step needs at least one field".into()
                );
            }
            if let Some(title) = &step.title {
                check_text(title, &format!("{at}/title"), p);
            }
            for (j, id) in step.fields.iter().enumerate() {
                let here = format!("{at}/fields/{j}");
                self.check_field_ref(id, &here, p);
                let earlier = self.steps[..i]
                    .iter()
                    .enumerate()
                    .find(|(_, s)| s.fields.contains(id))
                    .map(|(k, _)| k)
                    .or_else(|| step.fields[..j].contains(id).then_some(i));
                if let Some(k) = earlier {
                    add!(
                        p,
                        here,
                        format!(
                            "\"{id}\" is already on step {}; a field is on one step",
                            k + 1
                        )
                    );
                }
            }
        }
        if !self.steps.is_empty() {
            for (i, field) in self.fields.iter().enumerate() {
                if !self.steps.iter().any(|s| s.fields.contains(&field.id)) {
                    add!(p,
                        format!("/fields/{i}/id"),
                        format!("field \"{}\" is on no step, so it is never asked; add it to one of \"steps\"", field.id),
                    );
                }
            }
        }
    }

    fn check_kind(&self, p: &mut Problems) {
        let kind = self.offer.kind;
        if self.quiz.is_some() && kind != OfferKind::Quiz {
            add!(
                p,
                "/quiz",
                "a quiz section needs \"offer\": {\"kind\": \"quiz\"}".into()
            );
        }
        if self.calculator.is_some() && kind != OfferKind::Calculator {
            add!(
                p,
                "/calculator",
                "a calculator section needs \"offer\": {\"kind\": \"calculator\"}".into(),
            );
        }
        match kind {
            OfferKind::Quiz => {
                let Some(quiz) = &self.quiz else {
                    add!(p, "/quiz", "a quiz offer needs a \"quiz\" section with its result bands, e.g. {\"results\": [{\"min\": 0, \"title\": \"Getting started\"}]}".into());
                    return;
                };
                if !self
                    .fields
                    .iter()
                    .any(|f| f.options.iter().any(|o| o.points.is_some()))
                {
                    add!(p, "/fields", "a quiz needs at least one radio or checkboxes question whose options have \"points\"".into());
                }
                if quiz.results.is_empty() {
                    add!(p, "/quiz/results", "give at least one result band, e.g. {\"min\": 0, \"title\": \"Getting started\"}".into());
                }
                for (i, band) in quiz.results.iter().enumerate() {
                    let at = format!("/quiz/results/{i}");
                    check_text(&band.title, &format!("{at}/title"), p);
                    if let Some(prev) = i.checked_sub(1).map(|j| &quiz.results[j]) {
                        if band.min >= prev.min {
                            add!(p, format!("{at}/min"), format!("results must be sorted by min, highest first: {} does not come below {}", num(band.min), num(prev.min)));
                        }
                    }
                }
                if let Some(last) = quiz.results.last() {
                    let least = self.quiz_points_range().0;
                    if last.min > least {
                        add!(p,
                            format!("/quiz/results/{}/min", quiz.results.len() - 1),
                            format!("a visitor can score {} points, below every band; let the last band start at {} or lower", num(least), num(least)),
                        );
                    }
                }
            }
            OfferKind::Calculator => {
                let Some(calc) = &self.calculator else {
                    add!(p, "/calculator", "a calculator offer needs a \"calculator\" section, e.g. {\"formula\": \"leads * value\", \"result_label\": \"Pipeline\"}".into());
                    return;
                };
                if let Err(e) = self.formula() {
                    add!(
                        p,
                        "/calculator/formula",
                        format!(
                            "at character {} of \"{}\": {}",
                            e.position + 1,
                            calc.formula,
                            e.message
                        )
                    );
                }
                check_text(&calc.result_label, "/calculator/result_label", p);
                if let Some(format) = &calc.format {
                    let style = format.style.as_deref().unwrap_or("decimal");
                    if !["decimal", "currency", "percent"].contains(&style) {
                        add!(p, "/calculator/format/style", format!("unknown style \"{style}\"; use \"decimal\", \"currency\" or \"percent\""));
                    }
                    match &format.currency {
                        Some(c) if c.len() != 3 || !c.chars().all(|c| c.is_ascii_uppercase()) => {
                            add!(
                                p,
                                "/calculator/format/currency",
                                format!(
                                    "\"{c}\" is not an ISO 4217 code such as \"EUR\" or \"USD\""
                                ),
                            )
                        }
                        None if style == "currency" => add!(
                            p,
                            "/calculator/format/currency",
                            "style \"currency\" needs a currency, e.g. \"EUR\"".into(),
                        ),
                        _ => {}
                    }
                    if let Some(d) = format.maximum_fraction_digits {
                        if !(0.0..=6.0).contains(&d) || d.fract() != 0.0 {
                            add!(
                                p,
                                "/calculator/format/maximum_fraction_digits",
                                "a whole number from 0 to 6".into()
                            );
                        }
                    }
                }
            }
            OfferKind::GatedContent | OfferKind::Form => {}
        }
    }

    fn check_display(&self, display: &Display, p: &mut Problems) {
        if let Some(t) = &display.trigger {
            let keys = [
                ("delay_seconds", t.delay_seconds),
                ("scroll_percent", t.scroll_percent),
                ("inactivity_seconds", t.inactivity_seconds),
            ];
            let set = keys.iter().filter(|(_, v)| v.is_some()).count()
                + usize::from(t.exit_intent.is_some())
                + usize::from(t.click.is_some());
            if set != 1 {
                add!(p, "/display/trigger", "give exactly one trigger: delay_seconds, scroll_percent, exit_intent, inactivity_seconds or click".into());
            }
            for (key, value) in keys {
                if let Some(v) = value {
                    let max = if key == "scroll_percent" {
                        100.0
                    } else {
                        86_400.0
                    };
                    if !(0.0..=max).contains(&v) {
                        add!(
                            p,
                            format!("/display/trigger/{key}"),
                            format!("{key} must be from 0 to {}", num(max))
                        );
                    }
                }
            }
            if t.exit_intent == Some(false) {
                add!(
                    p,
                    "/display/trigger/exit_intent",
                    "exit_intent: false is no trigger; remove the trigger to open at once".into()
                );
            }
            if t.click.as_ref().is_some_and(|c| c.trim().is_empty()) {
                add!(p, "/display/trigger/click", "give the CSS selector of the page elements that open the offer, e.g. \"#get-ebook\"".into());
            }
            if display.mode == DisplayMode::Inline {
                add!(p, "/display/trigger", "an inline offer is part of the page and shows at once; triggers open \"modal\" and \"slide_in\" offers".into());
            }
        }
        if let Some(rule) = &display.targeting {
            rule.check(self, "/display/targeting", RuleRole::Targeting, p);
        }
        if let Some(f) = &display.frequency {
            if !(0.0..=3650.0).contains(&f.dismissed_days) {
                add!(
                    p,
                    "/display/frequency/dismissed_days",
                    "a number of days from 0 to 3650".into()
                );
            }
        }
    }

    fn check_variants(&self, p: &mut Problems) {
        for (i, v) in self.variants.iter().enumerate() {
            let at = format!("/variants/{i}");
            if !is_slug(&v.id, |c| c == '-' || c == '_') {
                add!(p, format!("{at}/id"), format!("variant id \"{}\" must be 1–64 characters of a–z, 0–9, `-` and `_`, e.g. \"b\"", v.id));
            }
            if self.variants[..i].iter().any(|o| o.id == v.id) {
                add!(
                    p,
                    format!("{at}/id"),
                    format!("duplicate variant id \"{}\"", v.id)
                );
            }
            if let Some(w) = v.weight {
                if w.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !w.is_finite() {
                    add!(
                        p,
                        format!("{at}/weight"),
                        "weight must be above 0, e.g. 1".into()
                    );
                }
            }
            for (j, id) in v.hide_fields.iter().enumerate() {
                self.check_field_ref(id, &format!("{at}/hide_fields/{j}"), p);
            }
            if !self.fields.is_empty() && self.fields.iter().all(|f| v.hide_fields.contains(&f.id))
            {
                add!(
                    p,
                    format!("{at}/hide_fields"),
                    "a variant must keep at least one field".into()
                );
            }
            for (text, key) in [
                (&v.title, "title"),
                (&v.description, "description"),
                (&v.submit_label, "submit_label"),
            ] {
                if let Some(t) = text {
                    check_text(t, &format!("{at}/{key}"), p);
                }
            }
        }
    }

    fn check_field(&self, i: usize, field: &Field, p: &mut Problems) {
        let at = format!("/fields/{i}");
        if field.purpose.is_some() && !field.kind.is_tick_box() {
            add!(
                p,
                format!("{at}/purpose"),
                "\"purpose\" belongs to checkbox and consent fields: the tick is the consent"
                    .into()
            );
        }
        #[cfg(feature = "messages")]
        if let Some(version) = &field.consent_version {
            let asks_consent = field.kind == FieldType::Consent
                || (field.purpose.is_some() && field.kind.is_tick_box());
            if !asks_consent {
                add!(
                    p,
                    format!("{at}/consent_version"),
                    "\"consent_version\" belongs to consent fields and checkboxes with a \"purpose\""
                        .into()
                );
            } else if version.trim().is_empty() || version.chars().count() > 64 {
                add!(
                    p,
                    format!("{at}/consent_version"),
                    "give the wording's version as 1–64 characters, e.g. \"2026-11\"".into()
                );
            }
        }
        if !is_slug(&field.id, |c| c == '_') {
            add!(p,
                format!("{at}/id"),
                format!("field id \"{}\" must be 1–64 characters of a–z, 0–9 and `_`, e.g. \"first_name\"", field.id),
            );
        }
        if let Some(first) = self.fields[..i].iter().position(|f| f.id == field.id) {
            add!(p,
                format!("{at}/id"),
                format!("duplicate field id \"{}\" (also at /fields/{first}): give each field its own id", field.id),
            );
        }
        check_text(&field.label, &format!("{at}/label"), p);
        match field.kind {
            kind if kind.has_options() && field.options.is_empty() => add!(p,
                format!("{at}/options"),
                "a choice field needs at least one option, e.g. [{\"value\": \"1-9\"}]".into(),
            ),
            kind if kind.has_options() => {
                for (j, opt) in field.options.iter().enumerate() {
                    if opt.value.trim().is_empty() {
                        add!(p,
                            format!("{at}/options/{j}/value"),
                            "option value must not be empty".into(),
                        );
                    }
                    if field.options[..j].iter().any(|o| o.value == opt.value) {
                        add!(p,
                            format!("{at}/options/{j}/value"),
                            format!("duplicate option value \"{}\"", opt.value),
                        );
                    }
                    if opt.points.is_some() && field.kind == FieldType::Select {
                        add!(p,
                            format!("{at}/options/{j}/points"),
                            "quiz points belong to radio and checkboxes questions".into(),
                        );
                    }
                    if let Some(label) = &opt.label {
                        check_text(label, &format!("{at}/options/{j}/label"), p);
                    }
                }
            }
            _ if !field.options.is_empty() => add!(p,
                format!("{at}/options"),
                "only select, radio and checkboxes fields have options; remove them or change \"type\"".into(),
            ),
            _ => {}
        }
        let number_keys = [
            ("min", field.min.is_some()),
            ("max", field.max.is_some()),
            ("step", field.step.is_some()),
            ("unit", field.unit.is_some()),
        ];
        if field.kind == FieldType::Number {
            if let (Some(lo), Some(hi)) = (field.min, field.max) {
                if lo > hi {
                    add!(
                        p,
                        format!("{at}/min"),
                        format!("min {} is above max {}: no number fits", num(lo), num(hi)),
                    );
                }
            }
            if field
                .step
                .is_some_and(|s| s.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater))
            {
                add!(
                    p,
                    format!("{at}/step"),
                    "step must be above 0, e.g. 1 or 0.5".into()
                );
            }
        } else {
            for (key, present) in number_keys {
                if present {
                    add!(p,
                        format!("{at}/{key}"),
                        format!("\"{key}\" belongs to number fields; remove it or set \"type\": \"number\""),
                    );
                }
            }
        }
        if let Some(token) = &field.autocomplete {
            if token.trim().is_empty() || token.chars().any(|c| c.is_ascii_uppercase()) {
                add!(p,
                    format!("{at}/autocomplete"),
                    format!("\"{token}\" is not an HTML autocomplete token; use lower-case tokens such as \"email\" or \"organization\""),
                );
            }
        }
        if let Some(cond) = &field.visible_if {
            cond.check(self, &format!("{at}/visible_if"), RuleRole::Condition, p);
            if cond.mentions_field(&field.id) {
                add!(
                    p,
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
                    add!(p, at.clone(), format!("\"{id}\" is listed twice"));
                }
                if name == "order" && profiling.always.contains(id) {
                    add!(
                        p,
                        at,
                        format!("\"{id}\" is in both always and order; keep it in one"),
                    );
                }
            }
        }
        for (i, field) in self.fields.iter().enumerate() {
            if !profiling.always.contains(&field.id) && !profiling.order.contains(&field.id) {
                add!(p,
                    format!("/fields/{i}/id"),
                    format!("field \"{}\" is in neither profiling.always nor profiling.order, so it is never asked; add it to one of them", field.id),
                );
            }
        }
    }

    /// The field `id` names, or a problem at `at` (with the nearest id as a hint).
    pub(crate) fn check_field_ref(&self, id: &str, at: &str, p: &mut Problems) -> Option<&Field> {
        let found = self.field(id);
        if found.is_none() {
            let hint = did_you_mean(id, self.fields.iter().map(|f| f.id.as_str()))
                .map_or(String::new(), |f| format!(" (did you mean \"{f}\"?)"));
            add!(p, at.to_owned(), format!("unknown field \"{id}\"{hint}"));
        }
        found
    }
}

/// The problems found so far, collected by every type's checks.
#[derive(Default)]
pub(crate) struct Problems(Vec<ConfigError>);

impl Problems {
    /// Notes a problem. Its pointer and message are only built with the `messages`
    /// feature: the widget learns *that* a config is invalid from the same checks without
    /// carrying their texts (≈10 KB of its byte budget), and loads the checker with the
    /// texts only then (see ARCHITECTURE.md, "The byte budget").
    pub(crate) fn add(&mut self, problem: impl FnOnce() -> (String, String)) {
        #[cfg(feature = "messages")]
        let (pointer, message) = problem();
        #[cfg(not(feature = "messages"))]
        let (pointer, message) = {
            let _ = problem;
            (String::new(), String::new())
        };
        self.0.push(ConfigError {
            pointer,
            line: None,
            column: None,
            message,
        });
    }
}

/// A number for a message, without f64's `Display` (≈14 KB of wasm): whole numbers as
/// such, others with up to 4 decimals.
pub fn num(n: f64) -> String {
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
            add!(p, at, "text must not be empty".into());
        }
    }
}

/// An absolute http(s) URL or a relative one; never `javascript:`, `data:` and the like.
/// The checks of one endpoint at `at` (`/endpoint`, `/also_send_to/0` …).
fn check_endpoint(e: &Endpoint, at: &str, p: &mut Problems) {
    #[cfg(feature = "messages")]
    let needs_url = matches!(
        e.format,
        EndpointFormat::Leadmagnet | EndpointFormat::Webhook
    );
    #[cfg(not(feature = "messages"))]
    let needs_url = true;
    if needs_url {
        if let Err(why) = check_url(&e.url) {
            add!(p, format!("{at}/url"), why);
        }
    } else if !e.url.is_empty() {
        add!(
            p,
            format!("{at}/url"),
            "HubSpot and Salesforce have fixed addresses: remove \"url\"".into()
        );
    }
    if let Some(t) = e.timeout_seconds {
        if !(1.0..=120.0).contains(&t) {
            add!(
                p,
                format!("{at}/timeout_seconds"),
                format!("timeout_seconds must be from 1 to 120, found {}", num(t))
            );
        }
    }
    #[cfg(feature = "messages")]
    check_format(e, at, p);
}

/// The format settings of one endpoint (only where they exist: see `Endpoint`).
#[cfg(feature = "messages")]
fn check_format(e: &Endpoint, at: &str, p: &mut Problems) {
    let only = |key: &str, set: bool, formats: &str, p: &mut Problems| {
        if set {
            add!(
                p,
                format!("{at}/{key}"),
                format!("\"{key}\" is for {formats} endpoints; remove it or set \"format\"")
            );
        }
    };
    let hubspot = e.format == EndpointFormat::Hubspot;
    let salesforce = e.format == EndpointFormat::Salesforce;
    let webhook = e.format == EndpointFormat::Webhook;
    only("encoding", e.encoding.is_some() && !webhook, "webhook", p);
    only("headers", !e.headers.is_empty() && !webhook, "webhook", p);
    only("portal_id", e.portal_id.is_some() && !hubspot, "hubspot", p);
    only("form_guid", e.form_guid.is_some() && !hubspot, "hubspot", p);
    only(
        "subscription_type_id",
        e.subscription_type_id.is_some() && !hubspot,
        "hubspot",
        p,
    );
    only("oid", e.oid.is_some() && !salesforce, "salesforce", p);
    only(
        "lead_source",
        e.lead_source.is_some() && !salesforce,
        "salesforce",
        p,
    );
    only(
        "field_map",
        !e.field_map.is_empty() && e.format == EndpointFormat::Leadmagnet,
        "hubspot, salesforce and webhook",
        p,
    );
    if hubspot {
        if !e
            .portal_id
            .as_deref()
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        {
            add!(
                p,
                format!("{at}/portal_id"),
                "a HubSpot endpoint needs its portal id (digits), e.g. \"portal_id\": \"1234567\""
                    .into()
            );
        }
        if !e
            .form_guid
            .as_deref()
            .is_some_and(|g| g.len() == 36 && g.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
        {
            add!(p, format!("{at}/form_guid"), "a HubSpot endpoint needs the form's GUID, e.g. \"form_guid\": \"0b5a1e2c-…\" (36 characters)".into());
        }
    }
    if salesforce
        && !e.oid.as_deref().is_some_and(|o| {
            (15..=18).contains(&o.len()) && o.bytes().all(|b| b.is_ascii_alphanumeric())
        })
    {
        add!(p, format!("{at}/oid"), "a Salesforce endpoint needs the organisation id (15 or 18 characters), e.g. \"oid\": \"00D5g000004abcd\"".into());
    }
}

pub(crate) fn check_url(url: &str) -> Result<(), String> {
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

/// A webhook address: `https://host[:port]/…`, or `http://` to this machine only. The
/// host is read whole, as a URL parser reads it: `http://localhost@evil.example/` goes to
/// evil.example and `http://localhost.evil.example/` is not this machine. No user or
/// password in it (they would end up in logs), no white space, a port of digits.
#[cfg(feature = "messages")]
fn webhook_url_ok(url: &str) -> bool {
    let (local_only, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (true, rest)
    } else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty()
        || authority.contains(['@', '\\'])
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let (host, port) = match authority.rsplit_once(':') {
        // `[::1]` alone has colons inside its brackets, no port after them.
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (authority, None),
    };
    if port.is_some_and(|p| {
        !p.bytes().all(|b| b.is_ascii_digit()) || !matches!(p.parse::<u16>(), Ok(1..))
    }) {
        return false;
    }
    if local_only {
        matches!(
            host.to_ascii_lowercase().as_str(),
            "localhost" | "127.0.0.1" | "[::1]"
        )
    } else {
        public_host(host)
    }
}

/// A host an https webhook may name: a DNS name with a dot and a top-level label that
/// starts with a letter (so no form a URL parser reads as an IPv4 address: `2130706433`,
/// `0x7f000001`, `127.1`), or an IP address of the public internet — never this machine,
/// the private networks, link-local (the cloud's metadata service), shared, multicast or
/// unspecified addresses, also not dressed as IPv4-mapped IPv6. (A DNS name that resolves
/// to such an address is not seen here.)
#[cfg(feature = "messages")]
fn public_host(host: &str) -> bool {
    use std::net::{Ipv4Addr, Ipv6Addr};
    let public_v4 = |ip: Ipv4Addr| {
        let [a, b, ..] = ip.octets();
        !(ip.is_private()
            || ip.is_loopback()
            || ip.is_link_local()
            || ip.is_unspecified()
            || ip.is_broadcast()
            || ip.is_multicast()
            || ip.is_documentation()
            || a == 0
            || (a == 100 && (64..128).contains(&b)))
    };
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let Ok(ip) = inner.parse::<Ipv6Addr>() else {
            return false;
        };
        if let Some(v4) = ip.to_ipv4_mapped() {
            return public_v4(v4);
        }
        let first = ip.segments()[0];
        return !(ip.is_loopback()
            || ip.is_unspecified()
            || ip.is_multicast()
            || (first & 0xfe00) == 0xfc00
            || (first & 0xffc0) == 0xfe80);
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return public_v4(ip);
    }
    let host = host.to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    host.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// The checks of one forwarding target at `at` (`/forward/0` …).
#[cfg(feature = "messages")]
fn check_forward(f: &Forward, at: &str, p: &mut Problems) {
    let env_ok = !f.secret_env.is_empty()
        && f.secret_env.len() <= 64
        && f.secret_env
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !f.secret_env.as_bytes()[0].is_ascii_digit();
    if !env_ok {
        add!(
            p,
            format!("{at}/secret_env"),
            format!("\"{}\" is not an environment variable name: use capitals, digits and `_`, e.g. \"HUBSPOT_TOKEN\" (the secret itself goes into the collector's environment, never into a config)", f.secret_env)
        );
    }
    // The collector's own settings (its admin token, its database) are no secret of a
    // target's: a config naming one would have the collector use it for someone else.
    if env_ok && f.secret_env.starts_with("LEADMAGNET_") {
        add!(
            p,
            format!("{at}/secret_env"),
            format!("\"{}\" is one of the collector's own settings (LEADMAGNET_…): give the target's secret a variable of its own, e.g. \"LEADS_WEBHOOK_KEY\"", f.secret_env)
        );
    }
    match f.to {
        ForwardKind::Webhook => {
            let url = f.url.as_deref().unwrap_or("");
            if !webhook_url_ok(url) {
                add!(
                    p,
                    format!("{at}/url"),
                    "a webhook needs an https URL of a public host, without credentials in it (plain http only to this machine, for testing: localhost, 127.0.0.1 or [::1]), e.g. \"https://hooks.example.com/leads\"".into()
                );
            }
            for (key, present) in [
                ("portal_id", f.portal_id.is_some()),
                ("form_guid", f.form_guid.is_some()),
                ("field_map", !f.field_map.is_empty()),
            ] {
                if present {
                    add!(
                        p,
                        format!("{at}/{key}"),
                        format!("\"{key}\" is for hubspot targets; remove it")
                    );
                }
            }
        }
        ForwardKind::Hubspot => {
            if !f
                .portal_id
                .as_deref()
                .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            {
                add!(p, format!("{at}/portal_id"), "a HubSpot target needs its portal id (digits), e.g. \"portal_id\": \"1234567\"".into());
            }
            if f.form_guid.as_deref().is_none_or(|g| g.len() != 36) {
                add!(p, format!("{at}/form_guid"), "a HubSpot target needs the form's GUID (36 characters), e.g. \"form_guid\": \"0b5a1e2c-…\"".into());
            }
            if f.url.is_some() {
                add!(
                    p,
                    format!("{at}/url"),
                    "HubSpot has a fixed address: remove \"url\"".into()
                );
            }
        }
    }
}

/// `origin` as browsers send it in the `Origin` header (`https://www.example.com`,
/// lower-case, no default port, no trailing slash), if it is an http(s) origin.
#[cfg(feature = "messages")]
pub fn normalize_origin(origin: &str) -> Option<String> {
    let origin = origin.trim().trim_end_matches('/');
    let (scheme, rest) = origin.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if !(scheme == "http" || scheme == "https") || rest.is_empty() {
        return None;
    }
    if rest.contains(['/', '?', '#', '@', ' ', '*']) {
        return None;
    }
    let rest = rest.to_ascii_lowercase();
    // `[::1]:8080`: an IPv6 host keeps its colons inside the brackets.
    let split = match rest.rfind(']') {
        Some(end) => rest[end..].find(':').map(|i| end + i),
        None => rest.rfind(':'),
    };
    let (host, port) = match split {
        Some(i) => (rest[..i].to_owned(), Some(&rest[i + 1..])),
        None => (rest.clone(), None),
    };
    // One port: `host:1:80` is no origin (its "host" would keep a port of its own), and
    // brackets are an IPv6 address whole.
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if host.is_empty()
        || (host.contains(':') && !bracketed)
        || (host.contains(['[', ']']) && !bracketed)
    {
        return None;
    }
    match port {
        None => Some(format!("{scheme}://{host}")),
        Some(p) if p.parse::<u16>().is_err() => None,
        Some(p) if (scheme == "http" && p == "80") || (scheme == "https" && p == "443") => {
            Some(format!("{scheme}://{host}"))
        }
        Some(p) => Some(format!("{scheme}://{host}:{p}")),
    }
}
