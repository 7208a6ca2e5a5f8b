//! Audit log throughput: appends per second with 1 and 8 threads in each
//! durability and signing mode, against baselines measured in the same run
//! on the same threads: bare Ed25519 signing of the same record bytes, and
//! writing the same bytes unsigned to the same kind of file. Also verify
//! throughput against bare Ed25519 verification.
//!
//! cargo bench -p nemoclaw-core --bench audit -- --warm-up-time 1 --measurement-time 3
//! cargo bench -p nemoclaw-core --bench audit -- cpu_cost   # CPU time per operation
//! cargo bench -p nemoclaw-core --bench audit -- paired     # alternating bare/log runs

// Benchmarks are test code: a failure aborts the run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use nemoclaw_core::audit::{
    list_segments, verify_log, Actor, AuditEntry, AuditLog, AuditLogOptions, Decision, Durability,
    EntryRedactor, Record, SigningMode, VerdictSummary, VerifyOptions,
};
use nemoclaw_core::identity::KeyPair;
use nemoclaw_core::intent::{Action, ActionAttrs, Resource, Span, Verb};

fn key() -> KeyPair {
    KeyPair::from_seed("bench-guard", &[9; 32]).unwrap()
}

/// A typical entry: one action, a verdict with one policy, an actor.
fn entry() -> AuditEntry {
    AuditEntry::builder()
        .request(b"cat src/main.rs")
        .summary("cat src/main.rs")
        .actor(Actor {
            token_cti: vec![7; 16],
            chain_hash: [3; 32],
            agent_id: "agent-bench".into(),
        })
        .actions(vec![Action {
            verb: Verb::Read,
            resource: Resource::Path {
                path: "/work/project/src/main.rs".into(),
                glob: false,
            },
            attrs: ActionAttrs::default(),
            techniques: vec![],
            span: Span { start: 0, end: 15 },
        }])
        .verdict(VerdictSummary::new(
            Decision::Allow,
            vec!["coding-agent/workspace-read".into()],
            [5; 32],
        ))
        .build()
}

/// The bytes of that entry as a record (what gets signed and written).
fn record_bytes() -> Vec<u8> {
    Record {
        seq: 123_456,
        time_ms: 1_764_000_000_000,
        entry: entry(),
        prev_hash: [1; 32],
    }
    .to_cbor()
    .unwrap()
}

/// Run `total` operations split over `threads` threads; returns elapsed time.
fn on_threads(threads: u64, total: u64, op: impl Fn(u64) + Sync) -> Duration {
    let per = total.div_ceil(threads);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let op = &op;
            s.spawn(move || {
                for i in 0..per {
                    op(t * per + i);
                }
            });
        }
    });
    start.elapsed()
}

fn fresh_path(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    for seg in list_segments(&p) {
        let _ = std::fs::remove_file(seg);
    }
    p
}

#[derive(Clone, Copy)]
enum Mode {
    None,
    Group,
    FsyncEach,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Group => "group_commit",
            Mode::FsyncEach => "fsync_each",
        }
    }

    fn durability(self) -> Durability {
        match self {
            Mode::None => Durability::None,
            Mode::Group => Durability::GroupCommit {
                interval: Duration::from_millis(2),
            },
            Mode::FsyncEach => Durability::FsyncEach,
        }
    }
}

/// Appends through one log. `window` > 1: each thread keeps that many appends
/// in flight (`submit`, then `wait` on the oldest), as many concurrent agents
/// behind one thread would, or as one producer that does not block on each
/// record; every append is still acknowledged only after the sync that
/// covers it.
fn log_appends(
    dir: &Path,
    iters: u64,
    threads: u64,
    mode: Mode,
    signing: SigningMode,
    window: usize,
) -> Duration {
    log_appends_with(dir, iters, threads, mode, signing, window, true)
}

