//! Sessions: who is logged in. The login (the admin token or a user's, compared in constant
//! time; failures throttled per client), the session cookie (a random id; only its SHA-256
//! is stored, in the database, so a restart or a second collector keeps it), the CSRF
//! token every changing form carries, and the log-out.

use super::views;
use super::ConnectInfoOpt;
use crate::limits::client_ip;
use crate::AppState;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Instant;
use subtle::ConstantTimeEq;

const SESSION_HOURS: u64 = 12;
const COOKIE: &str = "lm_inbox";

/// An inbox user from `--users`: a name, and the SHA-256 (hex) of their token, so the
/// users file holds no secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    pub token_sha256: String,
    /// May write and publish offers in the studio (`/studio`); the admin always may.
    #[serde(default)]
    pub marketer: bool,
}

/// Reads a users file: `{"users": [{"name": "ann@sales.example", "token_sha256": "…",
/// "marketer"?: true}]}`.
pub fn read_users(text: &str) -> Result<Vec<User>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        users: Vec<User>,
    }
    let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
    for (i, user) in file.users.iter().enumerate() {
        if user.name.trim().is_empty() {
            return Err(format!("users[{i}].name is empty"));
        }
        if user.name.trim() == ADMIN {
            return Err(format!(
                "users[{i}].name is \"{ADMIN}\", the admin token's own name: choose another"
            ));
        }
        if user.token_sha256.len() != 64
            || !user.token_sha256.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(format!(
                "users[{i}].token_sha256 is not 64 hex digits: put the SHA-256 of the user's token there (e.g. `printf %s \"$TOKEN\" | sha256sum`), never the token"
            ));
        }
    }
    Ok(file.users)
}

/// The session user of the admin token.
pub const ADMIN: &str = "admin";

/// Who a login token belongs to: `admin` for the admin token, else the user whose token
/// hash it matches (each compared in constant time).
pub fn user_for(state: &AppState, token: &str) -> Option<String> {
    if token.is_empty() {
        return None;
    }
    if bool::from(token.as_bytes().ct_eq(state.admin_token.as_bytes())) {
        return Some(ADMIN.into());
    }
    let hash = leadmagnet_core::pow::hex(&leadmagnet_core::pow::sha256(token.as_bytes()));
    state
        .users
        .iter()
        .find(|u| {
            bool::from(
                u.token_sha256
                    .to_ascii_lowercase()
                    .as_bytes()
                    .ct_eq(hash.as_bytes()),
            )
        })
        .map(|u| u.name.clone())
}

/// The cookie holding the login form's CSRF token until the login.
const LOGIN_COOKIE: &str = "lm_login";

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// 32 random bytes as hex, or `None` without randomness.
fn random_hex() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(leadmagnet_core::pow::hex(&bytes))
}

fn sha256_hex(text: &str) -> String {
    leadmagnet_core::pow::hex(&leadmagnet_core::pow::sha256(text.as_bytes()))
}

/// The value of cookie `name` in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// A `Set-Cookie` value for the inbox and the studio (`/studio`, which shares its
/// session): `HttpOnly`, `SameSite=Strict`, `Path=/`, and `Secure` when the request came
/// over HTTPS (`max_age` 0 deletes the cookie). The widget's own requests never send it
/// (leads and counts go without credentials).
fn set_cookie(secure: bool, name: &str, value: &str, max_age: u64) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// Whether the request reached the proxy in front of the collector over HTTPS: only a
/// trusted proxy's `X-Forwarded-Proto` (or `Forwarded: proto=`) is believed; the collector
/// itself speaks plain HTTP.
pub fn over_https(state: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> bool {
    let Some(peer) = peer else { return false };
    if !state.trusted_proxies.contains(&peer.ip()) {
        return false;
    }
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next_back())
        .map(|v| v.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get("forwarded")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next_back())
        .map(|v| {
            v.split(';').any(|kv| {
                kv.trim()
                    .to_ascii_lowercase()
                    .strip_prefix("proto=")
                    .is_some_and(|p| p.trim_matches('"') == "https")
            })
        });
    forwarded_proto.or(forwarded).unwrap_or(false)
}

