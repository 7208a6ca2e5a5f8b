//! The scope algebra: what a token lets its agent do.
//!
//! A scope is one short string; a token carries a [`ScopeSet`]. Four kinds:
//!
//! | form | meaning |
//! |---|---|
//! | `fs:ro:<path>` | read files at or below the absolute path |
//! | `fs:rw:<path>` | read, create, modify and delete at or below the path |
//! | `net:<host>[:<port>]` | open connections to the host (any port when omitted) |
//! | `tool:<name>` | call the agent tool `name` |
//! | `<class>` | an action class: `exec`, `install`, ... ([`ActionClass`]) |
//!
//! Hosts are a DNS name (`api.example.com`), `*.<domain>` (any name strictly
//! below the domain, not the domain itself), `*` (any host), an IPv4 literal
//! or a bracketed IPv6 literal (`[::1]`). Tools are an exact name, `*` (any
//! tool) or `<namespace>.*` (any name strictly below the namespace).
//!
//! **Normalization.** Parsing yields the canonical text, which is what a
//! token stores: paths lose duplicate `/`, `.` components and a trailing `/`
//! (`..` is refused, since it cannot be resolved without a file system); host
//! names are lowercased and lose a trailing `.`; IP literals are printed in
//! their standard form; a port of `*` is the same as no port.
//!
//! **Containment.** Scope `a` is *within* scope `b` when everything `a` allows,
//! `b` allows too:
//! - `fs:M1:P1` within `fs:M2:P2` iff (`M1 == M2` or `M2 == rw`) and `P2` is a
//!   path-component prefix of `P1` (`/a` covers `/a` and `/a/b`, never `/ab`).
//! - `net:H1[:p1]` within `net:H2[:p2]` iff `H1` is within `H2` (`*` covers
//!   every host; `*.d` covers names ending in `.d` and `*.e` when `e` is `d`
//!   or ends in `.d`; a name or IP covers only itself) and either `p2` is
//!   absent or `p1 == p2`.
//! - `tool:T1` within `tool:T2` iff `T2` is `*`, or `T1 == T2`, or `T2` is
//!   `ns.*` and `T1` starts with `ns.` (names and narrower namespaces).
//! - An action class is within exactly itself.
//! - Scopes of different kinds are never within each other.
//!
//! A set `A` is within a set `B` iff every scope of `A` is within some scope
//! of `B`; the empty set is within every set.

use std::cmp::Ordering;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::IdentityError;

/// Longest scope string accepted, in bytes.
pub const MAX_SCOPE_LEN: usize = 1024;
/// Most scopes one token may carry.
pub const MAX_SCOPES: usize = 64;

/// Filesystem access mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FsAccess {
    /// Read only (`ro`).
    ReadOnly,
    /// Read and write (`rw`), which covers read only.
    ReadWrite,
}

/// A network host pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// `*`: every host.
    Any,
    /// A lowercase DNS name.
    Name(String),
    /// `*.<domain>`: every name strictly below the domain (the domain is stored).
    Subdomains(String),
    /// An IP literal.
    Ip(IpAddr),
}

/// A tool pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ToolPattern {
    /// `*`: every tool.
    Any,
    /// One tool by exact name.
    Name(String),
    /// `<ns>.*`: every tool name strictly below the namespace (the namespace is stored).
    Namespace(String),
}

/// Action classes: coarse rights that no file, host or tool scope expresses.
/// Their names are the intent parser's verb names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ActionClass {
    /// Run programs.
    Exec,
    /// Install packages.
    Install,
    /// Listen for inbound connections.
    Listen,
    /// Signal or kill processes.
    Kill,
    /// Change permission bits.
    Chmod,
    /// Change ownership.
    Chown,
    /// Gain privilege (sudo, su, setuid).
    Privilege,
    /// Install persistence (cron, services, shell rc files).
    Persist,
    /// Mount file systems.
    Mount,
    /// Change network configuration.
    NetworkConfig,
    /// Read credential stores.
    CredentialAccess,
    /// Run inline code given to an interpreter.
    InlineCode,
    /// Download content and execute it.
    DownloadExec,
}

