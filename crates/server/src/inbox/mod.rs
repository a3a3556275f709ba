//! The inbox at `/inbox`, for marketing and sales: people (one row per person, their
//! score, trend, stage and SLA; a person's page with one timeline and the moves open to
//! them) and leads (each submission), in German or English, server-rendered HTML whose
//! one script (allowed by its hash) shows times in the reader's zone, behind a login with
//! the admin token or a user's token.
//!
//! - Login: the token, compared in constant time, starts a session (a random id in an
//!   `HttpOnly`, `SameSite=Strict` cookie, `Secure` when the request came over HTTPS
//!   through a trusted proxy). Sessions are rows in the database (only the id's SHA-256),
//!   so a restart keeps them and every collector sharing the database serves them; they
//!   last 12 hours or until logout. Each has its own CSRF token, required by every form
//!   that changes something; the login form has one too (a cookie it must match), and
//!   failed logins are throttled per client (429 with `Retry-After`).
//! - The list (filters: offer, stage, quarantined; newest first) with grade, matrix, queue,
//!   SLA state, and links to the CSV export; a lead's page with its fields, both scores
//!   and the breakdown, attribution, events, consent record, flags, forwarding and stage
//!   history, and the moves open to it.
//! - Every stored value is escaped by type (maud templates): whatever a visitor typed
//!   shows as text.
//!
//! # Layout
//! - `session`: login, the session cookie and its CSRF token, log-out.
//! - `views`: every page's HTML (maud), and the headers every inbox answer carries.
//! - `handlers`: people and a person, the leads list and a lead, stage moves (of people
//!   and of leads), erasure, the CSV exports.

pub(crate) mod analytics;
mod handlers;
pub(crate) mod session;
pub(crate) mod views;

pub use handlers::{
    contact, contacts, detail, erase, export, export_contacts, list, move_contact, move_stage,
};
pub use session::{login, logout, over_https, read_users, user_for, User};
pub use views::{with_lang, INBOX_CSP};

use std::net::SocketAddr;

/// The peer's address when the server provides it (tests through `oneshot` do not).
pub struct ConnectInfoOpt(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ConnectInfoOpt {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ConnectInfoOpt(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}
