//! Proof of work, ALTCHA-style: the collector picks a secret number `n ≤ max_number` and
//! publishes `challenge = hex(SHA-256(salt + n))`, signed with its HMAC key; the widget
//! finds `n` by trying ([`solve`], a few tens of milliseconds for a visitor, a real cost
//! for a bot sending thousands of leads); the collector checks the answer with [`verify`].
//! SHA-256 and HMAC-SHA-256 are written out here (FIPS 180-4, RFC 2104) so the widget and
//! the collector share one implementation without a crypto crate in the wasm.

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    // The message, a 1 bit, zeros, and the length in bits: whole 64-byte blocks.
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// HMAC-SHA-256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    inner.extend_from_slice(message);
    let mut outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    outer.extend_from_slice(&sha256(&inner));
    sha256(&outer)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// A lead's proof-of-work solution, the payload's `challenge` key as the widget sends it.
///
/// Read leniently: whatever a bot puts there (a string, an object missing keys, a number
/// out of range) reads as a solution that does not pass, so the collector quarantines the
/// lead with the reason instead of refusing it (a refusal would teach the bot).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Proof {
    pub algorithm: String,
    pub challenge: String,
    pub number: Option<u64>,
    pub salt: String,
    pub signature: String,
}

impl crate::json::FromJson for Proof {
    fn read(_: &mut crate::json::Reader, node: &crate::json::Node, _: &str) -> Option<Self> {
        use crate::json::Value;
        let mut proof = Proof::default();
        if let Value::Object(members) = &node.value {
            for (_, key, value) in members {
                match (key.as_str(), &value.value) {
                    ("algorithm", Value::String(v)) => proof.algorithm.clone_from(v),
                    ("challenge", Value::String(v)) => proof.challenge.clone_from(v),
                    ("salt", Value::String(v)) => proof.salt.clone_from(v),
                    ("signature", Value::String(v)) => proof.signature.clone_from(v),
                    ("number", Value::Number(n)) => proof.number = n.parse().ok(),
                    _ => {}
                }
            }
        }
        Some(proof)
    }
}

impl crate::json::ToJson for Proof {
    fn to_json(&self, w: &mut crate::json::Writer) {
        w.begin_object();
        w.field("algorithm", &self.algorithm);
        w.field("challenge", &self.challenge);
        if let Some(n) = self.number {
            w.key("number");
            w.raw(&n.to_string());
        }
        w.field("salt", &self.salt);
        w.field("signature", &self.signature);
        w.end_object();
    }
}

/// The honeypot's value as sent: a string, or nothing. Read leniently like [`Proof`]: any
/// other JSON there reads as its JSON text, a filled trap all the same.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Honeypot(pub String);

impl crate::json::FromJson for Honeypot {
    fn read(_: &mut crate::json::Reader, node: &crate::json::Node, _: &str) -> Option<Self> {
        use crate::json::Value;
        Some(Honeypot(match &node.value {
            Value::String(v) => v.clone(),
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.clone(),
            Value::Array(_) | Value::Object(_) => "[structured]".to_owned(),
        }))
    }
}

impl crate::json::ToJson for Honeypot {
    fn to_json(&self, w: &mut crate::json::Writer) {
        w.string(&self.0);
    }
}

/// The challenge for `salt` and the secret `number`: `hex(SHA-256(salt + number))`.
pub fn challenge(salt: &str, number: u32) -> String {
    hex(&sha256(format!("{salt}{number}").as_bytes()))
}

/// The number in `from..=to` whose challenge for `salt` is `challenge`, if there is one.
/// The widget calls this in slices, so the page never waits long for it.
pub fn solve(salt: &str, challenge_hex: &str, from: u32, to: u32) -> Option<u32> {
    (from..=to).find(|n| challenge(salt, *n) == challenge_hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_fips_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        // A million a's: many blocks.
        assert_eq!(
            hex(&sha256(&vec![b'a'; 1_000_000])),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1, 2 and 6 (a key longer than the block).
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn solving_finds_the_secret_number_and_only_it() {
        let salt = "4f1a9c2e7b3d8e01?expires=1795000000";
        let c = challenge(salt, 31_337);
        assert_eq!(solve(salt, &c, 0, 50_000), Some(31_337));
        assert_eq!(solve(salt, &c, 0, 31_336), None, "not below it");
        assert_eq!(solve(salt, &c, 31_337, 31_337), Some(31_337));
        assert_eq!(solve("another salt", &c, 0, 50_000), None);
    }
}
