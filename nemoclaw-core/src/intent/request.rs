//! Requests and their dispatch: shell text, argv, tool calls (with the MCP
//! `tools/call` shape), HTTP requests and file operations.

use super::action::{ActionAttrs, Intent, Resource, Span, Verb};
use super::error::IntentError;
use super::host;
use super::shell::{Frame, Stream, Walker, Word};
use super::ParseContext;
use serde::{Deserialize, Serialize};

/// What an agent wants to do.
///
/// Serialized externally tagged: `{"shell": "ls"}`, `{"argv": ["ls", "-l"]}`,
/// `{"tool_call": {"name": "read_file", "args": {...}}}`,
/// `{"http": {"method": "GET", "url": "...", "headers": [], "body": null}}`,
/// `{"file_op": {"op": "delete", "path": "x"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Request {
    /// Shell text (bash / POSIX sh).
    Shell(String),
    /// An argv vector executed without a shell.
    Argv(Vec<String>),
    /// An agent tool call: name and JSON arguments.
    ToolCall {
        /// Tool name.
        name: String,
        /// Arguments.
        #[serde(default)]
        args: serde_json::Value,
    },
    /// An HTTP request.
    Http {
        /// Method (`GET`, `POST`, ...).
        method: String,
        /// Absolute URL.
        url: String,
        /// Header name/value pairs.
        #[serde(default)]
        headers: Vec<(String, String)>,
        /// Body, if any.
        #[serde(default)]
        body: Option<String>,
    },
    /// A direct file operation.
    FileOp {
        /// The operation.
        op: FileOpKind,
        /// The path acted on.
        path: String,
        /// Destination for copy/move/link.
        #[serde(default)]
        to: Option<String>,
        /// Applies to a whole tree.
        #[serde(default)]
        recursive: bool,
    },
}

/// Kinds of direct file operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileOpKind {
    /// Read a file.
    Read,
    /// List a directory.
    List,
    /// Create or overwrite a file.
    Write,
    /// Append to a file.
    Append,
    /// Create a directory.
    Mkdir,
    /// Remove.
    Delete,
    /// Move or rename (`to` required).
    Move,
    /// Copy (`to` required).
    Copy,
    /// Change permissions.
    Chmod,
    /// Change owner.
    Chown,
    /// Execute.
    Execute,
}

impl FileOpKind {
    /// Parse an operation name (`read`, `write`, `delete`, `rm`, `mv`, ...).
    pub fn from_name(s: &str) -> Result<FileOpKind, IntentError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "read" | "open" | "cat" | "get" | "stat" => FileOpKind::Read,
            "list" | "ls" | "readdir" | "glob" => FileOpKind::List,
            "write" | "create" | "put" | "save" | "edit" | "overwrite" | "truncate" => {
                FileOpKind::Write
            }
            "append" => FileOpKind::Append,
            "mkdir" | "create_dir" => FileOpKind::Mkdir,
            "delete" | "remove" | "rm" | "unlink" | "rmdir" => FileOpKind::Delete,
            "move" | "mv" | "rename" => FileOpKind::Move,
            "copy" | "cp" => FileOpKind::Copy,
            "chmod" => FileOpKind::Chmod,
            "chown" => FileOpKind::Chown,
            "exec" | "execute" | "run" => FileOpKind::Execute,
            _ => return Err(IntentError::UnknownFileOp(s.to_string())),
        })
    }
}

impl Request {
    /// Build a tool call from an MCP `tools/call` JSON-RPC request
    /// (`{"method": "tools/call", "params": {"name", "arguments"}}`), or from
    /// its `params` object alone.
    pub fn from_mcp(v: &serde_json::Value) -> Result<Request, IntentError> {
        let short = || {
            let s = v.to_string();
            let mut end = s.len().min(80);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s[..end].to_string()
        };
        let params = match v.get("method").and_then(|m| m.as_str()) {
            Some("tools/call") => v
                .get("params")
                .ok_or_else(|| IntentError::NotToolCall(short()))?,
            Some(_) => return Err(IntentError::NotToolCall(short())),
            None => v,
        };
        let name = params
            .get("name")
            .and_then(|n| n.as_str())
            .ok_or_else(|| IntentError::NotToolCall(short()))?;
        let args = params
            .get("arguments")
            .cloned()
            .unwrap_or(serde_json::Value::Object(Default::default()));
        Ok(Request::ToolCall {
            name: name.to_string(),
            args,
        })
    }

    /// A tool call.
    pub fn tool_call(name: impl Into<String>, args: serde_json::Value) -> Request {
        Request::ToolCall {
            name: name.into(),
            args,
        }
    }
}

