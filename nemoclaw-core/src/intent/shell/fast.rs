//! The fast front end: a hand-written parser for a strict, common subset of
//! shell, tried before tree-sitter. It either takes the whole input or
//! answers "not mine" (`None`), and the tree-sitter front end then runs
//! unchanged.
//!
//! What it takes, and nothing else:
//! - words of the bytes `[A-Za-z0-9_./:=@+,~*-]`, single-quoted strings of
//!   printable ASCII, and double-quoted strings of printable ASCII without
//!   `$`, `` ` ``, `\` or `!` (so a word is always a constant: no expansion,
//!   substitution or escape can hide in it);
//! - simple commands joined by `|`, `&&`, `||` and `;`, with leading
//!   `NAME=value` / `NAME+=value` assignments;
//! - trailing redirections `>`, `>>`, `<`, `&>`, `&>>`, `1>`/`2>` (and
//!   `>>`), `>&N`/`1>&N`/`2>&N` to a plain word or descriptor;
//! - `[ WORD ]`, `[ -op WORD ]`, `[ WORD op WORD ]` tests and one level of
//!   `if …; then …; [elif …; then …;] [else …;] fi`.
//!
//! Anything else — `$`, backticks, backslashes, `#`, `!`, `(`, `)`, `{`,
//! `}`, `[` outside a test, newlines, control bytes and non-ASCII, `&`
//! backgrounding, heredocs and herestrings, redirections before or between
//! words, keywords (`for`, `while`, `case`, `function`, …) and the
//! declaration builtins (`export`, `local`, `declare`, `readonly`,
//! `typeset`, `unset`, `let`) — is left to tree-sitter.
//!
//! The syntax tree it builds is the one tree-sitter-bash builds for the same
//! text, including its binding of a trailing redirection to everything before
//! it in the list (`a && b 2>&1 | c` is `(a && b) 2>&1 | c`), and every span
//! is the byte range tree-sitter gives the node. Each simple command then
//! goes through the same [`Walker::simple_command`] as the tree-sitter front
//! end, so the knowledge base, wrappers, nested shells (parsed again through
//! [`Walker::shell`]), download-and-execute and the limits are one code.
//! Differential tests assert the two front ends give the same `Intent`.

use super::{
    null_output, Assign, FileRedirect, Frame, SimpleCommand, Stream, Walker, Word, WordSrc,
    MAX_SYNTAX_DEPTH,
};
use crate::intent::action::Span;
use crate::intent::path;

/// Longest input the fast front end takes; longer text goes to tree-sitter.
const MAX_FAST_BYTES: usize = 4096;
/// Most stages in one `|`/`&&`/`||` chain, and most redirections nesting
/// it: tree-sitter-bash nests lists and redirected statements one level
/// each, so longer chains can reach the walker's syntax-depth limit; they
/// are left to tree-sitter, which reports that limit the same way.
const MAX_CHAIN_STAGES: usize = 32;
const MAX_CHAIN_REDIRECTED: usize = 8;

/// Words that are keywords or builtins tree-sitter-bash parses into their
/// own node kinds: never a command name or a bare argument here.
const RESERVED: &[&str] = &[
    "if", "then", "elif", "else", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "in", "function", "select", "time", "coproc", "declare", "typeset", "export", "local",
    "readonly", "unset", "let", "{", "}", "!", "[[", "]]",
];

