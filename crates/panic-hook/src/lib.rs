//! A stand-in for `console_error_panic_hook` 0.1.7, which yew installs as its panic hook.
//!
//! Why: the widget is built with `-Cpanic=immediate-abort`, so a panic aborts before any
//! hook runs, and the real crate's message formatting and console bindings (~0.5 KB brotli
//! of the 100 KB budget) could never execute. Debug builds — the wasm tests in Chromium —
//! still print a panic's message to the console, as the real crate does.

use std::panic::PanicHookInfo;

#[cfg(all(debug_assertions, target_arch = "wasm32"))]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console)]
    fn error(message: String);
}

/// The panic hook: logs the panic to `console.error` in debug builds, nothing in release.
pub fn hook(info: &PanicHookInfo) {
    #[cfg(all(debug_assertions, target_arch = "wasm32"))]
    error(info.to_string());
    #[cfg(not(all(debug_assertions, target_arch = "wasm32")))]
    let _ = info;
}

/// Installs [`hook`] once.
pub fn set_once() {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| std::panic::set_hook(Box::new(hook)));
}
