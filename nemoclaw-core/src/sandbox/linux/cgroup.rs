//! cgroup limits, freezer and accounting, on cgroup v2 or v1 (hybrid
//! machines mount the controllers as v1 hierarchies and an empty v2 one).
//!
//! Each sandbox gets its own child cgroup below the caller's own cgroup in
//! every hierarchy it needs; the sandbox's first process joins them before
//! it unshares its cgroup namespace, so the sandbox sees its own cgroup as
//! the root. The directories are removed when the run is reaped.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::sandbox::outcome::Protection;

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A controller and where the caller's own cgroup is in its hierarchy.
#[derive(Debug, Clone)]
struct Place {
    dir: PathBuf,
    v2: bool,
}

/// Where each controller can be used from this process.
#[derive(Debug, Default, Clone)]
pub(crate) struct Hierarchies {
    v1: Vec<(String, PathBuf)>,
    v2: Option<PathBuf>,
}

fn unescape_mount(field: &str) -> String {
    field
        .replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

impl Hierarchies {
    /// Reads `/proc/self/mountinfo` and `/proc/self/cgroup`.
    pub(crate) fn discover() -> Self {
        let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let mut result = Hierarchies::default();
        for line in mountinfo.lines() {
            let Some((pre, post)) = line.split_once(" - ") else {
                continue;
            };
            let pre: Vec<&str> = pre.split(' ').collect();
            let post: Vec<&str> = post.split(' ').collect();
            if pre.len() < 5 || post.len() < 3 {
                continue;
            }
            let root = unescape_mount(pre[3]);
            let mount_point = PathBuf::from(unescape_mount(pre[4]));
            match post[0] {
                "cgroup2" => {
                    let path = own
                        .lines()
                        .find_map(|l| l.strip_prefix("0::"))
                        .map(str::to_owned);
                    if let Some(dir) = path.and_then(|p| join_relative(&mount_point, &root, &p)) {
                        result.v2.get_or_insert(dir);
                    }
                }
                "cgroup" => {
                    for controller in post[2].split(',') {
                        let known = ["memory", "pids", "cpu", "freezer", "cpuacct"];
                        if !known.contains(&controller) {
                            continue;
                        }
                        let path = own.lines().find_map(|l| {
                            let mut parts = l.splitn(3, ':');
                            let _ = parts.next()?;
                            let ctrls = parts.next()?;
                            let path = parts.next()?;
                            ctrls
                                .split(',')
                                .any(|c| c == controller)
                                .then(|| path.to_owned())
                        });
                        if let Some(dir) = path.and_then(|p| join_relative(&mount_point, &root, &p))
                        {
                            if !result.v1.iter().any(|(c, _)| c == controller) {
                                result.v1.push((controller.to_owned(), dir));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        result
    }

    /// Whether a cgroup v1 hierarchy holds any of the limit controllers:
    /// then each cold start migrates a process into it.
    pub(crate) fn limits_on_v1(&self) -> bool {
        self.v1
            .iter()
            .any(|(c, _)| matches!(c.as_str(), "memory" | "pids" | "cpu"))
    }

    fn v2_has(&self, controller: &str) -> bool {
        let Some(dir) = &self.v2 else {
            return false;
        };
        let enabled = fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
        if enabled.split_whitespace().any(|c| c == controller) {
            return true;
        }
        let available = fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
        if !available.split_whitespace().any(|c| c == controller) {
            return false;
        }
        // Try to delegate it to children; fails when this cgroup holds
        // processes and is not the root (the no-internal-process rule).
        fs::write(dir.join("cgroup.subtree_control"), format!("+{controller}")).is_ok()
    }

    /// Where `controller` can be limited from here, v1 first.
    fn place(&self, controller: &str) -> Result<Place, String> {
        if let Some((_, dir)) = self.v1.iter().find(|(c, _)| c == controller) {
            return writable(dir).map(|_| Place {
                dir: dir.clone(),
                v2: false,
            });
        }
        if let Some(dir) = &self.v2 {
            if self.v2_has(controller) {
                return writable(dir).map(|_| Place {
                    dir: dir.clone(),
                    v2: true,
                });
            }
            return Err(format!(
                "the `{controller}` controller is not delegated to cgroup `{}`",
                dir.display()
            ));
        }
        Err(format!(
            "no cgroup hierarchy offers the `{controller}` controller"
        ))
    }

    fn freezer_place(&self) -> Result<Place, String> {
        // Every non-root v2 cgroup has cgroup.freeze, no controller needed.
        if let Some(dir) = &self.v2 {
            if writable(dir).is_ok() {
                return Ok(Place {
                    dir: dir.clone(),
                    v2: true,
                });
            }
        }
        self.place("freezer")
    }

    /// Whether a protection could be applied here, and why not.
    pub(crate) fn probe(&self, protection: Protection) -> Result<String, String> {
        let place = match protection {
            Protection::CgroupMemory => self.place("memory")?,
            Protection::CgroupPids => self.place("pids")?,
            Protection::CgroupCpu => self.place("cpu")?,
            Protection::CgroupFreezer => self.freezer_place()?,
            _ => return Err("not a cgroup protection".into()),
        };
        let probe = place.dir.join(format!(
            "nemoclaw-probe-{}-{}",
            std::process::id(),
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&probe).map_err(|e| format!("cannot create `{}`: {e}", probe.display()))?;
        let _ = fs::remove_dir(&probe);
        Ok(format!(
            "cgroup {} at `{}`",
            if place.v2 { "v2" } else { "v1" },
            place.dir.display()
        ))
    }
}

/// What a cgroup migration costs on this host, and the host settings that
/// remove the cost (`nemoclaw sandbox doctor` prints it; this crate never
/// changes them). A migration takes the kernel's threadgroup rwsem for
/// writing, which waits for an RCU grace period unless a cgroup hierarchy
/// is mounted with `favordynmods` (the rwsem is shared by all of them) or
/// RCU grace periods are expedited.
pub(crate) fn migration_cost() -> String {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let favoring = mountinfo.lines().any(|line| {
        line.split_once(" - ").is_some_and(|(_, post)| {
            let post: Vec<&str> = post.split(' ').collect();
            post.len() >= 3
                && (post[0] == "cgroup" || post[0] == "cgroup2")
                && post[2].split(',').any(|o| o == "favordynmods")
        })
    });
    let expedited = fs::read_to_string("/sys/kernel/rcu_expedited").is_ok_and(|s| s.trim() != "0");
    if favoring {
        "a cgroup hierarchy is mounted with `favordynmods`: migrations do not wait for an RCU grace period".into()
    } else if expedited {
        "RCU grace periods are expedited (/sys/kernel/rcu_expedited): migrations are quick".into()
    } else {
        "each migration waits for an RCU grace period (milliseconds); mounting a cgroup hierarchy with `favordynmods` (e.g. `mount -o remount,favordynmods` on the cgroup2 mount) removes that wait, or use `warm_start()`".into()
    }
}

fn join_relative(mount_point: &Path, root: &str, path: &str) -> Option<PathBuf> {
    let rel = if root == "/" {
        path
    } else {
        path.strip_prefix(root)?
    };
    let rel = rel.trim_start_matches('/');
    let dir = if rel.is_empty() {
        mount_point.to_path_buf()
    } else {
        mount_point.join(rel)
    };
    dir.is_dir().then_some(dir)
}

fn writable(dir: &Path) -> Result<(), String> {
    if rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok() {
        Ok(())
    } else {
        Err(format!(
            "cgroup `{}` is not writable by this process",
            dir.display()
        ))
    }
}

/// What the sandbox asks of cgroups.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CgroupRequest {
    pub memory: Option<u64>,
    pub pids: Option<u64>,
    pub cpu_millis: Option<u64>,
    pub freezer: bool,
}

/// The freezer of one sandbox.
#[derive(Debug, Clone)]
pub(crate) enum Freezer {
    V1(PathBuf),
    V2(PathBuf),
}

impl Freezer {
    pub(crate) fn set(&self, frozen: bool) -> std::io::Result<()> {
        match self {
            Freezer::V1(dir) => {
                fs::write(
                    dir.join("freezer.state"),
                    if frozen { "FROZEN" } else { "THAWED" },
                )?;
                let want = if frozen { "FROZEN" } else { "THAWED" };
                for _ in 0..2000 {
                    let state = fs::read_to_string(dir.join("freezer.state"))?;
                    if state.trim() == want {
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_micros(500));
                }
                Err(std::io::Error::new(
                    ErrorKind::TimedOut,
                    "freezer did not settle",
                ))
            }
            Freezer::V2(dir) => {
                fs::write(dir.join("cgroup.freeze"), if frozen { "1" } else { "0" })?;
                let want = if frozen { "frozen 1" } else { "frozen 0" };
                for _ in 0..2000 {
                    let events = fs::read_to_string(dir.join("cgroup.events"))?;
                    if events.lines().any(|l| l.trim() == want) {
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_micros(500));
                }
                Err(std::io::Error::new(
                    ErrorKind::TimedOut,
                    "freezer did not settle",
                ))
            }
        }
    }

    /// The file the sandbox's keeper writes to thaw the tree before killing
    /// it (a frozen v1 task does not die until thawed), and the value.
    pub(crate) fn thaw_file(&self) -> (PathBuf, &'static str) {
        match self {
            Freezer::V1(dir) => (dir.join("freezer.state"), "THAWED"),
            Freezer::V2(dir) => (dir.join("cgroup.freeze"), "0"),
        }
    }
}

/// The cgroups of one sandbox.
#[derive(Debug, Default)]
pub(crate) struct SandboxCgroups {
    dirs: Vec<PathBuf>,
    /// The sandbox's cgroup v2 directory, if it has one (at most one: every
    /// v2 controller lives in the same directory).
    v2_dir: Option<PathBuf>,
    memory: Option<Place>,
    pids: Option<Place>,
    pub(crate) freezer: Option<Freezer>,
}

/// A cgroup protection that could not be applied.
#[derive(Debug)]
pub(crate) struct CgroupRefusal {
    pub protection: Protection,
    pub reason: String,
}

impl SandboxCgroups {
    /// Creates the cgroups and writes the limits. With `best_effort`,
    /// protections that cannot be applied are returned as skipped.
    /// `keeper_inside`: the keeper joins the v1 cgroups too (a warm start),
    /// so the pids limit counts one more process.
    pub(crate) fn create(
        hier: &Hierarchies,
        req: CgroupRequest,
        best_effort: bool,
        keeper_inside: bool,
        skipped: &mut Vec<CgroupRefusal>,
    ) -> Result<Self, CgroupRefusal> {
        let mut cg = SandboxCgroups::default();
        let name = format!(
            "nemoclaw-{}-{}",
            std::process::id(),
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        );
        let handle = |protection: Protection,
                      r: Result<(), String>,
                      skipped: &mut Vec<CgroupRefusal>|
         -> Result<(), CgroupRefusal> {
            match r {
                Ok(()) => Ok(()),
                Err(reason) if best_effort => {
                    skipped.push(CgroupRefusal { protection, reason });
                    Ok(())
                }
                Err(reason) => Err(CgroupRefusal { protection, reason }),
            }
        };
        if let Some(bytes) = req.memory {
            let r = cg.limit(hier, &name, "memory", |p| {
                if p.v2 {
                    write(p, "memory.max", &bytes.to_string())?;
                    if p.dir.join("memory.swap.max").exists() {
                        write(p, "memory.swap.max", "0")?;
                    }
                } else {
                    write(p, "memory.limit_in_bytes", &bytes.to_string())?;
                    if p.dir.join("memory.memsw.limit_in_bytes").exists() {
                        write(p, "memory.memsw.limit_in_bytes", &bytes.to_string())?;
                    }
                }
                Ok(())
            });
            let r = r.map(|p| cg.memory = Some(p));
            handle(Protection::CgroupMemory, r, skipped)?;
        }
        if let Some(max) = req.pids {
            let r = cg
                .limit(hier, &name, "pids", |p| {
                    let max = if keeper_inside && !p.v2 {
                        max.saturating_add(1)
                    } else {
                        max
                    };
                    write(p, "pids.max", &max.to_string())
                })
                .map(|p| cg.pids = Some(p));
            handle(Protection::CgroupPids, r, skipped)?;
        }
        if let Some(millis) = req.cpu_millis {
            let period: u64 = 100_000;
            let quota = (millis.saturating_mul(period) / 1000).max(1000);
            let r = cg
                .limit(hier, &name, "cpu", |p| {
                    if p.v2 {
                        write(p, "cpu.max", &format!("{quota} {period}"))
                    } else {
                        write(p, "cpu.cfs_period_us", &period.to_string())?;
                        write(p, "cpu.cfs_quota_us", &quota.to_string())
                    }
                })
                .map(|_| ());
            handle(Protection::CgroupCpu, r, skipped)?;
        }
        if req.freezer {
            let r = match hier.freezer_place() {
                Ok(place) => cg.make_dir(&place, &name).map(|p| {
                    cg.freezer = Some(if p.v2 {
                        Freezer::V2(p.dir)
                    } else {
                        Freezer::V1(p.dir)
                    });
                }),
                Err(e) => Err(e),
            };
            // A missing freezer falls back to SIGSTOP; never a refusal.
            if let Err(reason) = r {
                skipped.push(CgroupRefusal {
                    protection: Protection::CgroupFreezer,
                    reason,
                });
            }
        }
        Ok(cg)
    }

    fn make_dir(&mut self, place: &Place, name: &str) -> Result<Place, String> {
        let dir = place.dir.join(name);
        if !self.dirs.contains(&dir) {
            fs::create_dir(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
            self.dirs.push(dir.clone());
            if place.v2 {
                self.v2_dir = Some(dir.clone());
            }
        }
        Ok(Place { dir, v2: place.v2 })
    }

    fn limit(
        &mut self,
        hier: &Hierarchies,
        name: &str,
        controller: &str,
        apply: impl FnOnce(&Place) -> Result<(), String>,
    ) -> Result<Place, String> {
        let place = hier.place(controller)?;
        let own = self.make_dir(&place, name)?;
        apply(&own)?;
        Ok(own)
    }

    /// The v2 directory, opened for `clone3(CLONE_INTO_CGROUP)`.
    pub(crate) fn open_v2_dir(&self) -> Result<Option<std::os::fd::OwnedFd>, CgroupRefusal> {
        let Some(dir) = &self.v2_dir else {
            return Ok(None);
        };
        rustix::fs::open(
            dir,
            rustix::fs::OFlags::RDONLY
                | rustix::fs::OFlags::DIRECTORY
                | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map(Some)
        .map_err(|e| CgroupRefusal {
            protection: self.protection_of(dir),
            reason: format!("cannot open `{}`: {e}", dir.display()),
        })
    }

    /// `cgroup.procs` of the parent of the sandbox's v1 memory cgroup,
    /// opened for writing: a warm keeper is moved out of the memory cgroup
    /// through it once pid 1 is born, so nothing it allocates afterwards (its
    /// report) is charged to a cgroup the sandbox may have filled.
    pub(crate) fn open_memory_parent_procs(&self) -> Option<std::os::fd::OwnedFd> {
        let p = self.memory.as_ref().filter(|p| !p.v2)?;
        let procs = p.dir.parent()?.join("cgroup.procs");
        rustix::fs::open(
            &procs,
            rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .ok()
    }

    /// Whether the freezer is a v1 one (which a warm keeper cannot use: it
    /// would freeze the keeper with the sandbox).
    pub(crate) fn freezer_is_v1(&self) -> bool {
        matches!(self.freezer, Some(Freezer::V1(_)))
    }

    fn protection_of(&self, dir: &Path) -> Protection {
        if self.memory.as_ref().is_some_and(|p| p.dir == dir) {
            Protection::CgroupMemory
        } else if self.pids.as_ref().is_some_and(|p| p.dir == dir) {
            Protection::CgroupPids
        } else if matches!(&self.freezer, Some(Freezer::V1(d) | Freezer::V2(d)) if d == dir) {
            Protection::CgroupFreezer
        } else {
            Protection::CgroupCpu
        }
    }

    /// Moves `pid` into every cgroup of this sandbox (with `skip_v2`, every
    /// v1 one: the v2 directory is entered by `CLONE_INTO_CGROUP`).
    pub(crate) fn join(&self, pid: i32, skip_v2: bool) -> Result<(), CgroupRefusal> {
        for dir in &self.dirs {
            if skip_v2 && self.v2_dir.as_ref() == Some(dir) {
                continue;
            }
            let procs = dir.join("cgroup.procs");
            if let Err(e) = fs::write(&procs, pid.to_string()) {
                let protection = self.protection_of(dir);
                return Err(CgroupRefusal {
                    protection,
                    reason: format!("cannot move the sandbox into `{}`: {e}", procs.display()),
                });
            }
        }
        Ok(())
    }

    /// The v1 cgroups a keeper may join ahead of pid 1: every v1 one but
    /// a v1 freezer (a frozen keeper could not time out or kill the tree).
    fn keeper_dirs(&self) -> impl Iterator<Item = &PathBuf> {
        self.dirs.iter().filter(move |d| {
            self.v2_dir.as_ref() != Some(*d)
                && !matches!(&self.freezer, Some(Freezer::V1(f)) if f == *d)
        })
    }

    /// Whether a keeper has any cgroup to join ahead of pid 1.
    pub(crate) fn keeper_has_dirs(&self) -> bool {
        self.keeper_dirs().next().is_some()
    }

    /// Moves the keeper into [`Self::keeper_dirs`]; the processes it
    /// creates afterwards are born there.
    pub(crate) fn join_keeper(&self, pid: i32) -> Result<(), CgroupRefusal> {
        for dir in self.keeper_dirs() {
            let procs = dir.join("cgroup.procs");
            if let Err(e) = fs::write(&procs, pid.to_string()) {
                return Err(CgroupRefusal {
                    protection: self.protection_of(dir),
                    reason: format!("cannot move the keeper into `{}`: {e}", procs.display()),
                });
            }
        }
        Ok(())
    }

    /// True when no cgroup was created (nothing to join).
    pub(crate) fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// True when every cgroup is the v2 one (entered at clone: no join).
    pub(crate) fn only_v2(&self) -> bool {
        self.dirs.iter().all(|d| self.v2_dir.as_ref() == Some(d))
    }

    /// Peak memory in bytes, if measured.
    pub(crate) fn peak_memory(&self) -> Option<u64> {
        let p = self.memory.as_ref()?;
        let file = if p.v2 {
            "memory.peak"
        } else {
            "memory.max_usage_in_bytes"
        };
        fs::read_to_string(p.dir.join(file))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// How many processes the memory limit killed.
    pub(crate) fn oom_kills(&self) -> u64 {
        let Some(p) = &self.memory else { return 0 };
        let file = if p.v2 {
            "memory.events"
        } else {
            "memory.oom_control"
        };
        keyed(&p.dir.join(file), "oom_kill")
    }

    /// How many forks the pids limit refused.
    pub(crate) fn pids_refused(&self) -> u64 {
        let Some(p) = &self.pids else { return 0 };
        keyed(&p.dir.join("pids.events"), "max")
    }

    /// Removes the cgroup directories (retrying while the kernel finishes
    /// tearing the last processes down).
    pub(crate) fn remove(&mut self) {
        for dir in self.dirs.drain(..).rev() {
            for attempt in 0..200 {
                match fs::remove_dir(&dir) {
                    Ok(()) => break,
                    Err(e) if e.kind() == ErrorKind::NotFound => break,
                    Err(_) if attempt < 199 => std::thread::sleep(Duration::from_micros(250)),
                    Err(_) => {}
                }
            }
        }
    }
}

impl Drop for SandboxCgroups {
    fn drop(&mut self) {
        self.remove();
    }
}

fn write(place: &Place, file: &str, value: &str) -> Result<(), String> {
    let path = place.dir.join(file);
    fs::write(&path, value)
        .map_err(|e| format!("cannot write `{value}` to `{}`: {e}", path.display()))
}

fn keyed(path: &Path, key: &str) -> u64 {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == key).then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0)
}
