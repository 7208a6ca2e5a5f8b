//! Sensitive locations: reading them is credential access, writing them is
//! persistence or privilege, erasing them is log tampering.

use super::action::{Resource, Verb};

/// Credential stores: (path pattern, technique). A pattern ending in `/`
/// matches the directory and below; `*` matches within one segment.
const CREDENTIALS: &[(&str, &str)] = &[
    ("~/.ssh/id_*", "T1552.004"),
    ("~/.ssh/*_key", "T1552.004"),
    ("~/.ssh/*.pem", "T1552.004"),
    ("~/.ssh/", "T1552.004"),
    ("/etc/ssh/ssh_host_*", "T1552.004"),
    ("~/.aws/", "T1552.001"),
    ("~/.azure/", "T1552.001"),
    ("~/.config/gcloud/", "T1552.001"),
    ("~/.kube/", "T1552.001"),
    ("~/.docker/config.json", "T1552.001"),
    ("~/.netrc", "T1552.001"),
    ("~/.pgpass", "T1552.001"),
    ("~/.my.cnf", "T1552.001"),
    ("~/.git-credentials", "T1552.001"),
    ("~/.npmrc", "T1552.001"),
    ("~/.pypirc", "T1552.001"),
    ("~/.gem/credentials", "T1552.001"),
    ("~/.cargo/credentials", "T1552.001"),
    ("~/.cargo/credentials.toml", "T1552.001"),
    ("~/.config/gh/hosts.yml", "T1552.001"),
    ("~/.config/hub", "T1552.001"),
    ("~/.terraform.d/credentials.tfrc.json", "T1552.001"),
    ("~/.vault-token", "T1552.001"),
    ("~/.m2/settings.xml", "T1552.001"),
    ("~/.gnupg/", "T1552.004"),
    ("~/.password-store/", "T1555"),
    ("~/.local/share/keyrings/", "T1555"),
    ("~/Library/Keychains/", "T1555.001"),
    ("/Library/Keychains/", "T1555.001"),
    ("~/.mozilla/firefox/", "T1555.003"),
    ("~/.config/google-chrome/", "T1555.003"),
    ("~/.config/chromium/", "T1555.003"),
    ("~/.config/BraveSoftware/", "T1555.003"),
    ("~/Library/Application Support/Google/Chrome/", "T1555.003"),
    ("~/Library/Cookies/", "T1539"),
    ("~/.bash_history", "T1552.003"),
    ("~/.zsh_history", "T1552.003"),
    ("~/.mysql_history", "T1552.003"),
    ("~/.psql_history", "T1552.003"),
    ("~/.python_history", "T1552.003"),
    ("/etc/shadow", "T1003.008"),
    ("/etc/gshadow", "T1003.008"),
    ("/etc/shadow-", "T1003.008"),
    ("/etc/master.passwd", "T1003.008"),
    ("/etc/security/opasswd", "T1003.008"),
    ("/etc/sudoers", "T1552"),
    ("/etc/ssl/private/", "T1552.004"),
    ("/root/", "T1552.001"),
    ("/var/run/secrets/", "T1552.007"),
    ("/run/secrets/", "T1552.007"),
    ("/proc/*/environ", "T1552"),
    ("/proc/*/mem", "T1003.007"),
    ("/proc/*/maps", "T1003.007"),
    ("/proc/kcore", "T1003"),
    ("/etc/kubernetes/", "T1552.001"),
    ("/var/lib/kubelet/", "T1552.001"),
    ("/etc/rancher/", "T1552.001"),
    ("/etc/docker/", "T1552.001"),
    ("~/.config/op/", "T1555.005"),
    ("~/.local/share/recently-used.xbel", "T1005"),
    ("/var/lib/jenkins/credentials.xml", "T1552.001"),
    ("/var/lib/jenkins/secrets/", "T1552.001"),
    ("~/.wget-hsts", ""),
];

