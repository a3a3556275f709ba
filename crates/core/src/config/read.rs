//! Reading an offer config from JSON: one `FromJson` per type (problems with pointer,
//! line and column), and the two entries, [`read_offer`] (reading only, the widget's) and
//! [`parse_offer`] (reading and checks).

use super::*;
use crate::json::{from_json_struct, FromJson, Node, Reader};

from_json_struct!(OfferConfig {
    schema: opt "$schema",
    version: req "version",
    id: req "id",
    locale: opt "locale",
    offer: req "offer",
    fields: req "fields",
    profiling: opt "profiling",
    scoring: opt "scoring",
    endpoint: req "endpoint",
    steps: or_default "steps",
    quiz: opt "quiz",
    calculator: opt "calculator",
    display: opt "display",
    variants: or_default "variants",
    analytics: opt "analytics",
    also_send_to: or_default "also_send_to",
} checked {
    allowed_origins: or_default "allowed_origins",
    forward: or_default "forward",
    account_scoring: or_default "account_scoring",
});

#[cfg(feature = "messages")]
from_json_struct!(Forward {
    to: req "to",
    url: opt "url",
    portal_id: opt "portal_id",
    form_guid: opt "form_guid",
    secret_env: req "secret_env",
    field_map: or_default "field_map",
});

#[cfg(feature = "messages")]
impl FromJson for ForwardKind {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("hubspot", ForwardKind::Hubspot),
                ("webhook", ForwardKind::Webhook),
            ],
        )
    }
}

from_json_struct!(Analytics {
    data_layer: or_default "data_layer",
    currency: opt "currency",
    value: opt "value",
});

from_json_struct!(Step { title: opt "title", fields: req "fields" });

impl FromJson for ResultGate {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("after_contact", ResultGate::AfterContact),
                ("before_contact", ResultGate::BeforeContact),
            ],
        )
    }
}

from_json_struct!(Quiz { show_result: or_default "show_result", results: req "results" });

from_json_struct!(QuizResult { min: req "min", title: req "title", text: opt "text" });

from_json_struct!(Calculator {
    formula: req "formula",
    result_label: req "result_label",
    format: opt "format",
    show_result: or_default "show_result",
});

from_json_struct!(NumberFormat {
    style: opt "style",
    currency: opt "currency",
    maximum_fraction_digits: opt "maximum_fraction_digits",
});

impl FromJson for DisplayMode {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("inline", DisplayMode::Inline),
                ("modal", DisplayMode::Modal),
                ("slide_in", DisplayMode::SlideIn),
            ],
        )
    }
}

from_json_struct!(Display {
    mode: or_default "mode",
    trigger: opt "trigger",
    targeting: opt "targeting",
    frequency: opt "frequency",
});

from_json_struct!(Trigger {
    delay_seconds: opt "delay_seconds",
    scroll_percent: opt "scroll_percent",
    exit_intent: opt "exit_intent",
    inactivity_seconds: opt "inactivity_seconds",
    click: opt "click",
});

from_json_struct!(Frequency { dismissed_days: req "dismissed_days" });

from_json_struct!(Variant {
    id: req "id",
    weight: opt "weight",
    title: opt "title",
    description: opt "description",
    submit_label: opt "submit_label",
    hide_fields: or_default "hide_fields",
});

from_json_struct!(Cover { url: req "url", alt: req "alt" });

from_json_struct!(Profiling {
    always: or_default "always",
    order: or_default "order",
    max_new_fields: opt "max_new_fields",
});

from_json_struct!(Offer {
    kind: req "kind",
    title: req "title",
    description: opt "description",
    cover: opt "cover",
    redirect_url: opt "redirect_url",
    asset: opt "asset",
    submit_label: opt "submit_label",
    success: opt "success",
});

impl FromJson for OfferKind {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("gated_content", OfferKind::GatedContent),
                ("form", OfferKind::Form),
                ("quiz", OfferKind::Quiz),
                ("calculator", OfferKind::Calculator),
            ],
        )
    }
}

from_json_struct!(Asset { url: req "url", label: opt "label" });

// The widget reads every endpoint setting: it makes each endpoint's request with the
// core's formats (`formats::for_endpoint`).
from_json_struct!(Endpoint {
    url: or_default "url",
    timeout_seconds: opt "timeout_seconds",
    format: or_default "format",
    encoding: opt "encoding",
    headers: or_default "headers",
    portal_id: opt "portal_id",
    form_guid: opt "form_guid",
    subscription_type_id: opt "subscription_type_id",
    oid: opt "oid",
    lead_source: opt "lead_source",
    field_map: or_default "field_map",
});

