#!/usr/bin/env bash
# Throughput of `nemoclaw check --jsonl` (release build, coding-agent pack)
# on one core: the team's intent corpus (benign + malicious commands) repeated
# COPIES times as {"id", "command"} lines, piped through the CLI pinned with
# `taskset -c 0`. Prints lines/s, the per-line latency_us p50/p99 the CLI
# reports, and checks that every input line came back, in order.
#
#   scripts/bench_check_jsonl.sh [COPIES]     (default 10: about 21,000 lines)
#   POLICY=DIR scripts/bench_check_jsonl.sh   (a pack directory instead of the
#                                              builtin coding-agent pack)
#   NO_BUILD=1 ...                            (use the binary already built)
#   BIN=PATH NO_BUILD=1 ...                   (another binary, e.g. a baseline copy)
#
# Uses $CARGO_TARGET_DIR (default ./target). Needs python3 and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."
copies="${1:-10}"
target="${CARGO_TARGET_DIR:-target}"

# `check` does not use the NER model: build without it (saves compiling Candle).
if [ -z "${NO_BUILD:-}" ]; then
    cargo build --release -p nemoclaw-cli --no-default-features >&2
fi
bin="${BIN:-$target/release/nemoclaw}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$copies" "$work/batch.jsonl" <<'EOF'
import json, sys
copies, out = int(sys.argv[1]), sys.argv[2]
cmds = []
for name in ("benign.jsonl", "malicious.jsonl"):
    with open(f"testdata/intent/{name}") as f:
        cmds += [json.loads(l)["command"] for l in f if l.strip()]
with open(out, "w") as f:
    n = 0
    for _ in range(copies):
        for c in cmds:
            f.write(json.dumps({"id": n, "command": c}) + "\n")
            n += 1
EOF
lines=$(wc -l < "$work/batch.jsonl")

run() {
    local start end
    start=$(date +%s.%N)
    taskset -c 0 "$bin" check --jsonl --workspace /home/dev/project --home /home/dev \
        ${POLICY:+--policy "$POLICY"} < "$work/batch.jsonl" > "$work/out.jsonl"
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.3f}')"
}

run > /dev/null # warm the page cache and the binary
secs=$(run)

python3 - "$work/out.jsonl" "$lines" "$secs" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import json, sys
path, lines, secs, load = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
out = [json.loads(l) for l in open(path)]
assert len(out) == lines, f"{len(out)} output lines for {lines} input lines"
assert all(o["id"] == i for i, o in enumerate(out)), "output order differs from input order"
lat = sorted(o["latency_us"] for o in out if "latency_us" in o)
pct = lambda q: lat[min(len(lat) - 1, round((len(lat) - 1) * q))]
dec = {}
for o in out:
    dec[o["decision"]] = dec.get(o["decision"], 0) + 1
print(f"{lines} lines in {secs:.2f} s on one core: {lines / secs:,.0f} lines/s; "
      f"latency_us p50 {pct(0.5):.1f}, p99 {pct(0.99):.1f}; decisions {dec}; load average {load}")
EOF
