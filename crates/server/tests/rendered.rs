//! Server-rendered offers and forms posted without script (`crate::rendered`): the
//! fragment, the form post's answers (a redirect, a page with errors, a confirmation), one
//! lead per rendered form, and crafted bodies. On SQLite, and on PostgreSQL with
//! `LEADMAGNET_TEST_API_ON=postgres` (a step of `make test`).

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use leadmagnet_server::spam::Challenges;
use std::sync::Arc;

const FORM: &str = "application/x-www-form-urlencoded";

fn form_post(body: impl Into<Body>) -> Request<Body> {
    Request::post("/api/v1/leads")
        .header(header::CONTENT_TYPE, FORM)
        .header(header::ORIGIN, ORIGIN)
        .header(header::REFERER, format!("{ORIGIN}/landing?utm_source=ads"))
        .body(body.into())
        .expect("request")
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

/// A fresh render token from the collector's fragment of the eBook.
async fn token(f: &Fixture) -> String {
    let (status, headers, html) = exchange(&f.state, get("/fragments/ebook.json?locale=de")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        headers["leadmagnet-render"]
            .to_str()
            .is_ok_and(|k| k.starts_with(&format!("{}:en:", leadmagnet_widget::VERSION))),
        "a fixed-locale offer renders in its own locale: {:?}",
        headers["leadmagnet-render"]
    );
    let at = html.find("name=\"lm_t\" value=\"").expect("a render token") + 19;
    html[at..].split('"').next().expect("value").to_owned()
}

fn body(token: &str, extra: &str) -> String {
    format!("lm_offer=ebook-lead-scoring&lm_locale=en&lm_step=0&lm_t={token}&lm_hp=&{extra}")
}

async fn leads(f: &Fixture) -> Vec<leadmagnet_server::store::StoredLead> {
    f.state
        .store
        .list(None, None, None, 100)
        .await
        .expect("leads")
}

#[tokio::test]
async fn a_form_post_stores_one_lead_with_its_consent_and_redirects_to_the_thank_you() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(Challenges::new(b"rendered-test-key-0123", 0, 0));
    let token = token(&f).await;
    let sent = body(
        &token,
        "email=ann%40contoso.example&company_size=250%2B&timeline=now&newsletter=on&consent=on",
    );
    let (status, headers, page) = exchange(&f.state, form_post(sent.clone())).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let location = headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with("/forms/ebook-lead-scoring/thanks?locale=en&lead="),
        "{location}"
    );
    let stored = leads(&f).await;
    assert_eq!(stored.len(), 1);
    let lead = &stored[0].parsed;
    assert_eq!(lead["fields"]["email"], "ann@contoso.example");
    assert_eq!(lead["fields"]["company_size"], "250+");
    assert_eq!(lead["fields"]["newsletter"], true);
    assert_eq!(
        lead["context"]["page_url"],
        format!("{ORIGIN}/landing?utm_source=ads")
    );
    assert_eq!(lead["attribution"]["last_touch"]["utm_source"], "ads");
    let purposes = lead["consent"]["purposes"].as_array().expect("purposes");
    assert!(purposes.iter().any(|p| p["field"] == "newsletter"
        && p["granted"] == true
        && p["purpose"] == "marketing"));
    assert!(purposes.iter().any(|p| p["field"] == "consent"
        && p["granted"] == true
        && p["text_version"] == "2026-11"));
    assert_eq!(stored[0].quarantine, None);
    assert!(stored[0].server_score.is_some(), "scored by the collector");
    // The same rendered form posted again is the same lead.
    for _ in 0..2 {
        let (status, headers, _) = exchange(&f.state, form_post(sent.clone())).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            headers[header::LOCATION].to_str().ok(),
            Some(location.as_str())
        );
    }
    assert_eq!(leads(&f).await.len(), 1, "one lead per rendered form");
    // The thank-you: the offer's own text, a strict CSP that admits its stylesheet by hash.
    let (status, headers, page) = exchange(&f.state, get(&location)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Thank you! Your copy is ready."), "{page}");
    assert!(page.contains("Download the playbook (PDF)"));
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains(&leadmagnet_server::rendered::style_source()),
        "{csp}"
    );
    assert!(csp.contains("default-src 'none'"));
}

#[tokio::test]
async fn a_form_post_with_problems_gets_the_form_again_with_each_error_and_every_value() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(Challenges::new(b"rendered-test-key-0123", 0, 0));
    let token = token(&f).await;
    // Hostile text in a field comes back escaped, never as markup.
    let (status, _, page) = exchange(
        &f.state,
        form_post(body(
            &token,
            "email=%3Cscript%3Ealert(1)%3C%2Fscript%3E&first_name=%22%3E%3Cimg+src%3Dx%3E",
        )),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img src=x>"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || page.contains("&lt;script>"));
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(
        page.contains("id=\"lm-e-email\""),
        "an error next to the email field"
    );
    assert!(
        page.contains("id=\"lm-e-consent\""),
        "and next to the consent"
    );
    assert_eq!(leads(&f).await.len(), 0);
}

