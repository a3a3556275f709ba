//! The browser glue as server rendering sees it (`ssr`, natively): yew's server renderer
//! runs only the component's `create` and `view`, so of the browser there is only what
//! those read (URL resolution, number formatting) and stand-ins for the handles the
//! component keeps (its shadow root, the loader) that are never used there.

/// No shadow root exists while rendering on the server.
pub type Shadow = ();

/// Never an element: there is no DOM.
pub fn by_id(_: &Shadow, _: &str) -> Option<web_sys::Element> {
    None
}

/// The component's answers to a sent lead (a redirect, a console line) happen in the
/// browser only; the server never sends one.
pub fn redirect(_: &str) {}
pub fn console_error(_: &str) {}

/// No loader exists while rendering on the server.
#[derive(Clone, Default)]
pub struct Loader;

/// `url` resolved against `base`, as the browser's `URL` does for the URLs an offer holds
/// (absolute, root-relative, relative, protocol-relative): the hydrated widget then finds
/// the same `href`s.
pub fn resolve_url(url: &str, base: &str) -> String {
    if let Ok(base) = url::Url::parse(base) {
        return base.join(url).map_or_else(|_| url.to_owned(), String::from);
    }
    // A relative base (`leadmagnet render` without --config-url: a page on the collector
    // itself): resolved on a stand-in origin, kept relative to the page's.
    const STAND_IN: &str = "http://page.invalid/";
    url::Url::parse(STAND_IN)
        .and_then(|origin| origin.join(base))
        .and_then(|base| base.join(url))
        .map_or_else(
            |_| url.to_owned(),
            |u| match u.as_str().strip_prefix(&STAND_IN[..STAND_IN.len() - 1]) {
                Some(path) => path.to_owned(),
                None => String::from(u),
            },
        )
}

/// `n` in the config's format. Server rendering never shows a calculator's figure (it
/// has no inputs yet); this is for completeness of the same view code.
pub fn format_number(
    n: f64,
    _locale: &str,
    _format: Option<&leadmagnet_core::config::NumberFormat>,
) -> String {
    leadmagnet_core::config::num(n)
}
