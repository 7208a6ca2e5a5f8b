//! Agentic Identity Tokens (AITs): keys, claims, COSE_Sign1 tokens,
//! delegation, trust store, revocation and proof of possession.
//!
//! An AIT is a tagged COSE_Sign1 (RFC 9052) signed with Ed25519, whose
//! payload is a CWT claims set (RFC 8392) in deterministic CBOR binding an
//! agent id, its own key (`cnf`, RFC 8747), its task and [`ScopeSet`], its
//! model and its origin. A holder of a token and of the private key matching
//! its `cnf` can [`delegate`] a narrower child token to a sub-agent; the child
//! embeds its parent, so a whole chain verifies offline against the issuer
//! keys in a [`TrustStore`]. The byte-level format is in `docs/tokens.md`.
//!
//! ```
//! use std::time::Duration;
//! use nemoclaw_core::identity::*;
//!
//! let issuer = KeyPair::generate("issuer")?;
//! let planner = KeyPair::generate("planner")?;
//! let coder = KeyPair::generate("coder")?;
//! let root = TokenBuilder::new()
//!     .subject("planner")
//!     .task("T-1", "ship the release")
//!     .scopes(ScopeSet::parse(["fs:rw:/work", "net:*.pypi.org:443", "exec"])?)
//!     .model("gpt-x", "2026-01")
//!     .origin(Origin::parse("human:alice")?)
//!     .ttl(Duration::from_secs(600))
//!     .agent_key(planner.public())
//!     .issue(&issuer)?;
//! let child = TokenBuilder::new()
//!     .subject("coder")
//!     .scopes(ScopeSet::parse(["fs:rw:/work/src"])?)
//!     .agent_key(coder.public())
//!     .delegate(&root, &planner)?;
//!
//! let mut trust = TrustStore::new();
//! trust.add(issuer.public())?;
//! let verifier = Verifier::new(trust);
//! let who = verifier.verify(child.as_bytes())?;
//! assert_eq!((who.agent_id(), who.depth()), ("coder", 1));
//!
//! // proof of possession: the agent signs a challenge with its own key
//! let proof = sign_proof(&coder, &child, b"nonce-123")?;
//! who.check_proof(b"nonce-123", &proof)?;
//!
//! // a widened delegation is refused
//! let wider = TokenBuilder::new()
//!     .subject("coder")
//!     .scopes(ScopeSet::parse(["fs:rw:/etc"])?)
//!     .agent_key(coder.public())
//!     .delegate(&root, &planner);
//! assert_eq!(wider.unwrap_err().code(), nemoclaw_core::ErrorCode::TokenScopeEscalation);
//! # Ok::<(), IdentityError>(())
//! ```

mod cbor;
mod claims;
mod error;
pub mod keys;
pub mod scope;
mod token;
mod verify;

/// JSON with object keys in sorted order at every level, whatever
/// `serde_json` features other crates in the build turn on
/// (`preserve_order` keeps insertion order), so printed claims and the
/// golden files are byte-stable.
pub(crate) fn sorted_json(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_json(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted_json).collect())
        }
        other => other,
    }
}

pub use claims::{
    Claims, Delegation, Model, Origin, OriginKind, Task, CLAIM_CNF, CLAIM_DELEGATION, CLAIM_MODEL,
    CLAIM_ORIGIN, CLAIM_TASK, CNF_COSE_KEY, MAX_GOAL_LEN, MAX_ID_LEN,
};
pub use error::IdentityError;
pub use keys::{KeyPair, PublicKey};
pub use scope::{ActionClass, FsAccess, HostPattern, Scope, ScopeKind, ScopeSet, ToolPattern};
pub use token::{
    delegate, issue, random_cti, token_bytes_from_any, unix_now, Token, TokenBuilder, CTI_LEN,
    DEFAULT_MAX_DEPTH, MAX_CHAIN_DEPTH, MAX_TOKEN_BYTES,
};
pub use verify::{
    pop_message, sign_proof, RevocationList, TrustStore, TrustedKey, VerifiedIdentity, Verifier,
    DEFAULT_LEEWAY, MAX_CHALLENGE_LEN, POP_CONTEXT,
};

/// Fixed inputs of the golden vectors in `testdata/identity/` and the entry
/// point shared by the fuzz target and its corpus replay test.
#[doc(hidden)]
pub mod vectors {
    use super::{IdentityError, KeyPair, Token, TrustStore, VerifiedIdentity, Verifier};

    /// Seed of the golden issuer key `issuer-2026`: bytes 0x01..=0x20.
    pub const ISSUER_SEED: [u8; 32] = seed(0x01);
    /// Seed of the golden root agent key `planner`: bytes 0x21..=0x40.
    pub const PLANNER_SEED: [u8; 32] = seed(0x21);
    /// Seed of the golden child agent key `coder`: bytes 0x41..=0x60.
    pub const CODER_SEED: [u8; 32] = seed(0x41);
    /// Seed of the golden grandchild agent key `tester`: bytes 0x61..=0x80.
    pub const TESTER_SEED: [u8; 32] = seed(0x61);
    /// Issue time of the golden root token: 2026-01-01T00:00:00Z.
    pub const ROOT_IAT: u64 = 1_767_225_600;
    /// A time at which every golden token is valid.
    pub const VALID_AT: u64 = ROOT_IAT + 120;

    const fn seed(first: u8) -> [u8; 32] {
        let mut s = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            s[i] = first + i as u8;
            i += 1;
        }
        s
    }

    /// The golden issuer key.
    pub fn issuer() -> Result<KeyPair, IdentityError> {
        KeyPair::from_seed("issuer-2026", &ISSUER_SEED)
    }

    /// Decode `data` (binary or base64) and verify it against the golden
    /// issuer at [`VALID_AT`]. Never panics, whatever the input.
    pub fn decode_and_verify(data: &[u8]) -> Result<VerifiedIdentity, IdentityError> {
        static VERIFIER: std::sync::OnceLock<Result<Verifier, String>> = std::sync::OnceLock::new();
        let verifier = VERIFIER
            .get_or_init(|| {
                let mut trust = TrustStore::new();
                trust
                    .add(issuer().map_err(|e| e.to_string())?.public())
                    .map_err(|e| e.to_string())?;
                Ok(Verifier::new(trust).with_audience("nemoclaw-guard"))
            })
            .as_ref()
            .map_err(|e| IdentityError::KeyInvalid(e.clone()))?;
        let token = Token::decode_any(data)?;
        let _ = token.to_json();
        verifier.verify_token_at(&token, VALID_AT)
    }
}
