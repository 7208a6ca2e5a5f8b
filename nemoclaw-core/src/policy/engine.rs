//! The compiled policy set and the three-way decision.
//!
//! Cedar answers permit or deny; NemoClaw needs allow, escalate and deny.
//! Policies carry annotations:
//!
//! - `@id("...")` (required): the id verdicts name;
//! - `@reason("...")`: the human-readable reason (may use `{verb}` and `{resource}`);
//! - `@decision("escalate")` on a `permit`: a match escalates instead of allowing.
//!
//! For each action: any matching forbid → deny; else any matching escalate
//! → escalate; else any matching permit → allow; else the pack's default.
//! A policy that fails to evaluate is treated as matching when it is a forbid
//! or an escalate (fail closed).
//!
//! Cedar's authorizer evaluates every policy of the set it is given. When
//! the set is compiled, it is therefore partitioned by scope: for each
//! Cedar action and each resource entity type, a slice holds only the
//! policies whose action and resource constraints can match (`action ==`,
//! `action in [...]`, `resource is T`, `resource == T::"..."`; a `resource
//! in` constraint or none puts the policy in every type's slice). Cedar
//! conjoins the scope with the condition, so a policy left out of a slice
//! could neither be satisfied nor fail for that request: a check on the
//! slice gives exactly the response of the whole set. Within a slice, a
//! policy guarded by a context flag (its first clause is `when { context.F
//! && ... }`) is left out when F is false, for the same reason. A test
//! compares both over the intent corpus for every builtin pack.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    ActionConstraint, Authorizer, Context, Effect, Entities, Entity, EntityTypeName, Policy,
    PolicyId, PolicySet, Request, ResourceConstraint, RestrictedExpression, Schema, ValidationMode,
    Validator,
};

use super::classes::{ClassSource, ClassTable};
use super::decision::{describe_resource, ActionVerdict, Decision, Verdict};
use super::entities::{
    str_expr, types, uid, Agent, EntityProvider, Environment, FactCache, FileFacts,
};
use super::error::{PolicyDiagnostic, PolicyError};
use super::pack::PackSource;
use super::scope::{path_within, HostPattern};
use crate::intent::{Action, HostClass, Intent, Resource, Verb};

/// The number of resource entity types of the schema (the columns of the
/// policy slices, in the order of [`type_slot`]).
const RESOURCE_TYPES: usize = 10;

/// The column of a resource entity type (`None` for a type NemoClaw never
/// builds).
fn type_slot(ty: &EntityTypeName) -> Option<usize> {
    let t = types();
    let all: [&EntityTypeName; RESOURCE_TYPES] = [
        &t.file,
        &t.host,
        &t.url,
        &t.program,
        &t.tool,
        &t.endpoint,
        &t.process,
        &t.package,
        &t.env_var,
        &t.unknown,
    ];
    all.iter().position(|x| *x == ty)
}

/// The Cedar actions of the schema, in a fixed order (index = slot).
pub const CEDAR_ACTIONS: [&str; 20] = [
    "read",
    "write",
    "delete",
    "exec",
    "connect",
    "listen",
    "chmod",
    "chown",
    "privilege",
    "persist",
    "install",
    "kill",
    "mount",
    "network_config",
    "credential_access",
    "log_tamper",
    "inline_code",
    "download_exec",
    "callTool",
    "infer",
];

/// The Cedar action id of a verb (`call_tool` is `callTool`).
pub fn cedar_action(verb: Verb) -> &'static str {
    match verb {
        Verb::CallTool => "callTool",
        v => v.as_str(),
    }
}

fn slot(action: &str) -> Option<usize> {
    CEDAR_ACTIONS.iter().position(|a| *a == action)
}

/// One action's Cedar request and entities, as built for evaluation
/// (benchmark support, see [`PolicyEngine::cedar_inputs`]).
#[doc(hidden)]
#[derive(Debug)]
pub struct CedarInput {
    request: Request,
    entities: Entities,
    slot: usize,
    ty: usize,
    flags: [bool; FLAGS.len()],
}

/// The boolean context attributes, in the order of [`context_flags`].
const FLAGS: [&str; 10] = [
    "recursive",
    "force",
    "remote",
    "via_sudo",
    "obfuscated",
    "unresolved",
    "pipe_to_shell",
    "truncate",
    "exposed",
    "overflow",
];

/// The values of [`FLAGS`] for an action.
fn context_flags(action: &Action, overflow: bool) -> [bool; FLAGS.len()] {
    let a = &action.attrs;
    [
        a.recursive,
        a.force,
        a.remote.is_some(),
        a.via_sudo,
        a.obfuscated,
        a.unresolved,
        a.pipe_to_shell,
        a.truncate,
        a.exposed,
        overflow,
    ]
}

/// The context flag a policy needs: the index in [`FLAGS`] of `F` when the
/// policy's first clause is a `when` whose leftmost conjunct is
/// `context.F`. Cedar evaluates the scope, then the clauses in order, and
/// `&&` from the left, stopping at the first `false`: with `F` false such a
/// policy is false without evaluating anything that could fail, so it can
/// be left out of the set.
fn flag_guard(policy: &Policy) -> Option<usize> {
    let json = policy.to_json().ok()?;
    let first = json.get("conditions")?.as_array()?.first()?;
    if first.get("kind")?.as_str()? != "when" {
        return None;
    }
    let mut e = first.get("body")?;
    while let Some(and) = e.get("&&") {
        e = and.get("left")?;
    }
    let dot = e.get(".")?;
    if dot.get("left")?.get("Var")?.as_str()? != "context" {
        return None;
    }
    let attr = dot.get("attr")?.as_str()?;
    FLAGS.iter().position(|f| *f == attr)
}

/// The most flags one slice tells apart (2^n policy sets, built on first use).
const MAX_GUARDS: usize = 5;

