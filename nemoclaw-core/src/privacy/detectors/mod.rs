//! Detectors: each finds candidate spans in a text; the [`crate::privacy::Redactor`]
//! runs them all and merges their spans.

use std::fmt;

use super::{PrivacyError, Span};

pub mod code;
pub mod context;
pub mod dictionary;
#[cfg(feature = "ner")]
pub mod ner;
pub mod patterns;
mod phone;
pub mod secrets;
pub mod validators;

pub use code::{CodeFingerprints, CodeMatch};
pub use dictionary::{Dictionary, DictionaryBuilder};
#[cfg(feature = "ner")]
pub use ner::NerDetector;
pub use patterns::PatternDetector;
pub use secrets::SecretDetector;

/// One detector in the pipeline. Implementations must be cheap to share
/// (`Send + Sync`) and must never panic on any input.
pub trait Detector: Send + Sync + fmt::Debug {
    /// The short name reported in each span's `detector` field.
    fn name(&self) -> &'static str;

    /// Append the candidate spans found in `text` to `out`. Spans are byte
    /// ranges on char boundaries; they may overlap, the redactor merges them.
    fn detect(&self, text: &str, out: &mut Vec<Span>) -> Result<(), PrivacyError>;

    /// Labels this detector can produce (used to skip it when the caller
    /// asked only for other labels).
    fn labels(&self) -> &[&'static str];
}

/// Test helper shared by the detectors' tests: the `(label, value)` pairs
/// `d` reports for `text` at the default minimum score, merged.
#[cfg(test)]
pub(crate) fn find_with(d: &dyn Detector, text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    d.detect(text, &mut out).unwrap();
    let out = super::span::merge(out.into_iter().filter(|s| s.score >= 0.5).collect());
    out.iter()
        .map(|s| (s.label.to_string(), text[s.start..s.end].to_string()))
        .collect()
}

/// Test helper: the texts of the team's evaluation set
/// (`testdata/privacy/eval.jsonl`), for tests that compare two ways of
/// scanning on realistic input.
#[cfg(test)]
pub(crate) fn eval_texts() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/privacy/eval.jsonl"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect()
}
