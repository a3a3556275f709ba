//! The offer configs the collector knows: read from a folder (`--offers`, by default
//! `www/offers`) at start, and again when a file in it changes (polled) or on SIGHUP.
//! The same folder's `scoring.json` is the account-wide scoring model
//! (`leadmagnet_core::account`), read and reloaded with the offers.
//! Leads are checked and scored against these; a config with problems is left out (its
//! leads are refused as for an unknown offer) and every problem is printed once per load.
//!
//! A load that cannot *read* the folder or one of its files (no free file descriptors, a
//! permission, a folder being replaced) changes nothing: the last good catalogue stays,
//! the error is logged, and until a load succeeds a lead for an offer the collector does
//! not know is answered 503 (retry), never a final 422 — the offer may be the one that
//! could not be read.

use leadmagnet_core::account::{parse_model, ScoringModel, MODEL_FILE};
use leadmagnet_core::config::{normalize_origin, OfferConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// One load of the folder.
#[derive(Default)]
struct Catalogue {
    by_id: HashMap<String, Arc<OfferConfig>>,
    /// Each offer's file (its path in the folder, `/`-separated) and text as read: the
    /// server-rendered form is for that text (`leadmagnet_widget::render_key`).
    files: HashMap<String, (String, Arc<str>)>,
    /// Every offer's `allowed_origins`, normalized (for CORS preflights, which name no offer).
    origins: Vec<String>,
    /// What the folder looked like: (file, modified, length), to notice changes.
    stamp: Vec<(PathBuf, Option<SystemTime>, u64)>,
    /// The account-wide scoring model (`scoring.json` in the folder), when it is there
    /// and has no problems.
    model: Option<Arc<ScoringModel>>,
}

pub struct Offers {
    dir: PathBuf,
    current: RwLock<Arc<Catalogue>>,
    /// The last load's read error, while it lasts.
    failing: RwLock<Option<String>>,
}

impl Offers {
    /// Reads every `*.json` in `dir` (a missing folder is an empty catalogue).
    pub fn load(dir: &Path) -> Offers {
        let offers = Offers {
            dir: dir.to_owned(),
            current: RwLock::new(Arc::new(Catalogue::default())),
            failing: RwLock::new(None),
        };
        // A folder that is not there at start is an empty catalogue (the CLI warns); one
        // that goes missing later is a failed load.
        if dir.exists() {
            offers.reload();
        }
        offers
    }

    /// The folder read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn catalogue(&self) -> Arc<Catalogue> {
        match self.current.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The valid config of offer `id`.
    pub fn get(&self, id: &str) -> Option<Arc<OfferConfig>> {
        self.catalogue().by_id.get(id).cloned()
    }

    /// Offer `id`'s file in the folder (`/`-separated, as served under `/offers/`) and its
    /// text as read.
    pub fn file_of(&self, id: &str) -> Option<(String, Arc<str>)> {
        self.catalogue().files.get(id).cloned()
    }

    /// The account-wide scoring model, when the folder has a valid `scoring.json`.
    pub fn model(&self) -> Option<Arc<ScoringModel>> {
        self.catalogue().model.clone()
    }

    /// The scoring an offer's leads get: its own section, or with `account_scoring` the
    /// account-wide model's (none while there is no model).
    pub fn scoring_of(
        &self,
        config: &leadmagnet_core::OfferConfig,
    ) -> Option<leadmagnet_core::scoring::Scoring> {
        if config.account_scoring {
            self.model().map(|m| m.scoring.clone())
        } else {
            config.scoring.clone()
        }
    }

    /// The ids known, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.catalogue().by_id.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Whether some offer lists `origin` in its `allowed_origins`.
    pub fn any_allows(&self, origin: &str) -> bool {
        self.catalogue().origins.iter().any(|o| o == origin)
    }

    /// Reads the folder again; returns how many offers are known now. When the folder or
    /// a file in it cannot be read, the catalogue stays as it was and the error is logged
    /// and kept ([`Offers::failing`]) until a load succeeds.
    pub fn reload(&self) -> usize {
        match read_dir(&self.dir) {
            Ok(next) => {
                let next = Arc::new(next);
                let count = next.by_id.len();
                match self.current.write() {
                    Ok(mut c) => *c = next,
                    Err(poisoned) => *poisoned.into_inner() = next,
                }
                self.set_failing(None);
                count
            }
            Err(e) => {
                tracing::error!(
                    offers = %self.dir.display(),
                    error = %e,
                    kept = self.catalogue().by_id.len(),
                    "cannot read the offer configs in {} ({e}); the {} offer(s) read before stay in use",
                    self.dir.display(),
                    self.catalogue().by_id.len()
                );
                self.set_failing(Some(e));
                self.catalogue().by_id.len()
            }
        }
    }

    fn set_failing(&self, error: Option<String>) {
        match self.failing.write() {
            Ok(mut f) => *f = error,
            Err(poisoned) => *poisoned.into_inner() = error,
        }
    }

    /// Why the last load could not read the folder, while no load since has succeeded: a
    /// lead for an offer not in the catalogue may belong to an unread file then.
    pub fn failing(&self) -> Option<String> {
        match self.failing.read() {
            Ok(f) => f.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the folder again if a file was added, removed or changed since the last load,
    /// or the last load failed.
    pub fn reload_if_changed(&self) -> bool {
        let unchanged = stamp(&self.dir).is_ok_and(|now| now == self.catalogue().stamp);
        if unchanged && self.failing().is_none() {
            return false;
        }
        self.reload();
        true
    }
}

/// The folder's `*.json` files, sorted; an error when the folder cannot be listed.
fn config_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let listing = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
    let mut paths = Vec::new();
    for entry in listing {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

fn stamp(dir: &Path) -> Result<Vec<(PathBuf, Option<SystemTime>, u64)>, String> {
    Ok(config_files(dir)?
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map_or(0, |m| m.len());
            (p, modified, len)
        })
        .collect())
}

/// One load: every readable config, its problems printed; `Err` when the folder or a file
/// in it could not be read at all (then nothing of this load is used).
fn read_dir(dir: &Path) -> Result<Catalogue, String> {
    let mut catalogue = Catalogue {
        stamp: stamp(dir)?,
        ..Catalogue::default()
    };
    for path in config_files(dir)? {
        // Only regular files are read: a FIFO would block the reload (and the exit) for
        // good, a folder or a socket holds no config. A link is followed; one that leads
        // nowhere is a failed read (a mounted config being swapped), not a removed offer.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => {
                tracing::warn!(
                    file = %path.display(),
                    "{} {} is left out ({}): not a regular file",
                    what(&path),
                    path.display(),
                    consequence(&path)
                );
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(&path).is_ok() {
                    return Err(format!(
                        "{}: a link to a file that is not there",
                        path.display()
                    ));
                }
                // Gone between the listing and now: a file being replaced; the next poll
                // sees the folder as it is then.
                continue;
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            // Not UTF-8 is the file's own problem, not a failure to read it.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                tracing::warn!(
                    file = %path.display(),
                    "{} {} is left out ({}): not UTF-8 text",
                    what(&path),
                    path.display(),
                    consequence(&path)
                );
                continue;
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        if is_model(&path) {
            match parse_model(&text) {
                Ok(model) => catalogue.model = Some(Arc::new(model)),
                Err(problems) => {
                    for problem in problems {
                        tracing::warn!(
                            file = %path.display(),
                            "scoring model {} is left out (contacts are not scored): {problem}",
                            path.display()
                        );
                    }
                }
            }
            continue;
        }
        let parsed = leadmagnet_core::parse_offer(&text)
            .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>());
        match parsed {
            Ok(config) => {
                if let Some(earlier) = catalogue.by_id.get(&config.id) {
                    tracing::warn!(
                        file = %path.display(),
                        offer = %config.id,
                        "offer config {}: offer id \"{}\" is also used by an earlier file (\"{}\"); this one is used",
                        path.display(),
                        config.id,
                        earlier.offer.title.resolve("en")
                    );
                }
                catalogue.origins.extend(
                    config
                        .allowed_origins
                        .iter()
                        .filter_map(|o| normalize_origin(o)),
                );
                let name = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                catalogue
                    .files
                    .insert(config.id.clone(), (name, Arc::from(text.as_str())));
                catalogue.by_id.insert(config.id.clone(), Arc::new(config));
            }
            Err(problems) => {
                for problem in problems {
                    tracing::warn!(
                        file = %path.display(),
                        "offer config {} is left out (its leads are refused): {problem}",
                        path.display()
                    );
                }
            }
        }
    }
    Ok(catalogue)
}

fn is_model(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == MODEL_FILE)
}

/// What a file of the folder is, for the log.
fn what(path: &Path) -> &'static str {
    if is_model(path) {
        "scoring model"
    } else {
        "offer config"
    }
}

/// What leaving a file out means.
fn consequence(path: &Path) -> &'static str {
    if is_model(path) {
        "contacts are not scored"
    } else {
        "its leads are refused"
    }
}
