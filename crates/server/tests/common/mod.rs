//! What the collector's integration tests share: a collector on a throwaway SQLite file
//! (or a fresh PostgreSQL database) with the demo offers, and requests to it.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::Response;
use http_body_util::BodyExt;
use leadmagnet_server::offers::Offers;
use leadmagnet_server::store::Store;
use leadmagnet_server::{app, AppState};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tempfile::TempDir;
use tower::ServiceExt;

pub const TOKEN: &str = "test-admin-token-0123456789";
pub const ORIGIN: &str = "http://127.0.0.1:8080";
pub const LEAD_ID: &str = "3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3d";

/// A second offer: no scoring, one origin of its own allowed.
pub const NEWSLETTER: &str = r#"{
  "version": 1, "id": "newsletter", "offer": { "kind": "form", "title": "News" },
  "fields": [
    { "id": "email", "type": "email", "label": "Email", "required": true },
    { "id": "consent", "type": "consent", "label": "Yes", "required": true }
  ],
  "allowed_origins": ["https://www.customer.example"],
  "endpoint": { "url": "/api/v1/leads" }
}"#;

pub struct Fixture {
    pub state: AppState,
    pub dir: TempDir,
    /// The PostgreSQL database of its own, dropped with the fixture.
    postgres: Option<String>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // Async work cannot run in `drop`: a thread with its own runtime and connection
        // drops the database (FORCE ends the fixture's own connections).
        if let Some(name) = self.postgres.take() {
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Runtime::new() else {
                    return;
                };
                runtime.block_on(async {
                    if let Ok(admin) = std::env::var("LEADMAGNET_TEST_POSTGRES") {
                        if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                            drop_postgres(&name, &pool).await;
                        }
                    }
                });
            })
            .join();
        }
    }
}

impl Fixture {
    /// The SQLite file's path (when the fixture is on SQLite).
    pub fn sqlite_path(&self) -> std::path::PathBuf {
        self.dir.path().join("data/leads.db")
    }

    /// Another connection holding SQLite's write lock (`BEGIN IMMEDIATE`) until it runs
    /// `ROLLBACK`: storing then fails as under another process's long transaction.
    pub async fn hold_write_lock(&self) -> sqlx::SqliteConnection {
        let mut locker =
            <sqlx::SqliteConnection as sqlx::Connection>::connect(&self.database_url())
                .await
                .expect("connects");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut locker)
            .await
            .expect("lock");
        locker
    }

    /// Its database URL, for a second collector on the same database.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.sqlite_path().display())
    }
}

/// A collector on a fresh SQLite file, or, with `LEADMAGNET_TEST_API_ON=postgres` (a step
/// of `make test` runs the API tests so), on a fresh PostgreSQL database of its own.
pub async fn fixture() -> Fixture {
    if std::env::var("LEADMAGNET_TEST_API_ON").as_deref() == Ok("postgres") {
        let (url, name, _admin) = fresh_postgres().await;
        let mut f = fixture_on(Some(&url)).await;
        f.postgres = Some(name);
        return f;
    }
    fixture_on(None).await
}

