//! Records: deterministic CBOR (RFC 8949 §4.2.1 core deterministic
//! encoding) of one audited event plus its place in the chain.
//!
//! A record is a CBOR map with small integer keys, in ascending order:
//!
//! | key | field | type |
//! |-----|-------|------|
//! | 0 | sequence number | uint |
//! | 1 | time, ms since the Unix epoch | uint |
//! | 2 | actor `{0: cti, 1: chain hash, 2: agent id}` | map, optional |
//! | 3 | request digest (SHA-256) | bstr 32 |
//! | 4 | summary | tstr |
//! | 5 | raw request (opt-in) | tstr, optional |
//! | 6 | actions (the intent model, canonical maps) | array |
//! | 7 | verdict `{0: decision, 1: policy ids, 2: policy-set hash, 3: reasons}` | map, optional |
//! | 8 | reviews `[{0: ticket, 1: reviewer, 2: outcome, 3: time, 4?: comment}]` | array, optional |
//! | 9 | sandbox `{0?: exit, 1?: signal, 2: timed out, 3: wall ms, 4?: cpu ms, 5?: rss KiB, 6?: refused}` | map, optional |
//! | 10 | agent co-signature (COSE_Sign1 bytes) | bstr, optional |
//! | 23 | hash of the previous record | bstr 32 |
//!
//! The record hash is the RFC 9162 leaf hash `SHA-256(0x00 || record)`; it is
//! both the next record's `prev` and this record's leaf in the Merkle tree.

#[cfg(test)]
use std::cmp::Ordering;

use ciborium::Value;
use sha2::{Digest, Sha256};

use super::entry::{
    Actor, AuditEntry, Decision, Hash32, ReviewDecision, ReviewOutcome, SandboxOutcome,
    VerdictSummary,
};
use super::AuditError;
use crate::intent::{Action, ActionAttrs, HostClass, Resource};

const K_SEQ: u64 = 0;
const K_TIME: u64 = 1;
const K_ACTOR: u64 = 2;
const K_DIGEST: u64 = 3;
const K_SUMMARY: u64 = 4;
const K_RAW: u64 = 5;
const K_ACTIONS: u64 = 6;
const K_VERDICT: u64 = 7;
const K_REVIEWS: u64 = 8;
const K_SANDBOX: u64 = 9;
const K_COSIG: u64 = 10;
const K_PREV: u64 = 23;

/// Largest record accepted when decoding (bounds allocation).
pub const MAX_RECORD_BYTES: usize = 4 << 20;

/// One record as stored: an entry with its sequence number, time and link to
/// the previous record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Position in the log, starting at 0, without gaps.
    pub seq: u64,
    /// Milliseconds since the Unix epoch when the log accepted the entry.
    pub time_ms: u64,
    /// The audited event.
    pub entry: AuditEntry,
    /// Hash of the previous record (or the log's genesis hash for record 0).
    pub prev_hash: Hash32,
}

/// The sequence-independent part of a record, encoded once outside the log's
/// lock; [`EncodedBody::assemble`] splices in sequence, time and link.
#[derive(Debug, Clone)]
pub(crate) struct EncodedBody {
    middle: Vec<u8>,
    fields: u8,
}

