//! Building Cedar entities: the principal from the agent's identity, the
//! resource and context from each parsed action, completed by the embedding
//! application's [`EntityProvider`].

use std::collections::HashMap;
use std::str::FromStr;

use cedar_policy::{Entities, Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};

use super::error::PolicyError;
use super::scope::{normalize_prefix, path_within, ScopeIndex};

/// Who is acting, as policy sees it: what a verified identity token says
/// (or a local default identity when none is presented).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct AgentContext {
    /// Agent id (token `sub`).
    pub agent_id: String,
    /// Task id.
    pub task_id: String,
    /// Goal text of the task.
    pub goal: String,
    /// Scope strings (`fs:rw:/home/dev/project`, `net:*.pypi.org`, `tool:search`, `exec`, ...).
    pub scopes: Vec<String>,
    /// Model `name@version`.
    pub model: String,
    /// `human`, `agent` or `service`.
    pub origin_kind: String,
    /// Id of the origin.
    pub origin_id: String,
    /// Delegation depth (0 for a root token).
    pub depth: u32,
    /// True when built from a verified token.
    pub authenticated: bool,
    /// Token id (`cti`, hex) for audit records; empty when none.
    pub cti: String,
    /// Hash of the token chain (hex) for audit records; empty when none.
    pub chain_hash: String,
}

impl AgentContext {
    /// The identity used when no token is presented (the CLI without
    /// `--token`): agent `local`, its workspace read-write, and the `exec`
    /// and `install` action classes.
    pub fn local(workspace: &str) -> Self {
        Self {
            agent_id: "local".to_owned(),
            task_id: "local".to_owned(),
            goal: "work in the workspace".to_owned(),
            scopes: vec![
                format!("fs:rw:{workspace}"),
                "exec".to_owned(),
                "install".to_owned(),
            ],
            model: String::new(),
            origin_kind: "human".to_owned(),
            origin_id: "local".to_owned(),
            depth: 0,
            authenticated: false,
            cti: String::new(),
            chain_hash: String::new(),
        }
    }
}

impl From<&crate::identity::VerifiedIdentity> for AgentContext {
    fn from(id: &crate::identity::VerifiedIdentity) -> Self {
        let model = if id.model_version().is_empty() {
            id.model_name().to_owned()
        } else {
            format!("{}@{}", id.model_name(), id.model_version())
        };
        Self {
            agent_id: id.agent_id().to_owned(),
            task_id: id.task_id().to_owned(),
            goal: id.goal().to_owned(),
            scopes: id.scopes().to_strings(),
            model,
            origin_kind: id.origin_kind().as_str().to_owned(),
            origin_id: id.origin_id().to_owned(),
            depth: id.depth(),
            authenticated: true,
            cti: id.cti_hex(),
            chain_hash: id.chain_hash_hex(),
        }
    }
}

impl Agent {
    /// Compiles the agent of a verified identity token.
    pub fn from_identity(id: &crate::identity::VerifiedIdentity) -> Result<Self, PolicyError> {
        Self::new(AgentContext::from(id))
    }
}

/// An agent compiled for policy evaluation: its Cedar entity and its scopes
/// indexed for matching. Build once per identity and reuse for every check.
#[derive(Debug, Clone)]
pub struct Agent {
    context: AgentContext,
    scopes: ScopeIndex,
    uid: EntityUid,
    entities: Entities,
}

