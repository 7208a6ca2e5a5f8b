//! Privacy router: detectors, operators, vault and routing for text bound for an LLM.

#[cfg(feature = "ner")]
pub mod ner;