impl ActionClass {
    /// Every action class, in documentation order.
    pub const ALL: [ActionClass; 13] = [
        ActionClass::Exec,
        ActionClass::Install,
        ActionClass::Listen,
        ActionClass::Kill,
        ActionClass::Chmod,
        ActionClass::Chown,
        ActionClass::Privilege,
        ActionClass::Persist,
        ActionClass::Mount,
        ActionClass::NetworkConfig,
        ActionClass::CredentialAccess,
        ActionClass::InlineCode,
        ActionClass::DownloadExec,
    ];

    /// The stable name (also the scope string).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionClass::Exec => "exec",
            ActionClass::Install => "install",
            ActionClass::Listen => "listen",
            ActionClass::Kill => "kill",
            ActionClass::Chmod => "chmod",
            ActionClass::Chown => "chown",
            ActionClass::Privilege => "privilege",
            ActionClass::Persist => "persist",
            ActionClass::Mount => "mount",
            ActionClass::NetworkConfig => "network_config",
            ActionClass::CredentialAccess => "credential_access",
            ActionClass::InlineCode => "inline_code",
            ActionClass::DownloadExec => "download_exec",
        }
    }

    /// The class with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// What a scope grants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// `fs:ro:<path>` / `fs:rw:<path>`; the path is normalized and absolute.
    Fs {
        /// Access mode.
        access: FsAccess,
        /// Normalized absolute path (`/` or no trailing `/`).
        path: String,
    },
    /// `net:<host>[:<port>]`.
    Net {
        /// Host pattern.
        host: HostPattern,
        /// Port; `None` is every port.
        port: Option<u16>,
    },
    /// `tool:<pattern>`.
    Tool(ToolPattern),
    /// An action class.
    Action(ActionClass),
}

/// One parsed, normalized scope. Equality and order follow the canonical
/// text (bytewise), which is also the order inside a [`ScopeSet`].
#[derive(Debug, Clone)]
pub struct Scope {
    text: String,
    kind: ScopeKind,
}

impl PartialEq for Scope {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for Scope {}
impl std::hash::Hash for Scope {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}
impl PartialOrd for Scope {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scope {
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.as_bytes().cmp(other.text.as_bytes())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Scope {
    type Err = IdentityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::parse(s)
    }
}

fn invalid(scope: &str, reason: impl Into<String>) -> IdentityError {
    let mut shown: String = scope.chars().take(80).collect();
    if shown.len() < scope.len() {
        shown.push('…');
    }
    IdentityError::ScopeInvalid {
        scope: shown.escape_debug().to_string(),
        reason: reason.into(),
    }
}

impl Scope {
    /// Parse and normalize a scope string.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        if s.len() > MAX_SCOPE_LEN {
            return Err(invalid(s, format!("longer than {MAX_SCOPE_LEN} bytes")));
        }
        if s.chars().any(char::is_control) {
            return Err(invalid(s, "control characters are not allowed"));
        }
        let kind = if let Some(rest) = s.strip_prefix("fs:") {
            let (mode, path) = rest
                .split_once(':')
                .ok_or_else(|| invalid(s, "expected `fs:ro:<path>` or `fs:rw:<path>`"))?;
            let access = match mode {
                "ro" => FsAccess::ReadOnly,
                "rw" => FsAccess::ReadWrite,
                _ => return Err(invalid(s, format!("unknown access mode `{mode}`"))),
            };
            ScopeKind::Fs {
                access,
                path: normalize_path(path).map_err(|r| invalid(s, r))?,
            }
        } else if let Some(rest) = s.strip_prefix("net:") {
            let (host, port) = parse_host_port(rest).map_err(|r| invalid(s, r))?;
            ScopeKind::Net { host, port }
        } else if let Some(rest) = s.strip_prefix("tool:") {
            ScopeKind::Tool(parse_tool(rest).map_err(|r| invalid(s, r))?)
        } else if let Some(class) = ActionClass::from_name(s) {
            ScopeKind::Action(class)
        } else {
            return Err(invalid(
                s,
                "expected `fs:ro:`, `fs:rw:`, `net:`, `tool:` or an action class such as `exec`",
            ));
        };
        Ok(Self::from_kind(kind))
    }

