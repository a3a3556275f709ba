//! Server-rendered offers: the widget's own component rendered to HTML by yew's server
//! renderer (`leadmagnet_widget::ssr`) inside a declarative shadow root, so the form
//! paints with the page and the wasm hydrates it; and the form posted without script.
//!
//! - `GET /fragments/{file}?locale=…&config=…`: the shadow root's markup for the offer in
//!   `www/offers/{file}`, for embeds without the snippet (the loader fetches it in
//!   parallel with the wasm), with its render key in `Leadmagnet-Render`.
//! - `POST /api/v1/leads` as `application/x-www-form-urlencoded` ([`form_post`]): a form
//!   posted without JavaScript or WebAssembly. The same core reads and validates it (step
//!   by step, as the widget does), the same consent rules apply, and the spam checks that
//!   need no script: the honeypot, and a signed render time (`lm_t`) for the minimum fill
//!   time in place of the proof of work. The answer is a page: after a stored lead a 303
//!   redirect to the thank-you (`GET /forms/{offer}/thanks`, so a reload posts nothing
//!   twice), otherwise the form again, with the visitor's values and each error in text
//!   next to its field.
//! - `leadmagnet render` prints the embed snippet ([`snippet`]).
//!
//! A rendered form carries one render token; its lead id is derived from it, so the same
//! form posted twice (a double click, a reload after a lost answer) is one lead.

use crate::api::{self, Proof};
use crate::app::AppState;
use crate::inbox::views::base64;
use crate::spam::TokenProblem;
use crate::store::Inserted;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leadmagnet_core::config::{normalize_origin, FieldType};
use leadmagnet_core::consent::Touch;
use leadmagnet_core::display::{calculator_result, quiz_points, quiz_result};
use leadmagnet_core::facts::{complete, BrowserFacts};
use leadmagnet_core::form::FormState;
use leadmagnet_core::json::ToJson;
use leadmagnet_core::payload::Context;
use leadmagnet_core::{FieldValue, LeadPayload, OfferConfig};
use leadmagnet_widget::ssr::{locale_for, prerenderable, shadow_html};
use std::collections::HashMap;

/// The form field carrying the signed render time.
pub const TOKEN_FIELD: &str = "lm_t";
/// The response header naming what a fragment was rendered for.
pub const RENDER_HEADER: &str = "leadmagnet-render";

/// The CSP source of the stylesheet inside the shadow root (`'sha256-…'`): a page with a
/// `style-src` policy lists it, or the form is unstyled until the wasm adopts its sheet.
pub fn style_source() -> String {
    format!(
        "'sha256-{}'",
        base64(&leadmagnet_core::pow::sha256(
            leadmagnet_widget::STYLESHEET.as_bytes()
        ))
    )
}

/// `s` escaped for an HTML attribute value or text.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The host element with its declarative shadow root: what a page embeds.
pub fn host(config_url: &str, key: &str, shadow: &str) -> String {
    format!(
        "<div data-leadmagnet=\"{}\" data-lm-render=\"{}\"><template shadowrootmode=\"open\">{shadow}</template></div>",
        esc(config_url),
        esc(key)
    )
}

/// The embed snippet `leadmagnet render` prints: preloads of the config and the wasm (so
/// they load beside the script, not after it), the host with the server-rendered form,
/// then the script that hydrates it. Without a token (a static page cannot hold a fresh
/// one), a post without script is answered with the form again, holding a fresh one.
pub fn snippet(
    config: &OfferConfig,
    config_text: &str,
    config_url: &str,
    locale: Option<&str>,
    script: &str,
    fetches: &[String],
    scripts: &[String],
) -> String {
    let locale = locale_for(config, locale);
    // `crossorigin` gives the loader's credentials mode (same-origin), so the loader's own
    // requests take these responses. Scripts the loader adds (the full build's part) are
    // fetched without it.
    let preloads: String = std::iter::once(config_url)
        .chain(fetches.iter().map(String::as_str))
        .map(|url| {
            format!(
                "<link rel=\"preload\" href=\"{}\" as=\"fetch\" crossorigin=\"anonymous\">",
                esc(url)
            )
        })
        .chain(
            scripts
                .iter()
                .map(|url| format!("<link rel=\"preload\" href=\"{}\" as=\"script\">", esc(url))),
        )
        .collect();
    let host = if prerenderable(config) {
        let shadow = shadow_html(config, config_text, config_url, &locale, None);
        host(
            config_url,
            &leadmagnet_widget::render_key(&locale, config_text),
            &shadow,
        )
    } else {
        // Targeting, a frequency cap, variants or an overlay are decided in the browser:
        // a form painted first could vanish or change, so the widget draws it.
        format!("<div data-leadmagnet=\"{}\"></div>", esc(config_url))
    };
    format!(
        "{preloads}\n{host}\n<script src=\"{}\" async></script>\n",
        esc(script)
    )
}

