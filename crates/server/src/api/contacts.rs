//! `GET /api/v1/contacts` and `GET /api/v1/contacts/{contact_id}`: people, not
//! submissions. A contact is every lead with one normalised email address
//! (`leadmagnet_core::email::key`); what those add up to — the profile, each value with
//! the submission it came from, and one event history — is the core's rule
//! (`leadmagnet_core::contact`). The leads stay as they were received, one click away
//! (`GET /api/v1/leads`).

use super::{admin_query, authorize, ApiError};
use crate::domains::FullLists;
use crate::inbox::ConnectInfoOpt;
use crate::store::{ContactRow, Moved, StoredLead};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use leadmagnet_core::contact::{Contact, Submission, MAX_CONTACT_EVENTS};
use leadmagnet_core::json::Writer;
use leadmagnet_core::parse_lead;
use leadmagnet_core::scoring::Score;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ContactsQuery {
    pub limit: Option<u32>,
}

/// `GET /api/v1/contacts?limit=` (admin token): the most recently active first, each
/// with its latest address, number of submissions, first and last seen.
pub async fn list_contacts(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    query: Result<Query<ContactsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let query = admin_query(&state, peer, &headers, query)?;
    let limit = super::checked_limit(query.limit)?;
    let contacts = state
        .store
        .contacts(limit)
        .await
        .map_err(ApiError::unavailable)?;
    let mut w = Writer::new(false);
    w.begin_object();
    w.key("contacts");
    w.begin_array();
    for c in &contacts {
        w.element();
        w.begin_object();
        row_fields(&mut w, c);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    Ok(json_response(w.finish()))
}

/// `GET /api/v1/contacts/{contact_id}` (admin token): the contact with its profile, its
/// submissions (oldest first; quarantined ones listed, flagged, and left out of the
/// profile and events: a bot may use anyone's address), its events, and its score against
/// the account-wide model (`scoring.json` in the offers folder) when there is one.
pub async fn get_contact(
    State(state): State<AppState>,
    Path(contact_id): Path<String>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, peer, &headers)?;
    let Some(person) = person(&state, &contact_id)
        .await
        .map_err(ApiError::unavailable)?
    else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no contact {contact_id}"),
        ));
    };
    Ok(json_response(person_json(&person, false)))
}

/// A person as `GET /api/v1/contacts/{id}` answers (`pretty` for the inbox's raw view).
pub fn person_json(person: &Person, pretty: bool) -> String {
    let Person {
        row,
        leads,
        contact,
        score,
        ..
    } = person;
    let mut w = Writer::new(pretty);
    w.begin_object();
    row_fields(&mut w, row);
    w.field("profile", &contact.profile);
    w.key("submissions");
    w.begin_array();
    for lead in leads {
        w.element();
        w.begin_object();
        w.field("lead_id", &lead.lead_id);
        w.field("offer_id", &lead.offer_id);
        w.field("submitted_at", &lead.submitted_at);
        w.field("received_at", &lead.received_at);
        w.field("stage", &lead.stage);
        w.field("quarantined", &lead.quarantine.is_some());
        w.end_object();
    }
    w.end_array();
    w.field("events", &contact.events);
    w.field_opt("score", score);
    w.end_object();
    w.finish()
}

/// A contact as the API and the inbox show it.
pub struct Person {
    pub row: ContactRow,
    /// Its leads as stored, oldest first.
    pub leads: Vec<StoredLead>,
    /// What the non-quarantined ones add up to.
    pub contact: Contact,
    /// Against the account-wide model, when there is one.
    pub score: Option<Score>,
    /// How the total changed over the last 7 days (the score then, over what the
    /// collector had received by then), when there is a model and it was asked for.
    pub trend: Option<f64>,
}

/// Days [`Person::trend`] looks back.
pub const TREND_DAYS: i64 = 7;

/// The contact `contact_id`, or `None` when there is no such contact (without the trend:
/// what scoring after a lead or an event needs).
pub async fn person(state: &AppState, contact_id: &str) -> Result<Option<Person>, sqlx::Error> {
    person_as(state, contact_id, false).await
}

