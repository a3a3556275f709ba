//! Lead scoring: fit × engagement with decay, grade, level, matrix, stage and queue, with a
//! breakdown that says why. The same code runs in the widget (preliminary score) and in
//! the collector (authoritative score); docs/scoring.md states the rules with examples.

use crate::config::check::{add, Problems};
use crate::config::{num, OfferConfig};
use crate::domains::DomainLists;
use crate::json::did_you_mean;
use crate::json::{from_json_struct, FromJson, Node, Reader, ToJson, Writer};
use crate::rule::{Facts, Rule, RuleRole};
use crate::validate::{FieldValue, Values};
use serde::Serialize;

/// The `scoring` section of an offer config.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Scoring {
    /// Who the lead is: each matching rule adds its points once.
    #[serde(default)]
    pub fit: Vec<Rule>,
    /// What the lead did: events counted per rule, decayed by age.
    #[serde(default)]
    pub engagement: Vec<Rule>,
    /// Engagement points halve every this many days; no decay when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decay_half_life_days: Option<f64>,
    /// Grades by fit, highest `min` first; below every entry the grade is "D".
    #[serde(default)]
    pub fit_grades: Vec<FitGrade>,
    /// Levels by engagement, highest `min` first; below every entry the level is 4.
    #[serde(default)]
    pub engagement_levels: Vec<EngagementLevel>,
    /// When a lead is marketing qualified (the SLA with sales).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mql: Option<Mql>,
    /// Any match makes the lead "disqualified", whatever its score.
    #[serde(default)]
    pub disqualify: Vec<Rule>,
    /// The first entry whose `when` matches names the queue; an entry without `when` always matches.
    #[serde(default)]
    pub routing: Vec<Route>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct FitGrade {
    pub grade: String,
    pub min: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct EngagementLevel {
    pub level: u8,
    pub min: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Mql {
    pub min_total: f64,
    pub min_fit_grade: String,
    /// The service level agreed with sales: hours from MQL to SAL (accepted) before the
    /// inbox shows the lead as overdue. Read by the collector only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg(feature = "messages")]
    pub sla_hours: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Route {
    pub queue: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Rule>,
}

/// The behaviour events the widget records and engagement rules count (`event`):
/// a page carrying the script was viewed, an offer was shown, an offer was completed (a
/// lead sent), and a visit began more than 30 minutes after the last activity.
pub const EVENT_TYPES: [&str; 4] = ["page_view", "offer_view", "offer_completed", "return_visit"];

/// Something the lead did (payload `events[]`; docs/scoring.md, "Events").
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// One of [`EVENT_TYPES`] (`type` in JSON).
    pub kind: String,
    /// When it happened (RFC 3339).
    pub at: String,
    pub url: Option<String>,
    pub offer_id: Option<String>,
    /// `page_view`: seconds the page was visible (in the foreground tab).
    pub seconds: Option<f64>,
    /// `page_view`: how far down the page the visitor scrolled, 0 to 100.
    pub scroll_percent: Option<f64>,
}

/// What is scored: known field values and events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadFacts {
    pub fields: Values,
    pub events: Vec<Event>,
}

/// The lead-waterfall stage the score puts the lead in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Inquiry,
    Mql,
    Disqualified,
}

/// A score and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub fit: i64,
    pub engagement: i64,
    pub total: i64,
    pub grade: String,
    pub level: u8,
    pub matrix: String,
    pub stage: Stage,
    pub queue: Option<String>,
    pub breakdown: Vec<Contribution>,
}

/// One rule that counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub rule: String,
    pub kind: ContributionKind,
    /// Fit: the rule's points. Engagement: decayed points, 2 decimals. Disqualify: 0.
    pub points: f64,
    /// Engagement: how many events counted.
    pub events: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContributionKind {
    Fit,
    Engagement,
    Disqualify,
}

from_json_struct!(Scoring {
    fit: or_default "fit",
    engagement: or_default "engagement",
    decay_half_life_days: opt "decay_half_life_days",
    fit_grades: or_default "fit_grades",
    engagement_levels: or_default "engagement_levels",
    mql: opt "mql",
    disqualify: or_default "disqualify",
    routing: or_default "routing",
});

from_json_struct!(FitGrade { grade: req "grade", min: req "min" });

from_json_struct!(EngagementLevel { level: req "level", min: req "min" });

from_json_struct!(Mql {
    min_total: req "min_total",
    min_fit_grade: req "min_fit_grade",
} checked {
    sla_hours: opt "sla_hours",
});

