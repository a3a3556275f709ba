//! Server-side forwarding of accepted leads to the CRMs and webhooks an offer names in
//! `forward`: from the database outbox the lead's own transaction filled, with retries and
//! backoff, and the outcome kept per lead and target (`GET /api/v1/leads` shows it). So
//! leads reach the CRM even when a visitor's browser blocks third-party requests, and the
//! secrets (HubSpot's private app token, a webhook's signing key) stay in the collector's
//! environment.
//!
//! - `hubspot`: Forms API v3 *secure* submit, `POST {base}/submissions/v3/integration/secure/
//!   submit/{portal_id}/{form_guid}` with `Authorization: Bearer <token>`.
//! - `webhook`: `POST url` with `{lead_id, offer_id, payload, server_score}` as JSON,
//!   `Idempotency-Key: <lead_id>` and `Leadmagnet-Signature: t=<unix seconds>,v1=<hex
//!   HMAC-SHA-256(key, "<t>.<body>")>`; receivers recompute it and reject old `t`.

use crate::store::{DueForward, Store};
use crate::AppState;
use leadmagnet_core::config::{Forward, ForwardKind};
use leadmagnet_core::formats;
use leadmagnet_core::pow::{hex, hmac_sha256};
use leadmagnet_core::OfferConfig;
use serde_json::{json, Value};
use std::time::Duration;

/// HubSpot's API, unless `LEADMAGNET_HUBSPOT_API` points elsewhere (a proxy, a test).
pub const HUBSPOT_API: &str = "https://api.hsforms.com";
/// Attempts before a forwarding is given up as `failed` (about a day of backoff).
pub const MAX_ATTEMPTS: i64 = 12;
/// How long one attempt holds its row (other collectors leave it alone meanwhile).
const LEASE_MS: i64 = 5 * 60 * 1000;

/// Looks a secret up by its environment variable's name.
type Secrets = std::sync::Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What the forwarder needs besides the state: an HTTP client, HubSpot's base URL, and
/// where secrets are read (the process environment, or a map in tests).
#[derive(Clone)]
pub struct Forwarder {
    client: reqwest::Client,
    pub hubspot_api: String,
    secrets: Secrets,
}

