//! Offer analytics: what the widget counts of each page view that showed an offer, and the
//! report the collector makes of the counts.
//!
//! **Counts only.** A page view that showed an offer sends, when the page is hidden, which
//! of these happened to that offer on it: `view`, `start` (the first interaction),
//! `step:N` (step N ≥ 2 reached), `invalid:<field>` (shown an error), `abandoned:<field>`
//! (the field last touched when the visitor left without sending), `submit` and `refused`
//! (a submit refused by the form's checks or by the endpoint). Each at most once per page
//! view, so a count is a number of page views.
//!
//! Abandonment is sent when the page is *hidden*, because mobile browsers may close a
//! hidden page without another word (`pagehide` and `unload` are not reliable there). A
//! visitor who then comes back and sends, or gives up at another field, takes it back
//! with `resumed:<field>`: a field's abandonments are its `abandoned` less its `resumed`. The request carries no cookie, no
//! identifier, no URL and no time (the collector files it under the day it arrives):
//! nothing that tells visitors apart ([`CountBatch`]).
//!
//! **The report** ([`Report::of`]): the funnel views → starts → steps → submits with the
//! drop-off at each stage, the fields where visitors gave up, conversion per variant with
//! a 95 % Wilson interval and a verdict from a two-proportion z-test, and the daily trend.

use crate::config::OfferConfig;
use crate::json::{from_json_struct, ToJson, Writer};

/// Version of the count batch the loader sends (`COUNTS_VERSION` in its contract).
pub const COUNTS_VERSION: u32 = 1;
/// At most this many offers in one batch (a page rarely shows more than a few).
pub const MAX_BATCH_OFFERS: usize = 20;
/// At most this many events per offer in one batch.
pub const MAX_OFFER_EVENTS: usize = 64;
/// Each arm needs this many views before a verdict is given.
pub const MIN_VIEWS_FOR_VERDICT: i64 = 100;

/// `POST /api/v1/counts`: `{"version": 1, "offers": [{"offer_id", "variant"?, "events"}]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct CountBatch {
    pub version: u32,
    pub offers: Vec<OfferCounts>,
}

/// What happened to one offer on one page view.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferCounts {
    pub offer_id: String,
    pub variant: Option<String>,
    pub events: Vec<String>,
}

from_json_struct!(CountBatch { version: req "version", offers: req "offers" });
from_json_struct!(OfferCounts { offer_id: req "offer_id", variant: opt "variant", events: req "events" });

/// Reads a count batch: `Err` names what is wrong (a client error), with whether the body
/// is not JSON at all (`true`) rather than JSON of the wrong shape.
pub fn parse_counts(body: &str) -> Result<CountBatch, (bool, String)> {
    let batch: CountBatch = crate::json::read(body, true).map_err(|problems| {
        problems.first().map_or_else(
            || (false, "not a count batch".to_owned()),
            |p| (p.syntax, p.to_string()),
        )
    })?;
    let shape = |message: String| (false, message);
    if batch.version != COUNTS_VERSION {
        return Err(shape(format!(
            "/version: unsupported count batch version {}: this collector reads version {COUNTS_VERSION}",
            batch.version
        )));
    }
    if batch.offers.is_empty() || batch.offers.len() > MAX_BATCH_OFFERS {
        return Err(shape(format!(
            "/offers: give 1 to {MAX_BATCH_OFFERS} offers, not {}",
            batch.offers.len()
        )));
    }
    // One entry per offer: a count is a number of page views, and a page view saw an
    // offer once, in one variant, however often it shows it (the loader merges them).
    for (i, offer) in batch.offers.iter().enumerate() {
        if batch.offers[..i]
            .iter()
            .any(|o| o.offer_id == offer.offer_id)
        {
            return Err(shape(format!(
                "/offers/{i}: offer \"{}\" is in this batch already: one entry per offer",
                offer.offer_id
            )));
        }
    }
    Ok(batch)
}

