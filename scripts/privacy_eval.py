#!/usr/bin/env python3
"""Score a PII detector on the privacy evaluation set.

Usage:
  python3 scripts/privacy_eval.py                      # runs `nemoclaw redact --jsonl`
  python3 scripts/privacy_eval.py --cmd "target/release/nemoclaw redact --jsonl --no-ner"
  python3 scripts/privacy_eval.py --pred predictions.jsonl   # score saved output
  python3 scripts/privacy_eval.py --json                 # machine-readable summary

Gold: testdata/privacy/eval.jsonl ({"id", "text", "spans": [{"start", "end",
"label"}]}, code-point offsets). Predictions: the CLI's --jsonl output, or
any file of {"id", "spans": [{"start", "end", "label"}]}.

Matching: a predicted span is a true positive if it overlaps a gold span of
the same label family; a gold span is found if a predicted span of its
family overlaps it. Families: credentials (SECRET, API_KEY, JWT,
PRIVATE_KEY, URL), US tax ids (US_SSN, US_ITIN), LOCATION (+ ZIP_CODE);
every other label is its own family. Predicted labels outside the gold label
set (e.g. ORGANIZATION, NRP) are ignored for every system alike.
Leak rate: share of gold spans with at least one letter or digit not covered
by any predicted span, whatever its label (strict: a partly covered address
leaks).
"""
import argparse
import json
import shlex
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAMILY = {"SECRET": "CRED", "API_KEY": "CRED", "JWT": "CRED", "PRIVATE_KEY": "CRED", "URL": "CRED",
          "US_SSN": "USTAX", "US_ITIN": "USTAX", "ZIP_CODE": "LOCATION"}


def fam(label):
    return FAMILY.get(label, label)


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_cli(cmd, gold):
    inp = "".join(json.dumps({"id": g["id"], "text": g["text"]}, ensure_ascii=False) + "\n" for g in gold)
    res = subprocess.run(shlex.split(cmd), input=inp.encode(), capture_output=True, cwd=ROOT, check=False)
    if res.returncode != 0:
        sys.exit(f"command failed ({res.returncode}): {res.stderr.decode(errors='replace')}")
    return [json.loads(l) for l in res.stdout.decode().splitlines() if l.strip()]


def score(gold, preds):
    by_id = {p.get("id"): p for p in preds}
    gold_fams = {fam(s["label"]) for g in gold for s in g["spans"]}
    tp_p = defaultdict(int)
    n_p = defaultdict(int)
    tp_r = defaultdict(int)
    n_r = defaultdict(int)
    leaks = defaultdict(int)
    errors = 0
    latencies = []
    for g in gold:
        p = by_id.get(g["id"], {})
        if "error" in p:
            errors += 1
        if "latency_us" in p:
            latencies.append(p["latency_us"])
        pspans = [s for s in p.get("spans", []) if fam(s["label"]) in gold_fams]
        text = g["text"]
        covered = [False] * len(text)
        for s in p.get("spans", []):
            for i in range(max(0, s["start"]), min(len(text), s["end"])):
                covered[i] = True
        for s in pspans:
            n_p[s["label"]] += 1
            if any(fam(gs["label"]) == fam(s["label"]) and gs["start"] < s["end"] and s["start"] < gs["end"] for gs in g["spans"]):
                tp_p[s["label"]] += 1
        for gs in g["spans"]:
            n_r[gs["label"]] += 1
            if any(fam(gs["label"]) == fam(s["label"]) and gs["start"] < s["end"] and s["start"] < gs["end"] for s in pspans):
                tp_r[gs["label"]] += 1
            if any(text[i].isalnum() and not covered[i] for i in range(gs["start"], gs["end"])):
                leaks[gs["label"]] += 1
    labels = sorted(set(n_p) | set(n_r))
    rows = []
    for l in labels:
        rows.append({
            "label": l,
            "precision": tp_p[l] / n_p[l] if n_p[l] else None,
            "recall": tp_r[l] / n_r[l] if n_r[l] else None,
            "predicted": n_p[l], "gold": n_r[l],
            "leak_rate": leaks[l] / n_r[l] if n_r[l] else None,
        })
    tot_p, tot_r = sum(n_p.values()), sum(n_r.values())
    summary = {
        "texts": len(gold), "gold_spans": tot_r, "predicted_spans": tot_p,
        "precision": sum(tp_p.values()) / tot_p if tot_p else 0.0,
        "recall": sum(tp_r.values()) / tot_r if tot_r else 0.0,
        "leak_rate": sum(leaks.values()) / tot_r if tot_r else 0.0,
        "error_lines": errors,
        "mean_latency_us": sum(latencies) / len(latencies) if latencies else None,
    }
    return summary, rows


def fmt(x):
    return "  -  " if x is None else f"{x:.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", default=str(ROOT / "testdata/privacy/eval.jsonl"))
    ap.add_argument("--pred", help="predictions file (JSON lines)")
    ap.add_argument("--cmd", default="target/release/nemoclaw redact --jsonl", help="command run on the gold texts")
    ap.add_argument("--exclude", default="", help="comma-separated gold labels to leave out (e.g. PERSON,LOCATION)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    gold = load_jsonl(a.gold)
    excl = {x for x in a.exclude.split(",") if x}
    if excl:
        for g in gold:
            g["spans"] = [s for s in g["spans"] if s["label"] not in excl]
    preds = load_jsonl(a.pred) if a.pred else run_cli(a.cmd, gold)
    summary, rows = score(gold, preds)
    if a.json:
        print(json.dumps({"summary": summary, "labels": rows}, indent=1))
        return
    print(f"{'label':<20}{'precision':>10}{'recall':>10}{'leak':>8}{'pred':>7}{'gold':>7}")
    for r in rows:
        print(f"{r['label']:<20}{fmt(r['precision']):>10}{fmt(r['recall']):>10}{fmt(r['leak_rate']):>8}{r['predicted']:>7}{r['gold']:>7}")
    s = summary
    print(f"{'OVERALL':<20}{fmt(s['precision']):>10}{fmt(s['recall']):>10}{fmt(s['leak_rate']):>8}{s['predicted_spans']:>7}{s['gold_spans']:>7}")
    print(f"texts {s['texts']}, error lines {s['error_lines']}, mean latency_us {s['mean_latency_us']}")


if __name__ == "__main__":
    main()