/// Which render token an answer page carries.
#[derive(Clone, Copy)]
enum Token<'a> {
    /// A fresh one: the form starts now (a fragment).
    Fresh,
    /// The one the visitor's post carried and that counted: the form's start time and its
    /// lead id stay the same when it comes back (an error, a step, a storage failure).
    Kept(&'a str),
    /// A fresh one for a form already filled that had none that counted (a static
    /// snippet, a day-old page): its minimum fill time is one second, the time to read
    /// the notice and send again, not the whole form's.
    Confirm,
}

/// The minimum fill time a confirmation asks for.
const CONFIRM_MS: u64 = 1000;

/// The hidden input with a render token, joined to the form by its `form` attribute (it
/// sits outside the component, which the wasm hydrates).
fn token_input(state: &AppState, offer_id: &str, kind: Token) -> String {
    let mut random = [0u8; 16];
    // Without randomness the token still signs the time; the lead id then depends on
    // the millisecond alone, which a second visitor in that millisecond would share.
    let _ = getrandom::fill(&mut random);
    let now = crate::clock::now_ms().max(0) as u64;
    let token = match kind {
        Token::Kept(token) => token.to_owned(),
        Token::Fresh => state.challenges.render_token(offer_id, now, random),
        // Dated back so that the minimum fill time ends a second from now.
        Token::Confirm => state.challenges.render_token(
            offer_id,
            now.saturating_sub(state.challenges.min_fill_ms.saturating_sub(CONFIRM_MS)),
            random,
        ),
    };
    format!(
        "<input type=\"hidden\" form=\"{}\" name=\"{TOKEN_FIELD}\" value=\"{}\">",
        leadmagnet_widget::FORM_ID,
        esc(&token)
    )
}

/// The offer's text as the collector serves it under `/offers/` (with the account-wide
/// model in place for `account_scoring`): what the page's widget will load and hash.
fn served_text(state: &AppState, config: &OfferConfig, text: &str) -> String {
    if config.account_scoring {
        crate::assets::with_account_scoring(text, state.offers.scoring_of(config))
            .unwrap_or_else(|| text.to_owned())
    } else {
        text.to_owned()
    }
}

#[derive(serde::Deserialize)]
pub struct FragmentQuery {
    locale: Option<String>,
    /// The config URL as the loader resolved it: relative URLs in the offer resolve
    /// against it, as the widget resolves them.
    config: Option<String>,
}

