//! The AIT claims set: a CWT claims set (RFC 8392) with `cnf` (RFC 8747) and
//! NemoClaw's private claims, encoded as deterministic CBOR (RFC 8949
//! §4.2.1). See `docs/tokens.md` for the byte-level layout.

use coset::cbor::value::Value;
use coset::cwt::{ClaimName, ClaimsSet, Timestamp};
use coset::iana;
#[cfg(test)]
use coset::iana::EnumI64;
#[cfg(test)]
use coset::CoseKey;
use coset::{AsCborValue, CborSerializable};

use super::cbor::Reader;
use super::scope::{Scope, ScopeSet, MAX_SCOPES, MAX_SCOPE_LEN};
use super::{IdentityError, PublicKey};

/// Claim label of `cnf` (RFC 8747).
pub const CLAIM_CNF: i64 = 8;
/// `cnf` member holding a COSE_Key (RFC 8747 §3.2).
pub const CNF_COSE_KEY: i64 = 1;
/// Private claim: the task `{1: id, 2: goal, 3: [scopes]}`.
pub const CLAIM_TASK: i64 = -65537;
/// Private claim: the model `{1: name, 2: version or digest}`.
pub const CLAIM_MODEL: i64 = -65538;
/// Private claim: the origin `{1: kind, 2: id}`.
pub const CLAIM_ORIGIN: i64 = -65539;
/// Private claim: the delegation `{1: depth, 2: parent token bytes}` (absent on roots).
pub const CLAIM_DELEGATION: i64 = -65540;

/// Longest identifier-like claim (iss, sub, aud, task id, model, origin id), in bytes.
pub const MAX_ID_LEN: usize = 256;
/// Longest goal text, in bytes.
pub const MAX_GOAL_LEN: usize = 2048;
/// Shortest and longest accepted `cti`, in bytes (issued tokens use 16).
pub const CTI_LEN_RANGE: (usize, usize) = (8, 64);
/// Largest embedded parent token (the whole token's limit).
const MAX_PARENT_BYTES: usize = super::token::MAX_TOKEN_BYTES;

fn time(r: &mut Reader<'_>, what: &str) -> Result<u64, IdentityError> {
    let t = r.uint(what)?;
    if i64::try_from(t).is_err() {
        return Err(malformed(format!("claim `{what}` out of range")));
    }
    Ok(t)
}

fn read_cnf(r: &mut Reader<'_>) -> Result<PublicKey, IdentityError> {
    r.numbered_map(1, "cnf")?;
    r.key(CNF_COSE_KEY, "cnf")?;
    if r.map("cnf COSE_Key")? != 5 {
        return Err(malformed(
            "cnf COSE_Key must have exactly kty, kid, alg, crv and x",
        ));
    }
    r.key(1, "cnf COSE_Key")?;
    if r.int("kty")? != 1 {
        return Err(malformed("cnf key type is not OKP (1)"));
    }
    r.key(2, "cnf COSE_Key")?;
    let kid = std::str::from_utf8(r.bytes(super::keys::MAX_KID_LEN, "cnf kid")?)
        .map_err(|_| malformed("cnf kid is not UTF-8"))?;
    r.key(3, "cnf COSE_Key")?;
    if r.int("alg")? != -8 {
        return Err(malformed("cnf algorithm is not EdDSA (-8)"));
    }
    r.key(-1, "cnf COSE_Key")?;
    if r.int("crv")? != 6 {
        return Err(malformed("cnf curve is not Ed25519 (6)"));
    }
    r.key(-2, "cnf COSE_Key")?;
    let x: [u8; 32] = r
        .bytes(32, "cnf x")?
        .try_into()
        .map_err(|_| malformed("cnf x is not 32 bytes"))?;
    PublicKey::from_bytes_lazy(kid, &x).map_err(|e| malformed(format!("cnf key: {e}")))
}

