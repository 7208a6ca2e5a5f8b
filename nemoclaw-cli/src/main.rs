//! `nemoclaw`: the command-line face of the NemoClaw SDK.
//!
//! Exit codes (DESIGN.md): 0 success, 1 negative verdict (token invalid,
//! audit broken, action denied), 2 usage or input error with a one-line
//! message on stderr.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit;
mod check;
mod intent_cmd;
mod keygen;
mod policy;
mod redact;
mod review;
mod sandbox;
mod token;

/// A failure a subcommand reports: its exit code and one line for stderr.
#[derive(Debug)]
pub struct Failure {
    /// 1 for a negative verdict, 2 for usage or input errors.
    pub exit: u8,
    /// The one-line message.
    pub message: String,
}

impl Failure {
    /// A usage or input error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: 2,
            message: message.into(),
        }
    }

    /// A negative verdict (exit 1).
    pub fn negative(message: impl Into<String>) -> Self {
        Self {
            exit: 1,
            message: message.into(),
        }
    }
}

/// Result of one subcommand.
pub type CliResult = Result<ExitCode, Failure>;

#[derive(Debug, Parser)]
#[command(
    name = "nemoclaw",
    version,
    about = "Security SDK for autonomous AI agents"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an Ed25519 key pair as COSE_Key files.
    Keygen(keygen::Args),
    /// Agentic Identity Tokens: issue, delegate, inspect, verify, prove.
    Token(token::Args),
    /// Verify, show and prove signed audit logs.
    Audit(audit::Args),
    /// Run a command in the sandbox; the exit status is the command's.
    Run(Box<sandbox::RunArgs>),
    /// Sandbox diagnostics (`doctor`).
    Sandbox(sandbox::SandboxArgs),
    /// Inspect the Intent Parser: the actions a request would perform.
    Intent(intent_cmd::Args),
    /// Find and transform PII, secrets and proprietary code in text (stdin or JSON lines).
    Redact(redact::RedactArgs),
    /// Put pseudonymized originals back into a text (stdin) from a sealed vault.
    Restore(redact::RestoreArgs),
    /// Judge a request (or `--jsonl` batch) against a policy pack.
    Check(Box<check::Args>),
    /// Validate, test and diff policy packs.
    Policy(policy::Args),
    /// Review escalation tickets: list, show, approve, deny.
    Review(review::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Keygen(args) => keygen::run(args),
        Command::Token(args) => token::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Run(args) => sandbox::run(*args),
        Command::Sandbox(args) => sandbox::sandbox(args),
        Command::Intent(args) => intent_cmd::run(args),
        Command::Redact(args) => redact::run_redact(args),
        Command::Restore(args) => redact::run_restore(args),
        Command::Check(args) => check::run(*args),
        Command::Policy(args) => policy::run(args),
        Command::Review(args) => review::run(args),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("nemoclaw: {}", failure.message.replace('\n', " "));
            ExitCode::from(failure.exit)
        }
    }
}
