//! The studio's server side (`/studio/api/…`): who may use it, the checker and the score
//! simulator, and publishing — refused with every problem, atomic, with its history, its
//! diff and rollback, safe against a stale editor. On SQLite, and on PostgreSQL with
//! `LEADMAGNET_TEST_API_ON=postgres` (a step of `make test`).

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use serde_json::{json, Value};
use std::sync::Arc;

const MARKETER_TOKEN: &str = "mia-marketing-token-0123456789";
const SALES_TOKEN: &str = "sam-sales-token-0123456789";

async fn studio_fixture() -> Fixture {
    let mut f = fixture().await;
    let hash = |t: &str| leadmagnet_core::pow::hex(&leadmagnet_core::pow::sha256(t.as_bytes()));
    f.state.users = Arc::from(
        leadmagnet_server::inbox::read_users(&format!(
            r#"{{"users": [{{"name": "mia@marketing", "token_sha256": "{}", "marketer": true}},
                           {{"name": "sam@sales", "token_sha256": "{}"}}]}}"#,
            hash(MARKETER_TOKEN),
            hash(SALES_TOKEN)
        ))
        .expect("users"),
    );
    f
}

/// A session of `token`: its cookie and CSRF token.
async fn log_in(f: &Fixture, token: &str) -> (String, String) {
    let cookie = session_cookie(&f.state, token).await;
    let (_, _, page) = exchange(
        &f.state,
        Request::get("/inbox")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with the CSRF token")
        + 19;
    let csrf = page[at..at + page[at..].find('"').expect("end")].to_owned();
    (cookie, csrf)
}

fn call(method: &str, uri: &str, session: &(String, String), body: Option<Value>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, &session.0)
        .header("x-csrf-token", &session.1)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request")
}

const EBOOK: &str = include_str!("../../../www/offers/ebook.json");

#[tokio::test]
async fn only_marketers_and_the_admin_with_the_csrf_token_may_use_the_studio() {
    let f = studio_fixture().await;
    let check = json!({ "text": EBOOK });
    // No session.
    let anonymous = Request::post("/studio/api/check")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(check.to_string()))
        .expect("request");
    assert_eq!(send(&f.state, anonymous).await.0, StatusCode::UNAUTHORIZED);
    // A salesperson.
    let sam = log_in(&f, SALES_TOKEN).await;
    let (status, body, _) = send(
        &f.state,
        call("POST", "/studio/api/check", &sam, Some(check.clone())),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "not_a_marketer");
    // A marketer without the CSRF token (a cross-site request carries the cookie only).
    let mia = log_in(&f, MARKETER_TOKEN).await;
    let forged = (mia.0.clone(), "forged".to_owned());
    assert_eq!(
        send(
            &f.state,
            call("POST", "/studio/api/check", &forged, Some(check.clone()))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, body, _) = send(
        &f.state,
        call("POST", "/studio/api/check", &mia, Some(check.clone())),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "problems": [] })));
    let admin = log_in(&f, TOKEN).await;
    assert_eq!(
        send(
            &f.state,
            call("POST", "/studio/api/check", &admin, Some(check))
        )
        .await
        .0,
        StatusCode::OK
    );
}

