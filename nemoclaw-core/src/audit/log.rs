//! The append-only log file: one writer thread, many appending threads,
//! gap-free sequence numbers, durability modes, checkpoints, rotation and
//! crash recovery.
//!
//! Appending takes three steps. The caller's thread encodes the entry; under
//! a short lock it takes the next sequence number, the time and the previous
//! record's hash, assembles the record and hashes it; then, outside the lock
//! and in parallel with other callers, it signs the record and hands the
//! frame to the writer thread. The writer puts frames back in sequence order,
//! writes them, grows the Merkle tree, writes checkpoints and rotates
//! segments, and acknowledges callers once their record is as durable as the
//! mode promises.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand_core::{OsRng, RngCore};

use super::entry::{AuditEntry, Hash32};
use super::frame::{encode_frame, split_frames, FrameKind, FrameStop, FILE_MAGIC};
use super::merkle::CompactTree;
use super::record::{genesis_hash, record_hash, EncodedBody};
use super::redact::{EntryRedactor, SummaryRedactor};
use super::signed::{
    checkpoint_unverified, record_unverified, Checkpoint, CheckpointReason, RecordSigner,
    SegmentHeader, SigningMode,
};
use super::AuditError;
use crate::identity::KeyPair;

/// When an append is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `fdatasync` after every record; the caller returns once its record is on disk.
    FsyncEach,
    /// One `fdatasync` per batch, at most one per `interval`; callers are
    /// acknowledged after the sync that covers their record.
    GroupCommit {
        /// Least time between two syncs (0: sync whenever the queue drains).
        interval: Duration,
    },
    /// No sync; the caller returns once the record is queued. A crash of the
    /// process loses at most what is queued or buffered (64 KiB); a crash of
    /// the machine loses what the kernel had not written. The chain and the
    /// checkpoints still make any loss or damage evident.
    None,
}

/// How to open a log. Built with [`AuditLogOptions::new`] and its setters.
#[derive(Clone)]
pub struct AuditLogOptions {
    key: KeyPair,
    durability: Durability,
    signing: SigningMode,
    checkpoint_every: u64,
    checkpoint_interval: Duration,
    max_segment_bytes: u64,
    store_raw_requests: bool,
    max_summary_bytes: usize,
    redactor: Option<EntryRedactor>,
    queue_capacity: usize,
}

impl std::fmt::Debug for AuditLogOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLogOptions")
            .field("key", &self.key.kid())
            .field("durability", &self.durability)
            .field("signing", &self.signing)
            .field("checkpoint_every", &self.checkpoint_every)
            .field("checkpoint_interval", &self.checkpoint_interval)
            .field("max_segment_bytes", &self.max_segment_bytes)
            .field("store_raw_requests", &self.store_raw_requests)
            .field("max_summary_bytes", &self.max_summary_bytes)
            .field("redactor", &self.redactor)
            .finish_non_exhaustive()
    }
}

impl AuditLogOptions {
    /// Defaults: per-record signatures, group commit every 2 ms, a
    /// checkpoint every 1024 records or 5 s, 64 MiB segments, summaries cut
    /// at 1024 bytes, raw requests not stored.
    pub fn new(guard_key: KeyPair) -> Self {
        Self {
            key: guard_key,
            durability: Durability::GroupCommit {
                interval: Duration::from_millis(2),
            },
            signing: SigningMode::EveryRecord,
            checkpoint_every: 1024,
            checkpoint_interval: Duration::from_secs(5),
            max_segment_bytes: 64 << 20,
            store_raw_requests: false,
            max_summary_bytes: 1024,
            redactor: None,
            queue_capacity: 16 * 1024,
        }
    }

    /// When appends are acknowledged.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Sign every record, or only checkpoints.
    pub fn signing(mut self, mode: SigningMode) -> Self {
        self.signing = mode;
        self
    }

    /// Write a checkpoint after this many records (at least 1).
    pub fn checkpoint_every(mut self, records: u64) -> Self {
        self.checkpoint_every = records;
        self
    }

    /// Write a checkpoint when this much time passed since the last one and
    /// records were added.
    pub fn checkpoint_interval(mut self, interval: Duration) -> Self {
        self.checkpoint_interval = interval;
        self
    }

    /// Start a new segment file once the current one reaches this size
    /// (at least 4096 bytes).
    pub fn max_segment_bytes(mut self, bytes: u64) -> Self {
        self.max_segment_bytes = bytes;
        self
    }

    /// Store entries' raw requests (off by default: only the digest is kept).
    pub fn store_raw_requests(mut self, yes: bool) -> Self {
        self.store_raw_requests = yes;
        self
    }

    /// Cut summaries longer than this many bytes (at a character boundary).
    pub fn max_summary_bytes(mut self, bytes: usize) -> Self {
        self.max_summary_bytes = bytes;
        self
    }

    /// Pass every free-text field (summary, reasons, action resources,
    /// comments) through this function instead of the default privacy
    /// redactor.
    pub fn summary_redactor(mut self, redactor: SummaryRedactor) -> Self {
        self.redactor = Some(EntryRedactor::custom(redactor));
        self
    }

    /// The redactor applied to every entry before it is stored. Default:
    /// [`EntryRedactor::privacy_default`] (the privacy module's patterns and
    /// secret rules, no NER).
    pub fn redactor(mut self, redactor: EntryRedactor) -> Self {
        self.redactor = Some(redactor);
        self
    }

