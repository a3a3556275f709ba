//! Offer analytics (`POST /api/v1/counts`, `GET /api/v1/offers/{id}/report[.csv]`, the
//! inbox's report): counts of a seeded run come out exactly in the report, crafted and
//! unlucky batches count nothing, and the report needs the admin. On SQLite, and on
//! PostgreSQL with `LEADMAGNET_TEST_API_ON=postgres` (a step of `make test`).

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use serde_json::{json, Value};

/// A two-step offer with two variants.
const AB: &str = r#"{
  "version": 1, "id": "ab-guide", "locale": "en",
  "offer": { "kind": "form", "title": "Guide" },
  "fields": [
    { "id": "email", "type": "email", "label": "Email", "required": true },
    { "id": "company", "type": "text", "label": "Company" },
    { "id": "consent", "type": "consent", "required": true, "consent_version": "1", "label": "I agree" }
  ],
  "steps": [ { "fields": ["email"] }, { "fields": ["company", "consent"] } ],
  "variants": [ { "id": "a" }, { "id": "b", "title": "The better guide" } ],
  "endpoint": { "url": "/api/v1/leads" }
}"#;

async fn with_ab() -> Fixture {
    let f = fixture().await;
    std::fs::write(f.state.offers.dir().join("ab.json"), AB).expect("offer");
    f.state.offers.reload();
    assert!(
        f.state.offers.get("ab-guide").is_some(),
        "the test offer reads"
    );
    f
}

fn counts(body: impl Into<Body>) -> Request<Body> {
    Request::post("/api/v1/counts")
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .header(header::ORIGIN, ORIGIN)
        .body(body.into())
        .expect("request")
}

fn page_view(variant: &str, events: &[&str]) -> String {
    json!({ "version": 1, "offers": [{ "offer_id": "ab-guide", "variant": variant, "events": events }] })
        .to_string()
}

