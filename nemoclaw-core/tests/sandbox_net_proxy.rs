//! Allow-list networking, for real: a test HTTP server listens on the
//! host's 127.0.0.1; commands inside the sandbox (bash `/dev/tcp`, python3,
//! curl) reach it only through the host-side filtering proxy, and only
//! when the allow-list names it. Runs as root on Linux (CI's machines).
#![cfg(all(target_os = "linux", feature = "sandbox"))]
// Tests assert with unwrap/expect/panic by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nemoclaw_core::sandbox::{
    NetDecision, NetworkMode, Outcome, Protection, Sandbox, SandboxError, SandboxProfile,
    Violation, PROXY_ENV,
};

/// A plain HTTP/1.0 server on the host's loopback that answers every
/// request with `hello from host <request line>` and remembers the lines.
struct HostServer {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

fn host_server() -> HostServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let line = text.lines().next().unwrap_or_default().to_owned();
                log.lock().unwrap().push(text);
                let body = format!("hello from host {line}\n");
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            });
        }
    });
    HostServer { port, seen }
}

fn workspace() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn profile(ws: &Path, hosts: &[String]) -> SandboxProfile {
    SandboxProfile::builder()
        .workspace(ws)
        .network(NetworkMode::AllowList(hosts.to_vec()))
        .wall_time(Some(Duration::from_secs(60)))
        .build()
        .unwrap()
}

/// The host server, a workspace, and a profile that allows the server by
/// name and by address (a listed name resolving to loopback needs both).
fn loopback_allowed() -> (HostServer, tempfile::TempDir, SandboxProfile) {
    let server = host_server();
    let port = server.port;
    let ws = workspace();
    let p = profile(
        ws.path(),
        &[format!("localhost:{port}"), format!("127.0.0.1:{port}")],
    );
    (server, ws, p)
}

fn bash(profile: &SandboxProfile, script: &str) -> Outcome {
    Sandbox::run(profile, &["/bin/bash", "-c", script], b"").expect("sandbox run")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(o: &Outcome) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}\nconnections: {:#?}",
        o.status,
        text(&o.stdout),
        text(&o.stderr),
        o.connections
    )
}

/// A raw proxy request through bash's `/dev/tcp` (no client program
/// needed): prints the proxy's (and the server's) whole answer.
fn raw_request(request: &str) -> String {
    format!(
        "exec 3<>/dev/tcp/127.0.0.1/3128 && printf '{request}' >&3 && cat <&3; echo; echo '--'\n"
    )
}

#[test]
fn allowed_host_is_reached_through_the_proxy_and_reported() {
    let (server, _ws, p) = loopback_allowed(); // the workspace lives until the end of the test
    let port = server.port;
    let mut script = String::new();
    // A tunnel (what HTTPS clients do), then a plain forward-proxy request.
    script.push_str(&raw_request(&format!(
        "CONNECT localhost:{port} HTTP/1.1\\r\\nHost: localhost:{port}\\r\\n\\r\\nGET /tunnel HTTP/1.0\\r\\n\\r\\n"
    )));
    script.push_str(&raw_request(&format!(
        "GET http://127.0.0.1:{port}/plain HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n"
    )));
    // python3's urllib takes the proxy from the environment.
    script.push_str(&format!(
        "python3 -c \"import urllib.request; print(urllib.request.urlopen('http://localhost:{port}/python', timeout=20).read().decode())\"; echo '--'\n"
    ));
    let curl = Path::new("/usr/bin/curl").exists();
    if curl {
        // curl takes http_proxy from the environment; -p tunnels with CONNECT.
        script.push_str(&format!(
            "curl -sS --max-time 20 http://localhost:{port}/curl-plain; curl -sS -p --max-time 20 http://localhost:{port}/curl-tunnel; echo '--'\n"
        ));
    } else {
        eprintln!("curl is not installed: the curl part is skipped (bash and python3 ran)");
    }
    let o = bash(&p, &script);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", show(&o));
    assert!(
        out.contains("HTTP/1.1 200 Connection established"),
        "{}",
        show(&o)
    );
    for path in ["/tunnel", "/plain", "/python"] {
        assert!(
            out.contains(&format!("hello from host GET {path} HTTP/1.")),
            "{path}: {}",
            show(&o)
        );
    }
    if curl {
        assert!(
            out.contains("hello from host GET /curl-plain"),
            "{}",
            show(&o)
        );
        assert!(
            out.contains("hello from host GET /curl-tunnel"),
            "{}",
            show(&o)
        );
    }
    // The plain request reached the server rewritten to origin form, with
    // `Connection: close`.
    let seen = server.seen.lock().unwrap().clone();
    let plain = seen
        .iter()
        .find(|h| h.starts_with("GET /plain "))
        .expect("plain request seen");
    assert!(plain.contains("Connection: close"), "{plain}");
    // Every request is in the report, allowed, with the address used.
    assert!(o.applied.contains(&Protection::NetworkAllowList));
    let allowed: Vec<_> = o
        .connections
        .iter()
        .filter(|c| c.decision == NetDecision::Allowed)
        .collect();
    assert!(
        allowed.len() >= 3 + if curl { 2 } else { 0 },
        "{}",
        show(&o)
    );
    for c in &allowed {
        assert_eq!(c.port, port);
        assert_eq!(c.address, Some(([127, 0, 0, 1], port).into()));
        assert!(c.reason.is_none());
    }
    assert!(allowed
        .iter()
        .any(|c| c.method == "CONNECT" && c.host == "localhost"));
    assert!(allowed
        .iter()
        .any(|c| c.method == "GET" && c.host == "127.0.0.1"));
    assert!(!o
        .violations
        .iter()
        .any(|v| matches!(v, Violation::NetworkRefused { .. })));
}

