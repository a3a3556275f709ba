//! The widget in real headless Chromium (wasm-bindgen-test), posting to a real collector
//! that `cargo xtask test` starts (LEADMAGNET_TEST_COLLECTOR).
#![cfg(target_arch = "wasm32")]

use leadmagnet_widget::mount::{mount_offer, Loader};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{
    Element, Event, EventInit, HtmlAnchorElement, HtmlButtonElement, HtmlInputElement,
    HtmlSelectElement, RequestInit, Response, ShadowRoot, ShadowRootMode,
};

wasm_bindgen_test_configure!(run_in_browser);

const DEMO: &str = include_str!("../www/offers/ebook.json");
const TEST_TOKEN: &str = "xtask-wasm-tests-token-0123456789";

// Not `env!`: clippy and plain builds of this file must compile without a collector; only
// running these tests needs one, and then the message says how to get it.
#[allow(clippy::option_env_unwrap)]
fn collector() -> &'static str {
    option_env!("LEADMAGNET_TEST_COLLECTOR")
        .expect("LEADMAGNET_TEST_COLLECTOR is not set: run the widget tests through `make test`")
}

fn config_with_endpoint(endpoint: &str) -> String {
    DEMO.replace(
        r#""url": "/api/v1/leads""#,
        &format!(r#""url": "{endpoint}""#),
    )
}

fn page_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .expect("page url")
}

fn new_host() -> Element {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let host = document.create_element("div").expect("div");
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    host
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("timeout");
    });
    let _ = JsFuture::from(promise).await;
}

/// Waits up to 10 s for `selector` to match inside the shadow root.
async fn wait_for(shadow: &ShadowRoot, selector: &str) -> Element {
    for _ in 0..200 {
        if let Ok(Some(el)) = shadow.query_selector(selector) {
            return el;
        }
        sleep(50).await;
    }
    panic!(
        "{selector} did not appear; shadow root holds: {}",
        shadow.inner_html()
    );
}

/// The widget's way out. In the page the loader's IndexedDB outbox stands here (tested end
/// to end in tests/e2e/delivery.test.mjs); these tests post directly to the collector.
fn direct_delivery() -> js_sys::Function {
    js_sys::Function::new_with_args(
        "lead, requests, id, keepHistory",
        "(window.__kept = window.__kept || []).push(keepHistory); \
         const r = JSON.parse(requests)[0].request; \
         return fetch(r.url, {method: 'POST', body: r.body, headers: r.headers}) \
         .then(r => { if (!r.ok) throw new Error('HTTP ' + r.status); return 'sent'; })",
    )
}

/// The loader's browser facts: here this page view's one page view, and `history` as the
/// behaviour record kept on the device (tested end to end in tests/e2e/behaviour.test.mjs).
fn facts(history: &str) -> js_sys::Function {
    let now = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    js_sys::Function::new_no_args(&format!(
        "return {:?};",
        format!(
            "{{\"events\":[{{\"type\":\"page_view\",\"at\":\"{now}\",\"url\":\"https://x.test/now\"}}],\"history\":{history}}}"
        )
    ))
}

/// The loader's side of an offer (`Loader`): the outbox and the browser's facts.
fn loader_with(deliver: js_sys::Function, facts: js_sys::Function) -> Loader {
    let loader = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&loader, &k.into(), v).expect("set");
    set("deliver", &deliver);
    set("facts", &facts);
    loader.unchecked_into()
}

async fn mounted(config: &str) -> (Element, ShadowRoot) {
    mounted_with(config, "[]").await
}

async fn mounted_with(config: &str, events: &str) -> (Element, ShadowRoot) {
    let host = new_host();
    mount_offer(
        host.clone(),
        config,
        &page_url(),
        loader_with(direct_delivery(), facts(events)),
    )
    .expect("config mounts");
    let shadow = host.shadow_root().expect("shadow root");
    wait_for(&shadow, "form").await;
    (host, shadow)
}

