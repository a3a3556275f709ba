//! Leads in SQLite (WAL; the embedded default) or PostgreSQL (`DATABASE_URL=postgres://…`,
//! so several stateless collectors can share one database), through sqlx. Both run the
//! same statements (positional `$n` parameters, first used in order, which SQLite reads
//! too) and equivalent migrations: `migrations/` and `migrations-postgres/`.

use crate::spam::Spend;
use leadmagnet_core::scoring::Event;
use leadmagnet_core::LeadPayload;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{QueryBuilder, Row};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Where `DATABASE_URL` points when it is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/leads.db";

#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// New leads on their way to the writers.
    writes: mpsc::Sender<Pending>,
    /// Transactions the writers committed (see [`Store::commits`]).
    commits: Arc<AtomicU64>,
}

/// At most this many leads go into one transaction.
const MAX_BATCH: usize = 256;
/// Leads waiting for a writer; a full queue makes requests wait (backpressure).
const QUEUE: usize = 4096;

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to whichever pool the store has: the statements are the
/// same, the pool types differ.
macro_rules! with_pool {
    (pool $pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
    ($store:expr, |$p:ident| $body:expr) => {
        with_pool!(pool & $store.pool, |$p| $body)
    };
}

/// What binding a device came to ([`Store::bind_device`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// Tied to this person (now, or before).
    To(String),
    /// The lead it names is not stored (yet).
    NoSuchLead,
    /// The lead gives no consent for it, is not the person's latest, or was quarantined.
    Refused,
}

/// A contact as the store lists it (what it adds up to is the core's `Contact`), from its
/// leads that passed the spam checks.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRow {
    pub contact_id: String,
    /// The address of its latest submission.
    pub email: Option<String>,
    pub submissions: i64,
    /// When the collector received its first lead, and its latest.
    pub first_seen: String,
    pub last_seen: String,
    /// Where the person stands (`inquiry` until the account's model makes them an MQL).
    pub stage: String,
    pub mql_at: Option<String>,
    pub queue: Option<String>,
}

fn contact_row<R: Row>(row: &R) -> Result<ContactRow, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ContactRow {
        contact_id: row.try_get("contact_id")?,
        email: row.try_get("email")?,
        submissions: row.try_get("submissions")?,
        first_seen: row.try_get("first_seen")?,
        last_seen: row.try_get("last_seen")?,
        stage: row.try_get("stage")?,
        mql_at: row.try_get("mql_at")?,
        queue: row.try_get("queue")?,
    })
}

/// A notification of a hand-over, as queued with it.
#[derive(Debug, Clone)]
pub struct NewNotice {
    /// `webhook` or `email`.
    pub channel: &'static str,
    /// The URL, or the address.
    pub target: String,
    /// An email's subject.
    pub subject: Option<String>,
    pub body: String,
    /// A webhook's signing key's environment variable.
    pub secret_env: Option<String>,
}

/// A queued notification, due.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueNotice {
    pub id: i64,
    pub contact_id: String,
    pub channel: String,
    pub target: String,
    pub subject: Option<String>,
    pub body: String,
    pub secret_env: Option<String>,
    pub attempts: i64,
    pub next_at: i64,
}

/// Queues `notices` of `contact_id` in the transaction `tx` (either database's).
macro_rules! insert_notices {
    ($tx:expr, $contact_id:expr, $notices:expr) => {
        for n in $notices {
            sqlx::query(
                "INSERT INTO notifications (contact_id, channel, target, subject, body, secret_env)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind($contact_id)
            .bind(n.channel)
            .bind(&n.target)
            .bind(n.subject.as_deref())
            .bind(&n.body)
            .bind(n.secret_env.as_deref())
            .execute(&mut *$tx)
            .await?;
        }
    };
}

/// What happened to a lead handed to [`Store::insert`].
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Stored as a new row.
    New,
    /// The same `lead_id` with the same body was stored before: a retry, nothing written.
    Replay,
    /// The same `lead_id` was stored with a different body.
    Conflict,
}

/// A stored lead as `GET /api/v1/leads` returns it.
#[derive(Debug, serde::Serialize)]
pub struct StoredLead {
    pub lead_id: String,
    pub offer_id: String,
    pub submitted_at: String,
    pub received_at: String,
    /// The body exactly as received, byte for byte (with the browser's preliminary
    /// `score`): keys in the sender's order, numbers as written.
    pub payload: Box<serde_json::value::RawValue>,
    /// The same body read as a value, for the inbox and the CSV (not in the API answer).
    #[serde(skip)]
    pub parsed: serde_json::Value,
    /// The collector's score (offers with `scoring`).
    pub server_score: Option<serde_json::Value>,
    /// E.g. `score_mismatch`: the browser's score differs from the collector's.
    pub flags: Vec<String>,
    /// Why the lead is quarantined (`no_proof_of_work`, `honeypot_filled` …); `null` when
    /// it passed the spam checks.
    pub quarantine: Option<Vec<String>>,
    /// Server-side forwarding to CRMs and webhooks, per target.
    pub forwards: Vec<ForwardStatus>,
    /// The waterfall stage now, since when, and when the lead became an MQL.
    pub stage: String,
    pub stage_at: Option<String>,
    pub mql_at: Option<String>,
    /// When the SLA wants the MQL accepted, and whether that time has passed (filled in by
    /// the API from the offer's `scoring.mql.sla_hours`).
    pub sla_due_at: Option<String>,
    pub overdue: bool,
}

/// What the collector adds to a lead it stores.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The collector's score as JSON (`leadmagnet_core::Score`).
    pub server_score: Option<String>,
    pub flags: Vec<String>,
    /// The spam checks' reasons; empty when it passed them.
    pub quarantine: Vec<String>,
    /// Forwarding targets (index in the offer's `forward`, kind) queued with the lead, in
    /// its transaction; none for a quarantined lead.
    pub forwards: Vec<(i64, &'static str)>,
    /// The waterfall stage scoring puts the lead in (`inquiry` without scoring).
    pub stage: &'static str,
    /// When the collector received it (RFC 3339 UTC): the stage's time.
    pub at: String,
    /// The proof-of-work solution the lead spends, recorded in its transaction; a solution
    /// another lead spent before quarantines this one as `proof_of_work_reused`.
    pub spend: Option<Spend>,
    /// The email address as validation normalised it (the offer's email field).
    pub email: Option<String>,
}

/// What a stage move came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Moved {
    Done,
    NoSuchLead,
    /// Not an allowed move; the message says which are.
    Refused(String),
}

impl Default for Verdict {
    fn default() -> Verdict {
        Verdict {
            server_score: None,
            flags: Vec::new(),
            quarantine: Vec::new(),
            forwards: Vec::new(),
            stage: "inquiry",
            at: String::new(),
            spend: None,
            email: None,
        }
    }
}

/// One forwarding of a lead, as the list shows it.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct ForwardStatus {
    /// Index into the offer's `forward`.
    pub target: i64,
    pub kind: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// A forwarding that is due, with what sending it needs.
#[derive(Debug, Clone)]
pub struct DueForward {
    pub lead_id: String,
    pub target: i64,
    pub kind: String,
    pub attempts: i64,
    pub next_at: i64,
    pub offer_id: String,
    pub payload: String,
    pub server_score: Option<String>,
}