    /// Frames that may wait for the writer before appenders block.
    pub fn queue_capacity(mut self, frames: usize) -> Self {
        self.queue_capacity = frames;
        self
    }

    fn check(&self) -> Result<(), AuditError> {
        if self.checkpoint_every == 0 {
            return Err(AuditError::InvalidOption(
                "`checkpoint_every` must be at least 1".into(),
            ));
        }
        if self.max_segment_bytes < 4096 {
            return Err(AuditError::InvalidOption(format!(
                "`max_segment_bytes` {} is below 4096",
                self.max_segment_bytes
            )));
        }
        if self.queue_capacity == 0 {
            return Err(AuditError::InvalidOption(
                "`queue_capacity` must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// What a successful append returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendReceipt {
    /// The record's sequence number.
    pub seq: u64,
    /// The record hash (its Merkle leaf).
    pub record_hash: Hash32,
}

/// What opening found when the previous writer did not close the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The segment file that was repaired.
    pub segment: PathBuf,
    /// Offset where the torn tail began, if there was one.
    pub torn_offset: Option<u64>,
    /// Bytes cut from the end.
    pub torn_bytes: u64,
    /// Where the cut bytes were saved, if any.
    pub torn_saved_to: Option<PathBuf>,
    /// Why the tail was torn.
    pub torn_reason: Option<String>,
    /// Records in the log after repair.
    pub records: u64,
}

impl std::fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.torn_offset {
            Some(offset) => write!(
                f,
                "`{}` was not closed: torn tail of {} bytes at offset {offset} ({}) cut{}; {} records kept",
                self.segment.display(),
                self.torn_bytes,
                self.torn_reason.as_deref().unwrap_or("damaged"),
                self.torn_saved_to
                    .as_ref()
                    .map(|p| format!(" and saved to `{}`", p.display()))
                    .unwrap_or_default(),
                self.records
            ),
            None => write!(
                f,
                "`{}` was not closed; no torn tail; {} records kept",
                self.segment.display(),
                self.records
            ),
        }
    }
}

/// Summary of a closed log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReport {
    /// Records in the log.
    pub records: u64,
    /// The final signed checkpoint.
    pub checkpoint: Checkpoint,
}

/// The path of segment `n` of the log at `base` (`base`, `base.1`, ...).
pub fn segment_path(base: &Path, n: u64) -> PathBuf {
    if n == 0 {
        base.to_path_buf()
    } else {
        let mut s = base.as_os_str().to_os_string();
        s.push(format!(".{n}"));
        PathBuf::from(s)
    }
}

/// The existing segment files of the log at `base`, in order.
pub fn list_segments(base: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut n = 0;
    loop {
        let p = segment_path(base, n);
        if !p.exists() {
            break;
        }
        out.push(p);
        n += 1;
    }
    out
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Sequence state, guarded by the short append lock.
#[derive(Debug)]
struct Sequencer {
    next_seq: u64,
    prev_hash: Hash32,
    last_time_ms: u64,
    closed: bool,
}

#[derive(Debug)]
struct Progress {
    /// Records below this sequence number are acknowledged.
    durable_next: u64,
    /// Set when the writer failed; sticky.
    failed: Option<String>,
}

type BarrierReply = SyncSender<Result<Option<Checkpoint>, AuditError>>;

enum Msg {
    Record {
        seq: u64,
        frame: Vec<u8>,
        leaf: Hash32,
    },
    Failed {
        seq: u64,
        reason: String,
    },
    Barrier {
        upto: u64,
        checkpoint: bool,
        reply: BarrierReply,
    },
    Close {
        upto: u64,
        reply: SyncSender<Result<CloseReport, AuditError>>,
    },
}

struct Shared {
    sequencer: Mutex<Sequencer>,
    progress: Mutex<Progress>,
    /// A copy of `progress.durable_next`, read without the lock so a caller
    /// whose record is already acknowledged does not wait for it.
    durable_next: AtomicU64,
    acked: Condvar,
    tx: SyncSender<Msg>,
    signer: RecordSigner,
    /// Set once the writer failed (also recorded in `progress`).
    failed: AtomicBool,
    signing: SigningMode,
    wait_for_ack: bool,
    store_raw: bool,
    max_summary_bytes: usize,
    redactor: EntryRedactor,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking holder cannot leave these small states half-updated in a
    // way that matters more than stopping the log, which `failed` does.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An append-only, signed, hash-chained audit log. `Send + Sync`: share it
/// behind an `Arc` and append from any number of threads.
pub struct AuditLog {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
    close_report: Mutex<Option<CloseReport>>,
    recovery: Option<RecoveryReport>,
    base: PathBuf,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.base)
            .field("signing", &self.shared.signing)
            .field("recovery", &self.recovery)
            .finish_non_exhaustive()
    }
}

/// An append handed to the writer, not yet acknowledged: a durability
/// ticket. Tickets are acknowledged in sequence order, so once one is
/// acknowledged every ticket with a lower sequence number from the same log
/// is too; a producer can keep many in flight and wait only on the newest.
#[derive(Debug)]
#[must_use = "an append is acknowledged only once waited for"]
pub struct PendingAppend<'a> {
    log: &'a AuditLog,
    receipt: AppendReceipt,
}

