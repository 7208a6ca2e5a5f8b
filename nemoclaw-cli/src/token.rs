//! `nemoclaw token issue|delegate|inspect|verify|prove`
//!
//! Token files may be binary COSE_Sign1 or base64 text; `-` reads stdin.
//! Refusals carry the stable reason code first on stderr
//! (`nemoclaw: token_scope_escalation: ...`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use nemoclaw_core::identity::{
    sign_proof, IdentityError, KeyPair, Model, Origin, PublicKey, RevocationList, ScopeSet, Token,
    TokenBuilder, TrustStore, Verifier, MAX_TOKEN_BYTES,
};
use nemoclaw_core::ErrorCode;

use crate::{CliResult, Failure};

/// Agentic Identity Tokens: issue, delegate, inspect, verify.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Issue a root token for an agent, signed by an issuer key.
    Issue(Box<IssueArgs>),
    /// Mint a narrower child token for a sub-agent, signed by the parent agent's key.
    Delegate(Box<DelegateArgs>),
    /// Print a token's claims (and its parents') as JSON, without verifying.
    Inspect(InspectArgs),
    /// Verify a token and its whole chain: exit 0 valid, 1 invalid (reason code on stderr).
    Verify(Box<VerifyArgs>),
    /// Sign a proof of possession over a challenge with the agent's key (hex to stdout).
    Prove(ProveArgs),
}

