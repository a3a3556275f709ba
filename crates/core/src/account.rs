//! The account-wide scoring model: the one definition of "sales-ready" that marketing and
//! sales fixed in their SLA — fit and engagement rules, decay, grades, levels, the MQL
//! criteria, disqualifiers, routing and SLA hours — in one versioned file the collector
//! loads beside the offers (`scoring.json` in the offers folder) and checks as it checks
//! an offer config, every problem with its JSON pointer, line and column.
//!
//! Contacts are scored against it over all their facts (the profile of every submission,
//! every event, each decayed by its age: [`crate::scoring::score`]). An offer's own
//! `scoring` section stays what the widget shows in the browser.
//!
//! The rules name fields; the model declares the fields it reads (`fields`, the same shape
//! as an offer's), so a rule's field and option values are checked against them.

use crate::config::{ConfigError, Field, OfferConfig, CONFIG_VERSION};
use crate::json::from_json_struct;
use crate::scoring::Scoring;
use serde::Serialize;

/// The file name of the model in the offers folder.
pub const MODEL_FILE: &str = "scoring.json";

/// The account-wide scoring model v1.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct ScoringModel {
    /// The JSON Schema (`https://leadmagnet.dev/schema/scoring.v1.json`), for editors.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Must be 1.
    pub version: u32,
    /// The fields the rules read, as offers define them (`id`, `type`, `options` …):
    /// every offer that asks one of them should use the same id.
    pub fields: Vec<Field>,
    /// Fit, engagement, decay, grades, levels, MQL criteria, disqualifiers, routing.
    pub scoring: Scoring,
}

from_json_struct!(ScoringModel {
    schema: opt "$schema",
    version: req "version",
    fields: req "fields",
    scoring: req "scoring",
});

/// Reads a scoring model and checks it: every reading problem (malformed JSON, wrong
/// types, unknown keys) with its line and column, else every semantic one with its
/// pointer — the same checks an offer's `fields` and `scoring` get.
pub fn parse_model(json: &str) -> Result<ScoringModel, Vec<ConfigError>> {
    let model: ScoringModel = crate::json::read(json, true).map_err(|problems| {
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
    let mut problems = model.as_offer().check_fields_and_scoring();
    if model.version != CONFIG_VERSION {
        problems.insert(
            0,
            ConfigError {
                pointer: "/version".into(),
                line: None,
                column: None,
                message: format!(
                    "unsupported scoring model version {}: this Leadmagnet reads version {CONFIG_VERSION}",
                    model.version
                ),
            },
        );
    }
    if problems.is_empty() {
        Ok(model)
    } else {
        Err(problems)
    }
}

impl ScoringModel {
    /// The model as an offer with only its fields and scoring: what the checks read, and
    /// what a contact is scored against.
    pub fn as_offer(&self) -> OfferConfig {
        let mut offer = shell();
        offer.version = self.version;
        offer.fields = self.fields.clone();
        offer.scoring = Some(self.scoring.clone());
        offer
    }
}

/// An offer with nothing in it, to carry a model's fields and scoring.
fn shell() -> OfferConfig {
    const SHELL: &str = r#"{"version":1,"id":"scoring-model","offer":{"kind":"form","title":"-"},
        "fields":[],"endpoint":{"url":"/"}}"#;
    match crate::config::read_offer(SHELL) {
        Ok(offer) => offer,
        // The constant above reads; a reader that refused it would be a bug the tests show.
        Err(problems) => unreachable!("the shell offer does not read: {problems:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"{
  "version": 1,
  "fields": [
    { "id": "email", "type": "email", "label": "Email" },
    { "id": "company_size", "type": "select", "label": "Size",
      "options": [{ "value": "1-49" }, { "value": "50-249" }, { "value": "250+" }] }
  ],
  "scoring": {
    "fit": [{ "id": "mid-size", "field": "company_size", "in": ["50-249", "250+"], "points": 40 }],
    "engagement": [{ "id": "pricing", "event": "page_view", "url_contains": "/pricing", "points": 10 }],
    "fit_grades": [{ "grade": "A", "min": 40 }, { "grade": "B", "min": 20 }],
    "mql": { "min_total": 40, "min_fit_grade": "B", "sla_hours": 24 }
  }
}"#;

    #[test]
    fn a_model_reads_and_checks_like_an_offer() {
        let model = parse_model(MODEL).expect("valid model");
        assert_eq!(model.scoring.fit.len(), 1);
        assert_eq!(model.fields.len(), 2);
    }

    #[test]
    fn every_problem_is_located() {
        // Reading problems: line and column.
        let unknown = MODEL.replace("\"fields\"", "\"feilds\"");
        let problems = parse_model(&unknown).expect_err("unknown key");
        assert!(
            problems
                .iter()
                .any(|p| p.pointer.is_empty() || p.pointer == "/feilds"),
            "{problems:?}"
        );
        assert!(problems.iter().all(|p| p.line.is_some()), "{problems:?}");
        // Semantic problems: pointers into the model, every one at once.
        let wrong = MODEL
            .replace(r#""in": ["50-249", "250+"]"#, r#""in": ["50-250"]"#)
            .replace(r#""event": "page_view""#, r#""event": "page_veiw""#)
            .replace(r#""version": 1"#, r#""version": 2"#);
        let problems = parse_model(&wrong).expect_err("problems");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers[0], "/version", "{problems:?}");
        assert!(pointers.contains(&"/scoring/fit/0/in/0"), "{problems:?}");
        assert!(
            pointers.contains(&"/scoring/engagement/0/event"),
            "{problems:?}"
        );
        // A rule on a field the model does not declare.
        let undeclared = MODEL.replace(r#""field": "company_size""#, r#""field": "employees""#);
        let problems = parse_model(&undeclared).expect_err("problems");
        assert!(
            problems
                .iter()
                .any(|p| p.pointer == "/scoring/fit/0/field" && p.message.contains("employees")),
            "{problems:?}"
        );
    }
}
