//! The Guard end to end: checks, audit, escalation tickets that survive a
//! restart, bound approvals, quorum, signed reviews, governance reviewers,
//! timeouts, async waits, hot reload.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should abort loudly

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nemoclaw_core::audit::{AuditEntry, AuditError, AuditReceipt, AuditSink};
use nemoclaw_core::guard::{
    Guard, GuardError, PolicyReviewer, Resolution, Review, ReviewDecision, TicketState, TicketStore,
};
use nemoclaw_core::identity::KeyPair;
use nemoclaw_core::intent::Request;
use nemoclaw_core::policy::{Agent, AgentContext, Decision, Environment, PackSource, PolicyEngine};

const WS: &str = "/home/dev/project";

#[derive(Default)]
struct Collect(Mutex<Vec<AuditEntry>>);

impl AuditSink for Collect {
    fn record(&self, entry: &AuditEntry) -> Result<AuditReceipt, AuditError> {
        self.0.lock().unwrap().push(entry.clone());
        Ok(AuditReceipt::default())
    }
}

fn agent_with(scopes: &[&str]) -> Agent {
    let mut ctx = AgentContext::local(WS);
    ctx.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    Agent::new(ctx).unwrap()
}

fn guard(db: &std::path::Path, audit: Arc<Collect>) -> Guard {
    Guard::builder()
        .policy("coding-agent")
        .unwrap()
        .environment(Environment::new(WS, "/home/dev"))
        .ticket_db(db)
        .unwrap()
        .audit(audit)
        .ticket_ttl(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn sh(s: &str) -> Request {
    Request::Shell(s.to_owned())
}

#[test]
fn checks_are_audited_with_the_policy_set_hash() {
    let dir = tempfile::tempdir().unwrap();
    let audit = Arc::new(Collect::default());
    let g = guard(&dir.path().join("t.db"), audit.clone());
    let agent = agent_with(&["fs:rw:/home/dev/project", "exec"]);
    assert_eq!(g.check(&agent, &sh("git status")).decision, Decision::Allow);
    let v = g.check(&agent, &sh("cat /etc/shadow"));
    assert_eq!(v.decision, Decision::Deny);
    assert!(
        v.policy_ids().contains(&"coding.no-secret-files")
            || v.policy_ids().contains(&"coding.no-credential-access")
    );
    let entries = audit.0.lock().unwrap();
    assert_eq!(entries.len(), 2);
    let verdict = entries[1].verdict.as_ref().unwrap();
    assert_eq!(hex::encode(verdict.policy_set_hash), g.policy_hash());
    assert!(!entries[1].summary.contains("shadow") || entries[1].summary.contains("/etc/shadow"));
}

#[test]
fn escalation_ticket_survives_restart_and_binds_the_exact_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let audit = Arc::new(Collect::default());
    let agent = agent_with(&["fs:rw:/home/dev/project", "fs:rw:/data", "exec"]);
    let request = b"rm -rf /data";
    let ticket = {
        let g = guard(&db, audit.clone());
        let v = g.check(&agent, &sh("rm -rf /data"));
        assert_eq!(v.decision, Decision::Escalate, "{:?}", v.reasons());
        v.ticket.clone().unwrap()
    };
    // A new Guard (a restart) sees the ticket.
    let g = guard(&db, audit.clone());
    assert_eq!(g.poll(&ticket).unwrap(), TicketState::Pending);
    let t = g
        .review(
            &ticket,
            Review::new("alice", ReviewDecision::Approve, "backup verified"),
        )
        .unwrap();
    assert_eq!(t.state, TicketState::Approved);
    // Changed bytes are refused (and consume nothing).
    assert!(g.authorize(&ticket, &agent, b"rm -rf /data ").is_err());
    assert!(g.authorize(&ticket, &agent, b"rm -rf /etc").is_err());
    // Another identity is refused.
    let other = agent_with(&["fs:rw:/data", "exec"]);
    let mut ctx = other.context().clone();
    ctx.agent_id = "mallory".to_owned();
    assert!(g
        .authorize(&ticket, &Agent::new(ctx).unwrap(), request)
        .is_err());
    // The exact request under the approving identity runs, once.
    assert!(g.authorize(&ticket, &agent, request).is_ok());
    assert!(matches!(
        g.authorize(&ticket, &agent, request),
        Err(GuardError::Used { .. })
    ));
    // A second decision is refused: the ticket is closed.
    assert!(g
        .review(&ticket, Review::new("bob", ReviewDecision::Deny, ""))
        .is_err());
    assert!(audit
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|e| !e.reviews.is_empty()));
}

