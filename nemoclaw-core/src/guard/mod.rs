//! The Guard: the one object most users touch. Built once from a policy
//! pack, an optional entity provider, audit hook, ticket store and
//! reviewers; `Send + Sync`; every action of an agent goes through
//! [`Guard::check`] and comes back as a [`Verdict`] (never an error).
//!
//! - Policies are swapped atomically ([`Guard::reload`]): checks in flight
//!   finish on the set they started with, and every verdict and audit
//!   record names the policy-set hash that decided.
//! - An escalated verdict opens a [`Ticket`] bound to the SHA-256 of the
//!   exact request bytes, the agent's identity and the policy-set hash. The
//!   caller blocks on it ([`Guard::wait`]), awaits it
//!   ([`Guard::wait_async`]) or polls ([`Guard::poll`]). A timeout is a deny.
//! - Reviewers: humans (`nemoclaw review`, or [`Guard::review`]) and
//!   governance agents ([`Reviewer`]); n-of-m quorum; every decision is
//!   audited and signed by the reviewer's key when it has one.
//! - A running sandbox can be frozen while its ticket is pending and thawed
//!   or killed on the answer ([`Guard::hold`], [`Freezer`]).

mod error;
mod review;
mod ticket;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};

pub use error::GuardError;
pub use review::{PolicyReviewer, Reviewer};
pub use ticket::{Review, ReviewDecision, ReviewerKey, Ticket, TicketState, TicketStore};

use crate::audit::{Actor, AuditEntry, AuditSink, ReviewOutcome, VerdictSummary};
use crate::identity::PublicKey;
use crate::intent::{Intent, ParseContext, Request};
use crate::policy::{
    describe_resource, Agent, Decision, EntityProvider, Environment, PackSource, PolicyEngine,
    Verdict,
};

/// Freezes and resumes the process tree of a running sandbox while a ticket
/// is pending (cgroup freezer or SIGSTOP; see the sandbox module).
pub trait Freezer: Send + Sync {
    /// Stops every process of the tree.
    fn freeze(&self) -> Result<(), String>;
    /// Resumes them.
    fn thaw(&self) -> Result<(), String>;
    /// Kills them.
    fn kill(&self) -> Result<(), String>;
}

/// How an escalation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The quorum approved: the bound request may run.
    Approved,
    /// A reviewer denied.
    Denied,
    /// Nobody decided in time (deny).
    Expired,
}

impl Resolution {
    /// Approved is the only outcome that lets the request run.
    pub fn is_approved(self) -> bool {
        self == Resolution::Approved
    }
}

/// Builds a [`Guard`].
#[derive(Default)]
pub struct GuardBuilder {
    policy: Option<PackSource>,
    engine: Option<PolicyEngine>,
    env: Option<Environment>,
    provider: Option<Arc<dyn EntityProvider>>,
    audit: Option<Arc<dyn AuditSink>>,
    tickets: Option<Arc<TicketStore>>,
    reviewers: Vec<Arc<dyn Reviewer>>,
    reviewer_keys: Vec<PublicKey>,
    quorum: u32,
    ticket_ttl: Option<Duration>,
    record_raw: bool,
}

impl std::fmt::Debug for GuardBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardBuilder")
            .field("policy", &self.policy.as_ref().map(|p| &p.origin))
            .field("env", &self.env)
            .field("reviewers", &self.reviewers.len())
            .field("quorum", &self.quorum)
            .finish_non_exhaustive()
    }
}

impl GuardBuilder {
    /// A builtin pack by name or a directory of policies.
    pub fn policy(mut self, spec: &str) -> Result<Self, GuardError> {
        self.policy = Some(PackSource::load(spec)?);
        Ok(self)
    }

    /// A pack already loaded.
    pub fn pack(mut self, source: PackSource) -> Self {
        self.policy = Some(source);
        self
    }

