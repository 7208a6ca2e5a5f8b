//! The token itself: a tagged COSE_Sign1 over the claims, and the builder
//! that issues root tokens and mints delegated ones.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coset::TaggedCborSerializable;
use coset::{iana, CoseSign1Builder, HeaderBuilder};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use super::cbor::Reader;
use super::claims::{check_text, Claims, Delegation, Model, Origin, OriginKind, Task, MAX_ID_LEN};
use super::scope::ScopeSet;
use super::{IdentityError, KeyPair, PublicKey};

/// Largest token accepted, delegation chain included, in bytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Hard cap on the nesting of delegated tokens while decoding; verifiers
/// may set a lower limit ([`DEFAULT_MAX_DEPTH`]).
pub const MAX_CHAIN_DEPTH: u32 = 8;
/// Default limit on delegation depth for minting and verifying.
pub const DEFAULT_MAX_DEPTH: u32 = 4;
/// Length of the `cti` of issued tokens.
pub const CTI_LEN: usize = 16;

/// The CBOR tag of a COSE_Sign1 (18) as its one-byte encoding.
const COSE_SIGN1_TAG_BYTE: u8 = 0xd2;

fn malformed(msg: impl Into<String>) -> IdentityError {
    IdentityError::Malformed(msg.into())
}

/// The current time in Unix seconds (0 if the clock is before 1970).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A decoded Agentic Identity Token. Decoding checks structure, limits and
/// the deterministic encoding, never signatures: use a
/// [`Verifier`](super::Verifier) before trusting the claims.
#[derive(Debug, Clone)]
pub struct Token {
    bytes: Vec<u8>,
    kid: String,
    claims: Claims,
    tbs: Vec<u8>,
    signature: [u8; 64],
    parent: Option<Box<Token>>,
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for Token {}

/// The protected header `{1: -8, 4: kid}` as the encoder writes it.
fn protected_header(kid: &str) -> coset::Header {
    HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(kid.as_bytes().to_vec())
        .build()
}

impl Token {
    /// Decode token bytes (tagged COSE_Sign1) and, recursively, its parents.
    pub fn decode(bytes: &[u8]) -> Result<Self, IdentityError> {
        Self::decode_nested(bytes, MAX_CHAIN_DEPTH)
    }

    fn decode_nested(bytes: &[u8], levels_left: u32) -> Result<Self, IdentityError> {
        if bytes.len() > MAX_TOKEN_BYTES {
            return Err(malformed(format!(
                "{} bytes; a token is at most {MAX_TOKEN_BYTES}",
                bytes.len()
            )));
        }
        if bytes.first() != Some(&COSE_SIGN1_TAG_BYTE) {
            return Err(malformed("not a tagged COSE_Sign1 (tag 18)"));
        }
        // tag 18 (checked above), then [protected bstr, {}, payload bstr,
        // signature bstr], every head in shortest form, nothing after.
        let mut r = Reader::new(&bytes[1..]);
        if r.array("COSE_Sign1")? != 4 {
            return Err(malformed("COSE_Sign1 must be an array of 4"));
        }
        let protected = r.bytes(MAX_PROTECTED_BYTES, "protected header")?;
        if r.map("unprotected header")? != 0 {
            return Err(malformed("unprotected header must be empty"));
        }
        let payload = r.bytes(MAX_TOKEN_BYTES, "payload")?;
        let signature: [u8; 64] = r
            .bytes(64, "signature")?
            .try_into()
            .map_err(|_| malformed("signature is not 64 bytes"))?;
        r.finish("token")?;
        let kid = parse_protected(protected)?;
        let claims = Claims::from_cbor(payload)?;
        let tbs = sig_structure(protected, payload);
        let parent = match &claims.delegation {
            None => None,
            Some(d) => {
                if levels_left == 0 {
                    return Err(IdentityError::ChainTooDeep {
                        depth: MAX_CHAIN_DEPTH + 1,
                        max: MAX_CHAIN_DEPTH,
                    });
                }
                Some(Box::new(Self::decode_nested(&d.parent, levels_left - 1)?))
            }
        };
        Ok(Self {
            bytes: bytes.to_vec(),
            kid,
            claims,
            tbs,
            signature,
            parent,
        })
    }

    /// Decode a token given as binary or as base64 text (standard or URL-safe
    /// alphabet, padding optional, surrounding whitespace ignored).
    pub fn decode_any(input: &[u8]) -> Result<Self, IdentityError> {
        Self::decode(&token_bytes_from_any(input)?)
    }

