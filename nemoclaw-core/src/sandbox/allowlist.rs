//! The network allow-list of [`NetworkMode::AllowList`](super::NetworkMode):
//! which hosts and ports the filtering proxy lets a sandbox reach, and which
//! addresses it refuses even when a listed name resolves to them.
//!
//! Entries (case-insensitive, a trailing dot ignored):
//!
//! * `example.com`: that name exactly, any port;
//! * `*.example.com`: every name below `example.com` (not `example.com`
//!   itself), any port;
//! * `1.2.3.4`, `10.0.0.0/8`, `[2001:db8::1]`, `[fd00::/8]`, `::1`: IP
//!   literals and networks. They allow that address as a target, and they
//!   are the only way to allow a loopback, private, link-local or other
//!   special address a listed name resolves to;
//! * any of these followed by `:PORT` (IPv6 in brackets): that port only.
//!
//! The proxy resolves names itself (on the host), and checks each resolved
//! address it connects to, so a name that resolves (or is rebound) to an
//! internal address is refused unless that address is listed too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::SandboxError;

/// The port of the proxy's listener on the sandbox's own `127.0.0.1` (a
/// fresh network namespace: always free).
pub const PROXY_PORT: u16 = 3128;

/// Variables set in the command's environment in allow-list mode, all to
/// `http://127.0.0.1:3128` (they override the environment allow-list and
/// explicit settings; `NO_PROXY`/`no_proxy` are removed).
pub const PROXY_ENV: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// What an entry matches.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A host name, exactly.
    Name(String),
    /// Every name ending in `.suffix` (stored with its leading dot).
    Suffix(String),
    /// An address or network.
    Net { addr: IpAddr, prefix: u8 },
}

/// One parsed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    target: Target,
    port: Option<u16>,
}

/// A parsed, validated host allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    rules: Vec<Rule>,
}

fn invalid(entry: &str, why: &str) -> SandboxError {
    SandboxError::InvalidProfile(format!("network allow-list entry `{entry}` {why}"))
}

/// Normalizes and validates a host name: lowercase ASCII letters, digits,
/// `-` and `.`, labels of 1 to 63 bytes, at most 253 bytes.
pub(crate) fn normalize_name(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if name.is_empty() || name.len() > 253 {
        return None;
    }
    let ok = name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    ok.then_some(name)
}

fn parse_net(text: &str, entry: &str) -> Result<(IpAddr, u8), SandboxError> {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| invalid(entry, "is not a valid IP address or network"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| invalid(entry, "has an invalid network prefix length"))?,
    };
    Ok((canonical(addr), prefix))
}

fn parse_port(text: &str, entry: &str) -> Result<u16, SandboxError> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| invalid(entry, "has an invalid port (1 to 65535)"))
}

fn parse_rule(entry: &str) -> Result<Rule, SandboxError> {
    let text = entry.trim();
    if text.is_empty() {
        return Err(invalid(entry, "is empty"));
    }
    // `[v6]`, `[v6/len]`, `[v6]:port`, `[v6/len]:port`.
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid(entry, "has an unclosed `[`"))?;
        let (addr, prefix) = parse_net(inside, entry)?;
        let port = match after {
            "" => None,
            p => Some(parse_port(
                p.strip_prefix(':')
                    .ok_or_else(|| invalid(entry, "has text after `]` that is not `:PORT`"))?,
                entry,
            )?),
        };
        return Ok(Rule {
            target: Target::Net { addr, prefix },
            port,
        });
    }
    // A bare IPv6 address or network (no port).
    if text.matches(':').count() > 1 {
        let (addr, prefix) = parse_net(text, entry)?;
        return Ok(Rule {
            target: Target::Net { addr, prefix },
            port: None,
        });
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((h, p)) => (h, Some(parse_port(p, entry)?)),
        None => (text, None),
    };
    let first = host.bytes().next().unwrap_or(b'a');
    if first.is_ascii_digit() && (host.contains('/') || host.parse::<Ipv4Addr>().is_ok()) {
        let (addr, prefix) = parse_net(host, entry)?;
        return Ok(Rule {
            target: Target::Net { addr, prefix },
            port,
        });
    }
    if let Some(suffix) = host.strip_prefix("*.") {
        let suffix = normalize_name(suffix)
            .ok_or_else(|| invalid(entry, "is not a valid `*.domain` wildcard"))?;
        if !suffix.contains('.') {
            return Err(invalid(
                entry,
                "is a wildcard over a whole top-level domain (name at least two labels)",
            ));
        }
        return Ok(Rule {
            target: Target::Suffix(format!(".{suffix}")),
            port,
        });
    }
    if host.contains('*') {
        return Err(invalid(
            entry,
            "has a `*` other than a leading `*.` (use `*.example.com`)",
        ));
    }
    let name = normalize_name(host).ok_or_else(|| invalid(entry, "is not a valid host name"))?;
    Ok(Rule {
        target: Target::Name(name),
        port,
    })
}

