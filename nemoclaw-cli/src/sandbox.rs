//! `nemoclaw run` and `nemoclaw sandbox doctor`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use nemoclaw_core::sandbox::{doctor, NetworkMode, Sandbox, SandboxProfile, Violation};

use crate::{CliResult, Failure};

/// `nemoclaw run [--workspace DIR] [--net MODE] [--mem SIZE] [--pids N] [--timeout T] -- CMD ARGS...`
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Read-write workspace, mounted at the same path; the command starts there.
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// Network: `none`, `loopback` or `allow:HOST,...`: only the listed hosts (`name`, `*.domain`,
    /// IP or network, each with an optional `:PORT`) through a host-side filtering proxy that
    /// the command reaches with `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` (set for it).
    #[arg(long, default_value = "none")]
    net: String,
    /// Memory limit of the whole sandbox (`512M`, `2G`, `none`).
    #[arg(long)]
    mem: Option<String>,
    /// Process and thread limit of the whole sandbox (`none` for no limit).
    #[arg(long)]
    pids: Option<String>,
    /// Wall-clock limit (`30s`, `5m`, `250ms`, `none`).
    #[arg(long)]
    timeout: Option<String>,
    /// CPU time per process (`10s`, `none`).
    #[arg(long)]
    cpu_time: Option<String>,
    /// Largest file a process may write (`100M`, `none`).
    #[arg(long)]
    file_size: Option<String>,
    /// Extra read-only path (repeatable).
    #[arg(long = "ro")]
    read_only: Vec<PathBuf>,
    /// Extra read-write path (repeatable).
    #[arg(long = "rw")]
    read_write: Vec<PathBuf>,
    /// Copy this environment variable from the caller (repeatable).
    #[arg(long = "env")]
    env: Vec<String>,
    /// Skip protections this machine cannot apply instead of refusing, and list them.
    #[arg(long)]
    best_effort: bool,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

/// `nemoclaw sandbox ...`
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    #[command(subcommand)]
    command: SandboxCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SandboxCommand {
    /// List each protection and whether this kernel and process can apply it.
    Doctor,
}

fn parse_size(text: &str) -> Result<Option<u64>, Failure> {
    if text == "none" || text == "unlimited" {
        return Ok(None);
    }
    let (digits, mult) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        None => (text, 1u64),
        Some((i, _)) => {
            let mult = match &text[i..] {
                "k" | "K" | "KiB" => 1 << 10,
                "m" | "M" | "MiB" => 1 << 20,
                "g" | "G" | "GiB" => 1 << 30,
                _ => {
                    return Err(Failure::usage(format!(
                        "invalid size `{text}` (use 512M, 2G or none)"
                    )))
                }
            };
            (&text[..i], mult)
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .map(Some)
        .ok_or_else(|| Failure::usage(format!("invalid size `{text}` (use 512M, 2G or none)")))
}

fn parse_duration(text: &str) -> Result<Option<Duration>, Failure> {
    if text == "none" || text == "unlimited" {
        return Ok(None);
    }
    let bad = || {
        Failure::usage(format!(
            "invalid duration `{text}` (use 30s, 5m, 250ms or none)"
        ))
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let value: f64 = text[..split].parse().map_err(|_| bad())?;
    let secs = match &text[split..] {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || secs <= 0.0 {
        return Err(bad());
    }
    Ok(Some(Duration::from_secs_f64(secs)))
}

fn parse_count(text: &str) -> Result<Option<u64>, Failure> {
    if text == "none" || text == "unlimited" {
        return Ok(None);
    }
    text.parse::<u64>()
        .map(Some)
        .map_err(|_| Failure::usage(format!("invalid count `{text}`")))
}

fn relay(mut from: std::fs::File, to_stdout: bool) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let ok = if to_stdout {
                let mut out = std::io::stdout().lock();
                out.write_all(&buf[..n]).and_then(|_| out.flush())
            } else {
                std::io::stderr().write_all(&buf[..n])
            };
            if ok.is_err() {
                break;
            }
        }
    })
}

