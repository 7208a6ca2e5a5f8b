//! `nemoclaw redact` and `nemoclaw restore`.
//!
//! `redact` reads text on stdin and writes the redacted text to stdout,
//! streaming (bounded memory), or with `--jsonl` reads lines
//! `{"id", "text"}` and writes `{"id", "text", "spans": [{"start", "end",
//! "label", "score", "detector"}], "latency_us"}` with code-point offsets
//! into the input text. A malformed line yields `{"id", "error": {"code",
//! "message"}}` for that line and processing goes on.

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use nemoclaw_core::privacy::offsets::byte_to_char_offsets;
use nemoclaw_core::privacy::{
    CodeFingerprints, Dictionary, OperatorConfig, PrivacyError, Redactor, Session, StreamRedactor,
    VaultKey,
};
use serde_json::{json, Value};

use crate::{CliResult, Failure};

/// `nemoclaw redact [--jsonl] [--operator OP|LABEL=OP]... [--labels L,..] [--no-ner] ...`
#[derive(Debug, clap::Args)]
pub struct RedactArgs {
    /// Read JSON lines `{"id", "text"}` and write one result line each.
    #[arg(long)]
    jsonl: bool,
    /// Do not run the NER model (patterns, secrets, dictionaries and code only).
    #[arg(long)]
    no_ner: bool,
    /// Operator: `OP` for every label or `LABEL=OP`; OP is keep, redact,
    /// replace (default), mask[:N], pseudonymize, hash, generalize. Repeatable.
    #[arg(long = "operator", value_name = "[LABEL=]OP")]
    operators: Vec<String>,
    /// Report and transform only these labels (comma-separated).
    #[arg(long, value_delimiter = ',')]
    labels: Vec<String>,
    /// Drop spans scoring below this.
    #[arg(long, default_value_t = 0.5)]
    min_score: f32,
    /// Dictionary file: one term per line, or `LABEL<TAB>term`.
    #[arg(long)]
    dictionary: Vec<PathBuf>,
    /// Match dictionary terms regardless of ASCII case.
    #[arg(long)]
    ignore_case: bool,
    /// Register a codebase directory: copied fragments are flagged.
    #[arg(long)]
    codebase: Option<PathBuf>,
    /// Key file (64 hex digits) sealing the pseudonym vault.
    #[arg(long, requires = "vault")]
    key: Option<PathBuf>,
    /// Vault file: resumed if it exists, written (sealed) at the end.
    #[arg(long, requires = "key")]
    vault: Option<PathBuf>,
    /// Session id bound into the vault.
    #[arg(long, default_value = "default")]
    session: String,
}

/// `nemoclaw restore --key FILE --vault FILE [--session ID]`
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Key file (64 hex digits).
    #[arg(long)]
    key: PathBuf,
    /// Vault file written by `nemoclaw redact --vault`.
    #[arg(long)]
    vault: PathBuf,
    /// Session id the vault was sealed for.
    #[arg(long, default_value = "default")]
    session: String,
}

fn usage(e: impl std::fmt::Display) -> Failure {
    Failure::usage(e.to_string())
}

fn read_key(path: &PathBuf) -> Result<VaultKey, Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| usage(format!("key file `{}`: {e}", path.display())))?;
    match std::str::from_utf8(&bytes) {
        Ok(text) if text.trim().len() == 64 => VaultKey::from_hex(text).map_err(usage),
        _ => VaultKey::from_bytes(&bytes).map_err(usage),
    }
}

fn open_session(
    key: &Option<PathBuf>,
    vault: &Option<PathBuf>,
    id: &str,
) -> Result<Session, Failure> {
    match (key, vault) {
        (Some(k), Some(v)) => {
            let key = read_key(k)?;
            match std::fs::read(v) {
                Ok(bytes) => Session::resume(id, key, &bytes).map_err(usage),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Session::new(id, key)),
                Err(e) => Err(usage(format!("vault file `{}`: {e}", v.display()))),
            }
        }
        _ => Ok(Session::ephemeral()),
    }
}

fn build_redactor(args: &RedactArgs) -> Result<Redactor, PrivacyError> {
    let ops = OperatorConfig::parse_settings(args.operators.iter().map(String::as_str))?;
    let mut b = Redactor::builder().operators(ops).min_score(args.min_score);
    if !args.labels.is_empty() {
        b = b.labels(args.labels.iter().map(|l| l.trim().to_string()));
    }
    for d in &args.dictionary {
        b = b.dictionary(Dictionary::from_file(d, args.ignore_case, true)?);
    }
    if let Some(dir) = &args.codebase {
        b = b.codebase(CodeFingerprints::builder().add_dir(dir)?.build());
    }
    // NER is on unless `--no-ner`: a missing model is an error naming where
    // it was looked for, never a silent run with less protection.
    #[cfg(feature = "ner")]
    if !args.no_ner {
        b = b.detector(std::sync::Arc::new(
            nemoclaw_core::privacy::detectors::NerDetector::load_default()?,
        ));
    }
    #[cfg(not(feature = "ner"))]
    if !args.no_ner {
        return Err(PrivacyError::Detector {
            detector: "ner".into(),
            reason: "this build has no NER (cargo feature `ner`); pass `--no-ner` to run the other detectors".into(),
        });
    }
    let redactor = b.build()?;
    // Warm up lazily loaded tables (phone metadata) so the first line's
    // latency is not skewed.
    redactor.analyze("call +1 212 555 0100 or a@b.io")?;
    Ok(redactor)
}

