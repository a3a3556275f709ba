//! Static files from `www/`: the demo pages, offer configs and the built widget.
//!
//! Embedding on other origins needs the widget files and offer configs readable
//! cross-origin (`Access-Control-Allow-Origin: *`: they are public) and the wasm served
//! as `application/wasm`. Content-hashed files never change, so they are cached forever;
//! the loader `leadmagnet.js` keeps a stable name and a short cache life.
//! Our own HTML pages get a strict CSP, proving the widget runs under one. Everything is
//! sent compressed when the browser accepts it.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::path::Path;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// The CSP of our own pages: what a strict customer page allows, and no more.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Response header saying the collector checked the offer config it serves (with the full
/// core checks, `leadmagnet validate`'s): the widget then needs no checker of its own.
pub const CHECKED_HEADER: &str = "leadmagnet-checked";

pub fn router(www: &Path) -> Router {
    // The widget build writes `.br` and `.gz` beside each file in dist/ (brotli -11, the
    // sizes `make size` reports); other files are compressed on the fly.
    let files = ServeDir::new(www)
        .append_index_html_on_directories(true)
        .precompressed_br()
        .precompressed_gzip();
    let offers = www.join("offers");
    Router::new()
        .route(
            "/offers/{*name}",
            axum::routing::get(
                move |axum::extract::Path(name): axum::extract::Path<String>| {
                    offer_config(offers.clone(), name)
                },
            ),
        )
        .fallback_service(files)
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(headers))
}

/// An offer config from `www/offers/`, checked on every request (configs are small, and
/// an edit shows at once). A valid config carries [`CHECKED_HEADER`]; an invalid one is
/// served as it is, without it, so the widget's checker names its problems in the
/// browser console where the marketer looks.
async fn offer_config(dir: std::path::PathBuf, name: String) -> Response {
    use axum::response::IntoResponse;
    let safe = name.ends_with(".json")
        && name
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.'));
    let text = match safe {
        true => tokio::fs::read_to_string(dir.join(&name)).await.ok(),
        false => None,
    };
    let Some(text) = text else {
        return (axum::http::StatusCode::NOT_FOUND, "no such offer config\n").into_response();
    };
    let checked = leadmagnet_core::parse_offer(&text).is_ok();
    let mut response = ([(header::CONTENT_TYPE, "application/json")], text).into_response();
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

async fn headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = response.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if is_html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return response;
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    let cache = if path.starts_with("/dist/") && path != "/dist/leadmagnet.js" {
        "public, max-age=31536000, immutable"
    } else if path == "/dist/leadmagnet.js" {
        "public, max-age=300"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
