//! The offer component: teaser (cover, title, description), the form from the config in
//! one or more steps, a quiz or calculator result, then the thank-you view with the asset.
//! It renders the core's [`FormState`] and feeds it events; inline, or inside a `<dialog>`
//! that the loader opens (modal or slide-in).
//!
//! Accessibility (WCAG 2.2 AA): every control has a visible label (`<label for>`, or a
//! `<legend>` for a group of choices); errors are text next to their field, linked by
//! `aria-describedby` and flagged with `aria-invalid`; after a refused submit focus moves
//! to the first invalid field, after a step change to the step's heading, after success to
//! the thank-you text. Label, control and error live in one shadow root, since
//! `for`/`aria-describedby` cannot cross it.

use crate::browser;
#[cfg(target_arch = "wasm32")]
use crate::mount::with_visitor;
#[cfg(not(target_arch = "wasm32"))]
use crate::ssr::with_visitor;
use leadmagnet_core::config::{
    num, DisplayMode, Field, FieldType, OfferConfig, OfferKind, ResultGate,
};
use leadmagnet_core::display::calculator_result;
use leadmagnet_core::display::{quiz_points, quiz_result};
use leadmagnet_core::form::{FormState, Status};
use leadmagnet_core::messages::{ui, Lang, Ui};
#[cfg(target_arch = "wasm32")]
use leadmagnet_core::{
    domains::{CompactLists, DomainLists},
    facts::complete,
    formats::for_endpoint,
    json::Writer,
    scoring::{score, LeadFacts},
    LeadPayload,
};
use leadmagnet_core::{FieldValue, Values};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;
#[cfg(target_arch = "wasm32")]
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[derive(Properties, Clone)]
pub struct OfferProps {
    /// The config as this visitor sees it (their variant applied).
    pub config: Rc<OfferConfig>,
    /// Base for relative endpoint and asset URLs.
    pub config_url: Rc<str>,
    /// The widget's shadow root, to find its own elements by id.
    pub shadow: browser::Shadow,
    /// The locale the texts are shown in (`"auto"` already resolved).
    pub locale: Rc<str>,
    /// The visitor's A/B variant, reported with the lead.
    pub variant: Option<Rc<str>>,
    pub mode: DisplayMode,
    /// The config text as loaded: its hash tells which version the visitor saw.
    pub config_text: Rc<str>,
    /// The loader's side: the outbox, the behaviour record and the browser's facts.
    pub loader: browser::Loader,
    /// On the collector only: the state of a form posted without script being answered
    /// (its errors, its step, or sent) instead of a fresh one. (What a visitor typed into
    /// a server-rendered form before the wasm took over, the loader types in again.)
    #[cfg(not(target_arch = "wasm32"))]
    pub state: Option<Rc<FormState>>,
}

impl PartialEq for OfferProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.config, &other.config) && self.config_url == other.config_url
    }
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub enum Msg {
    /// A control changed: its `name` (the field id), `value` and `checked` state. One
    /// delegated listener on the form reports every control (fewer closures, fewer bytes).
    Input(String, String, bool),
    Submit,
    /// A button with a `data-action` (`back`, `not-you`) was pressed.
    Action(String),
    /// The outbox's answer: the lead's fields and whether it is only queued yet.
    Sent(Result<(Values, bool), String>),
}

pub struct OfferForm {
    form: FormState,
    /// The element to focus after the next render (a step heading, an invalid field …).
    focus: Option<String>,
    /// The stored first name of a known visitor ("Welcome back, …"), or "" for a known
    /// visitor without one; `None` for a visitor the widget does not know.
    welcome: Option<String>,
    /// The fields of the lead that was sent (the result view reads the answers).
    sent: Values,
    /// The lead waits in the outbox (offline, or the endpoint is unavailable).
    queued: bool,
    /// When the visitor first changed a field (ms since the epoch): the form's
    /// time to complete counts from here.
    started_ms: Option<f64>,
}

/// Element ids inside the shadow root; field ids are slugs, so these are valid ids.
fn control_id(field: &str) -> String {
    format!("lm-f-{field}")
}
fn error_id(field: &str) -> String {
    format!("lm-e-{field}")
}
fn help_id(field: &str) -> String {
    format!("lm-h-{field}")
}
const SUCCESS_ID: &str = "lm-success";
use crate::FORM_ID;
const PROGRESS_ID: &str = "lm-progress";
const TITLE_ID: &str = "lm-title";

