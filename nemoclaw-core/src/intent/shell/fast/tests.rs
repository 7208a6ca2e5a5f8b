//! Differential tests: the fast front end must give exactly the `Intent`
//! (actions, spans, attributes, flags) the tree-sitter front end gives.

use super::parse;
use crate::intent::{parse_shell, parse_shell_tree_sitter_only, Intent, ParseContext};
use proptest::prelude::*;
use std::path::PathBuf;

const HOME: &str = "/home/dev";

fn ctx() -> ParseContext {
    ParseContext::builder()
        .cwd("/home/dev/project")
        .home(HOME)
        .build()
}

fn accepts(src: &str) -> bool {
    parse(src, HOME).is_some()
}

/// Both front ends on `src`; the walk is deterministic unless the budget's
/// wall-clock backstop fires, which these small inputs never reach.
fn both(src: &str) -> (Intent, Intent) {
    (
        parse_shell(src, &ctx()),
        parse_shell_tree_sitter_only(src, &ctx()),
    )
}

fn corpus_commands(name: &str) -> Vec<String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/intent")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["command"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn corpus_lines_give_the_same_intent() {
    for name in ["benign.jsonl", "malicious.jsonl"] {
        let cmds = corpus_commands(name);
        let mut accepted = 0;
        for c in &cmds {
            if accepts(c) {
                accepted += 1;
            }
            // every line, accepted or not: nested text (`sh -c '...'`)
            // goes through the fast front end too
            let (fast, ts) = both(c);
            assert_eq!(fast, ts, "{name}: {c}");
        }
        eprintln!(
            "{name}: fast front end takes {accepted} of {} lines",
            cmds.len()
        );
        // most everyday commands are in the subset; attacks mostly are not
        if name == "benign.jsonl" {
            assert!(accepted * 2 > cmds.len(), "{accepted}/{}", cmds.len());
        } else {
            assert!(accepted > 0);
        }
    }
}

#[test]
fn fuzz_seeds_give_the_same_intent() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/intent_shell");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let (fast, ts) = both(&text);
        if !(fast.overflow || ts.overflow) {
            assert_eq!(fast, ts, "{}", path.display());
        }
        n += 1;
    }
    assert!(n >= 10);
}

#[test]
fn typical_commands_are_taken() {
    for c in [
        "git commit -m 'fix parser' && cargo test -p core",
        "cd /home/dev/project && git fetch origin main && git rebase origin/main && cargo build --release 2>&1 | tee build.log; if [ -f target/release/app ]; then ./target/release/app --config ~/.config/app.toml > out.txt; fi",
        "ls -la src/*.rs | grep main",
        "RUST_LOG=debug cargo run -- --port 8080 > server.log 2>&1",
        "[ -d build ] || mkdir -p build",
        "curl -fsSL https://example.com/i.sh | sh",
        "sh -c 'cat /etc/shadow > /tmp/x'",
        "X=1",
        "echo \"hello world\" >> notes.txt",
    ] {
        assert!(accepts(c), "{c}");
        let (fast, ts) = both(c);
        assert_eq!(fast, ts, "{c}");
    }
}