/// IPv4-mapped IPv6 addresses become the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn v4_special(ip: Ipv4Addr) -> Option<&'static str> {
    let nets: [([u8; 4], u8, &'static str); 17] = [
        ([0, 0, 0, 0], 8, "the unspecified/this-network range"),
        ([10, 0, 0, 0], 8, "a private address"),
        ([100, 64, 0, 0], 10, "a shared (carrier-grade NAT) address"),
        ([127, 0, 0, 0], 8, "a loopback address"),
        (
            [169, 254, 0, 0],
            16,
            "a link-local address (cloud metadata services live here)",
        ),
        ([172, 16, 0, 0], 12, "a private address"),
        ([192, 0, 0, 0], 24, "an IETF protocol address"),
        ([192, 0, 2, 0], 24, "a documentation address"),
        ([192, 88, 99, 0], 24, "a 6to4 relay address"),
        ([192, 168, 0, 0], 16, "a private address"),
        ([198, 18, 0, 0], 15, "a benchmarking address"),
        ([198, 51, 100, 0], 24, "a documentation address"),
        ([203, 0, 113, 0], 24, "a documentation address"),
        ([224, 0, 0, 0], 4, "a multicast address"),
        ([240, 0, 0, 0], 4, "a reserved address"),
        ([255, 255, 255, 255], 32, "the broadcast address"),
        ([192, 31, 196, 0], 24, "an AS112 address"),
    ];
    nets.iter()
        .find(|(net, prefix, _)| in_net(IpAddr::V4(ip), IpAddr::V4(Ipv4Addr::from(*net)), *prefix))
        .map(|(_, _, why)| *why)
}

/// Why an address is refused unless explicitly listed: loopback, private,
/// link-local (cloud metadata such as 169.254.169.254 and
/// `fd00:ec2::254`), shared, multicast, reserved and documentation
/// ranges, and IPv6 forms that carry such an IPv4 address (mapped,
/// compatible, NAT64, 6to4). `None` for an ordinary public address.
pub fn special_address(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => v4_special(v4),
        IpAddr::V6(v6) => v6_special(v6),
    }
}