impl FromJson for EndpointFormat {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("leadmagnet", EndpointFormat::Leadmagnet),
                ("hubspot", EndpointFormat::Hubspot),
                ("salesforce", EndpointFormat::Salesforce),
                ("webhook", EndpointFormat::Webhook),
            ],
        )
    }
}

impl FromJson for Encoding {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[("json", Encoding::Json), ("form", Encoding::Form)],
        )
    }
}

from_json_struct!(Field {
    id: req "id",
    kind: req "type",
    label: req "label",
    required: or_default "required",
    options: or_default "options",
    min: opt "min",
    max: opt "max",
    step: opt "step",
    unit: opt "unit",
    autocomplete: opt "autocomplete",
    placeholder: opt "placeholder",
    help: opt "help",
    visible_if: opt "visible_if",
    purpose: opt "purpose",
    consent_version: opt "consent_version",
});

impl FromJson for ConsentPurpose {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("processing", ConsentPurpose::Processing),
                ("marketing", ConsentPurpose::Marketing),
            ],
        )
    }
}

impl FromJson for FieldType {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        r.one_of(
            node,
            at,
            &[
                ("text", FieldType::Text),
                ("email", FieldType::Email),
                ("select", FieldType::Select),
                ("checkbox", FieldType::Checkbox),
                ("consent", FieldType::Consent),
                ("radio", FieldType::Radio),
                ("checkboxes", FieldType::Checkboxes),
                ("number", FieldType::Number),
            ],
        )
    }
}

from_json_struct!(FieldOption { value: req "value", label: opt "label", points: opt "points" });

/// Reads an offer config without the semantic checks: the widget's entry, for configs
/// already checked (by the collector, or by the checker the loader runs). Errors are the
/// reading problems (malformed JSON, wrong types, unknown keys), each with its pointer,
/// line and column.
pub fn read_offer(json: &str) -> Result<OfferConfig, Vec<ConfigError>> {
    crate::json::read(json, true).map_err(|problems| {
        problems
            .into_iter()
            .map(|err| ConfigError {
                pointer: err.pointer,
                line: Some(err.line),
                column: Some(err.column),
                message: err.message,
            })
            .collect::<Vec<_>>()
    })
}

/// Reads an offer config and checks it: `Ok` only for a config the widget can render.
/// On error, every problem found (one for malformed JSON, all semantic ones otherwise).
pub fn parse_offer(json: &str) -> Result<OfferConfig, Vec<ConfigError>> {
    let config = read_offer(json)?;
    let problems = config.check();
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

/// Every problem of a config text in one list, each with its pointer, line and column:
/// the reading problems, and the semantic checks (`check`) of everything that could be
/// read despite them (`json::read_salvaged`). Empty for a config the widget can render.
/// What `leadmagnet validate` and the studio's checker report.
#[cfg(feature = "messages")]
pub fn problems_of<T: FromJson>(
    text: &str,
    check: impl FnOnce(&T) -> Vec<ConfigError>,
) -> Vec<ConfigError> {
    let (value, reading, removed) = crate::json::read_salvaged::<T>(text, true);
    let mut problems: Vec<ConfigError> = reading
        .into_iter()
        .map(|err| ConfigError {
            pointer: err.pointer,
            line: Some(err.line),
            column: Some(err.column),
            message: err.message,
        })
        .collect();
    if let Some(value) = value {
        let inside_removed = |pointer: &str| {
            removed.iter().any(|r| {
                pointer == r
                    || pointer
                        .strip_prefix(r.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        };
        for mut problem in check(&value) {
            if inside_removed(&problem.pointer) {
                continue;
            }
            if problem.line.is_none() {
                if let Some((line, column)) = crate::json::locate(text, &problem.pointer) {
                    problem.line = Some(line);
                    problem.column = Some(column);
                }
            }
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    // In document order; problems of the whole document (no place) first.
    problems.sort_by_key(|p| (p.line.unwrap_or(0), p.column.unwrap_or(0)));
    problems
}

/// [`problems_of`] an offer config.
#[cfg(feature = "messages")]
pub fn offer_problems(text: &str) -> Vec<ConfigError> {
    problems_of::<OfferConfig>(text, OfferConfig::check)
}