from_json_struct!(Route { queue: req "queue", when: opt "when" });

from_json_struct!(Event {
    kind: req "type",
    at: req "at",
    url: opt "url",
    offer_id: opt "offer_id",
    seconds: opt "seconds",
    scroll_percent: opt "scroll_percent",
});

impl ToJson for Event {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("type", &self.kind);
        w.field("at", &self.at);
        w.field_opt("url", &self.url);
        w.field_opt("offer_id", &self.offer_id);
        w.field_opt("seconds", &self.seconds);
        w.field_opt("scroll_percent", &self.scroll_percent);
        w.end_object();
    }
}

from_json_struct!(LeadFacts { fields: or_default "fields", events: or_default "events" });

impl FromJson for Stage {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("inquiry", Stage::Inquiry),
                ("mql", Stage::Mql),
                ("disqualified", Stage::Disqualified),
            ],
        )
    }
}

impl FromJson for ContributionKind {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("fit", ContributionKind::Fit),
                ("engagement", ContributionKind::Engagement),
                ("disqualify", ContributionKind::Disqualify),
            ],
        )
    }
}

impl FromJson for Contribution {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        let o = r.object(node, at, &["rule", "kind", "points", "events"])?;
        let rule = o.req(r, "rule");
        let kind = o.req(r, "kind");
        let points = o.req(r, "points");
        let events = o.opt::<u32>(r, "events");
        Some(Contribution {
            rule: rule?,
            kind: kind?,
            points: points?,
            events: events?.map(|e| e as usize),
        })
    }
}

impl FromJson for Score {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        let o = r.object(
            node,
            at,
            &[
                "fit",
                "engagement",
                "total",
                "grade",
                "level",
                "matrix",
                "stage",
                "queue",
                "breakdown",
            ],
        )?;
        let fit = o.req::<f64>(r, "fit");
        let engagement = o.req::<f64>(r, "engagement");
        let total = o.req::<f64>(r, "total");
        let grade = o.req(r, "grade");
        let level = o.req(r, "level");
        let matrix = o.req(r, "matrix");
        let stage = o.req(r, "stage");
        let queue = o.opt(r, "queue");
        let breakdown = o.or_default(r, "breakdown");
        Some(Score {
            fit: fit? as i64,
            engagement: engagement? as i64,
            total: total? as i64,
            grade: grade?,
            level: level?,
            matrix: matrix?,
            stage: stage?,
            queue: queue?,
            breakdown: breakdown?,
        })
    }
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Inquiry => "inquiry",
            Stage::Mql => "mql",
            Stage::Disqualified => "disqualified",
        }
    }
}

impl ContributionKind {
    pub fn name(self) -> &'static str {
        match self {
            ContributionKind::Fit => "fit",
            ContributionKind::Engagement => "engagement",
            ContributionKind::Disqualify => "disqualify",
        }
    }
}

impl ToJson for Score {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        self.write_members(w);
        w.end_object();
    }
}

impl Score {
    /// The score's members, for objects that carry more beside them (the CLI's
    /// explanation).
    pub fn write_members(&self, w: &mut Writer) {
        w.field("fit", &self.fit);
        w.field("engagement", &self.engagement);
        w.field("total", &self.total);
        w.field("grade", &self.grade);
        w.field("level", &self.level);
        w.field("matrix", &self.matrix);
        w.field("stage", self.stage.name());
        w.field("queue", &self.queue);
        w.field("breakdown", &self.breakdown);
    }
}

impl ToJson for Contribution {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("rule", &self.rule);
        w.field("kind", self.kind.name());
        // Whole numbers as integers (`20`), others with their decimals (`7.07`).
        w.field("points", &self.points);
        w.field_opt("events", &self.events);
        w.end_object();
    }
}

/// Reads a LEAD document: one `{"fields", "events"}` object, or an array of them.
/// Returns the leads and whether the document was an array.
/// Unknown keys in a lead are ignored (events may carry more than scoring reads).
pub fn parse_leads(text: &str) -> Result<(Vec<LeadFacts>, bool), Vec<crate::json::Error>> {
    let is_array = text.trim_start().starts_with('[');
    if is_array {
        crate::json::read::<Vec<LeadFacts>>(text, false).map(|leads| (leads, true))
    } else {
        crate::json::read::<LeadFacts>(text, false).map(|lead| (vec![lead], false))
    }
}

