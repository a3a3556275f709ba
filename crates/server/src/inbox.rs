//! The lead inbox at `/inbox`, for marketing and sales: server-rendered HTML without a line
//! of script (a strict CSP allows none), behind a login with the admin token.
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
//! - Every stored value is HTML-escaped: whatever a visitor typed shows as text.

use crate::api::{self, ListQuery};
use crate::limits::client_ip;
use crate::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;
use subtle::ConstantTimeEq;

/// The inbox pages' CSP: no scripts at all, styles only from the page itself.
pub const INBOX_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                             frame-ancestors 'none'; base-uri 'none'";
const SESSION_HOURS: u64 = 12;
const COOKIE: &str = "lm_inbox";

/// An inbox user from `--users`: a name, and the SHA-256 (hex) of their token, so the
/// users file holds no secret.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub name: String,
    pub token_sha256: String,
}

/// Reads a users file: `{"users": [{"name": "ann@sales.example", "token_sha256": "…"}]}`.
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
const ADMIN: &str = "admin";

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

/// A `Set-Cookie` value for the inbox: `HttpOnly`, `SameSite=Strict`, `Path=/inbox`, and
/// `Secure` when the request came over HTTPS (`max_age` 0 deletes the cookie).
fn set_cookie(secure: bool, name: &str, value: &str, max_age: u64) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/inbox; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
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
async fn session(
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
            Box::new(page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Inbox",
                "<p>The lead store is unavailable; try again in a moment.</p>",
            ))
        })
}

/// `&`, `<`, `>`, `"` and `'` as entities: stored values are text, never markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Leadmagnet inbox</title><style>{STYLE}</style></head><body>\
         <header><strong>Leadmagnet inbox</strong> <a href=\"/inbox\">Leads</a></header>\
         <main>{body}</main></body></html>",
        escape(title)
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(INBOX_CSP),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24}\
header{padding:.75rem 1.25rem;background:#14213d;color:#fff}header a{color:#fff;margin-left:1rem}\
main{padding:1.25rem;max-width:72rem}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #dde2e8;vertical-align:top}\
.overdue{color:#a4000f;font-weight:600}.quarantine{color:#7a5200}\
form.inline{display:inline}label{margin-right:.75rem}pre{white-space:pre-wrap;word-break:break-word;\
background:#f5f7f9;padding:.5rem}button{font:inherit;padding:.25rem .75rem}";

/// The login form with a fresh CSRF token, set in a cookie it must match on `POST`
/// (a page elsewhere cannot log a visitor into an account of its choosing).
fn login_form(secure: bool, status: StatusCode, message: &str) -> Response {
    let note = if message.is_empty() {
        String::new()
    } else {
        format!("<p role=\"alert\">{}</p>", escape(message))
    };
    let Some(token) = random_hex() else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Log in",
            "<p>No randomness for a login form.</p>",
        );
    };
    let mut response = page(
        status,
        "Log in",
        &format!(
            "<h1>Log in</h1>{note}<form method=\"post\" action=\"/inbox/login\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
             <label for=\"token\">Your token</label> \
             <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required> \
             <button type=\"submit\">Log in</button></form>"
        ),
    );
    if let Some(cookie) = set_cookie(secure, LOGIN_COOKIE, &token, 3600) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The login form for a request without a session.
fn log_in(state: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> Response {
    login_form(over_https(state, peer, headers), StatusCode::OK, "")
}

#[derive(Deserialize)]
pub struct Login {
    token: String,
    #[serde(default)]
    csrf: String,
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
        let mut response = login_form(
            secure,
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many failed logins from your address: try again in {wait} s."),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return response;
    }
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if form.csrf.is_empty() || !bool::from(form.csrf.as_bytes().ct_eq(expected.as_bytes())) {
        return login_form(
            secure,
            StatusCode::FORBIDDEN,
            "This login form has expired (or came from another site): log in again here.",
        );
    }
    let Some(user) = user_for(&state, &form.token) else {
        if let Some(c) = client {
            state.auth_failures.failed(c, Instant::now());
        }
        return login_form(secure, StatusCode::UNAUTHORIZED, "That token is not right.");
    };
    let (Some(id), Some(csrf)) = (random_hex(), random_hex()) else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Log in",
            "<p>No randomness for a session.</p>",
        );
    };
    let expires = now_s() + (SESSION_HOURS * 3600) as i64;
    if state
        .store
        .start_session(&sha256_hex(&id), &user, &csrf, expires)
        .await
        .is_err()
    {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Log in",
            "<p>The lead store is unavailable; try again in a moment.</p>",
        );
    }
    let mut response = Redirect::to("/inbox").into_response();
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
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Log out",
                "<p>The lead store is unavailable; you are still logged in. Try again in a moment.</p>",
            );
        }
    }
    let mut response = Redirect::to("/inbox").into_response();
    if let Some(cookie) = set_cookie(over_https(&state, peer, &headers), COOKIE, "", 0) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// A 422 page when a form's text holds a NUL character, which no database here stores.
