//! The privacy router: detects what a request carries, asks a Cedar policy
//! (action `infer`, resource the endpoint with kind `local` or `remote`,
//! context the detected kinds and counts) whether to pass it, transform it,
//! send it to a local endpoint or block it, and returns the (transformed)
//! request with the route.
//!
//! Plain text and OpenAI-style chat requests (a message list, or an object
//! with `messages`) are supported; only `content` fields (strings, or
//! `{"type": "text", "text": ...}` parts) are analysed and transformed.
//! Routing never returns an error: any internal fault blocks (fail closed)
//! and says why.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, Schema, ValidationMode,
    Validator,
};
use serde_json::{json, Value};

use super::operators::Session;
use super::redactor::Redactor;
use super::span::{labels, Span};
use super::PrivacyError;

/// The router's Cedar schema (`policies/privacy-router/router.cedarschema`).
pub const SCHEMA: &str = include_str!("../../policies/privacy-router/router.cedarschema");
/// The default routing policies (`policies/privacy-router/default.cedar`).
pub const DEFAULT_POLICIES: &str = include_str!("../../policies/privacy-router/default.cedar");

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Route {
    /// Send unchanged to the requested endpoint.
    Pass,
    /// Send the transformed request to the requested endpoint.
    Transform,
    /// Send unchanged to the local endpoint instead.
    Local,
    /// Do not send.
    Block,
}

impl Route {
    /// `pass`, `transform`, `local` or `block`.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Pass => "pass",
            Route::Transform => "transform",
            Route::Local => "local",
            Route::Block => "block",
        }
    }
}

impl FromStr for Route {
    type Err = PrivacyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pass" => Ok(Route::Pass),
            "transform" => Ok(Route::Transform),
            "local" => Ok(Route::Local),
            "block" => Ok(Route::Block),
            _ => Err(PrivacyError::Policy(format!("unknown route `{s}`"))),
        }
    }
}

/// The kind of endpoint a request is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// A model on this machine or network.
    Local,
    /// A hosted model.
    Remote,
}

impl EndpointKind {
    fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Local => "local",
            EndpointKind::Remote => "remote",
        }
    }
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A plain prompt.
    Text(String),
    /// An OpenAI-style chat request: a message list or an object with `messages`.
    Chat(Value),
}

/// The router's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDecision {
    /// Where the request goes.
    pub route: Route,
    /// The request to send: original for pass and local, transformed for
    /// transform, `None` for block.
    pub payload: Option<Payload>,
    /// Policies that produced the route.
    pub policy_ids: Vec<String>,
    /// Why, in words (faults included).
    pub reasons: Vec<String>,
    /// Count per detected label.
    pub counts: BTreeMap<String, usize>,
}

/// Builds a [`Router`].
#[derive(Debug, Default)]
pub struct RouterBuilder {
    policies: Option<String>,
    local_endpoint: bool,
}

impl RouterBuilder {
    /// Cedar policies (default: [`DEFAULT_POLICIES`]).
    pub fn policies(mut self, src: impl Into<String>) -> Self {
        self.policies = Some(src.into());
        self
    }

