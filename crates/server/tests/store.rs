//! The lead store against both databases it runs on: SQLite (a temporary file) and
//! PostgreSQL (a fresh database on the server `make test` starts on 127.0.0.1; the URL of
//! its admin database comes in `LEADMAGNET_TEST_POSTGRES`).

use leadmagnet_core::parse_lead;
use leadmagnet_server::store::{Inserted, Store, Verdict};
use serde_json::json;
use std::str::FromStr;

mod common;
use common::{drop_postgres, fresh_postgres};

fn lead_body(lead_id: &str, offer_id: &str, email: &str) -> String {
    json!({
        "version": 1, "lead_id": lead_id, "offer_id": offer_id,
        "submitted_at": "2026-11-27T08:30:00.000Z",
        "fields": { "email": email, "consent": true },
        "context": { "page_url": "https://www.example.com/" }
    })
    .to_string()
}

const ID: [&str; 3] = [
    "3f2b8c1e-9a4d-4f6b-8c2d-000000000001",
    "3f2b8c1e-9a4d-4f6b-8c2d-000000000002",
    "3f2b8c1e-9a4d-4f6b-8c2d-000000000003",
];

/// Group commit: leads arriving together share transactions, and each is answered only
/// once stored, whole (its first stage and its forwarding rows with it). Leaves the store
/// empty again.
async fn batches(store: &Store) {
    const LEADS: usize = 100;
    let before = store.commits();
    let mut tasks = Vec::new();
    for n in 0..LEADS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("5a6b7c8d-0000-4000-8000-{n:012}");
            let mut raw = lead_body(&id, "ebook", "batch@example.com");
            if n == 7 {
                // A NUL in a column copied out of the payload: PostgreSQL's text cannot
                // hold one, and it must not fail the other leads in its transaction.
                raw = raw.replace("example.com/", "example.com/?q=\\u0000");
            }
            let lead = parse_lead(raw.as_bytes()).expect("lead");
            let verdict = Verdict {
                forwards: vec![(0, "webhook")],
                stage: "mql",
                at: "2026-11-27T08:30:01.000Z".into(),
                email: Some("batch@example.com".into()),
                ..Verdict::default()
            };
            let outcome = store.insert(&lead, &raw, &verdict).await;
            (id, raw, outcome)
        }));
    }
    for task in tasks {
        let (id, raw, outcome) = task.await.expect("task");
        assert_eq!(outcome.expect("insert"), Inserted::New, "{id}");
        // Answered after the commit: it is there, byte for byte, with its first stage.
        assert_eq!(
            store.stored_as(&id, &raw).await.expect("lookup"),
            Some(Inserted::Replay)
        );
        let history = store.stage_history(&id).await.expect("history");
        assert_eq!(history.len(), 1, "{id}: {history:?}");
        assert_eq!(
            (history[0].0.as_str(), history[0].2.as_str()),
            ("mql", "scoring")
        );
    }
    let with_nul = store
        .lead("5a6b7c8d-0000-4000-8000-000000000007")
        .await
        .expect("lead")
        .expect("stored");
    assert_eq!(
        with_nul.parsed["context"]["page_url"],
        "https://www.example.com/?q=\u{0}"
    );
    assert_eq!(store.count().await.expect("count"), LEADS as i64);
    assert_eq!(
        store.due_forwards(i64::MAX, 1000).await.expect("due").len(),
        LEADS
    );
    let commits = store.commits() - before;
    assert!(
        (1..LEADS as u64).contains(&commits),
        "{LEADS} leads at once took {commits} transactions"
    );
    assert_eq!(
        store.erase_email("batch@example.com").await.expect("erase"),
        LEADS as u64
    );
    assert_eq!(store.count().await.expect("count"), 0);
}

