//! What a sandbox may see and use: [`SandboxProfile`] and its builder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::SandboxError;

/// Network access of the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NetworkMode {
    /// A fresh network namespace with its loopback interface down: no
    /// connection to anything, not even to the sandbox's own 127.0.0.1.
    #[default]
    None,
    /// A fresh network namespace with its own loopback interface up. The
    /// host's loopback and every outside address stay unreachable.
    Loopback,
    /// Outbound TCP to the listed hosts only, through a filtering proxy
    /// that runs in the caller (host side): the sandbox keeps its own
    /// network namespace with only `lo` up, where a listener on
    /// `127.0.0.1:`[`PROXY_PORT`](super::PROXY_PORT) (created by the
    /// sandbox's init before the command exists, and handed to the caller)
    /// is the only way out. The command gets `HTTP_PROXY`, `HTTPS_PROXY`,
    /// `ALL_PROXY` (and lowercase forms) pointing there. Entries are
    /// described in [`AllowList`](super::AllowList); every request is
    /// reported in [`Outcome::connections`](super::Outcome::connections).
    AllowList(Vec<String>),
}

impl NetworkMode {
    /// Parses the CLI form: `none`, `loopback` or `allow:HOST,HOST,...`.
    pub fn parse(text: &str) -> Result<Self, SandboxError> {
        match text {
            "none" => Ok(NetworkMode::None),
            "loopback" => Ok(NetworkMode::Loopback),
            other => match other.strip_prefix("allow:") {
                Some(hosts) => {
                    let hosts: Vec<String> = hosts
                        .split(',')
                        .map(str::trim)
                        .filter(|h| !h.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if hosts.is_empty() {
                        return Err(SandboxError::InvalidProfile(format!(
                            "network allow-list `{text}` names no host"
                        )));
                    }
                    super::AllowList::parse(&hosts)?;
                    Ok(NetworkMode::AllowList(hosts))
                }
                None => Err(SandboxError::InvalidProfile(format!(
                    "unknown network mode `{text}` (expected none, loopback or allow:HOST,...)"
                ))),
            },
        }
    }
}

/// Resource limits. `None` means "not limited by this profile".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Memory of the whole sandbox (cgroup `memory`), bytes.
    pub memory_bytes: Option<u64>,
    /// Number of processes and threads in the sandbox (cgroup `pids`).
    pub pids: Option<u64>,
    /// CPU time per process (`RLIMIT_CPU`; SIGXCPU then SIGKILL).
    pub cpu_time: Option<Duration>,
    /// CPU bandwidth of the whole sandbox in thousandths of a CPU (cgroup `cpu`).
    pub cpu_millis: Option<u64>,
    /// Wall-clock time; on expiry the whole process tree is killed.
    pub wall_time: Option<Duration>,
    /// Largest file a process may write (`RLIMIT_FSIZE`), bytes.
    pub file_size_bytes: Option<u64>,
    /// Open file descriptors per process (`RLIMIT_NOFILE`).
    pub open_files: Option<u64>,
    /// Bytes of stdout plus stderr kept in the [`Outcome`](super::Outcome);
    /// the rest is read and dropped and a violation is recorded.
    pub output_bytes: u64,
    /// Size of the private `/tmp` (tmpfs), bytes.
    pub tmp_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: Some(1 << 30),
            pids: Some(256),
            cpu_time: None,
            cpu_millis: None,
            wall_time: Some(Duration::from_secs(300)),
            file_size_bytes: Some(1 << 30),
            open_files: Some(1024),
            output_bytes: 16 << 20,
            tmp_bytes: 256 << 20,
        }
    }
}

/// How user and group ids look inside the sandbox (a user namespace maps
/// exactly one user and one group). What they are outside is set with
/// [`SandboxProfileBuilder::outside_ids`] (default: the caller's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdMapping {
    /// User id seen inside.
    pub uid: u32,
    /// Group id seen inside.
    pub gid: u32,
}

/// A mount of a host path into the sandbox at the same absolute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathGrant {
    /// Absolute host path (also its path inside).
    pub path: PathBuf,
    /// Whether the sandbox may write below it.
    pub writable: bool,
}

