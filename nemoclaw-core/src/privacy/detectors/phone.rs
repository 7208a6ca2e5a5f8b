//! Phone-number validity from `phonenumber`'s own metadata, compiled once.
//!
//! `phonenumber` (libphonenumber's metadata) parses every candidate; this
//! module only replaces its `is_valid`, whose metadata regexes live in a
//! shared 100-entry LRU (`regex-cache`): every lookup hashes the pattern
//! string (several kilobytes for the US fixed-line pattern) with SipHash
//! under a global mutex, and alternating countries recompile evicted
//! patterns. Here each region's descriptors (general description, the ten
//! number types, the leading-digit pattern) are compiled into their own
//! regex on first use of the region and kept: the same patterns, the same
//! flags (`ignore_whitespace`, as `phonenumber` builds them), the same
//! decision procedure (`source_for` then `number_type != Unknown`); where
//! `phonenumber` asks whether the leftmost match starts at the first digit,
//! an anchored search asks the same in one forward scan. The test
//! below checks [`PhoneValidator::is_valid`] against `phonenumber::is_valid`
//! on every candidate of the evaluation set and on every region's example
//! numbers and their one-digit variants.

use std::collections::HashMap;
use std::sync::OnceLock;

use phonenumber::metadata::{Descriptor, DATABASE};
use phonenumber::{Metadata, PhoneNumber};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

/// One descriptor: its possible lengths and its national-number pattern.
#[derive(Debug)]
struct Desc {
    lengths: &'static [u16],
    re: Regex,
}

impl Desc {
    fn compile(d: &'static Descriptor) -> Option<Self> {
        Some(Self {
            lengths: d.possible_length(),
            re: compile(d.national_number().as_str())?,
        })
    }

    /// `phonenumber`'s `Descriptor::is_match`: the length is possible and
    /// the pattern's leftmost match starts at the first digit.
    fn is_match(&self, value: &str) -> bool {
        if !self.lengths.is_empty()
            && !u16::try_from(value.len()).is_ok_and(|l| self.lengths.contains(&l))
        {
            return false;
        }
        starts_with_match(&self.re, value)
    }
}

/// Whether the leftmost match of `re` in `value` starts at 0, that is,
/// whether an anchored search finds a match (a forward scan only).
fn starts_with_match(re: &Regex, value: &str) -> bool {
    re.is_match(Input::new(value).anchored(Anchored::Yes))
}

/// Compile a metadata pattern with the flags `phonenumber` uses
/// (`ignore_whitespace`; Unicode on, as in `regex`).
fn compile(pattern: &str) -> Option<Regex> {
    Regex::builder()
        .syntax(syntax::Config::new().ignore_whitespace(true))
        .build(pattern)
        .ok()
}

/// A region's compiled descriptors.
#[derive(Debug)]
struct Compiled {
    general: Desc,
    /// Premium rate, toll free, shared cost, VoIP, personal, pager, UAN,
    /// voicemail, fixed line, mobile: a number matching any is of a known type.
    types: Vec<Desc>,
    leading_digits: Option<Regex>,
}

#[derive(Debug)]
struct Region {
    meta: &'static Metadata,
    compiled: OnceLock<Option<Compiled>>,
}

impl Region {
    /// The compiled descriptors, or `None` when a pattern failed to compile
    /// (the caller then asks `phonenumber` itself).
    fn compiled(&self) -> Option<&Compiled> {
        self.compiled
            .get_or_init(|| {
                let d = self.meta.descriptors();
                let mut types = Vec::new();
                for t in [
                    d.premium_rate(),
                    d.toll_free(),
                    d.shared_cost(),
                    d.voip(),
                    d.personal_number(),
                    d.pager(),
                    d.uan(),
                    d.voicemail(),
                    d.fixed_line(),
                    d.mobile(),
                ]
                .into_iter()
                .flatten()
                {
                    types.push(Desc::compile(t)?);
                }
                let leading_digits = match self.meta.leading_digits() {
                    Some(p) => Some(compile(p.as_str())?),
                    None => None,
                };
                Some(Compiled {
                    general: Desc::compile(d.general())?,
                    types,
                    leading_digits,
                })
            })
            .as_ref()
    }
}

/// Whether a number is valid, decided on compiled copies of `phonenumber`'s
/// metadata patterns.
#[derive(Debug)]
pub(super) struct PhoneValidator {
    /// Regions by id (geographic regions; non-geographic entities are keyed
    /// by their calling code in `non_geo`).
    regions: HashMap<&'static str, Region>,
    non_geo: HashMap<u16, Region>,
    /// Region ids per calling code, in the database's order.
    codes: HashMap<u16, Vec<&'static str>>,
}

