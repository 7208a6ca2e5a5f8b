//! What a caller hands to an [`AuditSink`](super::AuditSink): one decision
//! about one request, before the log gives it a sequence number, a time and a
//! place in the chain.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::intent::Action;

/// A 32-byte hash, shown as lowercase hex in JSON.
pub type Hash32 = [u8; 32];

/// Who acted: the verified identity token behind the request.
///
/// Plain data so the audit trail does not depend on how tokens are verified:
/// the token's `cti`, a SHA-256 over its delegation chain, and the agent id
/// (`sub`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The token id (`cti` claim) bytes.
    #[serde(with = "hex_bytes")]
    pub token_cti: Vec<u8>,
    /// Hash of the token's delegation chain.
    #[serde(with = "hex32")]
    pub chain_hash: Hash32,
    /// The agent id (`sub` claim).
    pub agent_id: String,
}

/// The outcome a policy reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every action was allowed.
    Allow,
    /// At least one action was denied.
    Deny,
    /// A human or governance agent must decide.
    Escalate,
}

impl Decision {
    pub(crate) fn to_u8(self) -> u8 {
        match self {
            Decision::Allow => 0,
            Decision::Deny => 1,
            Decision::Escalate => 2,
        }
    }

    pub(crate) fn from_u64(v: u64) -> Option<Self> {
        match v {
            0 => Some(Decision::Allow),
            1 => Some(Decision::Deny),
            2 => Some(Decision::Escalate),
            _ => None,
        }
    }

    /// The lowercase name (`allow`, `deny`, `escalate`).
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::Escalate => "escalate",
        }
    }
}

/// The verdict as recorded: decision, the policies that produced it, and the
/// hash of the policy set that was in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictSummary {
    /// The decision.
    pub decision: Decision,
    /// Ids of the policies that produced it.
    pub policy_ids: Vec<String>,
    /// Human-readable reasons (no raw secrets).
    pub reasons: Vec<String>,
    /// SHA-256 of the policy set in force.
    #[serde(with = "hex32")]
    pub policy_set_hash: Hash32,
}

impl VerdictSummary {
    /// A verdict with no reasons.
    pub fn new(decision: Decision, policy_ids: Vec<String>, policy_set_hash: Hash32) -> Self {
        Self {
            decision,
            policy_ids,
            reasons: Vec::new(),
            policy_set_hash,
        }
    }

    /// Add reasons.
    pub fn with_reasons(mut self, reasons: Vec<String>) -> Self {
        self.reasons = reasons;
        self
    }
}

/// What a reviewer decided about an escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// The request may go ahead.
    Approve,
    /// The request is refused.
    Deny,
}

/// One reviewer's decision on an escalation ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDecision {
    /// The ticket id.
    pub ticket: String,
    /// Who decided (human user name or governance agent id).
    pub reviewer: String,
    /// The decision.
    pub outcome: ReviewOutcome,
    /// When, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// Optional comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// How a sandboxed run ended and what it used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxOutcome {
    /// Exit status when the process exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Signal number when it was killed by a signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// The timeout fired.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// Wall-clock time in milliseconds.
    pub wall_ms: u64,
    /// CPU time (user + system) in milliseconds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ms: Option<u64>,
    /// Peak resident memory in KiB, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rss_kib: Option<u64>,
    /// The sandbox refused to start, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// One audited event: a request, what it would do, what was decided, and
/// what happened. Build it with [`AuditEntry::builder`].
///
/// The summary must never hold raw secrets; the log passes it through its
/// redactor (see [`AuditLogOptions::summary_redactor`](super::AuditLogOptions::summary_redactor))
/// and stores `raw_request` only when the log was opened with
/// [`store_raw_requests`](super::AuditLogOptions::store_raw_requests).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditEntry {
    /// Who acted, when the request carried a verified identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// SHA-256 of the raw request bytes.
    #[serde(with = "hex32")]
    pub request_digest: Hash32,
    /// A short description without raw secrets.
    pub summary: String,
    /// The raw request, only when the user opted in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_request: Option<String>,
    /// The parsed actions.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// The verdict, when a policy was evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<VerdictSummary>,
    /// Reviewer decisions for an escalation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<ReviewDecision>,
    /// Outcome of a sandboxed run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxOutcome>,
    /// The agent's co-signature over the request digest (a COSE_Sign1 made
    /// by [`cosign_request`](super::cosign_request)): its proof of possession.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_hex")]
    pub agent_cosignature: Option<Vec<u8>>,
}

impl AuditEntry {
    /// Start building an entry.
    pub fn builder() -> AuditEntryBuilder {
        AuditEntryBuilder {
            entry: AuditEntry::default(),
        }
    }
}

/// Builder for [`AuditEntry`].
#[derive(Debug, Clone)]
pub struct AuditEntryBuilder {
    entry: AuditEntry,
}

impl AuditEntryBuilder {
    /// The raw request: its SHA-256 becomes the request digest. The bytes
    /// themselves are not kept (see [`raw_request`](Self::raw_request)).
    pub fn request(mut self, raw: &[u8]) -> Self {
        self.entry.request_digest = Sha256::digest(raw).into();
        self
    }

    /// The request digest, when the caller already has it.
    pub fn request_digest(mut self, digest: Hash32) -> Self {
        self.entry.request_digest = digest;
        self
    }

    /// Keep the raw request text; stored only when the log opts in.
    pub fn raw_request(mut self, raw: impl Into<String>) -> Self {
        self.entry.raw_request = Some(raw.into());
        self
    }

    /// Who acted.
    pub fn actor(mut self, actor: Actor) -> Self {
        self.entry.actor = Some(actor);
        self
    }

    /// A short description without raw secrets.
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.entry.summary = summary.into();
        self
    }

    /// The parsed actions.
    pub fn actions(mut self, actions: Vec<Action>) -> Self {
        self.entry.actions = actions;
        self
    }

    /// The verdict.
    pub fn verdict(mut self, verdict: VerdictSummary) -> Self {
        self.entry.verdict = Some(verdict);
        self
    }

    /// Add one reviewer decision.
    pub fn review(mut self, review: ReviewDecision) -> Self {
        self.entry.reviews.push(review);
        self
    }

    /// The sandbox outcome.
    pub fn sandbox(mut self, outcome: SandboxOutcome) -> Self {
        self.entry.sandbox = Some(outcome);
        self
    }

    /// The agent's co-signature (see [`cosign_request`](super::cosign_request)).
    pub fn agent_cosignature(mut self, cose_sign1: Vec<u8>) -> Self {
        self.entry.agent_cosignature = Some(cose_sign1);
        self
    }

    /// The finished entry.
    pub fn build(self) -> AuditEntry {
        self.entry
    }
}

pub(crate) mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not 32 bytes of hex")))
    }
}

pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(&text).map_err(serde::de::Error::custom)
    }
}

pub(crate) mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| hex::decode(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}
