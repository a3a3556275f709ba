//! The offer config v1: what a marketer writes in JSON to describe one offer.
//!
//! # API boundary
//! The JSON shape is a stable, versioned surface (`"version": 1`): keys are added, never
//! renamed. Unknown keys are rejected so that a typo (`"titel"`) is an error with its
//! place (and a "did you mean"), not a silently ignored setting. The JSON Schema
//! (`leadmagnet schema`, `www/schema/offer.v1.json`) is generated from these types.
//!
//! Parsing happens in two passes: [`parse_offer`] reads the JSON (type errors carry a
//! JSON pointer, line and column; every unknown key is collected), then
//! [`OfferConfig::check`] finds every semantic problem at once (duplicate ids, a select
//! without options, a rule naming an unknown field, unsorted grades …), each with its
//! pointer.
//!
//! # Layout
//! - this file: the model, the types of the offer config and their plain helpers;
//! - `read.rs`: reading them from JSON (`FromJson`, `read_offer`, `parse_offer`);
//! - `check.rs`: the semantic checks (`OfferConfig::check`) and their problems.

use crate::map::SortedMap;
use crate::rule::Rule;
use crate::scoring::Scoring;
use crate::text::Text;
use serde::Serialize;
use std::fmt;

pub(crate) mod check;
mod read;

pub use crate::rule::TARGETING_FACTS;
#[cfg(feature = "messages")]
pub use check::normalize_origin;
pub use check::num;
#[cfg(feature = "messages")]
pub use read::{offer_problems, problems_of};
pub use read::{parse_offer, read_offer};

/// The only config version this core reads.
pub const CONFIG_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct OfferConfig {
    /// The JSON Schema, for editor autocompletion (`/schema/offer.v1.json`); ignored.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub version: u32,
    /// Stable id of the offer; leads carry it as `offer_id`.
    pub id: String,
    /// Locale of the visitor-facing texts (a BCP 47 tag such as `de` or `en-GB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub offer: Offer,
    pub fields: Vec<Field>,
    /// Progressive profiling: which fields a visit asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiling: Option<Profiling>,
    /// Lead scoring, grading, qualification and routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring: Option<Scoring>,
    pub endpoint: Endpoint,
    /// Split the fields into steps with a progress indicator (any offer kind). Without
    /// steps the fields form one step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// A quiz or assessment (`offer.kind: "quiz"`): result bands over the answer points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<Quiz>,
    /// A calculator (`offer.kind: "calculator"`): a formula over the number fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculator: Option<Calculator>,
    /// How and when the offer appears on the page: inline (default), modal or slide-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Display>,
    /// A/B variants of title, copy or fields; each visitor keeps one (sticky), reported
    /// with the lead as `variant`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// Analytics hand-over: a `generate_lead` event in the page's `dataLayer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics: Option<Analytics>,
    /// More endpoints each lead goes to, each with its own outbox entry and retries (the
    /// visitor's thank-you depends on `endpoint` alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_send_to: Vec<Endpoint>,
    /// Origins (`https://www.example.com`) whose pages may send this offer's leads to the
    /// collector; others get no CORS grant and their leads are refused (403). Empty: the
    /// collector's own origin and its `--allow-origin` list. Read by the collector only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg(feature = "messages")]
    pub allowed_origins: Vec<String>,
    /// Where the collector forwards each accepted lead, server-side (a HubSpot form through
    /// the secure submit API, or a webhook signed with HMAC-SHA-256), through its own
    /// outbox with retries: leads reach the CRM even when a visitor's browser blocks
    /// third-party requests. Secrets stay in the collector's environment (`secret_env`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg(feature = "messages")]
    pub forward: Vec<Forward>,
    /// Score this offer's leads with the account-wide model (`scoring.json` beside the
    /// offers) instead of a `scoring` section of its own: the collector serves the config
    /// with the model's section in place, so the browser's preliminary score is the
    /// model's, and scores the leads with it. Served from elsewhere, the browser shows no
    /// preliminary score.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg(feature = "messages")]
    pub account_scoring: bool,
}

/// One server-side forwarding target of an offer (see [`OfferConfig::forward`]).
#[cfg(feature = "messages")]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Forward {
    /// `hubspot` (Forms API v3, secure submit with a private app token) or `webhook`.
    pub to: ForwardKind,
    /// `webhook`: where the lead is POSTed (https; plain http only to this machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `hubspot`: the portal (account) id and the form's GUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_guid: Option<String>,
    /// The name of the collector's environment variable that holds the secret: HubSpot's
    /// private app token, or the webhook's signing key. The secret itself never appears in
    /// a config (configs are public).
    pub secret_env: String,
    /// `hubspot`: field id → HubSpot property; unmapped fields keep their id.
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub field_map: SortedMap<String>,
}

#[cfg(feature = "messages")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ForwardKind {
    Hubspot,
    Webhook,
}

#[cfg(feature = "messages")]
impl ForwardKind {
    pub fn name(self) -> &'static str {
        match self {
            ForwardKind::Hubspot => "hubspot",
            ForwardKind::Webhook => "webhook",
        }
    }
}