/// The size of a request's own text, from which its work budget is granted.
fn request_len(req: &Request) -> usize {
    fn json_len(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::String(s) => s.len(),
            serde_json::Value::Array(items) => items.iter().map(json_len).sum(),
            serde_json::Value::Object(m) => m.iter().map(|(k, v)| k.len() + json_len(v)).sum(),
            _ => 8,
        }
    }
    match req {
        Request::Shell(src) => src.len(),
        Request::Argv(argv) => argv.iter().map(|a| a.len() + 1).sum(),
        Request::ToolCall { name, args } => name.len() + json_len(args),
        Request::Http { url, body, .. } => url.len() + body.as_ref().map_or(0, String::len),
        Request::FileOp { path, to, .. } => path.len() + to.as_ref().map_or(0, String::len),
    }
}

pub(crate) fn parse(req: &Request, ctx: &ParseContext) -> Intent {
    parse_with(req, ctx, false)
}

/// [`parse`], optionally with the tree-sitter front end only.
pub(crate) fn parse_with(req: &Request, ctx: &ParseContext, tree_sitter_only: bool) -> Intent {
    let mut w = Walker::new(ctx);
    w.tree_sitter_only = tree_sitter_only;
    // one work budget for the whole request, proportional to its own size
    w.grant(request_len(req).min(ctx.max_input_bytes));
    let f = Frame::default();
    match req {
        Request::Shell(src) => {
            if src.len() > ctx.max_input_bytes {
                w.overflow = true;
                let cut = floor_boundary(src, ctx.max_input_bytes);
                w.shell(&src[..cut], &f);
            } else {
                w.shell(src, &f);
            }
        }
        Request::Argv(argv) => {
            let total: usize = argv.iter().map(|a| a.len()).sum();
            if total > ctx.max_input_bytes {
                w.overflow = true;
            } else {
                let words: Vec<Word> = argv.iter().map(|a| lit(a)).collect();
                let span = Span {
                    start: 0,
                    end: total + argv.len().saturating_sub(1),
                };
                let _ = w.argv(&words, &f, span, Stream::Unknown, 0);
            }
        }
        Request::ToolCall { name, args } => tool_call(&mut w, name, args, ctx),
        Request::Http {
            method,
            url,
            headers,
            body,
        } => {
            let span = Span {
                start: 0,
                end: url.len(),
            };
            let res = host::url_resource(url).unwrap_or(Resource::Unknown { text: url.clone() });
            let mut tech = Vec::new();
            if let Resource::Url {
                class: super::action::HostClass::Metadata,
                ..
            } = &res
            {
                tech.push("T1552.005".to_string());
            }
            let _ = headers;
            let upload = !matches!(
                method.to_ascii_uppercase().as_str(),
                "GET" | "HEAD" | "OPTIONS"
            ) && body.as_ref().is_some_and(|b| !b.is_empty());
            if upload && tech.is_empty() {
                tech.push("T1041".to_string());
            }
            w.push(&f, span, Verb::Connect, res, ActionAttrs::default(), &tech);
        }
        Request::FileOp {
            op,
            path,
            to,
            recursive,
        } => {
            let span = Span {
                start: 0,
                end: path.len(),
            };
            let attrs = ActionAttrs {
                recursive: *recursive,
                ..Default::default()
            };
            let p = |s: &str| Resource::Path {
                path: super::path::normalize(s, &ctx.cwd, &ctx.home),
                glob: super::path::has_glob(s),
            };
            let verbs: Vec<(Verb, Resource)> = match op {
                FileOpKind::Read | FileOpKind::List => vec![(Verb::Read, p(path))],
                FileOpKind::Write | FileOpKind::Append | FileOpKind::Mkdir => {
                    vec![(Verb::Write, p(path))]
                }
                FileOpKind::Delete => vec![(Verb::Delete, p(path))],
                FileOpKind::Move => {
                    let mut v = vec![(Verb::Delete, p(path))];
                    v.push((
                        Verb::Write,
                        to.as_deref().map_or(
                            Resource::Unknown {
                                text: String::new(),
                            },
                            p,
                        ),
                    ));
                    v
                }
                FileOpKind::Copy => vec![
                    (Verb::Read, p(path)),
                    (
                        Verb::Write,
                        to.as_deref().map_or(
                            Resource::Unknown {
                                text: String::new(),
                            },
                            p,
                        ),
                    ),
                ],
                FileOpKind::Chmod => vec![(Verb::Chmod, p(path))],
                FileOpKind::Chown => vec![(Verb::Chown, p(path))],
                FileOpKind::Execute => vec![(Verb::Exec, p(path))],
            };
            for (v, r) in verbs {
                w.push(&f, span, v, r, attrs.clone(), &[]);
            }
        }
    }
    Intent {
        actions: w.actions,
        overflow: w.overflow,
    }
}

