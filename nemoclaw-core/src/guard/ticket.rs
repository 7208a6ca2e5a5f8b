//! Escalation tickets and their durable store (SQLite through rusqlite).
//!
//! A ticket is bound to the SHA-256 digest of the exact request bytes, the
//! agent's identity and the policy-set hash. Approving it authorizes that
//! request only: a replay with changed bytes, another identity or another
//! policy set is refused, and so is a second use of the same approval: an
//! approved ticket authorizes exactly one execution ([`TicketStore::consume`]).

use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::error::GuardError;
use crate::identity::{KeyPair, PublicKey};
use crate::policy::{AgentContext, Environment, Verdict};

/// The state of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// Waiting for reviewers.
    Pending,
    /// Approved by the quorum: the bound request may run.
    Approved,
    /// Denied by a reviewer.
    Denied,
    /// Nobody decided in time: treated as deny.
    Expired,
    /// Approved, and its one execution has been authorized
    /// ([`TicketStore::consume`]): it authorizes nothing more.
    Used,
}

impl TicketState {
    /// `pending`, `approved`, `denied` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Pending => "pending",
            TicketState::Approved => "approved",
            TicketState::Denied => "denied",
            TicketState::Expired => "expired",
            TicketState::Used => "used",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => TicketState::Pending,
            "approved" => TicketState::Approved,
            "denied" => TicketState::Denied,
            "expired" => TicketState::Expired,
            "used" => TicketState::Used,
            _ => return None,
        })
    }
}

/// What a reviewer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Let the request run.
    Approve,
    /// Refuse it.
    Deny,
    /// A governance agent defers to a human; counts neither way.
    EscalateToHuman,
}

impl ReviewDecision {
    /// `approve`, `deny` or `escalate_to_human`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Approve => "approve",
            ReviewDecision::Deny => "deny",
            ReviewDecision::EscalateToHuman => "escalate_to_human",
        }
    }
}

/// One reviewer's decision on a ticket, signed by the reviewer's key when
/// it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Reviewer id (a person's name or a governance agent's id).
    pub reviewer: String,
    /// The decision.
    pub decision: ReviewDecision,
    /// Free text.
    #[serde(default)]
    pub comment: String,
    /// Unix seconds.
    pub at: u64,
    /// Key id of the signing key, when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Hex Ed25519 signature over [`Review::signed_bytes`], when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Review {
    /// A review; sign it with [`Review::sign`].
    pub fn new(reviewer: &str, decision: ReviewDecision, comment: &str) -> Self {
        Self {
            reviewer: reviewer.to_owned(),
            decision,
            comment: comment.to_owned(),
            at: now(),
            kid: None,
            signature: None,
        }
    }

    /// The bytes a reviewer signs: a domain tag, then the ticket id, request
    /// digest, policy-set hash, decision, reviewer, time and comment, each
    /// length-prefixed (u32 big-endian).
    pub fn signed_bytes(&self, ticket: &Ticket) -> Vec<u8> {
        let mut out = b"nemoclaw-review-v1".to_vec();
        let at = self.at.to_string();
        for part in [
            ticket.id.as_str(),
            ticket.request_digest.as_str(),
            ticket.policy_set.as_str(),
            self.decision.as_str(),
            self.reviewer.as_str(),
            at.as_str(),
            self.comment.as_str(),
        ] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }

    /// Signs this review of `ticket` with `key`.
    pub fn sign(mut self, ticket: &Ticket, key: &KeyPair) -> Self {
        self.kid = Some(key.kid().to_owned());
        let sig = key.sign(&self.signed_bytes(ticket));
        self.signature = Some(hex::encode(sig));
        self
    }

    /// Does the signature verify under `key`? False when unsigned.
    pub fn verify(&self, ticket: &Ticket, key: &PublicKey) -> bool {
        match (&self.kid, &self.signature) {
            (Some(kid), Some(sig)) if kid == key.kid() => hex::decode(sig)
                .map(|s| key.verify(&self.signed_bytes(ticket), &s))
                .unwrap_or(false),
            _ => false,
        }
    }
}

/// An escalated request waiting for (or past) review: everything a reviewer
/// needs to decide (the request, the parsed actions with their reasons and
/// the agent's goal) and the bindings that make an approval single-purpose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Random 128-bit id, hex.
    pub id: String,
    /// Hex SHA-256 of the exact request bytes.
    pub request_digest: String,
    /// The request text (lossy UTF-8), for reviewers.
    pub request: String,
    /// Who asked.
    pub agent: AgentContext,
    /// Where the request was to run (workspace, cwd, home).
    pub environment: Environment,
    /// Hex hash of the policy set that escalated.
    pub policy_set: String,
    /// The verdict: per-action decisions, policy ids and reasons.
    pub verdict: Verdict,
    /// Approvals needed (n of m).
    pub quorum: u32,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds after which the ticket expires (deny).
    pub expires_at: u64,
    /// Current state.
    pub state: TicketState,
    /// Decisions so far.
    #[serde(default)]
    pub reviews: Vec<Review>,
    /// Reviewer keys trusted for this ticket: when not empty, only reviews
    /// signed by one of them are accepted, whoever records them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewer_keys: Vec<ReviewerKey>,
}

