//! Streaming redaction: text arrives in chunks, output leaves in chunks,
//! and only a tail window is held back, so a multi-megabyte input runs in
//! bounded memory.
//!
//! Each time the buffer reaches twice the window, everything but the last
//! `window` bytes is emitted, except that the cut moves back to the start
//! of any span crossing it, and to the start of an unclosed PEM private-key
//! block (held up to `max_hold` bytes; past that the block is redacted
//! whole, failing closed). The held bytes are analysed again with the next
//! chunk, so an entity split across chunks is still found whole.

use super::operators::Session;
use super::redactor::Redactor;
use super::span::{labels, Span};
use super::PrivacyError;

/// A streaming redactor over one [`Redactor`] and one [`Session`].
#[derive(Debug)]
pub struct StreamRedactor<'a> {
    redactor: &'a Redactor,
    window: usize,
    max_hold: usize,
    buf: String,
    consumed: usize,
    spans: usize,
    peak: usize,
    in_key: bool,
}

impl<'a> StreamRedactor<'a> {
    /// A stream holding back `window` bytes (default 4 KiB via
    /// [`StreamRedactor::with_defaults`]).
    pub fn new(redactor: &'a Redactor, window: usize) -> Self {
        let window = window.max(256);
        Self {
            redactor,
            window,
            max_hold: 64 * 1024,
            buf: String::new(),
            consumed: 0,
            spans: 0,
            peak: 0,
            in_key: false,
        }
    }

    /// A stream with a 4 KiB window.
    pub fn with_defaults(redactor: &'a Redactor) -> Self {
        Self::new(redactor, 4096)
    }

    /// Feed one chunk; returns the text that is safe to emit now.
    pub fn push(&mut self, chunk: &str, session: &mut Session) -> Result<String, PrivacyError> {
        self.buf.push_str(chunk);
        self.peak = self.peak.max(self.buf.len());
        if self.buf.len() < 2 * self.window {
            return Ok(String::new());
        }
        self.process(false, session)
    }

    /// End of input: emit the rest.
    pub fn finish(mut self, session: &mut Session) -> Result<String, PrivacyError> {
        self.process(true, session)
    }

    /// The most bytes held at once so far.
    pub fn peak_buffered(&self) -> usize {
        self.peak
    }

    /// Bytes of input emitted so far.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// Spans found so far.
    pub fn span_count(&self) -> usize {
        self.spans
    }

    fn process(&mut self, last: bool, session: &mut Session) -> Result<String, PrivacyError> {
        // Inside a private key whose header was already redacted: everything
        // up to and including its END line is key material.
        let mut key_prefix = None;
        if self.in_key {
            match key_end(&self.buf) {
                Some(end) => {
                    self.in_key = false;
                    key_prefix = Some(end);
                }
                None => {
                    let cut = if last {
                        self.buf.len()
                    } else {
                        floor_boundary(&self.buf, self.buf.len() - self.window)
                    };
                    self.buf.drain(..cut);
                    self.consumed += cut;
                    return Ok(String::new());
                }
            }
        }
        let mut spans = self.redactor.analyze(&self.buf)?;
        if let Some(end) = key_prefix {
            spans.retain(|s| s.start >= end);
            spans.insert(0, Span::new(0, end, labels::PRIVATE_KEY, 1.0, "secret"));
        }
        let mut cut = if last {
            self.buf.len()
        } else {
            floor_boundary(&self.buf, self.buf.len() - self.window)
        };
        if !last {
            if let Some(s) = spans.iter().find(|s| s.start < cut && s.end > cut) {
                cut = s.start;
            }
            // The rest of a redacted key always leaves in this round.
            if let Some(end) = key_prefix {
                cut = cut.max(end);
            }
            if let Some(p) = unclosed_private_key(&self.buf) {
                if self.buf.len() - p <= self.max_hold {
                    cut = cut.min(p);
                } else if p < cut {
                    // Held too long: redact from the header on, and keep
                    // redacting until the END line arrives (fail closed).
                    spans.retain(|s| s.end <= p);
                    spans.push(Span::new(p, cut, labels::PRIVATE_KEY, 1.0, "secret"));
                    self.in_key = true;
                }
            }
        } else if let Some(p) = unclosed_private_key(&self.buf) {
            // Input ends inside a key: redact the rest.
            spans.retain(|s| s.end <= p);
            spans.push(Span::new(
                p,
                self.buf.len(),
                labels::PRIVATE_KEY,
                1.0,
                "secret",
            ));
        }
        spans.retain(|s| s.end <= cut);
        self.spans += spans.len();
        let head = self.buf.get(..cut).unwrap_or("");
        let out = self.redactor.apply(head, &spans, session)?;
        self.buf.drain(..cut);
        self.consumed += cut;
        Ok(out)
    }
}

