//! Whether, and in which variant, a visitor sees an offer: targeting, frequency caps,
//! sticky A/B variants, and the outcome of quizzes and calculators.
//!
//! The widget gathers the page facts and the stored [`Visitor`] memory and asks here; the
//! rules are plain functions of those inputs (no clock, no randomness: the visitor's seed
//! and the time come in), so a marketer can reason about them and tests can pin them.

use crate::config::{DisplayMode, OfferConfig, QuizResult, Trigger, Variant};
use crate::domains::CompactLists;
use crate::json::{ToJson, Writer};
use crate::map::SortedMap;
use crate::profile::Visitor;
use crate::rule::Facts;
use crate::validate::{FieldValue, Values};

/// What targeting conditions see (see [`crate::config::TARGETING_FACTS`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageFacts {
    pub page_url: String,
    pub referrer: String,
    /// `utm_source` … `utm_content` of the page URL.
    pub utm: SortedMap<String>,
    /// `mobile`, `tablet` or `desktop` (see [`device_class`]).
    pub device: &'static str,
    pub returning: bool,
}

impl PageFacts {
    fn values(&self) -> Values {
        let mut v = Values::new();
        let mut put = |k: &str, s: &str| {
            if !s.is_empty() {
                v.insert(k.to_owned(), FieldValue::Text(s.to_owned()));
            }
        };
        put("page_url", &self.page_url);
        put("referrer", &self.referrer);
        put("device", self.device);
        put("visitor", if self.returning { "returning" } else { "new" });
        for (k, value) in &self.utm {
            put(k, value);
        }
        v
    }
}

/// The device class from the viewport width (CSS px) and whether the primary pointer is
/// coarse (touch): touch below 768 px is a phone, touch below 1280 px a tablet.
pub fn device_class(width: f64, coarse_pointer: bool) -> &'static str {
    match (coarse_pointer, width) {
        (true, w) if w < 768.0 => "mobile",
        (true, w) if w < 1280.0 => "tablet",
        (false, w) if w < 480.0 => "mobile",
        _ => "desktop",
    }
}

/// Why an offer is not shown now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// `display.targeting` does not hold for this page and visitor.
    NotTargeted,
    /// The visitor dismissed it less than `frequency.dismissed_days` ago.
    RecentlyDismissed,
    /// The visitor already converted on it (modal and slide-in offers only).
    Converted,
}

impl Hidden {
    /// The reason's name in the widget's `leadmagnet:hidden` event.
    pub fn name(self) -> &'static str {
        match self {
            Hidden::NotTargeted => "not_targeted",
            Hidden::RecentlyDismissed => "recently_dismissed",
            Hidden::Converted => "converted",
        }
    }
}

/// What the loader (`src/loader.js`) does with a mounted offer: the contract between the
/// widget and the loader, crossing as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan<'a> {
    /// Not shown: the loader announces `leadmagnet:hidden` with the reason.
    Hidden { offer: &'a str, reason: Hidden },
    /// Rendered: the loader shows it inline at once, or opens the modal or slide-in on
    /// its trigger (absent: at once).
    Shown {
        offer: &'a str,
        mode: DisplayMode,
        trigger: Option<&'a Trigger>,
        /// The A/B variant shown, which the loader's counts are kept by.
        variant: Option<&'a str>,
    },
}

impl ToJson for Plan<'_> {
    /// `{offer, hidden}` or `{offer, mode, trigger?}`; a trigger holds only its one key set.
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        match self {
            Plan::Hidden { offer, reason } => {
                w.field("offer", *offer);
                w.field("hidden", reason.name());
            }
            Plan::Shown {
                offer,
                mode,
                trigger,
                variant,
            } => {
                w.field("offer", *offer);
                w.field_opt("variant", variant);
                let mode = match mode {
                    DisplayMode::Inline => "inline",
                    DisplayMode::Modal => "modal",
                    DisplayMode::SlideIn => "slide_in",
                };
                w.field("mode", mode);
                if let Some(t) = trigger {
                    w.key("trigger");
                    w.begin_object();
                    w.field_opt("delay_seconds", &t.delay_seconds);
                    w.field_opt("scroll_percent", &t.scroll_percent);
                    w.field_opt("inactivity_seconds", &t.inactivity_seconds);
                    if t.exit_intent == Some(true) {
                        w.field("exit_intent", &true);
                    }
                    w.field_opt("click", &t.click);
                    w.end_object();
                }
            }
        }
        w.end_object();
    }
}

