//! The Leadmagnet collector: a thin shell around the core crate.
//!
//! # Layout
//! - [`cli`]: the `leadmagnet` command line (`serve`), start-up checks and messages.
//! - [`app`]: `app(state) -> Router`, the whole HTTP surface, and [`serve`] which runs
//!   it on a listener it is given (tests bind port 0).
//! - [`api`]: the collector API (`POST`/`GET /api/v1/leads`) and its JSON errors.
//! - [`assets`]: the demo pages and widget files from `www/`, with the headers
//!   embedding needs (wasm MIME, CORS for assets, strict CSP for our own pages).
//! - [`store`]: leads in SQLite through sqlx, migrations from `migrations/`.

pub mod api;
pub mod assets;
pub mod cli;
pub mod store;

mod app;
pub use app::{app, serve, AppState};
