//! The offer configs the collector knows: read from a folder (`--offers`, by default
//! `www/offers`) at start, and again when a file in it changes (polled) or on SIGHUP.
//! Leads are checked and scored against these; a config with problems is left out (its
//! leads are refused as for an unknown offer) and every problem is printed once per load.

use leadmagnet_core::config::{normalize_origin, OfferConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// One load of the folder.
#[derive(Default)]
struct Catalogue {
    by_id: HashMap<String, Arc<OfferConfig>>,
    /// Every offer's `allowed_origins`, normalized (for CORS preflights, which name no offer).
    origins: Vec<String>,
    /// What the folder looked like: (file, modified, length), to notice changes.
    stamp: Vec<(PathBuf, Option<SystemTime>, u64)>,
}

pub struct Offers {
    dir: PathBuf,
    current: RwLock<Arc<Catalogue>>,
}

impl Offers {
    /// Reads every `*.json` in `dir` (a missing folder is an empty catalogue).
    pub fn load(dir: &Path) -> Offers {
        let offers = Offers {
            dir: dir.to_owned(),
            current: RwLock::new(Arc::new(Catalogue::default())),
        };
        offers.reload();
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

    /// Reads the folder again; returns how many offers are known now.
    pub fn reload(&self) -> usize {
        let next = Arc::new(read_dir(&self.dir));
        let count = next.by_id.len();
        match self.current.write() {
            Ok(mut c) => *c = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        count
    }

    /// Reads the folder again if a file was added, removed or changed since the last load.
    pub fn reload_if_changed(&self) -> bool {
        if stamp(&self.dir) == self.catalogue().stamp {
            return false;
        }
        self.reload();
        true
    }
}

fn config_files(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
}

fn stamp(dir: &Path) -> Vec<(PathBuf, Option<SystemTime>, u64)> {
    config_files(dir)
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map_or(0, |m| m.len());
            (p, modified, len)
        })
        .collect()
}

fn read_dir(dir: &Path) -> Catalogue {
    let mut catalogue = Catalogue {
        stamp: stamp(dir),
        ..Catalogue::default()
    };
    for path in config_files(dir) {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| vec![format!("cannot read: {e}")])
            .and_then(|text| {
                leadmagnet_core::parse_offer(&text)
                    .map_err(|problems| problems.iter().map(ToString::to_string).collect())
            });
        match parsed {
            Ok(config) => {
                if let Some(earlier) = catalogue.by_id.get(&config.id) {
                    eprintln!(
                        "leadmagnet: warning: offer config {}: offer id \"{}\" is also used by an earlier file (\"{}\"); this one is used",
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
                catalogue.by_id.insert(config.id.clone(), Arc::new(config));
            }
            Err(problems) => {
                for problem in problems {
                    eprintln!(
                        "leadmagnet: warning: offer config {} is left out (its leads are refused): {problem}",
                        path.display()
                    );
                }
            }
        }
    }
    catalogue
}