/// `GET /fragments/{*file}`: the shadow root of the offer in `www/offers/{file}`.
pub async fn fragment(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(query): Query<FragmentQuery>,
    headers: HeaderMap,
) -> Response {
    let found = state
        .offers
        .ids()
        .into_iter()
        .filter_map(|id| Some((state.offers.file_of(&id)?, state.offers.get(&id)?)))
        .find(|((name, _), _)| *name == file);
    let Some(((name, text), config)) = found else {
        return (StatusCode::NOT_FOUND, "no such offer\n").into_response();
    };
    if !prerenderable(&config) {
        // Decided in the browser: nothing to paint first.
        return (
            StatusCode::NO_CONTENT,
            [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        )
            .into_response();
    }
    let served = served_text(&state, &config, &text);
    let path = format!("/offers/{name}");
    // Only a URL of this very config on this very collector (the host the request was
    // sent to) is a base: anything else would make the collector's origin serve a form
    // posting elsewhere. Without one, URLs render root-relative.
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let config_url = query
        .config
        .filter(|u| {
            url::Url::parse(u).is_ok_and(|u| {
                let authority = match (u.host_str(), u.port()) {
                    (Some(h), Some(p)) => format!("{h}:{p}"),
                    (Some(h), None) => h.to_owned(),
                    _ => String::new(),
                };
                matches!(u.scheme(), "http" | "https")
                    && u.path() == path
                    && u.query().is_none()
                    && host.is_some_and(|h| h.eq_ignore_ascii_case(&authority))
            })
        })
        .unwrap_or(path);
    let locale = locale_for(&config, query.locale.as_deref().filter(|l| is_locale(l)));
    let mut shadow = shadow_html(&config, &served, &config_url, &locale, None);
    shadow.push_str(&token_input(&state, &config.id, Token::Fresh));
    let key = leadmagnet_widget::render_key(&locale, &served);
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        shadow,
    )
        .into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&key) {
        h.insert(RENDER_HEADER, v);
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(RENDER_HEADER),
    );
    // Opened on its own (not fetched by the loader), it is a bare form on the collector's
    // origin: no script, no framing, posts only here.
    let csp = format!(
        "default-src 'none'; style-src {}; img-src http: https: data:; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'",
        style_source()
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A language tag as the loader sends it (`navigator.language`): letters, digits and
/// hyphens, at most 35 characters.
fn is_locale(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 35
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && tag.as_bytes()[0].is_ascii_alphabetic()
}

/// English or German for the pages' own words (the form's come from the core).
fn say(locale: &str, en: &'static str, de: &'static str) -> &'static str {
    if locale.starts_with("de") {
        de
    } else {
        en
    }
}

/// The page `url` a visitor came from, to go back to: an http(s) URL only.
fn page_url(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    (raw.len() <= 2048)
        .then(|| url::Url::parse(raw).ok())
        .flatten()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from)
}

/// An answer page: the notice (if any), the offer in its shadow root (a form again, or
/// the thank-you), and a link back to the page the visitor came from.
/// The offer an answer page shows: its config and text as served, the locale, and the
/// page the visitor came from.
struct Shown<'a> {
    config: &'a OfferConfig,
    text: &'a str,
    locale: &'a str,
    back: Option<&'a str>,
    token: Token<'a>,
}

fn page(
    state: &AppState,
    status: StatusCode,
    shown: &Shown,
    form: FormState,
    notice: Option<&str>,
) -> Response {
    let Shown {
        config,
        text,
        locale,
        back,
        token,
    } = *shown;
    let config_url = state
        .offers
        .file_of(&config.id)
        .map_or_else(String::new, |(name, _)| format!("/offers/{name}"));
    let mut shadow = shadow_html(config, text, &config_url, locale, Some(form));
    shadow.push_str(&token_input(state, &config.id, token));
    if let Some(url) = back {
        // The page the form was first on: the next post's Referer is this answer page.
        shadow.push_str(&format!(
            "<input type=\"hidden\" form=\"{}\" name=\"lm_page\" value=\"{}\">",
            leadmagnet_widget::FORM_ID,
            esc(url)
        ));
    }
    let key = leadmagnet_widget::render_key(locale, text);
    let title = config.offer.title.resolve(locale);
    let notice = notice.map_or_else(String::new, |n| {
        format!("<p role=\"alert\"><strong>{}</strong></p>", esc(n))
    });
    let back = back.map_or_else(String::new, |url| {
        format!(
            "<p><a href=\"{}\">{}</a></p>",
            esc(url),
            say(locale, "← Back to the page", "← Zurück zur Seite")
        )
    });
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head><body><main>{notice}{}</main>{back}</body></html>",
        esc(locale),
        esc(title),
        host(&config_url, &key, &shadow),
    );
    let csp = format!(
        "default-src 'none'; style-src {}; img-src http: https: data:; form-action http: https:; \
         base-uri 'none'; frame-ancestors 'none'",
        style_source()
    );
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

/// A short page for a post that names no offer this collector has.
fn plain(status: StatusCode, message: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Leadmagnet</title></head>\
         <body><main><p role=\"alert\">{}</p></main></body></html>",
        esc(message)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
        ],
        html,
    )
        .into_response()
}

