//! The collector API: `POST /api/v1/leads` stores a lead, `GET /api/v1/leads` lists them
//! for holders of the admin token. Every error is JSON naming the problem and its place.

use crate::store::{Inserted, StoredLead};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use leadmagnet_core::parse_lead;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

/// Largest lead body accepted: the browser's keepalive/sendBeacon budget.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Seconds a client should wait before retrying when storage is unavailable.
const RETRY_AFTER_SECONDS: &str = "5";

pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_BODY_BYTES)
}

/// An API error: a status and `{"error": {"code", "message", "pointer"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    pointer: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            pointer: None,
        }
    }

    fn unavailable(err: sqlx::Error) -> ApiError {
        eprintln!("leadmagnet: storage error: {err}");
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
        response
    }
}

/// `POST /api/v1/leads`: check the envelope, store once, answer `201 {"lead_id"}`.
/// A retry with the same `lead_id` and body gets the same answer without a second row
/// (`Idempotency-Key`, when sent, must equal that `lead_id`).
pub async fn create_lead(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // `text/plain` too: the widget's last attempt while a page closes is a keepalive
    // request, which may not wait for a CORS preflight, and text/plain needs none.
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
            "send the lead as JSON with the header Content-Type: application/json (or text/plain)",
        ));
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the lead is larger than {MAX_BODY_BYTES} bytes"),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                rejection.body_text(),
            )
        }
    })?;
    let lead = parse_lead(body.as_ref()).map_err(|e| {
        // Not JSON at all is 400; a JSON lead with a wrong value is 422.
        let (status, code) = if e.syntax {
            (StatusCode::BAD_REQUEST, "malformed_json")
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_lead")
        };
        ApiError {
            status,
            code,
            message: e.message,
            pointer: (!e.pointer.is_empty()).then_some(e.pointer),
        }
    })?;
    if let Some(key) = headers.get("idempotency-key") {
        if key.as_bytes() != lead.lead_id.as_bytes() {
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
    match state.store.insert(&lead, &raw).await.map_err(ApiError::unavailable)? {
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

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    offer_id: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/v1/leads?offer_id=&limit=`: stored leads, newest first (admin token only).
pub async fn list_leads(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&state, &headers)?;
    let Query(query) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit must be between 1 and 1000",
        ));
    }
    let leads: Vec<StoredLead> = state
        .store
        .list(query.offer_id.as_deref(), limit)
        .await
        .map_err(ApiError::unavailable)?;
    Ok(Json(json!({ "leads": leads })))
}

/// Unknown API paths answer in JSON like the rest of the API.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such API endpoint; leads are at /api/v1/leads",
    )
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Constant-time comparison: response timing must not reveal how much of a guess was right.
    if bool::from(given.as_bytes().ct_eq(state.admin_token.as_bytes())) && !given.is_empty() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the admin token as `Authorization: Bearer <LEADMAGNET_ADMIN_TOKEN>`",
        ))
    }
}