#[test]
fn unlisted_hosts_metadata_and_private_addresses_get_403() {
    let (server, _ws, p) = loopback_allowed(); // the workspace lives until the end of the test
    let port = server.port;
    let requests = [
        "CONNECT example.com:443 HTTP/1.1\\r\\n\\r\\n".to_owned(),
        "GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\\r\\n\\r\\n".to_owned(),
        "CONNECT 10.0.0.1:80 HTTP/1.1\\r\\n\\r\\n".to_owned(),
        "CONNECT [fd00:ec2::254]:80 HTTP/1.1\\r\\n\\r\\n".to_owned(),
        // Listed host, unlisted port (the host's other services).
        format!(
            "CONNECT localhost:{} HTTP/1.1\\r\\n\\r\\n",
            port.wrapping_add(1).max(1)
        ),
    ];
    let script: String = requests.iter().map(|r| raw_request(r)).collect();
    let o = bash(&p, &script);
    let out = text(&o.stdout);
    assert_eq!(
        out.matches("HTTP/1.1 403 Forbidden").count(),
        requests.len(),
        "{}",
        show(&o)
    );
    assert!(out.contains("X-Nemoclaw-Reason: host `example.com` port 443 is not in the allow-list"));
    assert!(out.contains("address `169.254.169.254:80` is not in the allow-list"));
    assert!(!out.contains("hello from host"), "{}", show(&o));
    assert!(server.seen.lock().unwrap().is_empty());
    // Each refusal is reported twice over: in connections and violations.
    let refused: Vec<(String, u16)> = o
        .violations
        .iter()
        .filter_map(|v| match v {
            Violation::NetworkRefused { host, port, reason } => {
                assert!(!reason.is_empty());
                Some((host.clone(), *port))
            }
            _ => None,
        })
        .collect();
    for expected in [
        ("example.com".to_owned(), 443),
        ("169.254.169.254".to_owned(), 80),
        ("10.0.0.1".to_owned(), 80),
        ("fd00:ec2::254".to_owned(), 80),
    ] {
        assert!(refused.contains(&expected), "{expected:?} in {refused:?}");
    }
    assert_eq!(o.connections.len(), requests.len(), "{}", show(&o));
    assert!(o
        .connections
        .iter()
        .all(|c| c.decision == NetDecision::Refused));
}

#[test]
fn a_listed_name_resolving_to_loopback_is_refused_unless_the_address_is_listed() {
    let server = host_server();
    let port = server.port;
    let ws = workspace();
    // The name is listed, but it resolves (on the host) to 127.0.0.1,
    // which is not: refused, checked on the address itself.
    let p = profile(ws.path(), &[format!("localhost:{port}")]);
    let o = bash(
        &p,
        &raw_request(&format!("CONNECT localhost:{port} HTTP/1.1\\r\\n\\r\\n")),
    );
    let out = text(&o.stdout);
    assert!(out.contains("HTTP/1.1 403 Forbidden"), "{}", show(&o));
    assert!(
        out.contains("is a loopback address, refused unless the allow-list names it"),
        "{}",
        show(&o)
    );
    assert!(server.seen.lock().unwrap().is_empty());
    let c = &o.connections[0];
    assert_eq!(c.decision, NetDecision::Refused);
    assert_eq!((c.host.as_str(), c.port), ("localhost", port));
    assert!(o.violations.iter().any(|v| matches!(
        v,
        Violation::NetworkRefused { host, .. } if host == "localhost"
    )));
}

