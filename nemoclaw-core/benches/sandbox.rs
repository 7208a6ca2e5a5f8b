//! Spawn-to-exit of `/bin/true`: plain spawn, bubblewrap, and the sandbox
//! with and without cgroup limits (medians; p50/p99 come from
//! `scripts/bench_sandbox.sh`).
//!
//! `cargo bench -p nemoclaw-core --bench sandbox -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, Criterion};

#[cfg(all(target_os = "linux", feature = "sandbox"))]
fn spawn(c: &mut Criterion) {
    use nemoclaw_core::sandbox::{Sandbox, SandboxProfile};
    use std::process::{Command, Stdio};

    let ws = std::env::temp_dir();
    let Ok(full) = SandboxProfile::builder()
        .workspace(&ws)
        .build()
        .and_then(|p| Sandbox::prepare(&p))
    else {
        eprintln!("sandbox unavailable here; nothing to measure");
        return;
    };
    let Ok(lean) = SandboxProfile::builder()
        .workspace(&ws)
        .memory(None)
        .pids(None)
        .cgroup_freezer(false)
        .build()
        .and_then(|p| Sandbox::prepare(&p))
    else {
        return;
    };
    let mut group = c.benchmark_group("sandbox_spawn_true");
    group.sample_size(30);
    group.bench_function("plain_spawn", |b| {
        b.iter(|| {
            Command::new("/bin/true")
                .stdin(Stdio::null())
                .status()
                .map(|s| s.success())
        })
    });
    if Command::new("bwrap").arg("--version").output().is_ok() {
        group.bench_function("bwrap_unshare_all", |b| {
            b.iter(|| {
                Command::new("bwrap")
                    .args(["--unshare-all", "--ro-bind", "/", "/", "/bin/true"])
                    .stdin(Stdio::null())
                    .status()
                    .map(|s| s.success())
            })
        });
    }
    group.bench_function("nemoclaw_default_profile", |b| {
        b.iter(|| full.run(&["/bin/true"], b"").map(|o| o.status.success()))
    });
    group.bench_function("nemoclaw_no_cgroups", |b| {
        b.iter(|| lean.run(&["/bin/true"], b"").map(|o| o.status.success()))
    });
    group.finish();
}

#[cfg(not(all(target_os = "linux", feature = "sandbox")))]
fn spawn(_c: &mut Criterion) {}

criterion_group!(benches, spawn);
criterion_main!(benches);
