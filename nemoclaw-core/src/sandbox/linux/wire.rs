//! Fixed-size records the keeper and the sandbox's pid 1 send the parent
//! over pipes (each write is one record, well under `PIPE_BUF`, so atomic).

/// What a record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordKind {
    /// fields\[1\]: host pid of the sandbox's pid 1.
    Pid1 = 1,
    /// fields\[1\]: [`SetupStep`](super::plan::SetupStep), fields\[2\]: errno.
    Error = 2,
    /// Landlock could only be partly enforced (best effort); fields\[1\]: ABI.
    LandlockPartial = 3,
    /// fields\[1\]: wait status, \[2\]: timed out, \[3\]/\[4\]: user/system
    /// CPU µs, \[5\]: max RSS KiB, \[6\]: killed because the caller went away.
    Exit = 4,
    /// From the sandbox's init: fields\[1\]: the command's wait status.
    CommandExit = 5,
}

/// One record: eight little-endian i64 fields, the first is the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    pub fields: [i64; 8],
}

/// Size of an encoded record.
pub(crate) const RECORD_LEN: usize = 64;

impl Record {
    pub(crate) fn new(kind: RecordKind, a: i64, b: i64) -> Self {
        let mut fields = [0i64; 8];
        fields[0] = kind as i64;
        fields[1] = a;
        fields[2] = b;
        Record { fields }
    }

    pub(crate) fn encode(&self) -> [u8; RECORD_LEN] {
        let mut out = [0u8; RECORD_LEN];
        for (chunk, field) in out.chunks_exact_mut(8).zip(self.fields) {
            chunk.copy_from_slice(&field.to_le_bytes());
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8; RECORD_LEN]) -> Self {
        let mut fields = [0i64; 8];
        for (field, chunk) in fields.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *field = i64::from_le_bytes(b);
        }
        Record { fields }
    }

    pub(crate) fn kind(&self) -> Option<RecordKind> {
        match self.fields[0] {
            1 => Some(RecordKind::Pid1),
            2 => Some(RecordKind::Error),
            3 => Some(RecordKind::LandlockPartial),
            4 => Some(RecordKind::Exit),
            5 => Some(RecordKind::CommandExit),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let mut r = Record::new(RecordKind::Exit, 256, 1);
        r.fields[7] = -5;
        let back = Record::decode(&r.encode());
        assert_eq!(back, r);
        assert_eq!(back.kind(), Some(RecordKind::Exit));
        assert_eq!(Record::decode(&[0xff; RECORD_LEN]).kind(), None);
    }
}
