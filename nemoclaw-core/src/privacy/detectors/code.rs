//! Proprietary code: winnowed k-gram fingerprints of a registered codebase.
//!
//! Sources are tokenized and normalized (identifiers become `V` except
//! keywords, literals become `S`/`N`, comments and whitespace vanish), so
//! renaming variables or reformatting does not hide a copied fragment.
//! Every k-gram of tokens is hashed; winnowing (Schleimer, Wilkerson and
//! Aiken, 2003) keeps the minimum hash of each window of `w` consecutive
//! k-grams as the codebase's fingerprints. A text is checked by hashing all
//! of its k-grams and looking them up; runs of matches from one file above a
//! threshold are reported with the file and its line range.

use std::collections::HashMap;
use std::path::Path;

use super::Detector;
use crate::privacy::span::labels;
use crate::privacy::{PrivacyError, Span};

const KEYWORDS: &[&str] = &[
    "fn",
    "let",
    "mut",
    "pub",
    "impl",
    "struct",
    "enum",
    "match",
    "use",
    "mod",
    "trait",
    "where",
    "return",
    "if",
    "else",
    "for",
    "while",
    "loop",
    "break",
    "continue",
    "in",
    "def",
    "class",
    "import",
    "from",
    "lambda",
    "yield",
    "async",
    "await",
    "try",
    "except",
    "finally",
    "raise",
    "with",
    "as",
    "function",
    "var",
    "const",
    "new",
    "this",
    "self",
    "static",
    "void",
    "int",
    "public",
    "private",
    "protected",
    "package",
    "func",
    "go",
    "defer",
    "switch",
    "case",
    "default",
    "throw",
    "throws",
    "catch",
    "interface",
    "extends",
    "implements",
    "null",
    "nil",
    "None",
    "true",
    "false",
    "True",
    "False",
    "type",
    "typeof",
    "struct",
    "unsafe",
    "ref",
    "move",
    "dyn",
    "Some",
    "Ok",
    "Err",
    "elif",
    "pass",
    "not",
    "and",
    "or",
];

#[derive(Debug, Clone, Copy)]
struct Token {
    hash: u64,
    start: usize,
    end: usize,
    line: u32,
    informative: bool,
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() / 4);
    let mut i = 0;
    let mut line: u32 = 1;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
            i += 1;
            continue;
        }
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Comments.
        if (b == b'/' && bytes.get(i + 1) == Some(&b'/')) || b == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                if bytes[i] == b'\n' {
                    line += 1;
                }
                i += 1;
            }
            i = (i + 2).min(bytes.len());
            continue;
        }
        let start = i;
        let (norm, informative): (&[u8], bool) = if b == b'"' || b == b'\'' || b == b'`' {
            i += 1;
            while i < bytes.len() && bytes[i] != b && bytes[i] != b'\n' {
                if bytes[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            (b"S", true)
        } else if b.is_ascii_digit() {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_')
            {
                i += 1;
            }
            (b"N", true)
        } else if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
            {
                i += 1;
            }
            let word = text.get(start..i).unwrap_or("");
            if KEYWORDS.contains(&word) {
                (word.as_bytes(), true)
            } else {
                (b"V", false)
            }
        } else {
            i += 1;
            let p = &bytes[start..i];
            (p, !matches!(b, b'.' | b',' | b'!' | b'?' | b'-' | b'\''))
        };
        // Keep offsets on char boundaries.
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
        out.push(Token {
            hash: fnv(norm),
            start,
            end: i,
            line,
            informative,
        });
    }
    out
}

