//! Truncation and explicitly exposed listeners with the coding-agent pack,
//! over spellings beyond the corpus: emptying a project file escalates while
//! ordinary output redirections and log truncation pass; a server explicitly
//! bound beyond loopback escalates while default and loopback binds pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should abort loudly

use nemoclaw_core::guard::Guard;
use nemoclaw_core::intent::{self, ParseContext, Request, Verb};
use nemoclaw_core::policy::{Agent, AgentContext, Decision, Environment};

const WS: &str = "/home/dev/project";

fn guard() -> (Guard, Agent) {
    let g = Guard::builder()
        .policy("coding-agent")
        .unwrap()
        .environment(Environment::new(WS, "/home/dev"))
        .build()
        .unwrap();
    (g, Agent::new(AgentContext::local(WS)).unwrap())
}

fn decisions(cmds: &[&str]) -> Vec<(String, Decision, Vec<String>)> {
    let (g, agent) = guard();
    cmds.iter()
        .map(|c| {
            let v = g.check(&agent, &Request::Shell((*c).to_owned()));
            let ids = v.policy_ids().into_iter().map(str::to_owned).collect();
            ((*c).to_owned(), v.decision, ids)
        })
        .collect()
}

fn parse(cmd: &str) -> intent::Intent {
    let ctx = ParseContext::builder().cwd(WS).home("/home/dev").build();
    intent::parse(&Request::Shell(cmd.to_owned()), &ctx)
}

#[test]
fn the_parser_reports_truncation() {
    for cmd in [
        ":> src/main.rs",
        "> src/main.rs",
        ": > src/main.rs",
        "true > src/main.rs",
        "cat /dev/null > src/main.rs",
        "echo -n > src/main.rs",
        "truncate -s 0 src/main.rs",
        "truncate -s0 src/main.rs",
        "truncate --size=0 src/main.rs",
        "truncate --size 0 src/main.rs",
        "cp /dev/null src/main.rs",
    ] {
        let i = parse(cmd);
        assert!(
            i.actions.iter().any(|a| a.verb == Verb::Write
                && a.attrs.truncate
                && format!("{:?}", a.resource).contains("/home/dev/project/src/main.rs")),
            "{cmd}: {:?}",
            i.actions
        );
    }
    for cmd in [
        "echo hello > src/main.rs",
        "cargo fmt > out.txt",
        ": >> src/main.rs",
        "truncate -s 10M disk.img",
        "cp src/a.rs src/main.rs",
    ] {
        let i = parse(cmd);
        assert!(
            i.actions.iter().all(|a| !a.attrs.truncate),
            "{cmd}: {:?}",
            i.actions
        );
    }
}

#[test]
fn the_parser_reports_explicit_exposure() {
    for cmd in [
        "python3 -m http.server 8000 --bind 0.0.0.0",
        "python3 -m http.server --bind :: 9000",
        "flask run --host 0.0.0.0",
        "flask run --host=0.0.0.0 --port 5000",
        "uvicorn app:app --host 0.0.0.0 --port 8000",
        "gunicorn -b 0.0.0.0:8000 app:app",
        "php -S 0.0.0.0:8080",
        "rails server -b 0.0.0.0",
        "jupyter lab --ip 0.0.0.0",
        "http-server -a 0.0.0.0 -p 8080",
        "python3 -m http.server 8000 --bind 192.168.1.20",
    ] {
        let i = parse(cmd);
        assert!(
            i.actions
                .iter()
                .any(|a| a.verb == Verb::Listen && a.attrs.exposed),
            "{cmd}: {:?}",
            i.actions
        );
    }
    for cmd in [
        "python3 -m http.server 8000",
        "python3 -m http.server 8000 --bind 127.0.0.1",
        "flask run --host 127.0.0.1 --port 5000",
        "uvicorn app:app --host localhost --port 8000",
        "gunicorn -b 127.0.0.1:8000 app:app",
        "php -S localhost:8000",
        "uvicorn app.main:app --reload --port 3000",
    ] {
        let i = parse(cmd);
        assert!(
            i.actions.iter().all(|a| !a.attrs.exposed),
            "{cmd}: {:?}",
            i.actions
        );
    }
}

#[test]
fn emptying_project_files_escalates_but_logs_and_scratch_pass() {
    let escalate = decisions(&[
        ":> src/main.rs",
        "> src/lib.rs",
        ": > Cargo.toml",
        "truncate -s 0 src/main.rs",
        "truncate --size=0 package.json",
        "cp /dev/null src/app.py",
        "cat /dev/null > src/index.js",
        "true > .gitignore",
    ]);
    for (cmd, d, ids) in &escalate {
        assert_eq!(*d, Decision::Escalate, "{cmd}: {ids:?}");
        assert!(
            ids.iter().any(|i| i == "coding.escalate-truncate"),
            "{cmd}: {ids:?}"
        );
    }
    let allow = decisions(&[
        "truncate -s 0 logs/debug.log",
        ": > build/output.log",
        "> /tmp/scratch.txt",
        "echo hi > notes.txt",
        "cargo test 2>&1 > test-output.txt",
        ": >> src/main.rs",
    ]);
    for (cmd, d, ids) in &allow {
        assert_eq!(*d, Decision::Allow, "{cmd}: {ids:?}");
    }
}

#[test]
fn explicitly_exposed_servers_escalate_but_default_and_loopback_pass() {
    let escalate = decisions(&[
        "python3 -m http.server 8000 --bind 0.0.0.0",
        "flask run --host 0.0.0.0 --port 5000",
        "uvicorn app:app --host 0.0.0.0 --port 8000",
        "gunicorn -b 0.0.0.0:8000 app:app",
        "php -S 0.0.0.0:8080",
        "jupyter lab --ip 0.0.0.0",
    ]);
    for (cmd, d, ids) in &escalate {
        assert_ne!(*d, Decision::Allow, "{cmd}: {ids:?}");
        assert!(
            ids.iter().any(|i| i == "coding.escalate-exposed-listen") || *d == Decision::Deny,
            "{cmd}: {ids:?}"
        );
    }
    let allow = decisions(&[
        "python3 -m http.server 8000",
        "python3 -m http.server 8000 --bind 127.0.0.1",
        "flask run --port 5000",
        "uvicorn app:app --host 127.0.0.1 --port 8000",
        "gunicorn -w 4 -b 127.0.0.1:8000 app:app",
    ]);
    for (cmd, d, ids) in &allow {
        assert_eq!(*d, Decision::Allow, "{cmd}: {ids:?}");
    }
}