impl EncodedBody {
    /// Encode the entry's fields (keys 2 to 10).
    pub(crate) fn new(entry: &AuditEntry) -> Result<Self, AuditError> {
        let mut m = Vec::with_capacity(192 + entry.summary.len() + 96 * entry.actions.len());
        let mut fields = 3u8; // digest, summary, actions
        if let Some(actor) = &entry.actor {
            write_head(&mut m, 0, K_ACTOR);
            write_head(&mut m, 5, 3);
            write_head(&mut m, 0, 0);
            put_bytes(&mut m, &actor.token_cti);
            write_head(&mut m, 0, 1);
            put_bytes(&mut m, &actor.chain_hash);
            write_head(&mut m, 0, 2);
            put_text(&mut m, &actor.agent_id);
            fields += 1;
        }
        write_head(&mut m, 0, K_DIGEST);
        put_bytes(&mut m, &entry.request_digest);
        write_head(&mut m, 0, K_SUMMARY);
        put_text(&mut m, &entry.summary);
        if let Some(raw) = &entry.raw_request {
            write_head(&mut m, 0, K_RAW);
            put_text(&mut m, raw);
            fields += 1;
        }
        write_head(&mut m, 0, K_ACTIONS);
        write_head(&mut m, 4, entry.actions.len() as u64);
        for action in &entry.actions {
            put_action(&mut m, action);
        }
        if let Some(v) = &entry.verdict {
            write_head(&mut m, 0, K_VERDICT);
            write_head(&mut m, 5, 4);
            write_head(&mut m, 0, 0);
            write_head(&mut m, 0, u64::from(v.decision.to_u8()));
            write_head(&mut m, 0, 1);
            put_texts(&mut m, &v.policy_ids);
            write_head(&mut m, 0, 2);
            put_bytes(&mut m, &v.policy_set_hash);
            write_head(&mut m, 0, 3);
            put_texts(&mut m, &v.reasons);
            fields += 1;
        }
        if !entry.reviews.is_empty() {
            write_head(&mut m, 0, K_REVIEWS);
            write_head(&mut m, 4, entry.reviews.len() as u64);
            for r in &entry.reviews {
                write_head(&mut m, 5, 4 + u64::from(r.comment.is_some()));
                write_head(&mut m, 0, 0);
                put_text(&mut m, &r.ticket);
                write_head(&mut m, 0, 1);
                put_text(&mut m, &r.reviewer);
                write_head(&mut m, 0, 2);
                write_head(
                    &mut m,
                    0,
                    match r.outcome {
                        ReviewOutcome::Approve => 0,
                        ReviewOutcome::Deny => 1,
                    },
                );
                write_head(&mut m, 0, 3);
                write_head(&mut m, 0, r.time_ms);
                if let Some(c) = &r.comment {
                    write_head(&mut m, 0, 4);
                    put_text(&mut m, c);
                }
            }
            fields += 1;
        }
        if let Some(sb) = &entry.sandbox {
            write_head(&mut m, 0, K_SANDBOX);
            let n = 2
                + u64::from(sb.exit_code.is_some())
                + u64::from(sb.signal.is_some())
                + u64::from(sb.cpu_ms.is_some())
                + u64::from(sb.max_rss_kib.is_some())
                + u64::from(sb.refused.is_some());
            write_head(&mut m, 5, n);
            if let Some(x) = sb.exit_code {
                write_head(&mut m, 0, 0);
                put_int(&mut m, i64::from(x));
            }
            if let Some(x) = sb.signal {
                write_head(&mut m, 0, 1);
                put_int(&mut m, i64::from(x));
            }
            write_head(&mut m, 0, 2);
            m.push(if sb.timed_out { 0xf5 } else { 0xf4 });
            write_head(&mut m, 0, 3);
            write_head(&mut m, 0, sb.wall_ms);
            if let Some(x) = sb.cpu_ms {
                write_head(&mut m, 0, 4);
                write_head(&mut m, 0, x);
            }
            if let Some(x) = sb.max_rss_kib {
                write_head(&mut m, 0, 5);
                write_head(&mut m, 0, x);
            }
            if let Some(x) = &sb.refused {
                write_head(&mut m, 0, 6);
                put_text(&mut m, x);
            }
            fields += 1;
        }
        if let Some(cosig) = &entry.agent_cosignature {
            write_head(&mut m, 0, K_COSIG);
            put_bytes(&mut m, cosig);
            fields += 1;
        }
        Ok(Self { middle: m, fields })
    }

    /// Encoded size of the whole record, within a few bytes.
    pub(crate) fn approx_len(&self) -> usize {
        self.middle.len() + 64
    }

    /// The full record bytes for this sequence number, time and link.
    pub(crate) fn assemble(&self, seq: u64, time_ms: u64, prev: &Hash32) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.middle.len() + 64);
        write_head(&mut out, 5, u64::from(self.fields) + 3);
        write_head(&mut out, 0, K_SEQ);
        write_head(&mut out, 0, seq);
        write_head(&mut out, 0, K_TIME);
        write_head(&mut out, 0, time_ms);
        out.extend_from_slice(&self.middle);
        write_head(&mut out, 0, K_PREV);
        write_head(&mut out, 2, 32);
        out.extend_from_slice(prev);
        out
    }
}

impl Record {
    /// The deterministic CBOR encoding.
    pub fn to_cbor(&self) -> Result<Vec<u8>, AuditError> {
        Ok(EncodedBody::new(&self.entry)?.assemble(self.seq, self.time_ms, &self.prev_hash))
    }