/// The request's live session as (CSRF token, user); `Err` is the page to answer when the
/// session store cannot be read (503: a lost database connection logs no one out).
pub async fn session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(String, String)>, Box<Response>> {
    let Some(id) = cookie(headers, COOKIE) else {
        return Ok(None);
    };
    state
        .store
        .session(&sha256_hex(&id), now_s())
        .await
        .map_err(|_| {
            Box::new(views::message(
                StatusCode::SERVICE_UNAVAILABLE,
                views::t("Inbox", "Inbox"),
                views::t(
                    "The lead store is unavailable; try again in a moment.",
                    "Der Lead-Speicher ist nicht erreichbar; versuchen Sie es gleich noch einmal.",
                ),
            ))
        })
}

/// The login form with a fresh CSRF token, set in a cookie it must match on `POST`
/// (a page elsewhere cannot log a visitor into an account of its choosing).
pub fn login_form(secure: bool, status: StatusCode, message: &str) -> Response {
    login_form_to(secure, status, message, "")
}

/// Where a login may lead back to: a page of the inbox or the studio (with its query), on
/// this collector — never elsewhere (no open redirect). Anything else is the inbox.
pub fn destination(then: &str) -> &str {
    let (path, query) = then.split_once('?').unwrap_or((then, ""));
    let ours = ["/inbox", "/studio"].iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    });
    let plain = |s: &str, extra: &[u8]| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b) || extra.contains(&b))
    };
    if ours
        && !path.contains("//")
        && !path.contains("..")
        && plain(path, b"")
        && plain(query, b"=&%")
    {
        then
    } else {
        "/inbox"
    }
}

