//! The collector API: `POST /api/v1/leads` checks a lead against its offer, scores it and
//! stores it once; `GET /api/v1/leads` lists them for holders of the admin token. Every
//! error is JSON naming the problem and its place.

pub mod analytics;
pub mod contacts;
pub mod engagement;

use crate::domains::FullLists;
use crate::inbox::ConnectInfoOpt;
use crate::limits::{client_ip, InFlight, RateLimit};
use crate::spam;
use crate::store::{Inserted, Moved, StoredLead, Verdict};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use leadmagnet_core::config::{normalize_origin, FieldType};
use leadmagnet_core::json::ToJson;
use leadmagnet_core::messages::Lang;
use leadmagnet_core::scoring::{score, LeadFacts, Score};
use leadmagnet_core::validate::validate_asked;
use leadmagnet_core::{parse_lead, LeadPayload};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Instant;
use subtle::ConstantTimeEq;

/// Largest lead body accepted: the browser's keepalive/sendBeacon budget.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Seconds a client should wait before retrying when storage is unavailable.
const RETRY_AFTER_SECONDS: &str = "5";

pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_BODY_BYTES)
}

/// An API error: a status and `{"error": {"code", "message", "pointer"?, "problems"?}}`.
#[derive(Debug)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    code: &'static str,
    pub(crate) message: String,
    pointer: Option<String>,
    /// Every problem found, each `{"pointer", "code", "message"}` (invalid fields).
    problems: Vec<serde_json::Value>,
    /// Seconds for `Retry-After` (429, 409; 503 always has one).
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            pointer: None,
            problems: Vec::new(),
            retry_after: None,
        }
    }

    fn unavailable(err: sqlx::Error) -> ApiError {
        tracing::error!(error = %err, "storage error: the request was answered 503");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "the lead store is unavailable; nothing was stored, retry later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(pointer) = self.pointer {
            error["pointer"] = json!(pointer);
        }
        if !self.problems.is_empty() {
            error["problems"] = json!(self.problems);
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        let headers = response.headers_mut();
        match self.status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECONDS),
                );
            }
            _ => {}
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A JSON body as received: `application/json`, or `text/plain` (a closing page's last
/// attempt is a keepalive request, which may not wait for a CORS preflight, and text/plain
/// needs none). A body that did not arrive whole is a transient failure (408), which the
/// outbox retries, never a final 4xx.
fn received_json(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    what: &str,
) -> Result<Bytes, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json") || mime.eq_ignore_ascii_case("text/plain")
        });
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "send the {what} as JSON with the header Content-Type: application/json (or text/plain)"
            ),
        ));
    }
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the {what} is larger than {MAX_BODY_BYTES} bytes"),
            )
        } else {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_not_received",
                format!(
                    "the {what}'s body did not arrive whole; send it again ({})",
                    rejection.body_text()
                ),
            )
        }
    })
}

/// 429 with `Retry-After` when the client has used up `limit`.
fn throttle(
    limit: &RateLimit,
    state: &AppState,
    extensions: &Extensions,
    headers: &HeaderMap,
    what: &str,
) -> Result<(), ApiError> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if let Some(client) = client_ip(peer, headers, &state.trusted_proxies) {
        if let Err(wait) = limit.check(client, Instant::now()) {
            return Err(ApiError {
                retry_after: Some(wait),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many {what} from this address; retry in {wait} s"),
                )
            });
        }
    }
    Ok(())
}

