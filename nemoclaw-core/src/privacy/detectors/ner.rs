//! The Candle NER model as one more [`Detector`] (`detector: "ner"`).

use std::borrow::Cow;

use super::Detector;
use crate::privacy::ner::NerModel;
use crate::privacy::span::labels;
use crate::privacy::{PrivacyError, Span};

/// Wraps a loaded [`NerModel`].
#[derive(Debug)]
pub struct NerDetector {
    model: NerModel,
}

impl NerDetector {
    /// Wrap a model.
    pub fn new(model: NerModel) -> Self {
        Self { model }
    }

    /// The default model fetched by `scripts/setup.sh`.
    pub fn load_default() -> Result<Self, PrivacyError> {
        NerModel::load_default()
            .map(Self::new)
            .map_err(|e| PrivacyError::Detector {
                detector: "ner".into(),
                reason: e.to_string(),
            })
    }
}

impl Detector for NerDetector {
    fn name(&self) -> &'static str {
        "ner"
    }

    fn detect(&self, text: &str, out: &mut Vec<Span>) -> Result<(), PrivacyError> {
        let entities = self
            .model
            .predict(text)
            .map_err(|e| PrivacyError::Detector {
                detector: "ner".into(),
                reason: e.to_string(),
            })?;
        for e in entities {
            let label: Cow<'static, str> = match labels::ALL.iter().find(|l| **l == e.label) {
                Some(l) => Cow::Borrowed(l),
                None => Cow::Owned(e.label),
            };
            out.push(Span {
                start: e.start,
                end: e.end,
                label,
                score: e.score.clamp(0.0, 1.0),
                detector: "ner",
                source: None,
            });
        }
        Ok(())
    }

    fn labels(&self) -> &[&'static str] {
        &[
            labels::PERSON,
            labels::LOCATION,
            labels::ORGANIZATION,
            labels::DATE_TIME,
            labels::EMAIL_ADDRESS,
            labels::PHONE_NUMBER,
        ]
    }
}
