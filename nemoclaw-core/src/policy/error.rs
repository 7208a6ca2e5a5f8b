use std::fmt;

use crate::error::ErrorCode;

/// Where a policy, schema or manifest problem is: file, line and column
/// (1-based; 0 when unknown), the policy id when one applies, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDiagnostic {
    /// The file, as given when loading (a path, or `builtin:<pack>/<file>`).
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// The policy id, when the problem is inside one policy.
    pub policy: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PolicyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        if let Some(policy) = &self.policy {
            write!(f, ": policy `{policy}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Errors loading, validating or compiling policies. Authorization itself
/// never fails: it returns a [`Verdict`](super::Verdict).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {reason}")]
    Io {
        /// The path.
        path: String,
        /// The operating system's message.
        reason: String,
    },
    /// A policy file does not parse.
    #[error("{}", first_of(.0))]
    Parse(Vec<PolicyDiagnostic>),
    /// The schema does not parse.
    #[error("{}", first_of(.0))]
    Schema(Vec<PolicyDiagnostic>),
    /// Policies do not validate against the schema, or carry bad annotations.
    #[error("{}", first_of(.0))]
    Invalid(Vec<PolicyDiagnostic>),
    /// No pack of that name, or a directory with no `.cedar` file.
    #[error("policy pack `{0}` not found (builtin packs: coding-agent, read-only, ops; or a directory of .cedar files)")]
    PackNotFound(String),
    /// The pack manifest is malformed.
    #[error("invalid pack manifest `{path}`: {reason}")]
    Manifest {
        /// The manifest path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An agent cannot become a Cedar principal.
    #[error("invalid agent `{agent}`: {reason}")]
    Principal {
        /// The agent id.
        agent: String,
        /// What is wrong.
        reason: String,
    },
}

fn first_of(diags: &[PolicyDiagnostic]) -> String {
    match diags {
        [] => "unknown policy error".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

impl PolicyError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            PolicyError::Io { .. } => ErrorCode::Io,
            PolicyError::Parse(_) => ErrorCode::PolicyParse,
            PolicyError::Schema(_) => ErrorCode::PolicySchema,
            PolicyError::Invalid(_) => ErrorCode::PolicyInvalid,
            PolicyError::PackNotFound(_) => ErrorCode::PolicyPackNotFound,
            PolicyError::Manifest { .. } => ErrorCode::PolicyManifest,
            PolicyError::Principal { .. } => ErrorCode::PolicyPrincipal,
        }
    }

    /// Every diagnostic (file, line, message) this error carries.
    pub fn diagnostics(&self) -> &[PolicyDiagnostic] {
        match self {
            PolicyError::Parse(d) | PolicyError::Schema(d) | PolicyError::Invalid(d) => d,
            _ => &[],
        }
    }
}
