//! Validated patterns: contact data, payment and bank numbers, government
//! identifiers, network identifiers, dates of birth, ages and ZIP codes.
//!
//! Every rule is a regular expression whose candidates are confirmed by a
//! validator (Luhn and issuer prefix, mod-97 and country length, SSN
//! area/group/serial rules, `phonenumber` metadata, `std::net` address
//! parsing) and scored with context words.
//!
//! **Few passes over the text.** One pre-scan lists the runs of ASCII
//! digits. Nine of the twelve rules cannot match without a digit, and each
//! knows how far its matches reach around their digits ([`Reach`]): those
//! rules search only the small windows around digit clusters
//! (`regex-automata`'s `Input::range`, which keeps the text outside the
//! window as look-around context, so `\b` behaves as on the whole text).
//! Every match of such a rule lies inside one window and windows are
//! disjoint, so the matches found are exactly those of a whole-text scan;
//! windows that cannot yield a span (too few digits, no context word where
//! the rule demands one) are skipped. IPv6 and MAC addresses, which can
//! match without a digit, search the same way around runs of their
//! separators (`:`; `:`, `-`, `.`); only e-mail scans the whole text. A combined
//! `RegexSet` pre-pass was measured 7× slower on this rule set and is not
//! used.

use std::net::{Ipv4Addr, Ipv6Addr};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use phonenumber::country::Id as Country;
use regex_automata::meta::Regex;
use regex_automata::Input;

use super::context;
use super::phone::PhoneValidator;
use super::validators;
use super::Detector;
use crate::privacy::span::labels;
use crate::privacy::{PrivacyError, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Email,
    Card,
    SsnItin,
    Iban,
    Ipv4,
    Ipv6,
    Mac,
    Phone,
    IdNumber,
    BirthDate,
    Age,
    Zip,
}

/// Where a rule's matches can lie; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// A match need not contain a marker byte: the whole text is searched.
    Whole,
    /// Every match contains a byte of the set `of` (ASCII digits for most
    /// rules); the marker bytes of one match are separated by at most `gap`
    /// other bytes, and the match starts at most `before` bytes before its
    /// first marker and ends at most `after` bytes after its last. A window
    /// with fewer than `min_digits` markers cannot yield a span (the
    /// validator or the pattern needs them) and is skipped.
    Digits {
        of: Marker,
        gap: usize,
        before: usize,
        after: usize,
        min_digits: usize,
    },
    /// IBAN: a match starts with two ASCII capitals directly followed by a
    /// run of at least two digits, and is at most [`IBAN_MAX`] bytes long.
    Iban,
}

/// The bytes whose runs anchor a rule's windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// ASCII digits.
    Digits,
    /// `:` (IPv6 groups).
    Colons,
    /// `:`, `-` and `.` (MAC address separators).
    MacSeparators,
}

/// The longest IBAN candidate: `[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{1,4}){3,8}`.
const IBAN_MAX: usize = 4 + 8 * 5;

/// The reach of each rule; the numbers are read off the patterns in
/// [`RULES`] (all of whose bytes around the digits are ASCII).
fn reach(rule: Rule) -> Reach {
    let digits = |gap, before, after, min_digits| Reach::Digits {
        of: Marker::Digits,
        gap,
        before,
        after,
        min_digits,
    };
    match rule {
        Rule::Email => Reach::Whole,
        // `fe80::1:2`, `::ffff:10.0.0.1`: at least two colons, at most four
        // hex digits between two, up to four before the first and a dotted
        // quad (15 bytes) after the last.
        Rule::Ipv6 => Reach::Digits {
            of: Marker::Colons,
            gap: 4,
            before: 4,
            after: 15,
            min_digits: 2,
        },
        // `00:1a:2b:3c:4d:5e` (five separators two apart) or
        // `001a.2b3c.4d5e` (two dots four apart).
        Rule::Mac => Reach::Digits {
            of: Marker::MacSeparators,
            gap: 4,
            before: 4,
            after: 4,
            min_digits: 2,
        },
        // `4111 1111 1111 1111`: groups joined by one ` ` or `-`; the
        // validator wants 13-19 digits.
        Rule::Card => digits(1, 0, 0, 13),
        Rule::SsnItin => digits(1, 0, 0, 9),
        Rule::Iban => Reach::Iban,
        Rule::Ipv4 => digits(1, 0, 0, 4),
        // `+1 (415) 867-5309`: a leading `+` or `(`, gaps like `) ` or ` (`;
        // the shape check wants 7-15 digits.
        Rule::Phone => digits(2, 1, 0, 7),
        // `AB1234567`, `D123-456-78`; the shortest form has 5 digits.
        Rule::IdNumber => digits(1, 2, 0, 5),
        // `september. 12th, 1985` starts 11 bytes before its first digit;
        // `12th. september, 1985` has 16 bytes between its digit groups;
        // the shortest form (`1/2/85`) has 4 digits.
        Rule::BirthDate => digits(16, 11, 0, 4),
        // `turning 34`, `34 years old`.
        Rule::Age => digits(0, 8, 10, 1),
        // `zip code: 94105-1234`, `CA, 94105`.
        Rule::Zip => digits(1, 10, 0, 5),
    }
}