const TEST_UNARY: &[&str] = &[
    "-f", "-d", "-e", "-x", "-r", "-w", "-s", "-n", "-z", "-L", "-h",
];
const TEST_BINARY: &[&str] = &["=", "==", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"];

/// One statement, shaped as tree-sitter-bash shapes it.
#[derive(Debug)]
pub(super) enum Stmt {
    Cmd(Cmd),
    /// `a | b | c`
    Pipe(Vec<Stmt>),
    /// `a && b || c`, and the flattened parts of an `if` (each walked on its own)
    List(Vec<Stmt>),
    /// A statement with trailing redirections.
    Redir(Box<Stmt>, Vec<Redir>),
    /// `[ ... ]` of constant words: no action.
    Test,
}

#[derive(Debug)]
pub(super) struct Cmd {
    assigns: Vec<FastAssign>,
    words: Vec<Word>,
    start: usize,
    end: usize,
}

#[derive(Debug)]
struct FastAssign {
    name: String,
    value: Option<Word>,
    append: bool,
    start: usize,
    end: usize,
}

#[derive(Debug)]
pub(super) struct Redir {
    op: &'static str,
    dest: Word,
    start: usize,
    end: usize,
}

// ------------------------------------------------------------------ lexer

#[derive(Debug, Clone, Copy, PartialEq)]
enum Seg {
    Bare(usize, usize),
    /// Quoted content (quotes excluded).
    Quoted(usize, usize),
}

#[derive(Debug)]
struct RawWord {
    start: usize,
    end: usize,
    segs: Vec<Seg>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Pipe,
    And,
    Or,
    Semi,
}

#[derive(Debug)]
enum Tok {
    Word(RawWord),
    Op(Op),
    Redir {
        op: &'static str,
        start: usize,
        dest: RawWord,
    },
}

fn bare_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b'.' | b'/' | b':' | b'=' | b'@' | b'+' | b',' | b'~' | b'*' | b'-'
        )
}

fn blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Printable ASCII (and tab) inside quotes.
fn quoted_byte(b: u8) -> bool {
    b == b'\t' || (0x20..0x7f).contains(&b)
}

/// A word starting at `i`; `None` when it holds anything outside the subset.
fn lex_word(s: &[u8], mut i: usize) -> Option<(RawWord, usize)> {
    let start = i;
    let mut segs = Vec::new();
    while i < s.len() {
        let b = s[i];
        if bare_byte(b) {
            let st = i;
            while i < s.len() && bare_byte(s[i]) {
                i += 1;
            }
            segs.push(Seg::Bare(st, i));
        } else if b == b'\'' || b == b'"' {
            let st = i + 1;
            let mut j = st;
            while j < s.len() && s[j] != b {
                let c = s[j];
                if !quoted_byte(c) || (b == b'"' && matches!(c, b'$' | b'`' | b'\\' | b'!')) {
                    return None;
                }
                j += 1;
            }
            if j >= s.len() {
                return None; // unterminated
            }
            if b == b'"' && j > st && s[st..j].iter().all(|&c| blank(c)) {
                // tree-sitter-bash gives `" "` no string content
                return None;
            }
            segs.push(Seg::Quoted(st, j));
            i = j + 1;
        } else if blank(b) || matches!(b, b'|' | b'&' | b';') {
            break;
        } else {
            // `<`/`>` right after a word (`a>f`, `12>f`), and every other byte
            return None;
        }
    }
    if segs.is_empty() {
        return None;
    }
    Some((
        RawWord {
            start,
            end: i,
            segs,
        },
        i,
    ))
}