fn el<T: JsCast>(shadow: &ShadowRoot, selector: &str) -> T {
    shadow
        .query_selector(selector)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into::<T>()
        .unwrap_or_else(|_| panic!("{selector} has another type"))
}

fn type_into(shadow: &ShadowRoot, selector: &str, text: &str) {
    let input: HtmlInputElement = el(shadow, selector);
    input.set_value(text);
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = Event::new_with_event_init_dict("input", &init).expect("event");
    input.dispatch_event(&event).expect("dispatch");
}

fn submit(shadow: &ShadowRoot) -> HtmlButtonElement {
    let button: HtmlButtonElement = el(shadow, "button[type=submit]");
    button.click();
    button
}

#[wasm_bindgen_test]
async fn renders_into_an_open_shadow_root_with_adopted_styles_only() {
    let (_host, shadow) = mounted(DEMO).await;
    assert_eq!(shadow.mode(), ShadowRootMode::Open);
    assert_eq!(
        shadow.adopted_style_sheets().length(),
        1,
        "one constructable stylesheet"
    );
    assert_eq!(
        shadow
            .query_selector_all("[style], style")
            .expect("query")
            .length(),
        0,
        "no style attributes or elements"
    );
    assert_eq!(
        el::<Element>(&shadow, "h2").text_content().as_deref(),
        Some("The Lead Scoring Playbook")
    );
    // Every control has a visible label pointing at it.
    let controls = shadow
        .query_selector_all(".lm-field:not([hidden]) :is(input, select)")
        .expect("query");
    assert_eq!(
        controls.length(),
        6,
        "the dependent timeline field is hidden at first"
    );
    for i in 0..controls.length() {
        let control: Element = controls.item(i).expect("item").dyn_into().expect("element");
        let id = control.id();
        let label = shadow
            .query_selector(&format!("label[for='{id}']"))
            .expect("query");
        assert!(
            label.is_some_and(|l| !l.text_content().unwrap_or_default().trim().is_empty()),
            "label for {id}"
        );
    }
    let email: HtmlInputElement = el(&shadow, "#lm-f-email");
    assert_eq!(email.type_(), "email");
    assert_eq!(
        email.get_attribute("autocomplete").as_deref(),
        Some("email")
    );
    assert!(email.required());
    let consent: HtmlInputElement = el(&shadow, "#lm-f-consent");
    assert!(!consent.checked(), "consent is never pre-ticked");
    let size: HtmlSelectElement = el(&shadow, "#lm-f-company_size");
    assert_eq!(size.value(), "", "the select starts on its placeholder");
}

