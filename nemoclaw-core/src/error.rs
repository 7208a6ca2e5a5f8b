//! Stable error codes shared by every module.
//!
//! Each module has its own error type (thiserror) and maps every variant to
//! one [`ErrorCode`]. This single list feeds the C result codes (`nc_result`)
//! and the Python exception classes, so the numbers are a public contract:
//! they are grouped by module, never renumbered and never reused.

use std::fmt;

/// A stable, numbered error code. `0` is reserved for success in the C ABI.
///
/// Ranges: 1–99 general, 100–199 identity, 200–299 audit, 300–399 intent,
/// 400–499 policy, 500–599 guard and review, 600–699 privacy,
/// 700–799 sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(u32)]
pub enum ErrorCode {
    // ---- general (1-99) ----
    /// An argument was invalid (NULL pointer, wrong type, out of range).
    InvalidArgument = 1,
    /// Input text was not valid UTF-8.
    InvalidUtf8 = 2,
    /// An I/O operation failed.
    Io = 3,
    /// A panic or other internal fault was caught; the operation was refused.
    Internal = 4,
    /// The feature needed is not compiled in or not available on this platform.
    Unsupported = 5,

    // ---- identity (100-199) ----
    /// The token or key bytes are not well-formed.
    TokenMalformed = 100,
    /// A signature does not verify.
    TokenBadSignature = 101,
    /// No trusted key has the token's `kid` (or it was not valid at issue time).
    TokenUnknownKey = 102,
    /// The token has expired.
    TokenExpired = 103,
    /// The token is not yet valid (`nbf` in the future).
    TokenNotYetValid = 104,
    /// The token's audience does not match.
    TokenWrongAudience = 105,
    /// The token or one of its ancestors is revoked.
    TokenRevoked = 106,
    /// A delegated token asks for more than its parent holds.
    TokenScopeEscalation = 107,
    /// The delegation chain is deeper than allowed.
    TokenChainTooDeep = 108,
    /// The proof of possession does not verify against the token's `cnf` key.
    TokenProofOfPossession = 109,
    /// A scope string does not parse.
    ScopeInvalid = 110,
    /// A key file is malformed or of the wrong kind.
    KeyInvalid = 111,
    /// A delegated token is inconsistent with its parent (issuer, depth, origin).
    TokenChainInvalid = 112,
    // identity codes continue here

    // ---- audit (200-299) ----
    /// A log frame is damaged: bad marker, length or checksum.
    AuditFrameCorrupt = 200,
    /// A record, checkpoint or segment header does not decode.
    AuditRecordMalformed = 201,
    /// A record, checkpoint or header signature does not verify.
    AuditBadSignature = 202,
    /// The log is signed by a key that is not trusted.
    AuditUntrustedKey = 203,
    /// The hash chain is broken: a record is missing, duplicated, reordered or altered.
    AuditChainBroken = 204,
    /// A checkpoint's tree size or Merkle root does not match the records.
    AuditCheckpointMismatch = 205,
    /// The log is truncated: torn tail, no closing checkpoint, or records not covered by one.
    AuditTruncated = 206,
    /// The log is closed or its writer failed; nothing more can be appended.
    AuditLogClosed = 207,
    /// An inclusion or consistency proof does not verify.
    AuditProofInvalid = 208,
    /// Another writer holds the log.
    AuditLocked = 209,
    /// A sink (JSON lines, callback) failed to take a record.
    AuditSinkFailed = 210,
    /// An entry's text could not be checked for secrets, so it was not stored.
    AuditRedactionFailed = 211,
    // audit codes continue here

    // ---- intent (300-399) ----
    /// An intent request (tool call, file operation) is malformed.
    IntentInvalidRequest = 300,
    // intent codes continue here

    // ---- policy (400-499) ----
    /// A policy file does not parse.
    PolicyParse = 400,
    /// The Cedar schema does not parse.
    PolicySchema = 401,
    /// A policy does not validate against the schema, or has a bad annotation.
    PolicyInvalid = 402,
    /// No policy pack of that name, or the directory holds no policy.
    PolicyPackNotFound = 403,
    /// A pack manifest (`pack.json`) is malformed.
    PolicyManifest = 404,
    /// An agent description (scopes, ids) cannot become a Cedar entity.
    PolicyPrincipal = 405,
    // policy codes continue here

    // ---- guard and review (500-599) ----
    /// The Guard's configuration is incomplete or inconsistent.
    GuardConfig = 500,
    /// No escalation ticket has that id.
    TicketNotFound = 501,
    /// The ticket store (SQLite) failed.
    TicketStore = 502,
    /// The request does not match the ticket it claims (digest, identity or policy set).
    TicketMismatch = 503,
    /// The ticket was already decided or has expired.
    TicketClosed = 504,
    /// A reviewer may not decide this ticket (unknown, or decided already).
    ReviewRefused = 505,
    /// The approved ticket already authorized its one execution.
    TicketUsed = 506,
    // guard codes continue here

