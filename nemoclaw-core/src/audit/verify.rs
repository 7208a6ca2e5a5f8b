//! Offline verification and reading of log files.
//!
//! [`verify_log`] checks every frame's checksum, every signature against the
//! trusted keys, every sequence number and link, every checkpoint's tree
//! size and Merkle root, the continuity of segments, and that the log ends
//! with a closing checkpoint. It returns a [`VerifyReport`] that names the
//! first bad frame by file, offset and record number.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::entry::Hash32;
use super::frame::{split_frames, FrameKind, FrameStop};
use super::merkle::CompactTree;
use super::record::{record_hash, Record};
use super::signed::{
    checkpoint_unverified, cosignature_kid, record_unverified, verify_cosignature, verify_record,
    Checkpoint, CheckpointReason, SegmentHeader, SigningMode,
};
use super::AuditError;
use crate::identity::PublicKey;
use crate::ErrorCode;

/// What to check a log against.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Keys allowed to sign headers, records and checkpoints.
    pub trusted: Vec<PublicKey>,
    /// Agents' keys for checking co-signatures (unknown ones are counted, not failed).
    pub agent_keys: Vec<PublicKey>,
    /// Accept a log that is still open or whose writer crashed: a torn tail
    /// and a missing closing checkpoint become warnings, and records after
    /// the last checkpoint are reported as unsealed.
    pub allow_open: bool,
}

impl VerifyOptions {
    /// Trust these keys.
    pub fn trusting(keys: Vec<PublicKey>) -> Self {
        Self {
            trusted: keys,
            ..Self::default()
        }
    }
}

/// The first problem found.
#[derive(Debug)]
pub struct VerifyFailure {
    /// The segment file.
    pub file: PathBuf,
    /// Byte offset of the bad frame (or of the end of the file).
    pub offset: u64,
    /// The record at fault (or the one expected at that point).
    pub seq: Option<u64>,
    /// What kind of frame it was, when it could be read.
    pub frame: Option<FrameKind>,
    /// What is wrong.
    pub error: AuditError,
}

impl VerifyFailure {
    /// The stable code of the problem.
    pub fn code(&self) -> ErrorCode {
        self.error.code()
    }
}

