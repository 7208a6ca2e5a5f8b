use crate::ErrorCode;

/// Everything that can go wrong writing, reading or proving an audit log.
///
/// Verification of a whole log does not fail with this type: it returns a
/// [`VerifyReport`](super::VerifyReport) that names the first bad frame.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A file operation failed.
    #[error("audit log `{path}`: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A frame is damaged (marker, length or checksum).
    #[error("damaged frame at offset {offset}: {reason}")]
    FrameCorrupt {
        /// Byte offset of the frame in its file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A record, checkpoint or segment header does not decode.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// Which kind of object.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A signature does not verify.
    #[error("bad signature on {what}")]
    BadSignature {
        /// What was signed.
        what: String,
    },
    /// The signer's key is not among the trusted keys.
    #[error("{what} is signed by untrusted key `{kid}`")]
    UntrustedKey {
        /// What was signed.
        what: String,
        /// The signer's key id.
        kid: String,
    },
    /// The hash chain or sequence numbering is broken.
    #[error("chain broken: {0}")]
    ChainBroken(String),
    /// A checkpoint does not match the records it covers.
    #[error("checkpoint mismatch: {0}")]
    CheckpointMismatch(String),
    /// The damage is not a torn tail: whole frames follow the bad spot, so
    /// truncating would destroy records. The log is refused instead.
    #[error("log `{path}` is damaged at offset {offset} with whole frames after it; refusing to truncate")]
    CorruptMiddle {
        /// The segment file.
        path: String,
        /// Offset of the first bad frame.
        offset: u64,
    },
    /// The log ends early: a torn tail, or no closing checkpoint.
    #[error("log is truncated: {0}")]
    Truncated(String),
    /// The log is closed or its writer failed earlier.
    #[error("audit log is closed: {0}")]
    Closed(String),
    /// Another process or handle is writing this log.
    #[error("audit log `{0}` is locked by another writer")]
    Locked(String),
    /// A proof does not verify.
    #[error("proof does not verify: {0}")]
    ProofInvalid(String),
    /// An option or argument is out of range.
    #[error("invalid audit option: {0}")]
    InvalidOption(String),
    /// The key given does not fit the log.
    #[error("key `{kid}` does not fit this log: {reason}")]
    KeyMismatch {
        /// The key id given.
        kid: String,
        /// Why it does not fit.
        reason: String,
    },
    /// A JSON-lines or callback sink refused the entry.
    #[error("audit sink failed: {0}")]
    SinkFailed(String),
    /// The entry's text could not be checked for secrets; nothing was stored.
    #[error("cannot redact audit entry: {0}")]
    Redaction(String),
}

impl AuditError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            AuditError::Io { .. } => ErrorCode::Io,
            AuditError::FrameCorrupt { .. } | AuditError::CorruptMiddle { .. } => {
                ErrorCode::AuditFrameCorrupt
            }
            AuditError::Malformed { .. } => ErrorCode::AuditRecordMalformed,
            AuditError::BadSignature { .. } => ErrorCode::AuditBadSignature,
            AuditError::UntrustedKey { .. } => ErrorCode::AuditUntrustedKey,
            AuditError::ChainBroken(_) => ErrorCode::AuditChainBroken,
            AuditError::CheckpointMismatch(_) => ErrorCode::AuditCheckpointMismatch,
            AuditError::Truncated(_) => ErrorCode::AuditTruncated,
            AuditError::Closed(_) => ErrorCode::AuditLogClosed,
            AuditError::Locked(_) => ErrorCode::AuditLocked,
            AuditError::ProofInvalid(_) => ErrorCode::AuditProofInvalid,
            AuditError::InvalidOption(_) => ErrorCode::InvalidArgument,
            AuditError::KeyMismatch { .. } => ErrorCode::KeyInvalid,
            AuditError::SinkFailed(_) => ErrorCode::AuditSinkFailed,
            AuditError::Redaction(_) => ErrorCode::AuditRedactionFailed,
        }
    }

    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
        move |source| AuditError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> AuditError {
        AuditError::Malformed {
            what,
            reason: reason.into(),
        }
    }
}
