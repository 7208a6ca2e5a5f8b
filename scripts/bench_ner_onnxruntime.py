#!/usr/bin/env python3
"""onnxruntime baseline for the NER bench (nemoclaw-core/benches/ner.rs).

Same model file (models/rampart/onnx/model_q4.onnx), same texts (prefixes of
100, 1,000 and 10,000 characters of testdata/privacy/ner_bench.txt), same
pipeline as the Rust detector (tokenize, windows, forward, aggregate; see
scripts/ner_compare.py), one intra-op thread. Prints p50/p99 per length and
the pure forward time.

    python3 scripts/bench_ner_onnxruntime.py [--threads 1]
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from ner_compare import Reference  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/rampart")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    ref = Reference(args.model, threads=args.threads)
    with open("testdata/privacy/ner_bench.txt", encoding="utf-8") as f:
        base = f.read()
    for chars in (100, 1000, 10000):
        text = base[:chars]
        runs = {100: 200, 1000: 50}.get(chars, 10)
        for _ in range(5):
            ref.predict(text)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            ref.predict(text)
            times.append(time.perf_counter() - t)
        times.sort()
        p50 = times[len(times) // 2] * 1e3
        p99 = times[min(len(times) - 1, len(times) * 99 // 100)] * 1e3
        ntok = len(ref.tok.encode(text, add_special_tokens=False).ids)
        print(f"onnxruntime {chars} chars ({ntok} tokens): p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
              f"mean {statistics.mean(times) * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
