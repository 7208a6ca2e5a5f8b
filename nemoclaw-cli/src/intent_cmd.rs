//! `nemoclaw intent parse`: print the actions a request would perform.

use std::io::Read;
use std::process::ExitCode;

use clap::{Args as ClapArgs, Subcommand};
use nemoclaw_core::intent::{self, ParseContext, Request};

use crate::{CliResult, Failure};

/// Arguments of `nemoclaw intent`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: IntentCommand,
}

#[derive(Debug, Subcommand)]
enum IntentCommand {
    /// Parse shell text (argument or stdin), or a JSON request with --json,
    /// and print the Intent as JSON.
    Parse {
        /// Shell text; read from stdin when absent.
        text: Option<String>,
        /// Working directory paths are normalized against.
        #[arg(long, default_value = ".")]
        cwd: String,
        /// Home directory of the acting user.
        #[arg(long)]
        home: Option<String>,
        /// The input is a JSON request: {"command": ...}, {"tool": ..., "args": ...},
        /// an MCP tools/call request, or a serialized `Request`.
        #[arg(long)]
        json: bool,
        /// Pretty-print the output.
        #[arg(long)]
        pretty: bool,
    },
}

/// Run `nemoclaw intent`.
pub fn run(args: Args) -> CliResult {
    match args.command {
        IntentCommand::Parse {
            text,
            cwd,
            home,
            json,
            pretty,
        } => {
            let input = match text {
                Some(t) => t,
                None => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
                    s
                }
            };
            let cwd = if cwd == "." {
                std::env::current_dir()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|_| "/".into())
            } else {
                cwd
            };
            let home = home
                .or_else(|| std::env::var("HOME").ok())
                .unwrap_or_else(|| "/root".into());
            let ctx = ParseContext::builder().cwd(cwd).home(home).build();
            let req = if json {
                request_from_json(&input)?
            } else {
                Request::Shell(input)
            };
            let parsed = intent::parse(&req, &ctx);
            let out = if pretty {
                serde_json::to_string_pretty(&parsed)
            } else {
                serde_json::to_string(&parsed)
            }
            .map_err(|e| Failure::usage(format!("cannot serialize intent: {e}")))?;
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn request_from_json(input: &str) -> Result<Request, Failure> {
    let v: serde_json::Value =
        serde_json::from_str(input).map_err(|e| Failure::usage(format!("invalid json: {e}")))?;
    if let Some(cmd) = v.get("command").and_then(|c| c.as_str()) {
        return Ok(Request::Shell(cmd.to_string()));
    }
    if let Some(tool) = v.get("tool").and_then(|t| t.as_str()) {
        return Ok(Request::tool_call(
            tool,
            v.get("args").cloned().unwrap_or(serde_json::Value::Null),
        ));
    }
    if v.get("method").is_some() || v.get("arguments").is_some() {
        return Request::from_mcp(&v).map_err(|e| Failure::usage(e.to_string()));
    }
    serde_json::from_value(v).map_err(|e| Failure::usage(format!("not a request: {e}")))
}