    /// Load every `.cedar` file of a directory as the policies.
    pub fn policy_dir(mut self, dir: &std::path::Path) -> Result<Self, PrivacyError> {
        let io = |source| PrivacyError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "cedar"))
            .collect();
        files.sort();
        let mut src = String::new();
        for f in files {
            src.push_str(
                &std::fs::read_to_string(&f).map_err(|source| PrivacyError::Io {
                    path: f.display().to_string(),
                    source,
                })?,
            );
            src.push('\n');
        }
        self.policies = Some(src);
        Ok(self)
    }

    /// Whether a local endpoint exists to take `local` routes (default no:
    /// a `local` route then blocks).
    pub fn local_endpoint(mut self, available: bool) -> Self {
        self.local_endpoint = available;
        self
    }

    /// Parse and validate (strict mode) the policies against the schema.
    pub fn build(self, redactor: Arc<Redactor>) -> Result<Router, PrivacyError> {
        let (schema, _warnings) = Schema::from_cedarschema_str(SCHEMA)
            .map_err(|e| PrivacyError::Policy(format!("schema: {e}")))?;
        let src = self
            .policies
            .unwrap_or_else(|| DEFAULT_POLICIES.to_string());
        let policies =
            PolicySet::from_str(&src).map_err(|e| PrivacyError::Policy(e.to_string()))?;
        let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !result.validation_passed() {
            let msgs: Vec<String> = result.validation_errors().map(|e| e.to_string()).collect();
            return Err(PrivacyError::Policy(msgs.join("; ")));
        }
        for p in policies.policies() {
            if let Some(r) = p.annotation("route") {
                Route::from_str(r)?;
            }
        }
        let entities = Entities::from_json_value(
            json!([
                {"uid": {"type": "PrivacyRouter::Endpoint", "id": "local"}, "attrs": {"kind": "local"}, "parents": []},
                {"uid": {"type": "PrivacyRouter::Endpoint", "id": "remote"}, "attrs": {"kind": "remote"}, "parents": []},
            ]),
            Some(&schema),
        )
        .map_err(|e| PrivacyError::Policy(format!("entities: {e}")))?;
        let action = EntityUid::from_str(r#"PrivacyRouter::Action::"infer""#)
            .map_err(|e| PrivacyError::Policy(e.to_string()))?;
        Ok(Router {
            redactor,
            schema,
            policies,
            entities,
            action,
            authorizer: Authorizer::new(),
            local_endpoint: self.local_endpoint,
        })
    }
}

/// The policy-driven router. Immutable, `Send + Sync`.
#[derive(Debug)]
pub struct Router {
    redactor: Arc<Redactor>,
    schema: Schema,
    policies: PolicySet,
    entities: Entities,
    action: EntityUid,
    authorizer: Authorizer,
    local_endpoint: bool,
}

/// Where one analysed content field sits in the request.
enum Slot {
    Text,
    /// `messages[i].content` is a string.
    Content(usize),
    /// `messages[i].content[j].text`.
    Part(usize, usize),
}

impl Router {
    /// Start a router.
    pub fn builder() -> RouterBuilder {
        RouterBuilder::default()
    }

    /// Route a request from `agent` addressed to an endpoint of `endpoint` kind.
    pub fn route(
        &self,
        agent: &str,
        endpoint: EndpointKind,
        payload: &Payload,
        session: &mut Session,
    ) -> RouteDecision {
        match self.try_route(agent, endpoint, payload, session) {
            Ok(d) => d,
            Err(e) => RouteDecision {
                route: Route::Block,
                payload: None,
                policy_ids: Vec::new(),
                reasons: vec![format!("blocked: {e}")],
                counts: BTreeMap::new(),
            },
        }
    }

    fn try_route(
        &self,
        agent: &str,
        endpoint: EndpointKind,
        payload: &Payload,
        session: &mut Session,
    ) -> Result<RouteDecision, PrivacyError> {
        // 1. Detect over every content field.
        let fields = content_fields(payload)?;
        let mut analysed: Vec<(Slot, String, Arc<Vec<Span>>)> = Vec::with_capacity(fields.len());
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut chars = 0usize;
        for (slot, text) in fields {
            let spans = self.redactor.analyze_cached(&text)?;
            for s in spans.iter() {
                *counts.entry(s.label.to_string()).or_insert(0) += 1;
            }
            chars += text.chars().count();
            analysed.push((slot, text, spans));
        }
        // 2. Ask Cedar.
        let (route, policy_ids, mut reasons) = self.decide(agent, endpoint, &counts, chars)?;
        let route = if route == Route::Local && !self.local_endpoint {
            reasons.push("route local but no local endpoint is configured".into());
            Route::Block
        } else {
            route
        };
        // 3. Transform if asked.
        let payload_out = match route {
            Route::Block => None,
            Route::Pass | Route::Local => Some(payload.clone()),
            Route::Transform => Some(self.transform(payload, &analysed, session)?),
        };
        Ok(RouteDecision {
            route,
            payload: payload_out,
            policy_ids,
            reasons,
            counts,
        })
    }