impl OfferCounts {
    /// The events as the collector keeps them: each known to `config` (its fields, its
    /// steps, its variants), each once. `Err` names the first that is not.
    pub fn checked(&self, config: &OfferConfig) -> Result<Vec<String>, String> {
        if let Some(v) = &self.variant {
            if !config.variants.iter().any(|known| &known.id == v) {
                return Err(format!("offer \"{}\" has no variant \"{v}\"", config.id));
            }
        }
        if self.events.len() > MAX_OFFER_EVENTS {
            return Err(format!(
                "at most {MAX_OFFER_EVENTS} events per offer, not {}",
                self.events.len()
            ));
        }
        let steps = config.steps.len().max(1);
        let mut out: Vec<String> = Vec::new();
        for event in &self.events {
            let known = match event.split_once(':') {
                None => matches!(event.as_str(), "view" | "start" | "submit" | "refused"),
                Some(("step", n)) => n
                    .parse::<usize>()
                    .is_ok_and(|k| k >= 2 && k <= steps && k.to_string() == n),
                Some(("invalid" | "abandoned" | "resumed", field)) => config.field(field).is_some(),
                Some(_) => false,
            };
            if !known {
                return Err(format!(
                    "\"{event}\" is not an event of offer \"{}\": view, start, step:2…step:{steps}, invalid:<field>, abandoned:<field>, resumed:<field>, submit or refused",
                    config.id
                ));
            }
            if !out.contains(event) {
                out.push(event.clone());
            }
        }
        Ok(out)
    }
}

/// One stored count: this many page views of this offer, in this variant (`""` without
/// one), on this day (`YYYY-MM-DD`, UTC), had this event.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub variant: String,
    pub day: String,
    pub event: String,
    pub count: i64,
}

/// One stage of the funnel.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// `views`, `starts`, `step 2` …, `submits`.
    pub name: String,
    pub count: i64,
    /// Of the stage before, the share that did not reach this one (0 to 1); `None` for
    /// the first stage or after a stage of 0.
    pub drop_off: Option<f64>,
}

/// A field's drop-off: how often it was shown an error, and how often it was the last one
/// touched before the visitor left without sending.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDropOff {
    pub field: String,
    pub invalid: i64,
    pub abandoned: i64,
    /// `abandoned` of the starts (0 to 1).
    pub abandon_rate: Option<f64>,
}

/// One variant's conversion: submits of views, with a 95 % Wilson interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// The variant's id; `""` for an offer without variants (and, for one with them, the
    /// page views counted before it had any).
    pub variant: String,
    /// Whether the verdict compares it: the offer's configured variants only, never the
    /// counts from before the test or of a variant removed since.
    pub compared: bool,
    pub views: i64,
    pub submits: i64,
    pub conversion: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// One day of the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub day: String,
    pub views: i64,
    pub starts: i64,
    pub submits: i64,
    pub refused: i64,
    pub conversion: Option<f64>,
}

/// The report of one offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub offer_id: String,
    pub funnel: Vec<Stage>,
    pub refused: i64,
    pub fields: Vec<FieldDropOff>,
    pub arms: Vec<Arm>,
    /// In plain words: which variant converts better and how sure that is, or that there
    /// is not enough data yet.
    pub verdict: String,
    /// The two-sided p-value of the verdict's comparison, when one was made.
    pub p_value: Option<f64>,
    pub days: Vec<Day>,
}

/// `part` of `of`, 0 to 1. Counts come from visitors' browsers and so from anyone: a part
/// larger than its whole (submits without views) is taken as the whole, never a rate
/// above 100 % or a square root of a negative number further on.
pub fn share(part: i64, of: i64) -> Option<f64> {
    (of > 0).then(|| part.clamp(0, of) as f64 / of as f64)
}