    /// The scope granting `kind` (its canonical text is derived).
    pub fn from_kind(kind: ScopeKind) -> Self {
        let text = match &kind {
            ScopeKind::Fs { access, path } => format!(
                "fs:{}:{path}",
                match access {
                    FsAccess::ReadOnly => "ro",
                    FsAccess::ReadWrite => "rw",
                }
            ),
            ScopeKind::Net { host, port } => {
                let host = match host {
                    HostPattern::Any => "*".to_owned(),
                    HostPattern::Name(n) => n.clone(),
                    HostPattern::Subdomains(d) => format!("*.{d}"),
                    HostPattern::Ip(IpAddr::V4(ip)) => ip.to_string(),
                    HostPattern::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
                };
                match port {
                    Some(p) => format!("net:{host}:{p}"),
                    None => format!("net:{host}"),
                }
            }
            ScopeKind::Tool(t) => match t {
                ToolPattern::Any => "tool:*".to_owned(),
                ToolPattern::Name(n) => format!("tool:{n}"),
                ToolPattern::Namespace(ns) => format!("tool:{ns}.*"),
            },
            ScopeKind::Action(c) => c.as_str().to_owned(),
        };
        Self { text, kind }
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the scope grants.
    pub fn kind(&self) -> &ScopeKind {
        &self.kind
    }

    /// Whether everything this scope allows, `other` allows too.
    pub fn is_within(&self, other: &Scope) -> bool {
        match (&self.kind, &other.kind) {
            (
                ScopeKind::Fs {
                    access: a1,
                    path: p1,
                },
                ScopeKind::Fs {
                    access: a2,
                    path: p2,
                },
            ) => (a1 == a2 || *a2 == FsAccess::ReadWrite) && path_within(p1, p2),
            (ScopeKind::Net { host: h1, port: q1 }, ScopeKind::Net { host: h2, port: q2 }) => {
                host_within(h1, h2) && (q2.is_none() || q1 == q2)
            }
            (ScopeKind::Tool(t1), ScopeKind::Tool(t2)) => tool_within(t1, t2),
            (ScopeKind::Action(c1), ScopeKind::Action(c2)) => c1 == c2,
            _ => false,
        }
    }
}

/// `true` when `p2` is a path-component prefix of `p1` (both normalized).
fn path_within(p1: &str, p2: &str) -> bool {
    p2 == "/"
        || p1 == p2
        || (p1.len() > p2.len() && p1.starts_with(p2) && p1.as_bytes()[p2.len()] == b'/')
}

fn name_below(name: &str, domain: &str) -> bool {
    name.len() > domain.len() + 1
        && name.ends_with(domain)
        && name.as_bytes()[name.len() - domain.len() - 1] == b'.'
}

fn host_within(h1: &HostPattern, h2: &HostPattern) -> bool {
    match h2 {
        HostPattern::Any => true,
        HostPattern::Name(_) | HostPattern::Ip(_) => h1 == h2,
        HostPattern::Subdomains(d) => match h1 {
            HostPattern::Name(n) => name_below(n, d),
            HostPattern::Subdomains(e) => e == d || name_below(e, d),
            HostPattern::Any | HostPattern::Ip(_) => false,
        },
    }
}

fn tool_within(t1: &ToolPattern, t2: &ToolPattern) -> bool {
    match t2 {
        ToolPattern::Any => true,
        ToolPattern::Name(_) => t1 == t2,
        ToolPattern::Namespace(ns) => match t1 {
            ToolPattern::Name(n) => {
                n.len() > ns.len() + 1
                    && n.starts_with(ns.as_str())
                    && n.as_bytes()[ns.len()] == b'.'
            }
            ToolPattern::Namespace(n1) => {
                n1 == ns
                    || (n1.len() > ns.len() + 1
                        && n1.starts_with(ns.as_str())
                        && n1.as_bytes()[ns.len()] == b'.')
            }
            ToolPattern::Any => false,
        },
    }
}

fn normalize_path(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("path `{path}` must be absolute"));
    }
    let mut out = String::with_capacity(path.len());
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("`..` components are not allowed".into()),
            _ => {
                out.push('/');
                out.push_str(part);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

fn parse_port(p: &str) -> Result<Option<u16>, String> {
    if p == "*" {
        return Ok(None);
    }
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port `{p}` is not a number from 1 to 65535"));
    }
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("port `{p}` is not a number from 1 to 65535")),
        Ok(n) => Ok(Some(n)),
    }
}

