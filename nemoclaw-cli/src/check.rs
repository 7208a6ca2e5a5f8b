//! `nemoclaw check`: judge one request, or a batch of JSON lines, against a
//! policy pack (DESIGN.md: CLI contract).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use nemoclaw_core::audit::{AuditLog, AuditLogOptions, AuditSink};
use nemoclaw_core::guard::Guard;
use nemoclaw_core::identity::{KeyPair, TrustStore, Verifier};
use nemoclaw_core::intent::Request;
use nemoclaw_core::policy::{Agent, AgentContext, Decision, Environment, StaticFacts, Verdict};

use crate::{CliResult, Failure};

/// `nemoclaw check [OPTIONS] [COMMAND...]` or `nemoclaw check --jsonl`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read requests from stdin, one JSON object per line
    /// (`{"command": "..."}` or `{"tool": "...", "args": {...}}`, optional `"id"`),
    /// and write one verdict line each, in the same order.
    #[arg(long)]
    jsonl: bool,
    #[command(flatten)]
    setup: SetupArgs,
    /// Check a tool call with this name (arguments in --args).
    #[arg(long, conflicts_with = "jsonl")]
    tool: Option<String>,
    /// JSON arguments of --tool.
    #[arg(long, requires = "tool")]
    args: Option<String>,
    /// The shell command to check (words are joined with spaces).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

/// Options shared by `check` and `policy diff`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SetupArgs {
    /// Builtin policy pack: coding-agent, read-only or ops.
    #[arg(long, default_value = "coding-agent")]
    profile: String,
    /// A directory of .cedar policies (overrides --profile).
    #[arg(long)]
    policy: Option<String>,
    /// The agent's workspace (default: the current directory).
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// Working directory of the requests (default: the workspace).
    #[arg(long)]
    cwd: Option<String>,
    /// Home directory (default: $HOME).
    #[arg(long)]
    home: Option<String>,
    /// The agent's identity token (verified with --trust); without one, a
    /// local identity with its workspace read-write and `exec`, `install`.
    #[arg(long, requires = "trust")]
    token: Option<PathBuf>,
    /// Trusted issuer keys (directory or .pub file) for --token.
    #[arg(long)]
    trust: Option<PathBuf>,
    /// Append a signed record of every check to this audit log.
    #[arg(long, requires = "audit_key")]
    audit: Option<PathBuf>,
    /// The guard's private key (`.key`) signing audit records.
    #[arg(long)]
    audit_key: Option<PathBuf>,
    /// Facts for the entity provider (JSON: backed_up, production_paths,
    /// production_hosts, sensitivity).
    #[arg(long)]
    facts: Option<PathBuf>,
    /// Open escalation tickets in this store (SQLite), reviewed with `nemoclaw review`.
    #[arg(long)]
    tickets: Option<PathBuf>,
}

/// What a [`Checker`] is built from (for callers other than `check`).
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Policy directory or builtin pack name.
    pub policy: Option<String>,
    /// Workspace directory.
    pub workspace: Option<PathBuf>,
}

/// A Guard, the agent it judges for, and the audit log to close at the end.
pub struct Checker {
    guard: Guard,
    agent: Agent,
    audit: Option<Arc<AuditLog>>,
}

/// The outcome of one input line.
#[derive(Debug)]
pub struct LineResult {
    /// The line's `id`, if any.
    pub id: serde_json::Value,
    /// The request as text (shell command, or tool call JSON).
    pub request_text: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Time spent on the line, in microseconds.
    pub latency_us: f64,
}

fn usage(e: impl std::fmt::Display) -> Failure {
    Failure::usage(e.to_string())
}

impl Checker {
    /// A checker for `policy diff`: a policy and workspace, local identity.
    pub fn new(setup: &Setup) -> Result<Self, Failure> {
        Self::from_args(&SetupArgs {
            profile: "coding-agent".to_owned(),
            policy: setup.policy.clone(),
            workspace: setup.workspace.clone(),
            ..SetupArgs::default()
        })
    }

