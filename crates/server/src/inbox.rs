//! The lead inbox at `/inbox`, for marketing and sales: server-rendered HTML without a line
//! of script (a strict CSP allows none), behind a login with the admin token.
//!
//! - Login: the token, compared in constant time, starts a session (a random id in an
//!   `HttpOnly`, `SameSite=Strict` cookie, kept in memory for 12 hours); each session has
//!   its own CSRF token, required by every form that changes something.
//! - The list (filters: offer, stage, quarantined; newest first) with grade, matrix, queue,
//!   SLA state, and links to the CSV export; a lead's page with its fields, both scores
//!   and the breakdown, attribution, events, consent record, flags, forwarding and stage
//!   history, and the moves open to it.
//! - Every stored value is HTML-escaped: whatever a visitor typed shows as text.

use crate::api::{self, ListQuery};
use crate::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The inbox pages' CSP: no scripts at all, styles only from the page itself.
pub const INBOX_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                             frame-ancestors 'none'; base-uri 'none'";
const SESSION_HOURS: u64 = 12;
const COOKIE: &str = "lm_inbox";

/// A logged-in session: its CSRF token, who it is, and until when it lasts.
struct Session {
    csrf: String,
    user: String,
    until: Instant,
}

/// Logged-in sessions by id.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

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

impl Sessions {
    fn start(&self, user: &str) -> Option<(String, String)> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).ok()?;
        let hex = leadmagnet_core::pow::hex(&bytes);
        let (id, csrf) = hex.split_at(32);
        let mut map = match self.0.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let now = Instant::now();
        map.retain(|_, s| s.until > now);
        map.insert(
            id.to_owned(),
            Session {
                csrf: csrf.to_owned(),
                user: user.to_owned(),
                until: now + Duration::from_secs(SESSION_HOURS * 3600),
            },
        );
        Some((id.to_owned(), csrf.to_owned()))
    }

    /// The session's CSRF token, when the request carries a live session cookie.
    fn csrf(&self, headers: &HeaderMap) -> Option<String> {
        self.session(headers).map(|(csrf, _)| csrf)
    }

    /// The session's CSRF token and user, when the request carries a live session cookie.
    fn session(&self, headers: &HeaderMap) -> Option<(String, String)> {
        let id = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| {
                c.trim()
                    .strip_prefix(&format!("{COOKIE}="))
                    .map(str::to_owned)
            })?;
        let map = match self.0.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        map.get(&id)
            .filter(|s| s.until > Instant::now())
            .map(|s| (s.csrf.clone(), s.user.clone()))
    }
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

fn login_form(message: &str) -> Response {
    let note = if message.is_empty() {
        String::new()
    } else {
        format!("<p role=\"alert\">{}</p>", escape(message))
    };
    page(
        if message.is_empty() { StatusCode::OK } else { StatusCode::UNAUTHORIZED },
        "Log in",
        &format!(
            "<h1>Log in</h1>{note}<form method=\"post\" action=\"/inbox/login\">\
             <label for=\"token\">Your token</label> \
             <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required> \
             <button type=\"submit\">Log in</button></form>"
        ),
    )
}

#[derive(Deserialize)]
pub struct Login {
    token: String,
}

