//! The Leadmagnet collector: a thin shell around the core crate.
//!
//! # Layout
//! - [`cli`]: the `leadmagnet` command line, start-up checks and messages.
//! - [`commands`]: the offline commands `validate`, `schema`, `score`, `fields`.
//! - [`app`]: `app(state) -> Router`, the whole HTTP surface, and [`serve`] which runs
//!   it on a listener it is given (tests bind port 0).
//! - [`api`]: the collector API (`POST`/`GET /api/v1/leads`) and its JSON errors.
//! - [`assets`]: the demo pages and widget files from `www/`, with the headers
//!   embedding needs (wasm MIME, CORS for assets, strict CSP for our own pages).
//! - [`rendered`]: server-rendered offers (the widget's component by yew's server
//!   renderer, in a declarative shadow root) and forms posted without script.
//! - [`offers`]: the offer configs leads are checked against, reloaded on change.
//! - [`limits`]: the per-client rate limit, client addresses behind proxies, leads in flight.
//! - [`spam`]: the proof-of-work challenge, the fill time and the honeypot (quarantine).
//! - [`inbox`]: the `/inbox` pages for marketing and sales (login, list, lead, moves, CSV).
//! - [`forward`]: server-side forwarding to HubSpot and signed webhooks, from the
//!   database outbox, with retries.
//! - [`store`]: leads in SQLite through sqlx, migrations from `migrations/`.
//! - [`domains`]: the full free-mail and disposable domain lists (`data/`).

pub mod api;
pub mod assets;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod domains;
pub mod forward;
pub mod handover;
pub mod inbox;
pub mod limits;
pub mod offers;
pub mod rendered;
pub mod spam;
pub mod store;
pub mod studio;

mod app;
pub use app::{
    app, default_max_connections, open_files_limit, random_key, serve, serve_with, AppState,
    ServeLimits, AUTH_FAILURES, AUTH_FAILURE_WINDOW_SECONDS, DEFAULT_MIN_FILL_SECONDS,
    DEFAULT_POW_MAX_NUMBER, DEFAULT_RATE_LIMIT, EVENT_BATCHES_PER_LEAD,
};
