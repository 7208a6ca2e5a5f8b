//! Detected spans, entity labels and the merge of overlapping candidates.

use std::borrow::Cow;

/// Entity labels. Presidio's names where one exists; the rest are NemoClaw's
/// own kinds, documented in `docs/privacy.md`.
pub mod labels {
    /// A person's name.
    pub const PERSON: &str = "PERSON";
    /// A place: city, street address, country.
    pub const LOCATION: &str = "LOCATION";
    /// An organization's name.
    pub const ORGANIZATION: &str = "ORGANIZATION";
    /// An e-mail address.
    pub const EMAIL_ADDRESS: &str = "EMAIL_ADDRESS";
    /// A phone number valid for its region.
    pub const PHONE_NUMBER: &str = "PHONE_NUMBER";
    /// A payment card number (Luhn and issuer prefix checked).
    pub const CREDIT_CARD: &str = "CREDIT_CARD";
    /// A US social security number.
    pub const US_SSN: &str = "US_SSN";
    /// A US individual taxpayer identification number.
    pub const US_ITIN: &str = "US_ITIN";
    /// A US passport number (in context).
    pub const US_PASSPORT: &str = "US_PASSPORT";
    /// A US driver's licence number (in context).
    pub const US_DRIVER_LICENSE: &str = "US_DRIVER_LICENSE";
    /// An IBAN (mod-97 and country length checked).
    pub const IBAN_CODE: &str = "IBAN_CODE";
    /// An IPv4 or IPv6 address.
    pub const IP_ADDRESS: &str = "IP_ADDRESS";
    /// A MAC address.
    pub const MAC_ADDRESS: &str = "MAC_ADDRESS";
    /// A URL carrying credentials.
    pub const URL: &str = "URL";
    /// A date of birth (a date in a birth context).
    pub const DATE_TIME: &str = "DATE_TIME";
    /// An age in context ("42 years old").
    pub const AGE: &str = "AGE";
    /// A US ZIP code in context.
    pub const ZIP_CODE: &str = "ZIP_CODE";
    /// A password, secret value or connection string.
    pub const SECRET: &str = "SECRET";
    /// A provider API key or access token.
    pub const API_KEY: &str = "API_KEY";
    /// A PEM private-key block or a service account's private key.
    pub const PRIVATE_KEY: &str = "PRIVATE_KEY";
    /// A JSON Web Token.
    pub const JWT: &str = "JWT";
    /// A user-registered trade-secret term (dictionary default).
    pub const TRADE_SECRET: &str = "TRADE_SECRET";
    /// A fragment copied from a registered codebase.
    pub const PROPRIETARY_CODE: &str = "PROPRIETARY_CODE";

    /// Every built-in label, in a stable order.
    pub const ALL: &[&str] = &[
        PERSON,
        LOCATION,
        ORGANIZATION,
        EMAIL_ADDRESS,
        PHONE_NUMBER,
        CREDIT_CARD,
        US_SSN,
        US_ITIN,
        US_PASSPORT,
        US_DRIVER_LICENSE,
        IBAN_CODE,
        IP_ADDRESS,
        MAC_ADDRESS,
        URL,
        DATE_TIME,
        AGE,
        ZIP_CODE,
        SECRET,
        API_KEY,
        PRIVATE_KEY,
        JWT,
        TRADE_SECRET,
        PROPRIETARY_CODE,
    ];

    /// Labels that are credentials: leaking one hands over access.
    pub const SECRETS: &[&str] = &[SECRET, API_KEY, PRIVATE_KEY, JWT];

    /// The merge priority of a label: when two candidates overlap, the
    /// higher priority wins, then the higher score, then the longer span.
    pub fn priority(label: &str) -> u8 {
        match label {
            PRIVATE_KEY => 100,
            API_KEY | JWT => 95,
            SECRET => 94,
            PROPRIETARY_CODE => 92,
            URL => 90,
            CREDIT_CARD | IBAN_CODE => 88,
            US_SSN | US_ITIN => 86,
            EMAIL_ADDRESS => 85,
            TRADE_SECRET => 84,
            IP_ADDRESS | MAC_ADDRESS => 80,
            PHONE_NUMBER => 75,
            US_PASSPORT | US_DRIVER_LICENSE => 70,
            DATE_TIME | AGE | ZIP_CODE => 60,
            PERSON | LOCATION | ORGANIZATION => 50,
            _ => 40,
        }
    }
}

