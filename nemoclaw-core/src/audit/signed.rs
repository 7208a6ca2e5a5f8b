//! COSE_Sign1 (RFC 9052) envelopes for records, checkpoints and segment
//! headers, and the agent's co-signature over a request digest.
//!
//! Every envelope is a tagged COSE_Sign1 with EdDSA (Ed25519), the signer's
//! `kid` and a content type that says what it holds, all in the protected
//! header, so a signature made for one kind of object never verifies as
//! another.

use ciborium::Value;
use coset::{iana, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};

use super::entry::Hash32;
use super::merkle::CompactTree;
use super::record::{as_u64, bytes32, write_value};
use super::AuditError;
use crate::identity::{KeyPair, PublicKey};

/// Content type of a signed record.
pub const CT_RECORD: &str = "application/nemoclaw-audit-record+cbor";
/// Content type of a signed checkpoint.
pub const CT_CHECKPOINT: &str = "application/nemoclaw-audit-checkpoint+cbor";
/// Content type of a signed segment header.
pub const CT_HEADER: &str = "application/nemoclaw-audit-header+cbor";
/// Content type of an agent's co-signature (detached payload: the request digest).
pub const CT_COSIGN: &str = "application/nemoclaw-request-digest";

/// Sign `payload` as a tagged COSE_Sign1 with an attached payload.
pub(crate) fn sign(
    key: &KeyPair,
    content_type: &str,
    payload: Vec<u8>,
) -> Result<Vec<u8>, AuditError> {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(key.kid().as_bytes().to_vec())
        .content_type(content_type.to_string())
        .build();
    CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(b"", |m| key.sign(m).to_vec())
        .build()
        .to_tagged_vec()
        .map_err(|e| AuditError::malformed("signature envelope", format!("cannot encode: {e}")))
}

/// A parsed, not yet verified envelope.
#[derive(Debug)]
pub(crate) struct Envelope {
    sign1: CoseSign1,
    /// The signer's key id.
    pub kid: String,
}

impl Envelope {
    /// Parse and check algorithm and content type.
    pub(crate) fn parse(
        bytes: &[u8],
        what: &'static str,
        content_type: &str,
    ) -> Result<Self, AuditError> {
        let sign1 = CoseSign1::from_tagged_slice(bytes)
            .map_err(|e| AuditError::malformed(what, format!("not a COSE_Sign1: {e}")))?;
        let h = &sign1.protected.header;
        if h.alg != Some(coset::Algorithm::Assigned(iana::Algorithm::EdDSA)) {
            return Err(AuditError::malformed(what, "algorithm is not EdDSA"));
        }
        if h.content_type != Some(coset::ContentType::Text(content_type.to_string())) {
            return Err(AuditError::malformed(
                what,
                format!("content type is not `{content_type}`"),
            ));
        }
        let kid = String::from_utf8(h.key_id.clone())
            .map_err(|_| AuditError::malformed(what, "key id is not UTF-8"))?;
        Ok(Self { sign1, kid })
    }

    /// The attached payload (unverified).
    pub(crate) fn payload(&self) -> Option<&[u8]> {
        self.sign1.payload.as_deref()
    }

    /// Verify with the trusted key named by `kid`.
    pub(crate) fn verify(&self, trusted: &[PublicKey], what: &str) -> Result<(), AuditError> {
        let Some(key) = trusted.iter().find(|k| k.kid() == self.kid) else {
            return Err(AuditError::UntrustedKey {
                what: what.to_string(),
                kid: self.kid.clone(),
            });
        };
        self.verify_with(key, b"", what)
    }

    fn verify_with(&self, key: &PublicKey, detached: &[u8], what: &str) -> Result<(), AuditError> {
        let ok = if self.sign1.payload.is_some() {
            self.sign1
                .verify_signature(b"", |sig, data| {
                    if key.verify(data, sig) {
                        Ok(())
                    } else {
                        Err(())
                    }
                })
                .is_ok()
        } else {
            self.sign1
                .verify_detached_signature(detached, b"", |sig, data| {
                    if key.verify(data, sig) {
                        Ok(())
                    } else {
                        Err(())
                    }
                })
                .is_ok()
        };
        if ok {
            Ok(())
        } else {
            Err(AuditError::BadSignature {
                what: what.to_string(),
            })
        }
    }
}

