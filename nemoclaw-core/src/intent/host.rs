//! Host and URL classification: loopback, private, link-local/metadata or
//! public, seeing through the numeric IPv4 spellings (`2852039166`,
//! `0x7f.1`, `0251.0376.0251.0376`), IPv4-mapped IPv6 and wildcard-DNS names
//! that embed an address (`169.254.169.254.nip.io`).

use super::action::{HostClass, Resource};
use std::net::{Ipv4Addr, Ipv6Addr};

/// A host as parsed: normalized text and class.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HostInfo {
    pub host: String,
    pub class: HostClass,
}

/// Parse and classify a host name or IP literal (brackets allowed for IPv6).
pub(crate) fn classify(raw: &str) -> HostInfo {
    let raw = raw.trim().trim_end_matches('.');
    // a network in CIDR notation (`10.0.0.0/24`) is classified by its address
    if let Some((addr, bits)) = raw.rsplit_once('/') {
        if !bits.is_empty() && bits.len() <= 3 && bits.chars().all(|c| c.is_ascii_digit()) {
            let info = classify(addr);
            return HostInfo {
                host: format!("{}/{bits}", info.host),
                class: info.class,
            };
        }
    }
    let lower = raw.to_ascii_lowercase();
    // Bare IPv6 without brackets (ssh ::1, nc fe80::1).
    if lower.contains(':') && !lower.starts_with('[') {
        if let Ok(v6) = lower.parse::<Ipv6Addr>() {
            return HostInfo {
                host: v6.to_string(),
                class: classify_v6(v6),
            };
        }
    }
    match url::Host::parse(&lower) {
        Ok(url::Host::Ipv4(v4)) => HostInfo {
            host: v4.to_string(),
            class: classify_v4(v4),
        },
        Ok(url::Host::Ipv6(v6)) => HostInfo {
            host: v6.to_string(),
            class: classify_v6(v6),
        },
        Ok(url::Host::Domain(d)) => {
            let class = classify_name(&d);
            HostInfo { host: d, class }
        }
        Err(_) => HostInfo {
            class: classify_name(&lower),
            host: lower,
        },
    }
}

/// Classify an IPv4 address.
pub(crate) fn classify_v4(ip: Ipv4Addr) -> HostClass {
    let o = ip.octets();
    if o[0] == 127 || o[0] == 0 {
        HostClass::Loopback
    } else if o[0] == 169 && o[1] == 254 || ip == Ipv4Addr::new(100, 100, 100, 200) {
        // link-local (AWS/GCP/Azure/OpenStack metadata at 169.254.169.254,
        // ECS task metadata at 169.254.170.2) and Alibaba Cloud metadata
        HostClass::Metadata
    } else if o[0] == 10
        || (o[0] == 172 && (16..=31).contains(&o[1]))
        || (o[0] == 192 && o[1] == 168)
        || (o[0] == 100 && (64..=127).contains(&o[1]))
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
    {
        HostClass::Private
    } else {
        HostClass::Public
    }
}

/// Classify an IPv6 address (embedded IPv4 forms are classified as IPv4).
pub(crate) fn classify_v6(ip: Ipv6Addr) -> HostClass {
    let s = ip.segments();
    if ip.is_loopback() || ip.is_unspecified() {
        return HostClass::Loopback;
    }
    // fd00:ec2::254 (AWS metadata over IPv6)
    if s == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] {
        return HostClass::Metadata;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
    if (s[..6] == [0, 0, 0, 0, 0, 0]) || (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]) {
        let v4 = Ipv4Addr::new(
            (s[6] >> 8) as u8,
            (s[6] & 0xff) as u8,
            (s[7] >> 8) as u8,
            (s[7] & 0xff) as u8,
        );
        return classify_v4(v4);
    }
    if (s[0] & 0xffc0) == 0xfe80 {
        return HostClass::Metadata;
    }
    if (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfec0 {
        return HostClass::Private;
    }
    HostClass::Public
}

const METADATA_NAMES: &[&str] = &[
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.com",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.tencentyun.com",
    "metadata.packet.net",
];

const PRIVATE_SUFFIXES: &[&str] = &[
    ".internal",
    ".local",
    ".lan",
    ".corp",
    ".home.arpa",
    ".intranet",
    ".svc",
    ".cluster.local",
    ".localdomain",
    ".private",
];

const WILDCARD_DNS: &[&str] = &[
    ".nip.io",
    ".sslip.io",
    ".xip.io",
    ".traefik.me",
    ".localtest.me",
];

