// Integration tests may unwrap: a failure is the test's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use nemoclaw_core::audit::{AuditEntry, AuditLog, AuditLogOptions, Decision, VerdictSummary};
use nemoclaw_core::identity::KeyPair;

mod common;
use common::{nemoclaw, s};

/// A log of `n` records in `dir`, with key files `guard.key`/`guard.pub`.
fn make_log(dir: &Path, n: u64, max_segment: u64) -> (PathBuf, PathBuf) {
    let key = KeyPair::from_seed("guard", &[5; 32]).unwrap();
    let (_, public) = key.write_files(dir).unwrap();
    let path = dir.join("audit.log");
    let log = AuditLog::open(
        &path,
        AuditLogOptions::new(key)
            .checkpoint_every(8)
            .max_segment_bytes(max_segment),
    )
    .unwrap();
    for i in 0..n {
        let e = AuditEntry::builder()
            .request(format!("echo {i}").as_bytes())
            .summary(format!("echo {i}"))
            .verdict(VerdictSummary::new(
                Decision::Allow,
                vec!["p-echo".into()],
                [0; 32],
            ))
            .build();
        log.append(&e).unwrap();
    }
    log.close().unwrap();
    (path, public)
}

#[test]
fn verify_ok_and_broken() {
    let dir = tempfile::tempdir().unwrap();
    let (log, public) = make_log(dir.path(), 40, 4096);
    let out = nemoclaw(&["audit", "verify", s(&log), "--trust", s(&public)]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("ok: 40 records in "), "{stdout}");

    // flip one byte of the third segment
    let seg = PathBuf::from(format!("{}.2", log.display()));
    let mut data = std::fs::read(&seg).unwrap();
    data[300] ^= 4;
    std::fs::write(&seg, &data).unwrap();
    let out = nemoclaw(&["audit", "verify", s(&log), "--trust", s(&public), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["failure"]["file"]
        .as_str()
        .unwrap()
        .ends_with("audit.log.2"));
    assert!(v["failure"]["offset"].as_u64().unwrap() <= 300);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("offset"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = make_log(dir.path(), 2, 1 << 20);
    // no --trust
    assert_eq!(
        nemoclaw(&["audit", "verify", s(&log)]).status.code(),
        Some(2)
    );
    // missing log file
    let out = nemoclaw(&["audit", "verify", "/nonexistent.log", "--trust", s(&log)]);
    assert_eq!(out.status.code(), Some(2));
    // a log is not a key
    let out = nemoclaw(&["audit", "verify", s(&log), "--trust", s(&log)]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn wrong_trust_key_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = make_log(dir.path(), 3, 1 << 20);
    let other = KeyPair::from_seed("guard", &[6; 32]).unwrap();
    let other_dir = dir.path().join("other");
    let (_, other_pub) = other.write_files(&other_dir).unwrap();
    let out = nemoclaw(&["audit", "verify", s(&log), "--trust", s(&other_pub)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad signature"), "{stderr}");
}

#[test]
fn show_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = make_log(dir.path(), 3, 1 << 20);
    let out = nemoclaw(&["audit", "show", s(&log)]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("#2 "), "{text}");
    assert!(text.contains("allow [p-echo] \"echo 2\""), "{text}");
    let out = nemoclaw(&["audit", "show", s(&log), "--json"]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "header");
    assert_eq!(lines[1]["type"], "record");
    assert_eq!(lines[1]["entry"]["summary"], "echo 0");
    assert_eq!(lines.last().unwrap()["reason"], "close");
}

#[test]
fn prove_and_verify_proofs_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (log, public) = make_log(dir.path(), 30, 4096);
    let out = nemoclaw(&["audit", "prove", s(&log), "--seq", "17"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let proof_path = dir.path().join("proof.json");
    std::fs::write(&proof_path, &out.stdout).unwrap();
    let out = nemoclaw(&[
        "audit",
        "verify-proof",
        s(&proof_path),
        "--trust",
        s(&public),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("record 17 (\"echo 17\")"));

    // a proof edited to claim another record fails
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proof_path).unwrap()).unwrap();
    v["seq"] = 16.into();
    std::fs::write(&proof_path, v.to_string()).unwrap();
    let out = nemoclaw(&[
        "audit",
        "verify-proof",
        s(&proof_path),
        "--trust",
        s(&public),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");

    // consistency between the checkpoint at 8 records and the latest
    let out = nemoclaw(&["audit", "prove", s(&log), "--from-size", "8"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    std::fs::write(&proof_path, &out.stdout).unwrap();
    let out = nemoclaw(&[
        "audit",
        "verify-proof",
        s(&proof_path),
        "--trust",
        s(&public),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("extends tree size 8"));

    // not JSON: input error
    std::fs::write(&proof_path, "nope").unwrap();
    let out = nemoclaw(&[
        "audit",
        "verify-proof",
        s(&proof_path),
        "--trust",
        s(&public),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn anchored_checkpoint_catches_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let (log, public) = make_log(dir.path(), 20, 1 << 20);
    let anchor = dir.path().join("anchor.cose");
    let out = nemoclaw(&["audit", "checkpoint", s(&log), "--out", s(&anchor)]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let with_anchor = |log: &Path| {
        nemoclaw(&[
            "audit",
            "verify",
            s(log),
            "--trust",
            s(&public),
            "--anchor",
            s(&anchor),
        ])
    };
    assert_eq!(with_anchor(&log).status.code(), Some(0));

    // cut the log after its first checkpoint (8 records) and let the guard
    // reopen it: the cut looks like a crash and the log verifies on its own,
    // but not against the anchor
    let data = std::fs::read(&log).unwrap();
    let (frames, _) = nemoclaw_core::audit::frame::split_frames(&data).unwrap();
    let (offset, frame) = frames
        .iter()
        .find(|(_, f)| f.kind == nemoclaw_core::audit::frame::FrameKind::Checkpoint)
        .unwrap();
    let end = *offset as usize + frame.body.len() + 13;
    std::fs::write(&log, &data[..end]).unwrap();
    let key = KeyPair::from_seed("guard", &[5; 32]).unwrap();
    let reopened = AuditLog::open(&log, AuditLogOptions::new(key.clone())).unwrap();
    assert!(reopened.recovery().is_some());
    reopened.close().unwrap();
    let plain = nemoclaw(&["audit", "verify", s(&log), "--trust", s(&public)]);
    assert_eq!(plain.status.code(), Some(0), "{plain:?}");
    let out = with_anchor(&log);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("commits to 20 records but the log holds 8"),
        "{stderr}"
    );

    // a fresh log made with the same key is not the anchored log
    let other_dir = dir.path().join("other");
    std::fs::create_dir(&other_dir).unwrap();
    let other = other_dir.join("audit.log");
    let l = AuditLog::open(&other, AuditLogOptions::new(key)).unwrap();
    l.append(&AuditEntry::builder().summary("x").build())
        .unwrap();
    l.close().unwrap();
    let out = with_anchor(&other);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("another log"));
}
