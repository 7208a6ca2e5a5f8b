//! The escape battery: real commands inside the sandbox try to get out and
//! must fail; positive controls show ordinary work still succeeds. Runs as
//! root on Linux (CI's machines); everything inside stays on loopback or in
//! the sandbox's own namespaces.
#![cfg(all(target_os = "linux", feature = "sandbox"))]
// Tests assert with unwrap/expect/panic by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nemoclaw_core::sandbox::{
    ExitStatus, NetworkMode, Outcome, Protection, Sandbox, SandboxError, SandboxProfile,
    SandboxProfileBuilder, Violation,
};

/// A workspace outside /tmp (the sandbox's /tmp is its own).
fn workspace() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn base(ws: &Path) -> SandboxProfileBuilder {
    SandboxProfile::builder()
        .workspace(ws)
        .wall_time(Some(Duration::from_secs(30)))
}

fn sh(profile: &SandboxProfile, script: &str) -> Outcome {
    Sandbox::run(profile, &["/bin/sh", "-c", script], b"").expect("sandbox run")
}

fn py(profile: &SandboxProfile, code: &str) -> Outcome {
    Sandbox::run(profile, &["python3", "-c", code], b"").expect("sandbox run")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(outcome: &Outcome) -> String {
    assert!(
        outcome.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        outcome.status,
        text(&outcome.stdout),
        text(&outcome.stderr)
    );
    text(&outcome.stdout)
}

fn cgroup_available(protection: Protection) -> bool {
    nemoclaw_core::sandbox::doctor()
        .0
        .iter()
        .any(|l| l.protection == protection && l.available)
}

#[test]
fn positive_controls_usr_bin_workspace_python() {
    let ws = workspace();
    let p = base(ws.path()).build().unwrap();
    let out = sh(
        &p,
        "/usr/bin/printf 'a%sb' x && echo data > made-inside && cat made-inside && ls /usr/bin/ls",
    );
    assert_eq!(ok(&out), "axbdata\n/usr/bin/ls\n");
    assert_eq!(
        fs::read_to_string(ws.path().join("made-inside")).unwrap(),
        "data\n"
    );
    let out = py(
        &p,
        "import json, sys; print(json.dumps({'v': sys.version_info[0]}))",
    );
    assert_eq!(ok(&out), "{\"v\": 3}\n");
    // stdin reaches the command.
    let out = Sandbox::run(&p, &["/usr/bin/wc", "-c"], b"12345").unwrap();
    assert_eq!(ok(&out).trim(), "5");
}

#[test]
fn protections_in_force_are_read_back_from_inside() {
    let ws = workspace();
    let p = base(ws.path()).build().unwrap();
    let out = sh(
        &p,
        "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status",
    );
    let status = ok(&out);
    for line in [
        "CapInh:\t0000000000000000",
        "CapPrm:\t0000000000000000",
        "CapEff:\t0000000000000000",
        "CapBnd:\t0000000000000000",
        "CapAmb:\t0000000000000000",
        "NoNewPrivs:\t1",
        "Seccomp:\t2",
    ] {
        assert!(status.contains(line), "missing `{line}` in\n{status}");
    }
    // Landlock self-check: writing our own /proc/self/comm is allowed by
    // permissions and mount flags, so only landlock can refuse it.
    let out = py(
        &p,
        "import errno\ntry:\n open('/proc/self/comm','w').write('x')\n print('written')\nexcept OSError as e:\n print(errno.errorcode[e.errno])",
    );
    assert_eq!(ok(&out), "EACCES\n");
    for protection in [
        Protection::UserNamespace,
        Protection::PidNamespace,
        Protection::NetNamespace,
        Protection::PivotRoot,
        Protection::Landlock,
        Protection::Seccomp,
        Protection::NoNewPrivs,
        Protection::DropCapabilities,
    ] {
        assert!(
            out.applied.contains(&protection),
            "{protection} not applied"
        );
    }
    assert!(out.skipped.is_empty());
}

#[test]
fn host_secrets_and_homes_are_invisible() {
    let ws = workspace();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), "s3cret").unwrap();
    let p = base(ws.path()).build().unwrap();
    let script = format!(
        "cat /etc/shadow; cat /etc/gshadow; ls /root; ls /home; cat {}/secret; ls /etc/ssh; cat /etc/machine-id; echo end",
        outside.path().display()
    );
    let out = sh(&p, &script);
    assert_eq!(text(&out.stdout), "end\n");
    assert!(!text(&out.stdout).contains("s3cret"));
}

