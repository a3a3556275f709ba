//! `POST /api/v1/events`: engagement after the form. A visitor's browser that gave marketing
//! consent (without GPC) sends the behaviour events it records, in batches named by its
//! device id (`leadmagnet_core::engagement`); the collector appends them to the person and
//! re-scores them, which may make them an MQL without another form (`handover::consider`).
//!
//! The device id is tied to a person the first time it arrives, through the submission it
//! was made at, and only while that person's latest submission still grants marketing
//! consent without GPC. A later lead without it unties every device of the person
//! (`create_lead`), an erasure removes them: from then on their batches are answered 410,
//! and the loader drops its device id. A batch that arrives before its submission is stored
//! (the lead still waits in the visitor's outbox) is answered 409 with `Retry-After`: the
//! outbox tries again, as it does for leads.
//!
//! Cost: each batch is one transaction of upserts, then one re-score that reads the
//! person's submissions and at most `MAX_CONTACT_EVENTS` of their newest events, whatever
//! their history (figures in docs/benchmarks.md).

use super::{now_ms, received_json, throttle, ApiError};
use crate::store::Bound;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use leadmagnet_core::engagement::parse_batch;
use leadmagnet_core::parse_lead;
use leadmagnet_core::time::{format_rfc3339, parse_rfc3339};
use serde_json::json;

/// Seconds a batch that came before its submission waits before it is tried again.
const LEAD_NOT_STORED_RETRY_S: u64 = 30;

/// `POST /api/v1/events` `{"version": 1, "device", "lead_id", "events": [...]}` (JSON or
/// text/plain): 202 `{"accepted": n}`; 410 when the device may not (or no longer) send;
/// 409 when its submission is not stored yet; 400/422 naming the place of a problem.
pub async fn add_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = received_json(&headers, body, "event batch")?;
    throttle(
        &state.event_rate_limit,
        &state,
        &extensions,
        &headers,
        "event batches",
    )?;
    let mut batch = parse_batch(body.as_ref()).map_err(|e| {
        let (status, code) = if e.syntax {
            (StatusCode::BAD_REQUEST, "malformed_json")
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_batch")
        };
        ApiError {
            pointer: (!e.pointer.is_empty()).then_some(e.pointer),
            ..ApiError::new(status, code, e.message)
        }
    })?;
    let now = now_ms() as i64;
    let received_at = format_rfc3339(now);
    // The visitor's clock may be wrong (or forged): nothing happened after it arrived.
    for e in &mut batch.events {
        if parse_rfc3339(&e.at).is_some_and(|at| at > now) {
            e.at.clone_from(&received_at);
        }
    }
    let known = state
        .store
        .device_contact(&batch.device)
        .await
        .map_err(ApiError::unavailable)?;
    if known.is_none() {
        bind(&state, &batch.device, &batch.lead_id, &received_at).await?;
    }
    let Some(contact_id) = state
        .store
        .add_events(&batch.device, &batch.events, &received_at)
        .await
        .map_err(ApiError::unavailable)?
    else {
        return Err(gone());
    };
    // The events are stored: a failure to re-score is logged, and the next batch or lead
    // scores the person again.
    if let Err(e) = crate::handover::consider(&state, &contact_id, now).await {
        tracing::warn!(error = %e, "re-scoring a contact after events failed");
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "accepted": batch.events.len() })),
    )
        .into_response())
}

/// Ties a new device to the person of the submission it was made at: only a stored lead
/// that passed the spam checks, granted marketing consent without GPC, and is the
/// person's latest (`Store::bind_device`, atomic with withdrawals and erasures).
async fn bind(state: &AppState, device: &str, lead_id: &str, at: &str) -> Result<(), ApiError> {
    let allows = |payload: &str| {
        parse_lead(payload.as_bytes())
            .ok()
            .and_then(|l| l.consent)
            .is_some_and(|c| c.allows_history())
    };
    match state
        .store
        .bind_device(device, lead_id, at, allows)
        .await
        .map_err(ApiError::unavailable)?
    {
        Bound::To(_) => Ok(()),
        Bound::Refused => Err(gone()),
        Bound::NoSuchLead => Err(ApiError {
            retry_after: Some(LEAD_NOT_STORED_RETRY_S),
            pointer: Some("/lead_id".into()),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "lead_not_stored",
                "the submission this device id was made at is not stored yet; retry after it",
            )
        }),
    }
}

/// 410: this device may not send events (no consent, withdrawn, erased): the loader drops
/// its device id and sends no more.
fn gone() -> ApiError {
    ApiError {
        pointer: Some("/device".into()),
        ..ApiError::new(
            StatusCode::GONE,
            "device_not_allowed",
            "this device may not send events: its submission gave no marketing consent, or it was withdrawn or erased",
        )
    }
}
