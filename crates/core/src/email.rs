//! The email address rule used by the widget and the collector alike.
//!
//! Deliberately practical rather than full RFC 5322: a dot-atom local part (no quoted
//! strings, no comments) and a domain name with at least two labels (no IP literals).
//! Those forms are legal but never appear in real business leads, while accepting them
//! lets typos through. Internationalised addresses (RFC 6531) are accepted.
//! Written by hand: the `regex` crate would add ~100 KB to the widget.

/// Longest address that fits SMTP's path limit (RFC 5321 §4.5.3.1.3).
const MAX_LEN: usize = 254;
const MAX_LOCAL: usize = 64;
const MAX_LABEL: usize = 63;

/// Whether `address` (already trimmed) is an email address a lead can be reached at.
pub fn is_valid(address: &str) -> bool {
    if address.len() > MAX_LEN {
        return false;
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    valid_local(local) && valid_domain(domain)
}

/// The address as stored: trimmed, domain in lower case (the local part is
/// case-sensitive in theory, so it is kept as typed).
pub fn normalize(address: &str) -> String {
    let address = address.trim();
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => address.to_owned(),
    }
}

/// The address as one person's key (erasure, matching): trimmed of every kind of white
/// space and of invisible format characters (zero-width space, word joiner, BOM) at either
/// end, then in Unicode lower case. Two spellings of one mailbox that a person would call
/// the same address (`Ann@X.de`, ` ann@x.de\u{a0}`, `ÄNN@x.de` / `änn@x.de`) get one key.
pub fn key(address: &str) -> String {
    let lower = address
        .trim_matches(|c: char| {
            c.is_whitespace() || matches!(c, '\u{200b}' | '\u{2060}' | '\u{feff}')
        })
        .to_lowercase();
    // Lower case is not yet case folding: a few letters have one more spelling that
    // differs by case alone (Unicode's full case folding, the letters found in names).
    let mut folded = String::with_capacity(lower.len());
    for c in lower.chars() {
        match c {
            'ς' => folded.push('σ'),
            'ß' => folded.push_str("ss"),
            'ſ' => folded.push('s'),
            'ﬀ' => folded.push_str("ff"),
            'ﬁ' => folded.push_str("fi"),
            'ﬂ' => folded.push_str("fl"),
            'ﬃ' => folded.push_str("ffi"),
            'ﬄ' => folded.push_str("ffl"),
            'ﬅ' | 'ﬆ' => folded.push_str("st"),
            'ϐ' => folded.push('β'),
            'ϑ' => folded.push('θ'),
            'ϕ' => folded.push('φ'),
            'ϖ' => folded.push('π'),
            'ϰ' => folded.push('κ'),
            'ϱ' => folded.push('ρ'),
            'ϵ' => folded.push('ε'),
            c => folded.push(c),
        }
    }
    folded
}

/// The domain part, lower-cased, for domain rules (free mail, disposable, company).
pub fn domain(address: &str) -> Option<String> {
    address
        .trim()
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
}

fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= MAX_LOCAL
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        })
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.chars().count() <= MAX_LABEL
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        // A top-level domain is never all digits (that would be an IP address).
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_for_every_spelling_of_an_address() {
        for spelling in [
            "änn.o@beispiel.de",
            "ÄNN.O@BEISPIEL.DE",
            " Änn.O@Beispiel.de ",
            "\u{a0}änn.o@beispiel.de\u{a0}",
            "\t\r\nÄnn.o@beispiel.DE\u{2003}",
            "\u{200b}änn.o@beispiel.de\u{feff}",
            "\u{3000}ÄNN.O@beispiel.de\u{2060}",
        ] {
            assert_eq!(key(spelling), "änn.o@beispiel.de", "{spelling:?}");
        }
        assert_ne!(key("ann@beispiel.de"), key("anna@beispiel.de"));
        // Letters whose lower case is not their case folding.
        for (a, b) in [
            ("ΣΑΣ@example.gr", "σας@example.gr"),
            ("σασ@example.gr", "ΣΑΣ@example.gr"),
            ("STRASSE@example.de", "straße@example.de"),
            ("STRAẞE@example.de", "strasse@example.de"),
            ("\u{212a}elvin@example.com", "kelvin@example.com"),
        ] {
            assert_eq!(key(a), key(b), "{a} ~ {b}");
        }
    }

    #[test]
    fn accepts_addresses_people_have() {
        for ok in [
            "ann@example.com",
            "Ann.Lee@Example.COM",
            "first.last+tag@sub.domain.co.uk",
            "o'brien@example.ie",
            "x@a-b.io",
            "user_name-1@xn--mnchen-3ya.de",
            "jürgen@münchen.de",
            "a!#$%&'*+/=?^_`{|}~-@example.org",
            "1234567890@example.travel",
        ] {
            assert!(is_valid(ok), "{ok} should be valid");
        }
    }

    #[test]
    fn rejects_typos_and_exotic_forms() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_total = format!("a@{}.com", "b.".repeat(130));
        let long_label = format!("a@{}.com", "c".repeat(64));
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "ann@example..com",
            ".ann@example.com",
            "ann.@example.com",
            "an..n@example.com",
            "ann@-example.com",
            "ann@example-.com",
            "ann@example.c",
            "ann@127.0.0.1",
            "ann@[127.0.0.1]",
            "\"ann lee\"@example.com",
            "ann lee@example.com",
            "ann@exa mple.com",
            "ann@example.com.",
            "ann(comment)@example.com",
            long_local.as_str(),
            long_total.as_str(),
            long_label.as_str(),
        ] {
            assert!(!is_valid(bad), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn normalizes_domain_case_only() {
        assert_eq!(normalize("  Ann.Lee@Example.COM "), "Ann.Lee@example.com");
        assert_eq!(domain("Ann@Example.COM").as_deref(), Some("example.com"));
        assert_eq!(domain("nope"), None);
    }
}