/// Hashes of every k-gram that carries enough code structure (prose-only
/// k-grams are skipped), with the index of the k-gram's first token.
fn kgram_hashes(tokens: &[Token], k: usize) -> Vec<(usize, u64)> {
    if tokens.len() < k || k == 0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(tokens.len() - k + 1);
    let mut informative = tokens[..k].iter().filter(|t| t.informative).count();
    for i in 0..=tokens.len() - k {
        if i > 0 {
            if tokens[i - 1].informative {
                informative -= 1;
            }
            if tokens[i + k - 1].informative {
                informative += 1;
            }
        }
        if informative * 3 < k {
            continue;
        }
        let mut h: u64 = 0;
        for t in &tokens[i..i + k] {
            h = h.rotate_left(7) ^ t.hash;
            h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        out.push((i, h));
    }
    out
}

/// Winnowing: the minimum hash of each window of `w` consecutive k-grams
/// (rightmost on ties), each selected position recorded once.
fn winnow(hashes: &[(usize, u64)], w: usize) -> Vec<(usize, u64)> {
    let mut out: Vec<(usize, u64)> = Vec::new();
    if hashes.is_empty() {
        return out;
    }
    let w = w.max(1).min(hashes.len());
    let mut last: Option<usize> = None;
    for win in hashes.windows(w) {
        let mut best = 0;
        for (j, h) in win.iter().enumerate() {
            if h.1 <= win[best].1 {
                best = j;
            }
        }
        let pos = win[best].0;
        if last != Some(pos) {
            out.push(win[best]);
            last = Some(pos);
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
struct Location {
    file: u32,
    first_line: u32,
    last_line: u32,
}

/// A fragment of the text copied from the codebase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeMatch {
    /// Byte range in the checked text.
    pub start: usize,
    /// Byte end (exclusive) in the checked text.
    pub end: usize,
    /// The registered file it comes from.
    pub file: String,
    /// First line of the matching region in that file (1-based).
    pub first_line: u32,
    /// Last line of the matching region in that file.
    pub last_line: u32,
    /// How many fingerprints matched.
    pub fingerprints: usize,
}

/// Builds [`CodeFingerprints`].
#[derive(Debug)]
pub struct CodeFingerprintsBuilder {
    k: usize,
    w: usize,
    min_matches: usize,
    files: Vec<String>,
    index: HashMap<u64, Vec<Location>>,
    extensions: Vec<String>,
}

impl Default for CodeFingerprintsBuilder {
    fn default() -> Self {
        Self {
            k: 12,
            w: 6,
            min_matches: 3,
            files: Vec::new(),
            index: HashMap::new(),
            extensions: [
                "rs", "py", "js", "ts", "tsx", "jsx", "go", "java", "kt", "c", "h", "cc", "cpp",
                "hpp", "cs", "rb", "php", "swift", "scala", "sh", "sql",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }
}

impl CodeFingerprintsBuilder {
    /// Tokens per k-gram (default 12).
    pub fn k(mut self, k: usize) -> Self {
        self.k = k.max(2);
        self
    }

    /// Winnowing window in k-grams (default 6): any shared run of at least
    /// `k + w - 1` tokens is guaranteed to be found.
    pub fn window(mut self, w: usize) -> Self {
        self.w = w.max(1);
        self
    }

    /// Fingerprints from one file needed to flag a fragment (default 3).
    pub fn min_matches(mut self, n: usize) -> Self {
        self.min_matches = n.max(1);
        self
    }

    /// Register one source text under `name`.
    pub fn add_source(mut self, name: impl Into<String>, source: &str) -> Self {
        let file = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        self.files.push(name.into());
        let tokens = tokenize(source);
        let hashes = kgram_hashes(&tokens, self.k);
        for (i, h) in winnow(&hashes, self.w) {
            let first_line = tokens.get(i).map_or(0, |t| t.line);
            let last_line = tokens.get(i + self.k - 1).map_or(first_line, |t| t.line);
            self.index.entry(h).or_default().push(Location {
                file,
                first_line,
                last_line,
            });
        }
        self
    }

    /// Register every source file under `dir` (recursively; hidden
    /// directories, `target` and `node_modules` skipped).
    pub fn add_dir(mut self, dir: &Path) -> Result<Self, PrivacyError> {
        let mut stack = vec![dir.to_path_buf()];
        let mut files = Vec::new();
        while let Some(d) = stack.pop() {
            let rd = std::fs::read_dir(&d).map_err(|source| PrivacyError::Io {
                path: d.display().to_string(),
                source,
            })?;
            for entry in rd.flatten() {
                let p = entry.path();
                let name = entry.file_name().to_string_lossy().to_string();
                if name.starts_with('.') || name == "target" || name == "node_modules" {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else if p
                    .extension()
                    .is_some_and(|e| self.extensions.iter().any(|x| e == x.as_str()))
                {
                    files.push(p);
                }
            }
        }
        files.sort();
        for p in files {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let name = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            self = self.add_source(name, &text);
        }
        Ok(self)
    }

    /// Freeze the index.
    pub fn build(self) -> CodeFingerprints {
        CodeFingerprints {
            k: self.k,
            w: self.w,
            min_matches: self.min_matches,
            files: self.files,
            index: self.index,
        }
    }
}

/// A registered codebase's fingerprints (`detector: "code"`).
#[derive(Debug, Clone)]
pub struct CodeFingerprints {
    k: usize,
    w: usize,
    min_matches: usize,
    files: Vec<String>,
    index: HashMap<u64, Vec<Location>>,
}

impl CodeFingerprints {
    /// Start a codebase.
    pub fn builder() -> CodeFingerprintsBuilder {
        CodeFingerprintsBuilder::default()
    }

    /// Number of fingerprints held.
    pub fn fingerprint_count(&self) -> usize {
        self.index.len()
    }

    /// Number of files registered.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Fragments of `text` copied from the codebase.
    pub fn find(&self, text: &str) -> Vec<CodeMatch> {
        let tokens = tokenize(text);
        let hashes = kgram_hashes(&tokens, self.k);
        // file -> [(kgram index, location)]
        let mut hits: HashMap<u32, Vec<(usize, Location)>> = HashMap::new();
        for (i, h) in hashes {
            if let Some(locs) = self.index.get(&h) {
                for loc in locs {
                    hits.entry(loc.file).or_default().push((i, *loc));
                }
            }
        }
        let gap = self.k + 2 * self.w;
        let mut out = Vec::new();
        for (file, mut v) in hits {
            v.sort_by_key(|(i, _)| *i);
            let mut run: Vec<(usize, Location)> = Vec::new();
            let flush = |run: &mut Vec<(usize, Location)>, out: &mut Vec<CodeMatch>| {
                let distinct = {
                    let mut idx: Vec<usize> = run.iter().map(|(i, _)| *i).collect();
                    idx.dedup();
                    idx.len()
                };
                if distinct >= self.min_matches {
                    if let (Some(first), Some(last)) = (run.first(), run.last()) {
                        let start = tokens.get(first.0).map_or(0, |t| t.start);
                        let end = tokens
                            .get(last.0 + self.k - 1)
                            .map_or(text.len(), |t| t.end);
                        out.push(CodeMatch {
                            start,
                            end,
                            file: self.files.get(file as usize).cloned().unwrap_or_default(),
                            first_line: run.iter().map(|(_, l)| l.first_line).min().unwrap_or(0),
                            last_line: run.iter().map(|(_, l)| l.last_line).max().unwrap_or(0),
                            fingerprints: distinct,
                        });
                    }
                }
                run.clear();
            };
            for item in v {
                if run.last().is_some_and(|(j, _)| item.0 > j + gap) {
                    flush(&mut run, &mut out);
                }
                run.push(item);
            }
            flush(&mut run, &mut out);
        }
        out.sort_by_key(|m| (m.start, m.end));
        out
    }
}

impl Detector for CodeFingerprints {
    fn name(&self) -> &'static str {
        "code"
    }

    fn detect(&self, text: &str, out: &mut Vec<Span>) -> Result<(), PrivacyError> {
        for m in self.find(text) {
            let score = (0.6 + 0.1 * m.fingerprints as f32).min(1.0);
            let mut span = Span::new(m.start, m.end, labels::PROPRIETARY_CODE, score, "code");
            span.source = Some(format!("{}:{}-{}", m.file, m.first_line, m.last_line));
            out.push(span);
        }
        Ok(())
    }

    fn labels(&self) -> &[&'static str] {
        &[labels::PROPRIETARY_CODE]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
use std::collections::HashMap;

/// Compute the secret pricing score.
pub fn pricing_score(orders: &[Order], weights: &HashMap<String, f64>) -> f64 {
    let mut total = 0.0;
    for order in orders {
        let w = weights.get(&order.sku).copied().unwrap_or(1.0);
        total += order.quantity as f64 * order.unit_price * w;
        if order.quantity > 100 {
            total -= 0.05 * total;
        }
    }
    total / (orders.len() as f64 + 1.0)
}
"#;

    fn codebase() -> CodeFingerprints {
        CodeFingerprints::builder()
            .add_source("src/pricing.rs", SOURCE)
            .add_source("src/other.rs", "fn main() { println!(\"hello\"); }")
            .build()
    }

    #[test]
    fn finds_renamed_copy_with_file_and_lines() {
        let pasted = "Can you optimize this?\n\nfn score(xs: &[Order], ws: &HashMap<String, f64>) -> f64 {\n let mut acc = 0.0;\n for o in xs {\n let w = ws.get(&o.sku).copied().unwrap_or(1.0);\n acc += o.quantity as f64 * o.unit_price * w;\n if o.quantity > 100 { acc -= 0.05 * acc; }\n }\n acc / (xs.len() as f64 + 1.0)\n}\nThanks!";
        let m = codebase().find(pasted);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].file, "src/pricing.rs");
        assert!(m[0].first_line >= 4 && m[0].last_line <= 15, "{m:?}");
        assert!(pasted[m[0].start..m[0].end].contains("unit_price"));
        assert!(!pasted[m[0].start..m[0].end].contains("Thanks"));
    }

    #[test]
    fn unrelated_text_is_clean() {
        let cb = codebase();
        assert!(cb.find("Please summarise the meeting notes from Tuesday and list the action items for the team.").is_empty());
        assert!(cb
            .find("fn add(a: i32, b: i32) -> i32 { a + b }")
            .is_empty());
    }

    #[test]
    fn winnowing_picks_window_minima() {
        let hashes: Vec<(usize, u64)> = [5u64, 3, 8, 1, 9, 9, 2]
            .iter()
            .enumerate()
            .map(|(i, h)| (i, *h))
            .collect();
        let w = winnow(&hashes, 3);
        assert_eq!(w.iter().map(|x| x.1).collect::<Vec<_>>(), vec![3, 1, 2]);
    }
}