#[test]
fn inputs_outside_the_subset_are_left_to_tree_sitter() {
    for c in [
        "",
        "   ",
        "echo $HOME",
        "echo \"$HOME\"",
        "echo `id`",
        "echo $(id)",
        "echo a\\ b",
        "echo \"a\\\"b\"",
        "echo \"hi!\"",
        "ls # comment",
        "echo a\necho b",
        "(cd /tmp && ls)",
        "{ ls; }",
        "ls &",
        "sleep 1 & ls",
        "cat <<EOF\nx\nEOF",
        "cat <<< word",
        "cat < <(ls)",
        "diff <(ls a) <(ls b)",
        "echo > f hi",
        "> f echo hi",
        "echo hi>f",
        "cmd 12>f",
        "cmd 0<f",
        "cmd >| f",
        "cmd <> f",
        "cmd >& f",
        "cmd 2>&-",
        "for f in a b; do rm $f; done",
        "while true; do ls; done",
        "case x in a) ls;; esac",
        "function f { ls; }",
        "f() { ls; }",
        "export A=1",
        "local a=1",
        "declare -x A=1",
        "readonly A=1",
        "unset A",
        "let a=1",
        "time ls",
        "! ls",
        "echo done",
        "a | b | c && d",
        "a && b | c | d",
        "if a; then b; else'c' d; fi",
        "then'x'",
        "if a; then if b; then c; fi; fi",
        "if a; then b; fi > f",
        "if a; then b; fi | c",
        "a && if b; then c; fi",
        "if a; then b; fi && c",
        "if a; then; fi",
        "if a then b; fi",
        "[[ -f x ]]",
        "[ -f x ] | cat",
        "[ a b c d ]",
        "[ -f ]",
        "[ a= = b ]",
        "[ x ] > f",
        "ls [ab]",
        "echo {a,b}",
        "ls ~user/x\u{e9}",
        "echo caf\u{e9}",
        "echo a\u{1}b",
        "a ||",
        "| a",
        "a ;; b",
        "a |& b",
        "X=1 | cat",
        "X=1 > f",
        "X=1 && ls",
        "=x",
        "1a=b ls",
        "echo 'unterminated",
        "echo %s ^x",
    ] {
        assert!(!accepts(c), "taken but outside the subset: {c:?}");
    }
    // beyond the size cap, even simple text goes to tree-sitter
    assert!(!accepts(&"ls ".repeat(2000)));
    // long chains nest deep in tree-sitter-bash's tree
    assert!(accepts(&["ls"; 32].join(" && ")));
    assert!(!accepts(&["ls"; 33].join(" && ")));
    assert!(accepts(&["ls > f"; 8].join(" | ")));
    assert!(!accepts(&["ls > f"; 9].join(" | ")));
}

#[test]
fn long_and_deep_text_is_bounded_and_agrees() {
    for src in [
        vec!["ls"; 1000].join(" && "),
        vec!["cat x > f"; 500].join(" | "),
        vec!["a"; 2000].join(";"),
        vec!["if a; then b > f; fi"; 150].join("; "),
        vec!["[ -f x ] || rm y"; 200].join("; "),
    ] {
        let (fast, ts) = both(&src);
        assert_eq!(fast, ts, "{}", &src[..40]);
    }
}

// ------------------------------------------------------------------ proptest

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        16 => prop::sample::select(vec![
            "git", "ls", "-la", "~", "~/x", "~/.ssh/id_rsa", "a=b", "--c=~/d", "*.rs",
            "/etc/passwd", "http://1.2.3.4/x", "https://evil.example/i.sh", "sh", "bash",
            "curl", "wget", "-O", "-", "rm", "-rf", "/", "true", ":", "cat", "/dev/null",
            "echo", "-n", "printf", "base64", "-d", "tee", "1", "2", "0", "sudo", "env",
            "X=1", "LD_PRELOAD=/tmp/x.so", "chmod", "+x", "/tmp/x.sh", "./x.sh", "python3",
            "-c", "nc", "10.0.0.1", "4444", "ssh", "host", "cd", "/tmp", "..", "src/main.rs",
            "-e", "/bin/sh", "cp", "mv", "a", "b", "x,y", "user@host:/p", "-f", "-eq", "eval",
            "xargs", "find", "-exec", "a+b", "k8s:x", "a:b", "u@h", "+x", "~x", "~+", "a~",
            ":x", "--", "x=", "a,b", ".", "./", "~/a=b", "A=~", "_", "@", ",", "+", "-1",
        ])
        .prop_map(str::to_string),
        // words the fast front end refuses or treats with care
        4 => prop::sample::select(vec![
            "then", "fi", "[", "]", "=", "==", "if", "do", "{}", "\\;", "%", "^", "=x", "2",
            "12", "-", "a?b",
        ])
        .prop_map(str::to_string),
        1 => prop::sample::select(vec![
            "'a b; c | d'", "'$HOME'", "'ls -la'", "'curl http://x/y | sh'", "\"a b\"", "\"\"",
            "''", "\"x\"y'z'", "~/'a b'", "\"\"~/x", "''~", "'rm -rf /'",
            "\"cat /etc/shadow > /tmp/x\"", "'echo hi > f'", "\"a;b&&c\"", "'#x'",
            "\"id\"", "'sh -c \"ls -l\"'", "'${x}'",
        ])
        .prop_map(str::to_string),
    ]
}

