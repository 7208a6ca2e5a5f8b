//! Policy tests: a pack's `tests.json` lists actions (or, once a parser is
//! plugged in, commands) with the decision expected, so a change to a pack
//! is tested before it is deployed (`nemoclaw policy test DIR`).
//!
//! ```json
//! { "workspace": "/home/dev/project", "home": "/home/dev",
//!   "cases": [
//!     { "name": "ssh keys are off limits",
//!       "actions": [{ "verb": "read", "resource": { "kind": "path", "path": "/home/dev/.ssh/id_rsa" } }],
//!       "expect": "deny", "policy": "coding.no-secret-files" } ] }
//! ```
//!
//! A case may set `scopes` (the agent's token scopes; default: the local
//! identity of the workspace) and `facts` (a [`StaticFacts`] description
//! for the entity provider).

use serde::Deserialize;

use super::{
    Agent, AgentContext, Decision, Environment, PolicyEngine, PolicyError, StaticFacts, Verdict,
};
use crate::intent::{Action, ActionAttrs, Intent, Resource, Span, Verb};

/// An action as written in a test file (no span needed).
#[derive(Debug, Clone, Deserialize)]
pub struct CaseAction {
    /// The verb.
    pub verb: Verb,
    /// The resource.
    pub resource: Resource,
    /// Modifiers.
    #[serde(default)]
    pub attrs: ActionAttrs,
    /// ATT&CK technique ids.
    #[serde(default)]
    pub techniques: Vec<String>,
}

impl From<CaseAction> for Action {
    fn from(c: CaseAction) -> Self {
        Action {
            verb: c.verb,
            resource: c.resource,
            attrs: c.attrs,
            techniques: c.techniques,
            span: Span::default(),
        }
    }
}

/// One test case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyCase {
    /// What it checks.
    pub name: String,
    /// The agent's scopes (default: the local identity of the workspace).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Facts for the entity provider.
    #[serde(default)]
    pub facts: Option<serde_json::Value>,
    /// The actions of the request.
    pub actions: Vec<CaseAction>,
    /// The parser overflowed.
    #[serde(default)]
    pub overflow: bool,
    /// Expected decision.
    pub expect: Decision,
    /// A policy id that must be among those behind the decision.
    #[serde(default)]
    pub policy: Option<String>,
}

/// A test file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTests {
    /// Workspace directory.
    #[serde(default = "default_workspace")]
    pub workspace: String,
    /// Home directory.
    #[serde(default = "default_home")]
    pub home: String,
    /// The cases.
    pub cases: Vec<PolicyCase>,
}

fn default_workspace() -> String {
    "/home/dev/project".to_owned()
}

fn default_home() -> String {
    "/home/dev".to_owned()
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The case name.
    pub name: String,
    /// Passed?
    pub passed: bool,
    /// Expected decision.
    pub expected: Decision,
    /// The verdict (None when the case could not run).
    pub verdict: Option<Verdict>,
    /// Why it failed.
    pub failure: Option<String>,
}

impl PolicyTests {
    /// Parses a test file.
    pub fn from_json(text: &str, file: &str) -> Result<Self, PolicyError> {
        serde_json::from_str(text).map_err(|e| PolicyError::Manifest {
            path: file.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Runs every case against `engine`.
    pub fn run(&self, engine: &PolicyEngine) -> Vec<CaseOutcome> {
        let env = Environment::new(&self.workspace, &self.home);
        self.cases
            .iter()
            .map(|c| run_case(c, engine, &env))
            .collect()
    }
}

fn run_case(case: &PolicyCase, engine: &PolicyEngine, env: &Environment) -> CaseOutcome {
    let fail = |msg: String| CaseOutcome {
        name: case.name.clone(),
        passed: false,
        expected: case.expect,
        verdict: None,
        failure: Some(msg),
    };
    let mut ctx = AgentContext::local(&env.workspace);
    if let Some(scopes) = &case.scopes {
        ctx.scopes.clone_from(scopes);
    }
    let agent = match Agent::new(ctx) {
        Ok(a) => a,
        Err(e) => return fail(e.to_string()),
    };
    let facts = match &case.facts {
        Some(v) => match StaticFacts::from_json(&v.to_string()) {
            Ok(f) => Some(f),
            Err(e) => return fail(e.to_string()),
        },
        None => None,
    };
    let intent = Intent {
        actions: case.actions.iter().cloned().map(Action::from).collect(),
        overflow: case.overflow,
    };
    let verdict = engine.decide(
        &agent,
        &intent,
        env,
        facts.as_ref().map(|f| f as &dyn super::EntityProvider),
    );
    let mut failure = None;
    if verdict.decision != case.expect {
        failure = Some(format!(
            "expected {}, got {} ({})",
            case.expect,
            verdict.decision,
            verdict.reasons().join("; ")
        ));
    } else if let Some(p) = &case.policy {
        if !verdict.policy_ids().contains(&p.as_str()) {
            failure = Some(format!(
                "expected policy `{p}` among {:?}",
                verdict.policy_ids()
            ));
        }
    }
    CaseOutcome {
        name: case.name.clone(),
        passed: failure.is_none(),
        expected: case.expect,
        verdict: Some(verdict),
        failure,
    }
}