/// `redact` false: the redactor is replaced by a function that returns its
/// input, to show the log's own cost apart from the secret scan.
fn log_appends_with(
    dir: &Path,
    iters: u64,
    threads: u64,
    mode: Mode,
    signing: SigningMode,
    window: usize,
    redact: bool,
) -> Duration {
    let path = fresh_path(dir, "bench.log");
    let mut options = AuditLogOptions::new(key())
        .durability(mode.durability())
        .signing(signing)
        .max_segment_bytes(1 << 30);
    if !redact {
        options = options.redactor(EntryRedactor::custom(std::sync::Arc::new(|s: &str| {
            s.to_owned()
        })));
    }
    let log = AuditLog::open(&path, options).unwrap();
    let e = entry();
    let per = iters.div_ceil(threads);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (log, e) = (&log, &e);
            s.spawn(move || {
                if window <= 1 {
                    for _ in 0..per {
                        log.append(e).unwrap();
                    }
                } else {
                    let mut inflight = std::collections::VecDeque::with_capacity(window);
                    for _ in 0..per {
                        if inflight.len() == window {
                            let p: nemoclaw_core::audit::PendingAppend<'_> =
                                inflight.pop_front().unwrap();
                            p.wait().unwrap();
                        }
                        inflight.push_back(log.submit(e).unwrap());
                    }
                    for p in inflight {
                        p.wait().unwrap();
                    }
                }
            });
        }
    });
    // Durable modes: the clock stops once every append is acknowledged (its
    // sync has ended); closing (a final checkpoint and one more sync) is
    // shutdown, not append, work. `None` acknowledges on queueing, so there
    // the clock runs until close has written everything.
    let acknowledged = start.elapsed();
    log.close().unwrap();
    match mode {
        Mode::None => start.elapsed(),
        Mode::Group | Mode::FsyncEach => acknowledged,
    }
}

fn bench_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = record_bytes();
    let k = key();
    let mut g = c.benchmark_group("audit_append");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    for threads in [1u64, 8] {
        // floor: the signature alone, same bytes, same threads
        g.bench_function(BenchmarkId::new("bare_ed25519_sign", threads), |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, |_| {
                    std::hint::black_box(k.sign(std::hint::black_box(&bytes)));
                })
            })
        });
        // baseline: the same bytes, unsigned, to the same kind of file
        for mode in [Mode::None, Mode::FsyncEach] {
            g.bench_function(
                BenchmarkId::new(format!("unsigned_write/{}", mode.name()), threads),
                |b| {
                    b.iter_custom(|iters| {
                        let path = fresh_path(dir.path(), "plain.bin");
                        let file = OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(&path)
                            .unwrap();
                        let w = Mutex::new(BufWriter::with_capacity(64 * 1024, file));
                        let t = on_threads(threads, iters, |_| {
                            let mut w = w.lock().unwrap();
                            w.write_all(&bytes).unwrap();
                            if let Mode::FsyncEach = mode {
                                w.flush().unwrap();
                                w.get_ref().sync_data().unwrap();
                            }
                        });
                        let mut w = w.into_inner().unwrap();
                        w.flush().unwrap();
                        w.get_ref().sync_data().unwrap();
                        t
                    })
                },
            );
        }
        for signing in [SigningMode::EveryRecord, SigningMode::CheckpointsOnly] {
            let sname = match signing {
                SigningMode::EveryRecord => "signed_records",
                SigningMode::CheckpointsOnly => "checkpoints_only",
            };
            for mode in [Mode::None, Mode::Group, Mode::FsyncEach] {
                g.bench_function(
                    BenchmarkId::new(format!("log/{sname}/{}", mode.name()), threads),
                    |b| {
                        b.iter_custom(|iters| {
                            log_appends(dir.path(), iters, threads, mode, signing, 1)
                        })
                    },
                );
            }
            // 64 or 1024 appends in flight per thread: with group commit a
            // record waits for up to two syncs, so a thread keeps its core
            // busy only when its window covers that wait
            for window in [64, 1024] {
                g.bench_function(
                    BenchmarkId::new(format!("log/{sname}/group_commit_window{window}"), threads),
                    |b| {
                        b.iter_custom(|iters| {
                            log_appends(dir.path(), iters, threads, Mode::Group, signing, window)
                        })
                    },
                );
            }
            // the same two goal cases without the secret scan
            for (mode, window) in [(Mode::None, 1), (Mode::Group, 64)] {
                let wname = if window > 1 { "_window64" } else { "" };
                g.bench_function(
                    BenchmarkId::new(
                        format!("log/{sname}/{}{wname}/no_redaction", mode.name()),
                        threads,
                    ),
                    |b| {
                        b.iter_custom(|iters| {
                            log_appends_with(
                                dir.path(),
                                iters,
                                threads,
                                mode,
                                signing,
                                window,
                                false,
                            )
                        })
                    },
                );
            }
        }
    }
    g.finish();
}

