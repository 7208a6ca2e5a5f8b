#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: everything the build, the demo and
# the tests need beyond a Rust toolchain. Nothing is downloaded at run time;
# this script is the only place that fetches.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "setup: cargo is required (https://rustup.rs)" >&2; exit 2; }
echo "setup: ok"
