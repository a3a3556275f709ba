//! The MQL moment in the collector. After a lead is stored, its person is scored against
//! the account-wide model over everything they did; the first time they meet the MQL
//! criteria (`leadmagnet_core::handover::is_mql_moment`), the move is recorded once with
//! its cause, and the queue's notifications are queued in the same transaction: a signed
//! webhook and an email to each of the queue's owners. The notifier sends them from that
//! outbox every second, with retries and backoff, so a hand-over is told within seconds and
//! never lost to a receiver that is down.
//!
//! - Webhook: `POST url` with the notice as JSON (`{"event": "mql", contact_id, email,
//!   queue, at, sla_due_at, cause, score}`), `Idempotency-Key: mql-<contact_id>-<at>` and
//!   `Leadmagnet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256(key, "<t>.<body>")>` as
//!   forwarding webhooks are signed; the key is read from the queue's `secret_env`.
//! - A person still an MQL when the SLA (`mql.sla_hours`) has passed gets one reminder
//!   (event `sla_overdue`) the same two ways.
//! - Email: plain text over SMTP (`LEADMAGNET_SMTP_URL`, e.g. `smtp://127.0.0.1:25` or
//!   `smtp://user:pass@relay:587?tls=required`), from `LEADMAGNET_MAIL_FROM`; the link to
//!   the person uses `LEADMAGNET_PUBLIC_URL`.

use crate::forward::{backoff_ms, Attempt, MAX_ATTEMPTS};
use crate::store::{DueNotice, NewNotice};
use crate::AppState;
use leadmagnet_core::account::ScoringModel;
use leadmagnet_core::handover::{cause, is_mql_moment, Notice};
use leadmagnet_core::json::ToJson;
use leadmagnet_core::pow::{hex, hmac_sha256};
use leadmagnet_core::time::format_rfc3339;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one attempt holds its row (other collectors leave it alone meanwhile).
const LEASE_MS: i64 = 60 * 1000;

/// Scores the person of `email` after one of their leads was stored, and hands them over
/// if this made them an MQL. Returns whether it did.
pub async fn after_lead(state: &AppState, email: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
    if state.offers.model().is_none() {
        return Ok(false);
    }
    let Some((contact_id, stage)) = state.store.contact_of(email).await? else {
        return Ok(false);
    };
    if stage != "inquiry" {
        // Only forward: sales has them (or has closed them).
        return Ok(false);
    }
    consider(state, &contact_id, now_ms).await
}

/// Scores the person `contact_id` now (after a lead, or after their browser sent events)
/// and hands them over if they have just become an MQL. Returns whether it did.
pub async fn consider(
    state: &AppState,
    contact_id: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let Some(model) = state.offers.model() else {
        return Ok(false);
    };
    if !state.store.contact_stage_is(contact_id, "inquiry").await? {
        // Only forward: sales has them (or has closed them); nothing to score for.
        return Ok(false);
    }
    let Some(person) = crate::api::contacts::person(state, contact_id).await? else {
        return Ok(false);
    };
    let contact_id = contact_id.to_owned();
    let Some(score) = person.score else {
        return Ok(false);
    };
    if !is_mql_moment(&person.row.stage, &score) {
        return Ok(false);
    }
    let at = format_rfc3339(now_ms);
    let sla_due_at = model
        .scoring
        .mql
        .as_ref()
        .and_then(|m| m.sla_hours)
        .map(|hours| format_rfc3339(now_ms + (hours * 3_600_000.0) as i64));
    let email = person.row.email.clone().unwrap_or_default();
    let queue = score.queue.clone();
    let notice = Notice {
        contact_id: &contact_id,
        email: &email,
        queue: queue.as_deref().unwrap_or(""),
        at: &at,
        sla_due_at: sla_due_at.as_deref(),
        score: &score,
        overdue: false,
    };
    let notices = notices_for(&model, &notice);
    let cause = cause(&score).to_json_string();
    let moved = state
        .store
        .hand_over(&contact_id, &at, queue.as_deref(), &cause, &notices)
        .await?;
    if moved {
        tracing::info!(contact = %contact_id, queue = ?queue, "a new MQL, handed over");
    }
    Ok(moved)
}

