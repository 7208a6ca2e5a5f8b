//! The host side of allow-list networking: a filtering HTTP proxy run by a
//! thread of the caller (see docs/sandbox.md, *Network allow-list*).
//!
//! The sandbox's pid 1 creates a TCP listener on `127.0.0.1:3128` inside
//! the sandbox's network namespace before the command exists, and hands it
//! over a UNIX socket pair (`SCM_RIGHTS`). This thread accepts on it:
//! every connection is made in the sandbox's namespace, every connection
//! out is made from the caller's. For each request (`CONNECT host:port`,
//! or a plain HTTP request in absolute form) it checks the allow-list,
//! resolves the name here, checks each resolved address it is about to
//! connect to (so a name resolving, or rebound, to loopback, private,
//! link-local or metadata addresses is refused unless that address is
//! listed), connects, and relays bytes both ways. Refusals answer 403 with
//! the reason; every request is logged for the [`Outcome`](crate::sandbox::Outcome).

use std::io::{IoSliceMut, Read, Write};
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
use rustix::pipe::{pipe_with, PipeFlags};

use crate::sandbox::allowlist::{normalize_name, AllowList, PROXY_PORT};
use crate::sandbox::error::SandboxError;
use crate::sandbox::outcome::{Connection, NetDecision, MAX_CONNECTIONS_REPORTED};

/// Connections served at once; more are answered 503.
const MAX_ACTIVE: usize = 64;
/// Largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// Time a client has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Time to connect to an upstream address.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A write blocked this long (a peer not reading) ends the relay.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Log {
    connections: Vec<Connection>,
    dropped: u64,
}

#[derive(Debug)]
struct Shared {
    rules: Arc<AllowList>,
    log: Mutex<Log>,
    /// Read end of the stop pipe: readable (HUP) once the run is over.
    stop: OwnedFd,
}

impl Shared {
    fn record(&self, c: Connection) {
        let mut log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if log.connections.len() < MAX_CONNECTIONS_REPORTED {
            log.connections.push(c);
        } else {
            log.dropped += 1;
        }
    }
}

