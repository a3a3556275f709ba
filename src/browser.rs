//! Browser glue: the facts the pure core takes as arguments (time, ids, page context),
//! URL resolution, and the POST to the endpoint. Built on the browser's own `Date`, `URL`,
//! `crypto` and `fetch`, so no heavy crate enters the wasm.

use leadmagnet_core::facts::BrowserFacts;
use leadmagnet_core::Context;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// The current time as `Date.prototype.toISOString` writes it (UTC, milliseconds).
pub fn now_iso() -> String {
    js_sys::Date::new_0().to_iso_string().into()
}

/// `N` bytes from `crypto.getRandomValues`, which, unlike `crypto.randomUUID`, exists on
/// plain-http pages too.
fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut b = [0u8; N];
    crypto.get_random_values_with_u8_array(&mut b).ok()?;
    Some(b)
}

/// A fresh lead id: a UUID v7 from the visitor's clock (`Date.now`) and 74 random bits
/// ([`leadmagnet_core::payload::new_lead_id`]).
pub fn new_lead_id() -> Option<String> {
    let now = js_sys::Date::now();
    // Before 1970 or NaN (a broken clock) cannot be put in a v7 id's time bits; such an id
    // is still unique through its random bits, it merely sorts first.
    let unix_ms = if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    };
    Some(leadmagnet_core::payload::new_lead_id(
        unix_ms,
        random_bytes()?,
    ))
}

/// The visitor's browser language (`navigator.language`), `en` when there is none.
pub fn browser_language() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "en".into())
}

#[cfg(feature = "full")]
/// 32 random hex digits from `crypto.getRandomValues` (the visitor's variant seed).
pub fn random_hex() -> String {
    random_bytes::<16>()
        .map(|b| leadmagnet_core::payload::hex(&b))
        .unwrap_or_default()
}

#[cfg(feature = "full")]
/// `localStorage` (persistent) or `sessionStorage` (this tab); `None` where storage is
/// blocked (privacy settings, sandboxed frames), which then simply means no memory.
fn storage(persistent: bool) -> Option<web_sys::Storage> {
    let w = web_sys::window()?;
    if persistent {
        w.local_storage().ok()?
    } else {
        w.session_storage().ok()?
    }
}

#[cfg(feature = "full")]
pub fn storage_get(persistent: bool, key: &str) -> Option<String> {
    storage(persistent)?.get_item(key).ok()?
}

#[cfg(feature = "full")]
pub fn storage_set(persistent: bool, key: &str, value: &str) {
    if let Some(s) = storage(persistent) {
        // A full or blocked storage only costs the memory, never the form.
        let _ = s.set_item(key, value);
    }
}

#[cfg(feature = "full")]
pub fn storage_remove(persistent: bool, key: &str) {
    if let Some(s) = storage(persistent) {
        let _ = s.remove_item(key);
    }
}

#[cfg(feature = "full")]
/// The page facts targeting looks at: URL, referrer, UTM parameters, device class.
pub fn page_facts(returning: bool) -> leadmagnet_core::display::PageFacts {
    let window = web_sys::window();
    let page_url = window
        .as_ref()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let mut utm = leadmagnet_core::map::SortedMap::new();
    if let Ok(url) = web_sys::Url::new(&page_url) {
        let params = url.search_params();
        for key in [
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
        ] {
            if let Some(v) = params.get(key) {
                utm.insert(key.to_owned(), v);
            }
        }
    }
    leadmagnet_core::display::PageFacts {
        page_url,
        referrer: window
            .and_then(|w| w.document())
            .map(|d| d.referrer())
            .unwrap_or_default(),
        utm,
        device: device(),
        returning,
    }
}

/// `n` written for `locale` by the browser's `Intl.NumberFormat` (grouping, decimal
/// sign, currency symbol), so no number-formatting tables enter the wasm.
pub fn format_number(
    n: f64,
    locale: &str,
    format: Option<&leadmagnet_core::config::NumberFormat>,
) -> String {
    let options = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v);
    };
    if let Some(f) = format {
        if let Some(style) = &f.style {
            set("style", style.as_str().into());
        }
        if let Some(c) = &f.currency {
            set("currency", c.as_str().into());
        }
        if let Some(d) = f.maximum_fraction_digits {
            set("maximumFractionDigits", d.into());
            set("minimumFractionDigits", 0.into());
        }
    }
    let locales = js_sys::Array::of1(&locale.into());
    let formatter = js_sys::Intl::NumberFormat::new(&locales, &options);
    formatter
        .format()
        .call1(&formatter, &n.into())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// Takes the visitor to `url` (an offer's `redirect_url`).
