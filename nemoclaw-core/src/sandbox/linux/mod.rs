//! The Linux runtime: fork a keeper, unshare, fork the sandbox's pid 1,
//! build its root, lock it down, exec.

mod cgroup;
mod child;
mod doctor;
mod plan;
mod seccomp;
mod wire;

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
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
use super::outcome::{ExitStatus, Outcome, Protection, Skipped, Usage, Violation};
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
}

fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    pipe_with(PipeFlags::CLOEXEC).map_err(|e| SandboxError::io("pipe", e.into()))
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
    pub fn run<S: AsRef<OsStr>>(&self, argv: &[S], stdin: &[u8]) -> Result<Outcome, SandboxError> {
        let mut running = self.spawn(argv)?;
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

    /// Starts `argv`; see [`Sandbox::spawn`].
    pub fn spawn<S: AsRef<OsStr>>(&self, argv: &[S]) -> Result<RunningSandbox, SandboxError> {
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

        let mut skipped: Vec<Skipped> = plan.skipped.clone();
        let mut applied = plan.applied.clone();
        let mut cg_skipped = Vec::new();
        let cgroups = SandboxCgroups::create(
            &self.hierarchies,
            plan.cgroups,
            plan.best_effort,
            &mut cg_skipped,
        )
        .map_err(|r| SandboxError::unavailable(r.protection, r.reason))?;
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
        let cgroup_procs = cgroups
            .procs_files()
            .iter()
            .map(|p| {
                CString::new(p.as_os_str().as_bytes())
                    .map_err(|_| SandboxError::InvalidProfile("cgroup path with NUL".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
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
        let run = RunPlan {
            argv: argv_c,
            exec_candidates,
            cgroup_procs,
            thaw,
            wall: plan.limits.wall_time,
        };

        let (stdin_r, stdin_w) = pipe()?;
        let (stdout_r, stdout_w) = pipe()?;
        let (stderr_r, stderr_w) = pipe()?;
        let (setup_r, setup_w) = pipe()?;
        let (report_r, report_w) = pipe()?;
        let (lifeline_r, lifeline_w) = pipe()?;
        // Copies at 10 and above so dup2 onto 0..2 never clobbers them.
        let child_side = [
            high_fd(&stdin_r)?,
            high_fd(&stdout_w)?,
            high_fd(&stderr_w)?,
            high_fd(&setup_w)?,
            high_fd(&report_w)?,
            high_fd(&lifeline_r)?,
        ];
        drop((stdin_r, stdout_w, stderr_w, setup_w, report_w, lifeline_r));
        let fds = ChildFds {
            stdin: child_side[0].as_raw_fd(),
            stdout: child_side[1].as_raw_fd(),
            stderr: child_side[2].as_raw_fd(),
            setup_w: child_side[3].as_raw_fd(),
            report_w: child_side[4].as_raw_fd(),
            lifeline_r: child_side[5].as_raw_fd(),
        };

        let started = Instant::now();
        // SAFETY: glibc's fork resets the allocator's locks in the child,
        // which then only runs `child::keeper` (no locks of other threads,
        // no return into this function: it ends in `_exit`).
        let keeper_pid = unsafe { libc::fork() };
        if keeper_pid < 0 {
            return Err(SandboxError::io("fork", std::io::Error::last_os_error()));
        }
        if keeper_pid == 0 {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                child::keeper(plan, &run, fds)
            }));
            // SAFETY: leave without running the parent's destructors.
            unsafe { libc::_exit(125) };
        }
        drop(child_side);

        // Read the set-up reports until the sandbox has exec'd (EOF).
        let mut setup = File::from(setup_r);
        let mut pid1: Option<i32> = None;
        let mut failure: Option<(SetupStep, i32)> = None;
        let mut record = [0u8; RECORD_LEN];
        while setup.read_exact(&mut record).is_ok() {
            let r = Record::decode(&record);
            match r.kind() {
                Some(RecordKind::Pid1) => pid1 = i32::try_from(r.fields[1]).ok(),
                Some(RecordKind::Error) => {
                    failure = Some((
                        SetupStep::from_i64(r.fields[1]).unwrap_or(SetupStep::Exec),
                        i32::try_from(r.fields[2]).unwrap_or(libc::EIO),
                    ));
                }
                Some(RecordKind::LandlockPartial) => skipped.push(Skipped {
                    protection: Protection::Landlock,
                    reason: "landlock only partly enforced by this kernel".into(),
                }),
                _ => {}
            }
        }
        let running = RunningSandbox {
            keeper: Some(keeper_pid),
            pid1: pid1.unwrap_or(0),
            stdin: Some(File::from(stdin_w)),
            stdout: Some(File::from(stdout_r)),
            stderr: Some(File::from(stderr_r)),
            report: Some(File::from(report_r)),
            lifeline: Some(lifeline_w),
            control: Arc::new(ControlInner {
                pid1: pid1.unwrap_or(0),
                pidfd: pid1.and_then(|p| {
                    rustix::process::pidfd_open(
                        rustix::process::Pid::from_raw(p)?,
                        rustix::process::PidfdFlags::empty(),
                    )
                    .ok()
                }),
                freezer: cgroups.freezer.clone(),
                state: Mutex::new(ControlState::default()),
            }),
            cgroups: Some(cgroups),
            started,
            applied,
            skipped,
            limits: plan.limits.clone(),
        };
        if let Some((step, errno)) = failure.or(if pid1.is_none() {
            Some((SetupStep::Fork, libc::EIO))
        } else {
            None
        }) {
            let mut running = running;
            running.reap_keeper();
            let reason = std::io::Error::from_raw_os_error(errno).to_string();
            return Err(match (step, step.protection()) {
                (SetupStep::Exec, _) => SandboxError::Exec {
                    command: first.as_ref().to_string_lossy().into_owned(),
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
    pidfd: Option<OwnedFd>,
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
        match &self.inner.pidfd {
            Some(fd) => {
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
            None => return Err(control_error("kill", "no handle on the sandbox's pid 1")),
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
    pid1: i32,
    /// Write end of the command's stdin (drop it to send EOF).
    pub stdin: Option<File>,
    /// Read end of the command's stdout.
    pub stdout: Option<File>,
    /// Read end of the command's stderr.
    pub stderr: Option<File>,
    report: Option<File>,
    lifeline: Option<OwnedFd>,
    control: Arc<ControlInner>,
    cgroups: Option<SandboxCgroups>,
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
            self.lifeline = None;
            let mut status = 0;
            loop {
                // SAFETY: waiting for our own child into a live local.
                let r = unsafe { libc::waitpid(pid, &mut status, 0) };
                if r >= 0
                    || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
                {
                    break;
                }
            }
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
