//! From token tags to entity spans, and from model labels to Presidio names.

use super::NerEntity;

/// The position part of a tag (`B-`, `I-`, ... or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    /// Starts an entity (`B-`, and BILOU's `U-`/`S-`).
    Begin,
    /// Continues one (`I-`, `L-`, `E-`, or a label with no prefix).
    Inside,
}

/// A parsed model label; `None` in a table means outside (`O`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenTag {
    pub tag: Tag,
    /// The entity type without its prefix, e.g. `GIVEN_NAME`.
    pub kind: String,
}

impl TokenTag {
    pub fn parse(label: &str) -> Option<Self> {
        let label = label.trim();
        if label.is_empty() || label.eq_ignore_ascii_case("o") {
            return None;
        }
        let (tag, kind) = match label.as_bytes() {
            [p, b'-' | b'_', ..] => {
                let tag = match p.to_ascii_uppercase() {
                    b'B' | b'U' | b'S' => Tag::Begin,
                    b'I' | b'L' | b'E' => Tag::Inside,
                    _ => {
                        return Some(Self {
                            tag: Tag::Inside,
                            kind: label.to_owned(),
                        })
                    }
                };
                (tag, &label[2..])
            }
            _ => (Tag::Inside, label),
        };
        Some(Self {
            tag,
            kind: kind.to_owned(),
        })
    }
}

/// The Presidio entity name for a model's entity type (prefix stripped), or
/// the type itself when Presidio has no name for it.
///
/// | model type | Presidio |
/// |---|---|
/// | `GIVEN_NAME`, `SURNAME`, `PER`, `PERSON`, `NAME` | `PERSON` |
/// | `BUILDING_NUMBER`, `STREET_NAME`, `SECONDARY_ADDRESS`, `CITY`, `STATE`, `ZIP_CODE`, `LOC`, `LOCATION`, `GPE`, `ADDRESS` | `LOCATION` |
/// | `ORG`, `ORGANIZATION` | `ORGANIZATION` |
/// | `EMAIL` | `EMAIL_ADDRESS` |
/// | `PHONE` | `PHONE_NUMBER` |
/// | `URL` | `URL` |
/// | `TAX_ID` | `US_ITIN` |
/// | `BANK_ACCOUNT` | `US_BANK_NUMBER` |
/// | `ROUTING_NUMBER` | `ABA_ROUTING_NUMBER` |
/// | `PASSPORT` | `US_PASSPORT` |
/// | `DRIVERS_LICENSE` | `US_DRIVER_LICENSE` |
/// | `SSN` | `US_SSN` |
/// | `CREDIT_CARD` | `CREDIT_CARD` |
/// | `IP`, `IP_ADDRESS` | `IP_ADDRESS` |
/// | `DATE`, `DATE_TIME`, `DOB` | `DATE_TIME` |
/// | `GOVERNMENT_ID` and anything else | unchanged |
pub fn presidio_label(kind: &str) -> String {
    let upper = kind.to_ascii_uppercase();
    let mapped = match upper.as_str() {
        "GIVEN_NAME" | "SURNAME" | "PER" | "PERSON" | "NAME" | "FIRST_NAME" | "LAST_NAME" => {
            "PERSON"
        }
        "BUILDING_NUMBER" | "STREET_NAME" | "SECONDARY_ADDRESS" | "CITY" | "STATE" | "ZIP_CODE"
        | "LOC" | "LOCATION" | "GPE" | "ADDRESS" => "LOCATION",
        "ORG" | "ORGANIZATION" | "ORGANISATION" => "ORGANIZATION",
        "EMAIL" | "EMAIL_ADDRESS" => "EMAIL_ADDRESS",
        "PHONE" | "PHONE_NUMBER" | "TELEPHONE" => "PHONE_NUMBER",
        "URL" => "URL",
        "TAX_ID" => "US_ITIN",
        "BANK_ACCOUNT" => "US_BANK_NUMBER",
        "ROUTING_NUMBER" => "ABA_ROUTING_NUMBER",
        "PASSPORT" => "US_PASSPORT",
        "DRIVERS_LICENSE" => "US_DRIVER_LICENSE",
        "SSN" => "US_SSN",
        "CREDIT_CARD" | "CREDIT_CARD_NUMBER" => "CREDIT_CARD",
        "IP" | "IP_ADDRESS" => "IP_ADDRESS",
        "DATE" | "DATE_TIME" | "DOB" => "DATE_TIME",
        _ => return kind.to_owned(),
    };
    mapped.to_owned()
}

