//! `nemoclaw policy validate|test|diff`: checking a pack before deploying it.
// Integration tests may unwrap: a failure is the test's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

mod common;
use common::{nemoclaw, s};

fn shipped(pack: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../nemoclaw-core/policies")
        .join(pack)
}

/// A copy of a shipped pack in `dir`, to edit.
fn copy_pack(pack: &str, dir: &Path) -> PathBuf {
    let to = dir.join(pack);
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(shipped(pack)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    to
}

#[test]
fn validate_accepts_every_shipped_pack() {
    for pack in ["coding-agent", "read-only", "ops"] {
        // by builtin name and as a directory
        for spec in [pack.to_owned(), s(&shipped(pack)).to_owned()] {
            let out = nemoclaw(&["policy", "validate", &spec]);
            assert_eq!(out.status.code(), Some(0), "{spec}: {out:?}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.starts_with("ok: pack `"), "{stdout}");
            assert!(stdout.contains("policy set "), "{stdout}");
        }
    }
}

#[test]
fn validate_names_file_and_line_of_errors() {
    let dir = tempfile::tempdir().unwrap();
    let pack = copy_pack("coding-agent", dir.path());
    // line 4: an attribute the schema does not have
    std::fs::write(
        pack.join("broken.cedar"),
        "// a policy with a typo\n\n@id(\"broken.typo\")\npermit (principal, action == Action::\"read\", resource is File)\nwhen { resource.in_workspce };\n",
    )
    .unwrap();
    let out = nemoclaw(&["policy", "validate", s(&pack)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.cedar:"), "{err}");
    assert!(err.contains("broken.typo"), "{err}");
    assert!(err.contains("problem(s)"), "{err}");

    // a syntax error names its line too
    std::fs::write(
        pack.join("broken.cedar"),
        "permit (principal, action, resource)\nwhen { ;\n",
    )
    .unwrap();
    let out = nemoclaw(&["policy", "validate", s(&pack)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.cedar:2"), "{err}");

    // not a pack at all: usage error
    let out = nemoclaw(&["policy", "validate", "no-such-pack"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn test_runs_a_packs_cases_and_fails_on_a_wrong_expectation() {
    for pack in ["coding-agent", "read-only", "ops"] {
        let out = nemoclaw(&["policy", "test", s(&shipped(pack))]);
        assert_eq!(out.status.code(), Some(0), "{pack}: {out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    }
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path().join("tests.json");
    std::fs::write(
        &tests,
        r#"{ "workspace": "/home/dev/project", "home": "/home/dev", "cases": [
            { "name": "reading a workspace file is allowed",
              "actions": [{ "verb": "read", "resource": { "kind": "path", "path": "/home/dev/project/a.txt" } }],
              "expect": "allow" },
            { "name": "wrongly expects ssh keys to be readable",
              "actions": [{ "verb": "read", "resource": { "kind": "path", "path": "/home/dev/.ssh/id_rsa" } }],
              "expect": "allow" } ] }"#,
    )
    .unwrap();
    let out = nemoclaw(&["policy", "test", "coding-agent", "--tests", s(&tests)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ok    reading a workspace file is allowed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL  wrongly expects ssh keys"),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");
    // a builtin name without --tests is a usage error
    let out = nemoclaw(&["policy", "test", "coding-agent"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn diff_reports_exactly_the_verdicts_a_change_moves() {
    let dir = tempfile::tempdir().unwrap();
    let pack = copy_pack("coding-agent", dir.path());
    // the candidate forbids reading Markdown files
    std::fs::write(
        pack.join("docs.cedar"),
        "@id(\"new.no-markdown\")\n@reason(\"no Markdown today\")\nforbid (principal, action == Action::\"read\", resource is File)\nwhen { resource.path like \"*.md\" };\n",
    )
    .unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    std::fs::write(
        &corpus,
        [
            r#"{"id": "a", "command": "cat README.md"}"#,
            r#"{"id": "b", "command": "cat src/main.rs"}"#,
            r#"not json"#,
            r#"{"id": "d", "command": "cat ~/.ssh/id_rsa"}"#,
            r#"{"id": "e", "command": "grep -n TODO docs/guide.md"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let out = nemoclaw(&[
        "policy",
        "diff",
        "--old",
        "coding-agent",
        "--new",
        s(&pack),
        "--workspace",
        "/home/dev/project",
        s(&corpus),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let changed: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = changed.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "e"], "{changed:?}");
    for c in &changed {
        assert_eq!(c["old"], "allow");
        assert_eq!(c["new"], "deny");
        assert!(c["new_policy_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "new.no-markdown"));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("2 verdict(s) changed"), "{err}");
    assert!(err.contains("allow->deny: 2"), "{err}");
}
