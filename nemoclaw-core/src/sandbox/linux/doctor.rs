//! `nemoclaw sandbox doctor`: what this kernel and process can apply.

use std::fs;
use std::time::Instant;

use landlock::ABI;

use super::cgroup::Hierarchies;
use super::plan::kernel_landlock_abi;
use super::Sandbox;
use crate::sandbox::outcome::Protection;
use crate::sandbox::profile::SandboxProfile;

/// One protection and whether it can be applied here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorLine {
    /// The protection.
    pub protection: Protection,
    /// Whether this kernel and process can apply it.
    pub available: bool,
    /// How it was found out, or why not.
    pub detail: String,
}

fn ns_line(protection: Protection, file: &str) -> DoctorLine {
    let available = fs::symlink_metadata(format!("/proc/self/ns/{file}")).is_ok();
    DoctorLine {
        protection,
        available,
        detail: if available {
            format!("kernel has {file} namespaces")
        } else {
            format!("/proc/self/ns/{file} is missing: kernel built without them")
        },
    }
}

/// Probes every protection, then runs `/bin/true` under the default
/// profile as a trial. Each line says whether the protection can be
/// applied; the trial line shows whether everything works together.
pub fn doctor() -> (Vec<DoctorLine>, Result<String, String>) {
    let mut lines = Vec::new();
    let max_userns = fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let euid = rustix::process::geteuid().as_raw();
    let unpriv = fs::read_to_string("/proc/sys/kernel/unprivileged_userns_clone")
        .map(|s| s.trim() != "0")
        .unwrap_or(true);
    let userns_ok = fs::symlink_metadata("/proc/self/ns/user").is_ok()
        && max_userns.is_some_and(|n| n > 0)
        && (euid == 0 || unpriv);
    lines.push(DoctorLine {
        protection: Protection::UserNamespace,
        available: userns_ok,
        detail: format!(
            "max_user_namespaces={}, euid={euid}, unprivileged_userns_clone={}",
            max_userns.map_or("?".into(), |n| n.to_string()),
            if unpriv { "allowed" } else { "denied" }
        ),
    });
    lines.push(ns_line(Protection::MountNamespace, "mnt"));
    lines.push(ns_line(Protection::PidNamespace, "pid"));
    lines.push(ns_line(Protection::NetNamespace, "net"));
    lines.push(ns_line(Protection::IpcNamespace, "ipc"));
    lines.push(ns_line(Protection::UtsNamespace, "uts"));
    lines.push(ns_line(Protection::CgroupNamespace, "cgroup"));
    lines.push(DoctorLine {
        protection: Protection::PivotRoot,
        available: userns_ok,
        detail: "needs a user and mount namespace (see the trial run)".into(),
    });
    let (abi, raw) = kernel_landlock_abi();
    let has = |min: ABI| abi != ABI::Unsupported && abi >= min;
    lines.push(DoctorLine {
        protection: Protection::Landlock,
        available: has(ABI::V1),
        detail: if raw > 0 {
            format!("landlock ABI {raw}")
        } else {
            format!("landlock unavailable (query returned {raw})")
        },
    });
    lines.push(DoctorLine {
        protection: Protection::LandlockNetwork,
        available: has(ABI::V4),
        detail: "TCP bind/connect rules need landlock ABI 4".into(),
    });
    lines.push(DoctorLine {
        protection: Protection::LandlockScope,
        available: has(ABI::V6),
        detail: "signal and abstract-socket scoping need landlock ABI 6".into(),
    });
    let seccomp_actions = fs::read_to_string("/proc/sys/kernel/seccomp/actions_avail").ok();
    lines.push(DoctorLine {
        protection: Protection::Seccomp,
        available: seccomp_actions.is_some(),
        detail: seccomp_actions.map_or("kernel has no seccomp filter support".into(), |a| {
            format!("seccomp actions: {}", a.trim())
        }),
    });
    for (protection, detail) in [
        (
            Protection::NoNewPrivs,
            "prctl(PR_SET_NO_NEW_PRIVS), Linux 3.5+",
        ),
        (
            Protection::DropCapabilities,
            "bounding, ambient, effective, permitted, inheritable; securebits locked",
        ),
        (Protection::Rlimits, "setrlimit: CPU, FSIZE, NOFILE, CORE"),
        (
            Protection::WallTimeout,
            "keeper process kills the namespace's pid 1",
        ),
        (
            Protection::ScrubbedEnvironment,
            "execve with the allow-listed environment",
        ),
    ] {
        lines.push(DoctorLine {
            protection,
            available: true,
            detail: detail.into(),
        });
    }
    let hier = Hierarchies::discover();
    for protection in [
        Protection::CgroupMemory,
        Protection::CgroupPids,
        Protection::CgroupCpu,
        Protection::CgroupFreezer,
    ] {
        let (available, detail) = match hier.probe(protection) {
            Ok(d) => (true, d),
            Err(e) if protection == Protection::CgroupFreezer => (
                false,
                format!("{e}; freeze falls back to SIGSTOP of every process"),
            ),
            Err(e) => (false, e),
        };
        lines.push(DoctorLine {
            protection,
            available,
            detail,
        });
    }
    if hier.limits_on_v1() {
        // Not a protection: what a cold start pays for the v1 limits.
        for line in lines.iter_mut().filter(|l| {
            l.available
                && matches!(
                    l.protection,
                    Protection::CgroupMemory | Protection::CgroupPids | Protection::CgroupCpu
                )
                && l.detail.starts_with("cgroup v1")
        }) {
            line.detail = format!(
                "{}; a cold start moves pid 1 into it: {}",
                line.detail,
                super::cgroup::migration_cost()
            );
        }
    }
    // The allow-list needs the net namespace (its own `lo`), a UNIX socket
    // pair to pass the listener out, and a thread of this process.
    let pair = rustix::net::socketpair(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::STREAM,
        rustix::net::SocketFlags::CLOEXEC,
        None,
    );
    let net_ns = fs::symlink_metadata("/proc/self/ns/net").is_ok();
    lines.push(DoctorLine {
        protection: Protection::NetworkAllowList,
        available: net_ns && pair.is_ok(),
        detail: match (&pair, net_ns) {
            (Ok(_), true) => format!(
                "host-side filtering proxy (CONNECT and plain HTTP) on the sandbox's 127.0.0.1:{}; {}",
                crate::sandbox::PROXY_PORT,
                if has(ABI::V4) {
                    "landlock lets the command connect to that port only"
                } else {
                    "no landlock network rules on this kernel (the namespace holds nothing else)"
                }
            ),
            (Err(e), _) => format!("cannot create a UNIX socket pair: {e}"),
            (_, false) => "no net namespaces".into(),
        },
    });

    let trial = SandboxProfile::builder()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|profile| {
            let started = Instant::now();
            let outcome = Sandbox::run(&profile, &["/bin/true"], b"").map_err(|e| e.to_string())?;
            if outcome.status.success() {
                Ok(format!(
                    "/bin/true ran under the default profile in {:.2} ms ({} protections)",
                    started.elapsed().as_secs_f64() * 1000.0,
                    outcome.applied.len()
                ))
            } else {
                Err(format!("/bin/true ended with {:?}", outcome.status))
            }
        });
    (lines, trial)
}