fn floor_boundary(s: &str, mut n: usize) -> usize {
    n = n.min(s.len());
    while n > 0 && !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

fn lit(s: &str) -> Word {
    Word {
        text: s.to_string(),
        resolved: true,
        glob: false,
        obfuscated: false,
        download: None,
    }
}

const SHELL_KEYS: &[&str] = &[
    "command",
    "cmd",
    "script",
    "shell",
    "commandline",
    "command_line",
    "bash",
    "code_shell",
];
const PATH_KEYS: &[&str] = &[
    "path",
    "file",
    "file_path",
    "filepath",
    "filename",
    "target_file",
    "target",
    "directory",
    "dir",
    "dirpath",
    "source",
    "src",
    "destination",
    "dest",
    "dst",
    "to",
    "from",
    "old_path",
    "new_path",
    "notebook_path",
    "cwd",
];
const URL_KEYS: &[&str] = &["url", "uri", "endpoint", "href", "link", "website"];
const CODE_KEYS: &[&str] = &["code", "python", "source_code", "program"];

fn tool_call(w: &mut Walker<'_>, name: &str, args: &serde_json::Value, ctx: &ParseContext) {
    let f = Frame::default();
    let span = Span {
        start: 0,
        end: name.len(),
    };
    w.push(
        &f,
        span,
        Verb::CallTool,
        Resource::Tool {
            name: name.to_string(),
        },
        ActionAttrs::default(),
        &[],
    );
    let lname = name.to_ascii_lowercase();
    let lname = lname
        .rsplit(['.', '/', ':'])
        .next()
        .unwrap_or(&lname)
        .to_string();
    let writes = [
        "write",
        "create",
        "edit",
        "save",
        "append",
        "replace",
        "patch",
        "update",
        "put",
        "insert",
        "upload",
        "mkdir",
        "touch",
        "str_replace",
    ]
    .iter()
    .any(|k| lname.contains(k));
    let deletes = ["delete", "remove", "unlink", "rmdir", "rm_"]
        .iter()
        .any(|k| lname.contains(k))
        || lname == "rm";
    let moves = ["move", "rename"].iter().any(|k| lname.contains(k));
    let Some(obj) = args.as_object() else {
        if let Some(s) = args.as_str() {
            if lname.contains("bash")
                || lname.contains("shell")
                || lname.contains("exec")
                || lname.contains("terminal")
                || lname.contains("command")
            {
                w.shell(
                    s,
                    &Frame {
                        span: Some(span),
                        ..Frame::default()
                    },
                );
            }
        }
        return;
    };
    let mut handled: Vec<&str> = Vec::new();
    for k in SHELL_KEYS {
        if let Some(v) = obj.get(*k) {
            handled.push(k);
            match v {
                serde_json::Value::String(s) => {
                    w.shell(
                        s,
                        &Frame {
                            span: Some(span),
                            depth: 1,
                            ..Frame::default()
                        },
                    );
                }
                serde_json::Value::Array(items) => {
                    let words: Vec<Word> = items
                        .iter()
                        .map(|x| {
                            lit(x
                                .as_str()
                                .map_or_else(|| x.to_string(), str::to_string)
                                .as_str())
                        })
                        .collect();
                    let _ = w.argv(&words, &f, span, Stream::Unknown, 1);
                }
                _ => {}
            }
        }
    }
    if let Some(serde_json::Value::Array(items)) = obj.get("argv").or_else(|| obj.get("args")) {
        if items.iter().all(|x| x.is_string())
            && (lname.contains("exec")
                || lname.contains("run")
                || lname.contains("spawn")
                || lname.contains("process"))
        {
            let words: Vec<Word> = items.iter().filter_map(|x| x.as_str()).map(lit).collect();
            let _ = w.argv(&words, &f, span, Stream::Unknown, 1);
        }
    }
    for k in CODE_KEYS {
        if let Some(serde_json::Value::String(code)) = obj.get(*k) {
            if lname.contains("python")
                || lname.contains("code")
                || lname.contains("exec")
                || lname.contains("eval")
                || lname.contains("run")
                || lname.contains("notebook")
                || lname.contains("jupyter")
            {
                handled.push(k);
                let lang = obj
                    .get("language")
                    .and_then(|l| l.as_str())
                    .unwrap_or("python")
                    .to_ascii_lowercase();
                let lang = match lang.as_str() {
                    "javascript" | "js" | "typescript" | "ts" | "node" => "node",
                    "bash" | "sh" | "shell" | "zsh" => "sh",
                    "ruby" => "ruby",
                    "perl" => "perl",
                    "php" => "php",
                    _ => "python",
                };
                if lang == "sh" {
                    w.shell(
                        code,
                        &Frame {
                            span: Some(span),
                            depth: 1,
                            ..Frame::default()
                        },
                    );
                } else {
                    let words = vec![
                        lit(match lang {
                            "node" => "node",
                            "ruby" => "ruby",
                            "perl" => "perl",
                            "php" => "php",
                            _ => "python3",
                        }),
                        lit(if lang == "php" {
                            "-r"
                        } else if lang == "python" {
                            "-c"
                        } else {
                            "-e"
                        }),
                        lit(code),
                    ];
                    let _ = w.argv(&words, &f, span, Stream::Unknown, 1);
                }
            }
        }
    }
    let mut path_vals: Vec<(&str, String)> = Vec::new();
    for k in PATH_KEYS {
        if let Some(serde_json::Value::String(p)) = obj.get(*k) {
            handled.push(k);
            path_vals.push((k, p.clone()));
        }
    }
    if let Some(serde_json::Value::Array(items)) = obj.get("paths").or_else(|| obj.get("files")) {
        handled.push("paths");
        for it in items {
            if let Some(s) = it.as_str() {
                path_vals.push(("path", s.to_string()));
            }
        }
    }
    for (k, p) in &path_vals {
        if p.is_empty() || p.contains("://") {
            continue;
        }
        let res = Resource::Path {
            path: super::path::normalize(p, &ctx.cwd, &ctx.home),
            glob: super::path::has_glob(p),
        };
        let is_dest = matches!(*k, "destination" | "dest" | "dst" | "to" | "new_path");
        let is_src = matches!(*k, "source" | "src" | "from" | "old_path");
        let verb = if *k == "cwd" || *k == "directory" && !writes {
            Verb::Read
        } else if deletes && !is_dest {
            Verb::Delete
        } else if moves {
            if is_dest {
                Verb::Write
            } else {
                Verb::Delete
            }
        } else if is_dest || (writes && !is_src) {
            Verb::Write
        } else {
            Verb::Read
        };
        w.push(&f, span, verb, res, ActionAttrs::default(), &[]);
    }
    for k in URL_KEYS {
        if let Some(serde_json::Value::String(u)) = obj.get(*k) {
            handled.push(k);
            if let Some(r) = host::url_resource(u) {
                let mut tech = Vec::new();
                if let Resource::Url {
                    class: super::action::HostClass::Metadata,
                    ..
                } = &r
                {
                    tech.push("T1552.005".to_string());
                }
                w.push(&f, span, Verb::Connect, r, ActionAttrs::default(), &tech);
            }
        }
    }
    if let (Some(h), port) = (
        obj.get("host")
            .or_else(|| obj.get("hostname"))
            .and_then(|h| h.as_str()),
        obj.get("port").and_then(|p| p.as_u64()),
    ) {
        handled.push("host");
        let r = host::host_resource(h, port.and_then(|p| u16::try_from(p).ok()));
        w.push(&f, span, Verb::Connect, r, ActionAttrs::default(), &[]);
    }
    // any other string argument that is a URL is a connection
    let mut budget = 10_000usize;
    for (k, v) in obj {
        if handled.contains(&k.as_str()) {
            continue;
        }
        scan_value(w, v, &f, span, &mut budget, 0);
    }
}

fn scan_value(
    w: &mut Walker<'_>,
    v: &serde_json::Value,
    f: &Frame,
    span: Span,
    budget: &mut usize,
    depth: usize,
) {
    if *budget == 0 || depth > 32 {
        w.overflow = true;
        return;
    }
    *budget -= 1;
    match v {
        serde_json::Value::String(s) => {
            let t = s.trim();
            if host::is_url(t) && !t.contains(char::is_whitespace) {
                if let Some(r) = host::url_resource(t) {
                    w.push(f, span, Verb::Connect, r, ActionAttrs::default(), &[]);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for it in items {
                scan_value(w, it, f, span, budget, depth + 1);
            }
        }
        serde_json::Value::Object(m) => {
            for (_, it) in m {
                scan_value(w, it, f, span, budget, depth + 1);
            }
        }
        _ => {}
    }
}