/// A running proxy; [`finish`](Proxy::finish) stops it and returns its
/// log. Dropping it stops it too.
#[derive(Debug)]
pub(crate) struct Proxy {
    stop_w: Option<OwnedFd>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts the proxy thread; it waits on `bridge` for the listener the
    /// sandbox's pid 1 sends, checks it, and answers one byte (pid 1 starts
    /// nothing before that byte; a closed bridge makes it give up).
    pub(crate) fn start(rules: Arc<AllowList>, bridge: OwnedFd) -> Result<Proxy, SandboxError> {
        let (stop_r, stop_w) =
            pipe_with(PipeFlags::CLOEXEC).map_err(|e| SandboxError::io("proxy pipe", e.into()))?;
        let shared = Arc::new(Shared {
            rules,
            log: Mutex::new(Log::default()),
            stop: stop_r,
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("nemoclaw-proxy".into())
            .spawn(move || serve(&worker, bridge))
            .map_err(|e| {
                SandboxError::unavailable(
                    crate::sandbox::Protection::NetworkAllowList,
                    format!("cannot start the proxy thread: {e}"),
                )
            })?;
        Ok(Proxy {
            stop_w: Some(stop_w),
            shared,
            thread: Some(thread),
        })
    }

    /// Stops the proxy (open relays end), waits for its threads and
    /// returns every request it saw and how many were not listed.
    pub(crate) fn finish(mut self) -> (Vec<Connection>, u64) {
        self.stop_w = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let mut log = self
            .shared
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (std::mem::take(&mut log.connections), log.dropped)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Closing the write end wakes every thread of the proxy; they end
        // on their own (detached).
        self.stop_w = None;
    }
}

enum Ready {
    Yes,
    Stop,
    Timeout,
}

/// Waits until `fd` is readable, the proxy is stopped, or `timeout`.
fn wait_readable(fd: BorrowedFd<'_>, stop: BorrowedFd<'_>, timeout: Option<Duration>) -> Ready {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            return Ready::Timeout;
        }
        let ts = left.map(|l| Timespec {
            tv_sec: i64::try_from(l.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(l.subsec_nanos()),
        });
        let mut fds = [
            PollFd::new(&fd, PollFlags::IN),
            PollFd::new(&stop, PollFlags::IN),
        ];
        match poll(&mut fds, ts.as_ref()) {
            Ok(0) => continue,
            Ok(_) => {
                if !fds[1].revents().is_empty() {
                    return Ready::Stop;
                }
                if !fds[0].revents().is_empty() {
                    return Ready::Yes;
                }
            }
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return Ready::Stop,
        }
    }
}

/// Receives the listener over the bridge and checks it is a listening TCP
/// socket on the sandbox's `127.0.0.1:PROXY_PORT`.
fn receive_listener(shared: &Shared, bridge: &OwnedFd) -> Option<TcpListener> {
    if !matches!(
        wait_readable(bridge.as_fd(), shared.stop.as_fd(), None),
        Ready::Yes
    ) {
        return None;
    }
    let mut byte = [0u8; 1];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let got = rustix::net::recvmsg(
        bridge,
        &mut [IoSliceMut::new(&mut byte)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )
    .ok()?;
    if got.bytes != 1 {
        return None;
    }
    let mut listener: Option<OwnedFd> = None;
    for msg in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = msg {
            for fd in fds {
                if listener.is_none() {
                    listener = Some(fd);
                }
            }
        }
    }
    let listener = listener?;
    if !rustix::net::sockopt::socket_acceptconn(&listener).unwrap_or(false) {
        return None;
    }
    let listener = TcpListener::from(listener);
    let expected = SocketAddr::from((Ipv4Addr::LOCALHOST, PROXY_PORT));
    if listener.local_addr().ok()? != expected || listener.set_nonblocking(true).is_err() {
        return None;
    }
    Some(listener)
}

fn serve(shared: &Arc<Shared>, bridge: OwnedFd) {
    let Some(listener) = receive_listener(shared, &bridge) else {
        return;
    };
    // Pid 1 waits for this byte before it starts the command.
    if rustix::io::write(&bridge, b"1") != Ok(1) {
        return;
    }
    drop(bridge);
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    loop {
        if !matches!(
            wait_readable(listener.as_fd(), shared.stop.as_fd(), None),
            Ready::Yes
        ) {
            break;
        }
        match listener.accept() {
            Ok((mut stream, _)) => {
                workers.retain(|h| !h.is_finished());
                if stream.set_nonblocking(false).is_err() {
                    continue;
                }
                if workers.len() >= MAX_ACTIVE {
                    respond(&mut stream, 503, "too many connections through the proxy");
                    continue;
                }
                let worker = Arc::clone(shared);
                if let Ok(h) = std::thread::Builder::new()
                    .name("nemoclaw-proxy-conn".into())
                    .spawn(move || handle(&worker, stream))
                {
                    workers.push(h);
                }
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::Interrupted => {}
            // Out of descriptors or memory: back off a little.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    for w in workers {
        let _ = w.join();
    }
}

/// A parsed proxy request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    method: String,
    /// Lowercased name, or the IP literal's text.
    host: String,
    ip: Option<IpAddr>,
    port: u16,
    /// `CONNECT` (a tunnel) or a plain HTTP request.
    tunnel: bool,
    /// Origin-form target of a plain request.
    path: String,
    version: String,
    /// Header lines of a plain request, as sent.
    headers: Vec<String>,
}

/// Splits `host[:port]` / `[v6][:port]` into a validated host and port.
fn parse_authority(
    authority: &str,
    default_port: Option<u16>,
) -> Result<(String, Option<IpAddr>, u16), String> {
    let bad = || format!("invalid host `{}`", authority.escape_debug());
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        let ip: std::net::Ipv6Addr = inside.parse().map_err(|_| bad())?;
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
            None => default_port.ok_or_else(|| format!("`{authority}` names no port"))?,
        };
        return Ok((ip.to_string(), Some(IpAddr::V6(ip)), port));
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
            ),
            None => (
                authority,
                default_port.ok_or_else(|| format!("`{authority}` names no port"))?,
            ),
        }
    };
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok((ip.to_string(), Some(IpAddr::V4(ip)), port));
    }
    let name = normalize_name(host).ok_or_else(bad)?;
    Ok((name, None, port))
}

