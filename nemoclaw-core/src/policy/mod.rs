//! Cedar policy: the schema, entity building, the three-way decision
//! (allow / escalate / deny) and the shipped packs.
//!
//! A [`PolicyEngine`] is compiled once from a pack ([`PackSource`]): the
//! schema and every policy are parsed and validated (errors name file and
//! line), annotations are checked, the pack's name classes
//! ([`ClassTable`], `classes.toml`) are compiled, and the policies are split
//! into slices per Cedar action and resource type. [`PolicyEngine::decide`] then judges each action of an
//! [`Intent`](crate::intent::Intent) for an [`Agent`] (compiled from its
//! identity) and aggregates deny > escalate > allow into a [`Verdict`].
//!
//! ```
//! use nemoclaw_core::intent::{Action, ActionAttrs, Intent, Resource, Span, Verb};
//! use nemoclaw_core::policy::{Agent, AgentContext, Decision, Environment, PolicyEngine};
//!
//! let engine = PolicyEngine::load("coding-agent")?;
//! let agent = Agent::new(AgentContext::local("/home/dev/project"))?;
//! let env = Environment::new("/home/dev/project", "/home/dev");
//! let read = |path: &str| Action {
//!     verb: Verb::Read,
//!     resource: Resource::Path { path: path.into(), glob: false },
//!     attrs: ActionAttrs::default(),
//!     techniques: vec![],
//!     span: Span::default(),
//! };
//! let ok = Intent { actions: vec![read("/home/dev/project/src/main.rs")], overflow: false };
//! assert_eq!(engine.decide(&agent, &ok, &env, None).decision, Decision::Allow);
//! let bad = Intent { actions: vec![read("/home/dev/.ssh/id_ed25519")], overflow: false };
//! let verdict = engine.decide(&agent, &bad, &env, None);
//! assert_eq!(verdict.decision, Decision::Deny);
//! println!("{:?}", verdict.reasons());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod classes;
mod decision;
mod engine;
mod entities;
mod error;
mod pack;
pub mod scope;
pub mod testing;

pub use classes::{cedar_like_literal, ClassSource, ClassTable, CLASSES_FILE};
pub use decision::{describe_resource, ActionVerdict, Decision, Verdict};
pub use engine::{cedar_action, CedarInput, PolicyEngine, CEDAR_ACTIONS};
pub use entities::{
    Agent, AgentContext, EntityProvider, Environment, FileFacts, HostFacts, Sensitivity,
    StaticFacts,
};
pub use error::{PolicyDiagnostic, PolicyError};
pub use pack::{PackManifest, PackSource, SourceFile, BUILTIN_PACKS, BUILTIN_SCHEMA};