fn read_task(r: &mut Reader<'_>) -> Result<Task, IdentityError> {
    r.numbered_map(3, "task")?;
    r.key(1, "task")?;
    let id = r.text(MAX_ID_LEN, "task id")?.to_owned();
    r.key(2, "task")?;
    let goal = r.text(MAX_GOAL_LEN, "task goal")?.to_owned();
    r.key(3, "task")?;
    let n = r.array("task scopes")?;
    if n > MAX_SCOPES as u64 {
        return Err(malformed(format!("{n} scopes; at most {MAX_SCOPES}")));
    }
    let mut scopes = ScopeSet::new();
    let mut previous: Option<&str> = None;
    for _ in 0..n {
        let text = r.text(MAX_SCOPE_LEN, "scope")?;
        if previous.is_some_and(|p| p.as_bytes() >= text.as_bytes()) {
            return Err(malformed("scopes are not sorted and unique"));
        }
        previous = Some(text);
        let scope = Scope::parse(text).map_err(|e| malformed(e.to_string()))?;
        if scope.as_str() != text {
            return Err(malformed(format!(
                "scope `{}` is not in canonical form",
                text.chars().take(80).collect::<String>()
            )));
        }
        scopes.insert(scope)?;
    }
    Ok(Task { id, goal, scopes })
}

/// Who or what started the chain of agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OriginKind {
    /// A person.
    Human,
    /// Another agent (always the case for delegated tokens).
    Agent,
    /// A service or scheduled job.
    Service,
}

impl OriginKind {
    /// The wire and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginKind::Human => "human",
            OriginKind::Agent => "agent",
            OriginKind::Service => "service",
        }
    }

    /// Parse a wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "human" => Some(OriginKind::Human),
            "agent" => Some(OriginKind::Agent),
            "service" => Some(OriginKind::Service),
            _ => None,
        }
    }
}

/// The origin of the agent: who spawned it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// Kind of originator.
    pub kind: OriginKind,
    /// Its identifier (user name, agent id, service name).
    pub id: String,
}

impl Origin {
    /// Parse `KIND:ID` (`human:alice`, `service:ci`, `agent:planner`).
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let (kind, id) = text.split_once(':').ok_or_else(|| {
            IdentityError::InvalidArgument(format!("origin `{text}` is not `KIND:ID`"))
        })?;
        let kind = OriginKind::from_name(kind).ok_or_else(|| {
            IdentityError::InvalidArgument(format!(
                "origin kind `{kind}` is not `human`, `agent` or `service`"
            ))
        })?;
        check_text("origin id", id, MAX_ID_LEN, false)?;
        Ok(Self {
            kind,
            id: id.to_owned(),
        })
    }
}

/// The model the agent runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Model {
    /// Model name.
    pub name: String,
    /// Version or content digest (e.g. `sha256:…`).
    pub version: String,
}

impl Model {
    /// Parse `NAME@VERSION` (split at the last `@`).
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let (name, version) = text.rsplit_once('@').ok_or_else(|| {
            IdentityError::InvalidArgument(format!("model `{text}` is not `NAME@VERSION`"))
        })?;
        check_text("model name", name, MAX_ID_LEN, false)?;
        check_text("model version", version, MAX_ID_LEN, false)?;
        Ok(Self {
            name: name.to_owned(),
            version: version.to_owned(),
        })
    }
}

/// The task the agent was created for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Task {
    /// Task identifier.
    pub id: String,
    /// The goal, in words.
    pub goal: String,
    /// What the agent may touch.
    pub scopes: ScopeSet,
}

/// The delegation claim of a non-root token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// Depth of this token (1 for a child of a root).
    pub depth: u32,
    /// The complete parent token (tagged COSE_Sign1 bytes).
    pub parent: Vec<u8>,
}

/// The claims of one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `iss` (1): issuer name; for delegated tokens the parent's `sub`.
    pub issuer: String,
    /// `sub` (2): the agent id.
    pub subject: String,
    /// `aud` (3): intended audience, if any.
    pub audience: Option<String>,
    /// `iat` (6): issue time, Unix seconds.
    pub issued_at: u64,
    /// `nbf` (5): not valid before, Unix seconds.
    pub not_before: u64,
    /// `exp` (4): expiry, Unix seconds (invalid from this second on).
    pub expires_at: u64,
    /// `cti` (7): unique token id.
    pub cti: Vec<u8>,
    /// `cnf` (8): the agent's own public key.
    pub confirmation: PublicKey,
    /// Private claim: the task.
    pub task: Task,
    /// Private claim: the model.
    pub model: Model,
    /// Private claim: the origin.
    pub origin: Origin,
    /// Private claim: the delegation (`None` on a root token).
    pub delegation: Option<Delegation>,
}