fn v6_special(ip: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(ip);
    let seg = ip.segments();
    let embedded_v4 = |v: u32| v4_special(Ipv4Addr::from(v)).is_some();
    if ip.is_unspecified() {
        return Some("the unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // ::a.b.c.d (deprecated IPv4-compatible).
    if bits >> 32 == 0 {
        return Some("an IPv4-compatible address");
    }
    let nets: [(u128, u8, &'static str); 8] = [
        (0xfe80 << 112, 10, "a link-local address"),
        (0xfec0 << 112, 10, "a site-local address"),
        (
            0xfc00 << 112,
            7,
            "a unique local address (cloud metadata such as fd00:ec2::254 lives here)",
        ),
        (0xff00 << 112, 8, "a multicast address"),
        (0x2001_0db8 << 96, 32, "a documentation address"),
        (0x0100 << 112, 64, "a discard address"),
        (0x2001 << 112, 23, "an IETF protocol address"),
        (0x0064_ff9b_0001 << 80, 48, "a local-use NAT64 address"),
    ];
    if let Some((_, _, why)) = nets
        .iter()
        .find(|(net, prefix, _)| in_net(IpAddr::V6(ip), IpAddr::V6(Ipv6Addr::from(*net)), *prefix))
    {
        return Some(why);
    }
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address.
    if bits >> 32 == 0x0064_ff9b << 64 && embedded_v4(bits as u32) {
        return Some("a NAT64 form of a refused IPv4 address");
    }
    if seg[0] == 0x2002 && embedded_v4(((bits >> 80) & 0xffff_ffff) as u32) {
        return Some("a 6to4 form of a refused IPv4 address");
    }
    None
}

impl AllowList {
    /// Parses and validates the entries; an invalid one is an error naming
    /// it. An empty list is an error too (use network `none`).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, SandboxError> {
        if entries.is_empty() {
            return Err(SandboxError::InvalidProfile(
                "network allow-list names no host (use network none)".into(),
            ));
        }
        let rules = entries
            .iter()
            .map(|e| parse_rule(e.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AllowList { rules })
    }

    fn port_ok(rule: &Rule, port: u16) -> bool {
        rule.port.is_none_or(|p| p == port)
    }

    /// Whether the host name (already normalized) is listed for `port`.
    #[cfg_attr(not(all(target_os = "linux", feature = "sandbox")), allow(dead_code))]
    pub(crate) fn allows_name(&self, name: &str, port: u16) -> bool {
        self.rules.iter().any(|r| {
            Self::port_ok(r, port)
                && match &r.target {
                    Target::Name(n) => n == name,
                    Target::Suffix(s) => name.len() > s.len() && name.ends_with(s.as_str()),
                    Target::Net { .. } => false,
                }
        })
    }

    /// Whether the address is listed (an IP entry covering it) for `port`.
    #[cfg_attr(not(all(target_os = "linux", feature = "sandbox")), allow(dead_code))]
    pub(crate) fn lists_address(&self, ip: IpAddr, port: u16) -> bool {
        let ip = canonical(ip);
        self.rules.iter().any(|r| {
            Self::port_ok(r, port)
                && match r.target {
                    Target::Net { addr, prefix } => in_net(ip, addr, prefix),
                    _ => false,
                }
        })
    }

    /// Whether the proxy may connect to `ip:port` for a request that named
    /// `host` (checked on the address actually connected to).
    #[cfg_attr(not(all(target_os = "linux", feature = "sandbox")), allow(dead_code))]
    pub(crate) fn check_address(&self, ip: IpAddr, port: u16) -> Result<(), String> {
        if self.lists_address(ip, port) {
            return Ok(());
        }
        match special_address(ip) {
            Some(why) => Err(format!(
                "`{ip}` is {why}, refused unless the allow-list names it"
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> AllowList {
        AllowList::parse(entries).unwrap()
    }

    #[test]
    fn parses_every_entry_form() {
        let l = list(&[
            "Example.COM.",
            "*.github.com:443",
            "10.0.0.0/8",
            "[2001:db8::1]:8080",
            "::1",
            "127.0.0.1:9000",
            "[fd00::/8]",
        ]);
        assert!(l.allows_name("example.com", 1));
        assert!(l.allows_name("api.github.com", 443));
        assert!(l.allows_name("a.b.github.com", 443));
        assert!(!l.allows_name("github.com", 443));
        assert!(!l.allows_name("api.github.com", 80));
        assert!(!l.allows_name("evilgithub.com", 443));
        assert!(l.lists_address("10.1.2.3".parse().unwrap(), 22));
        assert!(l.lists_address("2001:db8::1".parse().unwrap(), 8080));
        assert!(!l.lists_address("2001:db8::1".parse().unwrap(), 80));
        assert!(l.lists_address("::1".parse().unwrap(), 80));
        assert!(l.lists_address("::ffff:127.0.0.1".parse().unwrap(), 9000));
        assert!(!l.lists_address("127.0.0.1".parse().unwrap(), 9001));
        assert!(l.lists_address("fd00:ec2::254".parse().unwrap(), 80));
        for bad in [
            "",
            "*",
            "*.com",
            "a*.example.com",
            "exa mple.com",
            "host:0",
            "host:70000",
            "[::1",
            "[::1]x",
            "10.0.0.0/33",
            "-bad.example",
            "1.2.3.4/x",
        ] {
            assert!(AllowList::parse(&[bad]).is_err(), "{bad}");
        }
        assert!(AllowList::parse::<&str>(&[]).is_err());
    }

    #[test]
    fn special_addresses_are_refused_unless_listed() {
        for ip in [
            "127.0.0.1",
            "10.1.1.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "ff02::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(special_address(ip).is_some(), "{ip}");
            assert!(
                list(&["example.com"]).check_address(ip, 80).is_err(),
                "{ip}"
            );
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "64:ff9b::101:101",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(special_address(ip), None, "{ip}");
        }
        let l = list(&["localhost", "127.0.0.1"]);
        assert!(l.check_address("127.0.0.1".parse().unwrap(), 80).is_ok());
        assert!(l.check_address("::1".parse().unwrap(), 80).is_err());
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(
            normalize_name("WWW.Example.com."),
            Some("www.example.com".into())
        );
        assert_eq!(normalize_name("a..b"), None);
        assert_eq!(normalize_name("a/b"), None);
        assert_eq!(normalize_name(&"a".repeat(64)), None);
    }
}
