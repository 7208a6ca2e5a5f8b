//! `nemoclaw check`: one request and `--jsonl` batches, against the CLI
//! contract of DESIGN.md (output fields, order, error lines, exit codes).
// Integration tests may unwrap: a failure is the test's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const WS: &str = "/home/dev/project";
const HOME: &str = "/home/dev";

fn check(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nemoclaw"));
    cmd.arg("check")
        .args(["--workspace", WS, "--home", HOME])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn single_request_allow_exits_0_with_the_contract_fields() {
    let out = check(&["git", "status"], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = lines(&out);
    assert_eq!(v.len(), 1);
    let v = &v[0];
    assert_eq!(v["decision"], "allow");
    for field in ["id", "actions", "reasons", "policy_ids", "latency_us"] {
        assert!(v.get(field).is_some(), "missing `{field}` in {v}");
    }
    assert!(v["latency_us"].as_f64().unwrap() >= 0.0);
    assert!(v["actions"].as_array().is_some_and(|a| !a.is_empty()));
}

#[test]
fn single_request_deny_and_escalate_exit_1() {
    let out = check(&["cat", "~/.ssh/id_rsa"], None);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = &lines(&out)[0];
    assert_eq!(v["decision"], "deny");
    assert!(v["policy_ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "coding.no-secret-files"));
    assert!(!v["reasons"].as_array().unwrap().is_empty());

    let out = check(&[":>", "src/main.rs"], None);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(lines(&out)[0]["decision"], "escalate");
}

#[test]
fn a_tool_call_is_checked() {
    let out = check(&["--tool", "search", "--args", r#"{"q":"x"}"#], None);
    // The local identity has no `tool:` scope: not allowed.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = &lines(&out)[0];
    assert_ne!(v["decision"], "allow");
    assert_eq!(v["actions"][0]["verb"], "call_tool");
}

#[test]
fn usage_errors_exit_2_with_one_line_on_stderr() {
    // nothing to check
    let out = check(&[], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // an unknown pack
    let out = check(&["--profile", "no-such-pack", "ls"], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // --args that are not JSON
    let out = check(&["--tool", "search", "--args", "{nope"], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn jsonl_keeps_order_and_reports_malformed_lines_in_place() {
    let input = [
        r#"{"id": 1, "command": "git status"}"#,
        r#"{"id": "two", "command": "cat /etc/shadow"}"#,
        r#"this is not json"#,
        r#"{"id": 4, "neither": "command nor tool"}"#,
        r#"{"id": 5, "command": 42}"#,
        r#"[1, 2, 3]"#,
        "",
        r#"{"id": 8, "tool": "search", "args": {"q": "rust"}}"#,
        r#"{"id": 9, "command": "cargo build --release"}"#,
        r#"{"command": "ls -la"}"#,
    ]
    .join("\n");
    let out = check(&["--jsonl"], Some(&input));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = lines(&out);
    // one output line per non-empty input line, in input order
    assert_eq!(v.len(), 9, "{v:?}");
    assert_eq!(v[0]["id"], 1);
    assert_eq!(v[0]["decision"], "allow");
    assert_eq!(v[1]["id"], "two");
    assert_eq!(v[1]["decision"], "deny");
    // malformed JSON: an error object for that line, id null, line number
    assert!(v[2]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("malformed JSON"));
    assert_eq!(v[2]["line"], 3);
    assert!(v[2]["id"].is_null());
    assert_eq!(v[2]["decision"], "deny");
    // well-formed but wrong shape: error objects that keep the id
    assert_eq!(v[3]["id"], 4);
    assert!(v[3]["error"].is_object());
    assert_eq!(v[4]["id"], 5);
    assert!(v[4]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("`command` must be a string"));
    assert!(v[5]["error"].is_object());
    assert_eq!(v[5]["line"], 6);
    // processing continued after the errors
    assert_eq!(v[6]["id"], 8);
    assert_eq!(v[6]["actions"][0]["verb"], "call_tool");
    assert_eq!(v[7]["id"], 9);
    assert_eq!(v[7]["decision"], "allow");
    assert!(v[8]["id"].is_null());
    assert_eq!(v[8]["decision"], "allow");
    for line in v.iter().filter(|l| l.get("error").is_none()) {
        for field in ["decision", "actions", "reasons", "policy_ids", "latency_us"] {
            assert!(line.get(field).is_some(), "missing `{field}` in {line}");
        }
    }
}

#[test]
fn jsonl_survives_invalid_utf8() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nemoclaw"))
        .args(["check", "--jsonl", "--workspace", WS, "--home", HOME])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(b"{\"id\": 1, \"command\": \"ls\"}\n")
            .unwrap();
        pipe.write_all(b"{\"id\": 2, \"command\": \"\xff\xfe\"}\n")
            .unwrap();
        pipe.write_all(b"{\"id\": 3, \"command\": \"pwd\"}\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = lines(&out);
    assert_eq!(v.len(), 3, "{v:?}");
    assert_eq!(v[0]["id"], 1);
    assert!(v[1]["error"].is_object());
    assert_eq!(v[2]["id"], 3);
    assert_eq!(v[2]["decision"], "allow");
}

#[test]
fn a_large_batch_comes_back_complete_and_in_order() {
    let n = 500;
    let input: String = (0..n)
        .map(|i| {
            let cmd = if i % 3 == 0 {
                "cat ~/.aws/credentials"
            } else {
                "ls src"
            };
            format!("{{\"id\": {i}, \"command\": \"{cmd}\"}}\n")
        })
        .collect();
    let out = check(&["--jsonl"], Some(&input));
    assert_eq!(out.status.code(), Some(0));
    let v = lines(&out);
    assert_eq!(v.len(), n);
    for (i, line) in v.iter().enumerate() {
        assert_eq!(line["id"], i);
        let want = if i % 3 == 0 { "deny" } else { "allow" };
        assert_eq!(line["decision"], want, "{line}");
    }
}

#[test]
fn a_relative_workspace_is_taken_from_the_current_directory() {
    let dir = std::env::temp_dir().join(format!("nemoclaw-relws-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("ws")).unwrap();
    // Writing a file inside the workspace is ordinary work; the same write
    // would be outside the workspace if `ws` were taken as `/ws`.
    let out = Command::new(env!("CARGO_BIN_EXE_nemoclaw"))
        .current_dir(&dir)
        .args(["check", "--workspace", "ws", "--home", HOME, "--"])
        .args(["touch", "notes.txt"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = &lines(&out)[0];
    assert_eq!(v["decision"], "allow", "{v}");
    let written = dir.join("ws/notes.txt").display().to_string();
    assert!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["verb"] == "write" && a["resource"]["path"] == written.as_str()),
        "{v}"
    );
}
