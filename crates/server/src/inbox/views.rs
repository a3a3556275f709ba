//! The inbox's HTML, written with maud: every `(value)` in a template is escaped by its
//! type, so whatever a visitor typed shows as text; no markup is built from strings. No
//! script at all (the CSP allows none). The handlers gather the data; these only render.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leadmagnet_core::waterfall::STAGES;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The inbox pages' CSP: no scripts at all, styles only from the page itself.
pub const INBOX_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                             frame-ancestors 'none'; base-uri 'none'";

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24}\
header{padding:.75rem 1.25rem;background:#14213d;color:#fff}header a{color:#fff;margin-left:1rem}\
main{padding:1.25rem;max-width:72rem}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #dde2e8;vertical-align:top}\
.overdue{color:#a4000f;font-weight:600}.quarantine{color:#7a5200}\
form.inline{display:inline}label{margin-right:.75rem}pre{white-space:pre-wrap;word-break:break-word;\
background:#f5f7f9;padding:.5rem}button{font:inherit;padding:.25rem .75rem}";

/// A whole inbox page, with the headers every inbox answer carries.
pub fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let html = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Leadmagnet inbox" }
                // A constant of this file, not data.
                style { (PreEscaped(STYLE)) }
            }
            body {
                header { strong { "Leadmagnet inbox" } " " a href="/inbox" { "Leads" } }
                main { (body) }
            }
        }
    };
    let mut response = (status, html.into_string()).into_response();
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

/// A page that says one thing (an outage, a refusal).
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    page(status, title, html! { p { (text) } })
}

/// A message with a link on (back to the inbox, back to the lead).
pub fn message_with_link(
    status: StatusCode,
    title: &str,
    text: &str,
    href: &str,
    link: &str,
) -> Response {
    page(
        status,
        title,
        html! { p { (text) } p { a href=(href) { (link) } } },
    )
}

/// The login form; `csrf` is also set in a cookie the `POST` must match.
pub fn login(message: &str, csrf: &str) -> Markup {
    html! {
        h1 { "Log in" }
        @if !message.is_empty() { p role="alert" { (message) } }
        form method="post" action="/inbox/login" {
            input type="hidden" name="csrf" value=(csrf);
            label for="token" { "Your token" } " "
            input id="token" name="token" type="password" autocomplete="current-password" required;
            " "
            button type="submit" { "Log in" }
        }
    }
}

/// The log-out button, on every page of a session.
pub fn logout_form(csrf: &str) -> Markup {
    html! {
        form.inline.logout method="post" action="/inbox/logout" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { "Log out" }
        }
    }
}

/// Where a lead stands against the MQL → SAL service level.
pub enum Sla {
    Overdue(String),
    Due(String),
    None,
}

/// One row of the list.
pub struct Row {
    pub lead_id: String,
    pub email: String,
    pub offer_id: String,
    pub stage: String,
    pub matrix: String,
    pub total: String,
    pub queue: String,
    pub sla: Sla,
    pub quarantine: Option<String>,
    pub received_at: String,
}

/// The list page: filters, the waterfall, the leads.
pub struct List<'a> {
    pub user: &'a str,
    pub csrf: &'a str,
    pub offer_ids: &'a [String],
    pub offer: Option<&'a str>,
    pub stage: Option<&'a str>,
    pub quarantined: Option<&'a str>,
    /// Leads that reached each stage, in `STAGES` order.
    pub reached: Vec<String>,
    /// MQL → SAL, SAL → SQL, SQL → opportunity, opportunity → won.
    pub rates: [String; 4],
    pub export: &'a str,
    pub rows: Vec<Row>,
}