fn parse_request(head: &str) -> Result<Request, String> {
    let mut lines = head.split("\r\n").flat_map(|l| l.split('\n'));
    let first = lines.next().unwrap_or_default();
    let mut parts = first.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line".into());
    };
    if method.is_empty()
        || !method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("malformed method".into());
    }
    if !version.starts_with("HTTP/1.") {
        return Err("only HTTP/1.x is spoken here".into());
    }
    let headers: Vec<String> = lines.filter(|l| !l.is_empty()).map(str::to_owned).collect();
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, ip, port) = parse_authority(target, None)?;
        return Ok(Request {
            method: "CONNECT".into(),
            host,
            ip,
            port,
            tunnel: true,
            path: String::new(),
            version: version.into(),
            headers,
        });
    }
    let lower = target.get(..7).map(str::to_ascii_lowercase);
    if lower.as_deref() != Some("http://") {
        return Err(
            "only CONNECT and absolute http:// requests are proxied (https goes through CONNECT)"
                .into(),
        );
    }
    let rest = &target[7..];
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(cut);
    if authority.contains('@') {
        return Err("user information in the URL is not accepted".into());
    }
    let path = match path.chars().next() {
        None => "/".to_owned(),
        Some('/') => path.to_owned(),
        Some(_) => format!("/{path}"),
    };
    let (host, ip, port) = parse_authority(authority, Some(80))?;
    Ok(Request {
        method: method.into(),
        host,
        ip,
        port,
        tunnel: false,
        path,
        version: version.into(),
        headers,
    })
}

