//! The OpenShell runtime: run a command in an ephemeral kernel-level
//! sandbox that sees only what its task needs, and fails closed.
//!
//! On Linux a [`SandboxProfile`] becomes fresh user, mount, pid, net, ipc,
//! uts and cgroup namespaces; a `pivot_root` into a tmpfs root holding
//! read-only binds of the system directories, a filtered `/etc`, a minimal
//! `/dev`, the new pid namespace's `/proc`, a private `/tmp` and the
//! read-write workspace; landlock rules for the same paths at the best ABI
//! the kernel offers; a seccomp-bpf deny filter; `no_new_privs`; every
//! capability dropped; rlimits and cgroup limits; a scrubbed environment
//! and a timeout that kills the whole tree. Networks are `none`, `loopback`
//! or an allow-list of hosts reached through a filtering proxy that runs in
//! the caller (see [`NetworkMode::AllowList`] and [`AllowList`]; every
//! request is reported in [`Outcome::connections`]). A protection that is asked for
//! and cannot be applied is a refusal
//! ([`SandboxError::ProtectionUnavailable`]) unless the profile says
//! `best_effort`, and then the [`Outcome`] lists what was skipped.
//! On other systems every entry point answers [`SandboxError::Unsupported`].
//!
//! ```no_run
//! use nemoclaw_core::sandbox::{NetworkMode, Sandbox, SandboxProfile};
//!
//! let profile = SandboxProfile::builder()
//!     .workspace("/tmp")
//!     .network(NetworkMode::None)
//!     .memory(Some(512 << 20))
//!     .pids(Some(64))
//!     .build()?;
//! let outcome = Sandbox::run(&profile, &["/bin/echo", "hello"], b"")?;
//! assert_eq!(outcome.stdout, b"hello\n");
//! # Ok::<(), nemoclaw_core::sandbox::SandboxError>(())
//! ```
//!
//! # Unsafe code
//!
//! The workspace denies `unsafe_code`; `nemoclaw-core`'s `lib.rs` forbids
//! it on every module except this one, which is allowed it because forking,
//! namespaces, mounts and `execve` are system calls without a safe
//! wrapper. Every `unsafe` block carries a `// SAFETY:` comment, and all of
//! them live in `linux/` (the post-fork code in `linux/child.rs`).

mod allowlist;
mod error;
mod outcome;
mod profile;

#[cfg(all(target_os = "linux", feature = "sandbox"))]
mod linux;

pub use allowlist::{special_address, AllowList, PROXY_ENV, PROXY_PORT};
pub use error::SandboxError;
pub use outcome::{
    Connection, ExitStatus, NetDecision, Outcome, Protection, Skipped, Usage, Violation,
    MAX_CONNECTIONS_REPORTED,
};
pub use profile::{
    IdMapping, Limits, NetworkMode, PathGrant, SandboxProfile, SandboxProfileBuilder,
    DEFAULT_ENV_ALLOW, DEFAULT_SYSTEM_PATHS,
};

#[cfg(all(target_os = "linux", feature = "sandbox"))]
pub use linux::{doctor, DoctorLine, PreparedSandbox, RunningSandbox, Sandbox, SandboxControl};

#[cfg(not(all(target_os = "linux", feature = "sandbox")))]
mod unsupported;
#[cfg(not(all(target_os = "linux", feature = "sandbox")))]
pub use unsupported::{
    doctor, DoctorLine, PreparedSandbox, RunningSandbox, Sandbox, SandboxControl,
};