/// The agent's co-signature over a request digest: a tagged COSE_Sign1 with
/// a detached payload (the 32-byte SHA-256 of the raw request). The agent
/// makes it with its own key (the one its token's `cnf` names) as proof of
/// possession; the guard stores it in the record.
pub fn cosign_request(agent: &KeyPair, request_digest: &Hash32) -> Result<Vec<u8>, AuditError> {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(agent.kid().as_bytes().to_vec())
        .content_type(CT_COSIGN.to_string())
        .build();
    CoseSign1Builder::new()
        .protected(protected)
        .create_detached_signature(request_digest, b"", |m| agent.sign(m).to_vec())
        .build()
        .to_tagged_vec()
        .map_err(|e| AuditError::malformed("co-signature", format!("cannot encode: {e}")))
}

/// Verify an agent co-signature against the request digest with one of
/// `agents`. Returns the signer's key id.
pub fn verify_cosignature(
    cosignature: &[u8],
    request_digest: &Hash32,
    agents: &[PublicKey],
) -> Result<String, AuditError> {
    let env = Envelope::parse(cosignature, "co-signature", CT_COSIGN)?;
    if env.sign1.payload.is_some() {
        return Err(AuditError::malformed(
            "co-signature",
            "payload must be detached",
        ));
    }
    let Some(key) = agents.iter().find(|k| k.kid() == env.kid) else {
        return Err(AuditError::UntrustedKey {
            what: "co-signature".into(),
            kid: env.kid,
        });
    };
    env.verify_with(key, request_digest, "co-signature")?;
    Ok(env.kid)
}

/// The key id named in a co-signature, without verifying it.
pub fn cosignature_kid(cosignature: &[u8]) -> Option<String> {
    Envelope::parse(cosignature, "co-signature", CT_COSIGN)
        .ok()
        .map(|e| e.kid)
}

/// Why a checkpoint was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckpointReason {
    /// Every N records or T seconds.
    Periodic,
    /// The log was closed; nothing follows unless it is reopened.
    Close,
    /// The segment reached its size limit; the chain continues in the next file.
    Rotate,
    /// The log was reopened after a crash (a torn tail may have been cut).
    Recovery,
    /// Asked for explicitly.
    Explicit,
}

impl CheckpointReason {
    fn to_u8(self) -> u8 {
        match self {
            CheckpointReason::Periodic => 0,
            CheckpointReason::Close => 1,
            CheckpointReason::Rotate => 2,
            CheckpointReason::Recovery => 3,
            CheckpointReason::Explicit => 4,
        }
    }

    fn from_u64(v: u64) -> Option<Self> {
        Some(match v {
            0 => CheckpointReason::Periodic,
            1 => CheckpointReason::Close,
            2 => CheckpointReason::Rotate,
            3 => CheckpointReason::Recovery,
            4 => CheckpointReason::Explicit,
            _ => return None,
        })
    }

    /// A lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointReason::Periodic => "periodic",
            CheckpointReason::Close => "close",
            CheckpointReason::Rotate => "rotate",
            CheckpointReason::Recovery => "recovery",
            CheckpointReason::Explicit => "explicit",
        }
    }
}

/// A signed statement of the Merkle tree head: every record before
/// `tree_size` is committed to by `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's random id.
    pub log_id: [u8; 16],
    /// The segment it was written in.
    pub segment: u64,
    /// Number of records covered.
    pub tree_size: u64,
    /// RFC 9162 tree head over those records.
    pub root: Hash32,
    /// Milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// Why it was written.
    pub reason: CheckpointReason,
    /// For a recovery checkpoint: bytes of torn tail cut on reopening.
    pub torn_bytes: Option<u64>,
}

impl Checkpoint {
    /// The deterministic CBOR payload.
    pub fn to_cbor(&self) -> Result<Vec<u8>, AuditError> {
        let mut e = vec![
            (0, Value::Bytes(self.log_id.to_vec())),
            (1, Value::Integer(self.segment.into())),
            (2, Value::Integer(self.tree_size.into())),
            (3, Value::Bytes(self.root.to_vec())),
            (4, Value::Integer(self.time_ms.into())),
            (5, Value::Integer(self.reason.to_u8().into())),
        ];
        if let Some(t) = self.torn_bytes {
            e.push((6, Value::Integer(t.into())));
        }
        encode_map(e)
    }

