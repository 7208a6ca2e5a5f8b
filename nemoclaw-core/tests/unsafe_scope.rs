//! `unsafe` stays where the design allows it: the workspace denies it, every
//! module of nemoclaw-core but `sandbox` forbids it, and every `unsafe`
//! block in the sandbox carries a `// SAFETY:` comment.
// Tests assert with unwrap/expect/panic by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn unsafe_is_confined_to_the_sandbox() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let lines: Vec<&str> = lib.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let decl = line.trim_start();
        let Some(rest) = decl
            .strip_prefix("pub mod ")
            .or_else(|| decl.strip_prefix("mod "))
        else {
            continue;
        };
        let name = rest.trim_end_matches(';').trim();
        let attrs: Vec<&str> = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("#["))
            .copied()
            .collect();
        if name == "sandbox" {
            assert!(attrs.iter().any(|a| a.contains("allow(unsafe_code)")));
        } else {
            assert!(
                attrs.iter().any(|a| a.contains("forbid(unsafe_code)")),
                "module `{name}` in lib.rs lacks #[forbid(unsafe_code)]"
            );
        }
    }
    let mut files = Vec::new();
    rust_files(&root.join("src/sandbox"), &mut files);
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !code.contains("unsafe {") {
                continue;
            }
            let window = &lines[i.saturating_sub(6)..=i];
            assert!(
                window.iter().any(|l| l.contains("SAFETY:")),
                "{}:{} has an unsafe block without a SAFETY comment",
                file.display(),
                i + 1
            );
        }
    }
    let cli = fs::read_to_string(root.join("../nemoclaw-cli/src/main.rs")).unwrap();
    assert!(cli.contains("#![forbid(unsafe_code)]"));
}
