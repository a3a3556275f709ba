//! What only the browser knows at a submit, and how the core completes the lead with it.
//!
//! The loader reads the facts (Global Privacy Control, the time zone and viewport width,
//! the consent wording as shown, this page view's touch and the kept record's touches,
//! HubSpot's `hubspotutk` cookie, the proof-of-work solution, the honeypot) and passes
//! them in as JSON; [`complete`] turns them into the payload's `consent`, `attribution`,
//! context keys, `challenge` and `honeypot`. The rules (which purposes a consent record
//! lists, when attribution and the events may reach beyond this page view:
//! [`Consent::allows_history`]) live here and in `consent.rs`, in one place; the loader
//! passes what the browser holds and is told the outcome.

use crate::config::{ConsentPurpose as Purpose, FieldType};
use crate::consent::{history_allowed, text_hash, Attribution, Consent, ConsentPurpose, Touch};
use crate::json::from_json_struct;
use crate::map::SortedMap;
use crate::pow::{Honeypot, Proof};
use crate::scoring::Event;
use crate::validate::FieldValue;
use crate::{LeadPayload, OfferConfig};

/// The browser's facts at one submit (the loader's `facts(host)`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrowserFacts {
    /// `navigator.globalPrivacyControl === true`.
    pub gpc: bool,
    pub time_zone: Option<String>,
    /// `innerWidth` in CSS pixels.
    pub viewport_width: Option<f64>,
    /// Consent field id → its wording exactly as shown (the label's text, without the
    /// required mark).
    pub labels: SortedMap<String>,
    /// This page view's touch.
    pub touch: Touch,
    /// The first and the latest campaign touch of the record kept on the device (only
    /// when one exists and GPC is off).
    pub kept_first_touch: Option<Touch>,
    pub kept_last_touch: Option<Touch>,
    /// HubSpot's visitor cookie, for the HubSpot format's `context.hutk`.
    pub hutk: Option<String>,
    pub proof: Option<Proof>,
    pub honeypot: Option<String>,
    /// This page view's events (its page view and offer views): what every lead carries.
    pub events: Vec<Event>,
    /// The behaviour record kept on the device merged with this page view's events
    /// (bounded by the loader); empty when none is kept (a kept one holds at least this
    /// page view). A lead carries it only when [`history_allowed`]
    /// ([`BrowserFacts::lead_events`]).
    pub history: Vec<Event>,
}

from_json_struct!(BrowserFacts {
    gpc: or_default "gpc",
    time_zone: opt "time_zone",
    viewport_width: opt "viewport_width",
    labels: or_default "labels",
    touch: or_default "touch",
    kept_first_touch: opt "kept_first_touch",
    kept_last_touch: opt "kept_last_touch",
    hutk: opt "hutk",
    proof: opt "proof",
    honeypot: opt "honeypot",
    events: or_default "events",
    history: or_default "history",
});

impl BrowserFacts {
    /// Reads the loader's JSON, all or nothing: facts that do not read count as none (the
    /// lead then goes without them; it must never be lost over a broken page).
    pub fn read(json: &str) -> BrowserFacts {
        crate::json::read(json, false).unwrap_or_default()
    }
}

impl BrowserFacts {
    /// The events a lead carries and is scored on: the kept history with this page view's
    /// when the lead grants marketing consent and GPC is off, else this page view's alone.
    /// Takes them out of the facts.
    pub fn lead_events(
        &mut self,
        config: &OfferConfig,
        fields: &crate::validate::Values,
    ) -> Vec<Event> {
        let marketing = config.fields.iter().any(|f| {
            f.purpose == Some(Purpose::Marketing)
                && fields.get(&f.id) == Some(&FieldValue::Bool(true))
        });
        let history = std::mem::take(&mut self.history);
        let mut page = std::mem::take(&mut self.events);
        if !history.is_empty() && history_allowed(marketing, self.gpc) {
            return history;
        }
        page.retain(|e| e.kind != "return_visit");
        page
    }
}

/// `small` (< 600 px), `medium` (< 1024 px) or `large`.
pub fn viewport(width: f64) -> &'static str {
    if width < 600.0 {
        "small"
    } else if width < 1024.0 {
        "medium"
    } else {
        "large"
    }
}