/// Everything a sandbox is allowed: built with [`SandboxProfile::builder`].
///
/// The profile is plain data; [`Sandbox::prepare`](super::Sandbox::prepare)
/// checks it against what the kernel offers and refuses what it cannot apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxProfile {
    pub(crate) workspace: Option<PathBuf>,
    pub(crate) paths: Vec<PathGrant>,
    pub(crate) system_paths: Vec<PathBuf>,
    pub(crate) network: NetworkMode,
    pub(crate) limits: Limits,
    pub(crate) env_allow: Vec<String>,
    pub(crate) env_set: Vec<(String, String)>,
    pub(crate) ids: Option<IdMapping>,
    pub(crate) outside_ids: Option<(u32, u32)>,
    pub(crate) hostname: String,
    pub(crate) best_effort: bool,
    pub(crate) freezer: bool,
}

/// System directories bound read-only by default (those that exist).
pub const DEFAULT_SYSTEM_PATHS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
];

/// Environment variables copied from the caller by default (when set).
pub const DEFAULT_ENV_ALLOW: &[&str] = &["LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ"];

impl Default for SandboxProfile {
    fn default() -> Self {
        SandboxProfile {
            workspace: None,
            paths: Vec::new(),
            system_paths: DEFAULT_SYSTEM_PATHS.iter().map(PathBuf::from).collect(),
            network: NetworkMode::None,
            limits: Limits::default(),
            env_allow: DEFAULT_ENV_ALLOW.iter().map(|s| (*s).to_owned()).collect(),
            env_set: Vec::new(),
            ids: None,
            outside_ids: None,
            hostname: "nemoclaw".to_owned(),
            best_effort: false,
            freezer: true,
        }
    }
}

impl SandboxProfile {
    /// A builder starting from the defaults: no workspace, network none,
    /// 1 GiB memory, 256 pids, 300 s wall time, 1 GiB files, 1024 open
    /// files, 16 MiB captured output, fail closed.
    pub fn builder() -> SandboxProfileBuilder {
        SandboxProfileBuilder {
            profile: SandboxProfile::default(),
        }
    }

    /// The read-write workspace, if any.
    pub fn workspace(&self) -> Option<&Path> {
        self.workspace.as_deref()
    }

    /// Extra host paths granted.
    pub fn paths(&self) -> &[PathGrant] {
        &self.paths
    }

    /// The network mode.
    pub fn network(&self) -> &NetworkMode {
        &self.network
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether unavailable protections are skipped (and reported) instead of
    /// refused.
    pub fn is_best_effort(&self) -> bool {
        self.best_effort
    }
}

/// Builder for [`SandboxProfile`].
#[derive(Debug, Clone)]
pub struct SandboxProfileBuilder {
    profile: SandboxProfile,
}

impl SandboxProfileBuilder {
    /// The read-write workspace, mounted at the same path inside; the
    /// command starts there.
    pub fn workspace(mut self, dir: impl Into<PathBuf>) -> Self {
        self.profile.workspace = Some(dir.into());
        self
    }

    /// An extra host path, read-only, at the same path inside.
    pub fn read_only(mut self, path: impl Into<PathBuf>) -> Self {
        self.profile.paths.push(PathGrant {
            path: path.into(),
            writable: false,
        });
        self
    }

    /// An extra host path, read-write, at the same path inside.
    pub fn read_write(mut self, path: impl Into<PathBuf>) -> Self {
        self.profile.paths.push(PathGrant {
            path: path.into(),
            writable: true,
        });
        self
    }

    /// Replaces the read-only system directories (default
    /// [`DEFAULT_SYSTEM_PATHS`]); missing ones are skipped.
    pub fn system_paths<I, P>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        self.profile.system_paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// The network mode.
    pub fn network(mut self, mode: NetworkMode) -> Self {
        self.profile.network = mode;
        self
    }

    /// All limits at once.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.profile.limits = limits;
        self
    }

    /// Memory limit of the whole sandbox (`None`: unlimited).
    pub fn memory(mut self, bytes: Option<u64>) -> Self {
        self.profile.limits.memory_bytes = bytes;
        self
    }

    /// Process/thread limit of the whole sandbox (`None`: unlimited).
    pub fn pids(mut self, max: Option<u64>) -> Self {
        self.profile.limits.pids = max;
        self
    }

    /// CPU time per process (`None`: unlimited).
    pub fn cpu_time(mut self, limit: Option<Duration>) -> Self {
        self.profile.limits.cpu_time = limit;
        self
    }