/// `/studio` without a session is the login form, which leads back to the studio (the
/// file that was asked for open) — and never anywhere else, whatever a crafted form says.
#[tokio::test]
async fn logging_in_at_the_studio_leads_back_to_it_and_nowhere_else() {
    let f = studio_fixture().await;
    let (status, headers, page) = exchange(
        &f.state,
        Request::get("/studio?file=quiz.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"name="then" value="/studio?file=quiz.json""#),
        "{page}"
    );
    let (login_cookie, csrf) = login_cookie(&headers);
    for (then, lands) in [
        ("/studio?file=quiz.json", "/studio?file=quiz.json"),
        ("/studio", "/studio"),
        ("/inbox/contacts", "/inbox/contacts"),
        ("", "/inbox"),
        ("https://evil.example/", "/inbox"),
        ("//evil.example/studio", "/inbox"),
        ("/studio/../../evil", "/inbox"),
        ("/studiox", "/inbox"),
        ("/studio?next=https://evil.example", "/inbox"),
        ("/studio\\evil", "/inbox"),
        ("javascript:alert(1)", "/inbox"),
    ] {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf", &csrf)
            .append_pair("token", MARKETER_TOKEN)
            .append_pair("then", then)
            .finish();
        let req = Request::post("/inbox/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &login_cookie)
            .body(Body::from(body))
            .expect("request");
        let (status, headers, _) = exchange(&f.state, req).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{then}");
        assert_eq!(headers[header::LOCATION], lands, "{then}");
    }
}

/// The checker answers what `leadmagnet validate` says: every problem, reading and
/// semantic, at its line and column.
#[tokio::test]
async fn the_checker_reports_every_problem_at_its_line() {
    let f = studio_fixture().await;
    let mia = log_in(&f, MARKETER_TOKEN).await;
    let broken = EBOOK.replacen("\"required\"", "\"requird\"", 1).replacen(
        "\"equals\": \"now\"",
        "\"equals\": \"nwo\"",
        1,
    );
    let (status, body, _) = send(
        &f.state,
        call(
            "POST",
            "/studio/api/check",
            &mia,
            Some(json!({ "text": broken })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let problems = body["problems"].as_array().expect("problems");
    let line_of = |needle: &str| {
        broken
            .lines()
            .position(|l| l.contains(needle))
            .expect("line")
            + 1
    };
    assert_eq!(problems.len(), 2, "{body}");
    assert_eq!(problems[0]["line"], line_of("requird"));
    assert!(problems[0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("did you mean \"required\""));
    assert_eq!(problems[1]["line"], line_of("nwo"));
    assert_eq!(problems[1]["pointer"], "/scoring/fit/1/equals");
}

/// A returning visitor: the fields progressive profiling asks, only the profile's values the
/// offer accepts counted as known, and the memory the preview hands to the full build — the
/// core's own storage form, which reads back as that visitor with their consent.
#[tokio::test]
async fn the_visitor_switch_names_the_fields_asked_and_the_memory_of_a_returning_visitor() {
    let f = studio_fixture().await;
    let mia = log_in(&f, MARKETER_TOKEN).await;
    let ask = |profile: Value| {
        call(
            "POST",
            "/studio/api/fields",
            &mia,
            Some(json!({ "text": EBOOK, "profile": profile })),
        )
    };
    let (status, new, _) = send(&f.state, ask(Value::Null)).await;
    assert_eq!(status, StatusCode::OK, "{new}");
    assert_eq!(new["fields"][0], "email", "{new}");
    assert_eq!(new["ignored"], json!([]));
    let profile = json!({ "email": "ann@contoso.example", "first_name": "Ann",
                          "company_size": "huge", "shoe_size": "44", "newsletter": true });
    let (status, body, _) = send(&f.state, ask(profile)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let asked: Vec<&str> = body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !asked.contains(&"email") && !asked.contains(&"first_name"),
        "{asked:?}"
    );
    assert!(
        asked.contains(&"company_size"),
        "an unaccepted value is not known: {asked:?}"
    );
    assert_eq!(
        body["ignored"],
        json!([
            { "field": "company_size", "why": "not a value this field accepts" },
            { "field": "newsletter", "why": "a tick box is asked every time" },
            { "field": "shoe_size", "why": "not a field of this offer" }
        ])
    );
    assert_eq!(body["storage_key"], leadmagnet_core::profile::STORAGE_KEY);
    let memory = leadmagnet_core::profile::Visitor::from_storage(body["memory"].as_str());
    assert!(memory.consent, "a returning visitor who consented");
    assert_eq!(memory.first_name(), Some("Ann"));
    let config = leadmagnet_core::parse_offer(EBOOK).expect("ebook");
    let known: Vec<String> = memory.known_for(&config).keys().cloned().collect();
    assert_eq!(known, ["email", "first_name"]);
    for bad in [json!("ann"), json!([1]), json!({ "email": { "deep": 1 } })] {
        let (status, body, _) = send(&f.state, ask(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_profile", "{bad}: {body}");
    }
}

/// The simulator scores a hypothetical lead as the collector would, says why it is no MQL,
/// and refuses a lead the collector would refuse.
#[tokio::test]
async fn the_simulator_scores_and_explains_a_hypothetical_lead() {
    let f = studio_fixture().await;
    let mia = log_in(&f, MARKETER_TOKEN).await;
    let lead = json!({
        "fields": { "email": "boss@gmail.com", "company_size": "50-249", "timeline": "6m" },
        "events": [{ "type": "page_view", "url": "https://x/pricing", "at": "2026-12-01T09:00:00Z" }]
    });
    let (status, body, _) = send(
        &f.state,
        call(
            "POST",
            "/studio/api/simulate",
            &mia,
            Some(json!({ "text": EBOOK, "lead": lead, "now": "2026-12-01T09:00:00Z" })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["score"]["matrix"], "D3");
    assert_eq!(body["score"]["queue"], "mid-market");
    assert_eq!(
        body["explanation"][0],
        "not an MQL: MQL needs a total of 40 or more: total 15 < 40 (fit 5 + engagement 10); MQL needs grade B or better: grade D, fit 5 < 20"
    );
    let refused = json!({ "fields": { "timeline": "This quarter" }, "events": [{ "type": "pricing_visit", "at": "2026-12-01T09:00:00Z" }] });
    let (status, body, _) = send(
        &f.state,
        call(
            "POST",
            "/studio/api/simulate",
            &mia,
            Some(json!({ "text": EBOOK, "lead": refused })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["lead_problems"],
        json!([
            "/fields/timeline: \"This quarter\" is the label of the option \"now\": give its value; the options are \"now\", \"6m\", \"later\"",
            "/events/0/type: unknown event type \"pricing_visit\"; the widget records page_view, offer_view, offer_completed, return_visit"
        ])
    );
    let (status, body, _) = send(
        &f.state,
        call(
            "POST",
            "/studio/api/simulate",
            &mia,
            Some(json!({ "text": "{", "lead": lead })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid_config");
}

/// A marketer's session with the demo eBook opened in the studio: its path, its text and
/// the studio's answer.
async fn ebook_opened() -> (
    Fixture,
    (String, String),
    std::path::PathBuf,
    String,
    (StatusCode, Value),
) {
    let f = studio_fixture().await;
    let mia = log_in(&f, MARKETER_TOKEN).await;
    let path = f.state.offers.dir().join("ebook.json");
    let original = std::fs::read_to_string(&path).expect("ebook");
    let (status, body, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/ebook.json", &mia, None),
    )
    .await;
    (f, mia, path, original, (status, body))
}

/// Publish: a config with a problem is refused whole; a good one is written atomically,
/// read by the collector at once, and kept with who, when and a diff; a stale editor is
/// told to reload; rollback publishes an earlier version again.
#[tokio::test]
async fn publishing_keeps_a_history_refuses_problems_and_rolls_back() {
    let (f, mia, path, original, (status, body)) = ebook_opened().await;
    // What the folder held is version 1, recorded as the studio first reads it.
    assert_eq!(
        (status, body["version"].clone()),
        (StatusCode::OK, json!(1))
    );
    assert_eq!(body["text"], original);

    // A typo: nothing is published.
    let typo = original.replacen("\"required\"", "\"requird\"", 1);
    let (status, body, _) = send(&f.state, publish_of(&mia, "ebook.json", &typo, 0)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        std::fs::read_to_string(&path).expect("file"),
        original,
        "the file is untouched"
    );

    // A new label: published as version 2 (version 1 is what the folder held).
    let relabelled = original.replacen("\"Business email\"", "\"Work email\"", 1);
    assert_ne!(relabelled, original);
    let (status, body, _) = send(&f.state, publish_of(&mia, "ebook.json", &relabelled, 1)).await;
    assert_eq!(
        (status, body["version"].clone()),
        (StatusCode::OK, json!(2)),
        "{body}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("file"), relabelled);
    let live = f.state.offers.get("ebook-lead-scoring").expect("offer");
    assert_eq!(
        live.fields[0].label.resolve("en").to_owned(),
        "Work email",
        "the collector reads it at once"
    );
    let leftovers: Vec<_> = std::fs::read_dir(f.state.offers.dir())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A folder in the file's place: not a file the studio writes; nothing published, no
    // version of what never went live, no temporary file left.
    let blocked = f.state.offers.dir().join("blocked.json");
    std::fs::create_dir(&blocked).expect("a folder in the file's place");
    std::fs::write(blocked.join("keep"), "x").expect("not empty");
    let other = original.replacen("\"ebook-lead-scoring\"", "\"blocked-offer\"", 1);
    let (status, body, _) = send(&f.state, publish_of(&mia, "blocked.json", &other, 0)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "not_a_regular_file");
    assert!(blocked.is_dir());
    let (_, body, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/blocked.json/history", &mia, None),
    )
    .await;
    assert_eq!(
        body["versions"],
        json!([]),
        "the history lists only what went live"
    );
    std::fs::remove_dir_all(&blocked).expect("clean up");
    // An offers folder that is gone: 503, nothing recorded.
    let moved = f.state.offers.dir().with_extension("away");
    std::fs::rename(f.state.offers.dir(), &moved).expect("move the folder away");
    let (status, body, _) = send(&f.state, publish_of(&mia, "ebook.json", &relabelled, 2)).await;
    std::fs::rename(&moved, f.state.offers.dir()).expect("move it back");
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::SERVICE_UNAVAILABLE, json!("write_failed")),
        "{body}"
    );

    // Someone whose editor still holds version 0 is told to reload.
    let (status, body, _) = send(&f.state, publish_of(&mia, "ebook.json", &original, 0)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "stale");

    // The history: who, when, and the diff.
    let (_, body, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/ebook.json/history", &mia, None),
    )
    .await;
    let versions = body["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(
        (
            versions[0]["version"].clone(),
            versions[0]["author"].clone()
        ),
        (json!(2), json!("mia@marketing"))
    );
    assert_eq!(versions[1]["author"], "the offers folder");
    let diff = versions[0]["diff"].as_str().expect("diff");
    assert!(
        diff.contains("- ")
            && diff.contains("\"Business email\"")
            && diff.contains("+ ")
            && diff.contains("\"Work email\""),
        "{diff}"
    );
    assert!(
        diff.lines().count() <= 6,
        "only the change and its context: {diff}"
    );

    // Rollback to version 1: published again as version 3.
    let (status, body, _) = send(&f.state, rollback_of(&mia, "ebook.json", 1, 2)).await;
    assert_eq!(
        (status, body["version"].clone()),
        (StatusCode::OK, json!(3)),
        "{body}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("file"), original);
    let (status, _, _) = send(&f.state, rollback_of(&mia, "ebook.json", 9, 3)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A new offer from a template; its id must be its own; paths are not file names.
    let (_, body, _) = send(&f.state, call("GET", "/studio/api/templates", &mia, None)).await;
    let quiz = body["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .find(|t| t["name"] == "quiz.json")
        .expect("the quiz template")["text"]
        .as_str()
        .expect("text")
        .to_owned();
    let (status, body, _) = send(&f.state, publish_of(&mia, "copy.json", &original, 0)).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("duplicate_id"))
    );
    let (status, body, _) = send(&f.state, publish_of(&mia, "my-quiz.json", &quiz, 0)).await;
    assert_eq!(
        (status, body["version"].clone()),
        (StatusCode::OK, json!(1)),
        "{body}"
    );
    assert!(f.state.offers.get("lead-maturity-quiz").is_some());
    for bad in ["..%2Fx.json", "scoring.json", "X.json", "x.txt"] {
        let (status, _, _) = send(
            &f.state,
            call(
                "POST",
                &format!("/studio/api/offers/{bad}"),
                &mia,
                Some(json!({ "text": quiz, "base_version": 0 })),
            ),
        )
        .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::NOT_FOUND,
            "{bad}: {status}"
        );
    }
    let (_, body, _) = send(&f.state, call("GET", "/studio/api/offers", &mia, None)).await;
    let files: Vec<&str> = body["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .filter_map(|o| o["file"].as_str())
        .collect();
    assert_eq!(files, ["ebook.json", "my-quiz.json", "newsletter.json"]);
}

fn publish_of(session: &(String, String), file: &str, text: &str, base: i64) -> Request<Body> {
    call(
        "POST",
        &format!("/studio/api/offers/{file}"),
        session,
        Some(json!({ "text": text, "base_version": base })),
    )
}

fn rollback_of(session: &(String, String), file: &str, version: i64, base: i64) -> Request<Body> {
    call(
        "POST",
        &format!("/studio/api/offers/{file}/rollback"),
        session,
        Some(json!({ "version": version, "base_version": base })),
    )
}

/// Publishes at the same moment (one collector's tasks, or several collectors on one
/// folder and database): exactly one of those from the same version lands, the file on
/// disk is always the history's newest text, and two files never end up with one id.
#[tokio::test]
async fn concurrent_publishes_land_one_at_a_time_in_the_historys_order() {
    let (f, mia, path, original, (_, body)) = ebook_opened().await;
    let base = body["version"].as_i64().expect("version");
    for round in 0..3 {
        let texts: Vec<String> = (0..6)
            .map(|i| original.replacen("\"Business email\"", &format!("\"Email {round}-{i}\""), 1))
            .collect();
        let answers = futures_join(
            texts
                .iter()
                .map(|t| send(&f.state, publish_of(&mia, "ebook.json", t, base + round)))
                .collect(),
        )
        .await;
        let landed: Vec<usize> = answers
            .iter()
            .enumerate()
            .filter(|(_, a)| a.0 == StatusCode::OK)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            landed.len(),
            1,
            "{:?}",
            answers
                .iter()
                .map(|a| (a.0, a.1.clone()))
                .collect::<Vec<_>>()
        );
        for a in &answers {
            assert!(
                a.0 == StatusCode::OK || a.1["error"]["code"] == "stale",
                "{}",
                a.1
            );
        }
        let (_, history, _) = send(
            &f.state,
            call("GET", "/studio/api/offers/ebook.json/history", &mia, None),
        )
        .await;
        assert_eq!(history["versions"][0]["version"], base + round + 1);
        assert_eq!(
            std::fs::read_to_string(&path).expect("file"),
            texts[landed[0]],
            "the file on disk is the history's newest version"
        );
    }
    // Two new files with one id at once: one lands, the other is told.
    let quiz = include_str!("../../../www/offers/quiz.json").replacen(
        "\"lead-maturity-quiz\"",
        "\"twin\"",
        1,
    );
    let answers = futures_join(vec![
        send(&f.state, publish_of(&mia, "twin-a.json", &quiz, 0)),
        send(&f.state, publish_of(&mia, "twin-b.json", &quiz, 0)),
    ])
    .await;
    let codes: Vec<StatusCode> = answers.iter().map(|a| a.0).collect();
    assert!(
        codes.contains(&StatusCode::OK) && codes.contains(&StatusCode::CONFLICT),
        "{codes:?}"
    );
    assert!(answers
        .iter()
        .any(|a| a.1["error"]["code"] == "duplicate_id"));
}

/// Runs the requests at once on this test's runtime.
async fn futures_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(f);
    }
    let mut out = Vec::new();
    let results = join_all(set).await;
    out.extend(results);
    out
}

async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::pin::Pin;
    use std::task::{Context, Poll};
    let mut pending: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        let mut all = true;
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => all = false,
                }
            }
        }
        if all {
            Poll::Ready(done.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// What the folder holds and the studio did not write: a hand edit is kept as a version
/// (and an editor opened before it is told to reload, not allowed to write over it); a
/// link, a folder or a pipe is never read or written through; a problem elsewhere in the
/// folder is said with the publish; a bad body is answered in the studio's error shape,
/// and only after the session was checked.
#[tokio::test]
async fn the_studio_keeps_hand_edits_and_touches_only_regular_files() {
    let f = studio_fixture().await;
    let mia = log_in(&f, MARKETER_TOKEN).await;
    let dir = f.state.offers.dir().to_owned();
    let path = dir.join("ebook.json");
    let original = std::fs::read_to_string(&path).expect("ebook");
    let (_, body, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/ebook.json", &mia, None),
    )
    .await;
    assert_eq!(body["version"], 1);

    // A hand edit after the editor opened version 1.
    let by_hand = original.replacen("\"Business email\"", "\"HAND EDIT\"", 1);
    std::fs::write(&path, &by_hand).expect("edit by hand");
    let mine = original.replacen("\"Business email\"", "\"Studio edit\"", 1);
    let (status, body, _) = send(&f.state, publish_of(&mia, "ebook.json", &mine, 1)).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("stale")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("edited outside the studio"),
        "{body}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("file"),
        by_hand,
        "the hand edit stays"
    );
    let (_, history, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/ebook.json/history", &mia, None),
    )
    .await;
    assert_eq!(history["versions"][0]["version"], 2);
    assert_eq!(
        history["versions"][0]["author"],
        "edited outside the studio"
    );
    assert!(history["versions"][0]["diff"]
        .as_str()
        .unwrap_or("")
        .contains("HAND EDIT"));
    // Reloaded, the editor publishes over it; rolling back to the hand edit works.
    let (status, body, _) = send(&f.state, publish_of(&mia, "ebook.json", &mine, 2)).await;
    assert_eq!(
        (status, body["version"].clone()),
        (StatusCode::OK, json!(3)),
        "{body}"
    );
    assert_eq!(body["live"], true);
    let (status, _, _) = send(&f.state, rollback_of(&mia, "ebook.json", 2, 3)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(std::fs::read_to_string(&path).expect("file"), by_hand);

    // A link (to anywhere), and a pipe: not listed, not read, not written through.
    let outside = tempfile::tempdir().expect("tmp");
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "not an offer").expect("secret");
    std::os::unix::fs::symlink(&secret, dir.join("link.json")).expect("link");
    let fifo = dir.join("pipe.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    for file in ["link.json", "pipe.json"] {
        let (status, body, _) = send(
            &f.state,
            call("GET", &format!("/studio/api/offers/{file}"), &mia, None),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (StatusCode::CONFLICT, json!("not_a_regular_file")),
            "{file}: {body}"
        );
        let quiz = include_str!("../../../www/offers/quiz.json").replacen(
            "\"lead-maturity-quiz\"",
            "\"elsewhere\"",
            1,
        );
        let (status, body, _) = send(&f.state, publish_of(&mia, file, &quiz, 0)).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (StatusCode::CONFLICT, json!("not_a_regular_file")),
            "{file}: {body}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&secret).expect("secret"),
        "not an offer"
    );
    let (status, body, _) = send(&f.state, call("GET", "/studio/api/offers", &mia, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let files: Vec<&str> = body["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .filter_map(|o| o["file"].as_str())
        .collect();
    assert!(
        !files.contains(&"link.json") && !files.contains(&"pipe.json"),
        "{files:?}"
    );
    std::fs::remove_file(&fifo).expect("pipe");

    // A link leading nowhere keeps the collector from reading its folder: a publish says so.
    std::fs::remove_file(dir.join("link.json")).expect("link");
    std::os::unix::fs::symlink(outside.path().join("gone.json"), dir.join("dangling.json"))
        .expect("link");
    let (status, body, _) = send(&f.state, publish_of(&mia, "ebook.json", &mine, 4)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["live"], false, "{body}");
    assert!(
        body["problem"]
            .as_str()
            .unwrap_or("")
            .contains("dangling.json"),
        "{body}"
    );
    std::fs::remove_file(dir.join("dangling.json")).expect("link");

    // A copy of the offer under any other name the collector reads (a hand backup, capitals,
    // a link): one id in two files, so the publish is refused, naming the other file.
    let (_, now, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/ebook.json", &mia, None),
    )
    .await;
    let head = now["version"].as_i64().expect("version");
    for copy in ["ebook.old.json", "Promo.json"] {
        std::fs::write(dir.join(copy), &original).expect("copy");
        let (status, body, _) = send(&f.state, publish_of(&mia, "ebook.json", &mine, head)).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (StatusCode::CONFLICT, json!("duplicate_id")),
            "{copy}: {body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .starts_with(copy),
            "{body}"
        );
        std::fs::remove_file(dir.join(copy)).expect("copy");
    }

    // A file the studio cannot take is listed with why; the others stay editable.
    std::fs::write(dir.join("latin1.json"), b"{\"id\": \"caf\xe9\"}").expect("latin-1");
    std::fs::write(dir.join("huge.json"), " ".repeat(300 * 1024)).expect("huge");
    let (status, body, _) = send(&f.state, call("GET", "/studio/api/offers", &mia, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed = |name: &str| {
        body["offers"]
            .as_array()
            .expect("offers")
            .iter()
            .find(|o| o["file"] == name)
            .cloned()
    };
    assert!(
        listed("latin1.json").is_some_and(|o| o["unavailable"]
            .as_str()
            .unwrap_or("")
            .contains("not UTF-8")),
        "{body}"
    );
    assert!(
        listed("huge.json").is_some_and(|o| o["unavailable"]
            .as_str()
            .unwrap_or("")
            .contains("larger than")),
        "{body}"
    );
    assert!(listed("ebook.json").is_some_and(|o| o["version"] == head));
    let (status, _, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/huge.json", &mia, None),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    std::fs::remove_file(dir.join("latin1.json")).expect("clean up");
    std::fs::remove_file(dir.join("huge.json")).expect("clean up");

    // A file deleted by hand: its history stays, and a new text goes on top of it.
    std::fs::remove_file(&path).expect("delete by hand");
    let (status, body, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/ebook.json", &mia, None),
    )
    .await;
    assert_eq!(
        (status, body["version"].clone()),
        (StatusCode::NOT_FOUND, json!(head)),
        "{body}"
    );
    let (status, body, _) = send(&f.state, publish_of(&mia, "ebook.json", &mine, head)).await;
    assert_eq!(
        (status, body["version"].clone()),
        (StatusCode::OK, json!(head + 1)),
        "{body}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("file"), mine);

    // The lock file replaced by a pipe: refused at once, never a hang; then a file again.
    let lock = dir.join(".studio.lock");
    let _ = std::fs::remove_file(&lock);
    assert!(std::process::Command::new("mkfifo")
        .arg(&lock)
        .status()
        .expect("mkfifo")
        .success());
    let (status, body, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/ebook.json", &mia, None),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::SERVICE_UNAVAILABLE, json!("write_failed")),
        "{body}"
    );
    std::fs::remove_file(&lock).expect("pipe");
    let (status, _, _) = send(
        &f.state,
        call("GET", "/studio/api/offers/ebook.json", &mia, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Bodies: the studio's error shape, and the session first.
    for (raw, status) in [
        ("{", StatusCode::BAD_REQUEST),
        ("\u{0}\u{ff}", StatusCode::BAD_REQUEST),
        (
            r#"{"text": 1, "base_version": 0}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"text": "x", "base_version": 1e3}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let req = Request::post("/studio/api/offers/ebook.json")
            .header(header::COOKIE, &mia.0)
            .header("x-csrf-token", &mia.1)
            .body(Body::from(raw))
            .expect("request");
        let (got, body, _) = send(&f.state, req).await;
        assert_eq!(got, status, "{raw}: {body}");
        assert_eq!(body["error"]["code"], "invalid_body", "{raw}: {body}");
        let stranger = Request::post("/studio/api/offers/ebook.json")
            .body(Body::from(raw))
            .expect("request");
        assert_eq!(
            send(&f.state, stranger).await.0,
            StatusCode::UNAUTHORIZED,
            "{raw}"
        );
    }
}

/// A config's `"$schema": "/schema/offer.v1.json"` resolves on any site folder: the
/// collector answers the contracts itself (this fixture's folder has no schema/).
#[tokio::test]
async fn the_collector_serves_its_schemas_on_any_site_folder() {
    let f = studio_fixture().await;
    let www = f.state.offers.dir().parent().expect("www").to_owned();
    assert!(!www.join("schema").exists());
    for (file, id) in [
        (
            "offer.v1.json",
            "https://leadmagnet.dev/schema/offer.v1.json",
        ),
        (
            "scoring.v1.json",
            "https://leadmagnet.dev/schema/scoring.v1.json",
        ),
        ("lead.v1.json", "https://leadmagnet.dev/schema/lead.v1.json"),
    ] {
        let (status, body, _) = send(
            &f.state,
            Request::get(format!("/schema/{file}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{file}");
        assert_eq!(body["$id"], id, "{file}");
    }
    let committed: Value =
        serde_json::from_str(include_str!("../../../www/schema/offer.v1.json")).expect("schema");
    let (_, served, _) = send(
        &f.state,
        Request::get("/schema/offer.v1.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(served, committed, "the served schema is the committed one");
    let (status, _, _) = send(
        &f.state,
        Request::get("/schema/other.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
