//! Turning a [`SandboxProfile`] into a [`Plan`]: every check that can fail
//! happens here, in the caller, before anything is forked.

use std::ffi::{CString, OsStr};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use landlock::ABI;
use seccompiler::BpfProgram;

use super::cgroup::CgroupRequest;
use super::child::MountStep;
use super::seccomp;
use crate::sandbox::allowlist::{AllowList, PROXY_ENV, PROXY_PORT};
use crate::sandbox::error::SandboxError;
use crate::sandbox::outcome::{Protection, Skipped};
use crate::sandbox::profile::{Limits, NetworkMode, SandboxProfile};

/// Steps of the set-up inside the new namespaces, reported by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetupStep {
    Stdio = 1,
    CloseFds,
    CgroupJoin,
    Unshare,
    IdMap,
    Fork,
    Prctl,
    MountPrivate,
    Staging,
    PivotRoot,
    NewRoot,
    Bind,
    BindAttributes,
    Tmpfs,
    Proc,
    EtcFiles,
    DetachHost,
    Hostname,
    Loopback,
    Chdir,
    Rlimits,
    Capabilities,
    NoNewPrivs,
    Landlock,
    Seccomp,
    Exec,
    Terminal,
    OomScore,
    ProxyBridge,
}

impl SetupStep {
    const ALL: [SetupStep; 29] = [
        SetupStep::Stdio,
        SetupStep::CloseFds,
        SetupStep::CgroupJoin,
        SetupStep::Unshare,
        SetupStep::IdMap,
        SetupStep::Fork,
        SetupStep::Prctl,
        SetupStep::MountPrivate,
        SetupStep::Staging,
        SetupStep::PivotRoot,
        SetupStep::NewRoot,
        SetupStep::Bind,
        SetupStep::BindAttributes,
        SetupStep::Tmpfs,
        SetupStep::Proc,
        SetupStep::EtcFiles,
        SetupStep::DetachHost,
        SetupStep::Hostname,
        SetupStep::Loopback,
        SetupStep::Chdir,
        SetupStep::Rlimits,
        SetupStep::Capabilities,
        SetupStep::NoNewPrivs,
        SetupStep::Landlock,
        SetupStep::Seccomp,
        SetupStep::Exec,
        SetupStep::Terminal,
        SetupStep::OomScore,
        SetupStep::ProxyBridge,
    ];

    pub(crate) fn from_i64(n: i64) -> Option<Self> {
        SetupStep::ALL.iter().copied().find(|s| *s as i64 == n)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            SetupStep::Stdio => "stdio",
            SetupStep::CloseFds => "close-fds",
            SetupStep::CgroupJoin => "cgroup-join",
            SetupStep::Unshare => "unshare",
            SetupStep::IdMap => "id-map",
            SetupStep::Fork => "fork",
            SetupStep::Prctl => "prctl",
            SetupStep::MountPrivate => "mount-private",
            SetupStep::Staging => "staging-tmpfs",
            SetupStep::PivotRoot => "pivot_root",
            SetupStep::NewRoot => "new-root",
            SetupStep::Bind => "bind-mount",
            SetupStep::BindAttributes => "mount-attributes",
            SetupStep::Tmpfs => "tmpfs",
            SetupStep::Proc => "proc",
            SetupStep::EtcFiles => "etc",
            SetupStep::DetachHost => "detach-host-root",
            SetupStep::Hostname => "hostname",
            SetupStep::Loopback => "loopback",
            SetupStep::Chdir => "chdir",
            SetupStep::Rlimits => "rlimits",
            SetupStep::Capabilities => "capabilities",
            SetupStep::NoNewPrivs => "no-new-privs",
            SetupStep::Landlock => "landlock",
            SetupStep::Seccomp => "seccomp",
            SetupStep::Exec => "exec",
            SetupStep::Terminal => "leave-terminal",
            SetupStep::OomScore => "oom-score",
            SetupStep::ProxyBridge => "proxy-bridge",
        }
    }

    /// The protection a failure of this step makes unavailable.
    pub(crate) fn protection(self) -> Option<Protection> {
        Some(match self {
            SetupStep::Unshare | SetupStep::IdMap => Protection::UserNamespace,
            SetupStep::MountPrivate
            | SetupStep::Staging
            | SetupStep::PivotRoot
            | SetupStep::NewRoot
            | SetupStep::DetachHost => Protection::PivotRoot,
            SetupStep::Proc => Protection::PidNamespace,
            SetupStep::Hostname => Protection::UtsNamespace,
            SetupStep::Loopback => Protection::NetNamespace,
            SetupStep::Rlimits => Protection::Rlimits,
            SetupStep::Capabilities => Protection::DropCapabilities,
            SetupStep::NoNewPrivs => Protection::NoNewPrivs,
            SetupStep::Landlock => Protection::Landlock,
            SetupStep::Seccomp => Protection::Seccomp,
            SetupStep::ProxyBridge => Protection::NetworkAllowList,
            _ => return None,
        })
    }
}