/// The contact with its 7-day trend too (what the people page shows).
pub async fn person_with_trend(
    state: &AppState,
    contact_id: &str,
) -> Result<Option<Person>, sqlx::Error> {
    person_as(state, contact_id, true).await
}

async fn person_as(
    state: &AppState,
    contact_id: &str,
    with_trend: bool,
) -> Result<Option<Person>, sqlx::Error> {
    let Some((row, leads)) = state.store.contact(contact_id).await? else {
        return Ok(None);
    };
    // Quarantined leads are evidence, not facts: a bot may use anyone's address.
    let payloads: Vec<_> = leads
        .iter()
        .filter(|l| l.quarantine.is_none())
        .filter_map(|l| {
            let received_ms = leadmagnet_core::time::parse_rfc3339(&l.received_at)?;
            Some((parse_lead(l.payload.get().as_bytes()).ok()?, received_ms))
        })
        .collect();
    let submissions: Vec<Submission> = payloads
        .iter()
        .map(|(lead, received_ms)| Submission {
            lead,
            received_ms: *received_ms,
        })
        .collect();
    // What their browsers sent since (bounded: the newest MAX_CONTACT_EVENTS), so
    // re-scoring after an event reads at most that many, however long the history.
    let later = state
        .store
        .contact_events(contact_id, MAX_CONTACT_EVENTS)
        .await?;
    let contact = Contact::of(&submissions, &later);
    // Scored against the account-wide model over everything the person did, each event
    // decayed by its age now; and as it stood a week ago, over what had arrived by then.
    let now = super::now_ms() as i64;
    let model = state.offers.model();
    let score = model
        .as_ref()
        .map(|m| contact.score(&m.scoring, now, FullLists::get()));
    let trend = model
        .as_ref()
        .zip(score.as_ref())
        .filter(|_| with_trend)
        .map(|(m, now_score)| {
            let then = now - TREND_DAYS * 86_400_000;
            let earlier: Vec<Submission> = submissions
                .iter()
                .filter(|s| s.received_ms <= then)
                .map(|s| Submission {
                    lead: s.lead,
                    received_ms: s.received_ms,
                })
                .collect();
            let before = if earlier.is_empty() {
                0
            } else {
                let events: Vec<_> = later
                    .iter()
                    .filter(|e| {
                        leadmagnet_core::time::parse_rfc3339(&e.at).is_some_and(|t| t <= then)
                    })
                    .cloned()
                    .collect();
                Contact::of(&earlier, &events)
                    .score(&m.scoring, then, FullLists::get())
                    .total
            };
            (now_score.total - before) as f64
        });
    Ok(Some(Person {
        row,
        leads,
        contact,
        score,
        trend,
    }))
}

fn row_fields(w: &mut Writer, c: &ContactRow) {
    w.field("contact_id", &c.contact_id);
    w.field_opt("email", &c.email);
    w.field("submission_count", &c.submissions);
    w.field("first_seen", &c.first_seen);
    w.field("last_seen", &c.last_seen);
    w.field("stage", &c.stage);
    w.field_opt("mql_at", &c.mql_at);
    w.field_opt("queue", &c.queue);
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `POST /api/v1/contacts/{contact_id}/stage` `{"stage", "reason"?, "by"}` (admin token):
/// moves a person along the waterfall as leads are moved (sales accepts an MQL, rejects it
/// with a reason, recycles a rejected person to `inquiry`, from where the model can make
/// them an MQL again).
pub async fn move_contact(
    State(state): State<AppState>,
    Path(contact_id): Path<String>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    body: Result<axum::Json<super::StageMove>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, peer, &headers)?;
    let step = super::checked_move(body)?;
    let at = leadmagnet_core::time::format_rfc3339(super::now_ms() as i64);
    let moved = state
        .store
        .move_contact(
            &contact_id,
            &step.stage,
            step.reason.as_deref(),
            step.by.trim(),
            &at,
        )
        .await
        .map_err(ApiError::unavailable)?;
    match moved {
        Moved::Done => {
            let mut w = Writer::new(false);
            w.begin_object();
            w.field("contact_id", &contact_id);
            w.field("stage", &step.stage);
            w.field("at", &at);
            w.end_object();
            Ok(json_response(w.finish()))
        }
        Moved::NoSuchLead => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no contact {contact_id}"),
        )),
        Moved::Refused(why) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            why,
        )),
    }
}

