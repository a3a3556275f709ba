//! The form's state machine, free of any UI framework: what the visitor entered, which
//! errors are shown, and whether a submission is in flight.
//!
//! The widget renders this state and feeds it events; every rule lives here so it is
//! tested natively.

use crate::config::OfferConfig;
use crate::validate::{validate, FieldError, FieldValue, Problem, ValidLead, Values};

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
    values: Values,
    errors: Vec<FieldError>,
    status: Status,
    /// Whether the last send failed (its message stays until the next attempt).
    send_failed: bool,
    /// Submit attempts that were refused by validation.
    failed_validations: u32,
}

impl FormState {
    /// An empty form. Tick boxes start unticked: consent is never pre-ticked.
    pub fn new(config: &OfferConfig) -> FormState {
        let values = config
            .fields
            .iter()
            .filter(|f| f.kind.is_tick_box())
            .map(|f| (f.id.clone(), FieldValue::Bool(false)))
            .collect();
        FormState {
            values,
            errors: Vec::new(),
            status: Status::Editing,
            send_failed: false,
            failed_validations: 0,
        }
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
        if self.error(field).is_some() {
            let now = match validate(config, &self.values) {
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
        match validate(config, &self.values) {
            Ok(lead) => {
                self.errors.clear();
                self.status = Status::Sending;
                self.send_failed = false;
                Some(lead)
            }
            Err(errors) => {
                self.errors = errors;
                self.failed_validations += 1;
                None
            }
        }
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