fn parse_host_port(s: &str) -> Result<(HostPattern, Option<u16>), String> {
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| "unclosed `[` in IPv6 literal".to_owned())?;
        let ip =
            Ipv6Addr::from_str(inside).map_err(|_| format!("`{inside}` is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(p) => parse_port(p)?,
                None => return Err(format!("unexpected `{after}` after IPv6 literal")),
            },
        };
        return Ok((HostPattern::Ip(IpAddr::V6(ip)), port));
    }
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => (h, parse_port(p)?),
        None => (s, None),
    };
    Ok((parse_host(host)?, port))
}

fn parse_host(host: &str) -> Result<HostPattern, String> {
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if let Some(domain) = host.strip_prefix("*.") {
        return Ok(HostPattern::Subdomains(parse_dns_name(domain)?));
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Ipv4Addr::from_str(host)
            .map(|ip| HostPattern::Ip(IpAddr::V4(ip)))
            .map_err(|_| format!("`{host}` is not an IPv4 address"));
    }
    Ok(HostPattern::Name(parse_dns_name(host)?))
}

fn parse_dns_name(name: &str) -> Result<String, String> {
    let lower = name.to_ascii_lowercase();
    let trimmed = lower.strip_suffix('.').unwrap_or(&lower);
    if trimmed.is_empty() || trimmed.len() > 253 {
        return Err(format!("host `{name}` must be 1 to 253 characters"));
    }
    for label in trimmed.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "host `{name}` is not a DNS name (labels of letters, digits, `-`, `_`; IDNs in punycode)"
            ));
        }
    }
    if trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!("host `{name}` looks like a malformed IP address"));
    }
    Ok(trimmed.to_owned())
}

fn valid_tool_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 256
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b':'))
        && !n.starts_with('.')
        && !n.ends_with('.')
        && !n.contains("..")
}

fn parse_tool(t: &str) -> Result<ToolPattern, String> {
    if t == "*" {
        return Ok(ToolPattern::Any);
    }
    if let Some(ns) = t.strip_suffix(".*") {
        if valid_tool_name(ns) {
            return Ok(ToolPattern::Namespace(ns.to_owned()));
        }
    } else if valid_tool_name(t) {
        return Ok(ToolPattern::Name(t.to_owned()));
    }
    Err(format!(
        "tool `{t}` must be `*`, a name of letters, digits, `_-./:` or `<namespace>.*`"
    ))
}

/// A normalized set of scopes: sorted bytewise by canonical text, no
/// duplicates, at most [`MAX_SCOPES`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet {
    scopes: Vec<Scope>,
}

