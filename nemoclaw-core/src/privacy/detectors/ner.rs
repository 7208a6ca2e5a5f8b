//! The Candle NER model as one more [`Detector`] (`detector: "ner"`).

use std::borrow::Cow;

use super::Detector;
use crate::privacy::ner::NerModel;
use crate::privacy::span::labels;
use crate::privacy::{PrivacyError, Span};

/// Kinds the validated patterns and secret rules report; model spans of
/// these kinds are dropped (see [`NerDetector::detect`]).
const PATTERN_KINDS: &[&str] = &[
    labels::EMAIL_ADDRESS,
    labels::PHONE_NUMBER,
    labels::CREDIT_CARD,
    labels::US_SSN,
    labels::US_ITIN,
    labels::US_PASSPORT,
    labels::US_DRIVER_LICENSE,
    labels::IBAN_CODE,
    labels::IP_ADDRESS,
    labels::MAC_ADDRESS,
    labels::URL,
    labels::DATE_TIME,
];

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
            // Structured identifiers are left to the validated patterns
            // (checksums, issuer prefixes, registry lengths, context words):
            // the model cannot check them, and its guesses for these kinds
            // would outrank a validated span of another kind in the merge
            // (a `TAX_ID` guess over an IP address). Names, places and
            // organizations, and kinds no pattern reports (bank account and
            // routing numbers, other government ids, at the lowest merge
            // priority), are kept.
            if PATTERN_KINDS.contains(&e.label.as_str()) {
                continue;
            }
            // A place has a name: a lone number the model tags as a building
            // number or ZIP code (a port, a count, an id) is not reported;
            // inside an address it is merged with the street or city.
            if e.label == labels::LOCATION
                && !text
                    .get(e.start..e.end)
                    .is_some_and(|t| t.chars().any(char::is_alphabetic))
            {
                continue;
            }
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
        &[labels::PERSON, labels::LOCATION, labels::ORGANIZATION]
    }
}
