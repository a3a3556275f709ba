//! Offer analytics: `POST /api/v1/counts` takes what a page view's widget counted of the
//! offers it showed (`leadmagnet_core::analytics`: counts only, nothing that tells visitors
//! apart), and `GET /api/v1/offers/{id}/report` and `report.csv` (admin) hands out the report the
//! inbox shows.
//!
//! A batch is checked whole before anything is counted (every offer known and allowed to
//! the page's origin, every event one of its offer), then counted in one transaction:
//! a retried or crafted batch never leaves half of itself behind. Counts share the event
//! batches' rate limit per client.

use super::{authorize, now_ms, received_json, throttle, ApiError};
use crate::inbox::ConnectInfoOpt;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use leadmagnet_core::analytics::{parse_counts, Report};
use leadmagnet_core::config::{normalize_origin, OfferConfig};
use leadmagnet_core::json::ToJson;
use leadmagnet_core::time::format_rfc3339;
use serde_json::json;
use std::sync::Arc;

/// `POST /api/v1/counts` `{"version": 1, "offers": [{"offer_id", "variant"?, "events"}]}`
/// (JSON or text/plain, as a keepalive request sends it): 202 `{"counted": n}`; 400/422
/// naming the problem; 403 for a page whose origin may not send leads for the offer.
pub async fn add_counts(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = received_json(&headers, body, "count batch")?;
    throttle(
        &state.event_rate_limit,
        &state,
        &extensions,
        &headers,
        "count batches",
    )?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "the body is not UTF-8",
        )
    })?;
    let batch = parse_counts(text).map_err(|(syntax, message)| {
        if syntax {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", message)
        } else {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_counts", message)
        }
    })?;
    // Counts come from the widget in a browser, which names its page's origin on every
    // POST: a request without one is no page view (it would also let anyone count for any
    // offer from anywhere).
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(|o| normalize_origin(o).unwrap_or_default())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "origin_required",
                "counts are sent by the widget from a page, which names its origin (the Origin header); this request names none",
            )
        })?;
    let mut counted = Vec::new();
    for (i, offer) in batch.offers.iter().enumerate() {
        let problem = |message: String| ApiError {
            pointer: Some(format!("/offers/{i}")),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_counts", message)
        };
        let config = state.offers.get(&offer.offer_id).ok_or_else(|| {
            problem(format!(
                "this collector has no offer \"{}\"",
                offer.offer_id
            ))
        })?;
        if !origin_allowed(&state, &config, &origin) {
            let from = if origin.is_empty() {
                "a page without an origin of its own (Origin: null, a sandboxed frame or a file)"
                    .to_owned()
            } else {
                format!("pages on {origin:?}")
            };
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                format!(
                    "{from} may not send counts for offer \"{}\"; add the origin to the offer's allowed_origins (or --allow-origin)",
                    offer.offer_id
                ),
            ));
        }
        let events = offer.checked(&config).map_err(problem)?;
        counted.push((
            offer.offer_id.clone(),
            offer.variant.clone().unwrap_or_default(),
            events,
        ));
    }
    // The collector's day (UTC), not the visitor's clock.
    let day = format_rfc3339(now_ms() as i64)[..10].to_owned();
    state
        .store
        .add_counts(&day, &counted)
        .await
        .map_err(ApiError::unavailable)?;
    let n: usize = counted.iter().map(|(_, _, e)| e.len()).sum();
    Ok((StatusCode::ACCEPTED, Json(json!({ "counted": n }))).into_response())
}

fn origin_allowed(state: &AppState, config: &OfferConfig, origin: &str) -> bool {
    !origin.is_empty()
        && (state.allowed_origins.iter().any(|o| o == origin)
            || config
                .allowed_origins
                .iter()
                .any(|o| normalize_origin(o).as_deref() == Some(origin)))
}

/// The config of an offer the report is asked for, and its counts.
pub(crate) async fn counts_of(
    state: &AppState,
    offer_id: &str,
) -> Result<(Arc<OfferConfig>, Vec<leadmagnet_core::analytics::Row>), ApiError> {
    let config = state.offers.get(offer_id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_offer",
            format!("this collector has no offer \"{offer_id}\""),
        )
    })?;
    let rows = state
        .store
        .offer_counts(offer_id)
        .await
        .map_err(ApiError::unavailable)?;
    Ok((config, rows))
}

/// `GET /api/v1/offers/{offer_id}/report` (admin): the report as JSON.
pub async fn report(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    Path(offer_id): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&state, peer, &headers)?;
    let (config, rows) = counts_of(&state, &offer_id).await?;
    let report = Report::of(&config, &rows);
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        report.to_json_string(),
    )
        .into_response())
}

/// `GET /api/v1/offers/{offer_id}/report.csv` (admin): the daily counts per variant.
pub async fn report_csv(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    Path(offer_id): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&state, peer, &headers)?;
    let (config, rows) = counts_of(&state, &offer_id).await?;
    Ok(csv_response(&offer_id, Report::csv(&config, &rows)))
}

/// A CSV download named after the offer.
pub(crate) fn csv_response(offer_id: &str, csv: String) -> Response {
    let name: String = offer_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}-report.csv\""),
            ),
        ],
        csv,
    )
        .into_response()
}