const RULES: &[(Rule, &str)] = &[
    (
        Rule::Email,
        r"(?i)[\p{L}\p{N}][\p{L}\p{N}._%+\-]*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?\.)+\p{L}{2,}",
    ),
    (
        Rule::Card,
        r"(?-u:\b)[0-9]{4}(?:[ \-]?[0-9]{2,7}){1,4}(?-u:\b)",
    ),
    (
        Rule::SsnItin,
        r"(?-u:\b)[0-9]{3}(?:-[0-9]{2}-| [0-9]{2} |[0-9]{2})[0-9]{4}(?-u:\b)",
    ),
    (
        Rule::Iban,
        r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{1,4}){3,8}(?-u:\b)",
    ),
    (Rule::Ipv4, r"(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)"),
    (
        Rule::Ipv6,
        r"(?i-u)(?:[0-9a-f]{1,4}:|::?)(?:[0-9a-f]{0,4}:){1,7}(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9a-f]{1,4})?",
    ),
    (
        Rule::Mac,
        r"(?i-u)(?-u:\b)(?:[0-9a-f]{2}(?:[:\-][0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})(?-u:\b)",
    ),
    (
        Rule::Phone,
        r"(?:\+[0-9]{1,3}[ .\-]?)?(?:\([0-9]{1,5}\)[ .\-]?)?[0-9]{1,5}(?:[ .\-]?[0-9]{1,5}){1,5}",
    ),
    (
        Rule::IdNumber,
        r"(?-u:\b)(?:[A-Z]{1,2}[0-9]{5,12}|[0-9]{7,12}|[A-Z][0-9]{3}-[0-9]{3,4}-[0-9]{2,4}(?:-[0-9]{1,3})?)(?-u:\b)",
    ),
    (
        Rule::BirthDate,
        r"(?i-u)(?-u:\b)(?:[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-](?:19|20)?[0-9]{2}|(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}(?:st|nd|rd|th)?\.? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?,? (?:19|20)[0-9]{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.? [0-9]{1,2}(?:st|nd|rd|th)?,? (?:19|20)[0-9]{2})(?-u:\b)",
    ),
    (
        Rule::Age,
        r"(?i-u)(?-u:\b)(?:aged?:? ?[0-9]{1,3}|[0-9]{1,3}[ \-](?:years?|yrs?)[ \-]old|[0-9]{1,3} ?(?:y/o|yo)|(?:turns|turned|turning) [0-9]{1,3})(?-u:\b)",
    ),
    (
        Rule::Zip,
        r"(?-u:\b)(?:(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[TA]|W[AVIY]),? |(?i:zip(?: ?code)?:? ?))[0-9]{5}(?:-[0-9]{4})?(?-u:\b)",
    ),
];

const PHONE_WORDS: &[&str] = &[
    "phone",
    "tel",
    "call",
    "mobile",
    "cell",
    "fax",
    "whatsapp",
    "contact",
    "reach",
    "text me",
    "sms",
    "telefon",
    "téléphone",
    "numéro",
    "number",
];
const NOT_PHONE_WORDS: &[&str] = &[
    "order", "invoice", "tracking", "version", "build", "isbn", "serial",
];
const CARD_WORDS: &[&str] = &[
    "card",
    "visa",
    "mastercard",
    "amex",
    "credit",
    "debit",
    "payment",
    "cc",
    "pan",
];
const CARD_NEG: &[&str] = &["order", "tracking", "invoice", "serial"];
const SSN_WORDS: &[&str] = &["ssn", "social security", "social-security", "ss#", "ss #"];
const ITIN_WORDS: &[&str] = &["itin", "taxpayer", "tax id", "tin"];
const IBAN_WORDS: &[&str] = &["iban", "bank", "account", "transfer", "wire"];
const IP_NEG: &[&str] = &["version", "release", "oid", "snmp"];
const PASSPORT_WORDS: &[&str] = &["passport"];
const DL_WORDS: &[&str] = &[
    "driver", "licence", "license", "dl#", "dl #", "dl no", "dln", "permis",
];
const BIRTH_WORDS: &[&str] = &[
    "born", "birth", "dob", "d.o.b", "birthday", "b-day", "bday", "geboren", "né le", "née le",
    "nacido", "nacida", "nascita",
];

/// Regions tried for phone numbers written in national format. US/CA
/// numbers carry no trunk prefix; the others are tried only when the
/// candidate starts with `0`.
const NATIONAL_REGIONS: &[Country] = &[
    Country::GB,
    Country::DE,
    Country::FR,
    Country::IN,
    Country::AU,
    Country::BR,
    Country::IT,
    Country::ES,
    Country::NL,
    Country::JP,
];

/// The validated-pattern detector (`detector: "pattern"`).
#[derive(Debug)]
pub struct PatternDetector {
    rules: Vec<(Rule, Regex)>,
    /// Context keywords of the passport/licence, birth date and age rules
    /// (ASCII case folded), and the kind of each.
    keys: AhoCorasick,
    key_kinds: Vec<Key>,
    /// Phone validity on compiled copies of `phonenumber`'s metadata.
    phones: PhoneValidator,
}

