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
use leadmagnet_core::config::{EndpointFormat, FieldType};
use leadmagnet_core::form::FormState;
use leadmagnet_core::profile::Visitor;
use leadmagnet_core::FieldValue;
use leadmagnet_core::OfferConfig;
use std::rc::Rc;

/// The server has no visitor memory: every render is a first visit's.
pub fn with_visitor<R>(f: impl FnOnce(&mut Visitor) -> R) -> R {
    f(&mut Visitor::default())
}

/// Whether the form may be rendered before the browser decides: an inline offer that
/// every visitor sees as it is. Targeting, a frequency cap or A/B variants are decided in
/// the browser (a form painted first could vanish or change), and a modal or slide-in
/// opens on a trigger the page must run.
pub fn prerenderable(config: &OfferConfig) -> bool {
    // Exactly the offers of the default build, the one that hydrates.
    leadmagnet_core::display::needs_full_build(config).is_none()
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
    // The chosen option of each select: the widget sets it after rendering (`sync_selects`),
    // which never runs here, so the markup says it (`selected`).
    let chosen: Vec<(String, String)> = state
        .as_ref()
        .map(|form| {
            config
                .fields
                .iter()
                .filter(|f| f.kind == FieldType::Select)
                .filter_map(|f| match form.value(&f.id) {
                    Some(FieldValue::Text(v)) if !v.is_empty() => Some((f.id.clone(), v.clone())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
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
    for (field, value) in chosen {
        let Some(at) = body.find(&format!("<select id=\"lm-f-{field}\"")) else {
            continue;
        };
        let end = body[at..].find("</select>").map_or(body.len(), |e| at + e);
        let option = format!("<option value=\"{}\"", escape(&value));
        if let Some(o) = body[at..end].find(&option) {
            body.insert_str(at + o + option.len(), " selected");
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use leadmagnet_core::read_offer;

    const OFFERS: [&str; 5] = [
        include_str!("../www/offers/ebook.json"),
        include_str!("../www/offers/checklist.json"),
        include_str!("../www/offers/quiz.json"),
        include_str!("../www/offers/roi-calculator.json"),
        include_str!("../www/offers/newsletter-slide-in.json"),
    ];

    fn offer(text: &str) -> OfferConfig {
        read_offer(text).unwrap_or_else(|e| panic!("a demo offer reads: {e:?}"))
    }

    #[test]
    fn every_demo_offer_renders_its_whole_form_for_a_post_without_script() {
        for text in OFFERS {
            let config = offer(text);
            let locale = locale_for(&config, Some("de"));
            let html = shadow_html(
                &config,
                text,
                "https://c.example/offers/x.json",
                &locale,
                None,
            );
            assert!(html.starts_with("<style>"), "{}", config.id);
            assert!(html.contains(&format!("<div id=\"{}\">", crate::ROOT_ID)));
            assert!(
                html.contains("<form id=\"lm-form\" action=\"https://c.example/api/v1/leads\" method=\"post\""),
                "{}: {html}",
                config.id
            );
            for field in &config.fields {
                assert!(
                    html.contains(&format!("name=\"{}\"", field.id)),
                    "{}: field {}",
                    config.id,
                    field.id
                );
            }
            assert!(html.contains(&format!(
                "<input type=\"hidden\" form=\"lm-form\" name=\"lm_offer\" value=\"{}\">",
                config.id
            )));
            assert!(html.contains("name=\"lm_step\" value=\"0\""));
            assert!(html.contains("name=\"lm_hp\""), "the honeypot");
            // yew's hydration markers around the component.
            assert!(html.contains("<!--<[leadmagnet_widget::form::OfferForm]>-->"));
        }
    }

    #[test]
    fn offer_texts_are_escaped_and_the_locale_is_the_configs_own_unless_auto() {
        // The collector's checks refuse such an id; reading alone does not, so the markup
        // escapes it all the same.
        let text = OFFERS[0]
            .replace(
                "The Lead Scoring Playbook",
                "</h2><script>alert(1)</script>",
            )
            .replace("\"id\": \"ebook-lead-scoring\"", "\"id\": \"x\\\"><b\"");
        let config = offer(&text);
        let html = shadow_html(&config, &text, "/offers/ebook.json", "en", None);
        assert!(
            html.contains("name=\"lm_offer\" value=\"x&quot;&gt;&lt;b\""),
            "{html}"
        );
        assert!(!html.contains("value=\"x\"><b"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;/h2&gt;&lt;script&gt;"));
        assert!(
            html.contains("action=\"/api/v1/leads\""),
            "root-relative stays relative"
        );
        assert_eq!(
            locale_for(&config, Some("de")),
            "en",
            "the config's fixed locale"
        );
        let auto = offer(&OFFERS[0].replace("\"locale\": \"en\"", "\"locale\": \"auto\""));
        assert_eq!(locale_for(&auto, Some("de-AT")), "de-AT");
        assert_eq!(locale_for(&auto, None), "en");
        let german = shadow_html(&auto, OFFERS[0], "/offers/ebook.json", "de", None);
        assert!(german.contains("Das Lead-Scoring-Handbuch"));
        assert!(german.contains("name=\"lm_locale\" value=\"de\""));
    }

    #[test]
    fn a_posted_forms_choices_and_values_come_back_in_the_markup() {
        let config = offer(OFFERS[0]);
        let mut form = FormState::new(&config);
        form.set(&config, "company_size", FieldValue::Text("250+".into()));
        form.set(&config, "email", FieldValue::Text("a\"b@c.example".into()));
        form.set(&config, "consent", FieldValue::Bool(true));
        let html = shadow_html(&config, OFFERS[0], "/offers/ebook.json", "en", Some(form));
        assert!(html.contains("<option value=\"250+\" selected>"), "{html}");
        assert_eq!(html.matches(" selected>").count(), 1, "one chosen option");
        assert!(html.contains("value=\"a&quot;b@c.example\""), "{html}");
        // The dependent field the choice asks for is shown.
        let at = html.find("for=\"lm-f-timeline\"").expect("timeline");
        let div = html[..at].rfind("<div").expect("its field");
        assert!(!html[div..at].contains("hidden"), "{}", &html[div..at]);
    }

    #[test]
    fn only_offers_every_visitor_sees_as_they_are_are_rendered_first() {
        let ids: Vec<(String, bool)> = OFFERS
            .iter()
            .map(|t| {
                let c = offer(t);
                (c.id.clone(), prerenderable(&c))
            })
            .collect();
        for (id, expected) in [
            ("ebook-lead-scoring", true),
            ("lead-maturity-quiz", true),
            ("roi-calculator", true),
            ("mql-checklist", false),
            ("newsletter-slide-in", false),
        ] {
            assert_eq!(
                ids.iter().find(|(i, _)| i == id).map(|(_, p)| *p),
                Some(expected),
                "{id}: {ids:?}"
            );
        }
    }

    #[test]
    fn the_render_key_names_the_widget_the_locale_and_the_config_text() {
        let key = crate::render_key("de", OFFERS[0]);
        assert_eq!(key, crate::render_key("de", OFFERS[0]));
        assert!(key.starts_with(&format!("{}:de:", crate::VERSION)));
        assert_ne!(key, crate::render_key("en", OFFERS[0]));
        // The language decides: a snippet for `de` serves a `de-AT` browser.
        assert_eq!(key, crate::render_key("de-AT", OFFERS[0]));
        assert_eq!(key, crate::render_key("DE_de", OFFERS[0]));
        assert_ne!(
            key,
            crate::render_key("de", &OFFERS[0].replace("48 pages", "50 pages"))
        );
    }

    #[test]
    fn urls_resolve_as_the_browser_resolves_them() {
        use crate::browser::resolve_url;
        let base = "https://c.example/offers/x.json";
        assert_eq!(
            resolve_url("/api/v1/leads", base),
            "https://c.example/api/v1/leads"
        );
        assert_eq!(
            resolve_url("cover.svg", base),
            "https://c.example/offers/cover.svg"
        );
        assert_eq!(resolve_url("../a.pdf", base), "https://c.example/a.pdf");
        assert_eq!(
            resolve_url("//cdn.example/a", base),
            "https://cdn.example/a"
        );
        assert_eq!(
            resolve_url("https://x.example/p?q=1", base),
            "https://x.example/p?q=1"
        );
        // A root-relative base (a page on the collector): results stay root-relative.
        assert_eq!(
            resolve_url("/api/v1/leads", "/offers/x.json"),
            "/api/v1/leads"
        );
        assert_eq!(resolve_url("a.pdf", "/offers/x.json"), "/offers/a.pdf");
        assert_eq!(
            resolve_url("https://x.example/", "/offers/x.json"),
            "https://x.example/"
        );
    }
}