#[test]
fn an_approval_authorizes_exactly_one_execution_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let agent = agent_with(&["fs:rw:/home/dev/project", "fs:rw:/data", "exec"]);
    let request = b"rm -rf /data";
    let ticket = {
        let g = guard(&db, Arc::new(Collect::default()));
        let v = g.check(&agent, &sh("rm -rf /data"));
        assert_eq!(v.decision, Decision::Escalate, "{:?}", v.reasons());
        let ticket = v.ticket.unwrap();
        g.review(&ticket, Review::new("alice", ReviewDecision::Approve, ""))
            .unwrap();
        // First use: authorized, and the store records the ticket as used.
        let t = g.authorize(&ticket, &agent, request).unwrap();
        assert_eq!(t.state, TicketState::Used);
        ticket
    };
    // After a restart (the store reopened), the identical bytes are refused.
    let g = guard(&db, Arc::new(Collect::default()));
    assert_eq!(g.poll(&ticket).unwrap(), TicketState::Used);
    let err = g.authorize(&ticket, &agent, request).unwrap_err();
    assert!(matches!(err, GuardError::Used { .. }), "{err}");
    assert!(err.to_string().contains("already used"), "{err}");
    assert_eq!(err.code().name(), "ticket_used");
    // A used ticket cannot be reviewed again either.
    assert!(g
        .review(&ticket, Review::new("bob", ReviewDecision::Approve, ""))
        .is_err());
    // Racing consumers on one store: exactly one wins.
    let store = Arc::new(TicketStore::open(&db).unwrap());
    let v = g.check(&agent, &sh("rm -rf /data"));
    let second = v.ticket.unwrap();
    g.review(&second, Review::new("alice", ReviewDecision::Approve, ""))
        .unwrap();
    let wins: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let id = second.clone();
                s.spawn(move || usize::from(store.consume(&id).is_ok()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(wins, 1);
}

#[test]
fn timeout_means_deny() {
    let dir = tempfile::tempdir().unwrap();
    let g = guard(&dir.path().join("t.db"), Arc::new(Collect::default()));
    let agent = agent_with(&["fs:rw:/home/dev/project", "fs:rw:/data", "exec"]);
    let v = g.check(&agent, &sh("rm -rf /data"));
    let ticket = v.ticket.unwrap();
    assert_eq!(
        g.wait(&ticket, Duration::from_millis(120)),
        Resolution::Expired
    );
    assert_eq!(g.poll(&ticket).unwrap(), TicketState::Expired);
    assert!(g.authorize(&ticket, &agent, b"rm -rf /data").is_err());
}

#[test]
fn quorum_and_signed_reviews() {
    let dir = tempfile::tempdir().unwrap();
    let alice = KeyPair::generate("alice").unwrap();
    let bob = KeyPair::generate("bob").unwrap();
    let g = Guard::builder()
        .policy("coding-agent")
        .unwrap()
        .environment(Environment::new(WS, "/home/dev"))
        .ticket_db(&dir.path().join("t.db"))
        .unwrap()
        .quorum(2)
        .reviewer_key(alice.public())
        .reviewer_key(bob.public())
        .build()
        .unwrap();
    let agent = agent_with(&["fs:rw:/home/dev/project", "fs:rw:/data", "exec"]);
    let ticket_id = g.check(&agent, &sh("rm -rf /data")).ticket.unwrap();
    let store = g.tickets().unwrap().clone();
    let ticket = store.get(&ticket_id).unwrap();
    // Unsigned reviews are refused when reviewer keys are configured.
    assert!(g
        .review(&ticket_id, Review::new("eve", ReviewDecision::Approve, ""))
        .is_err());
    let t = g
        .review(
            &ticket_id,
            Review::new("alice", ReviewDecision::Approve, "ok").sign(&ticket, &alice),
        )
        .unwrap();
    assert_eq!(t.state, TicketState::Pending, "one of two approvals");
    let t = g
        .review(
            &ticket_id,
            Review::new("bob", ReviewDecision::Approve, "ok").sign(&ticket, &bob),
        )
        .unwrap();
    assert_eq!(t.state, TicketState::Approved);
    let (pa, pb) = (alice.public(), bob.public());
    assert!(t
        .reviews
        .iter()
        .all(|r| r.verify(&t, if r.reviewer == "alice" { &pa } else { &pb })));
    assert_eq!(
        g.wait(&ticket_id, Duration::from_millis(10)),
        Resolution::Approved
    );
}

#[test]
fn governance_reviewer_applies_a_stricter_pack() {
    let dir = tempfile::tempdir().unwrap();
    let strict = PolicyEngine::load("read-only").unwrap();
    let key = KeyPair::generate("governor").unwrap();
    let g = Guard::builder()
        .policy("coding-agent")
        .unwrap()
        .environment(Environment::new(WS, "/home/dev"))
        .ticket_db(&dir.path().join("t.db"))
        .unwrap()
        .reviewer(Arc::new(
            PolicyReviewer::new("governor", strict).with_key(key.clone()),
        ))
        .build()
        .unwrap();
    let agent = agent_with(&["fs:rw:/home/dev/project", "fs:rw:/data", "exec"]);
    let ticket = g.check(&agent, &sh("rm -rf /data")).ticket.unwrap();
    // read-only denies the delete: the governor denies the ticket.
    assert_eq!(g.wait(&ticket, Duration::from_secs(2)), Resolution::Denied);
    let t = g.tickets().unwrap().get(&ticket).unwrap();
    assert_eq!(t.reviews[0].reviewer, "governor");
    assert!(t.reviews[0].verify(&t, &key.public()));
}

#[test]
fn async_wait_resolves_on_review() {
    let dir = tempfile::tempdir().unwrap();
    let g = Arc::new(guard(
        &dir.path().join("t.db"),
        Arc::new(Collect::default()),
    ));
    let agent = agent_with(&["fs:rw:/home/dev/project", "fs:rw:/data", "exec"]);
    let ticket = g.check(&agent, &sh("rm -rf /data")).ticket.unwrap();
    let fut = g.wait_async(&ticket, Duration::from_secs(5));
    let g2 = g.clone();
    let t2 = ticket.clone();
    let reviewer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        g2.review(&t2, Review::new("alice", ReviewDecision::Deny, "no"))
            .unwrap();
    });
    assert_eq!(block_on(fut), Resolution::Denied);
    reviewer.join().unwrap();
}