pub fn run(args: RunArgs) -> CliResult {
    let network = NetworkMode::parse(&args.net).map_err(|e| Failure::usage(e.to_string()))?;
    let mut builder = SandboxProfile::builder()
        .network(network)
        .best_effort(args.best_effort);
    if let Some(w) = args.workspace {
        builder = builder.workspace(w);
    }
    if let Some(m) = &args.mem {
        builder = builder.memory(parse_size(m)?);
    }
    if let Some(p) = &args.pids {
        builder = builder.pids(parse_count(p)?);
    }
    if let Some(t) = &args.timeout {
        builder = builder.wall_time(parse_duration(t)?);
    }
    if let Some(t) = &args.cpu_time {
        builder = builder.cpu_time(parse_duration(t)?);
    }
    if let Some(s) = &args.file_size {
        builder = builder.file_size(parse_size(s)?);
    }
    for p in args.read_only {
        builder = builder.read_only(p);
    }
    for p in args.read_write {
        builder = builder.read_write(p);
    }
    for e in args.env {
        builder = builder.allow_env(e);
    }
    let profile = builder.build().map_err(|e| Failure::usage(e.to_string()))?;
    let mut running =
        Sandbox::spawn(&profile, &args.command).map_err(|e| Failure::usage(e.to_string()))?;
    if let Some(mut input) = running.stdin.take() {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut input);
        });
    }
    let out = running.stdout.take().map(|f| relay(f, true));
    let err = running.stderr.take().map(|f| relay(f, false));
    let outcome = running.wait().map_err(|e| Failure::usage(e.to_string()))?;
    for h in [out, err].into_iter().flatten() {
        let _ = h.join();
    }
    for skipped in &outcome.skipped {
        eprintln!(
            "nemoclaw: best effort: `{}` not applied: {}",
            skipped.protection, skipped.reason
        );
    }
    for v in &outcome.violations {
        let text = match v {
            Violation::WallTime(d) => {
                format!("wall-clock limit of {:?} reached; sandbox killed", d)
            }
            Violation::Memory { limit_bytes } => {
                format!("memory limit of {limit_bytes} bytes reached")
            }
            Violation::Pids { limit, refused } => {
                format!("process limit of {limit} reached ({refused} forks refused)")
            }
            Violation::CpuTime => "CPU time limit reached".into(),
            Violation::FileSize => "file size limit reached".into(),
            Violation::Seccomp => "killed by the seccomp filter".into(),
            Violation::OutputTruncated { limit_bytes } => {
                format!("output beyond {limit_bytes} bytes dropped")
            }
            Violation::Killed => "sandbox killed".into(),
            Violation::NetworkRefused { host, port, reason } => {
                format!("network: refused `{host}` port {port}: {reason}")
            }
            other => format!("{other:?}"),
        };
        eprintln!("nemoclaw: sandbox: {text}");
    }
    let code = outcome.status.code().clamp(0, 255);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(255)))
}

pub fn sandbox(args: SandboxArgs) -> CliResult {
    match args.command {
        SandboxCommand::Doctor => {
            let (lines, trial) = doctor();
            for line in &lines {
                println!(
                    "{:<4} {:<22} {}",
                    if line.available { "ok" } else { "no" },
                    line.protection.name(),
                    line.detail
                );
            }
            match trial {
                Ok(text) => {
                    println!("ok   trial                  {text}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(text) => {
                    println!("no   trial                  {text}");
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_and_durations() {
        assert_eq!(parse_size("512M").unwrap(), Some(512 << 20));
        assert_eq!(parse_size("2G").unwrap(), Some(2 << 30));
        assert_eq!(parse_size("none").unwrap(), None);
        assert!(parse_size("12Q").is_err());
        assert_eq!(
            parse_duration("30s").unwrap(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_duration("250ms").unwrap(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_duration("2m").unwrap(),
            Some(Duration::from_secs(120))
        );
        assert!(parse_duration("-1").is_err());
        assert_eq!(parse_count("64").unwrap(), Some(64));
    }
}
