//! Errors of the intent module (only request construction can fail; parsing
//! itself never does).

use crate::error::ErrorCode;

/// An intent request could not be built.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntentError {
    /// A JSON value is not an MCP `tools/call` request.
    #[error("not an mcp tools/call request: `{0}`")]
    NotToolCall(String),
    /// A file operation name is unknown.
    #[error("unknown file operation `{0}`")]
    UnknownFileOp(String),
}

impl IntentError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            IntentError::NotToolCall(_) => ErrorCode::IntentInvalidRequest,
            IntentError::UnknownFileOp(_) => ErrorCode::IntentInvalidRequest,
        }
    }
}