pub fn list(v: &List) -> Markup {
    html! {
        h1 { "Leads" }
        p { "Logged in as " (v.user) ". " a href="/inbox/contacts" { "People" } " · " (logout_form(v.csrf)) }
        form method="get" action="/inbox" {
            label { "Offer " select name="offer_id" {
                option value="" { "all" }
                @for id in v.offer_ids { option selected[v.offer == Some(id.as_str())] { (id) } }
            } }
            label { "Stage " select name="stage" {
                option value="" { "all" }
                @for s in STAGES { option selected[v.stage == Some(s)] { (s) } }
            } }
            label { "Quarantined " select name="quarantined" {
                option value="" { "either" }
                option value="true" selected[v.quarantined == Some("true")] { "yes" }
                option value="false" selected[v.quarantined == Some("false")] { "no" }
            } }
            button type="submit" { "Filter" }
        }
        table.funnel {
            caption { "Waterfall: leads that reached each stage" }
            tr { @for s in STAGES { th scope="col" { (s) } } }
            tr { @for n in &v.reached { td { (n) } } }
        }
        p {
            "Conversion: MQL → SAL " (v.rates[0]) " · SAL → SQL " (v.rates[1])
            " · SQL → opportunity " (v.rates[2]) " · opportunity → won " (v.rates[3])
        }
        p { (v.rows.len()) " lead(s) · " a href=(v.export) { "Export CSV" } }
        table {
            thead { tr {
                th { "Email" } th { "Offer" } th { "Stage" } th { "Matrix" } th { "Total" }
                th { "Queue" } th { "SLA" } th { "Quarantine" } th { "Received" }
            } }
            tbody { @for r in &v.rows { tr {
                td { a href={ "/inbox/leads/" (r.lead_id) } { (r.email) } }
                td { (r.offer_id) } td { (r.stage) } td { (r.matrix) } td { (r.total) } td { (r.queue) }
                td { @match &r.sla {
                    Sla::Overdue(due) => span.overdue { "overdue since " (due) },
                    Sla::Due(due) => { "due " (due) },
                    Sla::None => {},
                } }
                td { @if let Some(q) = &r.quarantine { span.quarantine { (q) } } }
                td { (r.received_at) }
            } } }
        }
    }
}

/// One lead's page.
pub struct Detail<'a> {
    pub csrf: &'a str,
    pub lead_id: &'a str,
    /// The email address, or the lead id for a lead without one.
    pub heading: &'a str,
    pub offer_id: &'a str,
    pub stage: &'a str,
    pub overdue: bool,
    pub received_at: &'a str,
    pub moves: &'a [&'a str],
    pub fields: Vec<(String, String)>,
    pub server_score: String,
    pub browser_score: String,
    pub flags: String,
    pub quarantine: String,
    /// (at, stage, by, reason)
    pub history: Vec<(String, String, String, String)>,
    pub forwards: String,
    pub attribution: String,
    pub events: String,
    pub consent: String,
    /// The address the erasure form confirms (the admin only).
    pub erase: Option<&'a str>,
}

pub fn detail(v: &Detail) -> Markup {
    html! {
        h1 { (v.heading) }
        p { (logout_form(v.csrf)) }
        p {
            "Offer " (v.offer_id) " · stage " strong { (v.stage) }
            @if v.overdue { " · " span.overdue { "SLA overdue" } }
            " · received " (v.received_at)
        }
        h2 { "Move" }
        p { @for to in v.moves {
            form.inline method="post" action={ "/inbox/leads/" (v.lead_id) "/stage" } {
                input type="hidden" name="csrf" value=(v.csrf);
                input type="hidden" name="stage" value=(to);
                @if *to == "rejected" { label { "Reason " input name="reason" required; } }
                button type="submit" { "Move to " (to) }
            }
            " "
        } }
        h2 { "Fields" }
        table { @for (k, value) in &v.fields { tr { th { (k) } td { (value) } } } }
        h2 { "Score (collector)" } pre { (v.server_score) }
        h2 { "Score (browser)" } pre { (v.browser_score) }
        h2 { "Flags and quarantine" } pre { (v.flags) " " (v.quarantine) }
        h2 { "Stage history" }
        table {
            tr { th { "At" } th { "Stage" } th { "By" } th { "Reason" } }
            @for (at, stage, by, reason) in &v.history { tr { td { (at) } td { (stage) } td { (by) } td { (reason) } } }
        }
        h2 { "Forwarding" } pre { (v.forwards) }
        h2 { "Attribution" } pre { (v.attribution) }
        h2 { "Events" } pre { (v.events) }
        h2 { "Consent" } pre { (v.consent) }
        @if let Some(email) = v.erase {
            h2 { "Erase (right to be forgotten)" }
            form method="post" action="/inbox/erase" {
                input type="hidden" name="csrf" value=(v.csrf);
                input type="hidden" name="email" value=(email);
                label { "Type the email address to confirm " input name="confirm" required autocomplete="off"; }
                " "
                button type="submit" { "Erase every lead from this address" }
            }
        }
    }
}

