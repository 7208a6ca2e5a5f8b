//! The Linux runtime: fork a keeper, unshare, fork the sandbox's pid 1,
//! build its root, lock it down, exec.

mod cgroup;
mod child;
mod doctor;
mod plan;
mod proxy;
mod seccomp;
mod wire;

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags};
use rustix::pipe::{pipe_with, PipeFlags};

pub use doctor::{doctor, DoctorLine};

use self::cgroup::{Hierarchies, SandboxCgroups};
use self::child::ChildFds;
use self::plan::{Plan, RunPlan, SetupStep};
use self::wire::{Record, RecordKind, RECORD_LEN};
use super::error::SandboxError;
use super::outcome::{ExitStatus, NetDecision, Outcome, Protection, Skipped, Usage, Violation};
use super::profile::SandboxProfile;

/// Entry points of the sandbox runtime.
#[derive(Debug, Clone, Copy)]
pub struct Sandbox;

impl Sandbox {
    /// Checks `profile` against this kernel and process and prepares
    /// everything that does not depend on the command. Reuse the result for
    /// many runs.
    pub fn prepare(profile: &SandboxProfile) -> Result<PreparedSandbox, SandboxError> {
        Ok(PreparedSandbox {
            plan: Arc::new(plan::build(profile)?),
            hierarchies: Arc::new(Hierarchies::discover()),
            warm: None,
        })
    }

    /// Runs `argv` under `profile` with `stdin` as its input and returns
    /// when it has ended (and every process it started is gone).
    pub fn run<S: AsRef<OsStr>>(
        profile: &SandboxProfile,
        argv: &[S],
        stdin: &[u8],
    ) -> Result<Outcome, SandboxError> {
        Sandbox::prepare(profile)?.run(argv, stdin)
    }

    /// Starts `argv` under `profile` and returns a handle to stream its
    /// output, control it and wait for it.
    pub fn spawn<S: AsRef<OsStr>>(
        profile: &SandboxProfile,
        argv: &[S],
    ) -> Result<RunningSandbox, SandboxError> {
        Sandbox::prepare(profile)?.spawn(argv)
    }
}

/// A profile checked and compiled for this machine (`Send + Sync`, cheap to
/// share).
#[derive(Debug, Clone)]
pub struct PreparedSandbox {
    plan: Arc<Plan>,
    hierarchies: Arc<Hierarchies>,
    warm: Option<Arc<WarmSlot>>,
}

/// The spare keeper of a warm-started [`PreparedSandbox`].
#[derive(Debug, Default)]
struct WarmSlot {
    spare: Mutex<Option<Spare>>,
    filling: AtomicBool,
    /// A warm start is not possible here: every run starts cold.
    failed: AtomicBool,
    /// The refill in progress, joined when the last handle drops (so a
    /// process ending right after its last run leaves no cgroup behind).
    refill: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for PreparedSandbox {
    fn drop(&mut self) {
        let Some(slot) = &self.warm else { return };
        // The last handle (the refill thread holds the other reference).
        if Arc::strong_count(slot) <= 2 {
            let handle = slot
                .refill
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some(h) = handle {
                let _ = h.join();
            }
        }
    }
}

/// A keeper forked with its cgroups and pipes (the caller's ends).
#[derive(Debug)]
struct Launched {
    keeper_pid: i32,
    cgroups: SandboxCgroups,
    applied: Vec<Protection>,
    skipped: Vec<Skipped>,
    stdin_w: OwnedFd,
    stdout_r: OwnedFd,
    stderr_r: OwnedFd,
    setup_r: OwnedFd,
    report_r: OwnedFd,
    lifeline_w: OwnedFd,
    joined_w: OwnedFd,
    /// A warm keeper's command pipe.
    go_w: Option<File>,
    /// `cgroup.procs` of the memory cgroup's parent: a warm keeper is
    /// moved there once pid 1 is born.
    leave_memcg: Option<File>,
    /// Whether the caller moves pid 1 into (v1) cgroups.
    join_pid1: bool,
    /// Whether pid 1 is cloned into the v2 cgroup.
    into_used: bool,
    /// The host-side filtering proxy (allow-list mode).
    proxy: Option<proxy::Proxy>,
    started: Instant,
}

/// A warm keeper not yet used; dropping it ends the keeper and removes its
/// cgroups.
#[derive(Debug)]
struct Spare(Option<Launched>);

impl Drop for Spare {
    fn drop(&mut self) {
        if let Some(l) = self.0.take() {
            let pid = l.keeper_pid;
            // Its command pipe closing ends a waiting keeper; SIGKILL ends
            // one in any other state (our unreaped child: no pid reuse).
            drop(l.go_w);
            // SAFETY: signal and wait for our own unreaped child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                let mut status = 0;
                while libc::waitpid(pid, &mut status, 0) < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                }
            }
            // The cgroups are removed as `l.cgroups` drops.
        }
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    pipe_with(PipeFlags::CLOEXEC).map_err(|e| SandboxError::io("pipe", e.into()))
}

