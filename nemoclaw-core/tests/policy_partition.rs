//! The speed-ups of policy evaluation change no verdict:
//!
//! - evaluating each action against the slice of policies whose scope can
//!   match its (action, resource type) gives exactly the verdict of the whole
//!   set (decision, policy ids, reasons and evaluation errors), on every
//!   command of the intent corpus, for every builtin pack and for agents with
//!   and without the `exec`/`install` classes;
//! - the name classes of a pack (`classes.toml`) match exactly what Cedar's
//!   `like` matches, pattern by pattern, on every path, program and process
//!   name of the corpus and on strings made to probe the patterns' edges.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should abort loudly

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicySet, Request as CedarRequest};
use nemoclaw_core::intent::{self, ParseContext, Request, Resource};
use nemoclaw_core::policy::{
    cedar_like_literal, Agent, AgentContext, ClassSource, ClassTable, Environment, PackSource,
    PolicyEngine, StaticFacts, BUILTIN_PACKS,
};

const WORKSPACE: &str = "/home/dev/project";
const HOME: &str = "/home/dev";

fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    for name in ["benign.jsonl", "malicious.jsonl"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/intent")
            .join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            out.push(v["command"].as_str().unwrap().to_owned());
        }
    }
    out
}

fn intents() -> Vec<intent::Intent> {
    let ctx = ParseContext::builder().cwd(WORKSPACE).home(HOME).build();
    corpus()
        .iter()
        .map(|c| intent::parse(&Request::Shell(c.clone()), &ctx))
        .collect()
}

#[test]
fn slices_give_the_verdicts_of_the_whole_set() {
    let intents = intents();
    let env = Environment::new(WORKSPACE, HOME);
    let mut bare = AgentContext::local(WORKSPACE);
    bare.scopes = vec![format!("fs:ro:{WORKSPACE}"), "tool:search".to_owned()];
    let agents = [
        Agent::new(AgentContext::local(WORKSPACE)).unwrap(),
        Agent::new(bare).unwrap(),
    ];
    let facts = StaticFacts::from_json(
        r#"{ "backed_up": ["/home/dev/project"], "production_hosts": ["*.prod.example.com"],
             "sensitivity": { "/home/dev/project/secrets": "secret" } }"#,
    )
    .unwrap();
    for pack in BUILTIN_PACKS {
        let engine = PolicyEngine::load(pack).unwrap();
        let mut compared = 0;
        for agent in &agents {
            for (i, intent) in intents.iter().enumerate() {
                // The entity provider on every other command: both paths are exercised.
                let provider =
                    (i % 2 == 0).then_some(&facts as &dyn nemoclaw_core::policy::EntityProvider);
                let sliced = engine.decide(agent, intent, &env, provider);
                let whole = engine.decide_unpartitioned(agent, intent, &env, provider);
                assert_eq!(sliced, whole, "pack {pack}, intent {intent:?}");
                compared += intent.actions.len();
            }
        }
        assert!(
            compared > 4000,
            "pack {pack}: only {compared} actions compared"
        );
        for (endpoint, local) in [
            ("http://localhost:8080", true),
            ("https://api.example.com", false),
        ] {
            // `infer` goes through its own slice (Endpoint).
            let (d, ids, _) = engine.decide_infer(&agents[0], endpoint, local, &env);
            assert!(
                !ids.is_empty(),
                "pack {pack}: {endpoint} -> {d} without a policy id"
            );
        }
    }
}

/// Every string the corpus makes a class table see, per kind.
fn corpus_names() -> [BTreeSet<String>; 3] {
    let mut paths = BTreeSet::new();
    let mut programs = BTreeSet::new();
    let mut processes = BTreeSet::new();
    for intent in intents() {
        for a in intent.actions {
            match a.resource {
                Resource::Path { path, .. } => {
                    paths.insert(path);
                }
                Resource::Program { name } => {
                    programs.insert(name.rsplit('/').next().unwrap_or(&name).to_owned());
                }
                Resource::Process { target } => {
                    processes.insert(target);
                }
                _ => {}
            }
        }
    }
    [paths, programs, processes]
}

