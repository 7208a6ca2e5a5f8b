//! Name classes: pattern lists a pack declares once, in `classes.toml`
//! next to its `.cedar` files, and NemoClaw matches in one pass per
//! resource when it builds the resource's entity. Policies then test
//! `resource.classes.contains("credential")` instead of evaluating a long
//! chain of `like` comparisons for every action.
//!
//! ```toml
//! # Matched against File.path.
//! [path]
//! credential = ["*/.ssh/*", "*/.aws/*", "/etc/shadow"]
//! # Matched against Program.basename.
//! [program]
//! remote_login = ["ssh", "scp", "telnet"]
//! # Matched against Process.target.
//! [process]
//! security_agent = ["*osquery*", "auditd"]
//! ```
//!
//! Patterns have exactly the semantics of Cedar's `like`: `*` matches any
//! sequence of characters (`/` and newlines included, possibly none), `\*`
//! matches a literal star and `\\` a literal backslash (in TOML's basic
//! strings each backslash is itself written twice: `"/\\*"` is the path
//! `/*`), every other character matches itself, and the
//! whole string must match. A class holds when any of its patterns matches.
//! The patterns of one kind are compiled into a single automaton
//! (`regex-automata`, every pattern anchored at both ends), so the cost of
//! classifying a resource does not grow with the number of patterns.

use std::collections::BTreeMap;

use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input, MatchKind, PatternSet};
use serde::Deserialize;

use super::error::PolicyError;

/// The file name of a pack's class table.
pub const CLASSES_FILE: &str = "classes.toml";

/// One element of a `like` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// `*`: any sequence of characters.
    Wildcard,
    /// A literal character.
    Char(char),
}

/// Parses a pattern as Cedar's `like` reads the text between its quotes
/// once string escapes are resolved: `\*` is a literal star, `\\` a literal
/// backslash, `*` a wildcard. A backslash before anything else stands for
/// itself.
pub(crate) fn parse_pattern(pattern: &str) -> Vec<Piece> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '\\')) => {
                if let Some(escaped) = chars.next() {
                    out.push(Piece::Char(escaped));
                }
            }
            '*' => out.push(Piece::Wildcard),
            c => out.push(Piece::Char(c)),
        }
    }
    out
}

/// The pattern written as a Cedar string literal for `like` (quotes
/// included), for tests and documentation.
pub fn cedar_like_literal(pattern: &str) -> String {
    let mut s = String::with_capacity(pattern.len() + 2);
    s.push('"');
    for piece in parse_pattern(pattern) {
        match piece {
            Piece::Wildcard => s.push('*'),
            Piece::Char('*') => s.push_str("\\*"),
            Piece::Char('"') => s.push_str("\\\""),
            Piece::Char('\\') => s.push_str("\\\\"),
            Piece::Char(c) if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", c as u32)),
            Piece::Char(c) => s.push(c),
        }
    }
    s.push('"');
    s
}

fn pattern_regex(pattern: &str) -> String {
    let mut re = String::from(r"(?s)\A");
    let mut literal = String::new();
    for piece in parse_pattern(pattern) {
        match piece {
            Piece::Char(c) => literal.push(c),
            Piece::Wildcard => {
                re.push_str(&regex::escape(&literal));
                literal.clear();
                re.push_str(".*");
            }
        }
    }
    re.push_str(&regex::escape(&literal));
    re.push_str(r"\z");
    re
}

/// The pattern lists of one resource kind, compiled.
#[derive(Debug, Clone, Default)]
struct Matcher {
    /// Class names, sorted.
    names: Vec<String>,
    /// Every pattern of every class, one automaton.
    regex: Option<Regex>,
    /// Pattern index → class index.
    class_of: Vec<usize>,
}

impl Matcher {
    fn compile(classes: &BTreeMap<String, Vec<String>>, file: &str) -> Result<Self, PolicyError> {
        let mut names = Vec::with_capacity(classes.len());
        let mut patterns = Vec::new();
        let mut class_of = Vec::new();
        for (i, (name, list)) in classes.iter().enumerate() {
            if name.is_empty() || name.chars().any(char::is_whitespace) {
                return Err(PolicyError::Manifest {
                    path: file.to_owned(),
                    reason: format!("class name `{name}` must be non-empty, without spaces"),
                });
            }
            if list.is_empty() {
                return Err(PolicyError::Manifest {
                    path: file.to_owned(),
                    reason: format!("class `{name}` has no pattern"),
                });
            }
            names.push(name.clone());
            for p in list {
                patterns.push(pattern_regex(p));
                class_of.push(i);
            }
        }
        let regex = if patterns.is_empty() {
            None
        } else {
            let built = Regex::builder()
                .configure(Regex::config().match_kind(MatchKind::All))
                .build_many(&patterns)
                .map_err(|e| PolicyError::Manifest {
                    path: file.to_owned(),
                    reason: format!("cannot compile the patterns: {e}"),
                })?;
            Some(built)
        };
        Ok(Self {
            names,
            regex,
            class_of,
        })
    }