/// The 95 % Wilson score interval of `k` successes in `n` trials.
pub fn wilson(k: i64, n: i64) -> Option<(f64, f64)> {
    if n <= 0 {
        return None;
    }
    let k = k.clamp(0, n);
    let z = 1.959_963_984_540_054_f64;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * libm::sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The two-sided p-value of the difference of two conversion rates (pooled z-test).
pub fn two_proportion_p(k1: i64, n1: i64, k2: i64, n2: i64) -> Option<f64> {
    if n1 <= 0 || n2 <= 0 {
        return None;
    }
    let (k1, k2) = (k1.clamp(0, n1), k2.clamp(0, n2));
    let (k1, n1, k2, n2) = (k1 as f64, n1 as f64, k2 as f64, n2 as f64);
    let pooled = (k1 + k2) / (n1 + n2);
    let se = libm::sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2));
    if se == 0.0 {
        return Some(1.0);
    }
    let z = ((k1 / n1) - (k2 / n2)).abs() / se;
    // 2 · (1 − Φ(z)) = erfc(z / √2).
    Some(libm::erfc(z / core::f64::consts::SQRT_2))
}

fn percent(x: f64) -> String {
    let rounded = libm::round(x * 1000.0) / 10.0;
    format!("{rounded} %")
}

impl Report {
    /// The report of `config`'s offer from its stored counts.
    pub fn of(config: &OfferConfig, rows: &[Row]) -> Report {
        let total = |event: &str| -> i64 {
            rows.iter()
                .filter(|r| r.event == event)
                .map(|r| r.count)
                .sum()
        };
        let views = total("view");
        let starts = total("start");
        let submits = total("submit");
        let mut funnel = vec![("views".to_owned(), views), ("starts".to_owned(), starts)];
        for n in 2..=config.steps.len() {
            funnel.push((format!("step {n}"), total(&format!("step:{n}"))));
        }
        funnel.push(("submits".to_owned(), submits));
        let mut before: Option<i64> = None;
        let funnel = funnel
            .into_iter()
            .map(|(name, count)| {
                let drop_off = before.and_then(|b| share(b.saturating_sub(count).max(0), b));
                before = Some(count);
                Stage {
                    name,
                    count,
                    drop_off,
                }
            })
            .collect();
        let fields = config
            .fields
            .iter()
            .map(|f| {
                // Taken back by visitors who came back (never below 0, whatever was sent).
                let abandoned = total(&format!("abandoned:{}", f.id))
                    .saturating_sub(total(&format!("resumed:{}", f.id)))
                    .max(0);
                FieldDropOff {
                    field: f.id.clone(),
                    invalid: total(&format!("invalid:{}", f.id)),
                    abandoned,
                    abandon_rate: share(abandoned, starts),
                }
            })
            .collect();

        // Arms: the configured variants in order (or the offer itself), then any variant
        // only the counts know (one removed from the config since, or "" for the page views
        // before the test began): shown, never compared.
        let mut names: Vec<String> = if config.variants.is_empty() {
            vec![String::new()]
        } else {
            config.variants.iter().map(|v| v.id.clone()).collect()
        };
        let configured = names.len();
        for r in rows {
            if !names.contains(&r.variant) {
                names.push(r.variant.clone());
            }
        }
        let arms: Vec<Arm> = names
            .into_iter()
            .enumerate()
            .map(|(i, variant)| {
                let of = |event: &str| -> i64 {
                    rows.iter()
                        .filter(|r| r.variant == variant && r.event == event)
                        .map(|r| r.count)
                        .sum()
                };
                let (views, submits) = (of("view"), of("submit"));
                let ci = wilson(submits, views);
                Arm {
                    variant,
                    compared: i < configured,
                    views,
                    submits,
                    conversion: share(submits, views),
                    low: ci.map(|c| c.0),
                    high: ci.map(|c| c.1),
                }
            })
            .collect();
        let (verdict, p_value) = verdict(&arms);

        let mut day_names: Vec<&str> = rows.iter().map(|r| r.day.as_str()).collect();
        day_names.sort_unstable();
        day_names.dedup();
        let days = day_names
            .into_iter()
            .map(|day| {
                let of = |event: &str| -> i64 {
                    rows.iter()
                        .filter(|r| r.day == day && r.event == event)
                        .map(|r| r.count)
                        .sum()
                };
                let (views, submits) = (of("view"), of("submit"));
                Day {
                    day: day.to_owned(),
                    views,
                    starts: of("start"),
                    submits,
                    refused: of("refused"),
                    conversion: share(submits, views),
                }
            })
            .collect();
        Report {
            offer_id: config.id.clone(),
            funnel,
            refused: total("refused"),
            fields,
            arms,
            verdict,
            p_value,
            days,
        }
    }

