//! The form's state machine, free of any UI framework: what the visitor entered, which
//! errors are shown, and whether a submission is in flight.
//!
//! The widget renders this state and feeds it events; every rule lives here so it is
//! tested natively.

use crate::config::OfferConfig;
use crate::domains::CompactLists;
use crate::payload::FormMetrics;
use crate::profiling::fields_to_show;
use crate::validate::{validate_asked, FieldError, FieldValue, Problem, ValidLead, Values};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The visitor is filling the form (possibly after a failed send).
    Editing,
    /// A submission is in flight; submitting again is ignored.
    Sending,
    /// The endpoint accepted the lead.
    Sent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FormState {
    /// What the stored profile knows (with consent): not asked again, sent with the lead.
    known: Values,
    /// Ids of the fields asked on this visit (profiling and `visible_if`), in form order.
    asked: Vec<String>,
    /// Index into [`FormState::steps`].
    step: usize,
    values: Values,
    errors: Vec<FieldError>,
    status: Status,
    /// Whether the last send failed (its message stays until the next attempt).
    send_failed: bool,
    /// Submit attempts that were refused by validation.
    failed_validations: u32,
    /// Errors shown over all refused attempts (each field once per attempt).
    errors_shown: u32,
}

impl FormState {
    /// An empty form. Tick boxes start unticked: consent is never pre-ticked.
    pub fn new(config: &OfferConfig) -> FormState {
        FormState::with_known(config, Values::new())
    }

    /// A form for a visitor whose profile knows `known` (see
    /// [`crate::profile::Visitor::known_for`]): known fields are not asked again
    /// (WCAG 3.3.7), and their values are sent with the lead.
    pub fn with_known(config: &OfferConfig, known: Values) -> FormState {
        let values = config
            .fields
            .iter()
            .filter(|f| f.kind.is_tick_box())
            .map(|f| (f.id.clone(), FieldValue::Bool(false)))
            .collect();
        let mut form = FormState {
            known,
            asked: Vec::new(),
            step: 0,
            values,
            errors: Vec::new(),
            status: Status::Editing,
            send_failed: false,
            failed_validations: 0,
            errors_shown: 0,
        };
        form.update_asked(config);
        form
    }

    /// The fields to show now, in form order.
    pub fn asked(&self) -> &[String] {
        &self.asked
    }

    fn update_asked(&mut self, config: &OfferConfig) {
        // Visitors have no stored profile yet (that comes with consent-based storage),
        // so the answers decide the dependent fields. An answer to a field that is hidden
        // again must not keep its own dependants visible, so settle on a fixed point:
        // start from every answer, then only those of the fields shown.
        self.asked.clear();
        for _ in 0..config.fields.len().max(1) {
            let shown: Vec<String> =
                fields_to_show(config, &self.known, &self.answers(), &CompactLists)
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
            if shown == self.asked {
                break;
            }
            self.asked = shown;
        }
        self.errors.retain(|e| self.asked.contains(&e.field));
        self.step = self.step.min(self.steps(config).len().saturating_sub(1));
    }