/// One token with its byte offsets, word index and winning tag.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    pub word: Option<u32>,
    pub tag: Option<TokenTag>,
    pub score: f32,
}

#[derive(Debug)]
struct Span {
    start: usize,
    end: usize,
    kind: String,
    score_sum: f32,
    tokens: usize,
    last_word: Option<u32>,
}

fn blank(text: &str, from: usize, to: usize) -> bool {
    from >= to
        || text
            .get(from..to)
            .is_some_and(|g| g.chars().all(char::is_whitespace))
}

/// Tokens to spans:
/// 1. a token tagged outside, or below `threshold`, closes the open span;
/// 2. a token continues the open span when its type is the same, only white
///    space lies between them, and it is not tagged `B-` (a `B-` sub-word of
///    the word already in the span continues it too);
/// 3. otherwise it opens a new span;
/// 4. spans are widened to whole words (all tokens of their first and last
///    words), so no part of a tagged word is left out;
/// 5. spans that overlap after widening join the first of them;
/// 6. types become Presidio labels; with `merge`, neighbouring spans of the
///    same label with only white space between (for `LOCATION`, also commas)
///    become one, scored by the mean over their tokens.
pub(crate) fn aggregate(
    text: &str,
    tokens: &[Token],
    threshold: f32,
    merge: bool,
) -> Vec<NerEntity> {
    let mut spans: Vec<Span> = Vec::new();
    let mut open: Option<Span> = None;
    for tok in tokens.iter().filter(|t| t.end > t.start) {
        let tag = match &tok.tag {
            Some(tag) if tok.score >= threshold => tag,
            _ => {
                spans.extend(open.take());
                continue;
            }
        };
        if let Some(span) = open.as_mut() {
            let same_word = tok.word.is_some() && span.last_word == tok.word;
            if span.kind == tag.kind
                && blank(text, span.end, tok.start)
                && (tag.tag != Tag::Begin || same_word)
            {
                span.end = tok.end;
                span.score_sum += tok.score;
                span.tokens += 1;
                span.last_word = tok.word;
                continue;
            }
        }
        spans.extend(open.take());
        open = Some(Span {
            start: tok.start,
            end: tok.end,
            kind: tag.kind.clone(),
            score_sum: tok.score,
            tokens: 1,
            last_word: tok.word,
        });
    }
    spans.extend(open);

    // Widen to whole words: each word's byte extent, then each span's first
    // and last word (tokens are in text order).
    let mut extent: std::collections::HashMap<u32, (usize, usize)> =
        std::collections::HashMap::new();
    for tok in tokens.iter().filter(|t| t.end > t.start) {
        if let Some(w) = tok.word {
            let e = extent.entry(w).or_insert((tok.start, tok.end));
            e.0 = e.0.min(tok.start);
            e.1 = e.1.max(tok.end);
        }
    }
    if !spans.is_empty() {
        let mut i = 0;
        for tok in tokens.iter().filter(|t| t.end > t.start) {
            while i < spans.len() && spans[i].end <= tok.start {
                i += 1;
            }
            // Overlapping spans of this token: i.. while they start before it ends.
            let mut j = i;
            while j < spans.len() && spans[j].start < tok.end {
                if tok.end > spans[j].start && tok.start < spans[j].end {
                    if let Some(&(ws, we)) = tok.word.and_then(|w| extent.get(&w)) {
                        spans[j].start = spans[j].start.min(ws);
                        spans[j].end = spans[j].end.max(we);
                    }
                }
                j += 1;
            }
        }
    }

    let mut out: Vec<(NerEntity, f32, usize)> = Vec::new();
    for span in spans {
        let label = presidio_label(&span.kind);
        if let Some((last, sum, n)) = out.last_mut() {
            let gap_ok = last.end <= span.start
                && text.get(last.end..span.start).is_some_and(|g| {
                    g.chars()
                        .all(|c| c.is_whitespace() || (label == "LOCATION" && c == ','))
                });
            if merge && last.label == label && gap_ok {
                last.end = span.end;
                *sum += span.score_sum;
                *n += span.tokens;
                continue;
            }
            if span.start < last.end {
                // Widening to whole words made them overlap: one entity.
                last.end = last.end.max(span.end);
                *sum += span.score_sum;
                *n += span.tokens;
                continue;
            }
        }
        out.push((
            NerEntity {
                start: span.start,
                end: span.end,
                label,
                score: 0.0,
            },
            span.score_sum,
            span.tokens,
        ));
    }
    out.into_iter()
        .map(|(mut e, sum, n)| {
            e.score = sum / n.max(1) as f32;
            e
        })
        .collect()
}
