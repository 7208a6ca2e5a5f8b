//! The AIT claims set: a CWT claims set (RFC 8392) with `cnf` (RFC 8747) and
//! NemoClaw's private claims, encoded as deterministic CBOR (RFC 8949
//! §4.2.1). See `docs/tokens.md` for the byte-level layout.

use coset::cbor::value::Value;
use coset::cwt::{ClaimName, ClaimsSet, Timestamp};
use coset::iana::{self, EnumI64};
use coset::{AsCborValue, CborSerializable, CoseKey};

use super::scope::{Scope, ScopeSet, MAX_SCOPES};
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

pub(crate) fn check_text(
    what: &str,
    text: &str,
    max: usize,
    empty_ok: bool,
) -> Result<(), IdentityError> {
    if (!empty_ok && text.is_empty()) || text.len() > max {
        return Err(IdentityError::InvalidArgument(format!(
            "{what} `{}` must be {} to {max} bytes",
            text.chars().take(40).collect::<String>(),
            if empty_ok { 0 } else { 1 }
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
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

    /// Decode a payload, insisting on the deterministic encoding: the bytes
    /// must equal the re-encoding of what was decoded.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, IdentityError> {
        let set = ClaimsSet::from_slice(bytes)
            .map_err(|e| malformed(format!("payload is not a CWT claims set: {e}")))?;
        let claims = Self::from_claims_set(set)?;
        claims
            .validate()
            .map_err(|e| malformed(format!("claims out of bounds: {e}")))?;
        if claims.to_cbor()? != bytes {
            return Err(malformed(
                "payload is not in the deterministic encoding (order, lengths or extra items)",
            ));
        }
        Ok(claims)
    }

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

fn take(slots: &mut [Option<Value>], key: usize, what: &str) -> Result<Value, IdentityError> {
    slots
        .get_mut(key - 1)
        .and_then(Option::take)
        .ok_or_else(|| malformed(format!("missing {what}")))
}

fn take_text(slots: &mut [Option<Value>], key: usize, what: &str) -> Result<String, IdentityError> {
    match take(slots, key, what)? {
        Value::Text(t) => Ok(t),
        _ => Err(malformed(format!("{what} is not text"))),
    }
}

fn decode_cnf(value: Value) -> Result<PublicKey, IdentityError> {
    let mut m = small_map(value, "cnf", 1)?;
    let key = take(&mut m, 1, "cnf COSE_Key")?;
    let key = CoseKey::from_cbor_value(key)
        .map_err(|e| malformed(format!("cnf is not a COSE_Key: {e}")))?;
    PublicKey::from_cose_key(key).map_err(|e| malformed(format!("cnf key: {e}")))
}

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