impl PendingAppend<'_> {
    /// The sequence number the record got.
    pub fn seq(&self) -> u64 {
        self.receipt.seq
    }

    /// Wait until the record is as durable as the log's mode promises.
    pub fn wait(self) -> Result<AppendReceipt, AuditError> {
        self.log.wait_durable(self.receipt.seq)?;
        Ok(self.receipt)
    }

    /// Whether the record is already as durable as the mode promises,
    /// without blocking: `Ok(Some(receipt))` once acknowledged, `Ok(None)`
    /// while its sync is still to come (for callers that poll from an event
    /// loop), an error if the writer failed first.
    pub fn poll(&self) -> Result<Option<AppendReceipt>, AuditError> {
        let shared = &*self.log.shared;
        if !shared.wait_for_ack || shared.durable_next.load(Ordering::Acquire) > self.receipt.seq {
            return Ok(Some(self.receipt));
        }
        let p = lock(&shared.progress);
        if p.durable_next > self.receipt.seq {
            return Ok(Some(self.receipt));
        }
        match &p.failed {
            Some(why) => Err(AuditError::Closed(why.clone())),
            None => Ok(None),
        }
    }
}

/// Sends `Failed` for its sequence number unless the frame was sent, so the
/// writer never waits forever for a number that was handed out.
struct SeqTicket<'a> {
    tx: &'a SyncSender<Msg>,
    seq: u64,
    sent: bool,
}

impl Drop for SeqTicket<'_> {
    fn drop(&mut self) {
        if !self.sent {
            let _ = self.tx.send(Msg::Failed {
                seq: self.seq,
                reason: format!("record {} was never handed to the writer", self.seq),
            });
        }
    }
}

impl AuditLog {
    /// Open the log at `path` (creating it if missing), repairing a torn
    /// tail left by a crash; see [`recovery`](Self::recovery) for what was
    /// found. Segment files are `path`, `path.1`, `path.2`, ...
    pub fn open(path: impl AsRef<Path>, options: AuditLogOptions) -> Result<Self, AuditError> {
        options.check()?;
        let base = path.as_ref().to_path_buf();
        let lock = take_lock(&base)?;
        let state = load_or_create(&base, &options)?;
        let (tx, rx) = mpsc::sync_channel(options.queue_capacity);
        let shared = Arc::new(Shared {
            sequencer: Mutex::new(Sequencer {
                next_seq: state.next_seq,
                prev_hash: state.last_hash,
                last_time_ms: 0,
                closed: false,
            }),
            progress: Mutex::new(Progress {
                durable_next: state.next_seq,
                failed: None,
            }),
            durable_next: AtomicU64::new(state.next_seq),
            acked: Condvar::new(),
            tx,
            signer: RecordSigner::new(options.key.clone())?,
            failed: AtomicBool::new(false),
            signing: options.signing,
            wait_for_ack: options.durability != Durability::None,
            store_raw: options.store_raw_requests,
            max_summary_bytes: options.max_summary_bytes,
            redactor: match &options.redactor {
                Some(r) => r.clone(),
                None => EntryRedactor::privacy_default()?,
            },
        });
        let recovery = state.recovery.clone();
        let mut writer = Writer::new(base.clone(), state, options, Arc::clone(&shared), lock)?;
        let handle = std::thread::Builder::new()
            .name("nemoclaw-audit-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(AuditError::io(&base))?;
        Ok(Self {
            shared,
            writer: Mutex::new(Some(handle)),
            close_report: Mutex::new(None),
            recovery,
            base,
        })
    }

    /// What opening repaired, if the previous writer did not close the log.
    pub fn recovery(&self) -> Option<&RecoveryReport> {
        self.recovery.as_ref()
    }

    /// The log's base path (segment 0).
    pub fn path(&self) -> &Path {
        &self.base
    }

    /// Append one entry and wait until it is acknowledged.
    pub fn append(&self, entry: &AuditEntry) -> Result<AppendReceipt, AuditError> {
        self.submit(entry)?.wait()
    }

    /// Hand one entry to the writer and return without waiting, so one
    /// thread can have many appends in flight (they are still acknowledged
    /// only after the sync that covers them).
    pub fn submit(&self, entry: &AuditEntry) -> Result<PendingAppend<'_>, AuditError> {
        let shared = &*self.shared;
        let entry = prepare(shared, entry)?;
        let body = EncodedBody::new(&entry)?;
        if body.approx_len() > super::record::MAX_RECORD_BYTES {
            return Err(AuditError::InvalidOption(format!(
                "entry of about {} bytes is larger than a record may be",
                body.approx_len()
            )));
        }
        let (seq, bytes, leaf) = {
            let mut s = lock(&shared.sequencer);
            if s.closed {
                return Err(AuditError::Closed("the log was closed".into()));
            }
            if shared.failed.load(Ordering::Acquire) {
                let why = lock(&shared.progress).failed.clone().unwrap_or_default();
                return Err(AuditError::Closed(why));
            }
            let seq = s.next_seq;
            let time = now_ms().max(s.last_time_ms);
            let bytes = body.assemble(seq, time, &s.prev_hash);
            let leaf = record_hash(&bytes);
            s.next_seq += 1;
            s.prev_hash = leaf;
            s.last_time_ms = time;
            (seq, bytes, leaf)
        };
        let mut ticket = SeqTicket {
            tx: &shared.tx,
            seq,
            sent: false,
        };
        let mut frame = Vec::with_capacity(bytes.len() + 160);
        match shared.signing {
            SigningMode::EveryRecord => {
                let signed = shared.signer.sign(&bytes);
                encode_frame(FrameKind::SignedRecord, &signed, &mut frame)?;
            }
            SigningMode::CheckpointsOnly => encode_frame(FrameKind::Record, &bytes, &mut frame)?,
        }
        shared
            .tx
            .send(Msg::Record { seq, frame, leaf })
            .map_err(|_| AuditError::Closed("the writer has stopped".into()))?;
        ticket.sent = true;
        Ok(PendingAppend {
            log: self,
            receipt: AppendReceipt {
                seq,
                record_hash: leaf,
            },
        })
    }

