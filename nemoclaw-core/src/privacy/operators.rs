//! Operators: what happens to each detected span.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use rand_core::OsRng;
use sha2::Sha256;

use super::dp::{LaplaceMechanism, PrivacyBudget};
use super::span::labels;
use super::vault::{Vault, VaultKey};
use super::PrivacyError;

/// Values released with noise are clamped to `[-NOISE_BOUND, NOISE_BOUND]`.
pub const NOISE_BOUND: f64 = 1e9;

/// One transformation of a detected value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Operator {
    /// Leave the value as it is (the span is still reported).
    Keep,
    /// Remove the value.
    Redact,
    /// Replace with `<LABEL>`.
    Replace,
    /// Replace every character but the last `keep_last` alphanumerics with `*`.
    Mask {
        /// Characters kept at the end.
        keep_last: usize,
    },
    /// Consistent placeholder `<LABEL_n>` recorded in the session's vault.
    Pseudonymize,
    /// `<LABEL:hex>`: HMAC-SHA256 of the value under the session key
    /// (first 16 bytes), so equal values link without being revealed.
    Hash,
    /// Coarsen: dates to the year, ages to a ten-year range, ZIP codes to
    /// three digits, IPv4 addresses to their /24; `<LABEL>` otherwise.
    Generalize,
    /// Differential-privacy noise for a numeric value (snapping Laplace),
    /// charged to the session identity's budget; non-numeric values are
    /// replaced with `<LABEL>`.
    Noise {
        /// Epsilon spent per value.
        epsilon: f64,
        /// Sensitivity of the value.
        sensitivity: f64,
    },
}

impl FromStr for Operator {
    type Err = PrivacyError;

    /// `keep`, `redact`, `replace`, `mask` or `mask:N`, `pseudonymize`,
    /// `hash`, `generalize`, `noise` or `noise:EPSILON[:SENSITIVITY]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, arg) = s.split_once(':').map_or((s, None), |(a, b)| (a, Some(b)));
        let bad = || PrivacyError::Config(format!("unknown operator `{s}`"));
        let num = |x: &str| x.parse::<f64>().map_err(|_| bad());
        Ok(match (name.trim().to_ascii_lowercase().as_str(), arg) {
            ("keep", None) => Operator::Keep,
            ("redact", None) => Operator::Redact,
            ("replace", None) => Operator::Replace,
            ("mask", None) => Operator::Mask { keep_last: 4 },
            ("mask", Some(n)) => Operator::Mask {
                keep_last: n.parse().map_err(|_| bad())?,
            },
            ("pseudonymize" | "pseudonymise", None) => Operator::Pseudonymize,
            ("hash", None) => Operator::Hash,
            ("generalize" | "generalise", None) => Operator::Generalize,
            ("noise", None) => Operator::Noise {
                epsilon: 1.0,
                sensitivity: 1.0,
            },
            ("noise", Some(a)) => {
                let (e, s) = a.split_once(':').map_or((a, None), |(x, y)| (x, Some(y)));
                let epsilon = num(e)?;
                let sensitivity = s.map(num).transpose()?.unwrap_or(1.0);
                LaplaceMechanism::new(epsilon, sensitivity, NOISE_BOUND)?;
                Operator::Noise {
                    epsilon,
                    sensitivity,
                }
            }
            _ => return Err(bad()),
        })
    }
}

/// Which operator applies to which label.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorConfig {
    default: Operator,
    per_label: HashMap<String, Operator>,
}

impl Default for OperatorConfig {
    /// `<LABEL>` for everything.
    fn default() -> Self {
        Self {
            default: Operator::Replace,
            per_label: HashMap::new(),
        }
    }
}

impl OperatorConfig {
    /// One operator for every label.
    pub fn uniform(op: Operator) -> Self {
        Self {
            default: op,
            per_label: HashMap::new(),
        }
    }

    /// Set the operator for one label.
    pub fn with(mut self, label: &str, op: Operator) -> Self {
        self.per_label.insert(label.to_string(), op);
        self
    }

    /// Set the default operator.
    pub fn with_default(mut self, op: Operator) -> Self {
        self.default = op;
        self
    }

    /// The operator for `label`.
    pub fn for_label(&self, label: &str) -> &Operator {
        self.per_label.get(label).unwrap_or(&self.default)
    }

    /// Parse `OP` (default) or `LABEL=OP` settings, as given to the CLI.
    pub fn parse_settings<'a>(
        settings: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, PrivacyError> {
        let mut c = Self::default();
        for s in settings {
            match s.split_once('=') {
                Some((label, op)) => c.per_label.insert(label.trim().to_string(), op.parse()?),
                None => {
                    c.default = s.parse()?;
                    None
                }
            };
        }
        Ok(c)
    }
}

