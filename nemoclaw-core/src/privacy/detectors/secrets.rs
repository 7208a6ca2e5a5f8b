//! Secrets: provider key formats, PEM private keys, JWTs, connection strings,
//! URLs and database URLs carrying passwords, and generic `password=` /
//! `secret:` assignments whose value passes an entropy check.
//!
//! **One pass over the text.** Every match of every rule contains one of
//! the rule's anchor literals (`ghp_`, `-----BEGIN`, `://`, `password`,
//! ...). One Aho-Corasick automaton finds all anchors (overlapping, ASCII
//! case folded; anchors of case-sensitive rules are then compared exactly),
//! and each rule is tried only where its anchors are, as an anchored search
//! at the one position where a match must start ([`Start`]). Taking a
//! rule's anchors in text order and skipping those inside its previous
//! match gives exactly the matches of a whole-text `find_iter`.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};

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

/// Where a match starts, relative to an anchor found at `p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// At the anchor: the pattern begins with it.
    Anchor,
    /// `scheme://`: at a word boundary inside the run of scheme bytes
    /// (`[A-Za-z0-9+.-]`) that ends at the anchor `://`.
    Scheme,
    /// `key = value`: at the start of the run of identifier bytes
    /// (`[A-Za-z0-9_.-]`) holding the anchor. The key's leading class takes
    /// every byte of that run, so a match starting anywhere in the run
    /// implies one starting at its beginning.
    Ident,
}

struct SecretRule {
    name: &'static str,
    label: &'static str,
    score: f32,
    check: Check,
    pattern: &'static str,
    /// Every match contains one of these. For case-sensitive patterns they
    /// are compared exactly; for `Start::Scheme`/`Start::Ident` rules and
    /// rules marked `fold`, ASCII case folded.
    anchors: &'static [&'static str],
    /// Whether the anchors are matched with ASCII case folding.
    fold: bool,
    start: Start,
}