/// `POST /api/v1/leads`: the collector's checks, then one row.
///
/// In order: the media type and size; the client's rate limit (429); the envelope
/// (`parse_lead`: 400/422); `Idempotency-Key` equal to `lead_id`; a request for the same
/// `lead_id` still in progress (409); the offer (unknown: 422), the page's `Origin`
/// against the offer's `allowed_origins` (403); the fields against the offer config (422,
/// every problem listed); then the collector scores the lead itself with the full domain
/// lists and its own clock, flags a browser score that differs (`score_mismatch`), applies
/// the spam checks (quarantine) and stores it in one statement. A `lead_id` stored before
/// gets the stored answer again with the same body (no second row, even if the offer
/// changed since) and 422 with another. Nothing is stored unless every check passed.
pub async fn create_lead(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if is_form_post(&headers) {
        // A server-rendered form posted without script (crate::rendered): answered with
        // a page, not JSON.
        return Ok(crate::rendered::form_post(state, headers, extensions, body).await);
    }
    let body = received_json(&headers, body, "lead")?;
    throttle(&state.rate_limit, &state, &extensions, &headers, "leads")?;
    let lead = parse_lead(body.as_ref()).map_err(|e| {
        // Not JSON at all is 400; a JSON lead with a wrong value is 422.
        let (status, code) = if e.syntax {
            (StatusCode::BAD_REQUEST, "malformed_json")
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_lead")
        };
        ApiError {
            pointer: (!e.pointer.is_empty()).then_some(e.pointer),
            ..ApiError::new(status, code, e.message)
        }
    })?;
    if let Some(key) = headers.get("idempotency-key") {
        // The same UUID in any letter case (and the header's own white space) is the same
        // key: `lead.lead_id` is already in canonical lower case.
        let same = key
            .to_str()
            .ok()
            .and_then(|k| leadmagnet_core::payload::parse_lead_id(k.trim()))
            .is_some_and(|k| k == lead.lead_id);
        if !same {
            return Err(ApiError {
                pointer: Some("/lead_id".into()),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_mismatch",
                    "the Idempotency-Key header must equal the body's lead_id",
                )
            });
        }
    }
    // parse_lead accepted the body, so it is UTF-8.
    let raw = String::from_utf8_lossy(&body);
    let answer = Json(json!({ "lead_id": lead.lead_id }));
    match store_lead(&state, &headers, &lead, &raw, Proof::Widget).await? {
        Inserted::New => Ok((StatusCode::CREATED, answer).into_response()),
        Inserted::Replay => Ok((
            StatusCode::CREATED,
            [("idempotent-replayed", HeaderValue::from_static("true"))],
            answer,
        )
            .into_response()),
        Inserted::Conflict => Err(ApiError {
            pointer: Some("/lead_id".into()),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "lead_id_reused",
                "a different lead was already stored under this lead_id; make a new lead_id per submission",
            )
        }),
    }
}

/// Whether the body is a form post (`application/x-www-form-urlencoded`).
fn is_form_post(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// What stands for a person behind a lead in the spam checks.
pub enum Proof {
    /// The widget's proof-of-work solution (and its issue time for the fill time).
    Widget,
    /// A form posted without script: when the collector rendered it (its signed token).
    RenderedAt(u64),
}

/// The client's lead rate limit: `Err(seconds to wait)` once it is used up.
pub(crate) fn throttle_client(
    state: &AppState,
    extensions: &Extensions,
    headers: &HeaderMap,
) -> Result<(), u64> {
    throttle(&state.rate_limit, state, extensions, headers, "leads")
        .map_err(|e| e.retry_after.unwrap_or(1))
}

/// The checks every new lead passes, however it came, and its one row: a request for the
/// same `lead_id` still in progress (409); the offer, the page's origin and the fields
/// (`check_against_offer`); the collector's score; the spam checks (quarantine); then
/// the row, the withdrawal of consent a lead without it means, and the person's
/// re-scoring. A `lead_id` stored before gets its stored answer again (`Replay`) with the
/// same body and `Conflict` with another.
pub(crate) async fn store_lead(
    state: &AppState,
    headers: &HeaderMap,
    lead: &LeadPayload,
    raw: &str,
    proof: Proof,
) -> Result<Inserted, ApiError> {
    let Some(_guard) = InFlight::enter(&state.in_flight, &lead.lead_id) else {
        return Err(ApiError {
            retry_after: Some(1),
            pointer: Some("/lead_id".into()),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "request_in_progress",
                "a request with this lead_id is being stored right now; retry in a moment for its answer",
            )
        });
    };
    // Whether this lead passed the spam checks (a replay's was decided when it was stored).
    let mut clean = false;
    let inserted = match check_against_offer(state, headers, lead) {
        Ok(mut verdict) => {
            // Last, right before storing: a passing proof of work is spent in the lead's
            // own transaction (a lead that is not stored spends nothing).
            let now = now_ms();
            (verdict.quarantine, verdict.spend) = match proof {
                Proof::Widget => spam::verdict(&state.challenges, lead, now),
                Proof::RenderedAt(issued) => (
                    state.challenges.verdict_without_script(lead, issued, now),
                    None,
                ),
            };
            // A quarantined lead is kept, but not handed on to a CRM.
            if !verdict.quarantine.is_empty() {
                verdict.forwards.clear();
            }
            clean = verdict.quarantine.is_empty();
            // One statement for a new lead; a replay or a reused id is told apart after.
            state
                .store
                .insert(lead, raw, &verdict)
                .await
                .map_err(ApiError::unavailable)?
        }
        // A lead stored before keeps its answer even if its offer changed since.
        Err(refusal) => state
            .store
            .stored_as(&lead.lead_id, raw)
            .await
            .map_err(ApiError::unavailable)?
            .ok_or(refusal)?,
    };
    if clean
        && matches!(inserted, Inserted::New | Inserted::Replay)
        && !lead.consent.as_ref().is_some_and(|c| c.allows_history())
    {
        // A lead without marketing consent (or under GPC) withdraws it: from this answer
        // on, the person's browsers may send no more events (api::engagement). Not a
        // quarantined one: a bot may type anyone's address, and binding ignores its leads.
        if let Some(email) = lead_email(state, lead) {
            state
                .store
                .drop_devices_of(&email)
                .await
                .map_err(ApiError::unavailable)?;
        }
    }
    if inserted == Inserted::New {
        // The person may have become an MQL: scored, and handed over once, after the
        // answer (a failure here is logged and the next lead or event tries again).
        if let Some(email) = handed_over_email(state, lead) {
            let state = state.clone();
            tokio::spawn(async move {
                if let Err(e) = crate::handover::after_lead(&state, &email, now_ms() as i64).await {
                    tracing::warn!(error = %e, "scoring a contact after a lead failed");
                }
            });
        }
    }
    Ok(inserted)
}