/// End of the first `-----END ... PRIVATE KEY...-----` line in `buf`.
fn key_end(buf: &str) -> Option<usize> {
    let p = buf.find("-----END")?;
    let rest = buf.get(p + 8..)?;
    let close = rest.find("-----")?;
    Some(p + 8 + close + 5)
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn unclosed_private_key(buf: &str) -> Option<usize> {
    let p = buf.rfind("-----BEGIN")?;
    let rest = buf.get(p..)?;
    let head_end = rest.len().min(64);
    let head = rest.get(..head_end).unwrap_or(rest);
    (head.contains("PRIVATE") && !rest.contains("-----END")).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_entities_are_found_and_memory_bounded() {
        let r = Redactor::builder().build().unwrap();
        let mut session = Session::ephemeral();
        let mut input = String::new();
        for i in 0..2000 {
            input.push_str(&format!(
                "line {i}: contact user{i}@example.com from 10.0.{}.{} ok\n",
                i % 250,
                i % 200
            ));
        }
        let mut s = StreamRedactor::new(&r, 1024);
        let mut out = String::new();
        // Odd chunk size so entities straddle chunk boundaries.
        let bytes = input.as_bytes();
        for chunk in bytes.chunks(333) {
            out.push_str(
                &s.push(std::str::from_utf8(chunk).unwrap(), &mut session)
                    .unwrap(),
            );
        }
        let peak = s.peak_buffered();
        out.push_str(&s.finish(&mut session).unwrap());
        assert!(peak <= 2 * 1024 + 333, "{peak}");
        assert!(!out.contains("@example.com"));
        assert!(!out.contains("10.0."));
        assert_eq!(out.matches("<EMAIL_ADDRESS>").count(), 2000);
        let whole = r.redact(&input, &mut session).unwrap().text;
        assert_eq!(out, whole);
    }

    #[test]
    fn private_key_split_across_chunks() {
        let r = Redactor::builder().build().unwrap();
        let mut session = Session::ephemeral();
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".repeat(100);
        let input = format!(
            "{}\n-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\nbye",
            "x ".repeat(3000)
        );
        let mut s = StreamRedactor::new(&r, 512);
        let mut out = String::new();
        for chunk in input.as_bytes().chunks(700) {
            out.push_str(
                &s.push(std::str::from_utf8(chunk).unwrap(), &mut session)
                    .unwrap(),
            );
        }
        out.push_str(&s.finish(&mut session).unwrap());
        assert!(!out.contains("MIIEvQ"), "key material leaked");
        assert!(out.contains("<PRIVATE_KEY>") && out.ends_with("bye"));
    }

    #[test]
    fn oversized_private_key_is_redacted_whole() {
        let r = Redactor::builder().build().unwrap();
        let mut session = Session::ephemeral();
        // 200 KB of key body: longer than the 64 KiB hold.
        let body = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo".repeat(6000);
        let input = format!("head\n-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\ntail ana@example.org");
        let mut s = StreamRedactor::new(&r, 1024);
        let mut out = String::new();
        for chunk in input.as_bytes().chunks(4096) {
            out.push_str(
                &s.push(std::str::from_utf8(chunk).unwrap(), &mut session)
                    .unwrap(),
            );
        }
        assert!(s.peak_buffered() < 64 * 1024 + 8192);
        out.push_str(&s.finish(&mut session).unwrap());
        assert!(!out.contains("QUJDREVG"), "key material leaked");
        assert!(!out.contains("-----END"), "key trailer leaked");
        assert!(out.starts_with("head\n<PRIVATE_KEY>"));
        assert!(
            out.ends_with("tail <EMAIL_ADDRESS>"),
            "{}",
            &out[out.len().saturating_sub(80)..]
        );
    }
}