/// Persistence locations: (pattern, technique).
const PERSISTENCE: &[(&str, &str)] = &[
    ("~/.bashrc", "T1546.004"),
    ("~/.bash_profile", "T1546.004"),
    ("~/.bash_login", "T1546.004"),
    ("~/.bash_logout", "T1546.004"),
    ("~/.profile", "T1546.004"),
    ("~/.zshrc", "T1546.004"),
    ("~/.zshenv", "T1546.004"),
    ("~/.zprofile", "T1546.004"),
    ("~/.zlogin", "T1546.004"),
    ("~/.config/fish/", "T1546.004"),
    ("/etc/profile", "T1546.004"),
    ("/etc/profile.d/", "T1546.004"),
    ("/etc/bash.bashrc", "T1546.004"),
    ("/etc/bashrc", "T1546.004"),
    ("/etc/zsh/", "T1546.004"),
    ("/etc/environment", "T1546.004"),
    ("~/.ssh/authorized_keys", "T1098.004"),
    ("~/.ssh/authorized_keys2", "T1098.004"),
    ("~/.ssh/rc", "T1098.004"),
    ("~/.ssh/config", "T1098.004"),
    ("/root/.ssh/authorized_keys", "T1098.004"),
    ("/etc/ssh/sshd_config", "T1098.004"),
    ("/etc/crontab", "T1053.003"),
    ("/etc/cron.d/", "T1053.003"),
    ("/etc/cron.hourly/", "T1053.003"),
    ("/etc/cron.daily/", "T1053.003"),
    ("/etc/cron.weekly/", "T1053.003"),
    ("/etc/cron.monthly/", "T1053.003"),
    ("/var/spool/cron/", "T1053.003"),
    ("/etc/anacrontab", "T1053.003"),
    ("/etc/systemd/", "T1543.002"),
    ("/lib/systemd/system/", "T1543.002"),
    ("/usr/lib/systemd/", "T1543.002"),
    ("~/.config/systemd/", "T1543.002"),
    ("/etc/init.d/", "T1037.004"),
    ("/etc/rc.local", "T1037.004"),
    ("/etc/init/", "T1037"),
    ("~/.config/autostart/", "T1547.013"),
    ("/etc/xdg/autostart/", "T1547.013"),
    ("~/Library/LaunchAgents/", "T1543.001"),
    ("/Library/LaunchAgents/", "T1543.001"),
    ("/Library/LaunchDaemons/", "T1543.004"),
    ("/etc/ld.so.preload", "T1574.006"),
    ("/etc/ld.so.conf.d/", "T1574.006"),
    ("/etc/update-motd.d/", "T1037"),
    ("/etc/pam.d/", "T1556.003"),
    ("/lib/security/", "T1556.003"),
    ("/etc/sudoers", "T1548.003"),
    ("/etc/sudoers.d/", "T1548.003"),
    ("/etc/passwd", "T1136.001"),
    ("/etc/shadow", "T1098"),
    ("/etc/group", "T1098"),
    ("/etc/hosts", "T1565.001"),
    ("/etc/resolv.conf", "T1565.001"),
    ("*/.git/hooks/*", "T1546"),
    ("~/.gitconfig", "T1546"),
    ("~/.vimrc", "T1546"),
    ("~/.config/nvim/init.vim", "T1546"),
    ("~/.tmux.conf", "T1546"),
    ("~/.xinitrc", "T1546"),
    ("~/.xprofile", "T1546"),
    ("/etc/motd", ""),
    ("/usr/local/bin/", "T1574"),
    ("/usr/bin/", "T1574"),
    ("/usr/sbin/", "T1574"),
    ("/bin/", "T1574"),
    ("/sbin/", "T1574"),
    ("/etc/apt/sources.list", "T1195"),
    ("/etc/apt/sources.list.d/", "T1195"),
    ("/etc/modules-load.d/", "T1547.006"),
    ("/etc/udev/rules.d/", "T1546"),
];

