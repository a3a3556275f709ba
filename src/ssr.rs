//! Server rendering (feature `ssr`, natively): the offer component rendered to HTML by
//! yew's server renderer, for a declarative shadow root (`<template shadowrootmode>`)
//! that paints with the page and that the wasm then hydrates. The collector serves it
//! (`GET /api/v1/offers/{id}/fragment`, the answers to forms posted without script) and
//! `leadmagnet render` prints it as an embed snippet.
//!
//! The markup is the component's first render exactly: a fresh form (no visitor memory,
//! no variant) for the locale asked, or the state given (a posted form's errors or step,
//! or its thank-you). `render_key` names what it was rendered for.

use crate::form::{OfferForm, OfferProps};
use crate::FORM_ID;
use leadmagnet_core::config::EndpointFormat;
use leadmagnet_core::form::FormState;
use leadmagnet_core::profile::Visitor;
use leadmagnet_core::OfferConfig;
use std::rc::Rc;

/// The server has no visitor memory: every render is a first visit's.
pub fn with_visitor<R>(f: impl FnOnce(&mut Visitor) -> R) -> R {
    f(&mut Visitor::default())
}

/// The locale a render is for: the config's own, or for `"auto"` the one asked (the
/// visitor's language as the collector reads it), else English.
pub fn locale_for(config: &OfferConfig, asked: Option<&str>) -> String {
    match config.locale() {
        "auto" => asked.filter(|l| !l.is_empty()).unwrap_or("en").to_owned(),
        fixed => fixed.to_owned(),
    }
}

/// The shadow root's content: the stylesheet, the component's markup in its root element,
/// and what a post without script needs: the form's action (the collector's lead endpoint,
/// which tells a form post from the widget's JSON by its media type; other endpoints
/// cannot take one) and hidden inputs for the offer, locale and step, outside the root
/// and joined to the form by their `form` attribute (the wasm hydrates only the root).
/// `config` must have been read from `config_text`; `config_url` is where the page's
/// widget loads the config from (relative URLs in it resolve against it).
pub fn shadow_html(
    config: &OfferConfig,
    config_text: &str,
    config_url: &str,
    locale: &str,
    state: Option<FormState>,
) -> String {
    let display = config.display.clone().unwrap_or_default();
    let step = state.as_ref().map_or(0, FormState::step);
    let props = OfferProps {
        config: Rc::new(config.clone()),
        config_url: Rc::from(config_url),
        shadow: (),
        locale: Rc::from(locale),
        variant: None,
        mode: display.mode,
        config_text: Rc::from(config_text),
        loader: crate::browser::Loader,
        state: state.map(Rc::new),
    };
    let mut body = futures::executor::block_on(
        yew::LocalServerRenderer::<OfferForm>::with_props(props)
            .hydratable(true)
            .render(),
    );
    if config.endpoint.format == EndpointFormat::Leadmagnet {
        let action = crate::browser::resolve_url(&config.endpoint.url, config_url);
        let form = format!("<form id=\"{FORM_ID}\"");
        body = body.replacen(
            &form,
            &format!("{form} action=\"{}\" method=\"post\"", escape(&action)),
            1,
        );
    }
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" form=\"{FORM_ID}\" name=\"{name}\" value=\"{}\">",
            escape(value)
        )
    };
    format!(
        "<style>{}</style><div id=\"{}\">{body}</div>{}{}{}",
        crate::STYLESHEET,
        crate::ROOT_ID,
        hidden("lm_offer", &config.id),
        hidden("lm_locale", locale),
        hidden("lm_step", &step.to_string()),
    )
}

/// `s` escaped for an attribute value.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
