//! Fuzz the Intent Parser with arbitrary shell text:
//! `cargo +nightly fuzz run intent_shell fuzz/corpus/intent_shell`.
//! Any panic, hang or unbounded growth is a bug; the parser must always
//! return an Intent within its limits, and the same one with the fast front
//! end on and off.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nemoclaw_core::intent::{self, ParseContext, Request};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ctx = ParseContext::builder()
        .cwd("/home/dev/project")
        .home("/home/dev")
        .max_input_bytes(64 * 1024)
        .max_actions(512)
        .build();
    let got = intent::parse_shell(&text, &ctx);
    assert!(got.actions.len() <= 512);
    // the fast front end must give what the tree-sitter front end gives
    // (unless a work limit cut either walk short)
    let ts = intent::parse_shell_tree_sitter_only(&text, &ctx);
    if !got.overflow && !ts.overflow {
        assert_eq!(got, ts);
    }
    // the same text as an argv vector and inside a tool call
    let argv: Vec<String> = text.split(' ').map(str::to_string).collect();
    let _ = intent::parse(&Request::Argv(argv), &ctx);
    let _ = intent::parse(&Request::tool_call("bash", serde_json::json!({ "command": text })), &ctx);
});