/// Maximal runs of `marker` bytes in `b`, as byte ranges.
fn marker_runs(b: &[u8], marker: Marker) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    match marker {
        Marker::Digits => {
            let mut i = 0;
            while let Some(off) = b
                .get(i..)
                .and_then(|r| r.iter().position(u8::is_ascii_digit))
            {
                let start = i + off;
                let len = b
                    .get(start..)
                    .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
                runs.push((start, start + len));
                i = start + len.max(1);
            }
        }
        // Separators are rare: vectorized byte searches find them.
        Marker::Colons | Marker::MacSeparators => {
            let hits: Box<dyn Iterator<Item = usize>> = if marker == Marker::Colons {
                Box::new(memchr::memchr_iter(b':', b))
            } else {
                Box::new(memchr::memchr3_iter(b':', b'-', b'.', b))
            };
            for p in hits {
                match runs.last_mut() {
                    Some(last) if last.1 == p => last.1 = p + 1,
                    _ => runs.push((p, p + 1)),
                }
            }
        }
    }
    runs
}

/// A searched window: a byte range and the number of digits in it.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: usize,
    end: usize,
    digits: usize,
}

/// Push `w`, merging it with the last window when they touch or overlap
/// (so windows stay disjoint and every match lies inside one of them).
fn push_window(out: &mut Vec<Window>, w: Window) {
    if let Some(last) = out.last_mut() {
        if w.start <= last.end {
            last.end = last.end.max(w.end);
            last.digits += w.digits;
            return;
        }
    }
    out.push(w);
}

/// The windows a rule of reach `reach` must search in a text of `len`
/// bytes whose digit runs are `runs`.
fn windows(reach: Reach, b: &[u8], runs: &[(usize, usize)]) -> Vec<Window> {
    let len = b.len();
    let mut out = Vec::new();
    match reach {
        Reach::Whole => out.push(Window {
            start: 0,
            end: len,
            digits: 0,
        }),
        Reach::Digits {
            of: _,
            gap,
            before,
            after,
            min_digits,
        } => {
            // Clusters: runs joined across gaps of at most `gap` bytes.
            let mut cluster: Option<Window> = None;
            let mut merged: Vec<Window> = Vec::new();
            for &(s, e) in runs {
                match cluster.as_mut() {
                    Some(c) if s - c.end <= gap => {
                        c.end = e;
                        c.digits += e - s;
                    }
                    _ => {
                        if let Some(c) = cluster.take() {
                            push_window(&mut merged, widen(c, before, after, len));
                        }
                        cluster = Some(Window {
                            start: s,
                            end: e,
                            digits: e - s,
                        });
                    }
                }
            }
            if let Some(c) = cluster {
                push_window(&mut merged, widen(c, before, after, len));
            }
            // Only after merging: a skipped window is disjoint from every
            // searched one, so it cannot change what they match.
            out = merged
                .into_iter()
                .filter(|w| w.digits >= min_digits)
                .collect();
        }
        Reach::Iban => {
            for &(s, e) in runs {
                let caps = s >= 2
                    && b.get(s - 2..s)
                        .is_some_and(|p| p.iter().all(u8::is_ascii_uppercase));
                if caps && e - s >= 2 {
                    let start = s - 2;
                    push_window(
                        &mut out,
                        Window {
                            start,
                            end: (start + IBAN_MAX).min(len),
                            digits: e - s,
                        },
                    );
                }
            }
        }
    }
    out
}

fn widen(c: Window, before: usize, after: usize, len: usize) -> Window {
    Window {
        start: c.start.saturating_sub(before),
        end: (c.end + after).min(len),
        digits: c.digits,
    }
}

/// Keywords one of which every age match contains.
const AGE_KEYS: &[&str] = &["age", "yr", "year", "yo", "y/o", "turn"];

/// Which rule a context keyword serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Birth,
    Age,
}

/// The context keywords of a text, found in one pass: `(start, end, kind)`
/// sorted by start.
fn keywords(ac: &AhoCorasick, kinds: &[Key], text: &str) -> Vec<(usize, usize, Key)> {
    let mut hits: Vec<(usize, usize, Key)> = ac
        .find_overlapping_iter(text)
        .filter_map(|m| {
            kinds
                .get(m.pattern().as_usize())
                .map(|k| (m.start(), m.end(), *k))
        })
        .collect();
    hits.sort_unstable_by_key(|h| (h.0, h.1));
    hits
}

/// Whether a keyword of `kind` lies within `from..to`.
fn has_key(hits: &[(usize, usize, Key)], kind: Key, from: usize, to: usize) -> bool {
    let i = hits.partition_point(|h| h.0 < from);
    hits.get(i..)
        .unwrap_or(&[])
        .iter()
        .take_while(|h| h.0 < to)
        .any(|h| h.2 == kind && h.1 <= to)
}

