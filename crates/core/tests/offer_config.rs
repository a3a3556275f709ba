//! The offer config parser and checks, on the shipped demo config and on broken ones.

use leadmagnet_core::config::{FieldType, OfferKind};
use leadmagnet_core::parse_offer;

const DEMO: &str = include_str!("../../../www/offers/ebook.json");

fn errors_of(json: &str) -> Vec<String> {
    match parse_offer(json) {
        Ok(_) => panic!("expected errors for {json}"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

/// The demo config with one JSON-level substitution, so each broken case is one edit away
/// from a config known to be good.
fn demo_with(from: &str, to: &str) -> String {
    assert!(DEMO.contains(from), "demo config no longer contains {from}");
    DEMO.replacen(from, to, 1)
}

#[test]
fn demo_config_is_valid() {
    let config = parse_offer(DEMO).expect("demo config parses");
    assert_eq!(config.id, "ebook-lead-scoring");
    assert_eq!(config.offer.kind, OfferKind::GatedContent);
    assert_eq!(
        config.offer.title.resolve("de-DE"),
        "Das Lead-Scoring-Handbuch"
    );
    let kinds: Vec<_> = config.fields.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FieldType::Email,
            FieldType::Text,
            FieldType::Text,
            FieldType::Select,
            FieldType::Select,
            FieldType::Checkbox,
            FieldType::Consent
        ]
    );
}

#[test]
fn autocomplete_tokens_follow_field_ids() {
    let config = parse_offer(DEMO).expect("demo config parses");
    let tokens: Vec<_> = config
        .fields
        .iter()
        .map(|f| f.autocomplete_token())
        .collect();
    assert_eq!(
        tokens,
        [
            Some("email"),
            Some("given-name"),
            Some("organization"),
            Some("on"),
            Some("on"),
            None,
            None
        ]
    );
}

#[test]
fn malformed_json_names_line_and_column() {
    let errors = errors_of("{\n  \"version\": 1,\n  \"id\": \"x\"\n  \"offer\": {}\n}");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("line 4, column 3"), "{errors:?}");
    assert!(errors[0].contains("expected `,` or `}`"), "{errors:?}");
}