    fn decide(
        &self,
        agent: &str,
        endpoint: EndpointKind,
        counts: &BTreeMap<String, usize>,
        chars: usize,
    ) -> Result<(Route, Vec<String>, Vec<String>), PrivacyError> {
        let mut count_obj = serde_json::Map::new();
        for l in labels::ALL {
            count_obj.insert(
                (*l).to_string(),
                json!(counts.get(*l).copied().unwrap_or(0)),
            );
        }
        let total: usize = counts.values().sum();
        let secrets: usize = labels::SECRETS
            .iter()
            .map(|l| counts.get(*l).copied().unwrap_or(0))
            .sum();
        let ctx = json!({
            "kinds": counts.keys().collect::<Vec<_>>(),
            "counts": count_obj,
            "total": total,
            "secrets": secrets,
            "chars": chars,
        });
        let context = Context::from_json_value(ctx, Some((&self.schema, &self.action)))
            .map_err(|e| PrivacyError::Policy(format!("context: {e}")))?;
        let principal = EntityUid::from_type_name_and_id(
            "PrivacyRouter::Agent"
                .parse()
                .map_err(|e| PrivacyError::Policy(format!("{e}")))?,
            cedar_policy::EntityId::new(agent),
        );
        let resource = EntityUid::from_type_name_and_id(
            "PrivacyRouter::Endpoint"
                .parse()
                .map_err(|e| PrivacyError::Policy(format!("{e}")))?,
            cedar_policy::EntityId::new(endpoint.as_str()),
        );
        let request = Request::new(
            principal,
            self.action.clone(),
            resource,
            context,
            Some(&self.schema),
        )
        .map_err(|e| PrivacyError::Policy(format!("request: {e}")))?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &self.entities);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(|e| e.to_string())
            .collect();
        if !errors.is_empty() {
            return Err(PrivacyError::Policy(format!(
                "evaluation: {}",
                errors.join("; ")
            )));
        }
        let ids: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|id| id.to_string())
            .collect();
        let mut reasons = Vec::new();
        if response.decision() == Decision::Deny {
            let shown: Vec<String> = ids.iter().map(|id| self.display_id(id)).collect();
            if shown.is_empty() {
                reasons.push("no routing policy matched".into());
            } else {
                reasons.push(format!("forbidden by {}", shown.join(", ")));
            }
            return Ok((Route::Block, shown, reasons));
        }
        let mut route = Route::Pass;
        let mut deciding = Vec::new();
        for id in &ids {
            let r = self
                .policies
                .policy(&cedar_policy::PolicyId::new(id))
                .and_then(|p| p.annotation("route"))
                .map(Route::from_str)
                .transpose()?
                // A permit without a route transforms (the safe reading).
                .unwrap_or(Route::Transform);
            if r > route {
                route = r;
                deciding.clear();
            }
            if r == route {
                deciding.push(self.display_id(id));
            }
        }
        reasons.push(format!("{} by {}", route.as_str(), deciding.join(", ")));
        Ok((route, deciding, reasons))
    }

    /// A policy's `@id` annotation, else Cedar's own id.
    fn display_id(&self, id: &str) -> String {
        self.policies
            .policy(&cedar_policy::PolicyId::new(id))
            .and_then(|p| p.annotation("id"))
            .map_or_else(|| id.to_string(), str::to_string)
    }

    fn transform(
        &self,
        payload: &Payload,
        analysed: &[(Slot, String, Arc<Vec<Span>>)],
        session: &mut Session,
    ) -> Result<Payload, PrivacyError> {
        match payload {
            Payload::Text(_) => {
                let (_, text, spans) = analysed
                    .first()
                    .ok_or_else(|| PrivacyError::Request("empty request".into()))?;
                Ok(Payload::Text(self.redactor.apply(text, spans, session)?))
            }
            Payload::Chat(v) => {
                let mut v = v.clone();
                for (slot, text, spans) in analysed {
                    let new = self.redactor.apply(text, spans, session)?;
                    let msgs = messages_mut(&mut v)
                        .ok_or_else(|| PrivacyError::Request("no messages".into()))?;
                    let target = match slot {
                        Slot::Text => None,
                        Slot::Content(i) => msgs.get_mut(*i).and_then(|m| m.get_mut("content")),
                        Slot::Part(i, j) => msgs
                            .get_mut(*i)
                            .and_then(|m| m.get_mut("content"))
                            .and_then(|c| c.get_mut(*j))
                            .and_then(|p| p.get_mut("text")),
                    };
                    if let Some(t) = target {
                        *t = Value::String(new);
                    }
                }
                Ok(Payload::Chat(v))
            }
        }
    }
}