/// Everything the sandbox's processes need, computed once per profile.
#[derive(Debug)]
pub(crate) struct Plan {
    pub unshare_flags: libc::c_int,
    pub uid_map: CString,
    pub gid_map: CString,
    pub parent_maps: bool,
    pub inside_ids: (u32, u32),
    pub staging: CString,
    pub mounts: Vec<MountStep>,
    pub hostname: CString,
    pub loopback: bool,
    pub cwd: CString,
    pub rlimits: Vec<(libc::__rlimit_resource_t, u64, u64)>,
    pub landlock_abi: Option<ABI>,
    pub landlock_net: bool,
    pub landlock_scope: bool,
    /// TCP ports the command may connect to under landlock network rules
    /// (the proxy's, in allow-list mode).
    pub landlock_connect_ports: Vec<u16>,
    /// The allow-list the host-side proxy enforces (allow-list mode).
    pub proxy: Option<std::sync::Arc<AllowList>>,
    pub landlock_read: Vec<CString>,
    pub landlock_write: Vec<CString>,
    pub landlock_dev: Vec<CString>,
    pub landlock_list: Vec<CString>,
    pub landlock_proc: Vec<CString>,
    pub seccomp: bool,
    pub x32_guard: BpfProgram,
    pub clone3_filter: BpfProgram,
    pub seccomp_filter: BpfProgram,
    pub env: Vec<CString>,
    pub path_dirs: Vec<PathBuf>,
    pub best_effort: bool,
    pub cgroups: CgroupRequest,
    pub limits: Limits,
    pub applied: Vec<Protection>,
    pub skipped: Vec<Skipped>,
    /// The caller may exempt its keeper from the OOM killer (it holds
    /// CAP_SYS_RESOURCE).
    pub keeper_oom_exempt: bool,
    /// The caller's own `oom_score_adj` (the keeper's, unless exempt).
    pub caller_oom_adj: i32,
}

/// `oom_score_adj` that exempts a process from the OOM killer.
pub(crate) const OOM_SCORE_ADJ_MIN: i32 = -1000;
/// `oom_score_adj` of every process of the sandbox: the OOM killer's first
/// choice, in its memory cgroup and on the host.
pub(crate) const OOM_SCORE_ADJ_MAX: i32 = 1000;

/// Per-run parts: the command and this run's cgroups.
#[derive(Debug)]
pub(crate) struct RunPlan {
    pub argv: Vec<CString>,
    pub exec_candidates: Vec<CString>,
    pub thaw: Option<(CString, &'static str)>,
    pub wall: Option<Duration>,
    /// Whether pid 1 waits for the caller to join it to cgroups.
    pub await_join: bool,
    /// Written to pid 1's `/proc/self/oom_score_adj` first thing (the
    /// command inherits it).
    pub oom_score_adj: CString,
}

/// The default `PATH` inside.
pub(crate) const DEFAULT_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Files and directories of the host's `/etc` copied into the sandbox's
/// own `/etc`; everything else (shadow, gshadow, ssh keys, credentials,
/// machine-id, ...) stays out. passwd, group, hosts and hostname are
/// written fresh.
const ETC_ALLOW: &[&str] = &[
    "nsswitch.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "protocols",
    "services",
    "os-release",
    "debian_version",
    "mime.types",
    "gai.conf",
    "host.conf",
    "networks",
    "shells",
    "inputrc",
    "bash.bashrc",
    "profile",
];

/// Directories of `/etc` bound read-only as a whole (many entries, no
/// secrets): Debian's alternatives are symlinks that /usr/bin/awk and
/// friends go through.
const ETC_BIND: &[&str] = &["alternatives"];

/// Device nodes bound from the host.
const DEV_NODES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

fn cstring(bytes: impl AsRef<[u8]>) -> Result<CString, SandboxError> {
    CString::new(bytes.as_ref().to_vec()).map_err(|_| {
        SandboxError::InvalidProfile(format!(
            "`{}` contains a NUL byte",
            String::from_utf8_lossy(bytes.as_ref())
        ))
    })
}

fn prefixed(prefix: &str, path: &Path) -> Result<CString, SandboxError> {
    let mut bytes = prefix.as_bytes().to_vec();
    bytes.extend_from_slice(path.as_os_str().as_bytes());
    cstring(bytes)
}

/// The landlock ABI of the running kernel (`Unsupported` when absent).
pub(crate) fn kernel_landlock_abi() -> (ABI, i32) {
    // SAFETY: LANDLOCK_CREATE_RULESET_VERSION with a NULL attribute
    // pointer and size 0 only queries the ABI version.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    };
    let v = i32::try_from(v).unwrap_or(-1);
    if v <= 0 {
        (ABI::Unsupported, v)
    } else {
        (ABI::from(v), v)
    }
}

struct Refusals<'a> {
    best_effort: bool,
    skipped: &'a mut Vec<Skipped>,
}

