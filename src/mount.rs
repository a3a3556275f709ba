//! Mounting: one offer config → one widget in an open shadow root on its host element,
//! after the core has decided whether this visitor sees it (targeting, frequency) and in
//! which variant. Also the visitor's memory, stored by the consent rule of
//! [`leadmagnet_core::profile`].

use crate::browser;
pub use crate::browser::Loader;
use crate::form::{OfferForm, OfferProps};
use leadmagnet_core::display;
use leadmagnet_core::json::ToJson;
use leadmagnet_core::profile::Visitor;
#[cfg(feature = "full")]
use leadmagnet_core::profile::STORAGE_KEY;
use leadmagnet_core::read_offer;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, Element, ShadowRoot, ShadowRootInit, ShadowRootMode};
use yew::AppHandle;

/// What `mountOffer` throws for a config it cannot read.
pub const INVALID: &str = "invalid offer config";

thread_local! {
    /// One constructable stylesheet shared by every widget on the page.
    static SHEET: RefCell<Option<CssStyleSheet>> = const { RefCell::new(None) };
    /// Running apps by host element; a second mount on the same host replaces the first.
    static APPS: RefCell<Vec<(Element, AppHandle<OfferForm>)>> = const { RefCell::new(Vec::new()) };
    /// The visitor's memory, read once per page (and this page view counted once).
    static VISITOR: RefCell<Option<Visitor>> = const { RefCell::new(None) };
}

/// Runs `f` on the visitor's memory. The full build stores the result: all of it in
/// `localStorage` once the visitor has consented through a lead; before that, only with
/// the page's permission ([`allow_storage`]: its consent manager or an explicit call) and
/// only what names no one, in `sessionStorage`; without either, nothing at all (a variant
/// seed or a frequency count is storage that needs consent too), so the memory lasts this
/// page view. The default build stores nothing at all.
pub fn with_visitor<R>(f: impl FnOnce(&mut Visitor) -> R) -> R {
    VISITOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let visitor = cell.get_or_insert_with(load_visitor);
        let result = f(visitor);
        #[cfg(feature = "full")]
        store_visitor(visitor);
        result
    })
}

#[cfg(feature = "full")]
fn load_visitor() -> Visitor {
    let stored = browser::storage_get(true, STORAGE_KEY)
        .or_else(|| browser::storage_get(false, STORAGE_KEY));
    let mut v = Visitor::from_storage(stored.as_deref());
    v.page_view(js_sys::Date::now(), &browser::random_hex());
    v
}

#[cfg(not(feature = "full"))]
fn load_visitor() -> Visitor {
    Visitor::default()
}

#[cfg(feature = "full")]
fn store_visitor(visitor: &Visitor) {
    if visitor.consent {
        browser::storage_set(true, STORAGE_KEY, &visitor.to_storage());
        browser::storage_remove(false, STORAGE_KEY);
    } else if STORAGE_ALLOWED.with(std::cell::Cell::get) {
        browser::storage_remove(true, STORAGE_KEY);
        let session = visitor.without_personal_data();
        browser::storage_set(false, STORAGE_KEY, &session.to_storage());
    } else {
        // No permission (or withdrawn): what was stored earlier goes; nothing is written.
        browser::storage_remove(true, STORAGE_KEY);
        browser::storage_remove(false, STORAGE_KEY);
    }
}

