//! The MQL moment: when a contact first meets the account's MQL criteria, marketing hands
//! the person to sales. The rule for when that happens, what caused it, and what the
//! queue's webhook and owners are told — the collector records and sends it.
//!
//! Automatic moves only go forward: scoring makes an `inquiry` an MQL, never moves a
//! person sales has (an MQL that decayed below the line stays where sales put it). A person
//! sales rejected and recycled is an `inquiry` again, so they can become an MQL again.

use crate::json::{ToJson, Writer};
use crate::scoring::{ContributionKind, Score, Stage};

/// Whether `score` makes a contact now in `stage` an MQL.
pub fn is_mql_moment(stage: &str, score: &Score) -> bool {
    stage == "inquiry" && score.stage == Stage::Mql
}

/// Why: the rules that counted, one line each (`fit buying-now +25`, `engagement
/// pricing-visit +19.5 (3 events)`).
pub fn cause(score: &Score) -> Vec<String> {
    score
        .breakdown
        .iter()
        .filter(|c| c.kind != ContributionKind::Disqualify)
        .map(|c| {
            let sign = if c.points < 0.0 { "" } else { "+" };
            let events = c.events.map_or_else(String::new, |n| {
                format!(" ({n} event{})", if n == 1 { "" } else { "s" })
            });
            format!(
                "{} {} {sign}{}{events}",
                c.kind.name(),
                c.rule,
                crate::config::num(c.points)
            )
        })
        .collect()
}

/// What a queue is told of a new MQL.
pub struct Notice<'a> {
    pub contact_id: &'a str,
    pub email: &'a str,
    pub queue: &'a str,
    /// When the person became an MQL (RFC 3339 UTC).
    pub at: &'a str,
    /// When the SLA wants sales to have accepted them.
    pub sla_due_at: Option<&'a str>,
    pub score: &'a Score,
    /// The one reminder that the SLA passed with the person still an MQL (event
    /// `sla_overdue`), not the hand-over (`mql`).
    pub overdue: bool,
}

impl ToJson for Notice<'_> {
    /// The webhook's body: `{"event": "mql", contact_id, email, queue, at, sla_due_at?,
    /// cause: [...], score}`.
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("event", if self.overdue { "sla_overdue" } else { "mql" });
        w.field("contact_id", self.contact_id);
        w.field("email", self.email);
        w.field("queue", self.queue);
        w.field("at", self.at);
        if let Some(due) = self.sla_due_at {
            w.field("sla_due_at", due);
        }
        w.field("cause", &cause(self.score));
        w.field("score", self.score);
        w.end_object();
    }
}

impl Notice<'_> {
    /// The email to the queue's owners: subject and plain text.
    pub fn email(&self, inbox_url: &str) -> (String, String) {
        let s = self.score;
        let (subject, mut body) = if self.overdue {
            (
                format!(
                    "SLA overdue in {}: {} is still waiting",
                    self.queue, self.email
                ),
                format!(
                    "{} became a marketing-qualified lead at {} in queue \"{}\" and has not been accepted or rejected yet.\n",
                    self.email, self.at, self.queue
                ),
            )
        } else {
            (
                format!(
                    "New MQL in {}: {} ({}, {} points)",
                    self.queue, self.email, s.matrix, s.total
                ),
                format!(
                    "{} became a marketing-qualified lead at {} and is yours in queue \"{}\".\n",
                    self.email, self.at, self.queue
                ),
            )
        };
        if let Some(due) = self.sla_due_at {
            body.push_str(&format!("Please accept or reject them by {due} (SLA).\n"));
        }
        body.push_str(&format!(
            "\nScore {} (fit {}, engagement {}), grade × level {}.\nWhy:\n",
            s.total, s.fit, s.engagement, s.matrix
        ));
        for line in cause(s) {
            body.push_str(&format!("  - {line}\n"));
        }
        body.push_str(&format!(
            "\nThe person: {inbox_url}/inbox/contacts/{}\n",
            self.contact_id
        ));
        (subject, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::Contribution;

    fn score(stage: Stage) -> Score {
        Score {
            fit: 40,
            engagement: 20,
            total: 60,
            grade: "A".into(),
            level: 2,
            matrix: "A2".into(),
            stage,
            queue: Some("enterprise".into()),
            breakdown: vec![
                Contribution {
                    rule: "buying-now".into(),
                    kind: ContributionKind::Fit,
                    points: 25.0,
                    events: None,
                },
                Contribution {
                    rule: "freemail".into(),
                    kind: ContributionKind::Fit,
                    points: -10.0,
                    events: None,
                },
                Contribution {
                    rule: "pricing-visit".into(),
                    kind: ContributionKind::Engagement,
                    points: 19.5,
                    events: Some(3),
                },
            ],
        }
    }

    #[test]
    fn only_an_inquiry_becomes_an_mql_by_score() {
        assert!(is_mql_moment("inquiry", &score(Stage::Mql)));
        assert!(!is_mql_moment("inquiry", &score(Stage::Inquiry)));
        assert!(!is_mql_moment("inquiry", &score(Stage::Disqualified)));
        for stage in [
            "mql",
            "sal",
            "sql",
            "opportunity",
            "won",
            "lost",
            "rejected",
            "disqualified",
        ] {
            assert!(
                !is_mql_moment(stage, &score(Stage::Mql)),
                "{stage}: only forward, and not twice"
            );
        }
    }

    #[test]
    fn the_notice_names_the_cause() {
        let s = score(Stage::Mql);
        assert_eq!(
            cause(&s),
            [
                "fit buying-now +25",
                "fit freemail -10",
                "engagement pricing-visit +19.5 (3 events)"
            ]
        );
        let notice = Notice {
            contact_id: "c-1",
            email: "ann@contoso.example",
            queue: "enterprise",
            at: "2026-11-27T12:00:00.000Z",
            sla_due_at: Some("2026-11-27T16:00:00.000Z"),
            score: &s,
            overdue: false,
        };
        let json = notice.to_json_string();
        assert!(json.starts_with(r#"{"event":"mql","contact_id":"c-1","email":"ann@contoso.example","queue":"enterprise""#), "{json}");
        assert!(json.contains(r#""cause":["fit buying-now +25","#), "{json}");
        let (subject, body) = notice.email("https://leads.example");
        assert_eq!(
            subject,
            "New MQL in enterprise: ann@contoso.example (A2, 60 points)"
        );
        assert!(body.contains("by 2026-11-27T16:00:00.000Z"), "{body}");
        assert!(
            body.contains("  - engagement pricing-visit +19.5 (3 events)\n"),
            "{body}"
        );
        assert!(
            body.contains("https://leads.example/inbox/contacts/c-1"),
            "{body}"
        );
        let reminder = Notice {
            overdue: true,
            ..notice
        };
        assert!(reminder
            .to_json_string()
            .starts_with(r#"{"event":"sla_overdue""#));
        assert_eq!(
            reminder.email("").0,
            "SLA overdue in enterprise: ann@contoso.example is still waiting"
        );
    }
}