const DAY_MS: f64 = 86_400_000.0;

/// The lead's score at `now_ms` (milliseconds since the epoch). Events whose time does not
/// parse are not counted (the collector rejects such leads before scoring).
pub fn score(scoring: &Scoring, lead: &LeadFacts, now_ms: i64, lists: &dyn DomainLists) -> Score {
    let facts = Facts {
        values: &lead.fields,
        lists,
        score: None,
    };
    let mut breakdown = Vec::new();
    let mut fit = 0i64;
    for (i, rule) in scoring.fit.iter().enumerate() {
        if rule.matches(&facts) {
            let points = rule.points.unwrap_or(0.0) as i64;
            fit += points;
            breakdown.push(Contribution {
                rule: rule_name(rule, "fit", i),
                kind: ContributionKind::Fit,
                points: points as f64,
                events: None,
            });
        }
    }

    let mut engagement_sum = 0.0;
    for (i, rule) in scoring.engagement.iter().enumerate() {
        let mut times: Vec<i64> = lead
            .events
            .iter()
            .filter(|e| event_matches(rule, e))
            .filter_map(|e| crate::time::parse_rfc3339(&e.at))
            .collect();
        if times.is_empty() {
            continue;
        }
        // Most recent first, so `max` keeps the latest events.
        sort_newest_first(&mut times);
        if let Some(max) = rule.max {
            times.truncate(max as usize);
        }
        let points = rule.points.unwrap_or(0.0);
        let decayed: f64 = times
            .iter()
            .map(|at| {
                let age_days = ((now_ms - at).max(0)) as f64 / DAY_MS;
                match scoring.decay_half_life_days {
                    // Our own exp2: the browser and the server must compute the same bits.
                    Some(half_life) => points * crate::math::exp2(-age_days / half_life),
                    None => points,
                }
            })
            .sum();
        engagement_sum += decayed;
        breakdown.push(Contribution {
            rule: rule_name(rule, "engagement", i),
            kind: ContributionKind::Engagement,
            points: libm::round(decayed * 100.0) / 100.0,
            events: Some(times.len()),
        });
    }
    // Rounded once, at the end, half away from zero.
    let engagement = libm::round(engagement_sum) as i64;
    let total = fit + engagement;

    let grade = scoring
        .fit_grades
        .iter()
        .find(|g| fit as f64 >= g.min)
        .map_or_else(|| "D".to_owned(), |g| g.grade.clone());
    let level = scoring
        .engagement_levels
        .iter()
        .find(|l| engagement as f64 >= l.min)
        .map_or(4, |l| l.level);

    let mut disqualified = false;
    for (i, rule) in scoring.disqualify.iter().enumerate() {
        if rule.matches(&facts) {
            disqualified = true;
            breakdown.push(Contribution {
                rule: rule_name(rule, "disqualify", i),
                kind: ContributionKind::Disqualify,
                points: 0.0,
                events: None,
            });
        }
    }
    let stage = if disqualified {
        Stage::Disqualified
    } else if scoring.mql.as_ref().is_some_and(|m| {
        total as f64 >= m.min_total
            && grade_rank(scoring, &grade) <= grade_rank(scoring, &m.min_fit_grade)
    }) {
        Stage::Mql
    } else {
        Stage::Inquiry
    };
    let matrix = format!("{grade}{level}");
    let queue = route(scoring, &lead.fields, lists, stage, &grade, &matrix)
        .map(|i| scoring.routing[i].queue.clone());

    Score {
        fit,
        engagement,
        total,
        matrix,
        grade,
        level,
        stage,
        queue,
        breakdown,
    }
}

/// The index of the routing entry that chooses the queue: the first whose `when` holds for
/// the lead's values and the score's results (`score.stage`, `score.grade` …, see
/// [`crate::rule::ROUTING_FACTS`]).
fn route(
    scoring: &Scoring,
    fields: &Values,
    lists: &dyn DomainLists,
    stage: Stage,
    grade: &str,
    matrix: &str,
) -> Option<usize> {
    let mut results = Values::new();
    // The level is the matrix's digit, after the grade.
    for (name, value) in [
        ("score.stage", stage.name()),
        ("score.grade", grade),
        ("score.level", &matrix[grade.len()..]),
        ("score.matrix", matrix),
    ] {
        results.insert(name.to_owned(), FieldValue::Text(value.to_owned()));
    }
    let facts = Facts {
        values: fields,
        lists,
        score: Some(&results),
    };
    scoring
        .routing
        .iter()
        .position(|r| r.when.as_ref().is_none_or(|w| w.matches(&facts)))
}