#[test]
fn writes_outside_the_workspace_fail_and_tmp_is_private() {
    let ws = workspace();
    let outside = tempfile::tempdir().unwrap();
    let p = base(ws.path()).read_only(outside.path()).build().unwrap();
    let marker = format!("nemoclaw-private-tmp-{}", std::process::id());
    let script = format!(
        "for f in /usr/x /etc/x /x /bin/x {o}/x {w}/../escaped; do echo hi > $f 2>/dev/null && echo WROTE $f; done; \
         mkdir /newdir 2>/dev/null && echo MKDIR; echo t > /tmp/{marker} && echo TMP-OK",
        o = outside.path().display(),
        w = ws.path().display(),
    );
    let out = sh(&p, &script);
    // A workspace below /tmp (a checkout in /tmp) has its parent inside the
    // sandbox's private /tmp: writing there is allowed and lands in that
    // private tmpfs, never on the host (checked below). Elsewhere the parent
    // is part of the read-only root.
    let expected = if ws.path().starts_with("/tmp") {
        format!("WROTE {}/../escaped\nTMP-OK\n", ws.path().display())
    } else {
        "TMP-OK\n".to_owned()
    };
    assert_eq!(text(&out.stdout), expected);
    assert!(!outside.path().join("x").exists());
    assert!(!ws.path().parent().unwrap().join("escaped").exists());
    assert!(!Path::new("/tmp").join(&marker).exists());
}

#[test]
fn symlinks_planted_in_the_workspace_do_not_lead_out() {
    let ws = workspace();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), "s3cret").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), ws.path().join("file-link")).unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.path().join("dir-link")).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", ws.path().join("shadow-link")).unwrap();
    let p = base(ws.path()).build().unwrap();
    let out = sh(
        &p,
        "cat file-link; cat shadow-link; cat dir-link/secret; echo pwn > dir-link/new 2>/dev/null; echo pwn > file-link 2>/dev/null; echo end",
    );
    assert_eq!(text(&out.stdout), "end\n");
    assert_eq!(
        fs::read_to_string(outside.path().join("secret")).unwrap(),
        "s3cret"
    );
    assert!(!outside.path().join("new").exists());
}

#[test]
fn network_none_reaches_neither_host_loopback_nor_outside() {
    let ws = workspace();
    // A listener on the host's loopback the sandbox must not reach.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let p = base(ws.path()).network(NetworkMode::None).build().unwrap();
    let code = format!(
        "import socket, errno, time\n\
         for host in ['127.0.0.1', '192.0.2.1']:\n\
         \x20   s = socket.socket(); s.settimeout(2); t = time.time()\n\
         \x20   try:\n\
         \x20       s.connect((host, {port})); print(host, 'CONNECTED')\n\
         \x20   except OSError as e:\n\
         \x20       print(host, errno.errorcode.get(e.errno, e.errno), round(time.time() - t) < 2)\n\
         u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         try:\n\
         \x20   u.sendto(b'x', ('192.0.2.1', 53)); print('udp SENT')\n\
         except OSError as e:\n\
         \x20   print('udp', errno.errorcode.get(e.errno, e.errno))\n"
    );
    let out = py(&p, &code);
    let s = ok(&out);
    assert!(!s.contains("CONNECTED") && !s.contains("SENT"), "{s}");
    // Landlock refuses TCP connect before routing does; either way it fails fast.
    assert!(
        s.lines().filter(|l| l.ends_with("True")).count() == 2,
        "{s}"
    );
    listener.set_nonblocking(true).unwrap();
    assert!(
        listener.accept().is_err(),
        "the sandbox reached the host listener"
    );
}

