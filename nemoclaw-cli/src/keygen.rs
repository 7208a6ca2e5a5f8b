use std::path::PathBuf;
use std::process::ExitCode;

use nemoclaw_core::identity::KeyPair;

use crate::{CliResult, Failure};

/// `nemoclaw keygen --out DIR [--kid ID]`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for `<kid>.key` (private, mode 0600) and `<kid>.pub`.
    #[arg(long)]
    out: PathBuf,
    /// Key id (letters, digits, `-`, `_`, `.`); derived from the public key when omitted.
    #[arg(long)]
    kid: Option<String>,
}

pub fn run(args: Args) -> CliResult {
    let pair = match args.kid {
        Some(kid) => KeyPair::generate(&kid).map_err(|e| Failure::usage(e.to_string()))?,
        None => KeyPair::generate_with_derived_kid(),
    };
    let (key, public) = pair
        .write_files(&args.out)
        .map_err(|e| Failure::usage(e.to_string()))?;
    println!("{}", key.display());
    println!("{}", public.display());
    Ok(ExitCode::SUCCESS)
}