    /// Decode a payload (strict: only the deterministic encoding).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, AuditError> {
        const WHAT: &str = "checkpoint";
        let f = decode_map(bytes, WHAT, 7)?;
        let cp = Checkpoint {
            log_id: log_id(get(&f, 0, WHAT)?, WHAT)?,
            segment: uint(get(&f, 1, WHAT)?, WHAT)?,
            tree_size: uint(get(&f, 2, WHAT)?, WHAT)?,
            root: bytes32(get(&f, 3, WHAT)?, "root")?,
            time_ms: uint(get(&f, 4, WHAT)?, WHAT)?,
            reason: CheckpointReason::from_u64(uint(get(&f, 5, WHAT)?, WHAT)?)
                .ok_or_else(|| AuditError::malformed(WHAT, "unknown reason"))?,
            torn_bytes: f
                .iter()
                .find(|(k, _)| *k == 6)
                .map(|(_, v)| uint(v, WHAT))
                .transpose()?,
        };
        if cp.to_cbor()? != bytes {
            return Err(AuditError::malformed(
                WHAT,
                "not in deterministic CBOR encoding",
            ));
        }
        Ok(cp)
    }

    /// Sign as a COSE_Sign1.
    pub fn sign(&self, key: &KeyPair) -> Result<Vec<u8>, AuditError> {
        sign(key, CT_CHECKPOINT, self.to_cbor()?)
    }

    /// Parse a signed checkpoint and verify it with a trusted key.
    pub fn verify_signed(
        bytes: &[u8],
        trusted: &[PublicKey],
    ) -> Result<(Self, String), AuditError> {
        let env = Envelope::parse(bytes, "checkpoint", CT_CHECKPOINT)?;
        env.verify(trusted, "checkpoint")?;
        let payload = env
            .payload()
            .ok_or_else(|| AuditError::malformed("checkpoint", "no payload"))?;
        Ok((Self::from_cbor(payload)?, env.kid))
    }
}

/// How records are signed in a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SigningMode {
    /// Every record is a COSE_Sign1 by the guard key (and checkpoints too).
    #[default]
    EveryRecord,
    /// Records are bare CBOR; only checkpoints are signed. Every record is
    /// still covered by a signed Merkle root once the next checkpoint is
    /// written (at the latest on close or on reopening after a crash).
    CheckpointsOnly,
}

/// The signed first frame of each segment file: which log, where the chain
/// and the tree stand when the segment begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Format version (1).
    pub version: u64,
    /// The log's random id.
    pub log_id: [u8; 16],
    /// Segment number, 0 for the first file.
    pub segment: u64,
    /// Sequence number of the first record in this segment (= tree size so far).
    pub first_seq: u64,
    /// Hash of the last record before this segment (genesis hash for segment 0).
    pub prev_hash: Hash32,
    /// How records are signed.
    pub mode: SigningMode,
    /// Milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// Compact range of the tree over the records before this segment.
    pub peaks: Vec<Hash32>,
}

impl SegmentHeader {
    /// The tree over the records before this segment.
    pub fn tree(&self) -> Result<CompactTree, AuditError> {
        CompactTree::from_parts(self.first_seq, self.peaks.clone())
    }

    /// The deterministic CBOR payload.
    pub fn to_cbor(&self) -> Result<Vec<u8>, AuditError> {
        let mode: u8 = match self.mode {
            SigningMode::EveryRecord => 0,
            SigningMode::CheckpointsOnly => 1,
        };
        encode_map(vec![
            (0, Value::Integer(self.version.into())),
            (1, Value::Bytes(self.log_id.to_vec())),
            (2, Value::Integer(self.segment.into())),
            (3, Value::Integer(self.first_seq.into())),
            (4, Value::Bytes(self.prev_hash.to_vec())),
            (5, Value::Integer(mode.into())),
            (6, Value::Integer(self.time_ms.into())),
            (
                7,
                Value::Array(
                    self.peaks
                        .iter()
                        .map(|p| Value::Bytes(p.to_vec()))
                        .collect(),
                ),
            ),
        ])
    }

