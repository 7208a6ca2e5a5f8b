//! The parser's output model, shared by the policy engine, the audit trail
//! and every binding. Serialized with serde as documented JSON (lowercase
//! snake_case names), which is what `nemoclaw check` prints.

use serde::{Deserialize, Serialize};

/// Everything a request would do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// The actions found, in input order.
    pub actions: Vec<Action>,
    /// A parser limit (size, depth or action count) was reached: the list is
    /// incomplete and policy must treat the request as escalate at least.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overflow: bool,
}

/// One thing a request would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// What kind of effect.
    pub verb: Verb,
    /// What it acts on.
    pub resource: Resource,
    /// Modifiers (recursive, force, remote, via_sudo, obfuscated, ...).
    #[serde(default)]
    pub attrs: ActionAttrs,
    /// MITRE ATT&CK technique ids (e.g. `T1059.004`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
    /// Where in the input this action came from.
    pub span: Span,
}

/// The kind of effect an action has. One Cedar action exists per verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verb {
    /// Read a file or directory.
    Read,
    /// Create or modify a file.
    Write,
    /// Remove a file or directory.
    Delete,
    /// Execute a program.
    Exec,
    /// Open an outbound network connection.
    Connect,
    /// Listen for inbound connections.
    Listen,
    /// Change permission bits.
    Chmod,
    /// Change ownership.
    Chown,
    /// Gain privilege (sudo, su, doas, setuid).
    Privilege,
    /// Install persistence (cron, systemd units, shell rc files, ...).
    Persist,
    /// Install a package.
    Install,
    /// Signal or kill a process.
    Kill,
    /// Mount or unmount a filesystem.
    Mount,
    /// Change network configuration (firewall, routes, interfaces).
    NetworkConfig,
    /// Read credentials (key stores, cloud credentials, password files).
    CredentialAccess,
    /// Erase or tamper with logs or shell history.
    LogTamper,
    /// Run code given inline to an interpreter (`python -c`, `perl -e`, ...).
    InlineCode,
    /// Download content and execute it.
    DownloadExec,
    /// Call an agent tool (MCP `tools/call` and the like).
    CallTool,
}

impl Verb {
    /// The stable snake_case name (the Cedar action id and the JSON name).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Read => "read",
            Verb::Write => "write",
            Verb::Delete => "delete",
            Verb::Exec => "exec",
            Verb::Connect => "connect",
            Verb::Listen => "listen",
            Verb::Chmod => "chmod",
            Verb::Chown => "chown",
            Verb::Privilege => "privilege",
            Verb::Persist => "persist",
            Verb::Install => "install",
            Verb::Kill => "kill",
            Verb::Mount => "mount",
            Verb::NetworkConfig => "network_config",
            Verb::CredentialAccess => "credential_access",
            Verb::LogTamper => "log_tamper",
            Verb::InlineCode => "inline_code",
            Verb::DownloadExec => "download_exec",
            Verb::CallTool => "call_tool",
        }
    }
}

/// Network classification of a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostClass {
    /// 127.0.0.0/8, ::1, `localhost`.
    Loopback,
    /// RFC 1918, ULA, CGNAT and similar internal ranges.
    Private,
    /// Link-local, including cloud metadata services (169.254.169.254, fd00:ec2::254).
    Metadata,
    /// Anything else, including unresolved names.
    Public,
}

/// What an action acts on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resource {
    /// A filesystem path, normalized against cwd and home; `glob` is true when
    /// it still holds wildcard characters (kept as a pattern).
    Path {
        /// The normalized path.
        path: String,
        /// Holds `*`, `?` or `[...]` wildcards.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        glob: bool,
    },
    /// A network host.
    Host {
        /// Name or IP literal.
        host: String,
        /// Port when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        /// Classification.
        class: HostClass,
    },
    /// A URL (its host is classified as for `Host`).
    Url {
        /// The URL as written.
        url: String,
        /// Its host.
        host: String,
        /// Its port when explicit or implied by the scheme.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        /// Classification of the host.
        class: HostClass,
    },
    /// A program to execute (name or path as resolved).
    Program {
        /// Program name or path.
        name: String,
    },
    /// A process (by pid, name or pattern).
    Process {
        /// What identifies it.
        target: String,
    },
    /// A package to install.
    Package {
        /// Ecosystem (`pip`, `npm`, `cargo`, `apt`, ...).
        manager: String,
        /// Package name (with version spec when given).
        name: String,
    },
    /// An environment variable.
    EnvVar {
        /// Its name.
        name: String,
    },
    /// An agent tool.
    Tool {
        /// Tool name.
        name: String,
    },
    /// Something that could not be resolved statically.
    Unknown {
        /// The raw text.
        text: String,
    },
}

/// Modifiers of an action. All flags default to false.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActionAttrs {
    /// Recursive (`rm -r`, `chmod -R`, ...).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recursive: bool,
    /// Forced (`rm -f`, `git push --force`, ...).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    /// Happens on another host (`ssh HOST CMD`, `kubectl exec`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// Runs with elevated privilege (sudo, doas, su).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub via_sudo: bool,
    /// Came out of decoding (base64, hex, printf escapes) or similar hiding.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub obfuscated: bool,
    /// Could not be resolved statically (unknown variable, substitution in
    /// command position, ...).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unresolved: bool,
    /// Output is piped into a shell or interpreter.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pipe_to_shell: bool,
    /// Empties the target: its previous content is destroyed and nothing
    /// takes its place (`: > f`, a bare `> f`, `truncate -s 0 f`,
    /// `cp /dev/null f`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncate: bool,
    /// A listener the command explicitly binds beyond loopback: to every
    /// interface (`0.0.0.0`, `::`, `*`) or to a non-loopback address. A
    /// server's default bind address leaves it false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exposed: bool,
}

/// Byte range in the original input (`end` exclusive). For nested or decoded
/// text it is the range of the outermost text it came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}