impl ScopeSet {
    /// The empty set (grants nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse and normalize scope strings.
    pub fn parse<I, S>(items: I) -> Result<Self, IdentityError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = Self::new();
        for item in items {
            set.insert(Scope::parse(item.as_ref())?)?;
        }
        Ok(set)
    }

    /// Add a scope (a duplicate is ignored); refused past [`MAX_SCOPES`].
    pub fn insert(&mut self, scope: Scope) -> Result<(), IdentityError> {
        match self.scopes.binary_search(&scope) {
            Ok(_) => Ok(()),
            Err(at) => {
                if self.scopes.len() >= MAX_SCOPES {
                    return Err(invalid(
                        scope.as_str(),
                        format!("a token carries at most {MAX_SCOPES} scopes"),
                    ));
                }
                self.scopes.insert(at, scope);
                Ok(())
            }
        }
    }

    /// The scopes, in canonical order.
    pub fn iter(&self) -> std::slice::Iter<'_, Scope> {
        self.scopes.iter()
    }

    /// Number of scopes.
    pub fn len(&self) -> usize {
        self.scopes.len()
    }

    /// Whether the set grants nothing.
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// The canonical texts, in order.
    pub fn to_strings(&self) -> Vec<String> {
        self.scopes.iter().map(|s| s.text.clone()).collect()
    }

    /// Whether `scope` is within some scope of this set.
    pub fn permits(&self, scope: &Scope) -> bool {
        self.scopes.iter().any(|s| scope.is_within(s))
    }

    /// Whether every scope of this set is within `other`.
    pub fn is_within(&self, other: &ScopeSet) -> bool {
        self.first_not_within(other).is_none()
    }

    /// The first scope of this set that `other` does not cover, if any.
    pub fn first_not_within<'a>(&'a self, other: &ScopeSet) -> Option<&'a Scope> {
        self.scopes.iter().find(|s| !other.permits(s))
    }

    /// Whether the set allows reading `path` (absolute; normalized first).
    pub fn allows_read(&self, path: &str) -> bool {
        self.permits_parsed(|| {
            normalize_path(path).ok().map(|path| ScopeKind::Fs {
                access: FsAccess::ReadOnly,
                path,
            })
        })
    }

    /// Whether the set allows writing `path` (absolute; normalized first).
    pub fn allows_write(&self, path: &str) -> bool {
        self.permits_parsed(|| {
            normalize_path(path).ok().map(|path| ScopeKind::Fs {
                access: FsAccess::ReadWrite,
                path,
            })
        })
    }

    /// Whether the set allows connecting to `host` on `port` (`None`: any port).
    pub fn allows_connect(&self, host: &str, port: Option<u16>) -> bool {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let pattern = match IpAddr::from_str(host) {
            Ok(ip) => Some(HostPattern::Ip(ip)),
            Err(_) => parse_dns_name(host).ok().map(HostPattern::Name),
        };
        self.permits_parsed(|| pattern.map(|host| ScopeKind::Net { host, port }))
    }

    /// Whether the set allows calling the tool `name`.
    pub fn allows_tool(&self, name: &str) -> bool {
        self.permits_parsed(|| {
            valid_tool_name(name).then(|| ScopeKind::Tool(ToolPattern::Name(name.to_owned())))
        })
    }

    /// Whether the set holds the action class.
    pub fn allows_action(&self, class: ActionClass) -> bool {
        self.permits(&Scope::from_kind(ScopeKind::Action(class)))
    }

    fn permits_parsed(&self, kind: impl FnOnce() -> Option<ScopeKind>) -> bool {
        kind().is_some_and(|k| self.permits(&Scope::from_kind(k)))
    }
}

impl<'a> IntoIterator for &'a ScopeSet {
    type Item = &'a Scope;
    type IntoIter = std::slice::Iter<'a, Scope>;
    fn into_iter(self) -> Self::IntoIter {
        self.scopes.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(text: &str) -> Scope {
        Scope::parse(text).unwrap()
    }

    fn within(a: &str, b: &str) -> bool {
        s(a).is_within(&s(b))
    }

    #[test]
    fn normalization() {
        for (input, canonical) in [
            ("fs:ro:/work//repo/./src/", "fs:ro:/work/repo/src"),
            ("fs:rw:/", "fs:rw:/"),
            ("fs:rw:///", "fs:rw:/"),
            ("fs:ro:/a:b", "fs:ro:/a:b"),
            ("net:API.Example.COM.", "net:api.example.com"),
            ("net:*.Example.com:443", "net:*.example.com:443"),
            ("net:example.com:*", "net:example.com"),
            ("net:example.com:0443", "net:example.com:443"),
            ("net:[0:0:0:0:0:0:0:1]:8080", "net:[::1]:8080"),
            ("net:127.0.0.1", "net:127.0.0.1"),
            ("net:*", "net:*"),
            ("tool:github.*", "tool:github.*"),
            ("tool:*", "tool:*"),
            ("exec", "exec"),
            ("network_config", "network_config"),
        ] {
            assert_eq!(s(input).as_str(), canonical, "{input}");
        }
    }

    #[test]
    fn invalid_scopes_refused() {
        for bad in [
            "",
            "fs:ro:relative/path",
            "fs:ro:/a/../etc",
            "fs:xx:/a",
            "fs:/a",
            "fs:ro:/a\0b",
            "net:",
            "net:exa mple.com",
            "net:example.com:0",
            "net:example.com:65536",
            "net:example.com:-1",
            "net:-bad.com",
            "net:1.2.3",
            "net:256.1.1.1",
            "net:[::1",
            "net:[zz]",
            "net:*.",
            "net:a.*.com",
            "net:bücher.de",
            "tool:",
            "tool:.x",
            "tool:a*b",
            "tool:x..y",
            "EXEC",
            "shell",
            "fs:ro:/\n",
        ] {
            let err = Scope::parse(bad).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::ScopeInvalid, "{bad:?}");
        }
        assert!(Scope::parse(&format!("fs:ro:/{}", "a".repeat(MAX_SCOPE_LEN))).is_err());
    }