/// A reviewer's public key as stored in a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerKey {
    /// Key id.
    pub kid: String,
    /// Hex Ed25519 public key.
    pub public: String,
}

impl ReviewerKey {
    /// From a public key.
    pub fn from_public(key: &PublicKey) -> Self {
        Self {
            kid: key.kid().to_owned(),
            public: hex::encode(key.as_bytes()),
        }
    }

    fn to_public(&self) -> Option<PublicKey> {
        let bytes: [u8; 32] = hex::decode(&self.public).ok()?.try_into().ok()?;
        PublicKey::from_bytes(&self.kid, &bytes).ok()
    }
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Durable store of tickets. Safe to share between threads; several
/// processes may use the same file (SQLite locking, WAL journal).
#[derive(Debug)]
pub struct TicketStore {
    path: String,
    conn: Mutex<Connection>,
}

impl TicketStore {
    /// Opens (creating when needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, GuardError> {
        let display = path.display().to_string();
        let conn = Connection::open(path).map_err(|e| store_err(&display, e))?;
        Self::init(display, conn)
    }

    /// A store that lives in memory only (tests, one-shot tools).
    pub fn in_memory() -> Result<Self, GuardError> {
        let conn = Connection::open_in_memory().map_err(|e| store_err(":memory:", e))?;
        Self::init(":memory:".to_owned(), conn)
    }