impl Refusals<'_> {
    fn refuse(&mut self, protection: Protection, reason: String) -> Result<(), SandboxError> {
        if self.best_effort {
            self.skipped.push(Skipped { protection, reason });
            Ok(())
        } else {
            Err(SandboxError::unavailable(protection, reason))
        }
    }
}

fn canonical_dir(path: &Path, what: &str) -> Result<PathBuf, SandboxError> {
    let real = fs::canonicalize(path).map_err(|e| {
        SandboxError::InvalidProfile(format!("{what} `{}` is not usable: {e}", path.display()))
    })?;
    if real == Path::new("/")
        || real.starts_with("/proc")
        || real.starts_with("/dev")
        || real.starts_with("/sys")
    {
        return Err(SandboxError::InvalidProfile(format!(
            "{what} `{}` would expose the host's root, /proc, /dev or /sys",
            path.display()
        )));
    }
    Ok(real)
}

fn etc_steps(
    mounts: &mut Vec<MountStep>,
    host: &Path,
    inside: &Path,
    depth: u8,
) -> Result<(), SandboxError> {
    let Ok(meta) = fs::symlink_metadata(host) else {
        return Ok(());
    };
    let target = prefixed("/newroot", inside)?;
    if meta.file_type().is_symlink() {
        if let Ok(link) = fs::read_link(host) {
            mounts.push(MountStep::Symlink {
                target: cstring(link.as_os_str().as_bytes())?,
                link: target,
            });
        }
    } else if meta.is_file() && meta.len() <= 4 << 20 {
        if let Ok(data) = fs::read(host) {
            mounts.push(MountStep::File { target, data });
        }
    } else if meta.is_dir() && depth == 0 {
        mounts.push(MountStep::Dir { target });
        let mut entries: Vec<_> = fs::read_dir(host)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        entries.sort();
        for name in entries {
            etc_steps(mounts, &host.join(&name), &inside.join(&name), depth + 1)?;
        }
    }
    Ok(())
}