impl std::fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` offset {}", self.file.display(), self.offset)?;
        match (self.frame, self.seq) {
            (Some(FrameKind::SignedRecord | FrameKind::Record), Some(seq)) => {
                write!(f, " (record {seq})")?
            }
            (Some(kind), Some(seq)) => write!(f, " ({} before record {seq})", kind.as_str())?,
            (Some(kind), None) => write!(f, " ({})", kind.as_str())?,
            (None, Some(seq)) => write!(f, " (where record {seq} was expected)")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.error)
    }
}

/// The outcome of verifying a log.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Segment files checked.
    pub segments: u64,
    /// Records checked.
    pub records: u64,
    /// Sequence number of the first record checked.
    pub first_seq: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// The last good checkpoint.
    pub last_checkpoint: Option<Checkpoint>,
    /// Agent co-signatures verified.
    pub cosignatures_verified: u64,
    /// Agent co-signatures whose key was not given.
    pub cosignatures_unchecked: u64,
    /// Recovery checkpoints found: the writer was restarted after a crash.
    pub recoveries: Vec<String>,
    /// Things that are not failures but worth knowing.
    pub warnings: Vec<String>,
    /// The first failure; `None` means the log verified.
    pub failure: Option<VerifyFailure>,
}

impl VerifyReport {
    /// True when no failure was found.
    pub fn is_ok(&self) -> bool {
        self.failure.is_none()
    }
}

/// Largest header frame read when sorting segments.
const HEADER_PEEK: u64 = 16 * 1024;

/// Read a segment's signed header without verifying it.
pub fn peek_header(path: &Path) -> Result<(SegmentHeader, String), AuditError> {
    let mut buf = Vec::new();
    File::open(path)
        .and_then(|f| f.take(HEADER_PEEK).read_to_end(&mut buf))
        .map_err(AuditError::io(path))?;
    let (frames, _) = split_frames(&buf)?;
    match frames.first() {
        Some((_, f)) if f.kind == FrameKind::Header => SegmentHeader::parse_unverified(f.body),
        _ => Err(AuditError::FrameCorrupt {
            offset: 8,
            reason: "the file does not start with a segment header".into(),
        }),
    }
}

struct Cursor {
    log_id: Option<[u8; 16]>,
    segment: Option<u64>,
    next_seq: u64,
    last_hash: Hash32,
    tree: CompactTree,
    /// The last frame seen was a closing checkpoint.
    closed: bool,
    /// The last frame of the previous segment was a rotate checkpoint.
    rotated: bool,
    /// First record not yet covered by a checkpoint.
    unsealed_from: Option<u64>,
}

/// Verify the log made of these segment files (in any order; they are sorted
/// by their headers).
pub fn verify_log(paths: &[PathBuf], options: &VerifyOptions) -> VerifyReport {
    let mut report = VerifyReport::default();
    if let Err(failure) = verify_into(paths, options, &mut report) {
        report.failure = Some(failure);
    }
    report
}

fn fail(
    file: &Path,
    offset: u64,
    seq: Option<u64>,
    frame: Option<FrameKind>,
    error: AuditError,
) -> VerifyFailure {
    VerifyFailure {
        file: file.to_path_buf(),
        offset,
        seq,
        frame,
        error,
    }
}

fn verify_into(
    paths: &[PathBuf],
    options: &VerifyOptions,
    report: &mut VerifyReport,
) -> Result<(), VerifyFailure> {
    if paths.is_empty() {
        return Err(fail(
            Path::new(""),
            0,
            None,
            None,
            AuditError::InvalidOption("no log files given".into()),
        ));
    }
    // order segments by their (unverified) headers; verification follows
    let mut ordered = Vec::with_capacity(paths.len());
    for p in paths {
        let (header, _) = peek_header(p).map_err(|e| {
            let offset = match &e {
                AuditError::FrameCorrupt { offset, .. } => *offset,
                _ => 0,
            };
            fail(p, offset, None, Some(FrameKind::Header), e)
        })?;
        ordered.push((header.segment, p.clone()));
    }
    ordered.sort();
    let mut cursor = Cursor {
        log_id: None,
        segment: None,
        next_seq: 0,
        last_hash: [0; 32],
        tree: CompactTree::new(),
        closed: false,
        rotated: false,
        unsealed_from: None,
    };
    let last_index = ordered.len() - 1;
    for (i, (_, path)) in ordered.iter().enumerate() {
        verify_segment(path, i == last_index, options, &mut cursor, report)?;
        report.segments += 1;
    }
    if let Some(from) = cursor.unsealed_from {
        let msg = format!(
            "records {from} to {} are not covered by a signed checkpoint",
            cursor.next_seq.saturating_sub(1)
        );
        if options.allow_open {
            report.warnings.push(msg);
        }
    }
    Ok(())
}

fn verify_segment(
    path: &Path,
    is_last: bool,
    options: &VerifyOptions,
    cur: &mut Cursor,
    report: &mut VerifyReport,
) -> Result<(), VerifyFailure> {
    let data = fs::read(path).map_err(|e| fail(path, 0, None, None, AuditError::io(path)(e)))?;
    let (frames, stop) = split_frames(&data).map_err(|e| fail(path, 0, None, None, e))?;
    let Some(((hoff, hframe), rest)) = frames.split_first() else {
        return Err(fail(
            path,
            8,
            None,
            Some(FrameKind::Header),
            AuditError::malformed("segment header", "missing"),
        ));
    };
    let hfail = |e| fail(path, *hoff, None, Some(FrameKind::Header), e);
    if hframe.kind != FrameKind::Header {
        return Err(hfail(AuditError::malformed(
            "segment header",
            "the first frame is not a header",
        )));
    }
    let (header, _) = SegmentHeader::verify_signed(hframe.body, &options.trusted).map_err(hfail)?;
    match cur.segment {
        None => {
            cur.log_id = Some(header.log_id);
            cur.next_seq = header.first_seq;
            cur.last_hash = header.prev_hash;
            cur.tree = header.tree().map_err(hfail)?;
            report.first_seq = header.first_seq;
            if header.segment != 0 {
                report.warnings.push(format!(
                    "verification starts at segment {} (record {}); earlier segments were not given",
                    header.segment, header.first_seq
                ));
            } else if header.prev_hash != super::record::genesis_hash(&header.log_id) {
                return Err(hfail(AuditError::ChainBroken(
                    "segment 0 does not start from the log's genesis hash".into(),
                )));
            }
        }
        Some(prev) => {
            if Some(header.log_id) != cur.log_id {
                return Err(hfail(AuditError::ChainBroken(
                    "segment belongs to another log".into(),
                )));
            }
            if header.segment != prev + 1 {
                return Err(hfail(AuditError::ChainBroken(format!(
                    "segment {} follows segment {prev}: a segment is missing or repeated",
                    header.segment
                ))));
            }
            if !cur.rotated {
                return Err(hfail(AuditError::ChainBroken(format!(
                    "segment {prev} does not end with a rotation checkpoint"
                ))));
            }
            if header.first_seq != cur.next_seq
                || header.prev_hash != cur.last_hash
                || header.peaks != cur.tree.peaks()
            {
                return Err(hfail(AuditError::ChainBroken(format!(
                    "segment {} does not continue the chain of segment {prev}",
                    header.segment
                ))));
            }
        }
    }
    cur.segment = Some(header.segment);
    cur.rotated = false;
    cur.closed = false;
    for (offset, frame) in rest {
        let offset = *offset;
        let seq = cur.next_seq;
        let kind = frame.kind;
        let rfail = |e| fail(path, offset, Some(seq), Some(kind), e);
        cur.rotated = false;
        cur.closed = false;
        let record_bytes = match kind {
            FrameKind::Header => {
                return Err(rfail(AuditError::FrameCorrupt {
                    offset,
                    reason: "a second segment header inside a segment".into(),
                }))
            }
            FrameKind::Checkpoint => {
                let (cp, _) =
                    Checkpoint::verify_signed(frame.body, &options.trusted).map_err(rfail)?;
                if Some(cp.log_id) != cur.log_id || Some(cp.segment) != cur.segment {
                    return Err(rfail(AuditError::CheckpointMismatch(
                        "checkpoint belongs to another log or segment".into(),
                    )));
                }
                if cp.tree_size != cur.next_seq {
                    return Err(rfail(AuditError::CheckpointMismatch(format!(
                        "checkpoint covers {} records but {} precede it",
                        cp.tree_size, cur.next_seq
                    ))));
                }
                if cp.root != cur.tree.root() {
                    return Err(rfail(AuditError::CheckpointMismatch(format!(
                        "checkpoint root does not match the {} records before it",
                        cp.tree_size
                    ))));
                }
                match cp.reason {
                    CheckpointReason::Close => cur.closed = true,
                    CheckpointReason::Rotate => cur.rotated = true,
                    CheckpointReason::Recovery => report.recoveries.push(format!(
                        "`{}` offset {offset}: writer restarted after a crash at record {}{}",
                        path.display(),
                        cp.tree_size,
                        match cp.torn_bytes {
                            Some(n) if n > 0 => format!(", {n} bytes of torn tail cut"),
                            _ => String::new(),
                        }
                    )),
                    CheckpointReason::Periodic | CheckpointReason::Explicit => {}
                }
                cur.unsealed_from = None;
                report.checkpoints += 1;
                report.last_checkpoint = Some(cp);
                continue;
            }
            FrameKind::SignedRecord => {
                if header.mode != SigningMode::EveryRecord {
                    return Err(rfail(AuditError::malformed(
                        "record",
                        "signed record in a checkpoint-only segment",
                    )));
                }
                verify_record(frame.body, &options.trusted).map_err(rfail)?
            }
            FrameKind::Record => {
                if header.mode != SigningMode::CheckpointsOnly {
                    return Err(rfail(AuditError::BadSignature {
                        what: "record (unsigned in a segment where every record must be signed)"
                            .into(),
                    }));
                }
                frame.body.to_vec()
            }
        };
        let record = Record::from_cbor(&record_bytes).map_err(rfail)?;
        if record.seq != cur.next_seq {
            return Err(rfail(AuditError::ChainBroken(format!(
                "expected record {}, found record {}: records are missing, repeated or reordered",
                cur.next_seq, record.seq
            ))));
        }
        if record.prev_hash != cur.last_hash {
            return Err(rfail(AuditError::ChainBroken(
                "link to the previous record does not match: a record was removed, replaced or altered".into(),
            )));
        }
        if let Some(cosig) = &record.entry.agent_cosignature {
            let known = cosignature_kid(cosig)
                .is_some_and(|kid| options.agent_keys.iter().any(|k| k.kid() == kid));
            if known {
                verify_cosignature(cosig, &record.entry.request_digest, &options.agent_keys)
                    .map_err(rfail)?;
                report.cosignatures_verified += 1;
            } else {
                report.cosignatures_unchecked += 1;
            }
        }
        let leaf = record_hash(&record_bytes);
        cur.tree.push(leaf);
        cur.last_hash = leaf;
        cur.next_seq += 1;
        if header.mode == SigningMode::CheckpointsOnly && cur.unsealed_from.is_none() {
            cur.unsealed_from = Some(record.seq);
        }
        report.records += 1;
    }
    let end = data.len() as u64;
    match stop {
        FrameStop::Clean => {}
        FrameStop::Corrupt { offset, reason } => {
            return Err(fail(
                path,
                offset,
                Some(cur.next_seq),
                None,
                AuditError::FrameCorrupt { offset, reason },
            ))
        }
        FrameStop::TornTail { offset, reason } => {
            let err = AuditError::Truncated(format!("torn tail at offset {offset}: {reason}"));
            if !(options.allow_open && is_last) {
                return Err(fail(path, offset, Some(cur.next_seq), None, err));
            }
            report.warnings.push(format!(
                "`{}`: torn tail of {} bytes at offset {offset} ({reason}); verified up to the last whole frame",
                path.display(),
                end - offset
            ));
        }
    }
    if is_last {
        if !cur.closed {
            let msg = format!(
                "log ends after record {} without a closing checkpoint: it was truncated, is still open, or its writer crashed",
                cur.next_seq as i128 - 1
            );
            if options.allow_open {
                report.warnings.push(msg);
            } else {
                return Err(fail(
                    path,
                    end,
                    Some(cur.next_seq),
                    None,
                    AuditError::Truncated(msg),
                ));
            }
        }
    } else if !cur.rotated {
        return Err(fail(
            path,
            end,
            Some(cur.next_seq),
            None,
            AuditError::ChainBroken(
                "segment does not end with a rotation checkpoint but another segment follows"
                    .into(),
            ),
        ));
    }
    Ok(())
}

/// One frame of a log as read for display (signatures not checked).
#[derive(Debug, Clone)]
pub enum LogItem {
    /// A segment header.
    Header {
        /// File and offset.
        file: PathBuf,
        /// Offset in the file.
        offset: u64,
        /// The header.
        header: SegmentHeader,
        /// Signer's key id.
        kid: String,
    },
    /// A record.
    Record {
        /// File.
        file: PathBuf,
        /// Offset in the file.
        offset: u64,
        /// The record.
        record: Box<Record>,
        /// Whether it is individually signed.
        signed: bool,
        /// Its hash (Merkle leaf).
        hash: Hash32,
    },
    /// A checkpoint.
    Checkpoint {
        /// File.
        file: PathBuf,
        /// Offset in the file.
        offset: u64,
        /// The checkpoint.
        checkpoint: Checkpoint,
    },
    /// Where reading stopped early: damage or a torn tail.
    Damaged {
        /// File.
        file: PathBuf,
        /// Offset of the first unreadable byte.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Read every frame of the given segment files, in segment order, without
/// checking signatures (use [`verify_log`] for that). Undecodable frames
/// end the listing with a [`LogItem::Damaged`].
pub fn read_log(paths: &[PathBuf]) -> Result<Vec<LogItem>, AuditError> {
    let mut ordered = Vec::new();
    for p in paths {
        let seg = peek_header(p).map(|(h, _)| h.segment).unwrap_or(u64::MAX);
        ordered.push((seg, p.clone()));
    }
    ordered.sort();
    let mut items = Vec::new();
    for (_, path) in ordered {
        let data = fs::read(&path).map_err(AuditError::io(&path))?;
        let (frames, stop) = match split_frames(&data) {
            Ok(x) => x,
            Err(e) => {
                items.push(LogItem::Damaged {
                    file: path.clone(),
                    offset: 0,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        for (offset, frame) in frames {
            let item = match frame.kind {
                FrameKind::Header => {
                    SegmentHeader::parse_unverified(frame.body).map(|(header, kid)| {
                        LogItem::Header {
                            file: path.clone(),
                            offset,
                            header,
                            kid,
                        }
                    })
                }
                FrameKind::Checkpoint => {
                    checkpoint_unverified(frame.body).map(|checkpoint| LogItem::Checkpoint {
                        file: path.clone(),
                        offset,
                        checkpoint,
                    })
                }
                FrameKind::SignedRecord | FrameKind::Record => {
                    let signed = frame.kind == FrameKind::SignedRecord;
                    let bytes = if signed {
                        record_unverified(frame.body)
                    } else {
                        Ok(frame.body.to_vec())
                    };
                    bytes.and_then(|b| {
                        Record::from_cbor(&b).map(|record| LogItem::Record {
                            file: path.clone(),
                            offset,
                            record: Box::new(record),
                            signed,
                            hash: record_hash(&b),
                        })
                    })
                }
            };
            match item {
                Ok(i) => items.push(i),
                Err(e) => {
                    items.push(LogItem::Damaged {
                        file: path.clone(),
                        offset,
                        reason: e.to_string(),
                    });
                    break;
                }
            }
        }
        match stop {
            FrameStop::Clean => {}
            FrameStop::Corrupt { offset, reason } | FrameStop::TornTail { offset, reason } => items
                .push(LogItem::Damaged {
                    file: path.clone(),
                    offset,
                    reason,
                }),
        }
    }
    Ok(items)
}
