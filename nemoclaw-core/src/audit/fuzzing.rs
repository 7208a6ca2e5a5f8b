//! Harnesses for the decoders of untrusted bytes, shared by the cargo-fuzz
//! targets in `fuzz/` and by a normal test that replays the seed corpus (so
//! CI covers the decoders without a nightly toolchain). Each harness must
//! never panic, whatever the input; its assertions state invariants that
//! hold for every accepted input.

use super::frame::{decode_frame, encode_frame, split_frames, FrameDecode, FrameStop, FILE_MAGIC};
use super::proof::InclusionProof;
use super::record::Record;
use super::signed::{Checkpoint, SegmentHeader};
use super::{verify_cosignature, AuditError};
use crate::identity::KeyPair;

/// Frame decoder: a whole segment file and a single frame.
pub fn frame_decoder(data: &[u8]) -> Result<(), AuditError> {
    if let FrameDecode::Whole(frame, len) = decode_frame(data) {
        // an accepted frame re-encodes to exactly its bytes
        let mut again = Vec::new();
        encode_frame(frame.kind, frame.body, &mut again)?;
        if again != data[..len] {
            return Err(AuditError::malformed(
                "frame",
                "does not re-encode to its bytes",
            ));
        }
    }
    let mut file = FILE_MAGIC.to_vec();
    file.extend_from_slice(data);
    for input in [data, &file[..]] {
        if let Ok((frames, stop)) = split_frames(input) {
            let mut end = FILE_MAGIC.len() as u64;
            for (offset, frame) in &frames {
                if *offset != end {
                    return Err(AuditError::malformed("frame", "frames are not contiguous"));
                }
                end = offset + frame.body.len() as u64 + super::frame::FRAME_OVERHEAD as u64;
            }
            let stop_at = match stop {
                FrameStop::Clean => input.len() as u64,
                FrameStop::TornTail { offset, .. } | FrameStop::Corrupt { offset, .. } => offset,
            };
            if stop_at != end && !frames.is_empty() {
                return Err(AuditError::malformed(
                    "frame",
                    "stop offset is not after the last frame",
                ));
            }
        }
    }
    Ok(())
}

/// Record, checkpoint, header, envelope and proof decoders.
pub fn record_decoder(data: &[u8]) -> Result<(), AuditError> {
    if let Ok(record) = Record::from_cbor(data) {
        // one record, one byte string
        if record.to_cbor()? != data {
            return Err(AuditError::malformed(
                "record",
                "accepted a non-canonical encoding",
            ));
        }
    }
    if let Ok(cp) = Checkpoint::from_cbor(data) {
        if cp.to_cbor()? != data {
            return Err(AuditError::malformed(
                "checkpoint",
                "accepted a non-canonical encoding",
            ));
        }
    }
    if let Ok(h) = SegmentHeader::from_cbor(data) {
        if h.to_cbor()? != data {
            return Err(AuditError::malformed(
                "header",
                "accepted a non-canonical encoding",
            ));
        }
    }
    let key = KeyPair::from_seed("fuzz", &[1; 32])
        .map_err(|e| AuditError::InvalidOption(e.to_string()))?;
    let trusted = [key.public()];
    let _ = Checkpoint::verify_signed(data, &trusted);
    let _ = SegmentHeader::verify_signed(data, &trusted);
    let _ = SegmentHeader::parse_unverified(data);
    let _ = verify_cosignature(data, &[0; 32], &trusted);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(proof) = serde_json::from_str::<InclusionProof>(text) {
            let _ = proof.verify(&trusted);
        }
    }
    Ok(())
}