    /// The steps of this visit: the configured steps with only the fields asked now,
    /// empty ones left out (a known visitor may skip a whole step); one step holding every
    /// asked field when the offer has no steps.
    pub fn steps<'c>(&self, config: &'c OfferConfig) -> Vec<Vec<&'c str>> {
        let asked = |id: &&str| self.asked.iter().any(|a| a == id);
        let steps: Vec<Vec<&str>> = if config.steps.is_empty() {
            vec![config
                .fields
                .iter()
                .map(|f| f.id.as_str())
                .filter(asked)
                .collect()]
        } else {
            config
                .steps
                .iter()
                .map(|s| s.fields.iter().map(String::as_str).filter(asked).collect())
                .filter(|s: &Vec<&str>| !s.is_empty())
                .collect()
        };
        if steps.is_empty() {
            vec![Vec::new()]
        } else {
            steps
        }
    }

    /// The index of the step shown now (0-based).
    pub fn step(&self) -> usize {
        self.step
    }

    /// The configured step (for its title) that the current step comes from.
    pub fn step_config<'c>(&self, config: &'c OfferConfig) -> Option<&'c crate::config::Step> {
        let first = *self.steps(config).get(self.step)?.first()?;
        config
            .steps
            .iter()
            .find(|s| s.fields.iter().any(|f| f == first))
    }

    /// Whether the current step is the last (its button submits).
    pub fn on_last_step(&self, config: &OfferConfig) -> bool {
        self.step + 1 >= self.steps(config).len()
    }

    /// Whether `field` is on the step shown now (and asked).
    pub fn on_current_step(&self, config: &OfferConfig, field: &str) -> bool {
        self.steps(config)
            .get(self.step)
            .is_some_and(|s| s.contains(&field))
    }

    /// The visitor pressed "Next": the current step's fields are checked; with no
    /// problem the next step shows, otherwise the errors do. Answers are kept either way.
    pub fn next(&mut self, config: &OfferConfig) -> bool {
        if self.status != Status::Editing || self.on_last_step(config) {
            return false;
        }
        let here: Vec<String> = self
            .steps(config)
            .get(self.step)
            .map(|s| s.iter().map(|id| (*id).to_owned()).collect())
            .unwrap_or_default();
        let errors: Vec<FieldError> = match self.check(config) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .filter(|e| here.contains(&e.field))
                .collect(),
        };
        if errors.is_empty() {
            self.errors.clear();
            self.step += 1;
            true
        } else {
            self.refused(errors);
            false
        }
    }

    /// The visitor pressed "Back": the previous step, every answer kept.
    pub fn back(&mut self) {
        if self.status == Status::Editing && self.step > 0 {
            self.step -= 1;
            self.errors.clear();
        }
    }

    /// Known values (from the stored profile) that this visit does not ask.
    pub fn known(&self) -> &Values {
        &self.known
    }

    /// The values of the fields shown now: answers to hidden fields are kept (they come
    /// back if the field does) but not sent.
    fn answers(&self) -> Values {
        self.values
            .iter()
            .filter(|(id, _)| self.asked.is_empty() || self.asked.contains(id))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The value the visitor gave `field`, to show when the field is rendered again.
    pub fn value(&self, field: &str) -> Option<&FieldValue> {
        self.values.get(field)
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn send_failed(&self) -> bool {
        self.send_failed
    }

    pub fn values(&self) -> &Values {
        &self.values
    }

    pub fn failed_validations(&self) -> u32 {
        self.failed_validations
    }

    /// The problem shown next to `field`, if any.
    pub fn error(&self, field: &str) -> Option<&Problem> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| &e.problem)
    }

    /// Where focus goes after a refused submit: the first invalid field in form order.
    pub fn first_invalid(&self) -> Option<&str> {
        self.errors.first().map(|e| e.field.as_str())
    }

    /// The visitor changed a field. A shown error is re-checked at once, so it disappears
    /// as soon as it is fixed; fields without a shown error are not nagged about yet.
    pub fn set(&mut self, config: &OfferConfig, field: &str, value: FieldValue) {
        self.values.insert(field.to_owned(), value);
        // Dependent fields appear and disappear with this answer; other answers stay.
        self.update_asked(config);
        if self.error(field).is_some() {
            let now = match self.check(config) {
                Ok(_) => Vec::new(),
                Err(errors) => errors,
            };
            self.errors.retain(|e| e.field != field);
            if let Some(still) = now.into_iter().find(|e| e.field == field) {
                // Keep form order so `first_invalid` stays right.
                let order = |id: &str| config.fields.iter().position(|f| f.id == id);
                let at = self
                    .errors
                    .iter()
                    .position(|e| order(&e.field) > order(&still.field))
                    .unwrap_or(self.errors.len());
                self.errors.insert(at, still);
            }
        }
    }

    /// The visitor submitted. Returns the validated lead to send, or `None` when the
    /// form shows errors (or a send is already in flight: no double submissions).
    pub fn submit(&mut self, config: &OfferConfig) -> Option<ValidLead> {
        if self.status != Status::Editing {
            return None;
        }
        if !self.on_last_step(config) {
            self.next(config);
            return None;
        }
        match self.check(config) {
            Ok(lead) => {
                self.errors.clear();
                self.status = Status::Sending;
                self.send_failed = false;
                Some(lead)
            }
            Err(errors) => {
                self.refused(errors);
                None
            }
        }
    }

    fn refused(&mut self, errors: Vec<FieldError>) {
        self.failed_validations += 1;
        self.errors_shown += errors.len() as u32;
        self.errors = errors;
    }

    /// The payload's `form` record for this form: `seconds` from the first input to the
    /// submit (the widget's clock), the errors shown, and the fields asked and known.
    pub fn metrics(&self, config: &OfferConfig, seconds: Option<f64>) -> FormMetrics {
        FormMetrics {
            seconds,
            validation_errors: self.errors_shown,
            refused_attempts: self.failed_validations,
            asked: self.asked.clone(),
            known: self
                .known
                .iter()
                .filter(|(id, _)| !self.asked.contains(id) && config.field(id).is_some())
                .map(|(id, _)| id.clone())
                .collect(),
        }
    }

    fn check(&self, config: &OfferConfig) -> Result<ValidLead, Vec<FieldError>> {
        let asked: Vec<&str> = self.asked.iter().map(String::as_str).collect();
        // Known values go with the lead; what the visitor answered now wins.
        let mut values = self.known.clone();
        for (k, v) in self.answers().iter() {
            values.insert(k.clone(), v.clone());
        }
        validate_asked(config, &values, &asked)
    }

    /// The endpoint accepted the lead.
    pub fn sent(&mut self) {
        self.status = Status::Sent;
    }

    /// Sending failed: back to editing with every value kept.
    pub fn failed(&mut self) {
        self.status = Status::Editing;
        self.send_failed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_offer;

    fn config() -> OfferConfig {
        parse_offer(
            r#"{"version":1,"id":"t","offer":{"kind":"form","title":"T"},
            "fields":[{"id":"email","type":"email","label":"E","required":true},
                      {"id":"name","type":"text","label":"N","required":true},
                      {"id":"consent","type":"consent","label":"C","required":true}],
            "endpoint":{"url":"/x"}}"#,
        )
        .expect("config")
    }

    fn text(s: &str) -> FieldValue {
        FieldValue::Text(s.into())
    }

    #[test]
    fn dependent_fields_follow_answers_and_keep_hidden_values() {
        let profiled =
            parse_offer(include_str!("../tests/fixtures/fields/config.json")).expect("config");
        let mut form = FormState::new(&profiled);
        assert_eq!(form.asked(), ["email", "first_name", "company", "consent"]);
        let c = OfferConfig {
            profiling: None,
            ..profiled.clone()
        };
        let mut form2 = FormState::new(&c);
        assert_eq!(
            form2.asked(),
            [
                "email",
                "first_name",
                "company",
                "role",
                "company_size",
                "consent"
            ]
        );
        form2.set(&c, "company_size", text("250+"));
        assert_eq!(
            form2.asked(),
            [
                "email",
                "first_name",
                "company",
                "role",
                "company_size",
                "timeline",
                "consent"
            ]
        );
        form2.set(&c, "timeline", text("now"));
        form2.set(&c, "company_size", text("1-9"));
        assert!(
            !form2.asked().iter().any(|f| f == "timeline"),
            "hidden again"
        );
        assert_eq!(
            form2.value("timeline"),
            Some(&text("now")),
            "the answer is kept"
        );
        form2.set(&c, "email", text("ann@contoso.example"));
        form2.set(&c, "consent", FieldValue::Bool(true));
        let lead = form2.submit(&c).expect("valid");
        assert!(
            !lead.fields().contains_key("timeline"),
            "a hidden field's answer is not sent"
        );
        form.set(&profiled, "first_name", text("Ann"));
        assert_eq!(
            form.asked(),
            ["email", "first_name", "company", "consent"],
            "answers now do not count as profile"
        );
    }

    fn stepped() -> OfferConfig {
        parse_offer(
            r#"{"version":1,"id":"t","offer":{"kind":"form","title":"T"},
            "fields":[{"id":"size","type":"select","label":"S","required":true,"options":[{"value":"1-9"},{"value":"10+"}]},
                      {"id":"email","type":"email","label":"E","required":true},
                      {"id":"first_name","type":"text","label":"N"},
                      {"id":"consent","type":"consent","label":"C","required":true}],
            "steps":[{"fields":["size"]},{"fields":["email","first_name"]},{"fields":["consent"]}],
            "endpoint":{"url":"/x"}}"#,
        )
        .expect("config")
    }

    #[test]
    fn steps_check_only_their_fields_and_back_keeps_answers() {
        let c = stepped();
        let mut form = FormState::new(&c);
        assert_eq!(form.steps(&c).len(), 3);
        assert!(!form.next(&c), "size is required");
        assert_eq!(form.first_invalid(), Some("size"));
        assert_eq!(form.error("email"), None, "later steps are not checked yet");
        form.set(&c, "size", text("10+"));
        assert!(form.next(&c));
        assert_eq!(form.step(), 1);
        assert!(form.on_current_step(&c, "email"));
        form.set(&c, "email", text("ann@example.com"));
        form.back();
        assert_eq!(form.step(), 0);
        assert_eq!(form.value("size"), Some(&text("10+")));
        assert!(form.next(&c) && form.next(&c));
        assert!(form.on_last_step(&c));
        assert_eq!(form.value("email"), Some(&text("ann@example.com")));
        assert!(form.submit(&c).is_none(), "consent missing");
        form.set(&c, "consent", FieldValue::Bool(true));
        let lead = form.submit(&c).expect("valid");
        assert_eq!(lead.fields().len(), 3);
        let metrics = form.metrics(&c, Some(12.0));
        assert_eq!(
            (metrics.refused_attempts, metrics.validation_errors),
            (2, 2),
            "one refused Next (size), one refused submit (consent)"
        );
        assert_eq!(metrics.asked, ["size", "email", "first_name", "consent"]);
        assert!(metrics.known.is_empty());
        assert_eq!(metrics.seconds, Some(12.0));
    }

    #[test]
    fn known_values_are_sent_not_asked_and_empty_steps_are_skipped() {
        let c = stepped();
        let mut known = Values::new();
        known.insert("email".into(), text("ann@example.com"));
        known.insert("first_name".into(), text("Ann"));
        known.insert("size".into(), text("1-9"));
        let mut form = FormState::with_known(&c, known);
        assert_eq!(form.asked(), ["consent"], "a one-click form");
        assert_eq!(form.steps(&c).len(), 1);
        form.set(&c, "consent", FieldValue::Bool(true));
        let lead = form.submit(&c).expect("valid");
        assert_eq!(lead.fields().get("first_name"), Some(&text("Ann")));
        assert_eq!(lead.fields().get("size"), Some(&text("1-9")));
        let metrics = form.metrics(&c, None);
        assert_eq!(metrics.asked, ["consent"]);
        let mut known = metrics.known.clone();
        known.sort();
        let expected: Vec<&str> = ["email", "first_name", "size"]
            .into_iter()
            .filter(|id| c.field(id).is_some())
            .collect();
        assert_eq!(known, expected, "known config fields, sent but not asked");
        assert!(!expected.is_empty());
        assert_eq!(
            (metrics.refused_attempts, metrics.validation_errors),
            (0, 0)
        );
    }

    #[test]
    fn consent_starts_unticked() {
        let c = config();
        let form = FormState::new(&c);
        assert_eq!(form.values().get("consent"), Some(&FieldValue::Bool(false)));
    }

    #[test]
    fn refused_submit_shows_errors_and_points_at_the_first() {
        let c = config();
        let mut form = FormState::new(&c);
        form.set(&c, "name", text("Ann"));
        assert!(form.submit(&c).is_none());
        assert_eq!(form.first_invalid(), Some("email"));
        assert_eq!(form.error("consent"), Some(&Problem::Required));
        assert_eq!(form.error("name"), None);
        assert_eq!(form.failed_validations(), 1);
        assert_eq!(form.status(), Status::Editing);
    }

    #[test]
    fn fixing_a_field_clears_its_error_and_keeps_order() {
        let c = config();
        let mut form = FormState::new(&c);
        assert!(form.submit(&c).is_none());
        form.set(&c, "email", text("ann@"));
        assert_eq!(form.error("email"), Some(&Problem::InvalidEmail));
        assert_eq!(
            form.first_invalid(),
            Some("email"),
            "order kept after re-check"
        );
        form.set(&c, "email", text("ann@example.com"));
        assert_eq!(form.error("email"), None);
        assert_eq!(form.first_invalid(), Some("name"));
    }

    #[test]
    fn untouched_fields_are_not_nagged_before_submit() {
        let c = config();
        let mut form = FormState::new(&c);
        form.set(&c, "email", text("ann@"));
        assert_eq!(form.error("email"), None);
    }

    #[test]
    fn no_double_submission_and_values_survive_a_failed_send() {
        let c = config();
        let mut form = FormState::new(&c);
        form.set(&c, "email", text("ann@example.com"));
        form.set(&c, "name", text("Ann"));
        form.set(&c, "consent", FieldValue::Bool(true));
        assert!(form.submit(&c).is_some());
        assert_eq!(form.status(), Status::Sending);
        assert!(
            form.submit(&c).is_none(),
            "second submit while sending is ignored"
        );
        form.failed();
        assert!(form.send_failed());
        assert_eq!(form.values().get("name"), Some(&text("Ann")));
        assert!(form.submit(&c).is_some(), "retry after failure");
        assert!(!form.send_failed());
        form.sent();
        assert_eq!(form.status(), Status::Sent);
        assert!(form.submit(&c).is_none(), "nothing to submit after success");
    }
}