    /// CPU bandwidth in thousandths of a CPU (`None`: unlimited).
    pub fn cpu_millis(mut self, millis: Option<u64>) -> Self {
        self.profile.limits.cpu_millis = millis;
        self
    }

    /// Wall-clock limit (`None`: unlimited).
    pub fn wall_time(mut self, limit: Option<Duration>) -> Self {
        self.profile.limits.wall_time = limit;
        self
    }

    /// Largest file a process may write (`None`: unlimited).
    pub fn file_size(mut self, bytes: Option<u64>) -> Self {
        self.profile.limits.file_size_bytes = bytes;
        self
    }

    /// Open files per process (`None`: the inherited limit).
    pub fn open_files(mut self, max: Option<u64>) -> Self {
        self.profile.limits.open_files = max;
        self
    }

    /// Bytes of output captured.
    pub fn output_bytes(mut self, bytes: u64) -> Self {
        self.profile.limits.output_bytes = bytes;
        self
    }

    /// Size of the private `/tmp`.
    pub fn tmp_bytes(mut self, bytes: u64) -> Self {
        self.profile.limits.tmp_bytes = bytes;
        self
    }

    /// Copies the named variable from the caller's environment when set.
    pub fn allow_env(mut self, name: impl Into<String>) -> Self {
        self.profile.env_allow.push(name.into());
        self
    }

    /// Sets a variable inside the sandbox.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.profile.env_set.push((name.into(), value.into()));
        self
    }

    /// The user and group ids seen inside (default: the caller's own).
    pub fn ids(mut self, uid: u32, gid: u32) -> Self {
        self.profile.ids = Some(IdMapping { uid, gid });
        self
    }

    /// The host user and group the sandbox's ids map to (default: the
    /// caller's own). Mapping to other ids needs `CAP_SETUID`/`CAP_SETGID`
    /// (root); a root caller can run the sandbox as, say, `nobody` (65534)
    /// so file permissions guard the host once more. The workspace must
    /// then be writable by that user.
    pub fn outside_ids(mut self, uid: u32, gid: u32) -> Self {
        self.profile.outside_ids = Some((uid, gid));
        self
    }

    /// The hostname inside (its own UTS namespace).
    pub fn hostname(mut self, name: impl Into<String>) -> Self {
        self.profile.hostname = name.into();
        self
    }

    /// Skip protections this kernel or process cannot apply instead of
    /// refusing to run; the outcome lists what was skipped. Off by default.
    pub fn best_effort(mut self, yes: bool) -> Self {
        self.profile.best_effort = yes;
        self
    }

    /// Whether to create a cgroup freezer for [`freeze`](super::SandboxControl::freeze)
    /// (default on when a hierarchy offers one). Off, freezing stops every
    /// process of the sandbox with SIGSTOP instead.
    pub fn cgroup_freezer(mut self, yes: bool) -> Self {
        self.profile.freezer = yes;
        self
    }

    /// Grants what a token's scopes allow (the scope algebra of the identity
    /// module): `fs:ro:PATH` and `fs:rw:PATH` become read-only and
    /// read-write paths; `net:localhost`, `net:127.0.0.1` or `net:[::1]`
    /// (any port) make the network `loopback`; any other `net:HOST[:PORT]`
    /// joins a host allow-list served by the filtering proxy (never
    /// silently dropped; an entry the allow-list cannot parse makes
    /// [`build`](Self::build) fail). Other scopes (`tool:`, action
    /// classes) do not concern the sandbox and are skipped. A verdict's
    /// workspace is set with [`workspace`](Self::workspace).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for scope in scopes {
            let scope = scope.as_ref();
            if let Some(path) = scope.strip_prefix("fs:ro:") {
                self = self.read_only(path);
            } else if let Some(path) = scope.strip_prefix("fs:rw:") {
                self = self.read_write(path);
            } else if let Some(target) = scope.strip_prefix("net:") {
                let host = if let Some(rest) = target.strip_prefix('[') {
                    rest.split(']').next().unwrap_or(rest)
                } else {
                    target.split(':').next().unwrap_or(target)
                };
                if matches!(host, "localhost" | "127.0.0.1" | "::1") {
                    if self.profile.network == NetworkMode::None {
                        self.profile.network = NetworkMode::Loopback;
                    }
                } else {
                    match &mut self.profile.network {
                        NetworkMode::AllowList(hosts) => hosts.push(target.to_owned()),
                        other => *other = NetworkMode::AllowList(vec![target.to_owned()]),
                    }
                }
            }
        }
        self
    }

    /// Checks the profile's own consistency (paths absolute, names valid)
    /// and returns it. Kernel support is checked when the sandbox is
    /// prepared.
    pub fn build(self) -> Result<SandboxProfile, SandboxError> {
        let p = &self.profile;
        let mut all: Vec<&Path> = p.paths.iter().map(|g| g.path.as_path()).collect();
        all.extend(p.workspace.as_deref());
        all.extend(p.system_paths.iter().map(PathBuf::as_path));
        for path in all {
            check_path(path)?;
        }
        for (name, value) in &p.env_set {
            check_env_name(name)?;
            if value.contains('\0') {
                return Err(SandboxError::InvalidProfile(format!(
                    "environment value of `{name}` contains a NUL byte"
                )));
            }
        }
        for name in &p.env_allow {
            check_env_name(name)?;
        }
        if p.hostname.is_empty()
            || p.hostname.len() > 64
            || !p
                .hostname
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(SandboxError::InvalidProfile(format!(
                "invalid hostname `{}`",
                p.hostname
            )));
        }
        if let NetworkMode::AllowList(hosts) = &p.network {
            super::AllowList::parse(hosts)?;
        }
        if p.limits.output_bytes > (1 << 32) {
            return Err(SandboxError::InvalidProfile(format!(
                "output capture of `{}` bytes is too large (at most 4 GiB)",
                p.limits.output_bytes
            )));
        }
        Ok(self.profile)
    }
}