/// The policies of one (action, resource type), and the policy sets Cedar
/// evaluates for each combination of the context flags that guard some of
/// them (a guarded policy is in the set only when its flag is true).
#[derive(Debug)]
struct Slice {
    entries: Vec<(Policy, Option<usize>, Needs)>,
    /// The guard flags this slice tells apart (indices in [`FLAGS`]).
    guards: Vec<usize>,
    /// One set per combination of `guards` (bit i = `guards[i]` is true),
    /// with what its policies can read.
    sets: Vec<std::sync::OnceLock<(PolicySet, Needs)>>,
}

impl Slice {
    fn new(entries: Vec<(Policy, Option<usize>, Needs)>) -> Self {
        let mut guards: Vec<usize> = Vec::new();
        for g in entries.iter().filter_map(|(_, g, _)| *g) {
            if !guards.contains(&g) && guards.len() < MAX_GUARDS {
                guards.push(g);
            }
        }
        // A guard this slice does not tell apart makes its policy unguarded.
        let entries = entries
            .into_iter()
            .map(|(p, g, n)| (p, g.filter(|g| guards.contains(g)), n))
            .collect();
        let sets = (0..1usize << guards.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        Self {
            entries,
            guards,
            sets,
        }
    }

    fn set(&self, flags: &[bool; FLAGS.len()]) -> Result<&(PolicySet, Needs), String> {
        let mask = self
            .guards
            .iter()
            .enumerate()
            .filter(|(_, &f)| flags.get(f).copied().unwrap_or(true))
            .fold(0usize, |m, (i, _)| m | (1 << i));
        let cell = self.sets.get(mask).ok_or("missing policy set")?;
        if let Some(set) = cell.get() {
            return Ok(set);
        }
        let mut set = PolicySet::new();
        let mut needs = Needs::default();
        for (policy, guard, reads) in &self.entries {
            let on = guard.is_none_or(|g| {
                self.guards
                    .iter()
                    .position(|x| *x == g)
                    .is_some_and(|i| mask & (1 << i) != 0)
            });
            if on {
                set.add(policy.clone()).map_err(|e| e.to_string())?;
                needs.union(reads);
            }
        }
        // Another thread may have built the same set meanwhile: either is right.
        let _ = cell.set((set, needs));
        cell.get().ok_or_else(|| "policy set not built".to_owned())
    }
}

/// The attributes of one variable (`resource` or `context`) that a set of
/// policies can read: every one, or those named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reads {
    all: bool,
    names: Vec<String>,
}

impl Reads {
    /// Every attribute (the reference: nothing is left out).
    fn every() -> Self {
        Self {
            all: true,
            names: Vec::new(),
        }
    }

    /// Whether an attribute must be built.
    pub(crate) fn wants(&self, name: &str) -> bool {
        self.all || self.names.iter().any(|n| n == name)
    }

    fn add(&mut self, name: &str) {
        if !self.wants(name) {
            self.names.push(name.to_owned());
        }
    }

    fn union(&mut self, other: &Reads) {
        self.all |= other.all;
        for n in &other.names {
            self.add(n);
        }
    }
}

/// What the conditions of a set of policies can read of the resource
/// entity and of the context. An attribute nobody reads cannot change a
/// response: Cedar only sees attributes through `x.attr` and `x has attr`,
/// so the entity and context built for a slice may leave the others out.
/// Any other use of the variable (`context` as a value, an entity literal
/// whose attributes could be those of the resource) counts as reading
/// every attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Needs {
    resource: Reads,
    context: Reads,
}

impl Needs {
    /// Everything (used with the whole set and when the reads of a policy
    /// cannot be worked out).
    pub(crate) fn every() -> Self {
        Self {
            resource: Reads::every(),
            context: Reads::every(),
        }
    }

    /// The reads of one policy's conditions.
    fn of(policy: &Policy) -> Self {
        let Ok(json) = policy.to_json() else {
            return Self::every();
        };
        let mut needs = Self::default();
        match json.get("conditions") {
            Some(conditions) => needs.walk(conditions),
            None => return Self::every(),
        }
        needs
    }

    fn union(&mut self, other: &Needs) {
        self.resource.union(&other.resource);
        self.context.union(&other.context);
    }

    fn var(&mut self, name: &str) -> Option<&mut Reads> {
        match name {
            "resource" => Some(&mut self.resource),
            "context" => Some(&mut self.context),
            _ => None,
        }
    }

    /// Walks a policy's JSON (EST) form.
    fn walk(&mut self, v: &serde_json::Value) {
        use serde_json::Value as J;
        match v {
            J::Array(items) => items.iter().for_each(|i| self.walk(i)),
            J::Object(map) => {
                // `x.attr`, `x has attr`: one attribute of x.
                for op in [".", "has"] {
                    let Some(inner) = map.get(op) else { continue };
                    let left = inner.get("left").and_then(|l| l.get("Var"));
                    let attr = inner.get("attr").and_then(J::as_str);
                    if let (Some(J::String(var)), Some(attr)) = (left, attr) {
                        if let Some(reads) = self.var(var) {
                            reads.add(attr);
                        }
                        return;
                    }
                }
                // `x is T`: the type only.
                if let Some(inner) = map.get("is") {
                    if let Some(J::String(_)) = inner.get("left").and_then(|l| l.get("Var")) {
                        if let Some(rest) = inner.get("in") {
                            self.walk(rest);
                        }
                        return;
                    }
                }
                if let Some(J::String(var)) = map.get("Var") {
                    if let Some(reads) = self.var(var) {
                        reads.all = true;
                    }
                    return;
                }
                // A literal other than a primitive may name an entity.
                if let Some(value) = map.get("Value") {
                    if value.is_object() || value.is_array() {
                        self.resource.all = true;
                    }
                    return;
                }
                map.values().for_each(|x| self.walk(x));
            }
            _ => {}
        }
    }
}

/// Which policies an action is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sets {
    /// The slice of its action and resource type.
    Sliced,
    /// The whole set (the reference).
    Whole,
}

