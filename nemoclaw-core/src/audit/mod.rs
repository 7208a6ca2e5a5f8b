//! Signed, tamper-evident audit trail.
//!
//! Every decision the guard makes becomes a [`Record`]: deterministic CBOR
//! with a sequence number, time, actor, request digest, redacted summary,
//! parsed actions, verdict, reviewer decisions, sandbox outcome and the hash
//! of the previous record. Records are signed with the guard's key as
//! COSE_Sign1 (or, in [`SigningMode::CheckpointsOnly`], covered by signed
//! Merkle checkpoints), framed with CRC-32C checksums into an append-only
//! file, and verifiable offline by anyone holding the public key.
//!
//! ```
//! use nemoclaw_core::audit::{
//!     verify_log, AuditEntry, AuditLog, AuditLogOptions, AuditSink, Decision, VerdictSummary,
//!     VerifyOptions,
//! };
//! use nemoclaw_core::identity::KeyPair;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let path = dir.path().join("audit.log");
//! let key = KeyPair::generate("guard-1")?;
//! let log = AuditLog::open(&path, AuditLogOptions::new(key.clone()))?;
//! let entry = AuditEntry::builder()
//!     .request(b"ls -la")
//!     .summary("ls -la")
//!     .verdict(VerdictSummary::new(Decision::Allow, vec!["read-only".into()], [0; 32]))
//!     .build();
//! let receipt = log.record(&entry)?;
//! assert_eq!(receipt.seq, Some(0));
//! log.close()?;
//!
//! let report = verify_log(&[path], &VerifyOptions::trusting(vec![key.public()]));
//! assert!(report.is_ok() && report.records == 1);
//! # Ok(()) }
//! ```
//!
//! See `docs/audit.md` for the file format and what is and is not guaranteed.

mod entry;
mod error;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
mod log;
pub mod merkle;
mod proof;
mod record;
mod redact;
mod signed;
mod sink;
mod verify;

pub use entry::{
    Actor, AuditEntry, AuditEntryBuilder, Decision, Hash32, ReviewDecision, ReviewOutcome,
    SandboxOutcome, VerdictSummary,
};
pub use error::AuditError;
pub use log::{
    list_segments, segment_path, AppendReceipt, AuditLog, AuditLogOptions, CloseReport, Durability,
    PendingAppend, RecoveryReport,
};
pub use proof::{
    latest_checkpoint, prove_consistency, prove_inclusion, ConsistencyProof, InclusionProof,
    ProvenRecord,
};
pub use record::{genesis_hash, record_hash, Record, MAX_RECORD_BYTES};
pub use redact::{EntryRedactor, SummaryRedactor};
pub use signed::{
    cosign_request, cosignature_kid, verify_cosignature, Checkpoint, CheckpointReason,
    SegmentHeader, SigningMode,
};
pub use sink::{AuditCallback, AuditReceipt, AuditSink, CallbackSink, JsonLinesSink, TeeSink};
pub use verify::{
    peek_header, read_log, verify_log, LogItem, VerifyFailure, VerifyOptions, VerifyReport,
};