/// Check a claim's text: 1..=max bytes without control characters, or for
/// free text (the goal) 0..=max bytes where newline and tab are allowed.
pub(crate) fn check_text(
    what: &str,
    text: &str,
    max: usize,
    free_text: bool,
) -> Result<(), IdentityError> {
    if (!free_text && text.is_empty()) || text.len() > max {
        return Err(IdentityError::InvalidArgument(format!(
            "{what} `{}` must be {} to {max} bytes",
            text.chars().take(40).collect::<String>(),
            if free_text { 0 } else { 1 }
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(free_text && (c == '\n' || c == '\t')))
    {
        return Err(IdentityError::InvalidArgument(format!(
            "{what} `{}` holds control characters",
            text.chars().take(40).collect::<String>().escape_debug()
        )));
    }
    Ok(())
}

fn malformed(msg: impl Into<String>) -> IdentityError {
    IdentityError::Malformed(msg.into())
}

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

impl Claims {
    /// Check every limit and format rule (used before encoding and after decoding).
    pub fn validate(&self) -> Result<(), IdentityError> {
        check_text("issuer", &self.issuer, MAX_ID_LEN, false)?;
        check_text("subject", &self.subject, MAX_ID_LEN, false)?;
        if let Some(aud) = &self.audience {
            check_text("audience", aud, MAX_ID_LEN, false)?;
        }
        check_text("task id", &self.task.id, MAX_ID_LEN, false)?;
        check_text("goal", &self.task.goal, MAX_GOAL_LEN, true)?;
        check_text("model name", &self.model.name, MAX_ID_LEN, false)?;
        check_text("model version", &self.model.version, MAX_ID_LEN, false)?;
        check_text("origin id", &self.origin.id, MAX_ID_LEN, false)?;
        if !(CTI_LEN_RANGE.0..=CTI_LEN_RANGE.1).contains(&self.cti.len()) {
            return Err(IdentityError::InvalidArgument(format!(
                "cti of {} bytes; {} to {} expected",
                self.cti.len(),
                CTI_LEN_RANGE.0,
                CTI_LEN_RANGE.1
            )));
        }
        if self.not_before >= self.expires_at {
            return Err(IdentityError::InvalidArgument(format!(
                "nbf `{}` is not before exp `{}`",
                self.not_before, self.expires_at
            )));
        }
        if self.issued_at > self.expires_at {
            return Err(IdentityError::InvalidArgument(format!(
                "iat `{}` is after exp `{}`",
                self.issued_at, self.expires_at
            )));
        }
        if let Some(d) = &self.delegation {
            if d.depth == 0 {
                return Err(IdentityError::InvalidArgument(
                    "a delegation claim needs depth 1 or more".into(),
                ));
            }
        }
        Ok(())
    }

    /// The deterministic CBOR encoding (the COSE_Sign1 payload).
    pub fn to_cbor(&self) -> Result<Vec<u8>, IdentityError> {
        self.validate()?;
        let mut rest: Vec<(ClaimName, Value)> = Vec::with_capacity(5);
        let key = self
            .confirmation
            .to_cose_key()
            .to_cbor_value()
            .map_err(|e| {
                IdentityError::KeyInvalid(format!("cannot encode the confirmation key: {e}"))
            })?;
        rest.push((
            ClaimName::Assigned(iana::CwtClaimName::Cnf),
            Value::Map(vec![(int(CNF_COSE_KEY), key)]),
        ));
        rest.push((
            ClaimName::PrivateUse(CLAIM_TASK),
            Value::Map(vec![
                (int(1), Value::Text(self.task.id.clone())),
                (int(2), Value::Text(self.task.goal.clone())),
                (
                    int(3),
                    Value::Array(
                        self.task
                            .scopes
                            .iter()
                            .map(|s| Value::Text(s.as_str().to_owned()))
                            .collect(),
                    ),
                ),
            ]),
        ));
        rest.push((
            ClaimName::PrivateUse(CLAIM_MODEL),
            Value::Map(vec![
                (int(1), Value::Text(self.model.name.clone())),
                (int(2), Value::Text(self.model.version.clone())),
            ]),
        ));
        rest.push((
            ClaimName::PrivateUse(CLAIM_ORIGIN),
            Value::Map(vec![
                (int(1), Value::Text(self.origin.kind.as_str().to_owned())),
                (int(2), Value::Text(self.origin.id.clone())),
            ]),
        ));
        if let Some(d) = &self.delegation {
            rest.push((
                ClaimName::PrivateUse(CLAIM_DELEGATION),
                Value::Map(vec![
                    (int(1), Value::Integer(d.depth.into())),
                    (int(2), Value::Bytes(d.parent.clone())),
                ]),
            ));
        }
        let set = ClaimsSet {
            issuer: Some(self.issuer.clone()),
            subject: Some(self.subject.clone()),
            audience: self.audience.clone(),
            expiration_time: Some(timestamp(self.expires_at)?),
            not_before: Some(timestamp(self.not_before)?),
            issued_at: Some(timestamp(self.issued_at)?),
            cwt_id: Some(self.cti.clone()),
            rest,
        };
        set.to_vec()
            .map_err(|e| IdentityError::Malformed(format!("cannot encode claims: {e}")))
    }

    /// Decode a payload, insisting on the deterministic encoding: shortest
    /// forms, definite lengths, claims and members in the documented order,
    /// nothing unknown, nothing trailing, canonical sorted scopes. (Strict
    /// reader on the hot path; see `cbor.rs`.)
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, IdentityError> {
        const ORDER: [i64; 12] = [
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            CLAIM_CNF,
            CLAIM_TASK,
            CLAIM_MODEL,
            CLAIM_ORIGIN,
            CLAIM_DELEGATION,
        ];
        let mut r = Reader::new(bytes);
        let n = r.map("claims")?;
        if n > ORDER.len() as u64 {
            return Err(malformed("too many claims"));
        }
        let mut last: Option<usize> = None;
        let (mut iss, mut sub, mut aud) = (None, None, None);
        let (mut exp, mut nbf, mut iat, mut cti) = (None, None, None, None);
        let (mut cnf, mut task, mut model, mut origin, mut delegation) =
            (None, None, None, None, None);
        for _ in 0..n {
            let key = r.int("claim label")?;
            let idx = ORDER
                .iter()
                .position(|&k| k == key)
                .ok_or_else(|| malformed(format!("unknown claim `{key}`")))?;
            if last.is_some_and(|l| idx <= l) {
                return Err(malformed(format!(
                    "claim `{key}` duplicated or out of deterministic order"
                )));
            }
            last = Some(idx);
            match key {
                1 => iss = Some(r.text(MAX_ID_LEN, "iss")?.to_owned()),
                2 => sub = Some(r.text(MAX_ID_LEN, "sub")?.to_owned()),
                3 => aud = Some(r.text(MAX_ID_LEN, "aud")?.to_owned()),
                4 => exp = Some(time(&mut r, "exp")?),
                5 => nbf = Some(time(&mut r, "nbf")?),
                6 => iat = Some(time(&mut r, "iat")?),
                7 => cti = Some(r.bytes(CTI_LEN_RANGE.1, "cti")?.to_vec()),
                CLAIM_CNF => cnf = Some(read_cnf(&mut r)?),
                CLAIM_TASK => task = Some(read_task(&mut r)?),
                CLAIM_MODEL => {
                    r.numbered_map(2, "model")?;
                    r.key(1, "model")?;
                    let name = r.text(MAX_ID_LEN, "model name")?.to_owned();
                    r.key(2, "model")?;
                    let version = r.text(MAX_ID_LEN, "model version")?.to_owned();
                    model = Some(Model { name, version });
                }
                CLAIM_ORIGIN => {
                    r.numbered_map(2, "origin")?;
                    r.key(1, "origin")?;
                    let kind = r.text(MAX_ID_LEN, "origin kind")?;
                    let kind = OriginKind::from_name(kind)
                        .ok_or_else(|| malformed(format!("unknown origin kind `{kind}`")))?;
                    r.key(2, "origin")?;
                    let id = r.text(MAX_ID_LEN, "origin id")?.to_owned();
                    origin = Some(Origin { kind, id });
                }
                _ => {
                    r.numbered_map(2, "delegation")?;
                    r.key(1, "delegation")?;
                    let depth = u32::try_from(r.uint("delegation depth")?)
                        .map_err(|_| malformed("delegation depth out of range"))?;
                    r.key(2, "delegation")?;
                    let parent = r.bytes(MAX_PARENT_BYTES, "delegation parent")?.to_vec();
                    delegation = Some(Delegation { depth, parent });
                }
            }
        }
        r.finish("claims")?;
        let need = |what: &str| malformed(format!("missing claim `{what}`"));
        let claims = Self {
            issuer: iss.ok_or_else(|| need("iss"))?,
            subject: sub.ok_or_else(|| need("sub"))?,
            audience: aud,
            issued_at: iat.ok_or_else(|| need("iat"))?,
            not_before: nbf.ok_or_else(|| need("nbf"))?,
            expires_at: exp.ok_or_else(|| need("exp"))?,
            cti: cti.ok_or_else(|| need("cti"))?,
            confirmation: cnf.ok_or_else(|| need("cnf"))?,
            task: task.ok_or_else(|| need("task"))?,
            model: model.ok_or_else(|| need("model"))?,
            origin: origin.ok_or_else(|| need("origin"))?,
            delegation,
        };
        claims
            .validate()
            .map_err(|e| malformed(format!("claims out of bounds: {e}")))?;
        Ok(claims)
    }

    /// Reference decoder through coset's `ClaimsSet` plus a re-encoding
    /// check; the tests hold the strict reader to it.
    #[cfg(test)]
    pub(crate) fn from_cbor_reference(bytes: &[u8]) -> Result<Self, IdentityError> {
        let set = ClaimsSet::from_slice(bytes)
            .map_err(|e| malformed(format!("payload is not a CWT claims set: {e}")))?;
        let claims = Self::from_claims_set(set)?;
        claims
            .validate()
            .map_err(|e| malformed(format!("claims out of bounds: {e}")))?;
        if claims.to_cbor()? != bytes {
            return Err(malformed("payload is not in the deterministic encoding"));
        }
        Ok(claims)
    }

    #[cfg(test)]
    fn from_claims_set(set: ClaimsSet) -> Result<Self, IdentityError> {
        let need = |v: Option<String>, what: &str| {
            v.ok_or_else(|| malformed(format!("missing claim `{what}`")))
        };
        let issuer = need(set.issuer, "iss")?;
        let subject = need(set.subject, "sub")?;
        let expires_at = seconds(set.expiration_time, "exp")?;
        let not_before = seconds(set.not_before, "nbf")?;
        let issued_at = seconds(set.issued_at, "iat")?;
        let cti = set.cwt_id.ok_or_else(|| malformed("missing claim `cti`"))?;
        let mut cnf = None;
        let mut task = None;
        let mut model = None;
        let mut origin = None;
        let mut delegation = None;
        for (name, value) in set.rest {
            let label = match name {
                ClaimName::PrivateUse(l) => l,
                ClaimName::Assigned(a) => a.to_i64(),
                ClaimName::Text(t) => {
                    return Err(malformed(format!(
                        "unknown claim `{}`",
                        t.chars().take(40).collect::<String>()
                    )))
                }
            };
            match label {
                CLAIM_CNF => cnf = Some(decode_cnf(value)?),
                CLAIM_TASK => task = Some(decode_task(value)?),
                CLAIM_MODEL => {
                    let mut m = small_map(value, "model", 2)?;
                    model = Some(Model {
                        name: take_text(&mut m, 1, "model name")?,
                        version: take_text(&mut m, 2, "model version")?,
                    });
                }
                CLAIM_ORIGIN => {
                    let mut m = small_map(value, "origin", 2)?;
                    let kind = take_text(&mut m, 1, "origin kind")?;
                    origin = Some(Origin {
                        kind: OriginKind::from_name(&kind)
                            .ok_or_else(|| malformed(format!("unknown origin kind `{kind}`")))?,
                        id: take_text(&mut m, 2, "origin id")?,
                    });
                }
                CLAIM_DELEGATION => {
                    let mut m = small_map(value, "delegation", 2)?;
                    let depth = match take(&mut m, 1, "delegation depth")? {
                        Value::Integer(i) => u32::try_from(i)
                            .map_err(|_| malformed("delegation depth out of range"))?,
                        _ => return Err(malformed("delegation depth is not an integer")),
                    };
                    let parent = match take(&mut m, 2, "delegation parent")? {
                        Value::Bytes(b) => b,
                        _ => return Err(malformed("delegation parent is not a byte string")),
                    };
                    delegation = Some(Delegation { depth, parent });
                }
                other => return Err(malformed(format!("unknown claim `{other}`"))),
            }
        }
        Ok(Self {
            issuer,
            subject,
            audience: set.audience,
            issued_at,
            not_before,
            expires_at,
            cti,
            confirmation: cnf.ok_or_else(|| malformed("missing claim `cnf`"))?,
            task: task.ok_or_else(|| malformed("missing task claim"))?,
            model: model.ok_or_else(|| malformed("missing model claim"))?,
            origin: origin.ok_or_else(|| malformed("missing origin claim"))?,
            delegation,
        })
    }

    /// The depth of this token in its chain (0 for a root).
    pub fn depth(&self) -> u32 {
        self.delegation.as_ref().map_or(0, |d| d.depth)
    }
}

fn timestamp(t: u64) -> Result<Timestamp, IdentityError> {
    i64::try_from(t)
        .map(Timestamp::WholeSeconds)
        .map_err(|_| IdentityError::InvalidArgument(format!("time `{t}` out of range")))
}

#[cfg(test)]
fn seconds(t: Option<Timestamp>, what: &str) -> Result<u64, IdentityError> {
    match t {
        Some(Timestamp::WholeSeconds(s)) => {
            u64::try_from(s).map_err(|_| malformed(format!("claim `{what}` is negative")))
        }
        Some(Timestamp::FractionalSeconds(_)) => {
            Err(malformed(format!("claim `{what}` must be whole seconds")))
        }
        None => Err(malformed(format!("missing claim `{what}`"))),
    }
}

/// A map with integer keys 1..=n, each at most once; returned as slots.
#[cfg(test)]
fn small_map(value: Value, what: &str, n: usize) -> Result<Vec<Option<Value>>, IdentityError> {
    let Value::Map(entries) = value else {
        return Err(malformed(format!("{what} claim is not a map")));
    };
    let mut slots: Vec<Option<Value>> = vec![None; n];
    for (k, v) in entries {
        let idx = match k {
            Value::Integer(i) => usize::try_from(i128::from(i)).ok(),
            _ => None,
        }
        .filter(|i| (1..=n).contains(i))
        .ok_or_else(|| malformed(format!("unknown member in {what} claim")))?;
        let slot = &mut slots[idx - 1];
        if slot.is_some() {
            return Err(malformed(format!("duplicate member in {what} claim")));
        }
        *slot = Some(v);
    }
    Ok(slots)
}

#[cfg(test)]
fn take(slots: &mut [Option<Value>], key: usize, what: &str) -> Result<Value, IdentityError> {
    slots
        .get_mut(key - 1)
        .and_then(Option::take)
        .ok_or_else(|| malformed(format!("missing {what}")))
}

#[cfg(test)]
fn take_text(slots: &mut [Option<Value>], key: usize, what: &str) -> Result<String, IdentityError> {
    match take(slots, key, what)? {
        Value::Text(t) => Ok(t),
        _ => Err(malformed(format!("{what} is not text"))),
    }
}

#[cfg(test)]
fn decode_cnf(value: Value) -> Result<PublicKey, IdentityError> {
    let mut m = small_map(value, "cnf", 1)?;
    let key = take(&mut m, 1, "cnf COSE_Key")?;
    let key = CoseKey::from_cbor_value(key)
        .map_err(|e| malformed(format!("cnf is not a COSE_Key: {e}")))?;
    PublicKey::from_cose_key(key).map_err(|e| malformed(format!("cnf key: {e}")))
}

#[cfg(test)]
fn decode_task(value: Value) -> Result<Task, IdentityError> {
    let mut m = small_map(value, "task", 3)?;
    let id = take_text(&mut m, 1, "task id")?;
    let goal = take_text(&mut m, 2, "task goal")?;
    let Value::Array(items) = take(&mut m, 3, "task scopes")? else {
        return Err(malformed("task scopes are not an array"));
    };
    if items.len() > MAX_SCOPES {
        return Err(malformed(format!(
            "{} scopes; at most {MAX_SCOPES}",
            items.len()
        )));
    }
    let mut scopes = ScopeSet::new();
    for item in items {
        let Value::Text(text) = item else {
            return Err(malformed("a scope is not text"));
        };
        let scope = Scope::parse(&text).map_err(|e| malformed(e.to_string()))?;
        if scope.as_str() != text {
            return Err(malformed(format!(
                "scope `{}` is not in canonical form",
                text.chars().take(80).collect::<String>()
            )));
        }
        scopes.insert(scope)?;
    }
    Ok(Task { id, goal, scopes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::KeyPair;
    use proptest::prelude::*;

    /// The strict reader plus the point check the reference does eagerly.
    fn fast(bytes: &[u8]) -> Result<Claims, IdentityError> {
        let c = Claims::from_cbor(bytes)?;
        if c.confirmation.is_valid_point() {
            Ok(c)
        } else {
            Err(malformed("invalid point"))
        }
    }

    fn sample(aud: bool, delegated: bool) -> Claims {
        Claims {
            issuer: "issuer".into(),
            subject: "agent-7".into(),
            audience: aud.then(|| "guard".to_owned()),
            issued_at: 1_767_225_600,
            not_before: 1_767_225_600,
            expires_at: 1_767_229_200,
            cti: vec![0xab; 16],
            confirmation: KeyPair::from_seed("agent-7", &[9; 32]).unwrap().public(),
            task: Task {
                id: "T-1".into(),
                goal: "fix the build".into(),
                scopes: ScopeSet::parse(["fs:rw:/work", "net:*.github.com:443", "exec"]).unwrap(),
            },
            model: Model {
                name: "llama".into(),
                version: "3.1".into(),
            },
            origin: Origin {
                kind: OriginKind::Human,
                id: "alice".into(),
            },
            delegation: delegated.then(|| Delegation {
                depth: 1,
                parent: vec![0xd2; 40],
            }),
        }
    }

    #[test]
    fn strict_reader_agrees_with_coset_on_every_single_byte_change() {
        for (aud, delegated) in [(false, false), (true, false), (true, true)] {
            let claims = sample(aud, delegated);
            let bytes = claims.to_cbor().unwrap();
            assert_eq!(Claims::from_cbor(&bytes).unwrap(), claims);
            assert_eq!(Claims::from_cbor_reference(&bytes).unwrap(), claims);
            for i in 0..bytes.len() {
                for v in [
                    0x00u8, 0x01, 0x17, 0x18, 0x1f, 0x20, 0x40, 0x5f, 0x60, 0xa0, 0xff,
                ] {
                    let mut m = bytes.clone();
                    m[i] = v;
                    let fast = fast(&m);
                    let reference = Claims::from_cbor_reference(&m);
                    assert_eq!(fast.is_ok(), reference.is_ok(), "byte {i} = {v:#x}");
                    if let (Ok(a), Ok(b)) = (fast, reference) {
                        assert_eq!(a, b);
                        assert_eq!(a.to_cbor().unwrap(), m, "decoded input is canonical");
                    }
                }
            }
            for len in 0..bytes.len() {
                assert!(Claims::from_cbor(&bytes[..len]).is_err());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn strict_reader_never_accepts_non_canonical(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(c) = Claims::from_cbor(&bytes) {
                prop_assert_eq!(c.to_cbor().unwrap(), bytes);
            }
        }

        #[test]
        fn splice_mutations_agree(pos in 0usize..200, insert in prop::collection::vec(any::<u8>(), 0..4), remove in 0usize..4) {
            let bytes = sample(true, true).to_cbor().unwrap();
            let pos = pos.min(bytes.len());
            let end = (pos + remove).min(bytes.len());
            let mut m = bytes[..pos].to_vec();
            m.extend_from_slice(&insert);
            m.extend_from_slice(&bytes[end..]);
            let fast = fast(&m);
            let reference = Claims::from_cbor_reference(&m);
            prop_assert_eq!(fast.is_ok(), reference.is_ok());
            if let Ok(c) = fast {
                prop_assert_eq!(c.to_cbor().unwrap(), m);
            }
        }
    }
}