/// The login form that leads back to `then` (see [`destination`]) once logged in.
pub fn login_form_to(secure: bool, status: StatusCode, message: &str, then: &str) -> Response {
    let Some(token) = random_hex() else {
        return views::message(
            StatusCode::SERVICE_UNAVAILABLE,
            views::t("Log in", "Anmelden"),
            views::t(
                "No randomness for a login form.",
                "Kein Zufall für ein Anmeldeformular verfügbar.",
            ),
        );
    };
    let mut response = views::page(
        status,
        views::t("Log in", "Anmelden"),
        views::login(message, &token, then),
    );
    if let Some(cookie) = set_cookie(secure, LOGIN_COOKIE, &token, 3600) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The request's session as (CSRF token, user), or the page to answer instead: the login
/// form without a session, 503 when the session store cannot be read.
pub async fn signed_in(
    state: &AppState,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Result<(String, String), Response> {
    match session(state, headers).await {
        Ok(Some(live)) => Ok(live),
        Ok(None) => Err(log_in(state, peer, headers)),
        Err(unavailable) => Err(*unavailable),
    }
}

/// The login form for a request without a session.
pub fn log_in(state: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> Response {
    login_form(over_https(state, peer, headers), StatusCode::OK, "")
}

#[derive(Deserialize)]
pub struct Login {
    token: String,
    #[serde(default)]
    csrf: String,
    /// The page to go back to (the studio's login sends it), see [`destination`].
    #[serde(default)]
    then: String,
}

/// `POST /inbox/login`: the admin token, or a user's token (`--users`), starts a session.
/// The form's CSRF token must match its cookie; failures count against the client
/// (`limits::Throttle`), which is refused for a while after too many.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    Form(form): Form<Login>,
) -> Response {
    let secure = over_https(&state, peer, &headers);
    let client = client_ip(peer, &headers, &state.trusted_proxies);
    if let Some(wait) = client.and_then(|c| state.auth_failures.blocked(c, Instant::now())) {
        let mut response = login_form_to(
            secure,
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "{} {wait} s.",
                views::t(
                    "Too many failed logins from your address: try again in",
                    "Zu viele fehlgeschlagene Anmeldungen von Ihrer Adresse: erneut versuchen in",
                )
            ),
            &form.then,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return response;
    }
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if form.csrf.is_empty() || !bool::from(form.csrf.as_bytes().ct_eq(expected.as_bytes())) {
        return login_form_to(
            secure,
            StatusCode::FORBIDDEN,
            views::t("This login form has expired (or came from another site): log in again here.", "Dieses Anmeldeformular ist abgelaufen (oder kam von einer anderen Seite): melden Sie sich hier erneut an."),
            &form.then,
        );
    }
    let Some(user) = user_for(&state, &form.token) else {
        if let Some(c) = client {
            state.auth_failures.failed(c, Instant::now());
        }
        return login_form_to(
            secure,
            StatusCode::UNAUTHORIZED,
            views::t("That token is not right.", "Dieses Token stimmt nicht."),
            &form.then,
        );
    };
    let (Some(id), Some(csrf)) = (random_hex(), random_hex()) else {
        return views::message(
            StatusCode::SERVICE_UNAVAILABLE,
            views::t("Log in", "Anmelden"),
            views::t(
                "No randomness for a session.",
                "Kein Zufall für eine Sitzung verfügbar.",
            ),
        );
    };
    let expires = now_s() + (SESSION_HOURS * 3600) as i64;
    if state
        .store
        .start_session(&sha256_hex(&id), &user, &csrf, expires)
        .await
        .is_err()
    {
        return views::message(
            StatusCode::SERVICE_UNAVAILABLE,
            views::t("Log in", "Anmelden"),
            views::t(
                "The lead store is unavailable; try again in a moment.",
                "Der Lead-Speicher ist nicht erreichbar; versuchen Sie es gleich noch einmal.",
            ),
        );
    }
    let mut response = Redirect::to(destination(&form.then)).into_response();
    for cookie in [
        set_cookie(secure, COOKIE, &id, SESSION_HOURS * 3600),
        set_cookie(secure, LOGIN_COOKIE, "", 0),
    ]
    .into_iter()
    .flatten()
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Deserialize)]
pub struct Logout {
    csrf: String,
}

/// `POST /inbox/logout` (CSRF-checked): ends the session everywhere and clears its cookie.
pub async fn logout(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    Form(form): Form<Logout>,
) -> Response {
    if let Err(refused) = posted_by(&state, &headers, &form.csrf, "").await {
        return *refused;
    }
    if let Some(id) = cookie(&headers, COOKIE) {
        if state.store.end_session(&sha256_hex(&id)).await.is_err() {
            return views::message(
                StatusCode::SERVICE_UNAVAILABLE,
                views::t("Log out", "Abmelden"),
                views::t("The lead store is unavailable; you are still logged in. Try again in a moment.", "Der Lead-Speicher ist nicht erreichbar; Sie sind noch angemeldet. Versuchen Sie es gleich noch einmal."),
            );
        }
    }
    let mut response = Redirect::to("/inbox").into_response();
    if let Some(cookie) = set_cookie(over_https(&state, peer, &headers), COOKIE, "", 0) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The logged-in user behind a form that changes something, if the form carries the
/// session's CSRF token (compared in constant time); else the page that refuses it
/// (`then` ends the log-in-again message).
pub async fn posted_by(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    then: &str,
) -> Result<String, Box<Response>> {
    let Some((session_csrf, user)) = session(state, headers).await? else {
        return Err(Box::new(login_form(
            false,
            StatusCode::UNAUTHORIZED,
            &format!(
                "{}{then}.",
                views::t(
                    "Your session has ended: log in again",
                    "Ihre Sitzung ist abgelaufen: melden Sie sich erneut an",
                )
            ),
        )));
    };
    if !bool::from(csrf.as_bytes().ct_eq(session_csrf.as_bytes())) {
        return Err(Box::new(views::message(
            StatusCode::FORBIDDEN,
            views::t("Refused", "Abgelehnt"),
            views::t(
                "This form has expired; open the page again.",
                "Dieses Formular ist abgelaufen; öffnen Sie die Seite erneut.",
            ),
        )));
    }
    Ok(user)
}
