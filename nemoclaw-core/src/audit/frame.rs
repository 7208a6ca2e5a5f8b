//! Framing of a log segment file.
//!
//! A segment starts with the 8-byte magic `NCAUDIT\x01`, followed by frames:
//!
//! ```text
//! marker  4 bytes  E5 4E 43 46
//! length  u32 LE   body length (at most MAX_FRAME_BODY)
//! kind    u8       1 header, 2 signed record, 3 unsigned record, 4 checkpoint
//! body    length bytes
//! crc     u32 LE   CRC-32C (Castagnoli) of length, kind and body
//! ```
//!
//! The marker lets recovery tell a torn tail (nothing whole after the bad
//! spot) from damage in the middle (a whole frame follows), which must never
//! be truncated away.

use super::AuditError;

/// The first bytes of every segment file.
pub const FILE_MAGIC: [u8; 8] = *b"NCAUDIT\x01";
/// The first bytes of every frame.
pub const FRAME_MARKER: [u8; 4] = [0xE5, 0x4E, 0x43, 0x46];
/// Largest frame body accepted.
pub const MAX_FRAME_BODY: usize = 8 << 20;
/// Bytes a frame adds around its body.
pub const FRAME_OVERHEAD: usize = 13;

/// What a frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// Signed segment header (COSE_Sign1).
    Header,
    /// A record signed by the guard key (COSE_Sign1 around the record).
    SignedRecord,
    /// A bare record, covered by the next signed checkpoint.
    Record,
    /// A signed checkpoint (COSE_Sign1).
    Checkpoint,
}

impl FrameKind {
    fn to_u8(self) -> u8 {
        match self {
            FrameKind::Header => 1,
            FrameKind::SignedRecord => 2,
            FrameKind::Record => 3,
            FrameKind::Checkpoint => 4,
        }
    }

    fn from_u8(b: u8) -> Option<Self> {
        match b {
            1 => Some(FrameKind::Header),
            2 => Some(FrameKind::SignedRecord),
            3 => Some(FrameKind::Record),
            4 => Some(FrameKind::Checkpoint),
            _ => None,
        }
    }

    /// A short lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            FrameKind::Header => "header",
            FrameKind::SignedRecord => "signed record",
            FrameKind::Record => "record",
            FrameKind::Checkpoint => "checkpoint",
        }
    }
}

/// One decoded frame, borrowing its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// What it holds.
    pub kind: FrameKind,
    /// The body bytes.
    pub body: &'a [u8],
}

/// Result of decoding a frame at some position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameDecode<'a> {
    /// A whole, intact frame and its total length in bytes.
    Whole(Frame<'a>, usize),
    /// The bytes end inside the frame (a torn tail if this is the end).
    Incomplete,
    /// The frame is damaged.
    Corrupt(String),
}

/// Append the encoding of a frame to `out`.
pub fn encode_frame(kind: FrameKind, body: &[u8], out: &mut Vec<u8>) -> Result<(), AuditError> {
    if body.len() > MAX_FRAME_BODY {
        return Err(AuditError::InvalidOption(format!(
            "frame of {} bytes is larger than {MAX_FRAME_BODY}",
            body.len()
        )));
    }
    out.reserve(body.len() + FRAME_OVERHEAD);
    out.extend_from_slice(&FRAME_MARKER);
    let start = out.len();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.push(kind.to_u8());
    out.extend_from_slice(body);
    let crc = crc32c::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// Decode the frame at the start of `buf`. Never panics, whatever the bytes.
pub fn decode_frame(buf: &[u8]) -> FrameDecode<'_> {
    let marker_len = buf.len().min(4);
    if buf[..marker_len] != FRAME_MARKER[..marker_len] {
        return FrameDecode::Corrupt("bad frame marker".into());
    }
    if buf.len() < 9 {
        return FrameDecode::Incomplete;
    }
    let mut len_bytes = [0u8; 4];
    len_bytes.copy_from_slice(&buf[4..8]);
    let len = u32::from_le_bytes(len_bytes) as usize;
    if len > MAX_FRAME_BODY {
        return FrameDecode::Corrupt(format!(
            "frame length {len} is larger than {MAX_FRAME_BODY}"
        ));
    }
    let total = len + FRAME_OVERHEAD;
    if buf.len() < total {
        return FrameDecode::Incomplete;
    }
    let mut crc_bytes = [0u8; 4];
    crc_bytes.copy_from_slice(&buf[total - 4..total]);
    if crc32c::crc32c(&buf[4..total - 4]) != u32::from_le_bytes(crc_bytes) {
        return FrameDecode::Corrupt("checksum mismatch".into());
    }
    let Some(kind) = FrameKind::from_u8(buf[8]) else {
        return FrameDecode::Corrupt(format!("unknown frame kind `{}`", buf[8]));
    };
    FrameDecode::Whole(
        Frame {
            kind,
            body: &buf[9..9 + len],
        },
        total,
    )
}

