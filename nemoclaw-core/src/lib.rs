#![doc = include_str!("../README.md")]

pub mod audit;
pub mod error;
pub mod identity;
pub mod intent;

pub use error::ErrorCode;
