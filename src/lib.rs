//! The Leadmagnet widget: yew components and browser glue, compiled to wasm32 and loaded
//! by `leadmagnet.js` (see `src/loader.js` and `xtask`).
//!
//! # Layout
//! - [`mount`] (wasm32): the entry `mountOffer(host, configJson, configUrl, loader)` called by
//!   the loader (`loader` is its `{deliver, facts}`, typed as `browser::Loader`): parse the config with the core, attach an open shadow root, adopt the
//!   stylesheet, start a yew app inside it.
//! - `form` (wasm32): the offer component, rendering the core's form state machine.
//! - `ssr` (native, feature `ssr`): the same component rendered to HTML by yew's server
//!   renderer, inside a declarative shadow root, for the collector and `leadmagnet render`.
//! - `browser` (wasm32): the few browser facts the core needs passed in (time, ids, page
//!   context, URL resolution) and the POST.
//!
//! Every rule (validation, messages, payload) comes from `leadmagnet-core`; this crate
//! only renders, listens and sends. It never panics on bad input: a panic would kill a
//! customer's form, so `unwrap` is denied by lint.

/// The widget version reported with each lead.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The stylesheet adopted into every widget's shadow root.
pub const STYLESHEET: &str = include_str!(concat!(env!("OUT_DIR"), "/style.min.css"));

#[cfg(any(target_arch = "wasm32", feature = "ssr"))]
#[cfg_attr(not(target_arch = "wasm32"), path = "browser_ssr.rs")]
mod browser;
#[cfg(any(target_arch = "wasm32", feature = "ssr"))]
mod form;
#[cfg(target_arch = "wasm32")]
pub mod mount;
#[cfg(all(not(target_arch = "wasm32"), feature = "ssr"))]
pub mod ssr;

/// The id of the element inside the shadow root that a server-rendered form is in: the
/// wasm hydrates from it.
pub const ROOT_ID: &str = "lm-root";

/// The form's id: the inputs server rendering puts outside the component (offer, locale,
/// step, the collector's signed render time) join it by their `form` attribute.
pub const FORM_ID: &str = "lm-form";

/// What a server-rendered form was rendered for, carried by its host element
/// (`data-lm-render`): the widget version (its markup), the locale's language and the
/// config text's hash. The wasm takes the form over (hydrates it) only when its own first
/// render is for the same key; otherwise it renders anew, keeping what the visitor typed.
/// The language, not the whole tag: a snippet rendered for `de` serves a `de-AT` browser
/// (hydration writes every text node again, so a regional text still shows).
pub fn render_key(locale: &str, config_text: &str) -> String {
    let language = locale.split(['-', '_']).next().unwrap_or(locale);
    format!(
        "{VERSION}:{}:{}",
        language.to_ascii_lowercase(),
        leadmagnet_core::consent::text_hash(config_text)
    )
}

/// lol_alloc's free-list allocator: ~2 KB brotli smaller than std's dlmalloc. Its cost is
/// a walk of the free list per allocation, which stays short in a widget's small heap
/// (freed neighbours coalesce); the 200-lead scoring test in Chromium runs on it.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