/// Strings at the edges of a pattern: its wildcards filled with nothing, one
/// character, a slash or several components; a character more or less at
/// either end; a literal star where the wildcard is.
fn probes(pattern: &str) -> Vec<String> {
    let literal_star = pattern.replace("\\*", "\u{1}");
    let mut out = Vec::new();
    for fill in ["", "x", "/", "a/b/c", "*", ".", "\n"] {
        let s = literal_star.replace('*', fill).replace('\u{1}', "*");
        out.push(s.clone());
        out.push(format!("{s}x"));
        out.push(format!("x{s}"));
        out.push(format!("/{s}"));
        out.push(format!("{s}/"));
        let mut chopped = s.clone();
        chopped.pop();
        out.push(chopped);
        out.push(s.chars().skip(1).collect());
    }
    out
}

/// Which of `patterns` Cedar's `like` matches for `text`.
fn cedar_matches(set: &PolicySet, count: usize, text: &str) -> BTreeSet<usize> {
    let uid = |s: &str| EntityUid::from_str(s).unwrap();
    let context = Context::from_json_value(serde_json::json!({ "s": text }), None).unwrap();
    let request = CedarRequest::new(
        uid("P::\"p\""),
        uid("A::\"a\""),
        uid("R::\"r\""),
        context,
        None,
    )
    .unwrap();
    let response = Authorizer::new().is_authorized(&request, set, &Entities::empty());
    assert_eq!(response.diagnostics().errors().count(), 0);
    let found: BTreeSet<usize> = response
        .diagnostics()
        .reason()
        .map(|id| {
            id.to_string()
                .trim_start_matches("policy")
                .parse::<usize>()
                .unwrap()
        })
        .collect();
    assert!(found.iter().all(|&i| i < count));
    found
}

fn check_classes(classes: &ClassSource, table: &ClassTable, label: &str) -> usize {
    let names = corpus_names();
    let kinds: [(&str, &std::collections::BTreeMap<String, Vec<String>>); 3] = [
        ("path", &classes.path),
        ("program", &classes.program),
        ("process", &classes.process),
    ];
    let mut checked = 0;
    for ((kind, map), corpus) in kinds.into_iter().zip(names) {
        let patterns: Vec<(&str, &str)> = map
            .iter()
            .flat_map(|(class, list)| list.iter().map(move |p| (class.as_str(), p.as_str())))
            .collect();
        if patterns.is_empty() {
            continue;
        }
        let text: String = patterns
            .iter()
            .map(|(_, p)| {
                format!(
                    "permit (principal, action, resource) when {{ context.s like {} }};\n",
                    cedar_like_literal(p)
                )
            })
            .collect();
        let set = PolicySet::from_str(&text).unwrap();
        let mut samples: BTreeSet<String> = corpus;
        for (_, p) in &patterns {
            samples.extend(probes(p));
        }
        samples.insert(String::new());
        samples.insert("/home/dev/prøject/ünïcode/.ssh/x".to_owned());
        for s in &samples {
            let want: BTreeSet<&str> = cedar_matches(&set, patterns.len(), s)
                .into_iter()
                .map(|i| patterns[i].0)
                .collect();
            let got: BTreeSet<&str> = match kind {
                "path" => table.path_classes(s),
                "program" => table.program_classes(s),
                _ => table.process_classes(s),
            }
            .into_iter()
            .collect();
            assert_eq!(got, want, "{label} [{kind}] `{s}`");
            checked += 1;
        }
    }
    checked
}

#[test]
fn classes_match_exactly_what_cedar_like_matches() {
    let source = PackSource::builtin("coding-agent").unwrap();
    let file = source.classes.expect("the coding-agent pack has classes");
    let classes = ClassSource::parse(&file.text, &file.name).unwrap();
    let table = ClassTable::compile(&classes, &file.name).unwrap();
    let checked = check_classes(&classes, &table, "coding-agent");
    assert!(checked > 2000, "only {checked} strings checked");

    // Escapes and characters that mean something to regular expressions.
    let tricky = ClassSource::parse(
        r#"[path]
        star = ["/a\\*b", "\\**"]
        backslash = ["a\\\\b*", "*\\\\"]
        meta = ["(x)|[y]+?.^$*", "*{2}"]
        quote = ["*\"*"]
        [program]
        one = ["a*a*a"]
        [process]
        any = ["*"]"#,
        "tricky",
    )
    .unwrap();
    let table = ClassTable::compile(&tricky, "tricky").unwrap();
    check_classes(&tricky, &table, "tricky");
}