/// What `notice` becomes for its queue: the webhook's request and an email per owner.
fn notices_for(model: &ScoringModel, notice: &Notice) -> Vec<NewNotice> {
    let mut notices = Vec::new();
    let Some(settings) = model.queues.get(notice.queue) else {
        return notices;
    };
    if let Some(url) = &settings.webhook {
        notices.push(NewNotice {
            channel: "webhook",
            target: url.clone(),
            subject: None,
            body: notice.to_json_string(),
            secret_env: settings.secret_env.clone(),
        });
    }
    let public = std::env::var("LEADMAGNET_PUBLIC_URL").unwrap_or_default();
    let (subject, body) = notice.email(public.trim_end_matches('/'));
    for owner in &settings.owners {
        notices.push(NewNotice {
            channel: "email",
            target: owner.clone(),
            subject: Some(subject.clone()),
            body: body.clone(),
            secret_env: None,
        });
    }
    notices
}

/// Queues the one reminder for each person still an MQL past the SLA (`mql.sla_hours`).
/// Returns how many were reminded.
pub async fn remind_overdue(state: &AppState, now_ms: i64) -> Result<usize, sqlx::Error> {
    let Some(model) = state.offers.model() else {
        return Ok(0);
    };
    let Some(hours) = model.scoring.mql.as_ref().and_then(|m| m.sla_hours) else {
        return Ok(0);
    };
    let before = format_rfc3339(now_ms - (hours * 3_600_000.0) as i64);
    let mut reminded = 0;
    for (contact_id, email, queue, mql_at) in state.store.overdue_mqls(&before).await? {
        let Some(person) = crate::api::contacts::person(state, &contact_id).await? else {
            continue;
        };
        let Some(score) = person.score else {
            continue;
        };
        let due = leadmagnet_core::time::parse_rfc3339(&mql_at)
            .map(|t| format_rfc3339(t + (hours * 3_600_000.0) as i64));
        let notice = Notice {
            contact_id: &contact_id,
            email: email.as_deref().unwrap_or(""),
            queue: queue.as_deref().unwrap_or(""),
            at: &mql_at,
            sla_due_at: due.as_deref(),
            score: &score,
            overdue: true,
        };
        let notices = notices_for(&model, &notice);
        if state
            .store
            .remind(&contact_id, &format_rfc3339(now_ms), &notices)
            .await?
        {
            reminded += 1;
        }
    }
    Ok(reminded)
}

type Secrets = std::sync::Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Sends queued hand-over notifications.
#[derive(Clone)]
pub struct Notifier {
    client: reqwest::Client,
    mailer: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<lettre::message::Mailbox>,
    secrets: Secrets,
}

