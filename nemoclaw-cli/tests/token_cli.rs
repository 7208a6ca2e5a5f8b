//! The `nemoclaw token` and `keygen` commands, run as a user would run them.
// Tests fail by panicking; unwrap/expect/panic are the assertion mechanism here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::nemoclaw;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/identity")
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for kid in ["issuer", "planner", "coder"] {
            let o = nemoclaw(&["keygen", "--out", &p(dir.path(), "keys"), "--kid", kid]);
            assert!(o.status.success(), "{}", stderr(&o));
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        p(self.dir.path(), name)
    }

    fn issue(&self, out: &str, extra: &[&str]) -> Output {
        let key = self.path("keys/issuer.key");
        let agent_key = self.path("keys/planner.pub");
        let mut args = vec![
            "token",
            "issue",
            "--key",
            &key,
            "--agent",
            "planner",
            "--task-id",
            "T-1",
            "--goal",
            "fix the build",
            "--scope",
            "fs:rw:/work",
            "--scope",
            "net:*.github.com:443",
            "--scope",
            "exec",
            "--model",
            "llama-3.1@2024-07",
            "--origin",
            "human:alice",
            "--ttl",
            "1h",
            "--agent-key",
            &agent_key,
            "--out",
        ];
        let out = self.path(out);
        args.push(&out);
        args.extend_from_slice(extra);
        nemoclaw(&args)
    }

    fn delegate(&self, parent: &str, out: &str, scopes: &[&str]) -> Output {
        let parent = self.path(parent);
        let key = self.path("keys/planner.key");
        let agent_key = self.path("keys/coder.pub");
        let out = self.path(out);
        let mut args = vec![
            "token",
            "delegate",
            "--parent",
            &parent,
            "--parent-key",
            &key,
            "--agent",
            "coder",
            "--agent-key",
            &agent_key,
            "--ttl",
            "10m",
            "--out",
            &out,
        ];
        for s in scopes {
            args.push("--scope");
            args.push(s);
        }
        nemoclaw(&args)
    }

    fn verify(&self, token: &str, extra: &[&str]) -> Output {
        let trust = self.path("keys");
        let token = self.path(token);
        let mut args = vec!["token", "verify", "--trust", &trust];
        args.extend_from_slice(extra);
        args.push(&token);
        nemoclaw(&args)
    }
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn issue_delegate_verify_round_trip() {
    let s = Setup::new();
    let o = s.issue("root.ait", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.verify("root.ait", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("agent `planner`"));

    let o = s.delegate("root.ait", "child.ait", &["fs:ro:/work/src", "exec"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.verify("child.ait", &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["agent_id"], "coder");
    assert_eq!(json["depth"], 1);
    assert_eq!(
        json["chain_agents"],
        serde_json::json!(["planner", "coder"])
    );
    assert_eq!(
        json["scopes"],
        serde_json::json!(["exec", "fs:ro:/work/src"])
    );
    // a single key file works as the trust anchor too
    let trust = s.path("keys/issuer.pub");
    let token = s.path("child.ait");
    let o = nemoclaw(&["token", "verify", "--trust", &trust, &token]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn base64_output_and_input() {
    let s = Setup::new();
    let o = s.issue("root.b64", &["--base64"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(s.path("root.b64")).unwrap();
    assert!(text
        .trim()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(s.verify("root.b64", &[]).status.code(), Some(0));
    let o = s.delegate("root.b64", "child.b64", &["exec"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(s.verify("child.b64", &[]).status.code(), Some(0));
}

#[test]
fn tampered_token_fails_with_reason() {
    let s = Setup::new();
    assert!(s.issue("root.ait", &[]).status.success());
    let mut bytes = std::fs::read(s.path("root.ait")).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0x40;
    std::fs::write(s.path("bad-sig.ait"), &bytes).unwrap();
    let o = s.verify("bad-sig.ait", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("token_bad_signature"), "{}", stderr(&o));
    // a byte of the claims: the signature no longer covers it
    let mut bytes = std::fs::read(s.path("root.ait")).unwrap();
    let at = bytes.windows(5).position(|w| w == b"/work").unwrap();
    bytes[at + 1] = b'W';
    std::fs::write(s.path("bad-claim.ait"), &bytes).unwrap();
    let o = s.verify("bad-claim.ait", &["--json"]);
    assert_eq!(o.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["valid"], false);
    assert_eq!(json["code"], "token_bad_signature");
    std::fs::write(s.path("garbage.ait"), b"\xd2\x84garbage").unwrap();
    let o = s.verify("garbage.ait", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("token_malformed"), "{}", stderr(&o));
}

#[test]
fn expired_not_yet_valid_revoked_wrong_audience() {
    let s = Setup::new();
    assert!(s.issue("root.ait", &["--aud", "guard"]).status.success());
    assert!(s
        .delegate("root.ait", "child.ait", &["exec"])
        .status
        .success());
    let o = s.verify("child.ait", &["--aud", "guard"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let later = (nemoclaw_now() + 7200).to_string();
    let o = s.verify("root.ait", &["--aud", "guard", "--now", &later]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("token_expired"), "{}", stderr(&o));
    let o = s.verify("root.ait", &["--aud", "guard", "--now", "1000"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("token_not_yet_valid"), "{}", stderr(&o));
    let o = s.verify("root.ait", &["--aud", "other"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("token_wrong_audience"),
        "{}",
        stderr(&o)
    );
    let o = s.verify("root.ait", &[]);
    assert!(
        stderr(&o).contains("token_wrong_audience"),
        "{}",
        stderr(&o)
    );

    // revoke the root: the child dies with it
    let o = nemoclaw(&["token", "inspect", &s.path("root.ait")]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cti = json["cti"].as_str().unwrap();
    std::fs::write(s.path("revoked.txt"), format!("# incident 7\n{cti}\n")).unwrap();
    let revoked = s.path("revoked.txt");
    let o = s.verify("child.ait", &["--aud", "guard", "--revoked", &revoked]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("token_revoked"), "{}", stderr(&o));
}

fn nemoclaw_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn widened_delegation_is_refused() {
    let s = Setup::new();
    assert!(s.issue("root.ait", &[]).status.success());
    for wide in [
        "fs:rw:/",
        "fs:rw:/etc",
        "net:evil.com:443",
        "net:*.github.com",
        "tool:shell",
        "install",
    ] {
        let o = s.delegate("root.ait", "wide.ait", &[wide]);
        assert_eq!(o.status.code(), Some(1), "{wide}");
        assert!(
            stderr(&o).contains("token_scope_escalation"),
            "{wide}: {}",
            stderr(&o)
        );
    }
    // the wrong private key cannot delegate
    let o = nemoclaw(&[
        "token",
        "delegate",
        "--parent",
        &s.path("root.ait"),
        "--parent-key",
        &s.path("keys/coder.key"),
        "--agent",
        "x",
        "--agent-key",
        &s.path("keys/coder.pub"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("token_proof_of_possession"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    let s = Setup::new();
    assert_eq!(nemoclaw(&["token", "issue"]).status.code(), Some(2));
    assert_eq!(nemoclaw(&["token", "frobnicate"]).status.code(), Some(2));
    let o = s.issue("x.ait", &["--scope", "fs:ro:relative"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("scope_invalid"), "{}", stderr(&o));
    let o = s.verify("missing.ait", &[]);
    assert_eq!(o.status.code(), Some(2));
    let o = nemoclaw(&["token", "verify", "--trust", "/nonexistent", "x"]);
    assert_eq!(o.status.code(), Some(2));
    // a public key where a private one is needed
    let o = nemoclaw(&[
        "token",
        "issue",
        "--key",
        &s.path("keys/issuer.pub"),
        "--agent",
        "a",
        "--task-id",
        "t",
        "--goal",
        "g",
        "--model",
        "m@1",
        "--origin",
        "human:x",
        "--ttl",
        "1h",
        "--agent-key",
        &s.path("keys/planner.pub"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("key_invalid"), "{}", stderr(&o));
    assert_eq!(
        nemoclaw(&["token", "verify", "--help"]).status.code(),
        Some(0)
    );
}

#[test]
fn inspect_matches_golden_claims_and_golden_chain_verifies() {
    let dir = golden();
    for name in ["root", "child", "grandchild"] {
        let o = nemoclaw(&["token", "inspect", &p(&dir, &format!("{name}.ait.b64"))]);
        assert!(o.status.success(), "{}", stderr(&o));
        let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let want: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{name}.claims.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(got, want, "{name}");
    }
    let valid_at = nemoclaw_core::identity::vectors::VALID_AT.to_string();
    let o = nemoclaw(&[
        "token",
        "verify",
        "--trust",
        &p(&dir, "keys/issuer-2026.pub"),
        "--aud",
        "nemoclaw-guard",
        "--now",
        &valid_at,
        "--challenge",
        "nemoclaw-challenge",
        "--proof",
        std::fs::read_to_string(dir.join("child.pop.hex"))
            .unwrap()
            .trim(),
        &p(&dir, "child.ait"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = nemoclaw(&[
        "token",
        "verify",
        "--trust",
        &p(&dir, "keys/issuer-2026.pub"),
        "--aud",
        "nemoclaw-guard",
        "--now",
        &valid_at,
        &p(&dir, "invalid/scope-escalation.ait"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("token_scope_escalation"));
}