async fn report(f: &Fixture) -> Value {
    let req = Request::get("/api/v1/offers/ab-guide/report")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let (status, body, _) = send(&f.state, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A seeded run: 200 page views of variant a (40 submits) and 200 of b (70 submits), with
/// starts, second steps, invalid and abandoned fields. The report holds exactly these
/// figures, b wins at 95 %, and the CSV says the same per day.
#[tokio::test]
async fn a_seeded_run_comes_out_exactly_in_the_report() {
    let f = with_ab().await;
    // (variant, page views, started, reached step 2, sent, email invalid, abandoned at company)
    for (variant, views, starts, step2, submits, invalid, abandoned) in [
        ("a", 200, 120, 60, 40, 30, 15),
        ("b", 200, 150, 100, 70, 10, 20),
    ] {
        for i in 0..views {
            let mut events = vec!["view"];
            if i < starts {
                events.push("start");
            }
            if i < step2 {
                events.push("step:2");
            }
            if i < submits {
                events.push("submit");
            }
            if i < invalid {
                events.extend(["invalid:email", "refused"]);
            }
            if i >= submits && i < submits + abandoned {
                events.push("abandoned:company");
            }
            let (status, body, _) = send(&f.state, counts(page_view(variant, &events))).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
            assert_eq!(body["counted"], events.len());
        }
    }
    let r = report(&f).await;
    let funnel: Vec<(String, i64)> = r["funnel"]
        .as_array()
        .expect("funnel")
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap_or("").to_owned(),
                s["count"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        funnel,
        [
            ("views", 400),
            ("starts", 270),
            ("step 2", 160),
            ("submits", 110)
        ]
        .map(|(s, n)| (s.to_owned(), n))
    );
    // Drop-off: 1 − 270/400, 1 − 160/270, 1 − 110/160.
    assert_eq!(r["funnel"][1]["drop_off"], 0.325);
    assert_eq!(r["funnel"][2]["drop_off"], 0.4074);
    assert_eq!(r["funnel"][3]["drop_off"], 0.3125);
    assert_eq!(r["refused"], 40);
    assert_eq!(
        r["fields"][0],
        json!({"field": "email", "invalid": 40, "abandoned": 0, "abandon_rate": 0})
    );
    assert_eq!(
        r["fields"][1],
        json!({"field": "company", "invalid": 0, "abandoned": 35, "abandon_rate": 0.1296})
    );
    let arm = |i: usize| {
        (
            r["variants"][i]["variant"].clone(),
            r["variants"][i]["views"].clone(),
            r["variants"][i]["submits"].clone(),
            r["variants"][i]["conversion"].clone(),
        )
    };
    assert_eq!(arm(0), (json!("a"), json!(200), json!(40), json!(0.2)));
    assert_eq!(arm(1), (json!("b"), json!(200), json!(70), json!(0.35)));
    // Wilson 95 % (computed by hand from the formula): 40/200 0.1505–0.2609, 70/200 0.2873–0.4184.
    assert_eq!(
        (
            r["variants"][0]["low"].clone(),
            r["variants"][0]["high"].clone()
        ),
        (json!(0.1505), json!(0.2609))
    );
    assert_eq!(
        (
            r["variants"][1]["low"].clone(),
            r["variants"][1]["high"].clone()
        ),
        (json!(0.2873), json!(0.4184))
    );
    // Pooled z-test: p = 0.00086.
    let verdict = r["verdict"].as_str().expect("verdict");
    assert!(
        verdict.starts_with("b converts better, 95 % confidence (35 % vs 20 %, p = 0.001)"),
        "{verdict}"
    );
    assert_eq!(r["days"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["days"][0]["views"], 400);
    assert_eq!(r["days"][0]["submits"], 110);

    let csv = Request::get("/api/v1/offers/ab-guide/report.csv")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let (status, headers, text) = exchange(&f.state, csv).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let day = r["days"][0]["day"].as_str().expect("day");
    assert_eq!(
        text,
        format!(
            "offer_id,day,variant,views,starts,submits,refused,conversion\r\n\
             ab-guide,{day},a,200,120,40,30,0.2000\r\n\
             ab-guide,{day},b,200,150,70,10,0.3500\r\n"
        )
    );
}

/// Fewer than 100 views per variant: no verdict yet, however the rates look.
#[tokio::test]
async fn a_small_run_has_no_verdict_yet() {
    let f = with_ab().await;
    for (variant, submit) in [("a", false), ("b", true)] {
        for _ in 0..20 {
            let events: &[&str] = if submit {
                &["view", "submit"]
            } else {
                &["view"]
            };
            assert_eq!(
                send(&f.state, counts(page_view(variant, events))).await.0,
                StatusCode::ACCEPTED
            );
        }
    }
    let r = report(&f).await;
    assert_eq!(
        r["verdict"],
        "not enough data yet: each variant needs 100 views (the fewest has 20)"
    );
    assert_eq!(r["p_value"], Value::Null);
}

/// Crafted and wrong batches: each refused with its reason, and none counts anything, not
/// even the good offers beside the bad one.
#[tokio::test]
async fn crafted_batches_count_nothing() {
    let f = with_ab().await;
    let ok = json!({ "offer_id": "ab-guide", "variant": "a", "events": ["view"] });
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("{".into(), StatusCode::BAD_REQUEST, "malformed_json"),
        ("[]".into(), StatusCode::UNPROCESSABLE_ENTITY, "expected an object"),
        (json!({"version": 2, "offers": [ok]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "unsupported count batch version 2"),
        (json!({"version": 1, "offers": []}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "give 1 to 20 offers"),
        (json!({"version": 1, "offers": vec![ok.clone(); 21]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "give 1 to 20 offers, not 21"),
        (json!({"version": 1, "offers": [ok, {"offer_id": "nope", "events": ["view"]}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "no offer \"nope\""),
        (json!({"version": 1, "offers": [{"offer_id": "ab-guide", "variant": "c", "events": ["view"]}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "no variant \"c\""),
        (page_view("a", &["view", "invalid:password"]), StatusCode::UNPROCESSABLE_ENTITY, "\"invalid:password\" is not an event"),
        (page_view("a", &["view", "step:3"]), StatusCode::UNPROCESSABLE_ENTITY, "\"step:3\" is not an event"),
        (page_view("a", &["view", "step:02"]), StatusCode::UNPROCESSABLE_ENTITY, "\"step:02\" is not an event"),
        (page_view("a", &["view", "email=ann@contoso.example"]), StatusCode::UNPROCESSABLE_ENTITY, "is not an event"),
        (page_view("a", &vec!["view"; 65]), StatusCode::UNPROCESSABLE_ENTITY, "at most 64 events"),
        (json!({"version": 1, "offers": [{"offer_id": "ab-guide", "events": ["view"], "device": "x"}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "unknown key \"device\""),
        // The same offer twice in one page view: each copy would count as a view.
        (json!({"version": 1, "offers": [ok, ok]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "is in this batch already"),
        (json!({"version": 1, "offers": [ok, {"offer_id": "ab-guide", "variant": "b", "events": ["view"]}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "/offers/1: offer \"ab-guide\" is in this batch already"),
        (json!({"version": 1, "offers": [ok, {"offer_id": "ab-guide", "events": ["view"]}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "is in this batch already"),
    ];
    for (body, status, says) in cases {
        let (got, answer, _) = send(&f.state, counts(body.clone())).await;
        assert_eq!(got, status, "{body}: {answer}");
        let said = format!(
            "{} {}",
            answer["error"]["code"],
            answer["error"]["message"].as_str().unwrap_or("")
        );
        assert!(said.contains(says), "{body}: {answer}");
    }
    // A page on an origin the offer does not take leads from, an opaque origin, and no
    // page at all (a script's request names no origin).
    for origin in [
        Some("https://evil.example"),
        Some("null"),
        Some("ftp://x"),
        None,
    ] {
        let mut foreign =
            Request::post("/api/v1/counts").header(header::CONTENT_TYPE, "text/plain");
        if let Some(origin) = origin {
            foreign = foreign.header(header::ORIGIN, origin);
        }
        let foreign = foreign
            .body(Body::from(page_view("a", &["view"])))
            .expect("request");
        let (status, answer, _) = send(&f.state, foreign).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?}: {answer}");
        let code = if origin.is_some() {
            "origin_not_allowed"
        } else {
            "origin_required"
        };
        assert_eq!(answer["error"]["code"], code, "{origin:?}: {answer}");
    }
    let r = report(&f).await;
    assert_eq!(r["funnel"][0]["count"], 0, "nothing counted: {r}");
    assert_eq!(r["variants"][0]["views"], 0);

    // The same event twice in one page view counts once.
    assert_eq!(
        send(&f.state, counts(page_view("b", &["view", "view", "start"])))
            .await
            .1["counted"],
        2
    );
    assert_eq!(report(&f).await["variants"][1]["views"], 1);
}

/// The report is the admin's; a busy client is told to wait; the store's lock is a 503,
/// never a final refusal.
#[tokio::test]
async fn the_report_needs_the_admin_and_counting_is_rate_limited() {
    let mut f = with_ab().await;
    let anonymous = Request::get("/api/v1/offers/ab-guide/report")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&f.state, anonymous).await.0, StatusCode::UNAUTHORIZED);
    let unknown = Request::get("/api/v1/offers/nope/report")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&f.state, unknown).await.0, StatusCode::NOT_FOUND);

    f.state.event_rate_limit = std::sync::Arc::new(leadmagnet_server::limits::RateLimit::new(2));
    let from_client = || {
        Request::post("/api/v1/counts")
            .header(header::CONTENT_TYPE, "text/plain")
            .header("x-forwarded-for", "203.0.113.9")
            .header(header::ORIGIN, ORIGIN)
            .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [203, 0, 113, 9],
                4000,
            ))))
            .body(Body::from(page_view("a", &["view"])))
            .expect("request")
    };
    let statuses = [
        send(&f.state, from_client()).await.0,
        send(&f.state, from_client()).await.0,
        send(&f.state, from_client()).await.0,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}