fn check_path(path: &Path) -> Result<(), SandboxError> {
    let text = path.to_string_lossy();
    if !path.is_absolute() {
        return Err(SandboxError::InvalidProfile(format!(
            "path `{text}` is not absolute"
        )));
    }
    if text.contains('\0') || text.contains('\n') {
        return Err(SandboxError::InvalidProfile(format!(
            "path `{}` contains a NUL or newline",
            text.escape_debug()
        )));
    }
    if path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(SandboxError::InvalidProfile(format!(
            "path `{text}` contains `..`"
        )));
    }
    Ok(())
}

fn check_env_name(name: &str) -> Result<(), SandboxError> {
    if name.is_empty() || name.contains('=') || name.contains('\0') {
        return Err(SandboxError::InvalidProfile(format!(
            "invalid environment variable name `{}`",
            name.escape_debug()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_network_modes() {
        assert_eq!(NetworkMode::parse("none").unwrap(), NetworkMode::None);
        assert_eq!(
            NetworkMode::parse("loopback").unwrap(),
            NetworkMode::Loopback
        );
        assert_eq!(
            NetworkMode::parse("allow:a.example, b.example").unwrap(),
            NetworkMode::AllowList(vec!["a.example".into(), "b.example".into()])
        );
        assert!(NetworkMode::parse("allow:").is_err());
        assert!(NetworkMode::parse("host").is_err());
    }

    #[test]
    fn scopes_become_grants() {
        let p = SandboxProfile::builder()
            .scopes([
                "fs:ro:/opt/tools",
                "fs:rw:/srv/ws",
                "net:localhost:8080",
                "tool:git",
            ])
            .build()
            .unwrap();
        assert_eq!(p.network(), &NetworkMode::Loopback);
        assert_eq!(p.paths().len(), 2);
        assert!(p.paths()[1].writable);
        let p = SandboxProfile::builder()
            .scopes(["net:localhost", "net:pypi.org:443", "net:*.github.com"])
            .build()
            .unwrap();
        assert_eq!(
            p.network(),
            &NetworkMode::AllowList(vec!["pypi.org:443".into(), "*.github.com".into()])
        );
        assert!(SandboxProfile::builder()
            .scopes(["fs:rw:relative"])
            .build()
            .is_err());
    }

    #[test]
    fn rejects_relative_and_dotdot_paths() {
        assert!(SandboxProfile::builder().workspace("ws").build().is_err());
        assert!(SandboxProfile::builder()
            .read_only("/usr/../etc")
            .build()
            .is_err());
        assert!(SandboxProfile::builder().env("A=B", "x").build().is_err());
        assert!(SandboxProfile::builder().hostname("a b").build().is_err());
        let p = SandboxProfile::builder()
            .workspace("/tmp/ws")
            .build()
            .unwrap();
        assert_eq!(p.workspace(), Some(Path::new("/tmp/ws")));
    }
}
