#![doc = include_str!("../README.md")]

pub mod error;
pub mod identity;

pub use error::ErrorCode;