/// Per-conversation state for operators: the pseudonym vault, the HMAC key,
/// and the identity charged for differential privacy.
#[derive(Debug)]
pub struct Session {
    vault: Vault,
    key: VaultKey,
    hash_key: zeroize::Zeroizing<[u8; 32]>,
    identity: String,
    budget: Option<Arc<PrivacyBudget>>,
}

impl Session {
    /// A session keyed with the user's key.
    pub fn new(id: impl Into<String>, key: VaultKey) -> Self {
        let id = id.into();
        let hash_key = key.derive("nemoclaw hmac v1");
        Self {
            vault: Vault::new(id.clone()),
            key,
            hash_key,
            identity: id,
            budget: None,
        }
    }

    /// A throwaway session with a random key.
    pub fn ephemeral() -> Self {
        Self::new("ephemeral", VaultKey::generate())
    }

    /// Resume a session from a sealed vault.
    pub fn resume(id: &str, key: VaultKey, sealed: &[u8]) -> Result<Self, PrivacyError> {
        let vault = Vault::open(sealed, &key, id)?;
        let mut s = Self::new(id, key);
        s.vault = vault;
        Ok(s)
    }

    /// Charge differential-privacy noise to `identity` within `budget`.
    pub fn with_budget(mut self, identity: impl Into<String>, budget: Arc<PrivacyBudget>) -> Self {
        self.identity = identity.into();
        self.budget = Some(budget);
        self
    }

    /// The vault.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Seal the vault with the session key.
    pub fn seal(&self) -> Result<Vec<u8>, PrivacyError> {
        self.vault.seal(&self.key)
    }

    /// Put the originals back into the model's answer.
    pub fn restore(&self, text: &str) -> String {
        self.vault.restore(text)
    }

    /// Apply `op` to `value` detected as `label`.
    pub fn apply(
        &mut self,
        op: &Operator,
        label: &str,
        value: &str,
    ) -> Result<String, PrivacyError> {
        Ok(match op {
            Operator::Keep => value.to_string(),
            Operator::Redact => String::new(),
            Operator::Replace => format!("<{label}>"),
            Operator::Mask { keep_last } => mask(value, *keep_last),
            Operator::Pseudonymize => self.vault.pseudonym(label, value),
            Operator::Hash => {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.hash_key.as_ref())
                    .map_err(|e| PrivacyError::Key(e.to_string()))?;
                mac.update(label.as_bytes());
                mac.update(&[0]);
                mac.update(value.as_bytes());
                let tag = mac.finalize().into_bytes();
                format!("<{label}:{}>", hex::encode(&tag[..16]))
            }
            Operator::Generalize => generalize(label, value),
            Operator::Noise {
                epsilon,
                sensitivity,
            } => match parse_number(value) {
                Some((x, decimals)) => {
                    let mech = LaplaceMechanism::new(*epsilon, *sensitivity, NOISE_BOUND)?;
                    let y = match &self.budget {
                        Some(b) => b.release(&self.identity, &mech, x, &mut OsRng)?,
                        None => {
                            return Err(PrivacyError::Config(
                                "noise operator needs a session with a privacy budget".into(),
                            ))
                        }
                    };
                    format!("{y:.decimals$}")
                }
                None => format!("<{label}>"),
            },
        })
    }
}

fn mask(value: &str, keep_last: usize) -> String {
    let total = value.chars().filter(|c| c.is_alphanumeric()).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                seen += 1;
                if seen + keep_last > total {
                    c
                } else {
                    '*'
                }
            } else {
                c
            }
        })
        .collect()
}

fn parse_number(value: &str) -> Option<(f64, usize)> {
    let cleaned: String = value
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    let x: f64 = cleaned.parse().ok()?;
    let decimals = cleaned.split_once('.').map_or(0, |(_, d)| d.len());
    x.is_finite().then_some((x, decimals))
}