fn lex(src: &str) -> Option<Vec<Tok>> {
    let s = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if blank(b) {
            i += 1;
            continue;
        }
        let next = s.get(i + 1).copied();
        match b {
            b'|' => match next {
                Some(b'|') => {
                    toks.push(Tok::Op(Op::Or));
                    i += 2;
                }
                Some(b'&') => return None,
                _ => {
                    toks.push(Tok::Op(Op::Pipe));
                    i += 1;
                }
            },
            b'&' => match next {
                Some(b'&') => {
                    toks.push(Tok::Op(Op::And));
                    i += 2;
                }
                Some(b'>') => {
                    let (op, len) = if s.get(i + 2) == Some(&b'>') {
                        ("&>>", 3)
                    } else {
                        ("&>", 2)
                    };
                    let (tok, j) = redirect(s, i, i + len, op)?;
                    toks.push(tok);
                    i = j;
                }
                _ => return None, // background
            },
            b';' => {
                if next == Some(b';') {
                    return None;
                }
                toks.push(Tok::Op(Op::Semi));
                i += 1;
            }
            b'>' => {
                let (op, len) = match next {
                    Some(b'>') => (">>", 2),
                    Some(b'&') => (">&", 2),
                    _ => (">", 1),
                };
                let (tok, j) = redirect(s, i, i + len, op)?;
                toks.push(tok);
                i = j;
            }
            b'<' => {
                if matches!(next, Some(b'<' | b'&' | b'>' | b'(')) {
                    return None;
                }
                let (tok, j) = redirect(s, i, i + 1, "<")?;
                toks.push(tok);
                i = j;
            }
            b'1' | b'2' if next == Some(b'>') => {
                let (op, len) = match s.get(i + 2) {
                    Some(b'>') => (">>", 3),
                    Some(b'&') => (">&", 3),
                    _ => (">", 2),
                };
                let (tok, j) = redirect(s, i, i + len, op)?;
                toks.push(tok);
                i = j;
            }
            b'[' | b']'
                if s.get(i + 1)
                    .is_none_or(|&c| blank(c) || matches!(c, b';' | b'|' | b'&')) =>
            {
                // a test's brackets, standing alone
                toks.push(Tok::Word(RawWord {
                    start: i,
                    end: i + 1,
                    segs: vec![Seg::Bare(i, i + 1)],
                }));
                i += 1;
            }
            _ => {
                let (w, j) = lex_word(s, i)?;
                toks.push(Tok::Word(w));
                i = j;
            }
        }
    }
    Some(toks)
}

/// A redirection starting at `start` whose operator ends at `i`.
fn redirect(s: &[u8], start: usize, mut i: usize, op: &'static str) -> Option<(Tok, usize)> {
    if matches!(s.get(i), Some(b'|' | b'>' | b'<' | b'&')) {
        return None;
    }
    if op == ">&" {
        // only a descriptor, written right after the operator
        let d = *s.get(i)?;
        if !(d == b'1' || d == b'2') {
            return None;
        }
        let end = i + 1;
        if s.get(end)
            .is_some_and(|&b| !(blank(b) || matches!(b, b'|' | b';')))
        {
            return None;
        }
        let dest = RawWord {
            start: i,
            end,
            segs: vec![Seg::Bare(i, end)],
        };
        return Some((Tok::Redir { op, start, dest }, end));
    }
    while i < s.len() && blank(s[i]) {
        i += 1;
    }
    let (dest, j) = lex_word(s, i)?;
    Some((Tok::Redir { op, start, dest }, j))
}

// ------------------------------------------------------------------ words

/// Whether the word is one unquoted run equal to `kw`.
fn is_bare(src: &str, w: &RawWord, kw: &str) -> bool {
    matches!(w.segs.as_slice(), [Seg::Bare(a, b)] if src.get(*a..*b) == Some(kw))
}

fn bare_text<'s>(src: &'s str, w: &RawWord) -> Option<&'s str> {
    match w.segs.as_slice() {
        [Seg::Bare(a, b)] => src.get(*a..*b),
        _ => None,
    }
}

/// Evaluate segments exactly as the tree-sitter walker evaluates the nodes
/// they become: quotes removed, a leading `~` or `~/` of an unquoted part
/// expanded when nothing precedes it in the word, globs noted on unquoted parts.
fn eval_segs(src: &str, segs: &[Seg], home: &str) -> Word {
    let mut w = Word::lit("");
    for seg in segs {
        match *seg {
            Seg::Bare(a, b) => {
                let raw = src.get(a..b).unwrap_or("");
                if path::has_glob(raw) {
                    w.glob = true;
                }
                if (raw == "~" || raw.starts_with("~/")) && w.text.is_empty() {
                    w.text.push_str(home);
                    w.text.push_str(&raw[1..]);
                } else {
                    w.text.push_str(raw);
                }
            }
            Seg::Quoted(a, b) => w.text.push_str(src.get(a..b).unwrap_or("")),
        }
    }
    w
}