/// One step of a multi-step offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Step {
    /// Heading of the step; "Step 2 of 3" is shown in any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    /// Ids of the fields on this step, in order. Every field is on exactly one step.
    pub fields: Vec<String>,
}

/// When a quiz or calculator shows its result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResultGate {
    /// Only after the visitor has sent the contact step (gated).
    #[default]
    AfterContact,
    /// At once, before the contact step (which then offers the detailed report).
    BeforeContact,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Quiz {
    /// When the result is shown (default `after_contact`).
    #[serde(default)]
    pub show_result: ResultGate,
    /// Result bands, highest `min` first: the first band whose `min` the points reach.
    pub results: Vec<QuizResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct QuizResult {
    /// Least points for this outcome.
    pub min: f64,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Calculator {
    /// Over the number fields' ids: `+ - * / ^`, parentheses, `min(a, b, …)`,
    /// `max(a, b, …)`, `round(x)` and `round(x, decimals)`.
    pub formula: String,
    /// What the result is, e.g. "Extra revenue per year".
    pub result_label: Text,
    /// How the result is written (per the visitor's locale, with `Intl.NumberFormat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<NumberFormat>,
    /// When the result is shown (default `after_contact`).
    #[serde(default)]
    pub show_result: ResultGate,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct NumberFormat {
    /// `decimal` (default), `currency` (needs `currency`) or `percent` (0.25 → 25 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// ISO 4217 code such as `EUR` or `USD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// At most this many decimals (0–6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_fraction_digits: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DisplayMode {
    /// In the host element, where the page puts it (its space reserved by the page).
    #[default]
    Inline,
    /// A dialog over the page: focus kept inside, Esc and a close button, scroll locked.
    Modal,
    /// A panel in the corner that does not block the page.
    SlideIn,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Display {
    #[serde(default)]
    pub mode: DisplayMode,
    /// When a modal or slide-in opens; at once when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    /// Who sees the offer: a condition over `page_url`, `referrer`, `utm_source`,
    /// `utm_medium`, `utm_campaign`, `utm_term`, `utm_content`, `visitor` (`new` or
    /// `returning`) and `device` (`mobile`, `tablet` or `desktop`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeting: Option<Rule>,
    /// How often a dismissed offer comes back; a converted visitor never sees it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Frequency>,
}

/// Exactly one of these keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Trigger {
    /// Open this many seconds after the page loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<f64>,
    /// Open when the visitor has scrolled this far down the page (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scroll_percent: Option<f64>,
    /// Open when the pointer leaves the page toward the top (desktop); on touch devices
    /// when the visitor scrolls up fast after reading a while.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_intent: Option<bool>,
    /// Open after this many seconds without pointer, key, scroll or touch activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivity_seconds: Option<f64>,
    /// Open when an element of the host page matching this CSS selector is clicked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub click: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Frequency {
    /// After the visitor dismisses the offer, show it again only after this many days
    /// (0: on the next page view).
    pub dismissed_days: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Variant {
    /// Reported with the lead as `variant`.
    pub id: String,
    /// Relative share of visitors (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_label: Option<Text>,
    /// Fields this variant does not ask.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hide_fields: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Profiling {
    /// Fields asked on every visit (e.g. email and consent).
    #[serde(default)]
    pub always: Vec<String>,
    /// Fields asked progressively, in this order, once each.
    #[serde(default)]
    pub order: Vec<String>,
    /// How many fields of `order` a visit asks at most; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_new_fields: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Offer {
    pub kind: OfferKind,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// A cover image of the content (gated content), with its alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<Cover>,
    /// Where the visitor is taken after a successful submission (instead of staying on
    /// the thank-you view); relative URLs resolve against the config's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// Content (eBook, whitepaper, checklist) in exchange for contact data.
    GatedContent,
    /// A plain (possibly multi-step) form.
    Form,
    /// A quiz or assessment: choice questions whose answers add up to a result band.
    Quiz,
    /// A calculator: number inputs, a formula, a locale-formatted result.
    Calculator,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Cover {
    pub url: String,
    /// What the image shows, for screen readers (WCAG 1.1.1).
    pub alt: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Asset {
    /// Where the asset is downloaded from; relative URLs resolve against the config's URL.
    pub url: String,
    /// Text of the download link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
}

/// What the page's analytics hears of a lead.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Analytics {
    /// Push `{event: "generate_lead", currency, value, offer_id, lead_stage}` to
    /// `window.dataLayer` (Google Tag Manager, GA4) when a lead is sent or queued.
    #[serde(default)]
    pub data_layer: bool,
    /// ISO 4217 code of `value`, e.g. "EUR".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// What a lead is worth to the marketer, in `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Endpoint {
    /// Where leads are POSTed (formats `leadmagnet` and `webhook`); relative URLs resolve
    /// against the config's URL. HubSpot and Salesforce have fixed addresses.
    #[serde(default)]
    pub url: String,
    /// How long one attempt may take before it counts as failed and is retried from the
    /// outbox: 1 to 120 seconds, 10 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
    /// The shape of what is sent: the lead payload v1 (`leadmagnet`, default), HubSpot's
    /// Forms API v3 (`hubspot`), Salesforce Web-to-Lead (`salesforce`, fire-and-forget) or
    /// any URL (`webhook`); everything in a config is public.
    #[serde(default)]
    pub format: EndpointFormat,
    /// `webhook`: `json` (the payload, default) or `form` (fields urlencoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// `webhook`: static request headers (public: never put secrets here).
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub headers: SortedMap<String>,
    /// `hubspot`: the portal (account) id and the form's GUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_guid: Option<String>,
    /// `hubspot`: the subscription type a `marketing` consent field subscribes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_type_id: Option<u32>,
    /// `salesforce`: the organisation id (`oid`) and the `lead_source` value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_source: Option<String>,
    /// `hubspot`, `salesforce`, `webhook` with `form`: field id → the receiver's name
    /// (a HubSpot property, a Salesforce field or custom field id such as `00N…`).
    /// Unmapped fields keep their id (Salesforce: the standard names of well-known ids).
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub field_map: SortedMap<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EndpointFormat {
    #[default]
    Leadmagnet,
    Hubspot,
    Salesforce,
    Webhook,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Json,
    Form,
}

impl Endpoint {
    /// The timeout of one attempt in milliseconds.
    pub fn timeout_ms(&self) -> f64 {
        self.timeout_seconds.unwrap_or(10.0) * 1000.0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Field {
    /// The key of the value in the lead payload: lower-case letters, digits and `_`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label: Text,
    #[serde(default)]
    pub required: bool,
    /// Choices of a `select`, `radio` or `checkboxes` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
    /// Number fields: the least value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Number fields: the greatest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Number fields: the step of the spin buttons (any number is accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    /// Number fields: the unit shown after the input, e.g. "€" or "leads / month".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Text>,
    /// HTML autocomplete token; derived from the field id when absent (see
    /// [`Field::autocomplete_token`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autocomplete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<Text>,
    /// A hint shown below the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Show the field only while this condition holds (dependent fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<Rule>,
    /// What a tick box asks consent for, recorded with the lead (`consent` fields default
    /// to `processing`; a newsletter opt-in checkbox is `marketing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<ConsentPurpose>,
    /// The version of the consent wording (e.g. "2026-11"), recorded with each consent
    /// next to the hash of the text shown; consent and purpose fields only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_version: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// Processing the details for this offer (e.g. sending the eBook).
    Processing,
    /// Marketing communication beyond the offer (newsletters, sales follow-up).
    Marketing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Email,
    Select,
    Checkbox,
    /// A consent checkbox: never pre-ticked, its label is the consent text.
    Consent,
    /// One choice of several, shown as radio buttons (quiz questions).
    Radio,
    /// Any number of choices, shown as checkboxes; the value is a list.
    Checkboxes,
    /// A number, with optional `min`, `max`, `step` and `unit` (calculator inputs).
    Number,
}

impl FieldType {
    /// Whether the field's value is a boolean (a tick box) rather than text.
    pub fn is_tick_box(self) -> bool {
        matches!(self, FieldType::Checkbox | FieldType::Consent)
    }

    /// Whether the field offers `options` to choose from.
    pub fn has_options(self) -> bool {
        matches!(
            self,
            FieldType::Select | FieldType::Radio | FieldType::Checkboxes
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct FieldOption {
    pub value: String,
    /// Shown to the visitor; the value itself otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
    /// Quiz result points this answer adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
}

impl Field {
    /// The autocomplete token (WCAG 1.3.5): the configured one, or one derived from
    /// well-known field ids so browser autofill works without configuration.
    pub fn autocomplete_token(&self) -> Option<&str> {
        if self.kind.is_tick_box() || matches!(self.kind, FieldType::Radio | FieldType::Checkboxes)
        {
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

    /// The calculator's formula, parsed over the number fields; an error names the
    /// character where the problem is.
    pub fn formula(&self) -> Result<crate::formula::Expr, crate::formula::FormulaError> {
        let formula = self.calculator.as_ref().map_or("", |c| c.formula.as_str());
        let inputs: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| f.kind == FieldType::Number)
            .map(|f| f.id.as_str())
            .collect();
        crate::formula::parse(formula, &inputs)
    }

    /// The least and the most points a quiz can give.
    pub fn quiz_points_range(&self) -> (f64, f64) {
        let (mut lo, mut hi) = (0.0, 0.0);
        for f in &self.fields {
            let points = f.options.iter().filter_map(|o| o.points);
            match f.kind {
                FieldType::Radio => {
                    let min = points.clone().fold(f64::INFINITY, f64::min);
                    let max = points.fold(f64::NEG_INFINITY, f64::max);
                    if min.is_finite() {
                        // An optional question may be skipped: 0 points.
                        lo += if f.required { min } else { min.min(0.0) };
                        hi += if f.required { max } else { max.max(0.0) };
                    }
                }
                FieldType::Checkboxes => {
                    lo += points.clone().filter(|p| *p < 0.0).sum::<f64>();
                    hi += points.filter(|p| *p > 0.0).sum::<f64>();
                }
                _ => {}
            }
        }
        (lo, hi)
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