impl PhoneValidator {
    pub(super) fn new() -> Self {
        let mut regions = HashMap::new();
        let mut non_geo = HashMap::new();
        let mut codes: HashMap<u16, Vec<&'static str>> = HashMap::new();
        let db: &'static phonenumber::metadata::Database = &DATABASE;
        for meta in db.iter() {
            let code = meta.country_code();
            if codes.contains_key(&code) {
                continue;
            }
            let ids = db.region(&code).unwrap_or_default();
            if ids.len() == 1 && ids.first() == Some(&"001") {
                if let Some(first) = db.by_code(&code).and_then(|m| m.into_iter().next()) {
                    non_geo.insert(
                        code,
                        Region {
                            meta: first,
                            compiled: OnceLock::new(),
                        },
                    );
                }
            } else {
                for id in &ids {
                    if let Some(meta) = db.by_id(*id) {
                        regions.insert(
                            *id,
                            Region {
                                meta,
                                compiled: OnceLock::new(),
                            },
                        );
                    }
                }
            }
            codes.insert(code, ids);
        }
        Self {
            regions,
            non_geo,
            codes,
        }
    }

    /// `phonenumber::is_valid(number)`, or `None` when the compiled tables
    /// cannot decide (a pattern that did not compile).
    pub(super) fn is_valid(&self, number: &PhoneNumber) -> Option<bool> {
        let code = number.country().code();
        let national = number.national().to_string();
        let Some(region) = self.source_for(code, &national)? else {
            return Some(false);
        };
        Some(number_type_known(region.compiled()?, &national))
    }

    /// `phonenumber`'s `is_valid`: the compiled tables, or the crate itself
    /// when they cannot decide.
    pub(super) fn valid(&self, number: &PhoneNumber) -> bool {
        self.is_valid(number).unwrap_or_else(|| number.is_valid())
    }

    /// `phonenumber`'s `source_for`: the region whose metadata applies.
    fn source_for(&self, code: u16, national: &str) -> Option<Option<&Region>> {
        let Some(ids) = self.codes.get(&code) else {
            return Some(None);
        };
        if let [only] = ids.as_slice() {
            if *only == "001" {
                return Some(self.non_geo.get(&code));
            }
            // `phonenumber` keeps a region only if its id parses.
            let ok = only.parse::<phonenumber::country::Id>().is_ok();
            return Some(ok.then(|| self.regions.get(only)).flatten());
        }
        for id in ids {
            let Some(region) = self.regions.get(id) else {
                continue;
            };
            let c = region.compiled()?;
            let hit = match &c.leading_digits {
                Some(ld) => starts_with_match(ld, national),
                None => number_type_known(c, national),
            };
            if hit {
                return Some(Some(region));
            }
        }
        Some(None)
    }
}

/// `phonenumber`'s `number_type(meta, value) != Type::Unknown`.
fn number_type_known(c: &Compiled, value: &str) -> bool {
    c.general.is_match(value) && c.types.iter().any(|d| d.is_match(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: &PhoneValidator, region: Option<phonenumber::country::Id>, t: &str) {
        if let Ok(n) = phonenumber::parse(region, t) {
            assert_eq!(
                v.is_valid(&n),
                Some(phonenumber::is_valid(&n)),
                "{t} ({region:?})"
            );
        }
    }

    #[test]
    fn agrees_with_phonenumber_on_examples_and_variants() {
        let v = PhoneValidator::new();
        let mut n = 0;
        for meta in DATABASE.iter() {
            let d = meta.descriptors();
            let examples = [
                d.general(),
                d.fixed_line().unwrap_or(d.general()),
                d.mobile().unwrap_or(d.general()),
                d.toll_free().unwrap_or(d.general()),
            ];
            for ex in examples.iter().filter_map(|x| x.example()) {
                let intl = format!("+{} {ex}", meta.country_code());
                check(&v, None, &intl);
                // One-digit variants: changed, dropped and added digits.
                for i in 0..ex.len() {
                    let mut c = ex.to_string();
                    c.replace_range(i..=i, if &ex[i..=i] == "9" { "0" } else { "9" });
                    check(&v, None, &format!("+{} {c}", meta.country_code()));
                    let mut d = ex.to_string();
                    d.remove(i);
                    check(&v, None, &format!("+{} {d}", meta.country_code()));
                }
                check(&v, None, &format!("+{} {ex}5", meta.country_code()));
                if let Ok(id) = meta.id().parse::<phonenumber::country::Id>() {
                    check(&v, Some(id), &format!("0{ex}"));
                    check(&v, Some(id), ex);
                }
                n += 1;
            }
        }
        assert!(n > 500, "only {n} examples");
    }

    #[test]
    fn agrees_with_phonenumber_on_the_evaluation_set() {
        let v = PhoneValidator::new();
        let re = regex::Regex::new(
            r"(?:\+[0-9]{1,3}[ .\-]?)?(?:\([0-9]{1,5}\)[ .\-]?)?[0-9]{1,5}(?:[ .\-]?[0-9]{1,5}){1,5}",
        )
        .unwrap();
        let mut n = 0;
        for t in super::super::eval_texts() {
            for m in re.find_iter(&t) {
                let c = m.as_str();
                if c.bytes().filter(u8::is_ascii_digit).count() < 7 {
                    continue;
                }
                check(&v, None, c);
                check(&v, Some(phonenumber::country::Id::US), c);
                check(&v, Some(phonenumber::country::Id::GB), c);
                check(&v, Some(phonenumber::country::Id::DE), c);
                n += 1;
            }
        }
        assert!(n > 900, "only {n} candidates");
    }
}