impl Notifier {
    /// `smtp_url`: where mail goes (none: emails wait, each attempt failing with why);
    /// `from`: the sender's address.
    pub fn new(
        smtp_url: Option<&str>,
        from: Option<&str>,
        secrets: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Notifier, String> {
        let mailer = match smtp_url.filter(|u| !u.is_empty()) {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("LEADMAGNET_SMTP_URL is not an SMTP URL such as smtp://127.0.0.1:25: {e}"))?
                    .timeout(Some(Duration::from_secs(15)))
                    .build(),
            ),
            None => None,
        };
        let from = match from.filter(|f| !f.is_empty()) {
            Some(f) => Some(f.parse().map_err(|e| {
                format!(
                    "LEADMAGNET_MAIL_FROM \"{f}\" is not an address such as leads@example.com: {e}"
                )
            })?),
            None => None,
        };
        Ok(Notifier {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap_or_default(),
            mailer,
            from,
            secrets: std::sync::Arc::new(secrets),
        })
    }

    /// From `LEADMAGNET_SMTP_URL`, `LEADMAGNET_MAIL_FROM` and the process environment.
    pub fn from_env() -> Result<Notifier, String> {
        let var = |name: &str| std::env::var(name).ok();
        Notifier::new(
            var("LEADMAGNET_SMTP_URL").as_deref(),
            var("LEADMAGNET_MAIL_FROM").as_deref(),
            |name| std::env::var(name).ok().filter(|v| !v.is_empty()),
        )
    }

    /// Sends what is due at `now_ms` (at most 50); returns how many attempts were made.
    pub async fn run_once(&self, state: &AppState, now_ms: i64) -> Result<usize, sqlx::Error> {
        let mut attempts = 0;
        for due in state.store.due_notices(now_ms, 50).await? {
            if !state.store.claim_notice(&due, now_ms + LEASE_MS).await? {
                continue;
            }
            attempts += 1;
            let outcome = match due.channel.as_str() {
                "webhook" => self.webhook(&due, now_ms).await,
                _ => self.email(&due).await,
            };
            let (status, next_at, error) = match outcome {
                Ok(()) => ("sent", now_ms, None),
                Err(Attempt::Refused(why)) => ("failed", now_ms, Some(why)),
                Err(Attempt::Retry(why)) if due.attempts + 1 >= MAX_ATTEMPTS => {
                    ("failed", now_ms, Some(why))
                }
                Err(Attempt::Retry(why)) => {
                    ("pending", now_ms + backoff_ms(due.attempts + 1), Some(why))
                }
            };
            if let Some(why) = &error {
                tracing::warn!(contact = %due.contact_id, channel = %due.channel, status, "hand-over notification: {why}");
            }
            state
                .store
                .record_notice(&due, status, next_at, error.as_deref())
                .await?;
        }
        Ok(attempts)
    }

    async fn webhook(&self, due: &DueNotice, now_ms: i64) -> Result<(), Attempt> {
        let name = due.secret_env.as_deref().unwrap_or_default();
        // A key that is not set yet may be set on the next start: retried, never sent
        // unsigned.
        let secret = (self.secrets)(name).ok_or_else(|| {
            Attempt::Retry(format!(
                "the signing key's environment variable {name} is not set"
            ))
        })?;
        let t = now_ms / 1000;
        let signature = hex(&hmac_sha256(
            secret.as_bytes(),
            format!("{t}.{}", due.body).as_bytes(),
        ));
        let response = self
            .client
            .post(&due.target)
            .header("content-type", "application/json")
            .header("idempotency-key", format!("mql-{}", due.id))
            .header("leadmagnet-signature", format!("t={t},v1={signature}"))
            .body(due.body.clone())
            .send()
            .await
            .map_err(|e| Attempt::Retry(format!("{}: {e}", due.target)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status == 408 || status == 429 {
            Err(Attempt::Retry(format!("{} answered {status}", due.target)))
        } else {
            Err(Attempt::Refused(format!(
                "{} answered {status}",
                due.target
            )))
        }
    }

    async fn email(&self, due: &DueNotice) -> Result<(), Attempt> {
        let (Some(mailer), Some(from)) = (&self.mailer, &self.from) else {
            return Err(Attempt::Retry(
                "no mail relay: set LEADMAGNET_SMTP_URL and LEADMAGNET_MAIL_FROM".into(),
            ));
        };
        let to = due
            .target
            .parse()
            .map_err(|e| Attempt::Refused(format!("{} is not an address: {e}", due.target)))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(due.subject.clone().unwrap_or_default())
            .header(ContentType::TEXT_PLAIN)
            .body(due.body.clone())
            .map_err(|e| Attempt::Refused(format!("cannot write the email: {e}")))?;
        match mailer.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => {
                Err(Attempt::Refused(format!("the relay refused it: {e}")))
            }
            Err(e) => Err(Attempt::Retry(format!("sending mail: {e}"))),
        }
    }
}

/// Runs the SLA reminders and the notifier every second for as long as the collector runs.
pub fn spawn(state: AppState, notifier: Notifier) {
    crate::forward::every_second(state, move |state, now| {
        let notifier = notifier.clone();
        async move {
            if let Err(e) = remind_overdue(&state, now).await {
                tracing::error!(error = %e, "SLA reminders: storage error");
            }
            if let Err(e) = notifier.run_once(&state, now).await {
                tracing::error!(error = %e, "hand-over notifications: storage error");
            }
        }
    });
}