    /// Decode a record, refusing anything that is not exactly its
    /// deterministic encoding (so one record has one byte string).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, AuditError> {
        const WHAT: &str = "record";
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(AuditError::malformed(
                WHAT,
                format!("{} bytes is more than {MAX_RECORD_BYTES}", bytes.len()),
            ));
        }
        let value: Value = ciborium::de::from_reader(bytes)
            .map_err(|e| AuditError::malformed(WHAT, format!("not CBOR: {e}")))?;
        let Value::Map(entries) = value else {
            return Err(AuditError::malformed(WHAT, "not a CBOR map"));
        };
        let mut seq = None;
        let mut time_ms = None;
        let mut prev_hash = None;
        let mut entry = AuditEntry::default();
        let mut have_digest = false;
        let mut have_summary = false;
        let mut have_actions = false;
        let mut last_key: Option<u64> = None;
        for (k, v) in entries {
            let key = as_u64(&k).ok_or_else(|| AuditError::malformed(WHAT, "non-integer key"))?;
            if last_key.is_some_and(|l| l >= key) {
                return Err(AuditError::malformed(WHAT, "keys out of order"));
            }
            last_key = Some(key);
            match key {
                K_SEQ => seq = Some(uint(&v, "seq")?),
                K_TIME => time_ms = Some(uint(&v, "time")?),
                K_ACTOR => entry.actor = Some(actor_from(v)?),
                K_DIGEST => {
                    entry.request_digest = bytes32(&v, "request digest")?;
                    have_digest = true;
                }
                K_SUMMARY => {
                    entry.summary = text(v, "summary")?;
                    have_summary = true;
                }
                K_RAW => entry.raw_request = Some(text(v, "raw request")?),
                K_ACTIONS => {
                    entry.actions = array(v, "actions")?
                        .into_iter()
                        .map(|a| {
                            a.deserialized::<Action>().map_err(|e| {
                                AuditError::malformed(WHAT, format!("bad action: {e}"))
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    have_actions = true;
                }
                K_VERDICT => entry.verdict = Some(verdict_from(v)?),
                K_REVIEWS => {
                    entry.reviews = array(v, "reviews")?
                        .into_iter()
                        .map(review_from)
                        .collect::<Result<_, _>>()?;
                }
                K_SANDBOX => entry.sandbox = Some(sandbox_from(v)?),
                K_COSIG => entry.agent_cosignature = Some(bstr(v, "co-signature")?),
                K_PREV => prev_hash = Some(bytes32(&v, "prev")?),
                other => {
                    return Err(AuditError::malformed(
                        WHAT,
                        format!("unknown key `{other}`"),
                    ))
                }
            }
        }
        let (Some(seq), Some(time_ms), Some(prev_hash), true, true, true) = (
            seq,
            time_ms,
            prev_hash,
            have_digest,
            have_summary,
            have_actions,
        ) else {
            return Err(AuditError::malformed(WHAT, "a required field is missing"));
        };
        let record = Record {
            seq,
            time_ms,
            entry,
            prev_hash,
        };
        if record.to_cbor()? != bytes {
            return Err(AuditError::malformed(
                WHAT,
                "not in deterministic CBOR encoding",
            ));
        }
        Ok(record)
    }
}

/// The RFC 9162 leaf hash of a record's bytes: `SHA-256(0x00 || bytes)`.
pub fn record_hash(record_bytes: &[u8]) -> Hash32 {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(record_bytes);
    h.finalize().into()
}

/// The `prev` of record 0: binds the chain to one log id.
pub fn genesis_hash(log_id: &[u8; 16]) -> Hash32 {
    let mut h = Sha256::new();
    h.update(b"nemoclaw-audit-genesis-v1");
    h.update(log_id);
    h.finalize().into()
}

// ---- encoding helpers ----

/// Write a CBOR head (major type + argument) in its shortest form.
pub(crate) fn write_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if arg <= u64::from(u8::MAX) {
        out.push(m | 24);
        out.push(arg as u8);
    } else if arg <= u64::from(u16::MAX) {
        out.push(m | 25);
        out.extend_from_slice(&(arg as u16).to_be_bytes());
    } else if arg <= u64::from(u32::MAX) {
        out.push(m | 26);
        out.extend_from_slice(&(arg as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), AuditError> {
    ciborium::ser::into_writer(value, out)
        .map_err(|e| AuditError::malformed("record", format!("cannot encode: {e}")))
}

/// Sort every map's entries by the bytewise order of their encoded keys
/// (RFC 8949 §4.2.1), recursively. The reference the direct encoders are
/// tested against.
#[cfg(test)]
pub(crate) fn canonicalize(value: &mut Value) -> Result<(), AuditError> {
    match value {
        Value::Array(items) => {
            for item in items {
                canonicalize(item)?;
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                canonicalize(k)?;
                canonicalize(v)?;
            }
            let mut failed = false;
            entries.sort_by(|(a, _), (b, _)| {
                key_order(a, b).unwrap_or_else(|| {
                    failed = true;
                    Ordering::Equal
                })
            });
            if failed {
                return Err(AuditError::malformed("record", "unencodable map key"));
            }
            if entries
                .windows(2)
                .any(|w| key_order(&w[0].0, &w[1].0) == Some(Ordering::Equal))
            {
                return Err(AuditError::malformed("record", "duplicate map key"));
            }
        }
        Value::Tag(_, inner) => canonicalize(inner)?,
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
fn key_order(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Value::Text(a), Value::Text(b)) = (a, b) {
        // A text head grows with its length, so encoded order is length first.
        return Some(
            a.len()
                .cmp(&b.len())
                .then_with(|| a.as_bytes().cmp(b.as_bytes())),
        );
    }
    let mut ea = Vec::new();
    let mut eb = Vec::new();
    ciborium::ser::into_writer(a, &mut ea).ok()?;
    ciborium::ser::into_writer(b, &mut eb).ok()?;
    Some(ea.cmp(&eb))
}

/// An action as the canonical CBOR map of its serde form (the form
/// `nemoclaw check` prints as JSON), written directly: the same bytes as
/// serializing it to a CBOR value and sorting every map (a test holds them
/// equal), without the intermediate tree. Text keys sort by length, then
/// bytes.
fn put_action(out: &mut Vec<u8>, action: &Action) {
    let Action {
        verb,
        resource,
        attrs,
        techniques,
        span,
    } = action;
    write_head(out, 5, 4 + u64::from(!techniques.is_empty()));
    put_text(out, "span");
    write_head(out, 5, 2);
    put_text(out, "end");
    write_head(out, 0, span.end as u64);
    put_text(out, "start");
    write_head(out, 0, span.start as u64);
    put_text(out, "verb");
    put_text(out, verb.as_str());
    put_text(out, "attrs");
    put_attrs(out, attrs);
    put_text(out, "resource");
    put_resource(out, resource);
    if !techniques.is_empty() {
        put_text(out, "techniques");
        put_texts(out, techniques);
    }
}

fn put_attrs(out: &mut Vec<u8>, attrs: &ActionAttrs) {
    let ActionAttrs {
        recursive,
        force,
        remote,
        via_sudo,
        obfuscated,
        unresolved,
        pipe_to_shell,
        truncate,
        exposed,
    } = attrs;
    let n = [
        *recursive,
        *force,
        remote.is_some(),
        *via_sudo,
        *obfuscated,
        *unresolved,
        *pipe_to_shell,
        *truncate,
        *exposed,
    ]
    .iter()
    .filter(|b| **b)
    .count();
    write_head(out, 5, n as u64);
    let flag = |out: &mut Vec<u8>, on: bool, name: &str| {
        if on {
            put_text(out, name);
            out.push(0xf5);
        }
    };
    flag(out, *force, "force");
    if let Some(r) = remote {
        put_text(out, "remote");
        put_text(out, r);
    }
    // Canonical order: shorter keys first, then bytewise.
    flag(out, *exposed, "exposed");
    flag(out, *truncate, "truncate");
    flag(out, *via_sudo, "via_sudo");
    flag(out, *recursive, "recursive");
    flag(out, *obfuscated, "obfuscated");
    flag(out, *unresolved, "unresolved");
    flag(out, *pipe_to_shell, "pipe_to_shell");
}

fn host_class(c: HostClass) -> &'static str {
    match c {
        HostClass::Loopback => "loopback",
        HostClass::Private => "private",
        HostClass::Metadata => "metadata",
        HostClass::Public => "public",
    }
}

fn put_resource(out: &mut Vec<u8>, resource: &Resource) {
    match resource {
        Resource::Path { path, glob } => {
            write_head(out, 5, 2 + u64::from(*glob));
            if *glob {
                put_text(out, "glob");
                out.push(0xf5);
            }
            put_text(out, "kind");
            put_text(out, "path");
            put_text(out, "path");
            put_text(out, path);
        }
        Resource::Host { host, port, class } => {
            write_head(out, 5, 3 + u64::from(port.is_some()));
            put_text(out, "host");
            put_text(out, host);
            put_text(out, "kind");
            put_text(out, "host");
            if let Some(p) = port {
                put_text(out, "port");
                write_head(out, 0, u64::from(*p));
            }
            put_text(out, "class");
            put_text(out, host_class(*class));
        }
        Resource::Url {
            url,
            host,
            port,
            class,
        } => {
            write_head(out, 5, 4 + u64::from(port.is_some()));
            put_text(out, "url");
            put_text(out, url);
            put_text(out, "host");
            put_text(out, host);
            put_text(out, "kind");
            put_text(out, "url");
            if let Some(p) = port {
                put_text(out, "port");
                write_head(out, 0, u64::from(*p));
            }
            put_text(out, "class");
            put_text(out, host_class(*class));
        }
        Resource::Program { name } => put_kind_and(out, "program", "name", name),
        Resource::Process { target } => put_kind_and(out, "process", "target", target),
        Resource::Package { manager, name } => {
            write_head(out, 5, 3);
            put_text(out, "kind");
            put_text(out, "package");
            put_text(out, "name");
            put_text(out, name);
            put_text(out, "manager");
            put_text(out, manager);
        }
        Resource::EnvVar { name } => put_kind_and(out, "env_var", "name", name),
        Resource::Tool { name } => put_kind_and(out, "tool", "name", name),
        Resource::Unknown { text } => put_kind_and(out, "unknown", "text", text),
    }
}

/// `{"kind": kind, key: value}` with `key` of at least four letters.
fn put_kind_and(out: &mut Vec<u8>, kind: &str, key: &str, value: &str) {
    write_head(out, 5, 2);
    let kind_first = key.len() > 4 || key > "kind";
    if !kind_first {
        put_text(out, key);
        put_text(out, value);
    }
    put_text(out, "kind");
    put_text(out, kind);
    if kind_first {
        put_text(out, key);
        put_text(out, value);
    }
}

#[cfg(test)]
fn action_value(action: &Action) -> Result<Value, AuditError> {
    let mut v = Value::serialized(action)
        .map_err(|e| AuditError::malformed("record", format!("cannot encode action: {e}")))?;
    canonicalize(&mut v)?;
    Ok(v)
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_text(out: &mut Vec<u8>, t: &str) {
    write_head(out, 3, t.len() as u64);
    out.extend_from_slice(t.as_bytes());
}

fn put_texts(out: &mut Vec<u8>, items: &[String]) {
    write_head(out, 4, items.len() as u64);
    for t in items {
        put_text(out, t);
    }
}

fn put_int(out: &mut Vec<u8>, v: i64) {
    if v >= 0 {
        write_head(out, 0, v as u64);
    } else {
        write_head(out, 1, (-1 - v) as u64);
    }
}

// ---- decoding helpers ----

fn bad(what: &str) -> AuditError {
    AuditError::malformed("record", format!("field `{what}` has the wrong type"))
}

pub(crate) fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Integer(i) => u64::try_from(*i).ok(),
        _ => None,
    }
}

fn uint(v: &Value, what: &str) -> Result<u64, AuditError> {
    as_u64(v).ok_or_else(|| bad(what))
}

fn int32(v: &Value, what: &str) -> Result<i32, AuditError> {
    match v {
        Value::Integer(i) => i32::try_from(*i).map_err(|_| bad(what)),
        _ => Err(bad(what)),
    }
}

fn text(v: Value, what: &str) -> Result<String, AuditError> {
    match v {
        Value::Text(s) => Ok(s),
        _ => Err(bad(what)),
    }
}

fn bstr(v: Value, what: &str) -> Result<Vec<u8>, AuditError> {
    match v {
        Value::Bytes(b) => Ok(b),
        _ => Err(bad(what)),
    }
}

pub(crate) fn bytes32(v: &Value, what: &str) -> Result<Hash32, AuditError> {
    match v {
        Value::Bytes(b) => <Hash32>::try_from(b.as_slice()).map_err(|_| bad(what)),
        _ => Err(bad(what)),
    }
}

fn array(v: Value, what: &str) -> Result<Vec<Value>, AuditError> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(bad(what)),
    }
}

fn text_list(v: Value, what: &str) -> Result<Vec<String>, AuditError> {
    array(v, what)?.into_iter().map(|t| text(t, what)).collect()
}

/// The entries of a map with small integer keys, in order, unknown keys refused.
fn fields(v: Value, what: &str, known: u64) -> Result<Vec<(u64, Value)>, AuditError> {
    let Value::Map(entries) = v else {
        return Err(bad(what));
    };
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let k = as_u64(&k).filter(|k| *k < known).ok_or_else(|| bad(what))?;
        out.push((k, v));
    }
    Ok(out)
}