impl Agent {
    /// Compiles an agent.
    pub fn new(context: AgentContext) -> Result<Self, PolicyError> {
        let fail = |reason: String| PolicyError::Principal {
            agent: context.agent_id.clone(),
            reason,
        };
        let scopes = ScopeIndex::new(context.scopes.iter().map(String::as_str)).map_err(fail)?;
        let uid = uid(&types().agent, &context.agent_id);
        let set = |items: &[String]| {
            RestrictedExpression::new_set(
                items
                    .iter()
                    .map(|s| RestrictedExpression::new_string(s.clone())),
            )
        };
        let attrs = [
            ("id", str_expr(&context.agent_id)),
            ("task_id", str_expr(&context.task_id)),
            ("goal", str_expr(&context.goal)),
            ("scopes", set(&context.scopes)),
            ("tools", set(&scopes.tools)),
            ("classes", set(&scopes.classes)),
            ("model", str_expr(&context.model)),
            ("origin_kind", str_expr(&context.origin_kind)),
            ("origin_id", str_expr(&context.origin_id)),
            (
                "depth",
                RestrictedExpression::new_long(i64::from(context.depth)),
            ),
            (
                "authenticated",
                RestrictedExpression::new_bool(context.authenticated),
            ),
        ];
        let entity = Entity::new_with_tags(
            uid.clone(),
            attrs.into_iter().map(|(k, v)| (k.to_owned(), v)),
            [],
            [],
        )
        .map_err(|e| fail(e.to_string()))?;
        let entities = Entities::from_entities([entity], None).map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            context,
            scopes,
            uid,
            entities,
        })
    }

    /// What the agent was built from.
    pub fn context(&self) -> &AgentContext {
        &self.context
    }

    /// Its scopes, indexed.
    pub fn scopes(&self) -> &ScopeIndex {
        &self.scopes
    }

    pub(crate) fn uid(&self) -> &EntityUid {
        &self.uid
    }

    pub(crate) fn entities(&self) -> &Entities {
        &self.entities
    }
}

/// Where a request runs: the workspace root, the current directory and the
/// home directory (all absolute).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Environment {
    /// The agent's workspace (project directory).
    pub workspace: String,
    /// Current directory of the request.
    pub cwd: String,
    /// Home directory.
    pub home: String,
}

impl Environment {
    /// An environment whose cwd is the workspace.
    pub fn new(workspace: &str, home: &str) -> Self {
        let workspace = normalize_prefix(workspace);
        Self {
            cwd: workspace.clone(),
            workspace,
            home: normalize_prefix(home),
        }
    }

    pub(crate) fn in_workspace(&self, path: &str, glob: bool) -> bool {
        path_within(path, &self.workspace, glob)
    }
}

/// Data classification of a file, as the application knows it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    /// Not known.
    #[default]
    Unknown,
    /// Public data.
    Public,
    /// Internal data.
    Internal,
    /// Confidential data.
    Confidential,
    /// Secrets (keys, credentials, regulated personal data).
    Secret,
}

impl Sensitivity {
    /// The name policies see in `File.sensitivity`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Unknown => "unknown",
            Sensitivity::Public => "public",
            Sensitivity::Internal => "internal",
            Sensitivity::Confidential => "confidential",
            Sensitivity::Secret => "secret",
        }
    }
}

/// What the application knows about a path that the parser cannot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileFacts {
    /// A backup of it exists.
    pub backed_up: bool,
    /// It belongs to production.
    pub production: bool,
    /// Its data classification.
    pub sensitivity: Sensitivity,
}

/// What the application knows about a host that the parser cannot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// It is a production host.
    pub production: bool,
}

/// The callback through which the embedding application supplies facts
/// about resources (backups, production, classification). Called at most
/// once per distinct path or host per check (answers are cached for the
/// check). Implementations must be fast and must not block for long: they
/// run inside `Guard::check`.
pub trait EntityProvider: Send + Sync {
    /// Facts about a normalized absolute path.
    fn file(&self, path: &str) -> FileFacts {
        let _ = path;
        FileFacts::default()
    }

    /// Facts about a host name or IP literal.
    fn host(&self, host: &str) -> HostFacts {
        let _ = host;
        HostFacts::default()
    }
}

/// An [`EntityProvider`] from a static description, typically a JSON file:
///
/// ```json
/// { "backed_up": ["/data", "/home/dev"],
///   "production_paths": ["/srv/prod"],
///   "production_hosts": ["*.prod.example.com", "db1.internal"],
///   "sensitivity": { "/srv/hr": "secret", "/srv/wiki": "internal" } }
/// ```
///
/// Paths are prefixes (a fact about `/data` holds for everything below it);
/// for sensitivity the longest matching prefix wins.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticFacts {
    /// Path prefixes that are backed up.
    #[serde(default)]
    pub backed_up: Vec<String>,
    /// Path prefixes that belong to production.
    #[serde(default)]
    pub production_paths: Vec<String>,
    /// Host patterns (`*.prod.example.com`, `db1`) that are production.
    #[serde(default)]
    pub production_hosts: Vec<String>,
    /// Classification by path prefix.
    #[serde(default)]
    pub sensitivity: HashMap<String, Sensitivity>,
}