    /// Decode a payload (strict).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, AuditError> {
        const WHAT: &str = "segment header";
        let f = decode_map(bytes, WHAT, 8)?;
        let version = uint(get(&f, 0, WHAT)?, WHAT)?;
        if version != 1 {
            return Err(AuditError::malformed(
                WHAT,
                format!("unknown version `{version}`"),
            ));
        }
        let mode = match uint(get(&f, 5, WHAT)?, WHAT)? {
            0 => SigningMode::EveryRecord,
            1 => SigningMode::CheckpointsOnly,
            m => {
                return Err(AuditError::malformed(
                    WHAT,
                    format!("unknown signing mode `{m}`"),
                ))
            }
        };
        let Value::Array(peaks) = get(&f, 7, WHAT)? else {
            return Err(AuditError::malformed(WHAT, "peaks is not an array"));
        };
        let header = SegmentHeader {
            version,
            log_id: log_id(get(&f, 1, WHAT)?, WHAT)?,
            segment: uint(get(&f, 2, WHAT)?, WHAT)?,
            first_seq: uint(get(&f, 3, WHAT)?, WHAT)?,
            prev_hash: bytes32(get(&f, 4, WHAT)?, "prev")?,
            mode,
            time_ms: uint(get(&f, 6, WHAT)?, WHAT)?,
            peaks: peaks
                .iter()
                .map(|p| bytes32(p, "peak"))
                .collect::<Result<_, _>>()?,
        };
        header.tree()?;
        if header.to_cbor()? != bytes {
            return Err(AuditError::malformed(
                WHAT,
                "not in deterministic CBOR encoding",
            ));
        }
        Ok(header)
    }

    /// Sign as a COSE_Sign1.
    pub fn sign(&self, key: &KeyPair) -> Result<Vec<u8>, AuditError> {
        sign(key, CT_HEADER, self.to_cbor()?)
    }

    /// Parse a signed header and verify it with a trusted key.
    pub fn verify_signed(
        bytes: &[u8],
        trusted: &[PublicKey],
    ) -> Result<(Self, String), AuditError> {
        let env = Envelope::parse(bytes, "segment header", CT_HEADER)?;
        env.verify(trusted, "segment header")?;
        let payload = env
            .payload()
            .ok_or_else(|| AuditError::malformed("segment header", "no payload"))?;
        Ok((Self::from_cbor(payload)?, env.kid))
    }

    /// Parse a signed header without verifying it (for recovery and display).
    pub fn parse_unverified(bytes: &[u8]) -> Result<(Self, String), AuditError> {
        let env = Envelope::parse(bytes, "segment header", CT_HEADER)?;
        let payload = env
            .payload()
            .ok_or_else(|| AuditError::malformed("segment header", "no payload"))?;
        Ok((Self::from_cbor(payload)?, env.kid))
    }
}

/// Parse a signed checkpoint without verifying it.
pub(crate) fn checkpoint_unverified(bytes: &[u8]) -> Result<Checkpoint, AuditError> {
    let env = Envelope::parse(bytes, "checkpoint", CT_CHECKPOINT)?;
    Checkpoint::from_cbor(
        env.payload()
            .ok_or_else(|| AuditError::malformed("checkpoint", "no payload"))?,
    )
}

/// The record bytes inside a signed record, after verifying the signature.
pub(crate) fn verify_record(bytes: &[u8], trusted: &[PublicKey]) -> Result<Vec<u8>, AuditError> {
    let env = Envelope::parse(bytes, "record", CT_RECORD)?;
    env.verify(trusted, "record")?;
    env.payload()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| AuditError::malformed("record", "no payload"))
}

/// The record bytes inside a signed record, without verifying.
pub(crate) fn record_unverified(bytes: &[u8]) -> Result<Vec<u8>, AuditError> {
    let env = Envelope::parse(bytes, "record", CT_RECORD)?;
    env.payload()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| AuditError::malformed("record", "no payload"))
}

fn encode_map(entries: Vec<(u64, Value)>) -> Result<Vec<u8>, AuditError> {
    let map = Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Integer(k.into()), v))
            .collect(),
    );
    let mut out = Vec::with_capacity(128);
    write_value(&mut out, &map)?;
    Ok(out)
}

