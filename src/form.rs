//! The offer component: title, description, the form from the config, then the thank-you
//! view with the asset. It renders the core's [`FormState`] and feeds it events.
//!
//! Accessibility (WCAG 2.2 AA): every control has a visible `<label for>`; errors are text
//! next to their field, linked by `aria-describedby` and flagged with `aria-invalid`;
//! after a refused submit focus moves to the first invalid field; after success to the
//! thank-you text. Label, control and error live in one shadow root, since
//! `for`/`aria-describedby` cannot cross it.

use crate::browser;
use leadmagnet_core::config::{Field, FieldType, OfferConfig};
use leadmagnet_core::domains::CompactLists;
use leadmagnet_core::form::{FormState, Status};
use leadmagnet_core::messages::{ui, Lang, Ui};
use leadmagnet_core::scoring::{score, LeadFacts};
use leadmagnet_core::{FieldValue, LeadPayload};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement, ShadowRoot};
use yew::prelude::*;

#[derive(Properties, Clone)]
pub struct OfferProps {
    pub config: Rc<OfferConfig>,
    /// Base for relative endpoint and asset URLs.
    pub config_url: Rc<str>,
    /// The widget's shadow root, to find its own elements by id.
    pub shadow: ShadowRoot,
}

impl PartialEq for OfferProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.config, &other.config) && self.config_url == other.config_url
    }
}

pub enum Msg {
    Changed(String, FieldValue),
    Submit,
    Sent(Result<(), String>),
}

pub struct OfferForm {
    form: FormState,
    /// Set when a render must be followed by a focus move (after submit or success).
    focus_after_render: bool,
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

impl Component for OfferForm {
    type Message = Msg;
    type Properties = OfferProps;

