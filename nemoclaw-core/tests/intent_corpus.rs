//! Replays the labelled corpus in `testdata/intent/`: every line's expected
//! actions must be found by the parser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should abort loudly

use nemoclaw_core::intent::{self, Action, ParseContext, Resource};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn corpus(name: &str) -> Vec<Value> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/intent")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1)))
        .collect()
}

fn ctx() -> ParseContext {
    ParseContext::builder()
        .cwd("/home/dev/project")
        .home("/home/dev")
        .build()
}

/// The text an expectation's `resource` substring is matched against.
fn resource_text(r: &Resource) -> String {
    match r {
        Resource::Path { path, .. } => path.clone(),
        Resource::Host { host, port, .. } => match port {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        },
        Resource::Url { url, host, .. } => format!("{url} {host}"),
        Resource::Program { name } => name.clone(),
        Resource::Process { target } => target.clone(),
        Resource::Package { manager, name } => format!("{manager}:{name}"),
        Resource::EnvVar { name } => name.clone(),
        Resource::Tool { name } => name.clone(),
        Resource::Unknown { text } => text.clone(),
        _ => String::new(),
    }
}

fn matches(a: &Action, exp: &Value) -> bool {
    let v = serde_json::to_value(a).unwrap();
    if v["verb"] != exp["verb"] {
        return false;
    }
    if let Some(s) = exp.get("resource").and_then(Value::as_str) {
        if !resource_text(&a.resource).contains(s) {
            return false;
        }
    }
    if let Some(k) = exp.get("kind").and_then(Value::as_str) {
        if v["resource"]["kind"] != k {
            return false;
        }
    }
    if let Some(c) = exp.get("class").and_then(Value::as_str) {
        if v["resource"]["class"] != c {
            return false;
        }
    }
    if let Some(attrs) = exp.get("attrs").and_then(Value::as_object) {
        for (k, want) in attrs {
            let got = v["attrs"].get(k).cloned().unwrap_or(Value::Bool(false));
            let ok = match (want, &got) {
                (Value::String(s), Value::String(g)) => g.contains(s.as_str()),
                (Value::Bool(true), Value::String(_)) => true,
                _ => *want == got,
            };
            if !ok {
                return false;
            }
        }
    }
    if let Some(t) = exp.get("technique").and_then(Value::as_str) {
        if !a.techniques.iter().any(|x| x.starts_with(t)) {
            return false;
        }
    }
    true
}

fn replay(name: &str) -> (usize, BTreeMap<String, usize>) {
    let lines = corpus(name);
    let ctx = ctx();
    let mut failures = Vec::new();
    let mut cats: BTreeMap<String, usize> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let cmd = line["command"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}:{}: no command", i + 1));
        let cat = line["category"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}:{}: no category", i + 1));
        *cats.entry(cat.to_string()).or_default() += 1;
        let expect = line["expect"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}:{}: no expect", i + 1));
        assert!(!expect.is_empty(), "{name}:{}: empty expect", i + 1);
        let got = intent::parse_shell(cmd, &ctx);
        for e in expect {
            if !got.actions.iter().any(|a| matches(a, e)) {
                failures.push(format!(
                    "{name}:{}: `{cmd}` lacks {e}\n  got: {}",
                    i + 1,
                    serde_json::to_string(&got.actions).unwrap()
                ));
            }
        }
    }
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(40).map(|s| s.as_str()).collect();
        panic!(
            "{} expectation(s) failed:\n{}",
            failures.len(),
            shown.join("\n")
        );
    }
    (lines.len(), cats)
}

const TACTICS: [&str; 8] = [
    "lateral_movement",
    "credential_access",
    "exfiltration",
    "impact",
    "persistence",
    "privilege_escalation",
    "defense_evasion",
    "command_and_control",
];

#[test]
fn malicious_corpus() {
    let (n, cats) = replay("malicious.jsonl");
    assert!(n >= 600, "only {n} malicious lines");
    for tactic in TACTICS {
        assert!(
            cats.get(tactic).copied().unwrap_or(0) >= 20,
            "tactic {tactic} has {:?} lines",
            cats.get(tactic)
        );
    }
}

#[test]
fn benign_corpus() {
    let (n, _) = replay("benign.jsonl");
    assert!(n >= 1000, "only {n} benign lines");
}

#[test]
fn malicious_obfuscated_variants_per_tactic() {
    let lines = corpus("malicious.jsonl");
    let mut obf: BTreeMap<String, usize> = BTreeMap::new();
    for l in &lines {
        let has_obf = l["expect"].as_array().is_some_and(|es| {
            es.iter().any(|e| {
                e["attrs"]["obfuscated"] == Value::Bool(true)
                    || e["attrs"]["unresolved"] == Value::Bool(true)
            })
        });
        if has_obf {
            *obf.entry(l["category"].as_str().unwrap_or("").to_string())
                .or_default() += 1;
        }
    }
    for tactic in TACTICS {
        assert!(
            obf.get(tactic).copied().unwrap_or(0) >= 3,
            "tactic {tactic}: {:?} obfuscated lines",
            obf.get(tactic)
        );
    }
}