/// What a policy does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Permit,
    Escalate,
    Forbid,
}

#[derive(Debug, Clone)]
struct PolicyInfo {
    id: String,
    kind: Kind,
    reason: String,
    file: String,
    line: usize,
    /// Position in the pack (files by name, policies in file order): the
    /// order in which a verdict lists policy ids and reasons.
    order: usize,
}

/// A compiled, validated policy set: immutable, `Send + Sync`, cheap to
/// share behind `Arc`.
#[derive(Debug)]
pub struct PolicyEngine {
    name: String,
    origin: String,
    hash_hex: Arc<str>,
    default: Decision,
    allowed_hosts: Vec<HostPattern>,
    classes: ClassTable,
    /// The whole set (reference for tests, see [`PolicyEngine::decide_unpartitioned`]).
    all: PolicySet,
    /// One slice per (action, resource type): `slices[action * RESOURCE_TYPES + type]`.
    slices: Vec<Slice>,
    action_uids: Vec<cedar_policy::EntityUid>,
    info: HashMap<PolicyId, PolicyInfo>,
    authorizer: Authorizer,
    policy_count: usize,
}

impl PolicyEngine {
    /// Loads a builtin pack by name, or a directory.
    pub fn load(spec: &str) -> Result<Self, PolicyError> {
        Self::compile(&PackSource::load(spec)?)
    }

    /// Parses the schema and every policy, validates them (strict mode),
    /// checks annotations, and splits the set per Cedar action.
    pub fn compile(source: &PackSource) -> Result<Self, PolicyError> {
        let schema = parse_schema(source)?;
        let mut all = PolicySet::new();
        let mut info: HashMap<PolicyId, PolicyInfo> = HashMap::new();
        let mut file_of: HashMap<String, usize> = HashMap::new();
        let mut parse_errors = Vec::new();
        let mut invalid = Vec::new();
        for (fi, file) in source.policies.iter().enumerate() {
            let set = match PolicySet::from_str(&file.text) {
                Ok(s) => s,
                Err(e) => {
                    for err in e.iter() {
                        parse_errors.push(diagnostic(&file.name, &file.text, err, None));
                    }
                    continue;
                }
            };
            if set.num_of_templates() > 0 {
                invalid.push(at(
                    &file.name,
                    0,
                    None,
                    "templates are not supported; write plain policies",
                ));
                continue;
            }
            let mut policies: Vec<_> = set.policies().collect();
            policies.sort_by_key(|p| {
                p.id()
                    .to_string()
                    .trim_start_matches("policy")
                    .parse::<usize>()
                    .unwrap_or(usize::MAX)
            });
            for (n, policy) in policies.into_iter().enumerate() {
                let fallback_line = nth_policy_line(&file.text, n);
                let Some(id) = policy.annotation("id") else {
                    invalid.push(at(
                        &file.name,
                        fallback_line,
                        None,
                        "policy has no `@id(\"...\")` annotation",
                    ));
                    continue;
                };
                let id = id.to_owned();
                let line = find_line(&file.text, &format!("\"{id}\"")).unwrap_or(fallback_line);
                if id.is_empty() || id == "default" || id.chars().any(char::is_whitespace) {
                    invalid.push(at(
                        &file.name,
                        line,
                        Some(&id),
                        "policy id must be non-empty, without spaces, and not `default`",
                    ));
                    continue;
                }
                let kind = match (policy.effect(), policy.annotation("decision")) {
                    (Effect::Permit, None | Some("allow")) => Kind::Permit,
                    (Effect::Permit, Some("escalate")) => Kind::Escalate,
                    (Effect::Forbid, None | Some("deny")) => Kind::Forbid,
                    (Effect::Forbid, Some(other)) | (Effect::Permit, Some(other)) => {
                        invalid.push(at(
                            &file.name,
                            line,
                            Some(&id),
                            &format!("`@decision(\"{other}\")` is not valid here: use `escalate` on a permit, nothing on a forbid"),
                        ));
                        continue;
                    }
                };
                for (key, _) in policy.annotations() {
                    if !matches!(key, "id" | "reason" | "decision" | "doc") {
                        invalid.push(at(
                            &file.name,
                            line,
                            Some(&id),
                            &format!("unknown annotation `@{key}`"),
                        ));
                    }
                }
                let reason = policy
                    .annotation("reason")
                    .map(str::to_owned)
                    .unwrap_or_else(|| {
                        let verb = match kind {
                            Kind::Permit => "allows",
                            Kind::Escalate => "escalates",
                            Kind::Forbid => "forbids",
                        };
                        format!("policy `{id}` {verb} {{verb}} of {{resource}}")
                    });
                let pid = PolicyId::new(&id);
                if let Some(prev) = info.get(&pid) {
                    invalid.push(at(
                        &file.name,
                        line,
                        Some(&id),
                        &format!("duplicate policy id, first at {}:{}", prev.file, prev.line),
                    ));
                    continue;
                }
                if let Err(e) = all.add(policy.new_id(pid.clone())) {
                    invalid.push(at(&file.name, line, Some(&id), &e.to_string()));
                    continue;
                }
                file_of.insert(id.clone(), fi);
                let order = info.len();
                info.insert(
                    pid,
                    PolicyInfo {
                        id,
                        kind,
                        reason,
                        file: file.name.clone(),
                        line,
                        order,
                    },
                );
            }
        }
        if !parse_errors.is_empty() {
            return Err(PolicyError::Parse(parse_errors));
        }
        let validation = Validator::new(schema).validate(&all, ValidationMode::Strict);
        for err in validation.validation_errors() {
            let id = err.policy_id().to_string();
            match file_of.get(&id).and_then(|&fi| source.policies.get(fi)) {
                Some(file) => invalid.push(diagnostic(&file.name, &file.text, err, Some(&id))),
                None => invalid.push(at("", 0, Some(&id), &err.to_string())),
            }
        }
        if !invalid.is_empty() {
            return Err(PolicyError::Invalid(invalid));
        }

        let classes = match &source.classes {
            Some(file) => {
                ClassTable::compile(&ClassSource::parse(&file.text, &file.name)?, &file.name)?
            }
            None => ClassTable::default(),
        };
        let types_n = RESOURCE_TYPES;
        let mut entries: Vec<Vec<(Policy, Option<usize>, Needs)>> = (0..CEDAR_ACTIONS.len()
            * types_n)
            .map(|_| Vec::new())
            .collect();
        for policy in all.policies() {
            let actions: Vec<usize> = match policy.action_constraint() {
                ActionConstraint::Any => (0..CEDAR_ACTIONS.len()).collect(),
                ActionConstraint::Eq(a) => slot(a.id().unescaped()).into_iter().collect(),
                ActionConstraint::In(list) => list
                    .iter()
                    .filter_map(|a| slot(a.id().unescaped()))
                    .collect(),
            };
            // `resource in E` may hold for any type through the hierarchy: every column.
            let resource = policy.resource_constraint();
            let types: Vec<usize> = match &resource {
                ResourceConstraint::Any | ResourceConstraint::In(_) => (0..types_n).collect(),
                ResourceConstraint::Eq(uid) => type_slot(uid.type_name()).into_iter().collect(),
                ResourceConstraint::Is(ty) | ResourceConstraint::IsIn(ty, _) => {
                    type_slot(ty).into_iter().collect()
                }
            };
            // Inside a slice the action constraint always holds, and so does
            // `resource is T` in T's column: the copy filed there drops them, so
            // Cedar does not re-test them (an `action in [...]` list is rebuilt
            // as a set on every evaluation).
            let drop_action = !matches!(policy.action_constraint(), ActionConstraint::Any);
            let drop_resource = matches!(resource, ResourceConstraint::Is(_));
            let filed = if drop_action || drop_resource {
                unscoped(policy, drop_action, drop_resource).map_err(|e| {
                    PolicyError::Invalid(vec![at("", 0, Some(policy.id().as_ref()), &e)])
                })?
            } else {
                policy.clone()
            };
            let guard = flag_guard(policy);
            let needs = Needs::of(&filed);
            for a in &actions {
                for t in &types {
                    if let Some(list) = entries.get_mut(a * types_n + t) {
                        list.push((filed.clone(), guard, needs.clone()));
                    }
                }
            }
        }
        let slices = entries.into_iter().map(Slice::new).collect();
        let action_uids = CEDAR_ACTIONS
            .iter()
            .map(|a| uid(&types().action, a))
            .collect();
        let allowed_hosts = source
            .manifest
            .allowed_hosts
            .iter()
            .filter_map(|h| HostPattern::parse(h))
            .collect();
        Ok(Self {
            name: source.manifest.name.clone(),
            origin: source.origin.clone(),
            hash_hex: Arc::from(hex::encode(source.hash())),
            default: source.manifest.default,
            allowed_hosts,
            classes,
            all,
            slices,
            action_uids,
            policy_count: info.len(),
            info,
            authorizer: Authorizer::new(),
        })
    }