/// The posted values of `config`'s fields as the widget would hold them: tick boxes as
/// ticked or not, checkbox groups as the list of chosen values, everything else as text.
fn posted_values(config: &OfferConfig, pairs: &[(String, String)]) -> Vec<(String, FieldValue)> {
    let mut values = Vec::new();
    for field in &config.fields {
        let mut sent = pairs
            .iter()
            .filter(|(name, _)| *name == field.id)
            .map(|(_, v)| v.as_str());
        let value = match field.kind {
            kind if kind.is_tick_box() => Some(FieldValue::Bool(sent.any(|v| !v.is_empty()))),
            FieldType::Checkboxes => {
                let mut chosen: Vec<String> = Vec::new();
                for v in sent {
                    if !chosen.iter().any(|c| c == v) {
                        chosen.push(v.to_owned());
                    }
                }
                Some(FieldValue::List(chosen))
            }
            _ => sent.next().map(|v| FieldValue::Text(v.to_owned())),
        };
        if let Some(value) = value {
            values.push((field.id.clone(), value));
        }
    }
    values
}

/// A form holding the posted values, on `step` (or the last step it can reach).
fn refill(config: &OfferConfig, pairs: &[(String, String)], step: usize) -> FormState {
    let mut form = FormState::new(config);
    for (id, value) in posted_values(config, pairs) {
        form.set(config, &id, value);
    }
    while form.step() < step && form.next(config) {}
    form
}

