//! Agentic Identity Tokens: keys, claims, COSE_Sign1 tokens, delegation,
//! trust store, revocation and proof of possession.

mod error;
pub mod keys;

pub use error::IdentityError;
pub use keys::{KeyPair, PublicKey};