#[test]
fn network_loopback_is_the_sandbox_own() {
    let ws = workspace();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host_port = listener.local_addr().unwrap().port();
    let p = base(ws.path())
        .network(NetworkMode::Loopback)
        .build()
        .unwrap();
    let code = format!(
        "import socket, errno\n\
         srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)\n\
         c = socket.socket(); c.connect(srv.getsockname()); print('own loopback ok')\n\
         h = socket.socket(); h.settimeout(2)\n\
         try:\n\
         \x20   h.connect(('127.0.0.1', {host_port})); print('HOST CONNECTED')\n\
         except OSError as e:\n\
         \x20   print('host', errno.errorcode.get(e.errno, e.errno))\n"
    );
    let s = ok(&py(&p, &code));
    assert!(s.contains("own loopback ok"), "{s}");
    assert!(s.contains("host ECONNREFUSED"), "{s}");
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err());
}

#[test]
fn host_processes_cannot_be_seen_signalled_or_traced() {
    let ws = workspace();
    let p = base(ws.path()).build().unwrap();
    let host_pid = std::process::id();
    let code = format!(
        "import os, ctypes, errno\n\
         pids = sorted(int(d) for d in os.listdir('/proc') if d.isdigit())\n\
         print('pids', len(pids) <= 3, os.getpid() < 10)\n\
         for pid in [{host_pid}, 1]:\n\
         \x20   try:\n\
         \x20       os.kill(pid, 0); print('signal', pid, 'ok')\n\
         \x20   except OSError as e:\n\
         \x20       print('signal', pid, errno.errorcode[e.errno])\n\
         libc = ctypes.CDLL(None, use_errno=True)\n\
         r = libc.ptrace(16, 1, 0, 0)\n\
         print('ptrace', r, errno.errorcode[ctypes.get_errno()])\n\
         r = libc.ptrace(0, 0, 0, 0)\n\
         print('traceme', r, errno.errorcode[ctypes.get_errno()])\n\
         b = ctypes.create_string_buffer(8); iov = (ctypes.c_void_p * 2)(ctypes.addressof(b), 8)\n\
         r = libc.process_vm_readv(1, iov, 1, iov, 1, 0)\n\
         print('vm_readv', r, errno.errorcode[ctypes.get_errno()])\n"
    );
    let s = ok(&py(&p, &code));
    assert!(s.contains("pids True True"), "{s}");
    // The host's pid does not exist in the sandbox's pid namespace.
    assert!(s.contains(&format!("signal {host_pid} ESRCH")), "{s}");
    assert!(s.contains("ptrace -1 EPERM"), "{s}");
    assert!(s.contains("traceme -1 EPERM"), "{s}");
    assert!(s.contains("vm_readv -1 EPERM"), "{s}");
}

#[test]
fn mount_namespaces_and_modules_are_refused() {
    let ws = workspace();
    let p = base(ws.path()).build().unwrap();
    let code = "import ctypes, errno\n\
        libc = ctypes.CDLL(None, use_errno=True)\n\
        def t(name, r):\n\
        \x20   print(name, r, errno.errorcode.get(ctypes.get_errno(), '?') if r != 0 else 'OK')\n\
        t('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n\
        t('umount', libc.umount2(b'/proc', 2))\n\
        t('unshare-user', libc.unshare(0x10000000))\n\
        t('unshare-mnt', libc.unshare(0x00020000))\n\
        t('setns', libc.setns(0, 0))\n\
        t('init_module', libc.syscall(175, None, 0, b''))\n\
        t('finit_module', libc.syscall(313, 0, b'', 0))\n\
        t('delete_module', libc.syscall(176, b'loop', 0))\n\
        t('chroot', libc.chroot(b'/tmp'))\n\
        t('bpf', libc.syscall(321, 0, None, 0))\n\
        t('keyctl', libc.syscall(250, 0, 0, 0, 0, 0))\n\
        t('io_uring', libc.syscall(425, 1, None))\n\
        t('userfaultfd', libc.syscall(323, 0))\n\
        t('perf', libc.syscall(298, None, 0, -1, -1, 0))\n\
        t('reboot', libc.reboot(0x4321FEDC))\n\
        t('raw-socket', libc.socket(2, 3, 1) if libc.socket(2, 3, 1) < 0 else 0)\n\
        t('packet-socket', libc.socket(17, 3, 0) if libc.socket(17, 3, 0) < 0 else 0)\n";
    let s = ok(&py(&p, code));
    for name in [
        "mount",
        "umount",
        "unshare-user",
        "unshare-mnt",
        "setns",
        "init_module",
        "finit_module",
        "delete_module",
        "chroot",
        "bpf",
        "keyctl",
        "io_uring",
        "userfaultfd",
        "perf",
        "reboot",
        "raw-socket",
        "packet-socket",
    ] {
        assert!(
            s.contains(&format!("{name} -1 EPERM")),
            "{name} not refused:\n{s}"
        );
    }
    // A new user namespace through the unshare tool and through clone.
    let out = sh(&p, "unshare -U true 2>/dev/null && echo USERNS; unshare -r true 2>/dev/null && echo ROOT; echo end");
    assert_eq!(text(&out.stdout), "end\n");
    let out = py(
        &p,
        "import ctypes, errno\nlibc = ctypes.CDLL(None, use_errno=True)\n\
         r = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)\n\
         print('clone-newuser', r, errno.errorcode[ctypes.get_errno()] if r < 0 else 'CHILD')",
    );
    assert_eq!(ok(&out), "clone-newuser -1 EPERM\n");
}

