//! The studio's server side (`/studio/api/…`): what a marketer's editor needs to write,
//! check, simulate and publish offers. Behind an inbox session of the admin or of a user
//! marked `"marketer": true`; every request names the session's CSRF token in
//! `X-CSRF-Token` (a cookie alone never writes).
//!
//! - `POST /studio/api/check` `{"text"}` → `{"problems": [{pointer, line, column, message}]}`:
//!   `leadmagnet validate`'s checks (`config::offer_problems`), every problem at once.
//! - `POST /studio/api/simulate` `{"text", "lead"}` → the test lead's problems as the
//!   collector would refuse it, or its score with the explanation (`scoring::explain`),
//!   against the offer's scoring or, with `account_scoring`, the account-wide model.
//! - `GET /studio/api/offers` → each file of the offers folder with its id and version;
//!   `GET /studio/api/offers/{file}` → its text and version; `…/history` → its versions
//!   with who, when and a diff against the version before.
//! - `POST /studio/api/offers/{file}` `{"text", "base_version"}` publishes: refused with
//!   every problem (422) when the text has any, with 409 when someone published since
//!   `base_version` (0 for a new file); otherwise the version is recorded, then the file
//!   written atomically (a temporary file beside it, synced, renamed over it), and the
//!   collector reads its offers again. `…/rollback` `{"version", "base_version"}`
//!   publishes an earlier version's text again as a new version.
//! - `GET /studio/api/templates` → the demo offers to start a new offer from.

use crate::domains::FullLists;
use crate::inbox::session::{session, ADMIN};
use crate::inbox::ConnectInfoOpt;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use leadmagnet_core::config::{offer_problems, ConfigError};
use leadmagnet_core::json::ToJson;
use leadmagnet_core::profile::{Visitor, STORAGE_KEY};
use leadmagnet_core::scoring::{explain, lead_problems, parse_leads, score};
use leadmagnet_core::time::format_rfc3339;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::Write;

/// The demo offers a new offer starts from (`GET /studio/api/templates`).
const TEMPLATES: [(&str, &str); 5] = [
    ("ebook.json", include_str!("../../../www/offers/ebook.json")),
    ("quiz.json", include_str!("../../../www/offers/quiz.json")),
    (
        "roi-calculator.json",
        include_str!("../../../www/offers/roi-calculator.json"),
    ),
    (
        "checklist.json",
        include_str!("../../../www/offers/checklist.json"),
    ),
    (
        "newsletter-slide-in.json",
        include_str!("../../../www/offers/newsletter-slide-in.json"),
    ),
];

/// Biggest offer text the studio takes.
const MAX_TEXT: usize = 256 * 1024;

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message.into() } })),
    )
        .into_response()
}

/// The session's user when they may use the studio and the request carries the
/// session's CSRF token; the answer to give otherwise.
async fn marketer(state: &AppState, headers: &HeaderMap) -> Result<String, Response> {
    let (csrf, user) = match session(state, headers).await {
        Ok(Some(live)) => live,
        Ok(None) => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "no_session",
                "log in at /inbox first",
            ))
        }
        Err(_) => {
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the lead store is unavailable; try again in a moment",
            ))
        }
    };
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if sent.is_empty() || sent != csrf {
        return Err(error(
            StatusCode::FORBIDDEN,
            "csrf",
            "the request lacks this session's X-CSRF-Token",
        ));
    }
    let allowed = user == ADMIN || state.users.iter().any(|u| u.name == user && u.marketer);
    if !allowed {
        return Err(error(
            StatusCode::FORBIDDEN,
            "not_a_marketer",
            format!("{user} may not edit offers: the admin marks marketers with \"marketer\": true in the users file"),
        ));
    }
    Ok(user)
}

/// The request's JSON body, read only after the session was checked (a stranger learns
/// nothing of the API from its answers); an unreadable one is answered in the studio's
/// own error shape, naming what is wrong.
// The error is the answer itself, made once per request: no need to box it.
#[allow(clippy::result_large_err)]
fn read_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Response> {
    let bytes = body.map_err(|e| error(e.status(), "invalid_body", e.body_text()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let status = if e.is_syntax() || e.is_eof() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        error(status, "invalid_body", format!("the request body: {e}"))
    })
}

/// The session's marketer and the request's body (read after the session was checked), or
/// the answer to give instead.
async fn authorized<T: serde::de::DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(String, T), Response> {
    let user = marketer(state, headers).await?;
    Ok((user, read_body(body)?))
}

