//! Inclusion and consistency proofs taken from log files, as self-contained
//! JSON documents that verify offline with only the guard's public key.
//!
//! An [`InclusionProof`] carries the record (its signed frame body), a
//! signed checkpoint and the Merkle audit path from the record's leaf to the
//! checkpoint's root. A [`ConsistencyProof`] carries two signed checkpoints
//! and the path showing that the later tree extends the earlier one, so a
//! holder of an old checkpoint can tell the log was only appended to.

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::entry::{hex_bytes, Hash32};
use super::frame::{split_frames, FrameKind};
use super::merkle;
use super::record::{record_hash, Record};
use super::signed::{checkpoint_unverified, record_unverified, verify_record, Checkpoint};
use super::verify::peek_header;
use super::AuditError;
use crate::identity::PublicKey;

/// Proof that one record is in the log committed to by a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// Always `"nemoclaw-audit-inclusion-v1"`.
    pub kind: String,
    /// The record's sequence number (its leaf index).
    pub seq: u64,
    /// The record frame body: a COSE_Sign1 when `signed_record`, else the bare record.
    #[serde(with = "hex_bytes")]
    pub record: Vec<u8>,
    /// Whether `record` is individually signed.
    pub signed_record: bool,
    /// Tree size of the checkpoint.
    pub tree_size: u64,
    /// Audit path, leaf to root.
    #[serde(with = "hex32_vec")]
    pub path: Vec<Hash32>,
    /// The signed checkpoint (COSE_Sign1).
    #[serde(with = "hex_bytes")]
    pub checkpoint: Vec<u8>,
}

/// Proof that the tree of a later checkpoint extends that of an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// Always `"nemoclaw-audit-consistency-v1"`.
    pub kind: String,
    /// The earlier signed checkpoint.
    #[serde(with = "hex_bytes")]
    pub old_checkpoint: Vec<u8>,
    /// The later signed checkpoint.
    #[serde(with = "hex_bytes")]
    pub new_checkpoint: Vec<u8>,
    /// The consistency path.
    #[serde(with = "hex32_vec")]
    pub path: Vec<Hash32>,
}

const INCLUSION_KIND: &str = "nemoclaw-audit-inclusion-v1";
const CONSISTENCY_KIND: &str = "nemoclaw-audit-consistency-v1";

/// What a verified inclusion proof establishes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvenRecord {
    /// The record.
    pub record: Record,
    /// Its leaf hash.
    pub record_hash: Hash32,
    /// The checkpoint that commits to it.
    pub checkpoint: Checkpoint,
    /// Key id that signed the checkpoint.
    pub kid: String,
}

impl InclusionProof {
    /// Check the checkpoint's signature with a trusted key, the record's own
    /// signature (when it has one), and the audit path.
    pub fn verify(&self, trusted: &[PublicKey]) -> Result<ProvenRecord, AuditError> {
        if self.kind != INCLUSION_KIND {
            return Err(AuditError::ProofInvalid(format!(
                "unknown proof kind `{}`",
                self.kind
            )));
        }
        let (checkpoint, kid) = Checkpoint::verify_signed(&self.checkpoint, trusted)?;
        if checkpoint.tree_size != self.tree_size {
            return Err(AuditError::ProofInvalid(format!(
                "proof is for tree size {}, the checkpoint for {}",
                self.tree_size, checkpoint.tree_size
            )));
        }
        let bytes = if self.signed_record {
            verify_record(&self.record, trusted)?
        } else {
            self.record.clone()
        };
        let record = Record::from_cbor(&bytes)?;
        if record.seq != self.seq {
            return Err(AuditError::ProofInvalid(format!(
                "the record is number {}, the proof says {}",
                record.seq, self.seq
            )));
        }
        let leaf = record_hash(&bytes);
        merkle::verify_inclusion(
            self.seq,
            self.tree_size,
            &leaf,
            &self.path,
            &checkpoint.root,
        )?;
        Ok(ProvenRecord {
            record,
            record_hash: leaf,
            checkpoint,
            kid,
        })
    }
}

impl ConsistencyProof {
    /// Check both checkpoints' signatures with trusted keys and the path
    /// between them. Returns (old, new).
    pub fn verify(&self, trusted: &[PublicKey]) -> Result<(Checkpoint, Checkpoint), AuditError> {
        if self.kind != CONSISTENCY_KIND {
            return Err(AuditError::ProofInvalid(format!(
                "unknown proof kind `{}`",
                self.kind
            )));
        }
        let (old, _) = Checkpoint::verify_signed(&self.old_checkpoint, trusted)?;
        let (new, _) = Checkpoint::verify_signed(&self.new_checkpoint, trusted)?;
        if old.log_id != new.log_id {
            return Err(AuditError::ProofInvalid(
                "the checkpoints belong to different logs".into(),
            ));
        }
        if old.tree_size == 0 {
            return Err(AuditError::ProofInvalid(
                "an empty tree is consistent with any tree; nothing to prove".into(),
            ));
        }
        merkle::verify_consistency(
            old.tree_size,
            new.tree_size,
            &old.root,
            &new.root,
            &self.path,
        )?;
        Ok((old, new))
    }
}