/// One detected entity: a byte range of the analysed text.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Byte offset of the first byte (on a char boundary).
    pub start: usize,
    /// Byte offset one past the last byte (on a char boundary).
    pub end: usize,
    /// Entity label (see [`labels`]).
    pub label: Cow<'static, str>,
    /// Confidence in `[0, 1]`.
    pub score: f32,
    /// The detector that found it: `pattern`, `secret`, `dictionary`,
    /// `code` or `ner`.
    pub detector: &'static str,
    /// Extra provenance, for example `src/lib.rs:10-24` for copied code.
    pub source: Option<String>,
}

impl Span {
    /// A span without provenance.
    pub fn new(
        start: usize,
        end: usize,
        label: impl Into<Cow<'static, str>>,
        score: f32,
        detector: &'static str,
    ) -> Self {
        Self {
            start,
            end,
            label: label.into(),
            score: score.clamp(0.0, 1.0),
            detector,
            source: None,
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span is empty.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Merge candidate spans into a non-overlapping list sorted by start.
///
/// Candidates are taken best first (label priority, then score, then
/// length); a candidate overlapping one already taken is dropped, except
/// that a same-label candidate overlapping a taken one widens it (so two
/// detectors agreeing on a name yield its union).
pub fn merge(mut candidates: Vec<Span>) -> Vec<Span> {
    candidates.retain(|s| !s.is_empty());
    if candidates.len() <= 1 {
        return candidates;
    }
    // Best first; the label priority is looked up once per candidate, not
    // per comparison, and the input index keeps the order of equal keys
    // (what a stable sort would keep).
    let mut order: Vec<(u8, f32, usize, usize, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, s)| (labels::priority(&s.label), s.score, s.len(), s.start, i))
        .collect();
    order.sort_unstable_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(b.2.cmp(&a.2))
            .then(a.3.cmp(&b.3))
            .then(a.4.cmp(&b.4))
    });
    let mut slots: Vec<Option<Span>> = candidates.into_iter().map(Some).collect();
    let candidates = order
        .iter()
        .filter_map(|o| slots.get_mut(o.4).and_then(Option::take));
    // Taken spans keyed by start; non-overlapping, so a range query on the
    // neighbours is enough to test for overlap.
    let mut taken: std::collections::BTreeMap<usize, Span> = std::collections::BTreeMap::new();
    for cand in candidates {
        let prev = taken
            .range(..cand.end)
            .next_back()
            .map(|(k, s)| (*k, s.end, s.label == cand.label));
        match prev {
            Some((k, prev_end, same)) if prev_end > cand.start => {
                // Overlaps the nearest taken span starting before cand.end.
                if same {
                    let new_start = k.min(cand.start);
                    let new_end = prev_end.max(cand.end);
                    let clash = taken
                        .range(..new_end)
                        .rev()
                        .find(|(kk, _)| **kk != k)
                        .is_some_and(|(_, s)| s.end > new_start);
                    if !clash {
                        if let Some(mut s) = taken.remove(&k) {
                            s.start = new_start;
                            s.end = new_end;
                            s.score = s.score.max(cand.score);
                            taken.insert(new_start, s);
                        }
                    }
                }
            }
            _ => {
                taken.insert(cand.start, cand);
            }
        }
    }
    taken.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_priority_wins_overlap() {
        let spans = vec![
            Span::new(0, 10, labels::PHONE_NUMBER, 0.9, "pattern"),
            Span::new(2, 12, labels::CREDIT_CARD, 0.8, "pattern"),
            Span::new(20, 25, labels::PERSON, 0.7, "ner"),
        ];
        let merged = merge(spans);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].label, labels::CREDIT_CARD);
        assert_eq!(merged[1].label, labels::PERSON);
    }

    #[test]
    fn same_label_overlaps_are_unioned() {
        let spans = vec![
            Span::new(0, 5, labels::PERSON, 0.9, "ner"),
            Span::new(3, 9, labels::PERSON, 0.6, "dictionary"),
        ];
        let merged = merge(spans);
        assert_eq!(merged.len(), 1);
        assert_eq!((merged[0].start, merged[0].end), (0, 9));
    }

    #[test]
    fn output_sorted_and_disjoint() {
        let spans = vec![
            Span::new(30, 40, labels::EMAIL_ADDRESS, 1.0, "pattern"),
            Span::new(0, 4, labels::AGE, 0.9, "pattern"),
            Span::new(35, 50, labels::URL, 0.9, "pattern"),
        ];
        let merged = merge(spans);
        for w in merged.windows(2) {
            assert!(w[0].end <= w[1].start);
        }
    }
}
