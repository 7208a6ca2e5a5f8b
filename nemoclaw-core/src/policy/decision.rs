//! The three-way decision and the verdict objects authorization returns.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::intent::{Action, Resource};

/// The outcome for an action or a whole request. Ordered by severity, so the
/// verdict of a request is the maximum over its actions (deny > escalate > allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The action may run.
    Allow,
    /// The action is frozen until a reviewer decides.
    Escalate,
    /// The action is refused.
    Deny,
}

impl Decision {
    /// `allow`, `escalate` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Escalate => "escalate",
            Decision::Deny => "deny",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The judgement of one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionVerdict {
    /// The action judged.
    #[serde(flatten)]
    pub action: Action,
    /// Its decision.
    pub decision: Decision,
    /// Ids of the policies that produced the decision (`default` when the
    /// pack's default applied).
    pub policy_ids: Vec<String>,
    /// Human-readable reasons, one per policy id.
    pub reasons: Vec<String>,
}

/// The verdict on a whole request: never an error. Internal faults yield
/// deny with the fault recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// deny if any action is denied, else escalate if any is escalated, else allow.
    pub decision: Decision,
    /// Every action with its own decision, in request order.
    pub actions: Vec<ActionVerdict>,
    /// Hex SHA-256 of the policy set that decided.
    pub policy_set: Arc<str>,
    /// An internal fault that forced deny, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// The parser reached a limit; the verdict is at least escalate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overflow: bool,
    /// The escalation ticket, when the verdict is escalate and the Guard
    /// has a ticket store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

impl Verdict {
    /// A deny verdict for an internal fault (nothing could be judged).
    pub fn fault(policy_set: Arc<str>, fault: impl Into<String>) -> Self {
        Self {
            decision: Decision::Deny,
            actions: Vec::new(),
            policy_set,
            fault: Some(fault.into()),
            overflow: false,
            ticket: None,
        }
    }

    /// Is the request allowed?
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    /// The reasons behind the request's decision: those of the actions that
    /// carry it (deduplicated, in order), plus the fault when there is one.
    pub fn reasons(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        if let Some(f) = &self.fault {
            out.push(f);
        }
        if self.overflow {
            out.push(OVERFLOW_REASON);
        }
        for a in self.actions.iter().filter(|a| a.decision == self.decision) {
            for r in &a.reasons {
                if !out.contains(&r.as_str()) {
                    out.push(r);
                }
            }
        }
        out
    }

    /// The policy ids behind the request's decision (deduplicated, in order).
    pub fn policy_ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        if self.fault.is_some() {
            out.push("fault");
        }
        if self.overflow {
            out.push("overflow");
        }
        for a in self.actions.iter().filter(|a| a.decision == self.decision) {
            for r in &a.policy_ids {
                if !out.contains(&r.as_str()) {
                    out.push(r);
                }
            }
        }
        out
    }
}

const OVERFLOW_REASON: &str = "the request exceeds the parser's limits and was judged incomplete";

/// A short human-readable name for a resource (`/etc/passwd`,
/// `example.com:443`, `tool search`).
pub fn describe_resource(resource: &Resource) -> String {
    match resource {
        Resource::Path { path, .. } => path.clone(),
        Resource::Host { host, port, .. } => match port {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        },
        Resource::Url { url, .. } => url.clone(),
        Resource::Program { name } => name.clone(),
        Resource::Process { target } => format!("process {target}"),
        Resource::Package { manager, name } => format!("{manager} package {name}"),
        Resource::EnvVar { name } => format!("${name}"),
        Resource::Tool { name } => format!("tool {name}"),
        Resource::Unknown { text } => format!("unresolved `{text}`"),
        #[allow(unreachable_patterns)] // Resource is non_exhaustive
        _ => "resource".to_owned(),
    }
}
