//! Shell text to actions: a tree-sitter-bash syntax tree is walked, words are
//! evaluated with constant propagation, and every command is interpreted
//! through the knowledge base (`kb`), recursing into nested shell text.
//!
//! Simple commands of constant words (the common case) are first offered to
//! a hand-written front end (`fast`), which takes the whole text or nothing;
//! both front ends hand each command to the same [`Walker::simple_command`].

use super::action::{Action, ActionAttrs, Resource, Span, Verb};
use super::decode;
use super::host;
use super::inline;
use super::kb::{self, Kind, Spec};
use super::path;
use super::sensitive;
use super::ParseContext;
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tree_sitter::Node;

mod fast;

/// Longest value kept for a shell variable; longer values are unresolved
/// (stops `a=$a$a` doubling from growing memory without bound).
const MAX_VAR_LEN: usize = 8 * 1024;
/// Work allowed for one request, shared by every parse and walk it causes
/// (nested `sh -c`, `eval`, decoded payloads, function calls, inline code,
/// write-then-run), so nesting cannot multiply it. The deterministic limits
/// (parser operations, node visits) are proportional to the request's own
/// input; the wall-clock cap is only a backstop.
///
/// tree-sitter operations per input byte, and a base for short input.
const PARSE_OPS_PER_BYTE: usize = 64;
const PARSE_OPS_BASE: usize = 200_000;
/// tree-sitter calls the progress callback about once per this many operations.
const OPS_PER_TICK: usize = 100;
/// Syntax-tree node visits per input byte, and a base for short input.
const VISITS_PER_BYTE: usize = 16;
const VISITS_BASE: usize = 50_000;
/// Wall-clock backstop: a base plus per KiB of input.
const WALL_MILLIS_BASE: u64 = 1_000;
const WALL_MILLIS_PER_KIB: u64 = 2;
/// Most syntax-tree levels walked (deeper input is reported as overflow).
const MAX_SYNTAX_DEPTH: usize = 200;

thread_local! {
    static PARSER: RefCell<Option<tree_sitter::Parser>> = const { RefCell::new(None) };
}

/// Parse shell text into a tree-sitter tree (the parser is reused per
/// thread), spending from `ticks` (progress callbacks, each about
/// [`OPS_PER_TICK`] parser operations). `None` when the parse was cancelled
/// (budget or deadline spent) or failed.
fn parse_tree(src: &str, ticks: &mut usize, deadline: Instant) -> Option<tree_sitter::Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&tree_sitter_bash::LANGUAGE.into()).ok()?;
            *slot = Some(p);
        }
        let p = slot.as_mut()?;
        // Bound tree-sitter's own work: its GLR error recovery can go
        // super-linear on crafted input (found by cargo-fuzz). The callback
        // runs every ~100 parser operations; returning true cancels the
        // parse, and the caller reports overflow (fail closed).
        let mut progress = |_: &tree_sitter::ParseState| {
            if *ticks == 0 {
                return true;
            }
            *ticks -= 1;
            Instant::now() > deadline
        };
        let opts = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        let bytes = src.as_bytes();
        let len = bytes.len();
        let tree = p.parse_with_options(
            &mut |i, _| if i < len { &bytes[i..] } else { &[] },
            None,
            Some(opts),
        );
        if tree.is_none() {
            // a cancelled parse would otherwise be resumed by the next one
            p.reset();
        }
        tree
    })
}

/// What a command's standard input or output is, as far as it is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stream {
    /// Nothing known.
    Unknown,
    /// Nothing (terminal, /dev/null).
    None,
    /// Text known statically; `obfuscated` when it came out of decoding.
    Text { text: String, obfuscated: bool },
    /// Content downloaded from a URL (or other remote source).
    Download(Resource),
}

/// One evaluated shell word.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    pub text: String,
    pub resolved: bool,
    pub glob: bool,
    pub obfuscated: bool,
    /// Holds a command substitution that downloads (`$(curl ...)`).
    pub download: Option<Resource>,
}

impl Word {
    fn lit(text: &str) -> Word {
        Word {
            text: text.to_string(),
            resolved: true,
            glob: false,
            obfuscated: false,
            download: None,
        }
    }
}

/// A word as a front end hands it to the command logic: a syntax-tree node,
/// evaluated when the logic reaches it (so substitutions inside run in the
/// walker's order), or a literal the fast front end has already evaluated.
pub(crate) enum WordSrc<'t> {
    Node(Node<'t>),
    Lit(Word),
}

/// A variable assignment (`NAME=value`, `NAME+=value`).
pub(crate) struct Assign<'t> {
    pub name: String,
    pub value: Option<WordSrc<'t>>,
    pub append: bool,
    pub span: Span,
}

/// A file redirection (`> f`, `2>>f`, `< f`, `&> f`, `2>&1`).
pub(crate) struct FileRedirect<'t> {
    /// The operator tokens (`>`, `>>`, `>&`, `&>`, `<`, ...), without the descriptor.
    pub op: String,
    pub dest: Option<WordSrc<'t>>,
    pub span: Span,
}

/// A redirection written inside a command.
pub(crate) enum CmdRedirect<'t> {
    File(FileRedirect<'t>),
    /// `<<< word` (only the tree-sitter front end produces these).
    HereString(Node<'t>),
}

/// One simple command, as both front ends hand it to [`Walker::simple_command`]:
/// its words already evaluated, its assignments and redirections still to do.
pub(crate) struct SimpleCommand<'t> {
    pub words: Vec<Word>,
    pub assigns: Vec<Assign<'t>>,
    pub redirects: Vec<CmdRedirect<'t>>,
    pub span: Span,
}

/// Inherited context of nested shell text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Frame {
    /// Nesting depth of shell text (sh -c, eval, ssh, decoded payloads).
    pub depth: usize,
    /// Span of the outermost text this came from (nested or decoded text).
    pub span: Option<Span>,
    /// Offset of this text in the original input (when it is a slice of it).
    pub base: usize,
    pub remote: Option<String>,
    pub via_sudo: bool,
    pub obfuscated: bool,
    pub pipe_to_shell: bool,
}

/// The walker's state across one request.
#[derive(Debug)]
pub(crate) struct Walker<'c> {
    ctx: &'c ParseContext,
    pub actions: Vec<Action>,
    pub overflow: bool,
    vars: HashMap<String, Option<String>>,
    /// Function bodies defined in this input, run again at each call.
    functions: HashMap<String, String>,
    /// Variables whose value came out of decoding.
    obf_vars: std::collections::HashSet<String>,
    cwd: String,
    /// Files written by a download in this input (write-then-execute).
    downloaded: Vec<(String, Resource)>,
    /// Remaining node visits (bounds work on hostile input).
    budget: usize,
    /// Remaining tree-sitter progress ticks, shared by every parse of this request.
    parse_ticks: usize,
    /// Wall-clock backstop for the whole request.
    deadline: Instant,
    /// When the deadline was set, and the input it was granted for.
    started: Instant,
    granted: usize,
    /// A download written to stdout inside the statement being walked.
    stdout_download: Option<Resource>,
    /// Symbolic links created in this input: (link, target).
    links: Vec<(String, String)>,
    /// Guard while an action is repeated on a link's target.
    via_link: bool,
    /// Files written in this input with statically known text (write-then-run).
    written: Vec<(String, String, bool)>,
    /// The path of the last output redirection handled.
    last_output_path: Option<String>,
    /// Skip the fast front end (differential tests and benches).
    pub tree_sitter_only: bool,
}

fn span_of(n: Node, f: &Frame) -> Span {
    match f.span {
        Some(s) => s,
        None => Span {
            start: f.base + n.start_byte(),
            end: f.base + n.end_byte(),
        },
    }
}

fn text<'s>(n: Node, src: &'s str) -> &'s str {
    src.get(n.start_byte()..n.end_byte()).unwrap_or("")
}

fn assign_of<'t>(n: Node<'t>, src: &str, f: &Frame) -> Option<Assign<'t>> {
    let name = text(n.child_by_field_name("name")?, src).to_string();
    let append = text(n, src)
        .get(name.len()..)
        .is_some_and(|s| s.starts_with("+="));
    Some(Assign {
        name,
        value: n.child_by_field_name("value").map(WordSrc::Node),
        append,
        span: span_of(n, f),
    })
}

fn file_redirect_of<'t>(n: Node<'t>, src: &str, f: &Frame) -> FileRedirect<'t> {
    let mut op = String::new();
    let mut c = n.walk();
    for ch in n.children(&mut c) {
        if !ch.is_named() {
            op.push_str(text(ch, src));
        }
    }
    FileRedirect {
        op,
        dest: n.child_by_field_name("destination").map(WordSrc::Node),
        span: span_of(n, f),
    }
}

