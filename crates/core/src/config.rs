//! The offer config v1: what a marketer writes in JSON to describe one offer.
//!
//! # API boundary
//! The JSON shape is a stable, versioned surface (`"version": 1`): keys are added, never
//! renamed. Unknown keys are rejected so that a typo (`"titel"`) is an error with its
//! place, not a silently ignored setting.
//!
//! Parsing happens in two passes: [`parse_offer`] reads the JSON (type errors carry a
//! JSON pointer, line and column), then [`OfferConfig::check`] finds every semantic
//! problem at once (duplicate ids, a select without options, …), each with its pointer.

use crate::text::Text;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The only config version this core reads.
pub const CONFIG_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferConfig {
    pub version: u32,
    /// Stable id of the offer; leads carry it as `offer_id`.
    pub id: String,
    /// Locale of the visitor-facing texts (a BCP 47 tag such as `de` or `en-GB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub offer: Offer,
    pub fields: Vec<Field>,
    pub endpoint: Endpoint,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// Content (eBook, whitepaper, checklist) in exchange for contact data.
    GatedContent,
    /// A plain form.
    Form,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// Where the asset is downloaded from; relative URLs resolve against the config's URL.
    pub url: String,
    /// Text of the download link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Where leads are POSTed; relative URLs resolve against the config's URL.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
        let mut problems = Vec::new();
        let mut problem = |pointer: String, message: String| {
            problems.push(ConfigError {
                pointer,
                line: None,
                column: None,
                message,
            })
        };
        if self.version != CONFIG_VERSION {
            problem(
                "/version".into(),
                format!(
                    "unsupported config version {}: this Leadmagnet reads version {CONFIG_VERSION}",
                    self.version
                ),
            );
        }
        if !is_slug(&self.id, |c| c == '-' || c == '_') {
            problem(
                "/id".into(),
                format!("offer id `{}` must be 1–64 characters of a–z, 0–9, `-` and `_`, e.g. \"ebook-lead-scoring\"", self.id),
            );
        }
        check_text(&self.offer.title, "/offer/title", &mut problem);
        if let Some(asset) = &self.offer.asset {
            if let Err(why) = check_url(&asset.url) {
                problem("/offer/asset/url".into(), why);
            }
        }
        if let Err(why) = check_url(&self.endpoint.url) {
            problem("/endpoint/url".into(), why);
        }
        if self.fields.is_empty() {
            problem(
                "/fields".into(),
                "an offer needs at least one field, e.g. {\"id\": \"email\", \"type\": \"email\", \"label\": \"Email\", \"required\": true}".into(),
            );
        }
        for (i, field) in self.fields.iter().enumerate() {
            let at = format!("/fields/{i}");
            if !is_slug(&field.id, |c| c == '_') {
                problem(
                    format!("{at}/id"),
                    format!("field id `{}` must be 1–64 characters of a–z, 0–9 and `_`, e.g. \"first_name\"", field.id),
                );
            }
            if let Some(first) = self.fields[..i].iter().position(|f| f.id == field.id) {
                problem(
                    format!("{at}/id"),
                    format!("duplicate field id `{}` (also at /fields/{first}): give each field its own id", field.id),
                );
            }
            check_text(&field.label, &format!("{at}/label"), &mut problem);
            match field.kind {
                FieldType::Select if field.options.is_empty() => problem(
                    format!("{at}/options"),
                    "a select field needs at least one option, e.g. [{\"value\": \"1-9\"}]".into(),
                ),
                FieldType::Select => {
                    for (j, opt) in field.options.iter().enumerate() {
                        if opt.value.trim().is_empty() {
                            problem(
                                format!("{at}/options/{j}/value"),
                                "option value must not be empty".into(),
                            );
                        }
                        if field.options[..j].iter().any(|o| o.value == opt.value) {
                            problem(
                                format!("{at}/options/{j}/value"),
                                format!("duplicate option value `{}`", opt.value),
                            );
                        }
                    }
                }
                _ if !field.options.is_empty() => problem(
                    format!("{at}/options"),
                    format!(
                        "only select fields have options; remove them or set \"type\": \"select\" (this field is {:?})",
                        field.kind
                    ),
                ),
                _ => {}
            }
            if let Some(token) = &field.autocomplete {
                if token.trim().is_empty() || token.chars().any(|c| c.is_ascii_uppercase()) {
                    problem(
                        format!("{at}/autocomplete"),
                        format!("`{token}` is not an HTML autocomplete token; use lower-case tokens such as \"email\" or \"organization\""),
                    );
                }
            }
        }
        problems
    }
}

fn is_slug(s: &str, extra: impl Fn(char) -> bool) -> bool {
    (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra(c))
}

fn check_text(text: &Text, pointer: &str, problem: &mut impl FnMut(String, String)) {
    for (locale, value) in text.variants() {
        if value.trim().is_empty() {
            let at = if locale.is_empty() {
                pointer.to_owned()
            } else {
                format!("{pointer}/{locale}")
            };
            problem(at, "text must not be empty".into());
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

/// Reads an offer config and checks it: `Ok` only for a config the widget can render.
/// On error, every problem found (one for malformed JSON, all semantic ones otherwise).
pub fn parse_offer(json: &str) -> Result<OfferConfig, Vec<ConfigError>> {
    let config: OfferConfig = crate::json::from_str(json).map_err(|err| {
        vec![ConfigError {
            pointer: err.pointer,
            line: Some(err.line),
            column: Some(err.column),
            message: err.message,
        }]
    })?;
    let problems = config.check();
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}