/// Whether window `w` can yield a span of `rule` at all: rules that report
/// only after a context word within [`CONTEXT_BEFORE`] bytes before the
/// match need one before or inside the window; ages need their keyword.
/// Every IPv4 match has three dots; every ZIP match holds `zip` or a
/// two-capital state code; both lie inside the window.
fn window_can_match(rule: Rule, b: &[u8], hits: &[(usize, usize, Key)], w: &Window) -> bool {
    // `context::before` looks back CONTEXT_BEFORE bytes from the match
    // start, moved back to a char boundary (at most 3 more bytes).
    let from = w.start.saturating_sub(CONTEXT_BEFORE + 3);
    let bytes = b.get(w.start..w.end).unwrap_or(&[]);
    match rule {
        Rule::IdNumber => has_key(hits, Key::Id, from, w.end),
        Rule::BirthDate => has_key(hits, Key::Birth, from, w.end),
        Rule::Age => has_key(hits, Key::Age, w.start, w.end),
        Rule::Ipv4 => bytes.iter().filter(|&&c| c == b'.').count() >= 3,
        Rule::Zip => {
            bytes.iter().any(|&c| c == b'z' || c == b'Z')
                || bytes
                    .windows(2)
                    .any(|p| p.iter().all(u8::is_ascii_uppercase))
        }
        _ => true,
    }
}

/// How far back `id_number` and `birth_date` look for their context words.
const CONTEXT_BEFORE: usize = 48;

