use crate::ErrorCode;

/// Everything that can go wrong with keys and identity tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// Key bytes or a key file are not a valid Ed25519 COSE_Key.
    #[error("invalid key: {0}")]
    KeyInvalid(String),
    /// Reading or writing a key file failed.
    #[error("key file `{path}`: {source}")]
    KeyIo {
        /// The file involved.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl IdentityError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            IdentityError::KeyInvalid(_) => ErrorCode::KeyInvalid,
            IdentityError::KeyIo { .. } => ErrorCode::Io,
        }
    }
}