fn bench_verify(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let n = 5_000u64;
    let trust = VerifyOptions::trusting(vec![key().public()]);
    let mut g = c.benchmark_group("audit_verify");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    let bytes = record_bytes();
    let k = key();
    let sig = k.sign(&bytes);
    let public = k.public();
    g.bench_function("bare_ed25519_verify", |b| {
        b.iter(|| {
            for _ in 0..n {
                assert!(public.verify(std::hint::black_box(&bytes), &sig));
            }
        })
    });
    for signing in [SigningMode::EveryRecord, SigningMode::CheckpointsOnly] {
        let name = match signing {
            SigningMode::EveryRecord => "signed_records",
            SigningMode::CheckpointsOnly => "checkpoints_only",
        };
        let path = dir.path().join(format!("{name}.log"));
        let log = AuditLog::open(
            &path,
            AuditLogOptions::new(key())
                .durability(Durability::None)
                .signing(signing),
        )
        .unwrap();
        let e = entry();
        for _ in 0..n {
            log.append(&e).unwrap();
        }
        log.close().unwrap();
        let paths = vec![path];
        g.bench_function(BenchmarkId::new("verify_log", name), |b| {
            b.iter(|| {
                let r = verify_log(&paths, &trust);
                assert!(r.is_ok() && r.records == n);
            })
        });
    }
    g.finish();
}

/// The secret scan every append pays: the default redactor (privacy
/// patterns and secret rules) over the typical entry's text fields, and over
/// an entry whose summary carries a token (the rare path that rewrites it).
fn bench_redact(c: &mut Criterion) {
    let r = EntryRedactor::privacy_default().unwrap();
    let clean = entry();
    let mut dirty = entry();
    dirty.summary =
        "curl -H \"Authorization: Bearer ghp_R8x2Lq9ZtV4mN7bK1cW5yH3jP6dF0sG2aE8u\" https://api.github.com/user".into();
    let mut g = c.benchmark_group("audit_redact");
    g.throughput(Throughput::Elements(1));
    g.bench_function("typical_entry", |b| {
        b.iter(|| {
            std::hint::black_box(
                r.redact(std::hint::black_box(&clean))
                    .unwrap()
                    .summary
                    .len(),
            )
        })
    });
    g.bench_function("entry_with_token", |b| {
        b.iter(|| {
            std::hint::black_box(
                r.redact(std::hint::black_box(&dirty))
                    .unwrap()
                    .summary
                    .len(),
            )
        })
    });
    g.finish();
}

/// One `fdatasync` of a small write, for reading the fsync rows.
fn bench_fsync(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut f: File = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("sync.bin"))
        .unwrap();
    let mut g = c.benchmark_group("audit_disk");
    g.sample_size(10);
    g.bench_function("write_300B_fdatasync", |b| {
        b.iter(|| {
            f.write_all(&[0u8; 300]).unwrap();
            f.sync_data().unwrap();
        })
    });
    g.finish();
}

