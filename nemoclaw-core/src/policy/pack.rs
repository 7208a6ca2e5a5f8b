//! Policy packs: a directory of `.cedar` files, an optional `pack.json`
//! manifest (name, default decision, host allow-list), an optional
//! `classes.toml` (name classes, see [`ClassTable`](super::ClassTable)) and
//! the Cedar schema.
//! The shipped packs are compiled into the library.

use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::classes::CLASSES_FILE;
use super::decision::Decision;
use super::error::PolicyError;

/// The schema every pack is validated against unless a pack ships its own.
pub const BUILTIN_SCHEMA: &str = include_str!("../../policies/nemoclaw.cedarschema");

/// Names of the packs compiled into the library.
pub const BUILTIN_PACKS: &[&str] = &["coding-agent", "read-only", "ops"];

macro_rules! pack_files {
    ($dir:literal: $($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../../policies/", $dir, "/", $file)))),*]
    };
}

type EmbeddedFiles = &'static [(&'static str, &'static str)];

fn builtin_files(name: &str) -> Option<EmbeddedFiles> {
    Some(match name {
        "coding-agent" => {
            pack_files!("coding-agent": "pack.json", "classes.toml", "baseline.cedar", "files.cedar", "network.cedar", "exec.cedar", "tools.cedar")
        }
        "read-only" => pack_files!("read-only": "pack.json", "baseline.cedar", "read-only.cedar"),
        "ops" => pack_files!("ops": "pack.json", "baseline.cedar", "ops.cedar"),
        _ => return None,
    })
}

/// One source file of a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Where it came from, as shown in diagnostics (`policies/x.cedar` or
    /// `builtin:coding-agent/x.cedar`).
    pub name: String,
    /// Its text.
    pub text: String,
}

/// The manifest of a pack (`pack.json`). Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackManifest {
    /// Pack name (defaults to the directory name).
    #[serde(default)]
    pub name: String,
    /// One line about what the pack is for.
    #[serde(default)]
    pub description: String,
    /// Decision when no policy matches an action: `deny` (default) or `escalate`.
    #[serde(default = "default_decision")]
    pub default: Decision,
    /// Host patterns (`pypi.org`, `*.github.com`, `host:port`) that make
    /// `Host.allowlisted` / `Url.allowlisted` true.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
}

fn default_decision() -> Decision {
    Decision::Deny
}

impl PackManifest {
    fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            description: String::new(),
            default: Decision::Deny,
            allowed_hosts: Vec::new(),
        }
    }
}

/// The uncompiled text of a pack: manifest, schema and policy files.
#[derive(Debug, Clone)]
pub struct PackSource {
    /// Where the pack came from (`builtin:NAME` or a directory).
    pub origin: String,
    /// The manifest.
    pub manifest: PackManifest,
    /// The manifest text (empty when the pack has none); part of the hash.
    pub manifest_text: String,
    /// The Cedar schema.
    pub schema: SourceFile,
    /// The `.cedar` files, sorted by name.
    pub policies: Vec<SourceFile>,
    /// The class table (`classes.toml`), when the pack has one.
    pub classes: Option<SourceFile>,
}

impl PackSource {
    /// A pack by builtin name, or a directory when `spec` names one.
    pub fn load(spec: &str) -> Result<Self, PolicyError> {
        let path = Path::new(spec);
        if path.is_dir() {
            Self::from_dir(path)
        } else {
            Self::builtin(spec)
        }
    }

    /// One of the packs compiled into the library ([`BUILTIN_PACKS`]).
    pub fn builtin(name: &str) -> Result<Self, PolicyError> {
        let files =
            builtin_files(name).ok_or_else(|| PolicyError::PackNotFound(name.to_owned()))?;
        let mut manifest_text = String::new();
        let mut policies = Vec::new();
        let mut classes = None;
        for (file, text) in files {
            if *file == "pack.json" {
                manifest_text = (*text).to_owned();
            } else if *file == CLASSES_FILE {
                classes = Some(SourceFile {
                    name: format!("builtin:{name}/{file}"),
                    text: (*text).to_owned(),
                });
            } else {
                policies.push(SourceFile {
                    name: format!("builtin:{name}/{file}"),
                    text: (*text).to_owned(),
                });
            }
        }
        policies.sort_by(|a, b| a.name.cmp(&b.name));
        let manifest = parse_manifest(&manifest_text, &format!("builtin:{name}/pack.json"), name)?;
        Ok(Self {
            origin: format!("builtin:{name}"),
            manifest,
            manifest_text,
            schema: SourceFile {
                name: "builtin:nemoclaw.cedarschema".to_owned(),
                text: BUILTIN_SCHEMA.to_owned(),
            },
            policies,
            classes,
        })
    }

