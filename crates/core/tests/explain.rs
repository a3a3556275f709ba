//! Routing on the score's results, and the explanation of a score: why a lead is or is
//! not an MQL, what did not count, which routing entry chose the queue.

use leadmagnet_core::domains::CompactLists;
use leadmagnet_core::scoring::{explain, score, LeadFacts, Stage};
use leadmagnet_core::time::parse_rfc3339;
use leadmagnet_core::validate::FieldValue;
use leadmagnet_core::{parse_offer, OfferConfig, Values};

const EBOOK: &str = include_str!("../../../www/offers/ebook.json");

/// The demo eBook with its routing replaced by `routing` (a JSON array).
fn ebook_routed(routing: &str) -> String {
    let start = EBOOK.find("\"routing\": [").expect("routing");
    let end = start + EBOOK[start..].find("]\n  },").expect("end of routing") + 1;
    format!("{}\"routing\": {routing}{}", &EBOOK[..start], &EBOOK[end..])
}

fn config(text: &str) -> OfferConfig {
    parse_offer(text).unwrap_or_else(|p| panic!("{p:?}"))
}

fn lead(fields: &[(&str, &str)], events: &[(&str, &str)]) -> LeadFacts {
    let mut values = Values::new();
    for (k, v) in fields {
        values.insert((*k).to_owned(), FieldValue::Text((*v).to_owned()));
    }
    let events_json: Vec<String> = events
        .iter()
        .map(|(kind, url)| {
            format!(r#"{{"type": "{kind}", "url": "{url}", "at": "2026-11-27T12:00:00Z"}}"#)
        })
        .collect();
    let mut facts = leadmagnet_core::scoring::parse_leads(&format!(
        r#"{{"events": [{}]}}"#,
        events_json.join(",")
    ))
    .expect("events")
    .0
    .remove(0);
    facts.fields = values;
    facts
}

fn now() -> i64 {
    parse_rfc3339("2026-11-27T12:00:00Z").expect("time")
}

/// The marketer's case: sales takes MQLs only, so a Head of Sales with a free-mail
/// address who is no MQL goes to nurturing; grade, level and matrix route too.
#[test]
fn routing_uses_stage_grade_level_and_matrix() {
    let c = config(&ebook_routed(
        r#"[
      { "queue": "sales", "when": { "all": [ { "field": "score.stage", "equals": "mql" }, { "field": "company_size", "in": ["50-249", "250+"] } ] } },
      { "queue": "grade-a-b", "when": { "field": "score.grade", "in": ["A", "B"] } },
      { "queue": "engaged", "when": { "field": "score.level", "lte": 2 } },
      { "queue": "d4", "when": { "field": "score.matrix", "equals": "D4" } },
      { "queue": "nurture" }
    ]"#,
    ));
    let scoring = c.scoring.clone().expect("scoring");
    let s = |l: &LeadFacts| score(&scoring, l, now(), &CompactLists);

    let mql = lead(
        &[
            ("email", "ann@contoso.example"),
            ("company_size", "250+"),
            ("timeline", "now"),
        ],
        &[("offer_completed", "https://x/ebook")],
    );
    let r = s(&mql);
    assert_eq!((r.stage, r.queue.as_deref()), (Stage::Mql, Some("sales")));

    // Head of sales, free mail, big company, buying now: fit 30 (grade B), total 30 < 40.
    let not_mql = lead(
        &[
            ("email", "boss@gmail.com"),
            ("company_size", "250+"),
            ("timeline", "now"),
        ],
        &[],
    );
    let r = s(&not_mql);
    assert_eq!(r.stage, Stage::Inquiry, "{r:?}");
    assert_eq!(
        (r.grade.as_str(), r.queue.as_deref()),
        ("B", Some("grade-a-b"))
    );

    let engaged = lead(
        &[("email", "eve@gmail.com")],
        &[
            ("page_view", "https://x/pricing"),
            ("page_view", "https://x/pricing"),
            ("offer_completed", "https://x"),
        ],
    );
    let r = s(&engaged);
    assert_eq!(
        (r.matrix.as_str(), r.queue.as_deref()),
        ("D2", Some("engaged")),
        "{r:?}"
    );

    let nobody = lead(&[("email", "x@gmail.com")], &[]);
    let r = s(&nobody);
    assert_eq!((r.matrix.as_str(), r.queue.as_deref()), ("D4", Some("d4")));
}