/// Whether the offer shows on this page view. Inline offers are part of the page: only
/// targeting applies to them. Modal and slide-in offers, which interrupt, also respect
/// the visitor's dismissal (for `dismissed_days`) and never come back after conversion,
/// unless a click opens them: then the visitor asked.
pub fn should_show(
    config: &OfferConfig,
    page: &PageFacts,
    visitor: &Visitor,
    now_ms: f64,
) -> Result<(), Hidden> {
    if !targeted(config, page) {
        return Err(Hidden::NotTargeted);
    }
    frequency_allows(config, visitor, now_ms)
}

/// Whether `display.targeting` holds for this page and visitor (true without targeting).
pub fn targeted(config: &OfferConfig, page: &PageFacts) -> bool {
    let Some(rule) = config.display.as_ref().and_then(|d| d.targeting.as_ref()) else {
        return true;
    };
    let values = page.values();
    let facts = Facts {
        values: &values,
        lists: &CompactLists,
        score: None,
    };
    rule.matches(&facts)
}

/// The frequency part of [`should_show`]: dismissal and conversion, for modal and
/// slide-in offers.
pub fn frequency_allows(
    config: &OfferConfig,
    visitor: &Visitor,
    now_ms: f64,
) -> Result<(), Hidden> {
    let Some(display) = &config.display else {
        return Ok(());
    };
    // A click trigger opens the offer because the visitor asked for it: no cap applies.
    let on_request = display.trigger.as_ref().is_some_and(|t| t.click.is_some());
    if display.mode == DisplayMode::Inline || on_request {
        return Ok(());
    }
    let memory = visitor.offers.get(&config.id);
    if memory.is_some_and(|m| m.converted) {
        return Err(Hidden::Converted);
    }
    if let Some(dismissed) = memory.and_then(|m| m.dismissed_ms) {
        let days = display.frequency.as_ref().map_or(1.0, |f| f.dismissed_days);
        if now_ms - dismissed < days * 86_400_000.0 {
            return Err(Hidden::RecentlyDismissed);
        }
    }
    Ok(())
}