/// `POST /api/v1/leads` with a form body: see the module documentation.
pub async fn form_post(
    state: AppState,
    headers: HeaderMap,
    extensions: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        // Too large, or the body did not arrive whole: nothing can be shown again.
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form could not be read whole. Please go back and send it again.",
        );
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(offer_id) = get("lm_offer") else {
        return plain(
            StatusCode::BAD_REQUEST,
            "This is not a Leadmagnet form: the field lm_offer is missing.",
        );
    };
    let (Some(config), Some((_, text))) =
        (state.offers.get(offer_id), state.offers.file_of(offer_id))
    else {
        return if state.offers.failing().is_some() {
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "The form cannot be checked right now. Please go back and send it again in a minute.",
            )
        } else {
            plain(
                StatusCode::NOT_FOUND,
                "This form is no longer offered here.",
            )
        };
    };
    let text = served_text(&state, &config, &text);
    let locale = locale_for(&config, get("lm_locale").filter(|l| is_locale(l)));
    // The page the form is on: as an answer page carried it, else the Referer, unless
    // that is one of the collector's own answer pages (a page sending no Referer).
    let back = page_url(get("lm_page")).or_else(|| {
        page_url(headers.get(header::REFERER).and_then(|v| v.to_str().ok())).filter(|u| {
            url::Url::parse(u).is_ok_and(|u| {
                !["/api/", "/forms/", "/fragments/"]
                    .iter()
                    .any(|p| u.path().starts_with(p))
            })
        })
    });
    let now = crate::clock::now_ms().max(0) as u64;
    let token = get(TOKEN_FIELD);
    let issued = state.challenges.render_time(token, offer_id, now);
    let shown = Shown {
        config: &config,
        text: &text,
        locale: &locale,
        back: back.as_deref(),
        token: match (&issued, token) {
            (Ok(_), Some(token)) => Token::Kept(token),
            _ => Token::Confirm,
        },
    };
    let answer = |status: StatusCode, form: FormState, notice: Option<&str>| {
        page(&state, status, &shown, form, notice)
    };
    let on_step = get("lm_step")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    if let Err(refused) = api::throttle_client(&state, &extensions, &headers) {
        let form = refill(&config, &pairs, on_step);
        let mut response = answer(
            StatusCode::TOO_MANY_REQUESTS,
            form,
            Some(say(
                &locale,
                "Too many forms were sent from your network just now. Your entries are kept: please send again in a minute.",
                "Gerade wurden zu viele Formulare aus Ihrem Netz gesendet. Ihre Eingaben sind erhalten: Bitte senden Sie in einer Minute erneut.",
            )),
        );
        if let Ok(v) = HeaderValue::from_str(&refused.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return response;
    }
    // The form's state as the widget would have it: every value, then each step passed
    // up to the one the visitor was on (its "Next" posted the form as well).
    let mut form = refill(&config, &pairs, 0);
    let lead = loop {
        let at = form.step();
        match form.submit(&config) {
            Some(lead) => break Some(lead),
            None if form.step() > at && form.step() <= on_step => continue,
            None => break None,
        }
    };
    let Some(lead) = lead else {
        // The next step, or the errors next to their fields.
        let status = if form.first_invalid().is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return answer(status, form, None);
    };
    let issued = match issued {
        Ok(issued) => issued,
        Err(problem) => {
            // A page holding no fresh render time (a static snippet, a form left open
            // for a day, a token that is not ours): the form again, with a fresh one.
            let form = refill(&config, &pairs, form.step());
            let notice = match problem {
                TokenProblem::Expired => say(
                    &locale,
                    "This form was open for a long time. Please check your entries and send it again.",
                    "Dieses Formular war lange geöffnet. Bitte prüfen Sie Ihre Eingaben und senden Sie es erneut.",
                ),
                TokenProblem::Missing | TokenProblem::Tampered => say(
                    &locale,
                    "Please check your entries and send the form again to confirm.",
                    "Bitte prüfen Sie Ihre Eingaben und senden Sie das Formular zur Bestätigung erneut.",
                ),
            };
            return answer(StatusCode::OK, form, Some(notice));
        }
    };
    let fields = lead.fields().clone();
    // One lead per rendered form and answers: the same form posted twice is one lead, a
    // corrected one (back, fix a typo, send again) another.
    let lead_id = state.challenges.lead_id_of(&format!(
        "{}\n{}",
        token.unwrap_or_default(),
        fields.to_json_string()
    ));
    let mut context = Context {
        page_url: back.clone().unwrap_or_default(),
        locale: Some(locale.clone()),
        widget_version: Some(format!("{} (no script)", leadmagnet_widget::VERSION)),
        ..Context::default()
    };
    if config.quiz.is_some() {
        let points = quiz_points(&config, &fields);
        context.quiz_points = Some(points);
        context.quiz_result =
            quiz_result(&config, points).map(|b| b.title.resolve("en").to_owned());
    }
    context.calculator_result = calculator_result(&config, &fields);
    let submitted_at = leadmagnet_core::time::format_rfc3339(now as i64);
    let mut payload = match LeadPayload::new(lead, &lead_id, &submitted_at, context) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "a form posted without script made no payload");
            form.failed();
            return answer(StatusCode::INTERNAL_SERVER_ERROR, form, None);
        }
    };
    payload.form = Some(form.metrics(&config, Some(now.saturating_sub(issued) as f64 / 1000.0)));
    let mut touch = Touch::default();
    if let Some(url) = &back {
        touch.insert("landing_page".into(), url.clone());
        if let Ok(parsed) = url::Url::parse(url) {
            for (key, value) in parsed.query_pairs() {
                if key.starts_with("utm_") && key.len() <= 32 && !value.is_empty() {
                    touch.insert(key.into_owned(), value.into_owned());
                }
            }
        }
    }
    touch.insert("at".into(), submitted_at.clone());
    let facts = BrowserFacts {
        // The browser's Global Privacy Control signal arrives as a header here.
        gpc: headers
            .get("sec-gpc")
            .is_some_and(|v| v.as_bytes().trim_ascii() == b"1"),
        labels: config
            .fields
            .iter()
            .filter(|f| f.purpose.is_some() || f.kind == FieldType::Consent)
            .map(|f| (f.id.clone(), f.label.resolve(&locale).to_owned()))
            .collect(),
        touch,
        honeypot: get("lm_hp").map(str::to_owned),
        ..BrowserFacts::default()
    };
    complete(&mut payload, &config, &text, facts);
    let raw = payload.to_json();
    match api::store_lead(&state, &headers, &payload, &raw, Proof::RenderedAt(issued)).await {
        Ok(Inserted::New | Inserted::Replay | Inserted::Conflict) => {
            // Conflict: this very form was stored before (posted twice); it is received.
            let mut location = format!(
                "/forms/{}/thanks?locale={}&lead={lead_id}",
                url_part(offer_id),
                url_part(&locale)
            );
            if let Some(url) = &back {
                location.push_str("&back=");
                location.push_str(&url_part(url));
            }
            (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
        }
        Err(error) => {
            let transient = error.status.is_server_error()
                || matches!(
                    error.status,
                    StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS
                );
            form.failed();
            let notice = if transient {
                say(
                    &locale,
                    "Your entries could not be stored just now. Nothing is lost: please send the form again in a moment.",
                    "Ihre Eingaben konnten gerade nicht gespeichert werden. Nichts ist verloren: Bitte senden Sie das Formular gleich erneut.",
                )
                .to_owned()
            } else {
                // The collector's reasons name flags and files: for the log, not a visitor.
                tracing::warn!(status = %error.status, reason = %error.message, offer = %offer_id, "a form posted without script was refused");
                if error.status == StatusCode::FORBIDDEN {
                    say(
                        &locale,
                        "This form cannot be sent from this page. Please tell the site's owner.",
                        "Dieses Formular kann von dieser Seite aus nicht gesendet werden. Bitte informieren Sie den Betreiber der Seite.",
                    )
                    .to_owned()
                } else {
                    say(
                        &locale,
                        "This form could not be sent. Please tell the site's owner.",
                        "Dieses Formular konnte nicht gesendet werden. Bitte informieren Sie den Betreiber der Seite.",
                    )
                    .to_owned()
                }
            };
            let mut response = answer(error.status, form, Some(&notice));
            // A 503 always names when to try again, as the API's does.
            let wait = error.retry_after.or(transient.then_some(5));
            if let Some(wait) = wait {
                if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            response
        }
    }
}

/// `s` percent-encoded for a URL's query or path.
fn url_part(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `GET /forms/{offer}/thanks?locale&lead&back`: the offer's thank-you, with the quiz or
/// calculator result of the lead when it names one of this offer.
pub async fn thanks(
    State(state): State<AppState>,
    Path(offer_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (Some(config), Some((_, text))) =
        (state.offers.get(&offer_id), state.offers.file_of(&offer_id))
    else {
        return plain(
            StatusCode::NOT_FOUND,
            "This form is no longer offered here.",
        );
    };
    let text = served_text(&state, &config, &text);
    let locale = locale_for(
        &config,
        query
            .get("locale")
            .map(String::as_str)
            .filter(|l| is_locale(l)),
    );
    let mut form = FormState::new(&config);
    let mut found = false;
    if let Some(lead_id) = query.get("lead") {
        if let Ok(Some(stored)) = state.store.lead(lead_id).await {
            if stored.offer_id == offer_id {
                if let Ok(lead) = leadmagnet_core::parse_lead(stored.payload.get().as_bytes()) {
                    for (id, value) in &lead.fields {
                        form.set(&config, id, value.clone());
                    }
                    found = true;
                }
            }
        }
    }
    if !found && (config.quiz.is_some() || config.calculator.is_some()) {
        // A result belongs to a lead: without one, only the thanks.
        let thanks = config.offer.success.as_ref().map_or_else(
            || say(&locale, "Thank you!", "Vielen Dank!"),
            |t| t.resolve(&locale),
        );
        return plain(StatusCode::OK, thanks);
    }
    form.sent();
    // Back only to a page of an origin the offer takes leads from: the link is shown on
    // the collector's own origin, so it must not lead anywhere a link names.
    let back = page_url(query.get("back").map(String::as_str)).filter(|u| {
        url::Url::parse(u).is_ok_and(|u| {
            let origin = u.origin().ascii_serialization();
            state.allowed_origins.contains(&origin)
                || config
                    .allowed_origins
                    .iter()
                    .any(|o| normalize_origin(o).as_deref() == Some(origin.as_str()))
        })
    });
    let shown = Shown {
        config: &config,
        text: &text,
        locale: &locale,
        back: back.as_deref(),
        token: Token::Fresh,
    };
    page(&state, StatusCode::OK, &shown, form, None)
}