#[test]
fn nothing_bypasses_the_proxy() {
    let (server, _ws, p) = loopback_allowed(); // the workspace lives until the end of the test
    let port = server.port;
    // Direct connections: the host's loopback (the sandbox's 127.0.0.1 is
    // its own), an outside address, the metadata service; a DNS lookup
    // (no resolver inside); UDP out.
    let script = format!(
        r#"
for target in 127.0.0.1/{port} 1.1.1.1/80 169.254.169.254/80 10.0.0.1/80; do
  if (exec 3<>/dev/tcp/$target) 2>/dev/null; then echo "REACHED $target"; else echo "blocked $target"; fi
done
python3 - <<'EOF'
import socket
try:
    socket.getaddrinfo("example.com", 443)
    print("RESOLVED")
except OSError as e:
    print("no dns", e.errno)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"x", ("1.1.1.1", 53))
    print("UDP SENT")
except OSError as e:
    print("no udp", e.errno)
try:
    t = socket.socket()
    t.bind(("127.0.0.1", 8080))
    t.listen()
    print("BOUND")
except OSError as e:
    print("no bind", e.errno)
EOF
env | grep -i '_proxy=' | sort
"#
    );
    let o = bash(&p, &script);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", show(&o));
    assert!(!out.contains("REACHED"), "{}", show(&o));
    assert_eq!(out.matches("blocked ").count(), 4, "{}", show(&o));
    assert!(
        !out.contains("RESOLVED") && out.contains("no dns"),
        "{}",
        show(&o)
    );
    assert!(out.contains("no udp"), "{}", show(&o));
    if o.applied.contains(&Protection::LandlockNetwork) {
        // Landlock lets the command connect to the proxy's port only, and
        // bind nothing.
        assert!(out.contains("no bind 13"), "{}", show(&o));
    }
    for name in PROXY_ENV {
        assert!(
            out.contains(&format!("{name}=http://127.0.0.1:3128")),
            "{name}: {}",
            show(&o)
        );
    }
    assert!(server.seen.lock().unwrap().is_empty());
    assert!(o.connections.is_empty());
}

#[test]
fn invalid_allow_lists_are_refused_before_anything_runs() {
    for bad in ["*", "*.com", "exa mple.com", "host:99999", "[::1"] {
        let err = SandboxProfile::builder()
            .network(NetworkMode::AllowList(vec![bad.into()]))
            .build()
            .unwrap_err();
        assert!(
            matches!(err, SandboxError::InvalidProfile(_)),
            "{bad}: {err}"
        );
        assert!(err.to_string().contains(bad), "{err}");
    }
}

#[test]
fn warm_starts_get_a_fresh_proxy_each_run() {
    let (server, _ws, p) = loopback_allowed(); // the workspace lives until the end of the test
    let port = server.port;
    let prepared = Sandbox::prepare(&p).unwrap().warm_start();
    for run in 0..3 {
        let o = prepared
            .run(
                &[
                    "/bin/bash",
                    "-c",
                    &raw_request(&format!(
                        "GET http://localhost:{port}/warm{run} HTTP/1.0\\r\\n\\r\\n"
                    )),
                ],
                b"",
            )
            .unwrap();
        assert!(
            text(&o.stdout).contains(&format!("hello from host GET /warm{run} ")),
            "{}",
            show(&o)
        );
        // Each run reports its own requests only.
        assert_eq!(o.connections.len(), 1, "{}", show(&o));
        assert_eq!(o.connections[0].decision, NetDecision::Allowed);
    }
}

#[test]
fn the_proxy_works_for_a_sandbox_under_other_host_ids() {
    // Pid 1 creates and hands over the listener after taking the mapped
    // (unprivileged) host ids.
    let server = host_server();
    let port = server.port;
    let ws = workspace();
    std::os::unix::fs::chown(ws.path(), Some(65534), Some(65534)).unwrap();
    let p = SandboxProfile::builder()
        .workspace(ws.path())
        .outside_ids(65534, 65534)
        .network(NetworkMode::AllowList(vec![
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
        ]))
        .wall_time(Some(Duration::from_secs(60)))
        .build()
        .unwrap();
    let o = bash(
        &p,
        &raw_request(&format!(
            "GET http://localhost:{port}/nobody HTTP/1.0\\r\\n\\r\\n"
        )),
    );
    assert!(
        text(&o.stdout).contains("hello from host GET /nobody "),
        "{}",
        show(&o)
    );
}

#[test]
fn requests_the_proxy_cannot_serve_get_400_and_are_reported() {
    let server = host_server();
    let port = server.port;
    let ws = workspace();
    let p = profile(ws.path(), &[format!("127.0.0.1:{port}")]);
    // Origin-form (as if the proxy were the server), https:// without
    // CONNECT, user information in the URL.
    let requests = [
        "GET /direct HTTP/1.1\\r\\n\\r\\n".to_owned(),
        format!("GET https://127.0.0.1:{port}/ HTTP/1.1\\r\\n\\r\\n"),
        format!("GET http://user@127.0.0.1:{port}/ HTTP/1.1\\r\\n\\r\\n"),
    ];
    let script: String = requests.iter().map(|r| raw_request(r)).collect();
    let o = bash(&p, &script);
    let out = text(&o.stdout);
    assert_eq!(
        out.matches("HTTP/1.1 400 Bad Request").count(),
        3,
        "{}",
        show(&o)
    );
    assert!(server.seen.lock().unwrap().is_empty());
    assert_eq!(o.connections.len(), 3, "{}", show(&o));
    assert_eq!(o.connections[0].host, "/direct");
    for c in &o.connections {
        assert_eq!(c.decision, NetDecision::Refused);
        assert!(c.reason.as_deref().unwrap().starts_with("bad request: "));
    }
}