/// Everything the collector relies on, for one backend.
async fn exercise(store: Store) {
    batches(&store).await;
    let raw = lead_body(ID[0], "ebook", "ann@example.com");
    let lead = parse_lead(raw.as_bytes()).expect("lead");
    let verdict = Verdict {
        server_score: Some(r#"{"fit":40,"stage":"mql"}"#.into()),
        flags: vec!["score_mismatch".into()],
        quarantine: Vec::new(),
        forwards: vec![(0, "webhook"), (1, "hubspot")],
        stage: "mql",
        at: "2026-11-27T08:30:01.000Z".into(),
        spend: None,
        email: Some("ann@example.com".into()),
    };
    assert_eq!(store.stored_as(ID[0], &raw).await.expect("lookup"), None);
    assert_eq!(
        store.insert(&lead, &raw, &verdict).await.expect("insert"),
        Inserted::New
    );
    assert_eq!(
        store.insert(&lead, &raw, &verdict).await.expect("again"),
        Inserted::Replay
    );
    let changed = raw.replace("ann@", "bob@");
    assert_eq!(
        store
            .insert(&lead, &changed, &verdict)
            .await
            .expect("changed"),
        Inserted::Conflict
    );
    assert_eq!(
        store.stored_as(ID[0], &raw).await.expect("lookup"),
        Some(Inserted::Replay)
    );

    let other_raw = lead_body(ID[1], "newsletter", "eve@example.com");
    let other = parse_lead(other_raw.as_bytes()).expect("lead");
    let quarantined = Verdict {
        quarantine: vec!["honeypot_filled".into(), "no_proof_of_work".into()],
        email: Some("eve@example.com".into()),
        ..Verdict::default()
    };
    assert_eq!(
        store
            .insert(&other, &other_raw, &quarantined)
            .await
            .expect("insert"),
        Inserted::New
    );

    let all = store.list(None, None, None, 100).await.expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].lead_id, ID[1], "newest first");
    assert_eq!(
        all[0].quarantine.as_deref(),
        Some(&["honeypot_filled".to_owned(), "no_proof_of_work".to_owned()][..])
    );
    assert_eq!(
        all[1].server_score,
        Some(json!({"fit": 40, "stage": "mql"}))
    );
    assert_eq!(all[1].flags, ["score_mismatch"]);
    assert_eq!(all[1].quarantine, None);
    assert_eq!(all[1].parsed["fields"]["email"], "ann@example.com");
    assert!(
        all[1].received_at.len() == 24 && all[1].received_at.ends_with('Z'),
        "received_at like 2026-11-27T08:30:00.123Z: {}",
        all[1].received_at
    );
    let statuses = |lead: &leadmagnet_server::store::StoredLead| {
        lead.forwards
            .iter()
            .map(|f| (f.target, f.kind.clone(), f.status.clone(), f.attempts))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        statuses(&all[1]),
        [
            (0, "webhook".to_owned(), "pending".to_owned(), 0),
            (1, "hubspot".to_owned(), "pending".to_owned(), 0)
        ],
        "queued in the lead's transaction"
    );
    assert!(
        all[0].forwards.is_empty(),
        "a quarantined lead is not forwarded"
    );

    // The forwarding outbox: due, claimed once, outcomes recorded.
    let due = store.due_forwards(1, 10).await.expect("due");
    assert_eq!(due.len(), 2);
    assert_eq!(due[0].offer_id, "ebook");
    assert!(due[0].payload.contains("ann@example.com"));
    assert!(store.claim_forward(&due[0], 300_000).await.expect("claim"));
    assert!(
        !store.claim_forward(&due[0], 300_000).await.expect("claim"),
        "another sender cannot take it meanwhile"
    );
    store
        .record_forward(&due[0], "sent", 2, None)
        .await
        .expect("record");
    assert!(store.claim_forward(&due[1], 300_000).await.expect("claim"));
    store
        .record_forward(&due[1], "pending", 5_000, Some("HTTP 503: busy"))
        .await
        .expect("record");
    assert!(store.due_forwards(4_999, 10).await.expect("due").is_empty());
    let again = store.due_forwards(5_000, 10).await.expect("due");
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    let listed = store
        .list(Some("ebook"), None, None, 10)
        .await
        .expect("list");
    assert_eq!(
        statuses(&listed[0]),
        [
            (0, "webhook".to_owned(), "sent".to_owned(), 1),
            (1, "hubspot".to_owned(), "pending".to_owned(), 1)
        ]
    );
    assert_eq!(
        listed[0].forwards[1].last_error.as_deref(),
        Some("HTTP 503: busy")
    );

    let only = |v: Vec<leadmagnet_server::store::StoredLead>| {
        v.into_iter().map(|l| l.lead_id).collect::<Vec<_>>()
    };
    assert_eq!(
        only(
            store
                .list(Some("ebook"), None, None, 100)
                .await
                .expect("list")
        ),
        [ID[0]]
    );
    assert_eq!(
        only(store.list(None, Some(true), None, 100).await.expect("list")),
        [ID[1]]
    );
    assert_eq!(
        only(
            store
                .list(None, Some(false), None, 100)
                .await
                .expect("list")
        ),
        [ID[0]]
    );
    assert_eq!(
        only(store.list(None, None, None, 1).await.expect("list")),
        [ID[1]]
    );

    // Twenty stores of one lead at once: one row, one New.
    let raw = lead_body(ID[2], "ebook", "race@example.com");
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        let raw = raw.clone();
        tasks.push(tokio::spawn(async move {
            let lead = parse_lead(raw.as_bytes()).expect("lead");
            store.insert(&lead, &raw, &Verdict::default()).await
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task").expect("insert"));
    }
    assert_eq!(outcomes.iter().filter(|o| **o == Inserted::New).count(), 1);
    assert!(outcomes.iter().all(|o| *o != Inserted::Conflict));
    assert_eq!(store.count().await.expect("count"), 3);

    // The waterfall and erasure, on this backend's SQL.
    use leadmagnet_server::store::Moved;
    let at = "2026-11-27T09:00:00.000Z";
    assert_eq!(
        store
            .move_stage(ID[0], "sal", None, "ann@sales", at)
            .await
            .expect("move"),
        Moved::Done
    );
    assert!(matches!(
        store
            .move_stage(ID[0], "won", None, "ann@sales", at)
            .await
            .expect("move"),
        Moved::Refused(_)
    ));
    assert_eq!(
        store
            .move_stage("nobody", "sal", None, "x", at)
            .await
            .expect("move"),
        Moved::NoSuchLead
    );
    let history = store.stage_history(ID[0]).await.expect("history");
    assert_eq!(
        history.last().map(|h| (h.0.as_str(), h.2.as_str())),
        Some(("sal", "ann@sales"))
    );
    let counts = store.stage_counts(Some("ebook")).await.expect("counts");
    assert!(counts.contains(&("sal".to_owned(), 1)), "{counts:?}");
    let sal = store.list(None, None, Some("sal"), 10).await.expect("list");
    assert_eq!(sal.len(), 1);
    assert_eq!(sal[0].stage_at.as_deref(), Some(at));
    assert_eq!(
        store.erase_email("ANN@example.com").await.expect("erase"),
        1
    );
    assert_eq!(store.count().await.expect("count"), 2);
    assert!(store
        .stage_history(ID[0])
        .await
        .expect("history")
        .is_empty());
    assert!(
        store
            .due_forwards(i64::MAX, 10)
            .await
            .expect("due")
            .is_empty(),
        "its forwards went too"
    );

    // Offer versions: each number once (a second writer of it is told), and taking back
    // a version that never went live takes back only it, never a later one of another.
    for (v, text) in [(1, "one"), (2, "two"), (3, "three")] {
        assert!(store
            .add_offer_version("o.json", v, "2026-12-01T09:00:00Z", "mia", text)
            .await
            .expect("add"));
    }
    assert!(!store
        .add_offer_version("o.json", 2, "2026-12-01T09:00:01Z", "sam", "again")
        .await
        .expect("add"));
    store.drop_offer_version("o.json", 2).await.expect("drop");
    let kept: Vec<(i64, String)> = store
        .offer_versions("o.json")
        .await
        .expect("versions")
        .into_iter()
        .map(|v| (v.0, v.3))
        .collect();
    assert_eq!(kept, [(3, "three".to_owned()), (1, "one".to_owned())]);

    // A database that went away fails the call (the API answers 503), it never panics.
    store.close().await;
    assert!(store.count().await.is_err());
    assert!(
        store.insert(&lead, &raw, &verdict).await.is_err(),
        "a lead the writer cannot store is answered with the error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("leads.db").display());
    let store = Store::open(&url).await.expect("opens");
    assert_eq!(store.backend(), "sqlite");
    exercise(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let (url, name, admin) = fresh_postgres().await;
    let store = Store::open(&url).await.expect("opens");
    assert_eq!(store.backend(), "postgres");
    // Opening again runs no migration twice.
    Store::open(&url).await.expect("opens again").close().await;
    exercise(store).await;
    drop_postgres(&name, &admin).await;
}

/// A database from before migration 0006 (the stage history keyed by `lead_id`): the
/// statements that made a lead and its history then.
const BEFORE_0006: [&str; 4] = [
    "INSERT INTO leads (lead_id, offer_id, submitted_at, email, page_url, payload, stage)
     VALUES ('old-lead', 'ebook', '2026-01-01T00:00:00.000Z', 'old@example.com',
             'https://www.example.com/', '{}', 'sal')",
    "INSERT INTO stage_changes (lead_id, stage, by_whom, at)
     VALUES ('old-lead', 'mql', 'scoring', '2026-01-01T00:00:00.000Z'),
            ('old-lead', 'sal', 'ann@sales', '2026-01-02T00:00:00.000Z')",
    // Stored as typed by an earlier collector: white space around it, capitals beyond ASCII.
    "INSERT INTO leads (lead_id, offer_id, submitted_at, email, page_url, payload, stage)
     VALUES ('old-lead-2', 'ebook', '2026-01-01T00:00:00.000Z', ' ÖRNE@Example.com ',
             'https://www.example.com/', '{}', 'inquiry')",
    // The same person again, spelt differently, from another offer.
    "INSERT INTO leads (lead_id, offer_id, submitted_at, email, page_url, payload, stage)
     VALUES ('old-lead-3', 'quiz', '2026-01-05T00:00:00.000Z', 'örne@example.com',
             'https://www.example.com/quiz', '{}', 'inquiry')",
];

/// `migrator` without migration 0006 and later.
fn before_0006(mut migrator: sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 6)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator
}

/// After the upgrade, the old lead's history reads, counts and erases as a new one's.
async fn upgraded(url: &str) {
    let store = Store::open(url).await.expect("upgrades");
    let history = store.stage_history("old-lead").await.expect("history");
    let moves: Vec<(&str, &str)> = history
        .iter()
        .map(|h| (h.0.as_str(), h.2.as_str()))
        .collect();
    assert_eq!(moves, [("mql", "scoring"), ("sal", "ann@sales")]);
    let counts = store.stage_counts(None).await.expect("counts");
    assert!(counts.contains(&("sal".to_owned(), 1)), "{counts:?}");
    // Rows from before migration 0010 were grouped into contacts, one per person.
    let contacts = store.contacts(10).await.expect("contacts");
    let mut people: Vec<(i64, Option<&str>)> = contacts
        .iter()
        .map(|c| (c.submissions, c.email.as_deref()))
        .collect();
    people.sort();
    assert_eq!(
        people,
        [(1, Some("old@example.com")), (2, Some("örne@example.com"))]
    );
    let örne = contacts.iter().find(|c| c.submissions == 2).expect("örne");
    let (_, leads) = store
        .contact(&örne.contact_id)
        .await
        .expect("contact")
        .expect("found");
    let ids: Vec<&str> = leads.iter().map(|l| l.lead_id.as_str()).collect();
    assert_eq!(ids, ["old-lead-2", "old-lead-3"]);
    // Opening again (a restart, a second instance) groups nothing twice.
    Store::open(url).await.expect("reopens").close().await;
    assert_eq!(store.contacts(10).await.expect("contacts").len(), 2);
    assert_eq!(
        store.erase_email("old@example.com").await.expect("erase"),
        1
    );
    // Rows from before migration 0008 got their email key when the store opened.
    assert_eq!(
        store.erase_email("örne@example.com").await.expect("erase"),
        2
    );
    assert!(
        store.contacts(10).await.expect("contacts").is_empty(),
        "erasure leaves no contact behind"
    );
    assert!(store
        .stage_history("old-lead")
        .await
        .expect("history")
        .is_empty());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrade_keeps_the_stage_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("leads.db").display());
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .expect("url")
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options)
        .await
        .expect("connects");
    before_0006(sqlx::migrate!("./migrations"))
        .run(&pool)
        .await
        .expect("migrations 1–5");
    for statement in BEFORE_0006 {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect("old rows");
    }
    pool.close().await;
    upgraded(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrade_keeps_the_stage_history() {
    let (url, name, admin) = fresh_postgres().await;
    let pool = sqlx::PgPool::connect(&url).await.expect("connects");
    before_0006(sqlx::migrate!("./migrations-postgres"))
        .run(&pool)
        .await
        .expect("migrations 1–5");
    for statement in BEFORE_0006 {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect("old rows");
    }
    pool.close().await;
    upgraded(&url).await;
    drop_postgres(&name, &admin).await;
}

// ------------------------------------------------------------------ issue 14

fn spend(signature: &str) -> leadmagnet_server::spam::Spend {
    leadmagnet_server::spam::Spend {
        signature: signature.into(),
        expires: 4_000_000_000,
    }
}

/// A lead spending `signature`, forwarded to a webhook unless quarantined.
async fn insert_spending(store: &Store, lead_id: &str, signature: &str) -> (Inserted, String) {
    let raw = lead_body(lead_id, "ebook", "spender@example.com");
    let lead = parse_lead(raw.as_bytes()).expect("lead");
    let verdict = Verdict {
        forwards: vec![(0, "webhook")],
        spend: Some(spend(signature)),
        email: Some("spender@example.com".into()),
        ..Verdict::default()
    };
    (
        store.insert(&lead, &raw, &verdict).await.expect("insert"),
        raw,
    )
}

async fn quarantine_of(store: &Store, lead_id: &str) -> Option<Vec<String>> {
    store
        .lead(lead_id)
        .await
        .expect("lead")
        .expect("stored")
        .quarantine
}

/// Spent proof-of-work solutions live in the database: a second lead with the same
/// solution is quarantined as reused, whether it reaches this store, a second collector on
/// the same database (`other`), or a store opened again after a restart (`reopen`); a
/// retry of the lead that spent it is its replay, never a reuse. `url` opens the database.
async fn spent_solutions(url: &str) {
    let store = Store::open(url).await.expect("opens");
    let other = Store::open(url).await.expect("a second collector opens");
    const A: &str = "6a000000-0000-4000-8000-000000000001";
    assert_eq!(insert_spending(&store, A, "sig-1").await.0, Inserted::New);
    assert_eq!(quarantine_of(&store, A).await, None);
    // The same lead again (a retry after a lost answer): a replay, not a reuse.
    assert_eq!(
        insert_spending(&store, A, "sig-1").await.0,
        Inserted::Replay
    );
    assert_eq!(
        insert_spending(&other, A, "sig-1").await.0,
        Inserted::Replay
    );
    assert_eq!(quarantine_of(&store, A).await, None);
    let reused = |id: &'static str, via: &Store| {
        let via = via.clone();
        async move {
            assert_eq!(insert_spending(&via, id, "sig-1").await.0, Inserted::New);
            assert_eq!(
                quarantine_of(&via, id).await,
                Some(vec!["proof_of_work_reused".to_owned()]),
                "{id}"
            );
        }
    };
    reused("6a000000-0000-4000-8000-000000000002", &store).await;
    reused("6a000000-0000-4000-8000-000000000003", &other).await;
    store.close().await;
    other.close().await;
    let reopened = Store::open(url).await.expect("opens after a restart");
    reused("6a000000-0000-4000-8000-000000000004", &reopened).await;
    // A reused solution is not forwarded; the first lead is.
    let due: Vec<String> = reopened
        .due_forwards(i64::MAX, 100)
        .await
        .expect("due")
        .into_iter()
        .map(|d| d.lead_id)
        .collect();
    assert_eq!(
        due,
        [A],
        "only the lead that spent the solution is forwarded"
    );

    // Leads racing with one solution: exactly one of them is its spender.
    let mut tasks = Vec::new();
    for n in 0..12 {
        let store = reopened.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("6b000000-0000-4000-8000-{n:012}");
            insert_spending(&store, &id, "sig-race").await;
            quarantine_of(&store, &id).await
        }));
    }
    let mut clean = 0;
    for task in tasks {
        if task.await.expect("task").is_none() {
            clean += 1;
        }
    }
    assert_eq!(clean, 1, "one spender among racing leads");

    // Expired records go (their challenges are refused as expired anyway).
    let expired = leadmagnet_server::spam::Spend {
        signature: "sig-old".into(),
        expires: 1_000,
    };
    let raw = lead_body(
        "6c000000-0000-4000-8000-000000000001",
        "ebook",
        "x@example.com",
    );
    let verdict = Verdict {
        spend: Some(expired),
        ..Verdict::default()
    };
    reopened
        .insert(&parse_lead(raw.as_bytes()).expect("lead"), &raw, &verdict)
        .await
        .expect("insert");
    assert_eq!(reopened.purge_expired(2_000).await.expect("purge"), 1);
    assert_eq!(reopened.purge_expired(2_000).await.expect("purge"), 0);
    reopened.close().await;
}