/// `POST /inbox/login`: the admin token, or a user's token (`--users`), starts a session.
pub async fn login(State(state): State<AppState>, Form(form): Form<Login>) -> Response {
    let Some(user) = user_for(&state, &form.token) else {
        return login_form("That token is not right.");
    };
    let Some((id, _)) = state.sessions.start(&user) else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Log in",
            "<p>No randomness for a session.</p>",
        );
    };
    let mut response = Redirect::to("/inbox").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "{COOKIE}={id}; Path=/inbox; HttpOnly; SameSite=Strict; Max-Age={}",
        SESSION_HOURS * 3600
    )) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
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
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let query = filters(&params);
    let Some((_, user)) = state.sessions.session(&headers) else {
        return login_form("");
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
        let email = lead.payload["fields"]["email"].as_str().unwrap_or("");
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
            "<h1>Leads</h1><p>Logged in as {who}.</p><form method=\"get\" action=\"/inbox\">\
             <label>Offer <select name=\"offer_id\"><option value=\"\">all</option>{offers}</select></label>\
             <label>Stage <select name=\"stage\"><option value=\"\">all</option>{stages}</select></label>\
             <label>Quarantined <select name=\"quarantined\"><option value=\"\">either</option>\
             <option value=\"true\"{qt}>yes</option><option value=\"false\"{qf}>no</option></select></label>\
             <button type=\"submit\">Filter</button></form>\
             {funnel}<p>{n} lead(s) · <a href=\"{export}\">Export CSV</a></p>\
             <table><thead><tr><th>Email</th><th>Offer</th><th>Stage</th><th>Matrix</th><th>Total</th>\
             <th>Queue</th><th>SLA</th><th>Quarantine</th><th>Received</th></tr></thead><tbody>{rows}</tbody></table>",
            n = leads.len(),
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
) -> Response {
    let Some((csrf, user)) = state.sessions.session(&headers) else {
        return login_form("");
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
    let fields: String = lead.payload["fields"]
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
    let erase = match lead.payload["fields"]["email"].as_str() {
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
            "<h1>{email}</h1><p>Offer {offer} · stage <strong>{stage}</strong>{sla} · received {received}</p>\
             <h2>Move</h2><p>{moves}</p><h2>Fields</h2><table>{fields}</table>\
             <h2>Score (collector)</h2><pre>{server}</pre><h2>Score (browser)</h2><pre>{client}</pre>\
             <h2>Flags and quarantine</h2><pre>{flags} {quarantine}</pre>\
             <h2>Stage history</h2><table><tr><th>At</th><th>Stage</th><th>By</th><th>Reason</th></tr>{history}</table>\
             <h2>Forwarding</h2><pre>{forwards}</pre>\
             <h2>Attribution</h2><pre>{attribution}</pre><h2>Events</h2><pre>{events}</pre>\
             <h2>Consent</h2><pre>{consent}</pre>{erase}",
            email = escape(lead.payload["fields"]["email"].as_str().unwrap_or(&lead.lead_id)),
            offer = escape(&lead.offer_id),
            stage = escape(&lead.stage),
            sla = if lead.overdue { " · <span class=\"overdue\">SLA overdue</span>" } else { "" },
            received = escape(&lead.received_at),
            server = json(lead.server_score.as_ref().unwrap_or(&Value::Null)),
            client = json(&lead.payload["score"]),
            flags = escape(&lead.flags.join(", ")),
            quarantine = escape(&lead.quarantine.clone().unwrap_or_default().join(", ")),
            forwards = json(&forwards),
            attribution = json(&lead.payload["attribution"]),
            events = json(&lead.payload["events"]),
            consent = json(&lead.payload["consent"]),
        ),
    )
}

/// The logged-in user behind a form that changes something, if the form carries the
/// session's CSRF token (compared in constant time); else the page that refuses it
/// (`then` ends the log-in-again message).
fn posted_by(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    then: &str,
) -> Result<String, Box<Response>> {
    let Some((session_csrf, user)) = state.sessions.session(headers) else {
        return Err(Box::new(login_form(&format!(
            "Your session has ended: log in again{then}."
        ))));
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
    let user = match posted_by(&state, &headers, &form.csrf, "") {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    if user != ADMIN {
        return page(
            StatusCode::FORBIDDEN,
            "Refused",
            "<p>Only the admin can erase leads; ask them, or use <code>DELETE /api/v1/leads?email=</code> with the admin token.</p>",
        );
    }
    let email = form.email.trim();
    if email.is_empty() || !form.confirm.trim().eq_ignore_ascii_case(email) {
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
    let user = match posted_by(&state, &headers, &form.csrf, ", then make the move") {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
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
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let query = filters(&params);
    if state.sessions.csrf(&headers).is_none() {
        return login_form("");
    }
    match api::csv(&state, &query).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}