impl PatternDetector {
    /// Compile the built-in rules.
    pub fn new() -> Result<Self, PrivacyError> {
        let rules = RULES
            .iter()
            .map(|(r, p)| {
                Regex::new(p)
                    .map(|re| (*r, re))
                    .map_err(|e| PrivacyError::Config(format!("pattern `{p}`: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut words: Vec<&str> = Vec::new();
        let mut key_kinds = Vec::new();
        for (list, kind) in [
            (PASSPORT_WORDS, Key::Id),
            (DL_WORDS, Key::Id),
            (BIRTH_WORDS, Key::Birth),
            (AGE_KEYS, Key::Age),
        ] {
            words.extend_from_slice(list);
            key_kinds.extend(std::iter::repeat_n(kind, list.len()));
        }
        let keys = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&words)
            .map_err(|e| PrivacyError::Config(format!("pattern keywords: {e}")))?;
        Ok(Self {
            rules,
            keys,
            key_kinds,
            phones: PhoneValidator::new(),
        })
    }

    fn run_rule(
        &self,
        rule: Rule,
        re: &Regex,
        text: &str,
        wins: &[Window],
        hits: &[(usize, usize, Key)],
        out: &mut Vec<Span>,
    ) {
        // Phone candidates inside a card, SSN, ITIN, IBAN or IP address
        // already found are not parsed again.
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut pending: Vec<(usize, usize)> = Vec::new();
        if rule == Rule::Phone {
            taken = out
                .iter()
                .filter(|x| {
                    x.score >= 0.5
                        && matches!(
                            x.label.as_ref(),
                            labels::CREDIT_CARD
                                | labels::US_SSN
                                | labels::US_ITIN
                                | labels::IBAN_CODE
                                | labels::IP_ADDRESS
                        )
                })
                .map(|x| (x.start, x.end))
                .collect();
            taken.sort_unstable();
        }
        let matches = wins
            .iter()
            .filter(|w| window_can_match(rule, text.as_bytes(), hits, w))
            .flat_map(|w| re.find_iter(Input::new(text).range(w.start..w.end)));
        for m in matches {
            let (s, e) = (m.start(), m.end());
            if !taken.is_empty() {
                let i = taken.partition_point(|&(a, _)| a <= s);
                if i > 0 && taken[i - 1].1 >= e {
                    continue;
                }
            }
            let Some(t) = text.get(s..e) else {
                continue;
            };
            match rule {
                Rule::Email => email(text, s, e, t, out),
                Rule::Card => card(text, s, t, out),
                Rule::SsnItin => ssn_itin(text, s, e, t, out),
                Rule::Iban => iban(text, s, t, out),
                Rule::Ipv4 => ipv4(text, s, e, t, out),
                Rule::Ipv6 => ipv6(text, s, e, t, out),
                Rule::Mac => out.push(Span::new(s, e, labels::MAC_ADDRESS, 0.9, "pattern")),
                Rule::Phone => phone(text, s, e, t, &mut pending),
                Rule::IdNumber => id_number(text, s, e, t, out),
                Rule::BirthDate => birth_date(text, s, e, out),
                Rule::Age => age(s, t, out),
                Rule::Zip => zip(s, t, out),
            }
        }
        if !pending.is_empty() {
            validate_phones(&self.phones, text, &pending, out);
        }
    }
}

impl Detector for PatternDetector {
    fn name(&self) -> &'static str {
        "pattern"
    }

    fn detect(&self, text: &str, out: &mut Vec<Span>) -> Result<(), PrivacyError> {
        self.scan(text, false, out);
        Ok(())
    }

    fn labels(&self) -> &[&'static str] {
        LABELS
    }
}

const LABELS: &[&str] = &[
    labels::EMAIL_ADDRESS,
    labels::CREDIT_CARD,
    labels::US_SSN,
    labels::US_ITIN,
    labels::IBAN_CODE,
    labels::IP_ADDRESS,
    labels::MAC_ADDRESS,
    labels::PHONE_NUMBER,
    labels::US_PASSPORT,
    labels::US_DRIVER_LICENSE,
    labels::DATE_TIME,
    labels::AGE,
    labels::ZIP_CODE,
];

impl PatternDetector {
    /// Run every rule; `whole` searches the whole text for every rule
    /// instead of the digit windows (the reference the tests compare with).
    fn scan(&self, text: &str, whole: bool, out: &mut Vec<Span>) {
        let b = text.as_bytes();
        let runs = marker_runs(b, Marker::Digits);
        let hits = if runs.is_empty() {
            Vec::new()
        } else {
            keywords(&self.keys, &self.key_kinds, text)
        };
        for (rule, re) in &self.rules {
            let reach = if whole { Reach::Whole } else { reach(*rule) };
            let other;
            let runs = match reach {
                Reach::Digits { of, .. } if of != Marker::Digits => {
                    other = marker_runs(b, of);
                    &other
                }
                _ => &runs,
            };
            let wins = windows(reach, b, runs);
            if !wins.is_empty() {
                self.run_rule(*rule, re, text, &wins, &hits, out);
            }
        }
    }
}

fn prev_char(text: &str, at: usize) -> Option<char> {
    text.get(..at).and_then(|s| s.chars().next_back())
}

fn next_char(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|s| s.chars().next())
}

fn email(text: &str, s: usize, e: usize, t: &str, out: &mut Vec<Span>) {
    // The local part must not continue a longer word to the left.
    if prev_char(text, s).is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_') {
        return;
    }
    let score = if t.ends_with(".png") || t.ends_with(".jpg") || t.contains("@2x") {
        0.3
    } else {
        1.0
    };
    out.push(Span::new(s, e, labels::EMAIL_ADDRESS, score, "pattern"));
}

fn card(text: &str, s: usize, t: &str, out: &mut Vec<Span>) {
    // Try the whole candidate, then shorter prefixes ending at a group end,
    // so a trailing expiry or CVV group does not hide the number.
    let mut ends: Vec<usize> = t
        .char_indices()
        .filter(|(_, c)| *c == ' ' || *c == '-')
        .map(|(i, _)| i)
        .collect();
    ends.push(t.len());
    for &end in ends.iter().rev() {
        let cand = &t[..end];
        let digits: String = cand.chars().filter(char::is_ascii_digit).collect();
        if !(13..=19).contains(&digits.len()) {
            continue;
        }
        if validators::luhn(&digits) && validators::card_issuer(&digits).is_some() {
            let w = context::window(text, s, s + end);
            let base = if cand.len() == digits.len() {
                0.85
            } else {
                0.95
            };
            let score = context::adjust(base, &w, CARD_WORDS, CARD_NEG);
            out.push(Span::new(s, s + end, labels::CREDIT_CARD, score, "pattern"));
            return;
        }
    }
}

fn ssn_itin(text: &str, s: usize, e: usize, t: &str, out: &mut Vec<Span>) {
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let (Some(a), Some(g), Some(n)) = (
        digits.get(0..3).and_then(|x| x.parse::<u32>().ok()),
        digits.get(3..5).and_then(|x| x.parse::<u32>().ok()),
        digits.get(5..9).and_then(|x| x.parse::<u32>().ok()),
    ) else {
        return;
    };
    let w = context::window(text, s, e);
    let base = match t.len() {
        11 if t.contains('-') => 0.85,
        11 => 0.55,
        _ => 0.3,
    };
    if validators::itin_valid(a, g) {
        let score = context::adjust(base, &w, ITIN_WORDS, &[]);
        out.push(Span::new(s, e, labels::US_ITIN, score, "pattern"));
    } else if validators::ssn_valid(a, g, n) {
        let neg: &[&str] = &["order", "invoice", "tracking", "isbn"];
        let score = context::adjust(base, &w, SSN_WORDS, neg);
        out.push(Span::new(s, e, labels::US_SSN, score, "pattern"));
    }
}

fn iban(text: &str, s: usize, t: &str, out: &mut Vec<Span>) {
    let Some(expected) = t.get(..2).and_then(validators::iban_length) else {
        return;
    };
    let mut compact = String::with_capacity(expected);
    let mut cut = None;
    for (i, c) in t.char_indices() {
        if c == ' ' {
            continue;
        }
        compact.push(c);
        if compact.len() == expected {
            cut = Some(i + c.len_utf8());
            break;
        }
    }
    let Some(cut) = cut else {
        return;
    };
    // The cut must end a word: the IBAN is not a prefix of a longer token.
    if next_char(text, s + cut).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return;
    }
    if validators::iban_mod97(&compact) {
        let w = context::window(text, s, s + cut);
        let score = context::adjust(0.9, &w, IBAN_WORDS, &[]);
        out.push(Span::new(s, s + cut, labels::IBAN_CODE, score, "pattern"));
    }
}

