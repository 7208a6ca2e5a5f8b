//! Keeping secrets out of what a record stores.
//!
//! Every sink that stores or exports entries (the log file, JSON lines, a
//! callback) passes them through an [`EntryRedactor`] first. The default one
//! is the privacy module's [`Redactor`] with its validated patterns and
//! secret rules (no NER: the model costs milliseconds per text, far too much
//! for a path every action takes). It replaces what it finds with `<LABEL>`:
//!
//! - in the **summary**, everything it finds (secrets and personal data);
//! - in the other free-text fields (verdict reasons, the actions' resources
//!   and remote hosts, review comments, the sandbox's refusal), credentials
//!   only (`SECRET`, `API_KEY`, `PRIVATE_KEY`, `JWT`, URLs with credentials,
//!   and `TRADE_SECRET`/`PROPRIETARY_CODE` when the redactor has dictionaries
//!   or codebases), so the trail still names the hosts and paths acted on.
//!
//! Identifiers are kept as they are: the agent id, policy ids, ticket ids,
//! reviewer names and ATT&CK technique ids. The raw request is stored only
//! when the log opts in, and then verbatim (that is what opting in means);
//! the request digest is always the SHA-256 of the raw request, whatever the
//! redactor did to the text fields.
//!
//! All fields are scanned in one pass (joined by newlines), so an entry with
//! nothing to redact costs one scan and no copy.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use super::entry::AuditEntry;
use super::AuditError;
use crate::intent::Resource;
use crate::privacy::{labels, Redactor, Session, Span};

/// A function that removes secrets from one text field before it is stored.
pub type SummaryRedactor = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Labels redacted in every text field, not only the summary.
fn redact_everywhere(label: &str) -> bool {
    labels::SECRETS.contains(&label)
        || matches!(
            label,
            labels::URL | labels::TRADE_SECRET | labels::PROPRIETARY_CODE
        )
}

/// Removes secrets from the text fields of an [`AuditEntry`] (see the module
/// documentation for which fields and labels). Cheap to clone.
#[derive(Clone)]
pub struct EntryRedactor {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Privacy(Arc<Redactor>),
    Custom(SummaryRedactor),
}

impl std::fmt::Debug for EntryRedactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Privacy(r) => f
                .debug_struct("EntryRedactor")
                .field("detectors", &r.detector_names())
                .finish(),
            Inner::Custom(_) => f.debug_struct("EntryRedactor").finish_non_exhaustive(),
        }
    }
}

static DEFAULT: OnceLock<Arc<Redactor>> = OnceLock::new();

impl EntryRedactor {
    /// The default: the privacy module's patterns and secret rules, built
    /// once per process and shared (no NER, no cache: audited texts rarely
    /// repeat exactly).
    pub fn privacy_default() -> Result<Self, AuditError> {
        if let Some(r) = DEFAULT.get() {
            return Ok(Self::privacy(Arc::clone(r)));
        }
        let built = Redactor::builder()
            .patterns(true)
            .secrets(true)
            .cache_entries(0)
            .build()
            .map_err(|e| AuditError::Redaction(format!("cannot build the redactor: {e}")))?;
        let r = DEFAULT.get_or_init(|| Arc::new(built));
        Ok(Self::privacy(Arc::clone(r)))
    }

    /// A privacy redactor configured by the caller (dictionaries of trade
    /// secrets, a registered codebase, other operators).
    pub fn privacy(redactor: Arc<Redactor>) -> Self {
        Self {
            inner: Inner::Privacy(redactor),
        }
    }

    /// A function applied to every free-text field (summary included).
    pub fn custom(f: SummaryRedactor) -> Self {
        Self {
            inner: Inner::Custom(f),
        }
    }

    /// The entry with secrets removed from its stored text; borrowed when
    /// there was nothing to remove. `raw_request` is left as it is (callers
    /// drop it unless raw storage was opted in). An error means the text
    /// could not be checked: callers fail closed and store nothing.
    pub fn redact<'a>(&self, entry: &'a AuditEntry) -> Result<Cow<'a, AuditEntry>, AuditError> {
        match &self.inner {
            Inner::Privacy(r) => redact_privacy(r, entry),
            Inner::Custom(f) => Ok(redact_custom(f.as_ref(), entry)),
        }
    }
}

