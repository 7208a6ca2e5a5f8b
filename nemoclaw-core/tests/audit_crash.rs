// Integration tests may unwrap: a failure is the test's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! A child process appends to a log at full speed and is killed with
//! SIGKILL; the log must open, report what it repaired, and verify up to the
//! last whole frame. The child is this test binary itself, re-run with
//! `--ignored --exact crash_child` and the log path in the environment.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nemoclaw_core::audit::frame::{split_frames, FrameStop};
use nemoclaw_core::audit::{
    verify_log, AuditEntry, AuditLog, AuditLogOptions, Durability, SigningMode, VerifyOptions,
};
use nemoclaw_core::identity::KeyPair;
use nemoclaw_core::ErrorCode;

const ENV_LOG: &str = "NEMOCLAW_AUDIT_CRASH_LOG";
const ENV_MODE: &str = "NEMOCLAW_AUDIT_CRASH_MODE";

fn key() -> KeyPair {
    KeyPair::from_seed("guard-crash", &[42; 32]).unwrap()
}

fn options(mode: &str) -> AuditLogOptions {
    let signing = if mode == "checkpoints" {
        SigningMode::CheckpointsOnly
    } else {
        SigningMode::EveryRecord
    };
    AuditLogOptions::new(key())
        .durability(Durability::None)
        .signing(signing)
        .checkpoint_every(500)
}

/// Not a test on its own: the body of the child process.
#[test]
#[ignore = "helper: run as a child process by `sigkill_mid_append_recovers`"]
fn crash_child() {
    let Ok(path) = std::env::var(ENV_LOG) else {
        return;
    };
    let mode = std::env::var(ENV_MODE).unwrap_or_default();
    let log = AuditLog::open(&path, options(&mode)).unwrap();
    let mut i = 0u64;
    loop {
        let e = AuditEntry::builder()
            .request(format!("curl https://example.com/{i}").as_bytes())
            .summary(format!("curl https://example.com/{i}"))
            .build();
        log.append(&e).unwrap();
        i += 1;
    }
}

fn crash_once(dir: &Path, mode: &str) {
    let path = dir.join(format!("{mode}.log"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "crash_child", "--nocapture"])
        .env(ENV_LOG, &path)
        .env(ENV_MODE, mode)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // let it write a few hundred KiB, then kill it mid-stream
    let start = Instant::now();
    while std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < 300_000 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "child wrote too little"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let trust = VerifyOptions::trusting(vec![key().public()]);
    let data = std::fs::read(&path).unwrap();
    let (frames, stop) = split_frames(&data).unwrap();
    assert!(frames.len() > 100);
    let torn_at = match &stop {
        FrameStop::TornTail { offset, .. } => Some(*offset),
        FrameStop::Clean => None,
        FrameStop::Corrupt { offset, reason } => panic!("corrupt at {offset}: {reason}"),
    };

    // strict verification refuses the unclosed log and says where it ends
    let strict = verify_log(std::slice::from_ref(&path), &trust);
    let failure = strict.failure.expect("crashed log verified as closed");
    assert_eq!(failure.code(), ErrorCode::AuditTruncated, "{failure}");
    if let Some(offset) = torn_at {
        assert_eq!(failure.offset, offset, "{failure}");
    }
    // ... and verifies everything up to the last whole frame when told the log is open
    let open = verify_log(
        std::slice::from_ref(&path),
        &VerifyOptions {
            allow_open: true,
            ..trust.clone()
        },
    );
    assert!(open.is_ok(), "{:?}", open.failure);
    let whole_records = open.records;
    assert!(whole_records > 50);

    // the log opens, reports the repair, and continues the chain
    let log = AuditLog::open(&path, options(mode)).unwrap();
    let rec = log.recovery().expect("crash not reported").clone();
    assert_eq!(rec.torn_offset, torn_at);
    assert_eq!(rec.records, whole_records);
    assert_eq!(rec.torn_bytes, torn_at.map_or(0, |o| data.len() as u64 - o));
    let seq = log
        .append(&AuditEntry::builder().summary("after the crash").build())
        .unwrap()
        .seq;
    assert_eq!(seq, whole_records);
    log.close().unwrap();
    let report = verify_log(std::slice::from_ref(&path), &trust);
    assert!(report.is_ok(), "{:?}", report.failure);
    assert_eq!(report.records, whole_records + 1);
    assert_eq!(report.recoveries.len(), 1);
    eprintln!(
        "{mode}: killed after {} records, torn tail: {:?} ({} bytes)",
        whole_records, torn_at, rec.torn_bytes
    );
}

#[test]
fn sigkill_mid_append_recovers() {
    let dir = tempfile::tempdir().unwrap();
    crash_once(dir.path(), "every-record");
    crash_once(dir.path(), "checkpoints");
}