    fn wait_durable(&self, seq: u64) -> Result<(), AuditError> {
        if !self.shared.wait_for_ack || self.shared.durable_next.load(Ordering::Acquire) > seq {
            return Ok(());
        }
        let mut p = lock(&self.shared.progress);
        loop {
            if p.durable_next > seq {
                return Ok(());
            }
            if let Some(why) = &p.failed {
                return Err(AuditError::Closed(why.clone()));
            }
            p = self
                .shared
                .acked
                .wait(p)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn next_seq(&self) -> u64 {
        lock(&self.shared.sequencer).next_seq
    }

    /// Write everything appended so far and `fdatasync` it.
    pub fn flush(&self) -> Result<(), AuditError> {
        self.barrier(false).map(|_| ())
    }

    /// Write a signed checkpoint over everything appended so far, sync it
    /// and return it.
    pub fn checkpoint(&self) -> Result<Checkpoint, AuditError> {
        self.barrier(true)?
            .ok_or_else(|| AuditError::Closed("no checkpoint was written".into()))
    }

    fn barrier(&self, checkpoint: bool) -> Result<Option<Checkpoint>, AuditError> {
        let (reply, rx) = mpsc::sync_channel(1);
        let upto = self.next_seq();
        self.shared
            .tx
            .send(Msg::Barrier {
                upto,
                checkpoint,
                reply,
            })
            .map_err(|_| AuditError::Closed("the writer has stopped".into()))?;
        rx.recv()
            .map_err(|_| AuditError::Closed("the writer has stopped".into()))?
    }

    /// Close the log: write everything, a final signed checkpoint, sync, and
    /// stop the writer. Later appends fail. Closing twice returns the first
    /// report.
    pub fn close(&self) -> Result<CloseReport, AuditError> {
        if let Some(r) = lock(&self.close_report).clone() {
            return Ok(r);
        }
        let upto = {
            let mut s = lock(&self.shared.sequencer);
            s.closed = true;
            s.next_seq
        };
        let (reply, rx) = mpsc::sync_channel(1);
        let sent = self.shared.tx.send(Msg::Close { upto, reply }).is_ok();
        let result = if sent {
            rx.recv()
                .map_err(|_| AuditError::Closed("the writer has stopped".into()))
                .and_then(|r| r)
        } else {
            Err(AuditError::Closed("the writer has stopped".into()))
        };
        if let Some(handle) = lock(&self.writer).take() {
            let _ = handle.join();
        }
        if let Ok(r) = &result {
            *lock(&self.close_report) = Some(r.clone());
        }
        result
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if lock(&self.writer).is_some() {
            let _ = self.close();
        }
    }
}

fn prepare<'a>(shared: &Shared, entry: &'a AuditEntry) -> Result<Cow<'a, AuditEntry>, AuditError> {
    let mut e = shared.redactor.redact(entry)?;
    if e.raw_request.is_some() && !shared.store_raw {
        e.to_mut().raw_request = None;
    }
    if e.summary.len() > shared.max_summary_bytes {
        let summary = &mut e.to_mut().summary;
        let mut cut = shared.max_summary_bytes;
        while !summary.is_char_boundary(cut) {
            cut -= 1;
        }
        summary.truncate(cut);
        summary.push('…');
    }
    Ok(e)
}

// ---- opening and recovery ----

fn take_lock(base: &Path) -> Result<File, AuditError> {
    if let Some(dir) = base.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(AuditError::io(dir))?;
    }
    let mut lock_path = base.as_os_str().to_os_string();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(AuditError::io(&lock_path))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        .map_err(|_| AuditError::Locked(base.display().to_string()))?;
    Ok(file)
}

/// Where the chain and the tree stand, as found on disk.
struct LoadedState {
    log_id: [u8; 16],
    segment: u64,
    segment_mode: SigningMode,
    segment_kid: String,
    file_len: u64,
    next_seq: u64,
    last_hash: Hash32,
    tree: CompactTree,
    recovery: Option<RecoveryReport>,
}

fn sync_dir(path: &Path) -> Result<(), AuditError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(AuditError::io(dir))
}

fn write_new_segment(
    path: &Path,
    header: &SegmentHeader,
    key: &KeyPair,
) -> Result<u64, AuditError> {
    let mut bytes = FILE_MAGIC.to_vec();
    encode_frame(FrameKind::Header, &header.sign(key)?, &mut bytes)?;
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(AuditError::io(path))?;
    f.write_all(&bytes).map_err(AuditError::io(path))?;
    f.sync_all().map_err(AuditError::io(path))?;
    sync_dir(path)?;
    Ok(bytes.len() as u64)
}