    /// The pack name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the pack came from (`builtin:NAME` or a directory).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Hex SHA-256 of the policy set.
    pub fn hash(&self) -> &Arc<str> {
        &self.hash_hex
    }

    /// The decision when no policy matches.
    pub fn default_decision(&self) -> Decision {
        self.default
    }

    /// Number of policies.
    pub fn policy_count(&self) -> usize {
        self.policy_count
    }

    /// Ids of every policy, sorted.
    pub fn policy_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.info.values().map(|i| i.id.as_str()).collect();
        ids.sort_unstable();
        ids
    }

    /// Judges every action of an intent and aggregates (deny > escalate > allow).
    /// An intent with no action is allowed (it does nothing); an overflowed
    /// intent is at least escalated.
    pub fn decide(
        &self,
        agent: &Agent,
        intent: &Intent,
        env: &Environment,
        provider: Option<&dyn EntityProvider>,
    ) -> Verdict {
        self.decide_with(agent, intent, env, provider, Sets::Sliced)
    }

    /// [`PolicyEngine::decide`] with every action evaluated against the
    /// whole policy set instead of its (action, resource type) slice: the
    /// reference the partitioned evaluation is tested against. Slower;
    /// gives the same verdict.
    #[doc(hidden)]
    pub fn decide_unpartitioned(
        &self,
        agent: &Agent,
        intent: &Intent,
        env: &Environment,
        provider: Option<&dyn EntityProvider>,
    ) -> Verdict {
        self.decide_with(agent, intent, env, provider, Sets::Whole)
    }

    fn decide_with(
        &self,
        agent: &Agent,
        intent: &Intent,
        env: &Environment,
        provider: Option<&dyn EntityProvider>,
        sets: Sets,
    ) -> Verdict {
        let mut facts = FactCache::new(provider);
        let count = intent.actions.len();
        let mut actions = Vec::with_capacity(count);
        let mut decision = Decision::Allow;
        for action in &intent.actions {
            let v =
                self.decide_action(agent, action, env, intent.overflow, count, &mut facts, sets);
            decision = decision.max(v.decision);
            actions.push(v);
        }
        if intent.overflow && decision == Decision::Allow {
            decision = Decision::Escalate;
        }
        Verdict {
            decision,
            actions,
            policy_set: self.hash_hex.clone(),
            fault: None,
            overflow: intent.overflow,
            ticket: None,
        }
    }

    /// Benchmark support: the Cedar request and entities [`PolicyEngine::decide`]
    /// builds for each action of `intent`, so that Cedar's own evaluation can
    /// be timed apart from entity building ([`PolicyEngine::cedar_evaluate`]).
    #[doc(hidden)]
    pub fn cedar_inputs(
        &self,
        agent: &Agent,
        intent: &Intent,
        env: &Environment,
    ) -> Result<Vec<CedarInput>, String> {
        let mut facts = FactCache::new(None);
        let count = intent.actions.len();
        let mut out = Vec::with_capacity(count);
        for action in &intent.actions {
            let name = cedar_action(action.verb);
            let s = slot(name).ok_or_else(|| format!("no Cedar action for `{name}`"))?;
            let ty = resource_type(action);
            let col = type_slot(ty).ok_or("resource type without a policy slice")?;
            let flags = context_flags(action, intent.overflow);
            let (_, needs) = self.slice(s, col, &flags)?;
            let resource =
                self.resource_entity(agent, action, env, &mut facts, ty, &needs.resource)?;
            let (request, entities) = self.prepare(
                agent,
                action,
                env,
                (intent.overflow, count),
                resource,
                s,
                &needs.context,
            )?;
            out.push(CedarInput {
                request,
                entities,
                slot: s,
                ty: col,
                flags,
            });
        }
        Ok(out)
    }

    /// Benchmark support: Cedar's authorizer alone on one prepared action
    /// (the number of determining policies).
    #[doc(hidden)]
    pub fn cedar_evaluate(&self, input: &CedarInput) -> usize {
        match self.slice(input.slot, input.ty, &input.flags) {
            Ok((set, _)) => self
                .authorizer
                .is_authorized(&input.request, set, &input.entities)
                .diagnostics()
                .reason()
                .count(),
            Err(_) => 0,
        }
    }

    /// Judges a request to a model endpoint (the `infer` action, used by the
    /// privacy router): the decision, the policy ids and the reasons.
    pub fn decide_infer(
        &self,
        agent: &Agent,
        endpoint: &str,
        local: bool,
        env: &Environment,
    ) -> (Decision, Vec<String>, Vec<String>) {
        let fault = |e: String| {
            (
                Decision::Deny,
                vec!["fault".to_owned()],
                vec![format!("internal fault, refused: {e}")],
            )
        };
        let Some(s) = slot("infer") else {
            return fault("no infer action".to_owned());
        };
        let t = types();
        let entity = match Entity::new_with_tags(
            uid(&t.endpoint, endpoint),
            [
                ("name".to_owned(), str_expr(endpoint)),
                ("local".to_owned(), RestrictedExpression::new_bool(local)),
            ],
            [],
            [],
        ) {
            Ok(e) => e,
            Err(e) => return fault(e.to_string()),
        };
        let Some(ty) = type_slot(&t.endpoint) else {
            return fault("no Endpoint type".to_owned());
        };
        let action = Action {
            verb: Verb::Connect,
            resource: Resource::Unknown {
                text: endpoint.to_owned(),
            },
            attrs: Default::default(),
            techniques: Vec::new(),
            span: Default::default(),
        };
        match self.judge_entity(
            agent,
            &action,
            env,
            entity,
            (s, ty),
            "infer",
            &format!("endpoint {endpoint}"),
        ) {
            Ok(v) => (v.decision, v.policy_ids, v.reasons),
            Err(e) => fault(e),
        }
    }

    #[allow(clippy::too_many_arguments)] // internal; all inputs are needed
    fn decide_action(
        &self,
        agent: &Agent,
        action: &Action,
        env: &Environment,
        overflow: bool,
        count: usize,
        facts: &mut FactCache<'_>,
        sets: Sets,
    ) -> ActionVerdict {
        let name = cedar_action(action.verb);
        match self.evaluate(agent, action, env, overflow, count, facts, name, sets) {
            Ok(v) => v,
            Err(fault) => ActionVerdict {
                action: action.clone(),
                decision: Decision::Deny,
                policy_ids: vec!["fault".to_owned()],
                reasons: vec![format!("internal fault, refused: {fault}")],
            },
        }
    }

    #[allow(clippy::too_many_arguments)] // internal; all inputs are needed
    fn evaluate(
        &self,
        agent: &Agent,
        action: &Action,
        env: &Environment,
        overflow: bool,
        count: usize,
        facts: &mut FactCache<'_>,
        name: &str,
        sets: Sets,
    ) -> Result<ActionVerdict, String> {
        let s = slot(name).ok_or_else(|| format!("no Cedar action for verb `{name}`"))?;
        let ty = resource_type(action);
        let col = type_slot(ty).ok_or("resource type without a policy slice")?;
        let every;
        let (set, needs) = match sets {
            Sets::Sliced => {
                let (set, needs) = self.slice(s, col, &context_flags(action, overflow))?;
                (set, needs)
            }
            Sets::Whole => {
                every = Needs::every();
                (&self.all, &every)
            }
        };
        let resource = self.resource_entity(agent, action, env, facts, ty, &needs.resource)?;
        let (request, entities) = self.prepare(
            agent,
            action,
            env,
            (overflow, count),
            resource,
            s,
            &needs.context,
        )?;
        self.judge(
            &request,
            &entities,
            action,
            set,
            name,
            &describe_resource(&action.resource),
        )
    }

    /// The policies that can apply to an action on a resource type with
    /// these context flags.
    fn slice(
        &self,
        action: usize,
        ty: usize,
        flags: &[bool; FLAGS.len()],
    ) -> Result<&(PolicySet, Needs), String> {
        self.slices
            .get(action * RESOURCE_TYPES + ty)
            .ok_or("missing policy slice")?
            .set(flags)
    }

    #[allow(clippy::too_many_arguments)] // internal; all inputs are needed
    fn judge_entity(
        &self,
        agent: &Agent,
        action: &Action,
        env: &Environment,
        resource: Entity,
        (s, ty): (usize, usize),
        name: &str,
        described: &str,
    ) -> Result<ActionVerdict, String> {
        let (set, needs) = self.slice(s, ty, &context_flags(action, false))?;
        let (request, entities) =
            self.prepare(agent, action, env, (false, 1), resource, s, &needs.context)?;
        self.judge(&request, &entities, action, set, name, described)
    }

    fn judge(
        &self,
        request: &Request,
        entities: &Entities,
        action: &Action,
        set: &PolicySet,
        name: &str,
        resource: &str,
    ) -> Result<ActionVerdict, String> {
        let response = self.authorizer.is_authorized(request, set, entities);
        let mut forbids = Vec::new();
        let mut escalates = Vec::new();
        let mut permits = Vec::new();
        let mut errors = Vec::new();
        for id in response.diagnostics().reason() {
            let Some(info) = self.info.get(id) else {
                continue;
            };
            match info.kind {
                Kind::Forbid => forbids.push(info),
                Kind::Escalate => escalates.push(info),
                Kind::Permit => permits.push(info),
            }
        }
        for err in response.diagnostics().errors() {
            // Fail closed: a forbid or escalate that could not be evaluated counts as matching.
            let cedar_policy::AuthorizationError::PolicyEvaluationError(inner) = err;
            let info = self.info.get(inner.policy_id());
            match info.map(|i| i.kind) {
                Some(Kind::Forbid) => forbids.extend(info),
                Some(Kind::Escalate) => escalates.extend(info),
                _ => {}
            }
            errors.push((info.map_or(usize::MAX, |i| i.order), err.to_string()));
        }
        // Cedar reports determining policies as a hash set: list them (and
        // the errors) in pack order, so a verdict reads the same every time.
        for list in [&mut forbids, &mut escalates, &mut permits] {
            list.sort_by_key(|i| i.order);
        }
        errors.sort();
        let (decision, ids) = if !forbids.is_empty() {
            (Decision::Deny, forbids)
        } else if !escalates.is_empty() {
            (Decision::Escalate, escalates)
        } else if !permits.is_empty() {
            (Decision::Allow, permits)
        } else {
            let reason = format!(
                "no policy of pack `{}` permits {} of {}: the pack's default is {}",
                self.name, name, resource, self.default
            );
            return Ok(ActionVerdict {
                action: action.clone(),
                decision: self.default,
                policy_ids: vec!["default".to_owned()],
                reasons: vec![reason],
            });
        };
        let mut policy_ids = Vec::with_capacity(ids.len());
        let mut reasons = Vec::with_capacity(ids.len());
        for i in ids {
            policy_ids.push(i.id.clone());
            reasons.push(
                i.reason
                    .replace("{verb}", name)
                    .replace("{resource}", resource),
            );
        }
        for (_, e) in errors {
            reasons.push(format!("policy evaluation error (failing closed): {e}"));
        }
        Ok(ActionVerdict {
            action: action.clone(),
            decision,
            policy_ids,
            reasons,
        })
    }

    /// Builds the Cedar request and entities for one action.
    #[allow(clippy::too_many_arguments)] // internal; all inputs are needed
    fn prepare(
        &self,
        agent: &Agent,
        action: &Action,
        env: &Environment,
        (overflow, count): (bool, usize),
        resource: Entity,
        slot: usize,
        reads: &Reads,
    ) -> Result<(Request, Entities), String> {
        let resource_uid = resource.uid();
        let entities = agent
            .entities()
            .clone()
            .add_entities([resource], None)
            .map_err(|e| e.to_string())?;
        let a = &action.attrs;
        // Only what the policies evaluated can read (see [`Needs`]).
        let mut pairs = Attrs::new(reads);
        for (name, on) in FLAGS.iter().zip(context_flags(action, overflow)) {
            pairs.put(name, || RestrictedExpression::new_bool(on));
        }
        pairs.put("remote_host", || {
            str_expr(a.remote.as_deref().unwrap_or(""))
        });
        pairs.put("techniques", || {
            let mut techniques: Vec<RestrictedExpression> =
                Vec::with_capacity(action.techniques.len() * 2);
            for t in &action.techniques {
                techniques.push(str_expr(t));
                if let Some((parent, _)) = t.split_once('.') {
                    techniques.push(str_expr(parent));
                }
            }
            RestrictedExpression::new_set(techniques)
        });
        pairs.put("cwd", || str_expr(&env.cwd));
        pairs.put("action_count", || {
            RestrictedExpression::new_long(i64::try_from(count).unwrap_or(i64::MAX))
        });
        let context = Context::from_pairs(pairs.out).map_err(|e| e.to_string())?;
        let action_uid = self
            .action_uids
            .get(slot)
            .cloned()
            .ok_or("missing action uid")?;
        let request = Request::new(agent.uid().clone(), action_uid, resource_uid, context, None)
            .map_err(|e| e.to_string())?;
        Ok((request, entities))
    }

    fn allowlisted(&self, host: &str, port: Option<u16>) -> bool {
        self.allowed_hosts.iter().any(|p| p.matches(host, port))
    }

    /// The attributes `Host` and `Url` share: the host's class, whether the
    /// pack allow-lists it or a `net:` scope covers it, production (from the
    /// entity provider) and the port when known.
    fn network_attrs(
        &self,
        attrs: &mut Attrs<'_>,
        agent: &Agent,
        facts: &mut FactCache<'_>,
        (host, port): (&str, Option<u16>),
        class: HostClass,
    ) {
        let b = RestrictedExpression::new_bool;
        attrs.put("kind", || str_expr(class_name(class)));
        attrs.put("allowlisted", || b(self.allowlisted(host, port)));
        attrs.put("in_scope", || b(agent.scopes().host_in_scope(host, port)));
        attrs.put("production", || b(facts.host(host).production));
        if let Some(p) = port {
            attrs.put("port", || RestrictedExpression::new_long(i64::from(p)));
        }
    }

    /// The resource entity of an action, of type `ty` (see
    /// [`resource_type`]), with the attributes `reads` names.
    fn resource_entity(
        &self,
        agent: &Agent,
        action: &Action,
        env: &Environment,
        facts: &mut FactCache<'_>,
        ty: &EntityTypeName,
        reads: &Reads,
    ) -> Result<Entity, String> {
        let t = types();
        let classes =
            |names: Vec<&str>| RestrictedExpression::new_set(names.into_iter().map(str_expr));
        let b = RestrictedExpression::new_bool;
        let mut attrs = Attrs::new(reads);
        let id: &str = match &action.resource {
            Resource::Path { path, .. } => path,
            Resource::Host { host, .. } => host,
            Resource::Url { url, .. } => url,
            Resource::Program { name } => name,
            Resource::Process { target } => target,
            Resource::Package { name, .. } => name,
            Resource::EnvVar { name } => name,
            Resource::Tool { name } => name,
            Resource::Unknown { text } => text,
            #[allow(unreachable_patterns)] // Resource is non_exhaustive
            _ => "",
        };
        // A tool call always names a Tool (the schema's `callTool` takes only Tool).
        if ty == &t.tool {
            attrs.put("name", || str_expr(id));
            attrs.put("in_scope", || b(agent.scopes().tool_in_scope(id)));
        } else {
            match &action.resource {
                Resource::Path { path, glob } => {
                    let glob = *glob;
                    let f = if ["sensitivity", "backed_up", "production"]
                        .iter()
                        .any(|n| reads.wants(n))
                    {
                        facts.file(path)
                    } else {
                        FileFacts::default()
                    };
                    let scopes = agent.scopes();
                    attrs.put("path", || str_expr(path));
                    attrs.put("glob", || b(glob));
                    attrs.put("in_workspace", || b(env.in_workspace(path, glob)));
                    attrs.put("is_workspace_root", || {
                        b(!glob && path.trim_end_matches('/') == env.workspace)
                    });
                    attrs.put("in_home", || b(path_within(path, &env.home, glob)));
                    attrs.put("in_tmp", || {
                        b(path_within(path, "/tmp", glob) || path_within(path, "/var/tmp", glob))
                    });
                    attrs.put("readable", || b(scopes.readable(path, glob)));
                    attrs.put("writable", || b(scopes.writable(path, glob)));
                    attrs.put("sensitivity", || str_expr(f.sensitivity.as_str()));
                    attrs.put("backed_up", || b(f.backed_up));
                    attrs.put("production", || b(f.production));
                    attrs.put("classes", || classes(self.classes.path_classes(path)));
                }
                Resource::Host { host, port, class } => {
                    attrs.put("name", || str_expr(host));
                    self.network_attrs(&mut attrs, agent, facts, (host, *port), *class);
                }
                Resource::Url {
                    url,
                    host,
                    port,
                    class,
                } => {
                    attrs.put("url", || str_expr(url));
                    attrs.put("host", || str_expr(host));
                    self.network_attrs(&mut attrs, agent, facts, (host, *port), *class);
                }
                Resource::Program { name } => {
                    let base = name.rsplit('/').next().unwrap_or(name);
                    attrs.put("name", || str_expr(name));
                    attrs.put("basename", || str_expr(base));
                    attrs.put("in_workspace", || {
                        b(name.contains('/') && env.in_workspace(name, false))
                    });
                    attrs.put("classes", || classes(self.classes.program_classes(base)));
                }
                Resource::Process { target } => {
                    attrs.put("target", || str_expr(target));
                    attrs.put("classes", || classes(self.classes.process_classes(target)));
                }
                Resource::Package { manager, name } => {
                    attrs.put("manager", || str_expr(manager));
                    attrs.put("name", || str_expr(name));
                }
                Resource::EnvVar { name } => attrs.put("name", || str_expr(name)),
                Resource::Unknown { text } => attrs.put("text", || str_expr(text)),
                #[allow(unreachable_patterns)] // Resource is non_exhaustive
                _ => attrs.put("text", || str_expr("")),
            }
        }
        Entity::new_with_tags(uid(ty, id), attrs.out, [], []).map_err(|e| e.to_string())
    }
}

