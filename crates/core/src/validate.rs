//! Form values → every field error, or a validated lead.
//!
//! [`validate`] is the only way to obtain a [`ValidLead`], and the payload builder only
//! accepts a `ValidLead`: a lead that reaches the network has passed these rules. The
//! widget runs them as the visitor submits; the collector runs them again.

use crate::config::{FieldType, OfferConfig};
use crate::email;
use crate::json::{FromJson, Node, Reader, ToJson, Value, Writer};
use crate::messages::Lang;

/// Longest text value kept; longer input is an error rather than silently cut.
pub const MAX_TEXT_LEN: usize = 500;

/// A value the visitor entered: text (text, email, select) or a tick (checkbox, consent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Bool(bool),
    /// The choices of a `checkboxes` field, in option order.
    List(Vec<String>),
}

/// Field id → value.
pub type Values = crate::map::SortedMap<FieldValue>;

impl ToJson for FieldValue {
    fn to_json(&self, w: &mut Writer) {
        match self {
            FieldValue::Text(t) => w.string(t),
            FieldValue::Bool(b) => b.to_json(w),
            FieldValue::List(items) => {
                w.begin_array();
                for i in items {
                    w.element();
                    w.string(i);
                }
                w.end_array();
            }
        }
    }
}

impl FromJson for FieldValue {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        match &node.value {
            Value::String(s) => Some(FieldValue::Text(s.clone())),
            Value::Bool(b) => Some(FieldValue::Bool(*b)),
            Value::Array(_) => Vec::read(r, node, at).map(FieldValue::List),
            _ => r.expected(node, at, "a string, a boolean or a list of strings"),
        }
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A required text field is empty, or a required tick box is not ticked.
    Required,
    InvalidEmail,
    /// A select value that is not one of the options.
    UnknownOption,
    TooLong {
        max: usize,
    },
    /// Text where a tick was expected, or the other way round.
    WrongType,
    /// A value for a field the offer does not have.
    UnknownField,
    /// A number field holds something that is not a number.
    NotANumber,
    /// A number below `min` or above `max` (both written as in the config).
    OutOfRange {
        min: Option<String>,
        max: Option<String>,
    },
}

/// One field's problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

impl Problem {
    /// Machine-readable code (for the collector's JSON errors and analytics).
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::InvalidEmail => "invalid_email",
            Problem::UnknownOption => "unknown_option",
            Problem::TooLong { .. } => "too_long",
            Problem::WrongType => "wrong_type",
            Problem::UnknownField => "unknown_field",
            Problem::NotANumber => "not_a_number",
            Problem::OutOfRange { .. } => "out_of_range",
        }
    }

    /// What the visitor reads next to the field: what is wrong and how to fix it.
    pub fn message(&self, lang: Lang, field: FieldType) -> String {
        let tick = field.is_tick_box();
        match (lang, self) {
            (Lang::De, Problem::Required) if tick => {
                "Bitte setzen Sie das Häkchen, um fortzufahren.".into()
            }
            (Lang::En, Problem::Required) if tick => "Please tick this box to continue.".into(),
            (Lang::De, Problem::Required) if field.has_options() => {
                "Bitte wählen Sie eine Option.".into()
            }
            (Lang::En, Problem::Required) if field.has_options() => {
                "Please choose an option.".into()
            }
            (Lang::De, Problem::NotANumber) => "Bitte geben Sie eine Zahl ein, z. B. 250.".into(),
            (Lang::En, Problem::NotANumber) => "Please enter a number, such as 250.".into(),
            (lang, Problem::OutOfRange { min, max }) => {
                let de = lang == Lang::De;
                match (min, max) {
                    (Some(lo), Some(hi)) if de => {
                        format!("Bitte geben Sie eine Zahl von {lo} bis {hi} ein.")
                    }
                    (Some(lo), Some(hi)) => format!("Please enter a number from {lo} to {hi}."),
                    (Some(lo), None) if de => format!("Bitte geben Sie mindestens {lo} ein."),
                    (Some(lo), None) => format!("Please enter at least {lo}."),
                    (_, Some(hi)) if de => format!("Bitte geben Sie höchstens {hi} ein."),
                    (_, Some(hi)) => format!("Please enter at most {hi}."),
                    (None, None) if de => "Bitte geben Sie eine Zahl ein.".into(),
                    (None, None) => "Please enter a number.".into(),
                }
            }
            (Lang::De, Problem::Required) => "Bitte füllen Sie dieses Feld aus.".into(),
            (Lang::En, Problem::Required) => "Please fill in this field.".into(),
            (Lang::De, Problem::InvalidEmail) => {
                "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@firma.de.".into()
            }
            (Lang::En, Problem::InvalidEmail) => {
                "Please enter a valid email address, such as name@company.com.".into()
            }
            (Lang::De, Problem::UnknownOption) => {
                "Bitte wählen Sie eine der angebotenen Optionen.".into()
            }
            (Lang::En, Problem::UnknownOption) => "Please choose one of the listed options.".into(),
            (Lang::De, Problem::TooLong { max }) => {
                format!("Bitte kürzen Sie Ihre Angabe auf höchstens {max} Zeichen.")
            }
            (Lang::En, Problem::TooLong { max }) => {
                format!("Please shorten this to at most {max} characters.")
            }
            (Lang::De, Problem::WrongType) => "Dieser Wert passt nicht zum Feld.".into(),
            (Lang::En, Problem::WrongType) => "This value does not fit the field.".into(),
            (Lang::De, Problem::UnknownField) => "Dieses Feld gibt es im Formular nicht.".into(),
            (Lang::En, Problem::UnknownField) => "The form has no such field.".into(),
        }
    }
}