/// Checks the profile against this kernel and process and computes the
/// plan. Fails closed: a protection that cannot be applied is an error
/// unless the profile is `best_effort`.
pub(crate) fn build(profile: &SandboxProfile) -> Result<Plan, SandboxError> {
    let mut skipped = Vec::new();
    let mut refusals = Refusals {
        best_effort: profile.best_effort,
        skipped: &mut skipped,
    };
    let mut applied = vec![
        Protection::UserNamespace,
        Protection::MountNamespace,
        Protection::PidNamespace,
        Protection::NetNamespace,
        Protection::IpcNamespace,
        Protection::UtsNamespace,
        Protection::CgroupNamespace,
        Protection::PivotRoot,
    ];

    // Allow-list: `lo` up for the proxy's listener, and a host-side proxy.
    let (loopback, proxy) = match &profile.network {
        NetworkMode::None => (false, None),
        NetworkMode::Loopback => (true, None),
        NetworkMode::AllowList(hosts) => {
            (true, Some(std::sync::Arc::new(AllowList::parse(hosts)?)))
        }
    };

    // Landlock, at the best ABI this kernel offers.
    let (abi, raw) = kernel_landlock_abi();
    let landlock_abi = if abi == ABI::Unsupported {
        refusals.refuse(
            Protection::Landlock,
            format!("the kernel offers no landlock ABI (query returned {raw})"),
        )?;
        None
    } else {
        applied.push(Protection::Landlock);
        Some(abi)
    };
    // Network none: no TCP bind or connect at all; allow-list: connect to
    // the proxy's port only; loopback: the namespace's own `lo` is free.
    let landlock_net = (!loopback || proxy.is_some()) && landlock_abi.is_some_and(|a| a >= ABI::V4);
    if landlock_net {
        applied.push(Protection::LandlockNetwork);
    }
    let landlock_connect_ports = if proxy.is_some() {
        applied.push(Protection::NetworkAllowList);
        vec![PROXY_PORT]
    } else {
        Vec::new()
    };
    let landlock_scope = landlock_abi.is_some_and(|a| a >= ABI::V6);
    if landlock_scope {
        applied.push(Protection::LandlockScope);
    }

    let seccomp_filter = seccomp::deny_filter()?;
    let clone3_filter = seccomp::clone3_filter()?;
    applied.extend([
        Protection::Seccomp,
        Protection::NoNewPrivs,
        Protection::DropCapabilities,
        Protection::Rlimits,
        Protection::ScrubbedEnvironment,
    ]);

    // The new root.
    let mut mounts = Vec::new();
    let mut landlock_read = Vec::new();
    for path in &profile.system_paths {
        let Ok(meta) = fs::symlink_metadata(path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            let link =
                fs::read_link(path).map_err(|e| SandboxError::io(path.display().to_string(), e))?;
            mounts.push(MountStep::Symlink {
                target: cstring(link.as_os_str().as_bytes())?,
                link: prefixed("/newroot", path)?,
            });
        } else if meta.is_dir() {
            mounts.push(MountStep::Bind {
                source: prefixed("/oldroot", path)?,
                target: prefixed("/newroot", path)?,
                dir: true,
                writable: false,
                dev: false,
            });
        } else {
            continue;
        }
        landlock_read.push(prefixed("", path)?);
    }

    let workspace = match &profile.workspace {
        Some(w) => Some(canonical_dir(w, "workspace")?),
        None => None,
    };
    let own_uid = rustix::process::geteuid().as_raw();
    let own_gid = rustix::process::getegid().as_raw();
    let (uid, gid) = profile.outside_ids.unwrap_or((own_uid, own_gid));
    // Only the caller (with CAP_SETUID/CAP_SETGID in its namespace) may map
    // ids other than its own; the keeper maps itself otherwise.
    let parent_maps = (uid, gid) != (own_uid, own_gid);
    let (in_uid, in_gid) = profile.ids.map_or((uid, gid), |m| (m.uid, m.gid));
    let home = workspace.clone().unwrap_or_else(|| PathBuf::from("/tmp"));

    // /etc: a fresh directory with the allowed entries and synthetic
    // account files.
    mounts.push(MountStep::Dir {
        target: cstring("/newroot/etc")?,
    });
    let mut passwd = String::from("root:x:0:0:root:/root:/bin/sh\n");
    let mut group = String::from("root:x:0:\n");
    if in_uid != 0 && in_uid != 65534 {
        passwd.push_str(&format!(
            "sandbox:x:{in_uid}:{in_gid}:sandbox:{}:/bin/sh\n",
            home.display()
        ));
    }
    if in_gid != 0 && in_gid != 65534 {
        group.push_str(&format!("sandbox:x:{in_gid}:\n"));
    }
    passwd.push_str("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    group.push_str("nogroup:x:65534:\n");
    let hosts = format!(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{}\n",
        profile.hostname
    );
    for (name, data) in [
        ("passwd", passwd),
        ("group", group),
        ("hosts", hosts),
        ("hostname", format!("{}\n", profile.hostname)),
    ] {
        mounts.push(MountStep::File {
            target: cstring(format!("/newroot/etc/{name}"))?,
            data: data.into_bytes(),
        });
    }
    for name in ETC_ALLOW {
        etc_steps(
            &mut mounts,
            &Path::new("/etc").join(name),
            &Path::new("/etc").join(name),
            0,
        )?;
    }
    for name in ETC_BIND {
        let host = Path::new("/etc").join(name);
        if host.is_dir() {
            mounts.push(MountStep::Bind {
                source: prefixed("/oldroot", &host)?,
                target: prefixed("/newroot", &host)?,
                dir: true,
                writable: false,
                dev: false,
            });
        }
    }
    landlock_read.push(cstring("/etc")?);

    // /dev: a handful of nodes, the fd links, a private /dev/shm.
    mounts.push(MountStep::Dir {
        target: cstring("/newroot/dev")?,
    });
    for node in DEV_NODES {
        let host = Path::new("/dev").join(node);
        if host.exists() {
            mounts.push(MountStep::Bind {
                source: prefixed("/oldroot", &host)?,
                target: prefixed("/newroot", &host)?,
                dir: false,
                writable: true,
                dev: true,
            });
        }
    }
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        mounts.push(MountStep::Symlink {
            target: cstring(target)?,
            link: cstring(format!("/newroot/dev/{link}"))?,
        });
    }
    let tmp_options = cstring(format!(
        "mode=1777,size={}",
        profile.limits.tmp_bytes.max(4096)
    ))?;
    mounts.push(MountStep::Tmpfs {
        target: cstring("/newroot/dev/shm")?,
        options: tmp_options.clone(),
    });
    mounts.push(MountStep::Proc {
        target: cstring("/newroot/proc")?,
    });
    mounts.push(MountStep::Tmpfs {
        target: cstring("/newroot/tmp")?,
        options: tmp_options,
    });

    // Workspace and extra paths, parents before children.
    let mut grants: Vec<(PathBuf, bool)> = Vec::new();
    if let Some(w) = &workspace {
        grants.push((w.clone(), true));
    }
    for g in &profile.paths {
        grants.push((canonical_dir_or_file(&g.path)?, g.writable));
    }
    grants.sort_by_key(|(p, _)| p.components().count());
    let mut landlock_write = vec![cstring("/tmp")?, cstring("/dev/shm")?];
    for (path, writable) in &grants {
        mounts.push(MountStep::Bind {
            source: prefixed("/oldroot", path)?,
            target: prefixed("/newroot", path)?,
            dir: path.is_dir(),
            writable: *writable,
            dev: false,
        });
        if *writable {
            landlock_write.push(prefixed("", path)?);
        } else {
            landlock_read.push(prefixed("", path)?);
        }
    }

    // Environment: the allow-list, then explicit settings.
    let mut env: Vec<(String, Vec<u8>)> = vec![
        ("PATH".into(), DEFAULT_PATH.as_bytes().to_vec()),
        ("HOME".into(), home.as_os_str().as_bytes().to_vec()),
        ("TMPDIR".into(), b"/tmp".to_vec()),
    ];
    for name in &profile.env_allow {
        if let Some(value) = std::env::var_os(name) {
            env.retain(|(n, _)| n != name);
            env.push((name.clone(), value.as_bytes().to_vec()));
        }
    }
    for (name, value) in &profile.env_set {
        env.retain(|(n, _)| n != name);
        env.push((name.clone(), value.as_bytes().to_vec()));
    }
    if proxy.is_some() {
        // The proxy is the only way out: nothing may bypass or replace it.
        let url = format!("http://127.0.0.1:{PROXY_PORT}");
        env.retain(|(n, _)| !PROXY_ENV.contains(&n.as_str()) && n != "NO_PROXY" && n != "no_proxy");
        for name in PROXY_ENV {
            env.push(((*name).to_owned(), url.as_bytes().to_vec()));
        }
    }
    let path_var = env
        .iter()
        .find(|(n, _)| n == "PATH")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let path_dirs = path_var
        .split(|b| *b == b':')
        .filter(|d| d.first() == Some(&b'/'))
        .map(|d| PathBuf::from(OsStr::from_bytes(d)))
        .collect();
    let env = env
        .into_iter()
        .map(|(n, mut v)| {
            let mut bytes = n.into_bytes();
            bytes.push(b'=');
            bytes.append(&mut v);
            cstring(bytes)
        })
        .collect::<Result<Vec<_>, _>>()?;

    // rlimits.
    let limits = profile.limits.clone();
    let mut rlimits = vec![(libc::RLIMIT_CORE, 0, 0)];
    if let Some(cpu) = limits.cpu_time {
        let secs = cpu.as_secs().max(1);
        rlimits.push((libc::RLIMIT_CPU, secs, secs + 1));
    }
    if let Some(bytes) = limits.file_size_bytes {
        rlimits.push((libc::RLIMIT_FSIZE, bytes, bytes));
    }
    if let Some(n) = limits.open_files {
        rlimits.push((libc::RLIMIT_NOFILE, n, n));
    }
    if limits.wall_time.is_some() {
        applied.push(Protection::WallTimeout);
    }

    let staging = ["/tmp", "/var/tmp", "/mnt", "/run"]
        .iter()
        .find(|p| Path::new(p).is_dir())
        .ok_or_else(|| {
            SandboxError::unavailable(
                Protection::PivotRoot,
                "no directory to stage the new root on (/tmp, /var/tmp, /mnt, /run)",
            )
        })?;

    let x32_guard = seccomp::x32_guard();
    Ok(Plan {
        unshare_flags: libc::CLONE_NEWUSER
            | libc::CLONE_NEWNS
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWNET
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWCGROUP,
        uid_map: cstring(format!("{in_uid} {uid} 1\n"))?,
        gid_map: cstring(format!("{in_gid} {gid} 1\n"))?,
        parent_maps,
        inside_ids: (in_uid, in_gid),
        staging: cstring(*staging)?,
        mounts,
        hostname: cstring(&profile.hostname)?,
        loopback,
        cwd: match &workspace {
            Some(w) => prefixed("", w)?,
            None => cstring("/")?,
        },
        rlimits,
        landlock_abi,
        landlock_net,
        landlock_scope,
        landlock_connect_ports,
        proxy,
        landlock_read,
        landlock_write,
        landlock_dev: vec![cstring("/dev")?],
        landlock_list: vec![cstring("/")?],
        landlock_proc: vec![cstring("/proc")?],
        seccomp: true,
        x32_guard,
        clone3_filter,
        seccomp_filter,
        env,
        path_dirs,
        best_effort: profile.best_effort,
        cgroups: CgroupRequest {
            memory: limits.memory_bytes,
            pids: limits.pids,
            cpu_millis: limits.cpu_millis,
            freezer: profile.freezer,
        },
        limits,
        applied,
        skipped,
        keeper_oom_exempt: rustix::thread::capabilities(None).is_ok_and(|c| {
            c.effective
                .contains(rustix::thread::CapabilitySet::SYS_RESOURCE)
        }),
        caller_oom_adj: std::fs::read_to_string("/proc/self/oom_score_adj")
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .unwrap_or(0),
    })
}

