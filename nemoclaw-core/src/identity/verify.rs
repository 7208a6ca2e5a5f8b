//! Verification: trust store, revocation list, the verifier and the
//! identity it yields, proof of possession.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;
use std::time::Duration;

use super::claims::OriginKind;
use super::scope::ScopeSet;
use super::token::{unix_now, Token, DEFAULT_MAX_DEPTH, MAX_CHAIN_DEPTH};
use super::{IdentityError, KeyPair, PublicKey};

/// Domain separation prefix of proof-of-possession messages.
pub const POP_CONTEXT: &[u8] = b"NemoClaw-AIT-PoP-v1\0";
/// Longest challenge accepted for a proof of possession, in bytes.
pub const MAX_CHALLENGE_LEN: usize = 4096;
/// Default clock-skew leeway of a [`Verifier`].
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// A trusted issuer key and the window of issue times it is trusted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The key.
    pub key: PublicKey,
    /// Tokens issued (`iat`) before this time are refused (rotation in).
    pub not_before: Option<u64>,
    /// Tokens issued (`iat`) after this time are refused (rotation out).
    pub not_after: Option<u64>,
}

/// Issuer public keys by `kid`, each with an optional validity window on
/// the tokens' issue time, so keys can be rotated: add the new key with a
/// `not_before`, give the old one a `not_after`, and remove it once its last
/// token has expired (or at once, if it was compromised).
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: HashMap<String, TrustedKey>,
}

impl TrustStore {
    /// An empty store (trusts nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Trust `key` for tokens issued at any time.
    pub fn add(&mut self, key: PublicKey) -> Result<(), IdentityError> {
        self.add_with_window(key, None, None)
    }

    /// Trust `key` for tokens whose `iat` lies in `[not_before, not_after]`.
    /// A second, different key under the same `kid` is refused.
    pub fn add_with_window(
        &mut self,
        key: PublicKey,
        not_before: Option<u64>,
        not_after: Option<u64>,
    ) -> Result<(), IdentityError> {
        if let (Some(a), Some(b)) = (not_before, not_after) {
            if a > b {
                return Err(IdentityError::InvalidArgument(format!(
                    "key `{}` window starts at `{a}` after it ends at `{b}`",
                    key.kid()
                )));
            }
        }
        if let Some(existing) = self.keys.get(key.kid()) {
            if existing.key != key {
                return Err(IdentityError::KeyInvalid(format!(
                    "two different keys share the kid `{}`",
                    key.kid()
                )));
            }
        }
        self.keys.insert(
            key.kid().to_owned(),
            TrustedKey {
                key,
                not_before,
                not_after,
            },
        );
        Ok(())
    }

    /// Stop trusting the key `kid`; returns whether it was present.
    pub fn remove(&mut self, kid: &str) -> bool {
        self.keys.remove(kid).is_some()
    }

    /// The trusted key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&TrustedKey> {
        self.keys.get(kid)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store trusts nothing.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// A store from a public key file (a private key file yields its public
    /// half) or from every `*.pub` file of a directory.
    pub fn load(path: &Path) -> Result<Self, IdentityError> {
        let mut store = Self::new();
        if path.is_dir() {
            let io = |source| IdentityError::KeyIo {
                path: path.display().to_string(),
                source,
            };
            let mut files: Vec<_> = fs::read_dir(path)
                .map_err(io)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pub"))
                .collect();
            files.sort();
            for file in files {
                store.add(PublicKey::read_file(&file)?)?;
            }
            if store.is_empty() {
                return Err(IdentityError::KeyInvalid(format!(
                    "no `*.pub` key files in `{}`",
                    path.display()
                )));
            }
        } else {
            store.add(PublicKey::read_file(path)?)?;
        }
        Ok(store)
    }
}

/// Revoked token ids (`cti`). A chain is refused when any of its tokens is
/// revoked, so revoking a parent revokes every descendant.
///
/// Text form (files): one `cti` in hex per line; blank lines and lines
/// starting with `#` are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationList {
    ctis: HashSet<Vec<u8>>,
}

/// Largest revocation file read, in bytes.
const MAX_REVOCATION_FILE: u64 = 64 * 1024 * 1024;