fn actor_from(v: Value) -> Result<Actor, AuditError> {
    let mut cti = None;
    let mut chain = None;
    let mut agent = None;
    for (k, v) in fields(v, "actor", 3)? {
        match k {
            0 => cti = Some(bstr(v, "actor.cti")?),
            1 => chain = Some(bytes32(&v, "actor.chain_hash")?),
            _ => agent = Some(text(v, "actor.agent_id")?),
        }
    }
    match (cti, chain, agent) {
        (Some(token_cti), Some(chain_hash), Some(agent_id)) => Ok(Actor {
            token_cti,
            chain_hash,
            agent_id,
        }),
        _ => Err(bad("actor")),
    }
}

fn verdict_from(v: Value) -> Result<VerdictSummary, AuditError> {
    let mut decision = None;
    let mut ids = None;
    let mut hash = None;
    let mut reasons = None;
    for (k, v) in fields(v, "verdict", 4)? {
        match k {
            0 => decision = Some(uint(&v, "verdict.decision")?),
            1 => ids = Some(text_list(v, "verdict.policy_ids")?),
            2 => hash = Some(bytes32(&v, "verdict.policy_set_hash")?),
            _ => reasons = Some(text_list(v, "verdict.reasons")?),
        }
    }
    match (decision.and_then(Decision::from_u64), ids, hash, reasons) {
        (Some(decision), Some(policy_ids), Some(policy_set_hash), Some(reasons)) => {
            Ok(VerdictSummary {
                decision,
                policy_ids,
                reasons,
                policy_set_hash,
            })
        }
        _ => Err(bad("verdict")),
    }
}