impl<'c> Walker<'c> {
    pub fn new(ctx: &'c ParseContext) -> Walker<'c> {
        Walker {
            ctx,
            actions: Vec::new(),
            overflow: false,
            vars: HashMap::new(),
            functions: HashMap::new(),
            obf_vars: std::collections::HashSet::new(),
            cwd: ctx.cwd.clone(),
            downloaded: Vec::new(),
            budget: VISITS_BASE,
            parse_ticks: PARSE_OPS_BASE / OPS_PER_TICK,
            deadline: Instant::now() + Duration::from_millis(WALL_MILLIS_BASE),
            started: Instant::now(),
            granted: 0,
            stdout_download: None,
            links: Vec::new(),
            via_link: false,
            written: Vec::new(),
            last_output_path: None,
            tree_sitter_only: false,
        }
    }

    // ------------------------------------------------------------------ output

    /// Add an action, applying the frame's inherited attributes and the
    /// sensitive-path rules (credentials, persistence, logs).
    /// A download-and-execute action: fetched content is run by a shell
    /// (ATT&CK T1105 ingress tool transfer + T1059.004 Unix shell).
    fn push_download_exec(
        &mut self,
        f: &Frame,
        span: Span,
        resource: Resource,
        attrs: &ActionAttrs,
    ) {
        let mut a = attrs.clone();
        a.pipe_to_shell = true;
        self.push(
            f,
            span,
            Verb::DownloadExec,
            resource,
            a,
            &["T1105".to_string(), "T1059.004".to_string()],
        );
    }

    pub fn push(
        &mut self,
        f: &Frame,
        span: Span,
        verb: Verb,
        resource: Resource,
        mut attrs: ActionAttrs,
        tech: &[String],
    ) {
        if self.actions.len() >= self.ctx.max_actions {
            self.overflow = true;
            return;
        }
        if attrs.remote.is_none() {
            attrs.remote.clone_from(&f.remote);
        }
        attrs.via_sudo |= f.via_sudo;
        attrs.obfuscated |= f.obfuscated;
        if let Resource::Host { host: h, .. } | Resource::Url { host: h, .. } = &resource {
            if !host::valid_name(h) {
                attrs.unresolved = true;
            }
        }
        attrs.pipe_to_shell |= f.pipe_to_shell;
        let span = f.span.unwrap_or(span);
        let mut extra = sensitive::derived(verb, &resource);
        if verb == Verb::Read && attrs.recursive {
            if let Resource::Path { path, .. } = &resource {
                if sensitive::holds_credentials(path, &self.ctx.home)
                    && !extra.iter().any(|(v, _)| *v == Verb::CredentialAccess)
                {
                    extra.push((Verb::CredentialAccess, "T1552.001"));
                }
            }
        }
        let mut techniques: Vec<String> = tech.to_vec();
        for (_, t) in &extra {
            if !techniques.iter().any(|x| x == t) && !t.is_empty() {
                techniques.push((*t).to_string());
            }
        }
        let base = Action {
            verb,
            resource: resource.clone(),
            attrs: attrs.clone(),
            techniques: techniques.clone(),
            span,
        };
        self.actions.push(base);
        for (v, t) in extra {
            if self.actions.len() >= self.ctx.max_actions {
                self.overflow = true;
                return;
            }
            if self
                .actions
                .iter()
                .any(|a| a.verb == v && a.resource == resource && a.span == span)
            {
                continue;
            }
            self.actions.push(Action {
                verb: v,
                resource: resource.clone(),
                attrs: attrs.clone(),
                techniques: if t.is_empty() {
                    Vec::new()
                } else {
                    vec![t.to_string()]
                },
                span,
            });
        }
        // acting on a link created earlier in this input acts on its target
        if let (Resource::Path { path, .. }, false) = (&resource, self.via_link) {
            if let Some((_, target)) = self.links.iter().rev().find(|(l, _)| l == path) {
                let target = Resource::Path {
                    path: target.clone(),
                    glob: false,
                };
                self.via_link = true;
                let fr = Frame {
                    span: Some(span),
                    ..f.clone()
                };
                self.push(&fr, span, verb, target, attrs, tech);
                self.via_link = false;
            }
        }
    }

    fn path_res(&self, raw: &str) -> Resource {
        Resource::Path {
            path: path::normalize(raw, &self.cwd, &self.ctx.home),
            glob: path::has_glob(raw),
        }
    }

    /// Grant the work budget for `bytes` of the request's own input (called
    /// once per request by the dispatcher, before anything is parsed).
    pub fn grant(&mut self, bytes: usize) {
        self.granted = self.granted.saturating_add(bytes);
        self.parse_ticks = self
            .parse_ticks
            .saturating_add(bytes.saturating_mul(PARSE_OPS_PER_BYTE) / OPS_PER_TICK);
        self.budget = self
            .budget
            .saturating_add(bytes.saturating_mul(VISITS_PER_BYTE));
        let kib = u64::try_from(self.granted / 1024).unwrap_or(u64::MAX);
        self.deadline = self.started
            + Duration::from_millis(
                WALL_MILLIS_BASE.saturating_add(kib.saturating_mul(WALL_MILLIS_PER_KIB)),
            );
    }

    fn spend(&mut self) -> bool {
        if self.budget == 0 {
            self.overflow = true;
            return false;
        }
        self.budget -= 1;
        // the wall-clock backstop, checked every 1024 visits
        if self.budget % 1024 == 0 && Instant::now() > self.deadline {
            self.budget = 0;
            self.parse_ticks = 0;
        }
        true
    }

    /// Text that could not be parsed within the budget (or at all): an
    /// unresolved `exec` of it, and its URL and path-like words as
    /// connections and reads, so that a cancelled parse never reads as
    /// "nothing happens here". Sets `overflow`, which policy escalates.
    fn unparsed(&mut self, src: &str, f: &Frame) {
        self.overflow = true;
        let span = f.span.unwrap_or(Span {
            start: f.base,
            end: f.base + src.len(),
        });
        let attrs = ActionAttrs {
            unresolved: true,
            ..Default::default()
        };
        self.push(
            f,
            span,
            Verb::Exec,
            Resource::Unknown {
                text: truncate(src, 200),
            },
            attrs,
            &[],
        );
        let words: Vec<Word> = src
            .split(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        ';' | '|' | '&' | '(' | ')' | '<' | '>' | '`' | '"' | '\''
                    )
            })
            .filter(|t| !t.is_empty())
            .take(1024)
            .map(Word::lit)
            .collect();
        self.unknown_args(&words, f, span);
    }

    // ------------------------------------------------------------------ entry

    /// Parse and walk shell text.
    pub fn shell(&mut self, src: &str, f: &Frame) {
        if f.depth > self.ctx.max_depth {
            self.overflow = true;
            return;
        }
        if src.len() > self.ctx.max_input_bytes {
            self.overflow = true;
            return;
        }
        // the common simple subset has a hand-written front end; everything
        // else (and everything it is unsure of) is parsed by tree-sitter
        if !self.tree_sitter_only && self.fast_shell(src, f) {
            return;
        }
        // tree-sitter-bash's external scanner crashes on some code points
        // beyond the Basic Multilingual Plane (e.g. `{` followed by
        // U+B69C0): those are replaced by ASCII of the same byte length
        // for parsing, and all text is still read from the original.
        let clean;
        // (code points beyond U+FFFF are exactly the 4-byte UTF-8 sequences)
        let parse_src = if src.bytes().any(|b| b >= 0xF0) {
            clean = src
                .chars()
                .map(|c| {
                    if c as u32 > 0xFFFF {
                        "\u{1}\u{1}\u{1}\u{1}".to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect::<String>();
            clean.as_str()
        } else {
            src
        };
        let Some(tree) = parse_tree(parse_src, &mut self.parse_ticks, self.deadline) else {
            self.parse_ticks = 0;
            self.unparsed(src, f);
            return;
        };
        let root = tree.root_node();
        self.node(root, src, f, 0);
    }

    /// Walk any node, dispatching on its kind.
    fn node(&mut self, n: Node, src: &str, f: &Frame, sd: usize) {
        if !self.spend() {
            return;
        }
        if sd > MAX_SYNTAX_DEPTH {
            self.overflow = true;
            return;
        }
        match n.kind() {
            "command" => {
                self.command(n, src, f, Stream::None, sd);
            }
            "pipeline" => self.pipeline(n, src, f, sd),
            "redirected_statement" => {
                self.redirected(n, src, f, Stream::None, sd);
            }
            "variable_assignment" => {
                if let Some(a) = assign_of(n, src, f) {
                    self.assignment(&a, src, f, sd, true);
                }
            }
            "variable_assignments" => {
                let mut c = n.walk();
                for ch in n.named_children(&mut c) {
                    if let Some(a) = assign_of(ch, src, f) {
                        self.assignment(&a, src, f, sd + 1, true);
                    }
                }
            }
            "declaration_command" => self.declaration(n, src, f, sd),
            "unset_command" => {
                let mut c = n.walk();
                let kids: Vec<Node> = n.named_children(&mut c).collect();
                for ch in kids {
                    let w = self.word(ch, src, f, sd + 1);
                    let name = w.text.clone();
                    if let Some((v, t)) = sensitive::env_action(&name) {
                        self.push(
                            f,
                            span_of(n, f),
                            v,
                            Resource::EnvVar { name: name.clone() },
                            ActionAttrs::default(),
                            &[t.to_string()],
                        );
                    }
                    self.vars.remove(&name);
                }
            }
            "function_definition" => {
                if let (Some(name), Some(body)) =
                    (n.child_by_field_name("name"), n.child_by_field_name("body"))
                {
                    if self.functions.len() < 256 {
                        self.functions
                            .insert(text(name, src).to_string(), text(body, src).to_string());
                    }
                }
                if let Some(body) = n.child_by_field_name("body") {
                    self.node(body, src, f, sd + 1);
                }
            }
            "for_statement" => {
                // `for x in a b c`: the body is walked once per known value
                // (up to 8), else once with the variable unresolved
                let body = n.child_by_field_name("body");
                let mut walked = false;
                if let Some(v) = n.child_by_field_name("variable") {
                    let name = text(v, src).to_string();
                    let mut c = n.walk();
                    let values: Vec<Node> = n.children_by_field_name("value", &mut c).collect();
                    let mut vals = Vec::new();
                    for val in values {
                        vals.push(self.word(val, src, f, sd + 1));
                    }
                    if !vals.is_empty() && vals.len() <= 8 && vals.iter().all(|w| w.resolved) {
                        for w in vals {
                            self.vars.insert(name.clone(), Some(w.text.clone()));
                            if w.obfuscated {
                                self.obf_vars.insert(name.clone());
                            }
                            if let Some(b) = body {
                                self.node(b, src, f, sd + 1);
                            }
                        }
                        walked = true;
                    } else {
                        self.vars.insert(name, None);
                    }
                }
                if let (Some(b), false) = (body, walked) {
                    self.node(b, src, f, sd + 1);
                }
            }
            "subshell" => {
                let saved = self.cwd.clone();
                self.children(n, src, f, sd);
                self.cwd = saved;
            }
            "command_substitution" | "process_substitution" => {
                self.children(n, src, f, sd);
            }
            "file_redirect" => {
                let r = file_redirect_of(n, src, f);
                let _ = self.redirect(&r, src, f, sd, true);
                let _ = self.redirect(&r, src, f, sd, false);
            }
            "heredoc_body" | "comment" | "heredoc_start" | "heredoc_end" | "heredoc_content" => {}
            "ERROR" => {
                // best effort: walk what tree-sitter recovered
                self.children(n, src, f, sd);
            }
            "word" | "string" | "raw_string" | "concatenation" | "simple_expansion"
            | "expansion" | "number" => {
                // a bare word at statement level (e.g. in test or case): evaluate for substitutions
                let _ = self.word(n, src, f, sd + 1);
            }
            _ => self.children(n, src, f, sd),
        }
    }

    fn children(&mut self, n: Node, src: &str, f: &Frame, sd: usize) {
        // iterate in place: no per-node Vec of children
        let mut c = n.walk();
        for ch in n.named_children(&mut c) {
            self.node(ch, src, f, sd + 1);
        }
    }

    // ------------------------------------------------------------------ assignments

    /// A variable assignment (shared by both front ends); `persist` is false
    /// for a prefix assignment, which applies to its command only.
    fn assignment(&mut self, a: &Assign, src: &str, f: &Frame, sd: usize, persist: bool) {
        let name = a.name.clone();
        let value = match &a.value {
            Some(v) => self.eval(v, src, f, sd + 1),
            None => Word::lit(""),
        };
        let append = a.append;
        if persist {
            let new = if value.resolved && value.text.len() <= MAX_VAR_LEN {
                if append {
                    match self.vars.get(&name) {
                        Some(Some(old)) if old.len() + value.text.len() <= MAX_VAR_LEN => {
                            Some(format!("{old}{}", value.text))
                        }
                        _ => None,
                    }
                } else {
                    Some(value.text.clone())
                }
            } else {
                None
            };
            if let Some(dl) = value.download.clone() {
                // x=$(curl ...) : the variable holds downloaded content
                self.vars
                    .insert(format!("\u{0}dl:{name}"), Some(resource_text(&dl)));
            }
            if value.obfuscated {
                self.obf_vars.insert(name.clone());
            } else {
                self.obf_vars.remove(&name);
            }
            self.vars.insert(name.clone(), new);
        }
        if let Some((v, t)) = sensitive::env_action(&name) {
            let attrs = ActionAttrs {
                obfuscated: value.obfuscated,
                ..Default::default()
            };
            self.push(
                f,
                a.span,
                v,
                Resource::EnvVar { name: name.clone() },
                attrs,
                &[t.to_string()],
            );
        }
    }

    fn declaration(&mut self, n: Node, src: &str, f: &Frame, sd: usize) {
        let mut c = n.walk();
        let kids: Vec<Node> = n.named_children(&mut c).collect();
        for ch in kids {
            match ch.kind() {
                "variable_assignment" => {
                    if let Some(a) = assign_of(ch, src, f) {
                        self.assignment(&a, src, f, sd + 1, true);
                    }
                }
                "variable_name" => {
                    let name = text(ch, src).to_string();
                    self.vars.entry(name).or_insert(None);
                }
                _ => {
                    let _ = self.word(ch, src, f, sd + 1);
                }
            }
        }
    }

    // ------------------------------------------------------------------ words

    /// Evaluate a word node: quotes removed, constants substituted, command
    /// substitutions walked (their actions recorded) and marked unresolved.
    pub(crate) fn word(&mut self, n: Node, src: &str, f: &Frame, sd: usize) -> Word {
        let mut w = Word {
            text: String::new(),
            resolved: true,
            glob: false,
            obfuscated: false,
            download: None,
        };
        self.word_into(n, src, f, sd, &mut w, false);
        if w.text.len() > MAX_VAR_LEN * 8 {
            w.text.truncate(MAX_VAR_LEN * 8);
            w.resolved = false;
        }
        w
    }

    /// Evaluate a word from either front end.
    pub(crate) fn eval(&mut self, w: &WordSrc, src: &str, f: &Frame, sd: usize) -> Word {
        match w {
            WordSrc::Node(n) => self.word(*n, src, f, sd),
            WordSrc::Lit(lit) => self.lit_word(lit, sd),
        }
    }

    /// A word the fast front end evaluated, spending one visit as a
    /// syntax-tree word would.
    fn lit_word(&mut self, lit: &Word, sd: usize) -> Word {
        if sd > MAX_SYNTAX_DEPTH || !self.spend() {
            self.overflow = true;
            return Word {
                resolved: false,
                ..Word::lit("")
            };
        }
        lit.clone()
    }

    fn word_into(&mut self, n: Node, src: &str, f: &Frame, sd: usize, w: &mut Word, quoted: bool) {
        if sd > MAX_SYNTAX_DEPTH || !self.spend() {
            self.overflow = true;
            w.resolved = false;
            return;
        }
        let raw = text(n, src);
        match n.kind() {
            "word" | "number" | "command_name" | "variable_name" | "file_descriptor" | "regex"
            | "extglob_pattern" => {
                if n.kind() == "command_name" {
                    let mut c = n.walk();
                    let kids: Vec<Node> = n.named_children(&mut c).collect();
                    if kids.is_empty() {
                        w.text.push_str(raw);
                    }
                    for k in kids {
                        self.word_into(k, src, f, sd + 1, w, quoted);
                    }
                    return;
                }
                if !quoted && path::has_glob(raw) {
                    w.glob = true;
                }
                let mut out = String::with_capacity(raw.len());
                let mut chars = raw.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' && !quoted {
                        match chars.next() {
                            Some('\n') | None => {}
                            Some(d) => out.push(d),
                        }
                    } else {
                        out.push(c);
                    }
                }
                if !quoted && (out == "~" || out.starts_with("~/")) && w.text.is_empty() {
                    out = format!("{}{}", self.ctx.home, &out[1..]);
                }
                w.text.push_str(&out);
            }
            "string" => {
                let mut c = n.walk();
                let kids: Vec<Node> = n.named_children(&mut c).collect();
                // string_content children hold the literal text; anonymous
                // quote tokens are skipped
                for k in kids {
                    if k.kind() == "string_content" {
                        let t = text(k, src);
                        let mut out = String::with_capacity(t.len());
                        let mut chars = t.chars().peekable();
                        while let Some(c) = chars.next() {
                            if c == '\\' {
                                match chars.peek() {
                                    Some('"') | Some('\\') | Some('$') | Some('`') => {
                                        if let Some(d) = chars.next() {
                                            out.push(d);
                                        }
                                    }
                                    Some('\n') => {
                                        chars.next();
                                    }
                                    _ => out.push(c),
                                }
                            } else {
                                out.push(c);
                            }
                        }
                        w.text.push_str(&out);
                    } else {
                        self.word_into(k, src, f, sd + 1, w, true);
                    }
                }
            }
            "raw_string" => {
                let inner = raw.strip_prefix('\'').unwrap_or(raw);
                let inner = inner.strip_suffix('\'').unwrap_or(inner);
                w.text.push_str(inner);
            }
            "ansi_c_string" => {
                let inner = raw.strip_prefix("$'").unwrap_or(raw);
                let inner = inner.strip_suffix('\'').unwrap_or(inner);
                let (decoded, obf) = decode::c_escapes(inner);
                w.obfuscated |= obf;
                w.text.push_str(&decoded);
            }
            "translated_string" => {
                let inner = raw.strip_prefix("$\"").unwrap_or(raw);
                let inner = inner.strip_suffix('"').unwrap_or(inner);
                w.text.push_str(inner);
            }
            "concatenation" => {
                let mut c = n.walk();
                let kids: Vec<Node> = n.children(&mut c).collect();
                for k in kids {
                    self.word_into(k, src, f, sd + 1, w, quoted);
                }
            }
            "simple_expansion" | "expansion" => self.expansion(n, src, f, sd, w),
            "command_substitution" => {
                // actions inside are recorded; the value is statically known
                // only for pure producer pipelines (echo | base64 -d ...)
                let out = self.substitution(n, src, f, sd);
                match out {
                    Stream::Text { text, obfuscated } => {
                        w.text.push_str(text.trim_end_matches('\n'));
                        w.obfuscated |= obfuscated;
                    }
                    Stream::Download(r) => {
                        w.resolved = false;
                        w.download = Some(r);
                        w.text.push_str(raw);
                    }
                    _ => {
                        w.resolved = false;
                        w.text.push_str(raw);
                    }
                }
            }
            "process_substitution" => {
                let out = self.substitution(n, src, f, sd);
                if let Stream::Download(r) = out {
                    w.download = Some(r);
                }
                w.resolved = false;
                w.text.push_str(raw);
            }
            "arithmetic_expansion" => {
                self.children(n, src, f, sd + 1);
                w.resolved = false;
                w.text.push_str(raw);
            }
            "brace_expression" => {
                w.glob = true;
                w.text.push_str(raw);
            }
            "$" | "\"" => {
                if n.kind() == "$" {
                    w.text.push('$');
                }
            }
            _ => {
                if n.is_named() {
                    let mut c = n.walk();
                    let kids: Vec<Node> = n.named_children(&mut c).collect();
                    if kids.is_empty() {
                        w.text.push_str(raw);
                    } else {
                        w.resolved = false;
                        for k in kids {
                            self.word_into(k, src, f, sd + 1, w, quoted);
                        }
                    }
                } else {
                    w.text.push_str(raw);
                }
            }
        }
    }

    fn expansion(&mut self, n: Node, src: &str, f: &Frame, sd: usize, w: &mut Word) {
        let raw = text(n, src);
        // find the variable name
        let mut name: Option<String> = None;
        let mut has_operator = false;
        let mut c = n.walk();
        let kids: Vec<Node> = n.children(&mut c).collect();
        let mut default_word: Option<Word> = None;
        for k in &kids {
            match k.kind() {
                "variable_name" | "special_variable_name" if name.is_none() => {
                    name = Some(text(*k, src).to_string())
                }
                "$" | "${" | "}" => {}
                _ => {
                    has_operator = true;
                    if k.is_named() {
                        // walk default values / substitutions inside
                        let dw = self.word(*k, src, f, sd + 1);
                        if default_word.is_none() {
                            default_word = Some(dw);
                        }
                    }
                }
            }
        }
        let Some(name) = name else {
            w.resolved = false;
            w.text.push_str(raw);
            return;
        };
        let value = match self.vars.get(&name) {
            Some(Some(v)) => Some(v.clone()),
            Some(None) => None,
            None => match name.as_str() {
                "HOME" => Some(self.ctx.home.clone()),
                "PWD" => Some(self.cwd.clone()),
                _ => None,
            },
        };
        if let Some(Some(dl)) = self.vars.get(&format!("\u{0}dl:{name}")) {
            w.download = host::url_resource(dl).or(Some(Resource::Unknown { text: dl.clone() }));
        }
        if self.obf_vars.contains(&name) {
            w.obfuscated = true;
        }
        let ops = raw.trim_start_matches("${").trim_start_matches('$');
        let simple_default =
            ops.starts_with(&format!("{name}:-")) || ops.starts_with(&format!("{name}-"));
        match (value, has_operator) {
            (Some(v), false) => w.text.push_str(&v),
            (Some(v), true) if simple_default => w.text.push_str(&v),
            (None, true) if simple_default => match default_word {
                Some(d) if d.resolved => w.text.push_str(&d.text),
                _ => {
                    w.resolved = false;
                    w.text.push_str(raw);
                }
            },
            _ => {
                w.resolved = false;
                w.text.push_str(raw);
            }
        }
    }

    /// Walk a command or process substitution; returns its static output.
    fn substitution(&mut self, n: Node, src: &str, f: &Frame, sd: usize) -> Stream {
        let mut c = n.walk();
        let kids: Vec<Node> = n.named_children(&mut c).collect();
        let saved = self.cwd.clone();
        let mut out = Stream::Unknown;
        if kids.len() == 1 {
            out = self.statement(kids[0], src, f, Stream::None, sd + 1);
        } else {
            for k in kids {
                self.node(k, src, f, sd + 1);
            }
        }
        self.cwd = saved;
        out
    }

    /// Walk one statement with a given stdin, returning what it writes to stdout.
    fn statement(&mut self, n: Node, src: &str, f: &Frame, stdin: Stream, sd: usize) -> Stream {
        if sd > MAX_SYNTAX_DEPTH {
            self.overflow = true;
            return Stream::Unknown;
        }
        match n.kind() {
            "command" => self.command(n, src, f, stdin, sd),
            "redirected_statement" => self.redirected(n, src, f, stdin, sd),
            "pipeline" => self.pipeline_stream(n, src, f, stdin, sd),
            _ => {
                // a subshell, group or list: its output is a download when
                // a downloader inside wrote to stdout
                let saved = self.stdout_download.take();
                self.node(n, src, f, sd + 1);
                let got = self.stdout_download.take();
                self.stdout_download = saved;
                match got {
                    Some(r) => Stream::Download(r),
                    None => Stream::Unknown,
                }
            }
        }
    }

    // ------------------------------------------------------------------ pipelines & redirects

    fn pipeline(&mut self, n: Node, src: &str, f: &Frame, sd: usize) {
        let _ = self.pipeline_stream(n, src, f, Stream::None, sd);
    }

    fn pipeline_stream(
        &mut self,
        n: Node,
        src: &str,
        f: &Frame,
        stdin: Stream,
        sd: usize,
    ) -> Stream {
        let mut c = n.walk();
        let stages: Vec<Node> = n.named_children(&mut c).collect();
        let mut input = stdin;
        for st in stages {
            input = self.statement(st, src, f, input, sd + 1);
        }
        input
    }

    fn redirected(&mut self, n: Node, src: &str, f: &Frame, stdin: Stream, sd: usize) -> Stream {
        let mut input = stdin;
        let mut c = n.walk();
        let kids: Vec<Node> = n.named_children(&mut c).collect();
        let body = n.child_by_field_name("body");
        let obf_frame;
        let hidden_name = body
            .filter(|b| b.kind() == "command")
            .and_then(|b| b.child_by_field_name("name"))
            .and_then(|nm| nm.named_child(0))
            .is_some_and(|k| k.kind() == "ansi_c_string" || k.kind() == "command_substitution");
        let f = if hidden_name && !f.obfuscated {
            obf_frame = Frame {
                obfuscated: true,
                ..f.clone()
            };
            &obf_frame
        } else {
            f
        };
        // input redirections first (heredoc, herestring, < file)
        let mut after_heredoc: Vec<Node> = Vec::new();
        for k in &kids {
            if Some(*k) == body {
                continue;
            }
            match k.kind() {
                "heredoc_redirect" => {
                    let mut hc = k.walk();
                    let hk: Vec<Node> = k.named_children(&mut hc).collect();
                    let mut body_text = String::new();
                    let mut quoted = false;
                    for h in &hk {
                        match h.kind() {
                            "heredoc_start" => {
                                let t = text(*h, src);
                                quoted = t.contains(['\'', '"', '\\']);
                            }
                            "heredoc_body" => {
                                if quoted {
                                    body_text = text(*h, src).to_string();
                                } else {
                                    let wv = self.heredoc_body(*h, src, f, sd + 1);
                                    body_text = wv;
                                }
                            }
                            "heredoc_end" | "heredoc_content" => {}
                            _ => after_heredoc.push(*h),
                        }
                    }
                    if let Some(stripped) = strip_heredoc_end(&body_text) {
                        body_text = stripped;
                    }
                    input = Stream::Text {
                        text: body_text,
                        obfuscated: false,
                    };
                }
                "herestring_redirect" => {
                    let mut hc = k.walk();
                    let hk: Vec<Node> = k.named_children(&mut hc).collect();
                    let mut t = String::new();
                    let mut obf = false;
                    for h in hk {
                        let w = self.word(h, src, f, sd + 1);
                        obf |= w.obfuscated;
                        if let Some(d) = w.download {
                            input = Stream::Download(d);
                            continue;
                        }
                        if !w.resolved {
                            input = Stream::Unknown;
                            t.clear();
                            break;
                        }
                        t.push_str(&w.text);
                    }
                    if !t.is_empty() {
                        t.push('\n');
                        input = Stream::Text {
                            text: t,
                            obfuscated: obf,
                        };
                    }
                }
                "file_redirect" => {
                    let r = file_redirect_of(*k, src, f);
                    if let Some(s) = self.redirect(&r, src, f, sd, true) {
                        input = s;
                    }
                }
                _ => {}
            }
        }
        let mut out = match body {
            Some(b) => self.statement(b, src, f, input, sd + 1),
            None => Stream::Unknown,
        };
        let produced = out.clone();
        let empties = match body {
            None => true,
            Some(b) => b.kind() == "command" && null_output(text(b, src).split_whitespace()),
        };
        for k in &kids {
            if k.kind() == "file_redirect" && Some(*k) != body {
                let r = file_redirect_of(*k, src, f);
                self.output_redirect(&r, src, f, sd, empties, &produced, &mut out);
            }
        }
        // `cat <<EOF | sh`: tree-sitter keeps the rest of the pipeline or
        // list inside the heredoc redirect
        for h in after_heredoc {
            match h.kind() {
                "pipeline" => {
                    let mut pc = h.walk();
                    let stages: Vec<Node> = h.named_children(&mut pc).collect();
                    for st in stages {
                        out = self.statement(st, src, f, out, sd + 1);
                    }
                }
                _ => {
                    out = self.statement(h, src, f, out, sd + 1);
                }
            }
        }
        out
    }

    fn heredoc_body(&mut self, n: Node, src: &str, f: &Frame, sd: usize) -> String {
        let mut out = String::new();
        let mut c = n.walk();
        let kids: Vec<Node> = n.children(&mut c).collect();
        if kids.is_empty() {
            return text(n, src).to_string();
        }
        let mut pos = n.start_byte();
        for k in kids {
            if k.start_byte() > pos {
                out.push_str(src.get(pos..k.start_byte()).unwrap_or(""));
            }
            match k.kind() {
                "simple_expansion" | "expansion" | "command_substitution" => {
                    let w = self.word(k, src, f, sd + 1);
                    out.push_str(&w.text);
                }
                _ => out.push_str(text(k, src)),
            }
            pos = k.end_byte();
        }
        if n.end_byte() > pos {
            out.push_str(src.get(pos..n.end_byte()).unwrap_or(""));
        }
        out
    }

    /// Handle a file redirection (shared by both front ends); `input`
    /// selects input redirections (`<`) when true and output ones otherwise.
    /// Returns `Some` when handled.
    pub(crate) fn redirect(
        &mut self,
        r: &FileRedirect,
        src: &str,
        f: &Frame,
        sd: usize,
        input: bool,
    ) -> Option<Stream> {
        let op = r.op.as_str();
        let is_input = op.starts_with('<') && op != "<>";
        if is_input != input {
            return None;
        }
        let dest = r.dest.as_ref()?;
        let w = self.eval(dest, src, f, sd + 1);
        if op.contains('&')
            && !op.starts_with('&')
            && w.text.chars().all(|c| c.is_ascii_digit() || c == '-')
        {
            return None; // 2>&1, >&2, <&0
        }
        let span = r.span;
        let mut attrs = ActionAttrs::default();
        if !w.resolved {
            attrs.unresolved = true;
            self.push(
                f,
                span,
                if is_input { Verb::Read } else { Verb::Write },
                Resource::Unknown {
                    text: w.text.clone(),
                },
                attrs,
                &[],
            );
            return Some(Stream::Unknown);
        }
        attrs.obfuscated = w.obfuscated;
        if let Some(r) = dev_tcp(&w.text) {
            self.push(
                f,
                span,
                Verb::Connect,
                r.clone(),
                attrs,
                &["T1059.004".to_string(), "T1095".to_string()],
            );
            return Some(if is_input {
                Stream::Download(r)
            } else {
                Stream::None
            });
        }
        if w.text == "/dev/null"
            || w.text == "/dev/stdout"
            || w.text == "/dev/stderr"
            || w.text == "/dev/tty"
            || w.text.starts_with("/dev/fd/")
        {
            return Some(Stream::None);
        }
        let verb = if is_input { Verb::Read } else { Verb::Write };
        let res = self.path_res(&w.text);
        if !is_input {
            if let Resource::Path { path, .. } = &res {
                self.last_output_path = Some(path.clone());
            }
        }
        self.push(f, span, verb, res, attrs, &[]);
        if op == "<>" {
            let res = self.path_res(&w.text);
            self.push(f, span, Verb::Read, res, ActionAttrs::default(), &[]);
        }
        Some(if is_input {
            Stream::Unknown
        } else {
            Stream::None
        })
    }

    // ------------------------------------------------------------------ commands

    fn command(&mut self, n: Node, src: &str, f: &Frame, stdin: Stream, sd: usize) -> Stream {
        let mut words: Vec<Word> = Vec::new();
        let mut assigns: Vec<Assign> = Vec::new();
        let mut redirects: Vec<CmdRedirect> = Vec::new();
        let mut c = n.walk();
        let kids: Vec<Node> = n.named_children(&mut c).collect();
        for k in kids {
            match k.kind() {
                "variable_assignment" => assigns.extend(assign_of(k, src, f)),
                "file_redirect" => redirects.push(CmdRedirect::File(file_redirect_of(k, src, f))),
                "herestring_redirect" => redirects.push(CmdRedirect::HereString(k)),
                "comment" => {}
                "subshell" => self.node(k, src, f, sd + 1),
                _ => {
                    let w = self.word(k, src, f, sd + 1);
                    if w.resolved && needs_split(k) {
                        // unquoted expansions are split on IFS
                        let ifs: Vec<char> = match self.vars.get("IFS") {
                            Some(Some(v)) => v.chars().collect(),
                            _ => vec![' ', '\t', '\n'],
                        };
                        let parts: Vec<&str> = w
                            .text
                            .split(|c: char| ifs.contains(&c))
                            .filter(|p| !p.is_empty())
                            .collect();
                        if parts.len() > 1 {
                            for p in parts.into_iter().take(4096) {
                                words.push(Word {
                                    text: p.to_string(),
                                    ..w.clone()
                                });
                            }
                            continue;
                        }
                    }
                    words.push(w);
                }
            }
        }
        let cmd = SimpleCommand {
            words,
            assigns,
            redirects,
            span: span_of(n, f),
        };
        self.simple_command(cmd, src, f, stdin, sd)
    }

    /// The command logic of one simple command, shared by both front ends:
    /// input redirections, assignments, the program and its arguments
    /// (`argv`), output redirections. Returns what it writes to stdout.
    pub(crate) fn simple_command(
        &mut self,
        cmd: SimpleCommand,
        src: &str,
        f: &Frame,
        stdin: Stream,
        sd: usize,
    ) -> Stream {
        let SimpleCommand {
            words,
            assigns,
            redirects,
            span,
        } = cmd;
        let obf_frame;
        let f = if words.first().is_some_and(|w| w.obfuscated) && !f.obfuscated {
            obf_frame = Frame {
                obfuscated: true,
                ..f.clone()
            };
            &obf_frame
        } else {
            f
        };
        let mut input = stdin;
        for r in &redirects {
            match r {
                CmdRedirect::File(r) => {
                    if let Some(s) = self.redirect(r, src, f, sd, true) {
                        input = s;
                    }
                }
                CmdRedirect::HereString(r) => {
                    let mut hc = r.walk();
                    let hk: Vec<Node> = r.named_children(&mut hc).collect();
                    let mut t = String::new();
                    let mut ok = true;
                    let mut obf = false;
                    for h in hk {
                        let w = self.word(h, src, f, sd + 1);
                        ok &= w.resolved;
                        obf |= w.obfuscated;
                        t.push_str(&w.text);
                    }
                    input = if ok {
                        Stream::Text {
                            text: t + "\n",
                            obfuscated: obf,
                        }
                    } else {
                        Stream::Unknown
                    };
                }
            }
        }
        let out;
        if words.is_empty() {
            for a in &assigns {
                self.assignment(a, src, f, sd + 1, true);
            }
            out = Stream::None;
        } else {
            let mut env_f = f.clone();
            for a in &assigns {
                // prefix assignments apply to this command only
                self.assignment(a, src, &env_f, sd + 1, false);
                if a.name == "LD_PRELOAD" || a.name == "DYLD_INSERT_LIBRARIES" {
                    if let Some(v) = &a.value {
                        let w = self.eval(v, src, f, sd + 1);
                        let res = self.path_res(&w.text);
                        self.push(
                            f,
                            span,
                            Verb::Exec,
                            res,
                            ActionAttrs::default(),
                            &["T1574.006".to_string()],
                        );
                    }
                }
            }
            env_f.depth = f.depth;
            out = self.argv(&words, &env_f, span, input, sd);
        }
        let mut out = out;
        let produced = out.clone();
        let empties = null_output(words.iter().map(|w| w.text.as_str()));
        for r in &redirects {
            if let CmdRedirect::File(r) = r {
                self.output_redirect(r, src, f, sd, empties, &produced, &mut out);
            }
        }
        out
    }

    /// An output redirection after its command ran (shared by both front
    /// ends): the write, truncation when the command writes nothing, and
    /// what was written (to recognize running it later).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn output_redirect(
        &mut self,
        r: &FileRedirect,
        src: &str,
        f: &Frame,
        sd: usize,
        empties: bool,
        produced: &Stream,
        out: &mut Stream,
    ) {
        let before = self.actions.len();
        if self.redirect(r, src, f, sd, false).is_some() {
            if empties {
                self.mark_truncation(before, r.op.contains(">>"));
            }
            *out = Stream::None;
            if let Some(p) = self.last_output_path.take() {
                self.record_written(&p, produced);
            }
        }
    }

    /// Marks the file actions a `>` redirection pushed from index `from` as
    /// truncating: the command writes nothing, so the file is emptied
    /// (`>>` appends nothing and changes nothing).
    fn mark_truncation(&mut self, from: usize, appends: bool) {
        if appends {
            return;
        }
        for a in self.actions.iter_mut().skip(from) {
            if matches!(a.resource, Resource::Path { .. }) && a.verb != Verb::Read {
                a.attrs.truncate = true;
            }
        }
    }

    /// Remember what a redirection wrote, to recognize running it later.
    fn record_written(&mut self, path: &str, produced: &Stream) {
        match produced {
            Stream::Text { text, obfuscated }
                if text.len() <= 64 * 1024 && self.written.len() < 64 =>
            {
                self.written
                    .push((path.to_string(), text.clone(), *obfuscated));
            }
            Stream::Download(r) if self.downloaded.len() < 64 => {
                self.downloaded.push((path.to_string(), r.clone()));
            }
            _ => {}
        }
    }

    /// Text written earlier in this input to `path`, if known.
    fn written_text(&self, path: &str) -> Option<(String, bool)> {
        self.written
            .iter()
            .rev()
            .find(|(p, _, _)| p == path)
            .map(|(_, t, o)| (t.clone(), *o))
    }

    /// Run text written earlier to a file as the script it now is.
    fn run_written(&mut self, path: &str, lang: &str, f: &Frame, span: Span, sd: usize) {
        if let Some((text, obfuscated)) = self.written_text(path) {
            let lang = if lang == "sh" && text.starts_with("#!") {
                let first = text.lines().next().unwrap_or("");
                if first.contains("python") {
                    "python"
                } else if first.contains("perl") {
                    "perl"
                } else if first.contains("node") {
                    "node"
                } else if first.contains("ruby") {
                    "ruby"
                } else {
                    "sh"
                }
            } else {
                lang
            };
            let w = Word {
                text,
                resolved: true,
                glob: false,
                obfuscated,
                download: None,
            };
            if lang == "sh" {
                self.nested_shell(&w, f, span, sd);
            } else {
                self.inline_code(&w, lang, f, span, sd);
            }
        }
    }

    /// Interpret an argv vector (already evaluated words).
    pub(crate) fn argv(
        &mut self,
        words: &[Word],
        f: &Frame,
        span: Span,
        stdin: Stream,
        sd: usize,
    ) -> Stream {
        if sd > MAX_SYNTAX_DEPTH || f.depth > self.ctx.max_depth {
            self.overflow = true;
            return Stream::Unknown;
        }
        if !self.spend() {
            return Stream::Unknown;
        }
        let Some(first) = words.first() else {
            return Stream::Unknown;
        };
        let mut f = f.clone();
        if first.obfuscated {
            f.obfuscated = true;
        }
        if !first.resolved || first.text.is_empty() {
            let mut attrs = ActionAttrs {
                unresolved: true,
                ..Default::default()
            };
            if first.download.is_some() {
                attrs.pipe_to_shell = true;
            }
            if let Some(dl) = &first.download {
                self.push(
                    &f,
                    span,
                    Verb::DownloadExec,
                    dl.clone(),
                    attrs.clone(),
                    &["T1105".to_string(), "T1059.004".to_string()],
                );
            }
            self.push(
                &f,
                span,
                Verb::Exec,
                Resource::Unknown {
                    text: first.text.clone(),
                },
                attrs,
                &[],
            );
            self.unknown_args(&words[1..], &f, span);
            return Stream::Unknown;
        }
        let name = first.text.clone();
        if first.glob && path::has_glob(&name) {
            // `/???/c?t`: which program runs depends on the filesystem
            let a = ActionAttrs {
                unresolved: true,
                ..Default::default()
            };
            let res = self.path_res(&name);
            self.push(&f, span, Verb::Exec, res, a, &["T1027".to_string()]);
            self.unknown_args(&words[1..], &f, span);
            return Stream::Unknown;
        }
        let base = name.rsplit('/').next().unwrap_or(&name).to_string();
        let table = kb::table();
        let spec = table.get(&base).or_else(|| table.get(&name));
        // functions defined in this input: their body was walked at definition
        if let Some(body) = self.functions.get(&name).cloned() {
            // run the body again with the call's arguments as $1, $2, ...
            let mut inner = f.clone();
            inner.depth += 1;
            inner.span = Some(f.span.unwrap_or(span));
            if inner.depth > self.ctx.max_depth {
                self.overflow = true;
                return Stream::Unknown;
            }
            let keys: Vec<String> = (1..=9)
                .map(|k| k.to_string())
                .chain(["@".to_string(), "*".to_string()])
                .collect();
            let saved: Vec<(String, Option<Option<String>>)> = keys
                .iter()
                .map(|k| (k.clone(), self.vars.get(k).cloned()))
                .collect();
            for (k, w) in words[1..].iter().take(9).enumerate() {
                self.vars.insert(
                    (k + 1).to_string(),
                    if w.resolved {
                        Some(w.text.clone())
                    } else {
                        None
                    },
                );
            }
            let all = join_words(&words[1..]);
            self.vars.insert(
                "@".into(),
                if all.resolved {
                    Some(all.text.clone())
                } else {
                    None
                },
            );
            self.vars
                .insert("*".into(), if all.resolved { Some(all.text) } else { None });
            let saved_cwd = self.cwd.clone();
            self.shell(&body, &inner);
            self.cwd = saved_cwd;
            for (k, v) in saved {
                match v {
                    Some(v) => {
                        self.vars.insert(k, v);
                    }
                    None => {
                        self.vars.remove(&k);
                    }
                }
            }
            return Stream::Unknown;
        }
        let prog_res = if name.contains('/') {
            self.path_res(&name)
        } else {
            Resource::Program { name: name.clone() }
        };
        let Some(spec) = spec else {
            // unknown program
            let mut attrs = ActionAttrs::default();
            let mut tech: Vec<String> = Vec::new();
            if let Resource::Path { path, .. } = &prog_res {
                if let Some(src_url) = self.downloaded_source(path) {
                    attrs.pipe_to_shell = false;
                    self.push(
                        &f,
                        span,
                        Verb::DownloadExec,
                        src_url,
                        attrs.clone(),
                        &["T1105".to_string(), "T1204.002".to_string()],
                    );
                }
                if path.starts_with("/tmp/")
                    || path.starts_with("/dev/shm/")
                    || path.starts_with("/var/tmp/")
                {
                    tech.push("T1036".to_string());
                }
            }
            let written_path = match &prog_res {
                Resource::Path { path, .. } => Some(path.clone()),
                _ => None,
            };
            self.push(&f, span, Verb::Exec, prog_res, attrs, &tech);
            if let Some(p) = written_path {
                self.run_written(&p, "sh", &f, span, sd);
            }
            self.unknown_args(&words[1..], &f, span);
            return Stream::Unknown;
        };
        self.run_spec(&base, &name, prog_res, spec, words, &f, span, stdin, sd)
    }

    /// Arguments of a program without a description: path-like words are
    /// reads, URLs are connections.
    fn unknown_args(&mut self, args: &[Word], f: &Frame, span: Span) {
        for a in args {
            if !a.resolved {
                if a.download.is_some() {
                    continue;
                }
                continue;
            }
            let attrs = ActionAttrs {
                obfuscated: a.obfuscated,
                ..Default::default()
            };
            if host::is_url(&a.text) {
                if let Some(r) = host::url_resource(&a.text) {
                    self.push(f, span, Verb::Connect, r, attrs, &[]);
                }
            } else if let Some(r) = dev_tcp(&a.text) {
                self.push(f, span, Verb::Connect, r, attrs, &[]);
            } else if path::looks_like_path(&a.text) {
                let r = self.path_res(&a.text);
                self.push(f, span, Verb::Read, r, attrs, &[]);
            }
        }
    }

    fn downloaded_source(&self, path: &str) -> Option<Resource> {
        self.downloaded
            .iter()
            .rev()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r.clone())
    }

    #[allow(clippy::too_many_arguments)]
    fn run_spec(
        &mut self,
        base: &str,
        name: &str,
        prog_res: Resource,
        spec: &'static Spec,
        words: &[Word],
        f: &Frame,
        span: Span,
        stdin: Stream,
        sd: usize,
    ) -> Stream {
        let mut cmd = CmdState::new(spec);
        let args = &words[1..];
        // --- scan options / positionals / subcommands
        let mut i = 0;
        let mut positionals: Vec<usize> = Vec::new();
        let mut opt_values: Vec<(String, Word)> = Vec::new();
        let mut rest_from: Option<usize> = None;
        let mut end_of_opts = false;
        let mut sub_allowed = !spec.sub.is_empty();
        let mut inherited_values: Vec<&'static str> =
            spec.values.iter().map(|s| s.as_str()).collect();
        let mut inherited_opts: Vec<(&'static str, &'static str)> = spec
            .opts
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut sub_chain: Vec<&'static str> = Vec::new();
        while i < args.len() {
            let a = &args[i];
            let t = a.text.as_str();
            let kind = cmd.spec.kind;
            let stop_at = match kind {
                Kind::Wrapper => Some(cmd.spec.first.len()),
                Kind::Shell | Kind::Interpreter if cmd.spec.lang.as_deref() != Some("awk") => {
                    Some(1)
                }
                Kind::Ssh | Kind::ContainerExec | Kind::ContainerRun => Some(1),
                Kind::Xargs | Kind::ShellText => Some(0),
                _ => None,
            };
            let is_opt = !end_of_opts && t.len() > 1 && t.starts_with('-');
            if let Some(s) = stop_at {
                // `env NAME=value cmd`, `sudo NAME=value cmd`
                if kind == Kind::Wrapper
                    && !is_opt
                    && positionals.len() >= s
                    && is_env_assignment(t)
                {
                    i += 1;
                    continue;
                }
                if positionals.len() >= s && !is_opt {
                    rest_from = Some(i);
                    break;
                }
            }
            if t == "--" && !end_of_opts {
                end_of_opts = true;
                cmd.dashdash_seen = true;
                if kind == Kind::ContainerExec && !positionals.is_empty() {
                    rest_from = Some(i + 1);
                    break;
                }
                if kind == Kind::ContainerRun && !positionals.is_empty() {
                    rest_from = Some(i + 1);
                    break;
                }
                i += 1;
                continue;
            }
            let negative_pid = base == "kill"
                && i > 0
                && t.len() > 1
                && t.get(1..)
                    .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit()));
            if !end_of_opts
                && !negative_pid
                && t.len() > 1
                && (t.starts_with('-') || (t.starts_with('+') && base == "sh"))
                && a.resolved
            {
                // option
                let (oname, inline_val) = match t.split_once('=') {
                    Some((n, v))
                        if t.starts_with("--")
                            || cmd.spec.opts.contains_key(n)
                            || cmd.spec.values.iter().any(|x| x == n) =>
                    {
                        (n, Some(v))
                    }
                    _ => (t, None),
                };
                if cmd.spec.code.iter().any(|c| c == oname) {
                    let code_word = match inline_val {
                        Some(v) => Some(Word {
                            text: v.to_string(),
                            ..a.clone()
                        }),
                        None => {
                            i += 1;
                            args.get(i).cloned()
                        }
                    };
                    if let Some(cw) = code_word {
                        cmd.code = Some(cw);
                    }
                    i += 1;
                    if matches!(cmd.spec.kind, Kind::Shell | Kind::Interpreter) {
                        rest_from = Some(i);
                        break;
                    }
                    continue;
                }
                let role = cmd.spec.opts.get(oname).map(|s| s.as_str()).or_else(|| {
                    inherited_opts
                        .iter()
                        .find(|(k, _)| *k == oname)
                        .map(|(_, v)| *v)
                });
                if let Some(role) = role {
                    let v = match inline_val {
                        Some(v) => Some(Word {
                            text: v.to_string(),
                            ..a.clone()
                        }),
                        None => {
                            i += 1;
                            args.get(i).cloned()
                        }
                    };
                    if let Some(v) = v {
                        opt_values.push((role.to_string(), v));
                    }
                    i += 1;
                    if role == "module" {
                        // python -m MODULE ARGS...: the rest belongs to the module
                        rest_from = Some(i);
                        break;
                    }
                    continue;
                }
                let takes_value =
                    cmd.spec.values.iter().any(|x| x == oname) || inherited_values.contains(&oname);
                if takes_value {
                    // `when` keys `OPTION=VALUE` match an option's value
                    // (`truncate -s 0`, `--size=0`)
                    let value = inline_val.or_else(|| args.get(i + 1).map(|v| v.text.as_str()));
                    if let Some(v) = value {
                        if let Some(eff) = cmd.spec.when.get(&format!("{oname}={v}")) {
                            cmd.effects(eff);
                        }
                    }
                    if inline_val.is_none() {
                        i += 1;
                    }
                    i += 1;
                    continue;
                }
                if let Some(eff) = cmd.spec.flags.get(oname) {
                    cmd.effects(eff);
                    i += 1;
                    continue;
                }
                // attached value (-ofile) or combined short flags (-rf)
                if let (false, true, Some(head)) = (
                    t.starts_with("--"),
                    t.len() > 2 && t.starts_with('-'),
                    t.get(..2),
                ) {
                    if let Some(role) = cmd.spec.opts.get(head).map(|s| s.as_str()).or_else(|| {
                        inherited_opts
                            .iter()
                            .find(|(k, _)| *k == head)
                            .map(|(_, v)| *v)
                    }) {
                        opt_values.push((
                            role.to_string(),
                            Word {
                                text: t[2..].to_string(),
                                ..a.clone()
                            },
                        ));
                        i += 1;
                        continue;
                    }
                    if cmd.spec.code.iter().any(|c| c == head) {
                        cmd.code = Some(Word {
                            text: t[2..].to_string(),
                            ..a.clone()
                        });
                        i += 1;
                        if matches!(cmd.spec.kind, Kind::Shell | Kind::Interpreter) {
                            rest_from = Some(i);
                            break;
                        }
                        continue;
                    }
                    let mut consumed_next = false;
                    let letters: Vec<char> = t[1..].chars().collect();
                    for (li, ch) in letters.iter().enumerate() {
                        let fl = format!("-{ch}");
                        if let Some(eff) = cmd.spec.flags.get(&fl) {
                            cmd.effects(eff);
                        } else if cmd.spec.code.contains(&fl) && li == letters.len() - 1 {
                            i += 1;
                            if let Some(cw) = args.get(i) {
                                cmd.code = Some(cw.clone());
                            }
                            consumed_next = true;
                            cmd.code_ends_opts = true;
                        } else if let Some(role) = cmd.spec.opts.get(&fl) {
                            if li == letters.len() - 1 {
                                i += 1;
                                if let Some(v) = args.get(i) {
                                    opt_values.push((role.clone(), v.clone()));
                                }
                                consumed_next = true;
                            }
                        } else if cmd.spec.values.contains(&fl) && li == letters.len() - 1 {
                            i += 1;
                            consumed_next = true;
                        }
                    }
                    let _ = consumed_next;
                    i += 1;
                    if cmd.code_ends_opts
                        && matches!(cmd.spec.kind, Kind::Shell | Kind::Interpreter)
                    {
                        rest_from = Some(i);
                        break;
                    }
                    continue;
                }
                // unknown option: `-` alone is stdin
                i += 1;
                continue;
            }
            // positional
            if sub_allowed && positionals.is_empty() {
                if let Some(sub) = cmd.spec.sub.get(t) {
                    inherited_values.extend(cmd.spec.values.iter().map(|s| s.as_str()));
                    inherited_opts
                        .extend(cmd.spec.opts.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    let inherited_effects = std::mem::take(&mut cmd.effect_list);
                    let mgr = cmd.spec.manager.clone();
                    cmd.spec = sub;
                    cmd.effect_list = inherited_effects;
                    if cmd.spec.manager.is_none() {
                        cmd.parent_manager = mgr.or(cmd.parent_manager.take());
                    }
                    sub_chain.push(sub_key(spec, t));
                    sub_allowed = !sub.sub.is_empty();
                    i += 1;
                    continue;
                }
                sub_allowed = false;
            }
            if let Some(eff) = cmd.spec.when.get(t) {
                cmd.effects(eff);
            }
            positionals.push(i);
            i += 1;
        }
        // `when` also applies to option words (kubectl config view --raw)
        for a in args {
            if a.text.starts_with('-') {
                if let Some(eff) = cmd.spec.when.get(a.text.as_str()) {
                    cmd.effects(eff);
                }
            }
        }
        let spec = cmd.spec;
        let mut tech: Vec<String> = spec.tech.clone();
        tech.extend(cmd.tech.iter().cloned());
        if let Some(root_spec) = kb::table().get(base) {
            if !std::ptr::eq(root_spec, spec) {
                for t in &root_spec.tech {
                    if !tech.contains(t) {
                        tech.insert(0, t.clone());
                    }
                }
            }
        }
        let mut attrs = ActionAttrs {
            recursive: cmd.recursive,
            force: cmd.force,
            truncate: cmd.truncate,
            ..Default::default()
        };
        // `command -v x` only looks a program up
        if cmd.lookup {
            return Stream::Unknown;
        }
        // --- the exec action itself
        let is_builtin = matches!(
            spec.kind,
            Kind::Builtin | Kind::Producer | Kind::Eval | Kind::Source
        ) || base == "tr"
            || matches!(base, "base64" | "rev");
        let exec_attrs = attrs.clone();
        if let Resource::Path { path, .. } = &prog_res {
            if let Some(src_url) = self.downloaded_source(path) {
                self.push(
                    f,
                    span,
                    Verb::DownloadExec,
                    src_url,
                    exec_attrs.clone(),
                    &["T1105".to_string()],
                );
            }
        }
        let root = kb::table().get(base).map_or(spec, |r| r);
        if !is_builtin || !tech.is_empty() {
            self.push(f, span, Verb::Exec, prog_res.clone(), exec_attrs, &tech);
        }
        let privileged = root.privileged || spec.privileged;
        // --- verbs emitted on the program
        let mut emits: Vec<String> = spec.emit.clone();
        if !std::ptr::eq(root, spec) {
            for e in &root.emit {
                if !emits.contains(e) {
                    emits.push(e.clone());
                }
            }
        }
        for e in &cmd.emit {
            if !emits.contains(e) {
                emits.push(e.clone());
            }
        }
        let start_len = self.actions.len();
        let defer_listen = emits.iter().any(|e| e == "listen");
        for e in &emits {
            if e == "listen" {
                continue;
            }
            if let Some(v) = verb_from(e) {
                let res = if v == Verb::Listen {
                    Resource::Host {
                        host: "0.0.0.0".into(),
                        port: cmd.port,
                        class: super::action::HostClass::Public,
                    }
                } else {
                    prog_res.clone()
                };
                if v == Verb::Privilege && privileged {
                    continue; // added below with the wrapped command
                }
                self.push(f, span, v, res, attrs.clone(), &tech);
            }
        }
        // --- option values with roles
        let mgr = spec
            .manager
            .clone()
            .or(cmd.parent_manager.clone())
            .unwrap_or_else(|| base.to_string());
        let opt_frame = if spec.kind == Kind::Su || privileged {
            Frame {
                via_sudo: true,
                ..f.clone()
            }
        } else {
            f.clone()
        };
        for (role, v) in &opt_values {
            self.role(role, v, &opt_frame, span, &attrs, &tech, &mgr, &mut cmd);
        }
        // --- key=value arguments (dd)
        if !spec.kv.is_empty() {
            for a in args {
                if let Some((k, v)) = a.text.split_once('=') {
                    if let Some(role) = spec.kv.get(k) {
                        let w = Word {
                            text: v.to_string(),
                            ..a.clone()
                        };
                        self.role(role, &w, f, span, &attrs, &tech, &mgr, &mut cmd);
                    }
                }
            }
        }
        // --- kind-specific handling
        let pos_words: Vec<&Word> = positionals.iter().filter_map(|&i| args.get(i)).collect();
        let rest: &[Word] = rest_from.and_then(|r| args.get(r..)).unwrap_or(&[]);
        match spec.kind {
            Kind::Wrapper => {
                for (k, w) in pos_words.iter().enumerate() {
                    if let Some(r) = spec.first.get(k) {
                        self.role(r, w, f, span, &attrs, &tech, &mgr, &mut cmd);
                    }
                }
                let mut inner = f.clone();
                if privileged {
                    inner.via_sudo = true;
                    let mut pa = attrs.clone();
                    pa.via_sudo = true;
                    self.push(f, span, Verb::Privilege, prog_res.clone(), pa, &tech);
                }
                if !rest.is_empty() {
                    return self.argv(rest, &inner, span, stdin, sd + 1);
                }
                if cmd.shell {
                    // sudo -s / sudo -i: an interactive root shell
                    self.push(
                        &inner,
                        span,
                        Verb::Exec,
                        Resource::Program { name: "sh".into() },
                        ActionAttrs::default(),
                        &[],
                    );
                }
                if let Some(code) = cmd.code.clone() {
                    self.nested_shell(&code, &inner, span, sd);
                }
                return Stream::Unknown;
            }
            Kind::Su => {
                let mut pa = attrs.clone();
                pa.via_sudo = true;
                self.push(f, span, Verb::Privilege, prog_res.clone(), pa, &tech);
                return Stream::Unknown;
            }
            Kind::Shell => {
                let mut inner = f.clone();
                inner.depth += 1;
                if let Some(code) = cmd.code.clone() {
                    if let Some(dl) = &code.download {
                        self.push_download_exec(f, span, dl.clone(), &attrs);
                    }
                    self.nested_shell(&code, f, span, sd);
                    return Stream::Unknown;
                }
                if let Some(script) = pos_words
                    .first()
                    .filter(|w| w.text != "-" && !cmd.stdin_script)
                {
                    if let Some(dl) = &script.download {
                        // bash <(curl ...)
                        self.push_download_exec(f, span, dl.clone(), &attrs);
                        return Stream::Unknown;
                    }
                    self.role("exec", script, f, span, &attrs, &tech, &mgr, &mut cmd);
                    return Stream::Unknown;
                }
                // commands on stdin
                self.stdin_code(stdin, "sh", f, span, sd);
                return Stream::Unknown;
            }
            Kind::Interpreter => {
                let lang = spec
                    .lang
                    .clone()
                    .or_else(|| root.lang.clone())
                    .unwrap_or_default();
                if lang == "awk" {
                    // awk 'program' files...
                    let prog = cmd
                        .code
                        .clone()
                        .or_else(|| pos_words.first().map(|w| (*w).clone()));
                    let files: Vec<&Word> = if cmd.code.is_some() {
                        pos_words.clone()
                    } else {
                        pos_words.iter().skip(1).copied().collect()
                    };
                    if let Some(p) = prog {
                        if inline::awk_has_effects(&p.text) {
                            self.inline_code(&p, &lang, f, span, sd);
                        }
                    }
                    for w in files {
                        if !w.text.contains('=') {
                            self.role("read", w, f, span, &attrs, &tech, &mgr, &mut cmd);
                        }
                    }
                    return Stream::Unknown;
                }
                if let Some(code) = cmd.code.clone() {
                    if let Some(dl) = &code.download {
                        let mut a = attrs.clone();
                        a.pipe_to_shell = true;
                        self.push(
                            f,
                            span,
                            Verb::DownloadExec,
                            dl.clone(),
                            a,
                            &["T1105".to_string(), "T1059".to_string()],
                        );
                    }
                    self.inline_code(&code, &lang, f, span, sd);
                    return Stream::Unknown;
                }
                // python -m module
                for (role, v) in &opt_values {
                    if role == "module" {
                        self.python_module(&v.text, rest, f, span, sd);
                        return Stream::Unknown;
                    }
                }
                if let Some(script) = pos_words.first() {
                    if let Some(dl) = &script.download {
                        let mut a = attrs.clone();
                        a.pipe_to_shell = true;
                        self.push(
                            f,
                            span,
                            Verb::DownloadExec,
                            dl.clone(),
                            a,
                            &["T1105".to_string()],
                        );
                        return Stream::Unknown;
                    }
                    if script.text != "-" {
                        self.role("exec", script, f, span, &attrs, &tech, &mgr, &mut cmd);
                        self.unknown_args(rest, f, span);
                        return Stream::Unknown;
                    }
                }
                self.stdin_code(stdin, &lang, f, span, sd);
                return Stream::Unknown;
            }
            Kind::Ssh => {
                let Some(dest) = pos_words.first() else {
                    return Stream::Unknown;
                };
                let host_text = dest.text.strip_prefix("ssh://").unwrap_or(&dest.text);
                let host_text = host_text.split('/').next().unwrap_or(host_text);
                let res = host::host_resource(host_text, Some(cmd.port.unwrap_or(22)));
                let mut a = attrs.clone();
                a.unresolved |= !dest.resolved;
                self.push(f, span, Verb::Connect, res.clone(), a, &tech);
                let hostname = match &res {
                    Resource::Host { host, .. } => host.clone(),
                    _ => host_text.to_string(),
                };
                if !rest.is_empty() {
                    let joined = join_words(rest);
                    let mut inner = f.clone();
                    inner.remote = Some(hostname);
                    inner.via_sudo = false;
                    self.nested_shell(&joined, &inner, span, sd);
                } else if let Stream::Text { .. } = stdin {
                    let mut inner = f.clone();
                    inner.remote = Some(hostname);
                    self.stdin_code(stdin, "sh", &inner, span, sd);
                }
                return Stream::Unknown;
            }
            Kind::ContainerExec | Kind::ContainerRun => {
                let target = pos_words
                    .first()
                    .map(|w| w.text.clone())
                    .unwrap_or_default();
                let prefix = if base.contains("kube") || base == "oc" || base == "k" {
                    "k8s"
                } else {
                    base
                };
                let mut inner = f.clone();
                inner.remote = Some(format!("{prefix}:{target}"));
                inner.via_sudo = false;
                if spec.kind == Kind::ContainerRun {
                    self.push(
                        f,
                        span,
                        Verb::Exec,
                        Resource::Program {
                            name: format!("{prefix}:{target}"),
                        },
                        attrs.clone(),
                        &tech,
                    );
                }
                if !rest.is_empty() {
                    return self.argv(rest, &inner, span, stdin, sd + 1);
                }
                return Stream::Unknown;
            }
            Kind::Xargs => {
                if !rest.is_empty() {
                    let mut r: Vec<Word> = rest.to_vec();
                    // arguments come from stdin: unknown. They matter for
                    // programs that change what they are given.
                    let inner = rest[0].text.rsplit('/').next().unwrap_or("");
                    let inner_role = kb::table()
                        .get(inner)
                        .and_then(|s| s.pos.clone())
                        .unwrap_or_else(|| "any".into());
                    if !matches!(inner_role.as_str(), "read" | "any" | "skip") {
                        r.push(Word {
                            text: "{stdin}".into(),
                            resolved: false,
                            glob: false,
                            obfuscated: false,
                            download: None,
                        });
                    }
                    return self.argv(&r, f, span, Stream::Unknown, sd + 1);
                }
                return Stream::Unknown;
            }
            Kind::ShellText => {
                if let Some(code) = cmd.code.clone() {
                    self.nested_shell(&code, f, span, sd);
                }
                if !rest.is_empty() {
                    let joined = join_words(rest);
                    self.nested_shell(&joined, f, span, sd);
                }
                for w in &pos_words {
                    self.role(
                        spec.pos.as_deref().unwrap_or("skip"),
                        w,
                        f,
                        span,
                        &attrs,
                        &tech,
                        &mgr,
                        &mut cmd,
                    );
                }
                return Stream::Unknown;
            }
            Kind::Find => {
                self.find(args, f, span, sd);
                return Stream::Unknown;
            }
            Kind::Eval => {
                let joined = join_words(args);
                if let Some(dl) = args.iter().find_map(|w| w.download.clone()) {
                    self.push_download_exec(f, span, dl, &attrs);
                }
                self.nested_shell(&joined, f, span, sd);
                return Stream::Unknown;
            }
            Kind::Source => {
                if let Some(w) = pos_words.first() {
                    if let Some(dl) = &w.download {
                        self.push_download_exec(f, span, dl.clone(), &attrs);
                        return Stream::Unknown;
                    }
                    self.role("exec", w, f, span, &attrs, &tech, &mgr, &mut cmd);
                }
                return Stream::Unknown;
            }
            Kind::At => {
                let mut a = attrs.clone();
                if let Stream::Text {
                    obfuscated: true, ..
                } = &stdin
                {
                    a.obfuscated = true;
                }
                self.push(f, span, Verb::Persist, prog_res.clone(), a, &tech);
                self.stdin_code(stdin, "sh", f, span, sd);
                return Stream::Unknown;
            }
            Kind::Crontab => {
                let listing = args.iter().any(|a| a.text == "-l");
                let removing = args.iter().any(|a| a.text == "-r");
                if listing {
                    return Stream::Unknown;
                }
                let mut pa = attrs.clone();
                if let Stream::Text {
                    obfuscated: true, ..
                } = &stdin
                {
                    pa.obfuscated = true;
                }
                self.push(
                    f,
                    span,
                    if removing {
                        Verb::Delete
                    } else {
                        Verb::Persist
                    },
                    prog_res.clone(),
                    pa,
                    &tech,
                );
                if let Some(w) = pos_words.first() {
                    if w.text != "-" {
                        self.role("read", w, f, span, &attrs, &tech, &mgr, &mut cmd);
                        return Stream::Unknown;
                    }
                }
                if let Stream::Text { text, obfuscated } = &stdin {
                    let mut inner = f.clone();
                    inner.obfuscated |= *obfuscated;
                    for line in text.lines() {
                        if let Some(cmdtext) = cron_command(line) {
                            self.nested_shell(&Word::lit(cmdtext), &inner, span, sd);
                        }
                    }
                } else if let Stream::Download(r) = stdin {
                    self.push(
                        f,
                        span,
                        Verb::DownloadExec,
                        r,
                        attrs.clone(),
                        &["T1105".to_string()],
                    );
                }
                return Stream::Unknown;
            }
            Kind::Tar => {
                self.tar(args, &opt_values, f, span, &attrs, sd);
                return Stream::Unknown;
            }
            Kind::Chmod => {
                let mode = pos_words
                    .first()
                    .map(|w| w.text.clone())
                    .unwrap_or_default();
                let setuid = is_setuid_mode(&mode);
                let exec_bit = mode.contains('x')
                    || mode.chars().all(|c| c.is_ascii_digit())
                        && mode
                            .chars()
                            .last()
                            .is_some_and(|c| matches!(c, '1' | '3' | '5' | '7'));
                for w in pos_words.iter().skip(1) {
                    self.role("chmod", w, f, span, &attrs, &tech, &mgr, &mut cmd);
                    if setuid {
                        let r = self.path_res(&w.text);
                        self.push(
                            f,
                            span,
                            Verb::Privilege,
                            r,
                            attrs.clone(),
                            &["T1548.001".to_string()],
                        );
                    }
                    let _ = exec_bit;
                }
                return Stream::Unknown;
            }
            Kind::Producer => {
                return self.produce(base, args, stdin);
            }
            Kind::Decoder => {
                let out = decode::transform(
                    base,
                    &args.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
                    &stdin,
                );
                // file arguments are read
                for w in &pos_words {
                    if base != "tr" {
                        self.role("read", w, f, span, &attrs, &tech, &mgr, &mut cmd);
                    }
                }
                return out;
            }
            Kind::Downloader | Kind::Plain | Kind::Builtin => {}
        }
        // --- positionals by role
        let n = pos_words.len();
        let pos_role = cmd
            .pos_override
            .clone()
            .or_else(|| spec.pos.clone())
            .unwrap_or_else(|| "any".to_string());
        let mut download_res: Option<Resource> = None;
        for (k, w) in pos_words.iter().enumerate() {
            let role = if let Some(r) = spec.first.get(k) {
                r.clone()
            } else if k == n - 1 && n >= 2 && spec.last.is_some() {
                spec.last.clone().unwrap_or_default()
            } else {
                pos_role.clone()
            };
            let r = self.role(&role, w, f, span, &attrs, &tech, &mgr, &mut cmd);
            if download_res.is_none() {
                download_res = r;
            }
        }
        if defer_listen
            && !self
                .actions
                .get(start_len..)
                .is_some_and(|acts| acts.iter().any(|a| a.verb == Verb::Listen))
        {
            self.push(
                f,
                span,
                Verb::Listen,
                Resource::Host {
                    host: "0.0.0.0".into(),
                    port: cmd.port,
                    class: super::action::HostClass::Public,
                },
                attrs.clone(),
                &tech,
            );
        }
        if spec.kind != Kind::Downloader
            && spec.last.as_deref() == Some("cloud_write")
            && pos_words.last().is_some_and(|w| w.text == "-")
        {
            // `aws s3 cp s3://bucket/x -`: the object goes to stdout
            if let Some(r) = download_res.clone() {
                self.stdout_download = Some(r.clone());
                return Stream::Download(r);
            }
        }
        if spec.kind == Kind::Downloader {
            let dl = download_res.unwrap_or(Resource::Unknown {
                text: name.to_string(),
            });
            // a file written by this download, to catch a later execution
            for (role, v) in &opt_values {
                if role == "write" {
                    let p = path::normalize(&v.text, &self.cwd, &self.ctx.home);
                    self.downloaded.push((p, dl.clone()));
                }
            }
            let writes_stdout = !opt_values.iter().any(|(r, _)| r == "write")
                || opt_values
                    .iter()
                    .any(|(r, v)| r == "write" && v.text == "-");
            attrs.pipe_to_shell = false;
            if writes_stdout {
                self.stdout_download = Some(dl.clone());
                return Stream::Download(dl);
            }
            return Stream::None;
        }
        if base == "ln"
            && args.iter().any(|a| {
                a.text.starts_with('-') && !a.text.starts_with("--") && a.text.contains('s')
            })
            && pos_words.len() >= 2
        {
            let target = path::normalize(&pos_words[0].text, &self.cwd, &self.ctx.home);
            let link = path::normalize(
                &pos_words[pos_words.len() - 1].text,
                &self.cwd,
                &self.ctx.home,
            );
            if self.links.len() < 256 {
                self.links.push((link, target));
            }
        }
        if base == "cd" {
            if let Some(w) = pos_words.first() {
                if w.resolved && !w.text.starts_with('-') {
                    self.cwd = path::normalize(&w.text, &self.cwd, &self.ctx.home);
                }
            }
        }
        if pos_words.is_empty()
            && matches!(
                base,
                "ls" | "ll" | "exa" | "eza" | "lsd" | "tree" | "du" | "dir"
            )
        {
            let r = Resource::Path {
                path: self.cwd.clone(),
                glob: false,
            };
            self.push(f, span, Verb::Read, r, attrs.clone(), &tech);
        }
        if base == "cat" && pos_words.is_empty() {
            return stdin;
        }
        if matches!(base, "cat" | "tee") && pos_words.is_empty() {
            return stdin;
        }
        if base == "tee" {
            for w in &pos_words {
                let p = path::normalize(&w.text, &self.cwd, &self.ctx.home);
                self.record_written(&p, &stdin);
            }
            return stdin;
        }
        Stream::Unknown
    }

    /// Apply a role to one argument. Returns the network resource for
    /// url/host roles (used by downloaders).
    #[allow(clippy::too_many_arguments)]
    fn role(
        &mut self,
        role: &str,
        w: &Word,
        f: &Frame,
        span: Span,
        attrs: &ActionAttrs,
        tech: &[String],
        mgr: &str,
        cmd: &mut CmdState,
    ) -> Option<Resource> {
        let mut a = attrs.clone();
        a.obfuscated |= w.obfuscated;
        let t = w.text.as_str();
        if !w.resolved {
            match role {
                "skip" | "mode" | "port" | "user" => return None,
                _ => {
                    a.unresolved = true;
                    let verb = match role {
                        "write" | "persist" => Verb::Write,
                        "delete" => Verb::Delete,
                        "exec" => Verb::Exec,
                        "host" | "url" | "remote" | "remote_write" | "urlish" | "dns" | "jump" => {
                            Verb::Connect
                        }
                        "chmod" => Verb::Chmod,
                        "chown" => Verb::Chown,
                        "package" => Verb::Install,
                        "process" => Verb::Kill,
                        "script" | "cmd" => Verb::Exec,
                        "bind" => Verb::Listen,
                        _ => Verb::Read,
                    };
                    if let Some(dl) = &w.download {
                        if matches!(role, "exec" | "script" | "cmd") {
                            let mut b = a.clone();
                            b.pipe_to_shell = true;
                            self.push(
                                f,
                                span,
                                Verb::DownloadExec,
                                dl.clone(),
                                b,
                                &["T1105".to_string()],
                            );
                        }
                    }
                    self.push(
                        f,
                        span,
                        verb,
                        Resource::Unknown {
                            text: w.text.clone(),
                        },
                        a,
                        tech,
                    );
                    if verb == Verb::Connect {
                        return Some(Resource::Unknown {
                            text: w.text.clone(),
                        });
                    }
                    return None;
                }
            }
        }
        let path_verb = |r: &str| -> Option<Verb> {
            Some(match r {
                "read" => Verb::Read,
                "write" => Verb::Write,
                "delete" => Verb::Delete,
                "exec" => Verb::Exec,
                "chmod" => Verb::Chmod,
                "chown" => Verb::Chown,
                "mount" => Verb::Mount,
                "persist" => Verb::Persist,
                "log_tamper" => Verb::LogTamper,
                "credential_access" => Verb::CredentialAccess,
                _ => return None,
            })
        };
        if role == "program" && !t.contains('/') && !t.is_empty() {
            // a program looked up on PATH (`nc -e sh`)
            self.push(
                f,
                span,
                Verb::Exec,
                Resource::Program {
                    name: t.to_string(),
                },
                a,
                tech,
            );
            return None;
        }
        let role = if role == "program" { "exec" } else { role };
        if let Some(v) = path_verb(role) {
            if t == "-" || t.is_empty() {
                return None;
            }
            if let Some(r) = dev_tcp(t) {
                self.push(f, span, Verb::Connect, r, a, tech);
                return None;
            }
            if host::is_url(t) && matches!(role, "read" | "exec") {
                if let Some(r) = host::url_resource(t) {
                    self.push(f, span, Verb::Connect, r.clone(), a, tech);
                    return Some(r);
                }
            }
            if role == "persist" && !t.contains('/') && !t.contains('.') {
                // systemctl enable UNIT
                self.push(
                    f,
                    span,
                    Verb::Persist,
                    Resource::Process {
                        target: t.to_string(),
                    },
                    a,
                    tech,
                );
                return None;
            }
            if role == "persist"
                && !t.starts_with('/')
                && !t.starts_with('.')
                && !t.starts_with('~')
            {
                self.push(
                    f,
                    span,
                    Verb::Persist,
                    Resource::Process {
                        target: t.to_string(),
                    },
                    a,
                    tech,
                );
                return None;
            }
            let res = self.path_res(t);
            if v == Verb::Exec {
                if let Resource::Path { path, .. } = &res {
                    if let Some(src_url) = self.downloaded_source(path) {
                        self.push(
                            f,
                            span,
                            Verb::DownloadExec,
                            src_url,
                            a.clone(),
                            &["T1105".to_string()],
                        );
                    }
                }
                self.push(f, span, Verb::Read, res.clone(), a.clone(), &[]);
            }
            let exec_path = match (&res, v) {
                (Resource::Path { path, .. }, Verb::Exec) => Some(path.clone()),
                _ => None,
            };
            self.push(f, span, v, res, a, tech);
            if let Some(p) = exec_path {
                let lang = cmd.lang.clone().unwrap_or_else(|| "sh".to_string());
                self.run_written(&p, &lang, f, span, 0);
            }
            return None;
        }
        match role {
            "skip" | "mode" | "user" | "module" | "" => None,
            "any" => {
                if host::is_url(t) {
                    if let Some(r) = host::url_resource(t) {
                        self.push(f, span, Verb::Connect, r.clone(), a, tech);
                        return Some(r);
                    }
                } else if let Some(r) = dev_tcp(t) {
                    self.push(f, span, Verb::Connect, r, a, tech);
                } else if path::looks_like_path(t) {
                    let res = self.path_res(t);
                    self.push(f, span, Verb::Read, res, a, tech);
                }
                None
            }
            "url" | "urlish" => {
                if role == "urlish" && !host::is_url(t) && !is_scp_like(t) {
                    if t.starts_with('/')
                        || t.starts_with("./")
                        || t.starts_with("../")
                        || t.starts_with('~')
                    {
                        let res = self.path_res(t);
                        self.push(f, span, Verb::Read, res, a, tech);
                    }
                    return None;
                }
                if is_scp_like(t) && !host::is_url(t) {
                    let h = t.split(':').next().unwrap_or(t);
                    let r = host::host_resource(h, Some(22));
                    self.push(f, span, Verb::Connect, r.clone(), a, tech);
                    return Some(r);
                }
                if t.starts_with('-') || t.is_empty() {
                    return None;
                }
                match host::url_resource(t) {
                    Some(r) => {
                        self.push(f, span, Verb::Connect, r.clone(), a, tech);
                        Some(r)
                    }
                    None => None,
                }
            }
            "host" | "dns" => {
                if t.is_empty() || t.starts_with('-') {
                    return None;
                }
                if cmd.listen {
                    // `nc -l [host] port`: a bind address or the port
                    if let Ok(p) = t.parse::<u16>() {
                        cmd.port = Some(p);
                        self.push(
                            f,
                            span,
                            Verb::Listen,
                            Resource::Host {
                                host: "0.0.0.0".into(),
                                port: Some(p),
                                class: super::action::HostClass::Public,
                            },
                            a,
                            tech,
                        );
                    }
                    return None;
                }
                let r = if host::is_url(t) {
                    host::url_resource(t)?
                } else {
                    let (h, p) = host::split_host_port(t.rsplit_once('@').map_or(t, |(_, h)| h));
                    let info = host::classify(h);
                    Resource::Host {
                        host: info.host,
                        port: p.or(cmd.port),
                        class: info.class,
                    }
                };
                if role == "dns" && t.starts_with('@') {
                    return None;
                }
                cmd.last_host = Some(self.actions.len());
                self.push(f, span, Verb::Connect, r.clone(), a, tech);
                Some(r)
            }
            "jump" => {
                for h in t.split(',') {
                    let r = host::host_resource(h, Some(22));
                    self.push(f, span, Verb::Connect, r, a.clone(), tech);
                }
                None
            }
            "port" => {
                if let Ok(p) = t.parse::<u16>() {
                    cmd.port = Some(p);
                    // fill the port of the host action of this command
                    if let Some(idx) = cmd.last_host {
                        if let Some(Action {
                            resource: Resource::Host { port, .. },
                            ..
                        }) = self.actions.get_mut(idx)
                        {
                            if port.is_none() {
                                *port = Some(p);
                            }
                        }
                    }
                    if cmd.listen {
                        self.push(
                            f,
                            span,
                            Verb::Listen,
                            Resource::Host {
                                host: "0.0.0.0".into(),
                                port: Some(p),
                                class: super::action::HostClass::Public,
                            },
                            a,
                            tech,
                        );
                    }
                }
                None
            }
            "listen" => {
                let (h, p) = host::split_host_port(t);
                let (info, port) = match (h.parse::<u16>(), p) {
                    // a port alone: the program's default bind address
                    (Ok(pp), None) => (host::classify("0.0.0.0"), Some(pp)),
                    (_, p) if h.is_empty() => (host::classify("0.0.0.0"), p),
                    // an explicit bind address (`0.0.0.0:8000`, `127.0.0.1:8000`)
                    (_, p) => {
                        let (info, exposed) = host::bind_address(h);
                        a.exposed = exposed;
                        (info, p)
                    }
                };
                self.push(
                    f,
                    span,
                    Verb::Listen,
                    Resource::Host {
                        host: info.host,
                        port,
                        class: info.class,
                    },
                    a,
                    tech,
                );
                None
            }
            "bind" => {
                // a server's bind address option (`--host 0.0.0.0`): a
                // listen reachable beyond loopback is reported as such
                if t.is_empty() || t.starts_with('-') {
                    return None;
                }
                let (h, p) = host::split_host_port(t);
                let (info, exposed) = host::bind_address(h);
                if exposed {
                    a.exposed = true;
                    self.push(
                        f,
                        span,
                        Verb::Listen,
                        Resource::Host {
                            host: info.host,
                            port: p.or(cmd.port),
                            class: info.class,
                        },
                        a,
                        tech,
                    );
                }
                None
            }
            "forward_local" | "forward_remote" => {
                // [bind:]port:host:hostport  or  [bind:]port (dynamic)
                let parts: Vec<&str> = t.split(':').collect();
                let (listen_port, target) = match parts.len() {
                    4 => (parts[1], Some((parts[2], parts[3]))),
                    3 => (parts[0], Some((parts[1], parts[2]))),
                    _ => (parts.first().copied().unwrap_or(""), None),
                };
                let mut b = a.clone();
                if role == "forward_remote" {
                    b.remote = Some("ssh-remote".into());
                }
                self.push(
                    f,
                    span,
                    Verb::Listen,
                    Resource::Host {
                        host: "0.0.0.0".into(),
                        port: listen_port.parse().ok(),
                        class: super::action::HostClass::Public,
                    },
                    b,
                    &["T1572".to_string()],
                );
                if let Some((h, p)) = target {
                    let r = host::host_resource(&format!("{h}:{p}"), None);
                    self.push(f, span, Verb::Connect, r, a, &["T1572".to_string()]);
                }
                None
            }
            "ssh_option" => {
                if let Some((k, v)) = t.split_once('=').or_else(|| t.split_once(' ')) {
                    let k = k.trim().to_ascii_lowercase();
                    if k == "proxycommand"
                        || k == "localcommand"
                        || k == "permitlocalcommand" && v == "yes"
                    {
                        if k != "permitlocalcommand" {
                            self.nested_shell(
                                &Word {
                                    text: v.to_string(),
                                    ..w.clone()
                                },
                                f,
                                span,
                                0,
                            );
                        }
                    } else if k == "proxyjump" {
                        let r = host::host_resource(v, Some(22));
                        self.push(f, span, Verb::Connect, r, a, tech);
                    } else if k == "identityfile" {
                        let res = self.path_res(v);
                        self.push(f, span, Verb::Read, res, a, tech);
                    } else if k == "port" {
                        cmd.port = v.trim().parse().ok();
                    } else if k == "dynamicforward" || k == "localforward" || k == "remoteforward" {
                        self.push(
                            f,
                            span,
                            Verb::Listen,
                            Resource::Host {
                                host: "0.0.0.0".into(),
                                port: v.split([':', ' ']).next().and_then(|p| p.parse().ok()),
                                class: super::action::HostClass::Public,
                            },
                            a,
                            &["T1572".to_string()],
                        );
                    }
                }
                None
            }
            "process" => {
                if t.starts_with('-') && !t[1..].chars().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                self.push(
                    f,
                    span,
                    Verb::Kill,
                    Resource::Process {
                        target: t.to_string(),
                    },
                    a,
                    tech,
                );
                None
            }
            "package" | "package_file" => {
                // `package`: a name, URL or file the manager installs;
                // `package_file`: always a local file that is read.
                let is_file = role == "package_file";
                if !is_file {
                    if t.starts_with('-') || t.is_empty() {
                        return None;
                    }
                    if host::is_url(t) {
                        if let Some(r) = host::url_resource(t) {
                            self.push(f, span, Verb::Connect, r, a.clone(), tech);
                        }
                    }
                }
                if is_file
                    || t.starts_with('.')
                    || t.starts_with('/')
                    || t.ends_with(".deb")
                    || t.ends_with(".rpm")
                    || t.ends_with(".whl")
                    || t.ends_with(".tgz")
                    || t.ends_with(".tar.gz")
                {
                    let res = self.path_res(t);
                    self.push(f, span, Verb::Read, res, a.clone(), tech);
                }
                self.push(
                    f,
                    span,
                    Verb::Install,
                    Resource::Package {
                        manager: mgr.to_string(),
                        name: t.to_string(),
                    },
                    a,
                    tech,
                );
                None
            }
            "script" | "cmd" => {
                self.nested_shell(w, f, span, 0);
                None
            }
            "code" => {
                self.inline_code(w, "awk", f, span, 0);
                None
            }
            "data" | "form" => {
                // curl -d @file / -F name=@file
                let file = if role == "form" {
                    t.split_once("=@")
                        .map(|(_, p)| p.split(';').next().unwrap_or(p))
                } else {
                    t.strip_prefix('@')
                };
                if let Some(p) = file {
                    if p != "-" && !p.is_empty() {
                        let res = self.path_res(p);
                        self.push(f, span, Verb::Read, res, a, tech);
                    }
                } else if role == "form" {
                    if let Some((_, p)) = t.split_once("=<") {
                        let res = self.path_res(p);
                        self.push(f, span, Verb::Read, res, a, tech);
                    }
                }
                None
            }
            "credential" => None,
            "editor_cmd" => {
                // vim -c ':!sh' / '+!cmd' runs a shell command
                let c = t.trim_start_matches([':', '+']);
                if let Some(sh) = c.strip_prefix('!') {
                    self.nested_shell(
                        &Word {
                            text: sh.to_string(),
                            ..w.clone()
                        },
                        f,
                        span,
                        0,
                    );
                } else if let Some(sh) = c.strip_prefix("call system(") {
                    self.nested_shell(
                        &Word {
                            text: sh
                                .trim_end_matches(')')
                                .trim_matches(['"', '\''])
                                .to_string(),
                            ..w.clone()
                        },
                        f,
                        span,
                        0,
                    );
                }
                None
            }
            "remote" | "remote_write" => {
                if let (Some((before, after)), false) =
                    (t.rsplit_once('@'), t.starts_with('/') || host::is_url(t))
                {
                    if !before.is_empty() {
                        let h = after.split([':', '/']).next().unwrap_or(after);
                        if !h.is_empty() {
                            let r = host::host_resource(h, Some(cmd.port.unwrap_or(22)));
                            self.push(f, span, Verb::Connect, r, a, tech);
                            return None;
                        }
                    }
                }
                if let Some((h, p)) = remote_spec(t) {
                    let r = host::host_resource(h, Some(cmd.port.unwrap_or(22)));
                    let mut b = a.clone();
                    let hostname = match &r {
                        Resource::Host { host, .. } => host.clone(),
                        _ => h.to_string(),
                    };
                    self.push(f, span, Verb::Connect, r, a, tech);
                    b.remote = Some(hostname);
                    let _ = p;
                    None
                } else if host::is_url(t) {
                    let r = host::url_resource(t)?;
                    self.push(f, span, Verb::Connect, r, a, tech);
                    None
                } else {
                    let verb = if role == "remote" {
                        Verb::Read
                    } else {
                        Verb::Write
                    };
                    let res = self.path_res(t);
                    self.push(f, span, verb, res, a, tech);
                    None
                }
            }
            "cloud" | "cloud_write" | "cloud_delete" => {
                if let Some((scheme, rest)) = t.split_once("://") {
                    let bucket = rest.split('/').next().unwrap_or(rest);
                    let res = Resource::Url {
                        url: t.to_string(),
                        host: bucket.to_string(),
                        port: None,
                        class: super::action::HostClass::Public,
                    };
                    let _ = scheme;
                    let verb = if role == "cloud_delete" {
                        Verb::Delete
                    } else {
                        Verb::Connect
                    };
                    self.push(f, span, verb, res.clone(), a.clone(), tech);
                    if role == "cloud_delete" {
                        self.push(f, span, Verb::Connect, res, a, tech);
                    } else if role == "cloud" {
                        return Some(res);
                    }
                } else if t != "-" {
                    let verb = if role == "cloud" {
                        Verb::Read
                    } else {
                        Verb::Write
                    };
                    let res = self.path_res(t);
                    self.push(f, span, verb, res, a, tech);
                }
                None
            }
            "volume" => {
                // -v /host/path:/container[:opts]  or --mount type=bind,source=/x,target=/y
                let src = if t.contains("source=") || t.contains("src=") {
                    t.split(',').find_map(|kv| {
                        kv.strip_prefix("source=")
                            .or_else(|| kv.strip_prefix("src="))
                    })
                } else {
                    t.split(':').next()
                };
                if let Some(s) = src {
                    if s.starts_with('/')
                        || s.starts_with('.')
                        || s.starts_with('~')
                        || s.starts_with('$')
                    {
                        let res = self.path_res(s);
                        let mut tt: Vec<String> = tech.to_vec();
                        if s == "/"
                            || s.starts_with("/var/run/docker.sock")
                            || s.starts_with("/run/docker.sock")
                            || s == "/etc"
                            || s.starts_with("/proc")
                            || s == "/root"
                            || s.starts_with("/dev")
                        {
                            tt.push("T1611".to_string());
                            let pr = res.clone();
                            self.push(
                                f,
                                span,
                                Verb::Privilege,
                                pr,
                                a.clone(),
                                &["T1611".to_string()],
                            );
                        }
                        self.push(f, span, Verb::Mount, res, a, &tt);
                    }
                }
                None
            }
            "publish" => {
                // [ip:]hostPort:containerPort
                let parts: Vec<&str> = t.split(':').collect();
                let (h, p) = match parts.len() {
                    3 => (parts[0], parts[1]),
                    2 => ("0.0.0.0", parts[0]),
                    _ => ("0.0.0.0", parts[0]),
                };
                let info = host::classify(h);
                self.push(
                    f,
                    span,
                    Verb::Listen,
                    Resource::Host {
                        host: info.host,
                        port: p.split('/').next().and_then(|x| x.parse().ok()),
                        class: info.class,
                    },
                    a,
                    tech,
                );
                None
            }
            "publish_kube" => {
                // kubectl port-forward pod 8080:80
                if let Some((lp, _)) = t.split_once(':') {
                    self.push(
                        f,
                        span,
                        Verb::Listen,
                        Resource::Host {
                            host: "127.0.0.1".into(),
                            port: lp.parse().ok(),
                            class: super::action::HostClass::Loopback,
                        },
                        a,
                        tech,
                    );
                }
                None
            }
            "container_copy" | "container_copy_dst" => {
                if let Some((c, p)) = t.split_once(':') {
                    if !c.is_empty() && !c.starts_with(['/', '.', '~']) {
                        let mut b = a.clone();
                        b.remote = Some(format!("container:{c}"));
                        let verb = if role == "container_copy" {
                            Verb::Read
                        } else {
                            Verb::Write
                        };
                        self.push(
                            f,
                            span,
                            verb,
                            Resource::Path {
                                path: p.to_string(),
                                glob: path::has_glob(p),
                            },
                            b,
                            &["T1609".to_string()],
                        );
                        return None;
                    }
                }
                let verb = if role == "container_copy" {
                    Verb::Read
                } else {
                    Verb::Write
                };
                let res = self.path_res(t);
                self.push(f, span, verb, res, a, tech);
                None
            }
            "socket" => {
                socat_address(self, t, f, span, &a, tech, cmd);
                None
            }
            _ => {
                // unknown role name: be conservative
                if path::looks_like_path(t) {
                    let res = self.path_res(t);
                    self.push(f, span, Verb::Read, res, a, tech);
                }
                None
            }
        }
    }

    /// Parse a word as nested shell text (sh -c, eval, ssh HOST CMD, ...).
    pub(crate) fn nested_shell(&mut self, w: &Word, f: &Frame, span: Span, _sd: usize) {
        let mut inner = f.clone();
        inner.depth += 1;
        inner.span = Some(f.span.unwrap_or(span));
        inner.obfuscated |= w.obfuscated;
        if inner.depth > self.ctx.max_depth {
            self.overflow = true;
            return;
        }
        if !w.resolved {
            let mut a = ActionAttrs {
                unresolved: true,
                ..Default::default()
            };
            if let Some(dl) = &w.download {
                a.pipe_to_shell = true;
                self.push(
                    &inner,
                    span,
                    Verb::DownloadExec,
                    dl.clone(),
                    a.clone(),
                    &["T1105".to_string(), "T1059.004".to_string()],
                );
            }
            // parse what is there anyway: literal parts still show intent
            self.push(
                &inner,
                span,
                Verb::Exec,
                Resource::Unknown {
                    text: truncate(&w.text, 200),
                },
                a,
                &[],
            );
        }
        let saved_cwd = self.cwd.clone();
        self.shell(&w.text.clone(), &inner);
        self.cwd = saved_cwd;
    }

    fn stdin_code(&mut self, stdin: Stream, lang: &str, f: &Frame, span: Span, sd: usize) {
        match stdin {
            Stream::Text { text, obfuscated } => {
                let mut inner = f.clone();
                inner.obfuscated |= obfuscated;
                inner.pipe_to_shell = true;
                let w = Word {
                    text,
                    resolved: true,
                    glob: false,
                    obfuscated,
                    download: None,
                };
                if lang == "sh" {
                    self.nested_shell(&w, &inner, span, sd);
                } else {
                    self.inline_code(&w, lang, &inner, span, sd);
                }
            }
            Stream::Download(r) => {
                let a = ActionAttrs {
                    pipe_to_shell: true,
                    unresolved: matches!(r, Resource::Unknown { .. }),
                    ..Default::default()
                };
                self.push(
                    f,
                    span,
                    Verb::DownloadExec,
                    r,
                    a,
                    &["T1105".to_string(), "T1059.004".to_string()],
                );
            }
            Stream::Unknown => {
                let a = ActionAttrs {
                    pipe_to_shell: true,
                    unresolved: true,
                    ..Default::default()
                };
                self.push(
                    f,
                    span,
                    Verb::Exec,
                    Resource::Unknown {
                        text: "<stdin>".into(),
                    },
                    a,
                    &[],
                );
            }
            Stream::None => {}
        }
    }

    fn inline_code(&mut self, w: &Word, lang: &str, f: &Frame, span: Span, _sd: usize) {
        // PowerShell -EncodedCommand: base64 of UTF-16LE
        let decoded;
        let w = if lang == "powershell"
            && !w.text.trim().contains(char::is_whitespace)
            && w.text.len() >= 4
        {
            match decode::base64_utf16le(w.text.trim()) {
                Some(d) => {
                    decoded = Word {
                        text: d,
                        obfuscated: true,
                        ..w.clone()
                    };
                    &decoded
                }
                None => w,
            }
        } else {
            w
        };
        let mut a = ActionAttrs::default();
        a.obfuscated |= w.obfuscated;
        a.unresolved |= !w.resolved;
        let tech = inline::technique(lang);
        self.push(
            f,
            span,
            Verb::InlineCode,
            Resource::Unknown {
                text: truncate(&w.text, 512),
            },
            a.clone(),
            &[tech.to_string()],
        );
        let mut inner = f.clone();
        inner.obfuscated |= w.obfuscated;
        let found = inline::extract(lang, &w.text);
        for item in found {
            let mut inner2 = inner.clone();
            inner2.obfuscated |= item.obfuscated();
            match item {
                inline::Extracted::Shell { text, .. } => {
                    let word = Word {
                        text,
                        resolved: true,
                        glob: false,
                        obfuscated: inner2.obfuscated,
                        download: None,
                    };
                    self.nested_shell(&word, &inner2, span, 0);
                }
                inline::Extracted::Argv { argv, .. } => {
                    let words: Vec<Word> = argv.iter().map(|s| Word::lit(s)).collect();
                    let mut deeper = inner2.clone();
                    deeper.depth += 1;
                    deeper.span = Some(f.span.unwrap_or(span));
                    let _ = self.argv(&words, &deeper, span, Stream::Unknown, 1);
                }
                inline::Extracted::Connect { host: h, port, .. } => {
                    let r = if host::is_url(&h) {
                        host::url_resource(&h).unwrap_or(Resource::Unknown { text: h.clone() })
                    } else {
                        host::host_resource(&h, port)
                    };
                    self.push(
                        &inner2,
                        span,
                        Verb::Connect,
                        r,
                        ActionAttrs::default(),
                        &["T1095".to_string()],
                    );
                }
                inline::Extracted::Listen { port, .. } => {
                    self.push(
                        &inner2,
                        span,
                        Verb::Listen,
                        Resource::Host {
                            host: "0.0.0.0".into(),
                            port,
                            class: super::action::HostClass::Public,
                        },
                        ActionAttrs::default(),
                        &[],
                    );
                }
                inline::Extracted::File { path: p, write, .. } => {
                    let res = self.path_res(&p);
                    self.push(
                        &inner2,
                        span,
                        if write { Verb::Write } else { Verb::Read },
                        res,
                        ActionAttrs::default(),
                        &[],
                    );
                }
                inline::Extracted::Delete { path: p, .. } => {
                    let res = self.path_res(&p);
                    self.push(
                        &inner2,
                        span,
                        Verb::Delete,
                        res,
                        ActionAttrs::default(),
                        &[],
                    );
                }
                inline::Extracted::Url { url, .. } => {
                    if let Some(r) = host::url_resource(&url) {
                        self.push(&inner2, span, Verb::Connect, r, ActionAttrs::default(), &[]);
                    }
                }
                inline::Extracted::Privilege { .. } => {
                    self.push(
                        &inner2,
                        span,
                        Verb::Privilege,
                        Resource::Program {
                            name: lang.to_string(),
                        },
                        ActionAttrs::default(),
                        &["T1548".to_string()],
                    );
                }
                inline::Extracted::Exec { program, .. } => {
                    let res = if program.contains('/') {
                        self.path_res(&program)
                    } else {
                        Resource::Program { name: program }
                    };
                    self.push(&inner2, span, Verb::Exec, res, ActionAttrs::default(), &[]);
                }
            }
        }
    }

    fn python_module(&mut self, module: &str, rest: &[Word], f: &Frame, span: Span, sd: usize) {
        match module {
            "http.server" | "SimpleHTTPServer" | "uvicorn" | "flask" | "pyftpdlib" | "smtpd" => {
                let port = rest
                    .iter()
                    .find_map(|w| w.text.parse::<u16>().ok())
                    .or(Some(
                        if module == "http.server" || module == "SimpleHTTPServer" {
                            8000
                        } else {
                            5000
                        },
                    ));
                // An explicit bind address is classified (every interface,
                // loopback or a host); the module's default leaves
                // `exposed` unset.
                let bind = rest
                    .iter()
                    .enumerate()
                    .find_map(|(i, w)| match w.text.as_str() {
                        "--bind" | "-b" | "--host" => rest.get(i + 1).map(|v| v.text.clone()),
                        t => t
                            .strip_prefix("--bind=")
                            .or_else(|| t.strip_prefix("--host="))
                            .map(str::to_owned),
                    });
                let (info, exposed) = match &bind {
                    Some(b) => host::bind_address(b),
                    None => (host::classify("0.0.0.0"), false),
                };
                let class = if bind.is_some() {
                    info.class
                } else {
                    super::action::HostClass::Public
                };
                self.push(
                    f,
                    span,
                    Verb::Listen,
                    Resource::Host {
                        host: info.host,
                        port,
                        class,
                    },
                    ActionAttrs {
                        exposed,
                        ..ActionAttrs::default()
                    },
                    &[],
                );
            }
            _ => {
                let mut words = vec![Word::lit(module.split('.').next().unwrap_or(module))];
                words.extend(rest.iter().cloned());
                let known = kb::table().get(module).is_some();
                if known {
                    let _ = self.argv(&words, f, span, Stream::Unknown, sd + 1);
                } else {
                    self.push(
                        f,
                        span,
                        Verb::Exec,
                        Resource::Program {
                            name: format!("python -m {module}"),
                        },
                        ActionAttrs::default(),
                        &[],
                    );
                    self.unknown_args(rest, f, span);
                }
            }
        }
    }

    fn find(&mut self, args: &[Word], f: &Frame, span: Span, sd: usize) {
        let mut i = 0;
        let mut roots: Vec<&Word> = Vec::new();
        // roots come before the first expression token
        while i < args.len() {
            let t = args[i].text.as_str();
            if t.starts_with('-') || t == "(" || t == "!" || t == "\\(" {
                if matches!(t, "-H" | "-L" | "-P") {
                    i += 1;
                    continue;
                }
                break;
            }
            roots.push(&args[i]);
            i += 1;
        }
        let default_root = Word::lit(".");
        if roots.is_empty() {
            roots.push(&default_root);
        }
        let mut delete = false;
        let attrs = ActionAttrs {
            recursive: true,
            ..Default::default()
        };
        while i < args.len() {
            let t = args[i].text.as_str();
            match t {
                "-exec" | "-execdir" | "-ok" | "-okdir" => {
                    let start = i + 1;
                    let mut end = start;
                    while end < args.len()
                        && args[end].text != ";"
                        && args[end].text != "+"
                        && args[end].text != "\\;"
                    {
                        end += 1;
                    }
                    if start < end {
                        let inner: Vec<Word> = args[start..end]
                            .iter()
                            .map(|w| {
                                if w.text.contains("{}") {
                                    Word {
                                        text: w.text.replace("{}", &roots[0].text),
                                        glob: true,
                                        ..w.clone()
                                    }
                                } else {
                                    w.clone()
                                }
                            })
                            .collect();
                        let _ = self.argv(&inner, f, span, Stream::Unknown, sd + 1);
                    }
                    i = end + 1;
                    continue;
                }
                "-delete" => delete = true,
                "-fprint" | "-fprintf" | "-fls" | "-fprint0" => {
                    if let Some(w) = args.get(i + 1) {
                        let res = self.path_res(&w.text);
                        self.push(f, span, Verb::Write, res, ActionAttrs::default(), &[]);
                    }
                    i += 1;
                }
                _ => {}
            }
            i += 1;
        }
        self.push(
            f,
            span,
            Verb::Exec,
            Resource::Program {
                name: "find".into(),
            },
            ActionAttrs::default(),
            &[],
        );
        for r in roots {
            let res = self.path_res(&r.text);
            let mut a = attrs.clone();
            a.unresolved |= !r.resolved;
            if delete {
                self.push(
                    f,
                    span,
                    Verb::Delete,
                    res.clone(),
                    a.clone(),
                    &["T1070.004".to_string()],
                );
            }
            self.push(f, span, Verb::Read, res, a, &[]);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tar(
        &mut self,
        args: &[Word],
        opt_values: &[(String, Word)],
        f: &Frame,
        span: Span,
        attrs: &ActionAttrs,
        sd: usize,
    ) {
        let _ = sd;
        // the mode letters: first word without dash, or short flags
        let mut mode = ' ';
        let mut file: Option<String> = None;
        let mut change_dir: Option<String> = None;
        let mut positionals: Vec<&Word> = Vec::new();
        let mut i = 0;
        let mut first = true;
        while i < args.len() {
            let t = args[i].text.as_str();
            if let Some(v) = t.strip_prefix("--file=") {
                file = Some(v.to_string());
            } else if t == "--file" || t == "-f" {
                file = args.get(i + 1).map(|w| w.text.clone());
                i += 1;
            } else if let Some(v) = t.strip_prefix("--directory=") {
                change_dir = Some(v.to_string());
            } else if t == "-C" || t == "--directory" {
                change_dir = args.get(i + 1).map(|w| w.text.clone());
                i += 1;
            } else if let Some(v) = t.strip_prefix("--checkpoint-action=exec=") {
                self.nested_shell(
                    &Word {
                        text: v.to_string(),
                        ..args[i].clone()
                    },
                    f,
                    span,
                    0,
                );
            } else if t == "--create"
                || t == "--extract"
                || t == "--list"
                || t == "--append"
                || t == "--get"
            {
                mode = match t {
                    "--create" => 'c',
                    "--extract" | "--get" => 'x',
                    "--list" => 't',
                    _ => 'r',
                };
            } else if t.starts_with("--") {
                if t.contains('=')
                    || matches!(
                        t,
                        "--remove-files"
                            | "--overwrite"
                            | "-v"
                            | "--verbose"
                            | "--gzip"
                            | "--xz"
                            | "--bzip2"
                            | "--zstd"
                            | "--absolute-names"
                            | "--same-owner"
                            | "--preserve-permissions"
                            | "--numeric-owner"
                    )
                {
                } else if matches!(
                    t,
                    "--exclude"
                        | "--transform"
                        | "--strip-components"
                        | "--owner"
                        | "--group"
                        | "--mode"
                        | "--format"
                ) {
                    i += 1;
                }
            } else if (t.starts_with('-') || first)
                && t.len() > 1
                && t.trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_alphabetic())
                && !(first && path::looks_like_path(t))
            {
                let letters: Vec<char> = t.trim_start_matches('-').chars().collect();
                for (li, c) in letters.iter().enumerate() {
                    match c {
                        'c' | 'x' | 't' | 'r' | 'u' => mode = *c,
                        'f' => {
                            if li == letters.len() - 1 {
                                file = args.get(i + 1).map(|w| w.text.clone());
                                i += 1;
                            } else {
                                // -fNAME
                                let rest: String = letters[li + 1..].iter().collect();
                                file = Some(rest);
                                break;
                            }
                        }
                        'C' => {
                            change_dir = args.get(i + 1).map(|w| w.text.clone());
                            i += 1;
                        }
                        _ => {}
                    }
                }
            } else if t.starts_with('-') && t.len() > 1 {
                // -T file, -X file, -I prog handled by opts
                if matches!(t, "-T" | "-X" | "-I" | "-H" | "-b") {
                    i += 1;
                }
            } else {
                positionals.push(&args[i]);
            }
            first = false;
            i += 1;
        }
        for (role, v) in opt_values {
            if role == "script" {
                let _ = v;
            }
        }
        let creating = matches!(mode, 'c' | 'r' | 'u');
        if let Some(fl) = &file {
            if fl != "-" {
                if host::is_url(fl) || is_scp_like(fl) {
                    let h = fl.split(':').next().unwrap_or(fl);
                    let r = host::host_resource(h, Some(22));
                    self.push(f, span, Verb::Connect, r, attrs.clone(), &[]);
                } else {
                    let res = self.path_res(fl);
                    self.push(
                        f,
                        span,
                        if creating { Verb::Write } else { Verb::Read },
                        res,
                        attrs.clone(),
                        &[],
                    );
                }
            }
        }
        let saved = self.cwd.clone();
        if let Some(d) = &change_dir {
            self.cwd = path::normalize(d, &self.cwd, &self.ctx.home);
        }
        let mut a = attrs.clone();
        a.recursive = true;
        if creating {
            for p in &positionals {
                let res = self.path_res(&p.text);
                self.push(f, span, Verb::Read, res, a.clone(), &[]);
            }
        } else if mode == 'x' {
            let res = if positionals.is_empty() {
                Resource::Path {
                    path: self.cwd.clone(),
                    glob: false,
                }
            } else {
                self.path_res(&positionals[0].text)
            };
            self.push(f, span, Verb::Write, res, a.clone(), &[]);
        }
        self.cwd = saved;
    }

    fn produce(&mut self, base: &str, args: &[Word], stdin: Stream) -> Stream {
        if !args.iter().all(|w| w.resolved) {
            return Stream::Unknown;
        }
        let texts: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
        let obf_in = args.iter().any(|w| w.obfuscated);
        match base {
            "echo" => {
                let mut interpret = false;
                let mut newline = true;
                let mut k = 0;
                while k < texts.len()
                    && texts[k].starts_with('-')
                    && texts[k].len() > 1
                    && texts[k][1..].chars().all(|c| matches!(c, 'e' | 'n' | 'E'))
                {
                    if texts[k].contains('e') {
                        interpret = true;
                    }
                    if texts[k].contains('n') {
                        newline = false;
                    }
                    k += 1;
                }
                let mut out = texts[k..].join(" ");
                let mut obf = obf_in;
                if interpret {
                    let (d, o) = decode::c_escapes(&out);
                    out = d;
                    obf |= o;
                }
                if newline {
                    out.push('\n');
                }
                Stream::Text {
                    text: out,
                    obfuscated: obf,
                }
            }
            "printf" => {
                let mut k = 0;
                if texts.first() == Some(&"-v") {
                    return Stream::None;
                }
                if texts.first() == Some(&"--") {
                    k = 1;
                }
                let Some(fmt) = texts.get(k) else {
                    return Stream::Text {
                        text: String::new(),
                        obfuscated: false,
                    };
                };
                let (out, obf) = decode::printf(fmt, &texts[k + 1..]);
                Stream::Text {
                    text: out,
                    obfuscated: obf || obf_in,
                }
            }
            "yes" => Stream::Unknown,
            "pwd" => Stream::Text {
                text: format!("{}\n", self.cwd),
                obfuscated: false,
            },
            _ => {
                let _ = stdin;
                Stream::Unknown
            }
        }
    }
}

