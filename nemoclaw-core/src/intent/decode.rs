//! Static decoding of obfuscated payloads: C-style escapes (`$'\x41'`,
//! `echo -e`, `printf`), base64, base32, hex (`xxd -r -p`), `rev` and `tr`.

use super::shell::Stream;
use base64::Engine;

/// Most bytes produced by one decoding step.
const MAX_DECODED: usize = 256 * 1024;

/// Interpret backslash escapes as `$'...'` and `echo -e` do. Returns the
/// text and whether numeric escapes (hex, octal, unicode) were used.
pub(crate) fn c_escapes(s: &str) -> (String, bool) {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    let mut numeric = false;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'e' | b'E' => out.push(27),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'?' => out.push(b'?'),
            b'x' => {
                let mut v: u32 = 0;
                let mut n = 0;
                while n < 2 && i < b.len() && (b[i] as char).is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    out.extend_from_slice(b"\\x");
                } else {
                    numeric = true;
                    out.push(v as u8);
                }
            }
            b'0'..=b'7' => {
                let mut v: u32 = (c - b'0') as u32;
                let mut n = 1;
                let max = if c == b'0' { 4 } else { 3 };
                while n < max && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                numeric = true;
                out.push((v & 0xff) as u8);
            }
            b'u' | b'U' => {
                let max = if c == b'u' { 4 } else { 8 };
                let mut v: u32 = 0;
                let mut n = 0;
                while n < max && i < b.len() && (b[i] as char).is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                numeric = true;
                let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            b'c' => break,
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
        if out.len() > MAX_DECODED {
            break;
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), numeric)
}

/// Evaluate `printf FORMAT ARGS...` statically.
pub(crate) fn printf(fmt: &str, args: &[&str]) -> (String, bool) {
    let mut out = String::new();
    let mut obf = false;
    let mut ai = 0;
    let mut rounds = 0;
    loop {
        rounds += 1;
        let mut chars = fmt.char_indices().peekable();
        let mut literal = String::new();
        let mut consumed = false;
        while let Some((_, c)) = chars.next() {
            if c == '%' {
                // flush literal
                let (d, o) = c_escapes(&literal);
                out.push_str(&d);
                obf |= o;
                literal.clear();
                // skip flags/width
                let mut conv = None;
                while let Some(&(_, n)) = chars.peek() {
                    chars.next();
                    if n.is_ascii_alphabetic() || n == '%' {
                        conv = Some(n);
                        break;
                    }
                }
                match conv {
                    Some('%') => out.push('%'),
                    Some('s') | Some('q') => {
                        out.push_str(args.get(ai).copied().unwrap_or(""));
                        ai += 1;
                        consumed = true;
                    }
                    Some('b') => {
                        let (d, o) = c_escapes(args.get(ai).copied().unwrap_or(""));
                        out.push_str(&d);
                        obf |= o;
                        ai += 1;
                        consumed = true;
                    }
                    Some('c') => {
                        if let Some(ch) = args.get(ai).and_then(|a| a.chars().next()) {
                            out.push(ch);
                        }
                        ai += 1;
                        consumed = true;
                    }
                    Some('d') | Some('i') | Some('u') => {
                        out.push_str(args.get(ai).copied().unwrap_or("0"));
                        ai += 1;
                        consumed = true;
                    }
                    Some('x') | Some('X') | Some('o') => {
                        let v: u64 = args.get(ai).and_then(|a| a.parse().ok()).unwrap_or(0);
                        out.push_str(&format!("{v:x}"));
                        ai += 1;
                        consumed = true;
                    }
                    _ => {}
                }
            } else {
                literal.push(c);
            }
        }
        let (d, o) = c_escapes(&literal);
        out.push_str(&d);
        obf |= o;
        if ai >= args.len() || !consumed || rounds > 1000 || out.len() > MAX_DECODED {
            break;
        }
    }
    (out, obf)
}

fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Decode base64 (standard or URL-safe, padding optional).
pub(crate) fn base64_decode(s: &str) -> Option<String> {
    let clean = strip_ws(s);
    if clean.is_empty() || clean.len() > MAX_DECODED * 2 {
        return None;
    }
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    for e in engines {
        if let Ok(bytes) = e.decode(clean.as_bytes()) {
            return Some(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    // tolerate trailing garbage such as a stray newline escape
    let trimmed = clean
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '=' && c != '+' && c != '/');
    base64::engine::general_purpose::STANDARD
        .decode(trimmed.as_bytes())
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Decode base64 of UTF-16LE text (PowerShell `-EncodedCommand`).
pub(crate) fn base64_utf16le(s: &str) -> Option<String> {
    let clean = strip_ws(s);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean.as_bytes())
        .ok()?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}

/// Decode RFC 4648 base32.
pub(crate) fn base32_decode(s: &str) -> Option<String> {
    let clean: String = strip_ws(s).trim_end_matches('=').to_ascii_uppercase();
    let mut bits: u64 = 0;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in clean.chars() {
        let v = match c {
            'A'..='Z' => c as u64 - 'A' as u64,
            '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => return None,
        };
        bits = (bits << 5) | v;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            out.push(((bits >> nbits) & 0xff) as u8);
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Decode hex text (whitespace, `0x` and `\x` ignored).
pub(crate) fn hex_decode(s: &str) -> Option<String> {
    let clean: String = strip_ws(s).replace("\\x", "").replace("0x", "");
    let bytes = hex::decode(clean.as_bytes()).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn tr_set(s: &str) -> Vec<char> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            let (a, b) = (chars[i] as u32, chars[i + 2] as u32);
            if a <= b && b - a < 4096 {
                for c in a..=b {
                    if let Some(ch) = char::from_u32(c) {
                        out.push(ch);
                    }
                }
            }
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Apply a decoding filter program to a known input stream.
pub(crate) fn transform(base: &str, args: &[&str], input: &Stream) -> Stream {
    let decode_flag = args.iter().any(|a| {
        matches!(
            *a,
            "-d" | "--decode"
                | "-D"
                | "-di"
                | "-id"
                | "-r"
                | "-rp"
                | "-pr"
                | "-r -p"
                | "-ps"
                | "-A"
                | "-base64"
        ) || (a.starts_with('-') && !a.starts_with("--") && a.contains('d') && a.len() <= 4)
    });
    let text = match input {
        Stream::Text { text, .. } => text.clone(),
        Stream::Download(r) => return Stream::Download(r.clone()),
        _ => return Stream::Unknown,
    };
    let out = match base {
        "base64" if decode_flag => base64_decode(&text),
        "openssl"
            if args
                .iter()
                .any(|a| *a == "base64" || *a == "-base64" || *a == "-a" || *a == "-A")
                && args.contains(&"-d") =>
        {
            base64_decode(&text)
        }
        "base32" if decode_flag => base32_decode(&text),
        "basenc" if decode_flag => {
            if args.iter().any(|a| a.contains("base32")) {
                base32_decode(&text)
            } else if args.iter().any(|a| a.contains("base16")) {
                hex_decode(&text)
            } else {
                base64_decode(&text)
            }
        }
        "xxd" if args.iter().any(|a| a.starts_with('-') && a.contains('r')) => hex_decode(&text),
        "rev" => Some(
            text.lines()
                .map(|l| l.chars().rev().collect::<String>())
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
        ),
        "tr" => {
            let sets: Vec<&str> = args
                .iter()
                .copied()
                .filter(|a| !a.starts_with('-'))
                .collect();
            let delete = args.contains(&"-d");
            match (delete, sets.as_slice()) {
                (true, [s1, ..]) => {
                    let set = tr_set(s1);
                    Some(text.chars().filter(|c| !set.contains(c)).collect())
                }
                (false, [s1, s2, ..]) => {
                    let a = tr_set(s1);
                    let b = tr_set(s2);
                    if b.is_empty() {
                        None
                    } else {
                        Some(
                            text.chars()
                                .map(|c| match a.iter().position(|x| *x == c) {
                                    Some(p) => *b.get(p).unwrap_or(&b[b.len() - 1]),
                                    None => c,
                                })
                                .collect(),
                        )
                    }
                }
                _ => None,
            }
        }
        _ => None,
    };
    match out {
        Some(t) => Stream::Text {
            text: t,
            obfuscated: true,
        },
        None => {
            if base == "tr" || (!decode_flag && matches!(base, "base64" | "base32" | "xxd")) {
                // encoding, not decoding: still not executable text
                Stream::Unknown
            } else {
                Stream::Unknown
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(c_escapes(r"\x72\x6d"), ("rm".to_string(), true));
        assert_eq!(c_escapes(r"\162\155"), ("rm".to_string(), true));
        assert_eq!(c_escapes(r"a\nb"), ("a\nb".to_string(), false));
        assert_eq!(printf(r"\x69\x64", &[]).0, "id");
        assert_eq!(printf("%s-%s", &["a", "b"]).0, "a-b");
    }

    #[test]
    fn decoders() {
        assert_eq!(base64_decode("aWQ=").as_deref(), Some("id"));
        assert_eq!(hex_decode("6964").as_deref(), Some("id"));
        assert_eq!(base32_decode("NFSA====").as_deref(), Some("id"));
        let s = Stream::Text {
            text: "uryyb".into(),
            obfuscated: false,
        };
        assert_eq!(
            transform("tr", &["a-z", "n-za-m"], &s),
            Stream::Text {
                text: "hello".into(),
                obfuscated: true
            }
        );
    }
}