/// Logs and history: (pattern, technique).
const LOGS: &[(&str, &str)] = &[
    ("/var/log/", "T1070.002"),
    ("~/.bash_history", "T1070.003"),
    ("~/.zsh_history", "T1070.003"),
    ("~/.history", "T1070.003"),
    ("~/.sh_history", "T1070.003"),
    ("~/.python_history", "T1070.003"),
    ("~/.mysql_history", "T1070.003"),
    ("~/.psql_history", "T1070.003"),
    ("~/.lesshst", "T1070.003"),
    ("~/.viminfo", "T1070.003"),
    ("~/.local/share/fish/fish_history", "T1070.003"),
    ("/root/.bash_history", "T1070.003"),
    ("/var/run/utmp", "T1070.002"),
    ("/run/utmp", "T1070.002"),
    ("/var/account/", "T1070.002"),
    ("/private/var/log/", "T1070.002"),
    ("/Library/Logs/", "T1070.002"),
    ("~/Library/Logs/", "T1070.002"),
];

fn matches(pattern: &str, path: &str) -> bool {
    // `~/` in a pattern matches any home directory (/home/*/ or /root/)
    if let Some(rest) = pattern.strip_prefix("~/") {
        if let Some(after_home) = path.strip_prefix("/root/") {
            return matches(rest, after_home)
                || matches(&format!("/{rest}"), &format!("/{after_home}"));
        }
        if let Some(h) = path.strip_prefix("/home/") {
            if let Some((_, after)) = h.split_once('/') {
                return seg_match(rest, after);
            }
        }
        if let Some(h) = path.strip_prefix("/Users/") {
            if let Some((_, after)) = h.split_once('/') {
                return seg_match(rest, after);
            }
        }
        return false;
    }
    if let Some(rest) = pattern.strip_prefix("*/") {
        // anywhere
        let mut p = path;
        loop {
            if seg_match(rest, p.trim_start_matches('/')) {
                return true;
            }
            match p.trim_start_matches('/').find('/') {
                Some(i) => p = &p.trim_start_matches('/')[i..],
                None => return false,
            }
        }
    }
    seg_match(pattern, path)
}

/// Match with `*` inside a segment and trailing `/` as a directory prefix.
fn seg_match(pattern: &str, path: &str) -> bool {
    if pattern.ends_with('/') {
        let dir = pattern.trim_end_matches('/');
        return glob(dir, path) || path_prefix_glob(dir, path);
    }
    glob(pattern, path)
}

fn path_prefix_glob(dir: &str, path: &str) -> bool {
    let dn = dir.split('/').count();
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() <= dn {
        return false;
    }
    glob(dir, &parts[..dn].join("/"))
}

fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    let mut steps = 0usize;
    while ti < t.len() {
        steps += 1;
        if steps > 100_000 {
            return false;
        }
        if pi < p.len() && (p[pi] == t[ti] || (p[pi] == '?' && t[ti] != '/')) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            if t[mark] == '/' {
                return false;
            }
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn lookup(table: &[(&str, &'static str)], path: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(p, _)| matches(p, path))
        .map(|(_, t)| *t)
}

/// Actions implied by acting on a sensitive path (added next to the action).
pub(crate) fn derived(verb: Verb, res: &Resource) -> Vec<(Verb, &'static str)> {
    let Resource::Path { path, .. } = res else {
        return Vec::new();
    };
    let path = path.as_str();
    let mut out = Vec::new();
    match verb {
        Verb::Read | Verb::Exec => {
            if let Some(t) = lookup(CREDENTIALS, path) {
                if !(path.ends_with(".pub")
                    || path.ends_with("/known_hosts")
                    || path.ends_with("/config") && path.contains("/.ssh/"))
                {
                    out.push((Verb::CredentialAccess, t));
                }
            }
        }
        Verb::Write | Verb::Chmod | Verb::Chown => {
            if let Some(t) = lookup(LOGS, path) {
                out.push((Verb::LogTamper, t));
            } else if let Some(t) = lookup(PERSISTENCE, path) {
                out.push((Verb::Persist, t));
            }
            if path.starts_with("/etc/sudoers") || path == "/etc/passwd" || path == "/etc/shadow" {
                out.push((Verb::Privilege, "T1548.003"));
            }
        }
        Verb::Delete => {
            if let Some(t) = lookup(LOGS, path) {
                out.push((Verb::LogTamper, t));
            }
        }
        _ => {}
    }
    out
}

/// Whether a directory tree read recursively contains credential stores
/// (`/`, `/home`, a home directory, `/root`, `/etc`, `~/.config`, ...).
pub(crate) fn holds_credentials(path: &str, home: &str) -> bool {
    let p = path.trim_end_matches('/');
    if p.is_empty()
        || p == "/home"
        || p == "/root"
        || p == "/etc"
        || p == "/Users"
        || p == "/var"
        || p == "/var/run"
        || p == "/run"
        || p == "/proc"
    {
        return true;
    }
    let in_home = |h: &str| {
        p == h
            || p == format!("{h}/.config")
            || p == format!("{h}/.local")
            || p == format!("{h}/.local/share")
            || p == format!("{h}/Library")
    };
    if in_home(home.trim_end_matches('/')) {
        return true;
    }
    // any /home/<user> or /Users/<user>
    for prefix in ["/home/", "/Users/"] {
        if let Some(rest) = p.strip_prefix(prefix) {
            if !rest.contains('/') {
                return true;
            }
        }
    }
    false
}

/// Verb and technique of assigning (or unsetting) a sensitive variable.
pub(crate) fn env_action(name: &str) -> Option<(Verb, &'static str)> {
    Some(match name {
        "HISTFILE" | "HISTSIZE" | "HISTFILESIZE" | "HISTCONTROL" | "HISTIGNORE" | "SAVEHIST" => {
            (Verb::LogTamper, "T1070.003")
        }
        "LD_PRELOAD" | "LD_LIBRARY_PATH" | "DYLD_INSERT_LIBRARIES" => {
            (Verb::Privilege, "T1574.006")
        }
        "PROMPT_COMMAND" | "BASH_ENV" | "ENV" => (Verb::Persist, "T1546.004"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Resource {
        Resource::Path {
            path: s.into(),
            glob: false,
        }
    }

    #[test]
    fn credential_paths() {
        assert_eq!(
            derived(Verb::Read, &p("/home/dev/.ssh/id_rsa")),
            vec![(Verb::CredentialAccess, "T1552.004")]
        );
        assert_eq!(
            derived(Verb::Read, &p("/home/dev/.aws/credentials")),
            vec![(Verb::CredentialAccess, "T1552.001")]
        );
        assert_eq!(
            derived(Verb::Read, &p("/etc/shadow")),
            vec![(Verb::CredentialAccess, "T1003.008")]
        );
        assert!(derived(Verb::Read, &p("/home/dev/project/src/main.rs")).is_empty());
        assert!(derived(Verb::Read, &p("/home/dev/.ssh/id_rsa.pub")).is_empty());
    }

    #[test]
    fn persistence_and_logs() {
        assert_eq!(
            derived(Verb::Write, &p("/home/dev/.bashrc")),
            vec![(Verb::Persist, "T1546.004")]
        );
        assert_eq!(
            derived(Verb::Write, &p("/etc/cron.d/job")),
            vec![(Verb::Persist, "T1053.003")]
        );
        assert_eq!(
            derived(Verb::Delete, &p("/var/log/auth.log")),
            vec![(Verb::LogTamper, "T1070.002")]
        );
        assert_eq!(
            derived(Verb::Write, &p("/home/dev/project/.git/hooks/pre-commit")),
            vec![(Verb::Persist, "T1546")]
        );
        assert!(derived(Verb::Write, &p("/home/dev/project/out.txt")).is_empty());
    }
}