/// Everything a proof needs from the log files.
struct Collected {
    leaves: Vec<Hash32>,
    /// (checkpoint, signed bytes)
    checkpoints: Vec<(Checkpoint, Vec<u8>)>,
    /// frame body and whether it is signed, for the wanted record
    wanted: Option<(Vec<u8>, bool)>,
}

fn collect(paths: &[PathBuf], want: Option<u64>) -> Result<Collected, AuditError> {
    let mut ordered = Vec::new();
    for p in paths {
        ordered.push((peek_header(p)?.0.segment, p.clone()));
    }
    ordered.sort();
    if ordered.first().map(|(s, _)| *s) != Some(0) {
        return Err(AuditError::InvalidOption(
            "proofs need every segment from the first one (segment 0)".into(),
        ));
    }
    let mut c = Collected {
        leaves: Vec::new(),
        checkpoints: Vec::new(),
        wanted: None,
    };
    for (i, (segment, path)) in ordered.iter().enumerate() {
        if *segment != i as u64 {
            return Err(AuditError::ChainBroken(format!(
                "segment {i} is missing from the files given"
            )));
        }
        let data = fs::read(path).map_err(AuditError::io(path))?;
        let (frames, _) = split_frames(&data)?;
        for (_, frame) in frames {
            match frame.kind {
                FrameKind::Header => {}
                FrameKind::Checkpoint => {
                    c.checkpoints
                        .push((checkpoint_unverified(frame.body)?, frame.body.to_vec()));
                }
                FrameKind::SignedRecord | FrameKind::Record => {
                    let signed = frame.kind == FrameKind::SignedRecord;
                    let bytes = if signed {
                        record_unverified(frame.body)?
                    } else {
                        frame.body.to_vec()
                    };
                    if want == Some(c.leaves.len() as u64) {
                        c.wanted = Some((frame.body.to_vec(), signed));
                    }
                    c.leaves.push(record_hash(&bytes));
                }
            }
        }
    }
    Ok(c)
}

/// Build an inclusion proof for record `seq` against the latest checkpoint
/// that covers it. Signatures are not checked here; the proof's verifier
/// checks them.
pub fn prove_inclusion(paths: &[PathBuf], seq: u64) -> Result<InclusionProof, AuditError> {
    let c = collect(paths, Some(seq))?;
    let Some((record, signed_record)) = c.wanted else {
        return Err(AuditError::InvalidOption(format!(
            "record {seq} is not in the log ({} records)",
            c.leaves.len()
        )));
    };
    let Some((cp, signed)) = c
        .checkpoints
        .iter()
        .filter(|(cp, _)| cp.tree_size > seq && cp.tree_size <= c.leaves.len() as u64)
        .max_by_key(|(cp, _)| cp.tree_size)
    else {
        return Err(AuditError::InvalidOption(format!(
            "record {seq} is not covered by a checkpoint yet"
        )));
    };
    let size = usize::try_from(cp.tree_size)
        .map_err(|_| AuditError::InvalidOption("tree too large".into()))?;
    Ok(InclusionProof {
        kind: INCLUSION_KIND.into(),
        seq,
        record,
        signed_record,
        tree_size: cp.tree_size,
        path: merkle::inclusion_path(seq, &c.leaves[..size])?,
        checkpoint: signed.clone(),
    })
}

/// Build a consistency proof from the checkpoint of tree size `old_size` to
/// the checkpoint of `new_size` (the latest checkpoint when `None`).
pub fn prove_consistency(
    paths: &[PathBuf],
    old_size: u64,
    new_size: Option<u64>,
) -> Result<ConsistencyProof, AuditError> {
    let c = collect(paths, None)?;
    let find = |size: u64| {
        c.checkpoints
            .iter()
            .find(|(cp, _)| cp.tree_size == size)
            .ok_or_else(|| AuditError::InvalidOption(format!("no checkpoint has tree size {size}")))
    };
    let old = find(old_size)?;
    let new = match new_size {
        Some(n) => find(n)?,
        None => c
            .checkpoints
            .iter()
            .max_by_key(|(cp, _)| cp.tree_size)
            .ok_or_else(|| AuditError::InvalidOption("the log has no checkpoint".into()))?,
    };
    if new.0.tree_size < old_size {
        return Err(AuditError::InvalidOption(format!(
            "tree size {} is smaller than {old_size}",
            new.0.tree_size
        )));
    }
    let size = usize::try_from(new.0.tree_size)
        .map_err(|_| AuditError::InvalidOption("tree too large".into()))?;
    if size > c.leaves.len() {
        return Err(AuditError::CheckpointMismatch(
            "a checkpoint covers more records than the log holds".into(),
        ));
    }
    Ok(ConsistencyProof {
        kind: CONSISTENCY_KIND.into(),
        old_checkpoint: old.1.clone(),
        new_checkpoint: new.1.clone(),
        path: merkle::consistency_path(old_size, &c.leaves[..size])?,
    })
}

mod hex32_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Hash32;

    pub fn serialize<S: Serializer>(v: &[Hash32], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(hex::encode))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash32>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|t| {
                let b = hex::decode(&t).map_err(serde::de::Error::custom)?;
                Hash32::try_from(b.as_slice())
                    .map_err(|_| serde::de::Error::custom(format!("`{t}` is not 32 bytes of hex")))
            })
            .collect()
    }
}
