//! The router and the server loop, apart from `main` so tests drive them directly.

use crate::inbox::User;
use crate::limits::{InFlight, RateLimit, Throttle};
use crate::offers::Offers;
use crate::spam::Challenges;
use crate::store::Store;
use crate::{api, assets, inbox};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::routing::{any, get, post};
use axum::Router;
use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
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
    /// Event batches per client and minute (`EVENT_BATCHES_PER_LEAD` × the lead limit).
    pub event_rate_limit: Arc<RateLimit>,
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<[IpAddr]>,
    /// Leads being stored right now, by `lead_id`.
    pub in_flight: Arc<InFlight>,
    /// The proof-of-work challenges and the fill-time rule (`spam`).
    pub challenges: Arc<Challenges>,
    /// Failed logins and admin tokens per client (inbox sessions are in the store).
    pub auth_failures: Arc<Throttle>,
    /// Inbox users besides the admin (`--users`): names and token hashes.
    pub users: Arc<[User]>,
}

/// Failed logins or admin tokens a client may make per window before it must wait.
pub const AUTH_FAILURES: u32 = 10;
pub const AUTH_FAILURE_WINDOW_SECONDS: u64 = 300;

/// Submissions per client and minute when `--rate-limit` is not given.
pub const DEFAULT_RATE_LIMIT: u32 = 60;
/// A browser sends about two event batches per page view (one as it opens, one as it
/// closes): event batches may come this many times as often as leads.
pub const EVENT_BATCHES_PER_LEAD: u32 = 4;
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
            event_rate_limit: Arc::new(RateLimit::new(DEFAULT_RATE_LIMIT * EVENT_BATCHES_PER_LEAD)),
            trusted_proxies: Arc::from(Vec::new()),
            in_flight: Arc::default(),
            challenges: Arc::new(Challenges::new(
                &random_key(),
                DEFAULT_POW_MAX_NUMBER,
                DEFAULT_MIN_FILL_SECONDS * 1000,
            )),
            auth_failures: Arc::new(Throttle::new(
                AUTH_FAILURES,
                std::time::Duration::from_secs(AUTH_FAILURE_WINDOW_SECONDS),
            )),
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
        // A page on another origin reads an answer's Retry-After only when it is exposed:
        // the outbox waits as long as a 429 or 503 asks.
        .expose_headers([header::RETRY_AFTER])
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
        .route("/api/v1/contacts", get(api::contacts::list_contacts))
        .route("/api/v1/contacts.csv", get(api::contacts::export_csv))
        .route(
            "/api/v1/contacts/{contact_id}",
            get(api::contacts::get_contact),
        )
        .route(
            "/api/v1/contacts/{contact_id}/stage",
            post(api::contacts::move_contact),
        )
        .route("/api/v1/events", post(api::engagement::add_events))
        .route("/api/v1/counts", post(api::analytics::add_counts))
        .route(
            "/api/v1/offers/{offer_id}/report",
            get(api::analytics::report),
        )
        .route(
            "/api/v1/offers/{offer_id}/report.csv",
            get(api::analytics::report_csv),
        )
        .route("/api/v1/stats", get(api::stats))
        .route("/api/v1/challenge", get(api::new_challenge))
        .route("/api/v1/test/clock", post(api::move_clock))
        .route("/api/{*rest}", any(api::not_found))
        .layer(api::body_limit())
        .layer(cors)
        .with_state(state.clone());
    let inbox = Router::new()
        .route("/inbox", get(inbox::list))
        .route("/inbox/login", post(inbox::login))
        .route("/inbox/logout", post(inbox::logout))
        .route("/inbox/leads/{lead_id}", get(inbox::detail))
        .route("/inbox/contacts", get(inbox::contacts))
        .route("/studio", get(crate::studio::page))
        .route("/studio/preview", get(crate::studio::preview_page))
        .route(
            "/studio/schema/offer.v1.json",
            get(crate::studio::offer_schema),
        )
        .route("/studio/sink/{*rest}", any(crate::studio::sink))
        .route("/schema/{file}", get(crate::studio::schema_file))
        .route("/studio/api/fields", post(crate::studio::fields))
        .route("/studio/api/check", post(crate::studio::check))
        .route("/studio/api/simulate", post(crate::studio::simulate))
        .route("/studio/api/templates", get(crate::studio::templates))
        .route("/studio/api/offers", get(crate::studio::offers))
        .route(
            "/studio/api/offers/{file}",
            get(crate::studio::offer).post(crate::studio::publish),
        )
        .route(
            "/studio/api/offers/{file}/history",
            get(crate::studio::history),
        )
        .route(
            "/studio/api/offers/{file}/rollback",
            post(crate::studio::rollback),
        )
        .route("/inbox/offers", get(inbox::analytics::offers))
        .route("/inbox/offers/{offer_id}", get(inbox::analytics::report))
        .route("/inbox/contacts.csv", get(inbox::export_contacts))
        .route("/inbox/contacts/{contact_id}", get(inbox::contact))
        .route(
            "/inbox/contacts/{contact_id}/stage",
            post(inbox::move_contact),
        )
        .route("/inbox/leads/{lead_id}/stage", post(inbox::move_stage))
        .route("/inbox/erase", post(inbox::erase))
        .route("/inbox/export.csv", get(inbox::export))
        .layer(axum::middleware::from_fn(inbox::with_lang))
        .with_state(state.clone());
    // Server-rendered offers: the fragment for any page (its own CORS: `*`, with the
    // render key exposed) and the thank-you after a form posted without script.
    let rendered = Router::new()
        .route("/fragments/{*file}", get(crate::rendered::fragment))
        .route("/forms/{offer_id}/thanks", get(crate::rendered::thanks))
        .with_state(state.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(rendered)
        .merge(inbox)
        .merge(api)
        .merge(assets::router(&state.www, state.offers.clone()))
        .layer(axum::middleware::from_fn(api::refuse_nul))
}

