//! The inbox's handlers: each reads the session, gathers what the page shows from the
//! store, and hands it to a view (`views.rs`) or makes the change a form asks for.

use super::session::{posted_by, signed_in, ADMIN};
use super::views::{self, Sla};
use super::ConnectInfoOpt;
use crate::api::contacts::Person;
use crate::api::{self, ListQuery};
use crate::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use leadmagnet_core::waterfall::STAGES;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// A 422 page when a form's text holds a NUL character, which no database here stores.
fn refuse_nul(texts: &[&str]) -> Option<Response> {
    texts.iter().any(|t| t.contains('\0')).then(|| {
        views::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::t("Refused", "Abgelehnt"),
            views::t("The form held a NUL character, which cannot be stored; nothing was changed.", "Das Formular enthielt ein NUL-Zeichen, das nicht gespeichert werden kann; nichts wurde geändert."),
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
                views::t("Leads", "Leads"),
                views::t(
                    "The lead store is unavailable.",
                    "Der Lead-Speicher ist nicht erreichbar.",
                ),
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
    views::page(
        StatusCode::OK,
        views::t("Leads", "Leads"),
        views::list(&view),
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
    let (csrf, user) = match signed_in(&state, peer, &headers).await {
        Ok(signed_in) => signed_in,
        Err(page) => return page,
    };
    let mut lead = match state.store.lead(&lead_id).await {
        Ok(Some(lead)) => lead,
        Ok(None) => {
            return views::message(
                StatusCode::NOT_FOUND,
                views::t("Lead", "Lead"),
                views::t("No such lead.", "Diesen Lead gibt es nicht."),
            )
        }
        Err(_) => {
            return views::message(
                StatusCode::SERVICE_UNAVAILABLE,
                views::t("Lead", "Lead"),
                views::t(
                    "The lead store is unavailable.",
                    "Der Lead-Speicher ist nicht erreichbar.",
                ),
            )
        }
    };
    api::with_sla(&state, &mut lead, now_ms());
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
    let payload = leadmagnet_core::parse_lead(lead.payload.get().as_bytes()).ok();
    let server_score = lead.server_score.as_ref().and_then(|v| {
        leadmagnet_core::json::read::<leadmagnet_core::scoring::Score>(&v.to_string(), false).ok()
    });
    // The person, when there is one: a contact of quarantined leads alone is none.
    let contact_id = match email {
        Some(email) => match state.store.contact_of(email).await.ok().flatten() {
            Some((id, _)) => state
                .store
                .contact(&id)
                .await
                .ok()
                .flatten()
                .map(|(row, _)| row.contact_id),
            None => None,
        },
        None => None,
    };
    let browser = &lead.parsed["score"];
    let view = views::Detail {
        csrf: &csrf,
        lead_id: &lead.lead_id,
        heading: email.unwrap_or(&lead.lead_id),
        offer_id: &lead.offer_id,
        stage: &lead.stage,
        overdue: lead.overdue,
        received_at: &lead.received_at,
        moves,
        contact_id,
        fields,
        score: server_score.as_ref().map(score_view),
        browser_score: match (browser["total"].as_i64(), browser["matrix"].as_str()) {
            (Some(total), Some(matrix)) => format!("{total} · {matrix}"),
            _ => "–".into(),
        },
        flags: lead.flags.join(", "),
        quarantine: lead.quarantine.clone().unwrap_or_default().join(", "),
        history: history
            .into_iter()
            .map(|(stage, reason, by, at)| (at, stage, by, reason.unwrap_or_default()))
            .collect(),
        forwards: json(&forwards),
        attribution: payload
            .as_ref()
            .map_or_else(Vec::new, attribution_sentences),
        events: payload
            .as_ref()
            .map_or_else(Vec::new, |p| p.events.iter().map(happening).collect()),
        consent: payload.as_ref().map_or_else(Vec::new, consent_sentences),
        raw: json(&lead.parsed),
        // Erasure cannot be undone: only the admin gets the form, and it wants the address
        // typed again.
        erase: email.filter(|_| user == ADMIN),
    };
    views::page(
        StatusCode::OK,
        views::t("Lead", "Lead"),
        views::detail(&view),
    )
}

/// Where a lead's visitor came from, in sentences.
fn attribution_sentences(lead: &leadmagnet_core::LeadPayload) -> Vec<String> {
    let touch = |t: &leadmagnet_core::consent::Touch| {
        let get = |k: &str| t.get(k).map(String::as_str);
        let mut s = get("landing_page").unwrap_or("?").to_owned();
        if let Some(source) = get("utm_source") {
            s += &format!(
                " ({} {source}",
                views::t("campaign source", "Kampagnenquelle")
            );
            if let Some(campaign) = get("utm_campaign") {
                s += &format!(", {campaign}");
            }
            s += ")";
        }
        if let Some(referrer) = get("referrer") {
            s += &format!(", {} {referrer}", views::t("referred by", "verwiesen von"));
        }
        if let Some(at) = get("at") {
            s += &format!(", {at}");
        }
        s
    };
    let mut out = Vec::new();
    if let Some(a) = &lead.attribution {
        if let Some(first) = &a.first_touch {
            out.push(format!(
                "{} {}",
                views::t("First came to", "Kam zuerst auf"),
                touch(first)
            ));
        }
        if let Some(last) = &a.last_touch {
            out.push(format!(
                "{} {}",
                views::t("This visit came to", "Dieser Besuch kam auf"),
                touch(last)
            ));
        }
    }
    if out.is_empty() {
        out.push(views::t("Not known.", "Nicht bekannt.").to_owned());
    }
    out
}

/// What a lead's visitor agreed to, in sentences.
fn consent_sentences(lead: &leadmagnet_core::LeadPayload) -> Vec<String> {
    let Some(c) = &lead.consent else {
        return vec![views::t("No consent record.", "Kein Einwilligungsnachweis.").to_owned()];
    };
    let mut out: Vec<String> = c
        .purposes
        .iter()
        .map(|p| {
            let purpose = match p.purpose.as_str() {
                "marketing" => views::t("marketing", "Marketing"),
                "processing" => views::t("processing their details", "Verarbeitung der Angaben"),
                other => other,
            };
            let (verb, version) = (
                if p.granted {
                    views::t("Agreed to", "Eingewilligt in")
                } else {
                    views::t("Did not agree to", "Nicht eingewilligt in")
                },
                p.text_version.as_deref().map_or_else(String::new, |v| {
                    format!(" ({} {v})", views::t("wording version", "Textversion"))
                }),
            );
            format!(
                "{verb} {purpose}: {} „{}“{version}.",
                views::t("field", "Feld"),
                p.field
            )
        })
        .collect();
    if c.gpc {
        out.push(
            views::t(
                "The browser sent Global Privacy Control: nothing beyond this page view was kept or sent.",
                "Der Browser sendete Global Privacy Control: nichts über diesen Seitenaufruf hinaus wurde gespeichert oder gesendet.",
            )
            .to_owned(),
        );
    }
    if let (Some(at), Some(page)) = (&c.at, &c.page_url) {
        out.push(format!(
            "{} {at}, {page}.",
            views::t("Given at", "Erteilt am")
        ));
    }
    out
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
        return views::page(
            StatusCode::FORBIDDEN,
            views::t("Refused", "Abgelehnt"),
            views::admin_only(),
        );
    }
    let email = form.email.trim();
    let key = leadmagnet_core::email::key;
    if key(email).is_empty() || key(&form.confirm) != key(email) {
        return views::message_with_link(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::t("Not erased", "Nicht gelöscht"),
            views::t(
                "The address you typed does not match the lead's, so nothing was erased.",
                "Die eingegebene Adresse passt nicht zu der des Leads; nichts wurde gelöscht.",
            ),
            "/inbox",
            views::t("Back to the inbox", "Zurück zur Inbox"),
        );
    }
    match state.store.erase_email(email).await {
        Ok(erased) => {
            // How many, and by whom: never whose.
            tracing::info!(user = %user, erased, "erasure from the inbox");
            views::page(
                StatusCode::OK,
                views::t("Erased", "Gelöscht"),
                views::erased(erased, email),
            )
        }
        Err(_) => views::message(
            StatusCode::SERVICE_UNAVAILABLE,
            views::t("Not erased", "Nicht gelöscht"),
            views::t(
                "The lead store is unavailable; nothing was erased.",
                "Der Lead-Speicher ist nicht erreichbar; nichts wurde gelöscht.",
            ),
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
    move_from_form(&state, &headers, form, Moving::Lead(&lead_id)).await
}

/// What a move from a form moves: a lead, or a person.
enum Moving<'a> {
    Lead(&'a str),
    Person(&'a str),
}

/// A move from a page's form: CSRF-checked, signed with the logged-in user (never what a
/// form says), then back to the page, or a page that says why not.
async fn move_from_form(
    state: &AppState,
    headers: &HeaderMap,
    form: StageForm,
    moving: Moving<'_>,
) -> Response {
    let user = match posted_by(
        state,
        headers,
        &form.csrf,
        views::t(", then make the move", " und verschieben Sie dann erneut"),
    )
    .await
    {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    if let Some(refused) = refuse_nul(&[&form.stage, form.reason.as_deref().unwrap_or("")]) {
        return refused;
    }
    let at = leadmagnet_core::time::format_rfc3339(now_ms());
    let reason = form.reason.as_deref().filter(|r| !r.trim().is_empty());
    let (moved, back, title, missing, back_text) = match moving {
        Moving::Lead(id) => (
            state
                .store
                .move_stage(id, &form.stage, reason, &user, &at)
                .await,
            format!("/inbox/leads/{id}"),
            views::t("Lead", "Lead"),
            views::t("No such lead.", "Diesen Lead gibt es nicht."),
            views::t("Back to the lead", "Zurück zum Lead"),
        ),
        Moving::Person(id) => (
            state
                .store
                .move_contact(id, &form.stage, reason, &user, &at)
                .await,
            format!("/inbox/contacts/{id}"),
            views::t("Person", "Person"),
            views::t("No such person.", "Diese Person gibt es nicht."),
            views::t("Back to the person", "Zurück zur Person"),
        ),
    };
    match moved {
        Ok(crate::store::Moved::Done) => Redirect::to(&back).into_response(),
        Ok(crate::store::Moved::NoSuchLead) => {
            views::message(StatusCode::NOT_FOUND, title, missing)
        }
        Ok(crate::store::Moved::Refused(why)) => views::message_with_link(
            StatusCode::CONFLICT,
            views::t("Refused", "Abgelehnt"),
            &why,
            &back,
            back_text,
        ),
        Err(_) => unavailable(title),
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

/// How many people the people page and its CSV show (each is scored on the page).
const PEOPLE_SHOWN: u32 = 200;

fn now_ms() -> i64 {
    crate::clock::now_ms()
}

/// Where a person stands against the SLA (`api::contacts::sla_due`).
fn person_sla(state: &AppState, person: &Person, now: i64) -> views::Sla {
    match api::contacts::sla_due(state, person) {
        Some((due, at)) if due < now => views::Sla::Overdue(at),
        Some((_, at)) => views::Sla::Due(at),
        None => views::Sla::None,
    }
}

fn unavailable(title: &str) -> Response {
    views::message(
        StatusCode::SERVICE_UNAVAILABLE,
        title,
        views::t(
            views::t(
                "The lead store is unavailable; try again in a moment.",
                "Der Lead-Speicher ist nicht erreichbar; versuchen Sie es gleich noch einmal.",
            ),
            "Der Lead-Speicher ist nicht erreichbar; versuchen Sie es gleich noch einmal.",
        ),
    )
}

/// `GET /inbox/contacts`: the people, one row per person however many forms they sent,
/// with their score now and its 7-day trend, grade × level, stage, queue, SLA state,
/// submissions and last activity; and how many people are in each stage.
pub async fn contacts(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
) -> Response {
    let (csrf, _user) = match signed_in(&state, peer, &headers).await {
        Ok(signed_in) => signed_in,
        Err(page) => return page,
    };
    let title = views::t("People", "Personen");
    let Ok(people) = api::contacts::people(&state, PEOPLE_SHOWN).await else {
        return unavailable(title);
    };
    let now = now_ms();
    let in_stage = STAGES
        .iter()
        .map(|s| {
            people
                .iter()
                .filter(|p| p.row.stage == *s)
                .count()
                .to_string()
        })
        .collect();
    let rows = people
        .iter()
        .map(|p| views::PersonRow {
            contact_id: p.row.contact_id.clone(),
            email: p
                .row
                .email
                .clone()
                .unwrap_or_else(|| p.row.contact_id.clone()),
            total: p
                .score
                .as_ref()
                .map_or_else(String::new, |s| s.total.to_string()),
            trend: p.trend,
            matrix: p
                .score
                .as_ref()
                .map_or_else(String::new, |s| s.matrix.clone()),
            stage: p.row.stage.clone(),
            queue: p.row.queue.clone().unwrap_or_default(),
            sla: person_sla(&state, p, now),
            submissions: p.row.submissions.to_string(),
            last_activity: api::contacts::last_activity(p),
        })
        .collect();
    views::page(
        StatusCode::OK,
        title,
        views::people(&views::People {
            csrf: &csrf,
            rows,
            in_stage,
        }),
    )
}

/// `GET /inbox/contacts.csv`: the people page as CSV (one row per person).
pub async fn export_contacts(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
) -> Response {
    if let Err(page) = signed_in(&state, peer, &headers).await {
        return page;
    }
    match api::contacts::people(&state, PEOPLE_SHOWN).await {
        Ok(people) => api::contacts::people_csv(&state, &people, now_ms()),
        Err(_) => unavailable("CSV"),
    }
}

/// A score in words for the page: the rule-by-rule breakdown.
fn score_view(s: &leadmagnet_core::scoring::Score) -> views::ScoreView {
    views::ScoreView {
        why: Vec::new(),
        total: s.total.to_string(),
        matrix: s.matrix.clone(),
        stage: s.stage.name().to_owned(),
        queue: s.queue.clone().unwrap_or_default(),
        breakdown: s
            .breakdown
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
    }
}

/// An event in words: (when, what, where, detail).
fn happening(e: &leadmagnet_core::scoring::Event) -> views::Happening {
    let what = match e.kind.as_str() {
        "page_view" => views::t("read a page", "Seite gelesen"),
        "offer_view" => views::t("saw an offer", "Angebot gesehen"),
        "offer_completed" => views::t("completed an offer", "Angebot abgeschlossen"),
        "return_visit" => views::t("came back", "kam wieder"),
        _ => "",
    };
    let mut detail = Vec::new();
    if let Some(seconds) = e.seconds {
        detail.push(format!("{} s", leadmagnet_core::config::num(seconds)));
    }
    if let Some(scroll) = e.scroll_percent {
        detail.push(format!(
            "{} {} %",
            views::t("scrolled", "gescrollt"),
            leadmagnet_core::config::num(scroll)
        ));
    }
    (
        e.at.clone(),
        if what.is_empty() {
            e.kind.clone()
        } else {
            what.to_owned()
        },
        e.url
            .clone()
            .or_else(|| e.offer_id.clone())
            .unwrap_or_default(),
        detail.join(", "),
    )
}

/// `GET /inbox/contacts/{contact_id}`: one person — why their score is what it is, rule by
/// rule, their profile with where each value came from, their submissions, one timeline
/// of submissions, events and stage moves (with the cause of the MQL moment), the moves
/// open to them, and their raw record.
pub async fn contact(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(contact_id): Path<String>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
) -> Response {
    let (csrf, user) = match signed_in(&state, peer, &headers).await {
        Ok(signed_in) => signed_in,
        Err(page) => return page,
    };
    let title = views::t("Person", "Person");
    let (person, moves) = match api::contacts::person(&state, &contact_id).await {
        Ok(Some(person)) => match state.store.contact_moves(&contact_id).await {
            Ok(moves) => (person, moves),
            Err(_) => return unavailable(title),
        },
        Ok(None) => {
            return views::message(
                StatusCode::NOT_FOUND,
                title,
                views::t("No such person.", "Diese Person gibt es nicht."),
            )
        }
        Err(_) => return unavailable(title),
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
        leadmagnet_core::FieldValue::Bool(true) => views::t("yes", "ja").into(),
        leadmagnet_core::FieldValue::Bool(false) => views::t("no", "nein").into(),
        leadmagnet_core::FieldValue::List(items) => items.join(", "),
    };
    let mut timeline: Vec<views::Happening> = person.contact.events.iter().map(happening).collect();
    // How the score changed: the person as they stood right after each form (their forms
    // and events up to then, scored then).
    let model = state.offers.model();
    let received: Vec<(i64, leadmagnet_core::LeadPayload)> = person
        .leads
        .iter()
        .filter(|l| l.quarantine.is_none())
        .filter_map(|l| {
            Some((
                leadmagnet_core::time::parse_rfc3339(&l.received_at)?,
                leadmagnet_core::parse_lead(l.payload.get().as_bytes()).ok()?,
            ))
        })
        .collect();
    let score_at = |t: i64| {
        let model = model.as_ref()?;
        let forms: Vec<leadmagnet_core::contact::Submission> = received
            .iter()
            .filter(|(r, _)| *r <= t)
            .map(|(r, lead)| leadmagnet_core::contact::Submission {
                lead,
                received_ms: *r,
            })
            .collect();
        let events: Vec<_> = person
            .contact
            .events
            .iter()
            .filter(|e| leadmagnet_core::time::parse_rfc3339(&e.at).is_some_and(|at| at <= t))
            .cloned()
            .collect();
        Some(
            leadmagnet_core::contact::Contact::of(&forms, &events).score(
                &model.scoring,
                t,
                crate::domains::FullLists::get(),
            ),
        )
    };
    for l in &person.leads {
        let detail = if l.quarantine.is_some() {
            views::t("quarantined", "in Quarantäne").to_owned()
        } else {
            leadmagnet_core::time::parse_rfc3339(&l.received_at)
                .and_then(score_at)
                .map_or_else(String::new, |s| {
                    format!(
                        "{} {} ({})",
                        views::t("score then", "Score danach"),
                        s.total,
                        s.matrix
                    )
                })
        };
        timeline.push((
            l.received_at.clone(),
            views::t("sent a form", "Formular gesendet").to_owned(),
            l.offer_id.clone(),
            detail,
        ));
    }
    for (to, cause, by, at) in &moves {
        timeline.push((
            at.clone(),
            format!("→ {}", views::stage(to)),
            by.clone(),
            cause.clone().unwrap_or_default(),
        ));
    }
    // Newest first; equal times keep submissions before what followed from them.
    timeline.sort_by(|a, b| b.0.cmp(&a.0));
    let heading = person
        .row
        .email
        .clone()
        .unwrap_or_else(|| person.row.contact_id.clone());
    let view = views::PersonPage {
        csrf: &csrf,
        contact_id: &person.row.contact_id,
        heading: &heading,
        stage: &person.row.stage,
        queue: person.row.queue.as_deref().unwrap_or(""),
        sla: person_sla(&state, &person, now_ms()),
        moves: leadmagnet_core::waterfall::next_stages(&person.row.stage),
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
        // With what did not count, and why not an MQL (`scoring::explain`).
        score: person.score.as_ref().map(|score| views::ScoreView {
            why: state.offers.model().map_or_else(Vec::new, |m| {
                leadmagnet_core::scoring::explain(
                    &m.scoring,
                    &person.contact.facts(),
                    score,
                    crate::domains::FullLists::get(),
                )
            }),
            ..score_view(score)
        }),
        timeline,
        raw: api::contacts::person_json(&person, true),
        // Erasure cannot be undone: only the admin gets the form, and it wants the address
        // typed again.
        erase: person.row.email.as_deref().filter(|_| user == ADMIN),
    };
    views::page(StatusCode::OK, title, views::person(&view))
}

/// `POST /inbox/contacts/{contact_id}/stage`: a move from the person's page (CSRF-checked),
/// as `POST /api/v1/contacts/{id}/stage` makes it.
pub async fn move_contact(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(contact_id): Path<String>,
    Form(form): Form<StageForm>,
) -> Response {
    move_from_form(&state, &headers, form, Moving::Person(&contact_id)).await
}