    /// The token bytes (tagged COSE_Sign1).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The token as unpadded base64url text.
    pub fn to_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.bytes)
    }

    /// The `kid` of the signing key (protected header).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The claims (unverified until a verifier has accepted the token).
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The parent token, for a delegated token.
    pub fn parent(&self) -> Option<&Token> {
        self.parent.as_deref()
    }

    /// Depth in the delegation chain (0 for a root).
    pub fn depth(&self) -> u32 {
        self.claims.depth()
    }

    /// The chain from the root down to this token.
    pub fn chain(&self) -> Vec<&Token> {
        let mut chain = Vec::with_capacity(self.depth() as usize + 1);
        let mut cur = Some(self);
        while let Some(t) = cur {
            chain.push(t);
            cur = t.parent();
        }
        chain.reverse();
        chain
    }

    /// SHA-256 of the token bytes. The bytes embed every ancestor, so this
    /// hash names the whole chain.
    pub fn chain_hash(&self) -> [u8; 32] {
        Sha256::digest(&self.bytes).into()
    }

    /// The COSE `Sig_structure` that was signed.
    pub fn signed_data(&self) -> &[u8] {
        &self.tbs
    }

    /// The Ed25519 signature.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// Claims of this token and its ancestors as JSON (no verification).
    pub fn to_json(&self) -> serde_json::Value {
        let c = &self.claims;
        super::sorted_json(serde_json::json!({
            "kid": self.kid,
            "iss": c.issuer,
            "sub": c.subject,
            "aud": c.audience,
            "iat": c.issued_at,
            "nbf": c.not_before,
            "exp": c.expires_at,
            "cti": hex::encode(&c.cti),
            "cnf": {
                "kid": c.confirmation.kid(),
                "x": hex::encode(c.confirmation.as_bytes()),
            },
            "task": {
                "id": c.task.id,
                "goal": c.task.goal,
                "scopes": c.task.scopes.to_strings(),
            },
            "model": { "name": c.model.name, "version": c.model.version },
            "origin": { "kind": c.origin.kind.as_str(), "id": c.origin.id },
            "depth": self.depth(),
            "chain_hash": hex::encode(self.chain_hash()),
            "size": self.bytes.len(),
            "parent": self.parent.as_ref().map(|p| p.to_json()),
        }))
    }

    /// Low level: sign `claims` exactly as given with `key`. No delegation
    /// rule is applied here (the builder applies them); a verifier still
    /// enforces every rule, so this cannot mint a token that verifies with
    /// more rights than its parent. Used for test vectors and tools.
    pub fn sign_claims(claims: &Claims, key: &KeyPair) -> Result<Self, IdentityError> {
        Self::sign(claims, key)
    }

    fn sign(claims: &Claims, key: &KeyPair) -> Result<Self, IdentityError> {
        let payload = claims.to_cbor()?;
        let sign1 = CoseSign1Builder::new()
            .protected(protected_header(key.kid()))
            .payload(payload)
            .create_signature(b"", |tbs| key.sign(tbs).to_vec())
            .build();
        let bytes = sign1
            .to_tagged_vec()
            .map_err(|e| malformed(format!("cannot encode token: {e}")))?;
        Self::decode(&bytes)
    }
}

/// Longest protected header: `{1: -8, 4: kid}` with the longest kid.
const MAX_PROTECTED_BYTES: usize = 8 + super::keys::MAX_KID_LEN;

/// The protected header must be exactly `a2 01 27 04 <bstr kid>`.
fn parse_protected(protected: &[u8]) -> Result<String, IdentityError> {
    let mut r = Reader::new(protected);
    r.numbered_map(2, "protected header")?;
    r.key(1, "protected header")?;
    if r.int("alg")? != -8 {
        return Err(malformed("protected header algorithm is not EdDSA (-8)"));
    }
    r.key(4, "protected header")?;
    let kid = r.bytes(super::keys::MAX_KID_LEN, "kid")?;
    r.finish("protected header")?;
    let kid = std::str::from_utf8(kid).map_err(|_| malformed("kid is not UTF-8"))?;
    if kid.is_empty() {
        return Err(malformed("kid is empty"));
    }
    Ok(kid.to_owned())
}

