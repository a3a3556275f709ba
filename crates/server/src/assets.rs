//! Static files from `www/`: the demo pages, offer configs and the built widget.
//!
//! Embedding on other origins needs the widget files and offer configs readable
//! cross-origin (`Access-Control-Allow-Origin: *`: they are public) and the wasm served
//! as `application/wasm`. Content-hashed files never change, so they are cached forever;
//! the loader `leadmagnet.js` keeps a stable name and a short cache life.
//! Our own HTML pages get a strict CSP, proving the widget runs under one. Everything is
//! sent compressed when the browser accepts it; text is labelled UTF-8.
//!
//! Only regular files inside the folder are served: no dotfiles or dot folders (`.env`,
//! `.git/`), and nothing a symbolic link leads to outside the folder.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::path::Path;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// The CSP of our own pages: what a strict customer page allows, and no more. Its
/// `style-src` admits the server-rendered form's stylesheet by its hash, as a customer's
/// page with the snippet does.
pub static PAGE_CSP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
         style-src 'self' {}; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        crate::rendered::style_source()
    )
});

/// Response header saying the collector checked the offer config it serves (with the full
/// core checks, `leadmagnet validate`'s): the widget then needs no checker of its own.
pub const CHECKED_HEADER: &str = "leadmagnet-checked";

/// Whether the URL path (percent-encoded, as requested) names a regular file inside
/// `root` (or a folder there with an `index.html`): no segment starting with a dot, and
/// the real path, every link followed, inside the real root.
pub fn servable(root: &Path, url_path: &str) -> bool {
    let Some(decoded) = percent_decode(url_path) else {
        return false;
    };
    let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .iter()
        .any(|s| s.starts_with('.') || s.contains('\\') || s.contains('\0'))
    {
        return false;
    }
    let Ok(real_root) = root.canonicalize() else {
        return false;
    };
    let mut path = real_root.join(segments.join("/"));
    if path.is_dir() {
        path.push("index.html");
    }
    path.canonicalize()
        .is_ok_and(|real| real.starts_with(&real_root) && real.is_file())
}

/// `%XX` escapes decoded; `None` for a broken escape or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn router(www: &Path, catalogue: std::sync::Arc<crate::offers::Offers>) -> Router {
    // The widget build writes `.br` and `.gz` beside each file in dist/ (brotli -11, the
    // sizes `make size` reports); other files are compressed on the fly.
    let files = ServeDir::new(www)
        .append_index_html_on_directories(true)
        .precompressed_br()
        .precompressed_gzip();
    // The offer folder the collector reads (`--offers`), so that a config it checks leads
    // against is the one pages load, wherever the folder is.
    let offers = catalogue.dir().to_owned();
    let offers_dir = offers.clone();
    Router::new()
        .route(
            "/offers/{*name}",
            axum::routing::get(
                move |axum::extract::Path(name): axum::extract::Path<String>| {
                    offer_config(offers.clone(), name, catalogue.clone())
                },
            ),
        )
        .fallback_service(files)
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(headers))
        .layer(middleware::from_fn_with_state(
            (www.to_owned(), offers_dir),
            only_regular_files_inside,
        ))
}

/// 404 for anything [`servable`] refuses, before `ServeDir` looks (it follows links).
async fn only_regular_files_inside(
    axum::extract::State((www, offers)): axum::extract::State<(
        std::path::PathBuf,
        std::path::PathBuf,
    )>,
    request: Request,
    next: Next,
) -> Response {
    use axum::response::IntoResponse;
    let path = request.uri().path().to_owned();
    // `/offers/…` is the offer folder (`--offers`), wherever it is.
    let ok = tokio::task::spawn_blocking(move || match path.strip_prefix("/offers/") {
        Some(rest) => servable(&offers, rest),
        None => servable(&www, &path),
    })
    .await
    .unwrap_or(false);
    if ok {
        next.run(request).await
    } else {
        (axum::http::StatusCode::NOT_FOUND, "not found\n").into_response()
    }
}

/// An offer config from `www/offers/`, checked on every request (configs are small, and
/// an edit shows at once). A valid config carries [`CHECKED_HEADER`]; an invalid one is
/// served as it is, without it, so the widget's checker names its problems in the
/// browser console where the marketer looks.
///
/// A valid config with `account_scoring` is served with the account-wide model's `scoring`
/// section in place (the widget's preliminary score is then the model's); it still carries
/// the header, for the config as written passed every check.
async fn offer_config(
    dir: std::path::PathBuf,
    name: String,
    catalogue: std::sync::Arc<crate::offers::Offers>,
) -> Response {
    use axum::response::IntoResponse;
    let safe = name.ends_with(".json")
        && name
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.'));
    let text = match safe {
        true => tokio::fs::read_to_string(dir.join(&name)).await.ok(),
        false => None,
    };
    // Links out of the folder were refused by `only_regular_files_inside` around this.
    let Some(text) = text else {
        return (axum::http::StatusCode::NOT_FOUND, "no such offer config\n").into_response();
    };
    let parsed = leadmagnet_core::parse_offer(&text).ok();
    let checked = parsed.is_some();
    let text = match parsed.as_ref().filter(|c| c.account_scoring) {
        Some(config) => with_account_scoring(&text, catalogue.scoring_of(config)).unwrap_or(text),
        None => text,
    };
    let mut response = (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        text,
    )
        .into_response();
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(CHECKED_HEADER),
    );
    if checked {
        h.insert(CHECKED_HEADER, HeaderValue::from_static("1"));
    }
    response
}

/// The config text with `scoring` set to the model's section; `None` without a model.
pub(crate) fn with_account_scoring(
    text: &str,
    scoring: Option<leadmagnet_core::scoring::Scoring>,
) -> Option<String> {
    let mut config: serde_json::Value = serde_json::from_str(text).ok()?;
    config
        .as_object_mut()?
        .insert("scoring".into(), serde_json::to_value(scoring?).ok()?);
    serde_json::to_string_pretty(&config).ok()
}

/// The policy of a served file a browser could open as a document with scripts (SVG, XML):
/// no script, no requests, styles and inline images only.
pub const DOCUMENT_SANDBOX: &str =
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";

async fn headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let is_html = content_type.starts_with("text/html");
    let h = response.headers_mut();
    // Every text file here is UTF-8; without the label a browser may guess otherwise
    // (and the demo pages hold German text).
    let text = content_type.starts_with("text/") || content_type.starts_with("image/svg+xml");
    if text && !content_type.contains("charset") {
        if let Ok(labelled) = HeaderValue::from_str(&format!("{content_type}; charset=utf-8")) {
            h.insert(header::CONTENT_TYPE, labelled);
        }
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if is_html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&PAGE_CSP)
                .unwrap_or(HeaderValue::from_static("default-src 'self'")),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return response;
    }
    // An SVG or XML file opened as a document runs its scripts with this origin — the
    // inbox's and the studio's, whose session it could use. Sandboxed, it runs none (as an
    // image, it never did). PDFs stay viewable: the sandbox would block the viewer.
    let scriptable = [
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "application/xhtml+xml",
    ]
    .iter()
    .any(|t| content_type.starts_with(t));
    if scriptable {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCUMENT_SANDBOX),
        );
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    // The two loaders keep their names across releases (pages name them): a short cache.
    // Everything else in dist/ is named by its content.
    let stable = matches!(
        path.as_str(),
        "/dist/leadmagnet.js"
            | "/dist/leadmagnet-full.js"
            | "/dist/studio.js"
            | "/dist/studio-preview.js"
    );
    let cache = if stable {
        "public, max-age=300"
    } else if path.starts_with("/dist/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
