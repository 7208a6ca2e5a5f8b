#![doc = include_str!("../README.md")]

// Unsafe code: the workspace denies it; every module here forbids it
// (so no `allow` inside can re-enable it) except `sandbox`, whose syscalls
// have no safe wrapper. New modules must carry `#[forbid(unsafe_code)]` too
// (checked by the `unsafe_is_confined_to_the_sandbox` test).
#[forbid(unsafe_code)]
pub mod audit;
#[forbid(unsafe_code)]
pub mod error;
#[forbid(unsafe_code)]
pub mod guard;
#[forbid(unsafe_code)]
pub mod identity;
#[forbid(unsafe_code)]
pub mod intent;
#[forbid(unsafe_code)]
pub mod policy;
#[forbid(unsafe_code)]
pub mod privacy;
#[allow(unsafe_code)]
pub mod sandbox;

pub use error::ErrorCode;
