//! Records never store raw secrets: a guard check of a command carrying a
//! credential leaves a record whose summary and other text fields hold no
//! trace of it (only the opted-in raw request does), while the request
//! digest is still the SHA-256 of the exact request bytes.

// Integration tests may unwrap: a failure is the test's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nemoclaw_core::audit::{
    read_log, verify_log, AuditEntry, AuditLog, AuditLogOptions, AuditSink, Durability,
    EntryRedactor, JsonLinesSink, LogItem, Record, VerdictSummary, VerifyOptions,
};
use nemoclaw_core::guard::Guard;
use nemoclaw_core::identity::KeyPair;
use nemoclaw_core::intent::Request;
use nemoclaw_core::policy::{Agent, AgentContext, Environment};
use sha2::{Digest, Sha256};

const WS: &str = "/home/dev/project";
// Realistic shapes (these particular values were never issued).
const GITHUB_TOKEN: &str = "ghp_R8x2Lq9ZtV4mN7bK1cW5yH3jP6dF0sG2aE8u";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq83kLm2Qa";

fn commands() -> Vec<String> {
    vec![
        format!(
            "curl -H \"Authorization: Bearer {GITHUB_TOKEN}\" https://api.github.com/user/repos"
        ),
        format!("export AWS_SECRET_ACCESS_KEY={AWS_SECRET}"),
        format!("curl -s \"https://api.github.com/user?access_token={GITHUB_TOKEN}\" | jq ."),
        format!("git clone https://deploy:{GITHUB_TOKEN}@github.com/acme/app.git"),
    ]
}

fn key() -> KeyPair {
    KeyPair::from_seed("guard-redact", &[21; 32]).unwrap()
}

fn agent() -> Agent {
    let mut ctx = AgentContext::local(WS);
    ctx.scopes = vec![
        "fs:rw:/home/dev/project".into(),
        "exec".into(),
        "net".into(),
    ];
    Agent::new(ctx).unwrap()
}

fn guard(log: Arc<AuditLog>, raw: bool) -> Guard {
    Guard::builder()
        .policy("coding-agent")
        .unwrap()
        .environment(Environment::new(WS, "/home/dev"))
        .audit(log)
        .audit_raw_requests(raw)
        .build()
        .unwrap()
}

fn records(path: &Path) -> Vec<Record> {
    read_log(&[path.to_path_buf()])
        .unwrap()
        .into_iter()
        .filter_map(|item| match item {
            LogItem::Record { record, .. } => Some(*record),
            _ => None,
        })
        .collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn secrets() -> [&'static str; 2] {
    [GITHUB_TOKEN, AWS_SECRET]
}

fn checked_log(dir: &Path, raw: bool) -> (PathBuf, Vec<Record>) {
    let path = dir.join(if raw { "raw.log" } else { "audit.log" });
    let log = Arc::new(
        AuditLog::open(
            &path,
            AuditLogOptions::new(key())
                .durability(Durability::None)
                .store_raw_requests(raw),
        )
        .unwrap(),
    );
    let g = guard(log.clone(), raw);
    for c in commands() {
        let v = g.check(&agent(), &Request::Shell(c.clone()));
        assert!(v.fault.is_none(), "{c}: {:?}", v.fault);
    }
    drop(g);
    log.close().unwrap();
    let report = verify_log(
        std::slice::from_ref(&path),
        &VerifyOptions::trusting(vec![key().public()]),
    );
    assert!(report.is_ok(), "{report:?}");
    let recs = records(&path);
    assert_eq!(recs.len(), commands().len());
    for (r, c) in recs.iter().zip(commands()) {
        let digest: [u8; 32] = Sha256::digest(c.as_bytes()).into();
        assert_eq!(r.entry.request_digest, digest, "{c}");
    }
    (path, recs)
}

#[test]
fn guard_checks_store_no_secret_anywhere_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, recs) = checked_log(dir.path(), false);
    let bytes = std::fs::read(&path).unwrap();
    for s in secrets() {
        assert!(!contains(&bytes, s), "`{s}` is in the log file");
    }
    for r in &recs {
        assert!(r.entry.raw_request.is_none());
    }
}

#[test]
fn opted_in_raw_request_is_the_only_field_with_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (_, recs) = checked_log(dir.path(), true);
    for (r, c) in recs.iter().zip(commands()) {
        assert_eq!(r.entry.raw_request.as_deref(), Some(c.as_str()));
        let mut rest = r.entry.clone();
        rest.raw_request = None;
        let text = serde_json::to_string(&rest).unwrap();
        for s in secrets() {
            assert!(!text.contains(s), "`{s}` outside the raw request: {text}");
        }
    }
}

#[test]
fn caller_summaries_and_reasons_are_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("direct.log");
    let log = AuditLog::open(&path, AuditLogOptions::new(key())).unwrap();
    for c in commands() {
        // a careless caller puts the raw command everywhere
        let e = AuditEntry::builder()
            .request(c.as_bytes())
            .raw_request(c.clone())
            .summary(c.clone())
            .verdict(
                VerdictSummary::new(
                    nemoclaw_core::audit::Decision::Deny,
                    vec!["p".into()],
                    [0; 32],
                )
                .with_reasons(vec![format!("refused: {c}")]),
            )
            .build();
        log.append(&e).unwrap();
    }
    log.close().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for s in secrets() {
        assert!(!contains(&bytes, s), "`{s}` is in the log file");
    }
    let recs = records(&path);
    assert!(
        recs[0].entry.summary.contains("<API_KEY>"),
        "{}",
        recs[0].entry.summary
    );
    assert!(
        recs[1].entry.summary.contains("<SECRET>"),
        "{}",
        recs[1].entry.summary
    );
    for (r, c) in recs.iter().zip(commands()) {
        let digest: [u8; 32] = Sha256::digest(c.as_bytes()).into();
        assert_eq!(r.entry.request_digest, digest);
    }
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn json_lines_are_redacted_too() {
    let buf = Buf::default();
    let sink = JsonLinesSink::new(Box::new(buf.clone()));
    for c in commands() {
        let e = AuditEntry::builder()
            .request(c.as_bytes())
            .summary(c.clone())
            .build();
        sink.record(&e).unwrap();
    }
    let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert_eq!(out.lines().count(), commands().len());
    for s in secrets() {
        assert!(!out.contains(s), "{out}");
    }
}

#[test]
fn a_custom_redactor_replaces_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custom.log");
    let log = AuditLog::open(
        &path,
        AuditLogOptions::new(key()).redactor(EntryRedactor::custom(Arc::new(|s: &str| {
            s.replace("Falcon", "<PROJECT>")
        }))),
    )
    .unwrap();
    let e = AuditEntry::builder()
        .request(b"x")
        .summary("ship Project Falcon")
        .build();
    log.append(&e).unwrap();
    log.close().unwrap();
    assert_eq!(records(&path)[0].entry.summary, "ship Project <PROJECT>");
}