/// Append a CBOR byte string with its minimal-length header (RFC 8949 §4.2.1).
fn push_bstr(out: &mut Vec<u8>, data: &[u8]) {
    let len = data.len();
    match len {
        0..=23 => out.push(0x40 | len as u8),
        24..=0xff => out.extend_from_slice(&[0x58, len as u8]),
        0x100..=0xffff => {
            out.push(0x59);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x5a);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(data);
}

/// The COSE_Sign1 `Sig_structure` (RFC 9052 §4.4) with empty external AAD:
/// `["Signature1", protected, h'', payload]`. Byte-identical to coset's
/// `tbs_data` (a unit test checks), without rebuilding a CBOR value tree.
fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut tbs = Vec::with_capacity(16 + protected.len() + payload.len());
    tbs.extend_from_slice(b"\x84\x6aSignature1");
    push_bstr(&mut tbs, protected);
    tbs.push(0x40);
    push_bstr(&mut tbs, payload);
    tbs
}

/// Raw token bytes from binary or base64 text.
pub fn token_bytes_from_any(input: &[u8]) -> Result<Vec<u8>, IdentityError> {
    use base64::Engine as _;
    if input.first() == Some(&COSE_SIGN1_TAG_BYTE) {
        return Ok(input.to_vec());
    }
    if input.len() > MAX_TOKEN_BYTES * 4 / 3 + 8 {
        return Err(malformed("input too large for a token"));
    }
    let text: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let trimmed: &[u8] = match text.iter().rposition(|&b| b != b'=') {
        Some(end) => &text[..=end],
        None => &[],
    };
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed);
    let decoded = match url {
        Ok(b) => b,
        Err(_) => base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(trimmed)
            .map_err(|_| malformed("neither a binary COSE_Sign1 nor base64 text"))?,
    };
    Ok(decoded)
}

/// Builds root tokens ([`TokenBuilder::issue`]) and delegated tokens
/// ([`TokenBuilder::delegate`]).
///
/// ```
/// use std::time::Duration;
/// use nemoclaw_core::identity::*;
///
/// let issuer = KeyPair::generate("issuer-2026")?;
/// let agent = KeyPair::generate("agent-7")?;
/// let token = TokenBuilder::new()
///     .subject("agent-7")
///     .task("T-42", "fix the failing test in the parser")
///     .scopes(ScopeSet::parse(["fs:rw:/work/repo", "net:*.github.com:443", "exec"])?)
///     .model("llama-3.1-70b", "2024-07")
///     .origin(Origin::parse("human:alice")?)
///     .ttl(Duration::from_secs(3600))
///     .agent_key(agent.public())
///     .issue(&issuer)?;
///
/// let mut trust = TrustStore::new();
/// trust.add(issuer.public())?;
/// let identity = Verifier::new(trust).verify(token.as_bytes())?;
/// assert_eq!(identity.agent_id(), "agent-7");
/// assert!(identity.scopes().allows_write("/work/repo/src/lib.rs"));
/// # Ok::<(), IdentityError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TokenBuilder {
    issuer: Option<String>,
    subject: Option<String>,
    audience: Option<String>,
    task_id: Option<String>,
    goal: Option<String>,
    scopes: Option<ScopeSet>,
    model: Option<Model>,
    origin: Option<Origin>,
    ttl: Option<Duration>,
    agent_key: Option<PublicKey>,
    max_depth: Option<u32>,
}