#[test]
fn fork_bomb_is_stopped_by_the_pids_limit() {
    let ws = workspace();
    let p = base(ws.path())
        .pids(Some(32))
        .wall_time(Some(Duration::from_secs(20)))
        .build()
        .unwrap();
    if !cgroup_available(Protection::CgroupPids) {
        let err = Sandbox::run(&p, &["/bin/true"], b"").unwrap_err();
        assert!(matches!(
            err,
            SandboxError::ProtectionUnavailable {
                protection: Protection::CgroupPids,
                ..
            }
        ));
        return;
    }
    let code = "import os, time\n\
        made = failed = 0\n\
        for i in range(500):\n\
        \x20   try:\n\
        \x20       if os.fork() == 0:\n\
        \x20           time.sleep(3); os._exit(0)\n\
        \x20       made += 1\n\
        \x20   except OSError:\n\
        \x20       failed += 1\n\
        print(made, failed, flush=True)\n\
        os._exit(0)\n";
    let out = py(&p, code);
    let s = ok(&out);
    let nums: Vec<u64> = s.split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert!(nums[0] < 32 && nums[1] > 400, "{s}");
    assert!(out
        .violations
        .iter()
        .any(|v| matches!(v, Violation::Pids { limit: 32, refused } if *refused > 0)));
    // The host still forks.
    assert!(std::process::Command::new("/bin/true")
        .status()
        .unwrap()
        .success());
}

#[test]
fn memory_bomb_is_stopped_by_the_memory_limit() {
    let ws = workspace();
    let p = base(ws.path()).memory(Some(64 << 20)).build().unwrap();
    if !cgroup_available(Protection::CgroupMemory) {
        let err = Sandbox::run(&p, &["/bin/true"], b"").unwrap_err();
        assert!(matches!(
            err,
            SandboxError::ProtectionUnavailable {
                protection: Protection::CgroupMemory,
                ..
            }
        ));
        return;
    }
    let out = py(&p, "b = bytearray(512 << 20)\nprint('ALLOCATED', len(b))");
    assert!(!text(&out.stdout).contains("ALLOCATED"));
    assert_eq!(out.status, ExitStatus::Signaled(9), "{:?}", out);
    assert!(
        out.violations
            .iter()
            .any(|v| matches!(v, Violation::Memory { .. })),
        "{:?}",
        out.violations
    );
    assert!(out.usage.peak_memory_bytes.unwrap_or(0) <= 64 << 20);
}

