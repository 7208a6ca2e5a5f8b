#![doc = include_str!("../README.md")]

pub mod error;
pub mod identity;
pub mod intent;
pub mod privacy;

pub use error::ErrorCode;