const RULES: &[SecretRule] = &[
    SecretRule {
        name: "pem-private-key",
        label: labels::PRIVATE_KEY,
        score: 1.0,
        check: Check::None,
        pattern: r"-----BEGIN[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-----(?s:.)*?-----END[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-----",
        anchors: &["-----BEGIN"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "aws-access-key-id",
        label: labels::API_KEY,
        score: 0.95,
        check: Check::None,
        pattern: r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}(?-u:\b)",
        anchors: &[
            "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA",
        ],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "aws-secret-access-key",
        label: labels::SECRET,
        score: 0.95,
        check: Check::LastGroup,
        pattern: r#"(?i-u:aws[A-Za-z0-9_\-]{0,20}?(?:secret|sk)[A-Za-z0-9_\-]{0,20}?)["']?\s*[:=]\s*["']?((?i-u:[A-Za-z0-9/+]{40}))(?-u:\b)"#,
        anchors: &["aws"],
        fold: true,
        start: Start::Anchor,
    },
    SecretRule {
        name: "github-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})(?-u:\b)",
        anchors: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "gitlab-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)(?:glpat|gldt|glrt|glptt|glsoat)-[A-Za-z0-9_\-]{20,}",
        anchors: &["glpat-", "gldt-", "glrt-", "glptt-", "glsoat-"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "slack-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)xox[abposre]-[A-Za-z0-9\-]{10,}",
        anchors: &["xox"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "slack-webhook",
        label: labels::SECRET,
        score: 0.99,
        check: Check::None,
        pattern: r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_\-]{20,}",
        anchors: &["https://hooks.slack.com/"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "stripe-key",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}(?-u:\b)|(?-u:\b)whsec_[A-Za-z0-9]{24,}(?-u:\b)",
        anchors: &["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "google-api-key",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)AIza[0-9A-Za-z_\-]{35}",
        anchors: &["AIza"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "google-service-account-key-id",
        label: labels::SECRET,
        score: 0.95,
        check: Check::LastGroup,
        pattern: r#""private_key_id"\s*:\s*"([0-9a-f]{40})""#,
        anchors: &["\"private_key_id\""],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "anthropic-key",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)sk-ant-(?:api|admin|oat)[0-9]{2}-[A-Za-z0-9_\-]{20,}",
        anchors: &["sk-ant-"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "openai-key",
        label: labels::API_KEY,
        score: 0.95,
        check: Check::None,
        pattern: r"(?-u:\b)sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}(?-u:\b)",
        anchors: &["sk-"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "huggingface-token",
        label: labels::API_KEY,
        score: 0.95,
        check: Check::None,
        pattern: r"(?-u:\b)hf_[A-Za-z0-9]{34,}(?-u:\b)",
        anchors: &["hf_"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "npm-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
        anchors: &["npm_"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "pypi-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",
        anchors: &["pypi-AgEIcHlwaS5vcmc"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "sendgrid-key",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?-u:\b)",
        anchors: &["SG."],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "twilio-key",
        label: labels::API_KEY,
        score: 0.8,
        check: Check::None,
        pattern: r"(?-u:\b)SK[0-9a-f]{32}(?-u:\b)",
        anchors: &["SK"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "shopify-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?-u:\b)",
        anchors: &["shpat_", "shpca_", "shppa_", "shpss_"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "digitalocean-token",
        label: labels::API_KEY,
        score: 0.99,
        check: Check::None,
        pattern: r"(?-u:\b)do[pro]_v1_[a-f0-9]{64}(?-u:\b)",
        anchors: &["dop_v1_", "dor_v1_", "doo_v1_"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "mailgun-key",
        label: labels::API_KEY,
        score: 0.9,
        check: Check::None,
        pattern: r"(?-u:\b)key-[0-9a-zA-Z]{32}(?-u:\b)",
        anchors: &["key-"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "azure-storage-connection-string",
        label: labels::SECRET,
        score: 0.99,
        check: Check::None,
        pattern: r"DefaultEndpointsProtocol=https?;AccountName=[A-Za-z0-9\-]+;AccountKey=[A-Za-z0-9+/=]{20,}(?:;EndpointSuffix=[A-Za-z0-9.\-]+)?",
        anchors: &["DefaultEndpointsProtocol="],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "azure-sas-connection-string",
        label: labels::SECRET,
        score: 0.99,
        check: Check::None,
        pattern: r#"(?:Endpoint=sb://[^;\s]+;)?SharedAccessKeyName=[^;\s]+;SharedAccessKey=[A-Za-z0-9+/=]{20,}(?:;EntityPath=[^;\s"']+)?"#,
        anchors: &["Endpoint=sb://", "SharedAccessKeyName="],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "azure-account-key",
        label: labels::SECRET,
        score: 0.9,
        check: Check::LastGroup,
        pattern: r"(?:AccountKey|SharedAccessKey|sig)=([A-Za-z0-9+/=%]{40,})",
        anchors: &["AccountKey=", "SharedAccessKey=", "sig="],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "jwt",
        label: labels::JWT,
        score: 0.95,
        check: Check::Jwt,
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,}",
        anchors: &["eyJ"],
        fold: false,
        start: Start::Anchor,
    },
    SecretRule {
        name: "credential-url",
        label: labels::URL,
        score: 0.95,
        check: Check::CredentialUrl,
        pattern: r#"(?-u:\b)(?i-u:[a-z][a-z0-9+.\-]+)://[^\s:/@"'<>]+:[^\s@/"'<>]+@[^\s/"'<>?#]+[^\s"'<>]*"#,
        anchors: &["://"],
        fold: false,
        start: Start::Scheme,
    },
    SecretRule {
        name: "assignment",
        label: labels::SECRET,
        score: 0.8,
        check: Check::Assignment,
        pattern: r#"((?i-u:[a-z0-9_.\-]*(?:password|passwd|pwd|passphrase|secret|token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|auth[_\-]?key|credentials?)[a-z0-9_\-]*))["']?\s*(?:=>|:=|[:=])\s*(["']?)([^\s"'`,;{}()<>\[\]]{6,})"#,
        anchors: &["pass", "pwd", "secret", "token", "key", "credential"],
        fold: true,
        start: Start::Ident,
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
    /// One compiled pattern per entry of [`RULES`], same order.
    rules: Vec<Regex>,
    /// Every anchor of every rule.
    anchors: AhoCorasick,
    /// Per anchor pattern id: its rule, and the anchor when it must match
    /// exactly (case-sensitive rules).
    anchor_rule: Vec<(usize, Option<&'static str>)>,
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
            .map(|r| {
                Regex::new(r.pattern)
                    .map_err(|e| PrivacyError::Config(format!("secret rule `{}`: {e}", r.name)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut patterns: Vec<&str> = Vec::new();
        let mut anchor_rule = Vec::new();
        for (i, r) in RULES.iter().enumerate() {
            for a in r.anchors {
                patterns.push(a);
                anchor_rule.push((i, (!r.fold).then_some(*a)));
            }
        }
        let anchors = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| PrivacyError::Config(format!("secret anchors: {e}")))?;
        Ok(Self {
            rules,
            anchors,
            anchor_rule,
        })
    }

    /// Names of the built-in rules (provider formats and generic checks).
    pub fn rule_names() -> impl Iterator<Item = &'static str> {
        RULES.iter().map(|r| r.name)
    }

    /// Every rule's matches in `text`, as `(rule index, captures)`, ordered
    /// by rule and then by position: the same matches, in the same order, as
    /// each rule's own whole-text `captures_iter`.
    fn matches(&self, text: &str) -> Vec<(usize, Captures)> {
        let b = text.as_bytes();
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for m in self.anchors.find_overlapping_iter(text) {
            let Some(&(rule, exact)) = self.anchor_rule.get(m.pattern().as_usize()) else {
                continue;
            };
            if exact.is_some_and(|a| b.get(m.start()..m.end()) != Some(a.as_bytes())) {
                continue;
            }
            hits.push((m.start(), rule));
        }
        // Overlapping matches come by end position: put them in text order.
        hits.sort_unstable();
        hits.dedup();
        // Per rule: the end of its last match and the last start tried.
        let mut last_end = vec![0usize; RULES.len()];
        let mut tried = vec![usize::MAX; RULES.len()];
        let mut found: Vec<(usize, Captures)> = Vec::new();
        for (p, rule) in hits {
            let (Some(r), Some(re), Some(&end)) =
                (RULES.get(rule), self.rules.get(rule), last_end.get(rule))
            else {
                continue;
            };
            if p < end {
                continue;
            }
            let caps = match r.start {
                Start::Anchor => try_at(re, text, p, &mut tried[rule]),
                Start::Ident => {
                    let run = b
                        .get(..p)
                        .map_or(0, |x| x.iter().rev().take_while(|c| is_ident(**c)).count());
                    try_at(re, text, (p - run).max(end), &mut tried[rule])
                }
                Start::Scheme => {
                    let run = b
                        .get(..p)
                        .map_or(0, |x| x.iter().rev().take_while(|c| is_scheme(**c)).count());
                    // A match starts with a letter at a word boundary; try
                    // those positions left to right (the leftmost wins).
                    ((p - run).max(end)..p)
                        .filter(|&q| {
                            b.get(q).is_some_and(u8::is_ascii_alphabetic)
                                && !q
                                    .checked_sub(1)
                                    .and_then(|x| b.get(x))
                                    .is_some_and(|c| is_word(*c))
                        })
                        .find_map(|q| try_at(re, text, q, &mut tried[rule]))
                }
            };
            if let Some(c) = caps {
                if let (Some(e), Some(x)) = (c.get_match().map(|m| m.end()), last_end.get_mut(rule))
                {
                    *x = e;
                }
                found.push((rule, c));
            }
        }
        found.sort_by_key(|(rule, _)| *rule);
        found
    }
}

/// An anchored search for `re` at `at` (once per position: `tried` holds the
/// last position tried for this rule).
fn try_at(re: &Regex, text: &str, at: usize, tried: &mut usize) -> Option<Captures> {
    if *tried == at || at > text.len() {
        return None;
    }
    *tried = at;
    let input = Input::new(text).range(at..).anchored(Anchored::Yes);
    let mut caps = re.create_captures();
    re.search_captures(&input, &mut caps);
    caps.is_match().then_some(caps)
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

fn is_scheme(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl Detector for SecretDetector {
    fn name(&self) -> &'static str {
        "secret"
    }

    fn detect(&self, text: &str, out: &mut Vec<Span>) -> Result<(), PrivacyError> {
        for (i, c) in self.matches(text) {
            let (Some(rule), Some(m)) = (RULES.get(i), c.get_match()) else {
                continue;
            };
            let (start, end) = (m.start(), m.end());
            let Some(t) = text.get(start..end) else {
                continue;
            };
            match rule.check {
                Check::None => {
                    out.push(Span::new(start, end, rule.label, rule.score, "secret"));
                }
                Check::Jwt => {
                    if validators::jwt_header_ok(t) {
                        out.push(Span::new(start, end, rule.label, rule.score, "secret"));
                    }
                }
                Check::LastGroup => {
                    if let Some(g) = (0..c.group_len()).rev().find_map(|g| c.get_group(g)) {
                        out.push(Span::new(g.start, g.end, rule.label, rule.score, "secret"));
                    }
                }
                Check::CredentialUrl => {
                    let scheme = t.split("://").next().unwrap_or("").to_ascii_lowercase();
                    let password = t
                        .split("://")
                        .nth(1)
                        .and_then(|r| r.split('@').next())
                        .and_then(|r| r.split(':').nth(1))
                        .unwrap_or("");
                    if password.is_empty() || password.starts_with('$') || password.starts_with('{')
                    {
                        continue;
                    }
                    // Trailing punctuation belongs to the sentence.
                    let trimmed = t.trim_end_matches(['.', ',', ')', ';', ']', '!']);
                    let end = start + trimmed.len();
                    let label = if DB_SCHEMES
                        .iter()
                        .any(|s| scheme == *s || scheme.starts_with("jdbc"))
                    {
                        labels::SECRET
                    } else {
                        labels::URL
                    };
                    out.push(Span::new(start, end, label, rule.score, "secret"));
                }
                Check::Assignment => assignment(text, &c, out),
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

fn assignment(text: &str, c: &Captures, out: &mut Vec<Span>) {
    let group = |i| {
        c.get_group(i)
            .and_then(|g| text.get(g.start..g.end).map(|t| (g, t)))
    };
    let (Some((_, key)), Some((_, quote)), Some((val, v))) = (group(1), group(2), group(3)) else {
        return;
    };
    let key_l = key.to_ascii_lowercase();
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
        || v.bytes().all(|b| Some(&b) == v.as_bytes().first())
    {
        return;
    }
    let identifier_path = v.contains('.')
        && v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        && v.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    let followed_by_call = text
        .get(val.end..)
        .is_some_and(|r| r.starts_with(['(', '[', '.']));
    if (identifier_path && quote.is_empty()) || followed_by_call {
        return;
    }
    let h = validators::entropy(v);
    let password_key = ["password", "passwd", "pwd", "passphrase"]
        .iter()
        .any(|k| key_l.contains(k));
    let score = if password_key {
        if !quote.is_empty() || h >= 2.5 {
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
        return;
    };
    out.push(Span::new(
        val.start,
        val.end,
        labels::SECRET,
        score,
        "secret",
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Vec<(String, String)> {
        super::super::find_with(&SecretDetector::new().unwrap(), text)
    }

    /// Each capture group's byte range, if it took part.
    type Groups = Vec<Option<(usize, usize)>>;

    #[test]
    fn anchored_search_finds_what_whole_text_scans_find() {
        let d = SecretDetector::new().unwrap();
        let mut texts = super::super::eval_texts();
        texts.extend(
            [
                "passkey=abc123def456ghi x.y-password.z: 'Secret123!' my_api-key := Zx9q8w7e6r5t4y",
                "Endpoint=sb://a.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=abcdefghijklmnopqrstuvwxyz0123456789ABCD=",
                "_http://u:p@h x+postgres.ssl://app:pw@db/x a://b:c@d",
                "sk-ant-api03-abcdefghijklmnopqrstuvwxyz sk-abcdefghijklmnopqrstuvwx SKabcdef0123456789abcdef0123456789",
                "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY tokentoken=aaaa",
            ]
            .map(str::to_string),
        );
        for t in &texts {
            let got: Vec<(usize, Groups)> = d
                .matches(t)
                .iter()
                .map(|(r, c)| {
                    let groups = (0..c.group_len())
                        .map(|g| c.get_group(g).map(|s| (s.start, s.end)))
                        .collect();
                    (*r, groups)
                })
                .collect();
            let mut want = Vec::new();
            for (r, re) in d.rules.iter().enumerate() {
                for c in re.captures_iter(t.as_str()) {
                    let groups = (0..c.group_len())
                        .map(|g| c.get_group(g).map(|s| (s.start, s.end)))
                        .collect();
                    want.push((r, groups));
                }
            }
            assert_eq!(got, want, "{t}");
        }
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