/// Insertion sort, newest first: event lists are short, and a library sort would add
/// ~3 KB to the widget.
fn sort_newest_first(times: &mut [i64]) {
    for i in 1..times.len() {
        let mut j = i;
        while j > 0 && times[j - 1] < times[j] {
            times.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Position of a grade from best (0) to worst; "D" below all configured grades.
fn grade_rank(scoring: &Scoring, grade: &str) -> usize {
    scoring
        .fit_grades
        .iter()
        .position(|g| g.grade == grade)
        .unwrap_or(scoring.fit_grades.len())
}

fn rule_name(rule: &Rule, section: &str, index: usize) -> String {
    rule.id
        .clone()
        .unwrap_or_else(|| format!("{section}/{index}"))
}

fn event_matches(rule: &Rule, event: &Event) -> bool {
    rule.event.as_deref() == Some(event.kind.as_str())
        && rule.url_contains.as_ref().is_none_or(|part| {
            event
                .url
                .as_ref()
                .is_some_and(|u| crate::rule::fold(u).contains(&crate::rule::fold(part)))
        })
        && rule
            .offer_id
            .as_ref()
            .is_none_or(|id| event.offer_id.as_deref() == Some(id.as_str()))
        && at_least(rule.min_seconds, event.seconds)
        && at_least(rule.min_scroll_percent, event.scroll_percent)
}

/// A rule's minimum holds when it is absent, or when the event has that much.
fn at_least(min: Option<f64>, value: Option<f64>) -> bool {
    min.is_none_or(|min| value.is_some_and(|v| v >= min))
}

/// The checks of an offer's `scoring` section, each problem with its JSON pointer (see
/// [`OfferConfig::check`]).
impl Scoring {
    pub(crate) fn check(&self, offer: &OfferConfig, p: &mut Problems) {
        let scoring = self;
        let mut ids: Vec<(String, String)> = Vec::new();
        let sections: [(&[Rule], &str, RuleRole); 3] = [
            (&scoring.fit, "fit", RuleRole::Fit),
            (&scoring.engagement, "engagement", RuleRole::Engagement),
            (&scoring.disqualify, "disqualify", RuleRole::Disqualify),
        ];
        for (rules, section, role) in sections {
            for (i, rule) in rules.iter().enumerate() {
                let at = format!("/scoring/{section}/{i}");
                rule.check(offer, &at, role, p);
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
                Some(when) => when.check(offer, &format!("{at}/when"), RuleRole::Routing, p),
                None if i + 1 < scoring.routing.len() => add!(p,
                    at,
                    "an entry without \"when\" always matches, so the entries after it are never reached; move it last".into(),
                ),
                None => {}
            }
        }
    }
}

/// What is wrong with a test lead, as the collector would refuse it: each given value
/// checked against its field (`validate::validate_asked`; a test lead may leave fields
/// out), events of known types at RFC 3339 times. Each problem names its place in the
/// lead (`at` is the lead's own pointer, `""` or `/3`) and the fix: an option's label
/// given for its value, a misspelt field or event type. What `leadmagnet score` and the
/// studio's simulator say before scoring.
#[cfg(feature = "messages")]
pub fn lead_problems(
    config: &crate::config::OfferConfig,
    lead: &LeadFacts,
    at: &str,
) -> Vec<String> {
    use crate::json::did_you_mean;
    use crate::validate::{validate_asked, FieldValue, Problem};
    let mut problems = Vec::new();
    if let Err(errors) = validate_asked(config, &lead.fields, &[]) {
        for error in errors {
            let place = format!("{at}/fields/{}", error.field);
            let field = config.field(&error.field);
            let given = match lead.fields.get(&error.field) {
                Some(FieldValue::Text(t)) => format!("\"{t}\""),
                Some(FieldValue::Bool(b)) => b.to_string(),
                Some(FieldValue::List(l)) => format!("{l:?}"),
                None => String::new(),
            };
            let message = match (&error.problem, field) {
                (Problem::UnknownField, _) => {
                    let ids = config.fields.iter().map(|f| f.id.as_str());
                    match did_you_mean(&error.field, ids) {
                        Some(id) => format!(
                            "the offer has no field \"{}\" (did you mean \"{id}\"?)",
                            error.field
                        ),
                        None => {
                            let ids: Vec<String> = config
                                .fields
                                .iter()
                                .map(|f| format!("\"{}\"", f.id))
                                .collect();
                            format!(
                                "the offer has no field \"{}\"; its fields are {}",
                                error.field,
                                ids.join(", ")
                            )
                        }
                    }
                }
                (Problem::UnknownOption, Some(field)) => {
                    let given_texts: Vec<String> = match lead.fields.get(&field.id) {
                        Some(FieldValue::Text(t)) => vec![t.clone()],
                        Some(FieldValue::List(l)) => l.clone(),
                        _ => Vec::new(),
                    };
                    let values: Vec<String> = field
                        .options
                        .iter()
                        .map(|o| format!("\"{}\"", o.value))
                        .collect();
                    let mut hints = Vec::new();
                    for text in &given_texts {
                        if field.options.iter().any(|o| o.value == *text) {
                            continue;
                        }
                        let by_label = field.options.iter().find(|o| {
                            o.label.as_ref().is_some_and(|l| {
                                l.variants()
                                    .iter()
                                    .any(|(_, v)| crate::rule::fold(v) == crate::rule::fold(text))
                            })
                        });
                        match by_label {
                            Some(o) => hints.push(format!(
                                "\"{text}\" is the label of the option \"{}\": give its value",
                                o.value
                            )),
                            None => match did_you_mean(
                                text,
                                field.options.iter().map(|o| o.value.as_str()),
                            ) {
                                Some(v) => hints.push(format!(
                                    "\"{text}\" is not an option (did you mean \"{v}\"?)"
                                )),
                                None => hints.push(format!("\"{text}\" is not an option")),
                            },
                        }
                    }
                    format!(
                        "{}; the options are {}",
                        hints.join("; "),
                        values.join(", ")
                    )
                }
                (problem, Some(field)) => format!(
                    "{given} is refused: {} ({})",
                    problem
                        .message(crate::Lang::En, field.kind)
                        .trim_end_matches('.'),
                    problem.code()
                ),
                (problem, None) => problem.message(crate::Lang::En, crate::config::FieldType::Text),
            };
            problems.push(format!("{place}: {message}"));
        }
    }
    for (j, event) in lead.events.iter().enumerate() {
        if !EVENT_TYPES.contains(&event.kind.as_str()) {
            let hint = did_you_mean(&event.kind, EVENT_TYPES)
                .map_or(String::new(), |t| format!(" (did you mean \"{t}\"?)"));
            problems.push(format!(
                "{at}/events/{j}/type: unknown event type \"{}\"{hint}; the widget records {}",
                event.kind,
                EVENT_TYPES.join(", ")
            ));
        }
        if crate::time::parse_rfc3339(&event.at).is_none() {
            problems.push(format!(
                "{at}/events/{j}/at: \"{}\" is not an RFC 3339 time such as 2026-11-27T12:00:00Z",
                event.at
            ));
        }
    }
    problems
}

/// Why a lead scored as it did, in sentences: whether it is an MQL and, if not, each MQL
/// criterion it fails ("MQL needs grade B or better: grade C, fit 40 < 50"); how its grade
/// and level came about; the rules that did not count and why; and which routing entry
/// chose the queue. Beside the breakdown (what counted), this says what did not: what a
/// marketer asks of a lead that is not an MQL. The inbox, the CLI and the studio show it.
#[cfg(feature = "messages")]
pub fn explain(
    scoring: &Scoring,
    lead: &LeadFacts,
    result: &Score,
    lists: &dyn DomainLists,
) -> Vec<String> {
    let mut lines = Vec::new();
    let counted = |kind: ContributionKind, name: &str| {
        result
            .breakdown
            .iter()
            .any(|c| c.kind == kind && c.rule == name)
    };
    // The stage.
    match (result.stage, &scoring.mql) {
        (Stage::Disqualified, _) => {
            let rules: Vec<&str> = result
                .breakdown
                .iter()
                .filter(|c| c.kind == ContributionKind::Disqualify)
                .map(|c| c.rule.as_str())
                .collect();
            lines.push(format!(
                "disqualified by {}: never an MQL while this holds",
                rules.join(", ")
            ));
        }
        (Stage::Mql, Some(mql)) => lines.push(format!(
            "MQL: total {} ≥ {} and grade {} is {} or better",
            result.total,
            num(mql.min_total),
            result.grade,
            mql.min_fit_grade
        )),
        (_, None) => {
            lines.push("not an MQL: this scoring has no MQL criteria (add scoring.mql)".to_owned())
        }
        (_, Some(mql)) => {
            let mut failed = Vec::new();
            if (result.total as f64) < mql.min_total {
                failed.push(format!(
                    "MQL needs a total of {} or more: total {} < {} (fit {} + engagement {})",
                    num(mql.min_total),
                    result.total,
                    num(mql.min_total),
                    result.fit,
                    result.engagement
                ));
            }
            if grade_rank(scoring, &result.grade) > grade_rank(scoring, &mql.min_fit_grade) {
                let needed = scoring
                    .fit_grades
                    .iter()
                    .find(|g| g.grade == mql.min_fit_grade)
                    .map_or(String::new(), |g| {
                        format!(", fit {} < {}", result.fit, num(g.min))
                    });
                failed.push(format!(
                    "MQL needs grade {} or better: grade {}{needed}",
                    mql.min_fit_grade, result.grade
                ));
            }
            lines.push(format!("not an MQL: {}", failed.join("; ")));
        }
    }
    // The grade and the level.
    match scoring.fit_grades.iter().find(|g| g.grade == result.grade) {
        Some(g) => lines.push(format!(
            "grade {}: fit {} ≥ {}, the first grade it reaches",
            g.grade,
            result.fit,
            num(g.min)
        )),
        None if !scoring.fit_grades.is_empty() => lines.push(format!(
            "grade D: fit {} is below every fit grade",
            result.fit
        )),
        None => {}
    }
    match scoring
        .engagement_levels
        .iter()
        .find(|l| l.level == result.level)
    {
        Some(l) => lines.push(format!(
            "level {}: engagement {} ≥ {}",
            l.level,
            result.engagement,
            num(l.min)
        )),
        None if !scoring.engagement_levels.is_empty() => lines.push(format!(
            "level 4: engagement {} is below every engagement level",
            result.engagement
        )),
        None => {}
    }
    // What did not count.
    let facts = Facts {
        values: &lead.fields,
        lists,
        score: None,
    };
    for (i, rule) in scoring.fit.iter().enumerate() {
        let name = rule_name(rule, "fit", i);
        if !counted(ContributionKind::Fit, &name) {
            lines.push(format!(
                "fit {name} ({}) did not match: {}",
                signed(rule.points.unwrap_or(0.0)),
                crate::rule::why_not(rule, &facts)
            ));
        }
    }
    for (i, rule) in scoring.engagement.iter().enumerate() {
        let name = rule_name(rule, "engagement", i);
        if !counted(ContributionKind::Engagement, &name) {
            let mut what = format!("no {} event", rule.event.as_deref().unwrap_or("?"));
            if let Some(part) = &rule.url_contains {
                what += &format!(" with a URL containing \"{part}\"");
            }
            if let Some(id) = &rule.offer_id {
                what += &format!(" of offer \"{id}\"");
            }
            if let Some(s) = rule.min_seconds {
                what += &format!(" of {} s or more", num(s));
            }
            if let Some(p) = rule.min_scroll_percent {
                what += &format!(" scrolled {} % or more", num(p));
            }
            lines.push(format!(
                "engagement {name} ({} each) counted nothing: {what}",
                signed(rule.points.unwrap_or(0.0))
            ));
        }
    }
    // The queue.
    match (&result.queue, scoring.routing.is_empty()) {
        (_, true) => lines.push("no queue: this scoring has no routing".to_owned()),
        (None, false) => lines.push(format!(
            "no queue: none of the {} routing entries matched",
            scoring.routing.len()
        )),
        (Some(queue), false) => {
            let index = scoring.routing.iter().position(|r| &r.queue == queue);
            let chosen = route(
                scoring,
                &lead.fields,
                lists,
                result.stage,
                &result.grade,
                &result.matrix,
            )
            .or(index);
            match chosen.map(|i| (i, &scoring.routing[i])) {
                Some((i, r)) => lines.push(match &r.when {
                    Some(when) => format!(
                        "queue \"{queue}\": routing entry {i}, the first whose condition holds ({})",
                        crate::rule::describe(when)
                    ),
                    None => format!(
                        "queue \"{queue}\": routing entry {i}, the fallback (no condition), as no entry before it matched"
                    ),
                }),
                None => lines.push(format!("queue \"{queue}\"")),
            }
        }
    }
    lines
}

#[cfg(feature = "messages")]
fn signed(points: f64) -> String {
    if points < 0.0 {
        num(points)
    } else {
        format!("+{}", num(points))
    }
}