impl Component for OfferForm {
    type Message = Msg;
    type Properties = OfferProps;

    fn create(ctx: &Context<Self>) -> Self {
        let config = &ctx.props().config;
        // Only the full build remembers visitors across page views (the default one
        // stores nothing), so only it knows anyone here.
        let (known, name) = with_visitor(|v| {
            if cfg!(feature = "full") && v.consent {
                (v.known_for(config), v.first_name().unwrap_or("").to_owned())
            } else {
                (Values::new(), String::new())
            }
        });
        #[cfg(not(target_arch = "wasm32"))]
        let form = match &ctx.props().state {
            Some(state) => FormState::clone(state),
            None => FormState::with_known(config, known.clone()),
        };
        #[cfg(target_arch = "wasm32")]
        let form = FormState::with_known(config, known.clone());
        OfferForm {
            welcome: (!known.is_empty()).then_some(name),
            sent: if form.status() == Status::Sent {
                form.values().clone()
            } else {
                Values::new()
            },
            form,
            focus: None,
            queued: false,
            started_ms: None,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let config = &ctx.props().config;
        match msg {
            Msg::Input(name, value, checked) => {
                let Some(kind) = config.field(&name).map(|f| f.kind) else {
                    return false;
                };
                self.started_ms.get_or_insert_with(js_sys::Date::now);
                let value = match kind {
                    FieldType::Checkbox | FieldType::Consent => FieldValue::Bool(checked),
                    FieldType::Checkboxes => {
                        let mut chosen = match self.form.value(&name) {
                            Some(FieldValue::List(items)) => items.clone(),
                            _ => Vec::new(),
                        };
                        chosen.retain(|c| c != &value);
                        if checked {
                            chosen.push(value);
                        }
                        FieldValue::List(chosen)
                    }
                    _ => FieldValue::Text(value),
                };
                let error_before = self.form.error(&name).cloned();
                let asked_before = self.form.asked().to_vec();
                self.form.set(config, &name, value);
                // Re-render only when a shown error, the shown fields or a live result
                // changed, or a choice was made; typing is otherwise silent.
                error_before.as_ref() != self.form.error(&name)
                    || asked_before != self.form.asked()
                    || config.offer.kind != OfferKind::Form
                    || kind.has_options()
            }
            Msg::Action(action) => {
                // "not-you" exists only where visitors are remembered (the full build); the
                // default build compiles that branch away.
                if action == "back" || !cfg!(feature = "full") {
                    self.form.back();
                    self.focus = Some(PROGRESS_ID.into());
                } else {
                    // "Not you?": forget the person, and show the first-visit form.
                    with_visitor(|v| v.forget());
                    self.form = FormState::new(config);
                    self.welcome = None;
                    self.focus = Some(TITLE_ID.into());
                }
                true
            }
            Msg::Submit => {
                // Read what the controls hold now: autofill and password managers do not
                // always fire input events, and nothing typed may be lost.
                self.read_controls(ctx);
                let step = self.form.step();
                let Some(lead) = self.form.submit(config) else {
                    self.focus = if self.form.step() != step {
                        Some(PROGRESS_ID.into())
                    } else {
                        self.form.first_invalid().map(control_id)
                    };
                    return true;
                };
                self.send(ctx, lead);
                true
            }
            Msg::Sent(result) => {
                match result {
                    Ok((fields, queued)) => {
                        self.form.sent();
                        self.queued = queued;
                        #[cfg(feature = "full")]
                        with_visitor(|v| v.converted(config, &fields));
                        self.sent = fields;
                        if let Some(url) = &config.offer.redirect_url {
                            browser::redirect(&browser::resolve_url(url, &ctx.props().config_url));
                        }
                        self.focus = Some(SUCCESS_ID.into());
                    }
                    Err(reason) => {
                        browser::console_error(&format!("sending the lead failed: {reason}"));
                        self.form.failed();
                    }
                }
                true
            }
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first_render: bool) {
        self.sync_selects(ctx);
        if let Some(el) = self
            .focus
            .take()
            .and_then(|id| browser::by_id(&ctx.props().shadow, &id))
            .and_then(|el| el.dyn_into::<HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let props = ctx.props();
        let config = &props.config;
        let locale: &str = &props.locale;
        let lang = Lang::from_tag(locale);
        let offer = &config.offer;
        let content = if self.form.status() == Status::Sent {
            self.view_success(ctx, lang)
        } else {
            self.view_form(ctx, lang)
        };
        // Buttons report through one delegated listener, by their `data-action`.
        let onclick = ctx.link().batch_callback(|e: MouseEvent| {
            let target: web_sys::Element = e.target_unchecked_into();
            let button = target.closest("[data-action]").ok().flatten()?;
            button.get_attribute("data-action").map(Msg::Action)
        });
        let body = html! {
            <div class="lm" lang={locale.to_owned()} {onclick}>
                if cfg!(feature = "full") && props.mode != DisplayMode::Inline {
                    <button type="button" class="lm-close" aria-label={ui(lang, Ui::Close)}>{ "×" }</button>
                }
                if let Some(cover) = &offer.cover {
                    <img class="lm-cover" src={browser::resolve_url(&cover.url, &props.config_url)}
                        alt={cover.alt.resolve(locale).to_owned()} />
                }
                <h2 class="lm-title" id={TITLE_ID} tabindex="-1">{ offer.title.resolve(locale) }</h2>
                if let Some(description) = &offer.description {
                    <p class="lm-description">{ description.resolve(locale) }</p>
                }
                { content }
            </div>
        };
        #[cfg(not(feature = "full"))]
        return body;
        #[cfg(feature = "full")]
        match props.mode {
            DisplayMode::Inline => body,
            mode => html! {
                // Opened by the loader (showModal for a modal: the page behind is inert,
                // Esc closes); the close button is found by its class. The mode is a data
                // attribute: a computed `class` would bring in yew's `Classes` set
                // (indexmap and a hash table, ~1 KB brotli).
                <dialog class="lm-dialog" data-mode={if mode == DisplayMode::Modal { "modal" } else { "slide-in" }}
                    aria-labelledby={TITLE_ID}>
                    { body }
                </dialog>
            },
        }
    }
}

/// Server rendering runs only `create` and `view`: nothing is sent or read there.
#[cfg(not(target_arch = "wasm32"))]
impl OfferForm {
    fn send(&mut self, _: &Context<Self>, _: leadmagnet_core::ValidLead) {}
    fn read_controls(&mut self, _: &Context<Self>) {}
    fn sync_selects(&self, _: &Context<Self>) {}
}

#[cfg(target_arch = "wasm32")]
impl OfferForm {
    fn send(&mut self, ctx: &Context<Self>, lead: leadmagnet_core::ValidLead) {
        let props = ctx.props();
        let config = &props.config;
        let (Some(lead_id), submitted_at) = (browser::new_lead_id(), browser::now_iso()) else {
            browser::console_error("this browser offers no crypto.getRandomValues");
            self.form.failed();
            return;
        };
        let fields = lead.fields().clone();
        let now = js_sys::Date::now();
        // The browser's facts complete the payload (consent, attribution, proof, …) and the
        // core makes each endpoint's request of it: the loader only sends them. The kept
        // history counts only with marketing consent given in this very lead (the core's
        // rule, `Consent::allows_history`).
        let mut browser_facts = browser::facts(&props.loader);
        let facts = LeadFacts {
            events: browser_facts.lead_events(config, &fields),
            fields: fields.clone(),
        };
        // The preliminary score, with the widget's compact domain lists; the collector
        // computes the authoritative one with the same code.
        let preliminary = config
            .scoring
            .as_ref()
            .map(|scoring| score(scoring, &facts, now as i64, &CompactLists));
        let email_class = config
            .fields
            .iter()
            .find(|f| f.kind == FieldType::Email)
            .and_then(|f| match fields.get(&f.id) {
                Some(FieldValue::Text(address)) => leadmagnet_core::email::domain(address),
                _ => None,
            })
            .map(|domain| CompactLists.classify(&domain).name().to_owned());
        let metrics = self.form.metrics(
            config,
            self.started_ms
                .map(|start| ((now - start) / 1000.0 + 0.5).floor()),
        );
        let mut context = browser::page_context(&props.locale);
        context.variant = props.variant.as_deref().map(str::to_owned);
        if config.quiz.is_some() {
            let points = quiz_points(config, &fields);
            context.quiz_points = Some(points);
            context.quiz_result =
                quiz_result(config, points).map(|b| b.title.resolve("en").to_owned());
        }
        context.calculator_result = calculator_result(config, &fields);
        let labels = browser_facts.labels.clone();
        let hutk = browser_facts.hutk.clone();
        let payload = LeadPayload::new(lead, &lead_id, &submitted_at, context).map(|mut p| {
            p.events = facts.events;
            p.form = Some(metrics);
            p.email_domain_class = email_class;
            p.score = preliminary;
            complete(&mut p, config, &props.config_text, browser_facts);
            p
        });
        let wording = |id: &str| labels.get(id).cloned().unwrap_or_default();
        let requests = payload.map(|p| {
            let mut w = Writer::new(false);
            w.begin_array();
            for endpoint in std::iter::once(&config.endpoint).chain(&config.also_send_to) {
                let url = browser::resolve_url(&endpoint.url, &props.config_url);
                w.element();
                w.begin_object();
                w.field("timeout_ms", &endpoint.timeout_ms());
                w.field(
                    "request",
                    &for_endpoint(endpoint, &url, &p, &wording, hutk.as_deref()),
                );
                w.end_object();
            }
            w.end_array();
            // The loader keeps or erases the device's history by the same rule.
            let keep = p.consent.as_ref().is_some_and(|c| c.allows_history());
            (p.to_json(), w.finish(), keep)
        });
        let loader = props.loader.clone();
        ctx.link().send_future(async move {
            let result = match requests {
                Ok((lead, requests, keep)) => {
                    browser::deliver(&loader, &lead, &requests, &lead_id, keep).await
                }
                Err(e) => Err(e.to_string()),
            };
            Msg::Sent(result.map(|queued| (fields, queued)))
        });
    }
}

impl OfferForm {
    fn view_form(&self, ctx: &Context<Self>, lang: Lang) -> Html {
        let props = ctx.props();
        let config = &props.config;
        let locale: &str = &props.locale;
        let sending = self.form.status() == Status::Sending;
        let steps = self.form.steps(config);
        let step = self.form.step();
        let last = self.form.on_last_step(config);
        let onsubmit = ctx.link().callback(|e: SubmitEvent| {
            e.prevent_default();
            Msg::Submit
        });
        // Every control reports through one delegated listener, on `input` (text,
        // numbers, selects, checkboxes and radios alike) and on `change` (what autofill
        // and scripts may send alone). Handling both is idempotent: each carries the
        // control's whole state.
        let control = ctx.link().callback(|e: Event| {
            let target: JsValue = e.target().map(JsValue::from).unwrap_or_default();
            let prop = |key: &str| js_sys::Reflect::get(&target, &key.into()).unwrap_or_default();
            Msg::Input(
                prop("name").as_string().unwrap_or_default(),
                prop("value").as_string().unwrap_or_default(),
                prop("checked").as_bool().unwrap_or(false),
            )
        });
        let oninput = {
            let control = control.clone();
            Callback::from(move |e: InputEvent| control.emit(e.into()))
        };
        let onchange = control;
        let submit_label = if !last {
            ui(lang, Ui::Next)
        } else if sending {
            ui(lang, Ui::Sending)
        } else {
            config
                .offer
                .submit_label
                .as_ref()
                .map(|t| t.resolve(locale))
                .unwrap_or_else(|| ui(lang, Ui::Submit))
        };
        let step_title = self.form.step_config(config).and_then(|s| s.title.as_ref());
        let shown = |f: &Field| self.form.on_current_step(config, &f.id);
        html! {
            <>
                if let Some(name) = &self.welcome {
                    <p class="lm-welcome">
                        { ui(lang, Ui::WelcomeBack) }
                        if !name.is_empty() { { ", " }{ name.clone() } }
                        { " — " }
                        <button type="button" class="lm-link" data-action="not-you">
                            { ui(lang, Ui::NotYou) }
                        </button>
                    </p>
                }
                if steps.len() > 1 {
                    <p class="lm-progress" id={PROGRESS_ID} tabindex="-1">
                        { format!("{} {} {} {}", ui(lang, Ui::Step), step + 1, ui(lang, Ui::Of), steps.len()) }
                        if let Some(t) = step_title { { ": " }{ t.resolve(locale) } }
                    </p>
                    <progress class="lm-bar" max={steps.len().to_string()} value={(step + 1).to_string()} aria-hidden="true"></progress>
                }
                // Server rendering gives the form its action and hidden inputs for a post
                // without script (`src/ssr.rs`); the id joins those to it.
                <form id={FORM_ID} novalidate=true {onsubmit} {oninput} {onchange} aria-busy={sending.to_string()}>
                    if config.fields.iter().any(|f| f.required && shown(f)) {
                        <p class="lm-legend">{ ui(lang, Ui::Required) }</p>
                    }
                    { for config.fields.iter().map(|f| self.view_field(ctx, f, lang, shown(f))) }
                    { self.view_live_result(ctx, lang) }
                    // The honeypot: off-screen, out of the tab order, hidden from screen
                    // readers and without an autofill hint, so people and password managers
                    // leave it empty; form-filling bots do not. The loader sends its value,
                    // and the collector quarantines such leads.
                    <div class="lm-hp" aria-hidden="true">
                        <label for="lm-hp">{ ui(lang, Ui::Honeypot) }</label>
                        <input id="lm-hp" name="lm_hp" type="text" tabindex="-1" autocomplete="off" />
                    </div>
                    if self.form.send_failed() {
                        <p class="lm-alert" role="alert">{ ui(lang, Ui::SendFailed) }</p>
                    }
                    <div class="lm-actions">
                        if step > 0 {
                            <button class="lm-back" type="button" disabled={sending} data-action="back">
                                { ui(lang, Ui::Back) }
                            </button>
                        }
                        <button class="lm-submit" type="submit" disabled={sending}>{ submit_label }</button>
                    </div>
                </form>
            </>
        }
    }

    /// A result shown before the contact step (`show_result: "before_contact"`): the
    /// calculator's as soon as its inputs give one, the quiz's once its questions are done.
    fn view_live_result(&self, ctx: &Context<Self>, lang: Lang) -> Html {
        let config = &ctx.props().config;
        let values = self.form.values();
        if config.calculator.as_ref().map(|c| c.show_result) == Some(ResultGate::BeforeContact) {
            return self.view_result(ctx, lang, values);
        }
        if config.quiz.as_ref().map(|q| q.show_result) != Some(ResultGate::BeforeContact) {
            return Html::default();
        }
        let questions: Vec<&Field> = config
            .fields
            .iter()
            .filter(|f| f.options.iter().any(|o| o.points.is_some()))
            .collect();
        let steps = self.form.steps(config);
        let last_question_step = steps
            .iter()
            .rposition(|s| questions.iter().any(|q| s.contains(&q.id.as_str())))
            .unwrap_or(0);
        let answered = questions.iter().filter(|q| q.required).all(|q| {
            values
                .get(&q.id)
                .is_some_and(|v| v != &FieldValue::List(Vec::new()))
        });
        if answered && (self.form.step() > last_question_step || steps.len() == 1) {
            self.view_result(ctx, lang, values)
        } else {
            Html::default()
        }
    }

    /// The quiz band or the calculator figure for `values`.
    fn view_result(&self, ctx: &Context<Self>, lang: Lang, values: &Values) -> Html {
        let props = ctx.props();
        let config = &props.config;
        let locale: &str = &props.locale;
        if let Some(calc) = &config.calculator {
            let Some(n) = calculator_result(config, values) else {
                return Html::default();
            };
            return html! {
                <div class="lm-result" role="status">
                    <p class="lm-result-label">{ calc.result_label.resolve(locale) }</p>
                    <p class="lm-result-value">{ browser::format_number(n, locale, calc.format.as_ref()) }</p>
                </div>
            };
        }
        let points = quiz_points(config, values);
        match quiz_result(config, points) {
            Some(band) => html! {
                <div class="lm-result" role="status">
                    <p class="lm-result-label">
                        { format!("{} ({} {})", ui(lang, Ui::YourResult), num(points), ui(lang, Ui::Points)) }
                    </p>
                    <p class="lm-result-value">{ band.title.resolve(locale) }</p>
                    if let Some(text) = &band.text { <p class="lm-result-text">{ text.resolve(locale) }</p> }
                </div>
            },
            None => Html::default(),
        }
    }

    fn view_field(&self, ctx: &Context<Self>, field: &Field, lang: Lang, shown: bool) -> Html {
        let locale: &str = &ctx.props().locale;
        let fid = &field.id;
        let id = control_id(fid);
        let error = self.form.error(fid);
        let help = field.help.as_ref().map(|h| h.resolve(locale));
        let unit = field.unit.as_ref().map(|u| u.resolve(locale));
        let unit_id = format!("lm-u-{fid}");
        let described_by: Vec<String> = error
            .map(|_| error_id(fid))
            .into_iter()
            .chain(unit.map(|_| unit_id.clone()))
            .chain(help.map(|_| help_id(fid)))
            .collect();
        let described_by =
            (!described_by.is_empty()).then(|| AttrValue::from(described_by.join(" ")));
        let invalid = error.map(|_| AttrValue::Static("true"));
        let label_text = html! {
            <>
                { field.label.resolve(locale) }
                if field.required { <span class="lm-mark" aria-hidden="true">{ " *" }</span> }
            </>
        };
        let below = html! {
            <>
                if let Some(help) = help {
                    <p class="lm-help" id={help_id(fid)}>{ help }</p>
                }
                if let Some(problem) = error {
                    <p class="lm-error" id={error_id(fid)}>{ problem.message(lang, field.kind) }</p>
                }
            </>
        };
        // Every field is always in the DOM, in config order; those not asked now
        // (profiling, dependent fields, other steps) carry `hidden`: not shown, not
        // focusable, not read out. Adding and removing elements instead made yew rebuild
        // the fields before a dependent one, which took the visitor's focus away.
        let hidden = !shown;
        // Controlled by the form state, so a field that comes back shows its answer.
        let stored = self.form.value(fid);
        let name = fid.clone();
        if field.kind.is_tick_box() {
            // Never pre-ticked: `checked` is only ever the visitor's own tick.
            return html! {
                <div class="lm-field lm-check" {hidden}>
                    <input type="checkbox" {id} {name} required={field.required}
                        checked={stored == Some(&FieldValue::Bool(true))}
                        aria-invalid={invalid} aria-describedby={described_by} />
                    <div class="lm-check-body"><label for={control_id(fid)}>{ label_text }</label>{ below }</div>
                </div>
            };
        }
        if matches!(field.kind, FieldType::Radio | FieldType::Checkboxes) {
            let input_type = if field.kind == FieldType::Radio {
                "radio"
            } else {
                "checkbox"
            };
            let options = field.options.iter().enumerate().map(|(j, o)| {
                let checked = match stored {
                    Some(FieldValue::Text(t)) => t == &o.value,
                    Some(FieldValue::List(items)) => items.contains(&o.value),
                    _ => false,
                };
                // The first choice carries the field's id: focus goes there on error.
                let input_id = if j == 0 { id.clone() } else { format!("{id}-{j}") };
                html! {
                    <label class="lm-choice">
                        <input type={input_type} id={input_id} name={name.clone()} value={o.value.clone()}
                            {checked} aria-invalid={invalid.clone()} />
                        <span>{ o.label.as_ref().map(|l| l.resolve(locale)).unwrap_or(&o.value) }</span>
                    </label>
                }
            });
            return html! {
                <fieldset class="lm-field lm-group" {hidden} aria-describedby={described_by}>
                    <legend>{ label_text }</legend>
                    { for options }
                    { below }
                </fieldset>
            };
        }
        let control = if field.kind == FieldType::Select {
            html! {
                <select class="lm-input" {id} {name} required={field.required}
                    autocomplete={field.autocomplete_token().map(str::to_owned)}
                    aria-invalid={invalid} aria-describedby={described_by}>
                    // The chosen option is set after rendering (see `sync_selects`).
                    <option value="">{ ui(lang, Ui::Choose) }</option>
                    { for field.options.iter().map(|o| html! {
                        <option value={o.value.clone()}>
                            { o.label.as_ref().map(|l| l.resolve(locale)).unwrap_or(&o.value) }
                        </option>
                    }) }
                </select>
            }
        } else {
            let (input_type, mode) = match field.kind {
                FieldType::Email => ("email", None),
                FieldType::Number => ("number", Some("decimal")),
                _ => ("text", None),
            };
            // No value when the state holds none: taking over a server-rendered form then
            // leaves what the visitor typed (and the caret) as it is.
            let value = match stored {
                Some(FieldValue::Text(t)) => Some(t.clone()),
                _ => None,
            };
            html! {
                <input class="lm-input" type={input_type} {id} {name} required={field.required}
                    {value} inputmode={mode}
                    min={field.min.map(num)} max={field.max.map(num)} step={field.step.map(num)}
                    autocomplete={field.autocomplete_token().map(str::to_owned)}
                    placeholder={field.placeholder.as_ref().map(|p| p.resolve(locale).to_owned())}
                    aria-invalid={invalid} aria-describedby={described_by} />
            }
        };
        html! {
            <div class="lm-field" {hidden}>
                <label for={control_id(fid)}>{ label_text }</label>
                <div class="lm-row">
                    { control }
                    if let Some(unit) = unit { <span class="lm-unit" id={unit_id}>{ unit }</span> }
                </div>
                { below }
            </div>
        }
    }

    fn view_success(&self, ctx: &Context<Self>, lang: Lang) -> Html {
        let props = ctx.props();
        let config = &props.config;
        let locale: &str = &props.locale;
        let offer = &config.offer;
        let text = offer
            .success
            .as_ref()
            .map(|t| t.resolve(locale))
            .unwrap_or_else(|| ui(lang, Ui::ThankYou));
        html! {
            <div class="lm-success" id={SUCCESS_ID} tabindex="-1" role="status">
                <p class="lm-success-text">{ text }</p>
                if self.queued {
                    <p class="lm-queued">{ ui(lang, Ui::Queued) }</p>
                }
                { self.view_result(ctx, lang, &self.sent) }
                if let Some(asset) = &offer.asset {
                    <a class="lm-download" href={browser::resolve_url(&asset.url, &props.config_url)} download="">
                        { asset.label.as_ref().map(|l| l.resolve(locale)).unwrap_or_else(|| ui(lang, Ui::Download)) }
                    </a>
                }
            </div>
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl OfferForm {
    /// Shows the form state's choice in every select. Done after rendering rather than
    /// with `selected` attributes: yew inserts options last-first and reuses elements when
    /// dependent fields come and go, and the browser's selectedness rules for attributes
    /// then pick the wrong option.
    fn sync_selects(&self, ctx: &Context<Self>) {
        let props = ctx.props();
        for field in props
            .config
            .fields
            .iter()
            .filter(|f| f.kind == FieldType::Select)
        {
            let Some(select) = browser::by_id(&props.shadow, &control_id(&field.id))
                .and_then(|el| el.dyn_into::<HtmlSelectElement>().ok())
            else {
                continue;
            };
            let wanted = match self.form.value(&field.id) {
                Some(FieldValue::Text(t)) => t.as_str(),
                _ => "",
            };
            if select.value() != wanted {
                select.set_value(wanted);
            }
        }
    }

    /// Copies every text, tick and select control's current value into the form state
    /// (choice groups always report through their change events).
    fn read_controls(&mut self, ctx: &Context<Self>) {
        let props = ctx.props();
        let asked: Vec<String> = self.form.asked().to_vec();
        for field in props.config.fields.iter().filter(|f| {
            asked.contains(&f.id) && !matches!(f.kind, FieldType::Radio | FieldType::Checkboxes)
        }) {
            let Some(el) = browser::by_id(&props.shadow, &control_id(&field.id)) else {
                continue;
            };
            let value = if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
                if field.kind.is_tick_box() {
                    FieldValue::Bool(input.checked())
                } else {
                    FieldValue::Text(input.value())
                }
            } else if let Some(select) = el.dyn_ref::<HtmlSelectElement>() {
                FieldValue::Text(select.value())
            } else {
                continue;
            };
            self.form.set(&props.config, &field.id, value);
        }
    }
}