/// The visitor's variant: a hash of their seed and the offer id picks by weight, so the
/// same visitor always gets the same variant of an offer (sticky), and different offers
/// are assigned independently.
pub fn variant<'a>(config: &'a OfferConfig, seed: &str) -> Option<&'a Variant> {
    let weight = |v: &Variant| v.weight.unwrap_or(1.0);
    let total: f64 = config.variants.iter().map(weight).sum();
    if config.variants.is_empty() || total <= 0.0 {
        return None;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes().chain([b'/']).chain(config.id.bytes()) {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    // FNV's low bits mix poorly; fold the high half in before taking 53 bits.
    hash ^= hash >> 29;
    let unit = (hash >> 11) as f64 / (1u64 << 53) as f64;
    let mut point = unit * total;
    for v in &config.variants {
        point -= weight(v);
        if point < 0.0 {
            return Some(v);
        }
    }
    config.variants.last()
}

/// The offer as `variant` shows it: its title, copy and submit label, without the fields
/// it hides (also taken out of steps and profiling, so they are neither asked nor
/// required).
pub fn apply_variant(config: OfferConfig, variant: &Variant) -> OfferConfig {
    let mut c = config;
    if let Some(t) = &variant.title {
        c.offer.title = t.clone();
    }
    if let Some(t) = &variant.description {
        c.offer.description = Some(t.clone());
    }
    if let Some(t) = &variant.submit_label {
        c.offer.submit_label = Some(t.clone());
    }
    let keep = |id: &String| !variant.hide_fields.contains(id);
    c.fields.retain(|f| keep(&f.id));
    for step in &mut c.steps {
        step.fields.retain(keep);
    }
    c.steps.retain(|s| !s.fields.is_empty());
    if let Some(p) = &mut c.profiling {
        p.always.retain(keep);
        p.order.retain(keep);
    }
    c
}

/// The quiz points of the answers: the sum of the chosen options' points.
pub fn quiz_points(config: &OfferConfig, answers: &Values) -> f64 {
    let mut total = 0.0;
    for field in &config.fields {
        let chosen: Vec<&str> = match answers.get(&field.id) {
            Some(FieldValue::Text(t)) => vec![t.as_str()],
            Some(FieldValue::List(items)) => items.iter().map(String::as_str).collect(),
            _ => continue,
        };
        total += field
            .options
            .iter()
            .filter(|o| chosen.contains(&o.value.as_str()))
            .filter_map(|o| o.points)
            .sum::<f64>();
    }
    total
}

/// The result band the points reach: the first (highest) band whose `min` they reach.
pub fn quiz_result(config: &OfferConfig, points: f64) -> Option<&QuizResult> {
    let quiz = config.quiz.as_ref()?;
    quiz.results
        .iter()
        .find(|b| points >= b.min)
        .or(quiz.results.last())
}

/// The calculator's result for the answers; `None` while an input is empty or not a
/// number, or when the formula has no finite value for them.
pub fn calculator_result(config: &OfferConfig, answers: &Values) -> Option<f64> {
    let expr = config.formula().ok()?;
    crate::formula::eval(&expr, &|name| match answers.get(name) {
        Some(FieldValue::Text(t)) => crate::json::parse_decimal(t.trim()),
        _ => None,
    })
}

/// What of `config` only the full build (`leadmagnet-full.js`) renders: modal and slide-in
/// display (with frequency caps, which need the visitor's memory),
/// targeting and A/B variants (see ARCHITECTURE.md, "The byte budget").
pub fn needs_full_build(config: &OfferConfig) -> Option<&'static str> {
    let display = config.display.as_ref();
    if display.is_some_and(|d| d.mode != DisplayMode::Inline) {
        Some("a modal or slide-in display")
    } else if display.is_some_and(|d| d.frequency.is_some()) {
        Some("display.frequency")
    } else if config
        .display
        .as_ref()
        .is_some_and(|d| d.targeting.is_some())
    {
        Some("display.targeting")
    } else if !config.variants.is_empty() {
        Some("A/B variants")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_offer;
    use crate::profile::OfferMemory;

    fn offer(display: &str, variants: &str) -> OfferConfig {
        parse_offer(&format!(
            r#"{{"version":1,"id":"t","offer":{{"kind":"form","title":"T"}},
            "fields":[{{"id":"email","type":"email","label":"E"}},{{"id":"company","type":"text","label":"C"}}],
            "endpoint":{{"url":"/x"}}, "display": {display}, "variants": {variants}}}"#
        ))
        .expect("valid config")
    }

    fn page(url: &str) -> PageFacts {
        PageFacts {
            page_url: url.into(),
            device: "desktop",
            ..PageFacts::default()
        }
    }

    #[test]
    fn targeting_uses_the_condition_language_over_page_facts() {
        let c = offer(
            r#"{"mode":"modal","targeting":{"all":[
                {"field":"page_url","matches":"*/pricing*"},
                {"any":[{"field":"utm_source","equals":"LinkedIn"},{"field":"visitor","equals":"returning"}]},
                {"not":{"field":"device","equals":"mobile"}}]}}"#,
            "[]",
        );
        let v = Visitor::default();
        let mut p = page("https://x.io/pricing?plan=pro");
        assert_eq!(should_show(&c, &p, &v, 0.0), Err(Hidden::NotTargeted));
        p.utm.insert("utm_source".into(), "linkedin".into());
        assert_eq!(should_show(&c, &p, &v, 0.0), Ok(()));
        p.device = "mobile";
        assert_eq!(should_show(&c, &p, &v, 0.0), Err(Hidden::NotTargeted));
        let mut returning = page("https://x.io/pricing");
        returning.returning = true;
        assert_eq!(should_show(&c, &returning, &v, 0.0), Ok(()));
        assert_eq!(
            should_show(&c, &page("https://x.io/blog"), &v, 0.0),
            Err(Hidden::NotTargeted)
        );
    }

    #[test]
    fn frequency_caps_dismissal_and_conversion() {
        let c = offer(
            r#"{"mode":"slide_in","frequency":{"dismissed_days":7}}"#,
            "[]",
        );
        let p = page("https://x.io/");
        let day = 86_400_000.0;
        let mut v = Visitor::default();
        assert_eq!(should_show(&c, &p, &v, 100.0 * day), Ok(()));
        v.offers.insert(
            "t".into(),
            OfferMemory {
                dismissed_ms: Some(100.0 * day),
                converted: false,
            },
        );
        assert_eq!(
            should_show(&c, &p, &v, 106.9 * day),
            Err(Hidden::RecentlyDismissed)
        );
        assert_eq!(should_show(&c, &p, &v, 107.0 * day), Ok(()));
        v.offers.insert(
            "t".into(),
            OfferMemory {
                dismissed_ms: None,
                converted: true,
            },
        );
        assert_eq!(
            should_show(&c, &p, &v, 1000.0 * day),
            Err(Hidden::Converted)
        );
        // Inline offers are part of the page: only targeting applies.
        let inline = offer(r#"{"mode":"inline"}"#, "[]");
        assert_eq!(should_show(&inline, &p, &v, 0.0), Ok(()));
        // A click opens what the visitor asked for, converted or not.
        let on_click = offer(r##"{"mode":"modal","trigger":{"click":"#cta"}}"##, "[]");
        assert_eq!(should_show(&on_click, &p, &v, 0.0), Ok(()));
    }

    #[test]
    fn variants_are_sticky_and_follow_the_weights() {
        let c = offer(
            "{}",
            r#"[{"id":"a","weight":3},{"id":"b","title":"B","hide_fields":["company"]}]"#,
        );
        let pick = |seed: &str| variant(&c, seed).map(|v| v.id.clone());
        assert_eq!(pick("seed-1"), pick("seed-1"));
        let a = (0..4000)
            .filter(|i| pick(&format!("visitor-{i}")).as_deref() == Some("a"))
            .count();
        // 3:1 weights: 3000 of 4000 expected; allow sampling noise.
        assert!((2850..3150).contains(&a), "{a} of 4000 got variant a");
        let b = c.variants.iter().find(|v| v.id == "b").expect("b").clone();
        let shown = apply_variant(c, &b);
        assert_eq!(shown.offer.title.resolve("en"), "B");
        assert!(shown.field("company").is_none());
        assert!(shown.field("email").is_some());
    }

    #[test]
    fn device_classes() {
        assert_eq!(device_class(390.0, true), "mobile");
        assert_eq!(device_class(1024.0, true), "tablet");
        assert_eq!(device_class(1024.0, false), "desktop");
        assert_eq!(device_class(1920.0, true), "desktop");
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    #[test]
    fn the_plan_is_the_json_the_loader_reads() {
        let hidden = Plan::Hidden {
            offer: "ebook \"2026\"",
            reason: Hidden::RecentlyDismissed,
        };
        assert_eq!(
            hidden.to_json_string(),
            r#"{"offer":"ebook \"2026\"","hidden":"recently_dismissed"}"#
        );
        let inline = Plan::Shown {
            offer: "ebook",
            mode: DisplayMode::Inline,
            trigger: None,
            variant: None,
        };
        assert_eq!(
            inline.to_json_string(),
            r#"{"offer":"ebook","mode":"inline"}"#
        );
        // The variant shown, for the loader's counts.
        let variant = Plan::Shown {
            offer: "ebook",
            mode: DisplayMode::Inline,
            trigger: None,
            variant: Some("b"),
        };
        assert_eq!(
            variant.to_json_string(),
            r#"{"offer":"ebook","variant":"b","mode":"inline"}"#
        );
        for (trigger, json) in [
            (
                Trigger {
                    delay_seconds: Some(2.5),
                    ..Trigger::default()
                },
                r#"{"delay_seconds":2.5}"#,
            ),
            (
                Trigger {
                    exit_intent: Some(true),
                    ..Trigger::default()
                },
                r#"{"exit_intent":true}"#,
            ),
            (
                Trigger {
                    exit_intent: Some(false),
                    ..Trigger::default()
                },
                "{}",
            ),
            (
                Trigger {
                    click: Some("a[href=\"#x\"]".into()),
                    ..Trigger::default()
                },
                r##"{"click":"a[href=\"#x\"]"}"##,
            ),
            (
                Trigger {
                    scroll_percent: Some(50.0),
                    inactivity_seconds: Some(30.0),
                    ..Trigger::default()
                },
                r#"{"scroll_percent":50,"inactivity_seconds":30}"#,
            ),
        ] {
            let plan = Plan::Shown {
                offer: "o",
                mode: DisplayMode::SlideIn,
                trigger: Some(&trigger),
                variant: None,
            };
            assert_eq!(
                plan.to_json_string(),
                format!(r#"{{"offer":"o","mode":"slide_in","trigger":{json}}}"#)
            );
        }
    }
}