/// The most recently active people (at most `limit`), each with their score and its 7-day
/// trend: the people page and its CSV.
pub async fn people(state: &AppState, limit: u32) -> Result<Vec<Person>, sqlx::Error> {
    let mut people = Vec::new();
    for row in state.store.contacts(limit).await? {
        if let Some(p) = person_with_trend(state, &row.contact_id).await? {
            people.push(p);
        }
    }
    Ok(people)
}

/// When an MQL must be accepted (the model's `mql.sla_hours` after the MQL moment), in
/// milliseconds and RFC 3339; `None` for a person who is not an MQL.
pub fn sla_due(state: &AppState, person: &Person) -> Option<(i64, String)> {
    let hours = state.offers.model()?.scoring.mql.as_ref()?.sla_hours?;
    let since = leadmagnet_core::time::parse_rfc3339(person.row.mql_at.as_deref()?)?;
    let due = since + (hours * 3_600_000.0) as i64;
    (person.row.stage == "mql").then(|| (due, leadmagnet_core::time::format_rfc3339(due)))
}

/// When the person last did something: their latest submission or event.
pub fn last_activity(person: &Person) -> String {
    match person.contact.events.last().map(|e| e.at.clone()) {
        Some(at) if at > person.row.last_seen => at,
        _ => person.row.last_seen.clone(),
    }
}

/// People as CSV, one row per person (cells quoted, formula starts neutralised).
pub fn people_csv(state: &AppState, people: &[Person], now: i64) -> Response {
    let mut out = String::from("\u{feff}");
    super::csv_row(
        &mut out,
        &[
            "contact_id",
            "email",
            "stage",
            "queue",
            "mql_at",
            "sla_due_at",
            "sla_overdue",
            "total",
            "trend_7d",
            "grade",
            "level",
            "matrix",
            "submissions",
            "first_seen",
            "last_activity",
        ]
        .map(String::from),
    );
    for p in people {
        let score = p.score.as_ref();
        let due = sla_due(state, p);
        super::csv_row(
            &mut out,
            &[
                p.row.contact_id.clone(),
                p.row.email.clone().unwrap_or_default(),
                p.row.stage.clone(),
                p.row.queue.clone().unwrap_or_default(),
                p.row.mql_at.clone().unwrap_or_default(),
                due.as_ref().map_or_else(String::new, |(_, at)| at.clone()),
                due.as_ref()
                    .map_or_else(String::new, |(ms, _)| (*ms < now).to_string()),
                score.map_or_else(String::new, |s| s.total.to_string()),
                p.trend
                    .map_or_else(String::new, leadmagnet_core::config::num),
                score.map_or_else(String::new, |s| s.grade.clone()),
                score.map_or_else(String::new, |s| s.level.to_string()),
                score.map_or_else(String::new, |s| s.matrix.clone()),
                p.row.submissions.to_string(),
                p.row.first_seen.clone(),
                last_activity(p),
            ],
        );
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"people.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct PeopleQuery {
    limit: Option<u32>,
}

/// `GET /api/v1/contacts.csv?limit=` (admin token; `limit` 1–1000, default 200): the most
/// recently active people as CSV, one row per person, as the inbox exports them.
pub async fn export_csv(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    query: Result<Query<PeopleQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let q = admin_query(&state, peer, &headers, query)?;
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit must be from 1 to 1000",
        ));
    }
    let people = people(&state, limit).await.map_err(ApiError::unavailable)?;
    Ok(people_csv(&state, &people, super::now_ms() as i64))
}