/// Per-command scan state.
#[derive(Debug)]
struct CmdState {
    spec: &'static Spec,
    recursive: bool,
    force: bool,
    shell: bool,
    lookup: bool,
    /// Empties its target files (`truncate -s 0`, `cp /dev/null f`).
    truncate: bool,
    listen: bool,
    port: Option<u16>,
    last_host: Option<usize>,
    code: Option<Word>,
    code_ends_opts: bool,
    dashdash_seen: bool,
    pos_override: Option<String>,
    emit: Vec<String>,
    tech: Vec<String>,
    effect_list: Vec<String>,
    parent_manager: Option<String>,
    stdin_script: bool,
    /// Language of scripts this command runs (interpreters).
    lang: Option<String>,
}

impl CmdState {
    fn new(spec: &'static Spec) -> CmdState {
        CmdState {
            spec,
            recursive: false,
            force: false,
            shell: false,
            lookup: false,
            truncate: false,
            listen: false,
            port: None,
            last_host: None,
            code: None,
            code_ends_opts: false,
            dashdash_seen: false,
            pos_override: None,
            emit: Vec::new(),
            tech: Vec::new(),
            effect_list: Vec::new(),
            parent_manager: None,
            stdin_script: false,
            lang: spec.lang.clone(),
        }
    }

