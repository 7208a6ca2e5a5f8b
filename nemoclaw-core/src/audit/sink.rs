//! Where audit entries go: the signed log file, JSON lines, a user callback,
//! or several of them at once. The [`Guard`](crate) holds an
//! `Arc<dyn AuditSink>` and calls it on every check; a sink error makes the
//! guard fail closed.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::entry::{AuditEntry, Hash32};
use super::log::{now_ms, AuditLog};
use super::redact::EntryRedactor;
use super::AuditError;

/// The entry as a sink may store it: through `redactor`, or the default
/// privacy redactor when none was set.
fn redacted<'a>(
    redactor: Option<&EntryRedactor>,
    entry: &'a AuditEntry,
) -> Result<std::borrow::Cow<'a, AuditEntry>, AuditError> {
    match redactor {
        Some(r) => r.redact(entry),
        None => EntryRedactor::privacy_default()?.redact(entry),
    }
}

/// What a sink returns for an accepted entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuditReceipt {
    /// The record's sequence number, for sinks that number records.
    pub seq: Option<u64>,
    /// The record hash, for sinks that chain records.
    pub record_hash: Option<Hash32>,
}

/// A destination for audit entries.
///
/// Implementations must be cheap to call from many threads at once and must
/// return an error, never panic, when an entry cannot be taken: the caller
/// treats an error as "not audited" and fails closed.
pub trait AuditSink: Send + Sync {
    /// Take one entry. Returns once the entry is as durable as the sink
    /// promises.
    fn record(&self, entry: &AuditEntry) -> Result<AuditReceipt, AuditError>;

    /// Push out anything buffered.
    fn flush(&self) -> Result<(), AuditError> {
        Ok(())
    }
}

impl AuditSink for AuditLog {
    fn record(&self, entry: &AuditEntry) -> Result<AuditReceipt, AuditError> {
        let r = self.append(entry)?;
        Ok(AuditReceipt {
            seq: Some(r.seq),
            record_hash: Some(r.record_hash),
        })
    }

    fn flush(&self) -> Result<(), AuditError> {
        AuditLog::flush(self)
    }
}

#[derive(Serialize)]
struct JsonLine<'a> {
    time_ms: u64,
    #[serde(flatten)]
    entry: &'a AuditEntry,
}

/// Writes one JSON object per entry and line: the entry's fields (digests in
/// hex, actions as `nemoclaw check` prints them) plus `time_ms`. Text fields
/// pass through the redactor (default [`EntryRedactor::privacy_default`]);
/// raw requests are left out unless [`with_raw_requests`](Self::with_raw_requests).
pub struct JsonLinesSink {
    out: Mutex<Box<dyn Write + Send>>,
    raw: bool,
    redactor: Option<EntryRedactor>,
}

impl std::fmt::Debug for JsonLinesSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLinesSink")
            .field("raw", &self.raw)
            .finish_non_exhaustive()
    }
}

impl JsonLinesSink {
    /// Lines to standard output.
    pub fn stdout() -> Self {
        Self::new(Box::new(std::io::stdout()))
    }

    /// Lines to any writer (a file, a socket, a buffer).
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            out: Mutex::new(out),
            raw: false,
            redactor: None,
        }
    }

    /// Include raw requests when entries carry them.
    pub fn with_raw_requests(mut self, yes: bool) -> Self {
        self.raw = yes;
        self
    }

    /// Redact text fields with this instead of the default.
    pub fn redactor(mut self, redactor: EntryRedactor) -> Self {
        self.redactor = Some(redactor);
        self
    }
}

impl AuditSink for JsonLinesSink {
    fn record(&self, entry: &AuditEntry) -> Result<AuditReceipt, AuditError> {
        let mut entry = redacted(self.redactor.as_ref(), entry)?;
        if entry.raw_request.is_some() && !self.raw {
            entry.to_mut().raw_request = None;
        }
        let mut line = serde_json::to_vec(&JsonLine {
            time_ms: now_ms(),
            entry: &entry,
        })
        .map_err(|e| AuditError::SinkFailed(format!("cannot encode entry as JSON: {e}")))?;
        line.push(b'\n');
        let mut out = self
            .out
            .lock()
            .map_err(|_| AuditError::SinkFailed("JSON lines writer was poisoned".into()))?;
        out.write_all(&line)
            .map_err(|e| AuditError::SinkFailed(format!("cannot write JSON line: {e}")))?;
        Ok(AuditReceipt::default())
    }

