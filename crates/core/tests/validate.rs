//! Field validation and the payload built from a validated lead.

use leadmagnet_core::messages::Lang;
use leadmagnet_core::{
    parse_lead, parse_offer, validate, Context, FieldType, FieldValue, LeadPayload, Problem, Values,
};

const DEMO: &str = include_str!("../../../www/offers/ebook.json");

fn values(pairs: &[(&str, FieldValue)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

fn problems(v: &Values) -> Vec<(String, Problem)> {
    let config = parse_offer(DEMO).expect("demo config");
    match validate(&config, v) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| (e.field, e.problem)).collect(),
    }
}

#[test]
fn empty_form_reports_every_required_field_in_order() {
    assert_eq!(
        problems(&Values::new()),
        [
            ("email".into(), Problem::Required),
            ("consent".into(), Problem::Required)
        ]
    );
}

#[test]
fn consent_must_be_ticked_not_just_present() {
    let v = values(&[
        ("email", text("ann@example.com")),
        ("consent", FieldValue::Bool(false)),
    ]);
    assert_eq!(problems(&v), [("consent".into(), Problem::Required)]);
}

#[test]
fn each_rule_reports_its_own_problem() {
    let v = values(&[
        ("email", text("ann@example")),
        ("first_name", text(&"x".repeat(501))),
        ("company_size", text("5000+")),
        ("newsletter", text("yes")),
        ("consent", FieldValue::Bool(true)),
        ("favourite_colour", text("blue")),
    ]);
    assert_eq!(
        problems(&v),
        [
            ("email".into(), Problem::InvalidEmail),
            ("first_name".into(), Problem::TooLong { max: 500 }),
            ("company_size".into(), Problem::UnknownOption),
            ("newsletter".into(), Problem::WrongType),
            ("favourite_colour".into(), Problem::UnknownField),
        ]
    );
}

#[test]
fn valid_lead_is_normalized() {
    let config = parse_offer(DEMO).expect("demo config");
    let v = values(&[
        ("email", text("  Ann.Lee@Example.COM ")),
        ("first_name", text(" Ann ")),
        ("company", text("   ")),
        ("company_size", text("50-249")),
        ("consent", FieldValue::Bool(true)),
    ]);
    let lead = validate(&config, &v).expect("valid");
    assert_eq!(lead.offer_id(), "ebook-lead-scoring");
    assert_eq!(
        lead.fields(),
        &values(&[
            ("email", text("Ann.Lee@example.com")),
            ("first_name", text("Ann")),
            ("company_size", text("50-249")),
            ("consent", FieldValue::Bool(true)),
        ])
    );
}

#[test]
fn messages_exist_in_both_languages_and_fit_the_field() {
    assert_eq!(
        Problem::Required.message(Lang::En, FieldType::Consent),
        "Please tick this box to continue."
    );
    assert_eq!(
        Problem::Required.message(Lang::De, FieldType::Text),
        "Bitte füllen Sie dieses Feld aus."
    );
    assert!(Problem::InvalidEmail
        .message(Lang::De, FieldType::Email)
        .contains("name@firma.de"));
    assert_eq!(Problem::TooLong { max: 500 }.code(), "too_long");
}

#[test]
fn payload_round_trips_through_the_collector_parser() {
    let config = parse_offer(DEMO).expect("demo config");
    let v = values(&[
        ("email", text("ann@example.com")),
        ("consent", FieldValue::Bool(true)),
    ]);
    let lead = validate(&config, &v).expect("valid");
    let context = Context {
        page_url: "https://example.com/landing?utm_source=x".into(),
        ..Context::default()
    };
    let payload = LeadPayload::new(
        lead,
        "3F2B8C1E-9A4D-4F6B-8C2D-1E5F7A9B0C3D",
        "2026-11-27T08:30:00.000Z",
        context,
    )
    .expect("payload");
    assert_eq!(payload.lead_id, "3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3d");
    let json = payload.to_json();
    assert!(json.starts_with(r#"{"version":1,"lead_id":"3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3d","offer_id":"ebook-lead-scoring""#), "{json}");
    assert_eq!(parse_lead(json.as_bytes()).expect("parses back"), payload);
}

#[test]
fn payload_builder_refuses_bad_ids_and_times() {
    let config = parse_offer(DEMO).expect("demo config");
    let v = values(&[
        ("email", text("ann@example.com")),
        ("consent", FieldValue::Bool(true)),
    ]);
    let lead = validate(&config, &v).expect("valid");
    let err = LeadPayload::new(
        lead.clone(),
        "not-a-uuid",
        "2026-11-27T08:30:00Z",
        Context::default(),
    )
    .expect_err("bad id");
    assert_eq!(err.pointer, "/lead_id");
    let err = LeadPayload::new(
        lead,
        "3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3d",
        "now",
        Context::default(),
    )
    .expect_err("bad time");
    assert_eq!(err.pointer, "/submitted_at");
}

#[test]
fn collector_parser_names_the_problem() {
    let ok = r#"{"version":1,"lead_id":"3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3d","offer_id":"o","submitted_at":"2026-11-27T08:30:00Z","fields":{"email":"a@b.co"},"context":{"page_url":"https://x.test/"},"future_key":{"ignored":true}}"#;
    assert!(parse_lead(ok.as_bytes()).is_ok());
    let cases = [
        (
            ok.replace(r#""version":1"#, r#""version":2"#),
            "/version",
            "unsupported payload version 2",
        ),
        (
            ok.replace("3f2b8c1e-9a4d-4f6b", "3f2b8c1e-9a4d-1f6b"),
            "/lead_id",
            "is not a UUID v7 or v4",
        ),
        (
            ok.replace(r#""offer_id":"o""#, r#""offer_id":" ""#),
            "/offer_id",
            "must not be empty",
        ),
        (
            ok.replace("2026-11-27T08:30:00Z", "27.11.2026"),
            "/submitted_at",
            "RFC 3339",
        ),
        (
            ok.replace(r#""a@b.co""#, "42"),
            "/fields/email",
            "expected a string, a boolean or a list of strings",
        ),
        (
            ok.replace(r#""fields""#, r#""felds""#),
            "",
            "missing key \"fields\"",
        ),
        (
            ok.replace(r#""page_url":"https://x.test/""#, ""),
            "/context",
            "missing key \"page_url\"",
        ),
        (
            r#"{"version":1,"#.to_string(),
            "",
            "expected a key in double quotes, found the end of the text (line 1, column 14)",
        ),
        (
            "[]".to_string(),
            "",
            "expected an object {...}, found an array",
        ),
        (
            format!("{ok} x"),
            "",
            "unexpected text after the end of the JSON document",
        ),
    ];
    for (body, pointer, message) in cases {
        let err = parse_lead(body.as_bytes()).expect_err(&body);
        assert_eq!(err.pointer, pointer, "{body}: {err}");
        assert!(err.message.contains(message), "{body}: {err}");
    }
}
