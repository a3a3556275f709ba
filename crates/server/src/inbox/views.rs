//! The inbox's HTML, written with maud: every `(value)` in a template is escaped by its
//! type, so whatever a visitor typed shows as text; no markup is built from strings. One
//! script, allowed by its hash: it shows each `<time>` in the reader's time zone and
//! language (relative when recent); without it the times read in UTC. The inbox speaks
//! English and German ([`t`]): the reader's `Accept-Language`, or the language they chose
//! (`?lang=de`, kept in a cookie). The handlers gather the data; these only render.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leadmagnet_core::messages::Lang;
use leadmagnet_core::waterfall::STAGES;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::sync::LazyLock;

tokio::task_local! {
    /// The language of the request being answered (set by [`with_lang`]).
    static LANG: Lang;
}

/// The reader's language.
pub fn lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or(Lang::En)
}

/// `en` or `de`, in the reader's language.
pub fn t(en: &'static str, de: &'static str) -> &'static str {
    match lang() {
        Lang::De => de,
        Lang::En => en,
    }
}

const LANG_COOKIE: &str = "lm_lang";

/// Middleware: answers the request in the reader's language — `?lang=de|en` (then kept in a
/// cookie for a year), else the cookie, else the first of German or English in
/// `Accept-Language`, else English.
pub async fn with_lang(request: Request, next: Next) -> Response {
    let chosen = request.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("lang="))
            .filter(|l| *l == "de" || *l == "en")
            .map(Lang::from_tag)
    });
    let lang = chosen.unwrap_or_else(|| reader_lang(request.headers()));
    let mut response = LANG.scope(lang, next.run(request)).await;
    if let Some(chosen) = chosen {
        let tag = if chosen == Lang::De { "de" } else { "en" };
        if let Ok(cookie) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={tag}; Path=/inbox; Max-Age=31536000; SameSite=Lax"
        )) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

fn reader_lang(headers: &HeaderMap) -> Lang {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("lm_lang="));
    if let Some(tag) = cookie {
        return Lang::from_tag(tag);
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .map(|tag| tag.split(';').next().unwrap_or("").trim())
                .find(|tag| {
                    let primary = tag.split('-').next().unwrap_or("");
                    primary.eq_ignore_ascii_case("de") || primary.eq_ignore_ascii_case("en")
                })
                .map(Lang::from_tag)
        })
        .unwrap_or(Lang::En)
}

/// Shows every `<time datetime>` in the reader's time zone, relative within a week.
const TIME_SCRIPT: &str = "(function(){var l=document.documentElement.lang,\
r=new Intl.RelativeTimeFormat(l,{numeric:'auto'}),\
f=new Intl.DateTimeFormat(l,{dateStyle:'medium',timeStyle:'short'});\
document.querySelectorAll('time[datetime]').forEach(function(t){\
var d=new Date(t.dateTime);if(isNaN(d))return;var s=(d-Date.now())/1e3,a=Math.abs(s);\
t.title=f.format(d);t.textContent=a<60?r.format(Math.round(s),'second'):\
a<3600?r.format(Math.round(s/60),'minute'):a<86400?r.format(Math.round(s/3600),'hour'):\
a<604800?r.format(Math.round(s/86400),'day'):f.format(d)})})()";

/// The inbox pages' CSP: one script, by its hash; styles only from the page itself.
pub static INBOX_CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'unsafe-inline'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        base64(&leadmagnet_core::pow::sha256(TIME_SCRIPT.as_bytes()))
    )
});

