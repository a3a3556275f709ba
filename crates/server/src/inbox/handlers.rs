//! The inbox's handlers: each reads the session, gathers what the page shows from the
//! store, and hands it to a view (`views.rs`) or makes the change a form asks for.

use super::session::{posted_by, signed_in, ADMIN};
use super::views::{self, Sla};
use super::ConnectInfoOpt;
use crate::api::{self, ListQuery};
use crate::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// A 422 page when a form's text holds a NUL character, which no database here stores.
fn refuse_nul(texts: &[&str]) -> Option<Response> {
    texts.iter().any(|t| t.contains('\0')).then(|| {
        views::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Refused",
            "The form held a NUL character, which cannot be stored; nothing was changed.",
        )
    })
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
    let (csrf, user) = match signed_in(&state, peer, &headers).await {
        Ok(signed_in) => signed_in,
        Err(page) => return page,
    };
    let leads = match api::listed(&state, &query, 500).await {
        Ok(leads) => leads,
        Err(_) => {
            return views::message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Leads",
                "The lead store is unavailable.",
            )
        }
    };
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
    let q = query.quarantined.map(|b| if b { "true" } else { "false" });
    let rows = leads
        .iter()
        .map(|lead| {
            let score = |key: &str| match lead.server_score.as_ref().map(|s| &s[key]) {
                Some(Value::String(v)) => v.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            views::Row {
                lead_id: lead.lead_id.clone(),
                email: lead.parsed["fields"]["email"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                offer_id: lead.offer_id.clone(),
                stage: lead.stage.clone(),
                matrix: score("matrix"),
                total: score("total"),
                queue: score("queue"),
                sla: match (&lead.sla_due_at, lead.overdue) {
                    (Some(due), true) => Sla::Overdue(due.clone()),
                    (Some(due), false) if lead.stage == "mql" => Sla::Due(due.clone()),
                    _ => Sla::None,
                },
                quarantine: lead.quarantine.as_ref().map(|q| q.join(", ")),
                received_at: lead.received_at.clone(),
            }
        })
        .collect();
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
    let offer_ids = state.offers.ids();
    let view = views::List {
        user: &user,
        csrf: &csrf,
        offer_ids: &offer_ids,
        offer: query.offer_id.as_deref(),
        stage: query.stage.as_deref(),
        quarantined: q,
        reached: leadmagnet_core::waterfall::STAGES
            .iter()
            .map(|s| reached[*s].to_string())
            .collect(),
        rates: [
            rate("mql_to_sal"),
            rate("sal_to_sql"),
            rate("sql_to_opportunity"),
            rate("opportunity_to_won"),
        ],
        export: &export,
        rows,
    };
    views::page(StatusCode::OK, "Leads", views::list(&view))
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
    let (csrf, user) = match signed_in(&state, peer, &headers).await {
        Ok(signed_in) => signed_in,
        Err(page) => return page,
    };
    let mut lead = match state.store.lead(&lead_id).await {
        Ok(Some(lead)) => lead,
        Ok(None) => return views::message(StatusCode::NOT_FOUND, "Lead", "No such lead."),
        Err(_) => {
            return views::message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Lead",
                "The lead store is unavailable.",
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
    let fields = lead.parsed["fields"]
        .as_object()
        .map(|f| {
            f.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    let json = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let forwards = serde_json::to_value(&lead.forwards).unwrap_or(Value::Null);
    let email = lead.parsed["fields"]["email"].as_str();
    let moves = leadmagnet_core::waterfall::next_stages(&lead.stage);
    let view = views::Detail {
        csrf: &csrf,
        lead_id: &lead.lead_id,
        heading: email.unwrap_or(&lead.lead_id),
        offer_id: &lead.offer_id,
        stage: &lead.stage,
        overdue: lead.overdue,
        received_at: &lead.received_at,
        moves,
        fields,
        server_score: json(lead.server_score.as_ref().unwrap_or(&Value::Null)),
        browser_score: json(&lead.parsed["score"]),
        flags: lead.flags.join(", "),
        quarantine: lead.quarantine.clone().unwrap_or_default().join(", "),
        history: history
            .into_iter()
            .map(|(stage, reason, by, at)| (at, stage, by, reason.unwrap_or_default()))
            .collect(),
        forwards: json(&forwards),
        attribution: json(&lead.parsed["attribution"]),
        events: json(&lead.parsed["events"]),
        consent: json(&lead.parsed["consent"]),
        // Erasure cannot be undone: only the admin gets the form, and it wants the address
        // typed again.
        erase: email.filter(|_| user == ADMIN),
    };
    views::page(StatusCode::OK, "Lead", views::detail(&view))
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
        return views::page(StatusCode::FORBIDDEN, "Refused", views::admin_only());
    }
    let email = form.email.trim();
    let key = leadmagnet_core::email::key;
    if key(email).is_empty() || key(&form.confirm) != key(email) {
        return views::message_with_link(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not erased",
            "The address you typed does not match the lead's, so nothing was erased.",
            "/inbox",
            "Back to the inbox",
        );
    }
    match state.store.erase_email(email).await {
        Ok(erased) => {
            // How many, and by whom: never whose.
            tracing::info!(user = %user, erased, "erasure from the inbox");
            views::page(StatusCode::OK, "Erased", views::erased(erased, email))
        }
        Err(_) => views::message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not erased",
            "The lead store is unavailable; nothing was erased.",
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
            views::message(StatusCode::NOT_FOUND, "Lead", "No such lead.")
        }
        Ok(crate::store::Moved::Refused(why)) => views::message_with_link(
            StatusCode::CONFLICT,
            "Refused",
            &why,
            &format!("/inbox/leads/{lead_id}"),
            "Back to the lead",
        ),
        Err(_) => views::message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Lead",
            "The lead store is unavailable.",
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
    if let Err(page) = signed_in(&state, peer, &headers).await {
        return page;
    }
    match api::csv(&state, &query).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// `GET /inbox/contacts`: the people, one row per person however many forms they sent.
pub async fn contacts(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
) -> Response {
    let (csrf, _user) = match signed_in(&state, peer, &headers).await {
        Ok(signed_in) => signed_in,
        Err(page) => return page,
    };
    let Ok(contacts) = state.store.contacts(500).await else {
        return views::message(
            StatusCode::SERVICE_UNAVAILABLE,
            "People",
            "The lead store is unavailable.",
        );
    };
    let rows: Vec<views::PersonRow> = contacts
        .into_iter()
        .map(|c| views::PersonRow {
            email: c.email.unwrap_or_else(|| c.contact_id.clone()),
            contact_id: c.contact_id,
            submissions: c.submissions.to_string(),
            first_seen: c.first_seen,
            last_seen: c.last_seen,
        })
        .collect();
    views::page(StatusCode::OK, "People", views::people(&csrf, &rows))
}

/// `GET /inbox/contacts/{contact_id}`: one person — why their score is what it is, rule by
/// rule, their profile with where each value came from, their submissions and one
/// timeline of what they did.
pub async fn contact(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(contact_id): Path<String>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
) -> Response {
    let (csrf, _user) = match signed_in(&state, peer, &headers).await {
        Ok(signed_in) => signed_in,
        Err(page) => return page,
    };
    let person = match api::contacts::person(&state, &contact_id).await {
        Ok(Some(person)) => person,
        Ok(None) => return views::message(StatusCode::NOT_FOUND, "Person", "No such person."),
        Err(_) => {
            return views::message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Person",
                "The lead store is unavailable.",
            )
        }
    };
    let offer_of = |lead_id: &str| {
        person
            .leads
            .iter()
            .find(|l| l.lead_id == lead_id)
            .map_or_else(String::new, |l| l.offer_id.clone())
    };
    let text = |v: &leadmagnet_core::FieldValue| match v {
        leadmagnet_core::FieldValue::Text(t) => t.clone(),
        leadmagnet_core::FieldValue::Bool(true) => "yes".into(),
        leadmagnet_core::FieldValue::Bool(false) => "no".into(),
        leadmagnet_core::FieldValue::List(items) => items.join(", "),
    };
    let number = |n: Option<f64>| n.map_or_else(String::new, leadmagnet_core::config::num);
    let (score, breakdown) = match &person.score {
        Some(s) => (
            Some((
                s.total.to_string(),
                s.matrix.clone(),
                s.stage.name().to_owned(),
                s.queue.clone().unwrap_or_default(),
            )),
            s.breakdown
                .iter()
                .map(|c| {
                    (
                        c.rule.clone(),
                        c.kind.name().to_owned(),
                        leadmagnet_core::config::num(c.points),
                        c.events.map_or_else(String::new, |n| n.to_string()),
                    )
                })
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    let heading = person
        .row
        .email
        .clone()
        .unwrap_or_else(|| person.row.contact_id.clone());
    let view = views::PersonPage {
        csrf: &csrf,
        heading: &heading,
        profile: person
            .contact
            .profile
            .iter()
            .map(|(field, s)| {
                (
                    field.clone(),
                    text(&s.value),
                    s.lead_id.clone(),
                    offer_of(&s.lead_id),
                    s.submitted_at.clone(),
                )
            })
            .collect(),
        submissions: person
            .leads
            .iter()
            .map(|l| {
                (
                    l.lead_id.clone(),
                    l.offer_id.clone(),
                    l.submitted_at.clone(),
                    l.stage.clone(),
                    l.quarantine.is_some(),
                )
            })
            .collect(),
        score,
        breakdown,
        timeline: person
            .contact
            .events
            .iter()
            .map(|e| {
                (
                    e.at.clone(),
                    e.kind.clone(),
                    e.url
                        .clone()
                        .or_else(|| e.offer_id.clone())
                        .unwrap_or_default(),
                    number(e.seconds),
                    e.scroll_percent.map_or_else(String::new, |p| {
                        format!("{} %", leadmagnet_core::config::num(p))
                    }),
                )
            })
            .collect(),
    };
    views::page(StatusCode::OK, "Person", views::person(&view))
}