/// The offer's checks of a new lead, and what the collector adds: its score and flags.
fn check_against_offer(
    state: &AppState,
    headers: &HeaderMap,
    lead: &LeadPayload,
) -> Result<Verdict, ApiError> {
    let Some(config) = state.offers.get(&lead.offer_id) else {
        // The offer may be in a file the last load could not read: not a final answer.
        if state.offers.failing().is_some() {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "offers_unavailable",
                format!(
                    "the collector cannot read its offer configs right now, so offer \"{}\" cannot be checked; nothing was stored, retry later",
                    lead.offer_id
                ),
            ));
        }
        return Err(ApiError {
            pointer: Some("/offer_id".into()),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_offer",
                format!(
                    "this collector has no valid offer config with id \"{}\" (it reads {}); add it there or fix its problems (see the collector's log)",
                    lead.offer_id,
                    state.offers.dir().display()
                ),
            )
        });
    };
    // Browsers send Origin on cross-origin POSTs; requests without one are not from a page.
    if let Some(sent) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        // `null` (sandboxed frames, file:// pages, some redirects) and anything else that
        // is no origin is named as sent.
        let origin = normalize_origin(sent).unwrap_or_default();
        let allowed = state.allowed_origins.contains(&origin)
            || config
                .allowed_origins
                .iter()
                .any(|o| normalize_origin(o).as_deref() == Some(origin.as_str()));
        if !allowed {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                if origin.is_empty() && sent.trim() != "null" {
                    format!(
                        "the Origin header {sent:?} is not an origin (scheme, host and optional port); offer \"{}\" takes leads only from the origins in its allowed_origins",
                        lead.offer_id
                    )
                } else if origin.is_empty() {
                    format!(
                        "a page with Origin {sent:?} (a sandboxed frame, a file:// page or a privacy redirect) may not send leads for offer \"{}\"; serve the form from a page on an origin in the offer's allowed_origins",
                        lead.offer_id
                    )
                } else {
                    format!(
                        "pages on {origin} may not send leads for offer \"{}\"; add the origin to the offer's allowed_origins (or --allow-origin)",
                        lead.offer_id
                    )
                },
            ));
        }
    }
    // The fields the visitor was asked (from the widget's form record); without one,
    // every field its conditions show. Required applies to those; every value is checked.
    let asked: Vec<&str> = match &lead.form {
        Some(form) => form.asked.iter().map(String::as_str).collect(),
        None => {
            let facts = leadmagnet_core::rule::Facts {
                values: &lead.fields,
                lists: FullLists::get(),
                score: None,
            };
            config
                .fields
                .iter()
                .filter(|f| f.visible_if.as_ref().is_none_or(|c| c.matches(&facts)))
                .map(|f| f.id.as_str())
                .collect()
        }
    };
    let valid = validate_asked(&config, &lead.fields, &asked).map_err(|errors| {
        let problems: Vec<serde_json::Value> = errors
            .iter()
            .map(|e| {
                let kind = config.field(&e.field).map_or(FieldType::Text, |f| f.kind);
                json!({
                    "pointer": format!("/fields/{}", e.field),
                    "code": e.problem.code(),
                    "message": e.problem.message(Lang::En, kind),
                })
            })
            .collect();
        ApiError {
            problems,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_fields",
                format!(
                    "{} field value(s) do not pass offer \"{}\"'s rules; nothing was stored",
                    errors.len(),
                    lead.offer_id
                ),
            )
        }
    })?;
    let email = config
        .fields
        .iter()
        .find(|f| f.kind == FieldType::Email)
        .and_then(|f| match valid.fields().get(&f.id) {
            Some(leadmagnet_core::FieldValue::Text(e)) => Some(e.clone()),
            _ => None,
        });
    let mut verdict = Verdict {
        email,
        at: leadmagnet_core::time::format_rfc3339(now_ms() as i64),
        forwards: config
            .forward
            .iter()
            .enumerate()
            .map(|(i, f)| (i as i64, f.to.name()))
            .collect(),
        ..Verdict::default()
    };
    if let Some(scoring) = &state.offers.scoring_of(&config) {
        let facts = LeadFacts {
            fields: valid.fields().clone(),
            events: lead.events.clone(),
        };
        let server = score(scoring, &facts, now_ms() as i64, FullLists::get());
        verdict.stage = server.stage.name();
        if lead
            .score
            .as_ref()
            .is_some_and(|client| differs(client, &server))
        {
            verdict.flags.push("score_mismatch".into());
        }
        verdict.server_score = Some(server.to_json_string());
    }
    Ok(verdict)
}