/// The entity type of an action's resource (a tool call always names a
/// Tool: the schema's `callTool` takes only Tool).
fn resource_type(action: &Action) -> &'static EntityTypeName {
    let t = types();
    if action.verb == Verb::CallTool {
        return &t.tool;
    }
    match &action.resource {
        Resource::Path { .. } => &t.file,
        Resource::Host { .. } => &t.host,
        Resource::Url { .. } => &t.url,
        Resource::Program { .. } => &t.program,
        Resource::Process { .. } => &t.process,
        Resource::Package { .. } => &t.package,
        Resource::EnvVar { .. } => &t.env_var,
        Resource::Tool { .. } => &t.tool,
        Resource::Unknown { .. } => &t.unknown,
        #[allow(unreachable_patterns)] // Resource is non_exhaustive
        _ => &t.unknown,
    }
}

/// Attribute pairs, each built only when wanted.
struct Attrs<'r> {
    reads: &'r Reads,
    out: Vec<(String, RestrictedExpression)>,
}

impl<'r> Attrs<'r> {
    fn new(reads: &'r Reads) -> Self {
        Self {
            reads,
            out: Vec::new(),
        }
    }

    fn put(&mut self, name: &str, value: impl FnOnce() -> RestrictedExpression) {
        if self.reads.wants(name) {
            self.out.push((name.to_owned(), value()));
        }
    }
}

