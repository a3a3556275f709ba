//! The collector API through `app(state)` with oneshot requests, on a real SQLite file,
//! plus one test over a real socket on 127.0.0.1:0.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use leadmagnet_server::{app, serve, AppState};
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

mod common;
use common::*;

#[tokio::test]
async fn stores_leads_with_v4_and_v7_ids_and_lists_them_newest_first() {
    let f = fixture().await;
    // LEAD_ID is a v4, as earlier widget builds made them; the second a v7, as the widget
    // makes them now.
    let (status, body, _) = send(&f.state, post(lead(LEAD_ID, "ann@example.com"))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body, json!({ "lead_id": LEAD_ID }));
    let second = "019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d";
    assert_eq!(
        send(&f.state, post(lead(second, "bob@example.com")))
            .await
            .0,
        StatusCode::CREATED
    );

    let (status, body, _) = send(&f.state, get_leads(Some(TOKEN))).await;
    assert_eq!(status, StatusCode::OK);
    let leads = body["leads"].as_array().expect("leads array");
    assert_eq!(leads.len(), 2);
    assert_eq!(leads[0]["lead_id"], second);
    assert_eq!(leads[1]["lead_id"], LEAD_ID);
    assert_eq!(leads[1]["payload"]["fields"]["email"], "ann@example.com");
    assert_eq!(leads[1]["offer_id"], "ebook-lead-scoring");
    assert!(leads[1]["received_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
}

#[tokio::test]
async fn list_filters_by_offer_and_limits() {
    let f = fixture().await;
    send(&f.state, post(lead(LEAD_ID, "ann@example.com"))).await;
    let other = lead("9a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d", "bob@example.com")
        .replace("ebook-lead-scoring", "newsletter");
    send(&f.state, post(other)).await;
    let req = |q: &str| {
        Request::get(format!("/api/v1/leads?{q}"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .expect("request")
    };
    let (_, body, _) = send(&f.state, req("offer_id=newsletter")).await;
    assert_eq!(body["leads"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["leads"][0]["offer_id"], "newsletter");
    let (_, body, _) = send(&f.state, req("limit=1")).await;
    assert_eq!(body["leads"].as_array().map(Vec::len), Some(1));
    let (status, body, _) = send(&f.state, req("limit=0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("between 1 and 1000")));
}

#[tokio::test]
async fn reading_leads_needs_the_admin_token() {
    let f = fixture().await;
    for token in [
        None,
        Some("wrong-token"),
        Some(""),
        Some(&TOKEN[..TOKEN.len() - 1]),
    ] {
        let (status, body, response) = send(&f.state, get_leads(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}

#[tokio::test]
async fn bad_requests_get_json_errors_and_store_nothing() {
    let f = fixture().await;
    // (A form post, `application/x-www-form-urlencoded`, is the server-rendered form's,
    // answered with pages: tests/rendered.rs.)
    let wrong_type = Request::post("/api/v1/leads")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(Body::from(
            "--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.co\r\n--x--",
        ))
        .expect("request");
    let no_type = Request::post("/api/v1/leads")
        .body(Body::from(lead(LEAD_ID, "a@b.co")))
        .expect("request");
    let huge = lead(LEAD_ID, &format!("{}@example.com", "a".repeat(70 * 1024)));
    let cases: Vec<(Request<Body>, StatusCode, &str, &str)> = vec![
        (
            wrong_type,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Content-Type: application/json (or text/plain)",
        ),
        (
            no_type,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Content-Type: application/json (or text/plain)",
        ),
        (
            post("{\"version\": 1,"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "expected a key in double quotes, found the end of the text (line 1, column 15)",
        ),
        (
            post("not json"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "expected a value, found `n` (line 1, column 1)",
        ),
        (
            post(vec![0xffu8, 0xfe]),
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "not UTF-8 text",
        ),
        (
            post(huge),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "65536 bytes",
        ),
        (
            post(lead("not-a-uuid", "a@b.co")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_lead",
            "not a UUID v7 or v4",
        ),
        (
            post(lead(LEAD_ID, "a@b.co").replace("\"version\":1", "\"version\":7")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_lead",
            "unsupported payload version 7",
        ),
    ];
    for (req, status, code, message) in cases {
        let (got, body, _) = send(&f.state, req).await;
        assert_eq!(got, status, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        let text = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            text.contains(message),
            "{text:?} should contain {message:?}"
        );
    }
    let (_, body, _) = send(&f.state, post(lead("not-a-uuid", "a@b.co"))).await;
    assert_eq!(body["error"]["pointer"], "/lead_id");
    assert_eq!(f.state.store.count().await.expect("count"), 0);
}

#[tokio::test]
async fn a_retry_is_a_replay_and_a_reused_id_is_refused() {
    let f = fixture().await;
    let body = lead(LEAD_ID, "ann@example.com");
    let (first, answer, _) = send(&f.state, post(body.clone())).await;
    let (again, replayed, response) = send(&f.state, post(body)).await;
    assert_eq!((first, again), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(answer, replayed);
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    let (status, err, _) = send(&f.state, post(lead(LEAD_ID, "mallory@example.com"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "lead_id_reused");
    assert_eq!(f.state.store.count().await.expect("count"), 1);
    let (_, list, _) = send(&f.state, get_leads(Some(TOKEN))).await;
    assert_eq!(
        list["leads"][0]["payload"]["fields"]["email"],
        "ann@example.com"
    );
}

#[tokio::test]
async fn text_plain_and_the_idempotency_key_header() {
    let f = fixture().await;
    let body = lead(LEAD_ID, "ann@example.com");
    // The widget's keepalive attempt while a page closes: text/plain, no preflight.
    let plain = Request::post("/api/v1/leads")
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(Body::from(body.clone()))
        .expect("request");
    let (status, _, _) = send(&f.state, plain).await;
    assert_eq!(status, StatusCode::CREATED);
    // Its regular attempts carry the lead_id as Idempotency-Key as well.
    let keyed = |key: &str| {
        Request::post("/api/v1/leads")
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body.clone()))
            .expect("request")
    };
    let (status, _, response) = send(&f.state, keyed(LEAD_ID)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    let (status, err, _) = send(&f.state, keyed("another-key")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "idempotency_key_mismatch");
    assert_eq!(err["error"]["pointer"], "/lead_id");
    assert_eq!(f.state.store.count().await.expect("count"), 1);
}

#[tokio::test]
async fn storage_down_is_503_with_retry_after() {
    let f = fixture().await;
    f.state.store.close().await;
    let (status, body, response) = send(&f.state, post(lead(LEAD_ID, "ann@example.com"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "storage_unavailable");
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
}

#[tokio::test]
async fn cors_answers_allowed_origins_only() {
    let f = fixture().await;
    let preflight = |origin: &str| {
        Request::options("/api/v1/leads")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .expect("request")
    };
    let (_, _, ok) = send(&f.state, preflight(ORIGIN)).await;
    assert_eq!(ok.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
    assert!(ok.headers()[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .is_ok_and(|m| m.contains("POST")));
    let (_, _, refused) = send(&f.state, preflight("https://evil.example")).await;
    assert!(refused
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    // An answer to a page on another origin exposes Retry-After, so its outbox can wait as
    // long as a 409, 429 or 503 asks (an event batch before its lead is stored: 409).
    let (status, _, answer) = send(
        &f.state,
        Request::post("/api/v1/events")
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(
                json!({ "version": 1, "device": "5f0c2a8e-3b1d-4c6e-9a7b-2d4e6f8a0b1c",
                        "lead_id": "019cc3f2-8b1e-7a4d-8f6b-0000000000ff", "events": [] })
                .to_string(),
            ))
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(answer.headers().contains_key(header::RETRY_AFTER));
    assert!(
        answer.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS]
            .to_str()
            .is_ok_and(|h| h.to_ascii_lowercase().contains("retry-after")),
        "{:?}",
        answer.headers()
    );
}

#[tokio::test]
async fn serves_pages_with_csp_and_widget_files_for_embedding() {
    let f = fixture().await;
    let get = |path: &str| Request::get(path).body(Body::empty()).expect("request");
    let (status, _, page) = send(&f.state, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let (status, _, wasm) = send(&f.state, get("/dist/leadmagnet-0123abcd.wasm")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(wasm.headers()[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(wasm.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(wasm.headers()[header::CACHE_CONTROL]
        .to_str()
        .is_ok_and(|c| c.contains("immutable")));
    let compressed = Request::get("/dist/leadmagnet-0123abcd.wasm")
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .body(Body::empty())
        .expect("request");
    let (status, _, br) = send(&f.state, compressed).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        br.headers()[header::CONTENT_ENCODING],
        "br",
        "the precompressed file is served"
    );
    assert_eq!(br.headers()[header::CONTENT_TYPE], "application/wasm");
    // The loaders keep their names across releases: a short cache; parts are hashed.
    for stable in ["/dist/leadmagnet.js", "/dist/leadmagnet-full.js"] {
        let (_, _, js) = send(&f.state, get(stable)).await;
        assert_eq!(
            js.headers()[header::CACHE_CONTROL],
            "public, max-age=300",
            "{stable}"
        );
    }
    let (_, _, part) = send(&f.state, get("/dist/leadmagnet-full-0123abcd.part.js")).await;
    assert!(part.headers()[header::CACHE_CONTROL]
        .to_str()
        .is_ok_and(|c| c.contains("immutable")));
    assert_eq!(
        send(&f.state, get("/nope.html")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body, _) = send(&f.state, get("/api/v2/leads")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

/// The same API over a real TCP socket, spoken to with a hand-written HTTP/1.1 request.
#[tokio::test]
async fn real_socket_round_trip() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let f = fixture().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, f.state.clone(), async {
        let _ = stopped.await;
    }));
    let body = lead(LEAD_ID, "socket@example.com");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /api/v1/leads HTTP/1.1\r\nHost: {addr}\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains(&format!("access-control-allow-origin: {ORIGIN}")),
        "{response}"
    );
    assert!(
        response.ends_with(&format!("{{\"lead_id\":\"{LEAD_ID}\"}}")),
        "{response}"
    );
    assert_eq!(f.state.store.count().await.expect("count"), 1);
    let _ = stop.send(());
    server.await.expect("join").expect("server ran");
}

#[tokio::test]
async fn offer_configs_are_served_checked_or_plainly_marked_unchecked() {
    let f = fixture().await;
    let offers = f.state.www.join("offers");
    std::fs::create_dir_all(&offers).expect("offers");
    let good = include_str!("../../../www/offers/quiz.json");
    std::fs::write(offers.join("quiz.json"), good).expect("write");
    // Reads fine, but fails a semantic check (results must be sorted).
    let semantic = good.replace("\"min\": 6", "\"min\": -6");
    std::fs::write(offers.join("bad.json"), semantic).expect("write");
    let get = |path: &str| {
        Request::get(path)
            .header(header::ORIGIN, "https://customer.example")
            .body(Body::empty())
            .expect("request")
    };
    let ok = app(f.state.clone())
        .oneshot(get("/offers/quiz.json"))
        .await
        .expect("response");
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["leadmagnet-checked"], "1");
    assert_eq!(ok.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(
        ok.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS],
        "leadmagnet-checked"
    );
    let body = ok.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(body, good.as_bytes(), "served as written");

    let bad = app(f.state.clone())
        .oneshot(get("/offers/bad.json"))
        .await
        .expect("response");
    assert_eq!(
        bad.status(),
        StatusCode::OK,
        "served, so the browser can name its problems"
    );
    assert!(bad.headers().get("leadmagnet-checked").is_none());

    for path in [
        "/offers/../index.html",
        "/offers/missing.json",
        "/offers/.hidden.json",
    ] {
        let res = app(f.state.clone())
            .oneshot(get(path))
            .await
            .expect("response");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

// ---- Issue 6: the collector as the authoritative side ------------------------------------

/// A lead for the demo eBook with the form record the widget sends, and a client score.
fn full_lead(lead_id: &str, fields: Value, client_score: Option<Value>) -> String {
    let mut lead = json!({
        "version": 1, "lead_id": lead_id, "offer_id": "ebook-lead-scoring",
        "submitted_at": "2026-11-27T08:30:00.000Z",
        "fields": fields,
        "context": { "page_url": "http://127.0.0.1:8080/" },
        "events": [],
        "form": { "validation_errors": 0, "refused_attempts": 0,
                  "asked": ["email", "first_name", "company", "company_size", "timeline", "newsletter", "consent"],
                  "known": [] }
    });
    if let Some(score) = client_score {
        lead["score"] = score;
    }
    lead.to_string()
}

/// The one stored lead's row as `GET /api/v1/leads` shows it.
async fn only_stored(state: &AppState) -> Value {
    let (_, body, _) = send(state, get_leads(Some(TOKEN))).await;
    let leads = body["leads"].as_array().cloned().unwrap_or_default();
    assert_eq!(leads.len(), 1, "{body}");
    leads[0].clone()
}

#[tokio::test]
async fn leads_for_unknown_offers_or_with_bad_fields_are_refused_with_every_problem() {
    let f = fixture().await;
    let unknown = lead(LEAD_ID, "ann@example.com").replace("ebook-lead-scoring", "no-such-offer");
    let (status, body, _) = send(&f.state, post(unknown)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "unknown_offer");
    assert_eq!(body["error"]["pointer"], "/offer_id");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("\"no-such-offer\"")));

    let bad = full_lead(
        LEAD_ID,
        json!({ "email": "not-an-address", "company_size": "5000+", "consent": false, "shoe_size": "42" }),
        None,
    );
    let (status, body, _) = send(&f.state, post(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_fields");
    let problems: Vec<(String, String)> = body["error"]["problems"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    (
                        p["pointer"].as_str().unwrap_or_default().to_owned(),
                        p["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        problems,
        [
            ("/fields/email".into(), "invalid_email".into()),
            ("/fields/company_size".into(), "unknown_option".into()),
            ("/fields/consent".into(), "required".into()),
            ("/fields/shoe_size".into(), "unknown_field".into()),
        ],
        "{body}"
    );
    assert!(body["error"]["problems"][0]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(
        f.state.store.count().await.expect("count"),
        0,
        "nothing stored"
    );
}

#[tokio::test]
async fn the_collector_scores_every_lead_itself_and_flags_a_different_browser_score() {
    let f = fixture().await;
    // An honest browser score: what the widget computes for this lead.
    let fields = json!({ "email": "ann@contoso.example", "company_size": "250+", "timeline": "now", "consent": true });
    let honest = json!({ "fit": 40, "engagement": 0, "total": 40, "grade": "A", "level": 4, "matrix": "A4",
        "stage": "mql", "queue": "enterprise", "breakdown": [] });
    let (status, body, _) = send(
        &f.state,
        post(full_lead(LEAD_ID, fields.clone(), Some(honest))),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let stored = only_stored(&f.state).await;
    assert_eq!(stored["server_score"]["fit"], 40, "{stored}");
    assert_eq!(stored["server_score"]["stage"], "mql");
    assert_eq!(stored["server_score"]["queue"], "enterprise");
    assert_eq!(stored["flags"], json!([]), "the scores agree");

    // A tampered one: the browser claims more than the rules give.
    let f = fixture().await;
    let tampered = json!({ "fit": 90, "engagement": 0, "total": 90, "grade": "A", "level": 4, "matrix": "A4",
        "stage": "mql", "queue": "enterprise", "breakdown": [] });
    let small = json!({ "email": "bob@gmail.com", "company_size": "1-9", "consent": true });
    let (status, _, _) = send(&f.state, post(full_lead(LEAD_ID, small, Some(tampered)))).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a mismatch is kept, not refused"
    );
    let stored = only_stored(&f.state).await;
    assert_eq!(stored["flags"], json!(["score_mismatch"]));
    assert_eq!(
        stored["server_score"]["fit"], -10,
        "freemail, by the full lists"
    );
    assert_eq!(stored["server_score"]["stage"], "inquiry");
    assert_eq!(
        stored["payload"]["score"]["fit"], 90,
        "the browser's claim stays visible"
    );
}

#[tokio::test]
async fn the_same_lead_id_in_progress_is_409_and_twenty_concurrent_replays_leave_one_row() {
    let f = fixture().await;
    let body = lead(LEAD_ID, "ann@example.com");
    let held = leadmagnet_server::limits::InFlight::enter(&f.state.in_flight, LEAD_ID)
        .expect("not in flight yet");
    let (status, err, response) = send(&f.state, post(body.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["error"]["code"], "request_in_progress");
    assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    drop(held);
    assert_eq!(f.state.store.count().await.expect("count"), 0);

    let f = fixture().await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let state = f.state.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            app(state).oneshot(post(body)).await.map(|r| r.status())
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task").expect("infallible"));
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::CREATED));
    assert_eq!(
        f.state.store.count().await.expect("count"),
        1,
        "exactly one row"
    );
}

#[tokio::test]
async fn per_offer_allowed_origins_decide_cors_grants_and_posts() {
    let f = fixture().await;
    let customer = "https://www.customer.example";
    let preflight = |origin: &str| {
        Request::options("/api/v1/leads")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .expect("request")
    };
    let (_, _, granted) = send(&f.state, preflight(customer)).await;
    assert_eq!(
        granted.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        customer
    );
    let (_, _, refused) = send(&f.state, preflight("https://evil.example")).await;
    assert!(refused
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());

    let from = |origin: &str, body: String| {
        Request::post("/api/v1/leads")
            .header(header::CONTENT_TYPE, "text/plain")
            .header(header::ORIGIN, origin)
            .body(Body::from(body))
            .expect("request")
    };
    let newsletter =
        |id: &str| lead(id, "ann@example.com").replace("ebook-lead-scoring", "newsletter");
    let (status, _, _) = send(&f.state, from(customer, newsletter(LEAD_ID))).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the newsletter offer allows the customer's site"
    );
    let other_id = "9a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d";
    let (status, body, _) = send(&f.state, from(customer, lead(other_id, "bob@example.com"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the eBook offer does not");
    assert_eq!(body["error"]["code"], "origin_not_allowed");
    let third = "0b5a1e2c-1111-4222-8333-444455556666";
    let (status, _, _) = send(&f.state, from("https://evil.example", newsletter(third))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(&f.state, from(ORIGIN, lead(other_id, "bob@example.com"))).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "--allow-origin origins may post for any offer"
    );
    assert_eq!(f.state.store.count().await.expect("count"), 2);
}

#[tokio::test]
async fn a_client_over_its_rate_limit_gets_429_and_forwarded_for_is_not_believed_by_default() {
    let mut f = fixture().await;
    f.state.rate_limit = Arc::new(leadmagnet_server::limits::RateLimit::new(3));
    let from = |peer: &str, forwarded: Option<&str>, n: u32| {
        let id = format!("3f2b8c1e-9a4d-4f6b-8c2d-{n:012}");
        let mut req = post(lead(&id, &format!("r{n}@example.com")));
        let addr: std::net::SocketAddr = peer.parse().expect("addr");
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        if let Some(ip) = forwarded {
            req.headers_mut()
                .insert("x-forwarded-for", ip.parse().expect("header"));
        }
        req
    };
    for n in 0..3 {
        let (status, _, _) = send(&f.state, from("198.51.100.7:5000", None, n)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, body, response) =
        send(&f.state, from("198.51.100.7:5001", Some("203.0.113.1"), 3)).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a made-up X-Forwarded-For does not help"
    );
    assert_eq!(body["error"]["code"], "rate_limited");
    let wait: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=20).contains(&wait), "{wait}");
    let (status, _, _) = send(&f.state, from("198.51.100.8:5000", None, 4)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "another client has its own budget"
    );

    // Behind a trusted proxy, the client is the address the proxy appends.
    f.state.trusted_proxies = Arc::from(vec!["10.0.0.1".parse().expect("ip")]);
    for n in 5..8 {
        let (status, _, _) = send(&f.state, from("10.0.0.1:4000", Some("192.0.2.50"), n)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _, _) = send(&f.state, from("10.0.0.1:4000", Some("192.0.2.50"), 8)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _, _) = send(&f.state, from("10.0.0.1:4000", Some("192.0.2.51"), 9)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the proxy itself is not one client"
    );
    assert_eq!(f.state.store.count().await.expect("count"), 8);
}

#[tokio::test]
async fn offer_configs_are_read_again_when_they_change() {
    let f = fixture().await;
    let dir = f.state.offers.dir().to_owned();
    assert!(!f.state.offers.reload_if_changed(), "nothing changed");
    let quiz = NEWSLETTER.replace("\"newsletter\"", "\"webinar\"");
    std::fs::write(dir.join("webinar.json"), quiz).expect("write");
    std::fs::write(dir.join("broken.json"), "{\"version\": 1}").expect("write");
    assert!(f.state.offers.reload_if_changed());
    assert_eq!(
        f.state.offers.ids(),
        ["ebook-lead-scoring", "newsletter", "webinar"],
        "the broken config is left out"
    );
    let webinar = lead(LEAD_ID, "ann@example.com").replace("ebook-lead-scoring", "webinar");
    let (status, _, _) = send(&f.state, post(webinar)).await;
    assert_eq!(status, StatusCode::CREATED);
    std::fs::remove_file(dir.join("webinar.json")).expect("remove");
    assert!(f.state.offers.reload_if_changed());
    assert!(f.state.offers.get("webinar").is_none());
}

#[tokio::test]
async fn spam_checks_quarantine_with_reasons_and_answer_like_any_success() {
    let mut f = fixture().await;
    // A small range keeps the test fast; no minimum fill time here (tested in spam.rs).
    f.state.challenges = Arc::new(leadmagnet_server::spam::Challenges::new(
        b"api-test-challenge-key",
        5_000,
        0,
    ));
    let get = Request::get("/api/v1/challenge")
        .body(Body::empty())
        .expect("request");
    let (status, challenge, response) = send(&f.state, get).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(challenge["algorithm"], "SHA-256");
    assert_eq!(challenge["maxnumber"], 5_000);
    let salt = challenge["salt"].as_str().unwrap_or_default();
    assert!(
        salt.contains("?expires=") && salt.contains("&issued="),
        "{salt}"
    );
    let number = leadmagnet_core::pow::solve(
        salt,
        challenge["challenge"].as_str().unwrap_or_default(),
        0,
        5_000,
    )
    .expect("solvable");
    let solution = json!({
        "algorithm": "SHA-256", "challenge": challenge["challenge"], "number": number,
        "salt": salt, "signature": challenge["signature"],
    });
    let with = |id: &str, email: &str, extra: Value| {
        let mut body: Value = serde_json::from_str(&lead(id, email)).expect("json");
        if let (Some(o), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        body.to_string()
    };
    let ids = [
        "3f2b8c1e-9a4d-4f6b-8c2d-000000000001",
        "3f2b8c1e-9a4d-4f6b-8c2d-000000000002",
        "3f2b8c1e-9a4d-4f6b-8c2d-000000000003",
        "3f2b8c1e-9a4d-4f6b-8c2d-000000000004",
    ];
    let human = with(
        ids[0],
        "human@example.com",
        json!({ "challenge": solution }),
    );
    for (body, why) in [
        (human.clone(), "solved"),
        (human.clone(), "a retry of it: a replay"),
        (
            with(
                ids[1],
                "reuse@example.com",
                json!({ "challenge": solution }),
            ),
            "the same solution again",
        ),
        (with(ids[2], "bare@example.com", json!({})), "no proof"),
        (
            with(
                ids[3],
                "bot@example.com",
                json!({ "challenge": solution, "honeypot": "http://spam.example" }),
            ),
            "honeypot",
        ),
    ] {
        let (status, answer, _) = send(&f.state, post(body)).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{why}: answered like any success"
        );
        assert!(answer["lead_id"].is_string(), "{answer}");
    }
    let (_, body, _) = send(&f.state, get_leads(Some(TOKEN))).await;
    let quarantine: std::collections::HashMap<String, Value> = body["leads"]
        .as_array()
        .map(|leads| {
            leads
                .iter()
                .map(|l| {
                    (
                        l["payload"]["fields"]["email"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        l["quarantine"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(quarantine.len(), 4, "every lead kept, the replay once");
    assert_eq!(quarantine["human@example.com"], Value::Null);
    assert_eq!(
        quarantine["reuse@example.com"],
        json!(["proof_of_work_reused"])
    );
    assert_eq!(quarantine["bare@example.com"], json!(["no_proof_of_work"]));
    assert_eq!(
        quarantine["bot@example.com"],
        json!(["honeypot_filled", "proof_of_work_reused"])
    );
    let only = |q: &str| {
        Request::get(format!("/api/v1/leads?quarantined={q}"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .expect("request")
    };
    let (_, body, _) = send(&f.state, only("true")).await;
    assert_eq!(body["leads"].as_array().map(Vec::len), Some(3));
    let (_, body, _) = send(&f.state, only("false")).await;
    assert_eq!(body["leads"].as_array().map(Vec::len), Some(1));
}

/// A local stand-in for HubSpot and for webhook receivers: records every request; the
/// `/flaky` webhook answers 503 once, `/refusing` always 400, everything else 200.
async fn receiver() -> (
    String,
    Arc<std::sync::Mutex<Vec<(String, axum::http::HeaderMap, String)>>>,
) {
    let seen: Arc<std::sync::Mutex<Vec<(String, axum::http::HeaderMap, String)>>> = Arc::default();
    let record = seen.clone();
    let handler = move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
        let record = record.clone();
        async move {
            let path = uri.path().to_owned();
            let mut seen = record.lock().expect("lock");
            let earlier = seen.iter().filter(|(p, _, _)| *p == path).count();
            seen.push((path.clone(), headers, body));
            use axum::response::IntoResponse;
            match path.as_str() {
                "/flaky" if earlier == 0 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                // An answer whose body is the target's business, not the inbox's.
                "/refusing" => {
                    (StatusCode::BAD_REQUEST, "INTERNAL SECRET db_password=x").into_response()
                }
                "/slow" => StatusCode::REQUEST_TIMEOUT.into_response(),
                "/busy" => StatusCode::TOO_MANY_REQUESTS.into_response(),
                // A redirect to somewhere the config's address check never saw.
                "/moved" => {
                    (StatusCode::FOUND, [(header::LOCATION, "/inside")], "").into_response()
                }
                _ => StatusCode::OK.into_response(),
            }
        }
    };
    // Any method: a followed redirect (a GET) would be seen too.
    let app = axum::Router::new().route("/{*path}", axum::routing::any(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn accepted_leads_are_forwarded_server_side_with_secrets_from_the_environment() {
    use leadmagnet_server::forward::Forwarder;
    let (base, seen) = receiver().await;
    let mut f = fixture().await;
    // Spam checks off here: a quarantined lead is never forwarded (checked at the end).
    f.state.challenges = Arc::new(leadmagnet_server::spam::Challenges::new(b"k", 0, 0));
    let config = format!(
        r#"{{ "version": 1, "id": "forwarded", "offer": {{ "kind": "form", "title": "Fwd" }},
        "fields": [ {{ "id": "email", "type": "email", "label": "Email", "required": true }},
                    {{ "id": "consent", "type": "consent", "required": true,
                       "label": {{ "en": "Yes, process my details", "de": "Ja, verarbeitet meine Angaben" }} }} ],
        "endpoint": {{ "url": "/api/v1/leads" }},
        "forward": [
          {{ "to": "webhook", "url": "{base}/flaky", "secret_env": "FLAKY_KEY" }},
          {{ "to": "hubspot", "portal_id": "1234567", "form_guid": "0b5a1e2c-1111-4222-8333-444455556666",
             "secret_env": "HUBSPOT_TOKEN", "field_map": {{ "email": "email_address" }} }},
          {{ "to": "webhook", "url": "{base}/refusing", "secret_env": "FLAKY_KEY" }}
        ] }}"#
    );
    std::fs::write(f.state.offers.dir().join("forwarded.json"), config).expect("offer");
    assert!(f.state.offers.reload_if_changed());
    assert!(
        f.state.offers.get("forwarded").is_some(),
        "the config is valid"
    );
    let (status, _, _) = send(
        &f.state,
        // With the consent record the widget sends: shown in German.
        post(
            lead(LEAD_ID, "ann@example.com")
                .replace("ebook-lead-scoring", "forwarded")
                .replace(
                    r#""context":"#,
                    r#""consent":{"purposes":[{"purpose":"processing","field":"consent","granted":true,"text_hash":"0badc0de"}],"locale":"de-DE","gpc":false},"context":"#,
                ),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let secrets = |name: &str| match name {
        "FLAKY_KEY" => Some("webhook-signing-key".to_owned()),
        "HUBSPOT_TOKEN" => Some("pat-eu1-secret".to_owned()),
        _ => None,
    };
    let forwarder = Forwarder::new(&base, secrets);
    let now = 1_795_000_000_000i64;
    assert_eq!(forwarder.run_once(&f.state, now).await.expect("run"), 3);
    {
        let seen = seen.lock().expect("lock");
        let (_, headers, body) = seen
            .iter()
            .find(|(p, _, _)| p == "/flaky")
            .expect("webhook");
        let signature = headers["leadmagnet-signature"].to_str().expect("ascii");
        let expected = leadmagnet_core::pow::hex(&leadmagnet_core::pow::hmac_sha256(
            b"webhook-signing-key",
            format!("{}.{body}", now / 1000).as_bytes(),
        ));
        assert_eq!(
            signature,
            format!("t={},v1={expected}", now / 1000),
            "verifiable signature"
        );
        assert_eq!(headers["idempotency-key"], LEAD_ID);
        let sent: Value = serde_json::from_str(body).expect("json");
        assert_eq!(sent["payload"]["fields"]["email"], "ann@example.com");
        let (_, headers, body) = seen
            .iter()
            .find(|(p, _, _)| p.starts_with("/submissions/v3/integration/secure/submit/1234567/"))
            .expect("hubspot");
        assert_eq!(headers["authorization"], "Bearer pat-eu1-secret");
        let hubspot: Value = serde_json::from_str(body).expect("json");
        assert!(hubspot["fields"].as_array().is_some_and(|fs| fs
            .iter()
            .any(|f| f["name"] == "email_address" && f["value"] == "ann@example.com")));
        // The legal consent text is the wording the visitor agreed to, from the offer in
        // the lead's locale (once it was the string "consent text hash …").
        assert_eq!(
            hubspot["legalConsentOptions"]["consent"],
            serde_json::json!({ "consentToProcess": true, "text": "Ja, verarbeitet meine Angaben", "communications": [] })
        );
        // No secret ever appears in what the public config or the lead holds.
        assert!(!body.contains("pat-eu1-secret"));
    }
    let statuses = |body: &Value| -> Vec<(String, i64)> {
        body["leads"][0]["forwards"]
            .as_array()
            .map(|fs| {
                fs.iter()
                    .map(|f| {
                        (
                            f["status"].as_str().unwrap_or("").to_owned(),
                            f["attempts"].as_i64().unwrap_or(-1),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let list = || {
        Request::get("/api/v1/leads?offer_id=forwarded")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .expect("request")
    };
    let (_, body, _) = send(&f.state, list()).await;
    assert_eq!(
        statuses(&body),
        [
            ("pending".into(), 1),
            ("sent".into(), 1),
            ("failed".into(), 1)
        ],
        "{body}"
    );
    assert_eq!(
        body["leads"][0]["forwards"][2]["last_error"], "HTTP 400: (the answer's body is not kept)",
        "a webhook's answer stays unread"
    );
    assert_eq!(
        forwarder
            .run_once(&f.state, now + 1_000)
            .await
            .expect("run"),
        0,
        "not due yet"
    );
    assert_eq!(
        forwarder
            .run_once(&f.state, now + 2_000)
            .await
            .expect("run"),
        1,
        "the retry"
    );
    let (_, body, _) = send(&f.state, list()).await;
    assert_eq!(
        statuses(&body),
        [("sent".into(), 2), ("sent".into(), 1), ("failed".into(), 1)]
    );

    // A quarantined lead is kept, but never forwarded.
    f.state.challenges = Arc::new(leadmagnet_server::spam::Challenges::new(b"k", 100, 0));
    let other = "9a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d";
    send(
        &f.state,
        post(lead(other, "bot@example.com").replace("ebook-lead-scoring", "forwarded")),
    )
    .await;
    let (_, body, _) = send(&f.state, list()).await;
    assert_eq!(body["leads"][0]["quarantine"], json!(["no_proof_of_work"]));
    assert_eq!(body["leads"][0]["forwards"], json!([]));
}

/// 408 and 429 are retried like a 5xx, a target whose secret is not set yet waits for it
/// (retried, nothing sent), a secret set later is used, and a target that keeps failing is
/// given up after `MAX_ATTEMPTS` attempts with the last answer kept.
#[tokio::test]
async fn forwarding_retries_408_429_and_a_missing_secret_up_to_the_attempt_cap() {
    use leadmagnet_server::forward::{Forwarder, MAX_ATTEMPTS};
    let (base, seen) = receiver().await;
    let mut f = fixture().await;
    f.state.challenges = Arc::new(leadmagnet_server::spam::Challenges::new(b"k", 0, 0));
    let config = format!(
        r#"{{ "version": 1, "id": "retried", "offer": {{ "kind": "form", "title": "R" }},
        "fields": [ {{ "id": "email", "type": "email", "label": "Email", "required": true }} ],
        "endpoint": {{ "url": "/api/v1/leads" }},
        "forward": [
          {{ "to": "webhook", "url": "{base}/slow", "secret_env": "KEY" }},
          {{ "to": "webhook", "url": "{base}/busy", "secret_env": "KEY" }},
          {{ "to": "webhook", "url": "{base}/ok", "secret_env": "LATER_KEY" }},
          {{ "to": "webhook", "url": "{base}/moved", "secret_env": "KEY" }}
        ] }}"#
    );
    std::fs::write(f.state.offers.dir().join("retried.json"), config).expect("offer");
    assert!(f.state.offers.reload_if_changed());
    let body = json!({
        "version": 1, "lead_id": LEAD_ID, "offer_id": "retried",
        "submitted_at": "2026-11-27T08:30:00.000Z",
        "fields": { "email": "ann@example.com" }, "context": { "page_url": "http://127.0.0.1:8080/" }
    });
    let (status, _, _) = send(&f.state, post(body.to_string())).await;
    assert_eq!(status, StatusCode::CREATED);
    let forwards = |f: &leadmagnet_server::AppState| {
        let state = f.clone();
        async move {
            let list = Request::get("/api/v1/leads?offer_id=retried")
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .body(Body::empty())
                .expect("request");
            let (_, body, _) = send(&state, list).await;
            body["leads"][0]["forwards"].clone()
        }
    };
    let later_key = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let set = later_key.clone();
    let forwarder = Forwarder::new(&base, move |name: &str| match name {
        "KEY" => Some("k".to_owned()),
        "LATER_KEY" if set.load(std::sync::atomic::Ordering::SeqCst) => Some("k2".to_owned()),
        _ => None,
    });
    // Far enough apart that every backoff (at most an hour) has passed.
    let mut now = 1_795_000_000_000i64;
    assert_eq!(forwarder.run_once(&f.state, now).await.expect("run"), 4);
    let after_one = forwards(&f.state).await;
    // A redirect is not followed: refused at once, its address never asked.
    assert_eq!(after_one[3]["status"], "failed", "{after_one}");
    assert_eq!(
        after_one[3]["last_error"],
        "HTTP 302: redirects are not followed; give the target's final address"
    );
    for (i, answer) in [
        (0, "HTTP 408"),
        (1, "HTTP 429"),
        (2, "LATER_KEY is not set"),
    ] {
        assert_eq!(after_one[i]["status"], "pending", "{after_one}");
        assert_eq!(after_one[i]["attempts"], 1, "{after_one}");
        assert!(
            after_one[i]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains(answer)),
            "{i}: {after_one}"
        );
    }
    // The secret arrives: the third target goes out on its next attempt.
    later_key.store(true, std::sync::atomic::Ordering::SeqCst);
    for _ in 1..MAX_ATTEMPTS + 3 {
        now += 2 * 3_600_000;
        forwarder.run_once(&f.state, now).await.expect("run");
    }
    let last = forwards(&f.state).await;
    for i in [0, 1] {
        assert_eq!(last[i]["status"], "failed", "{last}");
        assert_eq!(last[i]["attempts"], MAX_ATTEMPTS, "{last}");
    }
    assert_eq!(last[2]["status"], "sent", "{last}");
    assert_eq!(last[2]["attempts"], 2, "{last}");
    let seen = seen.lock().expect("lock");
    let count = |path: &str| seen.iter().filter(|(p, _, _)| p == path).count() as i64;
    assert_eq!(
        (
            count("/slow"),
            count("/busy"),
            count("/ok"),
            count("/moved"),
            count("/inside")
        ),
        (MAX_ATTEMPTS, MAX_ATTEMPTS, 1, 1, 0)
    );
}

fn admin(method: &str, uri: &str, body: Option<Value>) -> Request<Body> {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json");
    req.body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .expect("request")
}

#[tokio::test]
async fn the_waterfall_moves_leads_with_who_and_why_counts_them_and_watches_the_sla() {
    let f = fixture().await;
    let mql = full_lead(
        LEAD_ID,
        json!({ "email": "ann@contoso.example", "company_size": "250+", "timeline": "now", "consent": true }),
        None,
    );
    let other = "9a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d";
    let inquiry = full_lead(
        other,
        json!({ "email": "bob@gmail.com", "consent": true }),
        None,
    );
    for body in [mql, inquiry] {
        let (status, _, _) = send(&f.state, post(body)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, body, _) = send(&f.state, get_leads(Some(TOKEN))).await;
    let a = &body["leads"][1];
    assert_eq!(a["stage"], "mql", "scoring put it there");
    let mql_at = a["mql_at"].as_str().unwrap_or_default();
    let due = leadmagnet_core::time::parse_rfc3339(a["sla_due_at"].as_str().unwrap_or_default());
    assert_eq!(
        due,
        leadmagnet_core::time::parse_rfc3339(mql_at).map(|t| t + 4 * 3_600_000),
        "sla_hours 4 in the demo offer"
    );
    assert_eq!(a["overdue"], false);
    assert_eq!(body["leads"][0]["stage"], "inquiry");

    let stage = |id: &str, b: Value| admin("POST", &format!("/api/v1/leads/{id}/stage"), Some(b));
    let (status, err, _) = send(
        &f.state,
        stage(LEAD_ID, json!({ "stage": "sql", "by": "ann@sales" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["error"]["code"], "invalid_transition");
    assert!(err["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("sal or rejected")));
    let (status, moved, _) = send(
        &f.state,
        stage(LEAD_ID, json!({ "stage": "sal", "by": "ann@sales" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (status, _, _) = send(
        &f.state,
        stage(other, json!({ "stage": "rejected", "by": "ann@sales" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "a rejection needs a reason");
    let (status, _, _) = send(
        &f.state,
        stage(
            other,
            json!({ "stage": "rejected", "by": "ann@sales", "reason": "student, no budget" }),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(
        &f.state,
        stage(
            "0b5a1e2c-1111-4222-8333-444455556666",
            json!({ "stage": "sal", "by": "x" }),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(
        &f.state,
        Request::post(format!("/api/v1/leads/{LEAD_ID}/stage"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "stage": "sql", "by": "eve" }).to_string(),
            ))
            .expect("request"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "moves need the admin token"
    );
    let history = f.state.store.stage_history(LEAD_ID).await.expect("history");
    assert_eq!(
        history
            .iter()
            .map(|(s, _, by, _)| (s.as_str(), by.as_str()))
            .collect::<Vec<_>>(),
        [("mql", "scoring"), ("sal", "ann@sales")]
    );
    let history = f.state.store.stage_history(other).await.expect("history");
    assert_eq!(history[1].1.as_deref(), Some("student, no budget"));

    let (_, body, _) = send(&f.state, admin("GET", "/api/v1/leads?stage=sal", None)).await;
    assert_eq!(body["leads"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["leads"][0]["lead_id"], LEAD_ID);
    let (_, stats, _) = send(&f.state, admin("GET", "/api/v1/stats", None)).await;
    assert_eq!(stats["reached"]["mql"], 1, "{stats}");
    assert_eq!(stats["reached"]["sal"], 1);
    assert_eq!(stats["reached"]["inquiry"], 1);
    assert_eq!(stats["reached"]["rejected"], 1);
    assert_eq!(stats["conversion"]["mql_to_sal"], 1.0);
    assert_eq!(stats["conversion"]["sal_to_sql"], 0.0);
    assert_eq!(stats["overdue_mqls"], 0);
}

#[tokio::test]
async fn an_mql_past_its_sla_is_overdue_until_sales_accepts_it() {
    let f = fixture().await;
    // The demo offer with an SLA of a moment (0.36 s).
    let fast = include_str!("../../../www/offers/ebook.json")
        .replace("\"ebook-lead-scoring\"", "\"fast-sla\"")
        .replace("\"sla_hours\": 4", "\"sla_hours\": 0.0001");
    std::fs::write(f.state.offers.dir().join("fast.json"), fast).expect("offer");
    assert!(f.state.offers.reload_if_changed());
    let body = full_lead(
        LEAD_ID,
        json!({ "email": "ann@contoso.example", "company_size": "250+", "timeline": "now", "consent": true }),
        None,
    )
    .replace("ebook-lead-scoring", "fast-sla");
    let (status, _, _) = send(&f.state, post(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, body, _) = send(&f.state, admin("GET", "/api/v1/leads", None)).await;
    assert_eq!(body["leads"][0]["overdue"], true, "{body}");
    let (_, stats, _) = send(
        &f.state,
        admin("GET", "/api/v1/stats?offer_id=fast-sla", None),
    )
    .await;
    assert_eq!(stats["overdue_mqls"], 1);
    let moved = admin(
        "POST",
        &format!("/api/v1/leads/{LEAD_ID}/stage"),
        Some(json!({ "stage": "sal", "by": "bob@sales" })),
    );
    send(&f.state, moved).await;
    let (_, body, _) = send(&f.state, admin("GET", "/api/v1/leads", None)).await;
    assert_eq!(
        body["leads"][0]["overdue"], false,
        "accepted: no longer overdue"
    );
}

#[tokio::test]
async fn csv_export_is_excel_safe_and_erasure_removes_a_person_everywhere() {
    let f = fixture().await;
    let naughty = "=HYPERLINK(\"http://evil.example\",\"click\")";
    let body = full_lead(
        LEAD_ID,
        json!({ "email": "ann@contoso.example", "first_name": naughty, "company": "+1 \"Quoted\", Inc.", "consent": true }),
        None,
    );
    send(&f.state, post(body)).await;
    let other = "9a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d";
    send(
        &f.state,
        post(full_lead(
            other,
            json!({ "email": "bob@contoso.example", "consent": true }),
            None,
        )),
    )
    .await;

    let response = app(f.state.clone())
        .oneshot(admin("GET", "/api/v1/leads.csv", None))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let csv = String::from_utf8(bytes.to_vec()).expect("utf-8");
    assert!(csv.starts_with('\u{feff}'), "a BOM, so Excel reads UTF-8");
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert!(
        lines[0].starts_with("\"lead_id\",\"offer_id\",\"submitted_at\""),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("\"first_name\""));
    let ann = lines
        .iter()
        .find(|l| l.contains("ann@contoso.example"))
        .expect("ann's row");
    assert!(
        ann.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\""),
        "a formula is neutralised and its quotes doubled: {ann}"
    );
    assert!(ann.contains("\"'+1 \"\"Quoted\"\", Inc.\""), "{ann}");
    assert_eq!(lines.len(), 4, "header, two leads, and the final line end");

    let (status, _, _) = send(
        &f.state,
        Request::delete("/api/v1/leads?email=ann@contoso.example")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body, _) = send(
        &f.state,
        admin("DELETE", "/api/v1/leads?email=ANN@Contoso.example", None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["erased"], 1, "any case");
    assert_eq!(f.state.store.count().await.expect("count"), 1);
    assert!(f
        .state
        .store
        .stage_history(LEAD_ID)
        .await
        .expect("history")
        .is_empty());
    let (_, body, _) = send(&f.state, get_leads(Some(TOKEN))).await;
    assert!(!body.to_string().contains("ann@contoso.example"));
}

#[tokio::test]
async fn the_inbox_logs_in_escapes_every_value_and_moves_leads_only_with_its_csrf_token() {
    let f = fixture().await;
    let naughty = "<script>alert(1)</script> & \"quotes\"";
    let body = full_lead(
        LEAD_ID,
        json!({ "email": "ann@contoso.example", "first_name": naughty, "company_size": "250+", "timeline": "now", "consent": true }),
        None,
    );
    send(&f.state, post(body)).await;
    let get = |uri: &str, cookie: Option<&str>| {
        let mut req = Request::get(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(Body::empty()).expect("request")
    };
    let form = |uri: &str, cookie: Option<&str>, body: String| {
        let mut req =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(Body::from(body)).expect("request")
    };
    use common::exchange as text;

    // A file of the site folder a browser could open as a document with scripts runs none:
    // on the inbox's origin, it could use the session. A PDF stays viewable.
    let www = f.state.offers.dir().parent().expect("www").to_owned();
    std::fs::create_dir_all(www.join("assets")).expect("assets");
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg"><script>fetch('/studio')</script></svg>"#;
    for (file, body) in [
        ("badge.svg", svg),
        ("feed.xml", "<x/>"),
        ("page.xhtml", "<html/>"),
        ("guide.pdf", "%PDF-1.4"),
    ] {
        std::fs::write(www.join("assets").join(file), body).expect("asset");
        let (status, headers, _) = text(&f.state, get(&format!("/assets/{file}"), None)).await;
        assert_eq!(status, StatusCode::OK, "{file}");
        let csp = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok());
        if file.ends_with(".pdf") {
            assert_eq!(csp, None, "{file}");
        } else {
            assert_eq!(
                csp,
                Some(leadmagnet_server::assets::DOCUMENT_SANDBOX),
                "{file}"
            );
        }
        assert_eq!(headers["x-content-type-options"], "nosniff", "{file}");
    }

    let (status, headers, page) = text(&f.state, get("/inbox", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"token\""), "the login form");
    assert!(
        !page.contains("ann@contoso.example"),
        "no lead without a session"
    );
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        leadmagnet_server::inbox::INBOX_CSP.as_str()
    );
    // The login form's CSRF token, and the cookie it must match.
    let (login_cookie, login_csrf) = common::login_cookie(&headers);
    assert!(page.contains(&format!("name=\"csrf\" value=\"{login_csrf}\"")));
    for (cookie, body) in [
        (None, format!("csrf={login_csrf}&token={TOKEN}")),
        (Some(login_cookie.as_str()), format!("token={TOKEN}")),
        (
            Some(login_cookie.as_str()),
            format!("csrf=forged&token={TOKEN}"),
        ),
        (
            Some("lm_login=other"),
            format!("csrf={login_csrf}&token={TOKEN}"),
        ),
    ] {
        let (status, _, _) = text(&f.state, form("/inbox/login", cookie, body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a login form from elsewhere");
    }
    let login = |token: &str| format!("csrf={login_csrf}&token={token}");
    let (status, _, page) = text(
        &f.state,
        form(
            "/inbox/login",
            Some(&login_cookie),
            login("wrong-token-000000"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("not right"));
    let (status, _, _) = text(
        &f.state,
        form("/inbox/login", Some(&login_cookie), login(TOKEN)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the admin token logs in");
    // A user from --users: the file holds the token's hash, never the token.
    let mut f = f;
    let ann_token = "ann-sales-token-0123456789";
    f.state.users = Arc::from(
        leadmagnet_server::inbox::read_users(&format!(
            r#"{{"users": [{{"name": "ann@sales", "token_sha256": "{}"}}]}}"#,
            leadmagnet_core::pow::hex(&leadmagnet_core::pow::sha256(ann_token.as_bytes()))
        ))
        .expect("users"),
    );
    assert!(leadmagnet_server::inbox::read_users(
        r#"{"users": [{"name": "x", "token_sha256": "plain-token"}]}"#
    )
    .is_err_and(|e| e.contains("64 hex digits")));
    let (status, headers, _) = text(
        &f.state,
        form("/inbox/login", Some(&login_cookie), login(ann_token)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lm_inbox="))
        .expect("the session cookie")
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().expect("cookie").to_owned();

    let (_, _, list) = text(
        &f.state,
        get(
            "/inbox?offer_id=ebook-lead-scoring&stage=&quarantined=",
            Some(&cookie),
        ),
    )
    .await;
    assert!(list.contains("ann@contoso.example"), "{list}");
    assert!(list.contains(">MQL<"), "the stage");
    assert!(list.contains("Logged in as ann@sales."));
    let (_, _, detail) = text(
        &f.state,
        get(&format!("/inbox/leads/{LEAD_ID}"), Some(&cookie)),
    )
    .await;
    assert!(
        detail.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
        "escaped as text"
    );
    assert!(!detail.contains("<script>alert"), "never markup");
    let csrf = detail
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token in the form")
        .to_owned();
    assert!(detail.contains("Move to SAL") && detail.contains("Move to rejected"));
    assert!(
        !detail.contains("href=\"/inbox/contacts/"),
        "no person of a quarantined lead alone (a bot may type anyone's address)"
    );

    let stage_uri = format!("/inbox/leads/{LEAD_ID}/stage");
    let (status, _, _) = text(
        &f.state,
        form(
            &stage_uri,
            Some(&cookie),
            "csrf=forged&stage=sal&by=eve".into(),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no move without the session's token"
    );
    let (status, _, _) = text(
        &f.state,
        form(&stage_uri, None, format!("csrf={csrf}&stage=sal&by=eve")),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "no move without the session"
    );
    let (status, _, _) = text(
        &f.state,
        form(
            &stage_uri,
            Some(&cookie),
            format!("csrf={csrf}&stage=sal&by=mallory"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, detail) = text(
        &f.state,
        get(&format!("/inbox/leads/{LEAD_ID}"), Some(&cookie)),
    )
    .await;
    assert!(detail.contains("stage <strong>SAL</strong>"), "moved");
    assert!(
        detail.contains("<td>ann@sales</td>"),
        "who moved it: the logged-in user"
    );
    assert!(!detail.contains("mallory"), "not what a form field says");

    let (status, headers, csv) =
        text(&f.state, get("/inbox/export.csv?stage=sal", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        csv.contains("ann@contoso.example") && csv.contains("\"sal\""),
        "{csv}"
    );
    let (_, _, page) = text(&f.state, get("/inbox/export.csv", None)).await;
    assert!(
        page.contains("name=\"token\""),
        "no export without a session"
    );

    // Erasure: the admin's alone, with the address typed again.
    assert!(
        !detail.contains("/inbox/erase"),
        "no erase form for a salesperson"
    );
    let erase = |cookie: &str, csrf: &str, confirm: &str| {
        form(
            "/inbox/erase",
            Some(cookie),
            format!("csrf={csrf}&email=ann%40contoso.example&confirm={confirm}"),
        )
    };
    let (status, _, _) = text(&f.state, erase(&cookie, &csrf, "ann%40contoso.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not for a salesperson");
    assert!(leadmagnet_server::inbox::read_users(
        r#"{"users":[{"name":"admin","token_sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]}"#
    )
    .is_err_and(|e| e.contains("admin token's own name")));
    let (_, headers, _) = text(
        &f.state,
        form("/inbox/login", Some(&login_cookie), login(TOKEN)),
    )
    .await;
    let admin = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lm_inbox="))
        .expect("the session cookie")
        .split(';')
        .next()
        .expect("cookie")
        .to_owned();
    let (_, _, detail) = text(
        &f.state,
        get(&format!("/inbox/leads/{LEAD_ID}"), Some(&admin)),
    )
    .await;
    assert!(detail.contains("action=\"/inbox/erase\""), "{detail}");
    let admin_csrf = detail
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_owned();
    let (status, _, _) = text(&f.state, erase(&admin, "forged", "ann%40contoso.example")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no erasure without the token"
    );
    let (status, _, page) = text(
        &f.state,
        erase(&admin, &admin_csrf, "bob%40contoso.example"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert_eq!(
        f.state.store.count().await.expect("count"),
        1,
        "nothing erased"
    );
    let (status, _, page) = text(
        &f.state,
        erase(&admin, &admin_csrf, "ANN%40contoso.example"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Erased 1 lead(s)"), "{page}");
    assert_eq!(f.state.store.count().await.expect("count"), 0);
    let (status, _, _) = text(
        &f.state,
        get(&format!("/inbox/leads/{LEAD_ID}"), Some(&admin)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone from the inbox");
}

// ---- Issue 16: contacts -------------------------------------------------------------------

/// A solved proof of work from the collector, as the widget sends it (each is spent once).
async fn solved(state: &AppState) -> Value {
    let get = Request::get("/api/v1/challenge")
        .body(Body::empty())
        .expect("request");
    let (_, challenge, _) = send(state, get).await;
    let salt = challenge["salt"].as_str().unwrap_or_default();
    let number = leadmagnet_core::pow::solve(
        salt,
        challenge["challenge"].as_str().unwrap_or_default(),
        0,
        5_000,
    )
    .expect("solvable");
    json!({ "algorithm": "SHA-256", "challenge": challenge["challenge"], "number": number,
            "salt": salt, "signature": challenge["signature"] })
}

/// A lead of the same person through another offer, at `at`.
fn lead_at(lead_id: &str, offer_id: &str, at: &str, fields: Value, events: Value) -> String {
    json!({
        "version": 1, "lead_id": lead_id, "offer_id": offer_id, "submitted_at": at,
        "fields": fields, "context": { "page_url": "http://127.0.0.1:8080/" }, "events": events
    })
    .to_string()
}

#[tokio::test]
async fn contacts_are_people_with_one_profile_and_one_history() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(leadmagnet_server::spam::Challenges::new(
        b"api-test-challenge-key",
        5_000,
        0,
    ));
    let page_view = |seconds: u32| {
        json!({ "type": "page_view", "at": "2026-11-20T09:00:00.000Z",
                "url": "http://127.0.0.1:8080/", "seconds": seconds })
    };
    for body in [
        lead_at(
            "019cc3f2-8b1e-7a4d-8f6b-000000000001",
            "ebook-lead-scoring",
            "2026-11-20T09:01:00.000Z",
            json!({ "email": "Ada@Example.com", "first_name": "Ada", "company": "Old GmbH",
                    "newsletter": true, "consent": true }),
            json!([page_view(20)]),
        ),
        // The newsletter, a week later: fewer fields, another spelling of the address.
        lead_at(
            "019cc3f2-8b1e-7a4d-8f6b-000000000002",
            "newsletter",
            "2026-11-27T09:00:00.000Z",
            json!({ "email": " ada@example.COM", "consent": true }),
            json!([]),
        ),
        // The eBook again: the company changed; the first page view reported grown.
        lead_at(
            "019cc3f2-8b1e-7a4d-8f6b-000000000003",
            "ebook-lead-scoring",
            "2026-11-28T09:00:00.000Z",
            json!({ "email": "ada@example.com", "company": "New AG", "consent": true }),
            json!([page_view(90),
                   { "type": "page_view", "at": "2026-11-28T08:59:00.000Z", "url": "http://127.0.0.1:8080/pricing.html" }]),
        ),
        lead_at(
            "019cc3f2-8b1e-7a4d-8f6b-000000000004",
            "newsletter",
            "2026-11-28T10:00:00.000Z",
            json!({ "email": "bob@example.com", "consent": true }),
            json!([]),
        ),
    ] {
        let mut body: Value = serde_json::from_str(&body).expect("json");
        body["challenge"] = solved(&f.state).await;
        let (status, answer, _) = send(&f.state, post(body.to_string())).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    // The admin token is needed, as for leads.
    let (status, _, _) = send(
        &f.state,
        Request::get("/api/v1/contacts")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, list, _) = send(&f.state, admin("GET", "/api/v1/contacts", None)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let contacts = list["contacts"].as_array().cloned().unwrap_or_default();
    let people: Vec<(String, i64)> = contacts
        .iter()
        .map(|c| {
            (
                c["email"].as_str().unwrap_or("").to_owned(),
                c["submission_count"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            ("bob@example.com".to_owned(), 1),
            ("ada@example.com".to_owned(), 3)
        ],
        "one row per person, the most recently active first: {list}"
    );
    let ada = contacts[1]["contact_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, contact, _) = send(
        &f.state,
        admin("GET", &format!("/api/v1/contacts/{ada}"), None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{contact}");
    let profile = &contact["profile"];
    assert_eq!(profile["company"]["value"], "New AG", "{contact}");
    assert_eq!(
        profile["company"]["lead_id"],
        "019cc3f2-8b1e-7a4d-8f6b-000000000003"
    );
    assert_eq!(
        profile["first_name"]["value"], "Ada",
        "kept from the first form"
    );
    assert_eq!(
        profile["first_name"]["lead_id"],
        "019cc3f2-8b1e-7a4d-8f6b-000000000001"
    );
    assert_eq!(profile["newsletter"]["value"], true);
    let offers: Vec<&str> = contact["submissions"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["offer_id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        offers,
        ["ebook-lead-scoring", "newsletter", "ebook-lead-scoring"]
    );
    let events = contact["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.len(), 2, "the same page view once: {contact}");
    assert_eq!(events[0]["seconds"], 90, "with its larger figures");
    assert!(
        contact.get("score").is_none(),
        "no account-wide model yet: {contact}"
    );
    // With the account-wide model in the offers folder, the person is scored on
    // everything: the company from the third form, the pricing page from its history.
    std::fs::write(
        f.dir.path().join("www/offers/scoring.json"),
        include_str!("../../../www/offers/scoring.json"),
    )
    .expect("model");
    f.state.offers.reload();
    assert!(f.state.offers.model().is_some());
    let (_, contact, _) = send(
        &f.state,
        admin("GET", &format!("/api/v1/contacts/{ada}"), None),
    )
    .await;
    let rules: Vec<&str> = contact["score"]["breakdown"]
        .as_array()
        .map(|b| b.iter().filter_map(|c| c["rule"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        rules.contains(&"named-company") && rules.contains(&"pricing-visit"),
        "{contact}"
    );

    // The inbox shows people: one row per person, and a page that says why, in tables.
    let cookie = inbox_session(&f.state).await;
    let page = |uri: String| {
        Request::get(uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("request")
    };
    let (status, _, people) = common::exchange(&f.state, page("/inbox/contacts".into())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(people.matches("/inbox/contacts/").count(), 2, "{people}");
    assert!(
        people.contains(&format!(
            "href=\"/inbox/contacts/{ada}\">ada@example.com</a>"
        )),
        "{people}"
    );
    let (status, _, person) =
        common::exchange(&f.state, page(format!("/inbox/contacts/{ada}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        person.contains("<td>named-company</td><td>fit</td><td>5</td>"),
        "{person}"
    );
    assert!(
        person.contains("<th>company</th><td>New AG</td>"),
        "{person}"
    );
    assert!(person.contains("/pricing.html"), "the timeline: {person}");
    assert!(!person.contains("{\""), "no raw JSON on the person page");
    let (status, _, _) =
        common::exchange(&f.state, page("/inbox/contacts/no-such-person".into())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, login) = common::exchange(
        &f.state,
        Request::get("/inbox/contacts")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert!(
        status == StatusCode::OK && login.contains("name=\"token\"") && !login.contains("ada@")
    );
    let (status, missing, _) = send(
        &f.state,
        admin("GET", "/api/v1/contacts/no-such-contact", None),
    )
    .await;
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _, _) = send(&f.state, admin("GET", "/api/v1/contacts?limit=0", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Erasure removes the person: the contact and every submission.
    let (status, erased, _) = send(
        &f.state,
        admin("DELETE", "/api/v1/leads?email=ADA@example.com", None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    let (status, _, _) = send(
        &f.state,
        admin("GET", &format!("/api/v1/contacts/{ada}"), None),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// An inbox session of the admin: the login form's CSRF cookie and token, then the login.
async fn inbox_session(state: &AppState) -> String {
    common::session_cookie(state, TOKEN).await
}

// ---- Issue 16: the MQL moment --------------------------------------------------------------

/// A real SMTP receiver on 127.0.0.1 (plain SMTP, as a local relay speaks it): every
/// message's envelope recipients and data.
/// Each message the SMTP receiver got: its envelope recipients and its data.
type Received = Arc<std::sync::Mutex<Vec<(Vec<String>, String)>>>;

async fn smtp_receiver() -> (u16, Received) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mail: Received = Arc::default();
    let store = mail.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test.example ESMTP\r\n").await;
                let (mut to, mut data, mut in_data) = (Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            store
                                .lock()
                                .expect("lock")
                                .push((std::mem::take(&mut to), std::mem::take(&mut data)));
                            in_data = false;
                            let _ = write.write_all(b"250 2.0.0 queued\r\n").await;
                        } else {
                            data.push_str(line.strip_prefix('.').unwrap_or(&line));
                            data.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-test.example\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        to.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                        b"250 2.1.5 ok\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, mail)
}

#[tokio::test]
async fn a_person_who_meets_the_mql_criteria_is_handed_over_once_with_the_cause() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(leadmagnet_server::spam::Challenges::new(
        b"api-test-challenge-key",
        5_000,
        0,
    ));
    let (hooks, seen) = receiver().await;
    let (smtp, mail) = smtp_receiver().await;
    // The demo's account-wide model, with the enterprise queue's webhook and owner.
    let model = include_str!("../../../www/offers/scoring.json").replace(
        r#"  "scoring": {"#,
        &format!(
            r#"  "queues": {{ "enterprise": {{ "owners": ["ann@sales.example"], "webhook": "{hooks}/mql", "secret_env": "MQL_KEY" }} }},
  "scoring": {{"#
        ),
    );
    std::fs::write(f.dir.path().join("www/offers/scoring.json"), model).expect("model");
    f.state.offers.reload();
    assert!(f.state.offers.model().is_some_and(|m| m.queues.len() == 1));
    let notifier = leadmagnet_server::handover::Notifier::new(
        Some(&format!("smtp://127.0.0.1:{smtp}")),
        Some("Leadmagnet <leads@collector.example>"),
        |name| (name == "MQL_KEY").then(|| "mql-signing-key".to_owned()),
    )
    .expect("notifier");
    let post_lead = |n: u32, fields: Value| {
        let state = f.state.clone();
        async move {
            let mut body: Value = serde_json::from_str(&lead_at(
                &format!("019cc3f2-8b1e-7a4d-8f6b-{n:012}"),
                "ebook-lead-scoring",
                &leadmagnet_core::time::format_rfc3339(now() - 60_000),
                fields,
                json!([]),
            ))
            .expect("json");
            body["challenge"] = solved(&state).await;
            let (status, answer, _) = send(&state, post(body.to_string())).await;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
        }
    };
    let stage = || async {
        f.state
            .store
            .contact_of("ann@contoso.example")
            .await
            .expect("store")
            .map(|(_, stage)| stage)
    };
    // Below the line: a big company (fit 15, grade C).
    post_lead(
        1,
        json!({ "email": "ann@contoso.example", "company_size": "250+", "consent": true }),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(stage().await.as_deref(), Some("inquiry"));
    assert_eq!(notifier.run_once(&f.state, now()).await.expect("run"), 0);
    // A second form tells the timeline: the person (not the form) now meets the criteria.
    post_lead(
        2,
        json!({ "email": "Ann@Contoso.example", "timeline": "now", "consent": true }),
    )
    .await;
    let mut waited = 0;
    while stage().await.as_deref() != Some("mql") && waited < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(
        stage().await.as_deref(),
        Some("mql"),
        "handed over within seconds"
    );
    // One webhook and one email, each naming the cause.
    assert_eq!(notifier.run_once(&f.state, now()).await.expect("run"), 2);
    let hooks_seen = seen.lock().expect("lock").clone();
    assert_eq!(hooks_seen.len(), 1, "{hooks_seen:?}");
    let (path, headers, body) = &hooks_seen[0];
    assert_eq!(path, "/mql");
    let notice: Value = serde_json::from_str(body).expect("json");
    assert_eq!(notice["event"], "mql");
    assert_eq!(notice["queue"], "enterprise");
    assert_eq!(notice["email"], "Ann@contoso.example", "as validated");
    assert!(
        notice["cause"].to_string().contains("fit buying-now +25"),
        "{notice}"
    );
    assert!(notice["sla_due_at"].is_string(), "{notice}");
    let signature = headers["leadmagnet-signature"].to_str().expect("ascii");
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|s| s.split_once(",v1="))
        .expect("t=…,v1=…");
    assert_eq!(
        v1,
        leadmagnet_core::pow::hex(&leadmagnet_core::pow::hmac_sha256(
            b"mql-signing-key",
            format!("{t}.{body}").as_bytes()
        )),
        "signed with the queue's key"
    );
    let mails = mail.lock().expect("lock").clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].0, ["ann@sales.example"]);
    assert!(
        mails[0]
            .1
            .contains("Subject: New MQL in enterprise: Ann@contoso.example (A"),
        "{}",
        mails[0].1
    );
    assert!(mails[0].1.contains("fit buying-now +25"), "{}", mails[0].1);
    // Still an MQL after another form: no second hand-over.
    post_lead(
        3,
        json!({ "email": "ann@contoso.example", "company": "Contoso", "consent": true }),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(notifier.run_once(&f.state, now()).await.expect("run"), 0);
    assert_eq!(
        (
            seen.lock().expect("lock").len(),
            mail.lock().expect("lock").len()
        ),
        (1, 1)
    );
    // The move is recorded once, with its cause.
    let (contact_id, _) = f
        .state
        .store
        .contact_of("ann@contoso.example")
        .await
        .expect("store")
        .expect("contact");
    let moves = f
        .state
        .store
        .contact_moves(&contact_id)
        .await
        .expect("moves");
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(
        (moves[0].0.as_str(), moves[0].2.as_str()),
        ("mql", "scoring")
    );
    assert!(moves[0]
        .1
        .as_deref()
        .is_some_and(|c| c.contains("buying-now")));
    let (_, contact, _) = send(
        &f.state,
        admin("GET", &format!("/api/v1/contacts/{contact_id}"), None),
    )
    .await;
    assert_eq!(
        (contact["stage"].as_str(), contact["queue"].as_str()),
        (Some("mql"), Some("enterprise")),
        "{contact}"
    );
    // The SLA (4 h in the demo model) passes with the person still an MQL: one reminder.
    let later = now() + 5 * 3_600_000;
    assert_eq!(
        leadmagnet_server::handover::remind_overdue(&f.state, later)
            .await
            .expect("remind"),
        1
    );
    assert_eq!(
        leadmagnet_server::handover::remind_overdue(&f.state, later)
            .await
            .expect("remind"),
        0,
        "only one"
    );
    assert_eq!(notifier.run_once(&f.state, later).await.expect("run"), 2);
    let last_hook = seen.lock().expect("lock").last().cloned().expect("hook");
    assert!(
        last_hook.2.starts_with(r#"{"event":"sla_overdue""#),
        "{}",
        last_hook.2
    );
    let last_mail = mail.lock().expect("lock").last().cloned().expect("mail");
    assert!(
        last_mail.1.contains("SLA overdue in enterprise"),
        "{:?}",
        mail.lock()
            .expect("lock")
            .iter()
            .map(|m| m.1.lines().nth(2).unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    );
    // Sales rejects, then recycles the person to marketing: the next form makes them an
    // MQL again, and that is told again.
    for (stage, reason) in [
        ("rejected", Some("no budget this quarter")),
        ("inquiry", None),
    ] {
        let (status, moved, _) = send(
            &f.state,
            admin(
                "POST",
                &format!("/api/v1/contacts/{contact_id}/stage"),
                Some(json!({ "stage": stage, "reason": reason, "by": "bob@sales" })),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
    }
    let (status, refused, _) = send(
        &f.state,
        admin(
            "POST",
            &format!("/api/v1/contacts/{contact_id}/stage"),
            Some(json!({ "stage": "won", "by": "bob@sales" })),
        ),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition"))
    );
    post_lead(
        4,
        json!({ "email": "ann@contoso.example", "consent": true }),
    )
    .await;
    let mut waited = 0;
    while stage().await.as_deref() != Some("mql") && waited < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(stage().await.as_deref(), Some("mql"), "an MQL again");
    assert_eq!(notifier.run_once(&f.state, now()).await.expect("run"), 2);
    assert_eq!(
        (
            seen.lock().expect("lock").len(),
            mail.lock().expect("lock").len()
        ),
        (3, 3)
    );
    let moves = f
        .state
        .store
        .contact_moves(&contact_id)
        .await
        .expect("moves");
    let stages: Vec<&str> = moves.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(stages, ["mql", "rejected", "inquiry", "mql"]);
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn events(device: &str, lead_id: &str, events: Value) -> Request<Body> {
    Request::post("/api/v1/events")
        // What a closing page's keepalive request sends (no preflight).
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(Body::from(
            json!({ "version": 1, "device": device, "lead_id": lead_id, "events": events })
                .to_string(),
        ))
        .expect("request")
}

/// A page view of the pricing page `days_ago` days before the test's start (the same
/// moment each call: a page view reported again is the same page view).
fn pricing_view(days_ago: i64, seconds: u32) -> Value {
    static START: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(now);
    json!({ "type": "page_view", "url": "https://www.example.com/pricing.html",
            "at": leadmagnet_core::time::format_rfc3339(start - days_ago * 86_400_000),
            "seconds": seconds, "scroll_percent": 40 })
}

#[tokio::test]
async fn a_consenting_persons_later_page_views_make_them_an_mql_without_another_form() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(leadmagnet_server::spam::Challenges::new(
        b"api-test-challenge-key",
        5_000,
        0,
    ));
    let (hooks, seen) = receiver().await;
    let model = include_str!("../../../www/offers/scoring.json").replace(
        r#"  "scoring": {"#,
        &format!(
            r#"  "queues": {{ "enterprise": {{ "owners": [], "webhook": "{hooks}/mql", "secret_env": "MQL_KEY" }} }},
  "scoring": {{"#
        ),
    );
    std::fs::write(f.dir.path().join("www/offers/scoring.json"), model).expect("model");
    f.state.offers.reload();
    assert!(f.state.offers.model().is_some(), "the model loads");
    let notifier = leadmagnet_server::handover::Notifier::new(None, None, |name| {
        (name == "MQL_KEY").then(|| "mql-signing-key".to_owned())
    })
    .expect("notifier");
    let marketing = |granted: bool, gpc: bool| {
        json!({ "purposes": [
            { "purpose": "processing", "field": "consent", "granted": true },
            { "purpose": "marketing", "field": "newsletter", "granted": granted }],
          "gpc": gpc })
    };
    let post_lead = |n: u32, email: &'static str, newsletter: bool, gpc: bool| {
        let state = f.state.clone();
        let consent = marketing(newsletter, gpc);
        async move {
            let lead_id = format!("019cc3f2-8b1e-7a4d-8f6b-{n:012}");
            let mut body: Value = serde_json::from_str(&lead_at(
                &lead_id,
                "ebook-lead-scoring",
                &leadmagnet_core::time::format_rfc3339(now() - 60_000),
                json!({ "email": email, "company_size": "250+", "company": "Contoso",
                        "newsletter": newsletter, "consent": true }),
                json!([]),
            ))
            .expect("json");
            body["consent"] = consent;
            body["challenge"] = solved(&state).await;
            let (status, answer, _) = send(&state, post(body.to_string())).await;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
            lead_id
        }
    };
    let stage_of = |email: &'static str| {
        let state = f.state.clone();
        async move {
            state
                .store
                .contact_of(email)
                .await
                .expect("store")
                .map(|(_, stage)| stage)
        }
    };
    // The eBook with marketing consent: fit 20 (grade B), nothing engaged yet: below 40.
    let lead = post_lead(1, "ann@contoso.example", true, false).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        stage_of("ann@contoso.example").await.as_deref(),
        Some("inquiry")
    );
    let device = "5f0c2a8e-3b1d-4c6e-9a7b-2d4e6f8a0b1c";
    // A batch before its submission is stored is retried, never refused.
    let (status, answer, response) = send(
        &f.state,
        events(
            device,
            "019cc3f2-8b1e-7a4d-8f6b-000000000099",
            json!([pricing_view(3, 20)]),
        ),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("lead_not_stored")),
        "{answer}"
    );
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    // The pricing page on three later days (10 points each): an MQL at the third.
    for (day, expected) in [(3, "inquiry"), (2, "inquiry")] {
        let (status, answer, _) = send(
            &f.state,
            events(device, &lead, json!([pricing_view(day, 20)])),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        assert_eq!(answer["accepted"], 1);
        assert_eq!(
            stage_of("ann@contoso.example").await.as_deref(),
            Some(expected)
        );
    }
    // The same page view reported again as the page closes (more seconds): one event.
    let (status, _, _) = send(
        &f.state,
        events(
            device,
            &lead,
            json!([pricing_view(2, 95), pricing_view(1, 40)]),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        stage_of("ann@contoso.example").await.as_deref(),
        Some("mql"),
        "re-scored at the event: an MQL without another form"
    );
    let (contact_id, _) = f
        .state
        .store
        .contact_of("ann@contoso.example")
        .await
        .expect("store")
        .expect("contact");
    let (_, person, _) = send(
        &f.state,
        admin("GET", &format!("/api/v1/contacts/{contact_id}"), None),
    )
    .await;
    let pricing: Vec<&Value> = person["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("/pricing.html"))
        })
        .collect();
    assert_eq!(pricing.len(), 3, "{person}");
    assert_eq!(pricing[1]["seconds"], 95.0, "the larger figure kept");
    assert_eq!(person["queue"], "enterprise");
    // One webhook naming the cause: the pricing visits.
    assert_eq!(notifier.run_once(&f.state, now()).await.expect("run"), 1);
    let hooks_seen = seen.lock().expect("lock").clone();
    assert_eq!(hooks_seen.len(), 1, "{hooks_seen:?}");
    assert!(
        hooks_seen[0].2.contains("pricing-visit"),
        "{}",
        hooks_seen[0].2
    );
    // The inbox shows one person, in the reader's language: the score rising this week, the
    // MQL moment with its cause in one timeline with the page views, and the moves open.
    let session = inbox_session(&f.state).await;
    let page = |uri: String, lang: &'static str| {
        let (state, session) = (f.state.clone(), session.clone());
        async move {
            let (status, _, html) = common::exchange(
                &state,
                Request::get(uri)
                    .header(header::COOKIE, &session)
                    .header(header::ACCEPT_LANGUAGE, lang)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{html}");
            html
        }
    };
    let people = page("/inbox/contacts".into(), "de-DE,de;q=0.9").await;
    assert!(people.contains("Personen je Phase"), "German: {people}");
    assert!(
        people.contains("ann@contoso.example") && people.contains(">MQL<"),
        "{people}"
    );
    assert!(people.contains("▲ +"), "the score rose this week: {people}");
    assert!(people.contains("fällig"), "the SLA clock runs: {people}");
    let person_page = page(format!("/inbox/contacts/{contact_id}"), "en").await;
    for expected in [
        "read a page",
        "→ MQL",
        "pricing-visit",
        "sent a form",
        // The score as it stood at the form: fit 20 (B) and the page views dated before it.
        "score then 49 (B2)",
        "Move to SAL",
        "pricing.html",
    ] {
        assert!(person_page.contains(expected), "{expected}: {person_page}");
    }
    assert!(
        person_page.contains("<time datetime=\""),
        "times for the reader's zone: {person_page}"
    );
    let csrf = person_page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_owned();
    let (status, _, _) = common::exchange(
        &f.state,
        Request::post(format!("/inbox/contacts/{contact_id}/stage"))
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}&stage=sal")))
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "moved from the inbox");
    assert_eq!(
        stage_of("ann@contoso.example").await.as_deref(),
        Some("sal")
    );
    let csv = page("/inbox/contacts.csv".into(), "en").await;
    let csv = csv
        .strip_prefix('\u{feff}')
        .expect("a BOM, for spreadsheets");
    // The API exports the same people (admin token).
    let (status, _, api_csv) =
        common::exchange(&f.state, admin("GET", "/api/v1/contacts.csv", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api_csv.trim_start_matches('\u{feff}'), csv);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with(r#""contact_id","email","stage","queue""#)),
        "{csv}"
    );
    assert!(
        lines.any(|l| l.contains("ann@contoso.example") && l.contains(r#","sal","enterprise","#)),
        "{csv}"
    );
    // More events of a person sales has: no second hand-over.
    let (status, _, _) = send(&f.state, events(device, &lead, json!([pricing_view(0, 5)]))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(notifier.run_once(&f.state, now()).await.expect("run"), 0);

    // Without marketing consent, or with GPC: a device is refused (410), nothing stored.
    for (n, email, newsletter, gpc) in [
        (2, "bob@contoso.example", false, false),
        (3, "cy@contoso.example", true, true),
    ] {
        let lead = post_lead(n, email, newsletter, gpc).await;
        let device = format!("5f0c2a8e-3b1d-4c6e-9a7b-{n:012}");
        let (status, answer, _) = send(
            &f.state,
            events(&device, &lead, json!([pricing_view(0, 5)])),
        )
        .await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::GONE, Some("device_not_allowed")),
            "{email}: {answer}"
        );
        assert_eq!(
            f.state.store.device_contact(&device).await.expect("store"),
            None
        );
    }
    // Withdrawal: a later lead without marketing consent unties the device; binding it again
    // through the earlier lead is refused too.
    let dee = post_lead(4, "dee@contoso.example", true, false).await;
    let dee_device = "5f0c2a8e-3b1d-4c6e-9a7b-00000000d0d0";
    let (status, _, _) = send(
        &f.state,
        events(dee_device, &dee, json!([pricing_view(1, 5)])),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    post_lead(5, "Dee@contoso.example", false, false).await;
    let (status, answer, _) = send(
        &f.state,
        events(dee_device, &dee, json!([pricing_view(0, 5)])),
    )
    .await;
    assert_eq!(status, StatusCode::GONE, "{answer}");
    assert_eq!(
        f.state
            .store
            .device_contact(dee_device)
            .await
            .expect("store"),
        None
    );
    // A crafted batch is refused with the place of its problem.
    let (status, answer, _) = send(
        &f.state,
        events(
            device,
            &lead,
            json!([{ "type": "purchase", "at": "2026-12-01T00:00:00.000Z" }]),
        ),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["pointer"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/events/0/type")),
        "{answer}"
    );
    // Erasure leaves none of the person's events or devices behind; the device is refused.
    let (status, _, _) = send(
        &f.state,
        admin("DELETE", "/api/v1/leads?email=ann@contoso.example", None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        f.state.store.device_contact(device).await.expect("store"),
        None
    );
    assert!(f
        .state
        .store
        .contact_events(&contact_id, 1000)
        .await
        .expect("store")
        .is_empty());
    let (status, answer, _) =
        send(&f.state, events(device, &lead, json!([pricing_view(0, 5)]))).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("lead_not_stored")),
        "the erased lead is unknown: the loader's outbox lets such a batch expire"
    );
}

/// A consenting lead for `email` (marketing consent unless `withdraw`), answered 201.
async fn consenting_lead(state: &AppState, n: u32, email: &str, withdraw: bool) -> String {
    let lead_id = format!("019cc3f2-8b1e-7a4d-9f6b-{n:012}");
    let mut body: Value = serde_json::from_str(&lead_at(
        &lead_id,
        "ebook-lead-scoring",
        &leadmagnet_core::time::format_rfc3339(now() - 60_000),
        json!({ "email": email, "company_size": "1-9", "newsletter": !withdraw, "consent": true }),
        json!([]),
    ))
    .expect("json");
    body["consent"] = json!({ "purposes": [
        { "purpose": "processing", "field": "consent", "granted": true },
        { "purpose": "marketing", "field": "newsletter", "granted": !withdraw }],
      "gpc": false });
    body["challenge"] = solved(state).await;
    let (status, answer, _) = send(state, post(body.to_string())).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    lead_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_bind_only_through_the_latest_lead_and_races_with_erasure_or_withdrawal_leave_nothing(
) {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(leadmagnet_server::spam::Challenges::new(
        b"api-test-challenge-key",
        5_000,
        0,
    ));
    let view = |ms: i64| {
        json!([{ "type": "page_view", "url": "https://www.example.com/pricing.html",
                 "at": leadmagnet_core::time::format_rfc3339(ms) }])
    };
    let device = |round: u32, i: u32| format!("5f0c2a8e-3b1d-4c6e-8a7b-{round:06}{i:06}");
    // Erasure racing new devices: afterwards none of the person's devices or events is left,
    // and every device is refused.
    for round in 0..4 {
        let email: &'static str =
            Box::leak(format!("race-{round}@contoso.example").into_boxed_str());
        let lead = consenting_lead(&f.state, 100 + round, email, false).await;
        let (contact_id, _) = f
            .state
            .store
            .contact_of(email)
            .await
            .expect("store")
            .expect("contact");
        // Each device sends batches until it is refused; the erasure comes once some are in.
        let batches: Vec<_> = (0..8)
            .map(|i| {
                let (state, d, lead) = (f.state.clone(), device(round, i), lead.clone());
                tokio::spawn(async move {
                    let mut last = StatusCode::ACCEPTED;
                    for k in 0..30 {
                        last = send(&state, events(&d, &lead, view(now() - 1000 - k)))
                            .await
                            .0;
                        if last != StatusCode::ACCEPTED {
                            break;
                        }
                    }
                    last
                })
            })
            .collect();
        while f
            .state
            .store
            .contact_events(&contact_id, 1)
            .await
            .expect("store")
            .is_empty()
        {
            tokio::task::yield_now().await;
        }
        let (status, _, _) = send(
            &f.state,
            admin("DELETE", &format!("/api/v1/leads?email={email}"), None),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        for b in batches {
            let status = b.await.expect("task");
            assert!(
                [StatusCode::ACCEPTED, StatusCode::GONE, StatusCode::CONFLICT].contains(&status),
                "{status}"
            );
        }
        assert!(
            f.state
                .store
                .contact_events(&contact_id, 1000)
                .await
                .expect("store")
                .is_empty(),
            "round {round}: no events of the erased person left"
        );
        for i in 0..8 {
            assert_eq!(
                f.state
                    .store
                    .device_contact(&device(round, i))
                    .await
                    .expect("store"),
                None,
                "round {round}: device {i} left"
            );
            let (status, _, _) =
                send(&f.state, events(&device(round, i), &lead, view(now()))).await;
            assert_ne!(
                status,
                StatusCode::ACCEPTED,
                "round {round}: device {i} still collects"
            );
        }
    }
    // Withdrawal racing new devices: once it is answered, every device is refused.
    for round in 10..14 {
        let email: &'static str =
            Box::leak(format!("withdraws-{round}@contoso.example").into_boxed_str());
        let lead = consenting_lead(&f.state, 200 + round, email, false).await;
        let batches: Vec<_> = (0..8)
            .map(|i| {
                let (state, d, lead) = (f.state.clone(), device(round, i), lead.clone());
                tokio::spawn(
                    async move { send(&state, events(&d, &lead, view(now() - 1000))).await.0 },
                )
            })
            .collect();
        consenting_lead(&f.state, 300 + round, email, true).await;
        for b in batches {
            b.await.expect("task");
        }
        for i in 0..8 {
            let (status, _, _) =
                send(&f.state, events(&device(round, i), &lead, view(now()))).await;
            assert_eq!(
                status,
                StatusCode::GONE,
                "round {round}: device {i} after the withdrawal"
            );
        }
    }
    // Only the person's latest lead ties a new device: consent given again with a new lead
    // lets a new device in, not one through the old lead.
    let email = "again@contoso.example";
    let first = consenting_lead(&f.state, 400, email, false).await;
    consenting_lead(&f.state, 401, email, true).await;
    let latest = consenting_lead(&f.state, 402, email, false).await;
    let (status, _, _) = send(&f.state, events(&device(20, 1), &first, view(now() - 1000))).await;
    assert_eq!(status, StatusCode::GONE, "through an old lead");
    let (status, _, _) = send(
        &f.state,
        events(&device(20, 2), &latest, view(now() - 1000)),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "through the latest");
    // One moment written five ways is one event; NUL and over-long texts are 422, not 503.
    let d = device(20, 2);
    let ways: Vec<Value> = ["10:00:00Z", "10:00:00.0Z", "10:00:00.00Z", "10:00:00.000Z", "10:00:00.000000Z"]
        .iter()
        .map(|w| json!({ "type": "page_view", "url": "https://www.example.com/p", "at": format!("2026-11-30T{w}") }))
        .collect();
    let (status, answer, _) = send(&f.state, events(&d, &latest, Value::Array(ways))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let (contact_id, _) = f
        .state
        .store
        .contact_of(email)
        .await
        .expect("store")
        .expect("contact");
    let stored = f
        .state
        .store
        .contact_events(&contact_id, 1000)
        .await
        .expect("store");
    assert_eq!(
        stored
            .iter()
            .filter(|e| e.url.as_deref() == Some("https://www.example.com/p"))
            .count(),
        1,
        "{stored:?}"
    );
    for (crafted, pointer) in [
        (
            json!({ "type": "page_view", "at": "2026-11-30T10:00:00.000Z", "url": "https://x.example/\u{0}evil" }),
            "/events/0/url",
        ),
        (
            json!({ "type": "page_view", "at": "2026-11-30T10:00:00.000Z", "offer_id": "o".repeat(2048) }),
            "/events/0/offer_id",
        ),
        (
            json!({ "type": "page_view", "at": format!("2026-11-30T10:00:00.{}Z", "7".repeat(5000)) }),
            "",
        ),
    ] {
        let (status, answer, _) = send(&f.state, events(&d, &latest, json!([crafted]))).await;
        if pointer.is_empty() {
            // A long fraction is one moment, stored as milliseconds.
            assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        } else {
            assert_eq!(
                (status, answer["error"]["pointer"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(pointer)),
                "{answer}"
            );
        }
    }
}

#[tokio::test]
async fn an_offer_with_account_scoring_is_served_and_scored_with_the_account_model() {
    let mut f = fixture().await;
    f.state.challenges = Arc::new(leadmagnet_server::spam::Challenges::new(
        b"api-test-challenge-key",
        5_000,
        0,
    ));
    let offers = f.dir.path().join("www/offers");
    // The demo eBook without a scoring section of its own, on the account model.
    let mut offer: Value =
        serde_json::from_str(include_str!("../../../www/offers/ebook.json")).expect("json");
    let object = offer.as_object_mut().expect("object");
    object.remove("scoring");
    object.insert("id".into(), json!("ebook-account"));
    object.insert("account_scoring".into(), json!(true));
    std::fs::write(offers.join("ebook-account.json"), offer.to_string()).expect("offer");
    std::fs::write(
        offers.join("scoring.json"),
        include_str!("../../../www/offers/scoring.json"),
    )
    .expect("model");
    f.state.offers.reload();
    let model = f.state.offers.model().expect("the model");
    // Served with the model's section in place, still marked as checked: the widget's
    // preliminary score is the model's.
    let (status, headers, served) = common::exchange(
        &f.state,
        Request::get("/offers/ebook-account.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["leadmagnet-checked"], "1");
    let served = leadmagnet_core::read_offer(&served).expect("the widget reads it");
    assert_eq!(
        served.scoring.as_ref(),
        Some(&model.scoring),
        "the model's section"
    );
    // The collector scores its leads with the model: timeline "now" is the model's
    // buying-now rule (+25), and a 250+ company the model's enterprise queue.
    let mut body: Value = serde_json::from_str(&lead_at(
        "019cc3f2-8b1e-7a4d-8f6b-00000000a001",
        "ebook-account",
        &leadmagnet_core::time::format_rfc3339(now() - 60_000),
        json!({ "email": "ann@contoso.example", "company_size": "250+", "timeline": "now", "consent": true }),
        json!([]),
    ))
    .expect("json");
    body["challenge"] = solved(&f.state).await;
    let (status, answer, _) = send(&f.state, post(body.to_string())).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (_, listed, _) = send(&f.state, admin("GET", "/api/v1/leads", None)).await;
    let lead = listed["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .find(|l| l["offer_id"] == "ebook-account")
        .cloned()
        .expect("the lead");
    let score = &lead["server_score"];
    assert_eq!(score["fit"], 40, "{score}");
    assert_eq!(score["queue"], "enterprise", "{score}");
    assert!(
        score["breakdown"].to_string().contains("buying-now"),
        "{score}"
    );
}