    /// A directory of `.cedar` files with an optional `pack.json`, an
    /// optional `classes.toml` and an optional `*.cedarschema` (else the parent directory's
    /// `nemoclaw.cedarschema`, else the builtin schema).
    pub fn from_dir(dir: &Path) -> Result<Self, PolicyError> {
        let io = |path: &Path, e: std::io::Error| PolicyError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        let dir_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "policies".to_owned());
        let mut policies = Vec::new();
        let mut schema = None;
        let mut manifest_text = String::new();
        let mut manifest_name = String::new();
        let mut classes = None;
        for path in &paths {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let file_name = path.file_name().and_then(|n| n.to_str());
            let is_manifest = file_name == Some("pack.json");
            let is_classes = file_name == Some(CLASSES_FILE);
            if ext != "cedar" && ext != "cedarschema" && !is_manifest && !is_classes {
                continue;
            }
            let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
            let name = path.display().to_string();
            if is_classes {
                classes = Some(SourceFile { name, text });
            } else if is_manifest {
                manifest_text = text;
                manifest_name = name;
            } else if ext == "cedarschema" {
                schema = Some(SourceFile { name, text });
            } else {
                policies.push(SourceFile { name, text });
            }
        }
        if policies.is_empty() {
            return Err(PolicyError::PackNotFound(dir.display().to_string()));
        }
        let schema = match schema {
            Some(s) => s,
            None => {
                let parent = dir.parent().map(|p| p.join("nemoclaw.cedarschema"));
                match parent.filter(|p| p.is_file()) {
                    Some(p) => SourceFile {
                        text: std::fs::read_to_string(&p).map_err(|e| io(&p, e))?,
                        name: p.display().to_string(),
                    },
                    None => SourceFile {
                        name: "builtin:nemoclaw.cedarschema".to_owned(),
                        text: BUILTIN_SCHEMA.to_owned(),
                    },
                }
            }
        };
        let manifest = if manifest_text.is_empty() {
            PackManifest::named(&dir_name)
        } else {
            parse_manifest(&manifest_text, &manifest_name, &dir_name)?
        };
        Ok(Self {
            origin: dir.display().to_string(),
            manifest,
            manifest_text,
            schema,
            policies,
            classes,
        })
    }

    /// SHA-256 over the schema, the manifest, every policy file (name
    /// and text, length-prefixed) and the class table when there is one: the
    /// policy-set hash named in verdicts and audit records.
    pub fn hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"nemoclaw-policy-set-v1");
        let mut put = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        put(self.schema.text.as_bytes());
        put(self.manifest_text.as_bytes());
        for f in &self.policies {
            let base = f.name.rsplit(['/', '\\']).next().unwrap_or(&f.name);
            put(base.as_bytes());
            put(f.text.as_bytes());
        }
        if let Some(c) = &self.classes {
            put(CLASSES_FILE.as_bytes());
            put(c.text.as_bytes());
        }
        h.finalize().into()
    }
}

fn parse_manifest(
    text: &str,
    file: &str,
    fallback_name: &str,
) -> Result<PackManifest, PolicyError> {
    let mut m: PackManifest = serde_json::from_str(text).map_err(|e| PolicyError::Manifest {
        path: file.to_owned(),
        reason: e.to_string(),
    })?;
    if m.name.is_empty() {
        fallback_name.clone_into(&mut m.name);
    }
    if m.default == Decision::Allow {
        return Err(PolicyError::Manifest {
            path: file.to_owned(),
            reason: "`default` must be `deny` or `escalate`".to_owned(),
        });
    }
    for h in &m.allowed_hosts {
        if super::scope::HostPattern::parse(h).is_none() {
            return Err(PolicyError::Manifest {
                path: file.to_owned(),
                reason: format!("malformed host pattern `{h}`"),
            });
        }
    }
    Ok(m)
}
