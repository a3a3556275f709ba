//! Property tests over generated leads and profiles (a seeded generator, so a failure
//! reproduces): scores are deterministic and independent of event order, profiling never
//! asks for a known field, and adding a matching fit rule never lowers fit.

use leadmagnet_core::domains::CompactLists;
use leadmagnet_core::json::ToJson;
use leadmagnet_core::profiling::fields_to_show;
use leadmagnet_core::rule::Rule;
use leadmagnet_core::scoring::{score, Event, LeadFacts};
use leadmagnet_core::{parse_offer, FieldValue, Values};

const CONFIG: &str = include_str!("fixtures/score/config.json");
const NOW: i64 = 1_795_780_800_000; // 2026-11-27T12:00:00Z

/// xorshift64*: small, seeded, good enough to spread test inputs.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn lead(g: &mut Gen) -> LeadFacts {
    let mut fields = Values::new();
    let text = |s: &str| FieldValue::Text(s.to_owned());
    if g.chance(85) {
        fields.insert(
            "email".into(),
            text(g.pick(&[
                "a@gmail.com",
                "b@mailinator.com",
                "c@contoso.example",
                "d@web.de",
            ])),
        );
    }
    if g.chance(70) {
        fields.insert(
            "role".into(),
            text(g.pick(&[
                "CEO",
                "Leiterin Marketing",
                "Student",
                "Engineer",
                "HEAD of sales",
            ])),
        );
    }
    if g.chance(70) {
        fields.insert(
            "company_size".into(),
            text(g.pick(&["1-9", "10-49", "50-249", "250+"])),
        );
    }
    if g.chance(50) {
        fields.insert("timeline".into(), text(g.pick(&["now", "3m", "later"])));
    }
    let events = (0..g.below(9))
        .map(|_| {
            let day = 1 + g.below(28);
            let month = 1 + g.below(12);
            let kind = g.pick(&["page_view", "offer_completed", "offer_view", "return_visit"]);
            let page_view = kind == "page_view";
            Event {
                kind: kind.to_owned(),
                at: format!(
                    "2026-{month:02}-{day:02}T{:02}:{:02}:00Z",
                    g.below(24),
                    g.below(60)
                ),
                url: Some(g.pick(&["/pricing", "/blog", "/de/pricing"]).to_owned()),
                offer_id: None,
                seconds: page_view.then(|| g.below(600) as f64),
                scroll_percent: page_view.then(|| g.below(101) as f64),
            }
        })
        .collect();
    LeadFacts { fields, events }
}

fn json(value: &impl ToJson) -> String {
    value.to_json_string()
}

#[test]
fn scores_are_deterministic_and_independent_of_event_order() {
    let config = parse_offer(CONFIG).expect("config");
    let scoring = config.scoring.expect("scoring");
    let mut g = Gen(0x5eed_1ead);
    for _ in 0..500 {
        let original = lead(&mut g);
        let first = json(&score(&scoring, &original, NOW, &CompactLists));
        assert_eq!(
            first,
            json(&score(&scoring, &original, NOW, &CompactLists)),
            "same input, same score"
        );
        let mut shuffled = original.clone();
        for i in (1..shuffled.events.len()).rev() {
            let j = g.below(i + 1);
            shuffled.events.swap(i, j);
        }
        assert_eq!(
            first,
            json(&score(&scoring, &shuffled, NOW, &CompactLists)),
            "{original:?}"
        );
    }
}

#[test]
fn profiling_never_asks_for_a_known_field() {
    let config = parse_offer(include_str!("fixtures/fields/config.json")).expect("config");
    let always = ["email", "consent"];
    let ids: Vec<&str> = config.fields.iter().map(|f| f.id.as_str()).collect();
    let mut g = Gen(0xfeed);
    for _ in 0..500 {
        let mut profile = Values::new();
        for id in &ids {
            if g.chance(40) {
                let value = config
                    .field(id)
                    .and_then(|f| f.options.first())
                    .map_or("known", |o| o.value.as_str());
                profile.insert((*id).to_owned(), FieldValue::Text(value.to_owned()));
            }
        }
        let shown = fields_to_show(&config, &profile, &Values::new(), &CompactLists);
        for id in &shown {
            assert!(
                always.contains(id) || !profile.contains_key(id),
                "{id} is known but asked: {profile:?}"
            );
        }
        let new = shown.iter().filter(|id| !always.contains(id)).count();
        assert!(new <= 2, "max_new_fields is 2: {shown:?}");
        let mut unique = shown.clone();
        unique.dedup();
        assert_eq!(unique, shown, "a field never appears twice");
        for id in always {
            assert!(shown.contains(&id), "{id} is always asked");
        }
    }
}

#[test]
fn adding_a_matching_fit_rule_never_lowers_fit() {
    let config = parse_offer(CONFIG).expect("config");
    let scoring = config.scoring.expect("scoring");
    let mut g = Gen(0xabc);
    for _ in 0..300 {
        let l = lead(&mut g);
        let before = score(&scoring, &l, NOW, &CompactLists);
        let mut more = scoring.clone();
        let points = g.below(50) as f64;
        more.fit.push(Rule {
            id: Some("extra".into()),
            points: Some(points),
            field: Some("role".into()),
            is_set: Some(l.fields.contains_key("role")),
            ..Rule::default()
        });
        let after = score(&more, &l, NOW, &CompactLists);
        assert_eq!(
            after.fit,
            before.fit + points as i64,
            "the rule matches, so it adds exactly its points"
        );
        assert!(after.fit >= before.fit);
    }
}