#[tokio::test]
async fn crafted_form_posts_get_pages_and_store_nothing() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(Challenges::new(b"rendered-test-key-0123", 0, 0));
    let good = "email=bob%40contoso.example&consent=on";
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (String::new(), StatusCode::BAD_REQUEST, "lm_offer"),
        (
            "email=x%40y.example".into(),
            StatusCode::BAD_REQUEST,
            "lm_offer",
        ),
        (
            "lm_offer=nope&email=x%40y.example".into(),
            StatusCode::NOT_FOUND,
            "no longer offered",
        ),
        // No render time, a forged one, one of another offer, one from before the TTL.
        (
            body("", good),
            StatusCode::OK,
            "send the form again to confirm",
        ),
        (
            body("1.00.00", good),
            StatusCode::OK,
            "send the form again to confirm",
        ),
        (
            body(
                &f.state
                    .challenges
                    .render_token("newsletter", now(), [1; 16]),
                good,
            ),
            StatusCode::OK,
            "send the form again to confirm",
        ),
        (
            body(
                &f.state.challenges.render_token(
                    "ebook-lead-scoring",
                    now() - 2 * 86_400_000,
                    [1; 16],
                ),
                good,
            ),
            StatusCode::OK,
            "open for a long time",
        ),
        // A broken escape and a step far beyond the form's own.
        (
            "lm_offer=ebook-lead-scoring&lm_step=99999999999999999999&email=%zz&consent=on".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lm-e-email",
        ),
    ];
    for (sent, want, says) in cases {
        let (status, _, page) = exchange(&f.state, form_post(sent.clone())).await;
        assert_eq!(status, want, "{sent}: {page}");
        assert!(page.contains(says), "{sent}: {page}");
        assert!(page.starts_with("<!doctype html>"), "{sent}: a page");
    }
    // Too large for the collector: a page, not a connection reset.
    let huge = body("", &format!("email={}", "a".repeat(70 * 1024)));
    let (status, _, page) = exchange(&f.state, form_post(huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{page}");
    assert_eq!(leads(&f).await.len(), 0, "nothing stored");
    // The confirmation page holds the values and a fresh render time that does count.
    let (_, _, page) = exchange(&f.state, form_post(body("", good))).await;
    assert!(page.contains("value=\"bob@contoso.example\""), "{page}");
    let at = page.find("name=\"lm_t\" value=\"").expect("fresh token") + 19;
    let fresh = page[at..].split('"').next().expect("token");
    let (status, _, _) = exchange(&f.state, form_post(body(fresh, good))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(leads(&f).await.len(), 1);
}

#[tokio::test]
async fn a_form_posted_sooner_than_the_minimum_fill_time_or_with_the_honeypot_is_quarantined() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(Challenges::new(b"rendered-test-key-0123", 0, 60_000));
    let token = token(&f).await;
    let sent = body(&token, "email=fast%40contoso.example&consent=on")
        .replace("lm_hp=", "lm_hp=https%3A%2F%2Fspam.example");
    let (status, _, page) = exchange(&f.state, form_post(sent)).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "answered like any other: {page}"
    );
    let stored = leads(&f).await;
    assert_eq!(
        stored[0].quarantine,
        Some(vec![
            "honeypot_filled".to_owned(),
            "filled_too_fast".to_owned()
        ])
    );
}

