//! Secrets: provider key formats, PEM private keys, JWTs, connection strings,
//! URLs and database URLs carrying passwords, and generic `password=` /
//! `secret:` assignments whose value passes an entropy check.

use regex::Regex;

use super::validators;
use super::Detector;
use crate::privacy::span::labels;
use crate::privacy::{PrivacyError, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Accept every match as is.
    None,
    /// Decode the header of a JWT.
    Jwt,
    /// URL with `user:password@`: label by scheme.
    CredentialUrl,
    /// `key = value` assignment: keep the value if it passes the entropy check.
    Assignment,
    /// Only the last capture group is the secret.
    LastGroup,
}

struct SecretRule {
    name: &'static str,
    label: &'static str,
    score: f32,
    check: Check,
    pattern: &'static str,
}

const RULES: &[SecretRule] = &[
    SecretRule {
        name: "pem-private-key",
        label: labels::PRIVATE_KEY,
        score: 1.0,
        check: Check::None,
        pattern: r"-----BEGIN[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-----(?s:.)*?-----END[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-----",
    },
    SecretRule {
        name: "aws-access-key-id",
        label: labels::API_KEY,
        score: 0.95,
        check: Check::None,
        pattern: r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}(?-u:\b)",
    },
    SecretRule {
        name: "aws-secret-access-key",
        label: labels::SECRET,
        score: 0.95,
        check: Check::LastGroup,
        pattern: r#"(?i)aws[A-Za-z0-9_\-]{0,20}?(?:secret|sk)[A-Za-z0-9_\-]{0,20}?["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?-u:\b)"#,
    },
    SecretRule {
        name: "github-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})(?-u:\b)",
    },
    SecretRule {
        name: "gitlab-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)(?:glpat|gldt|glrt|glptt|glsoat)-[A-Za-z0-9_\-]{20,}",
    },
    SecretRule {
        name: "slack-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)xox[abposre]-[A-Za-z0-9\-]{10,}",
    },
    SecretRule {
        name: "slack-webhook",
        label: labels::SECRET,
        score: 0.99,
        check: Check::None,
        pattern: r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_\-]{20,}",
    },
    SecretRule {
        name: "stripe-key",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}(?-u:\b)|(?-u:\b)whsec_[A-Za-z0-9]{24,}(?-u:\b)",
    },
    SecretRule {
        name: "google-api-key",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)AIza[0-9A-Za-z_\-]{35}",
    },
    SecretRule {
        name: "google-service-account-key-id",
        label: labels::SECRET,
        score: 0.95,
        check: Check::LastGroup,
        pattern: r#""private_key_id"\s*:\s*"([0-9a-f]{40})""#,
    },
    SecretRule {
        name: "anthropic-key",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)sk-ant-(?:api|admin|oat)[0-9]{2}-[A-Za-z0-9_\-]{20,}",
    },
    SecretRule {
        name: "openai-key",
        label: labels::API_KEY,
        score: 0.95,
        check: Check::None,
        pattern: r"(?-u:\b)sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}(?-u:\b)",
    },
    SecretRule {
        name: "huggingface-token",
        label: labels::API_KEY,
        score: 0.95,
        check: Check::None,
        pattern: r"(?-u:\b)hf_[A-Za-z0-9]{34,}(?-u:\b)",
    },
    SecretRule {
        name: "npm-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
    },
    SecretRule {
        name: "pypi-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",
    },
    SecretRule {
        name: "sendgrid-key",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?-u:\b)",
    },
    SecretRule {
        name: "twilio-key",
        label: labels::API_KEY,
        score: 0.8,
        check: Check::None,
        pattern: r"(?-u:\b)SK[0-9a-f]{32}(?-u:\b)",
    },
    SecretRule {
        name: "shopify-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?-u:\b)",
    },
    SecretRule {
        name: "digitalocean-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)do[pro]_v1_[a-f0-9]{64}(?-u:\b)",
    },
    SecretRule {
        name: "mailgun-key",
        label: labels::API_KEY,
        score: 0.9,
        check: Check::None,
        pattern: r"(?-u:\b)key-[0-9a-zA-Z]{32}(?-u:\b)",
    },
    SecretRule {
        name: "azure-storage-connection-string",
        label: labels::SECRET,
        score: 0.99,
        check: Check::None,
        pattern: r"DefaultEndpointsProtocol=https?;AccountName=[A-Za-z0-9\-]+;AccountKey=[A-Za-z0-9+/=]{20,}(?:;EndpointSuffix=[A-Za-z0-9.\-]+)?",
    },
    SecretRule {
        name: "azure-sas-connection-string",
        label: labels::SECRET,
        score: 0.99,
        check: Check::None,
        pattern: r#"(?:Endpoint=sb://[^;\s]+;)?SharedAccessKeyName=[^;\s]+;SharedAccessKey=[A-Za-z0-9+/=]{20,}(?:;EntityPath=[^;\s"']+)?"#,
    },
    SecretRule {
        name: "azure-account-key",
        label: labels::SECRET,
        score: 0.9,
        check: Check::LastGroup,
        pattern: r"(?:AccountKey|SharedAccessKey|sig)=([A-Za-z0-9+/=%]{40,})",
    },
    SecretRule {
        name: "jwt",
        label: labels::JWT,
        score: 0.95,
        check: Check::Jwt,
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,}",
    },
    SecretRule {
        name: "credential-url",
        label: labels::URL,
        score: 0.95,
        check: Check::CredentialUrl,
        pattern: r#"(?i)(?-u:\b)[a-z][a-z0-9+.\-]+://[^\s:/@"'<>]+:[^\s@/"'<>]+@[^\s/"'<>?#]+[^\s"'<>]*"#,
    },
    SecretRule {
        name: "assignment",
        label: labels::SECRET,
        score: 0.8,
        check: Check::Assignment,
        pattern: r#"((?i-u:[a-z0-9_.\-]*(?:password|passwd|pwd|passphrase|secret|token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|auth[_\-]?key|credentials?)[a-z0-9_\-]*))["']?\s*(?:=>|:=|[:=])\s*(["']?)([^\s"'`,;{}()<>\[\]]{6,})"#,
    },
];