/// 422 with every problem of a config the request needs valid.
fn invalid_config(problems: &[ConfigError]) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "error": { "code": "invalid_config", "message": "fix the config's problems first" },
            "problems": problems_json(problems),
        })),
    )
        .into_response()
}

/// 503: the store did not answer; nothing was changed.
fn unavailable() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the store is unavailable; try again in a moment",
    )
}

fn problems_json(problems: &[ConfigError]) -> Value {
    Value::Array(
        problems
            .iter()
            .map(|p| {
                json!({
                    "pointer": p.pointer, "line": p.line.unwrap_or(1),
                    "column": p.column.unwrap_or(1), "message": p.message,
                })
            })
            .collect(),
    )
}

#[derive(Deserialize)]
pub struct CheckBody {
    text: String,
}

/// `POST /studio/api/check`.
pub async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (_, body): (String, CheckBody) = match authorized(&state, &headers, body).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    if body.text.len() > MAX_TEXT {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("an offer config is at most {MAX_TEXT} bytes"),
        );
    }
    Json(json!({ "problems": problems_json(&offer_problems(&body.text)) })).into_response()
}

#[derive(Deserialize)]
pub struct SimulateBody {
    text: String,
    lead: Value,
    /// RFC 3339; the collector's clock by default.
    #[serde(default)]
    now: Option<String>,
}

/// `POST /studio/api/simulate`.
pub async fn simulate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (_, body): (String, SimulateBody) = match authorized(&state, &headers, body).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let config = match leadmagnet_core::parse_offer(&body.text) {
        Ok(config) => config,
        Err(problems) => return invalid_config(&problems),
    };
    let now = match body
        .now
        .as_deref()
        .map(leadmagnet_core::time::parse_rfc3339)
    {
        None => crate::clock::now_ms(),
        Some(Some(at)) => at,
        Some(None) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_time",
                "now: give an RFC 3339 time such as 2026-12-01T09:00:00Z",
            )
        }
    };
    let (leads, _) = match parse_leads(&body.lead.to_string()) {
        Ok(read) => read,
        Err(e) => {
            let message = e.first().map_or_else(String::new, ToString::to_string);
            return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_lead", message);
        }
    };
    let Some(lead) = leads.first() else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_lead",
            "give one lead",
        );
    };
    let problems = lead_problems(&config, lead, "");
    if !problems.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": { "code": "refused_lead", "message": "the collector would refuse this lead" }, "lead_problems": problems })),
        )
            .into_response();
    }
    // The account-wide model for an offer that uses it, as the collector scores.
    let scoring = state.offers.scoring_of(&config).unwrap_or_default();
    let result = score(&scoring, lead, now, FullLists::get());
    let explanation = explain(&scoring, lead, &result, FullLists::get());
    let score_json: Value = serde_json::from_str(&result.to_json_string()).unwrap_or(Value::Null);
    Json(json!({ "score": score_json, "explanation": explanation })).into_response()
}

/// A file name the studio writes: lower-case letters, digits, `-` and `_`, `.json`; never
/// a path, never the account-wide model.
fn valid_file(file: &str) -> bool {
    let Some(stem) = file.strip_suffix(".json") else {
        return false;
    };
    !stem.is_empty()
        && stem.len() <= 64
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !stem.starts_with(['-', '_'])
        && file != leadmagnet_core::account::MODEL_FILE
}

/// The offers folder's publishing lock: an exclusive lock on [`LOCK_FILE`] in the folder,
/// so one publish at a time across every collector sharing it — a version's number, its
/// row and the file on disk then always go in the same order. Held until dropped.
async fn publishing_lock(state: &AppState) -> Result<std::fs::File, Response> {
    let failed = |e: std::io::Error| {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "write_failed",
            format!(
                "the offers folder cannot take the publishing lock ({e}); try again in a moment"
            ),
        )
    };
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let path = state.offers.dir().join(LOCK_FILE);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        // Never through a link, never waiting on a pipe put in its place; a regular file.
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
            .map_err(failed)?;
        let meta = lock.metadata().map_err(failed)?;
        if !meta.is_file() {
            return Err(failed(std::io::Error::other(format!(
                "{LOCK_FILE} in the offers folder is not a regular file: remove it"
            ))));
        }
        match lock.try_lock() {
            // Still the file at that name? One removed meanwhile (a cleanup of the folder)
            // would lock nothing the next publisher sees: take the lock again.
            Ok(()) => match std::fs::symlink_metadata(&path) {
                Ok(now) if now.ino() == meta.ino() && now.dev() == meta.dev() => return Ok(lock),
                _ => continue,
            },
            Err(std::fs::TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "another publish to this offers folder is under way; try again in a moment",
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(failed(e)),
        }
    }
}