/// The free-text fields of an entry, in a fixed order; the first is the
/// summary.
fn for_each_field(entry: &AuditEntry, mut f: impl FnMut(&str)) {
    f(&entry.summary);
    if let Some(v) = &entry.verdict {
        for r in &v.reasons {
            f(r);
        }
    }
    for a in &entry.actions {
        for_each_resource_text(&a.resource, &mut f);
        if let Some(r) = &a.attrs.remote {
            f(r);
        }
    }
    for r in &entry.reviews {
        if let Some(c) = &r.comment {
            f(c);
        }
    }
    if let Some(r) = entry.sandbox.as_ref().and_then(|s| s.refused.as_ref()) {
        f(r);
    }
}

/// The same fields, mutably, in the same order.
fn for_each_field_mut(entry: &mut AuditEntry, mut f: impl FnMut(&mut String)) {
    f(&mut entry.summary);
    if let Some(v) = &mut entry.verdict {
        for r in &mut v.reasons {
            f(r);
        }
    }
    for a in &mut entry.actions {
        for_each_resource_text_mut(&mut a.resource, &mut f);
        if let Some(r) = &mut a.attrs.remote {
            f(r);
        }
    }
    for r in &mut entry.reviews {
        if let Some(c) = &mut r.comment {
            f(c);
        }
    }
    if let Some(r) = entry.sandbox.as_mut().and_then(|s| s.refused.as_mut()) {
        f(r);
    }
}

fn for_each_resource_text(r: &Resource, f: &mut impl FnMut(&str)) {
    match r {
        Resource::Path { path, .. } => f(path),
        Resource::Host { host, .. } => f(host),
        Resource::Url { url, host, .. } => {
            f(url);
            f(host);
        }
        Resource::Program { name } | Resource::EnvVar { name } | Resource::Tool { name } => f(name),
        Resource::Process { target } => f(target),
        Resource::Package { manager, name } => {
            f(manager);
            f(name);
        }
        Resource::Unknown { text } => f(text),
    }
}

fn for_each_resource_text_mut(r: &mut Resource, f: &mut impl FnMut(&mut String)) {
    match r {
        Resource::Path { path, .. } => f(path),
        Resource::Host { host, .. } => f(host),
        Resource::Url { url, host, .. } => {
            f(url);
            f(host);
        }
        Resource::Program { name } | Resource::EnvVar { name } | Resource::Tool { name } => f(name),
        Resource::Process { target } => f(target),
        Resource::Package { manager, name } => {
            f(manager);
            f(name);
        }
        Resource::Unknown { text } => f(text),
    }
}

fn redact_privacy<'a>(
    redactor: &Redactor,
    entry: &'a AuditEntry,
) -> Result<Cow<'a, AuditEntry>, AuditError> {
    // One scan over every field, joined by newlines (no detector matches
    // across a line break); field `i` starts at `starts[i]`.
    let mut joined = String::with_capacity(entry.summary.len() + 128);
    let mut starts: Vec<usize> = Vec::with_capacity(8);
    for_each_field(entry, |t| {
        if !starts.is_empty() {
            joined.push('\n');
        }
        starts.push(joined.len());
        joined.push_str(t);
    });
    let spans = redactor
        .analyze(&joined)
        .map_err(|e| AuditError::Redaction(e.to_string()))?;
    let summary_end = entry.summary.len();
    let wanted = |s: &Span| s.start < summary_end || redact_everywhere(&s.label);
    if !spans.iter().any(wanted) {
        return Ok(Cow::Borrowed(entry));
    }
    // Rare path: cut the spans to each field and apply the operators there.
    let mut out = entry.clone();
    let mut session = Session::ephemeral();
    let mut field = 0usize;
    let mut failure = None;
    for_each_field_mut(&mut out, |text| {
        let start = starts.get(field).copied().unwrap_or(usize::MAX);
        let end = start.saturating_add(text.len());
        let summary = field == 0;
        field += 1;
        let local: Vec<Span> = spans
            .iter()
            .filter(|s| s.start < end && s.end > start && (summary || redact_everywhere(&s.label)))
            .map(|s| {
                let mut c = s.clone();
                c.start = s.start.max(start) - start;
                c.end = s.end.min(end) - start;
                c
            })
            .collect();
        if local.is_empty() {
            return;
        }
        match redactor.apply(text, &local, &mut session) {
            Ok(t) => *text = t,
            Err(e) => failure = Some(e.to_string()),
        }
    });
    match failure {
        Some(why) => Err(AuditError::Redaction(why)),
        None => Ok(Cow::Owned(out)),
    }
}