/// A lead whose values passed every field rule of its offer. Only [`validate`] makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidLead {
    offer_id: String,
    fields: Values,
}

impl ValidLead {
    pub fn offer_id(&self) -> &str {
        &self.offer_id
    }

    /// The normalized values: trimmed text, lower-case email domains, empty optional
    /// fields left out.
    pub fn fields(&self) -> &Values {
        &self.fields
    }

    pub(crate) fn into_parts(self) -> (String, Values) {
        (self.offer_id, self.fields)
    }
}

/// Checks `values` against the offer's fields, with every field whose `visible_if` holds
/// counted as asked. See [`validate_asked`].
pub fn validate(config: &OfferConfig, values: &Values) -> Result<ValidLead, Vec<FieldError>> {
    let facts = crate::rule::Facts {
        values,
        lists: &crate::domains::CompactLists,
        score: None,
    };
    let asked: Vec<&str> = config
        .fields
        .iter()
        .filter(|f| f.visible_if.as_ref().is_none_or(|c| c.matches(&facts)))
        .map(|f| f.id.as_str())
        .collect();
    validate_asked(config, values, &asked)
}

/// Checks `values` against the offer's fields. Required applies to the fields that were
/// `asked` (progressive profiling and `visible_if` hide the others); every value given is
/// checked. Errors come in the order of the fields in the config (so the first one is
/// where focus goes), unknown fields last.
pub fn validate_asked(
    config: &OfferConfig,
    values: &Values,
    asked: &[&str],
) -> Result<ValidLead, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fields = Values::new();
    for field in &config.fields {
        let required = field.required && asked.contains(&field.id.as_str());
        let fail = |problem| FieldError {
            field: field.id.clone(),
            problem,
        };
        match (field.kind.is_tick_box(), values.get(&field.id)) {
            (true, Some(FieldValue::Bool(ticked))) => {
                if required && !ticked {
                    errors.push(fail(Problem::Required));
                } else {
                    fields.insert(field.id.clone(), FieldValue::Bool(*ticked));
                }
            }
            (true, None) if required => errors.push(fail(Problem::Required)),
            (true, None) => {}
            (false, Some(FieldValue::Text(raw))) => {
                let text = raw.trim();
                if text.is_empty() {
                    if required {
                        errors.push(fail(Problem::Required));
                    }
                } else if text.chars().count() > MAX_TEXT_LEN {
                    errors.push(fail(Problem::TooLong { max: MAX_TEXT_LEN }));
                } else if field.kind == FieldType::Email && !email::is_valid(text) {
                    errors.push(fail(Problem::InvalidEmail));
                } else if matches!(field.kind, FieldType::Select | FieldType::Radio)
                    && !field.options.iter().any(|o| o.value == text)
                {
                    errors.push(fail(Problem::UnknownOption));
                } else if field.kind == FieldType::Number {
                    match crate::json::parse_decimal(text) {
                        None => errors.push(fail(Problem::NotANumber)),
                        Some(n)
                            if field.min.is_some_and(|m| n < m)
                                || field.max.is_some_and(|m| n > m) =>
                        {
                            errors.push(fail(Problem::OutOfRange {
                                min: field.min.map(crate::config::num),
                                max: field.max.map(crate::config::num),
                            }))
                        }
                        Some(_) => {
                            fields.insert(field.id.clone(), FieldValue::Text(text.to_owned()));
                        }
                    }
                } else if field.kind == FieldType::Checkboxes {
                    errors.push(fail(Problem::WrongType));
                } else {
                    let value = if field.kind == FieldType::Email {
                        email::normalize(text)
                    } else {
                        text.to_owned()
                    };
                    fields.insert(field.id.clone(), FieldValue::Text(value));
                }
            }
            (false, Some(FieldValue::List(items))) if field.kind == FieldType::Checkboxes => {
                if items
                    .iter()
                    .any(|i| !field.options.iter().any(|o| &o.value == i))
                {
                    errors.push(fail(Problem::UnknownOption));
                } else if items.is_empty() {
                    if required {
                        errors.push(fail(Problem::Required));
                    }
                } else {
                    // In option order, without repeats: the same choices give the same value.
                    let chosen = field
                        .options
                        .iter()
                        .filter(|o| items.contains(&o.value))
                        .map(|o| o.value.clone())
                        .collect();
                    fields.insert(field.id.clone(), FieldValue::List(chosen));
                }
            }
            (false, None) if required => errors.push(fail(Problem::Required)),
            (false, None) => {}
            (_, Some(_)) => errors.push(fail(Problem::WrongType)),
        }
    }
    for id in values.keys() {
        if config.field(id).is_none() {
            errors.push(FieldError {
                field: id.clone(),
                problem: Problem::UnknownField,
            });
        }
    }
    if errors.is_empty() {
        Ok(ValidLead {
            offer_id: config.id.clone(),
            fields,
        })
    } else {
        Err(errors)
    }
}