/// Inbox sessions live in the database: one started by one collector is served by
/// another on the same database and after a restart, until logout or expiry.
async fn shared_sessions(url: &str) {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let a = Store::open(url).await.expect("opens");
    let b = Store::open(url).await.expect("a second collector opens");
    a.start_session("hash-1", "ann@sales", "csrf-1", t + 1_000)
        .await
        .expect("start");
    a.start_session("hash-2", "admin", "csrf-2", t + 500)
        .await
        .expect("start");
    let live = Some(("csrf-1".to_owned(), "ann@sales".to_owned()));
    assert_eq!(b.session("hash-1", t).await.expect("read"), live);
    assert_eq!(a.session("hash-1", t).await.expect("read"), live);
    assert_eq!(
        b.session("hash-1", t + 1_000).await.expect("read"),
        None,
        "expired"
    );
    assert_eq!(b.session("nope", t).await.expect("read"), None);
    a.close().await;
    let restarted = Store::open(url).await.expect("opens again");
    assert_eq!(restarted.session("hash-1", t).await.expect("read"), live);
    b.end_session("hash-1").await.expect("logout");
    assert_eq!(restarted.session("hash-1", t).await.expect("read"), None);
    assert_eq!(restarted.purge_expired(t + 600).await.expect("purge"), 1);
    assert_eq!(restarted.session("hash-2", t).await.expect("read"), None);
    restarted.close().await;
    b.close().await;
}