fn canonical_dir_or_file(path: &Path) -> Result<PathBuf, SandboxError> {
    canonical_dir(path, "path")
}

/// Where to look for argv\[0\].
pub(crate) fn exec_candidates(plan: &Plan, argv0: &OsStr) -> Result<Vec<CString>, SandboxError> {
    let bytes = argv0.as_bytes();
    if bytes.is_empty() {
        return Err(SandboxError::InvalidProfile("empty command".into()));
    }
    if bytes.contains(&b'/') {
        return Ok(vec![cstring(bytes)?]);
    }
    plan.path_dirs
        .iter()
        .map(|d| prefixed("", &d.join(argv0)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_steps_round_trip_and_have_names() {
        for step in SetupStep::ALL {
            assert_eq!(SetupStep::from_i64(step as i64), Some(step));
            assert!(!step.name().is_empty());
        }
        assert_eq!(SetupStep::from_i64(0), None);
        assert_eq!(SetupStep::from_i64(999), None);
    }

    #[test]
    fn allow_list_plans_a_proxy_and_its_environment() {
        let profile = SandboxProfile::builder()
            .network(NetworkMode::AllowList(vec!["pypi.org".into()]))
            .env("HTTP_PROXY", "http://elsewhere:1")
            .env("NO_PROXY", "*")
            .build()
            .unwrap();
        let plan = build(&profile).unwrap();
        assert!(plan.proxy.is_some() && plan.loopback);
        assert!(plan.applied.contains(&Protection::NetworkAllowList));
        assert_eq!(plan.landlock_connect_ports, vec![PROXY_PORT]);
        let env: Vec<String> = plan
            .env
            .iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect();
        for name in PROXY_ENV {
            assert!(
                env.contains(&format!("{name}=http://127.0.0.1:3128")),
                "{name}"
            );
        }
        assert!(!env
            .iter()
            .any(|e| e.contains("elsewhere") || e.starts_with("NO_PROXY")));
    }
}
