// Integration tests may unwrap: a failure is the test's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use nemoclaw_core::audit::frame::{encode_frame, split_frames, FrameKind, FrameStop};
use nemoclaw_core::audit::{
    list_segments, verify_log, Actor, AuditEntry, AuditLog, AuditLogOptions, AuditSink, Decision,
    Durability, SigningMode, VerdictSummary, VerifyOptions,
};
use nemoclaw_core::identity::KeyPair;
use nemoclaw_core::intent::{Action, ActionAttrs, Resource, Span, Verb};
use nemoclaw_core::ErrorCode;

fn guard_key() -> KeyPair {
    KeyPair::from_seed("guard-1", &[11; 32]).unwrap()
}

fn entry(i: u64) -> AuditEntry {
    AuditEntry::builder()
        .request(format!("cat notes-{i}.txt").as_bytes())
        .summary(format!("cat notes-{i}.txt"))
        .actor(Actor {
            token_cti: i.to_be_bytes().to_vec(),
            chain_hash: [1; 32],
            agent_id: "agent-a".into(),
        })
        .actions(vec![Action {
            verb: Verb::Read,
            resource: Resource::Path {
                path: format!("/work/notes-{i}.txt"),
                glob: false,
            },
            attrs: ActionAttrs::default(),
            techniques: vec![],
            span: Span { start: 0, end: 16 },
        }])
        .verdict(VerdictSummary::new(
            Decision::Allow,
            vec!["workspace-read".into()],
            [2; 32],
        ))
        .build()
}

fn options() -> AuditLogOptions {
    AuditLogOptions::new(guard_key()).durability(Durability::GroupCommit {
        interval: Duration::ZERO,
    })
}

fn trust() -> VerifyOptions {
    VerifyOptions::trusting(vec![guard_key().public()])
}

fn write_log(path: &Path, n: u64, opts: AuditLogOptions) {
    let log = AuditLog::open(path, opts).unwrap();
    for i in 0..n {
        assert_eq!(log.append(&entry(i)).unwrap().seq, i);
    }
    log.close().unwrap();
}

fn verify(paths: &[PathBuf]) -> nemoclaw_core::audit::VerifyReport {
    verify_log(paths, &trust())
}

/// (offset, end) of every frame, plus the file magic as (0, 8).
fn frame_spans(data: &[u8]) -> Vec<(u64, u64, FrameKind)> {
    let (frames, stop) = split_frames(data).unwrap();
    assert_eq!(stop, FrameStop::Clean);
    frames
        .iter()
        .map(|(o, f)| (*o, *o + f.body.len() as u64 + 13, f.kind))
        .collect()
}

#[test]
fn append_close_reopen_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, 10, options());
    let report = verify(std::slice::from_ref(&path));
    assert!(report.is_ok(), "{:?}", report.failure);
    assert_eq!(report.records, 10);
    assert!(report.checkpoints >= 1);

    // reopening a cleanly closed log reports nothing and continues the chain
    let log = AuditLog::open(&path, options()).unwrap();
    assert!(log.recovery().is_none());
    assert_eq!(log.append(&entry(10)).unwrap().seq, 10);
    let close = log.close().unwrap();
    assert_eq!(close.records, 11);
    assert!(log.append(&entry(11)).is_err(), "append after close");
    let report = verify(&[path]);
    assert!(report.is_ok(), "{:?}", report.failure);
    assert_eq!(report.records, 11);
}

#[test]
fn second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(&path, options()).unwrap();
    let err = AuditLog::open(&path, options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuditLocked);
    log.close().unwrap();
}

#[test]
fn many_threads_gap_free() {
    for (durability, signing) in [
        (Durability::None, SigningMode::EveryRecord),
        (
            Durability::GroupCommit {
                interval: Duration::from_millis(1),
            },
            SigningMode::CheckpointsOnly,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = Arc::new(
            AuditLog::open(
                &path,
                options()
                    .durability(durability)
                    .signing(signing)
                    .checkpoint_every(97),
            )
            .unwrap(),
        );
        let threads = 8;
        let per = 250u64;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    (0..per)
                        .map(|i| log.record(&entry(t * 1000 + i)).unwrap().seq.unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seqs = HashSet::new();
        for h in handles {
            for s in h.join().unwrap() {
                assert!(seqs.insert(s), "duplicate seq {s}");
            }
        }
        let total = threads * per;
        assert_eq!(seqs, (0..total).collect::<HashSet<_>>());
        log.close().unwrap();
        let report = verify(&[path]);
        assert!(report.is_ok(), "{:?}", report.failure);
        assert_eq!(report.records, total);
    }
}

#[test]
fn every_flipped_byte_is_found_at_its_frame() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, 4, options().checkpoint_every(2));
    let data = std::fs::read(&path).unwrap();
    let spans = frame_spans(&data);
    for i in 0..data.len() {
        let mut bad = data.clone();
        bad[i] ^= 0x01;
        let bad_path = dir.path().join("flipped.log");
        std::fs::write(&bad_path, &bad).unwrap();
        let report = verify(&[bad_path]);
        let failure = report
            .failure
            .unwrap_or_else(|| panic!("flip at byte {i} not detected"));
        let expect = spans
            .iter()
            .find(|(o, e, _)| (*o..*e).contains(&(i as u64)))
            .map_or(0, |s| s.0);
        assert_eq!(failure.offset, expect, "flip at byte {i}: {failure}");
    }
}