#[tokio::test]
async fn a_locked_database_answers_503_with_the_form_and_every_value_kept() {
    let mut f = fixture_on(None).await;
    f.state.challenges = Arc::new(Challenges::new(b"rendered-test-key-0123", 0, 0));
    let token = token(&f).await;
    let sent = body(
        &token,
        "email=carl%40contoso.example&first_name=Carl&consent=on",
    );
    let mut locker = f.hold_write_lock().await;
    let (status, headers, page) = exchange(&f.state, form_post(sent.clone())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(page.contains("Nothing is lost"), "{page}");
    assert!(page.contains("value=\"carl@contoso.example\""));
    assert!(page.contains("value=\"Carl\""));
    sqlx::query("ROLLBACK")
        .execute(&mut locker)
        .await
        .expect("unlock");
    // The visitor sends the same form again: stored once.
    let (status, _, _) = exchange(&f.state, form_post(sent)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(leads(&f).await.len(), 1);
}

#[tokio::test]
async fn fragments_name_only_offer_files_and_render_relative_urls_against_the_config_url() {
    let f = fixture().await;
    // An overlay (decided and opened in the browser) has nothing to paint first.
    std::fs::write(
        f.state.offers.dir().join("checklist.json"),
        include_str!("../../../www/offers/checklist.json"),
    )
    .expect("offer");
    f.state.offers.reload();
    let (status, _, html) = exchange(&f.state, get("/fragments/checklist.json")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{html}");
    assert!(html.is_empty());
    for uri in [
        "/fragments/nope.json",
        "/fragments/..%2Fdata%2Fleads.db",
        "/fragments/offers/ebook.json",
    ] {
        assert_eq!(
            exchange(&f.state, get(uri)).await.0,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    let on = |host: &str, uri: &str| {
        Request::get(uri)
            .header(header::HOST, host)
            .body(Body::empty())
            .expect("request")
    };
    let asked =
        "/fragments/ebook.json?config=https%3A%2F%2Fcollector.example%2Foffers%2Febook.json";
    let (_, headers, html) = exchange(&f.state, on("collector.example", asked)).await;
    assert!(
        html.contains("action=\"https://collector.example/api/v1/leads\""),
        "{html}"
    );
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    // The same URL asked of another host is no base: the collector's origin never serves
    // a form that posts elsewhere.
    let (_, _, html) = exchange(&f.state, on("leads.customer.example", asked)).await;
    assert!(html.contains("action=\"/api/v1/leads\""), "{html}");
    assert!(!html.contains("collector.example"));
    // A config URL that is not this config's is no base: root-relative URLs stay so.
    let (_, _, html) = exchange(
        &f.state,
        get("/fragments/ebook.json?config=https%3A%2F%2Fevil.example%2Fx.json"),
    )
    .await;
    assert!(html.contains("action=\"/api/v1/leads\""), "{html}");
    assert!(!html.contains("evil.example"));
    // A hostile locale is not echoed.
    let (status, _, html) = exchange(
        &f.state,
        get("/fragments/ebook.json?locale=%22%3E%3Cscript%3E"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>"));
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[tokio::test]
async fn a_visitor_correcting_or_confirming_a_form_is_not_taken_for_a_bot() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(Challenges::new(b"rendered-test-key-0123", 0, 3000));
    // A form rendered ten seconds ago, sent without the consent tick.
    let token = f
        .state
        .challenges
        .render_token("ebook-lead-scoring", now() - 10_000, [3; 16]);
    let (status, _, page) = exchange(
        &f.state,
        form_post(body(
            &token,
            "email=dora%40contoso.example&company_size=10-49",
        )),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(&format!("name=\"lm_t\" value=\"{token}\"")),
        "the form comes back with its own render time"
    );
    assert!(
        page.contains("<option value=\"10-49\" selected>"),
        "the choice is kept"
    );
    // Ticked and sent again at once: the form was filled over ten seconds, not one.
    let sent = body(
        &token,
        "email=dora%40contoso.example&company_size=10-49&consent=on",
    );
    assert_eq!(
        exchange(&f.state, form_post(sent)).await.0,
        StatusCode::SEE_OTHER
    );
    // Back, a typo fixed, sent again with the same form: a second lead, not swallowed.
    let fixed = body(
        &token,
        "email=dora%40contoso.test&company_size=10-49&consent=on",
    );
    assert_eq!(
        exchange(&f.state, form_post(fixed)).await.0,
        StatusCode::SEE_OTHER
    );
    let stored = leads(&f).await;
    assert_eq!(stored.len(), 2);
    assert!(
        stored.iter().all(|l| l.quarantine.is_none()),
        "{:?}",
        stored.iter().map(|l| &l.quarantine).collect::<Vec<_>>()
    );
    // A static snippet's post (no render time) is confirmed a second later, not three.
    let (_, _, page) = exchange(
        &f.state,
        form_post(body("", "email=emil%40contoso.example&consent=on")),
    )
    .await;
    let at = page.find("name=\"lm_t\" value=\"").expect("a token") + 19;
    let confirm = page[at..].split('"').next().expect("token").to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        exchange(
            &f.state,
            form_post(body(&confirm, "email=emil%40contoso.example&consent=on"))
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );
    let emil = leads(&f)
        .await
        .into_iter()
        .find(|l| l.parsed["fields"]["email"] == "emil@contoso.example")
        .expect("stored");
    assert_eq!(emil.quarantine, None);
}

#[tokio::test]
async fn answer_pages_never_become_the_page_a_lead_came_from_nor_link_elsewhere() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(Challenges::new(b"rendered-test-key-0123", 0, 0));
    let token = token(&f).await;
    // A page that sends no Referer: the next post's Referer is the answer page itself.
    let request = Request::post("/api/v1/leads")
        .header(header::CONTENT_TYPE, FORM)
        .header(header::ORIGIN, ORIGIN)
        .header(header::REFERER, "http://127.0.0.1:8080/api/v1/leads")
        .body(Body::from(body(
            &token,
            "email=finn%40contoso.example&consent=on",
        )))
        .expect("request");
    let (status, headers, _) = exchange(&f.state, request).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers[header::LOCATION].to_str().expect("location");
    assert!(!location.contains("back="), "{location}");
    assert_eq!(leads(&f).await[0].parsed["context"]["page_url"], "");
    // The thank-you links back only to a page of an origin the offer takes leads from.
    let thanks = |back: &str| {
        format!(
            "/forms/newsletter/thanks?back={}",
            form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        )
    };
    let (_, _, page) = exchange(&f.state, get(&thanks("https://www.customer.example/p"))).await;
    assert!(
        page.contains("href=\"https://www.customer.example/p\""),
        "{page}"
    );
    let (_, _, page) = exchange(&f.state, get(&thanks("https://evil.example/login"))).await;
    assert!(!page.contains("evil.example"), "{page}");
}
