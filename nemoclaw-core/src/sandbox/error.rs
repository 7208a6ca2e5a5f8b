//! Errors of the sandbox runtime.

use crate::error::ErrorCode;

use super::outcome::Protection;

/// Why a sandbox did not start or could not be controlled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The sandbox runtime does not exist on this platform or build.
    #[error("sandbox unsupported: {0}")]
    Unsupported(String),
    /// A requested protection cannot be applied here; nothing was run.
    #[error("protection `{protection}` unavailable: {reason}")]
    ProtectionUnavailable {
        /// The protection that cannot be applied.
        protection: Protection,
        /// Why, in words.
        reason: String,
    },
    /// The profile or the command line is not valid.
    #[error("invalid sandbox profile: {0}")]
    InvalidProfile(String),
    /// A step of setting up the sandbox failed inside the new namespaces.
    #[error("sandbox setup step `{step}` failed: {reason}")]
    Setup {
        /// The step (for example `pivot_root`, `landlock`, `seccomp`).
        step: String,
        /// The error the kernel returned.
        reason: String,
    },
    /// The command could not be executed inside the sandbox.
    #[error("cannot execute `{command}` in the sandbox: {reason}")]
    Exec {
        /// argv\[0\].
        command: String,
        /// The error the kernel returned.
        reason: String,
    },
    /// An I/O error talking to the sandbox or the cgroup file system.
    #[error("sandbox i/o error on `{context}`: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// freeze, thaw or kill could not be carried out.
    #[error("sandbox control `{action}` failed: {reason}")]
    Control {
        /// `freeze`, `thaw` or `kill`.
        action: &'static str,
        /// Why.
        reason: String,
    },
}

impl SandboxError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            SandboxError::Unsupported(_) => ErrorCode::Unsupported,
            SandboxError::ProtectionUnavailable { .. } => ErrorCode::SandboxProtectionUnavailable,
            SandboxError::InvalidProfile(_) => ErrorCode::SandboxInvalidProfile,
            SandboxError::Setup { .. } => ErrorCode::SandboxSetupFailed,
            SandboxError::Exec { .. } => ErrorCode::SandboxExecFailed,
            SandboxError::Io { .. } => ErrorCode::Io,
            SandboxError::Control { .. } => ErrorCode::SandboxControlFailed,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        SandboxError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn unavailable(protection: Protection, reason: impl Into<String>) -> Self {
        SandboxError::ProtectionUnavailable {
            protection,
            reason: reason.into(),
        }
    }
}
