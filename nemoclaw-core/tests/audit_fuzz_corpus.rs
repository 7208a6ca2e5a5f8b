// Integration tests may unwrap: a failure is the test's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Replays the audit fuzz targets' seed corpus (`fuzz/corpus/audit_*`) and
//! simple mutations of it (every truncation, byte flips) through the same
//! harnesses the fuzz targets run, so CI covers the decoders on stable.

use std::path::{Path, PathBuf};

use nemoclaw_core::audit::fuzzing::{frame_decoder, record_decoder};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(name)
}

fn seeds(name: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(corpus(name))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    assert!(out.len() >= 5, "seed corpus `{name}` is missing");
    out
}

fn replay(name: &str, harness: fn(&[u8]) -> Result<(), nemoclaw_core::audit::AuditError>) {
    for (path, seed) in seeds(name) {
        harness(&seed).unwrap_or_else(|e| panic!("{path}: {e}"));
        let stride = (seed.len() / 512).max(1);
        for cut in (0..seed.len()).step_by(stride) {
            harness(&seed[..cut]).unwrap_or_else(|e| panic!("{path} cut {cut}: {e}"));
        }
        for i in (0..seed.len()).step_by(stride) {
            for mask in [0x01u8, 0x80] {
                let mut m = seed.clone();
                m[i] ^= mask;
                harness(&m).unwrap_or_else(|e| panic!("{path} flip {i}: {e}"));
            }
        }
    }
}

#[test]
fn frame_corpus() {
    replay("audit_frame", frame_decoder);
}

#[test]
fn record_corpus() {
    replay("audit_record", record_decoder);
}

/// Regenerates the seed corpus from a real log:
/// `NEMOCLAW_WRITE_FUZZ_SEEDS=1 cargo test -p nemoclaw-core --test audit_fuzz_corpus -- --ignored`
#[test]
#[ignore = "writes the seed corpus; run by hand"]
fn write_seed_corpus() {
    use nemoclaw_core::audit::frame::split_frames;
    use nemoclaw_core::audit::*;
    use nemoclaw_core::identity::KeyPair;

    if std::env::var("NEMOCLAW_WRITE_FUZZ_SEEDS").is_err() {
        return;
    }
    let key = KeyPair::from_seed("fuzz", &[1; 32]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, signing) in [
        ("signed", SigningMode::EveryRecord),
        ("ckpt", SigningMode::CheckpointsOnly),
    ] {
        let path = dir.path().join(format!("{name}.log"));
        let log = AuditLog::open(
            &path,
            AuditLogOptions::new(key.clone())
                .signing(signing)
                .checkpoint_every(2),
        )
        .unwrap();
        let agent = KeyPair::from_seed("agent", &[2; 32]).unwrap();
        for i in 0..3u64 {
            let digest = [i as u8; 32];
            let e = AuditEntry::builder()
                .request_digest(digest)
                .summary(format!("rm -rf build-{i}"))
                .actor(Actor {
                    token_cti: vec![i as u8; 8],
                    chain_hash: [9; 32],
                    agent_id: "agent".into(),
                })
                .verdict(VerdictSummary::new(
                    Decision::Escalate,
                    vec!["p".into()],
                    [4; 32],
                ))
                .review(ReviewDecision {
                    ticket: "t".into(),
                    reviewer: "r".into(),
                    outcome: ReviewOutcome::Deny,
                    time_ms: 1,
                    comment: None,
                })
                .sandbox(SandboxOutcome {
                    exit_code: Some(1),
                    wall_ms: 3,
                    ..SandboxOutcome::default()
                })
                .agent_cosignature(cosign_request(&agent, &digest).unwrap())
                .build();
            log.append(&e).unwrap();
        }
        log.close().unwrap();
        files.push((name, std::fs::read(&path).unwrap(), path));
    }
    let frame_dir = corpus("audit_frame");
    let record_dir = corpus("audit_record");
    std::fs::create_dir_all(&frame_dir).unwrap();
    std::fs::create_dir_all(&record_dir).unwrap();
    for (name, data, path) in &files {
        std::fs::write(frame_dir.join(format!("{name}-log")), data).unwrap();
        let (frames, _) = split_frames(data).unwrap();
        for (i, (offset, frame)) in frames.iter().enumerate().take(4) {
            let end = *offset as usize + frame.body.len() + 13;
            std::fs::write(
                frame_dir.join(format!("{name}-frame{i}")),
                &data[*offset as usize..end],
            )
            .unwrap();
            std::fs::write(record_dir.join(format!("{name}-body{i}")), frame.body).unwrap();
        }
        let proof = prove_inclusion(std::slice::from_ref(path), 1).unwrap();
        std::fs::write(
            record_dir.join(format!("{name}-proof.json")),
            serde_json::to_vec(&proof).unwrap(),
        )
        .unwrap();
    }
}