/// Standard base64 with padding (RFC 4648 §4), for the script's hash.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24}\
header{padding:.75rem 1.25rem;background:#14213d;color:#fff}header a{color:#fff;margin-left:1rem}\
main{padding:1.25rem;max-width:72rem}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #dde2e8;vertical-align:top}\
.overdue{color:#a4000f;font-weight:600}.quarantine{color:#7a5200}.up{color:#0a6b2d}.down{color:#a4000f}\
form.inline{display:inline}label{margin-right:.75rem}pre{white-space:pre-wrap;word-break:break-word;\
background:#f5f7f9;padding:.5rem}button{font:inherit;padding:.25rem .75rem}";

/// A time: in UTC as text, shown in the reader's zone by the page's script.
pub fn when(at: &str) -> Markup {
    let utc = match (at.get(..10), at.get(11..16)) {
        (Some(day), Some(clock)) if at.len() >= 16 => format!("{day} {clock} UTC"),
        _ => at.to_owned(),
    };
    html! { time datetime=(at) { (utc) } }
}

/// A stage's name in the reader's language.
pub fn stage(code: &str) -> &str {
    match (lang(), code) {
        (Lang::De, "inquiry") => "Anfrage",
        (Lang::De, "won") => "gewonnen",
        (Lang::De, "lost") => "verloren",
        (Lang::De, "rejected") => "abgelehnt",
        (Lang::De, "disqualified") => "disqualifiziert",
        (_, "mql") => "MQL",
        (_, "sal") => "SAL",
        (_, "sql") => "SQL",
        _ => code,
    }
}

/// A whole inbox page, with the headers every inbox answer carries.
pub fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let tag = if lang() == Lang::De { "de" } else { "en" };
    let html = html! {
        (DOCTYPE)
        html lang=(tag) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Leadmagnet inbox" }
                // A constant of this file, not data.
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { "Leadmagnet inbox" } " "
                    a href="/inbox/contacts" { (t("People", "Personen")) }
                    a href="/inbox" { (t("Leads", "Leads")) }
                    a href="/inbox/offers" { (t("Offers", "Angebote")) }
                    " "
                    a href="?lang=de" lang="de" { "Deutsch" }
                    a href="?lang=en" lang="en" { "English" }
                }
                main { (body) }
                script { (PreEscaped(TIME_SCRIPT)) }
            }
        }
    };
    let mut response = (status, html.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(csp) = HeaderValue::from_str(&INBOX_CSP) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
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
pub fn login(message: &str, csrf: &str, then: &str) -> Markup {
    html! {
        h1 { (t("Log in", "Anmelden")) }
        @if !message.is_empty() { p role="alert" { (message) } }
        form method="post" action="/inbox/login" {
            input type="hidden" name="csrf" value=(csrf);
            @if !then.is_empty() { input type="hidden" name="then" value=(super::session::destination(then)); }
            label for="token" { (t("Your token", "Ihr Token")) } " "
            input id="token" name="token" type="password" autocomplete="current-password" required;
            " "
            button type="submit" { (t("Log in", "Anmelden")) }
        }
    }
}

/// The log-out button, on every page of a session.
pub fn logout_form(csrf: &str) -> Markup {
    html! {
        form.inline.logout method="post" action="/inbox/logout" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { (t("Log out", "Abmelden")) }
        }
    }
}

/// Where a lead or person stands against the MQL → SAL service level (times RFC 3339).
pub enum Sla {
    Overdue(String),
    Due(String),
    None,
}