fn messages(v: &Value) -> Option<&Vec<Value>> {
    match v {
        Value::Array(a) => Some(a),
        Value::Object(o) => o.get("messages").and_then(Value::as_array),
        _ => None,
    }
}

fn messages_mut(v: &mut Value) -> Option<&mut Vec<Value>> {
    match v {
        Value::Array(a) => Some(a),
        Value::Object(o) => o.get_mut("messages").and_then(Value::as_array_mut),
        _ => None,
    }
}

fn content_fields(payload: &Payload) -> Result<Vec<(Slot, String)>, PrivacyError> {
    match payload {
        Payload::Text(t) => Ok(vec![(Slot::Text, t.clone())]),
        Payload::Chat(v) => {
            let msgs = messages(v).ok_or_else(|| {
                PrivacyError::Request(
                    "chat request must be a message list or an object with `messages`".into(),
                )
            })?;
            let mut out = Vec::new();
            for (i, m) in msgs.iter().enumerate() {
                let Some(obj) = m.as_object() else {
                    return Err(PrivacyError::Request(format!(
                        "message `{i}` is not an object"
                    )));
                };
                match obj.get("content") {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) => out.push((Slot::Content(i), s.clone())),
                    Some(Value::Array(parts)) => {
                        for (j, p) in parts.iter().enumerate() {
                            match p.get("text") {
                                Some(Value::String(s)) => out.push((Slot::Part(i, j), s.clone())),
                                Some(_) => {
                                    return Err(PrivacyError::Request(format!(
                                        "message `{i}` part `{j}` text is not a string"
                                    )))
                                }
                                None => {}
                            }
                        }
                    }
                    Some(_) => {
                        return Err(PrivacyError::Request(format!(
                            "message `{i}` content is neither a string nor a list"
                        )))
                    }
                }
            }
            Ok(out)
        }
    }
}