impl StaticFacts {
    /// Parses the JSON form.
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let mut facts: StaticFacts =
            serde_json::from_str(text).map_err(|e| PolicyError::Manifest {
                path: "facts".to_owned(),
                reason: e.to_string(),
            })?;
        for p in facts
            .backed_up
            .iter_mut()
            .chain(facts.production_paths.iter_mut())
        {
            *p = normalize_prefix(p);
        }
        facts.sensitivity = facts
            .sensitivity
            .into_iter()
            .map(|(k, v)| (normalize_prefix(&k), v))
            .collect();
        for h in &facts.production_hosts {
            if super::scope::HostPattern::parse(h).is_none() {
                return Err(PolicyError::Manifest {
                    path: "facts".to_owned(),
                    reason: format!("malformed host pattern `{h}`"),
                });
            }
        }
        Ok(facts)
    }
}

impl EntityProvider for StaticFacts {
    fn file(&self, path: &str) -> FileFacts {
        let within = |p: &String| path_within(path, p, false);
        FileFacts {
            backed_up: self.backed_up.iter().any(within),
            production: self.production_paths.iter().any(within),
            sensitivity: self
                .sensitivity
                .iter()
                .filter(|(p, _)| within(p))
                .max_by_key(|(p, _)| p.len())
                .map(|(_, s)| *s)
                .unwrap_or_default(),
        }
    }

    fn host(&self, host: &str) -> HostFacts {
        HostFacts {
            production: self
                .production_hosts
                .iter()
                .filter_map(|p| super::scope::HostPattern::parse(p))
                .any(|p| p.matches(host, None)),
        }
    }
}

/// Per-check cache of provider answers.
pub(crate) struct FactCache<'a> {
    provider: Option<&'a dyn EntityProvider>,
    files: Vec<(String, FileFacts)>,
    hosts: Vec<(String, HostFacts)>,
}

impl<'a> FactCache<'a> {
    pub(crate) fn new(provider: Option<&'a dyn EntityProvider>) -> Self {
        Self {
            provider,
            files: Vec::new(),
            hosts: Vec::new(),
        }
    }

    pub(crate) fn file(&mut self, path: &str) -> FileFacts {
        let Some(provider) = self.provider else {
            return FileFacts::default();
        };
        if let Some((_, f)) = self.files.iter().find(|(p, _)| p == path) {
            return *f;
        }
        let f = provider.file(path);
        self.files.push((path.to_owned(), f));
        f
    }

    pub(crate) fn host(&mut self, host: &str) -> HostFacts {
        let Some(provider) = self.provider else {
            return HostFacts::default();
        };
        if let Some((_, f)) = self.hosts.iter().find(|(h, _)| h == host) {
            return *f;
        }
        let f = provider.host(host);
        self.hosts.push((host.to_owned(), f));
        f
    }
}

/// Entity type names, parsed once.
pub(crate) struct Types {
    pub agent: EntityTypeName,
    pub file: EntityTypeName,
    pub host: EntityTypeName,
    pub url: EntityTypeName,
    pub program: EntityTypeName,
    pub tool: EntityTypeName,
    pub endpoint: EntityTypeName,
    pub process: EntityTypeName,
    pub package: EntityTypeName,
    pub env_var: EntityTypeName,
    pub unknown: EntityTypeName,
    pub action: EntityTypeName,
}

pub(crate) fn types() -> &'static Types {
    static TYPES: std::sync::OnceLock<Types> = std::sync::OnceLock::new();
    TYPES.get_or_init(|| {
        // These literals are valid Cedar identifiers; a failure here would be
        // a bug caught by every test.
        #[allow(clippy::expect_used)] // constant, valid identifiers
        let t = |s: &str| EntityTypeName::from_str(s).expect("valid entity type name");
        Types {
            agent: t("Agent"),
            file: t("File"),
            host: t("Host"),
            url: t("Url"),
            program: t("Program"),
            tool: t("Tool"),
            endpoint: t("Endpoint"),
            process: t("Process"),
            package: t("Package"),
            env_var: t("EnvVar"),
            unknown: t("Unknown"),
            action: t("Action"),
        }
    })
}

pub(crate) fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
}

pub(crate) fn str_expr(s: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(s.to_owned())
}
