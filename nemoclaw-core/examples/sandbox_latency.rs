//! Spawn-to-exit latency of `/bin/true`: plain spawn, bubblewrap
//! (`bwrap --unshare-all --ro-bind / / /bin/true`) and the NemoClaw sandbox
//! with and without cgroup limits, cold and warm-started, interleaved in one process so every
//! variant sees the same machine state. Prints p50/p99 per variant.
//!
//! `cargo run --release -p nemoclaw-core --example sandbox_latency -- [ITERATIONS] [cold]`

#[cfg(all(target_os = "linux", feature = "sandbox"))]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use nemoclaw_core::sandbox::{NetworkMode, Sandbox, SandboxProfile};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let iterations: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(300);
    // `cold`: leave the warm-start variant out. Its background refill joins
    // cgroups between iterations, which can leave the kernel's rcu_sync
    // active and spare the cold default profile its grace period.
    let with_warm = std::env::args().nth(2).as_deref() != Some("cold");
    let ws = std::env::temp_dir();
    let full = Sandbox::prepare(&SandboxProfile::builder().workspace(&ws).build()?)?;
    let warm = Sandbox::prepare(&SandboxProfile::builder().workspace(&ws).build()?)?.warm_start();
    let lean = Sandbox::prepare(
        &SandboxProfile::builder()
            .workspace(&ws)
            .memory(None)
            .pids(None)
            .cgroup_freezer(false)
            .build()?,
    )?;
    // The lean profile plus a network allow-list: each run also starts the
    // host-side proxy thread and bridges pid 1's listener to it.
    let proxied = Sandbox::prepare(
        &SandboxProfile::builder()
            .workspace(&ws)
            .memory(None)
            .pids(None)
            .cgroup_freezer(false)
            .network(NetworkMode::AllowList(vec!["example.com:443".into()]))
            .build()?,
    )?;
    let has_bwrap = Command::new("bwrap").arg("--version").output().is_ok();

    let plain = || -> Result<(), Box<dyn std::error::Error>> {
        let s = Command::new("/bin/true").stdin(Stdio::null()).status()?;
        assert!(s.success());
        Ok(())
    };
    let bwrap = || -> Result<(), Box<dyn std::error::Error>> {
        let s = Command::new("bwrap")
            .args(["--unshare-all", "--ro-bind", "/", "/", "/bin/true"])
            .stdin(Stdio::null())
            .status()?;
        assert!(s.success());
        Ok(())
    };
    let sandbox =
        |p: &nemoclaw_core::sandbox::PreparedSandbox| -> Result<(), Box<dyn std::error::Error>> {
            let o = p.run(&["/bin/true"], b"")?;
            assert!(o.status.success());
            Ok(())
        };

    let wait_warm =
        |p: &nemoclaw_core::sandbox::PreparedSandbox| -> Result<(), Box<dyn std::error::Error>> {
            let t = Instant::now();
            while !p.is_warm() {
                if t.elapsed() > Duration::from_secs(5) {
                    return Err("no warm keeper after 5 s (warm start unavailable here?)".into());
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            Ok(())
        };
    let mut times: [Vec<Duration>; 7] = Default::default();
    // Warm-up.
    for _ in 0..10 {
        plain()?;
        if has_bwrap {
            bwrap()?;
        }
        sandbox(&full)?;
        sandbox(&lean)?;
        sandbox(&proxied)?;
        if with_warm {
            sandbox(&warm)?;
            wait_warm(&warm)?;
        }
    }
    for _ in 0..iterations {
        let t = Instant::now();
        plain()?;
        times[0].push(t.elapsed());
        if has_bwrap {
            let t = Instant::now();
            bwrap()?;
            times[1].push(t.elapsed());
        }
        let t = Instant::now();
        sandbox(&full)?;
        times[2].push(t.elapsed());
        let t = Instant::now();
        sandbox(&lean)?;
        times[3].push(t.elapsed());
        let t = Instant::now();
        sandbox(&proxied)?;
        times[6].push(t.elapsed());
        if with_warm {
            let t = Instant::now();
            sandbox(&warm)?;
            times[4].push(t.elapsed());
            // The next spare is made in the background after a warm run:
            // wait for it, so its fork and cgroup join never overlap another
            // variant's measurement (reported as the refill time).
            let t = Instant::now();
            wait_warm(&warm)?;
            times[5].push(t.elapsed());
        }
    }
    let pct = |v: &mut Vec<Duration>, p: f64| -> f64 {
        v.sort();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    let names = [
        "plain spawn /bin/true",
        "bwrap --unshare-all --ro-bind / / /bin/true",
        "nemoclaw sandbox, default profile (cgroup memory+pids+freezer)",
        "nemoclaw sandbox, no cgroups",
        "nemoclaw sandbox, default profile, warm start (keeper joined ahead)",
        "  warm start: refill of the next spare, in the background after a run",
        "nemoclaw sandbox, no cgroups, network allow-list (proxy per run)",
    ];
    let mut p50s = [0.0; 7];
    println!("iterations: {iterations}");
    for (i, name) in names.iter().enumerate() {
        if times[i].is_empty() {
            println!("{name}: not measured");
            continue;
        }
        let p50 = pct(&mut times[i], 0.50);
        let p99 = pct(&mut times[i], 0.99);
        p50s[i] = p50;
        println!("{name}: p50 {p50:.3} ms, p99 {p99:.3} ms");
    }
    println!(
        "overhead over plain spawn (p50): bwrap {:+.3} ms, nemoclaw default {:+.3} ms, nemoclaw no cgroups {:+.3} ms",
        p50s[1] - p50s[0],
        p50s[2] - p50s[0],
        p50s[3] - p50s[0]
    );
    if p50s[1] > 0.0 {
        println!(
            "nemoclaw / bwrap (p50): default {:.2}x, no cgroups {:.2}x, default warm {:.2}x",
            p50s[2] / p50s[1],
            p50s[3] / p50s[1],
            p50s[4] / p50s[1]
        );
    }
    println!(
        "allow-list proxy / no cgroups (p50): {:.2}x ({:+.3} ms)",
        p50s[6] / p50s[3],
        p50s[6] - p50s[3]
    );
    Ok(())
}

#[cfg(not(all(target_os = "linux", feature = "sandbox")))]
fn main() {
    eprintln!("the sandbox runs on Linux only");
}