impl Forwarder {
    pub fn new(
        hubspot_api: &str,
        secrets: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Forwarder {
        Forwarder {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                // A target's redirect would lead past the address check of its config
                // (to this machine's or the network's inside): never followed.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            hubspot_api: hubspot_api.trim_end_matches('/').to_owned(),
            secrets: std::sync::Arc::new(secrets),
        }
    }

    /// Reads secrets from the process environment.
    pub fn from_env() -> Forwarder {
        let api = std::env::var("LEADMAGNET_HUBSPOT_API").unwrap_or_else(|_| HUBSPOT_API.into());
        Forwarder::new(&api, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// Sends what is due at `now_ms` (at most 50); returns how many attempts were made.
    pub async fn run_once(&self, state: &AppState, now_ms: i64) -> Result<usize, sqlx::Error> {
        let due = state.store.due_forwards(now_ms, 50).await?;
        let mut attempts = 0;
        for item in due {
            if !state.store.claim_forward(&item, now_ms + LEASE_MS).await? {
                continue;
            }
            attempts += 1;
            let config = state.offers.get(&item.offer_id);
            let outcome = match config
                .as_ref()
                .and_then(|config| Some((config, config.forward.get(item.target as usize)?)))
            {
                Some((config, target)) => self.send(config, target, &item, now_ms).await,
                None => Err(Attempt::Retry(format!(
                    "offer \"{}\" has no forward[{}] now (config changed or invalid)",
                    item.offer_id, item.target
                ))),
            };
            record(&state.store, &item, outcome, now_ms).await?;
        }
        Ok(attempts)
    }

    async fn send(
        &self,
        config: &OfferConfig,
        target: &Forward,
        item: &DueForward,
        now_ms: i64,
    ) -> Result<(), Attempt> {
        let secret = (self.secrets)(&target.secret_env).ok_or_else(|| {
            Attempt::Retry(format!(
                "the environment variable {} is not set on the collector",
                target.secret_env
            ))
        })?;
        let payload: Value = serde_json::from_str(&item.payload).unwrap_or(Value::Null);
        let request = match target.to {
            ForwardKind::Hubspot => {
                let url = format!(
                    "{}/submissions/v3/integration/secure/submit/{}/{}",
                    self.hubspot_api,
                    target.portal_id.as_deref().unwrap_or(""),
                    target.form_guid.as_deref().unwrap_or("")
                );
                // The core's HubSpot format, as the widget sends it, with the consent
                // wording the offer states in the lead's locale.
                let lead = leadmagnet_core::parse_lead(item.payload.as_bytes()).map_err(|e| {
                    Attempt::Refused(format!("the stored payload does not read as a lead: {e}"))
                })?;
                let wording = formats::offer_wording(config, &lead);
                let request =
                    formats::hubspot(&url, &target.field_map, None, &lead, &wording, None);
                self.client
                    .post(request.url)
                    .bearer_auth(secret)
                    .header("content-type", "application/json")
                    .body(request.body)
            }
            ForwardKind::Webhook => {
                let body = json!({
                    "lead_id": item.lead_id,
                    "offer_id": item.offer_id,
                    "payload": payload,
                    "server_score": item.server_score.as_deref()
                        .and_then(|s| serde_json::from_str::<Value>(s).ok()),
                })
                .to_string();
                let t = now_ms / 1000;
                let signature = hex(&hmac_sha256(
                    secret.as_bytes(),
                    format!("{t}.{body}").as_bytes(),
                ));
                self.client
                    .post(target.url.as_deref().unwrap_or(""))
                    .header("content-type", "application/json")
                    .header("idempotency-key", &item.lead_id)
                    .header("leadmagnet-signature", format!("t={t},v1={signature}"))
                    .body(body)
            }
        };
        let response = request
            .send()
            .await
            .map_err(|e| Attempt::Retry(format!("no answer: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status.is_redirection() {
            return Err(Attempt::Refused(format!(
                "HTTP {}: redirects are not followed; give the target's final address",
                status.as_u16()
            )));
        }
        // HubSpot's answer names what it refused; a webhook's stays unread: its address
        // may be this machine's (http to localhost, for testing), whose pages are no one's
        // to read in the inbox.
        let text: String = match target.to {
            ForwardKind::Hubspot => response
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(500)
                .collect(),
            ForwardKind::Webhook => "(the answer's body is not kept)".to_owned(),
        };
        let message = format!("HTTP {}: {text}", status.as_u16());
        if status.as_u16() == 408 || status.as_u16() == 429 || status.is_server_error() {
            Err(Attempt::Retry(message))
        } else {
            Err(Attempt::Refused(message))
        }
    }
}

/// Why an attempt did not deliver (forwarding and hand-over notifications alike).
pub(crate) enum Attempt {
    /// Worth trying again later (network, timeouts, 408, 429, 5xx, a missing secret).
    Retry(String),
    /// The receiver refused the lead itself (another 4xx): kept as failed with the answer.
    Refused(String),
}

async fn record(
    store: &Store,
    item: &DueForward,
    outcome: Result<(), Attempt>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    match outcome {
        Ok(()) => store.record_forward(item, "sent", now_ms, None).await,
        Err(Attempt::Refused(why)) => {
            store
                .record_forward(item, "failed", now_ms, Some(&why))
                .await
        }
        Err(Attempt::Retry(why)) if item.attempts + 1 >= MAX_ATTEMPTS => {
            store
                .record_forward(item, "failed", now_ms, Some(&why))
                .await
        }
        Err(Attempt::Retry(why)) => {
            store
                .record_forward(
                    item,
                    "pending",
                    now_ms + backoff_ms(item.attempts + 1),
                    Some(&why),
                )
                .await
        }
    }
}

/// Exponential backoff after `attempts` failures: 2 s, 4 s, 8 s … capped at an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exponent = attempts.clamp(1, 20) as u32;
    (2_000i64 << (exponent - 1)).min(3_600_000)
}

/// Runs the forwarder every second for as long as the collector runs.
pub fn spawn(state: AppState, forwarder: Forwarder) {
    every_second(state, move |state, now| {
        let forwarder = forwarder.clone();
        async move {
            if let Err(e) = forwarder.run_once(&state, now).await {
                tracing::error!(error = %e, "forwarding: storage error");
            }
        }
    });
}

/// Runs `job(state, now_ms)` every second for as long as the collector runs: the
/// collector's outboxes (forwarding, hand-over notifications) are sent so.
pub fn every_second<F, Fut>(state: AppState, job: F)
where
    F: Fn(AppState, i64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            job(state.clone(), crate::clock::now_ms()).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(5), 32_000);
        assert_eq!(backoff_ms(12), 3_600_000);
    }
}
