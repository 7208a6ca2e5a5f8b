//! The [`Redactor`]: runs every detector over a text, merges their spans and
//! applies the operators; with a content-hash cache so repeated messages
//! (a chat history resent every turn) cost nothing the second time.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use super::detectors::{CodeFingerprints, Detector, Dictionary, PatternDetector, SecretDetector};
use super::operators::{OperatorConfig, Session};
use super::span::{merge, Span};
use super::PrivacyError;

/// Texts longer than this are not cached (they would pin memory).
const CACHE_MAX_TEXT: usize = 1 << 20;

/// The result of redacting one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Redaction {
    /// The transformed text.
    pub text: String,
    /// The spans found, as byte ranges of the *original* text.
    pub spans: Vec<Span>,
}

/// Builds a [`Redactor`].
#[derive(Debug)]
pub struct RedactorBuilder {
    patterns: bool,
    secrets: bool,
    detectors: Vec<Arc<dyn Detector>>,
    min_score: f32,
    labels: Option<HashSet<String>>,
    operators: OperatorConfig,
    cache_entries: usize,
}

impl Default for RedactorBuilder {
    fn default() -> Self {
        Self {
            patterns: true,
            secrets: true,
            detectors: Vec::new(),
            min_score: 0.5,
            labels: None,
            operators: OperatorConfig::default(),
            cache_entries: 4096,
        }
    }
}

impl RedactorBuilder {
    /// Validated patterns on or off (default on).
    pub fn patterns(mut self, on: bool) -> Self {
        self.patterns = on;
        self
    }

    /// Secret detection on or off (default on).
    pub fn secrets(mut self, on: bool) -> Self {
        self.secrets = on;
        self
    }

    /// Add a dictionary of terms.
    pub fn dictionary(mut self, d: Dictionary) -> Self {
        self.detectors.push(Arc::new(d));
        self
    }

    /// Add a registered codebase.
    pub fn codebase(mut self, c: CodeFingerprints) -> Self {
        self.detectors.push(Arc::new(c));
        self
    }

    /// Add any other detector (the NER model plugs in here).
    pub fn detector(mut self, d: Arc<dyn Detector>) -> Self {
        self.detectors.push(d);
        self
    }

    /// Spans scoring below this are dropped (default 0.5).
    pub fn min_score(mut self, s: f32) -> Self {
        self.min_score = s;
        self
    }

    /// Report only these labels (default: all).
    pub fn labels<I, S>(mut self, labels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.labels = Some(labels.into_iter().map(Into::into).collect());
        self
    }

    /// Operators per label (default: `<LABEL>` for all).
    pub fn operators(mut self, ops: OperatorConfig) -> Self {
        self.operators = ops;
        self
    }

    /// Entries kept in the content-hash cache (default 4096; 0 disables).
    pub fn cache_entries(mut self, n: usize) -> Self {
        self.cache_entries = n;
        self
    }

    /// Compile.
    pub fn build(self) -> Result<Redactor, PrivacyError> {
        let mut detectors: Vec<Arc<dyn Detector>> = Vec::new();
        if self.secrets {
            detectors.push(Arc::new(SecretDetector::new()?));
        }
        if self.patterns {
            detectors.push(Arc::new(PatternDetector::new()?));
        }
        detectors.extend(self.detectors);
        if let Some(labels) = &self.labels {
            // Skip detectors that can produce none of the wanted labels
            // (detectors reporting user labels, like dictionaries, always run).
            detectors.retain(|d| {
                d.name() == "dictionary" || d.labels().iter().any(|l| labels.contains(*l))
            });
        }
        Ok(Redactor {
            detectors,
            min_score: self.min_score,
            labels: self.labels,
            operators: self.operators,
            cache: Mutex::new(Cache::new(self.cache_entries)),
        })
    }
}

#[derive(Debug)]
struct Cache {
    cap: usize,
    hasher: RandomState,
    map: HashMap<u64, (Arc<str>, Arc<Vec<Span>>)>,
    order: VecDeque<u64>,
    hits: u64,
    misses: u64,
}

impl Cache {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            hasher: RandomState::new(),
            map: HashMap::new(),
            order: VecDeque::new(),
            hits: 0,
            misses: 0,
        }
    }
}

/// Runs the detectors and operators. Immutable after build, `Send + Sync`;
/// share it behind an `Arc`.
#[derive(Debug)]
pub struct Redactor {
    detectors: Vec<Arc<dyn Detector>>,
    min_score: f32,
    labels: Option<HashSet<String>>,
    operators: OperatorConfig,
    cache: Mutex<Cache>,
}

