//! `nemoclaw audit verify|show|prove|verify-proof`: offline checks of a
//! signed audit log.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nemoclaw_core::audit::{
    list_segments, peek_header, prove_consistency, prove_inclusion, read_log, verify_log,
    ConsistencyProof, InclusionProof, LogItem, SigningMode, VerifyOptions, VerifyReport,
};
use nemoclaw_core::identity::PublicKey;
use serde_json::json;

use crate::{CliResult, Failure};

/// `nemoclaw audit ...`
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Check every frame, signature, link and checkpoint; name the first bad record.
    ///
    /// Exit 0 when the log verifies, 1 when it does not, 2 on usage or input errors.
    Verify(VerifyArgs),
    /// Print the records and checkpoints of a log (signatures not checked).
    Show(ShowArgs),
    /// Print an inclusion proof for a record, or a consistency proof between
    /// two checkpoints, as JSON that verifies offline.
    Prove(ProveArgs),
    /// Verify a proof made by `audit prove` with the guard's public key.
    VerifyProof(VerifyProofArgs),
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// Log files: the base path (its rotated segments `LOG.1`, `LOG.2`, ... are
    /// included) or individual segment files.
    #[arg(required = true)]
    logs: Vec<PathBuf>,
    /// Trusted guard public key (COSE_Key file); repeat for several.
    #[arg(long = "trust", required = true)]
    trust: Vec<PathBuf>,
    /// Agent public key for checking co-signatures; repeat for several.
    #[arg(long = "agent-key")]
    agent_keys: Vec<PathBuf>,
    /// Accept a log that is still open or whose writer crashed (a torn tail
    /// or a missing closing checkpoint become warnings).
    #[arg(long)]
    allow_open: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// Log files (base path or segments).
    #[arg(required = true)]
    logs: Vec<PathBuf>,
    /// One JSON object per frame and line.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["seq", "from_size"])))]