fn now_ms() -> u64 {
    u64::try_from(crate::clock::now_ms()).unwrap_or(0)
}

#[derive(Deserialize)]
pub struct ClockMove {
    advance_ms: i64,
}

/// `POST /api/v1/test/clock` `{"advance_ms": n}` (admin token): moves the collector's clock
/// on, for end-to-end tests; 404 unless the collector was started with `--test-clock`.
pub async fn move_clock(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    body: Result<Json<ClockMove>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, peer, &headers)?;
    let Json(step) =
        body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))?;
    match crate::clock::advance(step.advance_ms) {
        Some(now) => {
            Ok(Json(json!({ "now": leadmagnet_core::time::format_rfc3339(now) })).into_response())
        }
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "the clock moves only on a collector started with --test-clock",
        )),
    }
}

/// `GET /api/v1/challenge`: a fresh proof-of-work challenge for the widget (see
/// [`spam`]); never cached.
pub async fn new_challenge(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut random = [0u8; 20];
    getrandom::fill(&mut random).map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_randomness",
            format!("cannot draw a challenge: {e}"),
        )
    })?;
    let (salt, number) = random.split_at(16);
    let mut salt_bytes = [0u8; 16];
    salt_bytes.copy_from_slice(salt);
    let number = u32::from_le_bytes([number[0], number[1], number[2], number[3]])
        % state.challenges.max_number.saturating_add(1).max(1);
    let challenge = state.challenges.issue(now_ms(), salt_bytes, number);
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(challenge),
    )
        .into_response())
}

/// Whether the browser's score tells another story than the collector's: another fit,
/// grade, stage or queue, or a total more than 1 apart (engagement decays by the second
/// between the two clocks, and rounds once).
fn differs(client: &Score, server: &Score) -> bool {
    client.fit != server.fit
        || client.grade != server.grade
        || client.stage != server.stage
        || client.queue != server.queue
        || (client.total - server.total).abs() > 1
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub offer_id: Option<String>,
    pub quarantined: Option<bool>,
    pub stage: Option<String>,
    pub limit: Option<u32>,
}

/// A list's `limit`: 1–1000, 100 when absent; 400 otherwise.
pub(crate) fn checked_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(100);
    if (1..=1000).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit must be between 1 and 1000",
        ))
    }
}

/// `GET /api/v1/leads?offer_id=&quarantined=&limit=`: stored leads, newest first (admin
/// token only).
pub async fn list_leads(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let query = admin_query(&state, peer, &headers, query)?;
    let limit = checked_limit(query.limit)?;
    let leads = listed(&state, &query, limit).await?;
    // Serialized as they are (not through a `Value`): each payload goes out byte for byte.
    #[derive(serde::Serialize)]
    struct Listed {
        leads: Vec<StoredLead>,
    }
    Ok(Json(Listed { leads }).into_response())
}