fn load_or_create(base: &Path, options: &AuditLogOptions) -> Result<LoadedState, AuditError> {
    let segments = list_segments(base);
    let Some(last) = segments.len().checked_sub(1) else {
        return create_log(base, options);
    };
    // The active segment is the last one with a whole header; a later file
    // holding no more than a torn header is what a crash while creating a
    // segment leaves: it is set aside, never deleted.
    let mut idx = last;
    loop {
        let path = &segments[idx];
        let data = fs::read(path).map_err(AuditError::io(path))?;
        let headerless = matches!(
            split_frames(&data),
            Ok((frames, FrameStop::TornTail { .. } | FrameStop::Clean)) if frames.is_empty()
        );
        if !headerless {
            break;
        }
        let saved = torn_path(path, 0);
        fs::rename(path, &saved).map_err(AuditError::io(path))?;
        if idx == 0 {
            return create_log(base, options);
        }
        idx -= 1;
    }
    let mut state = load_segment(&segments[idx], idx as u64)?;
    if idx < last {
        // finish the interrupted rotation: write the next segment's header
        let next = idx as u64 + 1;
        let path = segment_path(base, next);
        let header = SegmentHeader {
            version: 1,
            log_id: state.log_id,
            segment: next,
            first_seq: state.next_seq,
            prev_hash: state.last_hash,
            mode: options.signing,
            time_ms: now_ms(),
            peaks: state.tree.peaks().to_vec(),
        };
        state.file_len = write_new_segment(&path, &header, &options.key)?;
        state.segment = next;
        state.segment_mode = options.signing;
        state.segment_kid = options.key.kid().to_string();
        if state.recovery.is_none() {
            state.recovery = Some(RecoveryReport {
                segment: path,
                torn_offset: None,
                torn_bytes: 0,
                torn_saved_to: None,
                torn_reason: None,
                records: state.next_seq,
            });
        }
    }
    Ok(state)
}

fn create_log(base: &Path, options: &AuditLogOptions) -> Result<LoadedState, AuditError> {
    let mut log_id = [0u8; 16];
    OsRng.fill_bytes(&mut log_id);
    let header = SegmentHeader {
        version: 1,
        log_id,
        segment: 0,
        first_seq: 0,
        prev_hash: genesis_hash(&log_id),
        mode: options.signing,
        time_ms: now_ms(),
        peaks: Vec::new(),
    };
    let file_len = write_new_segment(base, &header, &options.key)?;
    Ok(LoadedState {
        log_id,
        segment: 0,
        segment_mode: options.signing,
        segment_kid: options.key.kid().to_string(),
        file_len,
        next_seq: 0,
        last_hash: header.prev_hash,
        tree: CompactTree::new(),
        recovery: None,
    })
}

fn torn_path(segment: &Path, offset: u64) -> PathBuf {
    let mut s = segment.as_os_str().to_os_string();
    s.push(format!(".torn-{offset}-{}", now_ms()));
    PathBuf::from(s)
}

/// Replay one segment: check its header, chain and sequence; cut a torn tail.
fn load_segment(path: &Path, n: u64) -> Result<LoadedState, AuditError> {
    let data = fs::read(path).map_err(AuditError::io(path))?;
    let (frames, stop) = split_frames(&data)?;
    let Some(((_, header_frame), rest)) = frames.split_first() else {
        return Err(AuditError::malformed("segment header", "missing"));
    };
    let (header, kid) = SegmentHeader::parse_unverified(header_frame.body)?;
    if header.segment != n {
        return Err(AuditError::ChainBroken(format!(
            "`{}` says it is segment {}, expected {n}",
            path.display(),
            header.segment
        )));
    }
    let mut tree = header.tree()?;
    let mut next_seq = header.first_seq;
    let mut last_hash = header.prev_hash;
    let mut closed = false;
    for (offset, frame) in rest {
        closed = false;
        let record = match frame.kind {
            FrameKind::Header => {
                return Err(AuditError::FrameCorrupt {
                    offset: *offset,
                    reason: "a second segment header".into(),
                })
            }
            FrameKind::Checkpoint => {
                let cp = checkpoint_unverified(frame.body)?;
                if cp.tree_size != next_seq || cp.root != tree.root() {
                    return Err(AuditError::CheckpointMismatch(format!(
                        "checkpoint at offset {offset} in `{}` does not match its records",
                        path.display()
                    )));
                }
                closed = cp.reason == CheckpointReason::Close;
                continue;
            }
            FrameKind::SignedRecord => Cow::Owned(record_unverified(frame.body)?),
            FrameKind::Record => Cow::Borrowed(frame.body),
        };
        let (seq, prev) = record_head(&record).ok_or_else(|| {
            AuditError::malformed(
                "record",
                format!("at offset {offset} has no sequence or link"),
            )
        })?;
        if seq != next_seq || prev != last_hash {
            return Err(AuditError::ChainBroken(format!(
                "record at offset {offset} in `{}` has seq {seq}, expected {next_seq}, or a wrong link",
                path.display()
            )));
        }
        let leaf = record_hash(&record);
        tree.push(leaf);
        last_hash = leaf;
        next_seq += 1;
    }
    let mut file_len = data.len() as u64;
    let mut recovery = None;
    match stop {
        FrameStop::Corrupt { offset, .. } => {
            return Err(AuditError::CorruptMiddle {
                path: path.display().to_string(),
                offset,
            })
        }
        FrameStop::TornTail { offset, reason } => {
            let torn = &data[offset as usize..];
            let saved = torn_path(path, offset);
            fs::write(&saved, torn).map_err(AuditError::io(&saved))?;
            let f = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(AuditError::io(path))?;
            f.set_len(offset).map_err(AuditError::io(path))?;
            f.sync_all().map_err(AuditError::io(path))?;
            file_len = offset;
            recovery = Some(RecoveryReport {
                segment: path.to_path_buf(),
                torn_offset: Some(offset),
                torn_bytes: torn.len() as u64,
                torn_saved_to: Some(saved),
                torn_reason: Some(reason),
                records: next_seq,
            });
        }
        FrameStop::Clean if !closed => {
            recovery = Some(RecoveryReport {
                segment: path.to_path_buf(),
                torn_offset: None,
                torn_bytes: 0,
                torn_saved_to: None,
                torn_reason: None,
                records: next_seq,
            });
        }
        FrameStop::Clean => {}
    }
    Ok(LoadedState {
        log_id: header.log_id,
        segment: n,
        segment_mode: header.mode,
        segment_kid: kid,
        file_len,
        next_seq,
        last_hash,
        tree,
        recovery,
    })
}

