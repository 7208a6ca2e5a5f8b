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
//! or an escalate (fail closed). Policies are split by the Cedar action they
//! can apply to when the set is compiled, so a check evaluates only the
//! policies of its verb.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    ActionConstraint, Authorizer, Context, Effect, Entities, Entity, PolicyId, PolicySet, Request,
    RestrictedExpression, Schema, ValidationMode, Validator,
};

use super::decision::{describe_resource, ActionVerdict, Decision, Verdict};
use super::entities::{str_expr, types, uid, Agent, EntityProvider, Environment, FactCache};
use super::error::{PolicyDiagnostic, PolicyError};
use super::pack::PackSource;
use super::scope::{path_within, HostPattern};
use crate::intent::{Action, HostClass, Intent, Resource, Verb};

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
    per_action: Vec<PolicySet>,
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
                info.insert(
                    pid,
                    PolicyInfo {
                        id,
                        kind,
                        reason,
                        file: file.name.clone(),
                        line,
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

        let mut per_action: Vec<PolicySet> =
            (0..CEDAR_ACTIONS.len()).map(|_| PolicySet::new()).collect();
        for policy in all.policies() {
            let applies: Vec<usize> = match policy.action_constraint() {
                ActionConstraint::Any => (0..CEDAR_ACTIONS.len()).collect(),
                ActionConstraint::Eq(a) => slot(a.id().unescaped()).into_iter().collect(),
                ActionConstraint::In(list) => list
                    .iter()
                    .filter_map(|a| slot(a.id().unescaped()))
                    .collect(),
            };
            for s in applies {
                if let Some(set) = per_action.get_mut(s) {
                    set.add(policy.clone()).map_err(|e| {
                        PolicyError::Invalid(vec![at(
                            "",
                            0,
                            Some(policy.id().as_ref()),
                            &e.to_string(),
                        )])
                    })?;
                }
            }
        }
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
            per_action,
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
        let mut facts = FactCache::new(provider);
        let count = intent.actions.len();
        let mut actions = Vec::with_capacity(count);
        let mut decision = Decision::Allow;
        for action in &intent.actions {
            let v = self.decide_action(agent, action, env, intent.overflow, count, &mut facts);
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
            let resource = self.resource_entity(agent, action, env, &mut facts)?;
            let (request, entities) =
                self.prepare(agent, action, env, intent.overflow, count, resource, s)?;
            out.push(CedarInput {
                request,
                entities,
                slot: s,
            });
        }
        Ok(out)
    }

    /// Benchmark support: Cedar's authorizer alone on one prepared action
    /// (the number of determining policies).
    #[doc(hidden)]
    pub fn cedar_evaluate(&self, input: &CedarInput) -> usize {
        match self.per_action.get(input.slot) {
            Some(set) => self
                .authorizer
                .is_authorized(&input.request, set, &input.entities)
                .diagnostics()
                .reason()
                .count(),
            None => 0,
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
            s,
            "infer",
            &format!("endpoint {endpoint}"),
        ) {
            Ok(v) => (v.decision, v.policy_ids, v.reasons),
            Err(e) => fault(e),
        }
    }

    fn decide_action(
        &self,
        agent: &Agent,
        action: &Action,
        env: &Environment,
        overflow: bool,
        count: usize,
        facts: &mut FactCache<'_>,
    ) -> ActionVerdict {
        let name = cedar_action(action.verb);
        match self.evaluate(agent, action, env, overflow, count, facts, name) {
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
    ) -> Result<ActionVerdict, String> {
        let s = slot(name).ok_or_else(|| format!("no Cedar action for verb `{name}`"))?;
        let resource = self.resource_entity(agent, action, env, facts)?;
        let (request, entities) = self.prepare(agent, action, env, overflow, count, resource, s)?;
        self.judge(
            &request,
            &entities,
            action,
            s,
            name,
            &describe_resource(&action.resource),
        )
    }

    #[allow(clippy::too_many_arguments)] // internal; all inputs are needed
    fn judge_entity(
        &self,
        agent: &Agent,
        action: &Action,
        env: &Environment,
        resource: Entity,
        s: usize,
        name: &str,
        described: &str,
    ) -> Result<ActionVerdict, String> {
        let (request, entities) = self.prepare(agent, action, env, false, 1, resource, s)?;
        self.judge(&request, &entities, action, s, name, described)
    }

    fn judge(
        &self,
        request: &Request,
        entities: &Entities,
        action: &Action,
        s: usize,
        name: &str,
        resource: &str,
    ) -> Result<ActionVerdict, String> {
        let set = self.per_action.get(s).ok_or("missing policy slot")?;
        let response = self.authorizer.is_authorized(request, set, entities);
        let mut forbids = Vec::new();
        let mut escalates = Vec::new();
        let mut permits = Vec::new();
        let mut errors = Vec::new();
        let determining: Vec<&PolicyId> = response.diagnostics().reason().collect();
        for id in &determining {
            match self.info.get(id).map(|i| i.kind) {
                Some(Kind::Forbid) => forbids.push(*id),
                Some(Kind::Escalate) => escalates.push(*id),
                Some(Kind::Permit) => permits.push(*id),
                None => {}
            }
        }
        for err in response.diagnostics().errors() {
            // Fail closed: a forbid or escalate that could not be evaluated counts as matching.
            let cedar_policy::AuthorizationError::PolicyEvaluationError(inner) = err;
            let id = inner.policy_id();
            match self.info.get(id).map(|i| i.kind) {
                Some(Kind::Forbid) => forbids.push(id),
                Some(Kind::Escalate) => escalates.push(id),
                _ => {}
            }
            errors.push(err.to_string());
        }
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
        for id in ids {
            if let Some(i) = self.info.get(id) {
                policy_ids.push(i.id.clone());
                reasons.push(
                    i.reason
                        .replace("{verb}", name)
                        .replace("{resource}", resource),
                );
            }
        }
        for e in errors {
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
        overflow: bool,
        count: usize,
        resource: Entity,
        slot: usize,
    ) -> Result<(Request, Entities), String> {
        let resource_uid = resource.uid();
        let entities = agent
            .entities()
            .clone()
            .add_entities([resource], None)
            .map_err(|e| e.to_string())?;
        let a = &action.attrs;
        let mut techniques: Vec<RestrictedExpression> =
            Vec::with_capacity(action.techniques.len() * 2);
        for t in &action.techniques {
            techniques.push(str_expr(t));
            if let Some((parent, _)) = t.split_once('.') {
                techniques.push(str_expr(parent));
            }
        }
        let flags = [
            ("recursive", a.recursive),
            ("force", a.force),
            ("remote", a.remote.is_some()),
            ("via_sudo", a.via_sudo),
            ("obfuscated", a.obfuscated),
            ("unresolved", a.unresolved),
            ("pipe_to_shell", a.pipe_to_shell),
            ("truncate", a.truncate),
            ("exposed", a.exposed),
            ("overflow", overflow),
        ]
        .map(|(name, on)| (name.to_owned(), RestrictedExpression::new_bool(on)));
        let context = Context::from_pairs(flags.into_iter().chain([
            (
                "remote_host".to_owned(),
                str_expr(a.remote.as_deref().unwrap_or("")),
            ),
            (
                "techniques".to_owned(),
                RestrictedExpression::new_set(techniques),
            ),
            ("cwd".to_owned(), str_expr(&env.cwd)),
            (
                "action_count".to_owned(),
                RestrictedExpression::new_long(i64::try_from(count).unwrap_or(i64::MAX)),
            ),
        ]))
        .map_err(|e| e.to_string())?;
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
        attrs: &mut Vec<(&'static str, RestrictedExpression)>,
        agent: &Agent,
        facts: &mut FactCache<'_>,
        host: &str,
        port: Option<u16>,
        class: HostClass,
    ) {
        let b = RestrictedExpression::new_bool;
        attrs.extend([
            ("kind", str_expr(class_name(class))),
            ("allowlisted", b(self.allowlisted(host, port))),
            ("in_scope", b(agent.scopes().host_in_scope(host, port))),
            ("production", b(facts.host(host).production)),
        ]);
        if let Some(p) = port {
            attrs.push(("port", RestrictedExpression::new_long(i64::from(p))));
        }
    }

    fn resource_entity(
        &self,
        agent: &Agent,
        action: &Action,
        env: &Environment,
        facts: &mut FactCache<'_>,
    ) -> Result<Entity, String> {
        let t = types();
        let b = RestrictedExpression::new_bool;
        let (ty, id, attrs): (_, &str, Vec<(&str, RestrictedExpression)>) = match &action.resource {
            Resource::Path { path, glob } => {
                let f = facts.file(path);
                let scopes = agent.scopes();
                (
                    &t.file,
                    path,
                    vec![
                        ("path", str_expr(path)),
                        ("glob", b(*glob)),
                        ("in_workspace", b(env.in_workspace(path, *glob))),
                        (
                            "is_workspace_root",
                            b(!*glob && path.trim_end_matches('/') == env.workspace),
                        ),
                        ("in_home", b(path_within(path, &env.home, *glob))),
                        (
                            "in_tmp",
                            b(path_within(path, "/tmp", *glob)
                                || path_within(path, "/var/tmp", *glob)),
                        ),
                        ("readable", b(scopes.readable(path, *glob))),
                        ("writable", b(scopes.writable(path, *glob))),
                        ("sensitivity", str_expr(f.sensitivity.as_str())),
                        ("backed_up", b(f.backed_up)),
                        ("production", b(f.production)),
                    ],
                )
            }
            Resource::Host { host, port, class } => {
                let mut v = vec![("name", str_expr(host))];
                self.network_attrs(&mut v, agent, facts, host, *port, *class);
                (&t.host, host, v)
            }
            Resource::Url {
                url,
                host,
                port,
                class,
            } => {
                let mut v = vec![("url", str_expr(url)), ("host", str_expr(host))];
                self.network_attrs(&mut v, agent, facts, host, *port, *class);
                (&t.url, url, v)
            }
            Resource::Program { name } => {
                let base = name.rsplit('/').next().unwrap_or(name);
                let in_ws = name.contains('/') && env.in_workspace(name, false);
                (
                    &t.program,
                    name,
                    vec![
                        ("name", str_expr(name)),
                        ("basename", str_expr(base)),
                        ("in_workspace", b(in_ws)),
                    ],
                )
            }
            Resource::Process { target } => {
                (&t.process, target, vec![("target", str_expr(target))])
            }
            Resource::Package { manager, name } => (
                &t.package,
                name,
                vec![("manager", str_expr(manager)), ("name", str_expr(name))],
            ),
            Resource::EnvVar { name } => (&t.env_var, name, vec![("name", str_expr(name))]),
            Resource::Tool { name } => (
                &t.tool,
                name,
                vec![
                    ("name", str_expr(name)),
                    ("in_scope", b(agent.scopes().tool_in_scope(name))),
                ],
            ),
            Resource::Unknown { text } => (&t.unknown, text, vec![("text", str_expr(text))]),
            #[allow(unreachable_patterns)] // Resource is non_exhaustive
            _ => (&t.unknown, "", vec![("text", str_expr(""))]),
        };
        // A tool call always names a Tool (the schema's `callTool` takes only Tool).
        let (ty, attrs) = if action.verb == Verb::CallTool && ty != &t.tool {
            (
                &t.tool,
                vec![
                    ("name", str_expr(id)),
                    ("in_scope", b(agent.scopes().tool_in_scope(id))),
                ],
            )
        } else {
            (ty, attrs)
        };
        Entity::new_with_tags(
            uid(ty, id),
            attrs.into_iter().map(|(k, v)| (k.to_owned(), v)),
            [],
            [],
        )
        .map_err(|e| e.to_string())
    }
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