/// Writes the keeper's id maps (ids other than the caller's own).
fn write_id_maps(keeper: i32, plan: &Plan) -> Result<(), String> {
    let base = format!("/proc/{keeper}");
    for (file, data) in [
        ("setgroups", b"deny".as_slice()),
        ("uid_map", plan.uid_map.as_bytes()),
        ("gid_map", plan.gid_map.as_bytes()),
    ] {
        std::fs::write(format!("{base}/{file}"), data).map_err(|e| {
            format!(
                "cannot write `{}` to {base}/{file}: {e} (mapping to other host ids needs CAP_SETUID and CAP_SETGID)",
                String::from_utf8_lossy(data).trim()
            )
        })?;
    }
    Ok(())
}

/// A pidfd for `pid`, kept only if that process is the keeper's child
/// (checked after opening: the pidfd pins the process, so a recycled pid
/// would show another parent).
fn open_verified_pidfd(pid: i32, keeper: i32) -> Option<OwnedFd> {
    let fd = rustix::process::pidfd_open(
        rustix::process::Pid::from_raw(pid)?,
        rustix::process::PidfdFlags::empty(),
    )
    .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    let ppid: i32 = after.split_whitespace().nth(1)?.parse().ok()?;
    (ppid == keeper).then_some(fd)
}

fn high_fd(fd: &OwnedFd) -> Result<OwnedFd, SandboxError> {
    rustix::io::fcntl_dupfd_cloexec(fd, 10).map_err(|e| SandboxError::io("dup", e.into()))
}

impl PreparedSandbox {
    /// Protections this sandbox applies (cgroup ones are added per run).
    pub fn protections(&self) -> &[Protection] {
        &self.plan.applied
    }

    /// Runs `argv` to completion; see [`Sandbox::run`].
    /// With a warm start, the next spare is prepared once this run has
    /// ended, off its critical path.
    pub fn run<S: AsRef<OsStr>>(&self, argv: &[S], stdin: &[u8]) -> Result<Outcome, SandboxError> {
        let outcome = self.run_once(argv, stdin);
        self.refill();
        outcome
    }

    fn run_once<S: AsRef<OsStr>>(&self, argv: &[S], stdin: &[u8]) -> Result<Outcome, SandboxError> {
        let mut running = self.start(argv)?;
        // Empty input: close the pipe now so the command sees EOF.
        let writer = match running.stdin.take() {
            Some(mut pipe) if !stdin.is_empty() => {
                let data = stdin.to_vec();
                Some(std::thread::spawn(move || {
                    let _ = pipe.write_all(&data);
                }))
            }
            _ => None,
        };
        let (stdout, stderr, truncated, counts) = running.collect_output()?;
        let mut outcome = running.wait()?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        outcome.stdout = stdout;
        outcome.stderr = stderr;
        outcome.usage.stdout_bytes = counts.0;
        outcome.usage.stderr_bytes = counts.1;
        if truncated {
            outcome.violations.push(Violation::OutputTruncated {
                limit_bytes: self.plan.limits.output_bytes,
            });
        }
        Ok(outcome)
    }

    /// Keeps one keeper forked and joined to fresh cgroups ahead of the next
    /// run (a warm start): the cgroup migration, which waits for an RCU
    /// grace period, is then paid between runs instead of at the start.
    /// Used when the profile's cgroups allow it (no v1 freezer, the
    /// caller's own ids); otherwise every run starts cold. The spare is a
    /// fork of the caller that holds only its own descriptors; it ends when
    /// this value (and its clones) is dropped.
    pub fn warm_start(mut self) -> Self {
        self.warm = Some(Arc::new(WarmSlot::default()));
        self.refill();
        self
    }

