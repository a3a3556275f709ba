//! A contact: one person, keyed by the normalised email address
//! ([`crate::email::key`]), and what the submissions attached to them add up to.
//!
//! The collector keeps every submission unchanged as evidence and groups them by person;
//! this module is the rule for what the person *is* from them: the profile (the latest
//! value of each field, with the submission it came from) and one deduplicated event
//! history. Pure: the submissions come in as read payloads with the time the collector
//! received them, in any order.

use crate::domains::DomainLists;
use crate::json::{ToJson, Writer};
use crate::map::SortedMap;
use crate::scoring::{score, Event, LeadFacts, Score, Scoring};
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

// Two reports are the same happening when type, stated time, page and offer agree: a page
// view keeps growing (seconds visible, scroll depth) until the visitor leaves, so a later
// submission may carry the same page view with larger figures.

/// One submission as [`Contact::of`] reads it: the payload as sent, and when the
/// collector received it. The visitor's clock may be wrong (or forged): no time a lead
/// states counts as later than its arrival.
pub struct Submission<'a> {
    pub lead: &'a LeadPayload,
    /// Milliseconds since the epoch.
    pub received_ms: i64,
}

/// At most this many events of a person are kept in the contact (the newest): a bound on
/// the work of reading and scoring one person, whatever their leads carried.
pub const MAX_CONTACT_EVENTS: usize = 1000;

impl Contact {
    /// The contact of these submissions (in any order) and of `later` events.
    pub fn of(submissions: &[Submission], later: &[Event]) -> Contact {
        // When each lead happened: its stated time, never later than its arrival; an
        // unreadable stated time counts as the arrival.
        let when = |s: &Submission| {
            crate::time::parse_rfc3339(&s.lead.submitted_at)
                .map_or(s.received_ms, |t| t.min(s.received_ms))
        };
        let mut ordered: Vec<(i64, &Submission)> =
            submissions.iter().map(|s| (when(s), s)).collect();
        // Time order; the lead id (time-ordered too) breaks ties, so the result never
        // depends on the order the store returned them in.
        ordered.sort_by(|a, b| {
            (a.0, a.1.lead.lead_id.as_str()).cmp(&(b.0, b.1.lead.lead_id.as_str()))
        });
        let mut contact = Contact::default();
        for (_, s) in &ordered {
            let lead = s.lead;
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
        // Each happening once (a hash of its identity: linear in the events), with its
        // time capped at the arrival of the lead that reported it.
        let mut at_index: std::collections::HashMap<
            (String, String, Option<String>, Option<String>),
            usize,
        > = std::collections::HashMap::new();
        let reported = ordered
            .iter()
            .flat_map(|(_, s)| s.lead.events.iter().map(move |e| (e, Some(s.received_ms))))
            .chain(later.iter().map(|e| (e, None)));
        let mut timed: Vec<(i64, Event)> = Vec::new();
        for (event, received) in reported {
            let stated = crate::time::parse_rfc3339(&event.at);
            let at = match (stated, received) {
                (Some(t), Some(r)) => t.min(r),
                (Some(t), None) => t,
                (None, Some(r)) => r,
                (None, None) => continue,
            };
            let key = (
                event.kind.clone(),
                event.at.clone(),
                event.url.clone(),
                event.offer_id.clone(),
            );
            match at_index.get(&key) {
                // Known: the later report of it has the larger figures.
                Some(&i) => {
                    let known = &mut timed[i].1;
                    known.seconds = max(known.seconds, event.seconds);
                    known.scroll_percent = max(known.scroll_percent, event.scroll_percent);
                }
                None => {
                    at_index.insert(key, timed.len());
                    let mut event = event.clone();
                    if stated != Some(at) {
                        event.at = crate::time::format_rfc3339(at);
                    }
                    timed.push((at, event));
                }
            }
        }
        timed.sort_by_key(|(at, _)| *at);
        let skip = timed.len().saturating_sub(MAX_CONTACT_EVENTS);
        contact.events = timed.into_iter().skip(skip).map(|(_, e)| e).collect();
        contact
    }
}

impl Contact {
    /// The score of this person's profile and events at `now_ms`, each event decayed by its
    /// age then.
    pub fn score(&self, scoring: &Scoring, now_ms: i64, lists: &dyn DomainLists) -> Score {
        score(scoring, &self.facts(), now_ms, lists)
    }

    /// What is scored of this person: their profile's values and their events.
    pub fn facts(&self) -> LeadFacts {
        LeadFacts {
            fields: self
                .profile
                .iter()
                .map(|(id, s)| (id.clone(), s.value.clone()))
                .collect(),
            events: self.events.clone(),
        }
    }
}

/// A person as a file holds them (`leadmagnet score --contact`): their submissions as the
/// collector received them, the events their browsers sent later, and their stage now
/// (`inquiry` when left out).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersonFacts {
    pub stage: Option<String>,
    pub submissions: Vec<Received>,
    pub events: Vec<Event>,
}

/// One submission and when the collector received it (RFC 3339).
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub received_at: String,
    pub lead: LeadPayload,
}

crate::json::from_json_struct!(Received {
    received_at: req "received_at",
    lead: req "lead",
});

crate::json::from_json_struct!(PersonFacts {
    stage: opt "stage",
    submissions: req "submissions",
    events: or_default "events",
});

/// What the collector makes of a person at a moment: what they add up to, their score
/// against the account-wide model, and whether this is their MQL moment, with its cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub contact: Contact,
    pub score: Score,
    pub mql_moment: bool,
    pub cause: Vec<String>,
}