/// The spellings of one address a person would call the same: erasure finds them all,
/// and no other address.
const SPELLINGS: [&str; 6] = [
    "änn.o@beispiel.de",
    "ÄNN.O@BEISPIEL.DE",
    " Änn.O@Beispiel.de ",
    "\u{a0}änn.o@beispiel.de\u{a0}",
    "\u{2003}ÄNN.o@beispiel.DE\u{200b}",
    "Änn.O@beispiel.de\t",
];

async fn erasure_finds_every_spelling(store: &Store) {
    let before = store.count().await.expect("count");
    for (n, spelling) in SPELLINGS.iter().enumerate() {
        let id = format!("6d000000-0000-4000-8000-{n:012}");
        let raw = lead_body(&id, "ebook", spelling);
        let verdict = Verdict {
            email: Some((*spelling).to_owned()),
            ..Verdict::default()
        };
        store
            .insert(&parse_lead(raw.as_bytes()).expect("lead"), &raw, &verdict)
            .await
            .expect("insert");
    }
    let keep = lead_body(
        "6d000000-0000-4000-8000-100000000000",
        "ebook",
        "anna@beispiel.de",
    );
    let verdict = Verdict {
        email: Some("anna@beispiel.de".into()),
        ..Verdict::default()
    };
    store
        .insert(&parse_lead(keep.as_bytes()).expect("lead"), &keep, &verdict)
        .await
        .expect("insert");
    assert_eq!(
        store
            .erase_email("\u{feff} änn.o@BEISPIEL.de\u{a0}")
            .await
            .expect("erase"),
        SPELLINGS.len() as u64
    );
    assert_eq!(
        store.count().await.expect("count"),
        before + 1,
        "anna stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_shares_spent_solutions_and_sessions_and_erases_without_a_trace() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("leads.db");
    let url = format!("sqlite://{}", path.display());
    spent_solutions(&url).await;
    shared_sessions(&url).await;
    let store = Store::open(&url).await.expect("opens");
    erasure_finds_every_spelling(&store).await;
    // Nothing of the erased address is left in the database's files: not in the table,
    // the index, the free pages or the write-ahead log.
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).expect("dir").flatten() {
        let bytes = std::fs::read(entry.path()).expect("read");
        files += 1;
        for needle in ["änn.o", "ÄNN.O", "Änn.O", "ÄNN.o"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} is still in {}",
                entry.path().display()
            );
        }
    }
    assert!(files >= 1);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_shares_spent_solutions_and_sessions_and_erases_every_spelling() {
    let (url, name, admin) = fresh_postgres().await;
    spent_solutions(&url).await;
    shared_sessions(&url).await;
    let store = Store::open(&url).await.expect("opens");
    erasure_finds_every_spelling(&store).await;
    store.close().await;
    drop_postgres(&name, &admin).await;
}