fn refuse_nul(texts: &[&str]) -> Option<Response> {
    texts.iter().any(|t| t.contains('\0')).then(|| {
        page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Refused",
            "<p>The form held a NUL character, which cannot be stored; nothing was changed.</p>",
        )
    })
}

/// The log-out button, on every page of a session.
fn logout_form(csrf: &str) -> String {
    format!(
        "<form class=\"inline logout\" method=\"post\" action=\"/inbox/logout\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Log out</button></form>",
        escape(csrf)
    )
}

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

/// The filters of an inbox page's query string; empty ones mean "all".
fn filters(params: &HashMap<String, String>) -> ListQuery {
    let given = |key: &str| params.get(key).filter(|v| !v.is_empty()).cloned();
    ListQuery {
        offer_id: given("offer_id"),
        quarantined: given("quarantined").map(|v| v == "true"),
        stage: given("stage"),
        limit: None,
    }
}

/// `GET /inbox`: the list, or the login form without a session.
pub async fn list(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let query = filters(&params);
    let (csrf, user) = match session(&state, &headers).await {
        Ok(Some(live)) => live,
        Ok(None) => return log_in(&state, peer, &headers),
        Err(unavailable) => return *unavailable,
    };
    let leads = match api::listed(&state, &query, 500).await {
        Ok(leads) => leads,
        Err(_) => {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Leads",
                "<p>The lead store is unavailable.</p>",
            )
        }
    };
    let selected = |a: Option<&str>, b: &str| if a == Some(b) { " selected" } else { "" };
    let offers: String = state
        .offers
        .ids()
        .iter()
        .map(|id| {
            format!(
                "<option{}>{}</option>",
                selected(query.offer_id.as_deref(), id),
                escape(id)
            )
        })
        .collect();
    let stages: String = leadmagnet_core::waterfall::STAGES
        .iter()
        .map(|s| {
            format!(
                "<option{}>{s}</option>",
                selected(query.stage.as_deref(), s)
            )
        })
        .collect();
    // Stage counts and conversion for the offer filtered on (or all offers).
    let counts = state
        .store
        .stage_counts(query.offer_id.as_deref())
        .await
        .unwrap_or_default();
    let (reached, conversion) = api::waterfall_counts(&counts);
    let rate = |key: &str| {
        conversion[key]
            .as_f64()
            .map_or("–".to_owned(), |r| format!("{:.0} %", r * 100.0))
    };
    let funnel = format!(
        "<table class=\"funnel\"><caption>Waterfall: leads that reached each stage</caption><tr>{}</tr><tr>{}</tr></table>\
         <p>Conversion: MQL → SAL {} · SAL → SQL {} · SQL → opportunity {} · opportunity → won {}</p>",
        leadmagnet_core::waterfall::STAGES
            .iter()
            .map(|s| format!("<th scope=\"col\">{s}</th>"))
            .collect::<String>(),
        leadmagnet_core::waterfall::STAGES
            .iter()
            .map(|s| format!("<td>{}</td>", reached[*s]))
            .collect::<String>(),
        rate("mql_to_sal"),
        rate("sal_to_sql"),
        rate("sql_to_opportunity"),
        rate("opportunity_to_won"),
    );
    let q = query.quarantined.map(|b| if b { "true" } else { "false" });
    let mut rows = String::new();
    for lead in &leads {
        let score = |key: &str| match lead.server_score.as_ref().map(|s| &s[key]) {
            Some(Value::String(v)) => escape(v),
            Some(Value::Null) | None => String::new(),
            Some(other) => escape(&other.to_string()),
        };
        let email = lead.parsed["fields"]["email"].as_str().unwrap_or("");
        let sla = match (&lead.sla_due_at, lead.overdue) {
            (Some(due), true) => format!(
                "<span class=\"overdue\">overdue since {}</span>",
                escape(due)
            ),
            (Some(due), false) if lead.stage == "mql" => format!("due {}", escape(due)),
            _ => String::new(),
        };
        let quarantine = lead
            .quarantine
            .as_ref()
            .map(|q| {
                format!(
                    "<span class=\"quarantine\">{}</span>",
                    escape(&q.join(", "))
                )
            })
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td><a href=\"/inbox/leads/{id}\">{email}</a></td><td>{offer}</td><td>{stage}</td>\
             <td>{matrix}</td><td>{total}</td><td>{queue}</td><td>{sla}</td><td>{quarantine}</td><td>{received}</td></tr>",
            id = escape(&lead.lead_id),
            email = escape(email),
            offer = escape(&lead.offer_id),
            stage = escape(&lead.stage),
            matrix = score("matrix"),
            total = score("total"),
            queue = score("queue"),
            received = escape(&lead.received_at),
        ));
    }
    let export = format!(
        "/inbox/export.csv?{}",
        [
            query
                .offer_id
                .as_deref()
                .map(|o| format!("offer_id={}", urlencode(o))),
            query
                .stage
                .as_deref()
                .map(|s| format!("stage={}", urlencode(s))),
            q.map(|q| format!("quarantined={q}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("&")
    );
    page(
        StatusCode::OK,
        "Leads",
        &format!(
            "<h1>Leads</h1><p>Logged in as {who}. {logout}</p><form method=\"get\" action=\"/inbox\">\
             <label>Offer <select name=\"offer_id\"><option value=\"\">all</option>{offers}</select></label>\
             <label>Stage <select name=\"stage\"><option value=\"\">all</option>{stages}</select></label>\
             <label>Quarantined <select name=\"quarantined\"><option value=\"\">either</option>\
             <option value=\"true\"{qt}>yes</option><option value=\"false\"{qf}>no</option></select></label>\
             <button type=\"submit\">Filter</button></form>\
             {funnel}<p>{n} lead(s) · <a href=\"{export}\">Export CSV</a></p>\
             <table><thead><tr><th>Email</th><th>Offer</th><th>Stage</th><th>Matrix</th><th>Total</th>\
             <th>Queue</th><th>SLA</th><th>Quarantine</th><th>Received</th></tr></thead><tbody>{rows}</tbody></table>",
            n = leads.len(),
            logout = logout_form(&csrf),
            who = escape(&user),
            export = escape(&export),
            qt = if q == Some("true") { " selected" } else { "" },
            qf = if q == Some("false") { " selected" } else { "" },
        ),
    )
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /inbox/leads/{lead_id}`: one lead with everything known about it.
pub async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(lead_id): Path<String>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
) -> Response {
    let (csrf, user) = match session(&state, &headers).await {
        Ok(Some(live)) => live,
        Ok(None) => return log_in(&state, peer, &headers),
        Err(unavailable) => return *unavailable,
    };
    let mut lead = match state.store.lead(&lead_id).await {
        Ok(Some(lead)) => lead,
        Ok(None) => return page(StatusCode::NOT_FOUND, "Lead", "<p>No such lead.</p>"),
        Err(_) => {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Lead",
                "<p>The lead store is unavailable.</p>",
            )
        }
    };
    api::with_sla(
        &state,
        &mut lead,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    );
    let history = state
        .store
        .stage_history(&lead_id)
        .await
        .unwrap_or_default();
    let fields: String = lead.parsed["fields"]
        .as_object()
        .map(|f| {
            f.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(&v))
                })
                .collect()
        })
        .unwrap_or_default();
    let moves: String = leadmagnet_core::waterfall::next_stages(&lead.stage)
        .iter()
        .map(|to| {
            let reason = if *to == "rejected" {
                "<label>Reason <input name=\"reason\" required></label>"
            } else {
                ""
            };
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/inbox/leads/{id}/stage\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"stage\" value=\"{to}\">\
                 {reason}<button type=\"submit\">Move to {to}</button></form> ",
                id = escape(&lead.lead_id),
            )
        })
        .collect();
    let history: String = history
        .iter()
        .map(|(stage, reason, by, at)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(at),
                escape(stage),
                escape(by),
                escape(reason.as_deref().unwrap_or(""))
            )
        })
        .collect();
    let json = |v: &Value| escape(&serde_json::to_string_pretty(v).unwrap_or_default());
    let forwards = serde_json::to_value(&lead.forwards).unwrap_or(Value::Null);
    // Erasure cannot be undone: only the admin gets the form, and it wants the address
    // typed again.
    let erase = match lead.parsed["fields"]["email"].as_str() {
        Some(email) if user == ADMIN => format!(
            "<h2>Erase (right to be forgotten)</h2>\
             <form method=\"post\" action=\"/inbox/erase\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <input type=\"hidden\" name=\"email\" value=\"{email}\">\
             <label>Type the email address to confirm <input name=\"confirm\" required autocomplete=\"off\"></label> \
             <button type=\"submit\">Erase every lead from this address</button></form>",
            email = escape(email)
        ),
        _ => String::new(),
    };
    page(
        StatusCode::OK,
        "Lead",
        &format!(
            "<h1>{email}</h1><p>{logout}</p><p>Offer {offer} · stage <strong>{stage}</strong>{sla} · received {received}</p>\
             <h2>Move</h2><p>{moves}</p><h2>Fields</h2><table>{fields}</table>\
             <h2>Score (collector)</h2><pre>{server}</pre><h2>Score (browser)</h2><pre>{client}</pre>\
             <h2>Flags and quarantine</h2><pre>{flags} {quarantine}</pre>\
             <h2>Stage history</h2><table><tr><th>At</th><th>Stage</th><th>By</th><th>Reason</th></tr>{history}</table>\
             <h2>Forwarding</h2><pre>{forwards}</pre>\
             <h2>Attribution</h2><pre>{attribution}</pre><h2>Events</h2><pre>{events}</pre>\
             <h2>Consent</h2><pre>{consent}</pre>{erase}",
            logout = logout_form(&csrf),
            email = escape(lead.parsed["fields"]["email"].as_str().unwrap_or(&lead.lead_id)),
            offer = escape(&lead.offer_id),
            stage = escape(&lead.stage),
            sla = if lead.overdue { " · <span class=\"overdue\">SLA overdue</span>" } else { "" },
            received = escape(&lead.received_at),
            server = json(lead.server_score.as_ref().unwrap_or(&Value::Null)),
            client = json(&lead.parsed["score"]),
            flags = escape(&lead.flags.join(", ")),
            quarantine = escape(&lead.quarantine.clone().unwrap_or_default().join(", ")),
            forwards = json(&forwards),
            attribution = json(&lead.parsed["attribution"]),
            events = json(&lead.parsed["events"]),
            consent = json(&lead.parsed["consent"]),
        ),
    )
}

/// The logged-in user behind a form that changes something, if the form carries the
/// session's CSRF token (compared in constant time); else the page that refuses it
/// (`then` ends the log-in-again message).
async fn posted_by(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    then: &str,
) -> Result<String, Box<Response>> {
    let Some((session_csrf, user)) = session(state, headers).await? else {
        return Err(Box::new(login_form(
            false,
            StatusCode::UNAUTHORIZED,
            &format!("Your session has ended: log in again{then}."),
        )));
    };
    if !bool::from(csrf.as_bytes().ct_eq(session_csrf.as_bytes())) {
        return Err(Box::new(page(
            StatusCode::FORBIDDEN,
            "Refused",
            "<p>This form has expired; open the lead again.</p>",
        )));
    }
    Ok(user)
}

#[derive(Deserialize)]
pub struct EraseForm {
    csrf: String,
    email: String,
    confirm: String,
}

/// `POST /inbox/erase`: erases every lead from an email address, with its stage history
/// and forwarding rows (the admin only; CSRF-checked; the address typed again). The log
/// says how many leads went, never whose.
pub async fn erase(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<EraseForm>,
) -> Response {
    let user = match posted_by(&state, &headers, &form.csrf, "").await {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    if let Some(refused) = refuse_nul(&[&form.email, &form.confirm]) {
        return refused;
    }
    if user != ADMIN {
        return page(
            StatusCode::FORBIDDEN,
            "Refused",
            "<p>Only the admin can erase leads; ask them, or use <code>DELETE /api/v1/leads?email=</code> with the admin token.</p>",
        );
    }
    let email = form.email.trim();
    let key = leadmagnet_core::email::key;
    if key(email).is_empty() || key(&form.confirm) != key(email) {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not erased",
            "<p>The address you typed does not match the lead's, so nothing was erased. \
             <a href=\"/inbox\">Back to the inbox</a></p>",
        );
    }
    match state.store.erase_email(email).await {
        Ok(erased) => {
            println!("leadmagnet: erasure from the inbox by {user}: {erased} lead(s) erased");
            page(
                StatusCode::OK,
                "Erased",
                &format!(
                    "<p>Erased {erased} lead(s) from {}, with their stage history and forwarding. \
                     Leads already forwarded to a CRM must be erased there too.</p>\
                     <p><a href=\"/inbox\">Back to the inbox</a></p>",
                    escape(email)
                ),
            )
        }
        Err(_) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not erased",
            "<p>The lead store is unavailable; nothing was erased.</p>",
        ),
    }
}

#[derive(Deserialize)]
pub struct StageForm {
    csrf: String,
    stage: String,
    reason: Option<String>,
}

/// `POST /inbox/leads/{lead_id}/stage`: a move from the lead's page (CSRF-checked).
pub async fn move_stage(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(lead_id): Path<String>,
    Form(form): Form<StageForm>,
) -> Response {
    // Who made the move is who is logged in, never what a form says.
    let user = match posted_by(&state, &headers, &form.csrf, ", then make the move").await {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    if let Some(refused) = refuse_nul(&[&form.stage, form.reason.as_deref().unwrap_or("")]) {
        return refused;
    }
    let at = leadmagnet_core::time::format_rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    );
    let reason = form.reason.as_deref().filter(|r| !r.trim().is_empty());
    match state
        .store
        .move_stage(&lead_id, &form.stage, reason, &user, &at)
        .await
    {
        Ok(crate::store::Moved::Done) => {
            Redirect::to(&format!("/inbox/leads/{lead_id}")).into_response()
        }
        Ok(crate::store::Moved::NoSuchLead) => {
            page(StatusCode::NOT_FOUND, "Lead", "<p>No such lead.</p>")
        }
        Ok(crate::store::Moved::Refused(why)) => page(
            StatusCode::CONFLICT,
            "Refused",
            &format!(
                "<p>{}</p><p><a href=\"/inbox/leads/{}\">Back to the lead</a></p>",
                escape(&why),
                escape(&lead_id)
            ),
        ),
        Err(_) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Lead",
            "<p>The lead store is unavailable.</p>",
        ),
    }
}

/// `GET /inbox/export.csv`: the CSV export for a logged-in session.
pub async fn export(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let query = filters(&params);
    match session(&state, &headers).await {
        Ok(Some(_)) => {}
        Ok(None) => return log_in(&state, peer, &headers),
        Err(unavailable) => return *unavailable,
    }
    match api::csv(&state, &query).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}
