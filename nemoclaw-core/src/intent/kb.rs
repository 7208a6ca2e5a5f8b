//! The command knowledge base: `commands.toml`, compiled into the binary and
//! parsed once into a static table. See `docs/intent.md` for the format.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// The knowledge-base source, compiled in.
pub(crate) const SOURCE: &str = include_str!("commands.toml");

/// How a program is handled beyond its declared argument roles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// Arguments are handled by their roles only.
    #[default]
    Plain,
    /// A shell builtin without external effect of its own (no `exec` action).
    Builtin,
    /// Runs another command given as its remaining arguments.
    Wrapper,
    /// A shell: `-c TEXT`, a script file, or commands on stdin.
    Shell,
    /// A language interpreter: inline code options, a script file, stdin.
    Interpreter,
    /// `ssh`: a destination and an optional remote command.
    Ssh,
    /// `find`: roots, `-exec`/`-execdir`/`-ok` commands, `-delete`.
    Find,
    /// `xargs` and `parallel`: a command run with arguments from stdin.
    Xargs,
    /// `watch`, `script -c`: remaining arguments are shell text.
    ShellText,
    /// `su`: user switch with `-c TEXT`.
    Su,
    /// `docker exec`, `kubectl exec`, `podman exec`: a container and a command.
    ContainerExec,
    /// `docker run`, `podman run`, `kubectl run`: an image and a command.
    ContainerRun,
    /// `tar`: mode letters change what `-f` and positionals mean.
    Tar,
    /// `chmod`: a mode then paths; setuid/setgid modes are privilege.
    Chmod,
    /// `eval`: arguments joined are shell text.
    Eval,
    /// `source` / `.`: a script read and run in this shell.
    Source,
    /// `at`/`batch`: a job from stdin or `-f FILE`, run later.
    At,
    /// `crontab`: install, edit, list or remove a cron table.
    Crontab,
    /// `echo`, `printf`: produce text (used to decode piped payloads).
    Producer,
    /// `base64 -d`, `xxd -r`, `rev`, `tr`: transform piped text.
    Decoder,
    /// `curl`, `wget`, ...: fetch a URL (piped into a shell it is download-and-execute).
    Downloader,
}

/// One program (or subcommand) description.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spec {
    /// Other names of the same program.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Special handling.
    #[serde(default)]
    pub kind: Kind,
    /// Options that take a value (the value is skipped).
    #[serde(default)]
    pub values: Vec<String>,
    /// Options that take a value with a role (`-o = "write"`).
    #[serde(default)]
    pub opts: BTreeMap<String, String>,
    /// Flags without a value and their effects (`-r = "recursive"`).
    #[serde(default)]
    pub flags: BTreeMap<String, String>,
    /// Role of positional arguments (default `any`).
    #[serde(default)]
    pub pos: Option<String>,
    /// Roles of the first positional arguments, in order.
    #[serde(default)]
    pub first: Vec<String>,
    /// Role of the last positional argument when there are several.
    #[serde(default)]
    pub last: Option<String>,
    /// Verbs emitted on the program itself whenever it runs.
    #[serde(default)]
    pub emit: Vec<String>,
    /// ATT&CK techniques of running this program at all.
    #[serde(default)]
    pub tech: Vec<String>,
    /// Package ecosystem for the `package` role.
    #[serde(default)]
    pub manager: Option<String>,
    /// `key=value` arguments (`dd if= of=`) and the role of their value.
    #[serde(default)]
    pub kv: BTreeMap<String, String>,
    /// Effects applied when a positional argument equals a key.
    #[serde(default)]
    pub when: BTreeMap<String, String>,
    /// Subcommands (first positional), inheriting `values` and `opts`.
    #[serde(default)]
    pub sub: BTreeMap<String, Spec>,
    /// Options whose value is inline code (interpreters, shells).
    #[serde(default)]
    pub code: Vec<String>,
    /// Language of inline code (`python`, `perl`, `ruby`, `node`, `php`, `lua`, `awk`, `applescript`).
    #[serde(default)]
    pub lang: Option<String>,
    /// Runs the wrapped command with elevated privilege.
    #[serde(default)]
    pub privileged: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    program: BTreeMap<String, Spec>,
}

/// The parsed table.
#[derive(Debug, Default)]
pub(crate) struct Table {
    by_name: HashMap<String, Spec>,
    /// An error in the compiled-in table (reported by a unit test).
    #[cfg_attr(not(test), allow(dead_code))]
    pub error: Option<String>,
}

impl Table {
    fn load(src: &str) -> Table {
        match toml::from_str::<File>(src) {
            Ok(file) => {
                let mut by_name = HashMap::new();
                for (name, spec) in file.program {
                    for alias in &spec.aliases {
                        by_name.insert(alias.clone(), spec.clone());
                    }
                    by_name.insert(name, spec);
                }
                Table {
                    by_name,
                    error: None,
                }
            }
            Err(e) => Table {
                by_name: HashMap::new(),
                error: Some(e.to_string()),
            },
        }
    }

    /// The spec of a program by its base name.
    pub fn get(&self, name: &str) -> Option<&Spec> {
        self.by_name.get(name)
    }

    /// How many program names are described (aliases included).
    pub fn len(&self) -> usize {
        self.by_name.len()
    }
}

/// The table, parsed on first use.
pub(crate) fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table::load(SOURCE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_table_loads_and_is_large() {
        let t = table();
        assert_eq!(t.error, None);
        assert!(t.len() >= 300, "only {} programs", t.len());
    }
}
