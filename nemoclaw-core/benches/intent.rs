//! Intent Parser benchmarks: a typical ~200-byte agent command, and scripts
//! of 25, 50 and 100 KB to show parse time grows linearly with size.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nemoclaw_core::intent::{self, ParseContext};

const TYPICAL: &str = "cd /home/dev/project && git fetch origin main && git rebase origin/main && cargo build --release 2>&1 | tee build.log; if [ -f target/release/app ]; then ./target/release/app --config ~/.config/app.toml > out.txt; fi";

const SHORT: &str = "git commit -m 'fix parser' && cargo test -p core";

const SCRIPT_UNIT: &str = r#"#!/bin/bash
set -euo pipefail
BUILD_DIR=build/out
mkdir -p "$BUILD_DIR"
for f in src/*.c; do
  gcc -O2 -Wall -c "$f" -o "$BUILD_DIR/$(basename "$f" .c).o"
done
if [ -n "${CI:-}" ]; then
  curl -fsSL https://example.com/report -d @build.log || true
fi
tar czf dist.tgz -C "$BUILD_DIR" . && sha256sum dist.tgz > dist.sha256
echo "done" | tee -a build.log
"#;

fn script(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + SCRIPT_UNIT.len());
    while s.len() < bytes {
        s.push_str(SCRIPT_UNIT);
    }
    s
}

fn bench(c: &mut Criterion) {
    let ctx = ParseContext::builder()
        .cwd("/home/dev/project")
        .home("/home/dev")
        .build();
    // baseline in the same run: tokenizing the same text on whitespace
    c.bench_function("intent/baseline_split_whitespace_200B", |b| {
        b.iter(|| black_box(TYPICAL).split_whitespace().count())
    });
    // baseline in the same run: the tree-sitter-bash parse alone
    let mut ts = tree_sitter::Parser::new();
    ts.set_language(&tree_sitter_bash::LANGUAGE.into()).ok();
    c.bench_function("intent/baseline_tree_sitter_200B", |b| {
        b.iter(|| {
            ts.parse(black_box(TYPICAL), None)
                .map(|t| t.root_node().child_count())
        })
    });
    c.bench_function("intent/typical_200B", |b| {
        b.iter(|| intent::parse_shell(black_box(TYPICAL), &ctx))
    });
    // the same command through the tree-sitter front end (fast one off)
    c.bench_function("intent/typical_200B_tree_sitter_front_end", |b| {
        b.iter(|| intent::parse_shell_tree_sitter_only(black_box(TYPICAL), &ctx))
    });
    c.bench_function("intent/short_48B", |b| {
        b.iter(|| intent::parse_shell(black_box(SHORT), &ctx))
    });
    c.bench_function("intent/short_48B_tree_sitter_front_end", |b| {
        b.iter(|| intent::parse_shell_tree_sitter_only(black_box(SHORT), &ctx))
    });
    // the fuzz-found input that made unpatched tree-sitter run for minutes:
    // now cancelled within the work budget and flagged overflow
    let seed_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/regressions/intent_shell_slow_error_recovery"
    );
    if let Ok(bytes) = std::fs::read(seed_path) {
        let seed = String::from_utf8_lossy(&bytes).into_owned();
        c.bench_function("intent/pathological_3KB", |b| {
            b.iter(|| intent::parse_shell(black_box(&seed), &ctx))
        });
    }
    let mut g = c.benchmark_group("intent/script");
    for kb in [25usize, 50, 100] {
        let s = script(kb * 1024);
        g.throughput(Throughput::Bytes(s.len() as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("{kb}KB")),
            &s,
            |b, s| b.iter(|| intent::parse_shell(black_box(s), &ctx)),
        );
    }
    // baseline in the same run: the tree-sitter-bash parse alone of 100 KB
    let s = script(100 * 1024);
    g.throughput(Throughput::Bytes(s.len() as u64));
    g.bench_with_input(
        BenchmarkId::from_parameter("tree_sitter_only_100KB"),
        &s,
        |b, s| {
            b.iter(|| {
                ts.parse(black_box(s), None)
                    .map(|t| t.root_node().child_count())
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