    #[test]
    fn fs_containment() {
        assert!(within("fs:ro:/work/repo", "fs:ro:/work"));
        assert!(within("fs:ro:/work", "fs:ro:/work"));
        assert!(within("fs:ro:/anything", "fs:ro:/"));
        assert!(within("fs:ro:/work/a", "fs:rw:/work"), "rw covers ro");
        assert!(within("fs:rw:/work/a", "fs:rw:/work"));
        assert!(
            !within("fs:rw:/work/a", "fs:ro:/work"),
            "ro never covers rw"
        );
        assert!(
            !within("fs:ro:/workspace", "fs:ro:/work"),
            "component prefix"
        );
        assert!(!within("fs:ro:/work", "fs:ro:/work/repo"));
        assert!(!within("fs:ro:/", "fs:ro:/work"));
    }

    #[test]
    fn net_containment() {
        assert!(within("net:api.example.com:443", "net:api.example.com"));
        assert!(within("net:api.example.com:443", "net:*.example.com:443"));
        assert!(within("net:a.b.example.com", "net:*.example.com"));
        assert!(within("net:*.b.example.com", "net:*.example.com"));
        assert!(within("net:*.example.com", "net:*.example.com"));
        assert!(within("net:anything.org:22", "net:*"));
        assert!(within("net:10.0.0.1", "net:*"));
        assert!(within("net:[::1]:80", "net:[::1]"));
        assert!(
            !within("net:example.com", "net:*.example.com"),
            "apex not below"
        );
        assert!(!within("net:badexample.com", "net:*.example.com"));
        assert!(!within("net:*.example.com", "net:api.example.com"));
        assert!(!within("net:api.example.com", "net:api.example.com:443"));
        assert!(!within("net:api.example.com:80", "net:api.example.com:443"));
        assert!(!within("net:*", "net:*.example.com"));
        assert!(!within("net:10.0.0.1", "net:*.example.com"));
        assert!(Scope::parse("net:*.0.0.1").is_err(), "IP-like wildcard");
        assert!(!within("net:example.com", "net:example.org"));
    }

    #[test]
    fn tool_and_action_containment() {
        assert!(within("tool:github.create_issue", "tool:github.*"));
        assert!(within("tool:github.repo.read", "tool:github.*"));
        assert!(within("tool:github.repo.*", "tool:github.*"));
        assert!(within("tool:github.*", "tool:*"));
        assert!(within("tool:search", "tool:search"));
        assert!(!within("tool:github", "tool:github.*"));
        assert!(!within("tool:githubx.a", "tool:github.*"));
        assert!(!within("tool:*", "tool:github.*"));
        assert!(!within("tool:search", "tool:fetch"));
        assert!(within("exec", "exec"));
        assert!(!within("install", "exec"));
        assert!(!within("exec", "tool:*"));
        assert!(!within("fs:ro:/", "net:*"));
    }

    #[test]
    fn set_semantics() {
        let parent =
            ScopeSet::parse(["fs:rw:/work", "net:*.github.com:443", "tool:*", "exec"]).unwrap();
        let child = ScopeSet::parse(["fs:ro:/work/src", "net:api.github.com:443"]).unwrap();
        assert!(child.is_within(&parent));
        assert!(!parent.is_within(&child));
        assert!(ScopeSet::new().is_within(&child));
        let wider = ScopeSet::parse(["fs:ro:/work/src", "install"]).unwrap();
        assert_eq!(wider.first_not_within(&parent).unwrap().as_str(), "install");
        assert!(parent.allows_read("/work/x/../y") || !parent.allows_read("/etc"));
        assert!(parent.allows_write("/work/a/b"));
        assert!(!parent.allows_write("/etc/passwd"));
        assert!(parent.allows_connect("API.github.com", Some(443)));
        assert!(!parent.allows_connect("api.github.com", Some(80)));
        assert!(!parent.allows_connect("api.github.com", None));
        assert!(parent.allows_tool("anything"));
        assert!(parent.allows_action(ActionClass::Exec));
        assert!(!parent.allows_action(ActionClass::Install));
        // order and duplicates are normalized away
        let a = ScopeSet::parse(["exec", "fs:ro:/a", "exec", "fs:ro:/a/"]).unwrap();
        assert_eq!(a.to_strings(), vec!["exec", "fs:ro:/a"]);
        let many: Vec<String> = (0..=MAX_SCOPES).map(|i| format!("fs:ro:/d{i}")).collect();
        assert!(ScopeSet::parse(&many).is_err());
    }