fn ipv4(text: &str, s: usize, e: usize, t: &str, out: &mut Vec<Span>) {
    if t.parse::<Ipv4Addr>().is_err() {
        return;
    }
    // Not part of a longer dotted sequence (OIDs, versions like 1.2.3.4.5).
    if prev_char(text, s) == Some('.')
        || (next_char(text, e) == Some('.')
            && text
                .get(e + 1..e + 2)
                .is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit())))
    {
        return;
    }
    let w = context::before(text, s, 24);
    let score = context::adjust(
        0.85,
        &w,
        &["ip", "host", "addr", "server", "from", "client"],
        IP_NEG,
    );
    out.push(Span::new(s, e, labels::IP_ADDRESS, score, "pattern"));
}

fn ipv6(text: &str, s: usize, e: usize, t: &str, out: &mut Vec<Span>) {
    if prev_char(text, s).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        return;
    }
    if next_char(text, e).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
        return;
    }
    let hex = t.bytes().filter(u8::is_ascii_hexdigit).count();
    if hex < 3 && t != "::1" {
        return;
    }
    if t.parse::<Ipv6Addr>().is_ok() {
        out.push(Span::new(s, e, labels::IP_ADDRESS, 0.9, "pattern"));
    }
}

fn phone(text: &str, s: usize, e: usize, t: &str, pending: &mut Vec<(usize, usize)>) {
    // Cheap shape checks first; the context window and `phonenumber`
    // parsing are paid only by candidates that survive them.
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return;
    }
    if prev_char(text, s)
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/' || c == '-' || c == ':')
        || next_char(text, e).is_some_and(|c| c.is_ascii_alphanumeric() || c == '/' || c == ':')
    {
        return;
    }
    // Dates and dotted quads are not phone numbers.
    if t.split(['-', '/', '.']).count() == 3
        && t.split(['-', '/', '.']).all(|p| p.len() <= 4)
        && (t.contains('-') || t.contains('.'))
        && !t.contains(' ')
        && digits <= 8
    {
        return;
    }
    if t.bytes().filter(|&b| b == b'.').count() == 3 {
        return;
    }
    let plus = t.starts_with('+');
    let has_sep = t
        .bytes()
        .any(|b| matches!(b, b' ' | b'-' | b'.' | b'(' | b')'));
    if !plus && !has_sep && !context::has_any(&context::window(text, s, e), PHONE_WORDS) {
        return;
    }
    if !plus && !t.starts_with('0') {
        // North American numbering plan shape first: 10 digits (after an
        // optional country code 1), area and exchange codes start with 2-9.
        // Only candidates of that shape pay for a full parse.
        let mut d = [0u8; 15];
        let mut n = 0;
        for b in t.bytes().filter(u8::is_ascii_digit) {
            if let Some(x) = d.get_mut(n) {
                *x = b;
            }
            n += 1;
        }
        let d = if n == 11 && d[0] == b'1' {
            &d[1..11]
        } else {
            &d[..n.min(15)]
        };
        if !(d.len() == 10 && d[0] >= b'2' && d[3] >= b'2') {
            return;
        }
    }
    pending.push((s, e));
}

/// Validate the phone candidates of one text and report the valid ones in
/// text order. `phonenumber` keeps its compiled metadata regexes in a small
/// LRU cache, so candidates are validated grouped by kind and leading
/// digits (country code): alternating countries would recompile them.
/// The same candidate text (signatures, quoted mails) is parsed once.
fn validate_phones(
    v: &PhoneValidator,
    text: &str,
    pending: &[(usize, usize)],
    out: &mut Vec<Span>,
) {
    let key = |&(s, e): &(usize, usize)| {
        let t = text.get(s..e).unwrap_or("");
        let kind = match t.as_bytes().first() {
            Some(b'+') => 0,
            Some(b'0') => 2,
            _ => 1,
        };
        (kind, t)
    };
    let mut order: Vec<usize> = (0..pending.len()).collect();
    order.sort_by(|&a, &b| {
        let (ka, kb) = (pending.get(a).map(key), pending.get(b).map(key));
        ka.cmp(&kb)
    });
    let mut valid = vec![false; pending.len()];
    // National numbers with a trunk `0` are tried region by region (each
    // region's metadata regexes used once for all of them), not candidate
    // by candidate through all regions.
    let trunk: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| pending.get(i).is_some_and(|p| key(p).0 == 2))
        .collect();
    for r in NATIONAL_REGIONS {
        for &i in &trunk {
            let (Some(&(s, e)), Some(false)) = (pending.get(i), valid.get(i).copied()) else {
                continue;
            };
            let t = text.get(s..e).unwrap_or("");
            if phonenumber::parse(Some(*r), t).is_ok_and(|n| v.valid(&n)) {
                if let Some(x) = valid.get_mut(i) {
                    *x = true;
                }
            }
        }
    }
    let mut last: Option<(&str, bool)> = None;
    for i in order {
        let Some(&(s, e)) = pending.get(i) else {
            continue;
        };
        let t = text.get(s..e).unwrap_or("");
        if key(&(s, e)).0 == 2 {
            continue;
        }
        let v = match last {
            Some((lt, lv)) if lt == t => lv,
            _ => phone_valid(v, t),
        };
        last = Some((t, v));
        if let Some(x) = valid.get_mut(i) {
            *x = v;
        }
    }
    for (&(s, e), v) in pending.iter().zip(valid) {
        if !v {
            continue;
        }
        let t = text.get(s..e).unwrap_or("");
        let w = context::window(text, s, e);
        let base = if t.starts_with('+') || t.contains('(') {
            0.8
        } else {
            0.7
        };
        let score = context::adjust(base, &w, PHONE_WORDS, NOT_PHONE_WORDS);
        out.push(Span::new(s, e, labels::PHONE_NUMBER, score, "pattern"));
    }
}