fn review_from(v: Value) -> Result<ReviewDecision, AuditError> {
    let mut ticket = None;
    let mut reviewer = None;
    let mut outcome = None;
    let mut time = None;
    let mut comment = None;
    for (k, v) in fields(v, "review", 5)? {
        match k {
            0 => ticket = Some(text(v, "review.ticket")?),
            1 => reviewer = Some(text(v, "review.reviewer")?),
            2 => {
                outcome = match uint(&v, "review.outcome")? {
                    0 => Some(ReviewOutcome::Approve),
                    1 => Some(ReviewOutcome::Deny),
                    _ => return Err(bad("review.outcome")),
                }
            }
            3 => time = Some(uint(&v, "review.time")?),
            _ => comment = Some(text(v, "review.comment")?),
        }
    }
    match (ticket, reviewer, outcome, time) {
        (Some(ticket), Some(reviewer), Some(outcome), Some(time_ms)) => Ok(ReviewDecision {
            ticket,
            reviewer,
            outcome,
            time_ms,
            comment,
        }),
        _ => Err(bad("review")),
    }
}

fn sandbox_from(v: Value) -> Result<SandboxOutcome, AuditError> {
    let mut s = SandboxOutcome::default();
    let mut have_timed_out = false;
    let mut have_wall = false;
    for (k, v) in fields(v, "sandbox", 7)? {
        match k {
            0 => s.exit_code = Some(int32(&v, "sandbox.exit_code")?),
            1 => s.signal = Some(int32(&v, "sandbox.signal")?),
            2 => {
                s.timed_out = v.as_bool().ok_or_else(|| bad("sandbox.timed_out"))?;
                have_timed_out = true;
            }
            3 => {
                s.wall_ms = uint(&v, "sandbox.wall_ms")?;
                have_wall = true;
            }
            4 => s.cpu_ms = Some(uint(&v, "sandbox.cpu_ms")?),
            5 => s.max_rss_kib = Some(uint(&v, "sandbox.max_rss_kib")?),
            _ => s.refused = Some(text(v, "sandbox.refused")?),
        }
    }
    if !(have_timed_out && have_wall) {
        return Err(bad("sandbox"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::{ActionAttrs, Resource, Span, Verb};

    pub(crate) fn sample_entry() -> AuditEntry {
        AuditEntry::builder()
            .request(b"rm -rf ./build")
            .summary("rm -rf ./build")
            .actor(Actor {
                token_cti: vec![1, 2, 3],
                chain_hash: [9; 32],
                agent_id: "agent-7".into(),
            })
            .actions(vec![Action {
                verb: Verb::Delete,
                resource: Resource::Path {
                    path: "/work/build".into(),
                    glob: false,
                },
                attrs: ActionAttrs {
                    recursive: true,
                    force: true,
                    ..ActionAttrs::default()
                },
                techniques: vec!["T1485".into()],
                span: Span { start: 0, end: 14 },
            }])
            .verdict(
                VerdictSummary::new(Decision::Escalate, vec!["p1".into()], [4; 32])
                    .with_reasons(vec!["recursive delete".into()]),
            )
            .review(ReviewDecision {
                ticket: "t-1".into(),
                reviewer: "alice".into(),
                outcome: ReviewOutcome::Approve,
                time_ms: 5,
                comment: Some("ok".into()),
            })
            .sandbox(SandboxOutcome {
                exit_code: Some(-3),
                signal: Some(9),
                timed_out: true,
                wall_ms: 1200,
                cpu_ms: Some(3),
                max_rss_kib: Some(70_000),
                refused: Some("no landlock".into()),
            })
            .agent_cosignature(vec![0xd2, 0x84])
            .build()
    }

    #[test]
    fn round_trip_is_exact() {
        let record = Record {
            seq: 300,
            time_ms: 1_700_000_000_000,
            entry: sample_entry(),
            prev_hash: [7; 32],
        };
        let bytes = record.to_cbor().unwrap();
        let back = Record::from_cbor(&bytes).unwrap();
        assert_eq!(back, record);
        // the same as encoding the whole map generically and canonicalizing it
        let mut v: Value = ciborium::de::from_reader(bytes.as_slice()).unwrap();
        canonicalize(&mut v).unwrap();
        let mut again = Vec::new();
        ciborium::ser::into_writer(&v, &mut again).unwrap();
        assert_eq!(again, bytes);
    }

    #[test]
    fn direct_action_encoding_matches_the_canonical_serde_form() {
        use crate::intent::HostClass;
        let resources = vec![
            Resource::Path {
                path: "/a b/ü".into(),
                glob: false,
            },
            Resource::Path {
                path: "/x/*.rs".into(),
                glob: true,
            },
            Resource::Host {
                host: "10.0.0.1".into(),
                port: Some(8443),
                class: HostClass::Private,
            },
            Resource::Host {
                host: "localhost".into(),
                port: None,
                class: HostClass::Loopback,
            },
            Resource::Url {
                url: "http://169.254.169.254/latest".into(),
                host: "169.254.169.254".into(),
                port: Some(80),
                class: HostClass::Metadata,
            },
            Resource::Url {
                url: "https://x.io".into(),
                host: "x.io".into(),
                port: None,
                class: HostClass::Public,
            },
            Resource::Program {
                name: "bash".into(),
            },
            Resource::Process {
                target: "nginx".into(),
            },
            Resource::Package {
                manager: "pip".into(),
                name: "requests==2.0".into(),
            },
            Resource::EnvVar {
                name: "PATH".into(),
            },
            Resource::Tool {
                name: "fs.write".into(),
            },
            Resource::Unknown {
                text: "$(x)".into(),
            },
        ];
        let attr_sets = (0u32..512).map(|bits| ActionAttrs {
            recursive: bits & 1 != 0,
            force: bits & 2 != 0,
            remote: (bits & 4 != 0).then(|| "host-a".to_string()),
            via_sudo: bits & 8 != 0,
            obfuscated: bits & 16 != 0,
            unresolved: bits & 32 != 0,
            pipe_to_shell: bits & 64 != 0,
            truncate: bits & 128 != 0,
            exposed: bits & 256 != 0,
        });
        let mut checked = 0;
        for (i, attrs) in attr_sets.enumerate() {
            for (j, resource) in resources.iter().enumerate() {
                let action = Action {
                    verb: [Verb::Read, Verb::NetworkConfig, Verb::DownloadExec][(i + j) % 3],
                    resource: resource.clone(),
                    attrs: attrs.clone(),
                    techniques: if i % 2 == 0 {
                        vec![]
                    } else {
                        vec!["T1059.004".into(), "T1".into()]
                    },
                    span: Span {
                        start: i * 300,
                        end: i * 70_000 + j,
                    },
                };
                let mut direct = Vec::new();
                put_action(&mut direct, &action);
                let mut generic = Vec::new();
                write_value(&mut generic, &action_value(&action).unwrap()).unwrap();
                assert_eq!(direct, generic, "{action:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 512 * 12);
    }

    #[test]
    fn minimal_entry_round_trips() {
        let record = Record {
            seq: 0,
            time_ms: 0,
            entry: AuditEntry::builder().build(),
            prev_hash: [0; 32],
        };
        let bytes = record.to_cbor().unwrap();
        assert_eq!(Record::from_cbor(&bytes).unwrap(), record);
    }

    #[test]
    fn non_deterministic_encoding_refused() {
        let record = Record {
            seq: 1,
            time_ms: 2,
            entry: sample_entry(),
            prev_hash: [7; 32],
        };
        let bytes = record.to_cbor().unwrap();
        // seq 1 written as a two-byte integer instead of one
        let mut long = bytes.clone();
        long.splice(2..3, [0x18, 0x01]);
        let err = Record::from_cbor(&long).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::AuditRecordMalformed);
        // trailing garbage
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(Record::from_cbor(&trailing).is_err());
    }

    fn arb_entry() -> impl proptest::strategy::Strategy<Value = AuditEntry> {
        use proptest::prelude::*;
        (
            (
                proptest::option::of((
                    proptest::collection::vec(any::<u8>(), 0..40),
                    any::<[u8; 32]>(),
                    ".{0,20}",
                )),
                any::<[u8; 32]>(),
                ".{0,80}",
                proptest::option::of(".{0,40}"),
            ),
            (
                proptest::option::of((
                    0u8..3,
                    proptest::collection::vec("[a-z/-]{0,12}", 0..4),
                    proptest::collection::vec(".{0,20}", 0..3),
                )),
                proptest::option::of((
                    proptest::option::of(any::<i32>()),
                    proptest::option::of(any::<i32>()),
                    any::<bool>(),
                    any::<u64>(),
                    proptest::option::of(any::<u64>()),
                )),
                proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
                proptest::collection::vec((".{0,10}", any::<bool>(), any::<u64>()), 0..3),
                proptest::collection::vec(("[a-z/.]{0,30}", 0usize..1000), 0..3),
            ),
        )
            .prop_map(
                |((actor, digest, summary, raw), (verdict, sandbox, cosig, reviews, paths))| {
                    AuditEntry {
                        actor: actor.map(|(token_cti, chain_hash, agent_id)| Actor {
                            token_cti,
                            chain_hash,
                            agent_id,
                        }),
                        request_digest: digest,
                        summary,
                        raw_request: raw,
                        actions: paths
                            .into_iter()
                            .map(|(path, end)| Action {
                                verb: Verb::Write,
                                resource: Resource::Path {
                                    path,
                                    glob: end % 2 == 0,
                                },
                                attrs: ActionAttrs {
                                    recursive: end % 3 == 0,
                                    ..ActionAttrs::default()
                                },
                                techniques: vec![],
                                span: Span { start: 0, end },
                            })
                            .collect(),
                        verdict: verdict.map(|(d, ids, reasons)| VerdictSummary {
                            decision: Decision::from_u64(u64::from(d)).unwrap(),
                            policy_ids: ids,
                            reasons,
                            policy_set_hash: digest,
                        }),
                        reviews: reviews
                            .into_iter()
                            .map(|(who, ok, t)| ReviewDecision {
                                ticket: "t".into(),
                                reviewer: who.clone(),
                                outcome: if ok {
                                    ReviewOutcome::Approve
                                } else {
                                    ReviewOutcome::Deny
                                },
                                time_ms: t,
                                comment: ok.then_some(who),
                            })
                            .collect(),
                        sandbox: sandbox.map(|(exit_code, signal, timed_out, wall_ms, cpu_ms)| {
                            SandboxOutcome {
                                exit_code,
                                signal,
                                timed_out,
                                wall_ms,
                                cpu_ms,
                                max_rss_kib: None,
                                refused: None,
                            }
                        }),
                        agent_cosignature: cosig,
                    }
                },
            )
    }

    proptest::proptest! {
        #[test]
        fn any_record_round_trips_in_canonical_form(
            entry in arb_entry(),
            seq in proptest::prelude::any::<u64>(),
            time in proptest::prelude::any::<u64>(),
            prev in proptest::prelude::any::<[u8; 32]>(),
        ) {
            let record = Record { seq, time_ms: time, entry, prev_hash: prev };
            let bytes = record.to_cbor().unwrap();
            proptest::prop_assert_eq!(&Record::from_cbor(&bytes).unwrap(), &record);
            let mut v: Value = ciborium::de::from_reader(bytes.as_slice()).unwrap();
            canonicalize(&mut v).unwrap();
            let mut again = Vec::new();
            ciborium::ser::into_writer(&v, &mut again).unwrap();
            proptest::prop_assert_eq!(again, bytes);
        }
    }

    #[test]
    fn garbage_refused() {
        for b in [&b""[..], b"\xa0", b"\x00", b"\xbf\xff", &[0x9f; 600]] {
            assert!(Record::from_cbor(b).is_err());
        }
    }
}
