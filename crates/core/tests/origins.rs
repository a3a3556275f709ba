//! `normalize_origin`: offer configs name origins the way browsers send `Origin`.
#![cfg(feature = "messages")]

use leadmagnet_core::config::normalize_origin;

#[test]
fn origins_are_compared_as_browsers_send_them() {
    for (given, expected) in [
        ("https://www.example.com", "https://www.example.com"),
        ("https://WWW.Example.com/", "https://www.example.com"),
        ("https://www.example.com:443", "https://www.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:80", "http://localhost"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://[::1]", "http://[::1]"),
    ] {
        assert_eq!(
            normalize_origin(given).as_deref(),
            Some(expected),
            "{given}"
        );
    }
    for bad in [
        "www.example.com",
        "ftp://example.com",
        "https://example.com/landing",
        "https://*.example.com",
        "https://example.com:99999",
        "https://",
        "*",
        // Two ports, or brackets that are not an IPv6 address whole.
        "http://127.0.0.1:19101:80",
        "https://example.com:8443:443",
        "http://[::1",
        "http://::1]:80",
        "http://a[b]",
        "null",
    ] {
        assert_eq!(normalize_origin(bad), None, "{bad}");
    }
}