    fn create(ctx: &Context<Self>) -> Self {
        OfferForm {
            form: FormState::new(&ctx.props().config),
            focus_after_render: false,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let config = &ctx.props().config;
        match msg {
            Msg::Changed(field, value) => {
                let error_before = self.form.error(&field).cloned();
                let asked_before = self.form.asked().to_vec();
                self.form.set(config, &field, value);
                // Re-render only when a shown error or the shown fields changed (a
                // dependent field appeared or went); typing is otherwise silent.
                error_before.as_ref() != self.form.error(&field)
                    || asked_before != self.form.asked()
            }
            Msg::Submit => {
                // Read what the controls hold now: autofill and password managers do not
                // always fire input events, and nothing typed may be lost.
                self.read_controls(ctx);
                self.focus_after_render = true;
                let Some(lead) = self.form.submit(config) else {
                    return true;
                };
                let locale = config.locale().to_owned();
                let (Some(lead_id), submitted_at) = (browser::new_lead_id(), browser::now_iso())
                else {
                    browser::console_error("this browser offers no crypto.getRandomValues");
                    self.form.failed();
                    return true;
                };
                // The preliminary score, with the widget's compact domain lists; the
                // collector computes the authoritative one with the same code.
                let preliminary = config.scoring.as_ref().map(|scoring| {
                    let facts = LeadFacts {
                        fields: lead.fields().clone(),
                        events: Vec::new(),
                    };
                    score(scoring, &facts, js_sys::Date::now() as i64, &CompactLists)
                });
                let payload = LeadPayload::new(
                    lead,
                    &lead_id,
                    &submitted_at,
                    browser::page_context(&locale),
                )
                .map(|p| match preliminary {
                    Some(s) => p.with_score(s),
                    None => p,
                });
                let url = browser::resolve_url(&config.endpoint.url, &ctx.props().config_url);
                ctx.link().send_future(async move {
                    let result = match payload {
                        Ok(payload) => browser::post_json(&url, &payload.to_json()).await,
                        Err(e) => Err(e.to_string()),
                    };
                    Msg::Sent(result)
                });
                true
            }
            Msg::Sent(result) => {
                match result {
                    Ok(()) => self.form.sent(),
                    Err(reason) => {
                        browser::console_error(&format!("sending the lead failed: {reason}"));
                        self.form.failed();
                    }
                }
                self.focus_after_render = true;
                true
            }
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first_render: bool) {
        self.sync_selects(ctx);
        if !std::mem::take(&mut self.focus_after_render) {
            return;
        }
        let target = match self.form.status() {
            Status::Sent => Some(SUCCESS_ID.to_owned()),
            Status::Editing => self.form.first_invalid().map(control_id),
            Status::Sending => None,
        };
        if let Some(el) = target
            .and_then(|id| ctx.props().shadow.get_element_by_id(&id))
            .and_then(|el| el.dyn_into::<HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let config = &ctx.props().config;
        let locale = config.locale();
        let lang = Lang::from_tag(locale);
        let offer = &config.offer;
        let title = html! { <h2 class="lm-title">{ offer.title.resolve(locale) }</h2> };
        if self.form.status() == Status::Sent {
            return self.view_success(ctx, title);
        }
        let sending = self.form.status() == Status::Sending;
        let onsubmit = ctx.link().callback(|e: SubmitEvent| {
            e.prevent_default();
            Msg::Submit
        });
        let submit_label = offer
            .submit_label
            .as_ref()
            .map(|t| t.resolve(locale))
            .unwrap_or_else(|| ui(lang, Ui::Submit));
        html! {
            <div class="lm" lang={locale.to_owned()}>
                { title }
                if let Some(description) = &offer.description {
                    <p class="lm-description">{ description.resolve(locale) }</p>
                }
                <form novalidate=true {onsubmit} aria-busy={sending.to_string()}>
                    if config.fields.iter().any(|f| f.required && self.form.asked().contains(&f.id)) {
                        <p class="lm-legend">{ ui(lang, Ui::Required) }</p>
                    }
                    { for config.fields.iter().map(|f| self.view_field(ctx, f, lang)) }
                    if self.form.send_failed() {
                        <p class="lm-alert" role="alert">{ ui(lang, Ui::SendFailed) }</p>
                    }
                    <button class="lm-submit" type="submit" disabled={sending}>
                        { if sending { ui(lang, Ui::Sending) } else { submit_label } }
                    </button>
                </form>
            </div>
        }
    }
}

impl OfferForm {
    fn view_field(&self, ctx: &Context<Self>, field: &Field, lang: Lang) -> Html {
        let locale = ctx.props().config.locale();
        let id = control_id(&field.id);
        let error = self.form.error(&field.id);
        let help = field.help.as_ref().map(|h| h.resolve(locale));
        let described_by: Vec<String> = error
            .map(|_| error_id(&field.id))
            .into_iter()
            .chain(help.map(|_| help_id(&field.id)))
            .collect();
        let described_by =
            (!described_by.is_empty()).then(|| AttrValue::from(described_by.join(" ")));
        let invalid = error.map(|_| AttrValue::Static("true"));
        let label = html! {
            <label for={id.clone()}>
                { field.label.resolve(locale) }
                if field.required { <span class="lm-mark" aria-hidden="true">{ " *" }</span> }
            </label>
        };
        let below = html! {
            <>
                if let Some(help) = help {
                    <p class="lm-help" id={help_id(&field.id)}>{ help }</p>
                }
                if let Some(problem) = error {
                    <p class="lm-error" id={error_id(&field.id)}>{ problem.message(lang, field.kind) }</p>
                }
            </>
        };
        let name = field.id.clone();
        // Every field is always in the DOM; those not asked now carry `hidden` (not shown,
        // not focusable, not read out). Adding and removing elements instead made yew
        // rebuild the fields before a dependent one, which took the visitor's focus away.
        let hidden = !self.form.asked().contains(&field.id);
        // Controlled by the form state, so a dependent field that comes back shows the
        // answer it had.
        let stored = self.form.value(&field.id);
        let text_value = match stored {
            Some(FieldValue::Text(t)) => t.clone(),
            _ => String::new(),
        };
        let ticked = matches!(stored, Some(FieldValue::Bool(true)));
        match field.kind {
            FieldType::Checkbox | FieldType::Consent => {
                let onchange = ctx.link().callback(move |e: Event| {
                    let checked = e.target_unchecked_into::<HtmlInputElement>().checked();
                    Msg::Changed(name.clone(), FieldValue::Bool(checked))
                });
                html! {
                    <div class="lm-field lm-check" key={field.id.clone()} {hidden}>
                        // Never pre-ticked: `checked` is only ever the visitor's own tick.
                        <input type="checkbox" id={id} name={field.id.clone()} required={field.required}
                            checked={ticked} aria-invalid={invalid} aria-describedby={described_by} {onchange} />
                        <div class="lm-check-body">{ label }{ below }</div>
                    </div>
                }
            }
            FieldType::Select => {
                let onchange = ctx.link().callback(move |e: Event| {
                    let value = e.target_unchecked_into::<HtmlSelectElement>().value();
                    Msg::Changed(name.clone(), FieldValue::Text(value))
                });
                html! {
                    <div class="lm-field" key={field.id.clone()} {hidden}>
                        { label }
                        <select class="lm-input" id={id} name={field.id.clone()} required={field.required}
                            autocomplete={field.autocomplete_token().map(str::to_owned)}
                            aria-invalid={invalid} aria-describedby={described_by} {onchange}>
                            // The chosen option is set after rendering (see `sync_selects`).
                            <option value="">{ ui(lang, Ui::Choose) }</option>
                            { for field.options.iter().map(|o| html! {
                                <option value={o.value.clone()}>
                                    { o.label.as_ref().map(|l| l.resolve(locale)).unwrap_or(&o.value) }
                                </option>
                            }) }
                        </select>
                        { below }
                    </div>
                }
            }
            FieldType::Text | FieldType::Email => {
                let oninput = ctx.link().callback(move |e: InputEvent| {
                    let value = e.target_unchecked_into::<HtmlInputElement>().value();
                    Msg::Changed(name.clone(), FieldValue::Text(value))
                });
                let input_type = if field.kind == FieldType::Email {
                    "email"
                } else {
                    "text"
                };
                html! {
                    <div class="lm-field" key={field.id.clone()} {hidden}>
                        { label }
                        <input class="lm-input" type={input_type} id={id} name={field.id.clone()}
                            required={field.required} value={text_value}
                            autocomplete={field.autocomplete_token().map(str::to_owned)}
                            placeholder={field.placeholder.as_ref().map(|p| p.resolve(locale).to_owned())}
                            aria-invalid={invalid} aria-describedby={described_by} {oninput} />
                        { below }
                    </div>
                }
            }
        }
    }

    fn view_success(&self, ctx: &Context<Self>, title: Html) -> Html {
        let config = &ctx.props().config;
        let locale = config.locale();
        let lang = Lang::from_tag(locale);
        let offer = &config.offer;
        let text = offer
            .success
            .as_ref()
            .map(|t| t.resolve(locale))
            .unwrap_or_else(|| ui(lang, Ui::ThankYou));
        html! {
            <div class="lm" lang={locale.to_owned()}>
                { title }
                <div class="lm-success" id={SUCCESS_ID} tabindex="-1" role="status">
                    <p class="lm-success-text">{ text }</p>
                    if let Some(asset) = &offer.asset {
                        <a class="lm-download" href={browser::resolve_url(&asset.url, &ctx.props().config_url)} download="">
                            { asset.label.as_ref().map(|l| l.resolve(locale)).unwrap_or_else(|| ui(lang, Ui::Download)) }
                        </a>
                    }
                </div>
            </div>
        }
    }

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
            let Some(select) = props
                .shadow
                .get_element_by_id(&control_id(&field.id))
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

    /// Copies every control's current value into the form state.
    fn read_controls(&mut self, ctx: &Context<Self>) {
        let props = ctx.props();
        let asked: Vec<String> = self.form.asked().to_vec();
        for field in props.config.fields.iter().filter(|f| asked.contains(&f.id)) {
            let Some(el) = props.shadow.get_element_by_id(&control_id(&field.id)) else {
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
