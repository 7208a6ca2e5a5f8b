//! Reviewers of escalated requests: humans (through the CLI or an API
//! calling [`Guard::review`](super::Guard::review)) and governance agents
//! implementing [`Reviewer`].
//!
//! # An LLM-based reviewer
//!
//! Implement [`Reviewer`]: build a prompt from [`Ticket::request`], the
//! parsed actions with their reasons (`ticket.verdict.actions`) and the
//! agent's goal (`ticket.agent.goal`), ask your model, and map its answer to
//! [`ReviewDecision`]. Treat anything unclear, a timeout or a refusal as
//! [`ReviewDecision::EscalateToHuman`], never as approve; give the reviewer
//! its own key so its decisions are signed and attributable. Keep the model
//! call bounded in time: reviewers run in [`Guard::wait`](super::Guard::wait).

use crate::identity::KeyPair;
use crate::intent::Intent;
use crate::policy::{Agent, Decision, PolicyEngine};

use super::ticket::{ReviewDecision, Ticket};

/// A governance agent that decides escalated tickets.
pub trait Reviewer: Send + Sync {
    /// A stable id, recorded with every decision.
    fn id(&self) -> &str;

    /// The decision on a pending ticket, with a one-line explanation.
    fn review(&self, ticket: &Ticket) -> (ReviewDecision, String);

    /// The key that signs this reviewer's decisions, if it has one.
    fn key(&self) -> Option<&KeyPair> {
        None
    }
}

/// A reviewer that judges the ticket's actions under a second, stricter
/// policy set: approve when that set allows every action, deny when it
/// denies one, otherwise hand over to a human.
#[derive(Debug)]
pub struct PolicyReviewer {
    id: String,
    engine: PolicyEngine,
    key: Option<KeyPair>,
}

impl PolicyReviewer {
    /// A reviewer named `id` applying `engine`.
    pub fn new(id: &str, engine: PolicyEngine) -> Self {
        Self {
            id: id.to_owned(),
            engine,
            key: None,
        }
    }

    /// Signs its decisions with `key`.
    pub fn with_key(mut self, key: KeyPair) -> Self {
        self.key = Some(key);
        self
    }
}

impl Reviewer for PolicyReviewer {
    fn id(&self) -> &str {
        &self.id
    }

    fn review(&self, ticket: &Ticket) -> (ReviewDecision, String) {
        let agent = match Agent::new(ticket.agent.clone()) {
            Ok(a) => a,
            Err(e) => {
                return (
                    ReviewDecision::EscalateToHuman,
                    format!("cannot rebuild the agent: {e}"),
                )
            }
        };
        let intent = Intent {
            actions: ticket
                .verdict
                .actions
                .iter()
                .map(|a| a.action.clone())
                .collect(),
            overflow: ticket.verdict.overflow,
        };
        let verdict = self
            .engine
            .decide(&agent, &intent, &ticket.environment, None);
        let why = verdict.reasons().join("; ");
        match verdict.decision {
            Decision::Allow => (
                ReviewDecision::Approve,
                format!(
                    "policy set `{}` allows every action: {why}",
                    self.engine.name()
                ),
            ),
            Decision::Deny => (
                ReviewDecision::Deny,
                format!("policy set `{}` denies: {why}", self.engine.name()),
            ),
            Decision::Escalate => (
                ReviewDecision::EscalateToHuman,
                format!("policy set `{}` also escalates: {why}", self.engine.name()),
            ),
        }
    }

    fn key(&self) -> Option<&KeyPair> {
        self.key.as_ref()
    }
}
