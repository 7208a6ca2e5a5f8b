//! Dictionaries: user-supplied terms (trade secrets, project code names,
//! customer names) matched in one Aho-Corasick pass.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::Detector;
use crate::privacy::span::labels;
use crate::privacy::{PrivacyError, Span};

/// Builds a [`Dictionary`].
#[derive(Debug, Default)]
pub struct DictionaryBuilder {
    terms: Vec<(String, Cow<'static, str>)>,
    case_insensitive: bool,
    whole_words: bool,
}

impl DictionaryBuilder {
    /// Add a term reported with `label` (for example [`labels::TRADE_SECRET`]).
    pub fn term(mut self, term: impl Into<String>, label: impl Into<Cow<'static, str>>) -> Self {
        self.terms.push((term.into(), label.into()));
        self
    }

    /// Add many terms with one label.
    pub fn terms<I, S>(mut self, terms: I, label: &'static str) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for t in terms {
            self.terms.push((t.into(), Cow::Borrowed(label)));
        }
        self
    }

    /// Match ASCII letters regardless of case (default: off).
    pub fn case_insensitive(mut self, yes: bool) -> Self {
        self.case_insensitive = yes;
        self
    }

    /// Report a term only where it is not part of a longer word (default: off).
    pub fn whole_words(mut self, yes: bool) -> Self {
        self.whole_words = yes;
        self
    }

    /// Compile the automaton. Empty terms are refused.
    pub fn build(self) -> Result<Dictionary, PrivacyError> {
        if let Some((t, _)) = self.terms.iter().find(|(t, _)| t.trim().is_empty()) {
            return Err(PrivacyError::Config(format!("empty dictionary term `{t}`")));
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(self.case_insensitive)
            .match_kind(MatchKind::LeftmostLongest)
            .build(self.terms.iter().map(|(t, _)| t.as_str()))
            .map_err(|e| PrivacyError::Config(format!("dictionary: {e}")))?;
        Ok(Dictionary {
            ac,
            labels: self.terms.into_iter().map(|(_, l)| l).collect(),
            whole_words: self.whole_words,
        })
    }
}

/// A compiled dictionary (`detector: "dictionary"`).
#[derive(Debug, Clone)]
pub struct Dictionary {
    ac: AhoCorasick,
    labels: Vec<Cow<'static, str>>,
    whole_words: bool,
}

impl Dictionary {
    /// Start a dictionary.
    pub fn builder() -> DictionaryBuilder {
        DictionaryBuilder::default()
    }

    /// Load terms from a file: one term per line, optionally `LABEL<TAB>term`;
    /// blank lines and lines starting with `#` are skipped.
    pub fn from_file(
        path: &std::path::Path,
        case_insensitive: bool,
        whole_words: bool,
    ) -> Result<Self, PrivacyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PrivacyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut b = Dictionary::builder()
            .case_insensitive(case_insensitive)
            .whole_words(whole_words);
        for line in text.lines() {
            let line = line.trim_end();
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            b = match line.split_once('\t') {
                Some((label, term)) => b.term(term.trim(), label.trim().to_string()),
                None => b.term(line.trim(), labels::TRADE_SECRET),
            };
        }
        b.build()
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the dictionary has no terms.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

impl Detector for Dictionary {
    fn name(&self) -> &'static str {
        "dictionary"
    }

    fn detect(&self, text: &str, out: &mut Vec<Span>) -> Result<(), PrivacyError> {
        for m in self.ac.find_iter(text) {
            let (s, e) = (m.start(), m.end());
            if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
                continue;
            }
            if self.whole_words {
                let before = text.get(..s).and_then(|t| t.chars().next_back());
                let after = text.get(e..).and_then(|t| t.chars().next());
                if is_word_char(before) || is_word_char(after) {
                    continue;
                }
            }
            let label = self
                .labels
                .get(m.pattern().as_usize())
                .cloned()
                .unwrap_or(Cow::Borrowed(labels::TRADE_SECRET));
            out.push(Span {
                start: s,
                end: e,
                label,
                score: 1.0,
                detector: "dictionary",
                source: None,
            });
        }
        Ok(())
    }

    fn labels(&self) -> &[&'static str] {
        &[labels::TRADE_SECRET]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(d: &Dictionary, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        d.detect(text, &mut out).unwrap();
        out.iter()
            .map(|s| format!("{}:{}", s.label, &text[s.start..s.end]))
            .collect()
    }

    #[test]
    fn case_and_word_boundaries() {
        let d = Dictionary::builder()
            .term("Falcon", labels::TRADE_SECRET)
            .term("Acme Corp", "CUSTOMER")
            .case_insensitive(true)
            .whole_words(true)
            .build()
            .unwrap();
        assert_eq!(
            run(&d, "project FALCON for acme corp."),
            vec!["TRADE_SECRET:FALCON", "CUSTOMER:acme corp"]
        );
        assert!(run(&d, "falconry is fun").is_empty());
        let strict = Dictionary::builder()
            .term("Falcon", labels::TRADE_SECRET)
            .build()
            .unwrap();
        assert!(run(&strict, "project falcon").is_empty());
        assert_eq!(run(&strict, "Falconry"), vec!["TRADE_SECRET:Falcon"]);
    }

    #[test]
    fn empty_term_refused() {
        assert!(Dictionary::builder()
            .term("  ", labels::TRADE_SECRET)
            .build()
            .is_err());
    }
}