/// The stored leads a list query asks for, with their SLA state from the offer configs.
pub async fn listed(
    state: &AppState,
    query: &ListQuery,
    limit: u32,
) -> Result<Vec<StoredLead>, ApiError> {
    let mut leads: Vec<StoredLead> = state
        .store
        .list(
            query.offer_id.as_deref(),
            query.quarantined,
            query.stage.as_deref(),
            limit,
        )
        .await
        .map_err(ApiError::unavailable)?;
    let now = now_ms() as i64;
    for lead in &mut leads {
        with_sla(state, lead, now);
    }
    Ok(leads)
}

/// Fills in `sla_due_at` and `overdue` from the lead's offer (`scoring.mql.sla_hours`).
pub fn with_sla(state: &AppState, lead: &mut StoredLead, now_ms: i64) {
    let sla_hours = state
        .offers
        .get(&lead.offer_id)
        .and_then(|c| state.offers.scoring_of(&c)?.mql?.sla_hours);
    let mql_ms = lead
        .mql_at
        .as_deref()
        .and_then(leadmagnet_core::time::parse_rfc3339);
    if let (Some(hours), Some(since)) = (sla_hours, mql_ms) {
        let due = since + (hours * 3_600_000.0) as i64;
        lead.sla_due_at = Some(leadmagnet_core::time::format_rfc3339(due));
        lead.overdue = lead.stage == "mql" && now_ms > due;
    }
}

#[derive(Debug, Deserialize)]
pub struct StageMove {
    pub(crate) stage: String,
    pub(crate) reason: Option<String>,
    /// Who made the move (a name or email of the salesperson), kept with it.
    pub(crate) by: String,
}

/// A stage move's body, checked: JSON of the right shape and size, no NUL, and who.
pub(crate) fn checked_move(
    body: Result<Json<StageMove>, axum::extract::rejection::JsonRejection>,
) -> Result<StageMove, ApiError> {
    let Json(step) = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the stage move is larger than {MAX_BODY_BYTES} bytes"),
            );
        }
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_move",
            format!(
                "send {{\"stage\": \"sal\", \"by\": \"ann@sales\", \"reason\"?: …}}: {}",
                e.body_text()
            ),
        )
    })?;
    for (pointer, text) in [
        ("/stage", Some(step.stage.as_str())),
        ("/by", Some(step.by.as_str())),
        ("/reason", step.reason.as_deref()),
    ] {
        if text.is_some_and(|t| t.contains('\0')) {
            return Err(ApiError {
                pointer: Some(pointer.into()),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_move",
                    "text with a NUL character (\\u0000) cannot be stored: remove it",
                )
            });
        }
    }
    if step.by.trim().is_empty() {
        return Err(ApiError {
            pointer: Some("/by".into()),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_move",
                "say who makes the move in \"by\"",
            )
        });
    }
    Ok(step)
}

/// `POST /api/v1/leads/{lead_id}/stage` `{"stage", "reason"?, "by"}` (admin token): moves
/// a lead along the waterfall (MQL → SAL → SQL → opportunity → won/lost, or rejected with
/// a reason), timestamped and signed with `by`.
pub async fn move_stage(
    State(state): State<AppState>,
    Path(lead_id): Path<String>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    body: Result<Json<StageMove>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, peer, &headers)?;
    let step = checked_move(body)?;
    let at = leadmagnet_core::time::format_rfc3339(now_ms() as i64);
    let moved = state
        .store
        .move_stage(
            &lead_id,
            &step.stage,
            step.reason.as_deref(),
            step.by.trim(),
            &at,
        )
        .await
        .map_err(ApiError::unavailable)?;
    match moved {
        Moved::Done => {
            Ok(Json(json!({ "lead_id": lead_id, "stage": step.stage, "at": at })).into_response())
        }
        Moved::NoSuchLead => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no lead {lead_id}"),
        )),
        Moved::Refused(why) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            why,
        )),
    }
}