/// Process CPU time (user + system), from /proc/self/stat, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    // fields 14 and 15 of stat(5), counted from the state field (3)
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// CPU cost per operation, which a loaded shared machine disturbs far less
/// than wall-clock rates: `cargo bench --bench audit -- cpu_cost`.
fn cpu_cost_report() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = record_bytes();
    let k = key();
    println!("record bytes: {}", bytes.len());
    println!(
        "{:<44} {:>8} {:>12} {:>14} {:>16}",
        "case", "threads", "wall ops/s", "cpu us/op", "2-core ops/s"
    );
    let row = |name: &str, threads: u64, n: u64, run: &dyn Fn() -> Duration| {
        let c0 = cpu_seconds();
        let wall = run();
        let cpu = cpu_seconds() - c0;
        let per = cpu * 1e6 / n as f64;
        println!(
            "{name:<44} {threads:>8} {:>12.0} {per:>14.2} {:>16.0}",
            n as f64 / wall.as_secs_f64(),
            2e6 / per
        );
    };
    let r = EntryRedactor::privacy_default().unwrap();
    let e = entry();
    row("redact_typical_entry", 1, 100_000, &|| {
        on_threads(1, 100_000, |_| {
            std::hint::black_box(r.redact(std::hint::black_box(&e)).unwrap().summary.len());
        })
    });
    for threads in [1u64, 8] {
        let n = 40_000;
        row("bare_ed25519_sign", threads, n, &|| {
            on_threads(threads, n, |_| {
                std::hint::black_box(k.sign(std::hint::black_box(&bytes)));
            })
        });
        for (sname, signing, n) in [
            ("signed_records", SigningMode::EveryRecord, 40_000u64),
            ("checkpoints_only", SigningMode::CheckpointsOnly, 300_000),
        ] {
            for (mode, window) in [(Mode::None, 1), (Mode::Group, 64), (Mode::Group, 1024)] {
                for redact in [true, false] {
                    let name = format!(
                        "log/{sname}/{}/window{window}{}",
                        mode.name(),
                        if redact { "" } else { "/no_redaction" }
                    );
                    row(&name, threads, n, &|| {
                        log_appends_with(dir.path(), n, threads, mode, signing, window, redact)
                    });
                }
            }
        }
    }
}

/// Wall-clock ratio of the group-commit goal rows to bare signing, with the
/// two measured in alternating short runs (about half a second each) so
/// that a shared machine's load swings hit both alike:
/// `cargo bench --bench audit -- paired`. Prints each pair's ratio and the
/// median.
fn paired_report() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = record_bytes();
    let k = key();
    println!(
        "{:<48} {:>8} {:>12} {:>12} {:>8}",
        "case (window)", "threads", "bare ops/s", "log ops/s", "ratio"
    );
    for threads in [1u64, 8] {
        for window in [64usize, 1024] {
            let n = 10_000;
            let mut ratios = Vec::new();
            for _ in 0..9 {
                let bare = on_threads(threads, n, |_| {
                    std::hint::black_box(k.sign(std::hint::black_box(&bytes)));
                });
                let log = log_appends(
                    dir.path(),
                    n,
                    threads,
                    Mode::Group,
                    SigningMode::EveryRecord,
                    window,
                );
                let (b, l) = (n as f64 / bare.as_secs_f64(), n as f64 / log.as_secs_f64());
                ratios.push(l / b);
                println!(
                    "{:<48} {threads:>8} {b:>12.0} {l:>12.0} {:>8.2}",
                    format!("log/signed_records/group_commit (window{window})"),
                    l / b
                );
            }
            ratios.sort_by(f64::total_cmp);
            println!(
                "median of {} pairs: {:.2} (min {:.2}, max {:.2})",
                ratios.len(),
                ratios[ratios.len() / 2],
                ratios[0],
                ratios[ratios.len() - 1]
            );
        }
    }
}

criterion_group!(
    benches,
    bench_redact,
    bench_append,
    bench_verify,
    bench_fsync
);

fn main() {
    if std::env::args().any(|a| a == "cpu_cost") {
        cpu_cost_report();
        return;
    }
    if std::env::args().any(|a| a == "paired") {
        paired_report();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