/// The labels a request contains, as a set (for logs and audit).
pub fn kinds(decision: &RouteDecision) -> BTreeSet<&str> {
    decision.counts.keys().map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::detectors::CodeFingerprints;

    fn router(local: bool) -> Router {
        let redactor = Arc::new(
            Redactor::builder()
                .codebase(
                    CodeFingerprints::builder()
                        .add_source("src/secret.rs", "fn secret_sauce(x: &[u64]) -> u64 { let mut acc = 17; for v in x { acc = acc.wrapping_mul(31) ^ (v >> 3); if acc % 7 == 0 { acc += 1; } } acc }")
                        .build(),
                )
                .build()
                .unwrap(),
        );
        Router::builder()
            .local_endpoint(local)
            .build(redactor)
            .unwrap()
    }

    #[test]
    fn clean_text_passes() {
        let r = router(false);
        let d = r.route(
            "agent",
            EndpointKind::Remote,
            &Payload::Text("What is the capital of France?".into()),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Pass);
        assert_eq!(d.policy_ids, vec!["remote-clean-pass"]);
    }

    #[test]
    fn pii_is_transformed() {
        let r = router(false);
        let d = r.route(
            "agent",
            EndpointKind::Remote,
            &Payload::Text("Mail bob@corp.com now".into()),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Transform);
        assert_eq!(
            d.payload,
            Some(Payload::Text("Mail <EMAIL_ADDRESS> now".into()))
        );
        assert_eq!(d.counts.get("EMAIL_ADDRESS"), Some(&1));
    }

    #[test]
    fn private_key_goes_local_or_blocks() {
        let text = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
        let d = router(true).route(
            "a",
            EndpointKind::Remote,
            &Payload::Text(text.into()),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Local);
        assert_eq!(d.payload, Some(Payload::Text(text.into())));
        let d = router(false).route(
            "a",
            EndpointKind::Remote,
            &Payload::Text(text.into()),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Block);
        assert!(d.payload.is_none());
        // To a local endpoint it passes.
        let d = router(false).route(
            "a",
            EndpointKind::Local,
            &Payload::Text(text.into()),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Pass);
    }

    #[test]
    fn proprietary_code_goes_local() {
        let text = "review: fn f(y: &[u64]) -> u64 { let mut a = 17; for w in y { a = a.wrapping_mul(31) ^ (w >> 3); if a % 7 == 0 { a += 1; } } a }";
        let d = router(true).route(
            "a",
            EndpointKind::Remote,
            &Payload::Text(text.into()),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Local, "{d:?}");
    }

    #[test]
    fn bulk_cards_blocked_by_forbid() {
        let text = "4111 1111 1111 1111, ".repeat(12);
        let d = router(true).route(
            "a",
            EndpointKind::Remote,
            &Payload::Text(text),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Block);
        assert_eq!(d.policy_ids, vec!["remote-bulk-identifiers-block"]);
    }

    #[test]
    fn chat_messages_only_content_transformed() {
        let chat = json!({"model": "gpt-x", "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "My SSN is 536-22-1234", "name": "ana@example.com"},
            {"role": "user", "content": [{"type": "text", "text": "and mail ana@example.com"}, {"type": "image_url", "image_url": {"url": "http://x"}}]}
        ]});
        let d = router(false).route(
            "a",
            EndpointKind::Remote,
            &Payload::Chat(chat),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Transform);
        let Some(Payload::Chat(v)) = d.payload else {
            panic!("no payload")
        };
        assert_eq!(v["messages"][1]["content"], "My SSN is <US_SSN>");
        assert_eq!(v["messages"][1]["name"], "ana@example.com");
        assert_eq!(
            v["messages"][2]["content"][0]["text"],
            "and mail <EMAIL_ADDRESS>"
        );
        assert_eq!(v["model"], "gpt-x");
    }

    #[test]
    fn malformed_chat_blocks() {
        let d = router(false).route(
            "a",
            EndpointKind::Remote,
            &Payload::Chat(json!({"messages": [1]})),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Block);
        assert!(d.reasons[0].contains("not an object"));
    }

    #[test]
    fn custom_policy_and_invalid_policy() {
        let redactor = Arc::new(Redactor::builder().build().unwrap());
        let src = r#"@id("secrets-block") @route("block") permit(principal, action == PrivacyRouter::Action::"infer", resource) when { context.secrets > 0 };
                     @id("else-pass") @route("pass") permit(principal, action == PrivacyRouter::Action::"infer", resource);"#;
        let r = Router::builder()
            .policies(src)
            .build(redactor.clone())
            .unwrap();
        let d = r.route(
            "a",
            EndpointKind::Remote,
            &Payload::Text("key AKIAIOSFODNN7EXAMPLE".into()),
            &mut Session::ephemeral(),
        );
        assert_eq!(d.route, Route::Block);
        assert_eq!(d.policy_ids, vec!["secrets-block"]);
        let bad = r#"permit(principal, action == PrivacyRouter::Action::"infer", resource) when { context.nope > 0 };"#;
        assert!(matches!(
            Router::builder().policies(bad).build(redactor.clone()),
            Err(PrivacyError::Policy(_))
        ));
        let bad_route = r#"@route("maybe") permit(principal, action, resource);"#;
        assert!(Router::builder()
            .policies(bad_route)
            .build(redactor)
            .is_err());
    }
}