/// The lock file in the offers folder (not a `.json`: no offer, never listed).
const LOCK_FILE: &str = ".studio.lock";

/// The text of `file` in the offers folder: `None` when there is none. Only a regular
/// file is read, opened so that neither a link (which could lead anywhere on the machine)
/// nor a pipe (which would hold the collector's threads) is followed or waited on.
// The error is the answer itself, made once per request: no need to box it.
#[allow(clippy::result_large_err)]
fn read_offer_file(dir: &std::path::Path, file: &str) -> Result<Option<String>, Response> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let refused = || {
        error(
            StatusCode::CONFLICT,
            "not_a_regular_file",
            format!("{file} is not a regular file (a link, a folder or a pipe): the studio edits only regular files in the offers folder"),
        )
    };
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(dir.join(file));
    let mut f = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // O_NOFOLLOW on a link.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(refused()),
        Err(e) => {
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "read_failed",
                format!("{file} cannot be read ({e}); try again in a moment"),
            ))
        }
    };
    let meta = f.metadata();
    if !meta.as_ref().is_ok_and(|m| m.is_file()) {
        return Err(refused());
    }
    if meta.is_ok_and(|m| m.len() > MAX_TEXT as u64) {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("{file} is larger than an offer config may be ({MAX_TEXT} bytes): shorten it in the offers folder"),
        ));
    }
    let mut text = String::new();
    match f.read_to_string(&mut text) {
        Ok(_) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(error(
            StatusCode::CONFLICT,
            "not_text",
            format!("{file} is not UTF-8 text: fix or remove it in the offers folder"),
        )),
        Err(e) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "read_failed",
            format!("{file} cannot be read ({e}); try again in a moment"),
        )),
    }
}

/// The live text of `file` and its version (0: neither a file nor a version), with the
/// publishing lock held. What the folder holds and the history does not — a file not
/// published by the studio yet, or edited by hand since — is recorded as a version first,
/// so every text that went live is in the history, and an editor opened before a hand
/// edit is told to reload instead of writing over it.
async fn sync(state: &AppState, file: &str) -> Result<(Option<String>, i64), Response> {
    let live = read_offer_file(state.offers.dir(), file)?;
    let versions = state
        .store
        .offer_versions(file)
        .await
        .map_err(|_| unavailable())?;
    let head = versions.first();
    let version = head.map_or(0, |v| v.0);
    let Some(text) = &live else {
        return Ok((live, version));
    };
    if head.is_some_and(|v| &v.3 == text) {
        return Ok((live, version));
    }
    let author = if head.is_some() {
        "edited outside the studio"
    } else {
        "the offers folder"
    };
    let now = format_rfc3339(crate::clock::now_ms());
    match state
        .store
        .add_offer_version(file, version + 1, &now, author, text)
        .await
    {
        Ok(true) => Ok((live, version + 1)),
        Ok(false) => Err(error(
            StatusCode::CONFLICT,
            "stale",
            format!("{file} was published by someone else meanwhile: reload it"),
        )),
        Err(_) => Err(unavailable()),
    }
}

/// The live text of `file` and its version, taken under the publishing lock.
async fn current(state: &AppState, file: &str) -> Result<(Option<String>, i64), Response> {
    let _lock = publishing_lock(state).await?;
    sync(state, file).await
}

/// Another `*.json` of the offers folder (any name the collector reads, links followed,
/// never waiting on a pipe) whose config has the id `id`.
fn other_file_with_id(dir: &std::path::Path, file: &str, id: &str) -> Option<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let entries = std::fs::read_dir(dir).ok()?;
    entries.flatten().find_map(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == file || !name.ends_with(".json") || name == leadmagnet_core::account::MODEL_FILE
        {
            return None;
        }
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(entry.path())
            .ok()?;
        if !f
            .metadata()
            .is_ok_and(|m| m.is_file() && m.len() <= 4 * MAX_TEXT as u64)
        {
            return None;
        }
        let mut text = String::new();
        f.read_to_string(&mut text).ok()?;
        let theirs = serde_json::from_str::<Value>(&text).ok()?;
        (theirs["id"].as_str() == Some(id)).then_some(name)
    })
}