    /// The daily counts per variant as CSV (RFC 4180, CRLF): `day,variant,views,starts,
    /// submits,refused,conversion`.
    pub fn csv(config: &OfferConfig, rows: &[Row]) -> String {
        let mut keys: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.day.as_str(), r.variant.as_str()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut out =
            String::from("offer_id,day,variant,views,starts,submits,refused,conversion\r\n");
        for (day, variant) in keys {
            let of = |event: &str| -> i64 {
                rows.iter()
                    .filter(|r| r.day == day && r.variant == variant && r.event == event)
                    .map(|r| r.count)
                    .sum()
            };
            let (views, submits) = (of("view"), of("submit"));
            let conversion = share(submits, views).map_or_else(String::new, |c| format!("{c:.4}"));
            out += &format!(
                "{},{day},{},{views},{},{submits},{},{conversion}\r\n",
                csv_cell(&config.id),
                csv_cell(variant),
                of("start"),
                of("refused")
            );
        }
        out
    }
}

/// A CSV cell: quoted when it holds a separator, a quote or a line break; a leading
/// `=`, `+`, `-` or `@` is neutralised so a spreadsheet does not run it as a formula.
fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The verdict on the arms: the best against the runner-up, at 95 % confidence, once each
/// has [`MIN_VIEWS_FOR_VERDICT`] views.
fn verdict(arms: &[Arm]) -> (String, Option<f64>) {
    let arms: Vec<&Arm> = arms.iter().filter(|a| a.compared).collect();
    if arms.len() < 2 {
        return ("one version only: nothing to compare".to_owned(), None);
    }
    let mut ranked: Vec<&Arm> = arms.clone();
    ranked.sort_by(|a, b| {
        b.conversion
            .unwrap_or(0.0)
            .total_cmp(&a.conversion.unwrap_or(0.0))
    });
    let (best, next) = (ranked[0], ranked[1]);
    if arms.iter().any(|a| a.views < MIN_VIEWS_FOR_VERDICT) {
        let fewest = arms.iter().map(|a| a.views).min().unwrap_or(0);
        return (
            format!(
                "not enough data yet: each variant needs {MIN_VIEWS_FOR_VERDICT} views (the fewest has {fewest})"
            ),
            None,
        );
    }
    let p = two_proportion_p(best.submits, best.views, next.submits, next.views);
    match p {
        Some(p) if p < 0.05 => (
            format!(
                "{} converts better, 95 % confidence ({} vs {}, p = {p:.3})",
                best.variant,
                percent(best.conversion.unwrap_or(0.0)),
                percent(next.conversion.unwrap_or(0.0))
            ),
            Some(p),
        ),
        Some(p) => (
            format!(
                "no clear difference yet ({} vs {}, p = {p:.2}): keep the test running",
                percent(best.conversion.unwrap_or(0.0)),
                percent(next.conversion.unwrap_or(0.0))
            ),
            Some(p),
        ),
        None => ("not enough data yet".to_owned(), None),
    }
}

/// A rounded number, or `null` (JSON has no NaN or infinity).
fn opt_num(w: &mut Writer, key: &str, value: Option<f64>) {
    w.key(key);
    match value.filter(|v| v.is_finite()) {
        Some(v) => w.raw(&format!("{}", libm::round(v * 10_000.0) / 10_000.0)),
        None => w.raw("null"),
    }
}