fn redact_custom<'a>(
    f: &(dyn Fn(&str) -> String + Send + Sync),
    entry: &'a AuditEntry,
) -> Cow<'a, AuditEntry> {
    let mut changed = false;
    for_each_field(entry, |t| {
        if !changed && f(t) != t {
            changed = true;
        }
    });
    if !changed {
        return Cow::Borrowed(entry);
    }
    let mut out = entry.clone();
    for_each_field_mut(&mut out, |t| *t = f(t));
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Decision, VerdictSummary};
    use crate::intent::{Action, ActionAttrs, HostClass, Span as ISpan, Verb};

    const GH: &str = "ghp_R8x2Lq9ZtV4mN7bK1cW5yH3jP6dF0sG2aE8u";
    const AWS: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq83kLm2Qa";

    fn url_action(url: &str) -> Action {
        Action {
            verb: Verb::Connect,
            resource: Resource::Url {
                url: url.into(),
                host: "api.github.com".into(),
                port: Some(443),
                class: HostClass::Public,
            },
            attrs: ActionAttrs::default(),
            techniques: vec![],
            span: ISpan { start: 0, end: 1 },
        }
    }

    #[test]
    fn clean_entries_are_borrowed() {
        let r = EntryRedactor::privacy_default().unwrap();
        let e = AuditEntry::builder()
            .summary("read /work/src/main.rs")
            .actions(vec![url_action("https://api.github.com/user")])
            .build();
        assert!(matches!(r.redact(&e).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn secrets_leave_every_field() {
        let r = EntryRedactor::privacy_default().unwrap();
        let e = AuditEntry::builder()
            .summary(format!(
                "curl -H \"Authorization: Bearer {GH}\" https://api.github.com/user; mail ana@example.org"
            ))
            .actions(vec![url_action(&format!(
                "https://api.github.com/user?access_token={GH}"
            ))])
            .verdict(
                VerdictSummary::new(Decision::Deny, vec!["p1".into()], [0; 32])
                    .with_reasons(vec![format!("export AWS_SECRET_ACCESS_KEY={AWS}")]),
            )
            .build();
        let out = r.redact(&e).unwrap();
        let json = serde_json::to_string(out.as_ref()).unwrap();
        assert!(!json.contains(GH), "{json}");
        assert!(!json.contains(AWS), "{json}");
        // personal data goes from the summary only; hosts stay
        assert!(!out.summary.contains("ana@example.org"), "{}", out.summary);
        assert!(out.summary.contains("<API_KEY>"), "{}", out.summary);
        assert!(json.contains("api.github.com"), "{json}");
        assert_eq!(out.verdict.as_ref().unwrap().policy_ids, vec!["p1"]);
    }

    #[test]
    fn personal_data_outside_the_summary_is_kept() {
        let r = EntryRedactor::privacy_default().unwrap();
        let mut a = url_action("https://10.1.2.3/x");
        a.resource = Resource::Host {
            host: "10.1.2.3".into(),
            port: None,
            class: HostClass::Private,
        };
        let e = AuditEntry::builder()
            .summary("connect 10.1.2.3")
            .actions(vec![a])
            .build();
        let out = r.redact(&e).unwrap();
        assert_eq!(out.summary, "connect <IP_ADDRESS>");
        assert_eq!(out.actions, e.actions);
    }

    #[test]
    fn custom_function_applies_to_all_fields() {
        let r = EntryRedactor::custom(Arc::new(|s: &str| s.replace("hunter2", "***")));
        let e = AuditEntry::builder()
            .summary("echo hunter2")
            .verdict(
                VerdictSummary::new(Decision::Allow, vec![], [0; 32])
                    .with_reasons(vec!["saw hunter2".into()]),
            )
            .build();
        let out = r.redact(&e).unwrap();
        assert_eq!(out.summary, "echo ***");
        assert_eq!(out.verdict.as_ref().unwrap().reasons, vec!["saw ***"]);
    }
}
