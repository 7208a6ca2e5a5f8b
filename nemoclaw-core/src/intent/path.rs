//! Path normalization against a working directory and a home directory.

/// Whether `s` holds shell wildcard characters (kept as a pattern).
pub(crate) fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Normalize `raw` lexically: `~` and `~user` expanded, relative paths joined
/// to `cwd`, `.` and `..` resolved (never above `/`), duplicate slashes
/// removed. Symlinks are not followed (nothing touches the filesystem).
pub(crate) fn normalize(raw: &str, cwd: &str, home: &str) -> String {
    let joined: String = if raw == "~" {
        home.to_string()
    } else if let Some(rest) = raw.strip_prefix("~/") {
        format!("{home}/{rest}")
    } else if let Some(rest) = raw.strip_prefix('~') {
        // ~user or ~user/rest
        let (user, tail) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if user == "root" {
            format!("/root{tail}")
        } else if user.is_empty() || user.starts_with(['+', '-']) {
            format!("{cwd}/{raw}")
        } else {
            format!("/home/{user}{tail}")
        }
    } else if raw.starts_with('/') {
        raw.to_string()
    } else {
        format!("{cwd}/{raw}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = String::with_capacity(joined.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Whether an argument looks like a filesystem path rather than a plain word
/// (used for programs the knowledge base does not describe).
pub(crate) fn looks_like_path(s: &str) -> bool {
    if s.is_empty() || s.starts_with('-') || s.contains("://") {
        return false;
    }
    s.starts_with('/')
        || s.starts_with('~')
        || s.starts_with("./")
        || s.starts_with("../")
        || s == "."
        || s == ".."
        || (s.contains('/') && !s.contains(['=', ' ', '@', ':']))
        || has_file_extension(s)
}

fn has_file_extension(s: &str) -> bool {
    if s.contains(['=', ' ', ':', '@']) {
        return false;
    }
    match s.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && !ext.chars().all(|c| c.is_ascii_digit())
                && !stem.chars().all(|c| c.is_ascii_digit() || c == '.')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        let n = |p| normalize(p, "/home/dev/project", "/home/dev");
        assert_eq!(n("src/main.rs"), "/home/dev/project/src/main.rs");
        assert_eq!(n("../../../../etc/passwd"), "/etc/passwd");
        assert_eq!(n("~/.ssh/id_rsa"), "/home/dev/.ssh/id_rsa");
        assert_eq!(n("~"), "/home/dev");
        assert_eq!(n("~root/.bashrc"), "/root/.bashrc");
        assert_eq!(n("/a//b/./c/.."), "/a/b");
        assert_eq!(n("."), "/home/dev/project");
        assert_eq!(n("/"), "/");
        assert_eq!(n("*.log"), "/home/dev/project/*.log");
    }

    #[test]
    fn path_like() {
        assert!(looks_like_path("/etc/passwd"));
        assert!(looks_like_path("notes.txt"));
        assert!(looks_like_path("src/lib"));
        assert!(!looks_like_path("hello"));
        assert!(!looks_like_path("1.2.3"));
        assert!(!looks_like_path("--force"));
        assert!(!looks_like_path("https://x.y/z"));
    }
}
