use crate::error::ErrorCode;
use crate::policy::PolicyError;

/// Errors building a Guard or handling escalation tickets. `Guard::check`
/// itself never fails: it returns a verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The builder lacks something or holds inconsistent settings.
    #[error("invalid guard configuration: {0}")]
    Config(String),
    /// Loading or compiling policies failed.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// No ticket with that id.
    #[error("no escalation ticket `{0}`")]
    TicketNotFound(String),
    /// The ticket store failed.
    #[error("ticket store `{path}`: {reason}")]
    Store {
        /// The database path.
        path: String,
        /// What failed.
        reason: String,
    },
    /// A request or identity does not match the ticket it claims.
    #[error("ticket `{ticket}` does not cover this request: {reason}")]
    Mismatch {
        /// The ticket id.
        ticket: String,
        /// Which binding differs.
        reason: String,
    },
    /// The ticket is no longer pending (decided or expired).
    #[error("ticket `{ticket}` is {state}")]
    Closed {
        /// The ticket id.
        ticket: String,
        /// Its state.
        state: String,
    },
    /// The approved ticket already authorized its one execution.
    #[error("ticket `{ticket}` was already used: an approval authorizes exactly one execution")]
    Used {
        /// The ticket id.
        ticket: String,
    },
    /// The reviewer may not decide this ticket.
    #[error("review by `{reviewer}` refused: {reason}")]
    ReviewRefused {
        /// The reviewer id.
        reviewer: String,
        /// Why.
        reason: String,
    },
}

impl GuardError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            GuardError::Config(_) => ErrorCode::GuardConfig,
            GuardError::Policy(e) => e.code(),
            GuardError::TicketNotFound(_) => ErrorCode::TicketNotFound,
            GuardError::Store { .. } => ErrorCode::TicketStore,
            GuardError::Mismatch { .. } => ErrorCode::TicketMismatch,
            GuardError::Closed { .. } => ErrorCode::TicketClosed,
            GuardError::ReviewRefused { .. } => ErrorCode::ReviewRefused,
            GuardError::Used { .. } => ErrorCode::TicketUsed,
        }
    }
}
