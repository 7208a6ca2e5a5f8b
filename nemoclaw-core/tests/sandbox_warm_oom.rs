//! A memory bomb under a warm start, with a caller much larger than the
//! memory limit: the spare keeper (a fork of the caller, waiting in the
//! sandbox's memory cgroup) must never be the OOM killer's victim; the
//! sandboxed workload must be, the run must report it, and the next run
//! must work. Its own test binary, because it makes the whole test
//! process large (every fork of it would be large too).
#![cfg(all(target_os = "linux", feature = "sandbox"))]
// Tests assert with unwrap/expect/panic by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use nemoclaw_core::sandbox::{
    ExitStatus, PreparedSandbox, Protection, Sandbox, SandboxProfile, Violation,
};

fn wait_warm(prepared: &PreparedSandbox) {
    let t = Instant::now();
    while !prepared.is_warm() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(prepared.is_warm(), "no warm keeper");
}

fn oom_score_adj(pid: i32) -> i32 {
    std::fs::read_to_string(format!("/proc/{pid}/oom_score_adj"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Pids of this process's children (forked by any of its threads).
fn children() -> Vec<i32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = task.unwrap().path().join("children");
        if let Ok(list) = std::fs::read_to_string(path) {
            out.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out
}

#[test]
fn memory_bomb_under_warm_start_kills_the_workload_not_the_keeper() {
    let (lines, _) = nemoclaw_core::sandbox::doctor();
    let available = |p: Protection| lines.iter().any(|l| l.protection == p && l.available);
    let v2_freezer = std::path::Path::new("/sys/fs/cgroup/unified/cgroup.procs").exists()
        || std::path::Path::new("/sys/fs/cgroup/cgroup.procs").exists();
    if !available(Protection::CgroupMemory) || !v2_freezer {
        // No memory cgroup or no warm start here: nothing to reproduce.
        return;
    }
    // A caller of 256 MiB of touched memory, four times the limit: the
    // keeper's (and pid 1's) resident set counts those pages, the
    // command's does not.
    let ballast: Vec<u8> = vec![1u8; 256 << 20];
    let touched: u64 = ballast.iter().step_by(4096).map(|&b| u64::from(b)).sum();
    assert_eq!(touched, (256 << 20) / 4096);

    let ws = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let profile = SandboxProfile::builder()
        .workspace(ws.path())
        .memory(Some(64 << 20))
        .wall_time(Some(Duration::from_secs(30)))
        .build()
        .unwrap();
    let warm = Sandbox::prepare(&profile).unwrap().warm_start();
    let own_adj = oom_score_adj(std::process::id() as i32);
    for round in 0..2 {
        wait_warm(&warm);
        // The spare keeper waiting in the memory cgroup ranks below the
        // sandbox (the caller's value, or -1000 with CAP_SYS_RESOURCE).
        let keepers: Vec<i32> = children()
            .into_iter()
            .filter_map(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/oom_score_adj"))
                    .ok()?
                    .trim()
                    .parse()
                    .ok()
            })
            .collect();
        assert!(
            keepers.iter().any(|&adj| adj == own_adj || adj == -1000),
            "round {round}: no keeper below the sandbox: {keepers:?}"
        );
        // The workload is the OOM killer's first choice.
        let out = warm
            .run(
                &[
                    "/bin/sh",
                    "-c",
                    "cat /proc/self/oom_score_adj; exec /usr/bin/python3 -c 'b = bytearray(512 << 20); print(\"survived\")'",
                ],
                b"",
            )
            .unwrap_or_else(|e| panic!("round {round}: the run failed instead of reporting: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(!stdout.contains("survived"), "{stdout}");
        let inside: i32 = stdout.lines().next().unwrap().trim().parse().unwrap();
        assert_eq!(inside, 1000, "round {round}");
        assert_eq!(
            out.status,
            ExitStatus::Signaled(9),
            "round {round}: {out:?}"
        );
        assert!(
            out.violations.iter().any(
                |v| matches!(v, Violation::Memory { limit_bytes } if *limit_bytes == 64 << 20)
            ),
            "round {round}: {:?}",
            out.violations
        );
    }
    // The next run works, on a warm keeper again.
    wait_warm(&warm);
    let out = warm.run(&["/bin/echo", "next"], b"").unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, b"next\n");
    drop(ballast);
}