pub fn run_redact(args: RedactArgs) -> CliResult {
    let redactor = build_redactor(&args).map_err(usage)?;
    let mut session = open_session(&args.key, &args.vault, &args.session)?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let io = |e: std::io::Error| usage(format!("i/o: {e}"));
    if args.jsonl {
        for line in stdin.lock().lines() {
            let line = line.map_err(io)?;
            if line.trim().is_empty() {
                continue;
            }
            let result = jsonl_line(&redactor, &line, &mut session);
            serde_json::to_writer(&mut out, &result).map_err(|e| usage(format!("output: {e}")))?;
            out.write_all(b"\n").map_err(io)?;
        }
    } else {
        let mut stream = StreamRedactor::with_defaults(&redactor);
        let mut reader = stdin.lock();
        let mut buf = vec![0u8; 64 * 1024];
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let n = reader.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            carry.extend_from_slice(&buf[..n]);
            // Pass on only whole UTF-8 characters; keep an incomplete tail.
            let valid = match std::str::from_utf8(&carry) {
                Ok(_) => carry.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(e) => {
                    return Err(usage(format!(
                        "input is not UTF-8 at byte {}",
                        e.valid_up_to()
                    )))
                }
            };
            let text = std::str::from_utf8(&carry[..valid])
                .map_err(|e| usage(format!("input is not UTF-8: {e}")))?;
            let emitted = stream.push(text, &mut session).map_err(usage)?;
            out.write_all(emitted.as_bytes()).map_err(io)?;
            carry.drain(..valid);
        }
        if !carry.is_empty() {
            return Err(usage("input ends inside a UTF-8 character"));
        }
        let rest = stream.finish(&mut session).map_err(usage)?;
        out.write_all(rest.as_bytes()).map_err(io)?;
    }
    out.flush().map_err(io)?;
    if let Some(v) = &args.vault {
        let sealed = session.seal().map_err(usage)?;
        std::fs::write(v, sealed)
            .map_err(|e| usage(format!("vault file `{}`: {e}", v.display())))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn error_line(id: Value, code: &str, message: String) -> Value {
    json!({"id": id, "error": {"code": code, "message": message}})
}

fn jsonl_line(redactor: &Redactor, line: &str, session: &mut Session) -> Value {
    let t0 = Instant::now();
    let v: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return error_line(
                Value::Null,
                "invalid_argument",
                format!("line is not JSON: {e}"),
            )
        }
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    let Some(text) = v.get("text").and_then(Value::as_str) else {
        return error_line(
            id,
            "invalid_argument",
            "line needs a string field `text`".into(),
        );
    };
    let red = match redactor.redact(text, session) {
        Ok(r) => r,
        Err(e) => return error_line(id, e.code().name(), e.to_string()),
    };
    let mut offs = Vec::with_capacity(red.spans.len() * 2);
    for s in &red.spans {
        offs.push(s.start);
        offs.push(s.end);
    }
    let chars = byte_to_char_offsets(text, &offs);
    let spans: Vec<Value> = red
        .spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut o = json!({
                "start": chars[2 * i],
                "end": chars[2 * i + 1],
                "label": s.label,
                "score": (f64::from(s.score) * 1000.0).round() / 1000.0,
                "detector": s.detector,
            });
            if let (Some(src), Some(obj)) = (&s.source, o.as_object_mut()) {
                obj.insert("source".into(), json!(src));
            }
            o
        })
        .collect();
    json!({
        "id": id,
        "text": red.text,
        "spans": spans,
        "latency_us": t0.elapsed().as_micros() as u64,
    })
}

pub fn run_restore(args: RestoreArgs) -> CliResult {
    let session = open_session(
        &Some(args.key.clone()),
        &Some(args.vault.clone()),
        &args.session,
    )?;
    if session.vault().is_empty() && !args.vault.exists() {
        return Err(usage(format!(
            "vault file `{}` does not exist",
            args.vault.display()
        )));
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| usage(format!("input is not UTF-8: {e}")))?;
    let mut out = std::io::stdout().lock();
    out.write_all(session.restore(&text).as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| usage(format!("i/o: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