/// A minimal executor: polls with a thread-unparking waker.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[test]
fn hot_reload_swaps_the_policy_set() {
    let dir = tempfile::tempdir().unwrap();
    let g = guard(&dir.path().join("t.db"), Arc::new(Collect::default()));
    let agent = agent_with(&["fs:rw:/home/dev/project", "exec", "install"]);
    let before = g.policy_hash();
    assert_eq!(g.check(&agent, &sh("git status")).decision, Decision::Allow);
    let new = g
        .reload(&PackSource::builtin("read-only").unwrap())
        .unwrap();
    assert_ne!(before, new);
    let v = g.check(&agent, &sh("touch notes.txt"));
    assert_eq!(v.decision, Decision::Deny);
    assert_eq!(&*v.policy_set, new.as_str());
    // A broken set leaves the one in force.
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(
        bad.path().join("x.cedar"),
        "permit (principal, action, resource)",
    )
    .unwrap();
    assert!(g
        .reload(&PackSource::from_dir(bad.path()).unwrap())
        .is_err());
    assert_eq!(g.policy_hash(), new);
}

#[test]
fn store_refuses_unknown_tickets() {
    let store = TicketStore::in_memory().unwrap();
    assert!(store.get("nope").is_err());
    assert!(store.list(None).unwrap().is_empty());
}

#[test]
fn guard_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Guard>();
    assert_send_sync::<PolicyEngine>();
}