impl ToJson for Report {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("offer_id", &self.offer_id);
        w.key("funnel");
        w.begin_array();
        for s in &self.funnel {
            w.element();
            w.begin_object();
            w.field("stage", &s.name);
            w.field("count", &s.count);
            opt_num(w, "drop_off", s.drop_off);
            w.end_object();
        }
        w.end_array();
        w.field("refused", &self.refused);
        w.key("fields");
        w.begin_array();
        for f in &self.fields {
            w.element();
            w.begin_object();
            w.field("field", &f.field);
            w.field("invalid", &f.invalid);
            w.field("abandoned", &f.abandoned);
            opt_num(w, "abandon_rate", f.abandon_rate);
            w.end_object();
        }
        w.end_array();
        w.key("variants");
        w.begin_array();
        for a in &self.arms {
            w.element();
            w.begin_object();
            w.field("variant", &a.variant);
            w.field("compared", &a.compared);
            w.field("views", &a.views);
            w.field("submits", &a.submits);
            opt_num(w, "conversion", a.conversion);
            opt_num(w, "low", a.low);
            opt_num(w, "high", a.high);
            w.end_object();
        }
        w.end_array();
        w.field("verdict", &self.verdict);
        opt_num(w, "p_value", self.p_value);
        w.key("days");
        w.begin_array();
        for d in &self.days {
            w.element();
            w.begin_object();
            w.field("day", &d.day);
            w.field("views", &d.views);
            w.field("starts", &d.starts);
            w.field("submits", &d.submits);
            w.field("refused", &d.refused);
            opt_num(w, "conversion", d.conversion);
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_published_values() {
        // 10 of 100: 0.0552 to 0.1744 (Newcombe 1998, method 3).
        let (lo, hi) = wilson(10, 100).expect("interval");
        assert!(
            (lo - 0.0552).abs() < 5e-4 && (hi - 0.1744).abs() < 5e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 20).expect("interval");
        assert!(lo == 0.0 && (hi - 0.1611).abs() < 5e-4, "{hi}");
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn the_z_test_matches_a_hand_computation() {
        // 120/1000 vs 90/1000: pooled 0.105, se 0.013709, z 2.1883, p 0.02865.
        let p = two_proportion_p(120, 1000, 90, 1000).expect("p");
        assert!((p - 0.02865).abs() < 2e-4, "{p}");
        let same = two_proportion_p(50, 500, 50, 500).expect("p");
        assert!((same - 1.0).abs() < 1e-9);
        assert_eq!(two_proportion_p(1, 0, 1, 1), None);
    }

    /// A visitor who came back takes their abandonment back: a field's abandonments are
    /// its `abandoned` less its `resumed`, never below 0 (a crafted batch of takings-back).
    #[test]
    fn resumed_takes_an_abandonment_back() {
        let config = crate::parse_offer(
            r#"{"version": 1, "id": "o", "locale": "en", "offer": {"kind": "form", "title": "T"},
                "fields": [{"id": "email", "type": "email", "label": "Email", "required": true},
                           {"id": "company", "type": "text", "label": "Company"}],
                "endpoint": {"url": "/api/v1/leads"}}"#,
        )
        .expect("config");
        let row = |event: &str, count: i64| Row {
            variant: String::new(),
            day: "2026-12-01".to_owned(),
            event: event.to_owned(),
            count,
        };
        let rows = [
            row("view", 10),
            row("start", 8),
            row("abandoned:email", 5),
            row("resumed:email", 2),
            row("abandoned:company", 1),
            row("resumed:company", 4),
        ];
        let r = Report::of(&config, &rows);
        let got: Vec<(&str, i64)> = r
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.abandoned))
            .collect();
        assert_eq!(got, [("email", 3), ("company", 0)]);
        assert_eq!(r.fields[0].abandon_rate, Some(3.0 / 8.0));
        let batch = OfferCounts {
            offer_id: "o".to_owned(),
            variant: None,
            events: vec!["resumed:email".to_owned(), "abandoned:company".to_owned()],
        };
        assert_eq!(batch.checked(&config).expect("known"), batch.events);
        for unknown in ["resumed:", "resumed:phone", "resumed", "resume:email"] {
            let bad = OfferCounts {
                events: vec![unknown.to_owned()],
                ..batch.clone()
            };
            assert!(bad.checked(&config).is_err(), "{unknown}");
        }
    }

    fn ab_offer() -> OfferConfig {
        crate::parse_offer(
            r#"{"version": 1, "id": "ab", "locale": "en", "offer": {"kind": "form", "title": "T"},
                "fields": [{"id": "email", "type": "email", "label": "Email", "required": true}],
                "variants": [{"id": "a", "weight": 1}, {"id": "b", "weight": 1}],
                "endpoint": {"url": "/api/v1/leads"}}"#,
        )
        .expect("config")
    }

    fn rows(of: &[(&str, &str, i64)]) -> Vec<Row> {
        of.iter()
            .map(|(variant, event, count)| Row {
                variant: (*variant).to_owned(),
                day: "2026-12-01".to_owned(),
                event: (*event).to_owned(),
                count: *count,
            })
            .collect()
    }

    /// Whatever browsers (or anyone) sent, the report is a report: rates within 0 to 1,
    /// drop-offs never negative, finite numbers only, JSON that reads back.
    #[test]
    fn crafted_counts_still_make_a_readable_report() {
        let config = ab_offer();
        for crafted in [
            rows(&[
                ("a", "submit", 250),
                ("a", "view", 100),
                ("b", "view", 100),
                ("b", "submit", 100),
            ]),
            rows(&[("a", "submit", 5), ("b", "submit", 7)]),
            rows(&[
                ("a", "view", 0),
                ("a", "start", 9),
                ("b", "view", 3),
                ("b", "submit", 3),
            ]),
            rows(&[
                ("a", "view", 150),
                ("a", "start", 400),
                ("a", "submit", 400),
                ("b", "view", 150),
            ]),
        ] {
            let r = Report::of(&config, &crafted);
            for a in &r.arms {
                for x in [a.conversion, a.low, a.high].into_iter().flatten() {
                    assert!((0.0..=1.0).contains(&x), "{a:?}");
                }
            }
            for stage in &r.funnel {
                assert!(
                    stage.drop_off.is_none_or(|d| (0.0..=1.0).contains(&d)),
                    "{stage:?}"
                );
            }
            assert!(r.p_value.is_none_or(f64::is_finite), "{r:?}");
            let json = r.to_json_string();
            assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
            serde_json::from_str::<serde_json::Value>(&json)
                .unwrap_or_else(|e| panic!("{json}: {e}"));
        }
    }

    /// The verdict compares the configured variants only: page views from before the test
    /// (no variant) or of a variant removed since are shown, and neither win nor block it.
    #[test]
    fn the_verdict_compares_the_configured_variants_only() {
        let config = ab_offer();
        let counted = rows(&[
            ("", "view", 160),
            ("", "submit", 160),
            ("old", "view", 1),
            ("a", "view", 200),
            ("a", "submit", 20),
            ("b", "view", 200),
            ("b", "submit", 40),
        ]);
        let r = Report::of(&config, &counted);
        let arms: Vec<(&str, bool)> = r
            .arms
            .iter()
            .map(|a| (a.variant.as_str(), a.compared))
            .collect();
        assert_eq!(
            arms,
            [("a", true), ("b", true), ("", false), ("old", false)]
        );
        assert!(
            r.verdict
                .starts_with("b converts better, 95 % confidence (20 % vs 10 %"),
            "{}",
            r.verdict
        );
    }

    /// A batch names each offer once: a page view saw an offer once, in one variant.
    #[test]
    fn a_batch_names_each_offer_once() {
        let one = r#"{"offer_id": "ab", "variant": "a", "events": ["view"]}"#;
        let other = r#"{"offer_id": "cd", "variant": "b", "events": ["view"]}"#;
        assert!(parse_counts(&format!(r#"{{"version": 1, "offers": [{one}, {other}]}}"#)).is_ok());
        for twin in [
            r#"{"offer_id": "ab", "variant": "b", "events": ["view"]}"#,
            r#"{"offer_id": "ab", "events": ["view"]}"#,
        ] {
            assert!(
                parse_counts(&format!(r#"{{"version": 1, "offers": [{one}, {twin}]}}"#)).is_err(),
                "{twin}"
            );
        }
        let (syntax, message) = parse_counts(&format!(
            r#"{{"version": 1, "offers": [{one}, {other}, {one}]}}"#
        ))
        .expect_err("twice");
        assert!(!syntax);
        assert_eq!(
            message,
            "/offers/2: offer \"ab\" is in this batch already: one entry per offer"
        );
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