/// Reads the request head (up to the blank line); returns it and the bytes
/// that followed it.
fn read_head(shared: &Shared, client: &mut TcpStream) -> Result<(String, Vec<u8>), (u16, String)> {
    let deadline = Instant::now() + HEAD_TIMEOUT;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match wait_readable(client.as_fd(), shared.stop.as_fd(), Some(left)) {
            Ready::Yes => {}
            Ready::Timeout => return Err((408, "no request head in time".into())),
            Ready::Stop => return Err((503, "the sandbox has ended".into())),
        }
        let n = match client.read(&mut chunk) {
            Ok(0) => return Err((400, "connection closed before a request head".into())),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((400, format!("read error: {e}"))),
        };
        buf.extend_from_slice(&chunk[..n]);
        let end = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4)
            .or_else(|| buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2));
        if let Some(end) = end {
            let rest = buf.split_off(end);
            let head = String::from_utf8(buf)
                .map_err(|_| (400, "request head is not UTF-8".to_owned()))?;
            return Ok((head, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err((400, format!("request head longer than {MAX_HEAD} bytes")));
        }
    }
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        408 => "Request Timeout",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Answers `status` with the reason as a header and a text body, then
/// closes (after draining what the client already sent, so the answer is
/// not lost to a reset).
fn respond(client: &mut TcpStream, status: u16, reason: &str) {
    let reason: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let body = format!("nemoclaw proxy: {reason}\n");
    let msg = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Nemoclaw-Reason: {reason}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        status_text(status),
        body.len()
    );
    let _ = client.write_all(msg.as_bytes());
    let _ = client.shutdown(Shutdown::Write);
    let _ = client.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < (1 << 20) {
        match client.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// Checks the request against the allow-list and connects. On refusal or
/// failure: the decision, the address concerned and the reason.
fn connect(
    rules: &AllowList,
    req: &Request,
) -> Result<(TcpStream, SocketAddr), (NetDecision, Option<SocketAddr>, String)> {
    let port = req.port;
    let attempt = |addr: SocketAddr| TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT);
    if let Some(ip) = req.ip {
        let addr = SocketAddr::new(ip, port);
        if !rules.lists_address(ip, port) {
            return Err((
                NetDecision::Refused,
                Some(addr),
                format!("address `{addr}` is not in the allow-list (IP literals must be listed)"),
            ));
        }
        return attempt(addr).map(|s| (s, addr)).map_err(|e| {
            (
                NetDecision::Failed,
                Some(addr),
                format!("cannot connect to `{addr}`: {e}"),
            )
        });
    }
    if !rules.allows_name(&req.host, port) {
        return Err((
            NetDecision::Refused,
            None,
            format!("host `{}` port {port} is not in the allow-list", req.host),
        ));
    }
    let addrs: Vec<SocketAddr> = (req.host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| {
            (
                NetDecision::Failed,
                None,
                format!("cannot resolve `{}`: {e}", req.host),
            )
        })?
        .collect();
    let mut refused: Option<(SocketAddr, String)> = None;
    let mut failed: Option<(SocketAddr, String)> = None;
    for addr in addrs {
        // The address checked is the address connected to: a name that
        // resolves to (or is rebound to) an internal address is refused.
        match rules.check_address(addr.ip(), port) {
            Err(why) => {
                refused = Some((addr, why));
            }
            Ok(()) => match attempt(addr) {
                Ok(s) => return Ok((s, addr)),
                Err(e) => failed = Some((addr, format!("cannot connect to `{addr}`: {e}"))),
            },
        }
    }
    match (failed, refused) {
        (Some((addr, why)), _) => Err((NetDecision::Failed, Some(addr), why)),
        (None, Some((addr, why))) => Err((
            NetDecision::Refused,
            Some(addr),
            format!("host `{}` resolves to {why}", req.host),
        )),
        (None, None) => Err((
            NetDecision::Failed,
            None,
            format!("`{}` resolved to no address", req.host),
        )),
    }
}

fn handle(shared: &Shared, mut client: TcpStream) {
    let _ = client.set_write_timeout(Some(WRITE_TIMEOUT));
    let (head, rest) = match read_head(shared, &mut client) {
        Ok(h) => h,
        Err((status, why)) => {
            respond(&mut client, status, &why);
            return;
        }
    };
    let req = match parse_request(&head) {
        Ok(r) => r,
        Err(why) => {
            // Reported too: the audit trail sees what the sandbox tried.
            let mut words = head.lines().next().unwrap_or_default().split(' ');
            let clean = |w: Option<&str>, max: usize| -> String {
                w.unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(max)
                    .collect()
            };
            let method = clean(words.next(), 32);
            shared.record(Connection {
                method,
                host: clean(words.next(), 256),
                port: 0,
                address: None,
                decision: NetDecision::Refused,
                reason: Some(format!("bad request: {why}")),
            });
            respond(&mut client, 400, &why);
            return;
        }
    };
    let (mut upstream, addr) = match connect(&shared.rules, &req) {
        Ok(c) => c,
        Err((decision, address, reason)) => {
            shared.record(Connection {
                method: req.method.clone(),
                host: req.host.clone(),
                port: req.port,
                address,
                decision,
                reason: Some(reason.clone()),
            });
            let status = if decision == NetDecision::Refused {
                403
            } else {
                502
            };
            respond(&mut client, status, &reason);
            return;
        }
    };
    shared.record(Connection {
        method: req.method.clone(),
        host: req.host.clone(),
        port: req.port,
        address: Some(addr),
        decision: NetDecision::Allowed,
        reason: None,
    });
    let _ = upstream.set_write_timeout(Some(WRITE_TIMEOUT));
    let sent = if req.tunnel {
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .and_then(|()| upstream.write_all(&rest))
    } else {
        let mut out = format!("{} {} {}\r\n", req.method, req.path, req.version);
        let mut has_host = false;
        for line in &req.headers {
            let name = line.split(':').next().unwrap_or_default().trim();
            if [
                "proxy-connection",
                "proxy-authorization",
                "connection",
                "keep-alive",
            ]
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h))
            {
                continue;
            }
            has_host |= name.eq_ignore_ascii_case("host");
            out.push_str(line);
            out.push_str("\r\n");
        }
        if !has_host {
            let host = match req.ip {
                Some(IpAddr::V6(ip)) => format!("[{ip}]"),
                _ => req.host.clone(),
            };
            out.push_str(&format!("Host: {host}:{}\r\n", req.port));
        }
        out.push_str("Connection: close\r\n\r\n");
        upstream
            .write_all(out.as_bytes())
            .and_then(|()| upstream.write_all(&rest))
    };
    if sent.is_ok() {
        relay(shared, &mut client, &mut upstream);
    }
}