/// `NAME=value` / `NAME+=value` at the start of a word: the name, whether it
/// appends, and the value's segments.
fn split_assignment(src: &str, w: &RawWord) -> Option<(String, bool, Vec<Seg>)> {
    let Some(Seg::Bare(a, b)) = w.segs.first().copied() else {
        return None;
    };
    let first = src.get(a..b)?;
    let eq = first.find('=')?;
    let (name, append) = match first[..eq].strip_suffix('+') {
        Some(n) => (n, true),
        None => (&first[..eq], false),
    };
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return None;
    }
    let mut segs = Vec::new();
    if a + eq + 1 < b {
        segs.push(Seg::Bare(a + eq + 1, b));
    }
    segs.extend_from_slice(&w.segs[1..]);
    Some((name.to_string(), append, segs))
}

// ------------------------------------------------------------------ parser

struct Parser<'s> {
    src: &'s str,
    home: &'s str,
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn at_keyword(&self, kws: &[&str]) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if kws.iter().any(|k| is_bare(self.src, w, k)))
    }

    /// Statements separated by `;` until one of `stop` stands in command
    /// position (after a `;`) or the input ends.
    fn items(&mut self, stop: &[&str], nested: bool, out: &mut Vec<Stmt>) -> Option<()> {
        loop {
            if self.at_keyword(stop) {
                return if out.is_empty() { None } else { Some(()) };
            }
            if self.at_keyword(&["if"]) {
                if nested {
                    return None;
                }
                self.pos += 1;
                out.push(self.if_block()?);
            } else {
                out.push(self.chain()?);
            }
            match self.peek() {
                None => return Some(()),
                Some(Tok::Op(Op::Semi)) => {
                    self.pos += 1;
                    if self.peek().is_none() {
                        return Some(());
                    }
                }
                _ => return None,
            }
        }
    }

    /// `if` (already taken) to `fi`, flattened: the walker walks every part
    /// of an `if` on its own, in order.
    fn if_block(&mut self) -> Option<Stmt> {
        let mut parts = Vec::new();
        loop {
            // condition
            let n = parts.len();
            self.items(&["then"], true, &mut parts)?;
            if parts.len() == n || !self.expect_after_semi("then") {
                return None;
            }
            let n = parts.len();
            self.items(&["elif", "else", "fi"], true, &mut parts)?;
            if parts.len() == n {
                return None;
            }
            if self.expect_after_semi("elif") {
                continue;
            }
            if self.expect_after_semi("else") {
                let n = parts.len();
                self.items(&["fi"], true, &mut parts)?;
                if parts.len() == n {
                    return None;
                }
            }
            if !self.expect_after_semi("fi") {
                return None;
            }
            // `fi` ends the statement: no pipe, list or redirection after it
            return match self.peek() {
                None | Some(Tok::Op(Op::Semi)) => Some(Stmt::List(parts)),
                _ => None,
            };
        }
    }

    /// Takes keyword `kw` when it stands right after a `;`.
    fn expect_after_semi(&mut self, kw: &str) -> bool {
        let after_semi =
            self.pos > 0 && matches!(self.toks.get(self.pos - 1), Some(Tok::Op(Op::Semi)));
        if after_semi && self.at_keyword(&[kw]) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Stages joined by `|`, `&&`, `||`, shaped as tree-sitter-bash shapes
    /// them: a trailing redirection takes everything before it in this
    /// chain as its body, and that becomes one unit for what follows.
    fn chain(&mut self) -> Option<Stmt> {
        let mut seg: Vec<(Option<Op>, Stmt)> = Vec::new();
        let mut op = None;
        let mut stages = 0usize;
        let mut redirected = 0usize;
        let mut has_test = false;
        let mut assigns_only = false;
        loop {
            let (stage, redirs) = self.stage()?;
            stages += 1;
            match &stage {
                Stmt::Test => {
                    if op == Some(Op::Pipe) || !redirs.is_empty() {
                        return None;
                    }
                    has_test = true;
                }
                Stmt::Cmd(c) if c.words.is_empty() => assigns_only = true,
                _ => {}
            }
            seg.push((op, stage));
            if stages > MAX_CHAIN_STAGES {
                return None;
            }
            if !redirs.is_empty() {
                redirected += 1;
                if redirected > MAX_CHAIN_REDIRECTED {
                    return None;
                }
                let body = shape(std::mem::take(&mut seg))?;
                seg.push((None, Stmt::Redir(Box::new(body), redirs)));
            }
            op = match self.peek() {
                Some(Tok::Op(o)) if *o != Op::Semi => Some(*o),
                _ => break,
            };
            if has_test && op == Some(Op::Pipe) {
                return None;
            }
            self.pos += 1;
        }
        // assignments alone only as a whole statement
        if assigns_only && stages > 1 {
            return None;
        }
        shape(seg)
    }

    /// One simple command or test, and its trailing redirections.
    fn stage(&mut self) -> Option<(Stmt, Vec<Redir>)> {
        let mut assigns = Vec::new();
        let mut words: Vec<Word> = Vec::new();
        let mut redirs = Vec::new();
        let mut start = None;
        let mut end = 0;
        let mut test = false;
        let mut test_words: Vec<&RawWord> = Vec::new();
        while let Some(Tok::Word(w)) = self.toks.get(self.pos) {
            self.pos += 1;
            if start.is_none() {
                start = Some(w.start);
            }
            end = w.end;
            if words.is_empty() && !test {
                if is_bare(self.src, w, "[") && assigns.is_empty() {
                    test = true;
                    words.push(Word::lit("["));
                    continue;
                }
                if let Some((name, append, segs)) = split_assignment(self.src, w) {
                    let value = if segs.is_empty() {
                        None
                    } else {
                        Some(eval_segs(self.src, &segs, self.home))
                    };
                    assigns.push(FastAssign {
                        name,
                        value,
                        append,
                        start: w.start,
                        end: w.end,
                    });
                    continue;
                }
                // a command name takes fewer bytes unquoted: tree-sitter-bash
                // reads `a:b` or `a=b` after an assignment, or a leading
                // `-`, differently
                if self.src.as_bytes().get(w.start) == Some(&b'-')
                    || w.segs.iter().any(|s| match *s {
                        Seg::Bare(a, b) => self.src.get(a..b).is_some_and(|t| {
                            !t.bytes().all(|c| {
                                c.is_ascii_alphanumeric()
                                    || matches!(c, b'_' | b'.' | b'/' | b'~' | b'-')
                            })
                        }),
                        Seg::Quoted(..) => false,
                    })
                {
                    return None;
                }
            }
            if let Some(t) = bare_text(self.src, w) {
                if t == "[" || (t == "]" && !test) {
                    return None;
                }
            }
            // a keyword, also when quotes follow it (`else'cmd'`)
            if let Some(Seg::Bare(a, b)) = w.segs.first() {
                if self.src.get(*a..*b).is_some_and(|t| RESERVED.contains(&t)) {
                    return None;
                }
            }
            if test {
                test_words.push(w);
            } else {
                // `==` outside a test is an error to tree-sitter-bash
                if self.src.as_bytes().get(w.start) == Some(&b'=') {
                    return None;
                }
                words.push(eval_segs(self.src, &w.segs, self.home));
            }
        }
        let start = start?;
        if test {
            if !valid_test(self.src, &test_words) {
                return None;
            }
            if matches!(self.peek(), Some(Tok::Redir { .. })) {
                return None;
            }
            return Some((Stmt::Test, Vec::new()));
        }
        while let Some(Tok::Redir { op, start, dest }) = self.toks.get(self.pos) {
            // `- 2>f`: tree-sitter-bash drops the `-`
            if words.is_empty() || (end > 0 && self.src.get(end - 1..end) == Some("-")) {
                return None;
            }
            self.pos += 1;
            redirs.push(Redir {
                op,
                dest: eval_segs(self.src, &dest.segs, self.home),
                start: *start,
                end: dest.end,
            });
        }
        // a word after a redirection is the redirection's in tree-sitter-bash
        if matches!(self.peek(), Some(Tok::Word(_))) {
            return None;
        }
        Some((
            Stmt::Cmd(Cmd {
                assigns,
                words,
                start,
                end,
            }),
            redirs,
        ))
    }
}

