//! Mounting: one offer config → one widget in an open shadow root on its host element.

use crate::form::{OfferForm, OfferProps};
use leadmagnet_core::parse_offer;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, Element, ShadowRoot, ShadowRootInit, ShadowRootMode};
use yew::AppHandle;

thread_local! {
    /// One constructable stylesheet shared by every widget on the page.
    static SHEET: RefCell<Option<CssStyleSheet>> = const { RefCell::new(None) };
    /// Running apps by host element; a second mount on the same host replaces the first.
    static APPS: RefCell<Vec<(Element, AppHandle<OfferForm>)>> = const { RefCell::new(Vec::new()) };
}

/// Renders the offer described by `config_json` into `host`'s shadow root.
/// `config_url` is where the config came from (the page URL for inline configs): relative
/// endpoint and asset URLs resolve against it. Errors are one readable message naming
/// each problem's JSON pointer; the host page is left as it was.
#[wasm_bindgen(js_name = mountOffer)]
pub fn mount_offer(host: Element, config_json: &str, config_url: &str) -> Result<(), JsValue> {
    let config = parse_offer(config_json).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        JsValue::from_str(&format!(
            "offer config {config_url} is invalid:\n{}",
            lines.join("\n")
        ))
    })?;
    let previous = APPS.with(|apps| {
        let mut apps = apps.borrow_mut();
        let at = apps.iter().position(|(h, _)| h == &host);
        at.map(|i| apps.swap_remove(i).1)
    });
    if let Some(app) = previous {
        app.destroy();
    }
    let shadow = shadow_root(&host)?;
    let document = host
        .owner_document()
        .ok_or("host element has no document")?;
    let container = document.create_element("div")?;
    shadow.append_child(&container)?;
    let props = OfferProps {
        config: Rc::new(config),
        config_url: Rc::from(config_url),
        shadow: shadow.clone(),
    };
    let app = yew::Renderer::<OfferForm>::with_root_and_props(container, props).render();
    APPS.with(|apps| apps.borrow_mut().push((host, app)));
    Ok(())
}

/// The widget's own open shadow root (open so that axe, Playwright and assistive tech
/// see in; a closed root is no security boundary anyway), with the stylesheet adopted.
fn shadow_root(host: &Element) -> Result<ShadowRoot, JsValue> {
    let shadow = match host.shadow_root() {
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
