#!/usr/bin/env python3
"""Reference outputs for the NER detector, computed with onnxruntime.

Runs the very ONNX file the Rust code loads (models/rampart/onnx/model_q4.onnx)
with onnxruntime and writes testdata/privacy/ner_reference.jsonl: for each
sample text, the per-token logits (single-window texts) and the entities,
aggregated exactly as nemoclaw-core's privacy::ner does (windows, tags to
spans, Presidio labels), with byte offsets. The Rust test
`privacy::ner::tests::matches_onnxruntime_reference` asserts its own logits and
entities against this file.

Needs: pip install onnxruntime tokenizers numpy (not needed by `make test`).

    python3 scripts/ner_compare.py [--model models/rampart] [--out testdata/privacy/ner_reference.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

SAMPLES = [
    "My name is John Smith and my email is john.smith@example.com.",
    "Call Maria Garcia at (415) 555-0132 tomorrow morning.",
    "Ship it to 1600 Pennsylvania Avenue NW, Washington, DC 20500.",
    "Hi, I'm Priya Natarajan; reach me on +44 20 7946 0958 or priya.n@mail.co.uk",
    "Please wire the funds to account 000123456789, routing number 021000021.",
    "Her passport number is X12345678 and her driver's license is D1234567.",
    "The patient, Mr. Oluwaseun Adeyemi, lives at 42 Elm Street, Apt 3B, Springfield, IL 62704.",
    "Visit https://example.org/profile/jdoe for details about Jane Doe.",
    "Our tax id is 12-3456789 according to Li Wei from accounting.",
    "No personal data in this sentence about compilers and linkers.",
    "Dear Zoë Müller, your order #5521 ships from Zürich on Monday.",
    "Contact: Ahmed Al-Farsi, ahmed.alfarsi@example.net, 555-867-5309.",
]


def long_sample() -> str:
    parts = []
    names = ["Alice Johnson", "Bob Martinez", "Chen Jing", "Fatima Khan", "Lars Eriksson"]
    for i in range(60):
        n = names[i % len(names)]
        parts.append(
            f"Ticket {i}: {n} reported that the build failed again on the staging cluster "
            f"and asked us to email {n.split()[0].lower()}@corp.example.com with the logs."
        )
    return " ".join(parts)


def plan_windows(n: int, budget: int, overlap: int) -> list[tuple[int, int]]:
    if n == 0:
        return []
    if n <= budget:
        return [(0, n)]
    step = budget - overlap
    out = []
    start = 0
    while True:
        if start + budget >= n:
            out.append((n - budget, n))
            break
        out.append((start, start + budget))
        start += step
    return out


def parse_tag(label: str):
    label = label.strip()
    if not label or label.lower() == "o":
        return None
    if len(label) >= 2 and label[1] in "-_":
        p = label[0].upper()
        if p in "BUS":
            return ("B", label[2:])
        if p in "ILE":
            return ("I", label[2:])
        return ("I", label)
    return ("I", label)


PRESIDIO = {}
for k in ["GIVEN_NAME", "SURNAME", "PER", "PERSON", "NAME", "FIRST_NAME", "LAST_NAME"]:
    PRESIDIO[k] = "PERSON"
for k in ["BUILDING_NUMBER", "STREET_NAME", "SECONDARY_ADDRESS", "CITY", "STATE", "ZIP_CODE",
          "LOC", "LOCATION", "GPE", "ADDRESS"]:
    PRESIDIO[k] = "LOCATION"
for k in ["ORG", "ORGANIZATION", "ORGANISATION"]:
    PRESIDIO[k] = "ORGANIZATION"
PRESIDIO.update({
    "EMAIL": "EMAIL_ADDRESS", "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE": "PHONE_NUMBER", "PHONE_NUMBER": "PHONE_NUMBER", "TELEPHONE": "PHONE_NUMBER",
    "URL": "URL", "TAX_ID": "US_ITIN", "BANK_ACCOUNT": "US_BANK_NUMBER",
    "ROUTING_NUMBER": "ABA_ROUTING_NUMBER", "PASSPORT": "US_PASSPORT",
    "DRIVERS_LICENSE": "US_DRIVER_LICENSE", "SSN": "US_SSN",
    "CREDIT_CARD": "CREDIT_CARD", "CREDIT_CARD_NUMBER": "CREDIT_CARD",
    "IP": "IP_ADDRESS", "IP_ADDRESS": "IP_ADDRESS",
    "DATE": "DATE_TIME", "DATE_TIME": "DATE_TIME", "DOB": "DATE_TIME",
})


def presidio_label(kind: str) -> str:
    return PRESIDIO.get(kind.upper(), kind)


def is_blank(b: bytes, start: int, end: int) -> bool:
    return start >= end or b[start:end].decode("utf-8").isspace()


def aggregate(text: str, tokens: list[dict], threshold: float = 0.5) -> list[dict]:
    """Mirror of labels::aggregate (byte offsets)."""
    b = text.encode("utf-8")
    spans = []
    cur = None
    for t in tokens:
        if t["end"] <= t["start"]:
            continue
        tag = t["tag"]
        if tag is None or t["score"] < threshold:
            if cur is not None:
                spans.append(cur)
                cur = None
            continue
        if cur is not None:
            same_word = t["word"] is not None and cur["last_word"] == t["word"]
            if cur["kind"] == tag[1] and is_blank(b, cur["end"], t["start"]) and (tag[0] != "B" or same_word):
                cur["end"] = t["end"]
                cur["sum"] += t["score"]
                cur["n"] += 1
                cur["last_word"] = t["word"]
                continue
            spans.append(cur)
        cur = {"start": t["start"], "end": t["end"], "kind": tag[1], "sum": t["score"], "n": 1,
               "last_word": t["word"]}
    if cur is not None:
        spans.append(cur)
    real = [t for t in tokens if t["end"] > t["start"] and t["word"] is not None]
    for s in spans:
        for t in real:
            if t["start"] < s["end"] and t["end"] > s["start"]:
                for o in real:
                    if o["word"] == t["word"]:
                        s["start"] = min(s["start"], o["start"])
                        s["end"] = max(s["end"], o["end"])
    out = []
    for s in spans:
        label = presidio_label(s["kind"])
        if out:
            last = out[-1]
            gap_ok = last["end"] <= s["start"] and all(
                c.isspace() or (label == "LOCATION" and c == ",")
                for c in b[last["end"]:s["start"]].decode("utf-8"))
            if last["label"] == label and gap_ok:
                last["end"] = s["end"]; last["sum"] += s["sum"]; last["n"] += s["n"]
                continue
            if s["start"] < last["end"]:
                last["end"] = max(last["end"], s["end"]); last["sum"] += s["sum"]; last["n"] += s["n"]
                continue
        out.append({"start": s["start"], "end": s["end"], "label": label, "sum": s["sum"], "n": s["n"]})
    return [{"start": e["start"], "end": e["end"], "label": e["label"],
             "score": round(float(e["sum"] / max(e["n"], 1)), 5)} for e in out]


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class Reference:
    def __init__(self, model_dir: str, threads: int = 1):
        self.tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.tok.no_truncation()
        self.tok.no_padding()
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        self.labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
        self.tags = [parse_tag(l) for l in self.labels]
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(os.path.join(model_dir, "onnx", "model_q4.onnx"), so,
                                         providers=["CPUExecutionProvider"])
        self.cls = self.tok.token_to_id("[CLS]")
        self.sep = self.tok.token_to_id("[SEP]")

    def logits(self, ids: list[int]) -> np.ndarray:
        ids = [self.cls, *ids, self.sep]
        feed = {
            "input_ids": np.array([ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
            "token_type_ids": np.zeros((1, len(ids)), dtype=np.int64),
        }
        return self.sess.run(None, feed)[0][0]

    def predict(self, text: str, budget: int = 510, overlap: int = 128):
        enc = self.tok.encode(text, add_special_tokens=False)
        ids, offs, words = enc.ids, enc.offsets, enc.word_ids
        # char offsets -> byte offsets
        cum = [0]
        for ch in text:
            cum.append(cum[-1] + len(ch.encode("utf-8")))
        wins = plan_windows(len(ids), budget, overlap)
        best = [(0, 0.0)] * len(ids)
        all_logits = []
        for w, (s, e) in enumerate(wins):
            lg = self.logits(ids[s:e])
            all_logits.append(lg)
            probs = softmax(lg.astype(np.float32))
            own_from = s if w == 0 else -(-(s + wins[w - 1][1]) // 2)
            own_to = e if w + 1 == len(wins) else -(-(wins[w + 1][0] + e) // 2)
            for t in range(own_from, own_to):
                p = probs[t - s + 1]
                c = int(p.argmax())
                best[t] = (c, float(p[c]))
        tokens = [{"start": cum[offs[i][0]], "end": cum[offs[i][1]], "word": words[i],
                   "tag": self.tags[best[i][0]], "score": best[i][1]} for i in range(len(ids))]
        return aggregate(text, tokens), all_logits, wins


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/rampart")
    ap.add_argument("--out", default="testdata/privacy/ner_reference.jsonl")
    args = ap.parse_args()
    ref = Reference(args.model)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        for text in [*SAMPLES, long_sample()]:
            ents, logits, wins = ref.predict(text)
            row = {"text": text, "entities": ents, "windows": len(wins)}
            if len(wins) == 1:
                row["logits"] = [[round(float(v), 4) for v in r] for r in logits[0]]
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            shown = [(text.encode()[e["start"]:e["end"]].decode(), e["label"]) for e in ents]
            print(f"{len(wins)} window(s): {shown[:8]}{' ...' if len(shown) > 8 else ''}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
