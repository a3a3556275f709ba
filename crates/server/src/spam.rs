//! Spam defences that cost a visitor nothing: an ALTCHA-style proof-of-work challenge
//! (`GET /api/v1/challenge`, solved by the widget while the visitor types), a minimum fill
//! time measured from the challenge's signed issue time, and a honeypot field. A lead that
//! fails one of them is stored *quarantined* with the reasons and answered like any other:
//! a bot learns nothing, and a person misjudged loses nothing.

use leadmagnet_core::pow::{challenge, hex, hmac_sha256, Proof};
use leadmagnet_core::LeadPayload;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

/// How long a challenge may be used after it was issued.
pub const CHALLENGE_TTL_SECONDS: u64 = 60 * 60;

pub struct Challenges {
    key: Vec<u8>,
    /// The secret number is drawn from `0..=max_number`; 0 turns the proof of work off.
    pub max_number: u32,
    /// Leads sent sooner than this after their challenge was issued are quarantined.
    pub min_fill_ms: u64,
}

/// A passing solution, to be spent in the lead's own transaction (`store`): the table of
/// spent solutions is in the database, so a restart or a second collector sharing it
/// refuses it too, and a lead that was not stored (503) has spent nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spend {
    /// The solution's signature: one per challenge.
    pub signature: String,
    /// When the challenge expires (unix seconds); the record may go after that.
    pub expires: u64,
}

impl Challenges {
    pub fn new(key: &[u8], max_number: u32, min_fill_ms: u64) -> Challenges {
        Challenges {
            key: key.to_vec(),
            max_number,
            min_fill_ms,
        }
    }

    /// What the signature covers: the salt (random part, expiry, issue time), the challenge
    /// and the number's bound, length-prefixed so that no characters can move from one part
    /// to another (`salt + number` alone is ambiguous: `issued=…12` + `3` = `issued=…1` +
    /// `23`).
    fn sign(&self, salt: &str, challenge: &str) -> String {
        let signed = format!(
            "leadmagnet-pow-2\n{}:{salt}\n{}:{challenge}\n{}",
            salt.len(),
            challenge.len(),
            self.max_number
        );
        hex(&hmac_sha256(&self.key, signed.as_bytes()))
    }

    /// A new challenge: `salt` carries a random part, the expiry and the issue time; the
    /// signature covers the salt, the challenge and `maxnumber`.
    pub fn issue(&self, now_ms: u64, random: [u8; 16], number: u32) -> Value {
        let expires = now_ms / 1000 + CHALLENGE_TTL_SECONDS;
        let salt = format!("{}?expires={expires}&issued={now_ms}", hex(&random));
        let challenge = challenge(&salt, number.min(self.max_number));
        let signature = self.sign(&salt, &challenge);
        json!({
            "algorithm": "SHA-256",
            "challenge": challenge,
            "maxnumber": self.max_number,
            "salt": salt,
            "signature": signature,
        })
    }

    /// Whether a lead's `challenge` solution (the payload key, as the widget sends it)
    /// passes: `Ok(Some(spend))` to spend with the lead, `Ok(None)` when the checks are off,
    /// `Err(reason)` when it does not pass.
    pub fn check(
        &self,
        solution: Option<&Proof>,
        now_ms: u64,
    ) -> Result<Option<Spend>, &'static str> {
        if self.max_number == 0 && self.min_fill_ms == 0 {
            return Ok(None);
        }
        let Some(solution) = solution else {
            return Err("no_proof_of_work");
        };
        let (salt, given, signature) = (
            solution.salt.as_str(),
            solution.challenge.as_str(),
            solution.signature.as_str(),
        );
        let expected = self.sign(salt, given);
        if solution.algorithm != "SHA-256"
            || !bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
        {
            return Err("proof_of_work_tampered");
        }
        // The salt is the collector's own (signed); read it strictly all the same.
        let Some((expires, issued)) = salt_times(salt) else {
            return Err("proof_of_work_tampered");
        };
        let number = solution
            .number
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= self.max_number);
        if number.map(|n| challenge(salt, n)).as_deref() != Some(given) {
            return Err("proof_of_work_wrong");
        }
        if expires < now_ms / 1000 {
            return Err("proof_of_work_expired");
        }
        if issued.saturating_add(self.min_fill_ms) > now_ms {
            return Err("filled_too_fast");
        }
        Ok(Some(Spend {
            signature: signature.to_owned(),
            expires,
        }))
    }
}