    fn flush(&self) -> Result<(), AuditError> {
        self.out
            .lock()
            .map_err(|_| AuditError::SinkFailed("JSON lines writer was poisoned".into()))?
            .flush()
            .map_err(|e| AuditError::SinkFailed(format!("cannot flush JSON lines: {e}")))
    }
}

/// The callback type of [`CallbackSink`].
pub type AuditCallback = dyn Fn(&AuditEntry) -> Result<(), String> + Send + Sync;

/// Hands every entry to a user function (for export to a collector, a
/// metrics system, a test), after the redactor (default
/// [`EntryRedactor::privacy_default`]). An `Err` from the function is
/// reported as [`AuditError::SinkFailed`].
pub struct CallbackSink {
    callback: Arc<AuditCallback>,
    redactor: Option<EntryRedactor>,
}

impl std::fmt::Debug for CallbackSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackSink").finish_non_exhaustive()
    }
}

impl CallbackSink {
    /// Wrap a function.
    pub fn new(
        callback: impl Fn(&AuditEntry) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            callback: Arc::new(callback),
            redactor: None,
        }
    }

    /// Redact text fields with this instead of the default.
    pub fn redactor(mut self, redactor: EntryRedactor) -> Self {
        self.redactor = Some(redactor);
        self
    }
}

impl AuditSink for CallbackSink {
    fn record(&self, entry: &AuditEntry) -> Result<AuditReceipt, AuditError> {
        let entry = redacted(self.redactor.as_ref(), entry)?;
        (self.callback)(&entry).map_err(AuditError::SinkFailed)?;
        Ok(AuditReceipt::default())
    }
}

/// Sends every entry to several sinks in order; fails on the first error.
/// The receipt is the first one that carries a sequence number.
#[derive(Default)]
pub struct TeeSink {
    sinks: Vec<Arc<dyn AuditSink>>,
}

impl std::fmt::Debug for TeeSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeeSink")
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl TeeSink {
    /// No sinks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a sink.
    pub fn with(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.sinks.push(sink);
        self
    }
}

impl AuditSink for TeeSink {
    fn record(&self, entry: &AuditEntry) -> Result<AuditReceipt, AuditError> {
        let mut receipt = AuditReceipt::default();
        for sink in &self.sinks {
            let r = sink.record(entry)?;
            if receipt.seq.is_none() {
                receipt = r;
            }
        }
        Ok(receipt)
    }

    fn flush(&self) -> Result<(), AuditError> {
        for sink in &self.sinks {
            sink.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_and_callback() {
        let buf = Shared::default();
        let json = Arc::new(JsonLinesSink::new(Box::new(buf.clone())));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = Arc::clone(&seen);
        let cb = Arc::new(CallbackSink::new(move |e: &AuditEntry| {
            seen2.lock().unwrap().push(e.summary.clone());
            Ok(())
        }));
        let tee = TeeSink::new().with(json).with(cb);
        let entry = AuditEntry::builder()
            .request(b"ls")
            .summary("ls")
            .raw_request("ls --secret=hunter2")
            .build();
        tee.record(&entry).unwrap();
        tee.flush().unwrap();
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(v["summary"], "ls");
        assert_eq!(
            v["request_digest"],
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"ls"))
        );
        assert!(v.get("raw_request").is_none(), "raw request leaked: {text}");
        assert!(v["time_ms"].as_u64().unwrap() > 0);
        assert_eq!(*seen.lock().unwrap(), vec!["ls".to_string()]);
    }

    #[test]
    fn callback_error_is_reported() {
        let cb = CallbackSink::new(|_| Err("collector down".into()));
        let err = cb.record(&AuditEntry::builder().build()).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::AuditSinkFailed);
        assert!(err.to_string().contains("collector down"));
    }
}