/// Rewrite one frame's body and fix its checksum, as a forger without the
/// key would.
fn reframe(data: &[u8], offset: u64, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let (frames, _) = split_frames(data).unwrap();
    let (_, frame) = frames.iter().find(|(o, _)| *o == offset).unwrap();
    let mut body = frame.body.to_vec();
    edit(&mut body);
    let mut framed = Vec::new();
    encode_frame(frame.kind, &body, &mut framed).unwrap();
    let end = offset as usize + frame.body.len() + 13;
    let mut out = data[..offset as usize].to_vec();
    out.extend_from_slice(&framed);
    out.extend_from_slice(&data[end..]);
    out
}

#[test]
fn forged_record_with_good_checksum_is_found_at_that_record() {
    for signing in [SigningMode::EveryRecord, SigningMode::CheckpointsOnly] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        write_log(&path, 5, options().signing(signing));
        let data = std::fs::read(&path).unwrap();
        let spans = frame_spans(&data);
        let records: Vec<_> = spans
            .iter()
            .filter(|s| matches!(s.2, FrameKind::SignedRecord | FrameKind::Record))
            .collect();
        for (n, (offset, _, _)) in records.iter().enumerate() {
            // change the summary text `cat notes-N` into `cat notez-N`
            let forged = reframe(&data, *offset, |body| {
                let pos = body.windows(6).position(|w| w == b"notes-").unwrap();
                body[pos + 4] = b'z';
            });
            let bad_path = dir.path().join("forged.log");
            std::fs::write(&bad_path, &forged).unwrap();
            let failure = verify(&[bad_path]).failure.expect("forgery not detected");
            match signing {
                SigningMode::EveryRecord => {
                    assert_eq!(failure.offset, *offset, "{failure}");
                    assert_eq!(failure.seq, Some(n as u64));
                    assert_eq!(failure.code(), ErrorCode::AuditBadSignature);
                }
                SigningMode::CheckpointsOnly => {
                    // the next record's link or the next checkpoint's root breaks
                    assert!(failure.offset > *offset, "{failure}");
                    assert!(
                        matches!(
                            failure.code(),
                            ErrorCode::AuditChainBroken | ErrorCode::AuditCheckpointMismatch
                        ),
                        "{failure}"
                    );
                }
            }
        }
    }
}

fn record_frames(data: &[u8]) -> Vec<(u64, u64)> {
    frame_spans(data)
        .into_iter()
        .filter(|s| matches!(s.2, FrameKind::SignedRecord | FrameKind::Record))
        .map(|s| (s.0, s.1))
        .collect()
}

#[test]
fn deleted_duplicated_reordered_records_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, 6, options().checkpoint_every(100));
    let data = std::fs::read(&path).unwrap();
    let recs = record_frames(&data);
    let (a0, a1) = recs[2];
    let (b0, b1) = recs[3];
    let cut = |s: u64, e: u64| data[s as usize..e as usize].to_vec();
    let cases: Vec<(&str, Vec<u8>, u64, u64)> = vec![
        (
            "delete",
            [cut(0, a0), cut(a1, data.len() as u64)].concat(),
            a0,
            2,
        ),
        (
            "duplicate",
            [cut(0, a1), cut(a0, a1), cut(a1, data.len() as u64)].concat(),
            a1,
            3,
        ),
        (
            "reorder",
            [
                cut(0, a0),
                cut(b0, b1),
                cut(a0, a1),
                cut(b1, data.len() as u64),
            ]
            .concat(),
            a0,
            2,
        ),
    ];
    for (name, bytes, at, seq) in cases {
        let p = dir.path().join(format!("{name}.log"));
        std::fs::write(&p, bytes).unwrap();
        let failure = verify(&[p])
            .failure
            .unwrap_or_else(|| panic!("{name} not detected"));
        assert_eq!(
            failure.code(),
            ErrorCode::AuditChainBroken,
            "{name}: {failure}"
        );
        assert_eq!(failure.offset, at, "{name}: {failure}");
        assert_eq!(failure.seq, Some(seq), "{name}: {failure}");
    }
}

