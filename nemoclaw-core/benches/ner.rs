//! NER latency: texts of 100, 1,000 and 10,000 characters (prefixes of
//! `testdata/privacy/ner_bench.txt`), the default model, quantized (`Q4_0`)
//! and dequantized (`f32`). One thread: run with `RAYON_NUM_THREADS=1`.
//! `scripts/bench_ner_onnxruntime.py` times onnxruntime on the same model file
//! and texts. Besides criterion's figures, prints p50/p99 over 200, 50 and
//! 10 calls for the three lengths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: bench harness

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use nemoclaw_core::privacy::ner::{NerConfig, NerModel};

fn prefix(text: &str, chars: usize) -> &str {
    match text.char_indices().nth(chars) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

fn percentiles(model: &NerModel, text: &str, runs: usize) -> (Duration, Duration) {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            std::hint::black_box(model.predict(text).unwrap());
            s.elapsed()
        })
        .collect();
    t.sort();
    (t[runs / 2], t[(runs * 99 / 100).min(runs - 1)])
}

fn bench(c: &mut Criterion) {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/privacy/ner_bench.txt"),
    )
    .expect("bench text");
    let model = match NerModel::load_default_with(NerConfig {
        quantized: true,
        ..NerConfig::default()
    }) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("SKIPPED ner bench: {e}");
            return;
        }
    };
    let only_quantized = std::env::var("NER_BENCH_QUANTIZED_ONLY").is_ok_and(|v| v == "1");
    let dense = if only_quantized {
        None
    } else {
        Some(
            NerModel::load_default_with(NerConfig {
                quantized: false,
                ..NerConfig::default()
            })
            .unwrap(),
        )
    };
    // `NER_BENCH_DENSE_ONLY=1` skips the `Q4_0` path (the default is `f32`).
    let dense_only = std::env::var("NER_BENCH_DENSE_ONLY").is_ok_and(|v| v == "1");
    let mut group = c.benchmark_group("ner");
    for chars in [100usize, 1_000, 10_000] {
        let text = prefix(&base, chars);
        group.sample_size(if chars >= 10_000 { 10 } else { 20 });
        if !dense_only {
            group.bench_with_input(BenchmarkId::new("q4_0", chars), text, |b, t| {
                b.iter(|| model.predict(t).unwrap())
            });
        }
        if let Some(d) = &dense {
            group.bench_with_input(BenchmarkId::new("f32", chars), text, |b, t| {
                b.iter(|| d.predict(t).unwrap())
            });
        }
    }
    group.finish();
    for chars in [100usize, 1_000, 10_000] {
        let text = prefix(&base, chars);
        let runs = match chars {
            100 => 200,
            1_000 => 50,
            _ => 10,
        };
        if !dense_only {
            let (p50, p99) = percentiles(&model, text, runs);
            println!(
                "ner q4_0 {chars} chars: p50 {:.3} ms, p99 {:.3} ms",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
        if let Some(d) = &dense {
            let (p50, p99) = percentiles(d, text, runs);
            println!(
                "ner f32  {chars} chars: p50 {:.3} ms, p99 {:.3} ms",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
