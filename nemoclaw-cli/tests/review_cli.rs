//! `nemoclaw review list|show|approve|deny` on tickets opened by
//! `nemoclaw check --tickets`, with signed, audited decisions.
// Integration tests may unwrap: a failure is the test's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Output;

use nemoclaw_core::audit::{read_log, LogItem};

mod common;
use common::{nemoclaw, s};

const WS: &str = "/home/dev/project";

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks a request that escalates and returns its ticket id.
fn escalate(db: &Path, command: &str) -> String {
    let out = nemoclaw(&[
        "check",
        "--workspace",
        WS,
        "--home",
        "/home/dev",
        "--tickets",
        s(db),
        command,
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["decision"], "escalate", "{v}");
    v["ticket"].as_str().unwrap().to_owned()
}

#[test]
fn list_show_approve_deny() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tickets.db");
    let first = escalate(&db, ":> src/main.rs");
    let second = escalate(&db, "python3 -m http.server 8000 --bind 0.0.0.0");

    // list: both pending, one line each
    let out = nemoclaw(&["review", "list", "--db", s(&db)]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains(&first) && text.contains(&second), "{text}");
    assert!(text.lines().all(|l| l.contains("pending")), "{text}");
    let out = nemoclaw(&["review", "list", "--db", s(&db), "--json"]);
    for line in stdout(&out).lines() {
        let t: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(t["state"], "pending");
    }

    // show: the request, the parsed actions with reasons, the agent's goal
    let out = nemoclaw(&["review", "show", "--db", s(&db), &first]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains(":> src/main.rs"), "{text}");
    assert!(text.contains("goal       work in the workspace"), "{text}");
    assert!(
        text.contains("escalate write /home/dev/project/src/main.rs"),
        "{text}"
    );
    assert!(text.contains("[coding.escalate-truncate]"), "{text}");
    let out = nemoclaw(&["review", "show", "--db", s(&db), &first, "--json"]);
    let t: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(t["id"], first.as_str());
    assert_eq!(t["request"], ":> src/main.rs");

    // approve one, deny the other
    let out = nemoclaw(&[
        "review",
        "approve",
        "--db",
        s(&db),
        &first,
        "--reviewer",
        "alice",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out).trim(), format!("{first} approved"));
    let out = nemoclaw(&[
        "review",
        "deny",
        "--db",
        s(&db),
        &second,
        "--reviewer",
        "bob",
        "--comment",
        "no",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out).trim(), format!("{second} denied"));

    // decided tickets leave the pending list; --all shows them
    let out = nemoclaw(&["review", "list", "--db", s(&db)]);
    assert_eq!(stdout(&out).trim(), "");
    let out = nemoclaw(&["review", "list", "--db", s(&db), "--all"]);
    assert_eq!(stdout(&out).lines().count(), 2);

    // a decided ticket cannot be decided again (negative: exit 1)
    let out = nemoclaw(&[
        "review",
        "deny",
        "--db",
        s(&db),
        &first,
        "--reviewer",
        "carol",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is approved"));
    // an unknown ticket is a usage error
    let out = nemoclaw(&["review", "show", "--db", s(&db), "0000"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn review_decisions_are_signed_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tickets.db");
    let keys = dir.path().join("keys");
    for kid in ["alice", "guard"] {
        let out = nemoclaw(&["keygen", "--out", s(&keys), "--kid", kid]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let log = dir.path().join("audit.log");
    let ticket = escalate(&db, ":> src/main.rs");
    let out = nemoclaw(&[
        "review",
        "approve",
        "--db",
        s(&db),
        &ticket,
        "--reviewer",
        "alice",
        "--key",
        s(&keys.join("alice.key")),
        "--comment",
        "the file is regenerated",
        "--audit",
        s(&log),
        "--audit-key",
        s(&keys.join("guard.key")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // The log verifies with the guard's key ...
    let out = nemoclaw(&[
        "audit",
        "verify",
        s(&log),
        "--trust",
        s(&keys.join("guard.pub")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        stdout(&out).starts_with("ok: 1 records"),
        "{}",
        stdout(&out)
    );

    // ... and holds the decision, bound to the ticket, with the reviewer's signature.
    let items = read_log(std::slice::from_ref(&log)).unwrap();
    let reviews: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            LogItem::Record { record, .. } => Some(record.entry.clone()),
            _ => None,
        })
        .flat_map(|e| e.reviews)
        .collect();
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    let r = &reviews[0];
    assert_eq!(r.ticket, ticket);
    assert_eq!(r.reviewer, "alice");
    assert_eq!(format!("{:?}", r.outcome), "Approve");
    let comment = r.comment.as_deref().unwrap();
    assert!(comment.contains("the file is regenerated"), "{comment}");
    assert!(comment.contains("[signed kid=alice ed25519="), "{comment}");

    // Without --audit-key, the reviewer's own key signs the record.
    let second = escalate(&db, ":> src/lib.rs");
    let log2 = dir.path().join("audit2.log");
    let out = nemoclaw(&[
        "review",
        "deny",
        "--db",
        s(&db),
        &second,
        "--reviewer",
        "alice",
        "--key",
        s(&keys.join("alice.key")),
        "--audit",
        s(&log2),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = nemoclaw(&[
        "audit",
        "verify",
        s(&log2),
        "--trust",
        s(&keys.join("alice.pub")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // --audit with no key at all is a usage error, and decides nothing.
    let third = escalate(&db, ":> src/util.rs");
    let out = nemoclaw(&[
        "review",
        "approve",
        "--db",
        s(&db),
        &third,
        "--reviewer",
        "bob",
        "--audit",
        s(&dir.path().join("audit3.log")),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = nemoclaw(&["review", "list", "--db", s(&db)]);
    assert!(stdout(&out).contains(&third));
}