    fn from_args(a: &SetupArgs) -> Result<Self, Failure> {
        // A relative workspace is taken from the current directory, as the
        // shell would; policies match absolute paths only.
        let workspace = match &a.workspace {
            Some(w) => std::path::absolute(w)
                .map_err(|e| usage(format!("cannot resolve `{}`: {e}", w.display())))?,
            None => std::env::current_dir().map_err(usage)?,
        };
        let workspace = workspace.display().to_string();
        let home = a
            .home
            .clone()
            .or_else(|| std::env::var("HOME").ok())
            .unwrap_or_else(|| "/root".to_owned());
        let mut env = Environment::new(&workspace, &home);
        if let Some(cwd) = &a.cwd {
            cwd.clone_into(&mut env.cwd);
        }
        let spec = a.policy.clone().unwrap_or_else(|| a.profile.clone());
        let mut builder = Guard::builder()
            .policy(&spec)
            .map_err(usage)?
            .environment(env.clone());
        if let Some(f) = &a.facts {
            let text = std::fs::read_to_string(f)
                .map_err(|e| usage(format!("cannot read `{}`: {e}", f.display())))?;
            builder =
                builder.entity_provider(Arc::new(StaticFacts::from_json(&text).map_err(usage)?));
        }
        if let Some(db) = &a.tickets {
            builder = builder.ticket_db(db).map_err(usage)?;
        }
        let mut audit = None;
        if let (Some(log), Some(key)) = (&a.audit, &a.audit_key) {
            let key = KeyPair::read_file(key).map_err(usage)?;
            let log = Arc::new(AuditLog::open(log, AuditLogOptions::new(key)).map_err(usage)?);
            builder = builder.audit(log.clone() as Arc<dyn AuditSink>);
            audit = Some(log);
        }
        let guard = builder.build().map_err(usage)?;
        let context = match (&a.token, &a.trust) {
            (Some(token), Some(trust)) => {
                let trust = TrustStore::load(trust).map_err(usage)?;
                let bytes = std::fs::read(token)
                    .map_err(|e| usage(format!("cannot read `{}`: {e}", token.display())))?;
                let raw = nemoclaw_core::identity::token_bytes_from_any(&bytes).map_err(usage)?;
                let identity = Verifier::new(trust)
                    .verify_at(&raw, nemoclaw_core::identity::unix_now())
                    .map_err(|e| Failure::negative(format!("token invalid: {e}")))?;
                AgentContext::from(&identity)
            }
            _ => AgentContext::local(&env.workspace),
        };
        let agent = Agent::new(context).map_err(usage)?;
        Ok(Self {
            guard,
            agent,
            audit,
        })
    }

    /// Judges one request.
    pub fn check(&self, request: &Request) -> Verdict {
        self.guard.check(&self.agent, request)
    }

    /// Parses and judges one JSON line.
    pub fn check_line(&self, line: &str) -> Result<LineResult, (serde_json::Value, String)> {
        let start = Instant::now();
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| (serde_json::Value::Null, format!("malformed JSON: {e}")))?;
        let id = value.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let (request, text) = request_of(&value).map_err(|e| (id.clone(), e))?;
        let verdict = self.check(&request);
        Ok(LineResult {
            id,
            request_text: text,
            verdict,
            latency_us: start.elapsed().as_secs_f64() * 1e6,
        })
    }

    fn close(&self) -> Result<(), Failure> {
        if let Some(log) = &self.audit {
            log.close()
                .map_err(|e| Failure::usage(format!("audit log: {e}")))?;
        }
        Ok(())
    }
}

fn request_of(value: &serde_json::Value) -> Result<(Request, String), String> {
    let obj = value.as_object().ok_or("a line must be a JSON object")?;
    if let Some(cmd) = obj.get("command") {
        let text = cmd.as_str().ok_or("`command` must be a string")?;
        return Ok((Request::Shell(text.to_owned()), text.to_owned()));
    }
    if let Some(tool) = obj.get("tool") {
        let name = tool.as_str().ok_or("`tool` must be a string")?;
        let args = obj.get("args").cloned().unwrap_or(serde_json::Value::Null);
        let text = serde_json::json!({"tool": name, "args": args}).to_string();
        return Ok((
            Request::ToolCall {
                name: name.to_owned(),
                args,
            },
            text,
        ));
    }
    Err("a line needs `command` (shell text) or `tool` (with `args`)".to_owned())
}