impl Redactor {
    /// Start a redactor (patterns and secrets on).
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::default()
    }

    /// The operators in force.
    pub fn operators(&self) -> &OperatorConfig {
        &self.operators
    }

    /// Names of the detectors that run, in order.
    pub fn detector_names(&self) -> Vec<&'static str> {
        self.detectors.iter().map(|d| d.name()).collect()
    }

    /// Find the entities in `text`: every detector runs, spans below the
    /// minimum score or of unwanted labels are dropped, the rest merged.
    pub fn analyze(&self, text: &str) -> Result<Vec<Span>, PrivacyError> {
        let mut candidates = Vec::new();
        for d in &self.detectors {
            d.detect(text, &mut candidates)?;
        }
        candidates.retain(|s| {
            s.score >= self.min_score
                && s.end <= text.len()
                && text.is_char_boundary(s.start)
                && text.is_char_boundary(s.end)
                && self
                    .labels
                    .as_ref()
                    .is_none_or(|l| l.contains(s.label.as_ref()))
        });
        Ok(merge(candidates))
    }

    /// [`Redactor::analyze`] through the content-hash cache: a text seen
    /// before costs one hash and one comparison.
    pub fn analyze_cached(&self, text: &str) -> Result<Arc<Vec<Span>>, PrivacyError> {
        let key = {
            let Ok(mut c) = self.cache.lock() else {
                return self.analyze(text).map(Arc::new);
            };
            if c.cap == 0 || text.len() > CACHE_MAX_TEXT {
                drop(c);
                return self.analyze(text).map(Arc::new);
            }
            let key = c.hasher.hash_one(text);
            if let Some((t, spans)) = c.map.get(&key) {
                if t.as_ref() == text {
                    let spans = spans.clone();
                    c.hits += 1;
                    return Ok(spans);
                }
            }
            c.misses += 1;
            key
        };
        let spans = Arc::new(self.analyze(text)?);
        if let Ok(mut c) = self.cache.lock() {
            if c.map.len() >= c.cap {
                if let Some(old) = c.order.pop_front() {
                    c.map.remove(&old);
                }
            }
            if c.map
                .insert(key, (Arc::from(text), spans.clone()))
                .is_none()
            {
                c.order.push_back(key);
            }
        }
        Ok(spans)
    }

    /// Cache hits and misses so far.
    pub fn cache_stats(&self) -> (u64, u64) {
        self.cache
            .lock()
            .map(|c| (c.hits, c.misses))
            .unwrap_or((0, 0))
    }

    /// Detect and transform `text` with the configured operators.
    pub fn redact(&self, text: &str, session: &mut Session) -> Result<Redaction, PrivacyError> {
        let spans = self.analyze_cached(text)?;
        let out = self.apply(text, &spans, session)?;
        Ok(Redaction {
            text: out,
            spans: spans.as_ref().clone(),
        })
    }

    /// Apply the operators to already detected, merged `spans` of `text`.
    pub fn apply(
        &self,
        text: &str,
        spans: &[Span],
        session: &mut Session,
    ) -> Result<String, PrivacyError> {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for s in spans {
            let (Some(before), Some(value)) = (text.get(at..s.start), text.get(s.start..s.end))
            else {
                return Err(PrivacyError::Detector {
                    detector: s.detector.to_string(),
                    reason: format!("span `{}..{}` is not on char boundaries", s.start, s.end),
                });
            };
            out.push_str(before);
            let op = self.operators.for_label(&s.label);
            out.push_str(&session.apply(op, &s.label, value)?);
            at = s.end;
        }
        out.push_str(text.get(at..).unwrap_or(""));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::operators::Operator;
    use crate::privacy::span::labels;

    #[test]
    fn redacts_with_operators_and_restores() {
        let r = Redactor::builder()
            .operators(
                OperatorConfig::uniform(Operator::Pseudonymize)
                    .with(labels::CREDIT_CARD, Operator::Mask { keep_last: 4 }),
            )
            .dictionary(
                Dictionary::builder()
                    .term("Project Falcon", labels::TRADE_SECRET)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let mut s = Session::ephemeral();
        let text = "Email ana@example.org about Project Falcon; card 4111 1111 1111 1111. Again: ana@example.org";
        let red = r.redact(text, &mut s).unwrap();
        assert_eq!(
            red.text,
            "Email <EMAIL_ADDRESS_1> about <TRADE_SECRET_1>; card **** **** **** 1111. Again: <EMAIL_ADDRESS_1>"
        );
        assert_eq!(
            s.restore("Wrote to <EMAIL_ADDRESS_1>."),
            "Wrote to ana@example.org."
        );
    }

    #[test]
    fn label_filter_and_cache() {
        let r = Redactor::builder()
            .labels(["EMAIL_ADDRESS"])
            .build()
            .unwrap();
        let text = "a@b.io and 536-22-1234";
        let spans = r.analyze_cached(text).unwrap();
        assert_eq!(spans.len(), 1);
        let again = r.analyze_cached(text).unwrap();
        assert!(Arc::ptr_eq(&spans, &again));
        assert_eq!(r.cache_stats(), (1, 1));
    }
}