struct ProveArgs {
    /// Log files (base path or segments, from segment 0).
    #[arg(required = true)]
    logs: Vec<PathBuf>,
    /// Prove that record N is in the log (against the latest checkpoint).
    #[arg(long)]
    seq: Option<u64>,
    /// Prove that the log extends its checkpoint of this tree size.
    #[arg(long)]
    from_size: Option<u64>,
    /// With `--from-size`: the later checkpoint's tree size (default: latest).
    #[arg(long, requires = "from_size")]
    to_size: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct VerifyProofArgs {
    /// The proof JSON file (`-` for stdin).
    proof: PathBuf,
    /// Trusted guard public key (COSE_Key file); repeat for several.
    #[arg(long = "trust", required = true)]
    trust: Vec<PathBuf>,
}

pub fn run(args: Args) -> CliResult {
    match args.command {
        Command::Verify(a) => verify(a),
        Command::Show(a) => show(a),
        Command::Prove(a) => prove(a),
        Command::VerifyProof(a) => verify_proof(a),
    }
}

fn read_keys(paths: &[PathBuf]) -> Result<Vec<PublicKey>, Failure> {
    paths
        .iter()
        .map(|p| PublicKey::read_file(p).map_err(|e| Failure::usage(e.to_string())))
        .collect()
}

/// Expand base paths to all their segments; keep explicit segment files.
fn expand_logs(logs: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut out = BTreeSet::new();
    for p in logs {
        if !p.exists() {
            return Err(Failure::usage(format!(
                "log file `{}` does not exist",
                p.display()
            )));
        }
        let is_base = peek_header(p).map(|(h, _)| h.segment == 0).unwrap_or(false);
        if is_base {
            out.extend(list_segments(p));
        } else {
            out.insert(p.clone());
        }
    }
    Ok(out.into_iter().collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn verify(a: VerifyArgs) -> CliResult {
    let options = VerifyOptions {
        trusted: read_keys(&a.trust)?,
        agent_keys: read_keys(&a.agent_keys)?,
        allow_open: a.allow_open,
    };
    let logs = expand_logs(&a.logs)?;
    let report = verify_log(&logs, &options);
    if a.json {
        println!("{}", report_json(&report));
    } else {
        for w in report.recoveries.iter().chain(&report.warnings) {
            eprintln!("nemoclaw: warning: {w}");
        }
    }
    match &report.failure {
        None => {
            if !a.json {
                let root = report
                    .last_checkpoint
                    .as_ref()
                    .map(|c| format!(", tree size {} root {}", c.tree_size, hex(&c.root)))
                    .unwrap_or_default();
                println!(
                    "ok: {} records in {} segment(s), {} checkpoints{root}",
                    report.records, report.segments, report.checkpoints
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(f) => Err(Failure::negative(format!(
            "audit log does not verify: {f} [{}]",
            f.code()
        ))),
    }
}

fn report_json(r: &VerifyReport) -> serde_json::Value {
    json!({
        "ok": r.is_ok(),
        "segments": r.segments,
        "records": r.records,
        "first_seq": r.first_seq,
        "checkpoints": r.checkpoints,
        "tree_size": r.last_checkpoint.as_ref().map(|c| c.tree_size),
        "root": r.last_checkpoint.as_ref().map(|c| hex(&c.root)),
        "cosignatures_verified": r.cosignatures_verified,
        "cosignatures_unchecked": r.cosignatures_unchecked,
        "recoveries": r.recoveries,
        "warnings": r.warnings,
        "failure": r.failure.as_ref().map(|f| json!({
            "file": f.file.display().to_string(),
            "offset": f.offset,
            "seq": f.seq,
            "frame": f.frame.map(|k| k.as_str()),
            "code": f.code().name(),
            "reason": f.error.to_string(),
        })),
    })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` from milliseconds since the Unix epoch.
fn iso_time(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // civil-from-days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

fn show(a: ShowArgs) -> CliResult {
    let logs = expand_logs(&a.logs)?;
    let items = read_log(&logs).map_err(|e| Failure::usage(e.to_string()))?;
    let mut damaged = false;
    for item in &items {
        if a.json {
            println!("{}", item_json(item));
        } else {
            println!("{}", item_text(item));
        }
        damaged |= matches!(item, LogItem::Damaged { .. });
    }
    if damaged {
        return Err(Failure::negative(
            "the log is damaged; run `nemoclaw audit verify` for details",
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn item_json(item: &LogItem) -> serde_json::Value {
    match item {
        LogItem::Header {
            file,
            offset,
            header,
            kid,
        } => json!({
            "type": "header",
            "file": file.display().to_string(),
            "offset": offset,
            "log_id": hex(&header.log_id),
            "segment": header.segment,
            "first_seq": header.first_seq,
            "signing": match header.mode {
                SigningMode::EveryRecord => "every_record",
                SigningMode::CheckpointsOnly => "checkpoints_only",
            },
            "time_ms": header.time_ms,
            "kid": kid,
        }),
        LogItem::Record {
            file,
            offset,
            record,
            signed,
            hash,
        } => json!({
            "type": "record",
            "file": file.display().to_string(),
            "offset": offset,
            "seq": record.seq,
            "time_ms": record.time_ms,
            "signed": signed,
            "hash": hex(hash),
            "prev_hash": hex(&record.prev_hash),
            "entry": &record.entry,
        }),
        LogItem::Checkpoint {
            file,
            offset,
            checkpoint,
        } => json!({
            "type": "checkpoint",
            "file": file.display().to_string(),
            "offset": offset,
            "tree_size": checkpoint.tree_size,
            "root": hex(&checkpoint.root),
            "reason": checkpoint.reason.as_str(),
            "torn_bytes": checkpoint.torn_bytes,
            "time_ms": checkpoint.time_ms,
        }),
        LogItem::Damaged {
            file,
            offset,
            reason,
        } => json!({
            "type": "damaged",
            "file": file.display().to_string(),
            "offset": offset,
            "reason": reason,
        }),
    }
}

fn item_text(item: &LogItem) -> String {
    match item {
        LogItem::Header {
            file, header, kid, ..
        } => format!(
            "== {} segment {} of log {} from record {} ({} signing, key `{kid}`, {})",
            file.display(),
            header.segment,
            hex(&header.log_id),
            header.first_seq,
            match header.mode {
                SigningMode::EveryRecord => "per-record",
                SigningMode::CheckpointsOnly => "checkpoint-only",
            },
            iso_time(header.time_ms)
        ),
        LogItem::Record { record, hash, .. } => {
            let e = &record.entry;
            let verdict = e
                .verdict
                .as_ref()
                .map(|v| format!("{} [{}]", v.decision.as_str(), v.policy_ids.join(",")))
                .unwrap_or_else(|| "-".into());
            let actor = e.actor.as_ref().map_or("-", |a| a.agent_id.as_str());
            let mut line = format!(
                "#{} {} {actor} {verdict} {:?} actions={}",
                record.seq,
                iso_time(record.time_ms),
                e.summary,
                e.actions.len()
            );
            if !e.reviews.is_empty() {
                line.push_str(&format!(" reviews={}", e.reviews.len()));
            }
            if let Some(s) = &e.sandbox {
                match (s.exit_code, s.signal, &s.refused) {
                    (_, _, Some(r)) => line.push_str(&format!(" sandbox=refused({r})")),
                    (Some(c), _, _) => line.push_str(&format!(" sandbox=exit({c})")),
                    (_, Some(sig), _) => line.push_str(&format!(" sandbox=signal({sig})")),
                    _ => line.push_str(" sandbox=?"),
                }
            }
            line.push_str(&format!(" hash={}", &hex(hash)[..16]));
            line
        }
        LogItem::Checkpoint { checkpoint, .. } => format!(
            "-- checkpoint ({}) tree size {} root {} {}{}",
            checkpoint.reason.as_str(),
            checkpoint.tree_size,
            hex(&checkpoint.root),
            iso_time(checkpoint.time_ms),
            checkpoint
                .torn_bytes
                .map(|n| format!(" torn bytes cut: {n}"))
                .unwrap_or_default()
        ),
        LogItem::Damaged {
            file,
            offset,
            reason,
        } => format!("!! {} offset {offset}: {reason}", file.display()),
    }
}

fn prove(a: ProveArgs) -> CliResult {
    let logs = expand_logs(&a.logs)?;
    let text = match (a.seq, a.from_size) {
        (Some(seq), _) => {
            let proof = prove_inclusion(&logs, seq).map_err(|e| Failure::usage(e.to_string()))?;
            serde_json::to_string_pretty(&proof)
        }
        (None, Some(from)) => {
            let proof = prove_consistency(&logs, from, a.to_size)
                .map_err(|e| Failure::usage(e.to_string()))?;
            serde_json::to_string_pretty(&proof)
        }
        (None, None) => return Err(Failure::usage("give `--seq N` or `--from-size M`")),
    }
    .map_err(|e| Failure::usage(format!("cannot encode the proof: {e}")))?;
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn read_input(path: &Path) -> Result<String, Failure> {
    let read = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    };
    read.map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", path.display())))
}

fn verify_proof(a: VerifyProofArgs) -> CliResult {
    let trusted = read_keys(&a.trust)?;
    let text = read_input(&a.proof)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("proof is not JSON: {e}")))?;
    let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    match kind {
        "nemoclaw-audit-inclusion-v1" => {
            let proof: InclusionProof = serde_json::from_value(value)
                .map_err(|e| Failure::usage(format!("malformed inclusion proof: {e}")))?;
            let proven = proof
                .verify(&trusted)
                .map_err(|e| Failure::negative(format!("proof does not verify: {e}")))?;
            println!(
                "ok: record {} ({:?}) is in log {} at tree size {} (root {}, checkpoint signed by `{}`)",
                proven.record.seq,
                proven.record.entry.summary,
                hex(&proven.checkpoint.log_id),
                proven.checkpoint.tree_size,
                hex(&proven.checkpoint.root),
                proven.kid
            );
        }
        "nemoclaw-audit-consistency-v1" => {
            let proof: ConsistencyProof = serde_json::from_value(value)
                .map_err(|e| Failure::usage(format!("malformed consistency proof: {e}")))?;
            let (old, new) = proof
                .verify(&trusted)
                .map_err(|e| Failure::negative(format!("proof does not verify: {e}")))?;
            println!(
                "ok: log {} at tree size {} (root {}) extends tree size {} (root {})",
                hex(&new.log_id),
                new.tree_size,
                hex(&new.root),
                old.tree_size,
                hex(&old.root)
            );
        }
        other => return Err(Failure::usage(format!("unknown proof kind `{other}`"))),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_time_formats_utc() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso_time(1_795_999_999_999), "2026-11-30T00:53:19.999Z");
    }
}
