//! Lead scoring: fit × engagement with decay, grade, level, matrix, stage and queue, with a
//! breakdown that says why. The same code runs in the widget (preliminary score) and in
//! the collector (authoritative score); docs/scoring.md states the rules with examples.

use crate::domains::DomainLists;
use crate::rule::{Facts, Rule};
use crate::validate::Values;
use serde::{Deserialize, Serialize};

/// The `scoring` section of an offer config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct FitGrade {
    pub grade: String,
    pub min: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct EngagementLevel {
    pub level: u8,
    pub min: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Mql {
    pub min_total: f64,
    pub min_fit_grade: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Route {
    pub queue: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Rule>,
}

/// Something the lead did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (RFC 3339).
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
}

/// What is scored: known field values and events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadFacts {
    #[serde(default)]
    pub fields: Values,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// The lead-waterfall stage the score puts the lead in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Inquiry,
    Mql,
    Disqualified,
}

/// A score and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub rule: String,
    pub kind: ContributionKind,
    /// Fit: the rule's points. Engagement: decayed points, 2 decimals. Disqualify: 0.
    #[serde(serialize_with = "whole_or_decimal")]
    pub points: f64,
    /// Engagement: how many events counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContributionKind {
    Fit,
    Engagement,
    Disqualify,
}

/// Whole numbers as integers (`20`, not `20.0`), others as they are (`7.07`).
fn whole_or_decimal<S: serde::Serializer>(points: &f64, s: S) -> Result<S::Ok, S::Error> {
    if points.fract() == 0.0 && points.abs() < 9e15 {
        s.serialize_i64(*points as i64)
    } else {
        s.serialize_f64(*points)
    }
}

/// Reads a LEAD document: one `{"fields", "events"}` object, or an array of them.
/// Returns the leads and whether the document was an array.
pub fn parse_leads(text: &str) -> Result<(Vec<LeadFacts>, bool), crate::json::Error> {
    let is_array = text.trim_start().starts_with('[');
    if is_array {
        crate::json::from_str::<Vec<LeadFacts>>(text).map(|(leads, _)| (leads, true))
    } else {
        crate::json::from_str::<LeadFacts>(text).map(|(lead, _)| (vec![lead], false))
    }
}

const DAY_MS: f64 = 86_400_000.0;

/// The lead's score at `now_ms` (milliseconds since the epoch). Events whose time does not
/// parse are not counted (the collector rejects such leads before scoring).
pub fn score(scoring: &Scoring, lead: &LeadFacts, now_ms: i64, lists: &dyn DomainLists) -> Score {
    let facts = Facts {
        values: &lead.fields,
        lists,
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
        times.sort_unstable_by(|a, b| b.cmp(a));
        if let Some(max) = rule.max {
            times.truncate(max as usize);
        }
        let points = rule.points.unwrap_or(0.0);
        let decayed: f64 = times
            .iter()
            .map(|at| {
                let age_days = ((now_ms - at).max(0)) as f64 / DAY_MS;
                match scoring.decay_half_life_days {
                    // libm, not std: the browser and the server must compute the same bits.
                    Some(half_life) => points * libm::exp2(-age_days / half_life),
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
        total as f64 >= m.min_total && grade_rank(scoring, &grade) <= grade_rank(scoring, &m.min_fit_grade)
    }) {
        Stage::Mql
    } else {
        Stage::Inquiry
    };
    let queue = scoring
        .routing
        .iter()
        .find(|r| r.when.as_ref().is_none_or(|w| w.matches(&facts)))
        .map(|r| r.queue.clone());

    Score {
        fit,
        engagement,
        total,
        matrix: format!("{grade}{level}"),
        grade,
        level,
        stage,
        queue,
        breakdown,
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
    rule.id.clone().unwrap_or_else(|| format!("{section}/{index}"))
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
}
