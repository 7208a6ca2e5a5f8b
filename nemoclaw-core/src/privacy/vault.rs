//! The pseudonym vault: consistent placeholders (`<PERSON_1>`) for one
//! session, sealed with the user's key (ChaCha20-Poly1305), and `restore()`
//! that puts the originals back into the model's answer.
//!
//! Security: the sealed form is `NCV1 || nonce (12 random bytes) ||
//! ciphertext+tag`, the associated data binds the magic and the session id,
//! so a vault cannot be opened under another session, and any change to the
//! bytes fails authentication. Originals held in memory are zeroized when the
//! vault is dropped. The key never leaves [`VaultKey`], which is zeroized on
//! drop too.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use super::PrivacyError;

const MAGIC: &[u8; 4] = b"NCV1";

/// A user's 256-bit key: seals the vault and keys the HMAC operator.
#[derive(Clone)]
pub struct VaultKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKey(..)")
    }
}

impl VaultKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(k.as_mut());
        Self(k)
    }

    /// A key from exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PrivacyError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| PrivacyError::Key(format!("expected 32 bytes, got `{}`", bytes.len())))?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// A key from 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, PrivacyError> {
        let bytes = Zeroizing::new(
            hex::decode(text.trim()).map_err(|e| PrivacyError::Key(format!("not hex: {e}")))?,
        );
        Self::from_bytes(&bytes)
    }

    /// The key as 64 hex digits (for writing a key file).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    /// A subkey for one purpose (HMAC-SHA256 of the purpose under this key).
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        if let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref()) {
            mac.update(purpose.as_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    session: String,
    entries: Vec<(String, String, String)>,
}

/// Placeholders and the originals they stand for, for one session.
#[derive(Default)]
pub struct Vault {
    session: String,
    /// (label, original) -> placeholder
    forward: HashMap<(String, String), String>,
    /// placeholder -> original
    backward: HashMap<String, String>,
    counters: HashMap<String, u32>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("session", &self.session)
            .field("entries", &self.backward.len())
            .finish()
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        for (mut k, mut v) in self.forward.drain() {
            k.1.zeroize();
            v.zeroize();
        }
        for (_, mut v) in self.backward.drain() {
            v.zeroize();
        }
    }
}

impl Vault {
    /// An empty vault for `session`.
    pub fn new(session: impl Into<String>) -> Self {
        Self {
            session: session.into(),
            forward: HashMap::new(),
            backward: HashMap::new(),
            counters: HashMap::new(),
        }
    }

    /// The session id.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Number of placeholders held.
    pub fn len(&self) -> usize {
        self.backward.len()
    }

    /// Whether the vault is empty.
    pub fn is_empty(&self) -> bool {
        self.backward.is_empty()
    }

    /// The placeholder for `original` under `label`: the same original always
    /// gets the same placeholder within a session.
    pub fn pseudonym(&mut self, label: &str, original: &str) -> String {
        let key = (label.to_string(), original.to_string());
        if let Some(p) = self.forward.get(&key) {
            return p.clone();
        }
        let n = self.counters.entry(label.to_string()).or_insert(0);
        *n += 1;
        let placeholder = format!("<{label}_{n}>");
        self.forward.insert(key, placeholder.clone());
        self.backward
            .insert(placeholder.clone(), original.to_string());
        placeholder
    }

    /// The original behind a placeholder.
    pub fn original(&self, placeholder: &str) -> Option<&str> {
        self.backward.get(placeholder).map(String::as_str)
    }