#[cfg(feature = "full")]
thread_local! {
    /// The page's permission to store the visitor's memory before their own consent.
    static STORAGE_ALLOWED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `Leadmagnet.allowStorage(granted)`: the page's consent decision (its consent manager's
/// signal, which the loader reads, or the page's own call) as permission to keep what
/// names no one (variant seed, offer memory, visit count) in `sessionStorage` before the
/// visitor consents through a lead; `false` withdraws it and erases what was kept.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = allowStorage)]
pub fn allow_storage(granted: bool) {
    STORAGE_ALLOWED.with(|allowed| allowed.set(granted));
    with_visitor(|_| ());
}

/// Renders the offer described by `config_json` into `host`'s shadow root, if this
/// visitor is to see it. `config_url` is where the config came from (the page URL for
/// inline configs): relative URLs resolve against it. `loader` is the loader's side of
/// this offer ([`browser::Loader`]): its outbox, which every lead goes through (see
/// `src/outbox.js`), its behaviour record and the browser's facts.
///
/// The config must have been checked (by the collector, or by the checker the loader
/// runs first): only its reading happens here, without problem texts. A config that
/// cannot be read throws [`INVALID`] and the host page is left as it was; the loader then
/// asks the checker for the problems to log.
///
/// Returns the display plan for the loader as JSON text ([`display::Plan`]):
/// `{offer, hidden}` when targeting or a frequency cap hides the offer (the host stays
/// untouched), otherwise `{offer, mode, trigger}`.
/// What `mountOffer` of the default build throws for an offer that needs the full build
/// (`display::needs_full_build`); the loader's `NEEDS_FULL`.
#[cfg(not(feature = "full"))]
const NEEDS_FULL: &str = "needs the full build";

#[wasm_bindgen(js_name = mountOffer)]
pub fn mount_offer(
    host: Element,
    config_json: &str,
    config_url: &str,
    loader: browser::Loader,
) -> Result<JsValue, JsValue> {
    let config = read_offer(config_json).map_err(|_| JsValue::from_str(INVALID))?;
    // The loader then mounts this offer with the full build, fetched on demand: the
    // default build stays within its budget for the pages that need none of it.
    #[cfg(not(feature = "full"))]
    if display::needs_full_build(&config).is_some() {
        return Err(JsValue::from_str(NEEDS_FULL));
    }
    let (seed, show) = with_visitor(|v| {
        let now = js_sys::Date::now();
        #[cfg(feature = "full")]
        let show = display::should_show(&config, &browser::page_facts(v.returning()), v, now);
        #[cfg(not(feature = "full"))]
        let show = display::frequency_allows(&config, v, now);
        (v.seed.clone(), show)
    });
    if let Err(reason) = show {
        // A server-rendered form this visitor is not to see goes too.
        if let Some(shadow) = host.shadow_root() {
            shadow.set_text_content(None);
        }
        // The loader announces it (`leadmagnet:hidden`): a page, its analytics and its
        // tests learn that the decision was made, not only that nothing appeared yet.
        let plan = display::Plan::Hidden {
            offer: &config.id,
            reason,
        };
        return Ok(plan.to_json_string().into());
    }
    #[cfg(feature = "full")]
    let variant = display::variant(&config, &seed).cloned();
    #[cfg(not(feature = "full"))]
    let variant: Option<leadmagnet_core::config::Variant> = {
        let _ = seed;
        None
    };
    let variant_id = variant.as_ref().map(|v| Rc::<str>::from(v.id.as_str()));
    let config = match &variant {
        Some(v) => display::apply_variant(config, v),
        None => config,
    };
    let locale = match config.locale() {
        "auto" => browser::browser_language(),
        fixed => fixed.to_owned(),
    };
    let display = config.display.clone().unwrap_or_default();

    let previous = APPS.with(|apps| {
        let mut apps = apps.borrow_mut();
        let at = apps.iter().position(|(h, _)| h == &host);
        at.map(|i| apps.swap_remove(i).1)
    });
    if let Some(app) = previous {
        app.destroy();
    }
    // A server-rendered form (declarative shadow root, `src/ssr.rs`) is taken over
    // (hydrated) when this first render is the one it was rendered for: same widget,
    // locale and config text, no variant, no remembered visitor. Otherwise it is rendered
    // anew. Either way the loader types in again what the visitor typed before.
    #[cfg(feature = "hydrate")]
    let hydrate = host
        .shadow_root()
        .and_then(|s| s.get_element_by_id(crate::ROOT_ID))
        .filter(|_| {
            variant.is_none()
                && host.get_attribute("data-lm-render").as_deref()
                    == Some(crate::render_key(&locale, config_json).as_str())
                && !with_visitor(|v| {
                    cfg!(feature = "full") && v.consent && !v.known_for(&config).is_empty()
                })
        });
    // The full build renders anew what the server rendered (an older snippet).
    #[cfg(not(feature = "hydrate"))]
    let hydrate: Option<Element> = {
        let _ = (&locale, &variant);
        None
    };
    let shadow = shadow_root(&host, hydrate.is_none())?;
    let container = match hydrate.clone() {
        Some(root) => root,
        None => {
            let document = host
                .owner_document()
                .ok_or("host element has no document")?;
            let container = document.create_element("div")?;
            shadow.append_child(&container)?;
            container
        }
    };

    let plan = display::Plan::Shown {
        offer: &config.id,
        mode: display.mode,
        trigger: display.trigger.as_ref(),
        variant: variant_id.as_deref(),
    }
    .to_json_string();

    let props = OfferProps {
        config: Rc::new(config),
        config_url: Rc::from(config_url),
        shadow: shadow.clone(),
        locale: Rc::from(locale.as_str()),
        variant: variant_id,
        mode: display.mode,
        config_text: Rc::from(config_json),
        loader,
    };
    let renderer = yew::Renderer::<OfferForm>::with_root_and_props(container, props);
    #[cfg(feature = "hydrate")]
    let app = match hydrate {
        Some(_) => renderer.hydrate(),
        None => renderer.render(),
    };
    #[cfg(not(feature = "hydrate"))]
    let app = renderer.render();
    APPS.with(|apps| apps.borrow_mut().push((host, app)));
    Ok(plan.into())
}

/// Looks for the proof-of-work number in `from..=to` (the loader calls this in slices of a
/// few milliseconds while the visitor types); -1 when it is not in that range.
#[wasm_bindgen(js_name = solveChallenge)]
pub fn solve_challenge(salt: &str, challenge: &str, from: u32, to: u32) -> f64 {
    leadmagnet_core::pow::solve(salt, challenge, from, to).map_or(-1.0, f64::from)
}

/// `rememberLead(config, fields)`: a lead sent by an offer the default build mounted (it
/// remembers no one) is remembered here as this build's own form would have
/// (`Visitor::converted`, stored by the consent rule above). The loader calls it after such
/// a lead with a ticked consent, so that the visitor's next page view knows them.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = rememberLead)]
pub fn remember_lead(config_json: &str, fields: js_sys::Object) {
    use leadmagnet_core::FieldValue;
    let Ok(config) = read_offer(config_json) else {
        return;
    };
    // The lead's `fields` as the browser holds them (not JSON text: its reader would cost
    // this build more bytes than this whole function).
    let mut values = leadmagnet_core::Values::new();
    for entry in js_sys::Object::entries(&fields).iter() {
        let pair = js_sys::Array::from(&entry);
        let (Some(id), value) = (pair.get(0).as_string(), pair.get(1)) else {
            continue;
        };
        let value = if let Some(tick) = value.as_bool() {
            FieldValue::Bool(tick)
        } else if let Some(text) = value.as_string() {
            FieldValue::Text(text)
        } else if js_sys::Array::is_array(&value) {
            let items = js_sys::Array::from(&value);
            FieldValue::List(items.iter().filter_map(|item| item.as_string()).collect())
        } else {
            continue;
        };
        values.insert(id, value);
    }
    with_visitor(|v| v.converted(&config, &values));
}

/// The visitor closed a modal or slide-in offer: remembered for `frequency`.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = dismissOffer)]
pub fn dismiss_offer(offer_id: &str) {
    with_visitor(|v| v.dismissed(offer_id, js_sys::Date::now()));
}

/// `Leadmagnet.forget()`: the visitor's memory loses everything that names them, and
/// their consent; the loader then clears both storages.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = forgetVisitor)]
pub fn forget_visitor() {
    with_visitor(Visitor::forget);
}

/// The widget's own open shadow root (open so that axe, Playwright and assistive tech
/// see in; a closed root is no security boundary anyway), with the stylesheet adopted.
/// `clear`: what is in an existing root goes (a server-rendered form being hydrated stays).
fn shadow_root(host: &Element, clear: bool) -> Result<ShadowRoot, JsValue> {
    let shadow = match host.shadow_root() {
        Some(existing) if !clear => existing,
        Some(existing) => {
            // Mounting again replaces the previous widget rather than stacking a second.
            // (`textContent`, not `innerHTML`: the latter is a Trusted Types sink.)
            existing.set_text_content(None);
            existing
        }
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    let sheet = SHEET.with(|cell| -> Result<CssStyleSheet, JsValue> {
        let mut cell = cell.borrow_mut();
        if let Some(sheet) = cell.as_ref() {
            return Ok(sheet.clone());
        }
        let sheet = CssStyleSheet::new()?;
        sheet.replace_sync(crate::STYLESHEET)?;
        *cell = Some(sheet.clone());
        Ok(sheet)
    })?;
    shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    Ok(shadow)
}