const DB_SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "mongodb+srv",
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "mssql",
    "sqlserver",
    "oracle",
    "jdbc",
    "clickhouse",
    "cockroachdb",
    "couchdb",
    "neo4j",
    "cassandra",
    "memcached",
    "ldap",
    "ldaps",
];

const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "password",
    "secret",
    "example",
    "redacted",
    "xxxxxx",
    "******",
    "required",
    "optional",
    "string",
    "undefined",
    "null",
    "none",
    "true",
    "false",
    "your_password",
    "yourpassword",
    "<password>",
    "placeholder",
    "dummy",
    "notasecret",
];

/// The secrets detector (`detector: "secret"`).
#[derive(Debug)]
pub struct SecretDetector {
    rules: Vec<(usize, Regex)>,
}

impl std::fmt::Debug for SecretRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl SecretDetector {
    /// Compile the built-in secret rules.
    pub fn new() -> Result<Self, PrivacyError> {
        let rules = RULES
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Regex::new(r.pattern)
                    .map(|re| (i, re))
                    .map_err(|e| PrivacyError::Config(format!("secret rule `{}`: {e}", r.name)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { rules })
    }

    /// Names of the built-in rules (provider formats and generic checks).
    pub fn rule_names() -> impl Iterator<Item = &'static str> {
        RULES.iter().map(|r| r.name)
    }
}

impl Detector for SecretDetector {
    fn name(&self) -> &'static str {
        "secret"
    }

    fn detect(&self, text: &str, out: &mut Vec<Span>) -> Result<(), PrivacyError> {
        for (i, re) in &self.rules {
            let Some(rule) = RULES.get(*i) else {
                continue;
            };
            match rule.check {
                Check::None => {
                    for m in re.find_iter(text) {
                        out.push(Span::new(
                            m.start(),
                            m.end(),
                            rule.label,
                            rule.score,
                            "secret",
                        ));
                    }
                }
                Check::Jwt => {
                    for m in re.find_iter(text) {
                        if validators::jwt_header_ok(m.as_str()) {
                            out.push(Span::new(
                                m.start(),
                                m.end(),
                                rule.label,
                                rule.score,
                                "secret",
                            ));
                        }
                    }
                }
                Check::LastGroup => {
                    for c in re.captures_iter(text) {
                        if let Some(g) = c.iter().flatten().last() {
                            out.push(Span::new(
                                g.start(),
                                g.end(),
                                rule.label,
                                rule.score,
                                "secret",
                            ));
                        }
                    }
                }
                Check::CredentialUrl => {
                    for m in re.find_iter(text) {
                        let t = m.as_str();
                        let scheme = t.split("://").next().unwrap_or("").to_ascii_lowercase();
                        let password = t
                            .split("://")
                            .nth(1)
                            .and_then(|r| r.split('@').next())
                            .and_then(|r| r.split(':').nth(1))
                            .unwrap_or("");
                        if password.is_empty()
                            || password.starts_with('$')
                            || password.starts_with('{')
                        {
                            continue;
                        }
                        // Trailing punctuation belongs to the sentence.
                        let trimmed = t.trim_end_matches(['.', ',', ')', ';', ']', '!']);
                        let end = m.start() + trimmed.len();
                        let label = if DB_SCHEMES
                            .iter()
                            .any(|s| scheme == *s || scheme.starts_with("jdbc"))
                        {
                            labels::SECRET
                        } else {
                            labels::URL
                        };
                        out.push(Span::new(m.start(), end, label, rule.score, "secret"));
                    }
                }
                Check::Assignment => assignments(re, text, out),
            }
        }
        Ok(())
    }

    fn labels(&self) -> &[&'static str] {
        &[
            labels::SECRET,
            labels::API_KEY,
            labels::PRIVATE_KEY,
            labels::JWT,
            labels::URL,
        ]
    }
}