/// Classify a DNS name.
pub(crate) fn classify_name(name: &str) -> HostClass {
    let name = name.trim_end_matches('.');
    if name == "localhost"
        || name.ends_with(".localhost")
        || name == "ip6-localhost"
        || name == "ip6-loopback"
        || name == "localtest.me"
    {
        return HostClass::Loopback;
    }
    if METADATA_NAMES.contains(&name) {
        return HostClass::Metadata;
    }
    for suffix in WILDCARD_DNS {
        if let Some(stem) = name.strip_suffix(suffix) {
            if *suffix == ".localtest.me" {
                return HostClass::Loopback;
            }
            // a-b-c-d.nip.io, x.a.b.c.d.nip.io, a.b.c.d.nip.io
            let candidates = [stem.to_string(), stem.replace('-', ".")];
            for cand in candidates {
                let parts: Vec<&str> = cand.split('.').collect();
                if parts.len() >= 4 {
                    let tail = parts[parts.len() - 4..].join(".");
                    if let Ok(v4) = tail.parse::<Ipv4Addr>() {
                        return classify_v4(v4);
                    }
                }
            }
        }
    }
    if PRIVATE_SUFFIXES.iter().any(|s| name.ends_with(s))
        || name == "kubernetes"
        || name.starts_with("kubernetes.default")
        || name == "host.docker.internal"
    {
        return HostClass::Private;
    }
    // A single-label name resolves through the local search domain.
    if !name.contains('.') && !name.is_empty() && valid_name(name) {
        return HostClass::Private;
    }
    HostClass::Public
}

/// Whether a name is made of hostname characters only.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']' | '%')
        })
}

/// Split `host:port`, `[v6]:port` or `host` into host text and port.
pub(crate) fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let host = &s[..end + 2];
            let port = rest[end + 1..]
                .strip_prefix(':')
                .and_then(|p| p.parse().ok());
            return (host, port);
        }
        return (s, None);
    }
    match s.rsplit_once(':') {
        // more than one colon and no brackets: a bare IPv6 address
        Some((h, _)) if h.contains(':') => (s, None),
        Some((h, p)) => match p.parse::<u16>() {
            Ok(port) => (h, Some(port)),
            Err(_) => (s, None),
        },
        None => (s, None),
    }
}

/// A `Host` resource for `host[:port]` text; `default_port` used when none.
pub(crate) fn host_resource(text: &str, default_port: Option<u16>) -> Resource {
    let text = text.rsplit_once('@').map_or(text, |(_, h)| h);
    let (h, p) = split_host_port(text);
    let info = classify(h);
    Resource::Host {
        host: info.host,
        port: p.or(default_port),
        class: info.class,
    }
}

/// Classify the address a listener binds: the unspecified addresses
/// (`0.0.0.0`, `::`, `*`, empty) mean every interface and are reported as
/// `0.0.0.0` (or `::`) of class public; anything else is classified as a
/// host. The flag tells whether the listener is reachable beyond loopback.
pub(crate) fn bind_address(raw: &str) -> (HostInfo, bool) {
    let t = raw.trim();
    let bare = t.trim_start_matches('[').trim_end_matches(']');
    let any_v4 = matches!(bare, "" | "*" | "0" | "0.0.0.0" | "any" | "INADDR_ANY");
    let any_v6 = bare.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_unspecified());
    if any_v4 || any_v6 {
        let host = if any_v6 { "::" } else { "0.0.0.0" };
        return (
            HostInfo {
                host: host.to_owned(),
                class: HostClass::Public,
            },
            true,
        );
    }
    let info = classify(bare);
    let exposed = info.class != HostClass::Loopback;
    (info, exposed)
}

/// Whether `s` looks like a URL with a scheme.
pub(crate) fn is_url(s: &str) -> bool {
    match s.split_once("://") {
        Some((scheme, rest)) => {
            !scheme.is_empty()
                && !rest.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
        }
        None => false,
    }
}

