use crate::ErrorCode;

/// Everything that can go wrong in the privacy router.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivacyError {
    /// A detector, dictionary, codebase or operator setting is invalid.
    #[error("invalid privacy configuration: {0}")]
    Config(String),
    /// The router's Cedar schema or policies do not parse or validate.
    #[error("invalid privacy router policy: {0}")]
    Policy(String),
    /// A vault does not decrypt with this key and session.
    #[error("vault does not decrypt: wrong key, wrong session `{session}` or tampered bytes")]
    VaultDecrypt {
        /// The session id the vault was opened for.
        session: String,
    },
    /// A vault's bytes are not well-formed.
    #[error("malformed vault: {0}")]
    VaultMalformed(String),
    /// The differential-privacy budget of an identity is spent.
    #[error("privacy budget of `{identity}` exhausted: {requested} requested, {remaining} left")]
    BudgetExhausted {
        /// The identity charged.
        identity: String,
        /// Epsilon asked for.
        requested: f64,
        /// Epsilon left.
        remaining: f64,
    },
    /// A key has the wrong length or encoding.
    #[error("invalid key: {0}")]
    Key(String),
    /// A request is malformed.
    #[error("invalid request: {0}")]
    Request(String),
    /// A detector failed.
    #[error("detector `{detector}` failed: {reason}")]
    Detector {
        /// The detector's name.
        detector: String,
        /// What went wrong.
        reason: String,
    },
    /// Reading a file failed.
    #[error("file `{path}`: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl PrivacyError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            PrivacyError::Config(_) => ErrorCode::PrivacyConfigInvalid,
            PrivacyError::Policy(_) => ErrorCode::PrivacyPolicyInvalid,
            PrivacyError::VaultDecrypt { .. } => ErrorCode::PrivacyVaultDecrypt,
            PrivacyError::VaultMalformed(_) => ErrorCode::PrivacyVaultMalformed,
            PrivacyError::BudgetExhausted { .. } => ErrorCode::PrivacyBudgetExhausted,
            PrivacyError::Key(_) => ErrorCode::PrivacyKeyInvalid,
            PrivacyError::Request(_) => ErrorCode::PrivacyRequestInvalid,
            PrivacyError::Detector { .. } => ErrorCode::PrivacyDetectorFailed,
            PrivacyError::Io { .. } => ErrorCode::Io,
        }
    }
}