/// A copy of `policy` without its action constraint and/or its resource
/// constraint (both become unconstrained), same id, same condition.
fn unscoped(policy: &Policy, action: bool, resource: bool) -> Result<Policy, String> {
    let mut json = policy.to_json().map_err(|e| e.to_string())?;
    let obj = json
        .as_object_mut()
        .ok_or("a policy's JSON form is not an object")?;
    let all = || serde_json::json!({ "op": "All" });
    if action {
        obj.insert("action".to_owned(), all());
    }
    if resource {
        obj.insert("resource".to_owned(), all());
    }
    Policy::from_json(Some(policy.id().clone()), json).map_err(|e| e.to_string())
}

fn class_name(class: HostClass) -> &'static str {
    match class {
        HostClass::Loopback => "loopback",
        HostClass::Private => "private",
        HostClass::Metadata => "metadata",
        HostClass::Public => "public",
    }
}

fn parse_schema(source: &PackSource) -> Result<Schema, PolicyError> {
    match Schema::from_cedarschema_str(&source.schema.text) {
        Ok((schema, _warnings)) => Ok(schema),
        Err(e) => Err(PolicyError::Schema(vec![diagnostic(
            &source.schema.name,
            &source.schema.text,
            &e,
            None,
        )])),
    }
}

fn at(file: &str, line: usize, policy: Option<&str>, message: &str) -> PolicyDiagnostic {
    PolicyDiagnostic {
        file: file.to_owned(),
        line,
        column: 0,
        policy: policy.map(str::to_owned),
        message: message.to_owned(),
    }
}