#[test]
fn disk_fill_stops_at_the_file_size_and_tmp_limits() {
    let ws = workspace();
    let p = base(ws.path())
        .file_size(Some(1 << 20))
        .tmp_bytes(2 << 20)
        .build()
        .unwrap();
    let out = sh(
        &p,
        "exec dd if=/dev/zero of=big bs=64k count=100 2>/dev/null",
    );
    assert_eq!(out.status, ExitStatus::Signaled(libc_sigxfsz()), "{out:?}");
    assert!(out.violations.contains(&Violation::FileSize));
    assert!(fs::metadata(ws.path().join("big")).unwrap().len() <= 1 << 20);
    // The private /tmp is small: filling it ends with ENOSPC, not in the host's disk.
    let p = base(ws.path()).tmp_bytes(2 << 20).build().unwrap();
    let out = sh(
        &p,
        "dd if=/dev/zero of=/tmp/fill bs=64k count=100 2>&1 | grep -c 'No space left'",
    );
    assert_eq!(ok(&out).trim(), "1");
}

fn libc_sigxfsz() -> i32 {
    25
}

#[test]
fn proc_links_and_inherited_fds_lead_nowhere() {
    let ws = workspace();
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("secret");
    fs::write(&secret, "s3cret").unwrap();
    // A descriptor the caller leaked without close-on-exec.
    let file = fs::File::open(&secret).unwrap();
    let leaked = rustix::io::dup(&file).unwrap();
    let p = base(ws.path()).build().unwrap();
    let out = sh(
        &p,
        "ls /proc/self/root/; cat /proc/self/root/etc/shadow; cat /proc/1/root/etc/shadow; \
         ls /proc/1/root/ && echo INIT-ROOT-OPEN; ls /proc/1/cwd/ && echo INIT-CWD-OPEN; cat /proc/1/cwd/etc/shadow && echo INIT-CWD-SHADOW; cat /proc/1/environ && echo INIT-ENV-OPEN; \
         tr -d '\\0' < /proc/1/cmdline | wc -c; \
         readlink /proc/self/cwd; ls /proc/self/fd | wc -l; \
         for fd in $(ls /proc/self/fd); do [ $fd -gt 2 ] && readlink /proc/self/fd/$fd; done; echo end",
    );
    let s = text(&out.stdout);
    drop(leaked);
    assert!(!s.contains("s3cret") && !s.contains("secret"), "{s}");
    assert!(!s.contains("INIT-"), "{s}");
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines.contains(&"usr"), "{s}");
    // The sandbox's init shows no command line (it was the caller's).
    assert!(lines.contains(&"0"), "{s}");
    assert!(lines.contains(&ws.path().to_str().unwrap()), "{s}");
    // ls's own directory fd plus 0, 1, 2: nothing inherited.
    assert!(lines.contains(&"4"), "{s}");
    assert_eq!(lines.last(), Some(&"end"));
}

#[test]
fn setuid_binaries_gain_nothing() {
    let ws = workspace();
    let suid = ws.path().join("suid-cat");
    fs::copy("/bin/cat", &suid).unwrap();
    fs::set_permissions(&suid, fs::Permissions::from_mode(0o4755)).unwrap();
    let p = base(ws.path()).ids(1000, 1000).build().unwrap();
    let out = sh(
        &p,
        "id -u; ./suid-cat /proc/self/status | grep -E '^(Uid|CapEff|CapPrm):'; \
         for b in /usr/bin/su /usr/bin/passwd /bin/mount /usr/bin/newgrp; do test -u $b && $b --help >/dev/null 2>&1 </dev/null; done; \
         grep -E '^(Uid|CapEff):' /proc/self/status",
    );
    let s = text(&out.stdout);
    assert!(s.starts_with("1000\n"), "{s}");
    assert!(s.contains("Uid:\t1000\t1000\t1000\t1000"), "{s}");
    assert!(!s.contains("Uid:\t0"), "{s}");
    assert!(s.matches("CapEff:\t0000000000000000").count() == 2, "{s}");
}