/// Sequence number and `prev` of a record, read from its fixed layout
/// without decoding the rest (the writer made it; the verifier decodes fully).
pub(crate) fn record_head(bytes: &[u8]) -> Option<(u64, Hash32)> {
    // map head, then key 0 and the sequence number
    let rest = bytes.get(1..)?;
    if *rest.first()? != 0 {
        return None;
    }
    let (seq, _) = read_uint(rest.get(1..)?)?;
    let n = bytes.len();
    let tail = bytes.get(n.checked_sub(35)?..)?;
    if tail[..3] != [0x17, 0x58, 0x20] {
        return None;
    }
    let mut prev = [0u8; 32];
    prev.copy_from_slice(&tail[3..]);
    Some((seq, prev))
}

fn read_uint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    if first >> 5 != 0 {
        return None;
    }
    let info = first & 0x1f;
    let (len, v) = match info {
        0..=23 => return Some((u64::from(info), 1)),
        24 => (1, u64::from(*b.get(1)?)),
        25 => (
            2,
            u64::from(u16::from_be_bytes(b.get(1..3)?.try_into().ok()?)),
        ),
        26 => (
            4,
            u64::from(u32::from_be_bytes(b.get(1..5)?.try_into().ok()?)),
        ),
        27 => (8, u64::from_be_bytes(b.get(1..9)?.try_into().ok()?)),
        _ => return None,
    };
    Some((v, 1 + len))
}

// ---- the writer thread ----

const FLUSH_BYTES: usize = 64 * 1024;
const IDLE_FLUSH: Duration = Duration::from_millis(5);
const MAX_UNWRITTEN: Duration = Duration::from_millis(200);
const NONE_BATCH_PAUSE: Duration = Duration::from_millis(1);

struct Writer {
    base: PathBuf,
    file: File,
    path: PathBuf,
    segment: u64,
    file_len: u64,
    buf: Vec<u8>,
    log_id: [u8; 16],
    tree: CompactTree,
    last_hash: Hash32,
    next_write: u64,
    pending: BTreeMap<u64, (Vec<u8>, Hash32)>,
    since_checkpoint: u64,
    last_checkpoint: Instant,
    /// When the last sync (or, with `Durability::None`, the last flush) ended.
    last_sync: Instant,
    /// When the last sync began: group commit spaces syncs by `interval`
    /// from start to start, so a sync slower than the interval is followed
    /// at once by the next one and the disk never idles while callers wait.
    last_sync_start: Instant,
    dirty: bool,
    /// The last wait for messages timed out.
    idle: bool,
    /// The last step wrote records.
    wrote_last: bool,
    /// Records below this are written to the file or the buffer.
    written_next: u64,
    barriers: Vec<(u64, bool, BarrierReply)>,
    closing: Option<(u64, SyncSender<Result<CloseReport, AuditError>>)>,
    failed: Option<String>,
    pending_recovery: Option<u64>,
    options: AuditLogOptions,
    shared: Arc<Shared>,
    _lock: File,
}

impl Writer {
    fn new(
        base: PathBuf,
        state: LoadedState,
        options: AuditLogOptions,
        shared: Arc<Shared>,
        lock: File,
    ) -> Result<Self, AuditError> {
        let path = segment_path(&base, state.segment);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(AuditError::io(&path))?;
        let now = Instant::now();
        let mut w = Self {
            base,
            file,
            path,
            segment: state.segment,
            file_len: state.file_len,
            buf: Vec::with_capacity(2 * FLUSH_BYTES),
            log_id: state.log_id,
            tree: state.tree,
            last_hash: state.last_hash,
            next_write: state.next_seq,
            pending: BTreeMap::new(),
            since_checkpoint: 0,
            last_checkpoint: now,
            last_sync: now,
            last_sync_start: now,
            dirty: false,
            idle: false,
            wrote_last: false,
            written_next: state.next_seq,
            barriers: Vec::new(),
            closing: None,
            failed: None,
            pending_recovery: state.recovery.as_ref().map(|r| r.torn_bytes),
            options,
            shared,
            _lock: lock,
        };
        // Never silently: a reopened log records that its previous writer did
        // not close it, in a signed recovery checkpoint.
        if let Some(torn) = w.pending_recovery.take() {
            w.write_checkpoint(CheckpointReason::Recovery, Some(torn))?;
            w.sync()?;
        }
        // A new key or signing mode starts a new segment.
        if state.segment_mode != w.options.signing || state.segment_kid != w.options.key.kid() {
            w.rotate()?;
        }
        Ok(w)
    }