    /// Put the originals back into `text` (for example the model's answer).
    /// Unknown placeholders are left as they are.
    pub fn restore(&self, text: &str) -> String {
        if self.backward.is_empty() {
            return text.to_string();
        }
        let (pats, reps): (Vec<&str>, Vec<&str>) = self
            .backward
            .iter()
            .map(|(p, o)| (p.as_str(), o.as_str()))
            .unzip();
        match AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&pats)
        {
            Ok(ac) => ac.replace_all(text, &reps),
            Err(_) => text.to_string(),
        }
    }

    /// Seal the vault under `key`.
    pub fn seal(&self, key: &VaultKey) -> Result<Vec<u8>, PrivacyError> {
        let mut entries: Vec<(String, String, String)> = self
            .forward
            .iter()
            .map(|((label, orig), ph)| (label.clone(), orig.clone(), ph.clone()))
            .collect();
        entries.sort_by(|a, b| a.2.cmp(&b.2));
        let plain = Zeroizing::new(
            serde_json::to_vec(&Sealed {
                session: self.session.clone(),
                entries,
            })
            .map_err(|e| PrivacyError::VaultMalformed(e.to_string()))?,
        );
        let cipher =
            ChaCha20Poly1305::new(Key::from_slice(key.derive("nemoclaw vault v1").as_ref()));
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let aad = aad(&self.session);
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .map_err(|_| PrivacyError::VaultMalformed("encryption failed".into()))?;
        let mut out = Vec::with_capacity(4 + 12 + ct.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Open a sealed vault for `session` with `key`. A wrong key, another
    /// session or altered bytes all fail with [`PrivacyError::VaultDecrypt`].
    pub fn open(bytes: &[u8], key: &VaultKey, session: &str) -> Result<Self, PrivacyError> {
        if bytes.len() < 4 + 12 + 16 || &bytes[..4] != MAGIC {
            return Err(PrivacyError::VaultMalformed(
                "missing `NCV1` header or too short".into(),
            ));
        }
        let cipher =
            ChaCha20Poly1305::new(Key::from_slice(key.derive("nemoclaw vault v1").as_ref()));
        let aad = aad(session);
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    Nonce::from_slice(&bytes[4..16]),
                    Payload {
                        msg: &bytes[16..],
                        aad: &aad,
                    },
                )
                .map_err(|_| PrivacyError::VaultDecrypt {
                    session: session.to_string(),
                })?,
        );
        let sealed: Sealed = serde_json::from_slice(&plain)
            .map_err(|e| PrivacyError::VaultMalformed(e.to_string()))?;
        let mut v = Vault::new(sealed.session);
        for (label, orig, ph) in sealed.entries {
            // Recover the counter from the placeholder's number.
            let n: u32 = ph
                .trim_end_matches('>')
                .rsplit('_')
                .next()
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let c = v.counters.entry(label.clone()).or_insert(0);
            *c = (*c).max(n);
            v.backward.insert(ph.clone(), orig.clone());
            v.forward.insert((label, orig), ph);
        }
        Ok(v)
    }
}

fn aad(session: &str) -> Vec<u8> {
    let mut a = MAGIC.to_vec();
    a.extend_from_slice(session.as_bytes());
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistent_placeholders_and_restore() {
        let mut v = Vault::new("s1");
        assert_eq!(v.pseudonym("PERSON", "Ana Silva"), "<PERSON_1>");
        assert_eq!(v.pseudonym("PERSON", "Kenji Sato"), "<PERSON_2>");
        assert_eq!(v.pseudonym("PERSON", "Ana Silva"), "<PERSON_1>");
        assert_eq!(v.pseudonym("EMAIL_ADDRESS", "a@b.io"), "<EMAIL_ADDRESS_1>");
        let answer =
            "Dear <PERSON_1>, <PERSON_2> will write to <EMAIL_ADDRESS_1>. <PERSON_9> unknown.";
        assert_eq!(
            v.restore(answer),
            "Dear Ana Silva, Kenji Sato will write to a@b.io. <PERSON_9> unknown."
        );
    }

    #[test]
    fn seal_open_round_trip() {
        let key = VaultKey::generate();
        let mut v = Vault::new("sess");
        v.pseudonym("PERSON", "Zoë Müller");
        let bytes = v.seal(&key).unwrap();
        assert!(!bytes
            .windows(5)
            .any(|w| w == "Zo\u{eb} ".as_bytes() || w == b"ller\""));
        let mut back = Vault::open(&bytes, &key, "sess").unwrap();
        assert_eq!(back.original("<PERSON_1>"), Some("Zoë Müller"));
        // Counters continue after reopening.
        assert_eq!(back.pseudonym("PERSON", "Other"), "<PERSON_2>");
    }

    #[test]
    fn wrong_key_session_or_tamper_fails() {
        let key = VaultKey::generate();
        let mut v = Vault::new("sess");
        v.pseudonym("PERSON", "Ana");
        let bytes = v.seal(&key).unwrap();
        let other = VaultKey::generate();
        assert!(matches!(
            Vault::open(&bytes, &other, "sess"),
            Err(PrivacyError::VaultDecrypt { .. })
        ));
        assert!(matches!(
            Vault::open(&bytes, &key, "other"),
            Err(PrivacyError::VaultDecrypt { .. })
        ));
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            Vault::open(&bad, &key, "sess"),
            Err(PrivacyError::VaultDecrypt { .. })
        ));
        assert!(matches!(
            Vault::open(b"junk", &key, "sess"),
            Err(PrivacyError::VaultMalformed(_))
        ));
    }

    #[test]
    fn key_parsing() {
        assert!(VaultKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(VaultKey::from_hex("abcd").is_err());
        assert!(VaultKey::from_hex("zz").is_err());
    }
}
