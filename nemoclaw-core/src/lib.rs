#![doc = include_str!("../README.md")]

pub mod error;
pub mod guard;
pub mod identity;
pub mod intent;
pub mod policy;

pub use error::ErrorCode;