/// A `Url` resource for a URL (a scheme-less one is read as `http://`).
/// Returns `None` when no host can be found.
pub(crate) fn url_resource(raw: &str) -> Option<Resource> {
    let with_scheme;
    // pip/npm VCS URLs: git+https://, git+ssh://, hg+http://, svn+...
    let stripped = ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .find_map(|p| raw.strip_prefix(p))
        .unwrap_or(raw);
    let text = if is_url(stripped) {
        stripped
    } else {
        with_scheme = format!("http://{stripped}");
        &with_scheme
    };
    match url::Url::parse(text) {
        Ok(u) => {
            let (host, class) = match u.host() {
                Some(url::Host::Ipv4(v4)) => (v4.to_string(), classify_v4(v4)),
                Some(url::Host::Ipv6(v6)) => (v6.to_string(), classify_v6(v6)),
                Some(url::Host::Domain(d)) => {
                    let info = classify(d);
                    (info.host, info.class)
                }
                None => {
                    if u.scheme() == "file" {
                        return None;
                    }
                    (String::new(), HostClass::Public)
                }
            };
            Some(Resource::Url {
                url: raw.to_string(),
                host,
                port: u
                    .port_or_known_default()
                    .or_else(|| scheme_port(u.scheme())),
                class,
            })
        }
        Err(_) => {
            // Not WHATWG-parseable: fall back to the authority text.
            let after = text.split_once("://").map_or(text, |(_, r)| r);
            let auth = after.split(['/', '?', '#']).next().unwrap_or("");
            if auth.is_empty() {
                return None;
            }
            let auth = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
            let (h, p) = split_host_port(auth);
            let info = classify(h);
            Some(Resource::Url {
                url: raw.to_string(),
                host: info.host,
                port: p,
                class: info.class,
            })
        }
    }
}

fn scheme_port(scheme: &str) -> Option<u16> {
    Some(match scheme {
        "ssh" | "sftp" | "scp" | "git+ssh" | "ssh+git" => 22,
        "git" => 9418,
        "rsync" => 873,
        "redis" => 6379,
        "mysql" => 3306,
        "postgres" | "postgresql" => 5432,
        "mongodb" => 27017,
        "ldap" => 389,
        "ldaps" => 636,
        "tftp" => 69,
        "smb" => 445,
        "telnet" => 23,
        "dict" => 2628,
        "gopher" => 70,
        "amqp" => 5672,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> HostClass {
        classify(s).class
    }

    #[test]
    fn tricks() {
        assert_eq!(class("2852039166"), HostClass::Metadata);
        assert_eq!(class("0x7f.1"), HostClass::Loopback);
        assert_eq!(class("0251.0376.0251.0376"), HostClass::Metadata);
        assert_eq!(class("[::ffff:169.254.169.254]"), HostClass::Metadata);
        assert_eq!(class("::ffff:a9fe:a9fe"), HostClass::Metadata);
        assert_eq!(class("[fd00:ec2::254]"), HostClass::Metadata);
        assert_eq!(class("169.254.169.254.nip.io"), HostClass::Metadata);
        assert_eq!(class("127.0.0.1"), HostClass::Loopback);
        assert_eq!(class("localhost"), HostClass::Loopback);
        assert_eq!(class("::1"), HostClass::Loopback);
        assert_eq!(class("10.0.0.5"), HostClass::Private);
        assert_eq!(class("db.internal"), HostClass::Private);
        assert_eq!(class("metadata.google.internal"), HostClass::Metadata);
        assert_eq!(class("github.com"), HostClass::Public);
        assert_eq!(class("8.8.8.8"), HostClass::Public);
    }

    #[test]
    fn urls() {
        match url_resource("http://2852039166/latest/meta-data/") {
            Some(Resource::Url {
                host, class, port, ..
            }) => {
                assert_eq!(host, "169.254.169.254");
                assert_eq!(class, HostClass::Metadata);
                assert_eq!(port, Some(80));
            }
            other => panic!("{other:?}"),
        }
        match url_resource("example.com:8443/x") {
            Some(Resource::Url { host, port, .. }) => {
                assert_eq!(host, "example.com");
                assert_eq!(port, Some(8443));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(split_host_port("[::1]:22"), ("[::1]", Some(22)));
        assert_eq!(split_host_port("h:80"), ("h", Some(80)));
    }

    #[test]
    fn bind_addresses() {
        for any in ["0.0.0.0", "::", "[::]", "*", ""] {
            let (info, exposed) = bind_address(any);
            assert!(exposed, "{any}");
            assert_eq!(info.class, HostClass::Public, "{any}");
        }
        for lo in ["127.0.0.1", "localhost", "::1", "[::1]"] {
            let (info, exposed) = bind_address(lo);
            assert!(!exposed, "{lo}");
            assert_eq!(info.class, HostClass::Loopback, "{lo}");
        }
        let (info, exposed) = bind_address("192.168.1.20");
        assert!(exposed);
        assert_eq!(info.class, HostClass::Private);
    }
}