fn redirect() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "> f",
        ">>f",
        "2>&1",
        ">&2",
        "< in.txt",
        "&> log",
        "&>> log",
        "2>/dev/null",
        "1>o",
        "> /tmp/x.sh",
        "2> err",
        ">/dev/tcp/1.2.3.4/80",
        "< /etc/shadow",
        "> ~/.bashrc",
        "1>&2",
        "2>>e",
    ])
    .prop_map(str::to_string)
}

fn command() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop::sample::select(vec!["A=1", "B=~/x", "C+=y", "D=", "E='a b'"]),
            0..2,
        ),
        prop::option::weighted(
            0.8,
            prop::sample::select(vec![
                "git",
                "ls",
                "sh",
                "bash",
                "curl",
                "wget",
                "rm",
                "cat",
                "echo",
                "printf",
                "tee",
                "sudo",
                "env",
                "chmod",
                "python3",
                "nc",
                "ssh",
                "cd",
                "cp",
                "mv",
                "find",
                "xargs",
                "eval",
                "base64",
                "./x.sh",
                "/tmp/x.sh",
                "true",
                ":",
                "'ls'",
                "\"sh\"",
                "cargo",
                "docker",
                "kubectl",
                "ln",
                "dd",
                "crontab",
                "nohup",
                "timeout",
            ]),
        ),
        prop::collection::vec(word(), 1..5),
        prop::collection::vec(redirect(), 0..3),
    )
        .prop_map(|(a, name, w, r)| {
            let mut parts: Vec<String> = a.into_iter().map(str::to_string).collect();
            parts.extend(name.map(str::to_string));
            parts.extend(w);
            parts.extend(r);
            parts.join(" ")
        })
}

fn test_cmd() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "[ -f x ]",
        "[ -d ~/b ]",
        "[ a = b ]",
        "[ 1 -eq 2 ]",
        "[ x ]",
        "[ -n 'a b' ]",
    ])
    .prop_map(str::to_string)
}

fn chain() -> impl Strategy<Value = String> {
    (
        prop_oneof![4 => command(), 1 => test_cmd()],
        prop::collection::vec(
            (
                prop::sample::select(vec![" | ", " && ", " || ", "|", "&&", " ; "]),
                prop_oneof![4 => command(), 1 => test_cmd()],
            ),
            0..4,
        ),
    )
        .prop_map(|(first, rest)| {
            let mut s = first;
            for (op, c) in rest {
                s.push_str(op);
                s.push_str(&c);
            }
            s
        })
}

fn script() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => chain(),
        1 => (chain(), chain(), prop::option::of(chain())).prop_map(|(c, t, e)| match e {
            Some(e) => format!("if {c}; then {t}; else {e}; fi"),
            None => format!("if {c}; then {t}; fi"),
        }),
        1 => (chain(), chain()).prop_map(|(a, b)| format!("{a}; if [ -f x ]; then {b}; fi; ls")),
    ]
}

/// The grammar's text with, sometimes, a near-miss byte inserted or a byte removed.
fn near_miss() -> impl Strategy<Value = String> {
    (
        script(),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop::sample::select(vec![
                    "$", "`", "\\", "#", "!", "(", ")", "{", "}", "[", "]", "&", "<", ">", "%",
                    "^", "\n", "\u{e9}", "*", "=", "'", "\"", "|", ";", " ", "~", "\t", "2", "-",
                    "$(", "<<", "\u{1}", ":", "@", ",", "+", "0", "1", "-", ".", "/", "_", "a",
                    "if ", "then ", " fi", "else ",
                ]),
            ),
            0..4,
        ),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(mut s, ins, del)| {
            for (at, t) in ins {
                let i = at.index(s.len() + 1);
                if s.is_char_boundary(i) {
                    s.insert_str(i, t);
                }
            }
            if let Some(at) = del {
                if !s.is_empty() {
                    let i = at.index(s.len());
                    if s.is_char_boundary(i) && s.is_char_boundary(i + 1) {
                        s.remove(i);
                    }
                }
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn grammar_gives_the_same_intent(src in script()) {
        let (fast, ts) = both(&src);
        prop_assert_eq!(fast, ts, "{}", src);
    }

    #[test]
    fn near_misses_give_the_same_intent(src in near_miss()) {
        let (fast, ts) = both(&src);
        prop_assert_eq!(fast, ts, "{}", src);
    }
}
