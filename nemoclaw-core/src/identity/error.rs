use crate::ErrorCode;

/// Everything that can go wrong with keys, scopes and identity tokens.
///
/// Token variants say which token of a delegation chain failed by its depth
/// (`0` is the root) where that helps.
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
    /// The token bytes are not a well-formed AIT.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// A signature in the chain does not verify.
    #[error("bad signature on the token at depth {depth} (key `{kid}`)")]
    BadSignature {
        /// Depth of the token in its chain.
        depth: u32,
        /// The key id it names.
        kid: String,
    },
    /// No trusted key (or not the parent's `cnf` key) has the token's `kid`,
    /// or the key was not valid when the token was issued.
    #[error("unknown key `{kid}` for the token at depth {depth}: {reason}")]
    UnknownKey {
        /// Depth of the token in its chain.
        depth: u32,
        /// The key id the token names.
        kid: String,
        /// Why the key was not accepted.
        reason: String,
    },
    /// A token of the chain has expired.
    #[error("token at depth {depth} expired at `{exp}` (now `{now}`)")]
    Expired {
        /// Depth of the token in its chain.
        depth: u32,
        /// Its `exp`.
        exp: u64,
        /// The verification time.
        now: u64,
    },
    /// A token of the chain is not valid yet.
    #[error("token at depth {depth} is not valid before `{nbf}` (now `{now}`)")]
    NotYetValid {
        /// Depth of the token in its chain.
        depth: u32,
        /// Its `nbf` (or `iat` when that lies in the future).
        nbf: u64,
        /// The verification time.
        now: u64,
    },
    /// The audience does not match the verifier's.
    #[error("wrong audience: token has `{found}`, verifier expects `{expected}`")]
    WrongAudience {
        /// What the verifier expects (`(none)` when it names none).
        expected: String,
        /// What the token carries (`(none)` when absent).
        found: String,
    },
    /// The token or one of its ancestors is revoked.
    #[error("token at depth {depth} with cti `{cti}` is revoked")]
    Revoked {
        /// Depth of the revoked token in the chain.
        depth: u32,
        /// Its `cti` in hex.
        cti: String,
    },
    /// A delegated token asks for more than its parent holds.
    #[error("scope escalation: {0}")]
    ScopeEscalation(String),
    /// The delegation chain is deeper than allowed.
    #[error("delegation depth `{depth}` exceeds the limit of {max}")]
    ChainTooDeep {
        /// The depth found or requested.
        depth: u32,
        /// The limit.
        max: u32,
    },
    /// A delegated token is inconsistent with its parent (issuer, depth,
    /// origin) in a way that is not a widening of rights.
    #[error("invalid delegation chain: {0}")]
    ChainInvalid(String),
    /// The proof of possession does not verify against the token's `cnf` key.
    #[error("proof of possession failed: {0}")]
    ProofOfPossession(String),
    /// A scope string does not parse.
    #[error("invalid scope `{scope}`: {reason}")]
    ScopeInvalid {
        /// The offending scope (shortened to 80 characters).
        scope: String,
        /// Why it was refused.
        reason: String,
    },
    /// A builder or option was given an unusable value.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl IdentityError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            IdentityError::KeyInvalid(_) => ErrorCode::KeyInvalid,
            IdentityError::KeyIo { .. } => ErrorCode::Io,
            IdentityError::Malformed(_) => ErrorCode::TokenMalformed,
            IdentityError::BadSignature { .. } => ErrorCode::TokenBadSignature,
            IdentityError::UnknownKey { .. } => ErrorCode::TokenUnknownKey,
            IdentityError::Expired { .. } => ErrorCode::TokenExpired,
            IdentityError::NotYetValid { .. } => ErrorCode::TokenNotYetValid,
            IdentityError::WrongAudience { .. } => ErrorCode::TokenWrongAudience,
            IdentityError::Revoked { .. } => ErrorCode::TokenRevoked,
            IdentityError::ScopeEscalation(_) => ErrorCode::TokenScopeEscalation,
            IdentityError::ChainTooDeep { .. } => ErrorCode::TokenChainTooDeep,
            IdentityError::ChainInvalid(_) => ErrorCode::TokenChainInvalid,
            IdentityError::ProofOfPossession(_) => ErrorCode::TokenProofOfPossession,
            IdentityError::ScopeInvalid { .. } => ErrorCode::ScopeInvalid,
            IdentityError::InvalidArgument(_) => ErrorCode::InvalidArgument,
        }
    }
}