/// One person in the people list.
pub struct PersonRow {
    pub contact_id: String,
    pub email: String,
    pub submissions: String,
    pub first_seen: String,
    pub last_seen: String,
}

/// The people page: one row per person, however many forms they sent.
pub fn people(csrf: &str, rows: &[PersonRow]) -> Markup {
    html! {
        h1 { "People" }
        p { a href="/inbox" { "Leads" } " · " (logout_form(csrf)) }
        p { (rows.len()) " person(s), the most recently active first." }
        table {
            thead { tr {
                th { "Email" } th { "Submissions" } th { "First seen" } th { "Last seen" }
            } }
            tbody { @for r in rows { tr {
                td { a href={ "/inbox/contacts/" (r.contact_id) } { (r.email) } }
                td { (r.submissions) } td { (r.first_seen) } td { (r.last_seen) }
            } } }
        }
    }
}

/// One person's page.
pub struct PersonPage<'a> {
    pub csrf: &'a str,
    pub heading: &'a str,
    /// (field, value, lead id, offer id, when)
    pub profile: Vec<(String, String, String, String, String)>,
    /// (lead id, offer id, submitted, stage, quarantined)
    pub submissions: Vec<(String, String, String, String, bool)>,
    /// The account-wide score in words: (total, grade × level, stage, queue), when there
    /// is a model.
    pub score: Option<(String, String, String, String)>,
    /// (rule, kind, points, events counted)
    pub breakdown: Vec<(String, String, String, String)>,
    /// (when, what, page or offer, seconds, scroll)
    pub timeline: Vec<(String, String, String, String, String)>,
}

pub fn person(v: &PersonPage) -> Markup {
    html! {
        h1 { (v.heading) }
        p { a href="/inbox/contacts" { "People" } " · " (logout_form(v.csrf)) }
        h2 { "Score (account-wide model)" }
        @if let Some((total, matrix, stage, queue)) = &v.score {
            p { "Total " strong { (total) } " · grade × level " (matrix) " · stage " strong { (stage) } " · queue " (queue) }
            table {
                caption { "Why: each rule that counted" }
                tr { th { "Rule" } th { "Kind" } th { "Points" } th { "Events" } }
                @for (rule, kind, points, events) in &v.breakdown {
                    tr { td { (rule) } td { (kind) } td { (points) } td { (events) } }
                }
            }
        } @else {
            p { "No account-wide scoring model (scoring.json in the offers folder)." }
        }
        h2 { "Profile" }
        table {
            tr { th { "Field" } th { "Value" } th { "From" } th { "When" } }
            @for (field, value, lead_id, offer_id, at) in &v.profile {
                tr { th { (field) } td { (value) } td { a href={ "/inbox/leads/" (lead_id) } { (offer_id) } } td { (at) } }
            }
        }
        h2 { "Submissions" }
        table {
            tr { th { "Offer" } th { "Submitted" } th { "Stage" } th { "Quarantined" } }
            @for (lead_id, offer_id, at, stage, quarantined) in &v.submissions {
                tr {
                    td { a href={ "/inbox/leads/" (lead_id) } { (offer_id) } }
                    td { (at) } td { (stage) } td { @if *quarantined { span.quarantine { "yes" } } }
                }
            }
        }
        h2 { "Timeline" }
        table {
            tr { th { "When" } th { "What" } th { "Where" } th { "Seconds" } th { "Scrolled" } }
            @for (at, what, place, seconds, scroll) in &v.timeline {
                tr { td { (at) } td { (what) } td { (place) } td { (seconds) } td { (scroll) } }
            }
        }
    }
}

