//! The Privacy Router: finds PII, secrets, trade secrets and proprietary code
//! in text bound for an LLM, transforms it (redact, `<LABEL>`, mask,
//! pseudonymize with an encrypted vault, keyed hash, generalize,
//! differential-privacy noise) and decides by Cedar policy whether a request
//! passes, is transformed, goes to a local model or is blocked.
//!
//! ```
//! use nemoclaw_core::privacy::{Operator, OperatorConfig, Redactor, Session};
//!
//! let redactor = Redactor::builder()
//!     .operators(OperatorConfig::uniform(Operator::Pseudonymize))
//!     .build()?;
//! let mut session = Session::ephemeral();
//! let out = redactor.redact("Write to ana@example.org, SSN 536-22-1234", &mut session)?;
//! assert_eq!(out.text, "Write to <EMAIL_ADDRESS_1>, SSN <US_SSN_1>");
//! assert_eq!(session.restore("Sent to <EMAIL_ADDRESS_1>."), "Sent to ana@example.org.");
//! # Ok::<(), nemoclaw_core::privacy::PrivacyError>(())
//! ```
//!
//! See `docs/privacy.md` for the detectors, labels, operators and the
//! vault's security.

pub mod detectors;
pub mod dp;
mod error;
#[cfg(feature = "ner")]
pub mod ner;
pub mod offsets;
pub mod operators;
pub mod redactor;
pub mod router;
pub mod span;
pub mod stream;
pub mod vault;

pub use detectors::{CodeFingerprints, Detector, Dictionary, PatternDetector, SecretDetector};
pub use dp::{LaplaceMechanism, PrivacyBudget};
pub use error::PrivacyError;
pub use operators::{Operator, OperatorConfig, Session};
pub use redactor::{Redaction, Redactor, RedactorBuilder};
pub use router::{EndpointKind, Payload, Route, RouteDecision, Router};
pub use span::{labels, Span};
pub use stream::StreamRedactor;
pub use vault::{Vault, VaultKey};