impl RevocationList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Revoke a token id.
    pub fn revoke(&mut self, cti: &[u8]) {
        self.ctis.insert(cti.to_vec());
    }

    /// Whether the id is revoked.
    pub fn is_revoked(&self, cti: &[u8]) -> bool {
        self.ctis.contains(cti)
    }

    /// Number of revoked ids.
    pub fn len(&self) -> usize {
        self.ctis.len()
    }

    /// Whether nothing is revoked.
    pub fn is_empty(&self) -> bool {
        self.ctis.is_empty()
    }

    /// Parse the text form.
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let mut list = Self::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let cti = hex::decode(line)
                .ok()
                .filter(|c| !c.is_empty() && c.len() <= 64)
                .ok_or_else(|| {
                    IdentityError::InvalidArgument(format!(
                        "revocation line {}: `{}` is not a hex cti",
                        n + 1,
                        line.chars().take(80).collect::<String>()
                    ))
                })?;
            list.ctis.insert(cti);
        }
        Ok(list)
    }

    /// Read a revocation file.
    pub fn read_file(path: &Path) -> Result<Self, IdentityError> {
        let io = |source| IdentityError::KeyIo {
            path: path.display().to_string(),
            source,
        };
        if fs::metadata(path).map_err(io)?.len() > MAX_REVOCATION_FILE {
            return Err(IdentityError::InvalidArgument(format!(
                "revocation file `{}` is too large",
                path.display()
            )));
        }
        let text = fs::read_to_string(path).map_err(io)?;
        Self::parse(&text)
    }

    /// The text form, sorted.
    pub fn to_text(&self) -> String {
        let mut lines: Vec<String> = self.ctis.iter().map(hex::encode).collect();
        lines.sort();
        lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// Checks tokens against a trust store, revocation list, audience and
/// clock. Immutable once built; `Send + Sync`.
///
/// Checks, in order (the first failure is reported): decoding and limits;
/// every signature from the root down (the root's by its `kid` in the trust
/// store within the key's window, each child's by its parent's `cnf` key);
/// chain consistency (depth, issuer = parent's subject, origin, scopes,
/// audience and lifetime within the parent's); the depth limit; revocation
/// of any token in the chain; `nbf`, `iat` and `exp` of every token with the
/// leeway; the audience of the leaf.
#[derive(Debug, Clone)]
pub struct Verifier {
    trust: TrustStore,
    revoked: RevocationList,
    audience: Option<String>,
    leeway: u64,
    max_depth: u32,
}

impl Verifier {
    /// A verifier with default settings: no audience, 60 s leeway, depth
    /// limit [`DEFAULT_MAX_DEPTH`], nothing revoked.
    pub fn new(trust: TrustStore) -> Self {
        Self {
            trust,
            revoked: RevocationList::new(),
            audience: None,
            leeway: DEFAULT_LEEWAY.as_secs(),
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// The audience this verifier stands for. Without one, tokens that name
    /// an audience are refused (RFC 8392 §3.1.3: a recipient that does not
    /// identify with `aud` must reject the token).
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Clock-skew leeway applied to `nbf`, `iat` and `exp`.
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.as_secs();
        self
    }

    /// Deepest delegation accepted (capped at [`MAX_CHAIN_DEPTH`]).
    #[must_use]
    pub fn with_max_depth(mut self, depth: u32) -> Self {
        self.max_depth = depth.min(MAX_CHAIN_DEPTH);
        self
    }

    /// The revocation list.
    #[must_use]
    pub fn with_revocations(mut self, revoked: RevocationList) -> Self {
        self.revoked = revoked;
        self
    }

    /// The trust store.
    pub fn trust_store(&self) -> &TrustStore {
        &self.trust
    }

    /// Verify token bytes now.
    pub fn verify(&self, token: &[u8]) -> Result<VerifiedIdentity, IdentityError> {
        self.verify_at(token, unix_now())
    }

    /// Verify token bytes as of `now` (Unix seconds): the injected clock.
    pub fn verify_at(&self, token: &[u8], now: u64) -> Result<VerifiedIdentity, IdentityError> {
        self.verify_token_at(&Token::decode(token)?, now)
    }

    /// Verify an already-decoded token as of `now`.
    pub fn verify_token_at(
        &self,
        token: &Token,
        now: u64,
    ) -> Result<VerifiedIdentity, IdentityError> {
        let chain = token.chain();
        self.check_signatures(&chain)?;
        check_consistency(&chain)?;
        let depth = token.depth();
        if depth > self.max_depth {
            return Err(IdentityError::ChainTooDeep {
                depth,
                max: self.max_depth,
            });
        }
        for t in &chain {
            let c = t.claims();
            if self.revoked.is_revoked(&c.cti) {
                return Err(IdentityError::Revoked {
                    depth: t.depth(),
                    cti: hex::encode(&c.cti),
                });
            }
        }
        let late = now.saturating_add(self.leeway);
        for t in &chain {
            let c = t.claims();
            if late < c.not_before || late < c.issued_at {
                return Err(IdentityError::NotYetValid {
                    depth: t.depth(),
                    nbf: c.not_before.max(c.issued_at),
                    now,
                });
            }
            if now >= c.expires_at.saturating_add(self.leeway) {
                return Err(IdentityError::Expired {
                    depth: t.depth(),
                    exp: c.expires_at,
                    now,
                });
            }
        }
        let leaf = token.claims();
        if leaf.audience != self.audience {
            return Err(IdentityError::WrongAudience {
                expected: self.audience.clone().unwrap_or_else(|| "(none)".into()),
                found: leaf.audience.clone().unwrap_or_else(|| "(none)".into()),
            });
        }
        Ok(VerifiedIdentity::from_chain(token, &chain))
    }

    /// Verify a token and a proof of possession over `challenge` in one step.
    pub fn verify_with_proof_at(
        &self,
        token: &[u8],
        challenge: &[u8],
        proof: &[u8],
        now: u64,
    ) -> Result<VerifiedIdentity, IdentityError> {
        let identity = self.verify_at(token, now)?;
        identity.check_proof(challenge, proof)?;
        Ok(identity)
    }

    fn check_signatures(&self, chain: &[&Token]) -> Result<(), IdentityError> {
        let mut signer: Option<&PublicKey> = None;
        for t in chain {
            let depth = t.depth();
            let key = match signer {
                None => {
                    let trusted =
                        self.trust
                            .get(t.kid())
                            .ok_or_else(|| IdentityError::UnknownKey {
                                depth,
                                kid: t.kid().to_owned(),
                                reason: "not in the trust store".into(),
                            })?;
                    let iat = t.claims().issued_at;
                    if trusted.not_before.is_some_and(|nb| iat < nb)
                        || trusted.not_after.is_some_and(|na| iat > na)
                    {
                        return Err(IdentityError::UnknownKey {
                            depth,
                            kid: t.kid().to_owned(),
                            reason: format!("key not valid for tokens issued at `{iat}`"),
                        });
                    }
                    &trusted.key
                }
                Some(parent_cnf) => {
                    if t.kid() != parent_cnf.kid() {
                        return Err(IdentityError::UnknownKey {
                            depth,
                            kid: t.kid().to_owned(),
                            reason: format!(
                                "a delegated token must be signed by its parent's cnf key `{}`",
                                parent_cnf.kid()
                            ),
                        });
                    }
                    parent_cnf
                }
            };
            if !key.verify(t.signed_data(), t.signature()) {
                return Err(IdentityError::BadSignature {
                    depth,
                    kid: t.kid().to_owned(),
                });
            }
            signer = Some(&t.claims().confirmation);
        }
        Ok(())
    }
}

/// Structural rules between each child and its parent.
fn check_consistency(chain: &[&Token]) -> Result<(), IdentityError> {
    for (i, pair) in chain.windows(2).enumerate() {
        let (parent, child) = (pair[0].claims(), pair[1].claims());
        let depth = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if child.depth() != depth || parent.depth() + 1 != depth {
            return Err(IdentityError::ChainInvalid(format!(
                "token claims depth `{}` at depth {depth}",
                child.depth()
            )));
        }
        if child.issuer != parent.subject {
            return Err(IdentityError::ChainInvalid(format!(
                "issuer `{}` of the token at depth {depth} is not its parent's subject `{}`",
                child.issuer, parent.subject
            )));
        }
        if child.origin.kind != OriginKind::Agent || child.origin.id != parent.subject {
            return Err(IdentityError::ChainInvalid(format!(
                "origin of the token at depth {depth} must be `agent:{}`",
                parent.subject
            )));
        }
        if let Some(wide) = child.task.scopes.first_not_within(&parent.task.scopes) {
            return Err(IdentityError::ScopeEscalation(format!(
                "scope `{wide}` of the token at depth {depth} is not within its parent's"
            )));
        }
        if parent.audience.is_some() && child.audience != parent.audience {
            return Err(IdentityError::ScopeEscalation(format!(
                "audience of the token at depth {depth} differs from its parent's"
            )));
        }
        if child.expires_at > parent.expires_at
            || child.not_before < parent.not_before
            || child.issued_at < parent.issued_at
        {
            return Err(IdentityError::ScopeEscalation(format!(
                "lifetime of the token at depth {depth} is not within its parent's"
            )));
        }
    }
    if chain.first().is_some_and(|root| root.depth() != 0) {
        return Err(IdentityError::ChainInvalid(
            "root token carries a delegation depth".into(),
        ));
    }
    Ok(())
}

/// The identity a verified token establishes: what the policy engine builds
/// its principal from and what the audit trail records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    agent_id: String,
    issuer: String,
    audience: Option<String>,
    task_id: String,
    goal: String,
    scopes: ScopeSet,
    model_name: String,
    model_version: String,
    origin_kind: OriginKind,
    origin_id: String,
    depth: u32,
    cti: Vec<u8>,
    chain_hash: [u8; 32],
    issued_at: u64,
    not_before: u64,
    expires_at: u64,
    key: PublicKey,
    root_kid: String,
    root_issuer: String,
    chain_agents: Vec<String>,
    chain_ctis: Vec<Vec<u8>>,
}

impl VerifiedIdentity {
    fn from_chain(token: &Token, chain: &[&Token]) -> Self {
        let c = token.claims();
        let root = chain.first().copied().unwrap_or(token);
        Self {
            agent_id: c.subject.clone(),
            issuer: c.issuer.clone(),
            audience: c.audience.clone(),
            task_id: c.task.id.clone(),
            goal: c.task.goal.clone(),
            scopes: c.task.scopes.clone(),
            model_name: c.model.name.clone(),
            model_version: c.model.version.clone(),
            origin_kind: c.origin.kind,
            origin_id: c.origin.id.clone(),
            depth: token.depth(),
            cti: c.cti.clone(),
            chain_hash: token.chain_hash(),
            issued_at: c.issued_at,
            not_before: c.not_before,
            expires_at: c.expires_at,
            key: c.confirmation.clone(),
            root_kid: root.kid().to_owned(),
            root_issuer: root.claims().issuer.clone(),
            chain_agents: chain.iter().map(|t| t.claims().subject.clone()).collect(),
            chain_ctis: chain.iter().map(|t| t.claims().cti.clone()).collect(),
        }
    }

    /// The agent id (`sub`).
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }
    /// `iss` of this token (the parent agent's id for a delegated token).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// `aud`, if any.
    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }
    /// The task id.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }
    /// The task goal.
    pub fn goal(&self) -> &str {
        &self.goal
    }
    /// The scopes granted.
    pub fn scopes(&self) -> &ScopeSet {
        &self.scopes
    }
    /// The model name.
    pub fn model_name(&self) -> &str {
        &self.model_name
    }
    /// The model version or digest.
    pub fn model_version(&self) -> &str {
        &self.model_version
    }
    /// Kind of originator.
    pub fn origin_kind(&self) -> OriginKind {
        self.origin_kind
    }
    /// Id of the originator.
    pub fn origin_id(&self) -> &str {
        &self.origin_id
    }
    /// Delegation depth (0 for a root token).
    pub fn depth(&self) -> u32 {
        self.depth
    }
    /// `cti` of this token.
    pub fn cti(&self) -> &[u8] {
        &self.cti
    }
    /// `cti` in hex.
    pub fn cti_hex(&self) -> String {
        hex::encode(&self.cti)
    }
    /// SHA-256 of the token bytes, which embed the whole chain.
    pub fn chain_hash(&self) -> &[u8; 32] {
        &self.chain_hash
    }
    /// The chain hash in hex.
    pub fn chain_hash_hex(&self) -> String {
        hex::encode(self.chain_hash)
    }
    /// `iat`, Unix seconds.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }
    /// `nbf`, Unix seconds.
    pub fn not_before(&self) -> u64 {
        self.not_before
    }
    /// `exp`, Unix seconds (never later than any ancestor's).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
    /// The agent's own key (`cnf`).
    pub fn key(&self) -> &PublicKey {
        &self.key
    }
    /// `kid` of the trusted issuer key that signed the root.
    pub fn root_kid(&self) -> &str {
        &self.root_kid
    }
    /// `iss` of the root token.
    pub fn root_issuer(&self) -> &str {
        &self.root_issuer
    }
    /// Agent ids from the root down to this agent.
    pub fn chain_agents(&self) -> &[String] {
        &self.chain_agents
    }
    /// `cti`s from the root down to this token.
    pub fn chain_ctis(&self) -> &[Vec<u8>] {
        &self.chain_ctis
    }

    /// Check a proof of possession: `proof` must be the agent's Ed25519
    /// signature over [`pop_message`] for this token and `challenge` (a
    /// verifier nonce or a request digest).
    pub fn check_proof(&self, challenge: &[u8], proof: &[u8]) -> Result<(), IdentityError> {
        let msg = pop_message(&self.cti, challenge)?;
        if self.key.verify(&msg, proof) {
            Ok(())
        } else {
            Err(IdentityError::ProofOfPossession(format!(
                "proof does not verify against the cnf key `{}`",
                self.key.kid()
            )))
        }
    }

    /// The identity as JSON (what `nemoclaw token verify --json` prints).
    pub fn to_json(&self) -> serde_json::Value {
        super::sorted_json(serde_json::json!({
            "agent_id": self.agent_id,
            "issuer": self.issuer,
            "audience": self.audience,
            "task_id": self.task_id,
            "goal": self.goal,
            "scopes": self.scopes.to_strings(),
            "model": { "name": self.model_name, "version": self.model_version },
            "origin": { "kind": self.origin_kind.as_str(), "id": self.origin_id },
            "depth": self.depth,
            "cti": self.cti_hex(),
            "chain_hash": self.chain_hash_hex(),
            "iat": self.issued_at,
            "nbf": self.not_before,
            "exp": self.expires_at,
            "cnf": { "kid": self.key.kid(), "x": hex::encode(self.key.as_bytes()) },
            "root_kid": self.root_kid,
            "root_issuer": self.root_issuer,
            "chain_agents": self.chain_agents,
            "chain_ctis": self.chain_ctis.iter().map(hex::encode).collect::<Vec<_>>(),
        }))
    }
}