/// How long a server-rendered form's render time counts: a form older than this is
/// answered with the form again (a fresh time), not stored.
pub const RENDER_TOKEN_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// Why a render token does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Missing,
    Tampered,
    Expired,
}

impl Challenges {
    /// A server-rendered form's signed render time (`lm_t`), standing in for the proof of
    /// work where no script runs: `<issued ms>.<32 hex random>.<signature>`, signed with
    /// the offer's id, so it counts for that offer's form only.
    pub fn render_token(&self, offer_id: &str, now_ms: u64, random: [u8; 16]) -> String {
        let body = format!("{now_ms}.{}", hex(&random));
        let signature = self.sign_render(offer_id, &body);
        format!("{body}.{signature}")
    }

    fn sign_render(&self, offer_id: &str, body: &str) -> String {
        let signed = format!("leadmagnet-render-1\n{}:{offer_id}\n{body}", offer_id.len());
        hex(&hmac_sha256(&self.key, signed.as_bytes()))
    }

    /// When the form carrying `token` was rendered (ms), if the token is this collector's
    /// own for `offer_id` and not older than [`RENDER_TOKEN_TTL_MS`].
    pub fn render_time(
        &self,
        token: Option<&str>,
        offer_id: &str,
        now_ms: u64,
    ) -> Result<u64, TokenProblem> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(TokenProblem::Missing)?;
        let (body, signature) = token.rsplit_once('.').ok_or(TokenProblem::Tampered)?;
        let expected = self.sign_render(offer_id, body);
        if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return Err(TokenProblem::Tampered);
        }
        let issued = body
            .split_once('.')
            .and_then(|(ms, _)| ms.parse::<u64>().ok())
            .ok_or(TokenProblem::Tampered)?;
        if issued.saturating_add(RENDER_TOKEN_TTL_MS) < now_ms {
            return Err(TokenProblem::Expired);
        }
        Ok(issued)
    }

    /// The spam verdict of a form posted without script: the honeypot, and the fill time
    /// from the form's render time (`issued`) against the minimum.
    pub fn verdict_without_script(
        &self,
        lead: &LeadPayload,
        issued: u64,
        now_ms: u64,
    ) -> Vec<String> {
        let mut reasons = honeypot(lead);
        if issued.saturating_add(self.min_fill_ms) > now_ms {
            reasons.push("filled_too_fast".to_owned());
        }
        reasons
    }

    /// The lead id of the form carrying `token`: one per rendered form, so posting it
    /// twice (a double click, a reload that posts again) stores one lead. A UUID v4.
    pub fn lead_id_of(&self, token: &str) -> String {
        let mut b = [0u8; 16];
        let mac = hmac_sha256(
            &self.key,
            format!("leadmagnet-nojs-lead-1\n{token}").as_bytes(),
        );
        b.copy_from_slice(&mac[..16]);
        b[6] = 0x40 | (b[6] & 0x0f);
        b[8] = 0x80 | (b[8] & 0x3f);
        let h = hex(&b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

/// `(expires, issued)` of a salt as [`Challenges::issue`] writes it: 32 hex digits, then
/// `?expires=<digits>&issued=<digits>`, nothing else.
fn salt_times(salt: &str) -> Option<(u64, u64)> {
    let (random, query) = salt.split_once('?')?;
    let (expires, issued) = query.strip_prefix("expires=")?.split_once("&issued=")?;
    let number = |d: &str| {
        (!d.is_empty() && d.len() <= 19 && d.bytes().all(|b| b.is_ascii_digit()))
            .then(|| d.parse::<u64>().ok())
            .flatten()
    };
    (random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(())
        .and(Some((number(expires)?, number(issued)?)))
}

/// The reasons to quarantine a lead (empty: none), from its proof of work and its
/// honeypot (both read typed with the payload, [`LeadPayload`]), and the solution to
/// spend with it.
/// `honeypot_filled` when the lead's honeypot holds anything but white space; the first
/// reason of both verdicts.
fn honeypot(lead: &LeadPayload) -> Vec<String> {
    let filled = lead
        .honeypot
        .as_ref()
        .is_some_and(|v| !v.0.trim().is_empty());
    if filled {
        vec!["honeypot_filled".to_owned()]
    } else {
        Vec::new()
    }
}

pub fn verdict(
    challenges: &Challenges,
    lead: &LeadPayload,
    now_ms: u64,
) -> (Vec<String>, Option<Spend>) {
    let mut reasons = honeypot(lead);
    match challenges.check(lead.challenge.as_ref(), now_ms) {
        Ok(spend) => (reasons, spend),
        Err(reason) => {
            reasons.push(reason.to_owned());
            (reasons, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_000_000_000;

    /// A solution as the collector reads it from a payload.
    fn proof(v: &Value) -> Proof {
        leadmagnet_core::json::read(&v.to_string(), false).expect("a proof reads")
    }

    fn solved(c: &Value, number: u64) -> Value {
        let mut s = c.clone();
        s["number"] = json!(number);
        if let Some(o) = s.as_object_mut() {
            o.remove("maxnumber");
        }
        s
    }

    fn salt_of(c: &Value) -> String {
        c["salt"].as_str().unwrap_or_default().to_owned()
    }

    #[test]
    fn a_solution_passes_in_time_and_never_when_altered() {
        let challenges = Challenges::new(b"test-key-0123456789", 1000, 3000);
        let c = challenges.issue(NOW, [7; 16], 421);
        let salt = salt_of(&c);
        let found = leadmagnet_core::pow::solve(
            &salt,
            c["challenge"].as_str().unwrap_or_default(),
            0,
            1000,
        );
        assert_eq!(found, Some(421));
        let good = solved(&c, 421);
        assert_eq!(
            challenges.check(Some(&proof(&good)), NOW + 1000),
            Err("filled_too_fast")
        );
        let spend = challenges.check(Some(&proof(&good)), NOW + 5000);
        assert_eq!(
            spend,
            Ok(Some(Spend {
                signature: c["signature"].as_str().unwrap_or_default().to_owned(),
                expires: NOW / 1000 + CHALLENGE_TTL_SECONDS,
            }))
        );
        // Spending is the store's job (one table for every instance): checking twice is
        // not spending twice.
        assert!(challenges.check(Some(&proof(&good)), NOW + 6000).is_ok());
        assert_eq!(challenges.check(None, NOW), Err("no_proof_of_work"));

        let fresh = challenges.issue(NOW, [8; 16], 99);
        assert_eq!(
            challenges.check(Some(&proof(&solved(&fresh, 98))), NOW + 5000),
            Err("proof_of_work_wrong")
        );
        let mut forged_salt = solved(&fresh, 99);
        forged_salt["salt"] = json!(salt.replace("issued=", "issued=9"));
        assert_eq!(
            challenges.check(Some(&proof(&forged_salt)), NOW + 5000),
            Err("proof_of_work_tampered")
        );
        let mut forged = solved(&fresh, 99);
        forged["signature"] = json!("00".repeat(32));
        assert_eq!(
            challenges.check(Some(&proof(&forged)), NOW + 5000),
            Err("proof_of_work_tampered")
        );
        let other_key = Challenges::new(b"another-key-0123456789", 1000, 0).issue(NOW, [9; 16], 5);
        assert_eq!(
            challenges.check(Some(&proof(&solved(&other_key, 5))), NOW + 5000),
            Err("proof_of_work_tampered"),
            "signed by another collector"
        );
        let late = NOW + (CHALLENGE_TTL_SECONDS + 1) * 1000;
        assert_eq!(
            challenges.check(Some(&proof(&solved(&fresh, 99))), late),
            Err("proof_of_work_expired")
        );
        assert!(matches!(
            challenges.check(Some(&proof(&solved(&fresh, 99))), NOW + 5000),
            Ok(Some(_))
        ));
    }

    /// The fill-time bypass: `SHA-256(salt + number)` is the same when digits move from the
    /// end of the salt's `issued=` into the number, which makes the challenge look issued
    /// long ago. Every shift of one to four digits, each way, must be refused.
    #[test]
    fn digits_cannot_move_between_the_salt_and_the_number() {
        const ISSUED: u64 = NOW + 987_654;
        let challenges = Challenges::new(b"test-key-0123456789", 100_000, 3000);
        let mut tried = 0;
        for number in [7u32, 42, 421, 9_999, 12_345, 99_999] {
            // An issue time whose last digits are not zeros, as most are.
            let c = challenges.issue(ISSUED, [3; 16], number);
            let salt = salt_of(&c);
            let joined = format!("{salt}{number}");
            for shift in 1..=4usize {
                // Digits from the salt's end into the number (older issue time) …
                let (short_salt, moved) = joined.split_at(salt.len() - shift);
                // … and from the number into the salt, when it has that many digits.
                let cut = salt.len() + shift;
                let tries = [
                    Some((short_salt.to_owned(), moved.to_owned())),
                    (cut < joined.len())
                        .then(|| (joined[..cut].to_owned(), joined[cut..].to_owned())),
                ];
                for (salt2, number2) in tries.into_iter().flatten() {
                    // A number's decimal form has no leading zero, and fits a u32.
                    let Ok(n) = number2.parse::<u32>() else {
                        continue;
                    };
                    if n.to_string() != number2 {
                        continue;
                    }
                    tried += 1;
                    assert_eq!(
                        leadmagnet_core::pow::challenge(&salt2, n),
                        c["challenge"].as_str().unwrap_or_default(),
                        "the shift keeps the hash (that is the attack)"
                    );
                    let mut shifted = solved(&c, u64::from(n));
                    shifted["salt"] = json!(salt2);
                    let verdict = challenges.check(Some(&proof(&shifted)), ISSUED + 5000);
                    assert!(
                        matches!(
                            verdict,
                            Err("proof_of_work_tampered" | "proof_of_work_wrong")
                        ),
                        "{salt2} + {n}: {verdict:?}"
                    );
                }
            }
        }
        assert!(tried >= 20, "only {tried} shifts tried");
    }

    #[test]
    fn the_number_is_bounded_and_the_salt_read_strictly() {
        let challenges = Challenges::new(b"test-key-0123456789", 1000, 0);
        let c = challenges.issue(NOW, [5; 16], 10);
        // (Beyond 2^53 the payload reader refuses the whole body before this check.)
        for number in [1001u64, 1 << 32, u64::MAX] {
            let mut beyond = proof(&solved(&c, 0));
            beyond.number = Some(number);
            assert_eq!(
                challenges.check(Some(&beyond), NOW),
                Err("proof_of_work_wrong"),
                "{number}"
            );
        }
        for salt in [
            "",
            "?expires=1&issued=1",
            "0123456789abcdef0123456789abcdef?expires=1",
            "0123456789abcdef0123456789abcdef?expires=1&issued=2&issued=0",
            "0123456789abcdef0123456789abcdef?issued=2&expires=1",
            "0123456789abcdef0123456789abcdef?expires=+1&issued=2",
            "0123456789abcdef0123456789abcdef?expires=99999999999999999999&issued=2",
        ] {
            assert_eq!(salt_times(salt), None, "{salt}");
        }
        assert_eq!(
            salt_times("0123456789abcdef0123456789abcdef?expires=12&issued=34"),
            Some((12, 34))
        );
    }

    #[test]
    fn the_honeypot_and_the_proof_give_their_reasons() {
        let challenges = Challenges::new(b"test-key-0123456789", 10, 0);
        let lead = |extra: &str| {
            leadmagnet_core::parse_lead(
                format!(
                    r#"{{"version":1,"lead_id":"019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d","offer_id":"o","submitted_at":"2026-11-27T08:30:00.000Z","fields":{{}},"context":{{"page_url":"https://x.example/"}}{extra}}}"#
                )
                .as_bytes(),
            )
            .expect("a lead")
        };
        assert_eq!(
            verdict(
                &challenges,
                &lead(r#","honeypot":"https://spam.example""#),
                NOW
            ),
            (
                vec!["honeypot_filled".to_owned(), "no_proof_of_work".to_owned()],
                None
            )
        );
        // Whatever a bot puts in the trap fills it; a solution of the wrong shape is one
        // that does not pass (quarantined with its reason, never refused).
        for extra in [
            r#","honeypot":42"#,
            r#","honeypot":{"a":1}"#,
            r#","honeypot":[""]"#,
        ] {
            assert!(
                verdict(&challenges, &lead(extra), NOW)
                    .0
                    .contains(&"honeypot_filled".to_owned()),
                "{extra}"
            );
        }
        for extra in [
            r#","challenge":"solved""#,
            r#","challenge":{"number":"7"}"#,
            r#","challenge":[1]"#,
        ] {
            let (reasons, spend) = verdict(&challenges, &lead(extra), NOW);
            assert_eq!(
                (reasons, spend),
                (vec!["proof_of_work_tampered".to_owned()], None),
                "{extra}"
            );
        }
        let off = Challenges::new(b"test-key-0123456789", 0, 0);
        for extra in ["", r#","honeypot":" ""#, r#","honeypot":null"#] {
            assert_eq!(
                verdict(&off, &lead(extra), NOW),
                (Vec::<String>::new(), None),
                "{extra}"
            );
        }
    }

    #[test]
    fn a_render_token_counts_for_its_offer_its_day_and_its_collector_only() {
        let challenges = Challenges::new(b"render-key-0123456789", 0, 3000);
        let token = challenges.render_token("ebook", NOW, [9; 16]);
        assert_eq!(
            challenges.render_time(Some(&token), "ebook", NOW + 5000),
            Ok(NOW)
        );
        assert_eq!(
            challenges.render_time(Some(&token), "ebook", NOW + RENDER_TOKEN_TTL_MS),
            Ok(NOW)
        );
        assert_eq!(
            challenges.render_time(Some(&token), "ebook", NOW + RENDER_TOKEN_TTL_MS + 1),
            Err(TokenProblem::Expired)
        );
        assert_eq!(
            challenges.render_time(Some(&token), "newsletter", NOW),
            Err(TokenProblem::Tampered),
            "another offer's form"
        );
        let other = Challenges::new(b"another-collector-key", 0, 3000);
        assert_eq!(
            other.render_time(Some(&token), "ebook", NOW),
            Err(TokenProblem::Tampered),
            "another collector's key"
        );
        // An earlier render time under the same signature, and other edits.
        let (_, rest) = token.split_once('.').unwrap_or_default();
        for forged in [
            format!("{}.{rest}", NOW - 60_000),
            token.replace('.', ""),
            format!("{token}0"),
            String::from("1.00.00"),
            String::from("x"),
        ] {
            assert_eq!(
                challenges.render_time(Some(&forged), "ebook", NOW),
                Err(TokenProblem::Tampered),
                "{forged}"
            );
        }
        for missing in [None, Some("")] {
            assert_eq!(
                challenges.render_time(missing, "ebook", NOW),
                Err(TokenProblem::Missing)
            );
        }
    }

    #[test]
    fn one_rendered_form_is_one_lead_id_a_uuid_v4() {
        let challenges = Challenges::new(b"render-key-0123456789", 0, 3000);
        let a = challenges.render_token("ebook", NOW, [1; 16]);
        let b = challenges.render_token("ebook", NOW, [2; 16]);
        let id = challenges.lead_id_of(&a);
        assert_eq!(
            id,
            challenges.lead_id_of(&a),
            "the same form, the same lead"
        );
        assert_ne!(id, challenges.lead_id_of(&b));
        assert_eq!(
            leadmagnet_core::payload::parse_lead_id(&id).as_deref(),
            Some(id.as_str())
        );
        assert_eq!(id.as_bytes()[14], b'4');
    }
}
