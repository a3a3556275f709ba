//! The router and the server loop, apart from `main` so tests drive them directly.

use crate::store::Store;
use crate::{api, assets};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::routing::{any, get};
use axum::Router;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// What every request handler may use.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Bearer token for reading leads; compared in constant time.
    pub admin_token: Arc<str>,
    /// Origins whose pages may POST leads and read answers (CORS).
    pub allowed_origins: Arc<[String]>,
    /// Folder with the demo pages, offers and the built widget (`www/`).
    pub www: PathBuf,
}

/// The whole HTTP surface: the collector API, and everything else from `www/`.
pub fn app(state: AppState) -> Router {
    let origins: Vec<HeaderValue> = state
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("idempotency-key"),
        ])
        .max_age(std::time::Duration::from_secs(600));
    let api = Router::new()
        .route("/api/v1/leads", get(api::list_leads).post(api::create_lead))
        .route("/api/{*rest}", any(api::not_found))
        .layer(api::body_limit())
        .layer(cors)
        .with_state(state.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(api)
        .merge(assets::router(&state.www))
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then lets requests in
/// flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
