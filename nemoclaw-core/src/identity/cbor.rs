//! A strict, borrowing reader for deterministic CBOR (RFC 8949 §4.2.1),
//! used on the verification hot path to decode the claims payload.
//!
//! Why not ciborium/coset here: they build an owned value tree (an
//! allocation per string) and accept non-minimal encodings, so a second
//! re-encoding pass was needed to enforce the deterministic form; together
//! that cost about a third of an Ed25519 verification. This reader refuses
//! anything but definite-length, shortest-form items while it reads,
//! borrows strings from the input and never allocates. Encoding still goes
//! through coset, and the unit tests check both directions agree.

use super::IdentityError;

fn malformed(msg: impl Into<String>) -> IdentityError {
    IdentityError::Malformed(msg.into())
}

/// CBOR major types.
pub(crate) const UINT: u8 = 0;
pub(crate) const NINT: u8 = 1;
pub(crate) const BYTES: u8 = 2;
pub(crate) const TEXT: u8 = 3;
pub(crate) const ARRAY: u8 = 4;
pub(crate) const MAP: u8 = 5;

/// A cursor over deterministic CBOR bytes.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn byte(&mut self) -> Result<u8, IdentityError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| malformed("truncated CBOR"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], IdentityError> {
        let n = usize::try_from(n).map_err(|_| malformed("CBOR length out of range"))?;
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| malformed("CBOR item runs past the end"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// One item head: major type and argument, in shortest form only.
    pub(crate) fn head(&mut self) -> Result<(u8, u64), IdentityError> {
        let ib = self.byte()?;
        let major = ib >> 5;
        let ai = ib & 0x1f;
        let arg = match ai {
            0..=23 => u64::from(ai),
            24..=27 => {
                let len = 1u64 << (ai - 24);
                let raw = self.take(len)?;
                let v = raw.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
                let min = match ai {
                    24 => 24,
                    25 => 0x100,
                    26 => 0x1_0000,
                    _ => 0x1_0000_0000,
                };
                if v < min {
                    return Err(malformed("CBOR integer or length not in shortest form"));
                }
                v
            }
            _ => {
                return Err(malformed(
                    "indefinite lengths and reserved encodings are not allowed",
                ))
            }
        };
        if major == 7 || major == 6 {
            return Err(malformed("unexpected CBOR tag, float or simple value"));
        }
        Ok((major, arg))
    }

    fn expect(&mut self, major: u8, what: &str) -> Result<u64, IdentityError> {
        let (m, arg) = self.head()?;
        if m != major {
            return Err(malformed(format!("{what}: unexpected CBOR type")));
        }
        Ok(arg)
    }

    /// An unsigned integer.
    pub(crate) fn uint(&mut self, what: &str) -> Result<u64, IdentityError> {
        self.expect(UINT, what)
    }

    /// A signed integer that fits `i64`.
    pub(crate) fn int(&mut self, what: &str) -> Result<i64, IdentityError> {
        let (m, arg) = self.head()?;
        let v = i64::try_from(arg).map_err(|_| malformed(format!("{what}: integer too large")))?;
        match m {
            UINT => Ok(v),
            NINT => Ok(-1 - v),
            _ => Err(malformed(format!("{what}: expected an integer"))),
        }
    }

    /// A byte string of at most `max` bytes.
    pub(crate) fn bytes(&mut self, max: usize, what: &str) -> Result<&'a [u8], IdentityError> {
        let len = self.expect(BYTES, what)?;
        if len > max as u64 {
            return Err(malformed(format!("{what}: longer than {max} bytes")));
        }
        self.take(len)
    }

    /// A UTF-8 text string of at most `max` bytes.
    pub(crate) fn text(&mut self, max: usize, what: &str) -> Result<&'a str, IdentityError> {
        let len = self.expect(TEXT, what)?;
        if len > max as u64 {
            return Err(malformed(format!("{what}: longer than {max} bytes")));
        }
        std::str::from_utf8(self.take(len)?).map_err(|_| malformed(format!("{what}: not UTF-8")))
    }

    /// A map header; returns the number of entries.
    pub(crate) fn map(&mut self, what: &str) -> Result<u64, IdentityError> {
        self.expect(MAP, what)
    }

    /// An array header; returns the number of items.
    pub(crate) fn array(&mut self, what: &str) -> Result<u64, IdentityError> {
        self.expect(ARRAY, what)
    }

    /// A map of exactly `n` entries whose keys are 1..=n in order; call
    /// [`Reader::key`] before each value.
    pub(crate) fn numbered_map(&mut self, n: u64, what: &str) -> Result<(), IdentityError> {
        if self.map(what)? != n {
            return Err(malformed(format!("{what}: expected {n} members")));
        }
        Ok(())
    }

    /// The next map key, which must be `key`.
    pub(crate) fn key(&mut self, key: i64, what: &str) -> Result<(), IdentityError> {
        if self.int(what)? != key {
            return Err(malformed(format!(
                "{what}: expected member `{key}` here (deterministic order)"
            )));
        }
        Ok(())
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(&self, what: &str) -> Result<(), IdentityError> {
        if self.pos != self.buf.len() {
            return Err(malformed(format!("{what}: trailing bytes")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_form_only() {
        assert_eq!(Reader::new(&[0x17]).uint("x").unwrap(), 23);
        assert_eq!(Reader::new(&[0x18, 0x18]).uint("x").unwrap(), 24);
        assert!(Reader::new(&[0x18, 0x17]).uint("x").is_err());
        assert!(Reader::new(&[0x19, 0x00, 0xff]).uint("x").is_err());
        assert!(Reader::new(&[0x1a, 0x00, 0x00, 0xff, 0xff])
            .uint("x")
            .is_err());
        assert!(Reader::new(&[0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])
            .uint("x")
            .is_err());
        assert_eq!(Reader::new(&[0x3a, 0, 1, 0, 0]).int("x").unwrap(), -65537);
        assert!(Reader::new(&[0x5f]).bytes(10, "x").is_err(), "indefinite");
        assert!(
            Reader::new(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
                .bytes(usize::MAX, "x")
                .is_err()
        );
        assert!(
            Reader::new(&[0x62, 0xff, 0xfe]).text(10, "x").is_err(),
            "utf-8"
        );
        assert!(Reader::new(&[0x43, 1]).bytes(10, "x").is_err(), "truncated");
        assert!(Reader::new(&[0xf6]).uint("x").is_err(), "null");
        assert!(Reader::new(&[0xc1, 0]).uint("x").is_err(), "tag");
        let mut r = Reader::new(&[0x01, 0x02]);
        r.uint("x").unwrap();
        assert!(r.finish("x").is_err());
    }
}