fn assignments(re: &Regex, text: &str, out: &mut Vec<Span>) {
    for c in re.captures_iter(text) {
        let (Some(key), Some(quote), Some(val)) = (c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        let key_l = key.as_str().to_ascii_lowercase();
        let v = val.as_str();
        let v_l = v.to_ascii_lowercase();
        // Placeholders, references and code are not secrets.
        if v.starts_with(['$', '%', '<', '*', '#', '&', '@'])
            || v.ends_with(['.', ':'])
            || PLACEHOLDERS
                .iter()
                .any(|p| v_l == *p || v_l.starts_with("your_") || v_l.starts_with("xxx"))
            || v_l.starts_with("process.env")
            || v_l.starts_with("os.environ")
            || v_l.starts_with("env.")
            || v_l.starts_with("self.")
            || v_l.starts_with("config.")
            || v_l.starts_with("settings.")
            || v.bytes().all(|b| b == v.as_bytes()[0])
        {
            continue;
        }
        let identifier_path = v.contains('.')
            && v.split('.').all(|p| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
            && v.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
        let followed_by_call = text
            .get(val.end()..)
            .is_some_and(|r| r.starts_with(['(', '[', '.']));
        if (identifier_path && quote.as_str().is_empty()) || followed_by_call {
            continue;
        }
        let h = validators::entropy(v);
        let password_key = ["password", "passwd", "pwd", "passphrase"]
            .iter()
            .any(|k| key_l.contains(k));
        let score = if password_key {
            if !quote.as_str().is_empty() || h >= 2.5 {
                0.85
            } else if v.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
                && !v.bytes().any(|b| b.is_ascii_uppercase())
            {
                // A bare lowercase word is more likely a variable name.
                0.35
            } else {
                0.7
            }
        } else if h >= 3.0 && v.len() >= 12 && v.bytes().any(|b| b.is_ascii_digit()) {
            0.8
        } else {
            continue;
        };
        out.push(Span::new(
            val.start(),
            val.end(),
            labels::SECRET,
            score,
            "secret",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Vec<(String, String)> {
        let d = SecretDetector::new().unwrap();
        let mut out = Vec::new();
        d.detect(text, &mut out).unwrap();
        let out = crate::privacy::span::merge(out.into_iter().filter(|s| s.score >= 0.5).collect());
        out.iter()
            .map(|s| (s.label.to_string(), text[s.start..s.end].to_string()))
            .collect()
    }

    #[test]
    fn provider_keys() {
        let cases = [
            ("AKIAIOSFODNN7EXAMPLE", "API_KEY"),
            ("ghp_0123456789abcdefghijABCDEFGHIJ012345", "API_KEY"),
            ("glpat-abcdefghij0123456789", "API_KEY"),
            (
                "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
                "API_KEY",
            ),
            ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "API_KEY"),
            ("AIzaSyA1234567890abcdefghijklmnopqrstuv", "API_KEY"),
            ("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", "API_KEY"),
            (
                "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789",
                "API_KEY",
            ),
            ("npm_abcdefghijklmnopqrstuvwxyz0123456789", "API_KEY"),
        ];
        for (key, label) in cases {
            let text = format!("use {key} here");
            assert_eq!(
                find(&text),
                vec![(label.to_string(), key.to_string())],
                "{key}"
            );
        }
    }

    #[test]
    fn aws_secret_pem_jwt() {
        let t = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
        assert!(find(t)
            .iter()
            .any(|(_, v)| v == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        let pem = "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\ny";
        assert!(find(pem).iter().any(|(l, v)| l == "PRIVATE_KEY"
            && v.starts_with("-----BEGIN")
            && v.ends_with("KEY-----")));
        let jwt = "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert!(find(jwt).iter().any(|(l, _)| l == "JWT"));
    }

    #[test]
    fn urls_with_passwords() {
        let f = find("DATABASE_URL=postgres://app:s3cr3tPw@db.internal:5432/app");
        assert!(
            f.iter()
                .any(|(l, v)| l == "SECRET" && v == "postgres://app:s3cr3tPw@db.internal:5432/app"),
            "{f:?}"
        );
        let f = find("see https://bob:hunter22@example.com/x.");
        assert!(
            f.iter()
                .any(|(l, v)| l == "URL" && v == "https://bob:hunter22@example.com/x"),
            "{f:?}"
        );
        assert!(find("see https://example.com/x").is_empty());
    }

    #[test]
    fn assignments_with_entropy() {
        assert!(find("password = \"Tr0ub4dor&3\"")
            .iter()
            .any(|(_, v)| v == "Tr0ub4dor&3"));
        assert!(find("api_token: 8f3kZ9qL2xW7mN4pR6tY")
            .iter()
            .any(|(_, v)| v == "8f3kZ9qL2xW7mN4pR6tY"));
        assert!(find("token = get_token()").is_empty());
        assert!(find("password = os.environ.get('PW')").is_empty());
        assert!(find("secret: ${SECRET}").is_empty());
        assert!(find("token: aaaaaaaaaaaaaaaa").is_empty());
    }
}
