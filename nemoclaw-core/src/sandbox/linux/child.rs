//! Code that runs after `fork(2)`, in the sandbox's keeper process and in
//! the sandbox's pid 1. Both are single-threaded copies of the caller, made
//! with glibc's `fork`, which leaves the allocator usable in the child; no
//! lock of the caller's other threads (stdio, environment) is touched here.
//!
//! Nothing here may unwind into the caller's code: every path ends in
//! `_exit`.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::RawFd;
use std::time::Instant;

use landlock::{
    Access, AccessFs, AccessNet, CompatLevel, Compatible, NetPort, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};

use super::plan::{Plan, RunPlan, SetupStep};
use super::wire::{Record, RecordKind};

const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOUNT_ATTR_NOSUID: u64 = 0x2;
const MOUNT_ATTR_NODEV: u64 = 0x4;
const MOUNT_ATTR_NOEXEC: u64 = 0x8;
const AT_RECURSIVE: libc::c_uint = 0x8000;
const CLOSE_RANGE_CLOEXEC: libc::c_uint = 4;
const SIOCGIFFLAGS: libc::c_ulong = 0x8913;
const SIOCSIFFLAGS: libc::c_ulong = 0x8914;
/// noroot, no-setuid-fixup, keep-caps and no-ambient-raise, each locked
/// (keep-caps itself off).
const SECUREBITS_LOCKED_DOWN: libc::c_ulong = 0xef;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

#[repr(C)]
struct IfReqFlags {
    name: [u8; 16],
    flags: libc::c_short,
    _pad: [u8; 22],
}

/// The file descriptors the keeper works with (already >= 10, close-on-exec).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildFds {
    pub stdin: RawFd,
    pub stdout: RawFd,
    pub stderr: RawFd,
    pub setup_w: RawFd,
    pub report_w: RawFd,
    pub lifeline_r: RawFd,
    /// The parent writes one byte here once pid 1 has joined the cgroups.
    pub joined_r: RawFd,
    /// A warm keeper reads its command here (-1: the command is known).
    pub go_r: RawFd,
    /// A cgroup v2 directory pid 1 is created in with `CLONE_INTO_CGROUP`
    /// (-1: none).
    pub into_cgroup: RawFd,
    /// Allow-list mode: pid 1's end of the UNIX socket pair to the
    /// caller's proxy, over which it sends the proxy's listener (-1: none).
    pub proxy: RawFd,
}

/// `struct clone_args` of `clone3(2)` up to `cgroup` (`CLONE_ARGS_SIZE_VER2`).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// A failed step and its errno.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepError {
    step: SetupStep,
    errno: i32,
}

type StepResult<T = ()> = Result<T, StepError>;

fn last_errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn check(step: SetupStep, ret: libc::c_int) -> StepResult<libc::c_int> {
    if ret < 0 {
        Err(StepError {
            step,
            errno: last_errno(),
        })
    } else {
        Ok(ret)
    }
}

fn check_long(step: SetupStep, ret: libc::c_long) -> StepResult<libc::c_long> {
    if ret < 0 {
        Err(StepError {
            step,
            errno: last_errno(),
        })
    } else {
        Ok(ret)
    }
}

fn fail(step: SetupStep, errno: i32) -> StepError {
    StepError { step, errno }
}

fn send(fd: RawFd, record: &Record) {
    let bytes = record.encode();
    // SAFETY: `bytes` is a live buffer of the given length; a short or
    // failed write only loses the report, which the parent treats as a
    // failure of the sandbox.
    let _ = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
}

fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` ends the process without running the caller's atexit
    // handlers or destructors, which belong to the parent.
    unsafe { libc::_exit(code) }
}

/// Closes every descriptor from 3 up except `keep` (negative entries are
/// ignored).
fn close_all_except(keep: &[RawFd]) -> StepResult {
    let mut keep: Vec<RawFd> = keep.iter().copied().filter(|&fd| fd >= 0).collect();
    keep.sort_unstable();
    let mut next: libc::c_uint = 3;
    for fd in keep {
        let fd = fd as libc::c_uint;
        if fd > next {
            // SAFETY: closes descriptors in [next, fd-1], none of which this
            // process needs; other threads do not exist after fork.
            check(SetupStep::CloseFds, unsafe {
                libc::close_range(next, fd - 1, 0)
            })?;
        }
        next = next.max(fd + 1);
    }
    // SAFETY: as above, everything above the highest kept descriptor.
    check(SetupStep::CloseFds, unsafe {
        libc::close_range(next, libc::c_uint::MAX, 0)
    })?;
    Ok(())
}

/// Reads exactly `buf.len()` bytes; false on EOF or error.
fn read_full(fd: RawFd, buf: &mut [u8]) -> bool {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: reads into the live remainder of `buf`.
        let n = unsafe { libc::read(fd, buf[done..].as_mut_ptr().cast(), buf.len() - done) };
        if n < 0 && last_errno() == libc::EINTR {
            continue;
        }
        if n <= 0 {
            return false;
        }
        done += n as usize;
    }
    true
}

fn read_strings(fd: RawFd, count: usize) -> Option<Vec<CString>> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let mut len = [0u8; 4];
        if !read_full(fd, &mut len) {
            return None;
        }
        let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
        if !read_full(fd, &mut bytes) {
            return None;
        }
        out.push(CString::new(bytes).ok()?);
    }
    Some(out)
}

/// A warm keeper: forked and joined to its cgroups ahead of time, it
/// holds nothing of the caller but its own descriptors and waits for its
/// command (argv, then the exec candidates), then goes on as [`keeper`].
/// The caller closing the pipe instead ends it.
pub(crate) fn warm_keeper(plan: &Plan, mut run: RunPlan, fds: ChildFds) -> ! {
    if close_all_except(&[
        fds.stdin,
        fds.stdout,
        fds.stderr,
        fds.setup_w,
        fds.report_w,
        fds.lifeline_r,
        fds.joined_r,
        fds.go_r,
        fds.into_cgroup,
        fds.proxy,
    ])
    .is_err()
    {
        exit_now(126);
    }
    let mut counts = [0u8; 8];
    if !read_full(fds.go_r, &mut counts) {
        exit_now(0);
    }
    let argc = u32::from_le_bytes([counts[0], counts[1], counts[2], counts[3]]) as usize;
    let candc = u32::from_le_bytes([counts[4], counts[5], counts[6], counts[7]]) as usize;
    let (Some(argv), Some(candidates)) =
        (read_strings(fds.go_r, argc), read_strings(fds.go_r, candc))
    else {
        exit_now(0);
    };
    run.argv = argv;
    run.exec_candidates = candidates;
    // SAFETY: closing a descriptor this process no longer needs.
    unsafe { libc::close(fds.go_r) };
    keeper(plan, &run, ChildFds { go_r: -1, ..fds })
}

/// The keeper: joins the cgroups, unshares every namespace, maps ids, forks
/// the sandbox's pid 1, then waits for it (killing the tree on timeout or
/// when the caller goes away) and reports its status. Never returns.
pub(crate) fn keeper(plan: &Plan, run: &RunPlan, fds: ChildFds) -> ! {
    let started = Instant::now();
    let (pid1, thaw_fd) = match keeper_setup(plan, run, fds) {
        Ok(r) => r,
        Err(e) => {
            send(
                fds.setup_w,
                &Record::new(RecordKind::Error, e.step as i64, e.errno.into()),
            );
            exit_now(126);
        }
    };
    send(fds.setup_w, &Record::new(RecordKind::Pid1, pid1.into(), 0));
    // SAFETY: closing descriptors this process owns and no longer needs;
    // the sandbox holds its own copies.
    unsafe {
        libc::close(fds.setup_w);
        libc::close(0);
        libc::close(1);
        libc::close(2);
    }
    keeper_wait(run, fds, pid1, thaw_fd, started)
}

fn keeper_setup(
    plan: &Plan,
    run: &RunPlan,
    fds: ChildFds,
) -> StepResult<(libc::pid_t, Option<RawFd>)> {
    // stdio onto 0, 1, 2 (dup2 clears close-on-exec on the copies).
    for (from, to) in [(fds.stdin, 0), (fds.stdout, 1), (fds.stderr, 2)] {
        // SAFETY: plain descriptor duplication on descriptors we own.
        check(SetupStep::Stdio, unsafe { libc::dup2(from, to) })?;
    }
    // Close every inherited descriptor except ours.
    close_all_except(&[
        fds.setup_w,
        fds.report_w,
        fds.lifeline_r,
        fds.joined_r,
        fds.into_cgroup,
        fds.proxy,
    ])?;

    // The freezer file, opened while we still hold the caller's
    // credentials: on a timeout we thaw the tree so the kill lands (a
    // frozen v1 task does not die until thawed).
    let thaw_fd = match &run.thaw {
        Some((path, _)) => {
            // SAFETY: NUL-terminated path; the descriptor is ours.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
            (fd >= 0).then_some(fd)
        }
        None => None,
    };

    // Drop the caller's supplementary groups (they would stay with us,
    // unmapped, inside). Needs CAP_SETGID: required when mapping to other
    // ids, best kept otherwise.
    // SAFETY: an empty group list (NULL with size 0).
    let r = unsafe { libc::setgroups(0, std::ptr::null()) };
    if r < 0 && plan.parent_maps {
        return Err(fail(SetupStep::IdMap, last_errno()));
    }

    // SAFETY: unshare only changes this (single-threaded) process's
    // namespaces.
    check(SetupStep::Unshare, unsafe {
        libc::unshare(plan.unshare_flags)
    })?;

    if plan.parent_maps {
        // Ids other than the caller's own: the caller writes the maps
        // (it holds CAP_SETUID there) and answers with one byte.
        send(fds.setup_w, &Record::new(RecordKind::Unshared, 0, 0));
        let mut mapped = [0u8; 1];
        // SAFETY: reads one byte into a live buffer.
        let n = unsafe { libc::read(fds.joined_r, mapped.as_mut_ptr().cast(), 1) };
        if n != 1 || mapped[0] != b'1' {
            return Err(fail(SetupStep::IdMap, libc::EPERM));
        }
        write_file(
            c"/proc/self/oom_score_adj",
            run.oom_score_adj.as_bytes(),
            SetupStep::OomScore,
        )?;
        // Our credentials are still the caller's ids, unmapped here: take
        // the mapped ones (keeping our capabilities in the namespace).
        let (uid, gid) = plan.inside_ids;
        // SAFETY: prctl and set*id calls with integer arguments only.
        unsafe {
            check(
                SetupStep::IdMap,
                libc::prctl(libc::PR_SET_SECUREBITS, 1 << 2, 0, 0, 0),
            )?;
            check(SetupStep::IdMap, libc::setresgid(gid, gid, gid))?;
            check(SetupStep::IdMap, libc::setresuid(uid, uid, uid))?;
        }
    } else {
        write_file(c"/proc/self/setgroups", b"deny", SetupStep::IdMap)?;
        write_file(
            c"/proc/self/uid_map",
            plan.uid_map.as_bytes(),
            SetupStep::IdMap,
        )?;
        write_file(
            c"/proc/self/gid_map",
            plan.gid_map.as_bytes(),
            SetupStep::IdMap,
        )?;
    }

    let pid = if fds.into_cgroup >= 0 {
        // Born in its cgroup v2: no migration (which waits for an RCU grace
        // period) and never a moment outside it.
        let args = CloneArgs {
            flags: CLONE_INTO_CGROUP,
            exit_signal: libc::SIGCHLD as u64,
            cgroup: fds.into_cgroup as u64,
            ..CloneArgs::default()
        };
        // SAFETY: clone3 without CLONE_VM or a new stack behaves as fork:
        // the child gets a copy of this single-threaded process (no lock of
        // another thread can be held) and only runs `pid1`, which ends in
        // execve or _exit. glibc's cached thread id is stale in the child;
        // pid 1 never uses it (no raise, no pthread calls).
        let r = unsafe {
            libc::syscall(
                libc::SYS_clone3,
                &args as *const CloneArgs,
                std::mem::size_of::<CloneArgs>(),
            )
        };
        if r < 0 {
            return Err(fail(SetupStep::CgroupJoin, last_errno()));
        }
        r as libc::pid_t
    } else {
        // SAFETY: this process is single-threaded; the child only runs
        // `pid1`, which ends in execve or _exit.
        unsafe { libc::fork() }
    };
    if pid < 0 {
        return Err(fail(SetupStep::Fork, last_errno()));
    }
    if pid == 0 {
        if fds.into_cgroup >= 0 {
            // SAFETY: closing a descriptor this process no longer needs.
            unsafe { libc::close(fds.into_cgroup) };
        }
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pid1(plan, run, fds)));
        let e = match result {
            Ok(e) => e,
            Err(_) => fail(SetupStep::Exec, libc::EFAULT),
        };
        send(
            fds.setup_w,
            &Record::new(RecordKind::Error, e.step as i64, e.errno.into()),
        );
        exit_now(127);
    }
    if fds.into_cgroup >= 0 {
        // SAFETY: closing a descriptor this process no longer needs.
        unsafe { libc::close(fds.into_cgroup) };
    }
    if fds.proxy >= 0 {
        // Only pid 1 talks to the proxy; were it to die, the proxy sees
        // the socket close.
        // SAFETY: closing a descriptor this process no longer needs.
        unsafe { libc::close(fds.proxy) };
    }
    Ok((pid, thaw_fd))
}

fn keeper_wait(
    run: &RunPlan,
    fds: ChildFds,
    pid1: libc::pid_t,
    thaw_fd: Option<RawFd>,
    started: Instant,
) -> ! {
    // SAFETY: pidfd_open on our own child, which we have not reaped.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid1, 0) } as RawFd;
    let deadline = run.wall.map(|w| started + w);
    let mut timed_out = false;
    let mut abandoned = false;
    if pidfd >= 0 {
        loop {
            let timeout_ms: libc::c_int = match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        timed_out = true;
                        break;
                    }
                    left.as_millis().min(i32::MAX as u128) as libc::c_int + 1
                }
            };
            let mut polls = [
                libc::pollfd {
                    fd: pidfd,
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: fds.lifeline_r,
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: `polls` is a live array of two pollfd structs.
            let n = unsafe { libc::poll(polls.as_mut_ptr(), 2, timeout_ms) };
            if n < 0 {
                if last_errno() == libc::EINTR {
                    continue;
                }
                break;
            }
            if polls[0].revents != 0 {
                break;
            }
            if polls[1].revents != 0 {
                abandoned = true;
                break;
            }
        }
    }
    if timed_out || abandoned {
        // SIGKILL to the namespace's pid 1 kills every process in it.
        // SAFETY: pid1 is our unreaped child, so the pid cannot be reused.
        unsafe { libc::kill(pid1, libc::SIGKILL) };
        if let (Some(fd), Some((_, value))) = (thaw_fd, &run.thaw) {
            // SAFETY: writes a live buffer to our descriptor.
            unsafe { libc::write(fd, value.as_ptr().cast(), value.len()) };
        }
    }
    let mut status: libc::c_int = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child, writing into live locals.
        let r = unsafe { libc::wait4(pid1, &mut status, 0, &mut usage) };
        if r >= 0 || last_errno() != libc::EINTR {
            break;
        }
    }
    let micros = |t: libc::timeval| t.tv_sec * 1_000_000 + t.tv_usec;
    let mut record = Record::new(RecordKind::Exit, status.into(), i64::from(timed_out));
    record.fields[3] = micros(usage.ru_utime);
    record.fields[4] = micros(usage.ru_stime);
    record.fields[5] = usage.ru_maxrss as i64;
    record.fields[6] = i64::from(abandoned);
    send(fds.report_w, &record);
    exit_now(0)
}

fn write_file(path: &CStr, data: &[u8], step: SetupStep) -> StepResult {
    // SAFETY: `path` is NUL-terminated; the descriptor is closed below.
    let fd = check(step, unsafe {
        libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC)
    })?;
    // SAFETY: `data` is a live buffer of the given length.
    let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
    let errno = last_errno();
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
    if n < 0 {
        return Err(fail(step, errno));
    }
    Ok(())
}

fn mount(
    step: SetupStep,
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
    data: Option<&CStr>,
) -> StepResult {
    let p = |c: Option<&CStr>| c.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY: every pointer is NULL or a NUL-terminated string that
    // outlives the call.
    check(step, unsafe {
        libc::mount(p(source), target.as_ptr(), p(fstype), flags, p(data).cast())
    })?;
    Ok(())
}

fn set_mount_attr(step: SetupStep, target: &CStr, set: u64, recursive: bool) -> StepResult {
    let attr = MountAttr {
        attr_set: set,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let flags = if recursive { AT_RECURSIVE } else { 0 };
    // SAFETY: `target` is NUL-terminated and `attr` a live struct whose
    // size is passed along.
    check_long(step, unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            target.as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    })?;
    Ok(())
}

fn mkdir_p(path: &CStr, step: SetupStep) -> StepResult {
    // SAFETY: NUL-terminated path.
    let r = unsafe { libc::mkdir(path.as_ptr(), 0o755) };
    if r == 0 || last_errno() == libc::EEXIST {
        return Ok(());
    }
    let bytes = path.to_bytes();
    for i in 1..=bytes.len() {
        if i == bytes.len() || bytes[i] == b'/' {
            let Ok(prefix) = CString::new(&bytes[..i]) else {
                return Err(fail(step, libc::EINVAL));
            };
            // SAFETY: NUL-terminated path.
            let r = unsafe { libc::mkdir(prefix.as_ptr(), 0o755) };
            if r < 0 && last_errno() != libc::EEXIST {
                return Err(fail(step, last_errno()));
            }
        }
    }
    Ok(())
}

fn make_file(path: &CStr, data: &[u8], mode: libc::mode_t, step: SetupStep) -> StepResult {
    if let Some(parent) = path.to_bytes().iter().rposition(|&b| b == b'/') {
        if parent > 0 {
            let parent =
                CString::new(&path.to_bytes()[..parent]).map_err(|_| fail(step, libc::EINVAL))?;
            mkdir_p(&parent, step)?;
        }
    }
    // SAFETY: NUL-terminated path; descriptor closed below.
    let fd = check(step, unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC | libc::O_NOFOLLOW,
            mode as libc::c_uint,
        )
    })?;
    let mut written = 0;
    while written < data.len() {
        // SAFETY: writes from a live buffer within its bounds.
        let n = unsafe { libc::write(fd, data[written..].as_ptr().cast(), data.len() - written) };
        if n <= 0 {
            let errno = last_errno();
            // SAFETY: closing our descriptor.
            unsafe { libc::close(fd) };
            return Err(fail(step, errno));
        }
        written += n as usize;
    }
    // SAFETY: closing our descriptor.
    unsafe { libc::close(fd) };
    Ok(())
}

fn symlink(target: &CStr, link: &CStr, step: SetupStep) -> StepResult {
    if let Some(parent) = link.to_bytes().iter().rposition(|&b| b == b'/') {
        if parent > 0 {
            let parent =
                CString::new(&link.to_bytes()[..parent]).map_err(|_| fail(step, libc::EINVAL))?;
            mkdir_p(&parent, step)?;
        }
    }
    // SAFETY: both NUL-terminated.
    check(step, unsafe {
        libc::symlink(target.as_ptr(), link.as_ptr())
    })?;
    Ok(())
}

/// The sandbox's pid 1: builds the root, applies every protection and
/// executes the command. Returns only on failure.
fn pid1(plan: &Plan, run: &RunPlan, fds: ChildFds) -> StepError {
    match pid1_setup(plan, run, fds) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

enum Never {}

fn pid1_setup(plan: &Plan, run: &RunPlan, fds: ChildFds) -> StepResult<Never> {
    // The sandbox is the OOM killer's first choice, never its keeper (a
    // fork of the caller as large as the caller, which may wait in the
    // same memory cgroup). Raising the value needs no privilege; /proc is
    // still the host's here, and read-only to the sandbox under landlock
    // later, so the command cannot lower it again. With other host ids
    // this process may no longer write its own /proc files: the keeper
    // (then never in the sandbox's cgroups) set the value before taking
    // them, and it is inherited.
    if !plan.parent_maps {
        write_file(
            c"/proc/self/oom_score_adj",
            run.oom_score_adj.as_bytes(),
            SetupStep::OomScore,
        )?;
    }
    // SAFETY: prctl with integer arguments only.
    check(SetupStep::Prctl, unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        )
    })?;

    // Leave the caller's controlling terminal, so /dev/tty inside cannot
    // reach it (input sniffing, output spoofing). TIOCNOTTY detaches just
    // this process (not a session leader), and everything it forks; unlike
    // setsid it does not create a scheduler autogroup, which costs
    // milliseconds per start. ENXIO: there was no terminal to leave.
    // SAFETY: NUL-terminated path; the descriptor is closed below.
    let tty = unsafe {
        libc::open(
            c"/dev/tty".as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if tty >= 0 {
        // SAFETY: TIOCNOTTY takes no argument; closing our descriptor.
        let r = unsafe { libc::ioctl(tty, libc::TIOCNOTTY) };
        let errno = last_errno();
        // SAFETY: closing our descriptor.
        unsafe { libc::close(tty) };
        if r < 0 {
            return Err(fail(SetupStep::Terminal, errno));
        }
    }

    build_root(plan)?;

    // SAFETY: NUL-free byte buffer with its length.
    check(SetupStep::Hostname, unsafe {
        libc::sethostname(
            plan.hostname.as_ptr().cast(),
            plan.hostname.as_bytes().len(),
        )
    })?;
    if plan.loopback {
        loopback_up()?;
    }
    if fds.proxy >= 0 {
        proxy_bridge(fds.proxy)?;
    }
    // SAFETY: NUL-terminated path.
    check(SetupStep::Chdir, unsafe { libc::chdir(plan.cwd.as_ptr()) })?;

    for &(resource, soft, hard) in &plan.rlimits {
        let limit = libc::rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        };
        // SAFETY: `limit` is a live struct.
        check(SetupStep::Rlimits, unsafe {
            libc::setrlimit(resource, &limit)
        })?;
    }

    // Signals: default dispositions (the caller may ignore SIGPIPE), none
    // blocked.
    for sig in 1..32 {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            // SAFETY: resetting a disposition to its default.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
    }
    // SAFETY: an empty, initialised signal set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }

    // Capabilities: empty bounding and ambient sets, root's special rules
    // locked off (needs CAP_SETPCAP, which we still hold here).
    for cap in 0..64 {
        // SAFETY: prctl with integer arguments only.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        if r < 0 {
            if last_errno() == libc::EINVAL {
                break;
            }
            return Err(fail(SetupStep::Capabilities, last_errno()));
        }
    }
    // SAFETY: prctl with integer arguments only.
    check(SetupStep::Capabilities, unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0,
            0,
            0,
        )
    })?;
    // SAFETY: prctl with integer arguments only.
    check(SetupStep::Capabilities, unsafe {
        libc::prctl(libc::PR_SET_SECUREBITS, SECUREBITS_LOCKED_DOWN, 0, 0, 0)
    })?;
    // SAFETY: prctl with integer arguments only.
    check(SetupStep::NoNewPrivs, unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    })?;

    if let Some(abi) = plan.landlock_abi {
        apply_landlock(plan, abi, fds)?;
    }

    rustix::thread::set_capabilities(
        None,
        rustix::thread::CapabilitySets {
            effective: rustix::thread::CapabilitySet::empty(),
            permitted: rustix::thread::CapabilitySet::empty(),
            inheritable: rustix::thread::CapabilitySet::empty(),
        },
    )
    .map_err(|e| fail(SetupStep::Capabilities, e.raw_os_error()))?;

    if plan.seccomp {
        for program in [&plan.x32_guard, &plan.clone3_filter, &plan.seccomp_filter] {
            if !program.is_empty() {
                seccompiler::apply_filter(program)
                    .map_err(|_| fail(SetupStep::Seccomp, last_errno()))?;
            }
        }
    }

    // Every descriptor above stderr closes on exec (the setup pipe with
    // them, which tells the parent the exec happened).
    // SAFETY: marks descriptors close-on-exec; closes nothing now.
    check(SetupStep::CloseFds, unsafe {
        libc::close_range(3, libc::c_uint::MAX, CLOSE_RANGE_CLOEXEC as libc::c_int)
    })?;

    // The parent moves this process into the sandbox's cgroups while it
    // was building the root (a cgroup migration waits for an RCU grace
    // period; overlapping it with the set-up hides most of it). Nothing
    // of the command runs before the join is confirmed.
    if run.await_join {
        let mut joined = [0u8; 1];
        // SAFETY: reads one byte into a live buffer.
        let n = unsafe { libc::read(fds.joined_r, joined.as_mut_ptr().cast(), 1) };
        if n != 1 || joined[0] != b'1' {
            return Err(fail(SetupStep::CgroupJoin, libc::ECANCELED));
        }
    }
    // SAFETY: closing a descriptor this process no longer needs.
    unsafe { libc::close(fds.joined_r) };

    // The command runs as pid 2 under a minimal init (this process), so
    // it keeps ordinary signal semantics (pid 1 ignores signals it has no
    // handler for, SIGXFSZ and SIGXCPU included) and orphans get reaped.
    // SAFETY: this process is single-threaded; the child only execs or
    // `_exit`s.
    let command = unsafe { libc::fork() };
    if command < 0 {
        return Err(fail(SetupStep::Fork, last_errno()));
    }
    if command == 0 {
        let e = exec_command(plan, run);
        send(
            fds.setup_w,
            &Record::new(RecordKind::Error, e.step as i64, e.errno.into()),
        );
        exit_now(127);
    }
    init(command, fds)
}

fn exec_command(plan: &Plan, run: &RunPlan) -> StepError {
    let mut argv: Vec<*const libc::c_char> = run.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = plan.env.iter().map(|a| a.as_ptr()).collect();
    envp.push(std::ptr::null());
    let mut errno = libc::ENOENT;
    for candidate in &run.exec_candidates {
        // SAFETY: argv and envp are NULL-terminated arrays of pointers to
        // NUL-terminated strings that outlive the call.
        unsafe { libc::execve(candidate.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        let e = last_errno();
        if e != libc::ENOENT && e != libc::ENOTDIR {
            errno = e;
            if e != libc::EACCES {
                break;
            }
        }
    }
    fail(SetupStep::Exec, errno)
}

/// Blanks this process's argv and environment strings, which are still
/// the caller's: `/proc/1/cmdline` is readable by anyone in the sandbox.
fn scrub_own_cmdline() {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return;
    };
    let Some(end) = stat.rfind(')') else {
        return;
    };
    let fields: Vec<&str> = stat[end + 1..].split_whitespace().collect();
    // fields[0] is field 3 of proc(5); arg_start..env_end are 48..51.
    let get = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<usize>().ok());
    for (start, stop) in [(get(48), get(49)), (get(50), get(51))] {
        if let (Some(start), Some(stop)) = (start, stop) {
            if stop > start && stop - start < (1 << 24) {
                // SAFETY: [start, stop) is this process's own argv or
                // environment string area as the kernel reports it:
                // mapped, writable stack memory that nothing in this
                // process reads again.
                unsafe { std::ptr::write_bytes(start as *mut u8, 0, stop - start) };
            }
        }
    }
}

/// The sandbox's init: reaps every orphan, reports the command's status,
/// and ends (which ends every process left in the namespace) when the
/// command ends.
fn init(command: libc::pid_t, fds: ChildFds) -> ! {
    // Not dumpable: the sandbox cannot open /proc/1/mem or /proc/1/environ
    // of this copy of the caller's memory.
    // SAFETY: prctl with integer arguments only.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    scrub_own_cmdline();
    // SAFETY: closing descriptors this process no longer needs; the
    // command holds its own copies of stdio.
    unsafe {
        libc::close(fds.setup_w);
        libc::close(fds.lifeline_r);
        libc::close(0);
        libc::close(1);
        libc::close(2);
    }
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: waits for any child into a live local.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == command {
            send(
                fds.report_w,
                &Record::new(RecordKind::CommandExit, status.into(), 0),
            );
            exit_now(0);
        }
        if pid < 0 && last_errno() != libc::EINTR {
            exit_now(0);
        }
    }
}

fn build_root(plan: &Plan) -> StepResult {
    use SetupStep::*;
    // Nothing we mount propagates back to the host.
    mount(
        MountPrivate,
        None,
        c"/",
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )?;
    mount(
        Staging,
        Some(c"tmpfs"),
        &plan.staging,
        Some(c"tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some(c"mode=0755,size=1m"),
    )?;
    // SAFETY: NUL-terminated path.
    check(Staging, unsafe { libc::chdir(plan.staging.as_ptr()) })?;
    for dir in [c"newroot", c"oldroot"] {
        // SAFETY: NUL-terminated relative path.
        check(Staging, unsafe { libc::mkdir(dir.as_ptr(), 0o755) })?;
    }
    // SAFETY: NUL-terminated paths.
    check_long(PivotRoot, unsafe {
        libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c"oldroot".as_ptr())
    })?;
    // SAFETY: NUL-terminated path.
    check(PivotRoot, unsafe { libc::chdir(c"/".as_ptr()) })?;
    mount(
        NewRoot,
        Some(c"tmpfs"),
        c"/newroot",
        Some(c"tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some(c"mode=0755,size=8m"),
    )?;

    for step in &plan.mounts {
        step.apply()?;
    }

    // Make the new root read-only and enter it; the staging root, with the
    // host's tree below it at /oldroot, is stacked on top by pivot_root and
    // detached as one (one RCU grace period instead of two).
    set_mount_attr(
        NewRoot,
        c"/newroot",
        MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
        false,
    )?;
    // SAFETY: NUL-terminated paths.
    check(PivotRoot, unsafe { libc::chdir(c"/newroot".as_ptr()) })?;
    // SAFETY: NUL-terminated paths.
    check_long(PivotRoot, unsafe {
        libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr())
    })?;
    // SAFETY: NUL-terminated path.
    check(DetachHost, unsafe {
        libc::umount2(c".".as_ptr(), libc::MNT_DETACH)
    })?;
    // SAFETY: NUL-terminated path.
    check(PivotRoot, unsafe { libc::chdir(c"/".as_ptr()) })?;
    Ok(())
}

/// One step of building the new root, all paths already prefixed with
/// `/oldroot` (host) or `/newroot` (sandbox).
#[derive(Debug, Clone)]
pub(crate) enum MountStep {
    /// Bind a host directory or file; read-only unless `writable`; `dev`
    /// keeps device nodes usable (for the /dev entries).
    Bind {
        source: CString,
        target: CString,
        dir: bool,
        writable: bool,
        dev: bool,
    },
    /// A fresh tmpfs.
    Tmpfs { target: CString, options: CString },
    /// procfs of the new pid namespace.
    Proc { target: CString },
    /// A regular file with the given content.
    File { target: CString, data: Vec<u8> },
    /// A symbolic link.
    Symlink { target: CString, link: CString },
    /// A directory.
    Dir { target: CString },
}

impl MountStep {
    fn apply(&self) -> StepResult {
        use SetupStep::*;
        match self {
            MountStep::Bind {
                source,
                target,
                dir,
                writable,
                dev,
            } => {
                if *dir {
                    mkdir_p(target, Bind)?;
                } else {
                    // SAFETY: NUL-terminated path.
                    let exists = unsafe { libc::access(target.as_ptr(), libc::F_OK) } == 0;
                    if !exists {
                        if let Some(cut) = target.to_bytes().iter().rposition(|&b| b == b'/') {
                            let parent = CString::new(&target.to_bytes()[..cut])
                                .map_err(|_| fail(Bind, libc::EINVAL))?;
                            mkdir_p(&parent, Bind)?;
                        }
                        make_file(target, b"", 0o644, Bind)?;
                    }
                }
                mount(
                    Bind,
                    Some(source),
                    target,
                    None,
                    libc::MS_BIND | libc::MS_REC,
                    None,
                )?;
                let mut attrs = MOUNT_ATTR_NOSUID;
                if !dev {
                    attrs |= MOUNT_ATTR_NODEV;
                }
                if !writable && !dev {
                    attrs |= MOUNT_ATTR_RDONLY;
                }
                if *dev {
                    attrs |= MOUNT_ATTR_NOEXEC;
                }
                set_mount_attr(BindAttributes, target, attrs, true)
            }
            MountStep::Tmpfs { target, options } => {
                mkdir_p(target, Tmpfs)?;
                mount(
                    Tmpfs,
                    Some(c"tmpfs"),
                    target,
                    Some(c"tmpfs"),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    Some(options),
                )
            }
            MountStep::Proc { target } => {
                mkdir_p(target, Proc)?;
                mount(
                    Proc,
                    Some(c"proc"),
                    target,
                    Some(c"proc"),
                    libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                    None,
                )
            }
            MountStep::File { target, data } => make_file(target, data, 0o644, EtcFiles),
            MountStep::Symlink { target, link } => symlink(target, link, EtcFiles),
            MountStep::Dir { target } => mkdir_p(target, EtcFiles),
        }
    }
}

fn loopback_up() -> StepResult {
    // SAFETY: creates a socket we close below.
    let sock = check(SetupStep::Loopback, unsafe {
        libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)
    })?;
    let mut req = IfReqFlags {
        name: [0; 16],
        flags: 0,
        _pad: [0; 22],
    };
    req.name[..2].copy_from_slice(b"lo");
    // SAFETY: `req` is a live ifreq-shaped struct for both requests.
    let r = unsafe { libc::ioctl(sock, SIOCGIFFLAGS, &mut req as *mut IfReqFlags) };
    let r = if r >= 0 {
        req.flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        // SAFETY: as above.
        unsafe { libc::ioctl(sock, SIOCSIFFLAGS, &mut req as *mut IfReqFlags) }
    } else {
        r
    };
    let errno = last_errno();
    // SAFETY: closing our socket.
    unsafe { libc::close(sock) };
    if r < 0 {
        return Err(fail(SetupStep::Loopback, errno));
    }
    Ok(())
}

/// Allow-list mode: creates the proxy's listener on `127.0.0.1:PROXY_PORT`
/// of the sandbox's (fresh) network namespace, sends it to the caller's
/// proxy over `bridge`, and waits for the proxy's byte saying it took it.
/// No process of the command exists yet, and pid 1 keeps no copy.
fn proxy_bridge(bridge: RawFd) -> StepResult {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    let step = SetupStep::ProxyBridge;
    // SAFETY: creates a socket we close below.
    let sock = check(step, unsafe {
        libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0)
    })?;
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: crate::sandbox::allowlist::PROXY_PORT.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: `addr` is a live sockaddr_in whose size is passed along.
    let mut r = unsafe {
        libc::bind(
            sock,
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if r == 0 {
        // SAFETY: listen on our own socket.
        r = unsafe { libc::listen(sock, 128) };
    }
    let sent = if r == 0 {
        // SAFETY: both descriptors are open for the duration of this call
        // (closed only below).
        let (sock_fd, bridge_fd) = unsafe {
            (
                std::os::fd::BorrowedFd::borrow_raw(sock),
                std::os::fd::BorrowedFd::borrow_raw(bridge),
            )
        };
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        let fds = [sock_fd];
        control.push(SendAncillaryMessage::ScmRights(&fds));
        rustix::net::sendmsg(
            bridge_fd,
            &[std::io::IoSlice::new(b"L")],
            &mut control,
            SendFlags::empty(),
        )
        .map_err(|e| e.raw_os_error())
    } else {
        Err(last_errno())
    };
    // SAFETY: closing our socket; the proxy holds its own copy.
    unsafe { libc::close(sock) };
    if let Err(errno) = sent {
        return Err(fail(step, errno));
    }
    let mut ack = [0u8; 1];
    let ok = read_full(bridge, &mut ack) && ack[0] == b'1';
    // SAFETY: closing a descriptor this process no longer needs.
    unsafe { libc::close(bridge) };
    if !ok {
        return Err(fail(step, libc::ECONNREFUSED));
    }
    Ok(())
}

fn apply_landlock(plan: &Plan, abi: ABI, fds: ChildFds) -> StepResult {
    let step = SetupStep::Landlock;
    let err = |_| fail(step, libc::EPERM);
    let read = AccessFs::from_read(abi);
    let all = AccessFs::from_all(abi);
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)
        .map_err(err)?;
    if plan.landlock_net {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(abi))
            .map_err(err)?;
    }
    if plan.landlock_scope {
        ruleset = ruleset.scope(Scope::from_all(abi)).map_err(err)?;
    }
    let mut created = ruleset.create().map_err(err)?;
    let dev_access = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::IoctlDev;
    let rules: [(&[CString], landlock::BitFlags<AccessFs>); 5] = [
        (&plan.landlock_read, read),
        (&plan.landlock_write, all),
        (&plan.landlock_dev, dev_access & all),
        (&plan.landlock_list, AccessFs::ReadDir.into()),
        (
            &plan.landlock_proc,
            (AccessFs::ReadFile | AccessFs::ReadDir) & all,
        ),
    ];
    for (paths, access) in rules {
        for path in paths {
            let Ok(fd) = PathFd::new(path.as_c_str().to_string_lossy().as_ref()) else {
                continue;
            };
            created = created
                .add_rule(PathBeneath::new(fd, access))
                .map_err(err)?;
        }
    }
    if plan.landlock_net {
        for &port in &plan.landlock_connect_ports {
            created = created
                .add_rule(NetPort::new(port, AccessNet::ConnectTcp))
                .map_err(err)?;
        }
    }
    let status = created.restrict_self().map_err(err)?;
    if status.ruleset != RulesetStatus::FullyEnforced {
        if plan.best_effort {
            send(
                fds.setup_w,
                &Record::new(RecordKind::LandlockPartial, abi as i64, 0),
            );
        } else {
            return Err(fail(step, libc::EOPNOTSUPP));
        }
    }
    Ok(())
}
