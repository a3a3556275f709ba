//! The semantic checks of an offer config: every problem at once, each with the JSON
//! pointer of its place and a fix. Their texts exist only with the `messages` feature
//! (the checker and the collector); the widget runs the same checks without them.

use super::*;
use crate::json::did_you_mean;

/// `add!(p, pointer, message)`: a problem whose texts are built lazily (see
/// [`Problems::add`]).
macro_rules! add {
    ($p:expr, $at:expr, $msg:expr $(,)?) => {
        $p.add(|| -> (String, String) { ($at.into(), $msg) })
    };
}

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
            self.check_scoring(scoring, &mut p);
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
            self.check_rule(rule, "/display/targeting", RuleRole::Targeting, p);
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
            self.check_rule(cond, &format!("{at}/visible_if"), RuleRole::Condition, p);
            if mentions_field(cond, &field.id) {
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
                        add!(p, format!("{at}/id"), format!("duplicate rule id \"{id}\" (also at {first}): breakdowns name rules by id"));
                    } else {
                        ids.push((id.clone(), at.clone()));
                    }
                }
            }
        }
        if let Some(h) = scoring.decay_half_life_days {
            if h.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                add!(
                    p,
                    "/scoring/decay_half_life_days",
                    "the half-life must be a positive number of days, e.g. 30".into(),
                );
            }
        }
        for (i, g) in scoring.fit_grades.iter().enumerate() {
            let at = format!("/scoring/fit_grades/{i}");
            if g.grade.trim().is_empty() {
                add!(
                    p,
                    format!("{at}/grade"),
                    "grade must not be empty, e.g. \"A\"".into(),
                );
            }
            if scoring.fit_grades[..i].iter().any(|o| o.grade == g.grade) {
                add!(
                    p,
                    format!("{at}/grade"),
                    format!("duplicate grade \"{}\"", g.grade),
                );
            }
            if let Some(prev) = i.checked_sub(1).map(|j| &scoring.fit_grades[j]) {
                if g.min >= prev.min {
                    add!(p,
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
                add!(
                    p,
                    format!("{at}/level"),
                    format!("duplicate level {}", l.level),
                );
            }
            if let Some(prev) = i.checked_sub(1).map(|j| &scoring.engagement_levels[j]) {
                if l.min >= prev.min {
                    add!(p,
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
                add!(
                    p,
                    "/scoring/mql/min_fit_grade",
                    format!(
                        "unknown grade \"{}\"{hint}; grades are {}",
                        mql.min_fit_grade,
                        names.join(", ")
                    ),
                );
            }
            #[cfg(feature = "messages")]
            if let Some(hours) = mql.sla_hours {
                if !(hours > 0.0 && hours <= 8760.0) {
                    add!(
                        p,
                        "/scoring/mql/sla_hours",
                        format!(
                            "sla_hours must be more than 0 and at most 8760 (a year), not {}",
                            num(hours)
                        ),
                    );
                }
            }
        }
        for (i, route) in scoring.routing.iter().enumerate() {
            let at = format!("/scoring/routing/{i}");
            if route.queue.trim().is_empty() {
                add!(p, format!("{at}/queue"), "queue must not be empty".into());
            }
            match &route.when {
                Some(when) => self.check_rule(when, &format!("{at}/when"), RuleRole::Condition, p),
                None if i + 1 < scoring.routing.len() => add!(p,
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
            add!(p, at.to_owned(), format!("unknown field \"{id}\"{hint}"));
        }
        found
    }

    fn check_rule(&self, rule: &Rule, at: &str, role: RuleRole, p: &mut Problems) {
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
        self.check_condition(rule, at, role, p);
    }

    fn check_condition(&self, c: &Rule, at: &str, role: RuleRole, p: &mut Problems) {
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
            } else {
                self.check_field_ref(field_id, &format!("{at}/field"), p)
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
                let inner_role = if role == RuleRole::Targeting {
                    RuleRole::Targeting
                } else {
                    RuleRole::Condition
                };
                self.check_rule(inner, &inner_at, inner_role, p);
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
}

/// Where a rule stands, which decides the keys it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleRole {
    Fit,
    Engagement,
    Disqualify,
    Condition,
    /// `display.targeting`: a condition over page facts rather than fields.
    Targeting,
}

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

#[derive(Default)]
struct Problems(Vec<ConfigError>);

impl Problems {
    /// Notes a problem. Its pointer and message are only built with the `messages`
    /// feature: the widget learns *that* a config is invalid from the same checks without
    /// carrying their texts (≈10 KB of its byte budget), and loads the checker with the
    /// texts only then (see ARCHITECTURE.md, "The byte budget").
    fn add(&mut self, problem: impl FnOnce() -> (String, String)) {
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
    match f.to {
        ForwardKind::Webhook => {
            let url = f.url.as_deref().unwrap_or("").trim();
            let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|l| url.starts_with(l));
            if !(url.starts_with("https://") && url.len() > 8 || local) {
                add!(
                    p,
                    format!("{at}/url"),
                    "a webhook needs an https URL (http only to localhost), e.g. \"https://hooks.example.com/leads\"".into()
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
    if host.is_empty() {
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