#[test]
fn tiocsti_input_injection_is_refused() {
    let ws = workspace();
    let p = base(ws.path()).build().unwrap();
    let code = "import fcntl, termios, errno\n\
        for fd in [0, 1]:\n\
        \x20   try:\n\
        \x20       fcntl.ioctl(fd, termios.TIOCSTI, b'x'); print('INJECTED')\n\
        \x20   except OSError as e:\n\
        \x20       print(errno.errorcode[e.errno])\n\
        try:\n\
        \x20   f = open('/dev/tty', 'wb'); fcntl.ioctl(f, termios.TIOCSTI, b'x'); print('INJECTED')\n\
        except OSError as e:\n\
        \x20   print('tty', errno.errorcode[e.errno])\n";
    let s = ok(&py(&p, code));
    // Without the filter a pipe answers ENOTTY; the filter answers first.
    assert!(s.starts_with("EPERM\nEPERM\n"), "{s}");
    // No controlling terminal inside (its own session).
    assert!(s.contains("tty ENXIO"), "{s}");
    assert!(!s.contains("INJECTED"));
}

#[test]
fn host_environment_is_scrubbed() {
    let ws = workspace();
    let p = base(ws.path()).env("TASK_ID", "t-1").build().unwrap();
    let host_only: Vec<String> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| {
            k.starts_with("CARGO")
                || k.contains("TOKEN")
                || k.contains("SECRET")
                || k.contains("KEY")
        })
        .collect();
    let s = ok(&Sandbox::run(&p, &["/usr/bin/env"], b"").unwrap());
    let names: Vec<&str> = s.lines().filter_map(|l| l.split('=').next()).collect();
    for name in &names {
        assert!(
            ["PATH", "HOME", "TMPDIR", "TASK_ID", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ"]
                .contains(name),
            "unexpected variable `{name}` inside"
        );
    }
    for name in host_only {
        assert!(!names.contains(&name.as_str()));
    }
    assert!(s.contains("TASK_ID=t-1"));
}

fn processes_with(marker: &str) -> usize {
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            fs::read(e.path().join("cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(marker))
                .unwrap_or(false)
        })
        .count()
}

#[test]
fn timeout_kills_the_whole_tree() {
    let ws = workspace();
    let p = base(ws.path())
        .wall_time(Some(Duration::from_millis(700)))
        .build()
        .unwrap();
    let marker = format!("1000.{}", std::process::id());
    let started = Instant::now();
    let out = sh(
        &p,
        &format!("sleep {marker} & sleep {marker} & setsid sleep {marker} & (trap '' TERM HUP; sleep {marker}) & echo started; wait"),
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status, ExitStatus::Signaled(9));
    assert!(out
        .violations
        .iter()
        .any(|v| matches!(v, Violation::WallTime(_))));
    assert_eq!(text(&out.stdout), "started\n");
    assert_eq!(processes_with(&marker), 0, "processes survived the timeout");
}

