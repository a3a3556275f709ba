//! Spam defences that cost a visitor nothing: an ALTCHA-style proof-of-work challenge
//! (`GET /api/v1/challenge`, solved by the widget while the visitor types), a minimum fill
//! time measured from the challenge's signed issue time, and a honeypot field. A lead that
//! fails one of them is stored *quarantined* with the reasons and answered like any other:
//! a bot learns nothing, and a person misjudged loses nothing.

use leadmagnet_core::pow::{challenge, hex, hmac_sha256};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

/// How long a challenge may be used after it was issued.
pub const CHALLENGE_TTL_SECONDS: u64 = 60 * 60;

pub struct Challenges {
    key: Vec<u8>,
    /// The secret number is drawn from `0..=max_number`; 0 turns the proof of work off.
    pub max_number: u32,
    /// Leads sent sooner than this after their challenge was issued are quarantined.
    pub min_fill_ms: u64,
    /// Signatures of accepted solutions → their expiry (unix seconds): each is good once.
    used: Mutex<HashMap<String, u64>>,
}

impl Challenges {
    pub fn new(key: &[u8], max_number: u32, min_fill_ms: u64) -> Challenges {
        Challenges {
            key: key.to_vec(),
            max_number,
            min_fill_ms,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// A new challenge: `salt` carries a random part, the expiry and the issue time, all
    /// covered by the signature (the challenge hashes the salt, the signature the challenge).
    pub fn issue(&self, now_ms: u64, random: [u8; 16], number: u32) -> Value {
        let expires = now_ms / 1000 + CHALLENGE_TTL_SECONDS;
        let salt = format!("{}?expires={expires}&issued={now_ms}", hex(&random));
        let challenge = challenge(&salt, number.min(self.max_number));
        let signature = hex(&hmac_sha256(&self.key, challenge.as_bytes()));
        json!({
            "algorithm": "SHA-256",
            "challenge": challenge,
            "maxnumber": self.max_number,
            "salt": salt,
            "signature": signature,
        })
    }

    /// Why a lead's `challenge` solution (the payload key, as the widget sends it) does not
    /// pass, or `None` when it does; a passing solution is spent.
    pub fn check(&self, solution: Option<&Value>, now_ms: u64) -> Option<&'static str> {
        if self.max_number == 0 && self.min_fill_ms == 0 {
            return None;
        }
        let Some(solution) = solution else {
            return Some("no_proof_of_work");
        };
        let text = |key: &str| solution.get(key).and_then(Value::as_str).unwrap_or("");
        let (salt, given, signature) = (text("salt"), text("challenge"), text("signature"));
        let expected = hex(&hmac_sha256(&self.key, given.as_bytes()));
        if text("algorithm") != "SHA-256"
            || !bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
        {
            return Some("proof_of_work_tampered");
        }
        let number = solution.get("number").and_then(Value::as_u64);
        if number
            .and_then(|n| u32::try_from(n).ok())
            .map(|n| challenge(salt, n))
            .as_deref()
            != Some(given)
        {
            return Some("proof_of_work_wrong");
        }
        let param = |name: &str| {
            salt.split_once('?')
                .map(|(_, query)| query)
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse::<u64>().ok())
        };
        let (Some(expires), Some(issued)) = (param("expires"), param("issued")) else {
            return Some("proof_of_work_tampered");
        };
        if expires < now_ms / 1000 {
            return Some("proof_of_work_expired");
        }
        if issued.saturating_add(self.min_fill_ms) > now_ms {
            return Some("filled_too_fast");
        }
        let mut used = match self.used.lock() {
            Ok(u) => u,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now_s = now_ms / 1000;
        used.retain(|_, until| *until >= now_s);
        if used.insert(signature.to_owned(), expires).is_some() {
            return Some("proof_of_work_reused");
        }
        None
    }
}

/// The parts of a lead's body the spam checks read; serde skips the rest without building
/// it (a whole `Value` per lead cost measurable time at thousands of leads per second).
#[derive(Debug, Default, serde::Deserialize)]
pub struct SpamParts {
    #[serde(default)]
    pub honeypot: Option<Value>,
    #[serde(default)]
    pub challenge: Option<Value>,
}

/// The reasons to quarantine a lead (empty: none): its proof of work and its honeypot.
pub fn verdict(challenges: &Challenges, parts: &SpamParts, now_ms: u64) -> Vec<String> {
    let mut reasons = Vec::new();
    if parts
        .honeypot
        .as_ref()
        .and_then(Value::as_str)
        .is_some_and(|v| !v.trim().is_empty())
    {
        reasons.push("honeypot_filled".to_owned());
    }
    if let Some(reason) = challenges.check(parts.challenge.as_ref(), now_ms) {
        reasons.push(reason.to_owned());
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_000_000_000;

    fn solved(c: &Value, number: u32) -> Value {
        let mut s = c.clone();
        s["number"] = json!(number);
        if let Some(o) = s.as_object_mut() {
            o.remove("maxnumber");
        }
        s
    }

    #[test]
    fn a_solution_passes_once_in_time_and_never_when_altered() {
        let challenges = Challenges::new(b"test-key-0123456789", 1000, 3000);
        let c = challenges.issue(NOW, [7; 16], 421);
        let salt = c["salt"].as_str().unwrap_or_default().to_owned();
        let found = leadmagnet_core::pow::solve(
            &salt,
            c["challenge"].as_str().unwrap_or_default(),
            0,
            1000,
        );
        assert_eq!(found, Some(421));
        let good = solved(&c, 421);
        assert_eq!(
            challenges.check(Some(&good), NOW + 1000),
            Some("filled_too_fast")
        );
        assert_eq!(challenges.check(Some(&good), NOW + 5000), None);
        assert_eq!(
            challenges.check(Some(&good), NOW + 6000),
            Some("proof_of_work_reused")
        );
        assert_eq!(challenges.check(None, NOW), Some("no_proof_of_work"));

        let fresh = challenges.issue(NOW, [8; 16], 99);
        assert_eq!(
            challenges.check(Some(&solved(&fresh, 98)), NOW + 5000),
            Some("proof_of_work_wrong")
        );
        let mut forged_salt = solved(&fresh, 99);
        forged_salt["salt"] = json!(salt.replace("issued=", "issued=9"));
        assert_eq!(
            challenges.check(Some(&forged_salt), NOW + 5000),
            Some("proof_of_work_wrong")
        );
        let mut forged = solved(&fresh, 99);
        forged["signature"] = json!("00".repeat(32));
        assert_eq!(
            challenges.check(Some(&forged), NOW + 5000),
            Some("proof_of_work_tampered")
        );
        let other_key = Challenges::new(b"another-key-0123456789", 1000, 0).issue(NOW, [9; 16], 5);
        assert_eq!(
            challenges.check(Some(&solved(&other_key, 5)), NOW + 5000),
            Some("proof_of_work_tampered"),
            "signed by another collector"
        );
        let late = NOW + (CHALLENGE_TTL_SECONDS + 1) * 1000;
        assert_eq!(
            challenges.check(Some(&solved(&fresh, 99)), late),
            Some("proof_of_work_expired")
        );
        assert_eq!(
            challenges.check(Some(&solved(&fresh, 99)), NOW + 5000),
            None
        );
    }

    #[test]
    fn the_honeypot_and_the_proof_give_their_reasons() {
        let challenges = Challenges::new(b"test-key-0123456789", 10, 0);
        let lead = SpamParts {
            honeypot: Some(json!("https://spam.example")),
            challenge: None,
        };
        assert_eq!(
            verdict(&challenges, &lead, NOW),
            ["honeypot_filled", "no_proof_of_work"]
        );
        let off = Challenges::new(b"test-key-0123456789", 0, 0);
        assert_eq!(
            verdict(
                &off,
                &SpamParts {
                    honeypot: Some(json!(" ")),
                    challenge: None
                },
                NOW
            ),
            Vec::<String>::new()
        );
    }
}
