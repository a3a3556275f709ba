//! A collector no visitor can break (issue 14): every kind of input that once broke it, as
//! a class with several members each. Through `app(state)` with `oneshot` requests on real
//! SQLite files and PostgreSQL databases, and over real sockets on 127.0.0.1 where the
//! connection itself is the point.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use leadmagnet_server::offers::Offers;
use leadmagnet_server::spam::Challenges;
use leadmagnet_server::store::Store;
use leadmagnet_server::{serve_with, AppState, ServeLimits};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::*;

/// A request with the admin token.
fn admin(method: &str, uri: &str, body: Option<String>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or(Body::empty(), Body::from))
        .expect("request")
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::empty()).expect("request")
}

fn form(uri: &str, cookie: Option<&str>, body: String) -> Request<Body> {
    let mut req =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(body)).expect("request")
}

/// `name=value` of the `Set-Cookie` header that sets cookie `name`, with its attributes.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_pair(set: &str) -> String {
    set.split(';').next().unwrap_or_default().to_owned()
}

/// Logs in through the login form (its CSRF cookie first); the session cookie to send.
async fn log_in(state: &AppState, token: &str) -> String {
    let (_, headers, _) = exchange(state, get("/inbox", None)).await;
    let login = cookie_pair(&set_cookie(&headers, "lm_login").expect("login cookie"));
    let csrf = login.trim_start_matches("lm_login=").to_owned();
    let (status, headers, page) = exchange(
        state,
        form(
            "/inbox/login",
            Some(&login),
            format!("csrf={csrf}&token={token}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    cookie_pair(&set_cookie(&headers, "lm_inbox").expect("session cookie"))
}

/// The CSRF token in a page's forms.
fn csrf_in(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_owned()
}

/// A solved proof-of-work challenge from `state`'s collector.
async fn solution(state: &AppState) -> Value {
    let (status, challenge, _) = send(state, get("/api/v1/challenge", None)).await;
    assert_eq!(status, StatusCode::OK);
    let salt = challenge["salt"].as_str().unwrap_or_default();
    let number = leadmagnet_core::pow::solve(
        salt,
        challenge["challenge"].as_str().unwrap_or_default(),
        0,
        u32::try_from(challenge["maxnumber"].as_u64().unwrap_or(0)).unwrap_or(0),
    )
    .expect("solvable");
    json!({
        "algorithm": "SHA-256", "challenge": challenge["challenge"], "number": number,
        "salt": salt, "signature": challenge["signature"],
    })
}

fn lead_with(lead_id: &str, email: &str, extra: Value) -> String {
    let mut body: Value = serde_json::from_str(&lead(lead_id, email)).expect("json");
    if let (Some(o), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    body.to_string()
}

/// Proof of work on (a small range, for speed), no minimum fill time.
fn with_pow(state: &mut AppState, key: &[u8]) {
    state.challenges = Arc::new(Challenges::new(key, 2_000, 0));
}

/// Everything the collector shows of its leads answers 200: the API list, the CSV
/// export, the inbox list and every lead's page.
async fn everything_lists(state: &AppState) {
    let (status, _, body) = exchange(state, admin("GET", "/api/v1/leads", None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, csv) = exchange(state, admin("GET", "/api/v1/leads.csv", None)).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let cookie = log_in(state, TOKEN).await;
    let (status, _, page) = exchange(state, get("/inbox", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let list: Value = serde_json::from_str(&body).expect("json");
    for lead in list["leads"].as_array().cloned().unwrap_or_default() {
        let id = lead["lead_id"].as_str().unwrap_or_default();
        let (status, _, page) =
            exchange(state, get(&format!("/inbox/leads/{id}"), Some(&cookie))).await;
        assert_eq!(status, StatusCode::OK, "{id}: {page}");
    }
}

// ------------------------------------------------------------------ JSON

#[tokio::test]
async fn json_the_store_could_not_give_back_faithfully_is_refused_at_its_pointer() {
    let f = fixture().await;
    let base = lead(LEAD_ID, "ann@example.com");
    // Each crafted lead: where the bad value sits, and the body.
    let cases: Vec<(&str, String)> = vec![
        (
            "/context/x",
            base.replace("\"page_url\"", "\"x\": 1e999, \"page_url\""),
        ),
        (
            "/context/x",
            base.replace("\"page_url\"", "\"x\": -1e999, \"page_url\""),
        ),
        (
            "/context/x",
            base.replace("\"page_url\"", "\"x\": 1e-999, \"page_url\""),
        ),
        (
            "/context/x",
            base.replace(
                "\"page_url\"",
                &format!("\"x\": {}, \"page_url\"", "7".repeat(400)),
            ),
        ),
        (
            "/context/x",
            base.replace("\"page_url\"", "\"x\": 12345678901234567890, \"page_url\""),
        ),
        (
            "/extra/0",
            base.replacen('{', "{\"extra\": [9007199254740993], ", 1),
        ),
        (
            "/fields/email",
            base.replace("ann@example.com", "ann\\ud800@example.com"),
        ),
        (
            "/fields/email",
            base.replace("ann@example.com", "ann\\udfff@example.com"),
        ),
        (
            "/context/page_url",
            base.replace("http://127.0.0.1:8080/", "http://x/\\ud83d\\u0041"),
        ),
        (
            "/extra",
            base.replacen('{', "{\"extra\": {\"\\udc00\": 1}, ", 1),
        ),
    ];
    for (pointer, body) in &cases {
        let (status, err, _) = send(&f.state, post(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {err}");
        assert_eq!(err["error"]["code"], "malformed_json", "{body}");
        assert_eq!(err["error"]["pointer"], *pointer, "{body}: {err}");
    }
    assert_eq!(
        f.state.store.count().await.expect("count"),
        0,
        "nothing stored"
    );
    // A spam lead with the same values is refused too (no quarantine to slip through).
    let spam = lead_with(LEAD_ID, "bot@example.com", json!({ "honeypot": "x" }))
        .replace("\"page_url\"", "\"x\": 1e999, \"page_url\"");
    assert_eq!(send(&f.state, post(spam)).await.0, StatusCode::BAD_REQUEST);
    // What is accepted lists, shows and exports, and comes back as it was sent: keys in
    // the sender's order, numbers as written.
    let kept = format!(
        r#"{{"version":1,"offer_id":"ebook-lead-scoring","lead_id":"{LEAD_ID}","submitted_at":"2026-11-27T08:30:00.000Z","fields":{{"email":"ann@example.com","consent":true}},"context":{{"page_url":"http://127.0.0.1:8080/","zoom":1.50,"dpr":1e0,"big":9007199254740992,"text":"\u00e9\ud83d\ude00"}}}}"#
    );
    assert_eq!(
        send(&f.state, post(kept.clone())).await.0,
        StatusCode::CREATED
    );
    let (status, _, body) = exchange(&f.state, admin("GET", "/api/v1/leads", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(&format!("\"payload\":{kept}")),
        "the payload is the body as received: {body}"
    );
    everything_lists(&f.state).await;
}

#[tokio::test]
async fn rows_stored_before_the_rule_still_list_show_and_export() {
    let f = fixture().await;
    assert_eq!(
        send(&f.state, post(lead(LEAD_ID, "ann@example.com")))
            .await
            .0,
        StatusCode::CREATED
    );
    // Rows an earlier collector stored (or a hand edit): bodies serde_json cannot read.
    let pool = sqlx::SqlitePool::connect(&f.database_url())
        .await
        .expect("connects");
    for (n, payload) in [
        r#"{"fields": {"email": "old@example.com"}, "x": 1e999}"#,
        r#"{"fields": {"email": "old\ud800@example.com"}}"#,
        r#"{"fields": {"email": "#,
        "",
    ]
    .iter()
    .enumerate()
    {
        sqlx::query(
            "INSERT INTO leads (lead_id, offer_id, submitted_at, email, page_url, payload, stage, flags)
             VALUES ($1, 'ebook-lead-scoring', '2026-01-01T00:00:00.000Z', 'old@example.com',
                     'http://127.0.0.1:8080/', $2, 'inquiry', 'not json')",
        )
        .bind(format!("7e000000-0000-4000-8000-{n:012}"))
        .bind(payload)
        .execute(&pool)
        .await
        .expect("old row");
    }
    pool.close().await;
    let (status, _, body) = exchange(&f.state, admin("GET", "/api/v1/leads", None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list: Value = serde_json::from_str(&body).expect("json");
    let leads = list["leads"].as_array().cloned().unwrap_or_default();
    assert_eq!(leads.len(), 5);
    let unreadable = leads
        .iter()
        .filter(|l| l["flags"] == json!(["payload_unreadable"]))
        .count();
    assert_eq!(unreadable, 4, "each old row flagged, its text kept: {body}");
    assert!(leads
        .iter()
        .any(|l| l["payload"] == json!(r#"{"fields": {"email": "#)));
    everything_lists(&f.state).await;
    // And erasure still finds them (by the address stored beside them).
    let (status, _, body) = exchange(
        &f.state,
        admin("DELETE", "/api/v1/leads?email=old@example.com", None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"erased":4}"#);
}

// ------------------------------------------------------------------ good leads

#[tokio::test]
async fn a_retry_after_a_locked_database_is_stored_clean_and_spends_its_solution_once() {
    let mut f = fixture().await;
    with_pow(&mut f.state, b"retry-test-key-0123456789");
    let solved = solution(&f.state).await;
    let body = lead_with(LEAD_ID, "ann@example.com", json!({ "challenge": solved }));
    // Another process holds SQLite's write lock for longer than the busy timeout.
    let mut locker = f.hold_write_lock().await;
    let (status, err, response) = send(&f.state, post(body.clone())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{err}");
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    sqlx::query("ROLLBACK")
        .execute(&mut locker)
        .await
        .expect("unlock");
    // The widget's outbox retries the same lead: stored, clean, forwarded.
    assert_eq!(
        send(&f.state, post(body.clone())).await.0,
        StatusCode::CREATED
    );
    let stored = f
        .state
        .store
        .lead(LEAD_ID)
        .await
        .expect("lead")
        .expect("stored");
    assert_eq!(
        stored.quarantine, None,
        "a retry is never a reused solution"
    );
    // Its retries are replays; another lead with the same solution is the reuse.
    let (status, _, response) = send(&f.state, post(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    let other = "019cc3f2-8b1e-7a4d-8f6b-000000000002";
    let reuse = lead_with(other, "eve@example.com", json!({ "challenge": solved }));
    assert_eq!(send(&f.state, post(reuse)).await.0, StatusCode::CREATED);
    let reused = f
        .state
        .store
        .lead(other)
        .await
        .expect("lead")
        .expect("stored");
    assert_eq!(
        reused.quarantine,
        Some(vec!["proof_of_work_reused".to_owned()])
    );
}

#[tokio::test]
async fn a_locked_postgres_table_is_a_503_and_the_retry_is_stored_clean() {
    let (url, name, admin_pool) = fresh_postgres().await;
    let mut f = fixture_on(Some(&url)).await;
    with_pow(&mut f.state, b"pg-retry-test-key-0123456789");
    let solved = solution(&f.state).await;
    let body = lead_with(LEAD_ID, "ann@example.com", json!({ "challenge": solved }));
    // Someone else's transaction holds the table.
    let locker = sqlx::PgPool::connect(&url).await.expect("connects");
    let mut tx = locker.begin().await.expect("begin");
    sqlx::query("LOCK TABLE leads IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .expect("lock");
    let started = std::time::Instant::now();
    let (status, err, response) = send(&f.state, post(body.clone())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{err}");
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    eprintln!("answered 503 after {} ms", started.elapsed().as_millis());
    tx.rollback().await.expect("unlock");
    assert_eq!(send(&f.state, post(body)).await.0, StatusCode::CREATED);
    let stored = f
        .state
        .store
        .lead(LEAD_ID)
        .await
        .expect("lead")
        .expect("stored");
    assert_eq!(
        stored.quarantine, None,
        "the retry spent the solution, cleanly"
    );
    locker.close().await;
    f.state.store.close().await;
    drop_postgres(&name, &admin_pool).await;
}

#[tokio::test]
async fn a_lead_id_in_any_letter_case_is_its_own_idempotency_key() {
    let f = fixture().await;
    let upper = LEAD_ID.to_ascii_uppercase();
    let mixed: String = LEAD_ID
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    let body = lead(&upper, "ann@example.com");
    for key in [
        upper.as_str(),
        LEAD_ID,
        mixed.as_str(),
        &format!(" {upper} "),
    ] {
        let req = Request::post("/api/v1/leads")
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body.clone()))
            .expect("request");
        let (status, answer, _) = send(&f.state, req).await;
        assert_eq!(status, StatusCode::CREATED, "{key:?}: {answer}");
        assert_eq!(answer["lead_id"], LEAD_ID);
    }
    for key in ["3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3e", "another-key", ""] {
        let req = Request::post("/api/v1/leads")
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body.clone()))
            .expect("request");
        let (status, err, _) = send(&f.state, req).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{key:?}");
        assert_eq!(err["error"]["code"], "idempotency_key_mismatch");
    }
    assert_eq!(f.state.store.count().await.expect("count"), 1);
}

/// A change made to the offer folder (to break it, or to mend it).
type Step<'a> = Box<dyn Fn() + 'a>;

#[tokio::test]
async fn a_reload_that_cannot_read_the_offers_keeps_them_and_never_refuses_for_good() {
    let f = fixture().await;
    let dir = f.state.offers.dir().to_owned();
    let unknown = lead("019cc3f2-8b1e-7a4d-8f6b-00000000000a", "ann@example.com")
        .replace("ebook-lead-scoring", "webinar");
    let (status, err, _) = send(&f.state, post(unknown.clone())).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "while all is well: {err}"
    );
    assert_eq!(err["error"]["code"], "unknown_offer");
    let moved = f.dir.path().join("offers-away");
    // Each way a folder read fails: the folder gone, a file in its place, a config that
    // is a link to nothing (a mounted config being swapped).
    let breaks: [(&str, Step, Step); 3] = [
        (
            "the folder is gone",
            Box::new(|| std::fs::rename(&dir, &moved).expect("move")),
            Box::new(|| std::fs::rename(&moved, &dir).expect("back")),
        ),
        (
            "a file where the folder was",
            Box::new(|| {
                std::fs::rename(&dir, &moved).expect("move");
                std::fs::write(&dir, "not a folder").expect("file");
            }),
            Box::new(|| {
                std::fs::remove_file(&dir).expect("rm");
                std::fs::rename(&moved, &dir).expect("back");
            }),
        ),
        (
            "a config linked to a file that is not there",
            Box::new(|| {
                let target = moved.with_file_name("mounted-ebook.json");
                std::fs::rename(dir.join("ebook.json"), &target).expect("move");
                std::os::unix::fs::symlink(&target, dir.join("ebook.json")).expect("link");
                std::fs::rename(&target, target.with_extension("gone")).expect("swap");
            }),
            Box::new(|| {
                let target = moved.with_file_name("mounted-ebook.json");
                std::fs::rename(target.with_extension("gone"), &target).expect("back");
                std::fs::remove_file(dir.join("ebook.json")).expect("rm link");
                std::fs::rename(&target, dir.join("ebook.json")).expect("back");
            }),
        ),
    ];
    for (n, (what, break_it, mend)) in breaks.iter().enumerate() {
        break_it();
        assert!(f.state.offers.reload_if_changed(), "{what}");
        assert_eq!(
            f.state.offers.ids(),
            ["ebook-lead-scoring", "newsletter"],
            "{what}: the last good catalogue stays"
        );
        assert!(f.state.offers.failing().is_some(), "{what}");
        let known = lead(
            &format!("019cc3f2-8b1e-7a4d-8f6b-00000000010{n}"),
            "bob@example.com",
        );
        assert_eq!(
            send(&f.state, post(known)).await.0,
            StatusCode::CREATED,
            "{what}: a known offer's lead is stored"
        );
        let (status, err, response) = send(&f.state, post(unknown.clone())).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {err}");
        assert_eq!(err["error"]["code"], "offers_unavailable");
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        mend();
        assert!(f.state.offers.reload_if_changed(), "{what}: read again");
        assert!(f.state.offers.failing().is_none(), "{what}");
        assert_eq!(
            send(&f.state, post(unknown.clone())).await.0,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: mended, an unknown offer is final again"
        );
    }
    // What is not a regular file (a FIFO would block every later read, and the exit) is
    // left out with a warning; the rest of the folder is read, at once.
    let fifo = dir.join("pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    std::fs::create_dir(dir.join("folder.json")).expect("dir");
    let reads = Offers::load(&dir);
    assert_eq!(reads.ids(), ["ebook-lead-scoring", "newsletter"]);
    assert!(reads.failing().is_none());
    std::fs::remove_file(&fifo).expect("rm");
    std::fs::remove_dir(dir.join("folder.json")).expect("rm");
    // A folder that can be read but lost a config is a change, not a failure.
    let offers = Offers::load(&dir);
    std::fs::remove_file(dir.join("newsletter.json")).expect("rm");
    offers.reload();
    assert_eq!(offers.ids(), ["ebook-lead-scoring"]);
    assert!(offers.failing().is_none());
}

// ------------------------------------------------------------------ two collectors

/// Two collectors on one database, with one challenge secret (the load-balancer set-up):
/// a solution spent on one is refused on the other, and a session from one is served by
/// both until it is logged out on either.
async fn two_collectors(a: AppState, b_store: Store) {
    let mut a = a;
    with_pow(&mut a, b"shared-challenge-secret-0123");
    let mut b = AppState::new(
        b_store,
        TOKEN,
        vec![ORIGIN.into()],
        a.www.clone(),
        a.offers.clone(),
    );
    with_pow(&mut b, b"shared-challenge-secret-0123");
    let solved = solution(&a).await;
    let first = "019cc3f2-8b1e-7a4d-8f6b-0000000000b1";
    let second = "019cc3f2-8b1e-7a4d-8f6b-0000000000b2";
    let with = |id: &str, email: &str| lead_with(id, email, json!({ "challenge": solved }));
    assert_eq!(
        send(&a, post(with(first, "ann@example.com"))).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        send(&b, post(with(first, "ann@example.com"))).await.0,
        StatusCode::CREATED,
        "the same lead through the other instance: a replay"
    );
    assert_eq!(
        send(&b, post(with(second, "eve@example.com"))).await.0,
        StatusCode::CREATED
    );
    let quarantine = |state: &AppState, id: &'static str| {
        let store = state.store.clone();
        async move {
            store
                .lead(id)
                .await
                .expect("lead")
                .expect("stored")
                .quarantine
        }
    };
    assert_eq!(quarantine(&b, first).await, None);
    assert_eq!(
        quarantine(&a, second).await,
        Some(vec!["proof_of_work_reused".to_owned()]),
        "spent on one instance, refused on the other"
    );

    let cookie = log_in(&a, TOKEN).await;
    for (name, state) in [("a", &a), ("b", &b)] {
        let (status, _, page) = exchange(state, get("/inbox", Some(&cookie))).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("Logged in as admin."), "{name}: {page}");
    }
    let (_, _, page) = exchange(&b, get("/inbox", Some(&cookie))).await;
    let (status, headers, _) = exchange(
        &b,
        form(
            "/inbox/logout",
            Some(&cookie),
            format!("csrf={}", csrf_in(&page)),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(set_cookie(&headers, "lm_inbox").is_some_and(|c| c.contains("Max-Age=0")));
    for state in [&a, &b] {
        let (_, _, page) = exchange(state, get("/inbox", Some(&cookie))).await;
        assert!(page.contains("name=\"token\""), "logged out everywhere");
    }
}

#[tokio::test]
async fn two_collectors_on_one_sqlite_file_share_spent_solutions_and_sessions() {
    let f = fixture().await;
    let other = Store::open(&f.database_url()).await.expect("second opens");
    two_collectors(f.state.clone(), other).await;
    // A restart: a third store on the file still knows the session table and the spend.
    let restarted = Store::open(&f.database_url()).await.expect("reopens");
    assert!(restarted.count().await.expect("count") >= 2);
}

#[tokio::test]
async fn two_collectors_on_one_postgres_database_share_spent_solutions_and_sessions() {
    let (url, name, admin_pool) = fresh_postgres().await;
    let f = fixture_on(Some(&url)).await;
    let other = Store::open(&url).await.expect("second opens");
    two_collectors(f.state.clone(), other).await;
    f.state.store.close().await;
    drop_postgres(&name, &admin_pool).await;
}

// ------------------------------------------------------------------ sessions, tokens

fn from(addr: &str, mut req: Request<Body>) -> Request<Body> {
    let peer: SocketAddr = addr.parse().expect("addr");
    req.extensions_mut().insert(ConnectInfo(peer));
    req
}

#[tokio::test]
async fn wrong_tokens_and_logins_are_throttled_per_client_with_retry_after() {
    let f = fixture().await;
    let wrong = |uri: &str| {
        Request::get(uri)
            .header(header::AUTHORIZATION, "Bearer wrong-token-0000000000")
            .body(Body::empty())
            .expect("request")
    };
    for uri in ["/api/v1/leads", "/api/v1/stats", "/api/v1/leads.csv"] {
        let (status, _, _) = send(&f.state, from("10.0.0.1:5000", wrong(uri))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    for _ in 3..leadmagnet_server::AUTH_FAILURES {
        send(&f.state, from("10.0.0.1:5000", wrong("/api/v1/leads"))).await;
    }
    // Used up: even the right token waits now, from this client only.
    let right = admin("GET", "/api/v1/leads", None);
    let (status, err, response) = send(&f.state, from("10.0.0.1:5001", right)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{err}");
    assert_eq!(err["error"]["code"], "too_many_failures");
    let wait: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=leadmagnet_server::AUTH_FAILURE_WINDOW_SECONDS).contains(&wait));
    let right = admin("GET", "/api/v1/leads", None);
    assert_eq!(
        send(&f.state, from("10.0.0.2:5000", right)).await.0,
        StatusCode::OK
    );

    // Logins: the same budget per client.
    let (_, headers, _) = exchange(&f.state, get("/inbox", None)).await;
    let login = cookie_pair(&set_cookie(&headers, "lm_login").expect("login cookie"));
    let csrf = login.trim_start_matches("lm_login=").to_owned();
    let attempt = |token: &str| {
        from(
            "10.0.0.3:4000",
            form(
                "/inbox/login",
                Some(&login),
                format!("csrf={csrf}&token={token}"),
            ),
        )
    };
    for _ in 0..leadmagnet_server::AUTH_FAILURES {
        let (status, _, _) = exchange(&f.state, attempt("guess-0000000000000")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, headers, page) = exchange(&f.state, attempt(TOKEN)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{page}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(page.contains("Too many failed logins"));
}

#[tokio::test]
async fn session_cookies_are_secure_over_https_from_a_trusted_proxy_only() {
    let mut f = fixture().await;
    f.state.trusted_proxies = Arc::from(vec!["10.9.9.9".parse().expect("ip")]);
    let cases = [
        ("10.9.9.9:1", Some(("x-forwarded-proto", "https")), true),
        (
            "10.9.9.9:1",
            Some(("x-forwarded-proto", "http, https")),
            true,
        ),
        (
            "10.9.9.9:1",
            Some(("forwarded", "for=1.2.3.4;proto=https")),
            true,
        ),
        ("10.9.9.9:1", Some(("x-forwarded-proto", "http")), false),
        ("10.9.9.9:1", None, false),
        ("10.1.1.1:1", Some(("x-forwarded-proto", "https")), false),
    ];
    for (peer, header_pair, secure) in cases {
        let mut req = get("/inbox", None);
        if let Some((k, v)) = header_pair {
            req.headers_mut().insert(k, v.parse().expect("value"));
        }
        let (_, headers, _) = exchange(&f.state, from(peer, req)).await;
        let login = set_cookie(&headers, "lm_login").expect("login cookie");
        assert_eq!(
            login.contains("; Secure"),
            secure,
            "{peer} {header_pair:?}: {login}"
        );
        assert!(login.contains("HttpOnly") && login.contains("SameSite=Strict"));
        let csrf = cookie_pair(&login)
            .trim_start_matches("lm_login=")
            .to_owned();
        let mut req = form(
            "/inbox/login",
            Some(&cookie_pair(&login)),
            format!("csrf={csrf}&token={TOKEN}"),
        );
        if let Some((k, v)) = header_pair {
            req.headers_mut().insert(k, v.parse().expect("value"));
        }
        let (_, headers, _) = exchange(&f.state, from(peer, req)).await;
        let session = set_cookie(&headers, "lm_inbox").expect("session cookie");
        assert_eq!(session.contains("; Secure"), secure, "{peer}: {session}");
    }
}

// ------------------------------------------------------------------ small findings

#[tokio::test]
async fn only_regular_files_inside_www_are_served_and_text_says_utf_8() {
    let f = fixture().await;
    let www = f.state.www.clone();
    let outside = f.dir.path().join("secret.txt");
    std::fs::write(&outside, "SECRET").expect("outside");
    std::fs::write(www.join(".env"), "TOKEN=SECRET").expect("dotfile");
    std::fs::create_dir_all(www.join(".git")).expect("dot folder");
    std::fs::write(www.join(".git/config"), "SECRET").expect("git");
    std::fs::create_dir_all(www.join("assets/.cache")).expect("dot folder");
    std::fs::write(www.join("assets/.cache/x.css"), "SECRET").expect("cache");
    std::os::unix::fs::symlink(&outside, www.join("linked.txt")).expect("link");
    std::os::unix::fs::symlink(f.dir.path(), www.join("up")).expect("link");
    std::os::unix::fs::symlink("/etc/passwd", www.join("offers/passwd.json")).expect("link");
    std::os::unix::fs::symlink(&outside, www.join("offers/evil.json")).expect("link");
    for path in [
        "/.env",
        "/%2eenv",
        "/%2Eenv",
        "/.git/config",
        "/assets/.cache/x.css",
        "/assets/%2e%2e/.env",
        "/linked.txt",
        "/up/secret.txt",
        "/up/",
        "/offers/passwd.json",
        "/offers/evil.json",
        "/offers/%2e%2e/.env",
        "/dist/..%2f.env",
    ] {
        let (status, _, body) = exchange(&f.state, get(path, None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !body.contains("SECRET") && !body.contains("root:"),
            "{path}"
        );
    }
    // Links inside the folder to files inside it are fine; the rest is served as before.
    std::os::unix::fs::symlink(www.join("index.html"), www.join("home.html")).expect("link");
    std::fs::write(
        www.join("logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .expect("svg");
    std::fs::write(www.join("site.css"), "body{}").expect("css");
    for path in [
        "/",
        "/index.html",
        "/home.html",
        "/dist/leadmagnet.js",
        "/offers/newsletter.json",
        "/logo.svg",
        "/site.css",
    ] {
        let (status, headers, _) = exchange(&f.state, get(path, None)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let content_type = headers[header::CONTENT_TYPE].to_str().expect("ascii");
        assert!(
            content_type.contains("charset=utf-8"),
            "{path}: {content_type}"
        );
    }
}

#[tokio::test]
async fn nul_characters_are_refused_with_4xx_not_retried_503_on_postgres() {
    let (url, name, admin_pool) = fresh_postgres().await;
    let f = fixture_on(Some(&url)).await;
    send(&f.state, post(lead(LEAD_ID, "ann@example.com"))).await;
    for uri in [
        "/api/v1/leads?offer_id=ebook%00",
        "/api/v1/leads?stage=mql%00",
        "/api/v1/leads.csv?offer_id=%00",
        "/api/v1/stats?offer_id=x%00y",
        "/api/v1/leads?email=ann%00@example.com",
    ] {
        let method = if uri.contains("email=") {
            "DELETE"
        } else {
            "GET"
        };
        let (status, _, body) = exchange(&f.state, admin(method, uri, None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
    }
    let (status, _, _) = exchange(
        &f.state,
        admin(
            "POST",
            &format!("/api/v1/leads/{LEAD_ID}%00/stage"),
            Some("{}".into()),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for (body, pointer) in [
        (json!({ "stage": "sal", "by": "ann\u{0}" }), "/by"),
        (json!({ "stage": "sal\u{0}", "by": "ann" }), "/stage"),
        (
            json!({ "stage": "rejected", "by": "ann", "reason": "x\u{0}" }),
            "/reason",
        ),
    ] {
        let (status, err, _) = send(
            &f.state,
            admin(
                "POST",
                &format!("/api/v1/leads/{LEAD_ID}/stage"),
                Some(body.to_string()),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["error"]["pointer"], pointer);
    }
    // The inbox's forms.
    let cookie = log_in(&f.state, TOKEN).await;
    let (_, _, page) = exchange(
        &f.state,
        get(&format!("/inbox/leads/{LEAD_ID}"), Some(&cookie)),
    )
    .await;
    let csrf = csrf_in(&page);
    for (uri, body) in [
        (
            format!("/inbox/leads/{LEAD_ID}/stage"),
            format!("csrf={csrf}&stage=sal%00"),
        ),
        (
            format!("/inbox/leads/{LEAD_ID}/stage"),
            format!("csrf={csrf}&stage=rejected&reason=a%00b"),
        ),
        (
            "/inbox/erase".to_owned(),
            format!("csrf={csrf}&email=ann%00%40example.com&confirm=ann%00%40example.com"),
        ),
    ] {
        let (status, _, page) = exchange(&f.state, form(&uri, Some(&cookie), body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {page}");
    }
    let (status, _, _) = exchange(&f.state, get("/inbox?offer_id=%00", Some(&cookie))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(f.state.store.count().await.expect("count"), 1);
    f.state.store.close().await;
    drop_postgres(&name, &admin_pool).await;
}

#[tokio::test]
async fn oversized_bodies_are_413_and_an_origin_that_is_none_is_named() {
    let f = fixture().await;
    send(&f.state, post(lead(LEAD_ID, "ann@example.com"))).await;
    let huge = json!({ "stage": "sal", "by": "ann", "reason": "x".repeat(70 * 1024) });
    let (status, err, _) = send(
        &f.state,
        admin(
            "POST",
            &format!("/api/v1/leads/{LEAD_ID}/stage"),
            Some(huge.to_string()),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert_eq!(err["error"]["code"], "body_too_large");
    let big_lead = lead("019cc3f2-8b1e-7a4d-8f6b-0000000000c1", "ann@example.com").replace(
        "\"page_url\"",
        &format!("\"pad\": \"{}\", \"page_url\"", "x".repeat(70 * 1024)),
    );
    assert_eq!(
        send(&f.state, post(big_lead)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    for origin in ["null", "file://", "not an origin", "https://"] {
        let req = Request::post("/api/v1/leads")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, origin)
            .body(Body::from(lead(
                "019cc3f2-8b1e-7a4d-8f6b-0000000000c2",
                "x@example.com",
            )))
            .expect("request");
        let (status, err, _) = send(&f.state, req).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin}");
        let message = err["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("{origin:?}")),
            "{origin}: {message}"
        );
        let explains = if origin == "null" {
            "sandboxed frame"
        } else {
            "is not an origin"
        };
        assert!(message.contains(explains), "{origin}: {message}");
        assert!(!message.contains("pages on  "), "{message}");
    }
}

#[test]
fn every_way_a_spreadsheet_reads_a_formula_is_neutralised() {
    use leadmagnet_server::api::spreadsheet_formula;
    for formula in [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        " =1+1",
        "\u{a0}=1",
        "\n=1",
        "\r\n=1",
        "\t=1",
        "\u{3000}=1",
        "\u{200b}=1",
        "＝1+1",
        "＋1",
        "－1",
        "＠SUM(A1)",
        "  ＝HYPERLINK(\"x\")",
        "\u{feff}=1",
        "\u{00ad}=1",
        "\u{034f}+1",
        "\u{180e}-1",
        "\u{e0020}=1",
        "\u{fe0f}=1",
        "\u{3164}=1",
        "\u{115f}=1",
        "\u{2800}@x",
        "\u{202e}=1",
        "﹫SUM(A1)",
        "⁼1",
        "−1",
        "\t",
        "\r",
    ] {
        assert!(spreadsheet_formula(formula), "{formula:?}");
    }
    for text in ["ann", "a=b", "1-2", "", "   ", "ann@example.com", "Müller"] {
        assert!(!spreadsheet_formula(text), "{text:?}");
    }
}

// ------------------------------------------------------------------ connections

/// A collector on a real socket with tight limits; returns its address and the handle
/// that stops it (and says how long the stop took).
async fn limited(
    limits: ServeLimits,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
    Fixture,
) {
    let f = fixture().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_with(
        listener,
        f.state.clone(),
        async {
            let _ = stopped.await;
        },
        limits,
    ));
    (addr, stop, server, f)
}

/// Reads until the peer closes the connection, or `within` passes (`false` then).
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

fn health_request() -> &'static [u8] {
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
}

#[tokio::test]
async fn slow_idle_and_flooding_clients_cannot_hold_the_collector() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    let limits = ServeLimits {
        header_read_timeout: Duration::from_millis(500),
        body_read_timeout: Duration::from_millis(500),
        max_connections: 4,
        shutdown_grace: Duration::from_millis(500),
    };
    let (addr, stop, server, _f) = limited(limits).await;

    // Slowloris: a header that never ends, dripped a byte at a time.
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let drip = async {
        for _ in 0..20 {
            if slow.write_all(b"X").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    let dropped = drip.await || closed_within(&mut slow, Duration::from_secs(2)).await;
    assert!(dropped, "a header dripped for 2 s is cut off");

    // A slow body: the header complete, the body never.
    let mut body = TcpStream::connect(addr).await.expect("connect");
    body.write_all(
        b"POST /api/v1/leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .await
    .expect("write");
    let mut answer = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(3), body.read(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 408"),
        "a body that never ends is a 408, which the widget retries: {}",
        String::from_utf8_lossy(&answer[..n])
    );
    assert!(
        closed_within(&mut body, Duration::from_secs(3)).await,
        "and the connection ends"
    );

    // An idle kept-alive connection is closed too.
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(health_request()).await.expect("write");
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.expect("answer");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    assert!(
        closed_within(&mut idle, Duration::from_secs(3)).await,
        "idle keep-alive"
    );

    // A flood: more connections than the cap. The surplus waits unaccepted and is served
    // as the held ones time out; nobody gets an error.
    let mut held = Vec::new();
    for _ in 0..12 {
        held.push(TcpStream::connect(addr).await.expect("connect"));
    }
    let mut late = TcpStream::connect(addr).await.expect("connect");
    late.write_all(health_request()).await.expect("write");
    let n = tokio::time::timeout(Duration::from_secs(10), late.read(&mut buf))
        .await
        .expect("served once slots free up")
        .expect("read");
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );

    // Shutdown with a connection mid-request ends within its grace.
    let mut stuck = TcpStream::connect(addr).await.expect("connect");
    stuck
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops within a bound")
        .expect("join")
        .expect("ran");
    eprintln!("shutdown took {} ms", started.elapsed().as_millis());
    drop(held);
}

#[test]
fn the_connection_cap_leaves_descriptors_for_the_database_and_files() {
    use leadmagnet_server::default_max_connections;
    assert_eq!(default_max_connections(Some(20_000)), 10_000);
    assert_eq!(default_max_connections(Some(1_024)), 768);
    assert_eq!(default_max_connections(Some(100)), 16);
    assert_eq!(default_max_connections(None), 768);
    assert!(leadmagnet_server::open_files_limit().is_some_and(|n| n > 0));
}