    fn path_strategy() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(vec!["a", "b", "ab", ".", ""]), 0..4)
            .prop_map(|parts| format!("/{}", parts.join("/")))
    }

    fn host_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("*".to_owned()),
            Just("10.0.0.1".to_owned()),
            Just("[::1]".to_owned()),
            (
                prop::collection::vec(prop::sample::select(vec!["x", "y", "xy"]), 1..4),
                any::<bool>()
            )
                .prop_map(|(labels, wild)| {
                    let name = labels.join(".");
                    if wild {
                        format!("*.{name}")
                    } else {
                        name
                    }
                }),
        ]
    }

    fn scope_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            (any::<bool>(), path_strategy())
                .prop_map(|(rw, p)| format!("fs:{}:{p}", if rw { "rw" } else { "ro" })),
            (
                host_strategy(),
                prop::option::of(prop::sample::select(vec![80u16, 443]))
            )
                .prop_map(|(h, p)| match p {
                    Some(p) => format!("net:{h}:{p}"),
                    None => format!("net:{h}"),
                }),
            prop::sample::select(vec![
                "tool:*",
                "tool:a",
                "tool:a.*",
                "tool:a.b",
                "tool:a.b.*"
            ])
            .prop_map(str::to_owned),
            prop::sample::select(vec!["exec", "install", "kill"]).prop_map(str::to_owned),
        ]
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in ".{0,64}") {
            let _ = Scope::parse(&text);
        }

        #[test]
        fn canonical_round_trip(text in scope_strategy()) {
            let scope = Scope::parse(&text).unwrap();
            let again = Scope::parse(scope.as_str()).unwrap();
            prop_assert_eq!(again.as_str(), scope.as_str());
            prop_assert_eq!(again.kind(), scope.kind());
        }

        #[test]
        fn within_is_reflexive_and_transitive(a in scope_strategy(), b in scope_strategy(), c in scope_strategy()) {
            let (a, b, c) = (s(&a), s(&b), s(&c));
            prop_assert!(a.is_within(&a));
            if a.is_within(&b) && b.is_within(&c) {
                prop_assert!(a.is_within(&c), "{} <= {} <= {}", a, b, c);
            }
            if a.is_within(&b) && b.is_within(&a) {
                prop_assert_eq!(&a, &b);
            }
        }

        #[test]
        fn rw_covers_ro(p in path_strategy(), q in path_strategy()) {
            let ro = s(&format!("fs:ro:{p}"));
            let rw_q = s(&format!("fs:rw:{q}"));
            let ro_q = s(&format!("fs:ro:{q}"));
            prop_assert_eq!(ro.is_within(&ro_q), ro.is_within(&rw_q));
        }

        #[test]
        fn set_within_matches_elements(a in prop::collection::vec(scope_strategy(), 0..5), b in prop::collection::vec(scope_strategy(), 0..5)) {
            let sa = ScopeSet::parse(&a).unwrap();
            let sb = ScopeSet::parse(&b).unwrap();
            let expected = sa.iter().all(|x| sb.iter().any(|y| x.is_within(y)));
            prop_assert_eq!(sa.is_within(&sb), expected);
            prop_assert!(sa.is_within(&sa));
            let sorted: Vec<_> = sa.to_strings();
            let mut resorted = sorted.clone();
            resorted.sort();
            resorted.dedup();
            prop_assert_eq!(sorted, resorted);
        }
    }
}