/// `GET /api/v1/stats?offer_id=` (admin token): how many leads reached each stage, the
/// conversion between neighbouring stages, and the MQLs over their SLA now.
pub async fn stats(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let query = admin_query(&state, peer, &headers, query)?;
    let counts = state
        .store
        .stage_counts(query.offer_id.as_deref())
        .await
        .map_err(ApiError::unavailable)?;
    let (reached, conversion) = waterfall_counts(&counts);
    let mql_query = ListQuery {
        offer_id: query.offer_id.clone(),
        quarantined: None,
        stage: Some("mql".into()),
        limit: None,
    };
    let overdue = listed(&state, &mql_query, 1000)
        .await?
        .iter()
        .filter(|l| l.overdue)
        .count();
    Ok(Json(json!({
        "reached": reached,
        "conversion": conversion,
        "overdue_mqls": overdue,
    })))
}

/// Per stage, how many leads reached it, and the conversion between neighbouring stages
/// (`null` where none reached the first): for the stats API and the inbox alike.
pub fn waterfall_counts(counts: &[(String, i64)]) -> (serde_json::Value, serde_json::Value) {
    let reached = |stage: &str| {
        counts
            .iter()
            .find(|(s, _)| s == stage)
            .map_or(0, |(_, n)| *n)
    };
    let rate = |from: &str, to: &str| {
        let base = reached(from);
        (base > 0).then(|| (reached(to) as f64 / base as f64 * 1000.0).round() / 1000.0)
    };
    let stages: serde_json::Map<String, serde_json::Value> = leadmagnet_core::waterfall::STAGES
        .iter()
        .map(|s| ((*s).to_owned(), json!(reached(s))))
        .collect();
    (
        serde_json::Value::Object(stages),
        json!({
            "mql_to_sal": rate("mql", "sal"),
            "sal_to_sql": rate("sal", "sql"),
            "sql_to_opportunity": rate("sql", "opportunity"),
            "opportunity_to_won": rate("opportunity", "won"),
        }),
    )
}

/// `DELETE /api/v1/leads?email=` (admin token): the right to be forgotten. Every lead with
/// that email, with its forwarding and stage rows, is erased; the log names only how many.
pub async fn erase(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    query: Result<Query<EraseQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let query = admin_query(&state, peer, &headers, query)?;
    if query.email.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "name the person: ?email=…",
        ));
    }
    let erased = state
        .store
        .erase_email(query.email.trim())
        .await
        .map_err(ApiError::unavailable)?;
    println!("leadmagnet: erasure on request: {erased} lead(s) erased");
    Ok(Json(json!({ "erased": erased })))
}

#[derive(Debug, Deserialize)]
pub struct EraseQuery {
    email: String,
}

/// `GET /api/v1/leads.csv?offer_id=&quarantined=&stage=&limit=` (admin token): the list as
/// CSV (RFC 4180, UTF-8 with a byte-order mark for Excel), one column per field id. Cells
/// that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return
/// first) get a leading `'`.
pub async fn export_csv(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let query = admin_query(&state, peer, &headers, query)?;
    csv(&state, &query).await
}

/// The CSV answer for `query` (the caller has checked who asks).
pub async fn csv(state: &AppState, query: &ListQuery) -> Result<Response, ApiError> {
    let limit = query.limit.unwrap_or(1000).clamp(1, 100_000);
    let leads = listed(state, query, limit).await?;
    let mut field_ids: Vec<String> = Vec::new();
    for lead in &leads {
        if let Some(fields) = lead.parsed["fields"].as_object() {
            for id in fields.keys() {
                if !field_ids.contains(id) {
                    field_ids.push(id.clone());
                }
            }
        }
    }
    let mut out = String::from("\u{feff}");
    let mut header: Vec<String> = [
        "lead_id",
        "offer_id",
        "submitted_at",
        "received_at",
        "stage",
        "grade",
        "total",
        "matrix",
        "queue",
        "quarantine",
        "flags",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(field_ids.iter().cloned());
    csv_row(&mut out, &header);
    for lead in &leads {
        let score = |key: &str| match &lead.server_score {
            Some(s) => match &s[key] {
                serde_json::Value::String(v) => v.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            },
            None => String::new(),
        };
        let mut row = vec![
            lead.lead_id.clone(),
            lead.offer_id.clone(),
            lead.submitted_at.clone(),
            lead.received_at.clone(),
            lead.stage.clone(),
            score("grade"),
            score("total"),
            score("matrix"),
            score("queue"),
            lead.quarantine
                .as_ref()
                .map(|q| q.join(" "))
                .unwrap_or_default(),
            lead.flags.join(" "),
        ];
        for id in &field_ids {
            row.push(match &lead.parsed["fields"][id] {
                serde_json::Value::String(v) => v.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            });
        }
        csv_row(&mut out, &row);
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"leads.csv\""),
            ),
        ],
        out,
    )
        .into_response())
}

