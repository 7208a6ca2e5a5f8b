//! Stand-in entry points where the runtime does not exist (not Linux, or
//! the `sandbox` feature off): every call says so; nothing runs.

use std::ffi::OsStr;

use super::error::SandboxError;
use super::outcome::{Outcome, Protection};
use super::profile::SandboxProfile;

fn unsupported() -> SandboxError {
    SandboxError::Unsupported(if cfg!(target_os = "linux") {
        "nemoclaw-core was built without the `sandbox` feature".into()
    } else {
        format!(
            "the sandbox needs Linux, this is `{}`",
            std::env::consts::OS
        )
    })
}

/// Entry points of the sandbox runtime (unavailable here).
#[derive(Debug, Clone, Copy)]
pub struct Sandbox;

/// A prepared profile (never constructed here).
#[derive(Debug, Clone)]
pub struct PreparedSandbox(());

/// A running sandbox (never constructed here).
#[derive(Debug)]
pub struct RunningSandbox(());

/// Control of a running sandbox (never constructed here).
#[derive(Debug, Clone)]
pub struct SandboxControl(());

/// One protection and whether it can be applied here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorLine {
    /// The protection.
    pub protection: Protection,
    /// Always false here.
    pub available: bool,
    /// Why not.
    pub detail: String,
}

impl Sandbox {
    /// Always [`SandboxError::Unsupported`].
    pub fn prepare(_profile: &SandboxProfile) -> Result<PreparedSandbox, SandboxError> {
        Err(unsupported())
    }

    /// Always [`SandboxError::Unsupported`].
    pub fn run<S: AsRef<OsStr>>(
        _profile: &SandboxProfile,
        _argv: &[S],
        _stdin: &[u8],
    ) -> Result<Outcome, SandboxError> {
        Err(unsupported())
    }

    /// Always [`SandboxError::Unsupported`].
    pub fn spawn<S: AsRef<OsStr>>(
        _profile: &SandboxProfile,
        _argv: &[S],
    ) -> Result<RunningSandbox, SandboxError> {
        Err(unsupported())
    }
}

/// Every protection, unavailable.
pub fn doctor() -> (Vec<DoctorLine>, Result<String, String>) {
    let reason = unsupported().to_string();
    let lines = Protection::ALL
        .iter()
        .map(|&protection| DoctorLine {
            protection,
            available: false,
            detail: reason.clone(),
        })
        .collect();
    (lines, Err(reason))
}