/// Copies bytes both ways until both directions have ended, or the proxy
/// stops.
fn relay(shared: &Shared, a: &mut TcpStream, b: &mut TcpStream) {
    let mut open = [true, true];
    let mut buf = vec![0u8; 32 * 1024];
    while open[0] || open[1] {
        let (ra, rb) = {
            let mut fds = vec![PollFd::new(&shared.stop, PollFlags::IN)];
            if open[0] {
                fds.push(PollFd::new(&*a, PollFlags::IN));
            }
            if open[1] {
                fds.push(PollFd::new(&*b, PollFlags::IN));
            }
            match poll(&mut fds, None) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(_) => return,
            }
            if !fds[0].revents().is_empty() {
                return;
            }
            let mut i = 1;
            let mut ready = [false, false];
            for (dir, is_open) in open.iter().enumerate() {
                if *is_open {
                    ready[dir] = !fds[i].revents().is_empty();
                    i += 1;
                }
            }
            (ready[0], ready[1])
        };
        for (dir, ready) in [(0usize, ra), (1, rb)] {
            if !ready {
                continue;
            }
            let (from, to): (&mut TcpStream, &mut TcpStream) = if dir == 0 {
                (&mut *a, &mut *b)
            } else {
                (&mut *b, &mut *a)
            };
            match from.read(&mut buf) {
                Ok(0) | Err(_) => {
                    open[dir] = false;
                    let _ = to.shutdown(Shutdown::Write);
                }
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_connect_and_absolute_requests() {
        let r = parse_request("CONNECT Example.COM:443 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert!(r.tunnel);
        assert_eq!((r.host.as_str(), r.port, r.ip), ("example.com", 443, None));
        let r = parse_request("CONNECT [::1]:8080 HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(r.ip, Some("::1".parse().unwrap()));
        let r =
            parse_request("GET http://a.example/x?y HTTP/1.1\r\nHost: a.example\r\n\r\n").unwrap();
        assert_eq!(
            (r.host.as_str(), r.port, r.path.as_str()),
            ("a.example", 80, "/x?y")
        );
        let r = parse_request("GET http://10.0.0.1:81?q HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(
            (r.ip, r.port, r.path.as_str()),
            (Some("10.0.0.1".parse().unwrap()), 81, "/?q")
        );
        for bad in [
            "GET / HTTP/1.1\r\n\r\n",
            "GET https://a.example/ HTTP/1.1\r\n\r\n",
            "CONNECT a.example HTTP/1.1\r\n\r\n",
            "CONNECT a.example:0 HTTP/1.1\r\n\r\n",
            "CONNECT a b.example:1 HTTP/1.1\r\n\r\n",
            "GET http://user@a.example/ HTTP/1.1\r\n\r\n",
            "GET http://a_b%.example/ HTTP/1.1\r\n\r\n",
            "CONNECT a.example:443 HTTP/2\r\n\r\n",
            "",
        ] {
            assert!(parse_request(bad).is_err(), "{bad:?}");
        }
    }
}