fn sla(s: &Sla) -> Markup {
    html! { @match s {
        Sla::Overdue(due) => span.overdue { (t("overdue since ", "überfällig seit ")) (when(due)) },
        Sla::Due(due) => { (t("due ", "fällig ")) (when(due)) },
        Sla::None => {},
    } }
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
        h1 { (t("Leads (each form submission)", "Leads (jede Formular-Einsendung)")) }
        div {
            (t("Logged in as ", "Angemeldet als ")) (v.user) ". "
            a href="/inbox/contacts" { (t("People", "Personen")) } " · " (logout_form(v.csrf))
        }
        form method="get" action="/inbox" {
            label { (t("Offer", "Angebot")) " " select name="offer_id" {
                option value="" { (t("all", "alle")) }
                @for id in v.offer_ids { option selected[v.offer == Some(id.as_str())] { (id) } }
            } }
            label { (t("Stage", "Phase")) " " select name="stage" {
                option value="" { (t("all", "alle")) }
                @for s in STAGES { option value=(s) selected[v.stage == Some(s)] { (stage(s)) } }
            } }
            label { (t("Quarantined", "In Quarantäne")) " " select name="quarantined" {
                option value="" { (t("either", "egal")) }
                option value="true" selected[v.quarantined == Some("true")] { (t("yes", "ja")) }
                option value="false" selected[v.quarantined == Some("false")] { (t("no", "nein")) }
            } }
            button type="submit" { (t("Filter", "Filtern")) }
        }
        table.funnel {
            caption { (t("Waterfall: leads that reached each stage", "Wasserfall: Leads, die jede Phase erreicht haben")) }
            tr { @for s in STAGES { th scope="col" { (stage(s)) } } }
            tr { @for n in &v.reached { td { (n) } } }
        }
        p {
            (t("Conversion: ", "Konversion: ")) "MQL → SAL " (v.rates[0]) " · SAL → SQL " (v.rates[1])
            " · SQL → Opportunity " (v.rates[2]) " · Opportunity → " (stage("won")) " " (v.rates[3])
        }
        p { (v.rows.len()) " " (t("lead(s)", "Lead(s)")) " · " a href=(v.export) { (t("Export CSV", "CSV exportieren")) } }
        table {
            thead { tr {
                th { "E-Mail" } th { (t("Offer", "Angebot")) } th { (t("Stage", "Phase")) }
                th { (t("Grade × level", "Note × Stufe")) } th { (t("Total", "Summe")) }
                th { (t("Queue", "Queue")) } th { "SLA" } th { (t("Quarantine", "Quarantäne")) }
                th { (t("Received", "Eingegangen")) }
            } }
            tbody { @for r in &v.rows { tr {
                td { a href={ "/inbox/leads/" (r.lead_id) } { (r.email) } }
                td { (r.offer_id) } td { (stage(&r.stage)) } td { (r.matrix) } td { (r.total) } td { (r.queue) }
                td { (sla(&r.sla)) }
                td { @if let Some(q) = &r.quarantine { span.quarantine { (q) } } }
                td { (when(&r.received_at)) }
            } } }
        }
    }
}

/// A score in words and its rule-by-rule breakdown.
pub struct ScoreView {
    pub total: String,
    pub matrix: String,
    pub stage: String,
    pub queue: String,
    /// (rule, kind, points, events counted)
    pub breakdown: Vec<(String, String, String, String)>,
    /// Why it is (not) an MQL, what did not count, which routing entry chose the queue.
    pub why: Vec<String>,
}

fn score_view(s: &ScoreView) -> Markup {
    html! {
        p {
            (t("Total ", "Summe ")) strong { (s.total) } " · " (t("grade × level ", "Note × Stufe "))
            (s.matrix) " · " (t("stage ", "Phase ")) strong { (stage(&s.stage)) }
            @if !s.queue.is_empty() { " · " (t("queue ", "Queue ")) (s.queue) }
        }
        table {
            caption { (t("Why: each rule that counted, with its points", "Warum: jede Regel, die gezählt hat, mit ihren Punkten")) }
            tr { th { (t("Rule", "Regel")) } th { (t("Kind", "Art")) } th { (t("Points", "Punkte")) } th { (t("Events", "Ereignisse")) } }
            @for (rule, kind, points, events) in &s.breakdown {
                tr { td { (rule) } td { (kind) } td { (points) } td { (events) } }
            }
        }
        @if !s.why.is_empty() {
            h3 { (t("Why this stage and queue, and what did not count", "Warum diese Phase und Queue, und was nicht gezählt hat")) }
            ul.why { @for line in &s.why { li { (line) } } }
        }
    }
}

/// One thing that happened, for a timeline: (when, what, where or why, detail).
pub type Happening = (String, String, String, String);

fn timeline(rows: &[Happening]) -> Markup {
    html! {
        table {
            tr { th { (t("When", "Wann")) } th { (t("What", "Was")) } th { (t("Where", "Wo")) } th { (t("Detail", "Einzelheiten")) } }
            @for (at, what, place, detail) in rows {
                tr { td { (when(at)) } td { (what) } td { (place) } td { (detail) } }
            }
        }
    }
}