impl Store {
    /// Opens the database at `url` — `sqlite://path` (created if needed) or
    /// `postgres://user:password@host/db` — and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // A lock held elsewhere (a long migration, someone's manual transaction) must
            // end a statement as SQLite's busy timeout does — a 503 the widget retries —
            // not hold the request open indefinitely.
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| format!("DATABASE_URL {} is not a PostgreSQL URL: {e}", redact(url)))?
                .options([("lock_timeout", "5s")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(|e| format!("cannot open the database {}: {e}", redact(url)))?;
            sqlx::migrate!("./migrations-postgres")
                .run(&pool)
                .await
                .map_err(|e| format!("cannot migrate the database {}: {e}", redact(url)))?;
            let pool = Pool::Postgres(pool);
            backfill_email_keys(&pool)
                .await
                .map_err(|e| format!("cannot migrate the database {}: {e}", redact(url)))?;
            group_contacts(&pool)
                .await
                .map_err(|e| format!("cannot migrate the database {}: {e}", redact(url)))?;
            // Two writers: PostgreSQL commits their transactions side by side. Four took
            // fewer leads/s on this project's 2-core machine (docs/benchmarks.md): more
            // server processes competing for the cores, and smaller batches.
            return Ok(Store::start(pool, 2));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| {
                format!(
                    "DATABASE_URL `{url}` is neither a SQLite URL such as {DEFAULT_DATABASE_URL} nor postgres://…: {e}"
                )
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Erased leads are overwritten with zeros, not only unlinked (see erase_email).
            .pragma("secure_delete", "on")
            .busy_timeout(Duration::from_secs(5));
        let file = options.get_filename();
        // An in-memory database (an empty path, e.g. from an unset variable, or `:memory:`)
        // is one per connection and gone at exit: leads would be lost. Refused.
        let name = file.to_string_lossy();
        if name.is_empty() || url.contains(":memory:") || url.contains("mode=memory") {
            return Err(format!(
                "DATABASE_URL `{url}` names no database file (an in-memory database would lose every lead): use a path such as {DEFAULT_DATABASE_URL}"
            ));
        }
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the database folder {}: {e}", dir.display()))?;
        }
        // SQLite has one writer at a time: connections beyond a few only wait for its
        // lock in the busy handler's sleeps, which made the latency tail long (measured:
        // p99 202 ms with 8 connections under 32 concurrent clients).
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|e| format!("cannot open the database {url}: {e}"))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| format!("cannot migrate the database {url}: {e}"))?;
        let pool = Pool::Sqlite(pool);
        backfill_email_keys(&pool)
            .await
            .map_err(|e| format!("cannot migrate the database {url}: {e}"))?;
        group_contacts(&pool)
            .await
            .map_err(|e| format!("cannot migrate the database {url}: {e}"))?;
        // One writer: SQLite has one writer at a time anyway.
        Ok(Store::start(pool, 1))
    }

    /// The store on `pool`, with `writers` tasks storing new leads (see [`write_batches`]).
    fn start(pool: Pool, writers: usize) -> Store {
        let (writes, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        let commits = Arc::new(AtomicU64::new(0));
        for _ in 0..writers {
            tokio::spawn(write_batches(pool.clone(), queue.clone(), commits.clone()));
        }
        tokio::spawn(housekeeping(pool.clone()));
        Store {
            pool,
            writes,
            commits,
        }
    }

    /// How many transactions have stored new leads since the store opened; fewer than the
    /// leads when several arrived together (group commit).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Stores a lead, with its first stage row and its forwarding rows, in the same
    /// transaction, so a failure leaves nothing half-written. `raw` is the body as
    /// received; a replay must match it byte for byte.
    ///
    /// The write goes through the store's writers (see [`write_batches`]): leads that
    /// arrive while a transaction commits are stored together in the next one, and each
    /// is answered only after the commit that holds it.
    pub async fn insert(
        &self,
        lead: &LeadPayload,
        raw: &str,
        verdict: &Verdict,
    ) -> Result<Inserted, sqlx::Error> {
        let email = verdict.email.as_deref().map(without_nul);
        let row = NewLead {
            email_key: email.as_deref().map(leadmagnet_core::email::key),
            spend: verdict.spend.clone(),
            lead_id: lead.lead_id.clone(),
            offer_id: lead.offer_id.clone(),
            submitted_at: lead.submitted_at.clone(),
            email,
            page_url: without_nul(&lead.context.page_url),
            raw: raw.to_owned(),
            server_score: verdict.server_score.clone(),
            flags: serde_json::json!(verdict.flags).to_string(),
            quarantine: (!verdict.quarantine.is_empty())
                .then(|| serde_json::json!(verdict.quarantine).to_string()),
            stage: verdict.stage,
            at: verdict.at.clone(),
            forwards: verdict.forwards.clone(),
        };
        let (reply, answer) = oneshot::channel();
        let gone = || sqlx::Error::Io(std::io::Error::other("the lead writer has stopped"));
        self.writes
            .send(Pending { row, reply })
            .await
            .map_err(|_| gone())?;
        let stored = answer
            .await
            .map_err(|_| gone())?
            .map_err(|message| sqlx::Error::Io(std::io::Error::other(message)))?;
        if stored {
            return Ok(Inserted::New);
        }
        // Stored before (a retry), or by another request first (another collector
        // instance, or a race).
        Ok(self
            .stored_as(&lead.lead_id, raw)
            .await?
            .unwrap_or(Inserted::Conflict))
    }

    /// Whether `lead_id` is stored already: with this very body (`Replay`) or another
    /// (`Conflict`); `None` when it is not stored.
    pub async fn stored_as(
        &self,
        lead_id: &str,
        raw: &str,
    ) -> Result<Option<Inserted>, sqlx::Error> {
        let stored: Option<String> = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT payload FROM leads WHERE lead_id = $1"
        )
        .bind(lead_id)
        .fetch_optional(pool)
        .await?);
        Ok(stored.map(|s| {
            if s == raw {
                Inserted::Replay
            } else {
                Inserted::Conflict
            }
        }))
    }

    /// Stored leads, newest first.
    /// `quarantined`: only quarantined leads (`Some(true)`), only the others
    /// (`Some(false)`), or both.
    pub async fn list(
        &self,
        offer_id: Option<&str>,
        quarantined: Option<bool>,
        stage: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredLead>, sqlx::Error> {
        // `limit` as i64: PostgreSQL's LIMIT takes a bigint. Parameters are first used in
        // their numeric order: SQLite numbers `$n` by first appearance.
        let (rows, forwards) = with_pool!(self, |pool| {
            let rows = sqlx::query(
                "SELECT lead_id, offer_id, submitted_at, received_at, payload, server_score, flags,
                        quarantine, stage, stage_at, mql_at
                 FROM leads
                 WHERE ($1 IS NULL OR offer_id = $1)
                   AND ($2 IS NULL OR (quarantine IS NOT NULL) = $2)
                   AND ($3 IS NULL OR stage = $3)
                 ORDER BY seq DESC LIMIT $4",
            )
            .bind(offer_id)
            .bind(quarantined)
            .bind(stage)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            let mut leads = Vec::with_capacity(rows.len());
            for row in &rows {
                leads.push(stored_lead(row)?);
            }
            let forwards = sqlx::query(
                "SELECT lead_id, target, kind, status, attempts, last_error FROM forwards
                 WHERE lead_id IN (SELECT lead_id FROM leads
                                   WHERE ($1 IS NULL OR offer_id = $1)
                                     AND ($2 IS NULL OR (quarantine IS NOT NULL) = $2)
                                     AND ($3 IS NULL OR stage = $3)
                                   ORDER BY seq DESC LIMIT $4)
                 ORDER BY lead_id, target",
            )
            .bind(offer_id)
            .bind(quarantined)
            .bind(stage)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok::<_, sqlx::Error>((
                    row.try_get::<String, _>("lead_id")?,
                    ForwardStatus {
                        target: row.try_get("target")?,
                        kind: row.try_get("kind")?,
                        status: row.try_get("status")?,
                        attempts: row.try_get("attempts")?,
                        last_error: row.try_get("last_error")?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, _>>()?;
            (leads, forwards)
        });
        let mut leads = rows;
        for (lead_id, status) in forwards {
            if let Some(lead) = leads.iter_mut().find(|l| l.lead_id == lead_id) {
                lead.forwards.push(status);
            }
        }
        Ok(leads)
    }

    /// One stored lead, with its forwarding state.
    pub async fn lead(&self, lead_id: &str) -> Result<Option<StoredLead>, sqlx::Error> {
        let found = with_pool!(self, |pool| {
            let row = sqlx::query(
                "SELECT lead_id, offer_id, submitted_at, received_at, payload, server_score, flags,
                        quarantine, stage, stage_at, mql_at
                 FROM leads WHERE lead_id = $1",
            )
            .bind(lead_id)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let mut lead = stored_lead(&row)?;
            for row in sqlx::query(
                "SELECT target, kind, status, attempts, last_error FROM forwards
                 WHERE lead_id = $1 ORDER BY target",
            )
            .bind(lead_id)
            .fetch_all(pool)
            .await?
            {
                lead.forwards.push(ForwardStatus {
                    target: row.try_get("target")?,
                    kind: row.try_get("kind")?,
                    status: row.try_get("status")?,
                    attempts: row.try_get("attempts")?,
                    last_error: row.try_get("last_error")?,
                });
            }
            Some(lead)
        });
        Ok(found)
    }

    /// Contacts, the most recently active first: each with its latest address, how many
    /// submissions it has, and when it was first and last seen — from its leads that
    /// passed the spam checks only (a bot can type anyone's address: a contact of
    /// quarantined leads alone is not listed).
    pub async fn contacts(&self, limit: u32) -> Result<Vec<ContactRow>, sqlx::Error> {
        with_pool!(self, |pool| {
            let rows = sqlx::query(
                "SELECT c.contact_id, c.stage, c.mql_at, c.queue,
                        MIN(l.received_at) AS first_seen, COUNT(l.seq) AS submissions,
                        MAX(l.received_at) AS last_seen, MAX(l.seq) AS last_seq,
                        (SELECT e.email FROM leads e
                         WHERE e.email_key = c.email_key AND e.quarantine IS NULL
                         ORDER BY e.seq DESC LIMIT 1) AS email
                 FROM contacts c JOIN leads l ON l.email_key = c.email_key
                 WHERE l.quarantine IS NULL
                 GROUP BY c.contact_id, c.email_key, c.stage, c.mql_at, c.queue
                 ORDER BY last_seq DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            rows.iter().map(contact_row).collect()
        })
    }

    /// One contact with its submissions (stored leads, oldest first, the quarantined too,
    /// as evidence); `None` when there is no such contact or it has only quarantined leads.
    pub async fn contact(
        &self,
        contact_id: &str,
    ) -> Result<Option<(ContactRow, Vec<StoredLead>)>, sqlx::Error> {
        let found = with_pool!(self, |pool| {
            let row = sqlx::query(
                "SELECT c.contact_id, c.stage, c.mql_at, c.queue,
                        MIN(l.received_at) AS first_seen, COUNT(l.seq) AS submissions,
                        MAX(l.received_at) AS last_seen, MAX(l.seq) AS last_seq,
                        (SELECT e.email FROM leads e
                         WHERE e.email_key = c.email_key AND e.quarantine IS NULL
                         ORDER BY e.seq DESC LIMIT 1) AS email
                 FROM contacts c JOIN leads l ON l.email_key = c.email_key
                 WHERE c.contact_id = $1 AND l.quarantine IS NULL
                 GROUP BY c.contact_id, c.email_key, c.stage, c.mql_at, c.queue",
            )
            .bind(contact_id)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let contact = contact_row(&row)?;
            let rows = sqlx::query(
                "SELECT l.lead_id, l.offer_id, l.submitted_at, l.received_at, l.payload,
                        l.server_score, l.flags, l.quarantine, l.stage, l.stage_at, l.mql_at
                 FROM leads l JOIN contacts c ON l.email_key = c.email_key
                 WHERE c.contact_id = $1 ORDER BY l.seq",
            )
            .bind(contact_id)
            .fetch_all(pool)
            .await?;
            let mut leads = Vec::with_capacity(rows.len());
            for row in &rows {
                leads.push(stored_lead(row)?);
            }
            Some((contact, leads))
        });
        Ok(found)
    }

    /// The contact of an address (compared by its email key): its id and stage.
    pub async fn contact_of(&self, email: &str) -> Result<Option<(String, String)>, sqlx::Error> {
        let key = leadmagnet_core::email::key(email);
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT contact_id, stage FROM contacts WHERE email_key = $1"
        )
        .bind(key)
        .fetch_optional(pool)
        .await)
    }

    /// Records the MQL moment once: the contact moves from `inquiry` to `mql` with its
    /// queue and cause, and the notifications are queued, in one transaction. Only from
    /// `inquiry`: a second collector, a retry or a later lead finds it moved and records
    /// nothing. Returns whether this call made the move.
    pub async fn hand_over(
        &self,
        contact_id: &str,
        at: &str,
        queue: Option<&str>,
        cause: &str,
        notices: &[NewNotice],
    ) -> Result<bool, sqlx::Error> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let moved = sqlx::query(
                "UPDATE contacts SET stage = 'mql', stage_at = $1, mql_at = $1, queue = $2,
                        reminded_at = NULL
                 WHERE contact_id = $3 AND stage = 'inquiry'",
            )
            .bind(at)
            .bind(queue)
            .bind(contact_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !moved {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO contact_moves (contact_id, stage, cause, by_whom, at)
                 VALUES ($1, 'mql', $2, 'scoring', $3)",
            )
            .bind(contact_id)
            .bind(cause)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            insert_notices!(tx, contact_id, notices);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Moves a contact along the waterfall (`leadmagnet_core::waterfall`), recording who and
    /// why; only from the stage it is in now. Rejected and recycled to `inquiry`, the
    /// person can become an MQL again.
    pub async fn move_contact(
        &self,
        contact_id: &str,
        to: &str,
        reason: Option<&str>,
        by: &str,
        at: &str,
    ) -> Result<Moved, sqlx::Error> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let from: Option<String> =
                sqlx::query_scalar("SELECT stage FROM contacts WHERE contact_id = $1")
                    .bind(contact_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(from) = from else {
                return Ok(Moved::NoSuchLead);
            };
            if let Err(why) = leadmagnet_core::waterfall::check_move(&from, to, reason) {
                return Ok(Moved::Refused(why.replace("a lead in", "a person in")));
            }
            let changed = sqlx::query(
                "UPDATE contacts SET stage = $1, stage_at = $2,
                                     mql_at = CASE WHEN $1 = 'mql' THEN $2 ELSE mql_at END
                 WHERE contact_id = $3 AND stage = $4",
            )
            .bind(to)
            .bind(at)
            .bind(contact_id)
            .bind(&from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(Moved::Refused(format!(
                    "the person left \"{from}\" meanwhile; reload them"
                )));
            }
            sqlx::query(
                "INSERT INTO contact_moves (contact_id, stage, cause, by_whom, at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(contact_id)
            .bind(to)
            .bind(reason)
            .bind(by)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Moved::Done)
        })
    }

    /// Contacts still MQLs whose hand-over was before `mql_before` and who have had no
    /// reminder: (contact id, email, queue, mql_at).
    pub async fn overdue_mqls(
        &self,
        mql_before: &str,
    ) -> Result<Vec<(String, Option<String>, Option<String>, String)>, sqlx::Error> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT c.contact_id,
                    (SELECT e.email FROM leads e WHERE e.email_key = c.email_key
                     AND e.quarantine IS NULL ORDER BY e.seq DESC LIMIT 1),
                    c.queue, c.mql_at
             FROM contacts c
             WHERE c.stage = 'mql' AND c.reminded_at IS NULL AND c.mql_at < $1
             ORDER BY c.mql_at LIMIT 100"
        )
        .bind(mql_before)
        .fetch_all(pool)
        .await)
    }

    /// Queues the one SLA reminder of a contact (once: only while it has none), in one
    /// transaction with marking it reminded. Returns whether this call did.
    pub async fn remind(
        &self,
        contact_id: &str,
        at: &str,
        notices: &[NewNotice],
    ) -> Result<bool, sqlx::Error> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let marked = sqlx::query(
                "UPDATE contacts SET reminded_at = $1
                 WHERE contact_id = $2 AND stage = 'mql' AND reminded_at IS NULL",
            )
            .bind(at)
            .bind(contact_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !marked {
                return Ok(false);
            }
            insert_notices!(tx, contact_id, notices);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Whether the contact `contact_id` is in `stage` now.
    pub async fn contact_stage_is(
        &self,
        contact_id: &str,
        stage: &str,
    ) -> Result<bool, sqlx::Error> {
        let found: Option<String> = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT stage FROM contacts WHERE contact_id = $1"
        )
        .bind(contact_id)
        .fetch_optional(pool)
        .await)?;
        Ok(found.as_deref() == Some(stage))
    }

    /// The person a device id is tied to, if it is.
    pub async fn device_contact(&self, device_id: &str) -> Result<Option<String>, sqlx::Error> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT contact_id FROM devices WHERE device_id = $1"
        )
        .bind(device_id)
        .fetch_optional(pool)
        .await)
    }

    /// Ties a new device to the person of the lead `lead_id` it was made at, in one
    /// transaction, when that lead is the person's latest that passed the spam checks and
    /// `allows(payload)` (marketing consent without GPC); a device already tied keeps its
    /// person. The device's row is written first and the conditions checked after, so on
    /// SQLite the transaction holds the write lock throughout, and on PostgreSQL it takes the
    /// person's lock (as storing their leads and erasing them do): a withdrawal or an
    /// erasure comes wholly before the binding (which then finds the lead not the latest,
    /// or gone) or wholly after it (and unties or erases the device).
    pub async fn bind_device(
        &self,
        device_id: &str,
        lead_id: &str,
        at: &str,
        allows: impl Fn(&str) -> bool,
    ) -> Result<Bound, sqlx::Error> {
        let postgres = matches!(self.pool, Pool::Postgres(_));
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            // A write first: SQLite's write lock from here on (a transaction that read
            // first could not write after another's commit).
            sqlx::query(
                "INSERT INTO devices (device_id, contact_id, lead_id, created_at)
                 SELECT $1, c.contact_id, $2, $3
                 FROM leads l JOIN contacts c ON c.email_key = l.email_key
                 WHERE l.lead_id = $2
                 ON CONFLICT (device_id) DO NOTHING",
            )
            .bind(device_id)
            .bind(lead_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let key: Option<String> =
                sqlx::query_scalar("SELECT email_key FROM leads WHERE lead_id = $1")
                    .bind(lead_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(key) = key.filter(|k| !k.is_empty()) else {
                return Ok(Bound::NoSuchLead);
            };
            if postgres {
                // Whatever the person's other writers did before this lock, the checks
                // below see it; what they do after it waits for this commit.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
            }
            let tied: Option<(String, String)> =
                sqlx::query_as("SELECT contact_id, lead_id FROM devices WHERE device_id = $1")
                    .bind(device_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((contact_id, tied_lead)) = tied else {
                return Ok(Bound::Refused);
            };
            if tied_lead != lead_id {
                // Tied before, through another lead: it keeps its person.
                return Ok(Bound::To(contact_id));
            }
            let latest: Option<(String, String)> = sqlx::query_as(
                "SELECT lead_id, payload FROM leads
                 WHERE email_key = $1 AND quarantine IS NULL ORDER BY seq DESC LIMIT 1",
            )
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
            match latest {
                Some((latest_id, payload)) if latest_id == lead_id && allows(&payload) => {
                    tx.commit().await?;
                    Ok(Bound::To(contact_id))
                }
                // Dropped with the transaction: nothing of the device stays.
                _ => Ok(Bound::Refused),
            }
        })
    }

    /// Unties every device of the person of `email` (their latest lead withdrew marketing
    /// consent), under the person's lock on PostgreSQL (see [`Store::bind_device`]): what
    /// those browsers send from now on is refused. Returns how many.
    pub async fn drop_devices_of(&self, email: &str) -> Result<u64, sqlx::Error> {
        let key = leadmagnet_core::email::key(email);
        let postgres = matches!(self.pool, Pool::Postgres(_));
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
            }
            let dropped = sqlx::query(
                "DELETE FROM devices WHERE contact_id IN
                 (SELECT contact_id FROM contacts WHERE email_key = $1)",
            )
            .bind(&key)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(dropped)
        })
    }

    /// Adds the events a device sent to its person in one transaction, each once: an event
    /// already stored (same type, time, page and offer) keeps the larger seconds and
    /// scroll depth. Returns the person, or `None` when the device is no longer tied to one
    /// (an erasure or a withdrawal came first). The transaction starts by writing the
    /// device's row: PostgreSQL locks it (an erasure waits for this transaction, or this
    /// one finds the device gone) and SQLite takes its write lock at once (a transaction
    /// that read first could not write after another's commit: "database is locked").
    pub async fn add_events(
        &self,
        device_id: &str,
        events: &[Event],
        received_at: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let contact: Option<String> = sqlx::query_scalar(
                "UPDATE devices SET last_seen_at = $1 WHERE device_id = $2 RETURNING contact_id",
            )
            .bind(received_at)
            .bind(device_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(contact_id) = contact else {
                return Ok(None);
            };
            for e in events {
                sqlx::query(
                    "INSERT INTO contact_events
                        (contact_id, kind, at, url, offer_id, seconds, scroll_percent, received_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (contact_id, kind, at, url, offer_id) DO UPDATE SET
                        seconds = CASE WHEN contact_events.seconds IS NULL
                            OR excluded.seconds > contact_events.seconds
                            THEN excluded.seconds ELSE contact_events.seconds END,
                        scroll_percent = CASE WHEN contact_events.scroll_percent IS NULL
                            OR excluded.scroll_percent > contact_events.scroll_percent
                            THEN excluded.scroll_percent ELSE contact_events.scroll_percent END,
                        received_at = excluded.received_at",
                )
                .bind(&contact_id)
                .bind(&e.kind)
                .bind(&e.at)
                .bind(e.url.as_deref().unwrap_or(""))
                .bind(e.offer_id.as_deref().unwrap_or(""))
                .bind(e.seconds)
                .bind(e.scroll_percent)
                .bind(received_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(Some(contact_id))
        })
    }

    /// Adds one page view's counts of offers (`(offer_id, variant, events)`, variant `""`
    /// without one) under `day`, all in one transaction: a batch counts whole or not at
    /// all.
    pub async fn add_counts(
        &self,
        day: &str,
        offers: &[(String, String, Vec<String>)],
    ) -> Result<(), sqlx::Error> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (offer_id, variant, events) in offers {
                for event in events {
                    sqlx::query(
                        "INSERT INTO offer_counts (offer_id, variant, day, event, count)
                         VALUES ($1, $2, $3, $4, 1)
                         ON CONFLICT (offer_id, variant, day, event)
                         DO UPDATE SET count = offer_counts.count + 1",
                    )
                    .bind(offer_id)
                    .bind(variant)
                    .bind(day)
                    .bind(event)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await
        })
    }

    /// The studio's versions of an offer file, newest first: (version, at, author, text).
    pub async fn offer_versions(
        &self,
        file: &str,
    ) -> Result<Vec<(i64, String, String, String)>, sqlx::Error> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT version, at, author, text FROM offer_versions WHERE file = $1
             ORDER BY version DESC"
        )
        .bind(file)
        .fetch_all(pool)
        .await)
    }

    /// Records version `version` of `file`, unless another writer recorded that version
    /// first: `Ok(false)` then (the caller answers 409 and writes no file).
    pub async fn add_offer_version(
        &self,
        file: &str,
        version: i64,
        at: &str,
        author: &str,
        text: &str,
    ) -> Result<bool, sqlx::Error> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "INSERT INTO offer_versions (file, version, at, author, text)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(file)
            .bind(version)
            .bind(at)
            .bind(author)
            .bind(text)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Forgets version `version` of `file`, and only it: a publish whose file could not be
    /// written takes back what it recorded, so the history lists only what went live.
    pub async fn drop_offer_version(&self, file: &str, version: i64) -> Result<(), sqlx::Error> {
        with_pool!(self, |pool| sqlx::query(
            "DELETE FROM offer_versions WHERE file = $1 AND version = $2"
        )
        .bind(file)
        .bind(version)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Every count of an offer (`analytics::Row`s), by day, variant and event.
    pub async fn offer_counts(
        &self,
        offer_id: &str,
    ) -> Result<Vec<leadmagnet_core::analytics::Row>, sqlx::Error> {
        let rows: Vec<(String, String, String, i64)> = with_pool!(self, |pool| sqlx::query_as(
            "SELECT variant, day, event, count FROM offer_counts WHERE offer_id = $1
             ORDER BY day, variant, event"
        )
        .bind(offer_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(variant, day, event, count)| leadmagnet_core::analytics::Row {
                    variant,
                    day,
                    event,
                    count,
                },
            )
            .collect())
    }

    /// The newest `limit` events a person's browsers sent after their submissions, oldest
    /// first: what re-scoring reads (bounded, whatever the person's history).
    pub async fn contact_events(
        &self,
        contact_id: &str,
        limit: usize,
    ) -> Result<Vec<Event>, sqlx::Error> {
        type Row = (String, String, String, String, Option<f64>, Option<f64>);
        let rows: Vec<Row> = with_pool!(self, |pool| sqlx::query_as(
            "SELECT kind, at, url, offer_id, seconds, scroll_percent FROM contact_events
             WHERE contact_id = $1 ORDER BY at DESC LIMIT $2"
        )
        .bind(contact_id)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .rev()
            .map(|(kind, at, url, offer_id, seconds, scroll_percent)| Event {
                kind,
                at,
                url: (!url.is_empty()).then_some(url),
                offer_id: (!offer_id.is_empty()).then_some(offer_id),
                seconds,
                scroll_percent,
            })
            .collect())
    }

    /// A contact's moves, oldest first: (stage, cause, by, at).
    pub async fn contact_moves(
        &self,
        contact_id: &str,
    ) -> Result<Vec<(String, Option<String>, String, String)>, sqlx::Error> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT stage, cause, by_whom, at FROM contact_moves WHERE contact_id = $1 ORDER BY at"
        )
        .bind(contact_id)
        .fetch_all(pool)
        .await)
    }

    /// Notifications due at `now_ms`, oldest first.
    pub async fn due_notices(&self, now_ms: i64, max: i64) -> Result<Vec<DueNotice>, sqlx::Error> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT id, contact_id, channel, target, subject, body, secret_env, attempts, next_at
             FROM notifications WHERE status = 'pending' AND next_at <= $1
             ORDER BY id LIMIT $2"
        )
        .bind(now_ms)
        .bind(max)
        .fetch_all(pool)
        .await)
    }

    /// Takes a due notification for one attempt (until `lease_until_ms`); `false` when
    /// another collector took it first.
    pub async fn claim_notice(
        &self,
        due: &DueNotice,
        lease_until_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        with_pool!(self, |pool| Ok(sqlx::query(
            "UPDATE notifications SET next_at = $1
             WHERE id = $2 AND status = 'pending' AND next_at = $3",
        )
        .bind(lease_until_ms)
        .bind(due.id)
        .bind(due.next_at)
        .execute(pool)
        .await?
        .rows_affected()
            == 1))
    }

    /// Records an attempt's outcome: `sent`, `failed`, or `pending` again at `next_at_ms`.
    pub async fn record_notice(
        &self,
        due: &DueNotice,
        status: &str,
        next_at_ms: i64,
        error: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE notifications SET status = $1, attempts = $2, next_at = $3, last_error = $4
             WHERE id = $5",
        )
        .bind(status)
        .bind(due.attempts + 1)
        .bind(next_at_ms)
        .bind(error)
        .bind(due.id)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Forwardings due at `now_ms` (pending, their time come), oldest first.
    pub async fn due_forwards(
        &self,
        now_ms: i64,
        max: i64,
    ) -> Result<Vec<DueForward>, sqlx::Error> {
        with_pool!(self, |pool| {
            let rows = sqlx::query(
                "SELECT f.lead_id, f.target, f.kind, f.attempts, f.next_at, l.offer_id, l.payload,
                        l.server_score
                 FROM forwards f JOIN leads l ON l.lead_id = f.lead_id
                 WHERE f.status = 'pending' AND f.next_at <= $1
                 ORDER BY f.next_at LIMIT $2",
            )
            .bind(now_ms)
            .bind(max)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(DueForward {
                        lead_id: row.try_get("lead_id")?,
                        target: row.try_get("target")?,
                        kind: row.try_get("kind")?,
                        attempts: row.try_get("attempts")?,
                        next_at: row.try_get("next_at")?,
                        offer_id: row.try_get("offer_id")?,
                        payload: row.try_get("payload")?,
                        server_score: row.try_get("server_score")?,
                    })
                })
                .collect()
        })
    }

    /// Takes a due forwarding for this sender until `lease_until_ms` (so another collector
    /// sharing the database does not send it too); false when someone else took it.
    pub async fn claim_forward(
        &self,
        due: &DueForward,
        lease_until_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        with_pool!(self, |pool| Ok(sqlx::query(
            "UPDATE forwards SET next_at = $1
             WHERE lead_id = $2 AND target = $3 AND status = 'pending' AND next_at = $4",
        )
        .bind(lease_until_ms)
        .bind(&due.lead_id)
        .bind(due.target)
        .bind(due.next_at)
        .execute(pool)
        .await?
        .rows_affected()
            == 1))
    }

    /// Records an attempt's outcome: `sent`, `failed`, or `pending` again at `next_at_ms`.
    pub async fn record_forward(
        &self,
        due: &DueForward,
        status: &str,
        next_at_ms: i64,
        error: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE forwards SET status = $1, attempts = $2, next_at = $3, last_error = $4
             WHERE lead_id = $5 AND target = $6",
        )
        .bind(status)
        .bind(due.attempts + 1)
        .bind(next_at_ms)
        .bind(error)
        .bind(&due.lead_id)
        .bind(due.target)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Moves a lead along the waterfall (see `leadmagnet_core::waterfall`), recording who
    /// and why; only from the stage it is in now (a concurrent move makes this one refused).
    pub async fn move_stage(
        &self,
        lead_id: &str,
        to: &str,
        reason: Option<&str>,
        by: &str,
        at: &str,
    ) -> Result<Moved, sqlx::Error> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let from: Option<String> =
                sqlx::query_scalar("SELECT stage FROM leads WHERE lead_id = $1")
                    .bind(lead_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(from) = from else {
                return Ok(Moved::NoSuchLead);
            };
            if let Err(why) = leadmagnet_core::waterfall::check_move(&from, to, reason) {
                return Ok(Moved::Refused(why));
            }
            let changed = sqlx::query(
                "UPDATE leads SET stage = $1, stage_at = $2,
                                  mql_at = CASE WHEN $1 = 'mql' THEN $2 ELSE mql_at END
                 WHERE lead_id = $3 AND stage = $4",
            )
            .bind(to)
            .bind(at)
            .bind(lead_id)
            .bind(&from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(Moved::Refused(format!(
                    "the lead left \"{from}\" meanwhile; reload it"
                )));
            }
            sqlx::query(
                "INSERT INTO stage_changes (lead_id, stage, reason, by_whom, at, lead_seq)
                 SELECT $1, $2, $3, $4, $5, seq FROM leads WHERE lead_id = $1",
            )
            .bind(lead_id)
            .bind(to)
            .bind(reason)
            .bind(by)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Moved::Done)
        })
    }

    /// A lead's stage moves, oldest first: (stage, reason, by, at).
    pub async fn stage_history(
        &self,
        lead_id: &str,
    ) -> Result<Vec<(String, Option<String>, String, String)>, sqlx::Error> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT stage, reason, by_whom, at FROM stage_changes
             WHERE lead_seq = (SELECT seq FROM leads WHERE lead_id = $1)
             ORDER BY at, stage",
            )
            .bind(lead_id)
            .fetch_all(pool)
            .await
        })
    }

    /// How many leads (of `offer_id`, or all) ever reached each stage.
    pub async fn stage_counts(
        &self,
        offer_id: Option<&str>,
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT c.stage, COUNT(DISTINCT c.lead_seq) FROM stage_changes c
             JOIN leads l ON l.seq = c.lead_seq
             WHERE $1 IS NULL OR l.offer_id = $1
             GROUP BY c.stage"
        )
        .bind(offer_id)
        .fetch_all(pool)
        .await)
    }

    /// Erases every lead of the person with address `email` — compared by
    /// [`leadmagnet_core::email::key`], so surrounding white space and letter case (any
    /// script) do not hide a lead — with its forwarding and stage rows, in one transaction;
    /// returns how many leads went.
    ///
    /// SQLite overwrites what it deletes (`secure_delete`), and the write-ahead log is
    /// checkpointed and truncated afterwards, so the address is in neither file. PostgreSQL
    /// marks the rows dead; their bytes stay in the table's pages until `VACUUM` reuses
    /// them and in its WAL until recycled (README, "Erasure").
    pub async fn erase_email(&self, email: &str) -> Result<u64, sqlx::Error> {
        let key = leadmagnet_core::email::key(email);
        // Rows without a key yet (written by an older collector during a rolling upgrade)
        // get theirs first, so they are found too.
        backfill_email_keys(&self.pool).await?;
        let postgres = matches!(self.pool, Pool::Postgres(_));
        let erased = with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if postgres {
                // The person's lock (see `write_batch_postgres`): leads of this address
                // that are being stored commit before the erasure starts, or after it.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
            }
            for erase in [
                "DELETE FROM forwards WHERE lead_id IN
                 (SELECT lead_id FROM leads WHERE email_key = $1)",
                "DELETE FROM stage_changes WHERE lead_seq IN
                 (SELECT seq FROM leads WHERE email_key = $1)",
            ] {
                sqlx::query(erase).bind(&key).execute(&mut *tx).await?;
            }
            for erase in [
                "DELETE FROM contact_moves WHERE contact_id IN
                 (SELECT contact_id FROM contacts WHERE email_key = $1)",
                "DELETE FROM notifications WHERE contact_id IN
                 (SELECT contact_id FROM contacts WHERE email_key = $1)",
                // Devices first: a batch being stored holds its device's row, so this
                // waits for it, and the events it stored are then deleted too (or the
                // batch finds its device gone and stores nothing).
                "DELETE FROM devices WHERE contact_id IN
                 (SELECT contact_id FROM contacts WHERE email_key = $1)",
                "DELETE FROM contact_events WHERE contact_id IN
                 (SELECT contact_id FROM contacts WHERE email_key = $1)",
            ] {
                sqlx::query(erase).bind(&key).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM contacts WHERE email_key = $1")
                .bind(&key)
                .execute(&mut *tx)
                .await?;
            let erased = sqlx::query("DELETE FROM leads WHERE email_key = $1")
                .bind(&key)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            erased
        });
        if let Pool::Sqlite(pool) = &self.pool {
            // The log still holds the pages as they were before the erasure (and the
            // lead's insert): copy them into the database file, then empty the log.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        Ok(erased)
    }

    /// Starts an inbox session: `id_sha256` is the SHA-256 of the cookie's value.
    pub async fn start_session(
        &self,
        id_sha256: &str,
        user: &str,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        with_pool!(self, |pool| sqlx::query(
            "INSERT INTO sessions (id_sha256, user_name, csrf, expires_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(id_sha256)
        .bind(user)
        .bind(csrf)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// A live session's (CSRF token, user).
    pub async fn session(
        &self,
        id_sha256: &str,
        now_s: i64,
    ) -> Result<Option<(String, String)>, sqlx::Error> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT csrf, user_name FROM sessions WHERE id_sha256 = $1 AND expires_at > $2"
        )
        .bind(id_sha256)
        .bind(now_s)
        .fetch_optional(pool)
        .await)
    }

    /// Ends a session (logout).
    pub async fn end_session(&self, id_sha256: &str) -> Result<(), sqlx::Error> {
        with_pool!(self, |pool| sqlx::query(
            "DELETE FROM sessions WHERE id_sha256 = $1"
        )
        .bind(id_sha256)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Drops expired sessions and the records of solutions whose challenge has expired
    /// (those are refused as expired anyway); returns how many rows went.
    pub async fn purge_expired(&self, now_s: i64) -> Result<u64, sqlx::Error> {
        purge_expired(&self.pool, now_s).await
    }

    /// Number of stored leads (for tests and the start-up banner).
    pub async fn count(&self) -> Result<i64, sqlx::Error> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM leads"
        )
        .fetch_one(pool)
        .await)
    }

    /// Closes every connection; later queries fail (as a database that went away does).
    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await);
    }
}