impl PersonFacts {
    /// The person at `now_ms`, scored against `scoring`; `Err` names a submission whose
    /// `received_at` is not an RFC 3339 time.
    pub fn assess(
        &self,
        scoring: &Scoring,
        now_ms: i64,
        lists: &dyn DomainLists,
    ) -> Result<Assessment, String> {
        let mut submissions = Vec::with_capacity(self.submissions.len());
        for (i, s) in self.submissions.iter().enumerate() {
            let received_ms = crate::time::parse_rfc3339(&s.received_at).ok_or_else(|| {
                format!(
                    "/submissions/{i}/received_at: \"{}\" is not an RFC 3339 time",
                    s.received_at
                )
            })?;
            submissions.push(Submission {
                lead: &s.lead,
                received_ms,
            });
        }
        let contact = Contact::of(&submissions, &self.events);
        let score = contact.score(scoring, now_ms, lists);
        let stage = self.stage.as_deref().unwrap_or("inquiry");
        Ok(Assessment {
            mql_moment: crate::handover::is_mql_moment(stage, &score),
            cause: crate::handover::cause(&score),
            contact,
            score,
        })
    }
}

impl ToJson for Assessment {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("contact", &self.contact);
        w.field("score", &self.score);
        w.field("mql_moment", &self.mql_moment);
        w.field("cause", &self.cause);
        w.end_object();
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

    /// Each lead received a minute after it says it was sent.
    fn received<'a>(leads: &[&'a LeadPayload]) -> Vec<Submission<'a>> {
        leads
            .iter()
            .map(|l| Submission {
                lead: l,
                received_ms: crate::time::parse_rfc3339(&l.submitted_at).expect("time") + 60_000,
            })
            .collect()
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
            let c = Contact::of(&received(&order), &[]);
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
        let c = Contact::of(&received(&[&second, &first]), &later);
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

    /// A wrong or forged clock: a lead that says it was sent in 2099 counts as sent when it
    /// arrived, so it neither pins the profile nor keeps its events from decaying; times
    /// order as times, not as text.
    #[test]
    fn no_time_a_lead_states_is_later_than_its_arrival() {
        let skewed = lead(
            "a",
            "2099-01-01T00:00:00.000Z",
            r#"{"company":"Skewed GmbH"}"#,
            r#"[{"type":"page_view","at":"2099-01-01T00:00:00.000Z","url":"https://x.example/pricing"}]"#,
        );
        let current = lead(
            "b",
            "2026-11-20T10:00:00Z",
            r#"{"company":"Current AG"}"#,
            "[]",
        );
        let c = Contact::of(
            &[
                Submission {
                    lead: &skewed,
                    received_ms: crate::time::parse_rfc3339("2026-11-10T00:00:00Z").expect("t"),
                },
                Submission {
                    lead: &current,
                    received_ms: crate::time::parse_rfc3339("2026-11-20T10:00:05Z").expect("t"),
                },
            ],
            &[],
        );
        assert_eq!(
            c.profile.get("company").map(|s| &s.value),
            Some(&FieldValue::Text("Current AG".into()))
        );
        assert_eq!(
            c.events[0].at, "2026-11-10T00:00:00.000Z",
            "capped at its arrival"
        );
        // "…10:00:00Z" and "…10:00:00.000Z" are the same instant: the lead id decides.
        let same_a = lead("c", "2026-11-20T10:00:00Z", r#"{"role":"first"}"#, "[]");
        let same_b = lead(
            "d",
            "2026-11-20T10:00:00.000Z",
            r#"{"role":"second"}"#,
            "[]",
        );
        let c = Contact::of(&received(&[&same_b, &same_a]), &[]);
        assert_eq!(
            c.profile
                .get("role")
                .map(|s| s.lead_id[35..].to_owned())
                .as_deref(),
            Some("d")
        );
    }

    /// Reading one person is linear in their events and bounded: 30 leads of 900
    /// different events each (a crafted flood) keep the newest MAX_CONTACT_EVENTS.
    #[test]
    fn a_flood_of_events_is_bounded() {
        let events: Vec<String> = (0..900)
            .map(|i| {
                format!(
                    r#"{{"type":"return_visit","at":"2026-11-01T00:{:02}:{:02}.{:03}Z"}}"#,
                    i / 60 % 60,
                    i % 60,
                    i % 1000
                )
            })
            .collect();
        let leads: Vec<LeadPayload> = (0..10)
            .map(|i| {
                lead(
                    &format!("{i:x}"),
                    "2026-11-02T00:00:00.000Z",
                    "{}",
                    &format!("[{}]", events.join(",")),
                )
            })
            .collect();
        let refs: Vec<&LeadPayload> = leads.iter().collect();
        let c = Contact::of(&received(&refs), &[]);
        assert_eq!(c.events.len(), 900, "each happening once");
        let many: Vec<String> = (0..1500)
            .map(|i| {
                format!(
                    r#"{{"type":"page_view","at":"2026-11-01T{:02}:{:02}:{:02}.000Z","url":"u"}}"#,
                    i / 3600,
                    i / 60 % 60,
                    i % 60
                )
            })
            .collect();
        let flood = lead(
            "f",
            "2026-11-02T00:00:00.000Z",
            "{}",
            &format!("[{}]", many.join(",")),
        );
        let c = Contact::of(&received(&[&flood]), &[]);
        assert_eq!(c.events.len(), MAX_CONTACT_EVENTS);
        assert_eq!(
            c.events.last().map(|e| e.at.as_str()),
            Some("2026-11-01T00:24:59.000Z"),
            "the newest kept"
        );
    }
}