/// How the server treats connections: a slow or idle client, a flood of connections and a
/// shutdown each end within a bound, so that none can exhaust the process's file
/// descriptors (which the store and the offer folder need too) or hang a restart.
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// A client must send a request's whole header within this time of the connection's
    /// first byte, or of the previous response on a kept-alive connection (slowloris,
    /// idle keep-alive connections).
    pub header_read_timeout: Duration,
    /// And its whole body within this time of the header.
    pub body_read_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog, unaccepted.
    pub max_connections: usize,
    /// After `shutdown`, requests in flight get this long to finish; then the server
    /// returns and open connections are dropped.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> ServeLimits {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: default_max_connections(open_files_limit()),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The process's open-file limit (Linux: `/proc/self/limits`), when it can be read.
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Connections to allow with `limit` file descriptors: all but 256 kept for the database,
/// the offer folder, the widget files and forwarding, at most 10,000 (and at least 16).
pub fn default_max_connections(limit: Option<u64>) -> usize {
    let limit = limit.unwrap_or(1024);
    usize::try_from(limit.saturating_sub(256).clamp(16, 10_000)).unwrap_or(16)
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, with the default
/// [`ServeLimits`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, ServeLimits::default()).await
}

/// Serves `app(state)` on `listener` (HTTP/1.1) within `limits` until `shutdown`
/// resolves, then lets requests in flight finish for at most `limits.shutdown_grace`.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ServeLimits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let router = app(state).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_read_timeout,
    ));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        // A slot first: at the cap, connections wait in the kernel's backlog and hold no
        // descriptor of this process.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors (EMFILE/ENFILE) or a connection reset before it
                    // was accepted: wait a little, never end the server for it.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                tower::ServiceExt::oneshot(router.clone(), request.map(axum::body::Body::new))
            },
        );
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that went away or timed out ends its own connection, nothing else.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_seconds = limits.shutdown_grace.as_secs(),
            "connections still open after the shutdown grace were dropped"
        );
    }
    Ok(())
}