/// Score results are checked where routing names them, and only there.
#[test]
fn score_results_in_conditions_are_checked() {
    let problems = |routing: &str| match parse_offer(&ebook_routed(routing)) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(ToString::to_string).collect::<Vec<_>>(),
    };
    assert_eq!(
        problems(r#"[{ "queue": "q", "when": { "field": "score.stag", "equals": "mql" } }]"#),
        vec![
            r#"/scoring/routing/0/when/field: unknown score result "score.stag" (did you mean "score.stage"?); routing can use score.stage, score.grade, score.level, score.matrix"#
        ]
    );
    assert_eq!(
        problems(r#"[{ "queue": "q", "when": { "field": "score.stage", "equals": "sql" } }]"#),
        vec![
            r#"/scoring/routing/0/when/equals: "sql" is not a value of score.stage (did you mean "mql"?); it is one of "inquiry", "mql", "disqualified""#
        ]
    );
    assert_eq!(
        problems(
            r#"[{ "queue": "q", "when": { "not": { "field": "score.grade", "in": ["A", "E"] } } }]"#
        ),
        vec![
            r#"/scoring/routing/0/when/not/in/1: "E" is not a value of score.grade; it is one of "A", "B", "C", "D""#
        ]
    );
    assert!(
        problems(r#"[{ "queue": "q", "when": { "field": "score.level", "lte": 2 } }]"#).is_empty()
    );
    assert_eq!(
        problems(r#"[{ "queue": "q", "when": { "field": "score.total", "gte": 50 } }]"#).len(),
        1
    );
    // Not in fit rules or visible_if: there is no score yet.
    let fit = EBOOK.replace(
        r#"{ "id": "named-company", "field": "company""#,
        r#"{ "id": "named-company", "field": "score.grade""#,
    );
    let err = parse_offer(&fit).expect_err("score facts outside routing");
    assert!(
        err[0].to_string().contains("unknown field \"score.grade\""),
        "{err:?}"
    );
}

/// Why not an MQL: each failed criterion with its figures, every rule that did not count
/// with the value it saw, and the routing entry that chose the queue.
#[test]
fn the_explanation_says_why_not_an_mql() {
    let c = config(EBOOK);
    let scoring = c.scoring.clone().expect("scoring");
    let l = lead(
        &[
            ("email", "boss@gmail.com"),
            ("company_size", "50-249"),
            ("timeline", "6m"),
        ],
        &[("page_view", "https://x/pricing")],
    );
    let r = score(&scoring, &l, now(), &CompactLists);
    let why = explain(&scoring, &l, &r, &CompactLists);
    assert_eq!(r.stage, Stage::Inquiry);
    assert_eq!(
        why[0],
        "not an MQL: MQL needs a total of 40 or more: total 15 < 40 (fit 5 + engagement 10); \
         MQL needs grade B or better: grade D, fit 5 < 20"
    );
    assert_eq!(why[1], "grade D: fit 5 is below every fit grade");
    assert_eq!(why[2], "level 3: engagement 10 ≥ 5");
    assert!(
        why.contains(&r#"fit buying-now (+25) did not match: timeline is "6m"; wanted timeline equals "now""#.to_owned()),
        "{why:#?}"
    );
    assert!(
        why.contains(&r#"fit disposable (-50) did not match: the email domain "gmail.com" is free; wanted the email domain is disposable"#.to_owned()),
        "{why:#?}"
    );
    assert!(
        why.contains(
            &"engagement downloaded (+15 each) counted nothing: no offer_completed event"
                .to_owned()
        ),
        "{why:#?}"
    );
    assert_eq!(
        why.last().map(String::as_str),
        Some(
            r#"queue "mid-market": routing entry 1, the first whose condition holds (company_size equals "50-249")"#
        )
    );
    // Counted rules are not listed as failing.
    assert!(
        !why.iter().any(|w| w.contains("mid-size")
            || w.contains("freemail")
            || w.contains("pricing-visit")),
        "{why:#?}"
    );

    let mql = lead(
        &[
            ("email", "ann@contoso.example"),
            ("company_size", "250+"),
            ("timeline", "now"),
        ],
        &[],
    );
    let r = score(&scoring, &mql, now(), &CompactLists);
    let why = explain(&scoring, &mql, &r, &CompactLists);
    assert_eq!(why[0], "MQL: total 40 ≥ 40 and grade A is B or better");

    let rival = lead(&[("email", "spy@competitor.example")], &[]);
    let r = score(&scoring, &rival, now(), &CompactLists);
    let why = explain(&scoring, &rival, &r, &CompactLists);
    assert_eq!(
        why[0],
        "disqualified by competitor: never an MQL while this holds"
    );
    let fallback = why.last().expect("queue line");
    assert_eq!(
        fallback,
        r#"queue "self-serve": routing entry 2, the fallback (no condition), as no entry before it matched"#
    );
}
