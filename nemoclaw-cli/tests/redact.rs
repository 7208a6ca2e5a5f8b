#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: test code

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], input: &str) -> (i32, String, String) {
    run_with_model(args, input, None)
}

/// Run `nemoclaw` with `NEMOCLAW_NER_MODEL` set when `model` is given.
fn run_with_model(
    args: &[&str],
    input: &str,
    model: Option<&std::path::Path>,
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nemoclaw"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(m) = model {
        cmd.env("NEMOCLAW_NER_MODEL", m);
    }
    let mut child = cmd.spawn().unwrap();
    // A command that refuses before reading stdin may close the pipe first;
    // the exit status and the output are what the tests check.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn plain_text_stdin_to_stdout() {
    let (code, out, _) = run(
        &["redact", "--no-ner"],
        "Mail zoe@example.org or call +44 20 7946 0958.\n",
    );
    assert_eq!(code, 0);
    assert_eq!(out, "Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>.\n");
}

#[test]
fn jsonl_code_point_offsets_and_errors() {
    let text = "Ünïcödé → José at jose.garcía@example.com, SSN 536-22-1234";
    let input = format!(
        "{}\nnot json\n{{\"id\": 7}}\n{}\n",
        serde_json::json!({"id": "a", "text": text}),
        serde_json::json!({"id": 9, "text": "clean text"})
    );
    let (code, out, _) = run(&["redact", "--jsonl", "--no-ner"], &input);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "one output line per input line");
    let first = &lines[0];
    assert_eq!(first["id"], "a");
    let chars: Vec<char> = text.chars().collect();
    let spans = first["spans"].as_array().unwrap();
    let got: Vec<(String, String)> = spans
        .iter()
        .map(|s| {
            let (a, b) = (
                s["start"].as_u64().unwrap() as usize,
                s["end"].as_u64().unwrap() as usize,
            );
            (
                s["label"].as_str().unwrap().to_string(),
                chars[a..b].iter().collect(),
            )
        })
        .collect();
    assert!(
        got.contains(&("US_SSN".into(), "536-22-1234".into())),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|(l, v)| l == "EMAIL_ADDRESS" && v.ends_with("@example.com")),
        "{got:?}"
    );
    assert!(spans
        .iter()
        .all(|s| s["detector"].is_string() && s["score"].is_number()));
    assert!(first["latency_us"].is_number());
    assert!(first["text"].as_str().unwrap().ends_with("SSN <US_SSN>"));
    assert!(lines[1]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not JSON"));
    assert_eq!(lines[2]["id"], 7);
    assert!(lines[2]["error"].is_object());
    assert_eq!(lines[3]["text"], "clean text");
}

#[test]
fn operators_labels_and_bad_operator() {
    let (_, out, _) = run(
        &[
            "redact",
            "--operator",
            "mask:4",
            "--operator",
            "EMAIL_ADDRESS=hash",
            "--labels",
            "CREDIT_CARD,EMAIL_ADDRESS",
        ],
        "card 4111 1111 1111 1111 mail a@b.io ssn 536-22-1234",
    );
    assert!(
        out.starts_with("card **** **** **** 1111 mail <EMAIL_ADDRESS:"),
        "{out}"
    );
    assert!(out.ends_with("ssn 536-22-1234"), "{out}");
    let (code, _, err) = run(&["redact", "--operator", "shred"], "x");
    assert_eq!(code, 2);
    assert!(err.contains("unknown operator `shred`"), "{err}");
}

#[test]
fn pseudonymize_then_restore_with_vault() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("user.key");
    std::fs::write(&key, "11".repeat(32)).unwrap();
    let vault = dir.path().join("s.vault");
    let (k, v) = (key.to_str().unwrap(), vault.to_str().unwrap());
    let (code, out, err) = run(
        &[
            "redact",
            "--operator",
            "pseudonymize",
            "--key",
            k,
            "--vault",
            v,
        ],
        "Ask ana@example.org and bob@example.org; ana@example.org first.",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Ask <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>; <EMAIL_ADDRESS_1> first."
    );
    assert!(!String::from_utf8_lossy(&std::fs::read(&vault).unwrap()).contains("ana@"));
    let (code, out, _) = run(
        &["restore", "--key", k, "--vault", v],
        "Done: wrote <EMAIL_ADDRESS_2>.",
    );
    assert_eq!(code, 0);
    assert_eq!(out, "Done: wrote bob@example.org.");
    // Wrong key: exit 2 with a one-line message.
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "22".repeat(32)).unwrap();
    let (code, _, err) = run(
        &["restore", "--key", bad.to_str().unwrap(), "--vault", v],
        "x",
    );
    assert_eq!(code, 2);
    assert!(err.contains("does not decrypt"), "{err}");
}

/// The repository's NER model as placed by `scripts/setup.sh`.
fn model_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/rampart")
}

#[cfg(feature = "ner")]
#[test]
fn ner_runs_by_default_and_finds_names() {
    let dir = model_dir();
    if !dir.join("config.json").exists() {
        // `make test` runs setup first, so this only happens when the
        // suite is run by hand on a machine without the model.
        eprintln!("skipped: NER model not installed in {}", dir.display());
        return;
    }
    let input = format!(
        "{}\n",
        serde_json::json!({"id": 1, "text": "Please email Maria Gonzalez about the Madrid office."})
    );
    let (code, out, err) = run_with_model(&["redact", "--jsonl"], &input, Some(&dir));
    assert_eq!(code, 0, "{err}");
    let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let spans = line["spans"].as_array().unwrap();
    assert!(
        spans
            .iter()
            .any(|s| s["label"] == "PERSON" && s["detector"] == "ner"),
        "{line}"
    );
    assert!(
        !line["text"].as_str().unwrap().contains("Gonzalez"),
        "{line}"
    );
}

#[test]
fn missing_ner_model_is_a_refusal_not_a_silent_downgrade() {
    let missing = std::path::Path::new("/nonexistent/nemoclaw-model");
    let (code, out, err) = run_with_model(&["redact"], "Maria\n", Some(missing));
    assert_eq!(code, 2);
    assert!(out.is_empty(), "nothing is printed unredacted");
    assert!(err.contains("ner"), "{err}");
}
