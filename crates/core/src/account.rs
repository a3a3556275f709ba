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
use crate::map::SortedMap;
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
    /// Who hears of a new MQL, per queue `routing` names: the queue's owners by email,
    /// and a signed webhook.
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub queues: SortedMap<Queue>,
}

/// A sales queue's hand-over settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Queue {
    /// Email addresses told of each new MQL in this queue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// An http(s) URL that gets each new MQL as JSON, signed like forwarding webhooks
    /// (`Leadmagnet-Signature`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// The environment variable that holds the webhook's signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
}

from_json_struct!(Queue {
    owners: or_default "owners",
    webhook: opt "webhook",
    secret_env: opt "secret_env",
});

from_json_struct!(ScoringModel {
    schema: opt "$schema",
    version: req "version",
    fields: req "fields",
    scoring: req "scoring",
    queues: or_default "queues",
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
    let problems = model.check();
    if problems.is_empty() {
        Ok(model)
    } else {
        Err(problems)
    }
}

impl ScoringModel {
    /// The semantic checks of a model read: its fields and scoring as an offer's, its
    /// queues, its version.
    pub fn check(&self) -> Vec<ConfigError> {
        let mut problems = self.as_offer().check_fields_and_scoring();
        problems.extend(self.check_queues());
        if self.version != CONFIG_VERSION {
            problems.insert(
                0,
                ConfigError {
                    pointer: "/version".into(),
                    line: None,
                    column: None,
                    message: format!(
                        "unsupported scoring model version {}: this Leadmagnet reads version {CONFIG_VERSION}",
                        self.version
                    ),
                },
            );
        }
        problems
    }

    /// Every problem of a model text in one list, with line and column
    /// (`config::problems_of`): what `leadmagnet validate scoring.json` reports.
    #[cfg(feature = "messages")]
    pub fn problems(text: &str) -> Vec<ConfigError> {
        crate::config::problems_of::<ScoringModel>(text, ScoringModel::check)
    }

    /// The queues' settings: real addresses, http(s) webhooks with their key, and only
    /// queues the routing can choose.
    fn check_queues(&self) -> Vec<ConfigError> {
        let mut problems = Vec::new();
        let mut add = |pointer: String, message: String| {
            problems.push(ConfigError {
                pointer,
                line: None,
                column: None,
                message,
            })
        };
        let routed: Vec<&str> = self
            .scoring
            .routing
            .iter()
            .map(|r| r.queue.as_str())
            .collect();
        for (name, queue) in &self.queues {
            let at = format!("/queues/{}", name.replace('~', "~0").replace('/', "~1"));
            if !routed.contains(&name.as_str()) {
                add(
                    at.clone(),
                    format!(
                        "no routing entry chooses queue \"{name}\"; routing chooses {}",
                        routed
                            .iter()
                            .map(|q| format!("\"{q}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            for (i, owner) in queue.owners.iter().enumerate() {
                if !crate::email::is_valid(owner) {
                    add(
                        format!("{at}/owners/{i}"),
                        format!("\"{owner}\" is not an email address"),
                    );
                }
            }
            match (&queue.webhook, &queue.secret_env) {
                (Some(url), secret) => {
                    let absolute = url.starts_with("https://") || url.starts_with("http://");
                    if !absolute || crate::config::check::check_url(url).is_err() {
                        add(
                            format!("{at}/webhook"),
                            format!("webhook \"{url}\" must be an absolute http(s) URL"),
                        );
                    }
                    if secret.as_deref().is_none_or(str::is_empty) {
                        add(
                            format!("{at}/secret_env"),
                            "a webhook needs \"secret_env\": the environment variable holding its signing key".into(),
                        );
                    }
                }
                (None, Some(_)) => add(
                    format!("{at}/secret_env"),
                    "\"secret_env\" belongs with a \"webhook\"".into(),
                ),
                (None, None) => {}
            }
        }
        problems
    }

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
    "mql": { "min_total": 40, "min_fit_grade": "B", "sla_hours": 24 },
    "routing": [{ "queue": "enterprise", "when": { "field": "company_size", "equals": "250+" } }, { "queue": "self-serve" }]
  },
  "queues": {
    "enterprise": { "owners": ["ann@sales.example"], "webhook": "https://crm.example/mql", "secret_env": "MQL_KEY" }
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
        // Queues: only those routing chooses, real owners, a signed webhook.
        let queues = MODEL
            .replace(r#""enterprise": { "owners""#, r#""enterprize": { "owners""#)
            .replace("ann@sales.example", "ann at sales")
            .replace(r#", "secret_env": "MQL_KEY""#, "");
        let problems = parse_model(&queues).expect_err("problems");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/queues/enterprize",
                "/queues/enterprize/owners/0",
                "/queues/enterprize/secret_env"
            ],
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