/// The output object of one checked request (fields in this order).
/// Serialized straight from the verdict, without an intermediate JSON tree.
#[derive(serde::Serialize)]
struct Output<'a> {
    id: &'a serde_json::Value,
    decision: Decision,
    actions: &'a [nemoclaw_core::policy::ActionVerdict],
    reasons: Vec<&'a str>,
    policy_ids: Vec<&'a str>,
    policy_set: &'a str,
    latency_us: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<&'a str>,
}

fn output<'a>(id: &'a serde_json::Value, verdict: &'a Verdict, latency_us: f64) -> Output<'a> {
    Output {
        id,
        decision: verdict.decision,
        actions: &verdict.actions,
        reasons: verdict.reasons(),
        policy_ids: verdict.policy_ids(),
        policy_set: &verdict.policy_set,
        latency_us: (latency_us * 10.0).round() / 10.0,
        ticket: verdict.ticket.as_deref(),
    }
}

fn error_output(line: usize, id: &serde_json::Value, message: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "line": line,
        "decision": Decision::Deny,
        "error": { "code": "invalid_argument", "message": message },
    })
}

pub fn run(args: Args) -> CliResult {
    let checker = Checker::from_args(&args.setup)?;
    if args.jsonl {
        let result = batch(&checker);
        checker.close()?;
        return result;
    }
    let start = Instant::now();
    let request = match (&args.tool, args.command.is_empty()) {
        (Some(name), true) => {
            let a = match &args.args {
                Some(text) => {
                    serde_json::from_str(text).map_err(|e| usage(format!("--args: {e}")))?
                }
                None => serde_json::Value::Null,
            };
            Request::ToolCall {
                name: name.clone(),
                args: a,
            }
        }
        (None, false) => Request::Shell(args.command.join(" ")),
        _ => {
            return Err(Failure::usage(
                "give a shell command, --tool NAME, or --jsonl",
            ))
        }
    };
    let verdict = checker.check(&request);
    let out = output(
        &serde_json::Value::Null,
        &verdict,
        start.elapsed().as_secs_f64() * 1e6,
    );
    println!("{}", serde_json::to_string(&out).map_err(usage)?);
    checker.close()?;
    Ok(if verdict.is_allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn batch(checker: &Checker) -> CliResult {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut line: Vec<u8> = Vec::new();
    let mut n = 0usize;
    loop {
        line.clear();
        // Raw bytes up to the newline: a line that is not UTF-8 is reported
        // on its own and never swallows the next one.
        let read = match input.read_until(b'\n', &mut line) {
            Ok(r) => r,
            Err(e) => {
                n += 1;
                let obj = error_output(
                    n,
                    &serde_json::Value::Null,
                    &format!("unreadable input: {e}"),
                );
                writeln!(out, "{obj}").map_err(usage)?;
                break;
            }
        };
        if read == 0 {
            break;
        }
        n += 1;
        let text = match std::str::from_utf8(&line) {
            Ok(t) => t.trim(),
            Err(e) => {
                let obj = error_output(
                    n,
                    &serde_json::Value::Null,
                    &format!("line is not valid UTF-8: {e}"),
                );
                writeln!(out, "{obj}").map_err(usage)?;
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        match checker.check_line(text) {
            Ok(r) => serde_json::to_writer(&mut out, &output(&r.id, &r.verdict, r.latency_us)),
            Err((id, e)) => serde_json::to_writer(&mut out, &error_output(n, &id, &e)),
        }
        .map_err(usage)?;
        out.write_all(b"\n").map_err(usage)?;
    }
    out.flush().map_err(usage)?;
    Ok(ExitCode::SUCCESS)
}