    fn run(&mut self, rx: Receiver<Msg>) {
        loop {
            let timeout = self.next_timeout();
            let first = if let Some(pause) = self.batch_pause() {
                // let a batch gather without appenders having to wake us
                std::thread::sleep(pause);
                match rx.try_recv() {
                    Ok(m) => Some(m),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return self.shutdown(),
                }
            } else {
                match timeout {
                    Some(t) => match rx.recv_timeout(t) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return self.shutdown(),
                    },
                    None => match rx.recv() {
                        Ok(m) => Some(m),
                        Err(_) => return self.shutdown(),
                    },
                }
            };
            self.idle = first.is_none();
            if let Some(m) = first {
                self.accept(m);
                let mut n = 0;
                while n < 4096 {
                    match rx.try_recv() {
                        Ok(m) => self.accept(m),
                        Err(_) => break,
                    }
                    n += 1;
                }
            }
            if let Err(e) = self.step() {
                self.fail(e.to_string());
            }
            if let Some(why) = self.failed.clone() {
                for (_, _, reply) in self.barriers.drain(..) {
                    let _ = reply.send(Err(AuditError::Closed(why.clone())));
                }
                if let Some((_, reply)) = self.closing.take() {
                    let _ = reply.send(Err(AuditError::Closed(why)));
                    return;
                }
                // keep draining so appenders never block on a full queue
                continue;
            }
            if self
                .closing
                .as_ref()
                .is_some_and(|(upto, _)| self.next_write >= *upto)
            {
                let result = self.finish();
                if let Some((_, reply)) = self.closing.take() {
                    let _ = reply.send(result);
                }
                return;
            }
        }
    }

    fn shutdown(&mut self) {
        if self.failed.is_none() {
            let _ = self.step();
            let _ = self.flush_buf();
        }
    }

    /// How long to sleep before draining the queue again, when batching
    /// costs the callers nothing: in `None` mode nobody waits, and in group
    /// commit nobody is acknowledged before the next sync anyway.
    fn batch_pause(&self) -> Option<Duration> {
        if self.failed.is_some() || self.closing.is_some() || !self.barriers.is_empty() {
            return None;
        }
        match self.options.durability {
            Durability::None if self.wrote_last => Some(NONE_BATCH_PAUSE),
            Durability::GroupCommit { interval } if self.dirty => {
                let rest = interval.saturating_sub(self.last_sync_start.elapsed());
                (!rest.is_zero()).then_some(rest)
            }
            _ => None,
        }
    }

    fn next_timeout(&self) -> Option<Duration> {
        let mut t: Option<Duration> = None;
        let mut consider = |d: Duration| {
            t = Some(t.map_or(d, |x| x.min(d)));
        };
        if self.since_checkpoint > 0 {
            consider(
                self.options
                    .checkpoint_interval
                    .saturating_sub(self.last_checkpoint.elapsed()),
            );
        }
        if self.dirty {
            match self.options.durability {
                Durability::GroupCommit { interval } => {
                    consider(interval.saturating_sub(self.last_sync_start.elapsed()))
                }
                _ => consider(IDLE_FLUSH),
            }
        }
        t
    }

    fn accept(&mut self, msg: Msg) {
        match msg {
            Msg::Record { seq, frame, leaf } => {
                self.pending.insert(seq, (frame, leaf));
            }
            Msg::Failed { seq, reason } => {
                if seq >= self.next_write {
                    self.fail(reason);
                }
            }
            Msg::Barrier {
                upto,
                checkpoint,
                reply,
            } => self.barriers.push((upto, checkpoint, reply)),
            Msg::Close { upto, reply } => self.closing = Some((upto, reply)),
        }
    }

    fn fail(&mut self, why: String) {
        if self.failed.is_none() {
            let why = format!("audit writer failed: {why}");
            self.failed = Some(why.clone());
            let mut p = lock(&self.shared.progress);
            p.failed = Some(why);
            self.shared.failed.store(true, Ordering::Release);
            drop(p);
            self.shared.acked.notify_all();
        }
        self.pending.clear();
    }

    /// Write what can be written, then sync or flush as the mode says.
    fn step(&mut self) -> Result<(), AuditError> {
        if self.failed.is_some() {
            return Ok(());
        }
        let each = self.options.durability == Durability::FsyncEach;
        self.wrote_last = false;
        while let Some((frame, leaf)) = self.pending.remove(&self.next_write) {
            self.wrote_last = true;
            self.buf.extend_from_slice(&frame);
            self.tree.push(leaf);
            self.last_hash = leaf;
            self.next_write += 1;
            self.written_next = self.next_write;
            self.since_checkpoint += 1;
            self.dirty = true;
            if self.since_checkpoint >= self.options.checkpoint_every {
                self.write_checkpoint(CheckpointReason::Periodic, None)?;
            }
            if self.file_len + self.buf.len() as u64 >= self.options.max_segment_bytes {
                self.rotate()?;
            }
            if each {
                self.sync()?;
            } else if self.buf.len() >= 2 * FLUSH_BYTES {
                self.flush_chunks()?;
            }
        }
        if self.since_checkpoint > 0
            && self.last_checkpoint.elapsed() >= self.options.checkpoint_interval
        {
            self.write_checkpoint(CheckpointReason::Periodic, None)?;
        }
        // barriers whose records are all written
        let mut i = 0;
        while i < self.barriers.len() {
            if self.barriers[i].0 <= self.next_write {
                let (_, checkpoint, reply) = self.barriers.swap_remove(i);
                let result = if checkpoint {
                    self.write_checkpoint(CheckpointReason::Explicit, None)
                        .map(Some)
                } else {
                    Ok(None)
                }
                .and_then(|cp| self.sync().map(|()| cp));
                let _ = reply.send(result);
            } else {
                i += 1;
            }
        }
        if self.dirty {
            match self.options.durability {
                Durability::FsyncEach => self.sync()?,
                Durability::GroupCommit { interval } => {
                    if self.last_sync_start.elapsed() >= interval {
                        self.sync()?;
                    }
                }
                Durability::None => {
                    // callers did not wait; count them as accepted
                    self.publish(self.written_next);
                    // while appends stream in, only whole chunks are written;
                    // once the queue goes quiet, everything is
                    if self.idle || self.last_sync.elapsed() >= MAX_UNWRITTEN {
                        self.flush_buf()?;
                        self.last_sync = Instant::now();
                        self.dirty = false;
                    }
                }
            }
        }
        Ok(())
    }

    fn write_checkpoint(
        &mut self,
        reason: CheckpointReason,
        torn_bytes: Option<u64>,
    ) -> Result<Checkpoint, AuditError> {
        let cp = Checkpoint {
            log_id: self.log_id,
            segment: self.segment,
            tree_size: self.next_write,
            root: self.tree.root(),
            time_ms: now_ms(),
            reason,
            torn_bytes,
        };
        encode_frame(
            FrameKind::Checkpoint,
            &cp.sign(&self.options.key)?,
            &mut self.buf,
        )?;
        self.since_checkpoint = 0;
        self.last_checkpoint = Instant::now();
        self.dirty = true;
        Ok(cp)
    }

    fn flush_buf(&mut self) -> Result<(), AuditError> {
        if !self.buf.is_empty() {
            self.file
                .write_all(&self.buf)
                .map_err(AuditError::io(&self.path))?;
            self.file_len += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Write whole 64 KiB chunks and keep the rest buffered, as a buffered
    /// writer does (so a crash can leave a frame cut in half: a torn tail).
    fn flush_chunks(&mut self) -> Result<(), AuditError> {
        let n = self.buf.len() / FLUSH_BYTES * FLUSH_BYTES;
        if n > 0 {
            self.file
                .write_all(&self.buf[..n])
                .map_err(AuditError::io(&self.path))?;
            self.file_len += n as u64;
            self.buf.drain(..n);
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), AuditError> {
        self.last_sync_start = Instant::now();
        self.flush_buf()?;
        self.file.sync_data().map_err(AuditError::io(&self.path))?;
        self.dirty = false;
        self.last_sync = Instant::now();
        self.publish(self.written_next);
        Ok(())
    }

    fn publish(&self, durable_next: u64) {
        let mut p = lock(&self.shared.progress);
        if p.durable_next < durable_next {
            p.durable_next = durable_next;
            self.shared
                .durable_next
                .store(durable_next, Ordering::Release);
            drop(p);
            self.shared.acked.notify_all();
        }
    }

    fn rotate(&mut self) -> Result<(), AuditError> {
        self.write_checkpoint(CheckpointReason::Rotate, None)?;
        self.sync()?;
        let next = self.segment + 1;
        let path = segment_path(&self.base, next);
        let header = SegmentHeader {
            version: 1,
            log_id: self.log_id,
            segment: next,
            first_seq: self.next_write,
            prev_hash: self.last_hash,
            mode: self.options.signing,
            time_ms: now_ms(),
            peaks: self.tree.peaks().to_vec(),
        };
        let len = write_new_segment(&path, &header, &self.options.key)?;
        self.file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(AuditError::io(&path))?;
        self.path = path;
        self.segment = next;
        self.file_len = len;
        Ok(())
    }

    fn finish(&mut self) -> Result<CloseReport, AuditError> {
        self.step()?;
        let checkpoint = self.write_checkpoint(CheckpointReason::Close, None)?;
        self.sync()?;
        Ok(CloseReport {
            records: self.next_write,
            checkpoint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_head_reads_seq_and_prev() {
        use crate::audit::record::Record;
        for seq in [0u64, 23, 24, 255, 256, 65_536, 1 << 40] {
            let r = Record {
                seq,
                time_ms: 5,
                entry: AuditEntry::builder().summary("x").build(),
                prev_hash: [seq as u8; 32],
            };
            let bytes = r.to_cbor().unwrap();
            assert_eq!(record_head(&bytes), Some((seq, [seq as u8; 32])));
        }
        assert_eq!(record_head(b""), None);
        assert_eq!(record_head(&[0xa3, 0, 0x1c]), None);
    }

    #[test]
    fn segment_paths() {
        let b = Path::new("/x/audit.log");
        assert_eq!(segment_path(b, 0), PathBuf::from("/x/audit.log"));
        assert_eq!(segment_path(b, 12), PathBuf::from("/x/audit.log.12"));
    }
}
