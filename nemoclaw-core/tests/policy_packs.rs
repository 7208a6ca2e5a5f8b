//! Each shipped pack compiles against the schema and passes its own
//! `tests.json`; validation errors name file and line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should abort loudly

use std::path::PathBuf;

use nemoclaw_core::policy::testing::PolicyTests;
use nemoclaw_core::policy::{PackSource, PolicyEngine, PolicyError, BUILTIN_PACKS};

fn pack_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("policies")
        .join(name)
}

fn run_pack_tests(name: &str) {
    let engine = PolicyEngine::load(name).unwrap();
    let text = std::fs::read_to_string(pack_dir(name).join("tests.json")).unwrap();
    let tests = PolicyTests::from_json(&text, "tests.json").unwrap();
    assert!(!tests.cases.is_empty());
    let outcomes = tests.run(&engine);
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.failure.as_ref().map(|f| format!("{}: {f}", o.name)))
        .collect();
    println!(
        "pack {name}: {} cases, {} failed",
        outcomes.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "pack {name}:\n{}", failures.join("\n"));
}

#[test]
fn coding_agent_pack_passes_its_tests() {
    run_pack_tests("coding-agent");
}

#[test]
fn read_only_pack_passes_its_tests() {
    run_pack_tests("read-only");
}

#[test]
fn ops_pack_passes_its_tests() {
    run_pack_tests("ops");
}

#[test]
fn builtin_packs_match_their_directories() {
    for name in BUILTIN_PACKS {
        let builtin = PackSource::builtin(name).unwrap();
        let dir = PackSource::from_dir(&pack_dir(name)).unwrap();
        assert_eq!(builtin.hash(), dir.hash(), "pack {name}");
        let engine = PolicyEngine::compile(&dir).unwrap();
        assert!(engine.policy_count() > 5);
    }
}

fn write_pack(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn parse_errors_name_file_and_line() {
    let dir = write_pack(&[(
        "a.cedar",
        "@id(\"ok\")\npermit (principal, action, resource);\n\n@id(\"broken\")\npermit (principal, action resource);\n",
    )]);
    let err = PolicyEngine::load(dir.path().to_str().unwrap()).unwrap_err();
    assert!(matches!(err, PolicyError::Parse(_)), "{err}");
    let d = &err.diagnostics()[0];
    assert!(d.file.ends_with("a.cedar"));
    assert_eq!(d.line, 5, "{d}");
}

#[test]
fn validation_errors_name_file_line_and_policy() {
    let dir = write_pack(&[
        ("a.cedar", "@id(\"fine\")\npermit (principal, action == Action::\"read\", resource is File);\n"),
        (
            "b.cedar",
            "// comment\n@id(\"typo\")\nforbid (principal, action, resource is File)\nwhen { resource.pth like \"/etc/*\" };\n",
        ),
    ]);
    let err = PolicyEngine::load(dir.path().to_str().unwrap()).unwrap_err();
    assert!(matches!(err, PolicyError::Invalid(_)), "{err}");
    let d = &err.diagnostics()[0];
    assert!(d.file.ends_with("b.cedar"), "{d}");
    assert_eq!(d.policy.as_deref(), Some("typo"));
    assert_eq!(d.line, 4, "{d}");
    assert!(err.to_string().contains("b.cedar:4"), "{err}");
}

#[test]
fn annotations_are_checked() {
    for (text, needle) in [
        ("permit (principal, action, resource);", "no `@id"),
        ("@id(\"x\")\n@decision(\"escalate\")\nforbid (principal, action, resource);", "not valid here"),
        ("@id(\"x\")\n@decison(\"escalate\")\npermit (principal, action, resource);", "unknown annotation"),
        ("@id(\"x\")\npermit (principal, action, resource);\n@id(\"x\")\npermit (principal, action, resource);", "duplicate"),
    ] {
        let dir = write_pack(&[("a.cedar", text)]);
        let err = PolicyEngine::load(dir.path().to_str().unwrap()).unwrap_err();
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
}

#[test]
fn schema_errors_name_the_schema_file() {
    let dir = write_pack(&[
        (
            "a.cedar",
            "@id(\"x\")\npermit (principal, action, resource);",
        ),
        (
            "nemoclaw.cedarschema",
            "entity Agent = {\n  id: Strin,\n};\n",
        ),
    ]);
    let err = PolicyEngine::load(dir.path().to_str().unwrap()).unwrap_err();
    assert!(matches!(err, PolicyError::Schema(_)), "{err}");
    assert!(err.diagnostics()[0].file.ends_with("nemoclaw.cedarschema"));
}

#[test]
fn unknown_pack_is_reported() {
    let err = PolicyEngine::load("no-such-pack").unwrap_err();
    assert!(matches!(err, PolicyError::PackNotFound(_)));
}