#[derive(Debug, clap::Args)]
struct Output {
    /// Write base64url text instead of binary.
    #[arg(long)]
    base64: bool,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct IssueArgs {
    /// Issuer private key (COSE_Key file from `nemoclaw keygen`).
    #[arg(long)]
    key: PathBuf,
    /// Agent id (`sub`).
    #[arg(long)]
    agent: String,
    /// Task id.
    #[arg(long)]
    task_id: String,
    /// Task goal, in words.
    #[arg(long)]
    goal: String,
    /// A scope (`fs:ro:/p`, `fs:rw:/p`, `net:host[:port]`, `tool:name`, `exec`, ...); repeatable.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Model as NAME@VERSION (version or digest).
    #[arg(long)]
    model: String,
    /// Origin as KIND:ID, KIND one of human, agent, service.
    #[arg(long)]
    origin: String,
    /// Lifetime: seconds, or a number with s, m, h or d.
    #[arg(long)]
    ttl: String,
    /// The agent's public key (bound as `cnf`).
    #[arg(long)]
    agent_key: PathBuf,
    /// Audience (`aud`).
    #[arg(long)]
    aud: Option<String>,
    /// Issuer name (`iss`); defaults to the issuer key's kid.
    #[arg(long)]
    issuer: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
struct DelegateArgs {
    /// The parent token (binary or base64).
    #[arg(long)]
    parent: PathBuf,
    /// The parent agent's private key (must match the parent's `cnf`).
    #[arg(long)]
    parent_key: PathBuf,
    /// Sub-agent id (`sub`).
    #[arg(long)]
    agent: String,
    /// The sub-agent's public key (bound as `cnf`).
    #[arg(long)]
    agent_key: PathBuf,
    /// A scope, repeatable; each must lie within the parent's (default: the parent's scopes).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Task id (default: the parent's).
    #[arg(long)]
    task_id: Option<String>,
    /// Task goal (default: the parent's).
    #[arg(long)]
    goal: Option<String>,
    /// Model as NAME@VERSION (default: the parent's).
    #[arg(long)]
    model: Option<String>,
    /// Lifetime; may not end after the parent's expiry (default: until the parent expires).
    #[arg(long)]
    ttl: Option<String>,
    /// Audience; must equal the parent's when it has one.
    #[arg(long)]
    aud: Option<String>,
    /// Deepest delegation to allow minting.
    #[arg(long)]
    max_depth: Option<u32>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
struct InspectArgs {
    /// Token file (binary or base64), `-` for stdin.
    token: PathBuf,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// Trusted issuer key: a `.pub` file, or a directory of `*.pub` files.
    #[arg(long)]
    trust: PathBuf,
    /// Revocation list: one hex `cti` per line, `#` comments.
    #[arg(long)]
    revoked: Option<PathBuf>,
    /// The audience this verifier stands for (required when the token names one).
    #[arg(long)]
    aud: Option<String>,
    /// Clock-skew leeway: seconds, or a number with s, m, h or d.
    #[arg(long, default_value = "60s")]
    leeway: String,
    /// Deepest delegation accepted.
    #[arg(long, default_value_t = nemoclaw_core::identity::DEFAULT_MAX_DEPTH)]
    max_depth: u32,
    /// Verify as of this Unix time instead of now (audits, tests).
    #[arg(long)]
    now: Option<u64>,
    /// Challenge text for a proof of possession (with --proof).
    #[arg(long, requires = "proof")]
    challenge: Option<String>,
    /// Proof of possession in hex, from `nemoclaw token prove` (with --challenge).
    #[arg(long, requires = "challenge")]
    proof: Option<String>,
    /// Print the verified identity, or the refusal, as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Token file (binary or base64), `-` for stdin.
    token: PathBuf,
}

#[derive(Debug, clap::Args)]
struct ProveArgs {
    /// The agent's token.
    #[arg(long)]
    token: PathBuf,
    /// The agent's private key (must match the token's `cnf`).
    #[arg(long)]
    key: PathBuf,
    /// The challenge text (a verifier nonce or a request digest).
    #[arg(long)]
    challenge: String,
}

pub fn run(args: Args) -> CliResult {
    match args.command {
        Command::Issue(a) => issue(*a),
        Command::Delegate(a) => delegate(*a),
        Command::Inspect(a) => inspect(a),
        Command::Verify(a) => verify(*a),
        Command::Prove(a) => prove(a),
    }
}

/// Bad input: exit 2 with the code name first.
fn input_error(e: &IdentityError) -> Failure {
    Failure::usage(format!("{}: {e}", e.code().name()))
}

/// A refusal (widening, expired parent, wrong key, invalid token): exit 1.
fn refusal(e: &IdentityError) -> Failure {
    Failure::negative(format!("{}: {e}", e.code().name()))
}

/// Exit 1 for identity verdicts, 2 for malformed input, keys and files.
fn classify(e: &IdentityError) -> Failure {
    match e.code() {
        ErrorCode::ScopeInvalid
        | ErrorCode::KeyInvalid
        | ErrorCode::Io
        | ErrorCode::InvalidArgument
        | ErrorCode::TokenMalformed => input_error(e),
        _ => refusal(e),
    }
}

/// Parse `90`, `90s`, `15m`, `2h`, `7d`.
pub fn parse_duration(text: &str) -> Result<Duration, Failure> {
    let bad = || {
        Failure::usage(format!(
            "duration `{text}` is not like 90, 90s, 15m, 2h or 7d"
        ))
    };
    let t = text.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).map(Duration::from_secs).ok_or_else(bad)
}

fn read_input(path: &Path, limit: usize) -> Result<Vec<u8>, Failure> {
    let io = |e: std::io::Error| Failure::usage(format!("io: `{}`: {e}", path.display()));
    let mut bytes = Vec::new();
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    if path == Path::new("-") {
        std::io::stdin()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    } else {
        std::fs::File::open(path)
            .map_err(io)?
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    if bytes.len() as u64 > limit {
        return Err(Failure::usage(format!(
            "token_malformed: `{}` is larger than any token",
            path.display()
        )));
    }
    Ok(bytes)
}

fn read_token_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    // base64 text of the largest token, plus whitespace
    read_input(path, MAX_TOKEN_BYTES * 2)
}

fn write_token(token: &Token, output: &Output) -> CliResult {
    let data = if output.base64 {
        format!("{}\n", token.to_base64()).into_bytes()
    } else {
        token.as_bytes().to_vec()
    };
    match &output.out {
        Some(path) => std::fs::write(path, &data)
            .map_err(|e| Failure::usage(format!("io: `{}`: {e}", path.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&data)
                .and_then(|()| out.flush())
                .map_err(|e| Failure::usage(format!("io: stdout: {e}")))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn issue(a: IssueArgs) -> CliResult {
    let key = KeyPair::read_file(&a.key).map_err(|e| input_error(&e))?;
    let agent_key = PublicKey::read_file(&a.agent_key).map_err(|e| input_error(&e))?;
    let scopes = ScopeSet::parse(&a.scopes).map_err(|e| input_error(&e))?;
    let model = Model::parse(&a.model).map_err(|e| input_error(&e))?;
    let origin = Origin::parse(&a.origin).map_err(|e| input_error(&e))?;
    let mut builder = TokenBuilder::new()
        .subject(a.agent)
        .task(a.task_id, a.goal)
        .scopes(scopes)
        .model(model.name, model.version)
        .origin(origin)
        .ttl(parse_duration(&a.ttl)?)
        .agent_key(agent_key);
    if let Some(aud) = a.aud {
        builder = builder.audience(aud);
    }
    if let Some(iss) = a.issuer {
        builder = builder.issuer(iss);
    }
    let token = builder.issue(&key).map_err(|e| classify(&e))?;
    write_token(&token, &a.output)
}

fn delegate(a: DelegateArgs) -> CliResult {
    let parent = Token::decode_any(&read_token_bytes(&a.parent)?).map_err(|e| input_error(&e))?;
    let parent_key = KeyPair::read_file(&a.parent_key).map_err(|e| input_error(&e))?;
    let agent_key = PublicKey::read_file(&a.agent_key).map_err(|e| input_error(&e))?;
    let mut builder = TokenBuilder::new().subject(a.agent).agent_key(agent_key);
    if !a.scopes.is_empty() {
        builder = builder.scopes(ScopeSet::parse(&a.scopes).map_err(|e| input_error(&e))?);
    }
    let p = parent.claims();
    if a.task_id.is_some() || a.goal.is_some() {
        builder = builder.task(
            a.task_id.unwrap_or_else(|| p.task.id.clone()),
            a.goal.unwrap_or_else(|| p.task.goal.clone()),
        );
    }
    if let Some(m) = a.model {
        let m = Model::parse(&m).map_err(|e| input_error(&e))?;
        builder = builder.model(m.name, m.version);
    }
    if let Some(ttl) = a.ttl {
        builder = builder.ttl(parse_duration(&ttl)?);
    }
    if let Some(aud) = a.aud {
        builder = builder.audience(aud);
    }
    if let Some(d) = a.max_depth {
        builder = builder.max_depth(d);
    }
    let token = builder
        .delegate(&parent, &parent_key)
        .map_err(|e| classify(&e))?;
    write_token(&token, &a.output)
}

fn print_json(value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::usage(format!("internal: cannot print JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

fn inspect(a: InspectArgs) -> CliResult {
    let token = Token::decode_any(&read_token_bytes(&a.token)?).map_err(|e| input_error(&e))?;
    print_json(&token.to_json())?;
    Ok(ExitCode::SUCCESS)
}

fn verify(a: VerifyArgs) -> CliResult {
    let trust = TrustStore::load(&a.trust).map_err(|e| input_error(&e))?;
    let mut verifier = Verifier::new(trust)
        .with_leeway(parse_duration(&a.leeway)?)
        .with_max_depth(a.max_depth);
    if let Some(path) = &a.revoked {
        verifier = verifier
            .with_revocations(RevocationList::read_file(path).map_err(|e| input_error(&e))?);
    }
    if let Some(aud) = &a.aud {
        verifier = verifier.with_audience(aud.clone());
    }
    let proof = match &a.proof {
        Some(hex_text) => Some(hex::decode(hex_text.trim()).map_err(|_| {
            Failure::usage(format!("invalid_argument: proof `{hex_text}` is not hex"))
        })?),
        None => None,
    };
    let bytes = read_token_bytes(&a.token)?;
    let now = a.now.unwrap_or_else(nemoclaw_core::identity::unix_now);
    let result = nemoclaw_core::identity::token_bytes_from_any(&bytes)
        .and_then(|raw| verifier.verify_at(&raw, now))
        .and_then(|identity| match (&a.challenge, &proof) {
            (Some(challenge), Some(proof)) => identity
                .check_proof(challenge.as_bytes(), proof)
                .map(|()| identity),
            _ => Ok(identity),
        });
    match result {
        Ok(identity) => {
            if a.json {
                let mut json = identity.to_json();
                if let Some(obj) = json.as_object_mut() {
                    obj.insert("valid".into(), true.into());
                    obj.insert("proof_checked".into(), proof.is_some().into());
                }
                print_json(&json)?;
            } else {
                println!(
                    "valid: agent `{}` (depth {}, task `{}`, root key `{}`), cti {}, expires {}, scopes [{}]{}",
                    identity.agent_id(),
                    identity.depth(),
                    identity.task_id(),
                    identity.root_kid(),
                    identity.cti_hex(),
                    identity.expires_at(),
                    identity.scopes().to_strings().join(", "),
                    if proof.is_some() { ", proof of possession ok" } else { "" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if a.json {
                print_json(&serde_json::json!({
                    "valid": false,
                    "code": e.code().name(),
                    "code_number": e.code().as_u32(),
                    "message": e.to_string(),
                }))?;
            }
            Err(refusal(&e))
        }
    }
}

fn prove(a: ProveArgs) -> CliResult {
    let token = Token::decode_any(&read_token_bytes(&a.token)?).map_err(|e| input_error(&e))?;
    let key = KeyPair::read_file(&a.key).map_err(|e| input_error(&e))?;
    let proof = sign_proof(&key, &token, a.challenge.as_bytes()).map_err(|e| classify(&e))?;
    println!("{}", hex::encode(proof));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("15m").unwrap().as_secs(), 900);
        assert_eq!(parse_duration("2h").unwrap().as_secs(), 7200);
        assert_eq!(parse_duration("7d").unwrap().as_secs(), 604_800);
        for bad in ["", "h", "5x", "-5s", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