/// The raw record, one click away.
fn raw(json: &str) -> Markup {
    html! {
        details {
            summary { (t("Raw data (JSON)", "Rohdaten (JSON)")) }
            pre { (json) }
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
    /// The person this lead belongs to.
    pub contact_id: Option<String>,
    pub fields: Vec<(String, String)>,
    /// The collector's score; the browser's in words.
    pub score: Option<ScoreView>,
    pub browser_score: String,
    pub flags: String,
    pub quarantine: String,
    /// (at, stage, by, reason)
    pub history: Vec<(String, String, String, String)>,
    pub forwards: String,
    /// Where the visitor came from, in sentences.
    pub attribution: Vec<String>,
    pub events: Vec<Happening>,
    /// What the visitor agreed to, in sentences.
    pub consent: Vec<String>,
    /// The payload as received.
    pub raw: String,
    /// The address the erasure form confirms (the admin only).
    pub erase: Option<&'a str>,
}

pub fn detail(v: &Detail) -> Markup {
    html! {
        h1 { (v.heading) }
        div {
            @if let Some(id) = &v.contact_id { a href={ "/inbox/contacts/" (id) } { (t("The person", "Die Person")) } " · " }
            (logout_form(v.csrf))
        }
        p {
            (t("Offer ", "Angebot ")) (v.offer_id) " · " (t("stage ", "Phase ")) strong { (stage(v.stage)) }
            @if v.overdue { " · " span.overdue { (t("SLA overdue", "SLA überfällig")) } }
            " · " (t("received ", "eingegangen ")) (when(v.received_at))
        }
        h2 { (t("Move", "Verschieben")) }
        (moves(v.csrf, &format!("/inbox/leads/{}/stage", v.lead_id), v.moves))
        h2 { (t("Fields", "Felder")) }
        table { @for (k, value) in &v.fields { tr { th { (k) } td { (value) } } } }
        h2 { (t("Score (collector)", "Score (Collector)")) }
        @if let Some(score) = &v.score { (score_view(score)) } @else { p { (t("This offer has no scoring.", "Dieses Angebot hat kein Scoring.")) } }
        p { (t("In the browser: ", "Im Browser: ")) (v.browser_score) }
        @if !v.flags.is_empty() || !v.quarantine.is_empty() {
            h2 { (t("Flags and quarantine", "Hinweise und Quarantäne")) } p { (v.flags) " " span.quarantine { (v.quarantine) } }
        }
        h2 { (t("Where they came from", "Herkunft")) }
        @for line in &v.attribution { p { (line) } }
        h2 { (t("What they did", "Was sie getan haben")) }
        (timeline(&v.events))
        h2 { (t("Consent", "Einwilligung")) }
        @for line in &v.consent { p { (line) } }
        h2 { (t("Stage history", "Phasenverlauf")) }
        table {
            tr { th { (t("When", "Wann")) } th { (t("Stage", "Phase")) } th { (t("By", "Von")) } th { (t("Reason", "Grund")) } }
            @for (at, to, by, reason) in &v.history { tr { td { (when(at)) } td { (stage(to)) } td { (by) } td { (reason) } } }
        }
        h2 { (t("Forwarding", "Weiterleitung")) } pre { (v.forwards) }
        (raw(&v.raw))
        @if let Some(email) = v.erase { (erase_form(v.csrf, email)) }
    }
}

/// The moves open from a stage, each a form to `action`.
fn moves(csrf: &str, action: &str, to: &[&str]) -> Markup {
    html! {
        div { @for to in to {
            form.inline method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="stage" value=(to);
                @if *to == "rejected" { label { (t("Reason", "Grund")) " " input name="reason" required; } }
                button type="submit" { (t("Move to ", "Verschieben nach ")) (stage(to)) }
            }
            " "
        } }
    }
}

fn erase_form(csrf: &str, email: &str) -> Markup {
    html! {
        h2 { (t("Erase (right to be forgotten)", "Löschen (Recht auf Vergessenwerden)")) }
        form method="post" action="/inbox/erase" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="email" value=(email);
            label { (t("Type the email address to confirm", "Zur Bestätigung die E-Mail-Adresse eingeben")) " " input name="confirm" required autocomplete="off"; }
            " "
            button type="submit" { (t("Erase this person: every lead, event and device", "Diese Person löschen: alle Leads, Ereignisse und Geräte")) }
        }
    }
}