impl TokenBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// `iss` of a root token (default: the issuer key's kid). Ignored when
    /// delegating: a child's `iss` is its parent's `sub`.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// `sub`: the agent id (required).
    #[must_use]
    pub fn subject(mut self, agent_id: impl Into<String>) -> Self {
        self.subject = Some(agent_id.into());
        self
    }

    /// `aud` (optional; a child inherits its parent's and may not change it).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Task id and goal (required for roots; children inherit by default).
    #[must_use]
    pub fn task(mut self, id: impl Into<String>, goal: impl Into<String>) -> Self {
        self.task_id = Some(id.into());
        self.goal = Some(goal.into());
        self
    }

    /// Scopes (roots default to none; children default to the parent's).
    #[must_use]
    pub fn scopes(mut self, scopes: ScopeSet) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// Model name and version or digest (required for roots; children inherit by default).
    #[must_use]
    pub fn model(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.model = Some(Model {
            name: name.into(),
            version: version.into(),
        });
        self
    }

    /// Origin of a root token (required for roots). Ignored when delegating:
    /// a child's origin is always `agent:<parent sub>`.
    #[must_use]
    pub fn origin(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    /// Lifetime from the issue time (required for roots; a child defaults
    /// to its parent's remaining lifetime).
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The agent's public key, bound as `cnf` (required).
    #[must_use]
    pub fn agent_key(mut self, key: PublicKey) -> Self {
        self.agent_key = Some(key);
        self
    }

    /// Deepest delegation this builder will mint (default [`DEFAULT_MAX_DEPTH`]).
    #[must_use]
    pub fn max_depth(mut self, depth: u32) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// Issue a root token now with a random `cti`.
    pub fn issue(self, issuer_key: &KeyPair) -> Result<Token, IdentityError> {
        self.issue_at(issuer_key, unix_now(), &random_cti())
    }

    /// Issue a root token at time `now` with the given `cti` (reproducible
    /// tokens for tests and golden vectors).
    pub fn issue_at(
        self,
        issuer_key: &KeyPair,
        now: u64,
        cti: &[u8],
    ) -> Result<Token, IdentityError> {
        let missing = |what: &str| IdentityError::InvalidArgument(format!("{what} is required"));
        let ttl = self.ttl.ok_or_else(|| missing("a ttl"))?;
        let claims = Claims {
            issuer: self.issuer.unwrap_or_else(|| issuer_key.kid().to_owned()),
            subject: self.subject.ok_or_else(|| missing("the agent id (sub)"))?,
            audience: self.audience,
            issued_at: now,
            not_before: now,
            expires_at: add_ttl(now, ttl)?,
            cti: cti.to_vec(),
            confirmation: self
                .agent_key
                .ok_or_else(|| missing("the agent key (cnf)"))?,
            task: Task {
                id: self.task_id.ok_or_else(|| missing("a task id"))?,
                goal: self.goal.unwrap_or_default(),
                scopes: self.scopes.unwrap_or_default(),
            },
            model: self.model.ok_or_else(|| missing("a model"))?,
            origin: self.origin.ok_or_else(|| missing("an origin"))?,
            delegation: None,
        };
        Token::sign(&claims, issuer_key)
    }

    /// Mint a child of `parent` now, signed with `parent_key` (the private
    /// key matching the parent's `cnf`).
    pub fn delegate(self, parent: &Token, parent_key: &KeyPair) -> Result<Token, IdentityError> {
        self.delegate_at(parent, parent_key, unix_now(), &random_cti())
    }

    /// Mint a child at time `now` with the given `cti`. Refused when the key
    /// does not match the parent's `cnf`, the parent is not valid at `now`,
    /// the scopes, audience or lifetime would widen, or the depth limit is
    /// reached.
    pub fn delegate_at(
        self,
        parent: &Token,
        parent_key: &KeyPair,
        now: u64,
        cti: &[u8],
    ) -> Result<Token, IdentityError> {
        let p = parent.claims();
        if parent_key.public() != p.confirmation {
            return Err(IdentityError::ProofOfPossession(format!(
                "key `{}` is not the parent's confirmation key `{}`",
                parent_key.kid(),
                p.confirmation.kid()
            )));
        }
        if now < p.not_before {
            return Err(IdentityError::NotYetValid {
                depth: parent.depth(),
                nbf: p.not_before,
                now,
            });
        }
        if now >= p.expires_at {
            return Err(IdentityError::Expired {
                depth: parent.depth(),
                exp: p.expires_at,
                now,
            });
        }
        let depth = parent.depth() + 1;
        let max = self
            .max_depth
            .unwrap_or(DEFAULT_MAX_DEPTH)
            .min(MAX_CHAIN_DEPTH);
        if depth > max {
            return Err(IdentityError::ChainTooDeep { depth, max });
        }
        let scopes = self.scopes.unwrap_or_else(|| p.task.scopes.clone());
        if let Some(wide) = scopes.first_not_within(&p.task.scopes) {
            return Err(IdentityError::ScopeEscalation(format!(
                "scope `{wide}` is not within the parent's scopes"
            )));
        }
        let audience = match (&p.audience, self.audience) {
            (Some(pa), Some(ca)) if *pa != ca => {
                return Err(IdentityError::ScopeEscalation(format!(
                    "audience `{ca}` differs from the parent's `{pa}`"
                )))
            }
            (Some(pa), _) => Some(pa.clone()),
            (None, ca) => ca,
        };
        let expires_at = match self.ttl {
            Some(ttl) => add_ttl(now, ttl)?,
            None => p.expires_at,
        };
        if expires_at > p.expires_at {
            return Err(IdentityError::ScopeEscalation(format!(
                "expiry `{expires_at}` is later than the parent's `{}`",
                p.expires_at
            )));
        }
        let subject = self.subject.ok_or_else(|| {
            IdentityError::InvalidArgument("the agent id (sub) is required".into())
        })?;
        check_text("subject", &subject, MAX_ID_LEN, false)?;
        let claims = Claims {
            issuer: p.subject.clone(),
            subject,
            audience,
            issued_at: now,
            not_before: now,
            expires_at,
            cti: cti.to_vec(),
            confirmation: self.agent_key.ok_or_else(|| {
                IdentityError::InvalidArgument("the agent key (cnf) is required".into())
            })?,
            task: Task {
                id: self.task_id.unwrap_or_else(|| p.task.id.clone()),
                goal: self.goal.unwrap_or_else(|| p.task.goal.clone()),
                scopes,
            },
            model: self.model.unwrap_or_else(|| p.model.clone()),
            origin: Origin {
                kind: OriginKind::Agent,
                id: p.subject.clone(),
            },
            delegation: Some(Delegation {
                depth,
                parent: parent.as_bytes().to_vec(),
            }),
        };
        let child = Token::sign(&claims, parent_key)?;
        if child.as_bytes().len() > MAX_TOKEN_BYTES {
            return Err(IdentityError::ChainTooDeep { depth, max });
        }
        Ok(child)
    }
}

