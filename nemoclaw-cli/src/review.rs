//! `nemoclaw review list|show|approve|deny`: the human reviewer's side of
//! escalation tickets.

use std::path::PathBuf;
use std::process::ExitCode;

use nemoclaw_core::audit::{AuditLog, AuditLogOptions, AuditSink};
use nemoclaw_core::guard::{
    review_entry, Review, ReviewDecision, Ticket, TicketState, TicketStore,
};
use nemoclaw_core::identity::KeyPair;

use crate::{CliResult, Failure};

/// `nemoclaw review ...`
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct Db {
    /// The ticket store (SQLite). Default: $NEMOCLAW_TICKETS, else
    /// ~/.local/state/nemoclaw/tickets.db.
    #[arg(long)]
    db: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// List tickets (pending ones unless --all).
    List {
        #[command(flatten)]
        db: Db,
        /// Every ticket, whatever its state.
        #[arg(long)]
        all: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Show a ticket: the request, the parsed actions, the reasons and the agent's goal.
    Show {
        #[command(flatten)]
        db: Db,
        /// Ticket id.
        id: String,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve a ticket.
    Approve(Decide),
    /// Deny a ticket.
    Deny(Decide),
}

#[derive(Debug, clap::Args)]
struct Decide {
    #[command(flatten)]
    db: Db,
    /// Ticket id.
    id: String,
    /// Who decides (recorded, and signed with --key).
    #[arg(long)]
    reviewer: String,
    /// The reviewer's private key (`.key` from `nemoclaw keygen`) to sign the decision.
    #[arg(long)]
    key: Option<PathBuf>,
    /// A comment recorded with the decision.
    #[arg(long, default_value = "")]
    comment: String,
    /// Append a signed record of the decision to this audit log (as
    /// `nemoclaw check --audit`).
    #[arg(long)]
    audit: Option<PathBuf>,
    /// The private key (`.key`) signing the audit record (default: the
    /// reviewer's --key).
    #[arg(long, requires = "audit")]
    audit_key: Option<PathBuf>,
}

/// The ticket store path: the option, else $NEMOCLAW_TICKETS, else
/// ~/.local/state/nemoclaw/tickets.db.
pub fn default_db(db: Option<PathBuf>) -> Result<PathBuf, Failure> {
    if let Some(db) = db {
        return Ok(db);
    }
    if let Some(p) = std::env::var_os("NEMOCLAW_TICKETS") {
        return Ok(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME").ok_or_else(|| Failure::usage("no --db and no HOME"))?;
    let dir = PathBuf::from(home).join(".local/state/nemoclaw");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::usage(format!("cannot create `{}`: {e}", dir.display())))?;
    Ok(dir.join("tickets.db"))
}

fn open(db: Db) -> Result<TicketStore, Failure> {
    let path = default_db(db.db)?;
    TicketStore::open(&path).map_err(|e| Failure::usage(e.to_string()))
}

pub fn run(args: Args) -> CliResult {
    match args.command {
        Command::List { db, all, json } => {
            let store = open(db)?;
            let state = if all {
                None
            } else {
                Some(TicketState::Pending)
            };
            let tickets = store
                .list(state)
                .map_err(|e| Failure::usage(e.to_string()))?;
            for t in tickets {
                if json {
                    println!(
                        "{}",
                        serde_json::to_string(&t).map_err(|e| Failure::usage(e.to_string()))?
                    );
                } else {
                    println!(
                        "{}  {:<8}  {}  agent={}  {}",
                        t.id,
                        t.state.as_str(),
                        t.reviews.len(),
                        t.agent.agent_id,
                        one_line(&t.request, 80)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { db, id, json } => {
            let store = open(db)?;
            let t = store.get(&id).map_err(|e| Failure::usage(e.to_string()))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&t).map_err(|e| Failure::usage(e.to_string()))?
                );
            } else {
                print!("{}", render(&t));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Approve(d) => decide(d, ReviewDecision::Approve),
        Command::Deny(d) => decide(d, ReviewDecision::Deny),
    }
}

fn decide(d: Decide, decision: ReviewDecision) -> CliResult {
    let usage = |e: &dyn std::fmt::Display| Failure::usage(e.to_string());
    let key = match &d.key {
        Some(path) => Some(KeyPair::read_file(path).map_err(|e| usage(&e))?),
        None => None,
    };
    // Open the audit log before deciding, so a decision is never recorded
    // in the store without its audit record being possible.
    let audit = match &d.audit {
        None => None,
        Some(log) => {
            let signer = match (&d.audit_key, &key) {
                (Some(path), _) => KeyPair::read_file(path).map_err(|e| usage(&e))?,
                (None, Some(k)) => k.clone(),
                (None, None) => {
                    return Err(Failure::usage(
                        "--audit needs --audit-key (or the reviewer's --key) to sign records",
                    ))
                }
            };
            Some(AuditLog::open(log, AuditLogOptions::new(signer)).map_err(|e| usage(&e))?)
        }
    };
    let store = open(d.db)?;
    let ticket = store.get(&d.id).map_err(|e| usage(&e))?;
    let mut review = Review::new(&d.reviewer, decision, &d.comment);
    if let Some(key) = &key {
        review = review.sign(&ticket, key);
    }
    let result = store.add_review(&d.id, &review);
    let recorded = match (&audit, &result) {
        (Some(log), Ok(t)) => log
            .record(&review_entry(t, &review))
            .map(|_| ())
            .map_err(|e| format!("audit record failed: {e}")),
        _ => Ok(()),
    };
    let closed = match &audit {
        Some(log) => log
            .close()
            .map(|_| ())
            .map_err(|e| format!("audit log: {e}")),
        None => Ok(()),
    };
    match result {
        Ok(t) => {
            recorded.and(closed).map_err(Failure::usage)?;
            println!("{} {}", t.id, t.state.as_str());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(Failure::negative(e.to_string())),
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
}

/// A ticket for a human: what was asked, by whom and for which goal, each
/// action with its decision and reasons, and the reviews so far.
pub fn render(t: &Ticket) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "ticket     {}", t.id);
    let approvals = t
        .reviews
        .iter()
        .filter(|r| r.decision == ReviewDecision::Approve)
        .count();
    let _ = writeln!(
        out,
        "state      {} ({approvals} of {} approvals)",
        t.state.as_str(),
        t.quorum
    );
    let _ = writeln!(
        out,
        "agent      {} (task {}, model {}, origin {}:{})",
        t.agent.agent_id, t.agent.task_id, t.agent.model, t.agent.origin_kind, t.agent.origin_id
    );
    let _ = writeln!(out, "goal       {}", t.agent.goal);
    let _ = writeln!(
        out,
        "workspace  {} (cwd {})",
        t.environment.workspace, t.environment.cwd
    );
    let _ = writeln!(out, "request    {}", one_line(&t.request, 400));
    let _ = writeln!(out, "digest     sha256:{}", t.request_digest);
    let _ = writeln!(out, "policy set {}", t.policy_set);
    let _ = writeln!(out, "actions");
    for a in &t.verdict.actions {
        let _ = writeln!(
            out,
            "  {:<8} {} {}",
            a.decision.as_str(),
            nemoclaw_core::policy::cedar_action(a.action.verb),
            nemoclaw_core::policy::describe_resource(&a.action.resource)
        );
        for (id, reason) in a.policy_ids.iter().zip(&a.reasons) {
            let _ = writeln!(out, "           [{id}] {reason}");
        }
    }
    if !t.reviews.is_empty() {
        let _ = writeln!(out, "reviews");
        for r in &t.reviews {
            let signed = r
                .kid
                .as_deref()
                .map(|k| format!(" signed by {k}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {}{}: {}",
                r.reviewer,
                r.decision.as_str(),
                signed,
                r.comment
            );
        }
    }
    out
}
