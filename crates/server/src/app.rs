//! The router and the server loop, apart from `main` so tests drive them directly.

use crate::inbox::{Sessions, User};
use crate::limits::{InFlight, RateLimit};
use crate::offers::Offers;
use crate::spam::Challenges;
use crate::store::Store;
use crate::{api, assets, inbox};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::routing::{any, get, post};
use axum::Router;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
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
    /// The offer configs leads are checked and scored against (`--offers`).
    pub offers: Arc<Offers>,
    /// Lead submissions per client and minute.
    pub rate_limit: Arc<RateLimit>,
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<[IpAddr]>,
    /// Leads being stored right now, by `lead_id`.
    pub in_flight: Arc<InFlight>,
    /// The proof-of-work challenges and the fill-time rule (`spam`).
    pub challenges: Arc<Challenges>,
    /// Logged-in inbox sessions.
    pub sessions: Arc<Sessions>,
    /// Inbox users besides the admin (`--users`): names and token hashes.
    pub users: Arc<[User]>,
}

/// Submissions per client and minute when `--rate-limit` is not given.
pub const DEFAULT_RATE_LIMIT: u32 = 60;
/// The proof of work's range (`--proof-of-work`): ~50,000 hashes on average, a few tens of
/// milliseconds in the widget.
pub const DEFAULT_POW_MAX_NUMBER: u32 = 100_000;
/// Leads sent sooner after their challenge was issued are quarantined (`--min-fill-seconds`).
pub const DEFAULT_MIN_FILL_SECONDS: u64 = 3;

/// A random HMAC key for this process (LEADMAGNET_CHALLENGE_SECRET sets a shared one).
pub fn random_key() -> Vec<u8> {
    let mut key = vec![0u8; 32];
    // Without randomness the key stays zeros: challenges still work on one instance,
    // and the collector's start-up has already drawn randomness for other purposes.
    let _ = getrandom::fill(&mut key);
    key
}

impl AppState {
    /// A state with the default rate limit and no trusted proxy.
    pub fn new(
        store: Store,
        admin_token: &str,
        allowed_origins: Vec<String>,
        www: PathBuf,
        offers: Arc<Offers>,
    ) -> AppState {
        AppState {
            store,
            admin_token: admin_token.into(),
            allowed_origins: allowed_origins.into(),
            www,
            offers,
            rate_limit: Arc::new(RateLimit::new(DEFAULT_RATE_LIMIT)),
            trusted_proxies: Arc::from(Vec::new()),
            in_flight: Arc::default(),
            challenges: Arc::new(Challenges::new(
                &random_key(),
                DEFAULT_POW_MAX_NUMBER,
                DEFAULT_MIN_FILL_SECONDS * 1000,
            )),
            sessions: Arc::default(),
            users: Arc::from(Vec::new()),
        }
    }
}

/// The whole HTTP surface: the collector API, and everything else from `www/`.
pub fn app(state: AppState) -> Router {
    // Preflights name no offer: an origin gets a grant when it is the collector's own or
    // on --allow-origin, or when some offer lists it; the POST itself is then checked
    // against its offer (api::create_lead).
    let global = state.allowed_origins.clone();
    let offers = state.offers.clone();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origin
                .to_str()
                .is_ok_and(|o| global.iter().any(|g| g == o) || offers.any_allows(o))
        }))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("idempotency-key"),
        ])
        .max_age(std::time::Duration::from_secs(600));
    let api = Router::new()
        .route(
            "/api/v1/leads",
            get(api::list_leads)
                .post(api::create_lead)
                .delete(api::erase),
        )
        .route("/api/v1/leads.csv", get(api::export_csv))
        .route("/api/v1/leads/{lead_id}/stage", post(api::move_stage))
        .route("/api/v1/stats", get(api::stats))
        .route("/api/v1/challenge", get(api::new_challenge))
        .route("/api/{*rest}", any(api::not_found))
        .layer(api::body_limit())
        .layer(cors)
        .with_state(state.clone());
    let inbox = Router::new()
        .route("/inbox", get(inbox::list))
        .route("/inbox/login", post(inbox::login))
        .route("/inbox/leads/{lead_id}", get(inbox::detail))
        .route("/inbox/leads/{lead_id}/stage", post(inbox::move_stage))
        .route("/inbox/erase", post(inbox::erase))
        .route("/inbox/export.csv", get(inbox::export))
        .with_state(state.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(inbox)
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
    // The peer's address is the client's for the rate limit (see limits::client_ip).
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