/// Whether a spreadsheet could take `cell` as a formula: its first character that is not
/// white space or invisible (spreadsheets skip those) is `=`, `+`, `-` or `@`, in ASCII or
/// full width (`＝` is read as `=` by some), or it begins with a tab, carriage return or
/// line feed.
pub fn spreadsheet_formula(cell: &str) -> bool {
    if cell.starts_with(['\t', '\r', '\n']) {
        return true;
    }
    cell.chars()
        .find(|c| !c.is_whitespace() && !c.is_control() && !invisible(*c))
        .is_some_and(|c| {
            matches!(
                c,
                '=' | '+'
                    | '-'
                    | '@'
                    | '＝'
                    | '＋'
                    | '－'
                    | '＠'
                    | '﹦'
                    | '﹢'
                    | '﹣'
                    | '﹫'
                    | '⁼'
                    | '₌'
                    | '⁺'
                    | '₊'
                    | '⁻'
                    | '₋'
                    | '−'
            )
        })
}

/// Characters that show nothing: Unicode's default-ignorable code points (format
/// characters, variation selectors, tags, joiners, the soft hyphen) and the blank
/// letters and symbols (Hangul fillers, the blank braille pattern).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// One CSV line: every cell quoted, quotes doubled, formula starts neutralised.
pub fn csv_row(out: &mut String, cells: &[String]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        if spreadsheet_formula(cell) {
            out.push('\'');
        }
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    }
    out.push_str("\r\n");
}

/// Refuses (400) a request whose path or query holds a NUL character (`%00`) before any
/// handler sees it: no database stores one (PostgreSQL's text cannot), and a storage error
/// would be a 503 that clients retry forever.
pub async fn refuse_nul(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let uri = request.uri().to_string();
    let has_nul = uri.contains('\0')
        || uri
            .as_bytes()
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0');
    if has_nul {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "the address holds a NUL character (%00), which nothing here can store or find: remove it",
        )
        .into_response();
    }
    next.run(request).await
}

/// Unknown API paths answer in JSON like the rest of the API.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such API endpoint; leads are at /api/v1/leads",
    )
}

/// The address of a stored lead whose person the account-wide model may hand over: a
/// model exists, and the lead has an email field (its quarantine is checked by the contact,
/// which leaves quarantined leads out).
fn handed_over_email(state: &AppState, lead: &LeadPayload) -> Option<String> {
    state.offers.model()?;
    lead_email(state, lead)
}

/// The address a lead gave in its offer's email field.
fn lead_email(state: &AppState, lead: &LeadPayload) -> Option<String> {
    let offer = state.offers.get(&lead.offer_id)?;
    let field = offer.fields.iter().find(|f| f.kind == FieldType::Email)?;
    match lead.fields.get(&field.id) {
        Some(leadmagnet_core::FieldValue::Text(email)) => Some(email.clone()),
        _ => None,
    }
}

/// The admin's query string: the token first, then the parameters (400 naming the problem).
fn admin_query<T>(
    state: &AppState,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    query: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, ApiError> {
    authorize(state, peer, headers)?;
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
}

/// The admin token, checked after the client's failed tries (`limits::Throttle`): a client
/// that sent too many wrong tokens is refused (429 with `Retry-After`) before its token is
/// even compared.
fn authorize(
    state: &AppState,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let client = client_ip(peer, headers, &state.trusted_proxies);
    if let Some(wait) = client.and_then(|c| state.auth_failures.blocked(c, Instant::now())) {
        return Err(ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_failures",
                format!("too many wrong tokens from this address; retry in {wait} s"),
            )
        });
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Constant-time comparison: response timing must not reveal how much of a guess was right.
    if bool::from(given.as_bytes().ct_eq(state.admin_token.as_bytes())) && !given.is_empty() {
        Ok(())
    } else {
        if let Some(c) = client {
            state.auth_failures.failed(c, Instant::now());
        }
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the admin token as `Authorization: Bearer <LEADMAGNET_ADMIN_TOKEN>`",
        ))
    }
}