/// One person in the people list.
pub struct PersonRow {
    pub contact_id: String,
    pub email: String,
    pub total: String,
    /// The score's change over the last 7 days.
    pub trend: Option<f64>,
    pub matrix: String,
    pub stage: String,
    pub queue: String,
    pub sla: Sla,
    pub submissions: String,
    pub last_activity: String,
}

/// The people page: one row per person, however many forms they sent.
pub struct People<'a> {
    pub csrf: &'a str,
    pub rows: Vec<PersonRow>,
    /// People in each stage now, in `STAGES` order.
    pub in_stage: Vec<String>,
}

pub fn people(v: &People) -> Markup {
    html! {
        h1 { (t("People", "Personen")) }
        div { a href="/inbox" { (t("Leads (each submission)", "Leads (jede Einsendung)")) } " · " (logout_form(v.csrf)) }
        table.funnel {
            caption { (t("People in each stage now", "Personen je Phase")) }
            tr { @for s in STAGES { th scope="col" { (stage(s)) } } }
            tr { @for n in &v.in_stage { td { (n) } } }
        }
        p {
            (v.rows.len()) " " (t("person(s), the most recently active first.", "Person(en), zuletzt aktive zuerst."))
            " " a href="/inbox/contacts.csv" { (t("Export CSV", "CSV exportieren")) }
        }
        table {
            thead { tr {
                th { "E-Mail" } th { (t("Score", "Score")) } th { (t("7-day trend", "Trend 7 Tage")) }
                th { (t("Grade × level", "Note × Stufe")) } th { (t("Stage", "Phase")) } th { "Queue" }
                th { "SLA" } th { (t("Submissions", "Einsendungen")) } th { (t("Last activity", "Zuletzt aktiv")) }
            } }
            tbody { @for r in &v.rows { tr {
                td { a href={ "/inbox/contacts/" (r.contact_id) } { (r.email) } }
                td { (r.total) }
                td { @match r.trend {
                    Some(d) if d > 0.0 => span.up { "▲ +" (leadmagnet_core::config::num(d)) },
                    Some(d) if d < 0.0 => span.down { "▼ " (leadmagnet_core::config::num(d)) },
                    Some(_) => { "±0" },
                    None => {},
                } }
                td { (r.matrix) } td { (stage(&r.stage)) } td { (r.queue) } td { (sla(&r.sla)) }
                td { (r.submissions) } td { (when(&r.last_activity)) }
            } } }
        }
    }
}

/// One person's page.
pub struct PersonPage<'a> {
    pub csrf: &'a str,
    pub contact_id: &'a str,
    pub heading: &'a str,
    pub stage: &'a str,
    pub queue: &'a str,
    pub sla: Sla,
    pub moves: &'a [&'a str],
    /// (field, value, lead id, offer id, when)
    pub profile: Vec<(String, String, String, String, String)>,
    /// (lead id, offer id, submitted, stage, quarantined)
    pub submissions: Vec<(String, String, String, String, bool)>,
    /// Against the account-wide model, when there is one.
    pub score: Option<ScoreView>,
    /// Submissions, events and stage moves, newest first.
    pub timeline: Vec<Happening>,
    pub raw: String,
    /// The address the erasure form confirms (the admin only).
    pub erase: Option<&'a str>,
}