/// Completes `payload` with the facts:
/// - context: `config_hash` (of the config text as loaded), `time_zone`, `viewport`;
/// - `consent`: one purpose per consent field and per field with a `purpose` (granted when
///   ticked), each with the hash of its wording as shown and its `consent_version`; the
///   locale, page, time and GPC signal;
/// - `attribution`: this page view's touch; with marketing consent and GPC off also the
///   first touch, both from the kept record once there is one;
/// - the proof-of-work solution and a filled honeypot.
pub fn complete(
    payload: &mut LeadPayload,
    config: &OfferConfig,
    config_text: &str,
    facts: BrowserFacts,
) {
    let context = &mut payload.context;
    context.config_hash = Some(text_hash(config_text));
    context.time_zone = facts.time_zone;
    context.viewport = facts.viewport_width.map(|w| viewport(w).to_owned());

    let mut purposes = Vec::new();
    for f in &config.fields {
        let purpose = match f.purpose {
            Some(Purpose::Marketing) => "marketing",
            Some(Purpose::Processing) => "processing",
            None if f.kind == FieldType::Consent => "processing",
            None => continue,
        };
        purposes.push(ConsentPurpose {
            purpose: purpose.to_owned(),
            field: f.id.clone(),
            granted: payload.fields.get(&f.id) == Some(&FieldValue::Bool(true)),
            text_hash: Some(text_hash(
                facts.labels.get(&f.id).map_or("", String::as_str),
            )),
            text_version: f.consent_version.clone(),
        });
    }
    let consent = Consent {
        purposes,
        locale: payload.context.locale.clone(),
        page_url: Some(payload.context.page_url.clone()),
        at: Some(payload.submitted_at.clone()),
        gpc: facts.gpc,
    };
    let wide = consent.allows_history();
    payload.attribution = Some(if wide {
        Attribution {
            first_touch: facts.kept_first_touch.or_else(|| Some(facts.touch.clone())),
            last_touch: facts.kept_last_touch.or(Some(facts.touch)),
        }
    } else {
        Attribution {
            first_touch: None,
            last_touch: Some(facts.touch),
        }
    });
    payload.consent = Some(consent);
    payload.challenge = facts.proof;
    payload.honeypot = facts.honeypot.filter(|v| !v.is_empty()).map(Honeypot);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::ToJson;

    const CONFIG: &str = r#"{ "version": 1, "id": "o", "offer": { "kind": "form", "title": "T" },
      "fields": [
        { "id": "email", "type": "email", "label": "Email", "required": true },
        { "id": "news", "type": "checkbox", "label": "News", "purpose": "marketing" },
        { "id": "consent", "type": "consent", "label": "Yes", "required": true, "consent_version": "v2" } ],
      "endpoint": { "url": "/api/v1/leads" } }"#;

    fn lead(news: bool) -> LeadPayload {
        let mut fields = crate::Values::new();
        fields.insert("email".into(), FieldValue::Text("a@b.example".into()));
        fields.insert("news".into(), FieldValue::Bool(news));
        fields.insert("consent".into(), FieldValue::Bool(true));
        let text = format!(
            r#"{{"version":1,"lead_id":"019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d","offer_id":"o","submitted_at":"2026-11-27T08:30:00.000Z","fields":{},"context":{{"page_url":"https://x.example/p","locale":"de"}}}}"#,
            fields.to_json_string()
        );
        crate::parse_lead(text.as_bytes()).expect("lead")
    }

    fn facts(json: &str) -> BrowserFacts {
        let facts = BrowserFacts::read(json);
        assert_ne!(facts, BrowserFacts::default(), "{json} reads");
        facts
    }

    const FACTS: &str = r#"{"gpc":false,"time_zone":"Europe/Berlin","viewport_width":800,
      "labels":{"news":"News","consent":"Yes"},"touch":{"landing_page":"https://x.example/p","at":"2026-11-27T08:29:00.000Z"},
      "kept_first_touch":{"landing_page":"https://x.example/first","at":"2026-10-01T00:00:00.000Z"},
      "kept_last_touch":{"landing_page":"https://x.example/last","at":"2026-11-01T00:00:00.000Z"},
      "hutk":null,"proof":{"algorithm":"SHA-256","challenge":"c","number":7,"salt":"s","signature":"g"},
      "honeypot":"","events":[{"type":"page_view","at":"2026-11-27T08:29:00.000Z"}]}"#;

    #[test]
    fn consent_context_proof_and_attribution_come_from_the_facts() {
        let config = crate::parse_offer(CONFIG).expect("config");
        let mut p = lead(true);
        let f = facts(FACTS);
        assert_eq!(f.events.len(), 1);
        complete(&mut p, &config, CONFIG, f);
        assert_eq!(
            p.context.config_hash.as_deref(),
            Some(text_hash(CONFIG).as_str())
        );
        assert_eq!(p.context.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(p.context.viewport.as_deref(), Some("medium"));
        let consent = p.consent.as_ref().expect("consent");
        let purposes: Vec<_> = consent
            .purposes
            .iter()
            .map(|c| {
                (
                    c.purpose.as_str(),
                    c.field.as_str(),
                    c.granted,
                    c.text_version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            purposes,
            [
                ("marketing", "news", true, None),
                ("processing", "consent", true, Some("v2"))
            ]
        );
        assert_eq!(consent.purposes[1].text_hash, Some(text_hash("Yes")));
        assert_eq!(
            (consent.locale.as_deref(), consent.gpc),
            (Some("de"), false)
        );
        // Marketing consent, GPC off: the kept record's touches.
        let a = p.attribution.as_ref().expect("attribution");
        let page = |t: &Option<Touch>| t.as_ref().and_then(|t| t.get("landing_page").cloned());
        assert_eq!(
            page(&a.first_touch).as_deref(),
            Some("https://x.example/first")
        );
        assert_eq!(
            page(&a.last_touch).as_deref(),
            Some("https://x.example/last")
        );
        assert_eq!(p.challenge.as_ref().and_then(|c| c.number), Some(7));
        assert_eq!(p.honeypot, None, "an empty trap is not sent");
    }

    #[test]
    fn beyond_this_page_only_with_marketing_consent_and_without_gpc() {
        let config = crate::parse_offer(CONFIG).expect("config");
        for (news, gpc) in [(false, false), (true, true), (false, true)] {
            let mut p = lead(news);
            let json = FACTS.replace(r#""gpc":false"#, &format!(r#""gpc":{gpc}"#));
            complete(&mut p, &config, CONFIG, facts(&json));
            let a = p.attribution.expect("attribution");
            assert_eq!(a.first_touch, None, "news {news}, gpc {gpc}");
            assert_eq!(
                a.last_touch
                    .and_then(|t| t.get("landing_page").cloned())
                    .as_deref(),
                Some("https://x.example/p"),
                "this page view's touch"
            );
            assert_eq!(p.consent.map(|c| c.gpc), Some(gpc));
        }
        // A first lead with marketing consent: no record yet, this page is the first touch.
        let mut p = lead(true);
        let json = FACTS
            .replace("\"kept_first_touch\"", "\"x\"")
            .replace("\"kept_last_touch\"", "\"y\"");
        complete(&mut p, &config, CONFIG, facts(&json));
        let a = p.attribution.expect("attribution");
        assert_eq!(a.first_touch, a.last_touch);
        assert!(a.first_touch.is_some());
    }

    /// The events a lead carries follow the same rule as its attribution: the kept
    /// history only with marketing consent in this lead and GPC off, and a return visit
    /// (known only from the record) never without it.
    #[test]
    fn the_kept_history_only_with_marketing_consent_and_without_gpc() {
        let config = crate::parse_offer(CONFIG).expect("config");
        let with_history = FACTS.replace(
            r#""events":[{"type":"page_view","at":"2026-11-27T08:29:00.000Z"}]"#,
            r#""events":[{"type":"return_visit","at":"2026-11-27T08:29:00.000Z"},
              {"type":"page_view","at":"2026-11-27T08:29:00.000Z","page":"p1"}],
              "history":[{"type":"page_view","at":"2026-11-01T00:00:00.000Z","url":"https://x.example/pricing"},
              {"type":"return_visit","at":"2026-11-27T08:29:00.000Z"},
              {"type":"page_view","at":"2026-11-27T08:29:00.000Z"}]"#,
        );
        let kinds = |events: Vec<Event>| events.into_iter().map(|e| e.kind).collect::<Vec<_>>();
        for (news, gpc, expected) in [
            (true, false, &["page_view", "return_visit", "page_view"][..]),
            (false, false, &["page_view"][..]),
            (true, true, &["page_view"][..]),
            (false, true, &["page_view"][..]),
        ] {
            let json = with_history.replace(r#""gpc":false"#, &format!(r#""gpc":{gpc}"#));
            let mut f = facts(&json);
            let fields = lead(news).fields;
            assert_eq!(
                kinds(f.lead_events(&config, &fields)),
                expected,
                "news {news}, gpc {gpc}"
            );
            // Taken out: the payload is completed without them.
            assert!(f.events.is_empty() && f.history.is_empty());
            // The same rule as the consent record the lead carries.
            let mut p = lead(news);
            complete(&mut p, &config, CONFIG, facts(&json));
            let consent = p.consent.expect("consent");
            assert_eq!(
                consent.allows_history(),
                expected.len() > 1,
                "news {news}, gpc {gpc}"
            );
        }
        // No record on the device: this page view's events, whatever the consent.
        let mut f = facts(FACTS);
        assert_eq!(
            kinds(f.lead_events(&config, &lead(true).fields)),
            ["page_view"]
        );
    }

    #[test]
    fn facts_of_the_wrong_type_count_as_none_and_a_filled_trap_goes_along() {
        assert_eq!(
            BrowserFacts::read(r#"{"kept_first_touch":false}"#),
            BrowserFacts::default()
        );
        assert_eq!(BrowserFacts::read("not json"), BrowserFacts::default());
        let config = crate::parse_offer(CONFIG).expect("config");
        let mut p = lead(false);
        complete(
            &mut p,
            &config,
            CONFIG,
            facts(&FACTS.replace(r#""honeypot":"""#, r#""honeypot":"spam""#)),
        );
        assert_eq!(p.honeypot.map(|h| h.0).as_deref(), Some("spam"));
    }
}