    fn init(path: String, conn: Connection) -> Result<Self, GuardError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| store_err(&path, e))?;
        // WAL lets reviewers in other processes write while checks read.
        let _ = conn.pragma_update(None, "journal_mode", "WAL");
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS tickets (
                id TEXT PRIMARY KEY,
                state TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                body TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS reviews (
                ticket_id TEXT NOT NULL REFERENCES tickets(id),
                reviewer TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (ticket_id, reviewer)
            );
            CREATE INDEX IF NOT EXISTS tickets_state ON tickets(state, created_at);",
        )
        .map_err(|e| store_err(&path, e))?;
        Ok(Self {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// Where the store lives.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, GuardError> {
        self.conn.lock().map_err(|_| GuardError::Store {
            path: self.path.clone(),
            reason: "lock poisoned".to_owned(),
        })
    }

    /// Inserts a new ticket.
    pub fn insert(&self, ticket: &Ticket) -> Result<(), GuardError> {
        let body = serde_json::to_string(ticket).map_err(|e| store_err(&self.path, e))?;
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO tickets (id, state, created_at, expires_at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                ticket.id,
                ticket.state.as_str(),
                to_i64(ticket.created_at),
                to_i64(ticket.expires_at),
                body
            ],
        )
        .map_err(|e| store_err(&self.path, e))?;
        Ok(())
    }

    /// A ticket with its reviews. A pending ticket past its expiry is
    /// reported (and stored) as expired.
    pub fn get(&self, id: &str) -> Result<Ticket, GuardError> {
        let conn = self.lock()?;
        let mut ticket = load(&conn, &self.path, id)?;
        if ticket.state == TicketState::Pending && now() >= ticket.expires_at {
            set_state(&conn, &self.path, &ticket, TicketState::Expired)?;
            ticket.state = TicketState::Expired;
        }
        Ok(ticket)
    }

    /// Tickets, newest first, optionally only those in `state`.
    pub fn list(&self, state: Option<TicketState>) -> Result<Vec<Ticket>, GuardError> {
        let ids: Vec<String> = {
            let conn = self.lock()?;
            let mut stmt = conn
                .prepare("SELECT id FROM tickets ORDER BY created_at DESC, id")
                .map_err(|e| store_err(&self.path, e))?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(|e| store_err(&self.path, e))?;
            rows.collect::<Result<_, _>>()
                .map_err(|e| store_err(&self.path, e))?
        };
        let mut out = Vec::new();
        for id in ids {
            let t = self.get(&id)?;
            if state.is_none_or(|s| s == t.state) {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Records a review and returns the ticket's new state. Refused when
    /// the ticket is not pending or the reviewer already decided it.
    /// When the ticket lists reviewer keys, only reviews signed by one of
    /// them are accepted. Any deny denies; `quorum` approvals approve.
    pub fn add_review(&self, id: &str, review: &Review) -> Result<Ticket, GuardError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(|e| store_err(&self.path, e))?;
        let mut ticket = load(&tx, &self.path, id)?;
        if ticket.state == TicketState::Pending && now() >= ticket.expires_at {
            set_state(&tx, &self.path, &ticket, TicketState::Expired)?;
            tx.commit().map_err(|e| store_err(&self.path, e))?;
            return Err(GuardError::Closed {
                ticket: id.to_owned(),
                state: "expired".to_owned(),
            });
        }
        if ticket.state != TicketState::Pending {
            return Err(GuardError::Closed {
                ticket: id.to_owned(),
                state: ticket.state.as_str().to_owned(),
            });
        }
        if ticket.reviews.iter().any(|r| r.reviewer == review.reviewer) {
            return Err(GuardError::ReviewRefused {
                reviewer: review.reviewer.clone(),
                reason: "this reviewer already decided the ticket".to_owned(),
            });
        }
        let trusted: Vec<PublicKey> = ticket
            .reviewer_keys
            .iter()
            .filter_map(ReviewerKey::to_public)
            .collect();
        if !ticket.reviewer_keys.is_empty() && !trusted.iter().any(|k| review.verify(&ticket, k)) {
            return Err(GuardError::ReviewRefused {
                reviewer: review.reviewer.clone(),
                reason: "the review is not signed by a trusted reviewer key".to_owned(),
            });
        }
        let body = serde_json::to_string(review).map_err(|e| store_err(&self.path, e))?;
        tx.execute(
            "INSERT INTO reviews (ticket_id, reviewer, body) VALUES (?1, ?2, ?3)",
            params![id, review.reviewer, body],
        )
        .map_err(|e| store_err(&self.path, e))?;
        ticket.reviews.push(review.clone());
        let approvals = ticket
            .reviews
            .iter()
            .filter(|r| r.decision == ReviewDecision::Approve)
            .count();
        let new_state = if ticket
            .reviews
            .iter()
            .any(|r| r.decision == ReviewDecision::Deny)
        {
            TicketState::Denied
        } else if approvals >= ticket.quorum.max(1) as usize {
            TicketState::Approved
        } else {
            TicketState::Pending
        };
        if new_state != ticket.state {
            set_state(&tx, &self.path, &ticket, new_state)?;
            ticket.state = new_state;
        }
        tx.commit().map_err(|e| store_err(&self.path, e))?;
        Ok(ticket)
    }

    /// Claims the one execution an approved ticket authorizes: atomically
    /// moves it from `approved` to `used` (a single conditional UPDATE, so
    /// two processes racing on the same ticket cannot both win). A ticket
    /// already used is refused with [`GuardError::Used`]; one in any other
    /// state with [`GuardError::Closed`].
    pub fn consume(&self, id: &str) -> Result<Ticket, GuardError> {
        let conn = self.lock()?;
        let changed = conn
            .execute(
                "UPDATE tickets SET state = 'used' WHERE id = ?1 AND state = 'approved'",
                params![id],
            )
            .map_err(|e| store_err(&self.path, e))?;
        let ticket = load(&conn, &self.path, id)?;
        if changed == 1 {
            return Ok(ticket);
        }
        Err(match ticket.state {
            TicketState::Used => GuardError::Used {
                ticket: id.to_owned(),
            },
            other => GuardError::Closed {
                ticket: id.to_owned(),
                state: other.as_str().to_owned(),
            },
        })
    }

    /// Marks a pending ticket expired (a waiter timed out).
    pub fn expire(&self, id: &str) -> Result<Ticket, GuardError> {
        let conn = self.lock()?;
        let mut ticket = load(&conn, &self.path, id)?;
        if ticket.state == TicketState::Pending {
            set_state(&conn, &self.path, &ticket, TicketState::Expired)?;
            ticket.state = TicketState::Expired;
        }
        Ok(ticket)
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn store_err(path: &str, e: impl std::fmt::Display) -> GuardError {
    GuardError::Store {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

fn load(conn: &Connection, path: &str, id: &str) -> Result<Ticket, GuardError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT state, body FROM tickets WHERE id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|e| store_err(path, e))?;
    let (state, body) = row.ok_or_else(|| GuardError::TicketNotFound(id.to_owned()))?;
    let mut ticket: Ticket = serde_json::from_str(&body).map_err(|e| store_err(path, e))?;
    ticket.state = TicketState::parse(&state)
        .ok_or_else(|| store_err(path, format!("bad state `{state}`")))?;
    let mut stmt = conn
        .prepare("SELECT body FROM reviews WHERE ticket_id = ?1 ORDER BY rowid")
        .map_err(|e| store_err(path, e))?;
    let reviews = stmt
        .query_map(params![id], |r| r.get::<_, String>(0))
        .map_err(|e| store_err(path, e))?;
    ticket.reviews.clear();
    for body in reviews {
        let body = body.map_err(|e| store_err(path, e))?;
        ticket
            .reviews
            .push(serde_json::from_str(&body).map_err(|e| store_err(path, e))?);
    }
    Ok(ticket)
}

fn set_state(
    conn: &Connection,
    path: &str,
    ticket: &Ticket,
    state: TicketState,
) -> Result<(), GuardError> {
    conn.execute(
        "UPDATE tickets SET state = ?1 WHERE id = ?2",
        params![state.as_str(), ticket.id],
    )
    .map_err(|e| store_err(path, e))?;
    Ok(())
}