pub fn redirect(url: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
}

/// Where the lead was captured.
pub fn page_context(locale: &str) -> Context {
    let window = web_sys::window();
    let document = window.as_ref().and_then(|w| w.document());
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    Context {
        page_url: window
            .as_ref()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default(),
        page_title: document.as_ref().and_then(|d| non_empty(d.title())),
        referrer: document.as_ref().and_then(|d| non_empty(d.referrer())),
        locale: Some(locale.to_owned()),
        widget_version: Some(crate::VERSION.to_owned()),
        device: Some(device().to_owned()),
        ..Context::default()
    }
}

/// `mobile`, `tablet` or `desktop`, by the core's rule (viewport width, touch pointer).
fn device() -> &'static str {
    let window = web_sys::window();
    let width = window
        .as_ref()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(1024.0);
    let coarse = window
        .as_ref()
        .and_then(|w| w.match_media("(pointer: coarse)").ok().flatten())
        .is_some_and(|m| m.matches());
    leadmagnet_core::display::device_class(width, coarse)
}

/// The widget's shadow root (server rendering has none: `browser_ssr.rs`).
pub type Shadow = web_sys::ShadowRoot;

/// The widget's own element `id`.
pub fn by_id(shadow: &Shadow, id: &str) -> Option<web_sys::Element> {
    shadow.get_element_by_id(id)
}

/// `url` resolved against `base` (the config's URL), as the browser's `URL` does it.
pub fn resolve_url(url: &str, base: &str) -> String {
    web_sys::Url::new_with_base(url, base)
        .map(|u| u.href())
        .unwrap_or_else(|_| url.to_owned())
}

/// The loader's side of one mounted offer (`src/loader.js`, `mount`): a plain object with
/// these methods, declared once here so every call across the boundary is typed.
#[wasm_bindgen]
extern "C" {
    #[derive(Clone)]
    pub type Loader;

    /// The outbox: `deliver(lead, requests, leadId, keepHistory)` takes the completed
    /// payload and the requests the core made of it (JSON), and returns a promise of
    /// `"sent"` or `"queued"`, rejected with the reason when the first endpoint refused
    /// the lead. `keepHistory` is the core's decision for the device's behaviour record
    /// (`Consent::allows_history`): keep it, or erase it (consent withdrawn).
    #[wasm_bindgen(method, catch)]
    fn deliver(
        this: &Loader,
        lead: &str,
        requests: &str,
        lead_id: &str,
        keep_history: bool,
    ) -> Result<js_sys::Promise, JsValue>;

    /// The browser's facts at a submit, as JSON ([`BrowserFacts`]): this page view's
    /// events, and the kept behaviour record's history if the device holds one.
    #[wasm_bindgen(method, catch)]
    fn facts(this: &Loader) -> Result<Option<String>, JsValue>;
}

/// Hands the lead to the loader's outbox; `Ok(true)` when it is only queued yet.
pub async fn deliver(
    loader: &Loader,
    lead: &str,
    requests: &str,
    lead_id: &str,
    keep_history: bool,
) -> Result<bool, String> {
    let promise = loader
        .deliver(lead, requests, lead_id, keep_history)
        .map_err(describe)?;
    let outcome = JsFuture::from(promise).await.map_err(describe)?;
    Ok(outcome.as_string().as_deref() == Some("queued"))
}

/// The browser's facts for the lead being sent (`src/loader.js`, "Browser facts"); which
/// of its events the lead carries is the core's decision (`BrowserFacts::lead_events`).
/// Anything unreadable counts as no facts: the lead matters more than its score.
pub fn facts(loader: &Loader) -> BrowserFacts {
    loader
        .facts()
        .ok()
        .flatten()
        .map_or_else(BrowserFacts::default, |text| BrowserFacts::read(&text))
}

/// The message of a thrown JS value (an `Error`, a `DOMException`, or anything else).
fn describe(err: JsValue) -> String {
    js_sys::Reflect::get(&err, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// One console line, prefixed so marketers can filter for it.
pub fn console_error(message: &str) {
    web_sys::console::error_1(&JsValue::from_str(&format!("Leadmagnet: {message}")));
}