    fn effects(&mut self, list: &str) {
        for e in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            self.effect_list.push(e.to_string());
            match e {
                "recursive" => self.recursive = true,
                "force" => self.force = true,
                "truncate" => self.truncate = true,
                "shell" => self.shell = true,
                "stdin" => self.stdin_script = true,
                "lookup" => self.lookup = true,
                "listen" => {
                    self.listen = true;
                    self.emit.push("listen".into());
                }
                _ if e.starts_with("pos=") => self.pos_override = Some(e[4..].to_string()),
                _ if e.starts_with('T') && e[1..].starts_with(|c: char| c.is_ascii_digit()) => {
                    if !self.tech.iter().any(|t| t == e) {
                        self.tech.push(e.to_string());
                    }
                }
                _ => {
                    if verb_from(e).is_some() && !self.emit.iter().any(|x| x == e) {
                        self.emit.push(e.to_string());
                    }
                }
            }
        }
    }
}

fn is_env_assignment(t: &str) -> bool {
    match t.split_once('=') {
        Some((n, _)) => {
            !n.is_empty()
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !n.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

fn sub_key(_spec: &Spec, t: &str) -> &'static str {
    // only used for diagnostics; avoid holding borrowed text
    let _ = t;
    ""
}

/// Whether a command (its words) writes nothing to stdout, so that `CMD >
/// f` empties `f`: no command at all, `:`, `true`, `false`, `cat
/// /dev/null`, `echo -n`, `printf ''`.
fn null_output<'a>(words: impl IntoIterator<Item = &'a str>) -> bool {
    let mut it = words.into_iter();
    let Some(first) = it.next() else {
        return true;
    };
    let rest: Vec<&str> = it.collect();
    match first {
        ":" | "true" | "false" => true,
        "cat" => !rest.is_empty() && rest.iter().all(|w| *w == "/dev/null"),
        "echo" => rest == ["-n"],
        "printf" => matches!(rest.as_slice(), [""] | ["''"] | ["\"\""]),
        _ => false,
    }
}

/// Whether a word node holds an unquoted expansion (subject to splitting).
fn needs_split(n: Node) -> bool {
    match n.kind() {
        "simple_expansion" | "expansion" | "command_substitution" => true,
        "concatenation" | "command_name" => {
            let mut c = n.walk();
            let split = n.named_children(&mut c).any(needs_split);
            split
        }
        _ => false,
    }
}

/// A verb from its snake_case name.
pub(crate) fn verb_from(s: &str) -> Option<Verb> {
    Some(match s {
        "read" => Verb::Read,
        "write" => Verb::Write,
        "delete" => Verb::Delete,
        "exec" => Verb::Exec,
        "connect" => Verb::Connect,
        "listen" => Verb::Listen,
        "chmod" => Verb::Chmod,
        "chown" => Verb::Chown,
        "privilege" => Verb::Privilege,
        "persist" => Verb::Persist,
        "install" => Verb::Install,
        "kill" => Verb::Kill,
        "mount" => Verb::Mount,
        "network_config" => Verb::NetworkConfig,
        "credential_access" => Verb::CredentialAccess,
        "log_tamper" => Verb::LogTamper,
        "inline_code" => Verb::InlineCode,
        "download_exec" => Verb::DownloadExec,
        "call_tool" => Verb::CallTool,
        _ => return None,
    })
}

fn resource_text(r: &Resource) -> String {
    match r {
        Resource::Url { url, .. } => url.clone(),
        Resource::Host { host, .. } => host.clone(),
        Resource::Unknown { text } => text.clone(),
        other => format!("{other:?}"),
    }
}

/// `/dev/tcp/HOST/PORT` and `/dev/udp/HOST/PORT` (bash network redirections).
pub(crate) fn dev_tcp(t: &str) -> Option<Resource> {
    let rest = t
        .strip_prefix("/dev/tcp/")
        .or_else(|| t.strip_prefix("/dev/udp/"))?;
    let (h, p) = rest.split_once('/')?;
    let info = host::classify(h);
    Some(Resource::Host {
        host: info.host,
        port: p.parse().ok(),
        class: info.class,
    })
}

/// `user@host:path` or `host:path` (scp/rsync/git remote syntax).
fn is_scp_like(t: &str) -> bool {
    remote_spec(t).is_some() && !t.starts_with('/')
}

fn remote_spec(t: &str) -> Option<(&str, &str)> {
    if t.starts_with('/')
        || t.starts_with('.')
        || host::is_url(t)
        || t.starts_with('[') && !t.contains("]:")
    {
        return None;
    }
    let (h, p) = t.split_once(':')?;
    if h.is_empty() || h.contains('/') || h.contains('=') || h.len() == 1 {
        return None;
    }
    Some((h, p))
}

fn join_words(ws: &[Word]) -> Word {
    let mut text = String::new();
    let mut resolved = true;
    let mut obf = false;
    let mut download = None;
    for (i, w) in ws.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(&w.text);
        resolved &= w.resolved;
        obf |= w.obfuscated;
        if download.is_none() {
            download.clone_from(&w.download);
        }
    }
    Word {
        text,
        resolved,
        glob: false,
        obfuscated: obf,
        download,
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

fn strip_heredoc_end(body: &str) -> Option<String> {
    let _ = body;
    None
}

fn is_setuid_mode(mode: &str) -> bool {
    if mode.chars().all(|c| c.is_ascii_digit()) && mode.len() == 4 {
        return matches!(mode.chars().next(), Some('2' | '4' | '6' | '7'));
    }
    mode.contains('+') && mode.split('+').nth(1).is_some_and(|p| p.contains('s'))
        || mode.contains('=') && mode.split('=').nth(1).is_some_and(|p| p.contains('s'))
}

/// The command part of a crontab line (five time fields, or `@reboot`).
fn cron_command(line: &str) -> Option<&str> {
    let l = line.trim();
    if l.is_empty() || l.starts_with('#') {
        return None;
    }
    if l.starts_with('@') {
        return l.split_once(char::is_whitespace).map(|(_, c)| c.trim());
    }
    let mut rest = l;
    for _ in 0..5 {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace)?;
        rest = &rest[end..];
    }
    let c = rest.trim();
    if c.contains('=') && !c.contains(' ') {
        return None;
    }
    Some(c)
}

fn socat_address(
    w: &mut Walker<'_>,
    t: &str,
    f: &Frame,
    span: Span,
    a: &ActionAttrs,
    tech: &[String],
    _cmd: &mut CmdState,
) {
    let lower = t.to_ascii_lowercase();
    let (kind, rest) = lower.split_once(':').unwrap_or((&lower, ""));
    let rest_orig = t.split_once(':').map_or("", |(_, r)| r);
    match kind {
        "tcp" | "tcp4" | "tcp6" | "udp" | "udp4" | "udp6" | "tcp-connect" | "udp-connect"
        | "openssl" | "openssl-connect" | "socks4" | "socks4a" | "socks5" | "proxy" => {
            let addr = rest_orig.split(',').next().unwrap_or("");
            let r = host::host_resource(addr, None);
            w.push(f, span, Verb::Connect, r, a.clone(), tech);
        }
        "tcp-listen" | "tcp4-listen" | "tcp6-listen" | "udp-listen" | "openssl-listen"
        | "udp-recv" => {
            let port = rest.split(',').next().and_then(|p| p.parse().ok());
            w.push(
                f,
                span,
                Verb::Listen,
                Resource::Host {
                    host: "0.0.0.0".into(),
                    port,
                    class: super::action::HostClass::Public,
                },
                a.clone(),
                tech,
            );
        }
        "exec" | "system" => {
            let cmdtext = rest_orig
                .split(',')
                .next()
                .unwrap_or("")
                .trim_matches(['"', '\'']);
            w.nested_shell(&Word::lit(cmdtext), f, span, 0);
        }
        "open" | "file" | "create" | "gopen" => {
            let p = rest_orig.split(',').next().unwrap_or("");
            let res = w.path_res(p);
            w.push(f, span, Verb::Write, res, a.clone(), tech);
        }
        _ => {
            if t.starts_with('/') {
                let res = w.path_res(t.split(',').next().unwrap_or(t));
                w.push(f, span, Verb::Read, res, a.clone(), tech);
            }
        }
    }
}

/// The syntax tree as an S-expression (debugging aid for tests).
#[cfg(test)]
pub(crate) fn debug_tree(src: &str) -> Option<String> {
    let mut ticks = (PARSE_OPS_BASE + src.len() * PARSE_OPS_PER_BYTE) / OPS_PER_TICK;
    let deadline = Instant::now() + Duration::from_millis(WALL_MILLIS_BASE);
    parse_tree(src, &mut ticks, deadline).map(|t| t.root_node().to_sexp())
}
