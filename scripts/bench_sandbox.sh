#!/usr/bin/env bash
# Spawn-to-exit latency of /bin/true: plain spawn vs bubblewrap vs the
# NemoClaw sandbox, measured in one process (see docs/benchmarks.md).
#   scripts/bench_sandbox.sh [ITERATIONS] [cold]   (cold: without the warm-start variant)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v bwrap >/dev/null || echo "bench_sandbox: bwrap not installed (apt-get install -y bubblewrap); measuring without it" >&2
cargo run --quiet --release -p nemoclaw-core --example sandbox_latency -- "${1:-300}" ${2:+"$2"}