#[test]
fn wrong_type_names_the_pointer() {
    let errors = errors_of(&demo_with(r#""type": "select""#, r#""type": "dropdown""#));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("/fields/3/type (line "), "{errors:?}");
    assert!(errors[0].contains(r#"unknown value "dropdown"; expected one of "text", "email", "select", "checkbox", "consent""#), "{errors:?}");
}

#[test]
fn typo_in_a_key_is_an_error_not_ignored() {
    let errors = errors_of(&demo_with(r#""submit_label""#, r#""submit_lable""#));
    assert_eq!(
        errors,
        ["/offer/submit_lable (line 14, column 5): unknown key \"submit_lable\" (did you mean \"submit_label\"?)"]
    );
}

#[test]
fn missing_key_names_its_parent() {
    let errors = errors_of(&demo_with(
        r#"{ "id": "first_name", "type": "text", "label": { "en": "First name", "de": "Vorname" } }"#,
        r#"{ "id": "first_name", "type": "text" }"#,
    ));
    assert!(errors[0].starts_with("/fields/1 "), "{errors:?}");
    assert!(errors[0].contains("missing key \"label\""), "{errors:?}");
}

#[test]
fn trailing_content_is_an_error() {
    let errors = errors_of(&format!("{DEMO}\n{{}}"));
    // The demo ends with a newline, then one more: the `{}` is two lines below its last.
    let line = DEMO.lines().count() + 2;
    assert_eq!(
        errors,
        [format!(
            "/ (line {line}, column 1): unexpected text after the end of the JSON document"
        )]
    );
}

#[test]
fn all_semantic_problems_are_reported_at_once() {
    let json = r#"{
      "version": 2, "id": "Bad Id",
      "offer": { "kind": "form", "title": {"en": " "} },
      "fields": [
        { "id": "email", "type": "email", "label": "Email" },
        { "id": "email", "type": "text", "label": "Again", "options": [{"value": "x"}] },
        { "id": "size", "type": "select", "label": "Size" },
        { "id": "First-Name", "type": "text", "label": "", "autocomplete": "Given-Name" }
      ],
      "endpoint": { "url": "javascript:alert(1)" }
    }"#;
    let errors = errors_of(json);
    let pointers: Vec<&str> = errors
        .iter()
        .map(|e| e.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(
        pointers,
        [
            "/version",
            "/id",
            "/offer/title/en",
            "/endpoint/url",
            "/fields/1/id",
            "/fields/1/options",
            "/fields/2/options",
            "/fields/3/id",
            "/fields/3/label",
            "/fields/3/autocomplete",
        ],
        "{errors:#?}"
    );
    assert!(errors[4].contains("duplicate field id \"email\" (also at /fields/0)"));
    assert!(errors[3].contains("scheme `javascript:` is not allowed"));
}

#[test]
fn urls_may_be_relative_or_http() {
    for url in [
        "/api/v1/leads",
        "leads",
        "https://collector.example.com/api/v1/leads",
        "http://127.0.0.1:8080/x?a=b:c",
    ] {
        let json = demo_with(r#""url": "/api/v1/leads""#, &format!(r#""url": "{url}""#));
        assert!(parse_offer(&json).is_ok(), "{url}");
    }
    for url in ["data:text/html,hi", "ftp://x/y", ""] {
        let json = demo_with(r#""url": "/api/v1/leads""#, &format!(r#""url": "{url}""#));
        let errors = errors_of(&json);
        assert!(errors[0].starts_with("/endpoint/url"), "{url}: {errors:?}");
    }
}

#[test]
fn an_offer_uses_its_own_scoring_or_the_account_model_not_both() {
    let both = demo_with(
        r#""scoring": {"#,
        r#""account_scoring": true, "scoring": {"#,
    );
    let errors = errors_of(&both);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/account_scoring") && e.contains("not both")),
        "{errors:?}"
    );
    // Without a section of its own, the account model's flag is a valid config.
    let mut config: serde_json::Value = serde_json::from_str(DEMO).expect("json");
    let object = config.as_object_mut().expect("object");
    object.remove("scoring");
    object.insert("account_scoring".into(), serde_json::Value::Bool(true));
    let parsed = parse_offer(&config.to_string()).expect("valid");
    assert!(parsed.account_scoring && parsed.scoring.is_none());
    // A flag that is not a boolean is named.
    let wrong = demo_with(
        r#""scoring": {"#,
        r#""account_scoring": "yes", "scoring": {"#,
    );
    assert!(errors_of(&wrong)
        .iter()
        .any(|e| e.starts_with("/account_scoring")));
}

/// A webhook's address is read whole, as a URL parser reads it: https anywhere, plain http
/// only to this machine, never credentials in it; and no target uses the collector's own
/// settings as its secret.
#[test]
fn webhook_addresses_and_secrets_are_read_whole() {
    let with_forward = |url: &str, env: &str| {
        demo_with(
            "\"endpoint\"",
            &format!(
                "\"forward\": [{{\"to\": \"webhook\", \"url\": {}, \"secret_env\": \"{env}\"}}], \"endpoint\"",
                serde_json::to_string(url).expect("json")
            ),
        )
    };
    for good in [
        "https://hooks.example.com/leads",
        "https://hooks.example.com:8443/leads?x=1",
        "http://localhost:9000/hook",
        "http://127.0.0.1/hook",
        "http://[::1]:8080/hook",
        "http://LOCALHOST/hook",
        "https://93.184.216.34/",
        "https://[2606:4700::1111]/",
        "https://hooks-eu.example.co.uk/x",
    ] {
        assert!(
            parse_offer(&with_forward(good, "LEADS_WEBHOOK_KEY")).is_ok(),
            "{good}"
        );
    }
    for bad in [
        "http://localhost@evil.example/x",
        "http://localhost.evil.example/x",
        "http://127.0.0.1.nip.io/x",
        "http://127.0.0.1:80@evil.example/",
        "http://evil.example/x",
        "https://user:pass@hooks.example.com/x",
        "https://",
        "https:///path",
        "https://hooks.example.com:/x",
        "https://hooks.example.com:99999999/x",
        "https://hooks.example.com /x",
        "http://localhost\\@evil.example/",
        "ftp://hooks.example.com/",
        " https://hooks.example.com/",
        // Not public: this machine, private and link-local networks (the cloud's metadata
        // service), numbers a URL parser reads as an address.
        "https://127.0.0.1/",
        "https://localhost/",
        "https://10.0.0.1:8443/",
        "https://192.168.1.10/",
        "https://172.16.0.1/",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://[::1]/",
        "https://[::ffff:169.254.169.254]/",
        "https://[fd00::1]/",
        "https://[fe80::1]/",
        "https://2130706433/",
        "https://0x7f000001/",
        "https://127.1/",
        "https://intranet/",
        // Not hosts at all.
        "https://[/",
        "https://]/",
        "https://-/",
        "https://.../",
        "https://-bad.example/",
        "https://hooks.example.com:99999/",
        "https://hooks.example.com:0/",
        "https://hooks.example.com./",
        "http://localhost./",
    ] {
        let errors = errors_of(&with_forward(bad, "LEADS_WEBHOOK_KEY"));
        assert!(
            errors
                .iter()
                .any(|e| e.contains("/forward/0/url") && e.contains("of a public host")),
            "{bad}: {errors:?}"
        );
    }
    for own in ["LEADMAGNET_ADMIN_TOKEN", "LEADMAGNET_CHALLENGE_KEY"] {
        let errors = errors_of(&with_forward("https://hooks.example.com/", own));
        assert!(
            errors.iter().any(|e| e.contains("/forward/0/secret_env")
                && e.contains("the collector's own settings")),
            "{own}: {errors:?}"
        );
    }
}