    fn refill(&self) {
        let Some(slot) = &self.warm else { return };
        if slot.failed.load(Ordering::Relaxed) || slot.filling.swap(true, Ordering::AcqRel) {
            return;
        }
        let launcher = PreparedSandbox {
            plan: Arc::clone(&self.plan),
            hierarchies: Arc::clone(&self.hierarchies),
            warm: None,
        };
        let handle_slot = Arc::clone(slot);
        let slot = Arc::clone(slot);
        let started = std::thread::Builder::new()
            .name("nemoclaw-warm".into())
            .spawn(move || {
                match launcher.launch(None) {
                    Ok(l) => {
                        *slot
                            .spare
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) =
                            Some(Spare(Some(l)));
                    }
                    Err(_) => slot.failed.store(true, Ordering::Relaxed),
                }
                slot.filling.store(false, Ordering::Release);
            });
        match started {
            Ok(h) => {
                *handle_slot
                    .refill
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(h);
            }
            Err(_) => handle_slot.filling.store(false, Ordering::Release),
        }
    }

    /// Creates the cgroups and pipes and forks a keeper: for `Some(run)`
    /// one that starts at once, for `None` a warm one that waits for its
    /// command and is joined to its (v1) cgroups here.
    fn launch(&self, cold_run: Option<RunPlan>) -> Result<Launched, SandboxError> {
        let plan = &self.plan;
        let warm = cold_run.is_none();
        if warm && plan.parent_maps {
            return Err(SandboxError::InvalidProfile(
                "a warm start needs the caller's own ids".into(),
            ));
        }
        // A warm keeper joins the sandbox's v1 cgroups itself, ahead of its
        // command. (A cold keeper joining at once, to overlap the grace
        // period with its unsharing too, measured slower than moving pid 1
        // while it builds its root: see docs/sandbox.md.) In the memory
        // cgroup the keeper (a
        // fork of the caller, as large as the caller) must never be the
        // OOM killer's victim: pid 1 and the command run at
        // `oom_score_adj` 1000, which adds the whole limit to their score,
        // and the keeper stays at the caller's value (below 1000), or -1000
        // where the caller holds CAP_SYS_RESOURCE. A caller already at
        // 1000 without that capability gets no warm start.
        let keeper_may_join = warm
            && !plan.parent_maps
            && (plan.keeper_oom_exempt || plan.caller_oom_adj < plan::OOM_SCORE_ADJ_MAX);
        let mut skipped: Vec<Skipped> = plan.skipped.clone();
        let mut applied = plan.applied.clone();
        let mut cg_skipped = Vec::new();
        let cgroups = SandboxCgroups::create(
            &self.hierarchies,
            plan.cgroups,
            plan.best_effort,
            keeper_may_join,
            &mut cg_skipped,
        )
        .map_err(|r| SandboxError::unavailable(r.protection, r.reason))?;
        if warm && cgroups.freezer_is_v1() {
            return Err(SandboxError::InvalidProfile(
                "a warm start needs a cgroup v2 freezer".into(),
            ));
        }
        for (wanted, protection) in [
            (plan.cgroups.memory.is_some(), Protection::CgroupMemory),
            (plan.cgroups.pids.is_some(), Protection::CgroupPids),
            (plan.cgroups.cpu_millis.is_some(), Protection::CgroupCpu),
            (plan.cgroups.freezer, Protection::CgroupFreezer),
        ] {
            if !wanted {
                continue;
            }
            match cg_skipped.iter().find(|r| r.protection == protection) {
                Some(r) if protection != Protection::CgroupFreezer => skipped.push(Skipped {
                    protection,
                    reason: r.reason.clone(),
                }),
                Some(_) => {}
                None => applied.push(protection),
            }
        }
        let thaw = match &cgroups.freezer {
            Some(f) => {
                let (path, value) = f.thaw_file();
                Some((
                    CString::new(path.as_os_str().as_bytes())
                        .map_err(|_| SandboxError::InvalidProfile("cgroup path with NUL".into()))?,
                    value,
                ))
            }
            None => None,
        };
        let keeper_joins = keeper_may_join && cgroups.keeper_has_dirs();
        // Pid 1 is created inside the v2 cgroup (clone3 CLONE_INTO_CGROUP),
        // unless the keeper takes other host ids, which may not write there.
        let into = if plan.parent_maps {
            None
        } else {
            cgroups
                .open_v2_dir()
                .map_err(|r| SandboxError::unavailable(r.protection, r.reason))?
        };
        let join_pid1 = !warm
            && if into.is_some() {
                !cgroups.only_v2()
            } else {
                !cgroups.is_empty()
            };
        if warm && !keeper_joins && cgroups.keeper_has_dirs() {
            return Err(SandboxError::InvalidProfile(
                "a warm start needs a keeper the OOM killer ranks below the sandbox (the caller is at oom_score_adj 1000 without CAP_SYS_RESOURCE)"
                    .into(),
            ));
        }
        let mut run = cold_run.unwrap_or(RunPlan {
            argv: Vec::new(),
            exec_candidates: Vec::new(),
            thaw: None,
            wall: plan.limits.wall_time,
            await_join: false,
            oom_score_adj: CString::default(),
        });
        run.thaw = thaw;
        run.await_join = join_pid1;
        run.oom_score_adj = CString::new(plan::OOM_SCORE_ADJ_MAX.to_string())
            .map_err(|_| SandboxError::InvalidProfile("oom_score_adj".into()))?;

        let (stdin_r, stdin_w) = pipe()?;
        let (stdout_r, stdout_w) = pipe()?;
        let (stderr_r, stderr_w) = pipe()?;
        let (setup_r, setup_w) = pipe()?;
        let (report_r, report_w) = pipe()?;
        let (lifeline_r, lifeline_w) = pipe()?;
        let (joined_r, joined_w) = pipe()?;
        let go = if warm { Some(pipe()?) } else { None };
        // Allow-list mode: the proxy thread starts first (a refusal before
        // anything is forked), and waits on the socket pair for the
        // listener pid 1 creates in the sandbox's network namespace.
        let (proxy, proxy_child) = match &plan.proxy {
            Some(rules) => {
                let (ours, theirs) = rustix::net::socketpair(
                    rustix::net::AddressFamily::UNIX,
                    rustix::net::SocketType::STREAM,
                    rustix::net::SocketFlags::CLOEXEC,
                    None,
                )
                .map_err(|e| {
                    SandboxError::unavailable(
                        Protection::NetworkAllowList,
                        format!("cannot create the proxy's socket pair: {e}"),
                    )
                })?;
                let theirs = high_fd(&theirs)?;
                (
                    Some(proxy::Proxy::start(Arc::clone(rules), ours)?),
                    Some(theirs),
                )
            }
            None => (None, None),
        };
        // Copies at 10 and above so dup2 onto 0..2 never clobbers them.
        let child_side = [
            high_fd(&stdin_r)?,
            high_fd(&stdout_w)?,
            high_fd(&stderr_w)?,
            high_fd(&setup_w)?,
            high_fd(&report_w)?,
            high_fd(&lifeline_r)?,
            high_fd(&joined_r)?,
        ];
        let go_r = go.as_ref().map(|(r, _)| high_fd(r)).transpose()?;
        let into_fd = into.as_ref().map(high_fd).transpose()?;
        let leave_memcg = if keeper_joins {
            cgroups.open_memory_parent_procs().map(File::from)
        } else {
            None
        };
        drop((
            stdin_r, stdout_w, stderr_w, setup_w, report_w, lifeline_r, joined_r, into,
        ));
        let go_w = go.map(|(r, w)| {
            drop(r);
            File::from(w)
        });
        let fds = ChildFds {
            stdin: child_side[0].as_raw_fd(),
            stdout: child_side[1].as_raw_fd(),
            stderr: child_side[2].as_raw_fd(),
            setup_w: child_side[3].as_raw_fd(),
            report_w: child_side[4].as_raw_fd(),
            lifeline_r: child_side[5].as_raw_fd(),
            joined_r: child_side[6].as_raw_fd(),
            go_r: go_r.as_ref().map_or(-1, AsRawFd::as_raw_fd),
            into_cgroup: into_fd.as_ref().map_or(-1, AsRawFd::as_raw_fd),
            proxy: proxy_child.as_ref().map_or(-1, AsRawFd::as_raw_fd),
        };

        let started = Instant::now();
        // SAFETY: glibc's fork resets the allocator's locks in the child,
        // which then only runs `child::keeper` or `child::warm_keeper` (no
        // locks of other threads, no return into this function: both end
        // in `_exit`).
        let keeper_pid = unsafe { libc::fork() };
        if keeper_pid < 0 {
            return Err(SandboxError::io("fork", std::io::Error::last_os_error()));
        }
        if keeper_pid == 0 {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if warm {
                    child::warm_keeper(plan, run, fds)
                } else {
                    child::keeper(plan, &run, fds)
                }
            }));
            // SAFETY: leave without running the parent's destructors.
            unsafe { libc::_exit(125) };
        }
        drop((child_side, go_r, into_fd, proxy_child));
        let launched = Launched {
            keeper_pid,
            cgroups,
            applied,
            skipped,
            stdin_w,
            stdout_r,
            stderr_r,
            setup_r,
            report_r,
            lifeline_w,
            joined_w,
            go_w,
            leave_memcg,
            join_pid1,
            into_used: fds.into_cgroup >= 0,
            proxy,
            started,
        };
        if keeper_joins {
            // Exempt the keeper from the OOM killer where we may, then move
            // it into the v1 cgroups; it waits for its command, so pid 1
            // and the command are born there. On failure the guard kills
            // and reaps the keeper.
            let mut guard = Spare(Some(launched));
            if let Some(l) = guard.0.as_ref() {
                if plan.keeper_oom_exempt {
                    std::fs::write(
                        format!("/proc/{keeper_pid}/oom_score_adj"),
                        plan::OOM_SCORE_ADJ_MIN.to_string(),
                    )
                    .map_err(|e| SandboxError::Setup {
                        step: "oom-score".into(),
                        reason: format!("cannot exempt the keeper from the OOM killer: {e}"),
                    })?;
                }
                l.cgroups
                    .join_keeper(keeper_pid)
                    .map_err(|r| SandboxError::unavailable(r.protection, r.reason))?;
            }
            return guard.0.take().ok_or_else(|| SandboxError::Setup {
                step: "keeper".into(),
                reason: "lost the keeper".into(),
            });
        }
        Ok(launched)
    }

    /// Starts `argv`; see [`Sandbox::spawn`]. With a warm start, the next
    /// spare is prepared at once.
    pub fn spawn<S: AsRef<OsStr>>(&self, argv: &[S]) -> Result<RunningSandbox, SandboxError> {
        let running = self.start(argv);
        self.refill();
        running
    }

    fn start<S: AsRef<OsStr>>(&self, argv: &[S]) -> Result<RunningSandbox, SandboxError> {
        let plan = &self.plan;
        let Some(first) = argv.first() else {
            return Err(SandboxError::InvalidProfile("empty command".into()));
        };
        let argv_c = argv
            .iter()
            .map(|a| {
                CString::new(a.as_ref().as_bytes()).map_err(|_| {
                    SandboxError::InvalidProfile(format!(
                        "argument `{}` contains a NUL byte",
                        a.as_ref().to_string_lossy()
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let exec_candidates = plan::exec_candidates(plan, first.as_ref())?;

        let spare = self.warm.as_ref().and_then(|w| {
            w.spare
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
        });
        let cold = |argv: Vec<CString>, exec_candidates: Vec<CString>| {
            self.launch(Some(RunPlan {
                argv,
                exec_candidates,
                thaw: None,
                wall: plan.limits.wall_time,
                await_join: false,
                oom_score_adj: CString::default(),
            }))
        };
        let launched = match spare.and_then(|mut s| s.0.take()) {
            Some(mut l) => {
                let mut msg = Vec::new();
                for n in [argv_c.len(), exec_candidates.len()] {
                    msg.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
                }
                for s in argv_c.iter().chain(&exec_candidates) {
                    let b = s.as_bytes();
                    msg.extend_from_slice(
                        &u32::try_from(b.len()).unwrap_or(u32::MAX).to_le_bytes(),
                    );
                    msg.extend_from_slice(b);
                }
                let sent = l.go_w.as_mut().map(|go| go.write_all(&msg));
                l.started = Instant::now();
                if let Some(Ok(())) = sent {
                    l.go_w = None;
                    l
                } else {
                    // The spare is gone (killed from outside): end it and
                    // start cold.
                    drop(Spare(Some(l)));
                    cold(argv_c, exec_candidates)?
                }
            }
            None => cold(argv_c, exec_candidates)?,
        };
        self.drive(launched, first.as_ref())
    }

    /// Whether a warm keeper is ready for the next run.
    pub fn is_warm(&self) -> bool {
        self.warm.as_ref().is_some_and(|w| {
            w.spare
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_some()
        })
    }

    /// Follows the keeper's set-up reports until the command has started.
    fn drive(&self, l: Launched, first: &OsStr) -> Result<RunningSandbox, SandboxError> {
        let plan = &self.plan;
        let Launched {
            keeper_pid,
            cgroups,
            applied,
            mut skipped,
            stdin_w,
            stdout_r,
            stderr_r,
            setup_r,
            report_r,
            lifeline_w,
            joined_w,
            go_w: _,
            mut leave_memcg,
            join_pid1,
            into_used,
            proxy,
            started,
        } = l;
        // Read the set-up reports until the sandbox has exec'd (EOF).
        let mut setup = File::from(setup_r);
        let mut pid1: Option<i32> = None;
        let mut pidfd: Option<OwnedFd> = None;
        let mut failure: Option<(SetupStep, i32)> = None;
        let mut join_failure = None;
        let mut joined_w = Some(File::from(joined_w));
        let mut map_failure: Option<String> = None;
        let mut mover = None;
        let mut record = [0u8; RECORD_LEN];
        while setup.read_exact(&mut record).is_ok() {
            let r = Record::decode(&record);
            match r.kind() {
                Some(RecordKind::Pid1) => {
                    pid1 = i32::try_from(r.fields[1]).ok();
                    pidfd = pid1.and_then(|p| open_verified_pidfd(p, keeper_pid));
                    // Pid 1 is born in the memory cgroup: move the warm
                    // keeper out of it, so nothing it allocates later (its
                    // report, after an OOM kill in a full cgroup) is
                    // charged there and makes it a victim. The move waits
                    // for an RCU grace period: in a thread of its own, so
                    // neither this start nor the keeper waits for it. A
                    // failed move leaves the keeper where it was, still
                    // ranked below the sandbox.
                    if let Some(mut procs) = leave_memcg.take() {
                        let pid = keeper_pid.to_string();
                        mover = std::thread::Builder::new()
                            .name("nemoclaw-keeper-out".into())
                            .spawn(move || {
                                let _ = procs.write_all(pid.as_bytes());
                            })
                            .ok();
                    }
                    // Join pid 1 to the cgroups while it builds its root,
                    // then let it start the command; on failure the pipe
                    // closes unwritten and pid 1 gives up.
                    if let Some(fd) = joined_w.take() {
                        let joined = match pid1 {
                            Some(p) if join_pid1 => cgroups.join(p, into_used),
                            _ => Ok(()),
                        };
                        match joined {
                            Ok(()) => {
                                let mut fd = fd;
                                let _ = fd.write_all(b"1");
                            }
                            Err(r) => join_failure = Some(r),
                        }
                    }
                }
                Some(RecordKind::Error) => {
                    failure = Some((
                        SetupStep::from_i64(r.fields[1]).unwrap_or(SetupStep::Exec),
                        i32::try_from(r.fields[2]).unwrap_or(libc::EIO),
                    ));
                }
                Some(RecordKind::Unshared) => match write_id_maps(keeper_pid, plan) {
                    Ok(()) => {
                        if let Some(f) = joined_w.as_mut() {
                            let _ = f.write_all(b"1");
                        }
                    }
                    Err(e) => {
                        map_failure = Some(e);
                        joined_w = None;
                    }
                },
                Some(RecordKind::LandlockPartial) => skipped.push(Skipped {
                    protection: Protection::Landlock,
                    reason: "landlock only partly enforced by this kernel".into(),
                }),
                _ => {}
            }
        }
        let running = RunningSandbox {
            keeper: Some(keeper_pid),
            mover,
            pid1: pid1.unwrap_or(0),
            stdin: Some(File::from(stdin_w)),
            stdout: Some(File::from(stdout_r)),
            stderr: Some(File::from(stderr_r)),
            report: Some(File::from(report_r)),
            control: Arc::new(ControlInner {
                pid1: pid1.unwrap_or(0),
                pidfd,
                lifeline: Mutex::new(Some(lifeline_w)),
                freezer: cgroups.freezer.clone(),
                state: Mutex::new(ControlState::default()),
            }),
            cgroups: Some(cgroups),
            proxy,
            started,
            applied,
            skipped,
            limits: plan.limits.clone(),
        };
        drop(joined_w);
        if let Some(reason) = map_failure {
            let mut running = running;
            running.reap_keeper();
            return Err(SandboxError::unavailable(Protection::UserNamespace, reason));
        }
        if let Some((step, errno)) = failure.or(if pid1.is_none() {
            Some((SetupStep::Fork, libc::EIO))
        } else {
            None
        }) {
            let mut running = running;
            running.reap_keeper();
            let reason = std::io::Error::from_raw_os_error(errno).to_string();
            return Err(match (step, step.protection()) {
                (SetupStep::ProxyBridge, _) => SandboxError::unavailable(
                    Protection::NetworkAllowList,
                    format!(
                        "the bridge from the sandbox's 127.0.0.1:{} to the host-side proxy could not be set up: {reason}",
                        super::PROXY_PORT
                    ),
                ),
                (SetupStep::Exec, _) => SandboxError::Exec {
                    command: first.to_string_lossy().into_owned(),
                    reason,
                },
                (_, Some(protection))
                    if errno == libc::EPERM
                        || errno == libc::EINVAL
                        || errno == libc::ENOSYS
                        || errno == libc::EOPNOTSUPP
                        || errno == libc::EACCES
                        || errno == libc::ENOSPC =>
                {
                    SandboxError::unavailable(
                        protection,
                        format!("set-up step `{}` failed: {reason}", step.name()),
                    )
                }
                _ => SandboxError::Setup {
                    step: step.name().to_owned(),
                    reason,
                },
            });
        }
        if let Some(r) = join_failure {
            let mut running = running;
            running.reap_keeper();
            return Err(SandboxError::unavailable(r.protection, r.reason));
        }
        Ok(running)
    }
}

#[derive(Debug, Default)]
struct ControlState {
    frozen: bool,
    stopped_pids: Vec<i32>,
    killed: bool,
    exited: bool,
}

#[derive(Debug)]
struct ControlInner {
    pid1: i32,
    /// A pidfd of pid 1, opened when its pid arrived and checked to be the
    /// keeper's child (so never a recycled pid).
    pidfd: Option<OwnedFd>,
    /// Closing it makes the keeper SIGKILL pid 1, its own unreaped child.
    lifeline: Mutex<Option<OwnedFd>>,
    freezer: Option<cgroup::Freezer>,
    state: Mutex<ControlState>,
}

/// Freeze, thaw or kill a running sandbox from any thread (the escalation
/// flow holds one while a reviewer decides). Cheap to clone.
#[derive(Debug, Clone)]
pub struct SandboxControl {
    inner: Arc<ControlInner>,
}

fn control_error(action: &'static str, reason: impl ToString) -> SandboxError {
    SandboxError::Control {
        action,
        reason: reason.to_string(),
    }
}

impl SandboxControl {
    fn lock(&self) -> std::sync::MutexGuard<'_, ControlState> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stops every process of the sandbox: the cgroup freezer when one was
    /// created, else SIGSTOP to every process of its pid namespace.
    pub fn freeze(&self) -> Result<(), SandboxError> {
        let mut state = self.lock();
        if state.exited || state.killed {
            return Err(control_error("freeze", "the sandbox is no longer running"));
        }
        if state.frozen {
            return Ok(());
        }
        match &self.inner.freezer {
            Some(f) => f.set(true).map_err(|e| control_error("freeze", e))?,
            None => {
                // New processes may appear while we stop the others: repeat
                // until a pass finds nothing new.
                for _ in 0..64 {
                    let members = namespace_members(self.inner.pid1)
                        .map_err(|e| control_error("freeze", e))?;
                    let fresh: Vec<i32> = members
                        .into_iter()
                        .filter(|p| !state.stopped_pids.contains(p))
                        .collect();
                    if fresh.is_empty() {
                        break;
                    }
                    for pid in fresh {
                        self.signal(pid, libc::SIGSTOP);
                        state.stopped_pids.push(pid);
                    }
                }
            }
        }
        state.frozen = true;
        Ok(())
    }

    /// Resumes a frozen sandbox.
    pub fn thaw(&self) -> Result<(), SandboxError> {
        let mut state = self.lock();
        if !state.frozen {
            return Ok(());
        }
        match &self.inner.freezer {
            Some(f) => f.set(false).map_err(|e| control_error("thaw", e))?,
            None => {
                for pid in std::mem::take(&mut state.stopped_pids) {
                    self.signal(pid, libc::SIGCONT);
                }
            }
        }
        state.frozen = false;
        Ok(())
    }

    /// Kills every process of the sandbox (SIGKILL to its pid 1 ends the
    /// whole pid namespace). Killing an ended sandbox does nothing.
    pub fn kill(&self) -> Result<(), SandboxError> {
        let mut state = self.lock();
        if state.exited {
            return Ok(());
        }
        state.killed = true;
        // The keeper kills its own child: no pid can have been recycled.
        drop(
            self.inner
                .lifeline
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        // And directly, which is quicker than waking the keeper.
        if let Some(fd) = &self.inner.pidfd {
            rustix::process::pidfd_send_signal(fd, rustix::process::Signal::KILL)
                .or_else(|e| {
                    if e == rustix::io::Errno::SRCH {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| control_error("kill", e))?;
        }
        if state.frozen {
            if let Some(f) = &self.inner.freezer {
                let _ = f.set(false);
            }
            for pid in std::mem::take(&mut state.stopped_pids) {
                self.signal(pid, libc::SIGCONT);
            }
            state.frozen = false;
        }
        Ok(())
    }

    /// Whether the sandbox is frozen now.
    pub fn is_frozen(&self) -> bool {
        self.lock().frozen
    }

    fn signal(&self, pid: i32, sig: libc::c_int) {
        if pid == self.inner.pid1 {
            if let Some(fd) = &self.inner.pidfd {
                // SAFETY: pidfd_send_signal on a pidfd we own, NULL info.
                unsafe {
                    libc::syscall(
                        libc::SYS_pidfd_send_signal,
                        fd.as_raw_fd(),
                        sig,
                        std::ptr::null::<libc::siginfo_t>(),
                        0,
                    )
                };
                return;
            }
        }
        // SAFETY: kill with plain integers; the pid belongs to the
        // sandbox's namespace (checked just before).
        unsafe { libc::kill(pid, sig) };
    }
}

/// Host pids of every process in the pid namespace whose init is `pid1`.
fn namespace_members(pid1: i32) -> std::io::Result<Vec<i32>> {
    use std::os::unix::fs::MetadataExt;
    let ns = std::fs::metadata(format!("/proc/{pid1}/ns/pid"))?;
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if let Ok(m) = std::fs::metadata(format!("/proc/{pid}/ns/pid")) {
            if m.ino() == ns.ino() && m.dev() == ns.dev() {
                out.push(pid);
            }
        }
    }
    Ok(out)
}

/// A sandbox that is running: stream its output, control it, wait for it.
/// Dropping it kills the sandbox.
#[derive(Debug)]
pub struct RunningSandbox {
    keeper: Option<i32>,
    /// The thread moving a warm keeper out of the memory cgroup.
    mover: Option<std::thread::JoinHandle<()>>,
    pid1: i32,
    /// Write end of the command's stdin (drop it to send EOF).
    pub stdin: Option<File>,
    /// Read end of the command's stdout.
    pub stdout: Option<File>,
    /// Read end of the command's stderr.
    pub stderr: Option<File>,
    report: Option<File>,
    control: Arc<ControlInner>,
    cgroups: Option<SandboxCgroups>,
    /// The host-side filtering proxy (allow-list mode).
    proxy: Option<proxy::Proxy>,
    started: Instant,
    applied: Vec<Protection>,
    skipped: Vec<Skipped>,
    limits: super::profile::Limits,
}

impl RunningSandbox {
    /// The host pid of the sandbox's pid 1.
    pub fn pid(&self) -> i32 {
        self.pid1
    }

    /// A handle to freeze, thaw or kill it from another thread.
    pub fn control(&self) -> SandboxControl {
        SandboxControl {
            inner: Arc::clone(&self.control),
        }
    }

    /// Protections in force.
    pub fn protections(&self) -> &[Protection] {
        &self.applied
    }

    /// Freezes the sandbox; see [`SandboxControl::freeze`].
    pub fn freeze(&self) -> Result<(), SandboxError> {
        self.control().freeze()
    }

    /// Thaws the sandbox; see [`SandboxControl::thaw`].
    pub fn thaw(&self) -> Result<(), SandboxError> {
        self.control().thaw()
    }

    /// Kills the sandbox; see [`SandboxControl::kill`].
    pub fn kill(&self) -> Result<(), SandboxError> {
        self.control().kill()
    }

    /// Reads stdout and stderr to their end, keeping at most the profile's
    /// capture limit in total. Returns (stdout, stderr, truncated, byte
    /// counts).
    #[allow(clippy::type_complexity)]
    fn collect_output(&mut self) -> Result<(Vec<u8>, Vec<u8>, bool, (u64, u64)), SandboxError> {
        let limit = usize::try_from(self.limits.output_bytes).unwrap_or(usize::MAX);
        let mut bufs = (Vec::new(), Vec::new());
        let mut counts = (0u64, 0u64);
        let mut truncated = false;
        let mut kept = 0usize;
        let mut open = [self.stdout.take(), self.stderr.take()];
        let mut chunk = vec![0u8; 64 * 1024];
        while open.iter().any(Option::is_some) {
            let mut polls: Vec<PollFd<'_>> = Vec::with_capacity(2);
            let mut which = Vec::with_capacity(2);
            for (i, f) in open.iter().enumerate() {
                if let Some(f) = f {
                    polls.push(PollFd::new(f, PollFlags::IN));
                    which.push(i);
                }
            }
            match poll(&mut polls, None) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(SandboxError::io("poll output", e.into())),
            }
            let ready: Vec<(usize, bool)> = polls
                .iter()
                .zip(&which)
                .map(|(p, &i)| (i, !p.revents().is_empty()))
                .collect();
            drop(polls);
            for (i, is_ready) in ready {
                if !is_ready {
                    continue;
                }
                let Some(f) = open[i].as_mut() else { continue };
                let n = match f.read(&mut chunk) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(SandboxError::io("read output", e)),
                };
                if n == 0 {
                    open[i] = None;
                    continue;
                }
                let (buf, count) = if i == 0 {
                    (&mut bufs.0, &mut counts.0)
                } else {
                    (&mut bufs.1, &mut counts.1)
                };
                *count += n as u64;
                let room = limit.saturating_sub(kept);
                let keep = n.min(room);
                buf.extend_from_slice(&chunk[..keep]);
                kept += keep;
                if keep < n {
                    truncated = true;
                }
            }
        }
        Ok((bufs.0, bufs.1, truncated, counts))
    }

    /// Waits until the command and every process it started have ended.
    /// Output still unread is dropped unread (the pipes close).
    pub fn wait(mut self) -> Result<Outcome, SandboxError> {
        self.stdin = None;
        let mut record = [0u8; RECORD_LEN];
        let mut command_status: Option<i32> = None;
        let mut got = false;
        if let Some(report) = self.report.as_mut() {
            while report.read_exact(&mut record).is_ok() {
                let r = Record::decode(&record);
                match r.kind() {
                    Some(RecordKind::CommandExit) => {
                        command_status = i32::try_from(r.fields[1]).ok();
                    }
                    Some(RecordKind::Exit) => {
                        got = true;
                        break;
                    }
                    _ => {}
                }
            }
        }
        let wall = self.started.elapsed();
        self.reap_keeper();
        {
            let mut state = self
                .control
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.exited = true;
        }
        let killed = self.control.state.lock().map(|s| s.killed).unwrap_or(false);
        if !got {
            return Err(SandboxError::Setup {
                step: "keeper".into(),
                reason: "the sandbox keeper ended without a report".into(),
            });
        }
        let r = Record::decode(&record);
        let raw = command_status.unwrap_or_else(|| i32::try_from(r.fields[1]).unwrap_or(0));
        let status = if libc::WIFSIGNALED(raw) {
            ExitStatus::Signaled(libc::WTERMSIG(raw))
        } else {
            ExitStatus::Exited(libc::WEXITSTATUS(raw))
        };
        let micros = |v: i64| Duration::from_micros(u64::try_from(v).unwrap_or(0));
        let mut usage = Usage {
            wall,
            user_cpu: micros(r.fields[3]),
            system_cpu: micros(r.fields[4]),
            max_rss_bytes: u64::try_from(r.fields[5]).unwrap_or(0) * 1024,
            ..Usage::default()
        };
        let mut violations = Vec::new();
        if r.fields[2] != 0 {
            violations.push(Violation::WallTime(
                self.limits.wall_time.unwrap_or_default(),
            ));
        }
        if killed {
            violations.push(Violation::Killed);
        }
        if let Some(cg) = self.cgroups.as_mut() {
            usage.peak_memory_bytes = cg.peak_memory();
            if cg.oom_kills() > 0 {
                violations.push(Violation::Memory {
                    limit_bytes: self.limits.memory_bytes.unwrap_or(0),
                });
            }
            let refused = cg.pids_refused();
            if refused > 0 {
                violations.push(Violation::Pids {
                    limit: self.limits.pids.unwrap_or(0),
                    refused,
                });
            }
            cg.remove();
        }
        let (connections, connections_dropped) = match self.proxy.take() {
            Some(p) => p.finish(),
            None => (Vec::new(), 0),
        };
        for c in &connections {
            if c.decision == NetDecision::Refused {
                violations.push(Violation::NetworkRefused {
                    host: c.host.clone(),
                    port: c.port,
                    reason: c.reason.clone().unwrap_or_default(),
                });
            }
        }
        match status {
            ExitStatus::Signaled(s) if s == libc::SIGXCPU => violations.push(Violation::CpuTime),
            ExitStatus::Signaled(s) if s == libc::SIGXFSZ => violations.push(Violation::FileSize),
            ExitStatus::Signaled(s) if s == libc::SIGSYS => violations.push(Violation::Seccomp),
            _ => {}
        }
        Ok(Outcome {
            status,
            stdout: Vec::new(),
            stderr: Vec::new(),
            usage,
            violations,
            applied: std::mem::take(&mut self.applied),
            skipped: std::mem::take(&mut self.skipped),
            connections,
            connections_dropped,
        })
    }

    /// Reads the remaining output (within the capture limit) and waits.
    pub fn wait_with_output(mut self) -> Result<Outcome, SandboxError> {
        self.stdin = None;
        let limit = self.limits.output_bytes;
        let (stdout, stderr, truncated, counts) = self.collect_output()?;
        let mut outcome = self.wait()?;
        outcome.stdout = stdout;
        outcome.stderr = stderr;
        outcome.usage.stdout_bytes = counts.0;
        outcome.usage.stderr_bytes = counts.1;
        if truncated {
            outcome
                .violations
                .push(Violation::OutputTruncated { limit_bytes: limit });
        }
        Ok(outcome)
    }

    fn reap_keeper(&mut self) {
        if let Some(pid) = self.keeper.take() {
            // Closing the lifeline tells a keeper still waiting to kill
            // the tree.
            drop(
                self.control
                    .lifeline
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take(),
            );
            // While the keeper is being moved out of the memory cgroup (by
            // pid), it stays our unreaped child, so its pid cannot be
            // reused by another process before the move has happened.
            match self.mover.take() {
                Some(mover) if !mover.is_finished() => {
                    let _ = std::thread::Builder::new()
                        .name("nemoclaw-reap".into())
                        .spawn(move || {
                            let _ = mover.join();
                            wait_child(pid);
                        });
                }
                _ => wait_child(pid),
            }
        }
    }
}

/// Reaps our own child `pid`.
fn wait_child(pid: i32) {
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child into a live local.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r >= 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            break;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if self.keeper.is_some() {
            let _ = self.control().kill();
            self.reap_keeper();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<PreparedSandbox>();
        send_sync::<SandboxControl>();
        send_sync::<RunningSandbox>();
    }
}