/// `[ W ]`, `[ -op W ]`, `[ W op W ]` (the words after `[`, `]` included).
fn valid_test(src: &str, ws: &[&RawWord]) -> bool {
    let Some((last, inner)) = ws.split_last() else {
        return false;
    };
    if !is_bare(src, last, "]") {
        return false;
    }
    let operand = |w: &RawWord| {
        let t = src.get(w.start..w.end).unwrap_or("");
        !t.is_empty()
            && !t.starts_with('-')
            && !t.contains(['[', ']', '=', '*'])
            && w.segs.iter().all(|s| match *s {
                Seg::Bare(a, b) => src.get(a..b).is_some_and(|t| {
                    t.bytes().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'~' | b'-')
                    })
                }),
                Seg::Quoted(..) => true,
            })
    };
    match inner {
        [w] => operand(w),
        [op, w] => bare_text(src, op).is_some_and(|o| TEST_UNARY.contains(&o)) && operand(w),
        [a, op, b] => {
            operand(a) && bare_text(src, op).is_some_and(|o| TEST_BINARY.contains(&o)) && operand(b)
        }
        _ => false,
    }
}

/// Stages and their operators by precedence: `|` binds tighter than `&&`
/// and `||`, which bind left to right (the walker walks a flat list the same).
/// `None` where tree-sitter-bash shapes it otherwise: `a | b | c && d` is
/// `a | (b | c && d)` there, so a pipeline of three or more stages is only
/// taken in a chain without `&&` and `||`.
fn shape(seg: Vec<(Option<Op>, Stmt)>) -> Option<Stmt> {
    let mut groups: Vec<Vec<Stmt>> = Vec::new();
    for (op, st) in seg {
        match (op, groups.last_mut()) {
            (Some(Op::Pipe), Some(g)) => g.push(st),
            _ => groups.push(vec![st]),
        }
    }
    if groups.len() > 1 && groups.iter().any(|g| g.len() > 2) {
        return None;
    }
    let mut items: Vec<Stmt> = groups
        .into_iter()
        .map(|mut g| {
            if g.len() == 1 {
                g.pop().unwrap_or(Stmt::Test)
            } else {
                Stmt::Pipe(g)
            }
        })
        .collect();
    Some(if items.len() == 1 {
        items.pop().unwrap_or(Stmt::Test)
    } else {
        Stmt::List(items)
    })
}

