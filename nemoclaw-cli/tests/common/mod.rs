//! Helpers shared by the CLI integration tests: run the `nemoclaw` binary
//! built for this test run the way a user would.
// Each test binary includes this module and uses only some of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `nemoclaw ARGS...` to completion, stdin closed, output captured.
pub fn nemoclaw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nemoclaw"))
        .args(args)
        .output()
        .unwrap()
}

/// A test path as a command-line argument (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