fn generalize(label: &str, value: &str) -> String {
    match label {
        labels::DATE_TIME => {
            let b = value.as_bytes();
            for i in 0..b.len().saturating_sub(3) {
                let w = &b[i..i + 4];
                let boundary = (i == 0 || !b[i - 1].is_ascii_digit())
                    && b.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
                if boundary
                    && w.iter().all(u8::is_ascii_digit)
                    && (w.starts_with(b"19") || w.starts_with(b"20"))
                {
                    return String::from_utf8_lossy(w).into_owned();
                }
            }
            format!("<{label}>")
        }
        labels::AGE => match value.trim().parse::<u32>() {
            Ok(n) if n >= 90 => "90+".into(),
            Ok(n) => format!("{}-{}", n / 10 * 10, n / 10 * 10 + 9),
            Err(_) => format!("<{label}>"),
        },
        labels::ZIP_CODE => {
            let d: String = value.chars().filter(char::is_ascii_digit).take(3).collect();
            if d.len() == 3 {
                format!("{d}XX")
            } else {
                format!("<{label}>")
            }
        }
        labels::IP_ADDRESS => match value.parse::<std::net::Ipv4Addr>() {
            Ok(ip) => {
                let o = ip.octets();
                format!("{}.{}.{}.0/24", o[0], o[1], o[2])
            }
            Err(_) => format!("<{label}>"),
        },
        labels::EMAIL_ADDRESS => match value.rsplit_once('@') {
            Some((_, domain)) => format!("*@{domain}"),
            None => format!("<{label}>"),
        },
        _ => format!("<{label}>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_operators() {
        assert_eq!(
            "mask:2".parse::<Operator>().unwrap(),
            Operator::Mask { keep_last: 2 }
        );
        assert_eq!(
            "noise:0.5".parse::<Operator>().unwrap(),
            Operator::Noise {
                epsilon: 0.5,
                sensitivity: 1.0
            }
        );
        assert!("noise:-1".parse::<Operator>().is_err());
        assert!("shred".parse::<Operator>().is_err());
        let c = OperatorConfig::parse_settings(["pseudonymize", "US_SSN=mask:4"]).unwrap();
        assert_eq!(c.for_label("PERSON"), &Operator::Pseudonymize);
        assert_eq!(c.for_label("US_SSN"), &Operator::Mask { keep_last: 4 });
    }

    #[test]
    fn each_operator() {
        let mut s = Session::new("t", VaultKey::from_bytes(&[7u8; 32]).unwrap());
        assert_eq!(s.apply(&Operator::Redact, "PERSON", "Ana").unwrap(), "");
        assert_eq!(
            s.apply(&Operator::Replace, "PERSON", "Ana").unwrap(),
            "<PERSON>"
        );
        assert_eq!(
            s.apply(
                &Operator::Mask { keep_last: 4 },
                "CREDIT_CARD",
                "4111 1111 1111 1234"
            )
            .unwrap(),
            "**** **** **** 1234"
        );
        assert_eq!(
            s.apply(&Operator::Pseudonymize, "PERSON", "Ana").unwrap(),
            "<PERSON_1>"
        );
        let h1 = s.apply(&Operator::Hash, "EMAIL_ADDRESS", "a@b.io").unwrap();
        let h2 = s.apply(&Operator::Hash, "EMAIL_ADDRESS", "a@b.io").unwrap();
        assert_eq!(h1, h2);
        assert!(h1.starts_with("<EMAIL_ADDRESS:") && h1.len() == "<EMAIL_ADDRESS:>".len() + 32);
        let mut other = Session::new("t", VaultKey::from_bytes(&[8u8; 32]).unwrap());
        assert_ne!(
            other
                .apply(&Operator::Hash, "EMAIL_ADDRESS", "a@b.io")
                .unwrap(),
            h1
        );
    }

    #[test]
    fn generalization() {
        assert_eq!(generalize("DATE_TIME", "12/03/1985"), "1985");
        assert_eq!(generalize("DATE_TIME", "March 3, 2001"), "2001");
        assert_eq!(generalize("AGE", "34"), "30-39");
        assert_eq!(generalize("AGE", "93"), "90+");
        assert_eq!(generalize("ZIP_CODE", "94105-1234"), "941XX");
        assert_eq!(generalize("IP_ADDRESS", "10.1.2.3"), "10.1.2.0/24");
        assert_eq!(generalize("PERSON", "Ana"), "<PERSON>");
    }

    #[test]
    fn noise_needs_budget_and_refuses_when_spent() {
        let op = Operator::Noise {
            epsilon: 0.5,
            sensitivity: 1.0,
        };
        let mut s = Session::ephemeral();
        assert!(s.apply(&op, "AGE", "34").is_err());
        let budget = Arc::new(PrivacyBudget::new(1.0));
        let mut s = Session::ephemeral().with_budget("agent", budget.clone());
        let v = s.apply(&op, "AGE", "34").unwrap();
        assert!(v.parse::<f64>().is_ok());
        s.apply(&op, "AGE", "35").unwrap_err(); // 2 × effective epsilon > 1.0
        assert!(matches!(
            s.apply(&op, "AGE", "36"),
            Err(PrivacyError::BudgetExhausted { .. })
        ));
    }
}
