//! Matching of token scopes against resources: filesystem prefixes, host
//! patterns, tools and action classes. Cedar cannot test "is this path under
//! one of these prefixes", so NemoClaw computes it here and hands the answer
//! to policies as resource attributes (`File.readable`, `Host.in_scope`, ...).

/// A host pattern: `example.com`, `*.example.com` (any subdomain, and the
/// domain itself), or `*` (any host); with an optional port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    host: String,
    wildcard: bool,
    port: Option<u16>,
}

impl HostPattern {
    /// Parses `HOST[:PORT]`, `*.DOMAIN[:PORT]` or `*`. Returns `None` when the
    /// port is not a number.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        // An IPv6 literal in brackets: `[::1]:8080`.
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (h, after) = rest.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p.parse().ok()?),
                None if after.is_empty() => None,
                None => return None,
            };
            (h.to_owned(), port)
        } else {
            match text.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h.to_owned(), Some(p.parse().ok()?)),
                _ => (text.to_owned(), None),
            }
        };
        let host = host.to_ascii_lowercase();
        if host == "*" {
            return Some(Self {
                host: String::new(),
                wildcard: true,
                port,
            });
        }
        match host.strip_prefix("*.") {
            Some(domain) if !domain.is_empty() => Some(Self {
                host: domain.to_owned(),
                wildcard: true,
                port,
            }),
            _ => Some(Self {
                host,
                wildcard: false,
                port,
            }),
        }
    }

    /// Does this pattern cover `host` (case-insensitive) on `port`?
    pub fn matches(&self, host: &str, port: Option<u16>) -> bool {
        if let Some(want) = self.port {
            if port != Some(want) {
                return false;
            }
        }
        let host = host.trim_end_matches('.');
        if self.wildcard {
            if self.host.is_empty() {
                return true;
            }
            if host.eq_ignore_ascii_case(&self.host) {
                return true;
            }
            host.len() > self.host.len() + 1
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
                && host[host.len() - self.host.len()..].eq_ignore_ascii_case(&self.host)
        } else {
            host.eq_ignore_ascii_case(&self.host)
        }
    }
}

/// Normalizes a filesystem prefix: no trailing slash (except `/` itself).
pub fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Is `path` equal to `prefix` or below it? `prefix` must be normalized
/// ([`normalize_prefix`]). For a glob path, the part before the first
/// wildcard's directory must be covered.
pub fn path_within(path: &str, prefix: &str, glob: bool) -> bool {
    let path = if glob { literal_dir(path) } else { path };
    if prefix == "/" {
        return path.starts_with('/');
    }
    match path.strip_prefix(prefix) {
        Some("") => true,
        Some(rest) => rest.starts_with('/'),
        None => false,
    }
}

/// The directory part of a glob path before its first wildcard:
/// `/a/b/*.log` → `/a/b`, `/a/b*` → `/a`.
fn literal_dir(path: &str) -> &str {
    let first = path.find(['*', '?', '[']).unwrap_or(path.len());
    match path[..first].rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "",
    }
}

/// The scopes of one agent, split by kind for fast matching.
#[derive(Debug, Clone, Default)]
pub struct ScopeIndex {
    /// `fs:ro:` and `fs:rw:` prefixes (readable).
    pub read: Vec<String>,
    /// `fs:rw:` prefixes (writable).
    pub write: Vec<String>,
    /// `net:` patterns.
    pub net: Vec<HostPattern>,
    /// `tool:` names (`*` for all).
    pub tools: Vec<String>,
    /// Scopes without a `:` (action classes such as `exec`, `install`).
    pub classes: Vec<String>,
}

impl ScopeIndex {
    /// Splits scope strings by kind. Unknown kinds are kept only in the raw
    /// set the policy sees; a malformed `net:` pattern is an error.
    pub fn new<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut index = ScopeIndex::default();
        for scope in scopes {
            if let Some(prefix) = scope.strip_prefix("fs:rw:") {
                let p = normalize_prefix(prefix);
                index.read.push(p.clone());
                index.write.push(p);
            } else if let Some(prefix) = scope.strip_prefix("fs:ro:") {
                index.read.push(normalize_prefix(prefix));
            } else if let Some(pattern) = scope.strip_prefix("net:") {
                let parsed = HostPattern::parse(pattern)
                    .ok_or_else(|| format!("malformed network scope `{scope}`"))?;
                index.net.push(parsed);
            } else if let Some(tool) = scope.strip_prefix("tool:") {
                index.tools.push(tool.to_owned());
            } else if !scope.contains(':') && !scope.is_empty() {
                index.classes.push(scope.to_owned());
            }
        }
        Ok(index)
    }

    /// Covered by a read (or read-write) scope.
    pub fn readable(&self, path: &str, glob: bool) -> bool {
        self.read.iter().any(|p| path_within(path, p, glob))
    }

    /// Covered by a read-write scope.
    pub fn writable(&self, path: &str, glob: bool) -> bool {
        self.write.iter().any(|p| path_within(path, p, glob))
    }

    /// Covered by a network scope.
    pub fn host_in_scope(&self, host: &str, port: Option<u16>) -> bool {
        self.net.iter().any(|p| p.matches(host, port))
    }

    /// Granted by a tool scope.
    pub fn tool_in_scope(&self, tool: &str) -> bool {
        self.tools.iter().any(|t| t == "*" || t == tool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_whole_components() {
        assert!(path_within("/home/dev/project", "/home/dev/project", false));
        assert!(path_within(
            "/home/dev/project/src/a.rs",
            "/home/dev/project",
            false
        ));
        assert!(!path_within(
            "/home/dev/project2",
            "/home/dev/project",
            false
        ));
        assert!(!path_within("/home/dev", "/home/dev/project", false));
        assert!(path_within("/anything", "/", false));
    }

    #[test]
    fn globs_are_judged_by_their_literal_directory() {
        assert!(path_within(
            "/home/dev/project/*.log",
            "/home/dev/project",
            true
        ));
        assert!(!path_within("/home/dev/proj*", "/home/dev/project", true));
        assert!(!path_within("/*", "/home/dev/project", true));
    }

    #[test]
    fn host_patterns() {
        let p = HostPattern::parse("*.pypi.org").unwrap();
        assert!(p.matches("pypi.org", Some(443)));
        assert!(p.matches("files.PyPI.org", None));
        assert!(!p.matches("evilpypi.org", None));
        let p = HostPattern::parse("example.com:8443").unwrap();
        assert!(p.matches("example.com", Some(8443)));
        assert!(!p.matches("example.com", Some(443)));
        assert!(!p.matches("example.com", None));
        assert!(HostPattern::parse("*").unwrap().matches("x.y", None));
        assert!(HostPattern::parse("[::1]:80")
            .unwrap()
            .matches("::1", Some(80)));
        assert!(HostPattern::parse("a:notaport").is_none());
    }

    #[test]
    fn scopes_split_by_kind() {
        let s = ScopeIndex::new([
            "fs:rw:/home/dev/project/",
            "fs:ro:/usr",
            "net:*.github.com",
            "tool:search",
            "exec",
        ])
        .unwrap();
        assert!(s.writable("/home/dev/project/x", false));
        assert!(!s.writable("/usr/bin/ls", false));
        assert!(s.readable("/usr/bin/ls", false));
        assert!(s.host_in_scope("api.github.com", Some(443)));
        assert!(s.tool_in_scope("search"));
        assert!(!s.tool_in_scope("shell"));
        assert_eq!(s.classes, vec!["exec".to_owned()]);
        assert!(ScopeIndex::new(["net:host:port"]).is_err());
    }
}
