//! What a sandbox run produced and which protections it ran under.

use std::fmt;
use std::time::Duration;

/// One protection the sandbox applies. Its [`name`](Protection::name) is the
/// stable word used in errors, in `nemoclaw sandbox doctor` and in docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Protection {
    /// A fresh user namespace; ids mapped one to one.
    UserNamespace,
    /// A fresh mount namespace.
    MountNamespace,
    /// A fresh pid namespace; the command is its pid 1.
    PidNamespace,
    /// A fresh network namespace.
    NetNamespace,
    /// A fresh IPC namespace.
    IpcNamespace,
    /// A fresh UTS namespace (own hostname).
    UtsNamespace,
    /// A fresh cgroup namespace.
    CgroupNamespace,
    /// `pivot_root` into a tmpfs root of read-only binds; host root detached.
    PivotRoot,
    /// Landlock file-system rules.
    Landlock,
    /// Landlock TCP bind/connect rules (ABI 4+), used with network none.
    LandlockNetwork,
    /// Landlock scoping of signals and abstract UNIX sockets (ABI 6+).
    LandlockScope,
    /// The seccomp-bpf deny filter.
    Seccomp,
    /// `PR_SET_NO_NEW_PRIVS`.
    NoNewPrivs,
    /// Every capability dropped (bounding, ambient, effective, permitted,
    /// inheritable) and root's special treatment locked off.
    DropCapabilities,
    /// Per-process rlimits (CPU time, file size, open files, core 0).
    Rlimits,
    /// cgroup memory limit.
    CgroupMemory,
    /// cgroup pids limit.
    CgroupPids,
    /// cgroup CPU bandwidth limit.
    CgroupCpu,
    /// cgroup freezer (else freeze stops every process with SIGSTOP).
    CgroupFreezer,
    /// Wall-clock timeout killing the whole tree.
    WallTimeout,
    /// Environment reduced to the allow-list.
    ScrubbedEnvironment,
    /// Outbound allow-list through a filtering proxy.
    NetworkAllowList,
}

impl Protection {
    /// Every protection, in the order doctor prints them.
    pub const ALL: [Protection; 22] = [
        Protection::UserNamespace,
        Protection::MountNamespace,
        Protection::PidNamespace,
        Protection::NetNamespace,
        Protection::IpcNamespace,
        Protection::UtsNamespace,
        Protection::CgroupNamespace,
        Protection::PivotRoot,
        Protection::Landlock,
        Protection::LandlockNetwork,
        Protection::LandlockScope,
        Protection::Seccomp,
        Protection::NoNewPrivs,
        Protection::DropCapabilities,
        Protection::Rlimits,
        Protection::CgroupMemory,
        Protection::CgroupPids,
        Protection::CgroupCpu,
        Protection::CgroupFreezer,
        Protection::WallTimeout,
        Protection::ScrubbedEnvironment,
        Protection::NetworkAllowList,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Protection::UserNamespace => "user-namespace",
            Protection::MountNamespace => "mount-namespace",
            Protection::PidNamespace => "pid-namespace",
            Protection::NetNamespace => "net-namespace",
            Protection::IpcNamespace => "ipc-namespace",
            Protection::UtsNamespace => "uts-namespace",
            Protection::CgroupNamespace => "cgroup-namespace",
            Protection::PivotRoot => "pivot-root",
            Protection::Landlock => "landlock",
            Protection::LandlockNetwork => "landlock-network",
            Protection::LandlockScope => "landlock-scope",
            Protection::Seccomp => "seccomp",
            Protection::NoNewPrivs => "no-new-privs",
            Protection::DropCapabilities => "drop-capabilities",
            Protection::Rlimits => "rlimits",
            Protection::CgroupMemory => "cgroup-memory",
            Protection::CgroupPids => "cgroup-pids",
            Protection::CgroupCpu => "cgroup-cpu",
            Protection::CgroupFreezer => "cgroup-freezer",
            Protection::WallTimeout => "wall-timeout",
            Protection::ScrubbedEnvironment => "scrubbed-environment",
            Protection::NetworkAllowList => "network-allow-list",
        }
    }
}

impl fmt::Display for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A protection that `best_effort` skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The protection not applied.
    pub protection: Protection,
    /// Why it could not be applied.
    pub reason: String,
}

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this code.
    Exited(i32),
    /// It was killed by this signal.
    Signaled(i32),
}