    /// An engine already compiled.
    pub fn engine(mut self, engine: PolicyEngine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// The workspace, cwd and home checks run in (default: cwd and home of
    /// this process).
    pub fn environment(mut self, env: Environment) -> Self {
        self.env = Some(env);
        self
    }

    /// The application's entity provider.
    pub fn entity_provider(mut self, provider: Arc<dyn EntityProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// The audit sink: every check and review decision is recorded. A
    /// failing record turns the verdict into deny (fail closed).
    pub fn audit(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Store the raw request in audit records (off by default: records
    /// carry its digest and a summary of the parsed actions).
    pub fn audit_raw_requests(mut self, on: bool) -> Self {
        self.record_raw = on;
        self
    }

    /// The durable ticket store for escalations (without one, an escalate
    /// verdict carries no ticket and the caller must treat it as deny).
    pub fn tickets(mut self, store: Arc<TicketStore>) -> Self {
        self.tickets = Some(store);
        self
    }

    /// Opens a ticket store at `path`.
    pub fn ticket_db(mut self, path: &Path) -> Result<Self, GuardError> {
        self.tickets = Some(Arc::new(TicketStore::open(path)?));
        Ok(self)
    }

    /// A governance-agent reviewer, run by [`Guard::wait`] on each ticket.
    pub fn reviewer(mut self, reviewer: Arc<dyn Reviewer>) -> Self {
        self.reviewers.push(reviewer);
        self
    }

    /// A trusted reviewer key: once any is set, tickets accept only reviews
    /// signed by one of these keys (the keys are stored in each ticket, so
    /// the rule holds for reviews recorded by other processes too).
    pub fn reviewer_key(mut self, key: PublicKey) -> Self {
        self.reviewer_keys.push(key);
        self
    }

    /// Approvals needed per ticket (n of m; default 1).
    pub fn quorum(mut self, n: u32) -> Self {
        self.quorum = n;
        self
    }

    /// How long a ticket stays open (default 15 minutes).
    pub fn ticket_ttl(mut self, ttl: Duration) -> Self {
        self.ticket_ttl = Some(ttl);
        self
    }

    /// Compiles the policies and builds the Guard.
    pub fn build(self) -> Result<Guard, GuardError> {
        let engine = match (self.engine, self.policy) {
            (Some(e), _) => e,
            (None, Some(p)) => PolicyEngine::compile(&p)?,
            (None, None) => return Err(GuardError::Config("no policy pack given".to_owned())),
        };
        let env = match self.env {
            Some(env) => env,
            None => {
                let cwd = std::env::current_dir()
                    .map_err(|e| GuardError::Config(format!("no environment and no cwd: {e}")))?;
                let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned());
                Environment::new(&cwd.display().to_string(), &home)
            }
        };
        let parse_ctx = ParseContext::builder()
            .cwd(env.cwd.clone())
            .home(env.home.clone())
            .build();
        Ok(Guard {
            engine: ArcSwap::from_pointee(engine),
            parse_ctx,
            record_raw: self.record_raw,
            env,
            provider: self.provider,
            audit: self.audit,
            tickets: self.tickets,
            reviewers: self.reviewers,
            reviewer_keys: self.reviewer_keys,
            quorum: self.quorum.max(1),
            ticket_ttl: self.ticket_ttl.unwrap_or(Duration::from_secs(15 * 60)),
            signal: Arc::new((Mutex::new(0), Condvar::new())),
        })
    }
}

/// The facade tying intent, policy, audit and escalation together.
pub struct Guard {
    engine: ArcSwap<PolicyEngine>,
    env: Environment,
    parse_ctx: ParseContext,
    record_raw: bool,
    provider: Option<Arc<dyn EntityProvider>>,
    audit: Option<Arc<dyn AuditSink>>,
    tickets: Option<Arc<TicketStore>>,
    reviewers: Vec<Arc<dyn Reviewer>>,
    reviewer_keys: Vec<PublicKey>,
    quorum: u32,
    ticket_ttl: Duration,
    signal: Arc<(Mutex<u64>, Condvar)>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("policy_set", &self.policy_hash())
            .field("env", &self.env)
            .field("reviewers", &self.reviewers.len())
            .field("quorum", &self.quorum)
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// Starts a builder.
    pub fn builder() -> GuardBuilder {
        GuardBuilder::default()
    }

    /// The policy set in force.
    pub fn engine(&self) -> Arc<PolicyEngine> {
        self.engine.load_full()
    }

    /// Hex hash of the policy set in force.
    pub fn policy_hash(&self) -> String {
        self.engine.load().hash().to_string()
    }

    /// The default environment of checks.
    pub fn environment(&self) -> &Environment {
        &self.env
    }

    /// The ticket store, when configured.
    pub fn tickets(&self) -> Option<&Arc<TicketStore>> {
        self.tickets.as_ref()
    }

    /// Compiles `source` and swaps it in atomically. On error the set in
    /// force stays.
    pub fn reload(&self, source: &PackSource) -> Result<String, GuardError> {
        let engine = PolicyEngine::compile(source)?;
        let hash = engine.hash().to_string();
        self.engine.store(Arc::new(engine));
        Ok(hash)
    }

    /// Parses a request (shell text, argv, tool call, HTTP, file operation)
    /// and judges every action it would perform. Never fails: internal
    /// faults yield deny. Escalations open a ticket; every check is audited
    /// when a sink is set.
    pub fn check(&self, agent: &Agent, request: &Request) -> Verdict {
        let bytes = request_bytes(request);
        let intent = match catch_unwind(AssertUnwindSafe(|| {
            crate::intent::parse(request, &self.parse_ctx)
        })) {
            Ok(i) => i,
            Err(_) => {
                let mut v = Verdict::fault(
                    self.engine.load().hash().clone(),
                    "internal fault while parsing; refused",
                );
                self.record_check(agent, &bytes, &Intent::default(), &mut v, Instant::now());
                return v;
            }
        };
        self.check_intent_in(agent, &bytes, &intent, &self.env)
    }

    /// Like [`Guard::check`] with another working directory (paths are
    /// resolved against it; the workspace and home stay the Guard's).
    pub fn check_in(&self, agent: &Agent, request: &Request, cwd: &str) -> Verdict {
        let mut ctx = self.parse_ctx.clone();
        ctx.cwd = cwd.to_owned();
        let env = Environment {
            cwd: ctx.cwd.clone(),
            ..self.env.clone()
        };
        let bytes = request_bytes(request);
        let intent = crate::intent::parse(request, &ctx);
        self.check_intent_in(agent, &bytes, &intent, &env)
    }

    /// Judges an already parsed request in the Guard's environment.
    pub fn check_intent(&self, agent: &Agent, request: &[u8], intent: &Intent) -> Verdict {
        self.check_intent_in(agent, request, intent, &self.env)
    }

    /// Judges an already parsed request in `env`. Escalations open a
    /// ticket; every check is audited when a hook is set.
    pub fn check_intent_in(
        &self,
        agent: &Agent,
        request: &[u8],
        intent: &Intent,
        env: &Environment,
    ) -> Verdict {
        let start = Instant::now();
        let engine = self.engine.load();
        let provider = self.provider.as_deref();
        let mut verdict = catch_unwind(AssertUnwindSafe(|| {
            engine.decide(agent, intent, env, provider)
        }))
        .unwrap_or_else(|_| {
            Verdict::fault(
                engine.hash().clone(),
                "internal fault while deciding; refused",
            )
        });
        self.finish(agent, request, env, &mut verdict);
        self.record_check(agent, request, intent, &mut verdict, start);
        verdict
    }

    fn record_check(
        &self,
        agent: &Agent,
        request: &[u8],
        intent: &Intent,
        verdict: &mut Verdict,
        _start: Instant,
    ) {
        let Some(audit) = &self.audit else {
            return;
        };
        let mut entry = AuditEntry::builder()
            .request(request)
            .actor(actor(agent))
            .summary(summary(intent))
            .actions(intent.actions.clone())
            .verdict(verdict_summary(verdict));
        if self.record_raw {
            entry = entry.raw_request(String::from_utf8_lossy(request).into_owned());
        }
        if let Err(e) = audit.record(&entry.build()) {
            verdict.decision = Decision::Deny;
            verdict.fault = Some(format!("audit record failed, refused: {e}"));
        }
    }

    /// Opens a ticket for an escalated verdict.
    fn finish(&self, agent: &Agent, request: &[u8], env: &Environment, verdict: &mut Verdict) {
        if verdict.decision != Decision::Escalate {
            return;
        }
        let Some(store) = &self.tickets else {
            return;
        };
        // Only an escalation needs the request digest (the ticket binds it).
        let digest: [u8; 32] = Sha256::digest(request).into();
        let created = ticket::now();
        let mut id = [0u8; 16];
        if let Err(e) = rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut id) {
            verdict.decision = Decision::Deny;
            verdict.fault = Some(format!("cannot draw a ticket id, refused: {e}"));
            return;
        }
        let ticket = Ticket {
            id: hex::encode(id),
            request_digest: hex::encode(digest),
            request: String::from_utf8_lossy(request).into_owned(),
            agent: agent.context().clone(),
            environment: env.clone(),
            policy_set: verdict.policy_set.to_string(),
            verdict: verdict.clone(),
            quorum: self.quorum,
            created_at: created,
            expires_at: created.saturating_add(self.ticket_ttl.as_secs().max(1)),
            state: TicketState::Pending,
            reviews: Vec::new(),
            reviewer_keys: self
                .reviewer_keys
                .iter()
                .map(ReviewerKey::from_public)
                .collect(),
        };
        match store.insert(&ticket) {
            Ok(()) => verdict.ticket = Some(ticket.id),
            Err(e) => {
                verdict.decision = Decision::Deny;
                verdict.fault = Some(format!("cannot store the escalation ticket, refused: {e}"));
            }
        }
    }

    fn store(&self) -> Result<&Arc<TicketStore>, GuardError> {
        self.tickets
            .as_ref()
            .ok_or_else(|| GuardError::Config("no ticket store configured".to_owned()))
    }

    /// The current state of a ticket.
    pub fn poll(&self, ticket: &str) -> Result<TicketState, GuardError> {
        Ok(self.store()?.get(ticket)?.state)
    }

    /// Records a review decision (human or API), audits it, and wakes
    /// waiters. Signed reviews are checked against the trusted reviewer
    /// keys when any are configured.
    pub fn review(&self, ticket: &str, review: Review) -> Result<Ticket, GuardError> {
        let t = self.store()?.add_review(ticket, &review)?;
        if let Some(audit) = &self.audit {
            audit
                .record(&review_entry(&t, &review))
                .map_err(|e| GuardError::Store {
                    path: "audit".to_owned(),
                    reason: e.to_string(),
                })?;
        }
        let (lock, cv) = &*self.signal;
        if let Ok(mut n) = lock.lock() {
            *n = n.wrapping_add(1);
        }
        cv.notify_all();
        Ok(t)
    }

    /// Runs the configured governance reviewers on a pending ticket (each
    /// once), signing with their keys.
    pub fn run_reviewers(&self, ticket: &str) -> Result<Ticket, GuardError> {
        let mut t = self.store()?.get(ticket)?;
        for reviewer in &self.reviewers {
            if t.state != TicketState::Pending {
                break;
            }
            if t.reviews.iter().any(|r| r.reviewer == reviewer.id()) {
                continue;
            }
            let (decision, comment) = catch_unwind(AssertUnwindSafe(|| reviewer.review(&t)))
                .unwrap_or((
                    ReviewDecision::EscalateToHuman,
                    "reviewer failed".to_owned(),
                ));
            let mut review = Review::new(reviewer.id(), decision, &comment);
            if let Some(key) = reviewer.key() {
                review = review.sign(&t, key);
            }
            t = self.review(ticket, review)?;
        }
        Ok(t)
    }

    /// Blocks until the ticket is decided or `timeout` passes (then it
    /// expires: deny). Governance reviewers run first. Decisions made in
    /// this process wake the waiter at once; decisions from other processes
    /// (the CLI) are seen within 50 ms.
    pub fn wait(&self, ticket: &str, timeout: Duration) -> Resolution {
        let deadline = Instant::now() + timeout;
        let Ok(store) = self.store() else {
            return Resolution::Denied;
        };
        if self.run_reviewers(ticket).is_err() {
            return match store.get(ticket).map(|t| t.state) {
                Ok(TicketState::Approved | TicketState::Used) => Resolution::Approved,
                Ok(TicketState::Expired) => Resolution::Expired,
                _ => Resolution::Denied,
            };
        }
        let (lock, cv) = &*self.signal;
        loop {
            match store.get(ticket).map(|t| t.state) {
                Ok(TicketState::Approved | TicketState::Used) => return Resolution::Approved,
                Ok(TicketState::Denied) => return Resolution::Denied,
                Ok(TicketState::Expired) => return Resolution::Expired,
                Ok(TicketState::Pending) => {}
                Err(_) => return Resolution::Denied,
            }
            let now = Instant::now();
            if now >= deadline {
                let _ = store.expire(ticket);
                // A decision may have landed just before the expiry.
                return match store.get(ticket).map(|t| t.state) {
                    Ok(TicketState::Approved | TicketState::Used) => Resolution::Approved,
                    Ok(TicketState::Denied) => Resolution::Denied,
                    _ => Resolution::Expired,
                };
            }
            let step = (deadline - now).min(Duration::from_millis(50));
            if let Ok(guard) = lock.lock() {
                let _ = cv.wait_timeout(guard, step);
            } else {
                std::thread::sleep(step);
            }
        }
    }

    /// The async-friendly form of [`Guard::wait`]: a future that resolves
    /// when the ticket is decided or expires. The blocking wait runs on a
    /// helper thread, so any executor may poll it.
    pub fn wait_async(self: &Arc<Self>, ticket: &str, timeout: Duration) -> TicketWait {
        TicketWait {
            guard: self.clone(),
            ticket: ticket.to_owned(),
            timeout,
            shared: Arc::new(Mutex::new(WaitShared::default())),
            started: false,
        }
    }

    /// Freezes a running sandbox while the ticket is pending, then thaws it
    /// on approval or kills it on deny or timeout. A freezer that fails to
    /// freeze leads to kill (fail closed).
    pub fn hold(&self, ticket: &str, timeout: Duration, freezer: &dyn Freezer) -> Resolution {
        if freezer.freeze().is_err() {
            let _ = freezer.kill();
            let _ = self.store().map(|s| s.expire(ticket));
            return Resolution::Denied;
        }
        let r = self.wait(ticket, timeout);
        let after = if r.is_approved() {
            freezer.thaw()
        } else {
            freezer.kill()
        };
        if after.is_err() && r.is_approved() {
            let _ = freezer.kill();
            return Resolution::Denied;
        }
        r
    }

    /// Allows a request only under an approved ticket bound to exactly
    /// these bytes, this agent and the policy set in force; anything else is
    /// refused with the reason. An approval authorizes exactly one
    /// execution: a successful call consumes the ticket atomically in the
    /// store (it becomes `used`), and any later call, in this process or
    /// another, is refused with [`GuardError::Used`]. A refused call (wrong
    /// bytes, identity or policy set) consumes nothing.
    pub fn authorize(
        &self,
        ticket: &str,
        agent: &Agent,
        request: &[u8],
    ) -> Result<Ticket, GuardError> {
        let t = self.store()?.get(ticket)?;
        let mismatch = |reason: &str| GuardError::Mismatch {
            ticket: ticket.to_owned(),
            reason: reason.to_owned(),
        };
        if t.state == TicketState::Used {
            return Err(GuardError::Used {
                ticket: ticket.to_owned(),
            });
        }
        if t.state != TicketState::Approved {
            return Err(GuardError::Closed {
                ticket: ticket.to_owned(),
                state: t.state.as_str().to_owned(),
            });
        }
        if hex::encode(Sha256::digest(request)) != t.request_digest {
            return Err(mismatch(
                "the request bytes differ from the approved request",
            ));
        }
        let a = agent.context();
        if a.agent_id != t.agent.agent_id
            || a.cti != t.agent.cti
            || a.chain_hash != t.agent.chain_hash
        {
            return Err(mismatch("another identity presents it"));
        }
        if self.policy_hash() != t.policy_set {
            return Err(mismatch("the policy set changed since the escalation"));
        }
        self.store()?.consume(ticket)
    }
}

/// The bytes a request is bound by: shell text as is, other requests as
/// their JSON form.
pub fn request_bytes(request: &Request) -> Vec<u8> {
    match request {
        Request::Shell(text) => text.as_bytes().to_vec(),
        other => serde_json::to_vec(other).unwrap_or_default(),
    }
}

fn actor(agent: &Agent) -> Actor {
    let c = agent.context();
    let mut chain_hash = [0u8; 32];
    if let Ok(bytes) = hex::decode(&c.chain_hash) {
        if bytes.len() == 32 {
            chain_hash.copy_from_slice(&bytes);
        }
    }
    Actor {
        token_cti: hex::decode(&c.cti).unwrap_or_default(),
        chain_hash,
        agent_id: c.agent_id.clone(),
    }
}

/// A summary naming each action's verb and resource (bounded), never the raw text.
fn summary(intent: &Intent) -> String {
    let mut out = String::new();
    for (i, a) in intent.actions.iter().enumerate() {
        if i == 8 {
            out.push_str(&format!("; +{} more", intent.actions.len() - 8));
            break;
        }
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(crate::policy::cedar_action(a.verb));
        out.push(' ');
        let r = describe_resource(&a.resource);
        out.extend(r.chars().take(120));
    }
    out
}

fn policy_hash(verdict: &Verdict) -> [u8; 32] {
    let mut h = [0u8; 32];
    if let Ok(b) = hex::decode(verdict.policy_set.as_bytes()) {
        if b.len() == 32 {
            h.copy_from_slice(&b);
        }
    }
    h
}

fn verdict_summary(verdict: &Verdict) -> VerdictSummary {
    let decision = match verdict.decision {
        Decision::Allow => crate::audit::Decision::Allow,
        Decision::Escalate => crate::audit::Decision::Escalate,
        Decision::Deny => crate::audit::Decision::Deny,
    };
    let mut reasons: Vec<String> = verdict.reasons().into_iter().map(str::to_owned).collect();
    if let Some(t) = &verdict.ticket {
        reasons.push(format!("ticket {t}"));
    }
    VerdictSummary::new(
        decision,
        verdict
            .policy_ids()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        policy_hash(verdict),
    )
    .with_reasons(reasons)
}

/// The audit entry for one review decision: bound to the ticket's request
/// digest; the reviewer's signature (when signed) travels in the comment.
pub fn review_entry(ticket: &Ticket, review: &Review) -> AuditEntry {
    let mut digest = [0u8; 32];
    if let Ok(b) = hex::decode(&ticket.request_digest) {
        if b.len() == 32 {
            digest.copy_from_slice(&b);
        }
    }
    let mut comment = review.comment.clone();
    if let (Some(kid), Some(sig)) = (&review.kid, &review.signature) {
        comment.push_str(&format!(" [signed kid={kid} ed25519={sig}]"));
    }
    let mut builder = AuditEntry::builder()
        .request_digest(digest)
        .summary(format!(
            "review of ticket {} by {}: {} (ticket now {})",
            ticket.id,
            review.reviewer,
            review.decision.as_str(),
            ticket.state.as_str()
        ))
        .actions(
            ticket
                .verdict
                .actions
                .iter()
                .map(|a| a.action.clone())
                .collect(),
        );
    let outcome = match review.decision {
        ReviewDecision::Approve => Some(ReviewOutcome::Approve),
        ReviewDecision::Deny => Some(ReviewOutcome::Deny),
        ReviewDecision::EscalateToHuman => None,
    };
    if let Some(outcome) = outcome {
        builder = builder.review(crate::audit::ReviewDecision {
            ticket: ticket.id.clone(),
            reviewer: review.reviewer.clone(),
            outcome,
            time_ms: review.at.saturating_mul(1000),
            comment: Some(comment),
        });
    }
    builder.build()
}

#[cfg(all(target_os = "linux", feature = "sandbox"))]
impl Freezer for crate::sandbox::SandboxControl {
    fn freeze(&self) -> Result<(), String> {
        crate::sandbox::SandboxControl::freeze(self).map_err(|e| e.to_string())
    }

    fn thaw(&self) -> Result<(), String> {
        crate::sandbox::SandboxControl::thaw(self).map_err(|e| e.to_string())
    }

    fn kill(&self) -> Result<(), String> {
        crate::sandbox::SandboxControl::kill(self).map_err(|e| e.to_string())
    }
}

#[derive(Default)]
struct WaitShared {
    result: Option<Resolution>,
    waker: Option<Waker>,
}

/// The future returned by [`Guard::wait_async`].
pub struct TicketWait {
    guard: Arc<Guard>,
    ticket: String,
    timeout: Duration,
    shared: Arc<Mutex<WaitShared>>,
    started: bool,
}

impl std::fmt::Debug for TicketWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketWait")
            .field("ticket", &self.ticket)
            .finish_non_exhaustive()
    }
}

impl Future for TicketWait {
    type Output = Resolution;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Resolution> {
        let Ok(mut shared) = self.shared.lock() else {
            return Poll::Ready(Resolution::Denied);
        };
        if let Some(r) = shared.result {
            return Poll::Ready(r);
        }
        shared.waker = Some(cx.waker().clone());
        drop(shared);
        if !self.started {
            self.started = true;
            let guard = self.guard.clone();
            let ticket = self.ticket.clone();
            let timeout = self.timeout;
            let shared = self.shared.clone();
            let spawned = std::thread::Builder::new()
                .name("nemoclaw-ticket-wait".to_owned())
                .spawn(move || {
                    let r = guard.wait(&ticket, timeout);
                    if let Ok(mut s) = shared.lock() {
                        s.result = Some(r);
                        if let Some(w) = s.waker.take() {
                            w.wake();
                        }
                    }
                });
            if spawned.is_err() {
                return Poll::Ready(Resolution::Denied);
            }
        }
        Poll::Pending
    }
}
