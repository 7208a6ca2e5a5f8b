#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: everything the build, the demo and
# the tests need beyond a Rust toolchain. Nothing is downloaded at run time;
# this script is the only place that fetches.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "setup: cargo is required (https://rustup.rs)" >&2; exit 2; }
# Sandbox: the escape battery runs /usr/bin/python3 inside the sandbox, and
# scripts/bench_sandbox.sh compares against bubblewrap.
sandbox_pkgs=""
[ -x /usr/bin/python3 ] || sandbox_pkgs="$sandbox_pkgs python3"
command -v bwrap >/dev/null || sandbox_pkgs="$sandbox_pkgs bubblewrap"
if [ -n "$sandbox_pkgs" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y $sandbox_pkgs >/dev/null || { apt-get update >/dev/null && apt-get install -y $sandbox_pkgs >/dev/null; }
  else
    echo "setup: please install:$sandbox_pkgs" >&2
  fi
fi
echo "setup: ok"