// ------------------------------------------------------------------ issue 16: contacts

/// Leads become people: every spelling of one address is one contact, new leads join the
/// contact of earlier ones, a batch holding one person twice makes one contact, and two
/// collectors storing the same new person at once make one contact between them.
async fn contacts_are_people(url: &str) {
    let first = Store::open(url).await.expect("opens");
    let second = Store::open(url).await.expect("a second instance opens");
    let insert = |store: Store, n: usize, email: &'static str| async move {
        let id = format!("7c000000-0000-4000-8000-{n:012}");
        let raw = lead_body(
            &id,
            if n.is_multiple_of(2) { "ebook" } else { "quiz" },
            email,
        );
        let verdict = Verdict {
            email: Some(email.to_owned()),
            ..Verdict::default()
        };
        store
            .insert(&parse_lead(raw.as_bytes()).expect("lead"), &raw, &verdict)
            .await
            .expect("insert")
    };
    // At once, through both instances: the writers batch them, and race each other.
    let mut tasks = Vec::new();
    for (n, email) in [
        "Ada@Example.com",
        " ada@example.com",
        "ADA@EXAMPLE.COM\u{a0}",
        "bob@example.com",
        "ada@example.com",
        "Bob@Example.com",
    ]
    .into_iter()
    .enumerate()
    {
        let store = if n.is_multiple_of(2) {
            first.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(insert(store, n, email)));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), Inserted::New);
    }
    let contacts = first.contacts(10).await.expect("contacts");
    let mut counts: Vec<i64> = contacts.iter().map(|c| c.submissions).collect();
    counts.sort();
    assert_eq!(counts, [2, 4], "{contacts:?}");
    // A later lead joins its person.
    insert(first.clone(), 6, "bob@EXAMPLE.com").await;
    let listed = second.contacts(10).await.expect("contacts");
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (listed[0].submissions, listed[0].email.as_deref()),
        (3, Some("bob@EXAMPLE.com")),
        "the most recently active first, with its latest address"
    );
    let (row, leads) = second
        .contact(&listed[0].contact_id)
        .await
        .expect("contact")
        .expect("found");
    assert_eq!(row, listed[0]);
    assert_eq!(leads.len(), 3);
    assert!(second
        .contact("no-such-contact")
        .await
        .expect("lookup")
        .is_none());
    // A bot can type anyone's address: quarantined leads neither make a person nor
    // change one's row (count, address, last seen).
    for (n, email) in [(7, "victim@example.com"), (8, "BOB@EXAMPLE.COM")] {
        let id = format!("7c000000-0000-4000-8000-{n:012}");
        let raw = lead_body(&id, "ebook", email);
        let verdict = Verdict {
            email: Some(email.to_owned()),
            quarantine: vec!["honeypot_filled".into()],
            ..Verdict::default()
        };
        first
            .insert(&parse_lead(raw.as_bytes()).expect("lead"), &raw, &verdict)
            .await
            .expect("insert");
    }
    assert_eq!(
        second.contacts(10).await.expect("contacts"),
        listed,
        "unchanged by spam"
    );
    assert_eq!(
        first.erase_email("ada@example.com").await.expect("erase"),
        4
    );
    assert_eq!(first.contacts(10).await.expect("contacts").len(), 1);
    first.close().await;
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_contacts_are_people() {
    let dir = tempfile::tempdir().expect("temp dir");
    contacts_are_people(&format!(
        "sqlite://{}",
        dir.path().join("leads.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_contacts_are_people() {
    let (url, name, admin) = fresh_postgres().await;
    contacts_are_people(&url).await;
    drop_postgres(&name, &admin).await;
}

/// An erasure while the same person's leads arrive through another instance: each lead
/// lands wholly before the erasure (and is erased) or after it (and has its contact):
/// never a failed erasure, never a lead without its person.
async fn erasure_races_new_leads(url: &str) {
    let first = Store::open(url).await.expect("opens");
    let second = Store::open(url).await.expect("a second instance opens");
    for round in 0..25 {
        let mut tasks = Vec::new();
        for n in 0..3 {
            let store = second.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("7d000000-0000-4000-8000-{:012}", round * 10 + n);
                let raw = lead_body(&id, "ebook", "race@example.com");
                let verdict = Verdict {
                    email: Some("race@example.com".into()),
                    ..Verdict::default()
                };
                store
                    .insert(&parse_lead(raw.as_bytes()).expect("lead"), &raw, &verdict)
                    .await
                    .map(|_| ())
            }));
        }
        let erased = first.erase_email("RACE@example.com").await;
        assert!(erased.is_ok(), "round {round}: {erased:?}");
        for task in tasks {
            task.await.expect("task").expect("insert");
        }
        let stored = first.count().await.expect("count");
        let in_contacts: i64 = first
            .contacts(1000)
            .await
            .expect("contacts")
            .iter()
            .map(|c| c.submissions)
            .sum();
        assert_eq!(
            in_contacts, stored,
            "round {round}: every lead has its person"
        );
        first.erase_email("race@example.com").await.expect("erase");
    }
    first.close().await;
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_erasure_races_new_leads() {
    let dir = tempfile::tempdir().expect("temp dir");
    erasure_races_new_leads(&format!(
        "sqlite://{}",
        dir.path().join("leads.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_erasure_races_new_leads() {
    let (url, name, admin) = fresh_postgres().await;
    erasure_races_new_leads(&url).await;
    drop_postgres(&name, &admin).await;
}

/// A URL that names no file (an unset variable, `:memory:`) is refused with the fix, never
/// opened as a database that forgets every lead at exit.
#[tokio::test]
async fn an_in_memory_sqlite_url_is_refused() {
    for url in [
        "sqlite://",
        "sqlite::memory:",
        "sqlite://:memory:",
        "sqlite://x.db?mode=memory",
    ] {
        let err = Store::open(url).await.expect_err(url);
        assert!(
            err.contains("names no database file") && err.contains("sqlite://./data/leads.db"),
            "{url}: {err}"
        );
    }
}