/// A collector on `database_url`, or on a fresh SQLite file in its folder.
pub async fn fixture_on(database_url: Option<&str>) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("dist")).expect("www");
    std::fs::write(www.join("index.html"), "<!doctype html><title>demo</title>").expect("index");
    std::fs::write(
        www.join("dist/leadmagnet-0123abcd.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .expect("wasm");
    std::fs::write(www.join("dist/leadmagnet.js"), "(function(){})();").expect("js");
    std::fs::write(www.join("dist/leadmagnet-full.js"), "(function(){})();").expect("js");
    std::fs::write(
        www.join("dist/leadmagnet-full-0123abcd.part.js"),
        "window.__leadmagnetFull = 1;",
    )
    .expect("js");
    std::fs::write(
        www.join("dist/leadmagnet-0123abcd.wasm.br"),
        b"brotli bytes",
    )
    .expect("wasm.br");
    let url = database_url.map_or_else(
        || format!("sqlite://{}", dir.path().join("data/leads.db").display()),
        str::to_owned,
    );
    let store = Store::open(&url).await.expect("store opens");
    // The demo eBook offer, as the collector would read it from www/offers.
    std::fs::create_dir_all(www.join("offers")).expect("offers");
    std::fs::write(
        www.join("offers/ebook.json"),
        include_str!("../../../../www/offers/ebook.json"),
    )
    .expect("offer");
    std::fs::write(www.join("offers/newsletter.json"), NEWSLETTER).expect("offer");
    let offers = Arc::new(Offers::load(&www.join("offers")));
    let state = AppState::new(store, TOKEN, vec![ORIGIN.to_string()], www, offers);
    assert_eq!(state.offers.ids(), ["ebook-lead-scoring", "newsletter"]);
    Fixture {
        state,
        dir,
        postgres: None,
    }
}

pub fn lead(lead_id: &str, email: &str) -> String {
    json!({
        "version": 1, "lead_id": lead_id, "offer_id": "ebook-lead-scoring",
        "submitted_at": "2026-11-27T08:30:00.000Z",
        "fields": { "email": email, "consent": true },
        "context": { "page_url": "http://127.0.0.1:8080/" }
    })
    .to_string()
}

pub fn post(body: impl Into<Body>) -> Request<Body> {
    Request::post("/api/v1/leads")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .expect("request")
}

pub fn get_leads(token: Option<&str>) -> Request<Body> {
    let mut req = Request::get("/api/v1/leads");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    req.body(Body::empty()).expect("request")
}

pub async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, Value, Response<()>) {
    let response = app(state.clone()).oneshot(req).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (parts.status, value, Response::from_parts(parts, ()))
}

pub static DATABASES: AtomicU32 = AtomicU32::new(0);

/// A database of its own on the PostgreSQL server `make test` starts: its URL, and the
/// admin connection that drops it again ([`drop_postgres`]).
pub async fn fresh_postgres() -> (String, String, sqlx::PgPool) {
    let admin = std::env::var("LEADMAGNET_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "LEADMAGNET_TEST_POSTGRES is not set: run the tests through `make test`, which starts \
             PostgreSQL on 127.0.0.1, or set it to an admin URL such as \
             postgres://leadmagnet:leadmagnet@127.0.0.1:5432/postgres"
        )
    });
    let name = format!(
        "leadmagnet_test_{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::SeqCst)
    );
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("admin connection");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .expect("create database");
    let url = match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("LEADMAGNET_TEST_POSTGRES has no database part: {admin}"),
    };
    (url, name, pool)
}

pub async fn drop_postgres(name: &str, pool: &sqlx::PgPool) {
    // FORCE ends the other sessions, but PostgreSQL waits only 5 s for them to exit; on a
    // busy machine a closing store's connection can take longer (seen once in a
    // fresh-toolchain run), so the clean-up tries again before it fails the test.
    let mut last = None;
    for _ in 0..5 {
        match sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(pool)
            .await
        {
            Ok(_) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    panic!("drop database {name}: {last:?}");
}

/// Status, headers and body text of a request.
pub async fn exchange(state: &AppState, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let response = app(state.clone()).oneshot(req).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// The login form's CSRF cookie (`lm_login=…`, as a `Cookie` header value) from the
/// headers of a page that shows the form, and the token in it.
pub fn login_cookie(headers: &HeaderMap) -> (String, String) {
    let cookie = headers[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("cookie")
        .to_owned();
    let csrf = cookie
        .strip_prefix("lm_login=")
        .expect("the login cookie")
        .to_owned();
    (cookie, csrf)
}

/// Logs in with `token` through the inbox's form: the session cookie (`lm_inbox=…`).
pub async fn session_cookie(state: &AppState, token: &str) -> String {
    let (_, headers, _) = exchange(
        state,
        Request::get("/inbox").body(Body::empty()).expect("request"),
    )
    .await;
    let (login, csrf) = login_cookie(&headers);
    let (status, headers, _) = exchange(
        state,
        Request::post("/inbox/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &login)
            .body(Body::from(format!("csrf={csrf}&token={token}")))
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lm_inbox="))
        .and_then(|v| v.split(';').next())
        .expect("the session cookie")
        .to_owned()
}