/// Full `phonenumber` validation of a candidate that passed the shape checks.
fn phone_valid(v: &PhoneValidator, t: &str) -> bool {
    if t.starts_with('+') {
        phonenumber::parse(None, t).is_ok_and(|n| v.valid(&n))
    } else if t.starts_with('0') {
        NATIONAL_REGIONS
            .iter()
            .any(|r| phonenumber::parse(Some(*r), t).is_ok_and(|n| v.valid(&n)))
    } else {
        phonenumber::parse(Some(Country::US), t).is_ok_and(|n| v.valid(&n))
    }
}

fn id_number(text: &str, s: usize, e: usize, t: &str, out: &mut Vec<Span>) {
    let w = context::before(text, s, CONTEXT_BEFORE);
    if context::has_any(&w, PASSPORT_WORDS) {
        let ok = t.len() == 9
            && (t.bytes().all(|b| b.is_ascii_digit())
                || (t.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
                    && t.bytes().skip(1).all(|b| b.is_ascii_digit())));
        if ok {
            out.push(Span::new(s, e, labels::US_PASSPORT, 0.85, "pattern"));
        }
    } else if context::has_any(&w, DL_WORDS) {
        out.push(Span::new(s, e, labels::US_DRIVER_LICENSE, 0.8, "pattern"));
    }
}

fn birth_date(text: &str, s: usize, e: usize, out: &mut Vec<Span>) {
    let w = context::before(text, s, CONTEXT_BEFORE);
    if context::has_any(&w, BIRTH_WORDS) {
        out.push(Span::new(s, e, labels::DATE_TIME, 0.85, "pattern"));
    }
}