/// After an erasure.
pub fn erased(count: u64, email: &str) -> Markup {
    html! {
        p {
            "Erased " (count) " lead(s) from " (email) ", with their stage history and forwarding. "
            "Leads already forwarded to a CRM must be erased there too."
        }
        p { a href="/inbox" { "Back to the inbox" } }
    }
}

/// Only the admin erases.
pub fn admin_only() -> Markup {
    html! {
        p {
            "Only the admin can erase leads; ask them, or use "
            code { "DELETE /api/v1/leads?email=" } " with the admin token."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_text_in_every_place() {
        let hostile = "<script>alert(1)</script>\"'&><img src=x onerror=alert(2)>";
        let row = Row {
            lead_id: hostile.into(),
            email: hostile.into(),
            offer_id: hostile.into(),
            stage: hostile.into(),
            matrix: hostile.into(),
            total: hostile.into(),
            queue: hostile.into(),
            sla: Sla::Overdue(hostile.into()),
            quarantine: Some(hostile.into()),
            received_at: hostile.into(),
        };
        let ids = [hostile.to_owned()];
        let html = list(&List {
            user: hostile,
            csrf: hostile,
            offer_ids: &ids,
            offer: Some(hostile),
            stage: None,
            quarantined: None,
            reached: vec![hostile.into(); STAGES.len()],
            rates: [
                hostile.into(),
                hostile.into(),
                hostile.into(),
                hostile.into(),
            ],
            export: hostile,
            rows: vec![row],
        })
        .into_string();
        let detail_html = detail(&Detail {
            csrf: hostile,
            lead_id: hostile,
            heading: hostile,
            offer_id: hostile,
            stage: hostile,
            overdue: true,
            received_at: hostile,
            moves: &["rejected", "sal"],
            fields: vec![(hostile.into(), hostile.into())],
            server_score: hostile.into(),
            browser_score: hostile.into(),
            flags: hostile.into(),
            quarantine: hostile.into(),
            history: vec![(
                hostile.into(),
                hostile.into(),
                hostile.into(),
                hostile.into(),
            )],
            forwards: hostile.into(),
            attribution: hostile.into(),
            events: hostile.into(),
            consent: hostile.into(),
            erase: Some(hostile),
        })
        .into_string();
        let h = || hostile.to_owned();
        let people_html = people(
            hostile,
            &[PersonRow {
                contact_id: h(),
                email: h(),
                submissions: h(),
                first_seen: h(),
                last_seen: h(),
            }],
        )
        .into_string();
        let person_html = person(&PersonPage {
            csrf: hostile,
            heading: hostile,
            profile: vec![(h(), h(), h(), h(), h())],
            submissions: vec![(h(), h(), h(), h(), true)],
            score: Some((h(), h(), h(), h())),
            breakdown: vec![(h(), h(), h(), h())],
            timeline: vec![(h(), h(), h(), h(), h())],
        })
        .into_string();
        for html in [
            html,
            detail_html,
            people_html,
            person_html,
            login(hostile, hostile).into_string(),
            erased(1, hostile).into_string(),
        ] {
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.contains("<img"), "{html}");
            assert!(!html.contains("=\"x\" onerror"), "{html}");
            assert!(html.contains("&lt;script&gt;"), "{html}");
            // In attribute values too: a quote cannot end one.
            assert!(!html.contains("value=\"<"), "{html}");
        }
    }
}
