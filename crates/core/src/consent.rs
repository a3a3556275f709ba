//! The consent record and the attribution a lead carries: what the visitor agreed to, in
//! which wording, under which privacy signal, and where they came from.
//!
//! Both are part of the lead payload v1 (`consent`, `attribution`), read typed by the
//! collector; unknown keys inside them are skipped like everywhere in the payload, so a
//! newer widget can add to them.

use crate::json::{from_json_struct, ToJson, Writer};
use crate::map::SortedMap;

/// The consent record: one entry per consent field of the offer, as the visitor left it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Consent {
    pub purposes: Vec<ConsentPurpose>,
    /// The locale the wording was shown in.
    pub locale: Option<String>,
    pub page_url: Option<String>,
    /// When it was given: the lead's `submitted_at`.
    pub at: Option<String>,
    /// Global Privacy Control was on: nothing beyond this page view was kept or sent.
    pub gpc: bool,
}

/// One consent field's answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsentPurpose {
    /// `processing` (the consent field without a purpose) or the field's `purpose`
    /// (`marketing`, …).
    pub purpose: String,
    /// The field's id.
    pub field: String,
    pub granted: bool,
    /// FNV-1a (32 bit, 8 hex digits) of the wording exactly as shown: which text was agreed
    /// to, without storing it with every lead.
    pub text_hash: Option<String>,
    /// The field's `consent_version`, when the offer names one.
    pub text_version: Option<String>,
}

impl Consent {
    /// Whether the visitor gave marketing consent with this lead.
    pub fn marketing(&self) -> bool {
        self.purposes
            .iter()
            .any(|p| p.purpose == "marketing" && p.granted)
    }

    /// Whether the device may keep the visitor's history (earlier visits, campaign
    /// touches, the behaviour record) and a lead may carry it: marketing consent given
    /// with this lead and no Global Privacy Control signal. The one place of this rule:
    /// the widget, the loader (told after each lead) and the attribution all follow it.
    pub fn allows_history(&self) -> bool {
        history_allowed(self.marketing(), self.gpc)
    }

    /// The processing consent (the consent field without a purpose), if the offer has one.
    pub fn processing(&self) -> Option<&ConsentPurpose> {
        self.purposes.iter().find(|p| p.purpose == "processing")
    }
}

/// Where a page view came from: `landing_page`, `at`, `referrer`, the campaign keys
/// (`utm_*`) and click ids (`gclid`, `fbclid`, `msclkid`, `li_fat_id`) of its URL.
pub type Touch = SortedMap<String>;

/// The lead's attribution: always this page view's touch (`last_touch`); with marketing
/// consent and GPC off also the first touch and the latest campaign touch kept on the
/// visitor's device.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attribution {
    pub first_touch: Option<Touch>,
    pub last_touch: Option<Touch>,
}

/// The rule behind [`Consent::allows_history`], for when the consent record is not built
/// yet: `marketing` consent given, and no GPC.
pub fn history_allowed(marketing: bool, gpc: bool) -> bool {
    marketing && !gpc
}

/// FNV-1a (32 bit) of `text`'s UTF-16 code units as 8 hex digits, as the loader computes
/// it in the browser (`textHash`): identifies a wording shown; not a security measure.
pub fn text_hash(text: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for unit in text.encode_utf16() {
        h = (h ^ u32::from(unit)).wrapping_mul(0x0100_0193);
    }
    crate::payload::hex(&h.to_be_bytes())
}

impl ToJson for Consent {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("purposes", &self.purposes);
        w.field_opt("locale", &self.locale);
        w.field_opt("page_url", &self.page_url);
        w.field_opt("at", &self.at);
        w.field("gpc", &self.gpc);
        w.end_object();
    }
}

impl ToJson for ConsentPurpose {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("purpose", &self.purpose);
        w.field("field", &self.field);
        w.field("granted", &self.granted);
        w.field_opt("text_hash", &self.text_hash);
        w.field_opt("text_version", &self.text_version);
        w.end_object();
    }
}

impl ToJson for Attribution {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field_opt("first_touch", &self.first_touch);
        w.field_opt("last_touch", &self.last_touch);
        w.end_object();
    }
}

from_json_struct!(Consent {
    purposes: or_default "purposes",
    locale: opt "locale",
    page_url: opt "page_url",
    at: opt "at",
    gpc: or_default "gpc",
});

from_json_struct!(ConsentPurpose {
    purpose: req "purpose",
    field: req "field",
    granted: req "granted",
    text_hash: opt "text_hash",
    text_version: opt "text_version",
});

from_json_struct!(Attribution {
    first_touch: opt "first_touch",
    last_touch: opt "last_touch",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_hash_is_the_loaders_fnv1a_over_utf16() {
        // Values computed with the loader's textHash in Node.
        assert_eq!(text_hash(""), "811c9dc5");
        assert_eq!(text_hash("a"), "e40c292c");
        assert_eq!(text_hash("Ich willige ein, dass …"), "583ab41f");
        // Outside the BMP: both halves of the surrogate pair count, as in JavaScript.
        assert_eq!(text_hash("😀é"), "30580b83");
        assert_ne!(text_hash("I agree"), text_hash("I agree."));
    }

    #[test]
    fn a_consent_record_reads_typed_and_writes_back_the_same() {
        let text = r#"{"purposes":[{"purpose":"processing","field":"consent","granted":true,"text_hash":"0badc0de"},{"purpose":"marketing","field":"news","granted":false,"text_hash":"12345678","text_version":"2026-01"}],"locale":"de","page_url":"https://x.example/","at":"2026-11-27T08:30:00.000Z","gpc":true}"#;
        let consent: Consent = crate::json::read(text, false).expect("reads");
        assert!(consent.gpc && !consent.marketing());
        assert_eq!(consent.processing().map(|p| p.granted), Some(true));
        assert_eq!(consent.to_json_string(), text);
        let wrong = crate::json::read::<Consent>(
            r#"{"purposes":[{"purpose":"processing","field":"c","granted":"yes"}]}"#,
            false,
        );
        assert_eq!(
            wrong.map_err(|e| e[0].pointer.clone()),
            Err("/purposes/0/granted".to_owned())
        );
    }

    #[test]
    fn a_record_of_another_shape_counts_as_none_and_the_lead_is_kept() {
        for extra in [
            r#""consent":true"#,
            r#""consent":{"purposes":"all"}"#,
            r#""consent":{"purposes":[{"purpose":1}]}"#,
            r#""attribution":{"first_touch":true}"#,
            r#""attribution":[1,2]"#,
            r#""attribution":{"last_touch":{"utm_source":["a"]}}"#,
        ] {
            let text = format!(
                r#"{{"version":1,"lead_id":"019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d","offer_id":"o","submitted_at":"2026-11-27T08:30:00.000Z","fields":{{}},"context":{{"page_url":"https://x.example/"}},{extra}}}"#
            );
            let lead =
                crate::parse_lead(text.as_bytes()).unwrap_or_else(|e| panic!("{extra}: {e}"));
            assert_eq!((lead.consent, lead.attribution), (None, None), "{extra}");
        }
        // Other keys keep their strictness.
        let wrong = r#"{"version":1,"lead_id":"019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d","offer_id":"o","submitted_at":"2026-11-27T08:30:00.000Z","fields":{},"context":{"page_url":7}}"#;
        assert!(crate::parse_lead(wrong.as_bytes()).is_err());
    }
}