/// The offer files the studio edits: regular files with a name it writes.
fn offer_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|dir| {
            dir.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| valid_file(name))
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /studio/api/offers`.
pub async fn offers(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = marketer(&state, &headers).await {
        return refused;
    }
    let mut files = offer_files(state.offers.dir());
    files.sort();
    let _lock = match publishing_lock(&state).await {
        Ok(lock) => lock,
        Err(refused) => return refused,
    };
    let mut list = Vec::new();
    for file in files {
        let (text, version) = match sync(&state, &file).await {
            Ok(found) => found,
            // One file the studio cannot take (not text, too large) is listed with why;
            // the others stay editable. A store that does not answer fails the list.
            Err(refused) if refused.status() != StatusCode::SERVICE_UNAVAILABLE => {
                let why = axum::body::to_bytes(refused.into_body(), 64 * 1024)
                    .await
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                    .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                list.push(json!({ "file": file, "id": null, "version": null, "problems": 1, "unavailable": why }));
                continue;
            }
            Err(refused) => return refused,
        };
        let text = text.unwrap_or_default();
        let id = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned));
        list.push(json!({
            "file": file, "id": id, "version": version,
            "problems": offer_problems(&text).len(),
        }));
    }
    Json(json!({ "offers": list })).into_response()
}

/// `GET /studio/api/offers/{file}`.
pub async fn offer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    if let Err(refused) = marketer(&state, &headers).await {
        return refused;
    }
    if !valid_file(&file) {
        return error(StatusCode::NOT_FOUND, "no_such_offer", "no such offer file");
    }
    match current(&state, &file).await {
        Ok((Some(text), version)) => {
            Json(json!({ "file": file, "text": text, "version": version })).into_response()
        }
        // Gone from the folder (deleted by hand): its history stays, and a new text for
        // it is published on top of it.
        Ok((None, version)) => (
            StatusCode::NOT_FOUND,
            Json(json!({
                "error": { "code": "no_such_offer", "message": format!("there is no {file}") },
                "version": version,
            })),
        )
            .into_response(),
        Err(refused) => refused,
    }
}

#[derive(Deserialize)]
pub struct PublishBody {
    text: String,
    base_version: i64,
}

/// `POST /studio/api/offers/{file}`.
pub async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (user, body): (String, PublishBody) = match authorized(&state, &headers, body).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    write_version(&state, &file, &body.text, body.base_version, &user).await
}

#[derive(Deserialize)]
pub struct RollbackBody {
    version: i64,
    base_version: i64,
}

/// `POST /studio/api/offers/{file}/rollback`.
pub async fn rollback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (user, body): (String, RollbackBody) = match authorized(&state, &headers, body).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let versions = match state.store.offer_versions(&file).await {
        Ok(v) => v,
        Err(_) => return unavailable(),
    };
    let Some((_, _, _, text)) = versions.iter().find(|v| v.0 == body.version) else {
        return error(
            StatusCode::NOT_FOUND,
            "no_such_version",
            format!("{file} has no version {}", body.version),
        );
    };
    write_version(&state, &file, text, body.base_version, &user).await
}

/// Checks `text`, records it as the next version after `base`, writes the file atomically
/// and has the collector read its offers again.
async fn write_version(
    state: &AppState,
    file: &str,
    text: &str,
    base: i64,
    user: &str,
) -> Response {
    if !valid_file(file) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_file",
            "name the file with lower-case letters, digits, - and _, ending in .json (not scoring.json)",
        );
    }
    if text.len() > MAX_TEXT {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("an offer config is at most {MAX_TEXT} bytes"),
        );
    }
    let problems = offer_problems(text);
    if !problems.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": { "code": "invalid_config", "message": format!("{} problem(s): nothing was published", problems.len()) }, "problems": problems_json(&problems) })),
        )
            .into_response();
    }
    let config = match leadmagnet_core::parse_offer(text) {
        Ok(config) => config,
        Err(problems) => return invalid_config(&problems),
    };
    let lock = match publishing_lock(state).await {
        Ok(lock) => lock,
        Err(refused) => return refused,
    };
    let (seen, version) = match sync(state, file).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    if base != version {
        return error(
            StatusCode::CONFLICT,
            "stale",
            format!(
                "{file} is at version {version} now, not {base} (published meanwhile, or edited outside the studio): reload it, then publish again"
            ),
        );
    }
    // One offer per id: another file with the same id would shadow or be shadowed. Read
    // from the folder itself, under the lock (what another collector has just written
    // too), every `*.json` the collector reads — any name, links followed.
    if let Some(other) = other_file_with_id(state.offers.dir(), file, &config.id) {
        return error(
            StatusCode::CONFLICT,
            "duplicate_id",
            format!(
                "{other} already has the id \"{}\": give this offer its own id (or remove {other})",
                config.id
            ),
        );
    }
    let next = version + 1;
    let now = format_rfc3339(crate::clock::now_ms());
    match state
        .store
        .add_offer_version(file, next, &now, user, text)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return error(
                StatusCode::CONFLICT,
                "stale",
                format!(
                    "{file} was published by someone else meanwhile: reload it, then publish again"
                ),
            )
        }
        Err(_) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the store is unavailable; nothing was published; try again in a moment",
            )
        }
    }
    // A hand edit since `sync` read the file would be written over unrecorded: the
    // version goes again, and the editor is told.
    let now_there = read_offer_file(state.offers.dir(), file).ok().flatten();
    if now_there != seen {
        if let Err(undo) = state.store.drop_offer_version(file, next).await {
            tracing::error!(file, error = %undo, "a version of an unwritten publish stays in the history");
        }
        return error(
            StatusCode::CONFLICT,
            "stale",
            format!(
                "{file} was edited outside the studio meanwhile: reload it, then publish again"
            ),
        );
    }
    let path = state.offers.dir().join(file);
    let owned = text.to_owned();
    let written = tokio::task::spawn_blocking(move || write_atomically(&path, &owned))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
    if let Err(e) = written {
        // Nothing half-done stays: this version goes again (only it), so the history lists
        // only what went live.
        if let Err(undo) = state.store.drop_offer_version(file, next).await {
            tracing::error!(file, error = %undo, "a version of an unwritten publish stays in the history");
        }
        tracing::error!(file, error = %e, "publishing an offer failed: the file could not be written");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "write_failed",
            format!("the offers folder could not be written ({e}); publish again"),
        );
    }
    state.offers.reload();
    drop(lock);
    // Written and in the history; the collector reads its folder whole, so a problem
    // elsewhere in it (another file) keeps the offers read before in use: said, not hidden.
    // And live means this file's text is the one in service for its id.
    let in_service = state
        .offers
        .file_of(&config.id)
        .is_some_and(|(path, live)| path.rsplit('/').next() == Some(file) && *live == *text);
    let problem = state.offers.failing().or_else(|| {
        (!in_service).then(|| {
            format!(
                "the collector serves offer \"{}\" from another file; see its log",
                config.id
            )
        })
    });
    Json(json!({ "file": file, "version": next, "live": problem.is_none(), "problem": problem }))
        .into_response()
}

/// Writes `text` to `path` so a reader sees the old file or the new one, never half: a
/// temporary file beside it, synced, renamed over it, the folder synced.
fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        leadmagnet_core::payload::hex(&random)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `GET /studio/api/offers/{file}/history`: each version with who, when and its diff.
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    if let Err(refused) = marketer(&state, &headers).await {
        return refused;
    }
    let versions = match state.store.offer_versions(&file).await {
        Ok(v) => v,
        Err(_) => return unavailable(),
    };
    let list: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(i, (version, at, author, text))| {
            let before = versions.get(i + 1).map_or("", |v| v.3.as_str());
            json!({ "version": version, "at": at, "author": author, "diff": diff(before, text) })
        })
        .collect();
    Json(json!({ "file": file, "versions": list })).into_response()
}

/// `GET /studio/api/templates`.
pub async fn templates(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = marketer(&state, &headers).await {
        return refused;
    }
    let list: Vec<Value> = TEMPLATES
        .iter()
        .map(|(name, text)| json!({ "name": name, "text": text }))
        .collect();
    Json(json!({ "templates": list })).into_response()
}

/// A line diff of `before` and `after`: changed lines with `-`/`+`, two lines of context
/// around them with two spaces, `…` between distant changes.
/// At most this many cells in a diff's table (a million: 4 MB, milliseconds).
const MAX_DIFF_CELLS: usize = 1_000_000;

pub fn diff(before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    // The lines both share at the start and at the end are not compared (an edit is
    // usually a few lines somewhere in the middle).
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut ops: Vec<(char, &str)> = a[..head].iter().map(|l| (' ', *l)).collect();
    // Longest common subsequence of the middle: a table of its lines squared, so only up to
    // a bound (a hand-placed file can be any size); past it, the middle is shown as
    // removed and added whole.
    if mid_a.len().saturating_mul(mid_b.len()) > MAX_DIFF_CELLS {
        ops.extend(mid_a.iter().map(|l| ('-', *l)));
        ops.extend(mid_b.iter().map(|l| ('+', *l)));
    } else {
        let mut lcs = vec![vec![0u32; mid_b.len() + 1]; mid_a.len() + 1];
        for i in (0..mid_a.len()).rev() {
            for j in (0..mid_b.len()).rev() {
                lcs[i][j] = if mid_a[i] == mid_b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < mid_a.len() || j < mid_b.len() {
            if i < mid_a.len() && j < mid_b.len() && mid_a[i] == mid_b[j] {
                ops.push((' ', mid_a[i]));
                i += 1;
                j += 1;
            } else if i < mid_a.len() && (j == mid_b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
                // Removals before additions, as diff(1) shows them.
                ops.push(('-', mid_a[i]));
                i += 1;
            } else {
                ops.push(('+', mid_b[j]));
                j += 1;
            }
        }
    }
    ops.extend(a[a.len() - tail..].iter().map(|l| (' ', *l)));
    let near = |k: usize| {
        let lo = k.saturating_sub(2);
        let hi = (k + 2).min(ops.len().saturating_sub(1));
        (lo..=hi).any(|m| ops.get(m).is_some_and(|o| o.0 != ' '))
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if *op == ' ' && !near(k) {
            skipped = true;
            continue;
        }
        if skipped && !out.is_empty() {
            out.push_str("…\n");
        }
        skipped = false;
        out.push(*op);
        out.push(' ');
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_shows_changed_lines_with_context() {
        let before = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let after = "a\nb\nC\nd\ne\nf\ng\nh\ni\n";
        assert_eq!(
            diff(before, after),
            "  a\n  b\n- c\n+ C\n  d\n  e\n…\n  g\n  h\n+ i\n"
        );
        assert_eq!(diff("", "x\n"), "+ x\n");
        assert_eq!(diff("same\n", "same\n"), "");
    }

    /// A file of any size: the shared start and end are not compared, and a middle too
    /// large for the table is shown removed and added whole — never a table of gigabytes.
    #[test]
    fn the_diff_of_huge_files_stays_small_and_right() {
        let big = |x: &str| {
            let mut t = "{\n".to_owned() + &"\n".repeat(100_000);
            t += x;
            t + &"\n".repeat(100_000) + "}\n"
        };
        let d = diff(&big("\"a\": 1"), &big("\"a\": 2"));
        assert_eq!(d, "  \n  \n- \"a\": 1\n+ \"a\": 2\n  \n  \n");
        let before: String = (0..2_000).map(|i| format!("a{i}\n")).collect();
        let after: String = (0..2_000).map(|i| format!("b{i}\n")).collect();
        let d = diff(&before, &after);
        assert_eq!(d.lines().filter(|l| l.starts_with("- ")).count(), 2_000);
        assert_eq!(d.lines().filter(|l| l.starts_with("+ ")).count(), 2_000);
        assert!(d.find("- a1999").expect("removed") < d.find("+ b0").expect("added"));
    }

    #[test]
    fn only_plain_json_file_names_are_written() {
        for ok in ["ebook.json", "a-b_c1.json"] {
            assert!(valid_file(ok), "{ok}");
        }
        for bad in [
            "../x.json",
            "x",
            ".json",
            "-x.json",
            "X.json",
            "a/b.json",
            "scoring.json",
            "x.json.tmp",
            "ä.json",
            &format!("{}.json", "a".repeat(65)),
        ] {
            assert!(!valid_file(bad), "{bad}");
        }
    }
}

#[derive(Deserialize)]
pub struct FieldsBody {
    text: String,
    #[serde(default)]
    profile: Value,
}

/// `POST /studio/api/fields` `{"text", "profile"}`: the fields a visitor with this profile
/// is asked now (progressive profiling, `leadmagnet fields`).
pub async fn fields(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (_, body): (String, FieldsBody) = match authorized(&state, &headers, body).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let config = match leadmagnet_core::parse_offer(&body.text) {
        Ok(config) => config,
        Err(problems) => return invalid_config(&problems),
    };
    let profile_text = if body.profile.is_null() {
        "{}".to_owned()
    } else {
        body.profile.to_string()
    };
    let profile: leadmagnet_core::Values = match leadmagnet_core::json::read(&profile_text, true) {
        Ok(p) => p,
        Err(e) => {
            let message = e.first().map_or_else(String::new, ToString::to_string);
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_profile",
                format!("profile: {message}"),
            );
        }
    };
    // What the widget would know: only the profile's values this offer accepts, as the
    // full build reads a returning visitor's memory (`Visitor::known_for`).
    let visitor = Visitor {
        consent: true,
        visits: 1,
        values: profile,
        ..Visitor::default()
    };
    let known = visitor.known_for(&config);
    let ignored: Vec<Value> = visitor
        .values
        .keys()
        .filter(|id| !known.contains_key(id))
        .map(|id| {
            let why = match config.field(id) {
                None => "not a field of this offer",
                Some(f) if f.kind.is_tick_box() => "a tick box is asked every time",
                Some(_) => "not a value this field accepts",
            };
            json!({ "field": id, "why": why })
        })
        .collect();
    let shown = leadmagnet_core::profiling::fields_to_show(
        &config,
        &known,
        &leadmagnet_core::Values::new(),
        FullLists::get(),
    );
    // The memory holds what the widget would have kept: the values this offer accepts.
    let visitor = Visitor {
        values: known,
        ..visitor
    };
    // `memory`: that visitor's stored memory, which the preview frame hands to the full
    // build (in a storage of its own: the studio's origin keeps nothing of it).
    Json(json!({
        "fields": shown,
        "ignored": ignored,
        "memory": visitor.to_storage(),
        "storage_key": STORAGE_KEY,
    }))
    .into_response()
}

/// `/studio/sink/{…}`: where the preview's leads, counts and challenge requests go —
/// nowhere.
pub async fn sink() -> Response {
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}

/// `GET /studio/schema/offer.v1.json`: the schema the editor completes from, this
/// collector's own (what `leadmagnet schema` prints).
pub async fn offer_schema() -> Response {
    schema_of(false)
}

/// `GET /schema/{offer,scoring,lead}.v1.json`: the contracts, from the collector itself, so
/// a config's `"$schema": "/schema/offer.v1.json"` resolves on any site folder.
pub async fn schema_file(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "offer.v1.json" => schema_of(false),
        "scoring.v1.json" => schema_of(true),
        "lead.v1.json" => (
            [(axum::http::header::CONTENT_TYPE, "application/schema+json")],
            include_str!("../../../www/schema/lead.v1.json"),
        )
            .into_response(),
        _ => error(
            StatusCode::NOT_FOUND,
            "no_such_schema",
            "the schemas are offer.v1.json, scoring.v1.json and lead.v1.json",
        ),
    }
}

fn schema_of(model: bool) -> Response {
    match crate::commands::schema(model) {
        Ok(text) => (
            [(axum::http::header::CONTENT_TYPE, "application/schema+json")],
            text,
        )
            .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "schema", e),
    }
}

/// The studio's page and its preview frame: scripts from `/dist/`, no inline script.
const STUDIO_CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     connect-src 'self'; frame-src 'self'; img-src 'self' data:; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

fn html_page(csp: &str, html: String) -> Response {
    let mut response = (StatusCode::OK, html).into_response();
    let h = response.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(csp) {
        h.insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

const STUDIO_STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1f2328}\
header,main{padding:.75rem 1rem}header{background:#f6f8fa;border-bottom:1px solid #d0d7de}\
main{display:grid;grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);gap:1rem}\
#editor .cm-editor{height:70vh;border:1px solid #8c959f}\
section{margin-bottom:1rem}h2{font-size:1.05rem;margin:.5rem 0}\
iframe{border:1px solid #8c959f;height:560px;width:100%;background:#fff}\
#problems{color:#a40e26}pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:12rem}\
textarea{width:100%;font:13px monospace}label{margin-right:.75rem}\
.help{max-width:28rem;padding:.25rem .5rem}#status{font-weight:600}";

/// `GET /studio`: the editor, the preview, the simulator, publishing.
pub async fn page(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let (csrf, user) = match session(&state, &headers).await {
        Ok(Some(live)) => live,
        // The login form, leading back here (this file open) once logged in.
        Ok(None) => {
            let here = uri.path_and_query().map_or("/studio", |p| p.as_str());
            return crate::inbox::session::login_form_to(
                crate::inbox::session::over_https(&state, peer, &headers),
                StatusCode::OK,
                "",
                here,
            );
        }
        Err(_) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the lead store is unavailable; try again in a moment",
            )
        }
    };
    if !(user == ADMIN || state.users.iter().any(|u| u.name == user && u.marketer)) {
        return crate::inbox::views::message(
            StatusCode::FORBIDDEN,
            "Studio",
            "Only marketers and the admin edit offers: ask the admin to mark you with \"marketer\": true in the users file.",
        );
    }
    let templates: Vec<&str> = TEMPLATES.iter().map(|t| t.0).collect();
    let markup = maud::html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf" content=(csrf);
                link rel="icon" href="data:,";
                title { "Studio · Leadmagnet" }
                style { (maud::PreEscaped(STUDIO_STYLE)) }
                script src="/dist/studio.js" defer {}
            }
            body {
                header {
                    strong { "Leadmagnet studio" } " · " (user) " · "
                    a href="/inbox" { "Inbox" } " · " a href="/inbox/offers" { "Offer reports" }
                    p { span #status role="status" { "Loading…" } }
                }
                main {
                    div {
                        section aria-labelledby="h-offer" {
                            h2 #h-offer { "Offer" }
                            label { "Offer file " select #offers {} }
                            button #open type="button" { "Open" }
                            " "
                            label { "New file " input #new-file type="text" placeholder="my-offer.json"; }
                            label { "from " select #template { @for t in &templates { option value=(t) { (t) } } } }
                            button #new type="button" { "Start" }
                            p { "Editing: " span #file { "–" } }
                        }
                        div #editor {}
                        section aria-labelledby="h-problems" {
                            h2 #h-problems { "Problems" }
                            p #problem-count aria-live="polite" { "–" }
                            ul #problems {}
                            button #publish type="button" disabled { "Publish" }
                        }
                        section aria-labelledby="h-history" {
                            h2 #h-history { "History" }
                            ul #history {}
                        }
                    }
                    div {
                        section aria-labelledby="h-preview" {
                            h2 #h-preview { "Preview" }
                            label { "Display " select #mode { option value="inline" { "inline" } option value="modal" { "modal" } option value="slide_in" { "slide-in" } } }
                            label { "Language " select #locale { option value="" { "as configured" } option value="en" { "English" } option value="de" { "Deutsch" } } }
                            label { "Variant " select #variant { option value="" { "(as configured: no variant)" } } }
                            label { "Width " select #width { option value="desktop" { "desktop" } option value="phone" { "phone (375 px)" } } }
                            iframe #preview src="/studio/preview" title="Preview of the offer" {}
                            p {
                                label { "Visitor " select #visitor { option value="new" { "new visitor" } option value="returning" { "returning, with this profile" } } }
                                button #visitor-check type="button" { "Which fields are asked?" }
                            }
                            label { "Known profile (JSON) " textarea #profile rows="2" { "{\"email\": \"ann@contoso.example\"}" } }
                            p #asked aria-live="polite" {}
                        }
                        section aria-labelledby="h-sim" {
                            h2 #h-sim { "Score simulator" }
                            label { "Test lead (JSON: fields, and events with their times) "
                                textarea #lead rows="5" { "{\"fields\": {\"email\": \"ann@contoso.example\"}, \"events\": [{\"type\": \"page_view\", \"url\": \"https://www.example.com/pricing\", \"at\": \"2026-12-01T09:00:00Z\"}]}" } }
                            button #simulate type="button" { "Score it" }
                            div #score aria-live="polite" {}
                        }
                    }
                }
            }
        }
    };
    html_page(STUDIO_CSP, markup.into_string())
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    visitor: Option<String>,
}

/// `GET /studio/preview`: the frame the preview mounts the widget in.
/// `?visitor=returning` loads the full build, the one that remembers visitors.
pub async fn preview_page(Query(query): Query<PreviewQuery>) -> Response {
    let returning = query.visitor.as_deref() == Some("returning");
    let markup = maud::html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Preview" }
                link rel="icon" href="data:,";
                // First, before the widget: the frame's own storage (see preview.js).
                script src="/dist/studio-preview.js" {}
                // A returning visitor is remembered by the full build only.
                script src=(if returning { "/dist/leadmagnet-full.js" } else { "/dist/leadmagnet.js" }) async {}
            }
            body { main { div #slot {} } }
        }
    };
    let csp = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' {}; \
         connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
        crate::rendered::style_source()
    );
    html_page(&csp, markup.into_string())
}