#[test]
fn truncation_after_a_checkpoint_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, 10, options().checkpoint_every(4));
    let data = std::fs::read(&path).unwrap();
    let spans = frame_spans(&data);
    // cut right after the first periodic checkpoint (tree size 4)
    let (_, end, _) = spans
        .iter()
        .find(|s| s.2 == FrameKind::Checkpoint)
        .copied()
        .unwrap();
    let p = dir.path().join("cut.log");
    std::fs::write(&p, &data[..end as usize]).unwrap();
    let report = verify(std::slice::from_ref(&p));
    let failure = report.failure.expect("truncation not detected");
    assert_eq!(failure.code(), ErrorCode::AuditTruncated, "{failure}");
    assert_eq!(failure.offset, end);
    // accepted only when the caller says the log may be open, with a warning
    let open = verify_log(
        &[p],
        &VerifyOptions {
            allow_open: true,
            ..trust()
        },
    );
    assert!(open.is_ok());
    assert_eq!(open.records, 4);
    assert!(!open.warnings.is_empty());
}

#[test]
fn log_resigned_by_another_key_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for (kid, seed) in [("guard-1", [99u8; 32]), ("mallory", [11u8; 32])] {
        let path = dir.path().join(format!("{kid}.log"));
        let forger = KeyPair::from_seed(kid, &seed).unwrap();
        write_log(&path, 3, AuditLogOptions::new(forger));
        let failure = verify(&[path]).failure.expect("forged log accepted");
        assert_eq!(failure.offset, 8, "{failure}");
        let code = failure.code();
        if kid == "guard-1" {
            assert_eq!(code, ErrorCode::AuditBadSignature);
        } else {
            assert_eq!(code, ErrorCode::AuditUntrustedKey);
        }
    }
}

#[test]
fn rotation_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, 60, options().max_segment_bytes(4096));
    let segments = list_segments(&path);
    assert!(segments.len() >= 3, "{segments:?}");
    let report = verify(&segments);
    assert!(report.is_ok(), "{:?}", report.failure);
    assert_eq!(report.records, 60);
    // any order on the command line
    let mut reversed = segments.clone();
    reversed.reverse();
    assert!(verify(&reversed).is_ok());
    // a missing middle segment is found
    let mut gap = segments.clone();
    gap.remove(1);
    let failure = verify(&gap).failure.expect("missing segment not detected");
    assert_eq!(failure.code(), ErrorCode::AuditChainBroken);
    // a later segment alone verifies from its signed header, with a warning
    let tail = verify(&segments[segments.len() - 1..]);
    assert!(tail.is_ok(), "{:?}", tail.failure);
    assert!(!tail.warnings.is_empty());
    // reopening continues in the last segment
    let log = AuditLog::open(&path, options().max_segment_bytes(4096)).unwrap();
    assert_eq!(log.append(&entry(60)).unwrap().seq, 60);
    log.close().unwrap();
    assert!(verify(&list_segments(&path)).is_ok());
}

#[test]
fn torn_tail_is_cut_reported_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, 5, options());
    let good_len = std::fs::metadata(&path).unwrap().len();
    // half a frame, as a crash during a write leaves
    let mut half = Vec::new();
    encode_frame(FrameKind::SignedRecord, &[7u8; 200], &mut half).unwrap();
    let mut data = std::fs::read(&path).unwrap();
    data.extend_from_slice(&half[..100]);
    std::fs::write(&path, &data).unwrap();

    let strict = verify(std::slice::from_ref(&path));
    let failure = strict.failure.expect("torn tail accepted");
    assert_eq!(failure.code(), ErrorCode::AuditTruncated);
    assert_eq!(failure.offset, good_len);

    let log = AuditLog::open(&path, options()).unwrap();
    let rec = log.recovery().expect("torn tail not reported").clone();
    assert_eq!(rec.torn_offset, Some(good_len));
    assert_eq!(rec.torn_bytes, 100);
    assert_eq!(
        std::fs::read(rec.torn_saved_to.unwrap()).unwrap(),
        &half[..100]
    );
    assert_eq!(log.append(&entry(5)).unwrap().seq, 5);
    log.close().unwrap();
    let report = verify(&[path]);
    assert!(report.is_ok(), "{:?}", report.failure);
    assert_eq!(report.recoveries.len(), 1, "{:?}", report.recoveries);
}