/// The message an agent signs to prove possession of its key:
/// `"NemoClaw-AIT-PoP-v1\0" || len(cti) as one byte || cti || challenge`.
pub fn pop_message(cti: &[u8], challenge: &[u8]) -> Result<Vec<u8>, IdentityError> {
    if challenge.is_empty() || challenge.len() > MAX_CHALLENGE_LEN {
        return Err(IdentityError::ProofOfPossession(format!(
            "challenge must be 1 to {MAX_CHALLENGE_LEN} bytes"
        )));
    }
    let len = u8::try_from(cti.len())
        .map_err(|_| IdentityError::ProofOfPossession("cti too long".into()))?;
    let mut msg = Vec::with_capacity(POP_CONTEXT.len() + 1 + cti.len() + challenge.len());
    msg.extend_from_slice(POP_CONTEXT);
    msg.push(len);
    msg.extend_from_slice(cti);
    msg.extend_from_slice(challenge);
    Ok(msg)
}

/// Sign a proof of possession for `token` over `challenge` with the agent's
/// private key (which must match the token's `cnf`).
pub fn sign_proof(
    agent_key: &KeyPair,
    token: &Token,
    challenge: &[u8],
) -> Result<[u8; 64], IdentityError> {
    if agent_key.public() != token.claims().confirmation {
        return Err(IdentityError::ProofOfPossession(format!(
            "key `{}` is not the token's cnf key `{}`",
            agent_key.kid(),
            token.claims().confirmation.kid()
        )));
    }
    Ok(agent_key.sign(&pop_message(&token.claims().cti, challenge)?))
}
