//! `nemoclaw run` and `nemoclaw sandbox doctor` as a user runs them.
#![cfg(target_os = "linux")]
// Tests assert with unwrap/expect/panic by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};

fn nemoclaw() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nemoclaw"));
    c.stdin(Stdio::null());
    c
}

#[test]
fn run_passes_the_command_exit_status_and_output() {
    let ws = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let out = nemoclaw()
        .args(["run", "--workspace"])
        .arg(ws.path())
        .args(["--mem", "256M", "--pids", "64", "--timeout", "20s", "--"])
        .args([
            "/bin/sh",
            "-c",
            "echo out; echo err >&2; echo file > f; exit 7",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("f")).unwrap(),
        "file\n"
    );
}

#[test]
fn refusal_is_exit_2_with_the_reason() {
    let out = nemoclaw()
        .args(["run", "--net", "allow:*", "--", "/bin/true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("network allow-list entry `*`"), "{err}");
    assert_eq!(err.lines().count(), 1);
    let out = nemoclaw()
        .args(["run", "--mem", "lots", "--", "/bin/true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn timeout_reports_and_kills() {
    let out = nemoclaw()
        .args(["run", "--timeout", "300ms", "--", "/bin/sleep", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(137));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wall-clock limit"));
}

#[test]
fn doctor_lists_every_protection() {
    let out = nemoclaw().args(["sandbox", "doctor"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "user-namespace",
        "landlock",
        "seccomp",
        "cgroup-memory",
        "network-allow-list",
        "trial",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[test]
fn the_callers_terminal_is_out_of_reach() {
    // `script` gives the CLI a pseudo-terminal as its controlling terminal;
    // the sandbox must not be able to open it through /dev/tty.
    if Command::new("script").arg("--version").output().is_err() {
        panic!("util-linux `script` is needed for this test (apt-get install bsdutils)");
    }
    let cmd = format!(
        "{} run -- /bin/sh -c 'echo x > /dev/tty && echo TTY-OPEN || echo no-tty'",
        env!("CARGO_BIN_EXE_nemoclaw")
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no-tty") && !text.contains("TTY-OPEN"),
        "{text}"
    );
}

#[test]
fn unprivileged_callers_get_a_refusal_or_a_best_effort_report() {
    use std::os::unix::fs::PermissionsExt;
    // As `nobody` the cgroups are not writable: the default profile (memory
    // and pids limits) must be refused, and --best-effort must say what it
    // skipped. The binary is copied where `nobody` can run it.
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("nemoclaw");
    std::fs::copy(env!("CARGO_BIN_EXE_nemoclaw"), &bin).unwrap();
    let as_nobody = |extra: &[&str]| {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .arg("run")
            .args(extra)
            .args(["--", "/bin/echo", "ran"])
            .current_dir("/")
            .stdin(Stdio::null());
        c.output().unwrap()
    };
    let out = as_nobody(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("protection `cgroup-"), "{err}");
    assert!(out.stdout.is_empty());
    let out = as_nobody(&["--best-effort"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(out.stdout, b"ran\n");
    assert!(
        err.contains("best effort: `cgroup-memory` not applied"),
        "{err}"
    );
    assert!(
        err.contains("best effort: `cgroup-pids` not applied"),
        "{err}"
    );
}

#[test]
fn allow_list_reaches_a_listed_host_and_reports_refusals() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nhi\n");
        }
    });
    let script = format!(
        "exec 3<>/dev/tcp/127.0.0.1/3128; printf 'GET http://localhost:{port}/ HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3; \
         exec 4<>/dev/tcp/127.0.0.1/3128; printf 'CONNECT example.com:443 HTTP/1.1\\r\\n\\r\\n' >&4; head -n1 <&4"
    );
    let out = nemoclaw()
        .args([
            "run",
            "--net",
            &format!("allow:localhost:{port},127.0.0.1:{port}"),
            "--timeout",
            "30s",
            "--",
            "/bin/bash",
            "-c",
            &script,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("\r\n\r\nhi\n"), "{stdout}");
    assert!(stdout.contains("HTTP/1.1 403 Forbidden"), "{stdout}");
    assert!(
        stderr.contains("network: refused `example.com` port 443"),
        "{stderr}"
    );
}