#[test]
fn damage_in_the_middle_is_never_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, 5, options());
    let mut data = std::fs::read(&path).unwrap();
    let (o, _) = record_frames(&data)[1];
    data[o as usize + 20] ^= 0xff;
    std::fs::write(&path, &data).unwrap();
    let err = AuditLog::open(&path, options()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuditFrameCorrupt);
    assert_eq!(std::fs::read(&path).unwrap(), data, "file was changed");
}

#[test]
fn raw_requests_and_long_summaries_are_kept_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let redactor: nemoclaw_core::audit::SummaryRedactor =
        Arc::new(|s: &str| s.replace("hunter2", "[SECRET]"));
    let log = AuditLog::open(
        &path,
        options().summary_redactor(redactor).max_summary_bytes(40),
    )
    .unwrap();
    let e = AuditEntry::builder()
        .request(b"login --password hunter2")
        .raw_request("login --password hunter2")
        .summary(format!("login --password hunter2 {}", "x".repeat(100)))
        .build();
    log.append(&e).unwrap();
    log.close().unwrap();
    let data = std::fs::read(&path).unwrap();
    assert!(!data.windows(7).any(|w| w == b"hunter2"), "secret stored");
    let items = nemoclaw_core::audit::read_log(&[path]).unwrap();
    let rec = items
        .iter()
        .find_map(|i| match i {
            nemoclaw_core::audit::LogItem::Record { record, .. } => Some(record.clone()),
            _ => None,
        })
        .unwrap();
    assert!(rec.entry.raw_request.is_none());
    assert!(rec.entry.summary.starts_with("login --password [SECRET]"));
    assert!(rec.entry.summary.len() <= 40 + '…'.len_utf8());
}

#[test]
fn new_key_or_mode_starts_a_new_segment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, 3, options());
    let new_key = KeyPair::from_seed("guard-2", &[12; 32]).unwrap();
    let log = AuditLog::open(
        &path,
        AuditLogOptions::new(new_key.clone()).signing(SigningMode::CheckpointsOnly),
    )
    .unwrap();
    assert_eq!(log.append(&entry(3)).unwrap().seq, 3);
    log.close().unwrap();
    let segments = list_segments(&path);
    assert_eq!(segments.len(), 2);
    // both keys trusted: the chain runs through
    let both = VerifyOptions::trusting(vec![guard_key().public(), new_key.public()]);
    let report = verify_log(&segments, &both);
    assert!(report.is_ok(), "{:?}", report.failure);
    assert_eq!(report.records, 4);
    // only the old key trusted: what the new key signed (the rotation
    // checkpoint that closes segment 0, and segment 1) is refused
    let failure = verify(&segments)
        .failure
        .expect("untrusted segment accepted");
    assert_eq!(failure.code(), ErrorCode::AuditUntrustedKey);
}

#[test]
fn cosignatures_are_checked_with_agent_keys() {
    use nemoclaw_core::audit::cosign_request;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let agent = KeyPair::from_seed("agent-a", &[13; 32]).unwrap();
    let log = AuditLog::open(&path, options()).unwrap();
    let request = b"git push origin main";
    let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(request).into();
    let good = AuditEntry::builder()
        .request(request)
        .agent_cosignature(cosign_request(&agent, &digest).unwrap())
        .build();
    log.append(&good).unwrap();
    log.close().unwrap();
    let mut opts = trust();
    let report = verify_log(std::slice::from_ref(&path), &opts);
    assert!(report.is_ok());
    assert_eq!(report.cosignatures_unchecked, 1);
    opts.agent_keys = vec![agent.public()];
    let report = verify_log(std::slice::from_ref(&path), &opts);
    assert!(report.is_ok(), "{:?}", report.failure);
    assert_eq!(report.cosignatures_verified, 1);
    // a co-signature over another request is refused by the verifier
    let path2 = dir.path().join("bad.log");
    let log = AuditLog::open(&path2, options()).unwrap();
    let bad = AuditEntry::builder()
        .request(b"git push --force origin main")
        .agent_cosignature(cosign_request(&agent, &digest).unwrap())
        .build();
    log.append(&bad).unwrap();
    log.close().unwrap();
    let failure = verify_log(&[path2], &opts)
        .failure
        .expect("bad co-signature accepted");
    assert_eq!(failure.code(), ErrorCode::AuditBadSignature);
    assert_eq!(failure.seq, Some(0));
}