/// True when a whole, intact frame starts anywhere in `buf` after byte 0:
/// then damage at byte 0 is not a torn tail.
pub fn whole_frame_after(buf: &[u8]) -> bool {
    let mut i = 1;
    while i + FRAME_MARKER.len() <= buf.len() {
        if buf[i..i + 4] == FRAME_MARKER {
            if let FrameDecode::Whole(..) = decode_frame(&buf[i..]) {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// Where a file's frames stop being whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameStop {
    /// Every byte belongs to a whole frame.
    Clean,
    /// The file ends inside a frame, or with damage that no whole frame
    /// follows: bytes from `offset` on are a torn tail.
    TornTail {
        /// Offset of the first byte that is not part of a whole frame.
        offset: u64,
        /// Why the frame there is not whole.
        reason: String,
    },
    /// A damaged frame with whole frames after it.
    Corrupt {
        /// Offset of the damaged frame.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// Split a whole segment file into frames (with their offsets) and say
/// where and how the whole frames stop.
pub fn split_frames(file: &[u8]) -> Result<(Vec<(u64, Frame<'_>)>, FrameStop), AuditError> {
    if file.len() < FILE_MAGIC.len() || file[..FILE_MAGIC.len()] != FILE_MAGIC {
        if file.len() < FILE_MAGIC.len() && FILE_MAGIC.starts_with(file) {
            return Ok((
                Vec::new(),
                FrameStop::TornTail {
                    offset: 0,
                    reason: "file ends inside the magic".into(),
                },
            ));
        }
        return Err(AuditError::FrameCorrupt {
            offset: 0,
            reason: "not a NemoClaw audit log (bad magic)".into(),
        });
    }
    let mut frames = Vec::new();
    let mut pos = FILE_MAGIC.len();
    while pos < file.len() {
        match decode_frame(&file[pos..]) {
            FrameDecode::Whole(frame, len) => {
                frames.push((pos as u64, frame));
                pos += len;
            }
            FrameDecode::Incomplete => {
                let stop = if whole_frame_after(&file[pos..]) {
                    FrameStop::Corrupt {
                        offset: pos as u64,
                        reason: "frame length runs over the next frame".into(),
                    }
                } else {
                    FrameStop::TornTail {
                        offset: pos as u64,
                        reason: "file ends inside a frame".into(),
                    }
                };
                return Ok((frames, stop));
            }
            FrameDecode::Corrupt(reason) => {
                let stop = if whole_frame_after(&file[pos..]) {
                    FrameStop::Corrupt {
                        offset: pos as u64,
                        reason,
                    }
                } else {
                    FrameStop::TornTail {
                        offset: pos as u64,
                        reason,
                    }
                };
                return Ok((frames, stop));
            }
        }
    }
    Ok((frames, FrameStop::Clean))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(bodies: &[&[u8]]) -> Vec<u8> {
        let mut out = FILE_MAGIC.to_vec();
        for b in bodies {
            encode_frame(FrameKind::Record, b, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn round_trip() {
        let file = file_with(&[b"one", b"", b"three"]);
        let (frames, stop) = split_frames(&file).unwrap();
        assert_eq!(stop, FrameStop::Clean);
        let bodies: Vec<&[u8]> = frames.iter().map(|(_, f)| f.body).collect();
        assert_eq!(bodies, vec![&b"one"[..], b"", b"three"]);
        assert_eq!(frames[0].0, 8);
        assert_eq!(frames[1].0, 8 + 3 + 13);
    }

    #[test]
    fn every_prefix_is_a_torn_tail_and_every_flip_is_caught() {
        let file = file_with(&[b"alpha", b"beta", b"gamma"]);
        let (whole, _) = split_frames(&file).unwrap();
        let ends: Vec<usize> = whole
            .iter()
            .map(|(o, f)| *o as usize + f.body.len() + FRAME_OVERHEAD)
            .collect();
        for cut in 8..file.len() {
            let (frames, stop) = split_frames(&file[..cut]).unwrap();
            let expect = ends.iter().filter(|e| **e <= cut).count();
            assert_eq!(frames.len(), expect, "cut {cut}");
            if cut == 8 || ends.contains(&cut) {
                assert_eq!(stop, FrameStop::Clean);
            } else {
                assert!(matches!(stop, FrameStop::TornTail { .. }), "cut {cut}");
            }
        }
        for i in 8..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x20;
            let (frames, stop) = split_frames(&bad).unwrap();
            let hit = ends.iter().position(|e| i < *e).unwrap();
            assert_eq!(frames.len(), hit, "flip {i}");
            let start = if hit == 0 { 8 } else { ends[hit - 1] } as u64;
            match stop {
                FrameStop::Corrupt { offset, .. } | FrameStop::TornTail { offset, .. } => {
                    assert_eq!(offset, start, "flip {i}")
                }
                FrameStop::Clean => panic!("flip {i} not caught"),
            }
            if hit < 2 {
                // whole frames follow: never mistaken for a torn tail
                assert!(matches!(stop, FrameStop::Corrupt { .. }), "flip {i}");
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        for b in [
            &b""[..],
            b"NCAUD",
            b"NCAUDIT\x01\xE5",
            &[0xE5; 40],
            b"NCAUDIT\x01\xE5NCF\xff\xff\xff\xff\x03",
        ] {
            let _ = split_frames(b);
            let _ = decode_frame(b);
        }
    }
}