fn add_ttl(now: u64, ttl: Duration) -> Result<u64, IdentityError> {
    if ttl.as_secs() == 0 {
        return Err(IdentityError::InvalidArgument(
            "ttl must be at least one second".into(),
        ));
    }
    now.checked_add(ttl.as_secs())
        .filter(|t| i64::try_from(*t).is_ok())
        .ok_or_else(|| IdentityError::InvalidArgument(format!("ttl `{ttl:?}` out of range")))
}

/// A fresh random `cti` of [`CTI_LEN`] bytes.
pub fn random_cti() -> [u8; CTI_LEN] {
    let mut cti = [0u8; CTI_LEN];
    OsRng.fill_bytes(&mut cti);
    cti
}

/// Issue a root token (shorthand for [`TokenBuilder::issue`]).
pub fn issue(builder: TokenBuilder, issuer_key: &KeyPair) -> Result<Token, IdentityError> {
    builder.issue(issuer_key)
}

/// Mint a delegated token (shorthand for [`TokenBuilder::delegate`]).
pub fn delegate(
    builder: TokenBuilder,
    parent: &Token,
    parent_key: &KeyPair,
) -> Result<Token, IdentityError> {
    builder.delegate(parent, parent_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::{CborSerializable, CoseSign1};

    #[test]
    fn coset_reads_what_the_strict_reader_reads() {
        let issuer = KeyPair::from_seed("issuer-2026", &[1; 32]).unwrap();
        let agent = KeyPair::from_seed("agent", &[2; 32]).unwrap();
        let token = TokenBuilder::new()
            .subject("agent")
            .task("t", "g")
            .model("m", "1")
            .origin(Origin::parse("human:a").unwrap())
            .ttl(Duration::from_secs(60))
            .agent_key(agent.public())
            .issue_at(&issuer, 1_000, &[3; 16])
            .unwrap();
        let sign1 = CoseSign1::from_tagged_slice(token.as_bytes()).unwrap();
        assert_eq!(sign1.protected.header.key_id, b"issuer-2026");
        assert_eq!(
            sign1.protected.header.alg,
            Some(coset::Algorithm::Assigned(iana::Algorithm::EdDSA))
        );
        assert!(sign1.unprotected.is_empty());
        assert_eq!(sign1.signature, token.signature());
        assert_eq!(sign1.tbs_data(b""), token.signed_data());
        assert_eq!(sign1.payload.unwrap(), token.claims().to_cbor().unwrap());
        // and refuses what coset would accept: a non-minimal length head
        let mut long = vec![0xd2, 0x98, 0x04];
        long.extend_from_slice(&token.as_bytes()[2..]);
        assert!(CoseSign1::from_tagged_slice(&long).is_ok());
        assert!(Token::decode(&long).is_err());
    }

    #[test]
    fn sig_structure_matches_coset() {
        for payload_len in [0usize, 23, 24, 255, 256, 70_000] {
            let sign1 = CoseSign1Builder::new()
                .protected(protected_header("issuer-2026"))
                .payload(vec![7u8; payload_len])
                .build();
            let protected = sign1.protected.clone().header.to_vec().unwrap();
            assert_eq!(
                sig_structure(&protected, sign1.payload.as_deref().unwrap()),
                sign1.tbs_data(b""),
                "{payload_len}"
            );
            let mut framed = Vec::new();
            push_bstr(&mut framed, &vec![1u8; payload_len]);
            let mut reference = Vec::new();
            coset::cbor::ser::into_writer(
                &coset::cbor::value::Value::Bytes(vec![1u8; payload_len]),
                &mut reference,
            )
            .unwrap();
            assert_eq!(framed, reference);
        }
    }
}
