#!/usr/bin/env bash
# End-to-end walk-through. Uses the release binary built by `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
NC=${NC:-target/release/nemoclaw}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== keygen: an issuer key and an agent key"
"$NC" keygen --out "$work/keys" --kid issuer
"$NC" keygen --out "$work/keys" --kid agent