pub fn person(v: &PersonPage) -> Markup {
    html! {
        h1 { (v.heading) }
        div { a href="/inbox/contacts" { (t("People", "Personen")) } " · " (logout_form(v.csrf)) }
        p {
            (t("Stage ", "Phase ")) strong { (stage(v.stage)) }
            @if !v.queue.is_empty() { " · " (t("queue ", "Queue ")) (v.queue) }
            " " (sla(&v.sla))
        }
        (moves(v.csrf, &format!("/inbox/contacts/{}/stage", v.contact_id), v.moves))
        h2 { (t("Score (account-wide model)", "Score (kontoweites Modell)")) }
        @if let Some(score) = &v.score { (score_view(score)) } @else {
            p { (t("No account-wide scoring model (scoring.json in the offers folder).", "Kein kontoweites Scoring-Modell (scoring.json im Angebotsordner).")) }
        }
        h2 { (t("Profile", "Profil")) }
        table {
            tr { th { (t("Field", "Feld")) } th { (t("Value", "Wert")) } th { (t("From", "Aus")) } th { (t("When", "Wann")) } }
            @for (field, value, lead_id, offer_id, at) in &v.profile {
                tr { th { (field) } td { (value) } td { a href={ "/inbox/leads/" (lead_id) } { (offer_id) } } td { (when(at)) } }
            }
        }
        h2 { (t("Submissions", "Einsendungen")) }
        table {
            tr { th { (t("Offer", "Angebot")) } th { (t("Submitted", "Gesendet")) } th { (t("Stage", "Phase")) } th { (t("Quarantined", "In Quarantäne")) } }
            @for (lead_id, offer_id, at, s, quarantined) in &v.submissions {
                tr {
                    td { a href={ "/inbox/leads/" (lead_id) } { (offer_id) } }
                    td { (when(at)) } td { (stage(s)) } td { @if *quarantined { span.quarantine { (t("yes", "ja")) } } }
                }
            }
        }
        h2 { (t("Timeline", "Zeitleiste")) }
        (timeline(&v.timeline))
        (raw(&v.raw))
        @if let Some(email) = v.erase { (erase_form(v.csrf, email)) }
    }
}

/// After an erasure.
pub fn erased(count: u64, email: &str) -> Markup {
    html! {
        p {
            (t("Erased ", "Gelöscht: ")) (count) (t(" lead(s) from ", " Lead(s) von ")) (email)
            (t(", with their person, events, devices, stage history and forwarding. Leads already forwarded to a CRM must be erased there too.",
               ", mit Person, Ereignissen, Geräten, Phasenverlauf und Weiterleitungen. Bereits an ein CRM weitergeleitete Leads müssen auch dort gelöscht werden."))
        }
        p { a href="/inbox" { (t("Back to the inbox", "Zurück zur Inbox")) } }
    }
}