/// A diagnostic from a Cedar error: its first label's offset becomes line and column.
fn diagnostic(
    file: &str,
    text: &str,
    err: &dyn miette::Diagnostic,
    policy: Option<&str>,
) -> PolicyDiagnostic {
    let offset = err.labels().and_then(|mut l| l.next()).map(|l| l.offset());
    let (line, column) = offset.map(|o| line_col(text, o)).unwrap_or((0, 0));
    let mut message = err.to_string();
    if let Some(help) = err.help() {
        message.push_str(&format!(" ({help})"));
    }
    let line = if line == 0 {
        policy
            .and_then(|p| find_line(text, &format!("\"{p}\"")))
            .unwrap_or(0)
    } else {
        line
    };
    PolicyDiagnostic {
        file: file.to_owned(),
        line,
        column,
        policy: policy.map(str::to_owned),
        message: message.replace('\n', " "),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
        + 1;
    (line, column)
}

fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|o| line_col(text, o).0)
}

/// Line of the n-th `permit`/`forbid` keyword at the start of a line.
fn nth_policy_line(text: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim_start();
            l.starts_with("permit") || l.starts_with("forbid")
        })
        .nth(n)
        .map_or(0, |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard_of(text: &str) -> Option<&'static str> {
        let policy = Policy::from_str(text).unwrap();
        flag_guard(&policy).map(|i| FLAGS[i])
    }

    #[test]
    fn flag_guards_are_leftmost_conjuncts_of_the_first_when() {
        let p = "permit (principal, action, resource)";
        assert_eq!(
            guard_of(&format!("{p} when {{ context.via_sudo }};")),
            Some("via_sudo")
        );
        assert_eq!(
            guard_of(&format!(
                "{p} when {{ context.remote && context.cwd == \"/\" }};"
            )),
            Some("remote")
        );
        assert_eq!(
            guard_of(&format!(
                "{p} when {{ context.truncate && resource.x && context.exposed }};"
            )),
            Some("truncate")
        );
        assert_eq!(
            guard_of(&format!(
                "{p} when {{ context.overflow }} unless {{ context.force }};"
            )),
            Some("overflow")
        );
        // Not guards: a disjunction, a negation, a later conjunct, an unless
        // first, a non-flag attribute, no condition.
        assert_eq!(
            guard_of(&format!(
                "{p} when {{ context.obfuscated || context.force }};"
            )),
            None
        );
        assert_eq!(guard_of(&format!("{p} when {{ !context.remote }};")), None);
        assert_eq!(
            guard_of(&format!("{p} when {{ resource.x && context.remote }};")),
            None
        );
        assert_eq!(guard_of(&format!("{p} unless {{ context.remote }};")), None);
        assert_eq!(guard_of(&format!("{p} when {{ context.cwd }};")), None);
        assert_eq!(guard_of(&format!("{p};")), None);
    }

    #[test]
    fn needs_name_the_attributes_a_policy_reads() {
        let needs = |text: &str| Needs::of(&Policy::from_str(text).unwrap());
        let p = "forbid(principal, action, resource)";
        let n = needs(&format!(
            "{p} when {{ context.recursive && resource.in_tmp && resource is File }} \
             unless {{ resource has port && principal.depth > 1 }};"
        ));
        assert!(!n.context.all && !n.resource.all);
        assert!(n.context.wants("recursive") && !n.context.wants("force"));
        assert!(n.resource.wants("in_tmp") && n.resource.wants("port"));
        assert!(!n.resource.wants("path") && !n.resource.wants("depth"));
        // No condition: nothing is read.
        let none = needs(&format!("{p};"));
        assert!(!none.resource.wants("path") && !none.context.wants("cwd"));
        // The variable as a value, or an entity literal: everything.
        assert!(needs(&format!("{p} when {{ context == {{}} }};"))
            .context
            .wants("cwd"));
        assert!(
            needs(&format!("{p} when {{ [resource].contains(resource) }};"))
                .resource
                .wants("path")
        );
        assert!(
            needs(&format!("{p} when {{ File::\"/x\".path == \"/x\" }};"))
                .resource
                .wants("path")
        );
    }

    #[test]
    fn a_guarded_policy_is_evaluated_only_when_its_flag_is_set() {
        let engine = PolicyEngine::load("coding-agent").unwrap();
        let exec = slot("exec").unwrap() * RESOURCE_TYPES + type_slot(&types().program).unwrap();
        let slice = &engine.slices[exec];
        assert!(slice
            .guards
            .contains(&FLAGS.iter().position(|f| *f == "via_sudo").unwrap()));
        let ids = |flags: [bool; FLAGS.len()]| -> Vec<String> {
            let mut v: Vec<String> = slice
                .set(&flags)
                .unwrap()
                .0
                .policies()
                .map(|p| p.id().to_string())
                .collect();
            v.sort();
            v
        };
        let off = ids([false; FLAGS.len()]);
        let mut on = [false; FLAGS.len()];
        on[3] = true; // via_sudo
        let sudo = ids(on);
        assert!(!off.contains(&"coding.no-sudo".to_owned()));
        assert!(sudo.contains(&"coding.no-sudo".to_owned()));
        assert!(off.contains(&"coding.no-remote-tools".to_owned()));
        assert_eq!(sudo.len(), off.len() + 1);
    }
}