    // ---- privacy (600-699) ----
    /// A privacy detector, dictionary, codebase or operator configuration is invalid.
    PrivacyConfigInvalid = 600,
    /// The privacy router's Cedar schema or policies do not parse or validate.
    PrivacyPolicyInvalid = 601,
    /// A pseudonym vault does not decrypt: wrong key, wrong session or tampered bytes.
    PrivacyVaultDecrypt = 602,
    /// A pseudonym vault's bytes are not well-formed.
    PrivacyVaultMalformed = 603,
    /// The differential-privacy budget of an identity is spent.
    PrivacyBudgetExhausted = 604,
    /// A key has the wrong length or encoding.
    PrivacyKeyInvalid = 605,
    /// A request to redact or route is malformed (for example a chat message list).
    PrivacyRequestInvalid = 606,
    /// A detector failed while analysing text.
    PrivacyDetectorFailed = 607,
    /// The NER model files were not found where they were looked for.
    NerModelNotFound = 680,
    /// The NER model files are malformed or of an unsupported kind.
    NerModelInvalid = 681,
    /// NER tokenization or inference failed.
    NerInference = 682,
    // privacy codes continue here

    // ---- sandbox (700-799) ----
    /// A protection the profile asks for cannot be applied here.
    SandboxProtectionUnavailable = 700,
    /// The sandbox profile or command is not valid.
    SandboxInvalidProfile = 701,
    /// Setting up the sandbox failed.
    SandboxSetupFailed = 702,
    /// The command could not be executed inside the sandbox.
    SandboxExecFailed = 703,
    /// freeze, thaw or kill failed.
    SandboxControlFailed = 704,
    // sandbox codes continue here
}

impl ErrorCode {
    /// The stable number of this code.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// A stable, lowercase snake_case name (used in JSON output and by the CLI).
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::InvalidUtf8 => "invalid_utf8",
            ErrorCode::Io => "io",
            ErrorCode::Internal => "internal",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::TokenMalformed => "token_malformed",
            ErrorCode::TokenBadSignature => "token_bad_signature",
            ErrorCode::TokenUnknownKey => "token_unknown_key",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::TokenNotYetValid => "token_not_yet_valid",
            ErrorCode::TokenWrongAudience => "token_wrong_audience",
            ErrorCode::TokenRevoked => "token_revoked",
            ErrorCode::TokenScopeEscalation => "token_scope_escalation",
            ErrorCode::TokenChainTooDeep => "token_chain_too_deep",
            ErrorCode::TokenProofOfPossession => "token_proof_of_possession",
            ErrorCode::ScopeInvalid => "scope_invalid",
            ErrorCode::KeyInvalid => "key_invalid",
            ErrorCode::TokenChainInvalid => "token_chain_invalid",
            // identity names continue here
            ErrorCode::AuditFrameCorrupt => "audit_frame_corrupt",
            ErrorCode::AuditRecordMalformed => "audit_record_malformed",
            ErrorCode::AuditBadSignature => "audit_bad_signature",
            ErrorCode::AuditUntrustedKey => "audit_untrusted_key",
            ErrorCode::AuditChainBroken => "audit_chain_broken",
            ErrorCode::AuditCheckpointMismatch => "audit_checkpoint_mismatch",
            ErrorCode::AuditTruncated => "audit_truncated",
            ErrorCode::AuditLogClosed => "audit_log_closed",
            ErrorCode::AuditProofInvalid => "audit_proof_invalid",
            ErrorCode::AuditLocked => "audit_locked",
            ErrorCode::AuditSinkFailed => "audit_sink_failed",
            ErrorCode::AuditRedactionFailed => "audit_redaction_failed",
            // audit names continue here
            ErrorCode::IntentInvalidRequest => "intent_invalid_request",
            // intent names continue here
            ErrorCode::PolicyParse => "policy_parse",
            ErrorCode::PolicySchema => "policy_schema",
            ErrorCode::PolicyInvalid => "policy_invalid",
            ErrorCode::PolicyPackNotFound => "policy_pack_not_found",
            ErrorCode::PolicyManifest => "policy_manifest",
            ErrorCode::PolicyPrincipal => "policy_principal",
            // policy names continue here
            ErrorCode::GuardConfig => "guard_config",
            ErrorCode::TicketNotFound => "ticket_not_found",
            ErrorCode::TicketStore => "ticket_store",
            ErrorCode::TicketMismatch => "ticket_mismatch",
            ErrorCode::TicketClosed => "ticket_closed",
            ErrorCode::ReviewRefused => "review_refused",
            ErrorCode::TicketUsed => "ticket_used",
            // guard names continue here
            ErrorCode::PrivacyConfigInvalid => "privacy_config_invalid",
            ErrorCode::PrivacyPolicyInvalid => "privacy_policy_invalid",
            ErrorCode::PrivacyVaultDecrypt => "privacy_vault_decrypt",
            ErrorCode::PrivacyVaultMalformed => "privacy_vault_malformed",
            ErrorCode::PrivacyBudgetExhausted => "privacy_budget_exhausted",
            ErrorCode::PrivacyKeyInvalid => "privacy_key_invalid",
            ErrorCode::PrivacyRequestInvalid => "privacy_request_invalid",
            ErrorCode::PrivacyDetectorFailed => "privacy_detector_failed",
            ErrorCode::NerModelNotFound => "ner_model_not_found",
            ErrorCode::NerModelInvalid => "ner_model_invalid",
            ErrorCode::NerInference => "ner_inference",
            // privacy names continue here
            ErrorCode::SandboxProtectionUnavailable => "sandbox_protection_unavailable",
            ErrorCode::SandboxInvalidProfile => "sandbox_invalid_profile",
            ErrorCode::SandboxSetupFailed => "sandbox_setup_failed",
            ErrorCode::SandboxExecFailed => "sandbox_exec_failed",
            ErrorCode::SandboxControlFailed => "sandbox_control_failed",
            // sandbox names continue here
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