fn decode_map(
    bytes: &[u8],
    what: &'static str,
    known: u64,
) -> Result<Vec<(u64, Value)>, AuditError> {
    if bytes.len() > 64 * 1024 {
        return Err(AuditError::malformed(what, "too large"));
    }
    let v: Value = ciborium::de::from_reader(bytes)
        .map_err(|e| AuditError::malformed(what, format!("not CBOR: {e}")))?;
    let Value::Map(entries) = v else {
        return Err(AuditError::malformed(what, "not a map"));
    };
    entries
        .into_iter()
        .map(|(k, v)| {
            as_u64(&k)
                .filter(|k| *k < known)
                .map(|k| (k, v))
                .ok_or_else(|| AuditError::malformed(what, "unknown or non-integer key"))
        })
        .collect()
}

fn get<'a>(f: &'a [(u64, Value)], key: u64, what: &'static str) -> Result<&'a Value, AuditError> {
    f.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .ok_or_else(|| AuditError::malformed(what, format!("missing key `{key}`")))
}

fn uint(v: &Value, what: &'static str) -> Result<u64, AuditError> {
    as_u64(v).ok_or_else(|| AuditError::malformed(what, "expected an unsigned integer"))
}

fn log_id(v: &Value, what: &'static str) -> Result<[u8; 16], AuditError> {
    match v {
        Value::Bytes(b) => <[u8; 16]>::try_from(b.as_slice())
            .map_err(|_| AuditError::malformed(what, "log id is not 16 bytes")),
        _ => Err(AuditError::malformed(what, "log id is not a byte string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_round_trip_and_domain_separation() {
        let key = KeyPair::from_seed("guard", &[3; 32]).unwrap();
        let cp = Checkpoint {
            log_id: [5; 16],
            segment: 2,
            tree_size: 1000,
            root: [8; 32],
            time_ms: 42,
            reason: CheckpointReason::Recovery,
            torn_bytes: Some(17),
        };
        let signed = cp.sign(&key).unwrap();
        let (back, kid) = Checkpoint::verify_signed(&signed, &[key.public()]).unwrap();
        assert_eq!((back, kid.as_str()), (cp.clone(), "guard"));
        // a checkpoint signature is not a header or record signature
        assert!(SegmentHeader::verify_signed(&signed, &[key.public()]).is_err());
        assert!(verify_record(&signed, &[key.public()]).is_err());
        // another key with the same kid is refused
        let other = KeyPair::from_seed("guard", &[4; 32]).unwrap();
        let err = Checkpoint::verify_signed(&signed, &[other.public()]).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::AuditBadSignature);
        let stranger = KeyPair::from_seed("stranger", &[4; 32]).unwrap();
        let err = Checkpoint::verify_signed(&signed, &[stranger.public()]).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::AuditUntrustedKey);
    }

    #[test]
    fn header_round_trip() {
        let mut tree = CompactTree::new();
        for i in 0..5u8 {
            tree.push([i; 32]);
        }
        let h = SegmentHeader {
            version: 1,
            log_id: [1; 16],
            segment: 3,
            first_seq: 5,
            prev_hash: [2; 32],
            mode: SigningMode::CheckpointsOnly,
            time_ms: 9,
            peaks: tree.peaks().to_vec(),
        };
        assert_eq!(SegmentHeader::from_cbor(&h.to_cbor().unwrap()).unwrap(), h);
        let bad = SegmentHeader { peaks: vec![], ..h };
        assert!(SegmentHeader::from_cbor(&bad.to_cbor().unwrap()).is_err());
    }

    #[test]
    fn cosignature_verifies_only_for_its_digest_and_key() {
        let agent = KeyPair::from_seed("agent-1", &[6; 32]).unwrap();
        let digest = [0xab; 32];
        let cosig = cosign_request(&agent, &digest).unwrap();
        assert_eq!(
            verify_cosignature(&cosig, &digest, &[agent.public()]).unwrap(),
            "agent-1"
        );
        assert!(verify_cosignature(&cosig, &[0xac; 32], &[agent.public()]).is_err());
        assert_eq!(cosignature_kid(&cosig).as_deref(), Some("agent-1"));
        let impostor = KeyPair::from_seed("agent-1", &[7; 32]).unwrap();
        assert!(verify_cosignature(&cosig, &digest, &[impostor.public()]).is_err());
    }
}