#[test]
fn writer_failure_fails_closed() {
    // a log whose segment is made read-only under the writer cannot take
    // records: appends report the failure instead of pretending
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(
        &path,
        options()
            .durability(Durability::FsyncEach)
            .max_segment_bytes(4096),
    )
    .unwrap();
    // rotation needs to create `audit.log.1`; a directory in its place makes it fail
    std::fs::create_dir(dir.path().join("audit.log.1")).unwrap();
    let mut failed = None;
    for i in 0..100 {
        if let Err(e) = log.append(&entry(i)) {
            failed = Some(e);
            break;
        }
    }
    let err = failed.expect("writer failure not reported");
    assert_eq!(err.code(), ErrorCode::AuditLogClosed, "{err}");
    assert!(log.append(&entry(1000)).is_err());
    assert!(log.close().is_err());
}

#[test]
fn checkpoints_come_every_n_records_and_every_t_seconds() {
    use nemoclaw_core::audit::{read_log, CheckpointReason, LogItem};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(
        &path,
        options()
            .checkpoint_every(3)
            .checkpoint_interval(Duration::from_millis(50)),
    )
    .unwrap();
    for i in 0..7 {
        log.append(&entry(i)).unwrap();
    }
    // the seventh record, then quiet: the timer writes a checkpoint
    std::thread::sleep(Duration::from_millis(300));
    let explicit = log.checkpoint().unwrap();
    assert_eq!(explicit.tree_size, 7);
    log.close().unwrap();
    let sizes: Vec<(u64, CheckpointReason)> = read_log(&[path])
        .unwrap()
        .into_iter()
        .filter_map(|i| match i {
            LogItem::Checkpoint { checkpoint, .. } => {
                Some((checkpoint.tree_size, checkpoint.reason))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        sizes,
        vec![
            (3, CheckpointReason::Periodic),
            (6, CheckpointReason::Periodic),
            (7, CheckpointReason::Periodic),
            (7, CheckpointReason::Explicit),
            (7, CheckpointReason::Close),
        ]
    );
}

#[test]
fn acknowledged_records_are_on_disk() {
    for durability in [
        Durability::FsyncEach,
        Durability::GroupCommit {
            interval: Duration::from_millis(3),
        },
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(&path, options().durability(durability)).unwrap();
        for i in 0..5 {
            let seq = log.append(&entry(i)).unwrap().seq;
            // read back through another handle: the record is in the file
            let data = std::fs::read(&path).unwrap();
            let (frames, _) = split_frames(&data).unwrap();
            let records = frames
                .iter()
                .filter(|(_, f)| f.kind == FrameKind::SignedRecord)
                .count() as u64;
            assert!(
                records > seq,
                "{durability:?}: record {seq} acknowledged but not written"
            );
        }
        log.close().unwrap();
    }
}

#[test]
fn tickets_are_acknowledged_in_order_and_only_once_on_disk() {
    // one producer keeps many appends in flight and waits only on the newest
    // ticket: acknowledgment is in sequence order, so every earlier ticket
    // is then acknowledged too, and none is acknowledged before its record
    // is in the file
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(
        &path,
        options().durability(Durability::GroupCommit {
            interval: Duration::from_millis(20),
        }),
    )
    .unwrap();
    let records_on_disk = || {
        let data = std::fs::read(&path).unwrap();
        let (frames, _) = split_frames(&data).unwrap();
        frames
            .iter()
            .filter(|(_, f)| f.kind == FrameKind::SignedRecord)
            .count() as u64
    };
    let tickets: Vec<_> = (0..300).map(|i| log.submit(&entry(i)).unwrap()).collect();
    assert_eq!(
        tickets.iter().map(|t| t.seq()).collect::<Vec<_>>(),
        (0..300).collect::<Vec<_>>()
    );
    for t in tickets.iter().rev().step_by(37) {
        if let Some(receipt) = t.poll().unwrap() {
            assert!(
                records_on_disk() > receipt.seq,
                "acknowledged before written"
            );
        }
    }
    let mut tickets = tickets;
    let last = tickets.pop().unwrap().wait().unwrap();
    assert_eq!(last.seq, 299);
    assert!(records_on_disk() >= 300);
    for t in tickets {
        let receipt = t
            .poll()
            .unwrap()
            .expect("an earlier ticket is not acknowledged");
        assert_eq!(t.wait().unwrap(), receipt);
    }
    log.close().unwrap();
    let report = verify(&[path]);
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.records, 300);
}
