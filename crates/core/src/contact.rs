//! A contact: one person, keyed by the normalised email address
//! ([`crate::email::key`]), and what the submissions attached to them add up to.
//!
//! The collector keeps every submission unchanged as evidence and groups them by person;
//! this module is the rule for what the person *is* from them: the profile (the latest
//! value of each field, with the submission it came from) and one deduplicated event
//! history. Pure: the submissions come in as read payloads, in any order.

use crate::json::{ToJson, Writer};
use crate::map::SortedMap;
use crate::scoring::Event;
use crate::validate::FieldValue;
use crate::LeadPayload;

/// A field's latest value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced {
    pub value: FieldValue,
    /// The submission that gave it.
    pub lead_id: String,
    pub submitted_at: String,
}

/// One submission as the contact lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionRef {
    pub lead_id: String,
    pub offer_id: String,
    pub submitted_at: String,
}

/// What a person's submissions add up to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contact {
    /// Field id → the latest value given, with its submission. A field left out of a
    /// later form keeps its earlier value (progressive profiling asks each field once).
    pub profile: SortedMap<Sourced>,
    /// Every event of every submission (and those sent later), oldest first, each once.
    pub events: Vec<Event>,
    /// Oldest first.
    pub submissions: Vec<SubmissionRef>,
}

/// Whether two events are the same happening. A page view keeps growing (seconds
/// visible, scroll depth) until the visitor leaves, so a later submission may carry the
/// same page view with larger figures: identity is type, time, page and offer.
fn same(a: &Event, b: &Event) -> bool {
    a.kind == b.kind && a.at == b.at && a.url == b.url && a.offer_id == b.offer_id
}

impl Contact {
    /// The contact of these submissions (in any order) and of `later` events.
    pub fn of(submissions: &[&LeadPayload], later: &[Event]) -> Contact {
        let mut ordered: Vec<&LeadPayload> = submissions.to_vec();
        // Time order; the lead id (time-ordered too) breaks ties, so the result never
        // depends on the order the store returned them in.
        ordered.sort_by(|a, b| {
            (a.submitted_at.as_str(), a.lead_id.as_str())
                .cmp(&(b.submitted_at.as_str(), b.lead_id.as_str()))
        });
        let mut contact = Contact::default();
        for lead in &ordered {
            for (id, value) in &lead.fields {
                contact.profile.insert(
                    id.clone(),
                    Sourced {
                        value: value.clone(),
                        lead_id: lead.lead_id.clone(),
                        submitted_at: lead.submitted_at.clone(),
                    },
                );
            }
            contact.submissions.push(SubmissionRef {
                lead_id: lead.lead_id.clone(),
                offer_id: lead.offer_id.clone(),
                submitted_at: lead.submitted_at.clone(),
            });
        }
        for event in ordered.iter().flat_map(|l| &l.events).chain(later) {
            match contact.events.iter_mut().find(|e| same(e, event)) {
                // Known: the later report of it has the larger figures.
                Some(known) => {
                    known.seconds = max(known.seconds, event.seconds);
                    known.scroll_percent = max(known.scroll_percent, event.scroll_percent);
                }
                None => contact.events.push(event.clone()),
            }
        }
        // RFC 3339 UTC times as the widget writes them: text order is time order.
        contact.events.sort_by(|a, b| a.at.cmp(&b.at));
        contact
    }
}

fn max(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl ToJson for Sourced {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("value", &self.value);
        w.field("lead_id", &self.lead_id);
        w.field("submitted_at", &self.submitted_at);
        w.end_object();
    }
}

impl ToJson for SubmissionRef {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("lead_id", &self.lead_id);
        w.field("offer_id", &self.offer_id);
        w.field("submitted_at", &self.submitted_at);
        w.end_object();
    }
}

impl ToJson for Contact {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("profile", &self.profile);
        w.field("submissions", &self.submissions);
        w.field("events", &self.events);
        w.end_object();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(id: &str, at: &str, fields: &str, events: &str) -> LeadPayload {
        crate::parse_lead(
            format!(
                r#"{{"version":1,"lead_id":"{}","offer_id":"o-{id}","submitted_at":"{at}",
                "fields":{fields},"context":{{"page_url":"https://x.example/"}},"events":{events}}}"#
            ,
                uid(id)
            )
            .as_bytes(),
        )
        .expect("lead")
    }

    /// A UUID v7 ending in the one hex digit `id`.
    fn uid(id: &str) -> String {
        format!("019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3{id}")
    }

    #[test]
    fn the_profile_is_the_latest_value_of_each_field_with_its_submission() {
        let ebook = lead(
            "a",
            "2026-11-01T10:00:00.000Z",
            r#"{"email":"ada@x.example","company":"Old GmbH","newsletter":true}"#,
            "[]",
        );
        let quiz = lead(
            "b",
            "2026-11-20T10:00:00.000Z",
            r#"{"email":"ada@x.example","company":"New AG","role":"cto"}"#,
            "[]",
        );
        // Stored in any order: the same person.
        for order in [[&ebook, &quiz], [&quiz, &ebook]] {
            let c = Contact::of(&order, &[]);
            let source = |f: &str| c.profile.get(f).map(|s| s.lead_id[35..].to_owned());
            assert_eq!(
                c.profile.get("company").map(|s| &s.value),
                Some(&FieldValue::Text("New AG".into()))
            );
            assert_eq!(source("company").as_deref(), Some("b"));
            assert_eq!(
                source("newsletter").as_deref(),
                Some("a"),
                "kept from the eBook"
            );
            assert_eq!(source("role").as_deref(), Some("b"));
            let ids: Vec<_> = c.submissions.iter().map(|s| &s.lead_id[35..]).collect();
            assert_eq!(ids, ["a", "b"]);
        }
    }

    #[test]
    fn events_of_all_submissions_and_later_ones_each_once_oldest_first() {
        // The second lead carries the kept history: the first lead's page view again,
        // grown (seconds, scroll) because the visitor stayed after sending.
        let first = lead(
            "a",
            "2026-11-01T10:00:00.000Z",
            "{}",
            r#"[{"type":"page_view","at":"2026-11-01T09:59:00.000Z","url":"https://x.example/","seconds":20,"scroll_percent":40},
               {"type":"offer_view","at":"2026-11-01T09:59:10.000Z","offer_id":"ebook"}]"#,
        );
        let second = lead(
            "b",
            "2026-11-03T10:00:00.000Z",
            "{}",
            r#"[{"type":"page_view","at":"2026-11-01T09:59:00.000Z","url":"https://x.example/","seconds":95,"scroll_percent":100},
               {"type":"offer_view","at":"2026-11-01T09:59:10.000Z","offer_id":"ebook"},
               {"type":"return_visit","at":"2026-11-03T09:58:00.000Z"}]"#,
        );
        let later = crate::json::read::<Vec<Event>>(
            r#"[{"type":"page_view","at":"2026-11-04T08:00:00.000Z","url":"https://x.example/pricing.html","seconds":30}]"#,
            false,
        )
        .expect("events");
        let c = Contact::of(&[&second, &first], &later);
        let kinds: Vec<_> = c.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["page_view", "offer_view", "return_visit", "page_view"]
        );
        assert_eq!(
            (c.events[0].seconds, c.events[0].scroll_percent),
            (Some(95.0), Some(100.0)),
            "the larger figures of the same page view"
        );
        let json = c.to_json_string();
        assert!(
            json.starts_with(&format!(
                r#"{{"profile":{{}},"submissions":[{{"lead_id":"{}""#,
                uid("a")
            )),
            "{json}"
        );
    }
}