impl ExitStatus {
    /// True for `Exited(0)`.
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }

    /// The shell convention: the exit code, or 128 + signal.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c,
            ExitStatus::Signaled(s) => 128 + s,
        }
    }
}

/// Resources the run used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// From spawn to exit.
    pub wall: Duration,
    /// User CPU time of the command and the descendants it waited for.
    pub user_cpu: Duration,
    /// System CPU time, same scope.
    pub system_cpu: Duration,
    /// Largest resident set of a single process, bytes.
    pub max_rss_bytes: u64,
    /// Peak memory of the whole sandbox (cgroup), bytes, when a memory
    /// cgroup was used.
    pub peak_memory_bytes: Option<u64>,
    /// Bytes written to stdout (all of them, captured or not).
    pub stdout_bytes: u64,
    /// Bytes written to stderr.
    pub stderr_bytes: u64,
}

/// A limit the command ran into, or a signal that says it was stopped by a
/// protection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// The wall-clock limit expired; the tree was killed.
    WallTime(Duration),
    /// The memory cgroup killed a process (OOM).
    Memory {
        /// The limit.
        limit_bytes: u64,
    },
    /// Process creation was refused by the pids limit this many times.
    Pids {
        /// The limit.
        limit: u64,
        /// How many forks failed.
        refused: u64,
    },
    /// A process exceeded its CPU time (SIGXCPU/SIGKILL).
    CpuTime,
    /// A process exceeded the file-size limit (SIGXFSZ).
    FileSize,
    /// A process was killed by seccomp (SIGSYS).
    Seccomp,
    /// Output beyond the capture limit was dropped.
    OutputTruncated {
        /// The capture limit.
        limit_bytes: u64,
    },
    /// The sandbox was killed through [`SandboxControl::kill`](super::SandboxControl::kill).
    Killed,
    /// The network proxy refused a connection (allow-list mode); the same
    /// request is in [`Outcome::connections`].
    NetworkRefused {
        /// The host the sandbox asked for (a name or an IP literal).
        host: String,
        /// The port it asked for.
        port: u16,
        /// Why it was refused.
        reason: String,
    },
}

/// What the network proxy did with one request (allow-list mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetDecision {
    /// Listed, and connected.
    Allowed,
    /// Not listed, or it resolved only to refused addresses: answered 403.
    Refused,
    /// Listed, but the name did not resolve or no address accepted the
    /// connection: answered 502.
    Failed,
}

/// One request the sandbox made to its network proxy, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `CONNECT`, or the method of a plain HTTP forward-proxy request.
    pub method: String,
    /// The host as the sandbox named it (lowercased), or an IP literal.
    pub host: String,
    /// The port asked for.
    pub port: u16,
    /// The address connected to (allowed), or the last address refused or
    /// tried.
    pub address: Option<std::net::SocketAddr>,
    /// What the proxy did.
    pub decision: NetDecision,
    /// Why it was refused or failed (`None` when allowed).
    pub reason: Option<String>,
}

/// The result of [`Sandbox::run`](super::Sandbox::run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// How the command ended.
    pub status: ExitStatus,
    /// Captured stdout (at most the capture limit, shared with stderr).
    pub stdout: Vec<u8>,
    /// Captured stderr.
    pub stderr: Vec<u8>,
    /// Resources used.
    pub usage: Usage,
    /// Limits hit and protections that stopped something.
    pub violations: Vec<Violation>,
    /// Protections in force during the run.
    pub applied: Vec<Protection>,
    /// Protections skipped under `best_effort` (always empty otherwise).
    pub skipped: Vec<Skipped>,
    /// Every request made to the network proxy, allowed or not, in order
    /// (allow-list mode; empty otherwise). At most
    /// [`MAX_CONNECTIONS_REPORTED`] are kept; `connections_dropped` counts
    /// the rest.
    pub connections: Vec<Connection>,
    /// Proxy requests beyond [`MAX_CONNECTIONS_REPORTED`], not listed.
    pub connections_dropped: u64,
}

/// How many proxy requests an [`Outcome`] lists at most.
pub const MAX_CONNECTIONS_REPORTED: usize = 4096;