    fn classify<'a>(&'a self, text: &str, out: &mut Vec<&'a str>) {
        out.clear();
        let Some(regex) = &self.regex else {
            return;
        };
        let mut set = PatternSet::new(regex.pattern_len());
        regex.which_overlapping_matches(&Input::new(text).anchored(Anchored::Yes), &mut set);
        if set.is_empty() {
            return;
        }
        let mut hit = vec![false; self.names.len()];
        for pid in set.iter() {
            if let Some(&c) = self.class_of.get(pid.as_usize()) {
                if let Some(h) = hit.get_mut(c) {
                    *h = true;
                }
            }
        }
        out.extend(
            self.names
                .iter()
                .zip(hit)
                .filter(|(_, h)| *h)
                .map(|(n, _)| n.as_str()),
        );
    }
}

/// The `classes.toml` file of a pack.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassSource {
    /// Classes of `File.path`.
    #[serde(default)]
    pub path: BTreeMap<String, Vec<String>>,
    /// Classes of `Program.basename`.
    #[serde(default)]
    pub program: BTreeMap<String, Vec<String>>,
    /// Classes of `Process.target`.
    #[serde(default)]
    pub process: BTreeMap<String, Vec<String>>,
}

impl ClassSource {
    /// Parses the TOML text (`file` names it in errors).
    pub fn parse(text: &str, file: &str) -> Result<Self, PolicyError> {
        toml::from_str(text).map_err(|e| PolicyError::Manifest {
            path: file.to_owned(),
            reason: e.to_string().trim().replace('\n', " "),
        })
    }
}

/// A pack's classes, compiled: immutable, `Send + Sync`.
#[derive(Debug, Clone, Default)]
pub struct ClassTable {
    path: Matcher,
    program: Matcher,
    process: Matcher,
}

impl ClassTable {
    /// Compiles the pattern lists (`file` names the source in errors).
    pub fn compile(source: &ClassSource, file: &str) -> Result<Self, PolicyError> {
        Ok(Self {
            path: Matcher::compile(&source.path, file)?,
            program: Matcher::compile(&source.program, file)?,
            process: Matcher::compile(&source.process, file)?,
        })
    }

    /// The classes of a path (sorted names).
    pub fn path_classes(&self, path: &str) -> Vec<&str> {
        let mut out = Vec::new();
        self.path.classify(path, &mut out);
        out
    }

    /// The classes of a program basename (sorted names).
    pub fn program_classes(&self, basename: &str) -> Vec<&str> {
        let mut out = Vec::new();
        self.program.classify(basename, &mut out);
        out
    }

    /// The classes of a process target (sorted names).
    pub fn process_classes(&self, target: &str) -> Vec<&str> {
        let mut out = Vec::new();
        self.process.classify(target, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(toml: &str) -> ClassTable {
        ClassTable::compile(&ClassSource::parse(toml, "t").unwrap(), "t").unwrap()
    }

    #[test]
    fn wildcards_span_slashes_and_anchor_both_ends() {
        let t = table(
            r#"[path]
            ssh = ["*/.ssh/*"]
            root = ["/root*"]
            star = ["/\\*"]
            exact = ["/etc/shadow"]"#,
        );
        assert_eq!(t.path_classes("/home/a/.ssh/id"), ["ssh"]);
        assert_eq!(t.path_classes("/a/b/.ssh/c/d"), ["ssh"]);
        assert!(t.path_classes("/home/a/.ssh").is_empty());
        assert_eq!(t.path_classes("/root"), ["root"]);
        assert_eq!(t.path_classes("/rootkit/x"), ["root"]);
        assert_eq!(t.path_classes("/*"), ["star"]);
        assert!(t.path_classes("/x").is_empty());
        assert_eq!(t.path_classes("/etc/shadow"), ["exact"]);
        assert!(t.path_classes("/etc/shadow2").is_empty());
        assert!(t.path_classes("x/etc/shadow").is_empty());
        assert_eq!(t.path_classes("/root/.ssh/k"), ["root", "ssh"]);
    }

    #[test]
    fn regex_metacharacters_are_literal() {
        let t = table(
            r#"[program]
            py = ["psexec.py", "a+b", "(x)|y", "[z]"]"#,
        );
        assert_eq!(t.program_classes("psexec.py"), ["py"]);
        assert!(t.program_classes("psexecXpy").is_empty());
        assert_eq!(t.program_classes("a+b"), ["py"]);
        assert!(t.program_classes("aab").is_empty());
        assert_eq!(t.program_classes("(x)|y"), ["py"]);
        assert!(t.program_classes("y").is_empty());
        assert_eq!(t.program_classes("[z]"), ["py"]);
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(ClassSource::parse("[paths]\na = [\"x\"]", "t").is_err());
        assert!(ClassSource::parse("[path]\na = \"x\"", "t").is_err());
        let empty = ClassSource::parse("[path]\na = []", "t").unwrap();
        assert!(ClassTable::compile(&empty, "t").is_err());
    }

    #[test]
    fn like_literal_round_trips_escapes() {
        assert_eq!(cedar_like_literal("*/.ssh/*"), r#""*/.ssh/*""#);
        assert_eq!(cedar_like_literal("/\\*"), r#""/\*""#);
        assert_eq!(cedar_like_literal("a\"b"), r#""a\"b""#);
        assert_eq!(cedar_like_literal("a\\b"), r#""a\\b""#);
        assert_eq!(cedar_like_literal("a\\\\*"), r#""a\\*""#);
    }
}