#[test]
fn freeze_thaw_and_kill_for_escalation() {
    for cgroup_freezer in [true, false] {
        let ws = workspace();
        let p = base(ws.path())
            .cgroup_freezer(cgroup_freezer)
            .build()
            .unwrap();
        let mut running = Sandbox::spawn(
            &p,
            &[
                "/bin/sh",
                "-c",
                "i=0; while true; do i=$((i+1)); echo $i > counter; sleep 0.01; done",
            ],
        )
        .unwrap();
        let counter = ws.path().join("counter");
        let read = || fs::read_to_string(&counter).unwrap_or_default();
        let wait_change = |before: &str| {
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(5) {
                if read() != before && !read().is_empty() {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        };
        assert!(wait_change(""), "sandbox never started counting");
        let control = running.control();
        control.freeze().unwrap();
        assert!(control.is_frozen());
        std::thread::sleep(Duration::from_millis(100));
        let frozen_at = read();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            read(),
            frozen_at,
            "counter moved while frozen (cgroup freezer: {cgroup_freezer})"
        );
        control.thaw().unwrap();
        assert!(wait_change(&frozen_at), "counter did not resume after thaw");
        control.freeze().unwrap();
        control.kill().unwrap();
        let mut stdout = running.stdout.take().unwrap();
        let outcome = running.wait().unwrap();
        assert_eq!(outcome.status, ExitStatus::Signaled(9));
        assert!(outcome.violations.contains(&Violation::Killed));
        let mut rest = Vec::new();
        stdout.read_to_end(&mut rest).unwrap();
        assert!(control.freeze().is_err());
        assert!(control.kill().is_ok());
    }
}

#[test]
fn output_capture_is_bounded() {
    let ws = workspace();
    let p = base(ws.path()).output_bytes(1000).build().unwrap();
    let out = sh(&p, "head -c 100000 /dev/zero; head -c 100 /dev/zero >&2");
    assert!(out.status.success());
    assert_eq!(out.stdout.len() + out.stderr.len(), 1000);
    assert_eq!(out.usage.stdout_bytes, 100_000);
    assert!(out
        .violations
        .contains(&Violation::OutputTruncated { limit_bytes: 1000 }));
}

#[test]
fn refusals_are_specific() {
    let ws = workspace();
    // An allow-list entry that cannot be parsed is never dropped or
    // widened: the profile is refused, naming it (the proxy itself is
    // tested in tests/sandbox_net_proxy.rs).
    let err = base(ws.path())
        .network(NetworkMode::AllowList(vec!["*.com".into()]))
        .best_effort(true)
        .build()
        .unwrap_err();
    assert!(matches!(err, SandboxError::InvalidProfile(_)), "{err}");
    assert!(err.to_string().contains("`*.com`"), "{err}");
    let p = base(ws.path()).build().unwrap();
    let err = Sandbox::run(&p, &["no-such-command-here"], b"").unwrap_err();
    assert!(matches!(err, SandboxError::Exec { .. }), "{err}");
    let p = base(Path::new("/definitely/not/here")).build().unwrap();
    assert!(matches!(
        Sandbox::run(&p, &["/bin/true"], b""),
        Err(SandboxError::InvalidProfile(_))
    ));
    let p = base(Path::new("/")).build().unwrap();
    assert!(matches!(
        Sandbox::run(&p, &["/bin/true"], b""),
        Err(SandboxError::InvalidProfile(_))
    ));
}

#[test]
fn exit_status_is_the_command_status() {
    let ws = workspace();
    let p = base(ws.path()).build().unwrap();
    assert_eq!(sh(&p, "exit 7").status, ExitStatus::Exited(7));
    // The command is the namespace's pid 1; a child killed by a signal
    // shows up the shell's way.
    assert_eq!(
        sh(&p, "sh -c 'kill -TERM $$'; exit $?").status,
        ExitStatus::Exited(143)
    );
}

#[test]
fn outside_ids_add_file_permissions_as_a_second_wall() {
    let ws = workspace();
    let private = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    fs::write(private.path().join("root-only"), "s3cret").unwrap();
    fs::set_permissions(
        private.path().join("root-only"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::os::unix::fs::chown(ws.path(), Some(65534), Some(65534)).unwrap();
    let p = base(ws.path())
        .outside_ids(65534, 65534)
        .ids(1000, 1000)
        .read_only(private.path())
        .build()
        .unwrap();
    let script = format!(
        "id -u; id -g; id -G; cat {}/root-only; echo made > mine; echo end",
        private.path().display()
    );
    let out = sh(&p, &script);
    assert_eq!(
        text(&out.stdout),
        "1000\n1000\n1000\nend\n",
        "{}",
        text(&out.stderr)
    );
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(ws.path().join("mine")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
}

#[test]
fn timeout_kills_a_frozen_sandbox() {
    for cgroup_freezer in [true, false] {
        let ws = workspace();
        let p = base(ws.path())
            .cgroup_freezer(cgroup_freezer)
            .wall_time(Some(Duration::from_millis(600)))
            .build()
            .unwrap();
        let running =
            Sandbox::spawn(&p, &["/bin/sh", "-c", "sleep 30 & sleep 30; echo never"]).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        running.freeze().unwrap();
        let started = Instant::now();
        let outcome = running.wait_with_output().unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(
            outcome.status,
            ExitStatus::Signaled(9),
            "freezer {cgroup_freezer}"
        );
        assert!(outcome
            .violations
            .iter()
            .any(|v| matches!(v, Violation::WallTime(_))));
        assert!(outcome.stdout.is_empty());
    }
}

#[test]
fn cpu_time_and_cpu_bandwidth_limits() {
    let ws = workspace();
    let p = base(ws.path())
        .cpu_time(Some(Duration::from_secs(1)))
        .cpu_millis(Some(500))
        .build()
        .unwrap();
    if !cgroup_available(Protection::CgroupCpu) {
        let err = Sandbox::run(&p, &["/bin/true"], b"").unwrap_err();
        assert!(matches!(
            err,
            SandboxError::ProtectionUnavailable {
                protection: Protection::CgroupCpu,
                ..
            }
        ));
        return;
    }
    let out = sh(&p, "while :; do :; done");
    assert_eq!(out.status, ExitStatus::Signaled(24), "{out:?}");
    assert!(out.violations.contains(&Violation::CpuTime));
    assert!(out.applied.contains(&Protection::CgroupCpu));
    // Half a CPU: one second of CPU takes about two of wall time.
    assert!(
        out.usage.wall >= Duration::from_millis(1500),
        "{:?}",
        out.usage
    );
}

#[test]
fn warm_start_applies_the_same_limits_run_after_run() {
    if !cgroup_available(Protection::CgroupPids) || !cgroup_available(Protection::CgroupMemory) {
        return;
    }
    let ws = workspace();
    let p = base(ws.path())
        .pids(Some(16))
        .memory(Some(64 << 20))
        .wall_time(Some(Duration::from_secs(20)))
        .build()
        .unwrap();
    let warm = Sandbox::prepare(&p).unwrap().warm_start();
    // The pids limit counts the same processes as a cold start: the keeper
    // waiting in the cgroup is not the sandbox's to spend.
    let code = "import os, time\n\
        made = failed = 0\n\
        for i in range(100):\n\
        \x20   try:\n\
        \x20       if os.fork() == 0:\n\
        \x20           time.sleep(2); os._exit(0)\n\
        \x20       made += 1\n\
        \x20   except OSError:\n\
        \x20       failed += 1\n\
        print(made, failed, flush=True)\n\
        os._exit(0)\n";
    let mut counts = Vec::new();
    // Where the v2 freezer exists (here), the warm path is what runs.
    let v2_freezer = Path::new("/sys/fs/cgroup/unified/cgroup.procs").exists()
        || Path::new("/sys/fs/cgroup/cgroup.procs").exists();
    let wait_warm = |prepared: &nemoclaw_core::sandbox::PreparedSandbox| {
        let t = std::time::Instant::now();
        while !prepared.is_warm() && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(prepared.is_warm() || !v2_freezer, "no warm keeper");
    };
    for (i, prepared) in [Sandbox::prepare(&p).unwrap(), warm.clone(), warm.clone()]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            wait_warm(&prepared);
        }
        let out = prepared
            .run(&["/usr/bin/python3", "-c", code], b"")
            .unwrap();
        let s = ok(&out);
        counts.push(s.clone());
        assert!(out
            .violations
            .iter()
            .any(|v| matches!(v, Violation::Pids { limit: 16, refused } if *refused > 0)));
        for protection in [Protection::CgroupPids, Protection::CgroupMemory] {
            assert!(out.applied.contains(&protection), "{protection:?}");
        }
    }
    assert_eq!(counts[0], counts[1], "cold and warm starts differ");
    assert_eq!(counts[1], counts[2]);
    // The memory limit holds on a warm start.
    wait_warm(&warm);
    let out = warm
        .run(
            &[
                "/usr/bin/python3",
                "-c",
                "b = bytearray(256 << 20); print('survived')",
            ],
            b"",
        )
        .unwrap();
    assert!(!text(&out.stdout).contains("survived"));
    assert!(out
        .violations
        .iter()
        .any(|v| matches!(v, Violation::Memory { .. })));
    // Protections read back from inside, and freeze/thaw/kill work.
    wait_warm(&warm);
    let out = warm
        .run(
            &[
                "/bin/sh",
                "-c",
                "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status",
            ],
            b"",
        )
        .unwrap();
    let s = ok(&out);
    assert!(
        s.contains("Seccomp:\t2") && s.contains("NoNewPrivs:\t1"),
        "{s}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let running = warm.spawn(&["/bin/sleep", "30"]).unwrap();
    running.freeze().unwrap();
    running.thaw().unwrap();
    running.kill().unwrap();
    let out = running.wait().unwrap();
    assert!(out.violations.contains(&Violation::Killed));
}