#[wasm_bindgen_test]
async fn a_broken_config_is_refused_and_leaves_the_host_alone() {
    // The widget reads without problem texts (the loader's checker names the problems:
    // see the end-to-end tests); it refuses the config and touches nothing.
    let host = new_host();
    let broken = DEMO.replace(r#""type": "select""#, r#""type": "dropdown""#);
    let err = mount_offer(
        host.clone(),
        &broken,
        "https://example.com/offers/ebook.json",
        loader_with(direct_delivery(), facts("[]")),
    )
    .expect_err("refused");
    assert_eq!(err.as_string().as_deref(), Some("invalid offer config"));
    assert!(host.shadow_root().is_none(), "nothing rendered");
}

/// The default build hands an offer it leaves out to the loader, which mounts it with the
/// full build fetched on demand (`NEEDS_FULL`), before touching the host.
#[cfg(not(feature = "full"))]
#[wasm_bindgen_test]
async fn the_default_build_hands_what_needs_the_full_build_to_the_loader() {
    let host = new_host();
    let modal = DEMO.replacen(
        r#""endpoint""#,
        r#""display": {"mode": "modal", "trigger": {"delay_seconds": 3}}, "endpoint""#,
        1,
    );
    let err = mount_offer(
        host.clone(),
        &modal,
        &page_url(),
        loader_with(direct_delivery(), facts("[]")),
    )
    .expect_err("refused");
    assert_eq!(err.as_string().as_deref(), Some("needs the full build"));
    assert!(host.shadow_root().is_none(), "nothing rendered");
}

fn click(shadow: &ShadowRoot, selector: &str) {
    el::<web_sys::HtmlElement>(shadow, selector).click();
}

fn text_of(shadow: &ShadowRoot, selector: &str) -> String {
    el::<Element>(shadow, selector)
        .text_content()
        .unwrap_or_default()
}

fn is_hidden(shadow: &ShadowRoot, selector: &str) -> bool {
    // The field's wrapper carries `hidden` when the field is not on the current step.
    let control: Element = el(shadow, selector);
    control
        .closest(".lm-field")
        .ok()
        .flatten()
        .is_some_and(|w| w.has_attribute("hidden"))
}

async fn settle() {
    // yew renders on its scheduler; give it a few turns.
    sleep(30).await;
}

#[wasm_bindgen_test]
async fn a_multi_step_quiz_keeps_answers_and_shows_its_result_after_the_contact_step() {
    let endpoint = format!("{}/api/v1/leads", collector());
    let quiz = include_str!("../crates/core/tests/fixtures/config/ok-quiz.json")
        .replace(
            r#""url": "/api/v1/leads""#,
            &format!(r#""url": "{endpoint}""#),
        )
        .replace(r#""locale": "auto""#, r#""locale": "en""#);
    let (_host, shadow) = mounted(&quiz).await;
    assert_eq!(
        text_of(&shadow, "#lm-progress"),
        "Step 1 of 3: Your lead scoring"
    );
    assert!(!is_hidden(&shadow, "#lm-f-scoring_model"));
    assert!(is_hidden(&shadow, "#lm-f-sla"), "the next step waits");
    assert_eq!(text_of(&shadow, "button[type=submit]"), "Next");

    // Next without the required answer: the error, focus on the first choice.
    submit(&shadow);
    settle().await;
    assert_eq!(
        text_of(&shadow, "#lm-e-scoring_model"),
        "Please choose an option."
    );
    assert_eq!(
        shadow.active_element().map(|e| e.id()).as_deref(),
        Some("lm-f-scoring_model")
    );
    let group: Element = el(&shadow, "fieldset:not([hidden])");
    assert_eq!(
        group.get_attribute("aria-describedby").as_deref(),
        Some("lm-e-scoring_model")
    );

    click(&shadow, "#lm-f-scoring_model-2"); // "With explicit rules": 3 points
    click(&shadow, "#lm-f-channels-2"); // "Gated content": 2 points
    settle().await;
    submit(&shadow);
    settle().await;
    assert_eq!(
        text_of(&shadow, "#lm-progress"),
        "Step 2 of 3: Your follow-up"
    );
    assert_eq!(
        shadow.active_element().map(|e| e.id()).as_deref(),
        Some("lm-progress"),
        "focus to the new step's heading"
    );
    // Back keeps the answers.
    click(&shadow, "button[data-action=back]");
    settle().await;
    assert!(el::<HtmlInputElement>(&shadow, "#lm-f-scoring_model-2").checked());
    assert!(el::<HtmlInputElement>(&shadow, "#lm-f-channels-2").checked());
    submit(&shadow);
    settle().await;
    click(&shadow, "#lm-f-sla-1"); // "Yes": 2 points
    settle().await;
    submit(&shadow);
    settle().await;
    assert_eq!(
        text_of(&shadow, "#lm-progress"),
        "Step 3 of 3: Where should we send it?"
    );
    let email = format!("quiz-{}@example.com", js_sys::Date::now() as u64);
    type_into(&shadow, "#lm-f-email", &email);
    el::<HtmlInputElement>(&shadow, "#lm-f-consent").click();
    settle().await;
    submit(&shadow);
    let success = wait_for(&shadow, "#lm-success .lm-result-value").await;
    // 3 + 2 + 2 = 7 points: the "Leading" band (min 6).
    assert_eq!(success.text_content().as_deref(), Some("Leading"));
    assert!(text_of(&shadow, "#lm-success").contains("Your result (7 points)"));

    // The answers went to the collector as fields, the outcome with the context.
    let text = stored_leads(&endpoint).await;
    assert!(text.contains(&email), "{text}");
    assert!(text.contains(r#""channels":["content"]"#), "{text}");
    assert!(text.contains(r#""scoring_model":"rules""#), "{text}");
    assert!(text.contains(r#""quiz_result":"Leading""#), "{text}");
    assert!(text.contains(r#""quiz_points":7"#), "{text}");
}

#[wasm_bindgen_test]
async fn number_fields_carry_their_range_and_unit_and_say_what_is_wrong() {
    let config = r#"{"version":1,"id":"budget","offer":{"kind":"form","title":"Budget"},
        "fields":[{"id":"budget","type":"number","label":"Budget","required":true,
                   "min":100,"max":5000.5,"step":0.5,"unit":"€ / month"}],
        "endpoint":{"url":"/x"}}"#;
    let (_host, shadow) = mounted(config).await;
    let input: HtmlInputElement = el(&shadow, "#lm-f-budget");
    assert_eq!(input.type_(), "number");
    assert_eq!(input.get_attribute("min").as_deref(), Some("100"));
    assert_eq!(input.get_attribute("max").as_deref(), Some("5000.5"));
    assert_eq!(input.get_attribute("step").as_deref(), Some("0.5"));
    assert_eq!(input.get_attribute("inputmode").as_deref(), Some("decimal"));
    assert_eq!(text_of(&shadow, "#lm-u-budget"), "€ / month");
    type_into(&shadow, "#lm-f-budget", "99");
    submit(&shadow);
    settle().await;
    assert_eq!(
        text_of(&shadow, "#lm-e-budget"),
        "Please enter a number from 100 to 5000.5."
    );
    assert_eq!(
        input.get_attribute("aria-describedby").as_deref(),
        Some("lm-e-budget lm-u-budget"),
        "the error and the unit describe the input"
    );
}

#[wasm_bindgen_test]
async fn an_empty_submit_shows_linked_errors_and_focuses_the_first_invalid_field() {
    let (_host, shadow) = mounted(DEMO).await;
    submit(&shadow);
    let error = wait_for(&shadow, "#lm-e-email").await;
    assert_eq!(
        error.text_content().as_deref(),
        Some("Please fill in this field.")
    );
    let email: HtmlInputElement = el(&shadow, "#lm-f-email");
    assert_eq!(email.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        email.get_attribute("aria-describedby").as_deref(),
        Some("lm-e-email")
    );
    let consent_error: Element = el(&shadow, "#lm-e-consent");
    assert_eq!(
        consent_error.text_content().as_deref(),
        Some("Please tick this box to continue.")
    );
    assert!(
        shadow
            .query_selector("#lm-e-first_name")
            .expect("query")
            .is_none(),
        "optional fields have no error"
    );
    let focused = shadow.active_element().expect("focus inside the widget");
    assert_eq!(
        focused.id(),
        "lm-f-email",
        "focus moved to the first invalid field"
    );

    // A wrong address gets its own message; fixing it removes the error at once.
    type_into(&shadow, "#lm-f-email", "ann@example");
    let error = wait_for(&shadow, "#lm-e-email").await;
    for _ in 0..100 {
        if error.text_content().as_deref() != Some("Please fill in this field.") {
            break;
        }
        sleep(20).await;
    }
    assert!(error
        .text_content()
        .unwrap_or_default()
        .contains("valid email address"));
    type_into(&shadow, "#lm-f-email", "ann@example.com");
    sleep(100).await;
    assert!(
        shadow
            .query_selector("#lm-e-email")
            .expect("query")
            .is_none(),
        "error cleared"
    );
    assert_eq!(email.get_attribute("aria-invalid"), None);
}

/// The leads the test collector at `endpoint` holds, as the JSON text of its `leads` list.
async fn stored_leads(endpoint: &str) -> String {
    let init = RequestInit::new();
    let headers = js_sys::Object::new();
    js_sys::Reflect::set(
        &headers,
        &"Authorization".into(),
        &format!("Bearer {TEST_TOKEN}").into(),
    )
    .expect("header");
    init.set_headers(&headers);
    let window = web_sys::window().expect("window");
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(endpoint, &init))
        .await
        .expect("GET leads")
        .dyn_into()
        .expect("response");
    assert_eq!(response.status(), 200);
    let body: JsValue = JsFuture::from(response.json().expect("json"))
        .await
        .expect("body");
    let leads = js_sys::Reflect::get(&body, &"leads".into()).expect("leads");
    js_sys::JSON::stringify(&leads)
        .expect("stringify")
        .as_string()
        .unwrap_or_default()
}

/// The lead in `leads` (the answer of [`stored_leads`]) that holds `email`.
fn stored_lead(leads: &str, email: &str) -> JsValue {
    let leads: js_sys::Array = js_sys::JSON::parse(leads).expect("json").into();
    leads
        .iter()
        .find(|l| {
            js_sys::JSON::stringify(l)
                .ok()
                .and_then(|s| s.as_string())
                .is_some_and(|s| s.contains(email))
        })
        .unwrap_or_else(|| panic!("no stored lead with {email}"))
}

#[wasm_bindgen_test]
async fn a_submit_posts_the_lead_to_the_collector_and_offers_the_download() {
    let endpoint = format!("{}/api/v1/leads", collector());
    let (_host, shadow) = mounted(&config_with_endpoint(&endpoint)).await;
    let email = format!("wasm-{}@example.com", js_sys::Date::now() as u64);
    type_into(&shadow, "#lm-f-email", &email);
    type_into(&shadow, "#lm-f-first_name", "Ada");
    el::<HtmlInputElement>(&shadow, "#lm-f-consent").click();
    let clicked_at = js_sys::Date::now() as u64;
    let button = submit(&shadow);
    // yew renders on its scheduler (microtasks); the POST needs at least a network turn,
    // so the sending state is visible in between.
    for _ in 0..50 {
        if button.disabled() {
            break;
        }
        let _ = JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL)).await;
    }
    assert!(button.disabled(), "the button is disabled while sending");
    assert_eq!(button.text_content().as_deref(), Some("Sending …"));

    let success = wait_for(&shadow, "#lm-success").await;
    assert!(success
        .text_content()
        .unwrap_or_default()
        .contains("Your copy is ready"));
    let link: HtmlAnchorElement = el(&shadow, "a.lm-download");
    let page = page_url();
    let origin = page.split('/').take(3).collect::<Vec<_>>().join("/");
    assert_eq!(
        link.href(),
        format!("{origin}/assets/lead-scoring-playbook.pdf"),
        "relative to the config URL"
    );
    assert_eq!(
        shadow.active_element().map(|e| e.id()).as_deref(),
        Some("lm-success"),
        "focus on the result"
    );

    // The collector has exactly this lead.
    let text = stored_leads(&endpoint).await;
    assert_eq!(
        text.matches(&email).count(),
        1,
        "exactly one stored lead with {email}: {text}"
    );
    assert!(text.contains(r#""first_name":"Ada""#), "{text}");
    assert!(text.contains(r#""consent":true"#), "{text}");
    assert!(text.contains(r#""newsletter":false"#), "{text}");

    // Its id is a UUID v7 whose first 48 bits are the time of the submit (so the
    // collector's id index takes new leads at its end).
    let answered_at = js_sys::Date::now() as u64;
    let ours = stored_lead(&text, &email);
    let id = js_sys::Reflect::get(&ours, &"lead_id".into())
        .ok()
        .and_then(|v| v.as_string())
        .expect("lead_id");
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(&id[14..15], "7", "version 7: {id}");
    let ms = u64::from_str_radix(&id[..13].replace('-', ""), 16).expect("hex time");
    assert!(
        (clicked_at..=answered_at).contains(&ms),
        "{ms} is the submit time, within {clicked_at}..={answered_at}"
    );
}

#[wasm_bindgen_test]
async fn a_failed_send_keeps_every_value_and_lets_the_visitor_retry() {
    // Port 9 (discard) on loopback refuses connections: a network failure.
    let (_host, shadow) = mounted(&config_with_endpoint("http://127.0.0.1:9/api/v1/leads")).await;
    type_into(&shadow, "#lm-f-email", "keep@example.com");
    type_into(&shadow, "#lm-f-company", "Contoso");
    el::<HtmlInputElement>(&shadow, "#lm-f-consent").click();
    let button = submit(&shadow);
    let alert = wait_for(&shadow, "[role=alert]").await;
    assert!(alert
        .text_content()
        .unwrap_or_default()
        .contains("Your answers are still here"));
    assert_eq!(
        el::<HtmlInputElement>(&shadow, "#lm-f-email").value(),
        "keep@example.com"
    );
    assert_eq!(
        el::<HtmlInputElement>(&shadow, "#lm-f-company").value(),
        "Contoso"
    );
    assert!(el::<HtmlInputElement>(&shadow, "#lm-f-consent").checked());
    assert!(!button.disabled(), "the visitor can try again");
    assert_eq!(button.text_content().as_deref(), Some("Get the free eBook"));
}

#[wasm_bindgen_test]
async fn two_widgets_on_one_page_do_not_share_state() {
    let (_a, first) = mounted(DEMO).await;
    let (_b, second) = mounted(DEMO).await;
    submit(&first);
    wait_for(&first, "#lm-e-email").await;
    assert!(second.query_selector(".lm-error").expect("query").is_none());
}

/// The core compiled to wasm and run in Chromium scores 200 generated leads exactly as
/// the native build did (the fixture's expected output is checked natively too).
#[wasm_bindgen_test]
fn scores_a_generated_batch_byte_for_byte_like_the_native_build() {
    use leadmagnet_core::domains::CompactLists;
    use leadmagnet_core::json::ToJson;
    use leadmagnet_core::scoring::{parse_leads, score};
    let config = leadmagnet_core::parse_offer(include_str!(
        "../crates/core/tests/fixtures/score/config.json"
    ))
    .expect("config");
    let (leads, _) = parse_leads(include_str!(
        "../crates/core/tests/fixtures/score/generated-batch/lead.json"
    ))
    .expect("leads");
    let now = leadmagnet_core::time::parse_rfc3339(
        include_str!("../crates/core/tests/fixtures/score/generated-batch/now").trim(),
    )
    .expect("now");
    let scoring = config.scoring.expect("scoring");
    let scores: Vec<_> = leads
        .iter()
        .map(|l| score(&scoring, l, now, &CompactLists))
        .collect();
    let expected =
        include_str!("../crates/core/tests/fixtures/score/generated-batch/expected.json");
    assert_eq!(leads.len(), 200);
    assert!(
        scores.to_json_pretty() + "\n" == expected,
        "wasm and native scores differ"
    );
}

/// The core's people compiled to wasm and run in Chromium make of each contact fixture
/// (several submissions and later events, decay, the MQL moment, only forward, a rejected
/// person) exactly what the native build makes (crates/core/tests/fixtures.rs).
#[wasm_bindgen_test]
fn assesses_the_contact_fixtures_byte_for_byte_like_the_native_build() {
    use leadmagnet_core::contact::PersonFacts;
    use leadmagnet_core::domains::CompactLists;
    use leadmagnet_core::json::ToJson;
    macro_rules! case {
        ($name:literal) => {
            (
                $name,
                include_str!(concat!(
                    "../crates/core/tests/fixtures/contact/",
                    $name,
                    "/person.json"
                )),
                include_str!(concat!(
                    "../crates/core/tests/fixtures/contact/",
                    $name,
                    "/now"
                )),
                include_str!(concat!(
                    "../crates/core/tests/fixtures/contact/",
                    $name,
                    "/expected.json"
                )),
            )
        };
    }
    let scoring = leadmagnet_core::parse_offer(include_str!(
        "../crates/core/tests/fixtures/score/config.json"
    ))
    .expect("config")
    .scoring
    .expect("scoring");
    for (name, person, now, expected) in [
        case!("mql-at-a-later-event"),
        case!("below-the-line-before-the-events"),
        case!("only-forward-after-decay"),
        case!("rejected-is-not-handed-over"),
    ] {
        let person: PersonFacts = leadmagnet_core::json::read(person, false).expect(name);
        let now = leadmagnet_core::time::parse_rfc3339(now.trim()).expect(name);
        let assessment = person.assess(&scoring, now, &CompactLists).expect(name);
        assert!(
            assessment.to_json_pretty() + "\n" == expected,
            "{name}: wasm and native differ"
        );
    }
}

#[wasm_bindgen_test]
async fn dependent_fields_appear_and_go_without_losing_answers() {
    let (_host, shadow) = mounted(DEMO).await;
    let shown = |id: &str| {
        shadow
            .query_selector(&format!(".lm-field:not([hidden]) #lm-f-{id}"))
            .expect("query")
            .is_some()
    };
    assert!(!shown("timeline"), "hidden at first");
    type_into(&shadow, "#lm-f-first_name", "Ada");
    let size: HtmlSelectElement = el(&shadow, "#lm-f-company_size");
    let choose = |value: &str| {
        size.set_value(value);
        let init = EventInit::new();
        init.set_bubbles(true);
        size.dispatch_event(&Event::new_with_event_init_dict("change", &init).expect("event"))
            .expect("dispatch");
    };
    choose("250+");
    wait_for(&shadow, ".lm-field:not([hidden]) #lm-f-timeline").await;
    let label = shadow
        .query_selector("label[for='lm-f-timeline']")
        .expect("query")
        .expect("label");
    assert_eq!(
        label.text_content().as_deref(),
        Some("When do you plan to buy?")
    );
    let same = el::<HtmlSelectElement>(&shadow, "#lm-f-company_size");
    assert!(
        same == size,
        "the select the visitor used is still the same element"
    );
    choose("1-9");
    for _ in 0..100 {
        if !shown("timeline") {
            break;
        }
        sleep(20).await;
    }
    assert!(!shown("timeline"), "hidden again");
    assert_eq!(
        el::<HtmlInputElement>(&shadow, "#lm-f-first_name").value(),
        "Ada",
        "other answers stay"
    );
    assert_eq!(size.value(), "1-9");
}

#[wasm_bindgen_test]
async fn german_offers_speak_german() {
    let (_host, shadow) = mounted(&DEMO.replace(r#""locale": "en""#, r#""locale": "de""#)).await;
    assert_eq!(
        el::<Element>(&shadow, "h2").text_content().as_deref(),
        Some("Das Lead-Scoring-Handbuch")
    );
    assert_eq!(
        el::<Element>(&shadow, ".lm")
            .get_attribute("lang")
            .as_deref(),
        Some("de")
    );
    submit(&shadow);
    let error = wait_for(&shadow, "#lm-e-email").await;
    assert_eq!(
        error.text_content().as_deref(),
        Some("Bitte füllen Sie dieses Feld aus.")
    );
}

#[wasm_bindgen_test]
async fn a_lead_carries_and_is_scored_on_its_events_form_metrics_and_email_class() {
    let endpoint = format!("{}/api/v1/leads", collector());
    let config = config_with_endpoint(&endpoint).replacen(
        r#""engagement": ["#,
        r#""engagement": [
          { "id": "read-deeply", "event": "page_view", "min_seconds": 60, "min_scroll_percent": 50, "points": 7 },
          { "id": "came-back", "event": "return_visit", "points": 9 },"#,
        1,
    );
    assert!(
        config.contains("read-deeply"),
        "the demo config has engagement rules"
    );
    let now = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    let events = format!(
        r#"[{{"type":"page_view","at":"{now}","url":"https://x.test/guide","seconds":75,"scroll_percent":60}},
            {{"type":"page_view","at":"{now}","url":"https://x.test/short","seconds":5,"scroll_percent":100}},
            {{"type":"return_visit","at":"{now}"}},
            {{"type":"offer_view","at":"{now}","offer_id":"ebook-lead-scoring"}}]"#
    );
    let (_host, shadow) = mounted_with(&config, &events).await;
    let email = format!("events-{}@gmail.com", js_sys::Date::now() as u64);
    // One refused submit first: two required fields missing.
    submit(&shadow);
    settle().await;
    type_into(&shadow, "#lm-f-email", &email);
    el::<HtmlInputElement>(&shadow, "#lm-f-newsletter").click();
    el::<HtmlInputElement>(&shadow, "#lm-f-consent").click();
    sleep(1100).await;
    js_sys::Reflect::set(&js_sys::global(), &"__kept".into(), &js_sys::Array::new())
        .expect("reset");
    submit(&shadow);
    wait_for(&shadow, "#lm-success").await;

    let kept = js_sys::Reflect::get(&js_sys::global(), &"__kept".into()).expect("kept");
    assert_eq!(
        js_sys::JSON::stringify(&kept)
            .ok()
            .and_then(|s| s.as_string())
            .as_deref(),
        Some("[true]"),
        "one lead, with marketing consent: the loader is told to keep the history"
    );
    let text = stored_leads(&endpoint).await;
    let lead = stored_lead(&text, &email);
    let payload = js_sys::Reflect::get(&lead, &"payload".into()).expect("payload");
    let json = |v: &JsValue| {
        js_sys::JSON::stringify(v)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    };
    let get = |v: &JsValue, key: &str| js_sys::Reflect::get(v, &key.into()).expect(key);
    // The collector returns the body as the widget wrote it, keys in its order.
    let sent_events = json(&get(&payload, "events"));
    assert!(
        sent_events.contains(r#""url":"https://x.test/guide","seconds":75,"scroll_percent":60"#)
            && sent_events.contains(r#""type":"return_visit""#)
            && sent_events.contains(r#""offer_id":"ebook-lead-scoring""#),
        "every event the score counted is in the payload: {sent_events}"
    );
    let breakdown = json(&get(&get(&payload, "score"), "breakdown"));
    assert!(
        breakdown.contains(r#"{"rule":"read-deeply","kind":"engagement","points":7,"events":1}"#),
        "only the page view read long and deep enough counts: {breakdown}"
    );
    assert!(
        breakdown.contains(r#"{"rule":"came-back","kind":"engagement","points":9,"events":1}"#),
        "{breakdown}"
    );
    let form = get(&payload, "form");
    assert_eq!(get(&form, "refused_attempts").as_f64(), Some(1.0));
    assert_eq!(
        get(&form, "validation_errors").as_f64(),
        Some(2.0),
        "email and consent were missing"
    );
    assert!(
        get(&form, "seconds").as_f64().is_some_and(|s| s >= 1.0),
        "{}",
        json(&form)
    );
    assert!(json(&get(&form, "asked")).starts_with(r#"["email","first_name","company""#));
    assert_eq!(json(&get(&form, "known")), "[]");
    assert_eq!(
        get(&payload, "email_domain_class").as_string().as_deref(),
        Some("free")
    );
}