fn age(s: usize, t: &str, out: &mut Vec<Span>) {
    // The span is the number itself, so generalization keeps the sentence.
    let Some(ds) = t.find(|c: char| c.is_ascii_digit()) else {
        return;
    };
    let de = t[ds..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(t.len(), |i| ds + i);
    if t[ds..de]
        .parse::<u32>()
        .is_ok_and(|n| (1..=120).contains(&n))
    {
        out.push(Span::new(s + ds, s + de, labels::AGE, 0.8, "pattern"));
    }
}

fn zip(s: usize, t: &str, out: &mut Vec<Span>) {
    let Some(ds) = t.find(|c: char| c.is_ascii_digit()) else {
        return;
    };
    out.push(Span::new(
        s + ds,
        s + t.len(),
        labels::ZIP_CODE,
        0.75,
        "pattern",
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Vec<(String, String)> {
        super::super::find_with(&PatternDetector::new().unwrap(), text)
    }

    fn has(text: &str, label: &str, value: &str) -> bool {
        find(text).iter().any(|(l, v)| l == label && v == value)
    }

    #[test]
    fn digit_windows_find_what_a_whole_text_scan_finds() {
        let d = PatternDetector::new().unwrap();
        let mut texts = super::super::eval_texts();
        texts.extend(
            [
                "zip 12 zip code: 94105-1234 and CA, 90210",
                "born on 12th. september, 1985; DOB: september. 12th, 1985",
                "passport no. X12345678 and DL# D123-456-78-9 then 4111111111111111",
                "aged: 34, turning 7, 34 years old, 12 y/o, 123456 yo",
                "DE89370400440532013000 GB82 WEST 1234 5698 7654 32XX",
                "+1 (415) 867-5309, (030) 901820, 1.2.3.4.5, 10.0.0.1",
                "fe80::1ff:fe23:4567:890a ::ffff:192.168.1.1 ::1 a::b 10:30:00 std::io",
                "00:1A:2B:3C:4D:5E 00-1a-2b-3c-4d-5e 001a.2b3c.4d5e a-b-c 1.2.3 x:y",
            ]
            .map(str::to_string),
        );
        for t in &texts {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            d.scan(t, false, &mut a);
            d.scan(t, true, &mut b);
            assert_eq!(a, b, "{t}");
        }
    }

    #[test]
    fn emails() {
        assert!(has(
            "mail jane.doe+x@example.co.uk now",
            "EMAIL_ADDRESS",
            "jane.doe+x@example.co.uk"
        ));
        assert!(find("no at sign here").is_empty());
        assert!(has(
            "an jose.garcía@correo.es.",
            "EMAIL_ADDRESS",
            "jose.garcía@correo.es"
        ));
    }

    #[test]
    fn credit_cards_luhn_and_prefix() {
        assert!(has(
            "card 4111 1111 1111 1111 exp 12/26",
            "CREDIT_CARD",
            "4111 1111 1111 1111"
        ));
        assert!(has(
            "amex 3782-822463-10005",
            "CREDIT_CARD",
            "3782-822463-10005"
        ));
        assert!(!find("card 4111 1111 1111 1112")
            .iter()
            .any(|(l, _)| l == "CREDIT_CARD"));
        // Luhn-valid but no issuer prefix.
        assert!(!find("number 1234 5678 9012 3452")
            .iter()
            .any(|(l, _)| l == "CREDIT_CARD"));
    }

    #[test]
    fn ssn_rules() {
        assert!(has("SSN: 536-22-1234", "US_SSN", "536-22-1234"));
        assert!(!find("SSN: 666-22-1234").iter().any(|(l, _)| l == "US_SSN"));
        assert!(!find("SSN: 000-22-1234").iter().any(|(l, _)| l == "US_SSN"));
        assert!(!find("SSN: 536-00-1234").iter().any(|(l, _)| l == "US_SSN"));
        // Undelimited needs context.
        assert!(has("my ssn is 536221234", "US_SSN", "536221234"));
        assert!(!find("ref 536221234 done")
            .iter()
            .any(|(l, _)| l == "US_SSN"));
        assert!(has("ITIN 912-78-1234", "US_ITIN", "912-78-1234"));
    }

    #[test]
    fn ibans() {
        assert!(has(
            "IBAN DE89 3704 0044 0532 0130 00 please",
            "IBAN_CODE",
            "DE89 3704 0044 0532 0130 00"
        ));
        assert!(has(
            "to GB82WEST12345698765432.",
            "IBAN_CODE",
            "GB82WEST12345698765432"
        ));
        assert!(!find("IBAN DE89 3704 0044 0532 0130 01")
            .iter()
            .any(|(l, _)| l == "IBAN_CODE"));
    }

    #[test]
    fn network_identifiers() {
        assert!(has("from 192.168.10.4 port", "IP_ADDRESS", "192.168.10.4"));
        assert!(!find("from 999.168.10.4")
            .iter()
            .any(|(l, _)| l == "IP_ADDRESS"));
        assert!(has(
            "addr 2001:db8::8a2e:370:7334 up",
            "IP_ADDRESS",
            "2001:db8::8a2e:370:7334"
        ));
        assert!(!find("std::vector<int> a; Foo::bar();")
            .iter()
            .any(|(l, _)| l == "IP_ADDRESS"));
        assert!(!find("at 10:30:00 today")
            .iter()
            .any(|(l, _)| l == "IP_ADDRESS"));
        assert!(has(
            "mac 00:1A:2B:3C:4D:5E",
            "MAC_ADDRESS",
            "00:1A:2B:3C:4D:5E"
        ));
    }

    #[test]
    fn phones() {
        assert!(has(
            "call me at (415) 867-5309 today",
            "PHONE_NUMBER",
            "(415) 867-5309"
        ));
        assert!(has(
            "tel +44 20 7946 0958.",
            "PHONE_NUMBER",
            "+44 20 7946 0958"
        ));
        assert!(has("Telefon: 030 901820", "PHONE_NUMBER", "030 901820"));
        assert!(!find("released 2024-01-15")
            .iter()
            .any(|(l, _)| l == "PHONE_NUMBER"));
    }

    #[test]
    fn phones_of_alternating_countries_all_found_in_text_order() {
        let text = "tel +44 20 7946 0958, tel +49 30 901820, tel +44 20 7946 0958, \
                    call (415) 867-5309, Telefon: 030 901820, tel +49 30 901820";
        let d = PatternDetector::new().unwrap();
        let mut out = Vec::new();
        d.detect(text, &mut out).unwrap();
        let phones: Vec<&str> = out
            .iter()
            .filter(|s| s.label.as_ref() == "PHONE_NUMBER")
            .map(|s| &text[s.start..s.end])
            .collect();
        assert_eq!(
            phones,
            [
                "+44 20 7946 0958",
                "+49 30 901820",
                "+44 20 7946 0958",
                "(415) 867-5309",
                "030 901820",
                "+49 30 901820"
            ]
        );
    }

    #[test]
    fn context_dependent_ids() {
        assert!(has(
            "passport number: 912345678",
            "US_PASSPORT",
            "912345678"
        ));
        assert!(has(
            "Driver's license D1234567",
            "US_DRIVER_LICENSE",
            "D1234567"
        ));
        assert!(has("born on 12/03/1985", "DATE_TIME", "12/03/1985"));
        assert!(!find("meeting on 12/03/1985")
            .iter()
            .any(|(l, _)| l == "DATE_TIME"));
        assert!(has("she is 34 years old", "AGE", "34"));
        assert!(has("Springfield, IL 62704", "ZIP_CODE", "62704"));
    }
}
