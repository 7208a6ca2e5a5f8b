//! `nemoclaw policy validate|test|diff`: check a pack before deploying it.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use nemoclaw_core::policy::testing::PolicyTests;
use nemoclaw_core::policy::{Decision, PackSource, PolicyEngine};

use crate::check::{Checker, Setup};
use crate::{CliResult, Failure};

/// `nemoclaw policy ...`
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Parse and validate a pack against the schema; errors show file and line.
    Validate {
        /// A directory of .cedar files (or a builtin pack name).
        dir: String,
    },
    /// Run a pack's tests (`tests.json` in the pack, or --tests FILE).
    Test {
        /// A directory of .cedar files (or a builtin pack name).
        dir: String,
        /// The test file (default: DIR/tests.json).
        #[arg(long)]
        tests: Option<PathBuf>,
    },
    /// Report the verdicts that change between two policy sets over a corpus
    /// of requests (JSON lines as for `check --jsonl`).
    Diff {
        /// The policy set in force.
        #[arg(long)]
        old: String,
        /// The candidate policy set.
        #[arg(long)]
        new: String,
        /// Workspace directory (default: the current directory).
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Corpus file (JSON lines with "command" or "tool"/"args").
        corpus: PathBuf,
    },
}

pub fn run(args: Args) -> CliResult {
    match args.command {
        Command::Validate { dir } => validate(&dir),
        Command::Test { dir, tests } => test(&dir, tests),
        Command::Diff {
            old,
            new,
            workspace,
            corpus,
        } => diff(&old, &new, workspace, &corpus),
    }
}

fn validate(dir: &str) -> CliResult {
    let source = PackSource::load(dir).map_err(|e| Failure::usage(e.to_string()))?;
    match PolicyEngine::compile(&source) {
        Ok(engine) => {
            println!(
                "ok: pack `{}`, {} policies, {} files, default {}, policy set {}",
                engine.name(),
                engine.policy_count(),
                source.policies.len(),
                engine.default_decision(),
                engine.hash()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let diags = e.diagnostics();
            if diags.is_empty() {
                eprintln!("{e}");
            }
            for d in diags {
                eprintln!("{d}");
            }
            Err(Failure::negative(format!(
                "{} problem(s) in `{}`",
                diags.len().max(1),
                source.origin
            )))
        }
    }
}

fn test(dir: &str, tests: Option<PathBuf>) -> CliResult {
    let source = PackSource::load(dir).map_err(|e| Failure::usage(e.to_string()))?;
    let engine = PolicyEngine::compile(&source).map_err(|e| Failure::negative(e.to_string()))?;
    let path = match tests {
        Some(p) => p,
        None => {
            let base = PathBuf::from(dir);
            if base.is_dir() {
                base.join("tests.json")
            } else {
                return Err(Failure::usage(format!(
                    "builtin pack `{dir}`: give --tests FILE (the pack's tests.json lives in nemoclaw-core/policies/{dir}/)"
                )));
            }
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", path.display())))?;
    let tests = PolicyTests::from_json(&text, &path.display().to_string())
        .map_err(|e| Failure::usage(e.to_string()))?;
    let outcomes = tests.run(&engine);
    let mut failed = 0;
    for o in &outcomes {
        match &o.failure {
            None => println!("ok    {}", o.name),
            Some(f) => {
                failed += 1;
                println!("FAIL  {}: {f}", o.name);
            }
        }
    }
    println!("{} passed, {} failed", outcomes.len() - failed, failed);
    if failed > 0 {
        Err(Failure::negative(format!("{failed} policy test(s) failed")))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

fn diff(old: &str, new: &str, workspace: Option<PathBuf>, corpus: &PathBuf) -> CliResult {
    let setup = |policy: &str| Setup {
        policy: Some(policy.to_owned()),
        workspace: workspace.clone(),
    };
    let old_checker = Checker::new(&setup(old))?;
    let new_checker = Checker::new(&setup(new))?;
    let file = std::fs::File::open(corpus)
        .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", corpus.display())))?;
    let mut total = 0usize;
    let mut changed = 0usize;
    let mut moves: std::collections::BTreeMap<(Decision, Decision), usize> = Default::default();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line =
            line.map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", corpus.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        total += 1;
        let (a, b) = match (old_checker.check_line(&line), new_checker.check_line(&line)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err((_, e)), _) | (_, Err((_, e))) => {
                eprintln!("line {}: {e}", n + 1);
                continue;
            }
        };
        if a.verdict.decision != b.verdict.decision {
            changed += 1;
            *moves
                .entry((a.verdict.decision, b.verdict.decision))
                .or_default() += 1;
            let out = serde_json::json!({
                "line": n + 1,
                "id": a.id,
                "request": a.request_text,
                "old": a.verdict.decision,
                "new": b.verdict.decision,
                "old_policy_ids": a.verdict.policy_ids(),
                "new_policy_ids": b.verdict.policy_ids(),
                "new_reasons": b.verdict.reasons(),
            });
            println!("{out}");
        }
    }
    let summary: Vec<String> = moves
        .iter()
        .map(|((a, b), n)| format!("{a}->{b}: {n}"))
        .collect();
    eprintln!(
        "{total} requests, {changed} verdict(s) changed{}{}",
        if summary.is_empty() { "" } else { " — " },
        summary.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