/// Only the admin erases.
pub fn admin_only() -> Markup {
    html! {
        p {
            (t("Only the admin can erase leads; ask them, or use ", "Nur der Admin kann Leads löschen; fragen Sie ihn, oder nutzen Sie "))
            code { "DELETE /api/v1/leads?email=" } (t(" with the admin token.", " mit dem Admin-Token."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_text_in_every_place() {
        let hostile = "<script>alert(1)</script>\"'&><img src=x onerror=alert(2)>";
        let h = || hostile.to_owned();
        let row = Row {
            lead_id: h(),
            email: h(),
            offer_id: h(),
            stage: h(),
            matrix: h(),
            total: h(),
            queue: h(),
            sla: Sla::Overdue(h()),
            quarantine: Some(h()),
            received_at: h(),
        };
        let ids = [h()];
        let list_html = list(&List {
            user: hostile,
            csrf: hostile,
            offer_ids: &ids,
            offer: Some(hostile),
            stage: None,
            quarantined: None,
            reached: vec![h(); STAGES.len()],
            rates: [h(), h(), h(), h()],
            export: hostile,
            rows: vec![row],
        })
        .into_string();
        let score = || ScoreView {
            why: vec![h()],
            total: h(),
            matrix: h(),
            stage: h(),
            queue: h(),
            breakdown: vec![(h(), h(), h(), h())],
        };
        let detail_html = detail(&Detail {
            csrf: hostile,
            lead_id: hostile,
            heading: hostile,
            offer_id: hostile,
            stage: hostile,
            overdue: true,
            received_at: hostile,
            moves: &["rejected", "sal"],
            contact_id: Some(h()),
            fields: vec![(h(), h())],
            score: Some(score()),
            browser_score: h(),
            flags: h(),
            quarantine: h(),
            history: vec![(h(), h(), h(), h())],
            forwards: h(),
            attribution: vec![h()],
            events: vec![(h(), h(), h(), h())],
            consent: vec![h()],
            raw: h(),
            erase: Some(hostile),
        })
        .into_string();
        let people_html = people(&People {
            csrf: hostile,
            rows: vec![PersonRow {
                contact_id: h(),
                email: h(),
                total: h(),
                trend: Some(-3.0),
                matrix: h(),
                stage: h(),
                queue: h(),
                sla: Sla::Due(h()),
                submissions: h(),
                last_activity: h(),
            }],
            in_stage: vec![h(); STAGES.len()],
        })
        .into_string();
        let person_html = person(&PersonPage {
            csrf: hostile,
            contact_id: hostile,
            heading: hostile,
            stage: hostile,
            queue: hostile,
            sla: Sla::Overdue(h()),
            moves: &["rejected"],
            profile: vec![(h(), h(), h(), h(), h())],
            submissions: vec![(h(), h(), h(), h(), true)],
            score: Some(score()),
            timeline: vec![(h(), h(), h(), h())],
            raw: h(),
            erase: Some(hostile),
        })
        .into_string();
        for html in [
            list_html,
            detail_html,
            people_html,
            person_html,
            login(hostile, hostile, hostile).into_string(),
            erased(1, hostile).into_string(),
        ] {
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.contains("<img"), "{html}");
            assert!(!html.contains("=\"x\" onerror"), "{html}");
            assert!(html.contains("&lt;script&gt;"), "{html}");
            // In attribute values too: a quote cannot end one.
            assert!(!html.contains("value=\"<"), "{html}");
            assert!(!html.contains("datetime=\"<"), "{html}");
        }
    }

    #[test]
    fn the_time_script_is_allowed_by_its_hash_and_times_read_in_utc_without_it() {
        // RFC 4648's test vectors.
        for (bytes, encoded) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(bytes), encoded);
        }
        assert!(INBOX_CSP.contains(&format!(
            "script-src 'sha256-{}'",
            base64(&leadmagnet_core::pow::sha256(TIME_SCRIPT.as_bytes()))
        )));
        assert!(
            INBOX_CSP
                .split(';')
                .filter(|d| d.trim().starts_with("script-src"))
                .all(|d| !d.contains("unsafe")),
            "no unsafe script source: {}",
            *INBOX_CSP
        );
        assert_eq!(
            when("2026-12-01T23:34:05.120Z").into_string(),
            r#"<time datetime="2026-12-01T23:34:05.120Z">2026-12-01 23:34 UTC</time>"#
        );
    }

    #[tokio::test]
    async fn the_reader_gets_german_or_english() {
        let german = LANG
            .scope(Lang::De, async {
                people(&People {
                    csrf: "c",
                    rows: Vec::new(),
                    in_stage: vec![String::new(); STAGES.len()],
                })
                .into_string()
            })
            .await;
        assert!(
            german.contains("Personen je Phase") && german.contains("Anfrage"),
            "{german}"
        );
        let english = LANG
            .scope(Lang::En, async {
                people(&People {
                    csrf: "c",
                    rows: Vec::new(),
                    in_stage: vec![String::new(); STAGES.len()],
                })
                .into_string()
            })
            .await;
        assert!(
            english.contains("People in each stage now") && english.contains("inquiry"),
            "{english}"
        );
        let mut headers = HeaderMap::new();
        for (accept, expected) in [
            ("de-DE,de;q=0.9,en;q=0.8", Lang::De),
            ("fr-FR,de;q=0.5", Lang::De),
            ("en-GB,de;q=0.5", Lang::En),
            ("fr", Lang::En),
        ] {
            headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static(accept));
            assert_eq!(reader_lang(&headers), expected, "{accept}");
        }
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("lm_session=x; lm_lang=de"),
        );
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        assert_eq!(reader_lang(&headers), Lang::De, "the reader's choice wins");
    }
}