/// Parse `src` when it lies wholly inside the fast subset.
pub(super) fn parse(src: &str, home: &str) -> Option<Vec<Stmt>> {
    if src.is_empty() || src.len() > MAX_FAST_BYTES {
        return None;
    }
    let toks = lex(src)?;
    if toks.is_empty() {
        return None;
    }
    let mut p = Parser {
        src,
        home,
        toks,
        pos: 0,
    };
    let mut out = Vec::new();
    p.items(&[], false, &mut out)?;
    if p.pos != p.toks.len() {
        return None;
    }
    Some(out)
}

// ------------------------------------------------------------------ walking

fn span(f: &Frame, start: usize, end: usize) -> Span {
    f.span.unwrap_or(Span {
        start: f.base + start,
        end: f.base + end,
    })
}

impl Walker<'_> {
    /// Walk `src` through the fast front end; false (nothing done) when it
    /// is not in the subset.
    pub(super) fn fast_shell(&mut self, src: &str, f: &Frame) -> bool {
        let Some(stmts) = parse(src, &self.ctx.home) else {
            return false;
        };
        for st in &stmts {
            self.fast_node(st, src, f, 1);
        }
        true
    }

    fn fast_node(&mut self, st: &Stmt, src: &str, f: &Frame, sd: usize) {
        if !self.spend() {
            return;
        }
        if sd > MAX_SYNTAX_DEPTH {
            self.overflow = true;
            return;
        }
        match st {
            Stmt::Cmd(c) => {
                let _ = self.fast_command(c, src, f, Stream::None, sd);
            }
            Stmt::Pipe(stages) => {
                let _ = self.fast_pipeline(stages, src, f, Stream::None, sd);
            }
            Stmt::Redir(body, rs) => {
                let _ = self.fast_redirected(body, rs, src, f, Stream::None, sd);
            }
            Stmt::List(items) => {
                for it in items {
                    self.fast_node(it, src, f, sd + 1);
                }
            }
            Stmt::Test => {}
        }
    }

    fn fast_statement(
        &mut self,
        st: &Stmt,
        src: &str,
        f: &Frame,
        stdin: Stream,
        sd: usize,
    ) -> Stream {
        if sd > MAX_SYNTAX_DEPTH {
            self.overflow = true;
            return Stream::Unknown;
        }
        match st {
            Stmt::Cmd(c) => self.fast_command(c, src, f, stdin, sd),
            Stmt::Redir(body, rs) => self.fast_redirected(body, rs, src, f, stdin, sd),
            Stmt::Pipe(stages) => self.fast_pipeline(stages, src, f, stdin, sd),
            Stmt::List(_) | Stmt::Test => {
                // as the tree-sitter walker: a list's output is a download
                // when a downloader inside wrote to stdout
                let saved = self.stdout_download.take();
                self.fast_node(st, src, f, sd + 1);
                let got = self.stdout_download.take();
                self.stdout_download = saved;
                match got {
                    Some(r) => Stream::Download(r),
                    None => Stream::Unknown,
                }
            }
        }
    }

    fn fast_pipeline(
        &mut self,
        stages: &[Stmt],
        src: &str,
        f: &Frame,
        stdin: Stream,
        sd: usize,
    ) -> Stream {
        let mut input = stdin;
        for st in stages {
            input = self.fast_statement(st, src, f, input, sd + 1);
        }
        input
    }

    fn fast_redirected(
        &mut self,
        body: &Stmt,
        rs: &[Redir],
        src: &str,
        f: &Frame,
        stdin: Stream,
        sd: usize,
    ) -> Stream {
        let rs: Vec<FileRedirect> = rs
            .iter()
            .map(|r| FileRedirect {
                op: r.op.to_string(),
                dest: Some(WordSrc::Lit(r.dest.clone())),
                span: span(f, r.start, r.end),
            })
            .collect();
        let mut input = stdin;
        for r in &rs {
            if let Some(s) = self.redirect(r, src, f, sd, true) {
                input = s;
            }
        }
        let mut out = self.fast_statement(body, src, f, input, sd + 1);
        let produced = out.clone();
        // as the tree-sitter walker: on the command's text as written
        let empties = match body {
            Stmt::Cmd(c) => null_output(src.get(c.start..c.end).unwrap_or("").split_whitespace()),
            _ => false,
        };
        for r in &rs {
            self.output_redirect(r, src, f, sd, empties, &produced, &mut out);
        }
        out
    }

    fn fast_command(&mut self, c: &Cmd, src: &str, f: &Frame, stdin: Stream, sd: usize) -> Stream {
        let mut words = Vec::with_capacity(c.words.len());
        for w in &c.words {
            words.push(self.lit_word(w, sd + 1));
        }
        let assigns = c
            .assigns
            .iter()
            .map(|a| Assign {
                name: a.name.clone(),
                value: a.value.clone().map(WordSrc::Lit),
                append: a.append,
                span: span(f, a.start, a.end),
            })
            .collect();
        let cmd = SimpleCommand {
            words,
            assigns,
            redirects: Vec::new(),
            span: span(f, c.start, c.end),
        };
        self.simple_command(cmd, src, f, stdin, sd)
    }
}

#[cfg(test)]
mod tests;