/// Every ten minutes, [`purge_expired`]; ends when the pool is closed.
async fn housekeeping(pool: Pool) {
    let period = Duration::from_secs(600);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tick.tick().await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        match purge_expired(&pool, now).await {
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => {
                tracing::warn!(error = %e, "clean-up of expired sessions and solutions failed")
            }
            Ok(_) => {}
        }
        // Leads an older collector stored during a rolling upgrade (no email key, no
        // contact) join their person without waiting for a restart.
        let grouped = match backfill_email_keys(&pool).await {
            Ok(()) => group_contacts(&pool).await,
            Err(e) => Err(e),
        };
        match grouped {
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => tracing::warn!(error = %e, "grouping leads into contacts failed"),
            Ok(()) => {}
        }
    }
}

async fn purge_expired(pool: &Pool, now_s: i64) -> Result<u64, sqlx::Error> {
    with_pool!(pool pool, |pool| {
        let mut gone = 0;
        for purge in [
            "DELETE FROM spent_solutions WHERE expires_at < $1",
            "DELETE FROM sessions WHERE expires_at <= $1",
        ] {
            gone += sqlx::query(purge)
                .bind(now_s)
                .execute(pool)
                .await?
                .rows_affected();
        }
        Ok(gone)
    })
}

/// Gives rows stored before migration 0008 their `email_key`, computed by the core's rule
/// (SQL's `lower` knows only ASCII on SQLite), a thousand at a time.
async fn backfill_email_keys(pool: &Pool) -> Result<(), sqlx::Error> {
    loop {
        let rows: Vec<(i64, String)> = with_pool!(pool pool, |p| sqlx::query_as(
            "SELECT seq, email FROM leads WHERE email_key IS NULL AND email IS NOT NULL
             ORDER BY seq LIMIT 1000"
        )
        .fetch_all(p)
        .await?);
        if rows.is_empty() {
            return Ok(());
        }
        with_pool!(pool pool, |p| {
            let mut tx = p.begin().await?;
            for (seq, email) in &rows {
                sqlx::query("UPDATE leads SET email_key = $1 WHERE seq = $2")
                    .bind(leadmagnet_core::email::key(email))
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
    }
}

/// The contacts the fresh rows may need: one per email key (the first lead's time as the
/// contact's), each with a new id; the insert keeps a contact that exists already.
fn new_contacts<'a>(
    fresh: &[(&'a NewLead, i64)],
) -> Result<Vec<(String, &'a str, &'a str)>, sqlx::Error> {
    let mut seen = HashSet::new();
    let mut contacts = Vec::new();
    for (lead, _) in fresh {
        if let Some(key) = lead.email_key.as_deref() {
            if seen.insert(key) {
                contacts.push((new_contact_id()?, key, lead.at.as_str()));
            }
        }
    }
    Ok(contacts)
}

/// A contact id: a UUID v7 (time-ordered, as lead ids are), not derived from the address.
fn new_contact_id() -> Result<String, sqlx::Error> {
    let mut random = [0u8; 10];
    getrandom::fill(&mut random)
        .map_err(|e| sqlx::Error::Io(std::io::Error::other(e.to_string())))?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Ok(leadmagnet_core::payload::new_lead_id(now_ms, random))
}

/// Groups leads that have an email key but no contact yet into contacts: rows stored
/// before migration 0010, or by an older collector during a rolling upgrade. Runs when
/// the store opens, after [`backfill_email_keys`]; idempotent, and safe beside another
/// instance doing the same (the insert keeps the first contact for a key).
async fn group_contacts(pool: &Pool) -> Result<(), sqlx::Error> {
    loop {
        let keys: Vec<(String, String)> = with_pool!(pool pool, |p| sqlx::query_as(
            "SELECT l.email_key, MIN(l.received_at) FROM leads l
             WHERE l.email_key IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.email_key = l.email_key)
             GROUP BY l.email_key ORDER BY l.email_key LIMIT 1000"
        )
        .fetch_all(p)
        .await?);
        if keys.is_empty() {
            return Ok(());
        }
        with_pool!(pool pool, |p| {
            let mut tx = p.begin().await?;
            for (key, at) in &keys {
                sqlx::query(
                    "INSERT INTO contacts (contact_id, email_key, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (email_key) DO NOTHING",
                )
                .bind(new_contact_id()?)
                .bind(key)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
    }
}

/// PostgreSQL: locks each person (email key) of `$1`, in the array's order, until the
/// transaction ends.
const PERSON_LOCKS: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM UNNEST($1::text[]) AS k";

/// A new lead as the writers store it.
#[derive(Debug)]
struct NewLead {
    lead_id: String,
    offer_id: String,
    submitted_at: String,
    email: Option<String>,
    email_key: Option<String>,
    spend: Option<Spend>,
    page_url: String,
    raw: String,
    server_score: Option<String>,
    flags: String,
    quarantine: Option<String>,
    stage: &'static str,
    at: String,
    forwards: Vec<(i64, &'static str)>,
}

/// A lead waiting for a writer, and where to say whether it became a new row.
#[derive(Debug)]
struct Pending {
    row: NewLead,
    reply: oneshot::Sender<Result<bool, String>>,
}

/// Group commit: a writer takes every lead that is waiting (up to [`MAX_BATCH`]) and
/// stores them in one transaction, so one disk sync covers them all instead of one each —
/// with SQLite's single writer that sync was the ceiling (about 1,600 leads/s). Nobody is
/// answered before the commit holding their lead; if it fails, every lead in it is
/// answered with the error (503, and the widget's outbox retries), and none is stored.
/// A writer ends when the store and every clone of it are gone.
async fn write_batches(
    pool: Pool,
    queue: Arc<Mutex<mpsc::Receiver<Pending>>>,
    commits: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // Only the waiting is under the lock: another writer can take the next batch
        // while this one commits.
        if queue.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        match write_batch(&pool, &batch).await {
            Ok(stored) => {
                commits.fetch_add(1, Ordering::Relaxed);
                for (pending, stored) in batch.drain(..).zip(stored) {
                    let _ = pending.reply.send(Ok(stored));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for pending in batch.drain(..) {
                    let _ = pending.reply.send(Err(message.clone()));
                }
            }
        }
    }
}

/// Stores `batch` in one transaction; says for each lead whether it became a new row
/// (`false`: its `lead_id` was stored already, or earlier in the batch). Three statements
/// whatever the batch's size: a statement per row made the hand-overs to SQLite's worker
/// thread, and the round trips to PostgreSQL, the cost.
async fn write_batch(pool: &Pool, batch: &[Pending]) -> Result<Vec<bool>, sqlx::Error> {
    let rows: Vec<&NewLead> = batch.iter().map(|p| &p.row).collect();
    match pool {
        Pool::Sqlite(pool) => write_batch_sqlite(pool, &rows).await,
        Pool::Postgres(pool) => write_batch_postgres(pool, &rows).await,
    }
}

/// SQLite: multi-row `VALUES`.
async fn write_batch_sqlite(
    pool: &SqlitePool,
    rows: &[&NewLead],
) -> Result<Vec<bool>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let spends: Vec<(&Spend, &str)> = rows
        .iter()
        .filter_map(|r| Some((r.spend.as_ref()?, r.lead_id.as_str())))
        .collect();
    let mut spenders = HashMap::new();
    if !spends.is_empty() {
        let mut spend =
            QueryBuilder::new("INSERT INTO spent_solutions (signature, lead_id, expires_at) ");
        spend.push_values(&spends, |mut row, (s, lead_id)| {
            row.push_bind(&s.signature)
                .push_bind(*lead_id)
                .push_bind(i64::try_from(s.expires).unwrap_or(i64::MAX));
        });
        spend.push(" ON CONFLICT (signature) DO NOTHING");
        spend.build().persistent(false).execute(&mut *tx).await?;
        let mut owners = QueryBuilder::new(
            "SELECT signature, lead_id FROM spent_solutions WHERE signature IN (",
        );
        let mut list = owners.separated(", ");
        for (s, _) in &spends {
            list.push_bind(&s.signature);
        }
        owners.push(")");
        spenders = owners
            .build_query_as::<(String, String)>()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    }
    let effective: Vec<Effective> = rows.iter().map(|r| effective(r, &spenders)).collect();
    let mut leads = QueryBuilder::new(
        "INSERT INTO leads (lead_id, offer_id, submitted_at, email, email_key, page_url, payload,
                                server_score, flags, quarantine, stage, stage_at, mql_at) ",
    );
    leads.push_values(rows.iter().zip(&effective), |mut row, (lead, effective)| {
        row.push_bind(&lead.lead_id)
            .push_bind(&lead.offer_id)
            .push_bind(&lead.submitted_at)
            .push_bind(lead.email.as_deref())
            .push_bind(lead.email_key.as_deref())
            .push_bind(&lead.page_url)
            .push_bind(&lead.raw)
            .push_bind(lead.server_score.as_deref())
            .push_bind(&lead.flags)
            .push_bind(effective.quarantine.as_deref())
            .push_bind(lead.stage)
            .push_bind(&lead.at)
            .push_bind((lead.stage == "mql").then_some(lead.at.as_str()));
    });
    leads.push(" ON CONFLICT (lead_id) DO NOTHING RETURNING lead_id, seq");
    let new: HashMap<String, i64> = leads
        .build_query_as()
        .persistent(false)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let (stored, fresh) = new_rows(rows, &new);
    let fresh_forwarded = forwarded(rows, &effective, &fresh);
    if !fresh.is_empty() {
        let mut stages =
            QueryBuilder::new("INSERT INTO stage_changes (lead_id, lead_seq, stage, by_whom, at) ");
        stages.push_values(&fresh, |mut row, (lead, seq)| {
            row.push_bind(&lead.lead_id)
                .push_bind(*seq)
                .push_bind(lead.stage)
                .push_bind("scoring")
                .push_bind(&lead.at);
        });
        stages.build().persistent(false).execute(&mut *tx).await?;
    }
    let forwards = forward_rows(&fresh_forwarded);
    if !forwards.is_empty() {
        let mut due = QueryBuilder::new("INSERT INTO forwards (lead_id, target, kind, next_at) ");
        due.push_values(&forwards, |mut row, (lead_id, target, kind)| {
            row.push_bind(*lead_id)
                .push_bind(*target)
                .push_bind(*kind)
                .push_bind(0i64);
        });
        due.build().persistent(false).execute(&mut *tx).await?;
    }
    let contacts = new_contacts(&fresh)?;
    if !contacts.is_empty() {
        let mut people =
            QueryBuilder::new("INSERT INTO contacts (contact_id, email_key, created_at) ");
        people.push_values(&contacts, |mut row, (id, key, at)| {
            row.push_bind(id).push_bind(*key).push_bind(*at);
        });
        people.push(" ON CONFLICT (email_key) DO NOTHING");
        people.build().persistent(false).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(stored)
}

/// PostgreSQL: the batch as arrays, through `UNNEST`, so each statement's text stays the
/// same and is prepared once (a `VALUES` list per batch size measured 30% slower).
async fn write_batch_postgres(pool: &PgPool, rows: &[&NewLead]) -> Result<Vec<bool>, sqlx::Error> {
    let texts = |f: fn(&NewLead) -> &str| rows.iter().map(|r| f(r).to_owned()).collect::<Vec<_>>();
    let options = |f: fn(&NewLead) -> Option<&str>| {
        rows.iter()
            .map(|r| f(r).map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let mut tx = pool.begin().await?;
    // The people of this batch, locked until it commits (in one order, so writers never
    // wait on each other in a circle): an erasure of one of them waits for this batch, or
    // this batch for it, so a lead never lands half inside an erasure (SQLite has one
    // writer at a time anyway).
    let mut keys: Vec<String> = rows.iter().filter_map(|r| r.email_key.clone()).collect();
    keys.sort();
    keys.dedup();
    if !keys.is_empty() {
        sqlx::query(PERSON_LOCKS)
            .bind(&keys)
            .execute(&mut *tx)
            .await?;
    }
    let spends: Vec<(&Spend, &str)> = rows
        .iter()
        .filter_map(|r| Some((r.spend.as_ref()?, r.lead_id.as_str())))
        .collect();
    let mut spenders = HashMap::new();
    if !spends.is_empty() {
        let signatures: Vec<String> = spends.iter().map(|(s, _)| s.signature.clone()).collect();
        sqlx::query(
            "INSERT INTO spent_solutions (signature, lead_id, expires_at)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[])
             ON CONFLICT (signature) DO NOTHING",
        )
        .bind(&signatures)
        .bind(
            spends
                .iter()
                .map(|(_, l)| (*l).to_owned())
                .collect::<Vec<_>>(),
        )
        .bind(
            spends
                .iter()
                .map(|(s, _)| i64::try_from(s.expires).unwrap_or(i64::MAX))
                .collect::<Vec<_>>(),
        )
        .execute(&mut *tx)
        .await?;
        spenders = sqlx::query_as::<_, (String, String)>(
            "SELECT signature, lead_id FROM spent_solutions WHERE signature = ANY($1)",
        )
        .bind(&signatures)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    }
    let effective: Vec<Effective> = rows.iter().map(|r| effective(r, &spenders)).collect();
    let new: HashMap<String, i64> = sqlx::query_as(
        "INSERT INTO leads (lead_id, offer_id, submitted_at, email, email_key, page_url, payload,
                            server_score, flags, quarantine, stage, stage_at, mql_at)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                              $11::text[], $12::text[], $13::text[])
         ON CONFLICT (lead_id) DO NOTHING
         RETURNING lead_id, seq",
    )
    .bind(texts(|r| &r.lead_id))
    .bind(texts(|r| &r.offer_id))
    .bind(texts(|r| &r.submitted_at))
    .bind(options(|r| r.email.as_deref()))
    .bind(options(|r| r.email_key.as_deref()))
    .bind(texts(|r| &r.page_url))
    .bind(texts(|r| &r.raw))
    .bind(options(|r| r.server_score.as_deref()))
    .bind(texts(|r| &r.flags))
    .bind(
        effective
            .iter()
            .map(|e| e.quarantine.clone())
            .collect::<Vec<_>>(),
    )
    .bind(texts(|r| r.stage))
    .bind(texts(|r| &r.at))
    .bind(options(|r| (r.stage == "mql").then_some(r.at.as_str())))
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let (stored, fresh) = new_rows(rows, &new);
    let fresh_forwarded = forwarded(rows, &effective, &fresh);
    if !fresh.is_empty() {
        sqlx::query(
            "INSERT INTO stage_changes (lead_id, lead_seq, stage, by_whom, at)
             SELECT lead_id, lead_seq, stage, 'scoring', at
             FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[])
                 AS fresh (lead_id, lead_seq, stage, at)",
        )
        .bind(
            fresh
                .iter()
                .map(|(r, _)| r.lead_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind(fresh.iter().map(|(_, seq)| *seq).collect::<Vec<_>>())
        .bind(
            fresh
                .iter()
                .map(|(r, _)| r.stage.to_owned())
                .collect::<Vec<_>>(),
        )
        .bind(fresh.iter().map(|(r, _)| r.at.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    let forwards = forward_rows(&fresh_forwarded);
    if !forwards.is_empty() {
        sqlx::query(
            "INSERT INTO forwards (lead_id, target, kind, next_at)
             SELECT lead_id, target, kind, 0 FROM UNNEST($1::text[], $2::int8[], $3::text[])
                 AS due (lead_id, target, kind)",
        )
        .bind(forwards.iter().map(|f| f.0.to_owned()).collect::<Vec<_>>())
        .bind(forwards.iter().map(|f| f.1).collect::<Vec<_>>())
        .bind(forwards.iter().map(|f| f.2.to_owned()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    let contacts = new_contacts(&fresh)?;
    if !contacts.is_empty() {
        sqlx::query(
            "INSERT INTO contacts (contact_id, email_key, created_at)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])
             ON CONFLICT (email_key) DO NOTHING",
        )
        .bind(contacts.iter().map(|c| c.0.clone()).collect::<Vec<_>>())
        .bind(contacts.iter().map(|c| c.1.to_owned()).collect::<Vec<_>>())
        .bind(contacts.iter().map(|c| c.2.to_owned()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(stored)
}

/// Which of `rows` became new rows, given the `lead_id`s the insert returned with their
/// sequence numbers, and those rows with theirs. A `lead_id` twice in one batch is new only
/// the first time (the row that was kept).
fn new_rows<'a>(
    rows: &[&'a NewLead],
    new: &HashMap<String, i64>,
) -> (Vec<bool>, Vec<(&'a NewLead, i64)>) {
    let mut seen = HashSet::new();
    let mut fresh = Vec::new();
    let stored = rows
        .iter()
        .map(|r| match new.get(&r.lead_id) {
            Some(seq) if seen.insert(r.lead_id.as_str()) => {
                fresh.push((*r, *seq));
                true
            }
            _ => false,
        })
        .collect();
    (stored, fresh)
}

/// A lead's quarantine once the spent solutions are known, and whether it is forwarded.
struct Effective {
    quarantine: Option<String>,
    forward: bool,
}

/// `row` as it is stored: quarantined as `proof_of_work_reused` when its solution was
/// spent by another lead (`spenders`: signature → the lead that spent it, this batch's
/// included: the first lead of a batch to spend a solution is its spender).
fn effective(row: &NewLead, spenders: &HashMap<String, String>) -> Effective {
    let reused = row
        .spend
        .as_ref()
        .and_then(|s| spenders.get(&s.signature))
        .is_some_and(|spender| *spender != row.lead_id);
    if !reused {
        return Effective {
            quarantine: row.quarantine.clone(),
            forward: row.quarantine.is_none(),
        };
    }
    let mut reasons: Vec<String> = row
        .quarantine
        .as_deref()
        .and_then(|q| serde_json::from_str(q).ok())
        .unwrap_or_default();
    reasons.push("proof_of_work_reused".into());
    Effective {
        quarantine: Some(serde_json::json!(reasons).to_string()),
        forward: false,
    }
}

/// The new leads that are forwarded (not quarantined), with their sequence numbers.
fn forwarded<'a>(
    rows: &[&'a NewLead],
    effective: &[Effective],
    fresh: &[(&'a NewLead, i64)],
) -> Vec<(&'a NewLead, i64)> {
    fresh
        .iter()
        .filter(|(lead, _)| {
            rows.iter()
                .position(|r| std::ptr::eq(*r, *lead))
                .is_some_and(|i| effective[i].forward)
        })
        .copied()
        .collect()
}

/// The forwarding rows of new leads: (lead_id, target, kind).
fn forward_rows<'a>(fresh: &[(&'a NewLead, i64)]) -> Vec<(&'a str, i64, &'static str)> {
    fresh
        .iter()
        .flat_map(|(r, _)| r.forwards.iter().map(|(t, k)| (r.lead_id.as_str(), *t, *k)))
        .collect()
}

/// `text` without NUL characters, for the columns copied out of the payload: PostgreSQL's
/// text cannot hold them, and one such lead would fail every lead in its batch. The
/// payload column keeps the body as received (JSON escapes NUL as `\u0000`).
fn without_nul(text: &str) -> String {
    text.replace('\0', "\u{fffd}")
}

/// One `leads` row as the list shows it (forwards are added after).
fn stored_lead<R: Row>(row: &R) -> Result<StoredLead, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let payload: String = row.try_get("payload")?;
    let server_score: Option<String> = row.try_get("server_score")?;
    let flags: String = row.try_get("flags")?;
    let quarantine: Option<String> = row.try_get("quarantine")?;
    // One row that cannot be read must never hide the others: the collector wrote every
    // column but the payload itself, and the payload passed the core's reader on the way
    // in (which refuses what serde_json or a browser would not read back faithfully). A
    // row stored before that rule (or edited by hand) is shown as its text, flagged.
    let mut flags: Vec<String> = serde_json::from_str(&flags).unwrap_or_default();
    // The core's reader decides, as it did when the lead came in.
    let readable = leadmagnet_core::json::check(&payload).is_ok();
    let raw = readable
        .then(|| serde_json::value::RawValue::from_string(payload.clone()).ok())
        .flatten();
    let (payload, parsed) = match raw.ok_or(()) {
        Ok(raw) => {
            let parsed = serde_json::from_str(raw.get()).unwrap_or_default();
            (raw, parsed)
        }
        Err(_) => {
            flags.push("payload_unreadable".into());
            let text = serde_json::Value::String(payload);
            let raw = serde_json::value::to_raw_value(&text)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            (raw, serde_json::Value::Null)
        }
    };
    Ok(StoredLead {
        server_score: server_score.and_then(|s| serde_json::from_str(&s).ok()),
        flags,
        quarantine: quarantine.map(|q| serde_json::from_str(&q).unwrap_or_else(|_| vec![q])),
        lead_id: row.try_get("lead_id")?,
        offer_id: row.try_get("offer_id")?,
        submitted_at: row.try_get("submitted_at")?,
        received_at: row.try_get("received_at")?,
        payload,
        parsed,
        forwards: Vec::new(),
        stage: row.try_get("stage")?,
        stage_at: row.try_get("stage_at")?,
        mql_at: row.try_get("mql_at")?,
        sla_due_at: None,
        overdue: false,
    })
}

/// `url` without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(lead_id: &str) -> NewLead {
        NewLead {
            lead_id: lead_id.into(),
            offer_id: "ebook".into(),
            submitted_at: String::new(),
            email: None,
            page_url: String::new(),
            raw: String::new(),
            email_key: None,
            spend: None,
            server_score: None,
            flags: "[]".into(),
            quarantine: None,
            stage: "inquiry",
            at: String::new(),
            forwards: Vec::new(),
        }
    }

    #[test]
    fn a_lead_id_twice_in_a_batch_is_new_once() {
        let (a, b, c) = (row("a"), row("b"), row("c"));
        let again = row("a");
        let rows = [&a, &b, &again, &c];
        // The database kept `a` (the first) and `c`; `b` was stored before.
        let new: HashMap<String, i64> = [("a".to_owned(), 7), ("c".to_owned(), 8)].into();
        let (stored, fresh) = new_rows(&rows, &new);
        assert_eq!(stored, [true, false, false, true]);
        let fresh: Vec<(&str, i64)> = fresh
            .iter()
            .map(|(r, seq)| (r.lead_id.as_str(), *seq))
            .collect();
        assert_eq!(fresh, [("a", 7), ("c", 8)]);
    }

    #[test]
    fn nul_leaves_the_copied_columns() {
        assert_eq!(without_nul("a\0b"), "a\u{fffd}b");
        assert_eq!(without_nul("plain"), "plain");
    }
}
