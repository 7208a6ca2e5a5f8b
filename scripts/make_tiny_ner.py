#!/usr/bin/env python3
"""Writes tiny random BERT and DistilBERT token classifiers for the NER tests.

For each architecture it writes, under testdata/privacy/tiny-<arch>-ner/,
a Hugging Face directory (config.json with id2label, tokenizer.json,
model.safetensors) and expected.json: logits for a few texts computed by an
independent numpy forward pass written here from the architecture's
definition (not from the Rust code). The Rust test
`privacy::ner::tests::tiny_hf_models_match_numpy` loads each directory and
compares.

Needs: pip install numpy safetensors tokenizers. Deterministic (fixed seed).

    python3 scripts/make_tiny_ner.py
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

OUT = os.path.join(os.path.dirname(__file__), "..", "testdata", "privacy")
WORDS = ("the a my name is and at in to of call email me lives street city john smith maria "
         "garcia paris london berlin new york anna bob ##s ##son ##er ##ing . , @ - example com").split()
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS,
         *list("abcdefghijklmnopqrstuvwxyz0123456789"), *["##" + c for c in "abcdefghijklmnopqrstuvwxyz"]]
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
TEXTS = [
    "my name is john smith and i live in paris",
    "call maria garcia at example.com",
    "Anna Johnson lives at 12 london street, Berlin",
    "xyz qqq",
]
H, HEADS, LAYERS, FF, MAXPOS = 32, 4, 2, 64, 64


def tokenizer() -> Tokenizer:
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(VOCAB)}, unk_token="[UNK]",
                                     max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=None,
                                                clean_text=True, handle_chinese_chars=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tok


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def forward(p: dict, ids: list[int], distil: bool, eps: float) -> np.ndarray:
    pre = "distilbert." if distil else "bert."
    L = len(ids)
    x = p[pre + "embeddings.word_embeddings.weight"][ids] + p[pre + "embeddings.position_embeddings.weight"][:L]
    if not distil:
        x = x + p[pre + "embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, p[pre + "embeddings.LayerNorm.weight"], p[pre + "embeddings.LayerNorm.bias"], eps)
    d = H // HEADS
    for i in range(LAYERS):
        if distil:
            n = lambda s: f"{pre}transformer.layer.{i}.{s}"
            q, k, v, o = "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"
            ln1, up, down, ln2 = "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm"
        else:
            n = lambda s: f"{pre}encoder.layer.{i}.{s}"
            q, k, v, o = ("attention.self.query", "attention.self.key", "attention.self.value",
                          "attention.output.dense")
            ln1, up, down, ln2 = "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"
        lin = lambda name, h: h @ p[n(name) + ".weight"].T + p[n(name) + ".bias"]
        Q = lin(q, x).reshape(L, HEADS, d).transpose(1, 0, 2)
        K = lin(k, x).reshape(L, HEADS, d).transpose(1, 0, 2)
        V = lin(v, x).reshape(L, HEADS, d).transpose(1, 0, 2)
        s = Q @ K.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        ctx = (s @ V).transpose(1, 0, 2).reshape(L, H)
        x = layer_norm(lin(o, ctx) + x, p[n(ln1) + ".weight"], p[n(ln1) + ".bias"], eps)
        x = layer_norm(lin(down, gelu(lin(up, x))) + x, p[n(ln2) + ".weight"], p[n(ln2) + ".bias"], eps)
    return x @ p["classifier.weight"].T + p["classifier.bias"]


def make(distil: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    arch = "distilbert" if distil else "bert"
    pre = arch + "."
    r = lambda *shape, s=0.3: (rng.standard_normal(shape) * s).astype(np.float32)
    p = {
        pre + "embeddings.word_embeddings.weight": r(len(VOCAB), H, s=1.0),
        pre + "embeddings.position_embeddings.weight": r(MAXPOS, H, s=0.5),
        pre + "embeddings.LayerNorm.weight": 1 + r(H, s=0.1),
        pre + "embeddings.LayerNorm.bias": r(H, s=0.1),
        "classifier.weight": r(len(LABELS), H, s=1.0),
        "classifier.bias": r(len(LABELS), s=0.1),
    }
    if not distil:
        p[pre + "embeddings.token_type_embeddings.weight"] = r(2, H, s=0.5)
    for i in range(LAYERS):
        if distil:
            base = f"{pre}transformer.layer.{i}."
            dims = {"attention.q_lin": (H, H), "attention.k_lin": (H, H), "attention.v_lin": (H, H),
                    "attention.out_lin": (H, H), "ffn.lin1": (FF, H), "ffn.lin2": (H, FF)}
            norms = ["sa_layer_norm", "output_layer_norm"]
        else:
            base = f"{pre}encoder.layer.{i}."
            dims = {"attention.self.query": (H, H), "attention.self.key": (H, H),
                    "attention.self.value": (H, H), "attention.output.dense": (H, H),
                    "intermediate.dense": (FF, H), "output.dense": (H, FF)}
            norms = ["attention.output.LayerNorm", "output.LayerNorm"]
        for name, (o, i_) in dims.items():
            p[base + name + ".weight"] = r(o, i_)
            p[base + name + ".bias"] = r(o, s=0.1)
        for name in norms:
            p[base + name + ".weight"] = 1 + r(H, s=0.1)
            p[base + name + ".bias"] = r(H, s=0.1)
    eps = 1e-12
    if distil:
        config = {"model_type": "distilbert", "architectures": ["DistilBertForTokenClassification"],
                  "dim": H, "n_heads": HEADS, "n_layers": LAYERS, "hidden_dim": FF, "activation": "gelu",
                  "max_position_embeddings": MAXPOS, "vocab_size": len(VOCAB)}
    else:
        config = {"model_type": "bert", "architectures": ["BertForTokenClassification"],
                  "hidden_size": H, "num_attention_heads": HEADS, "num_hidden_layers": LAYERS,
                  "intermediate_size": FF, "hidden_act": "gelu", "layer_norm_eps": eps,
                  "max_position_embeddings": MAXPOS, "type_vocab_size": 2, "vocab_size": len(VOCAB)}
    config["id2label"] = {str(i): l for i, l in enumerate(LABELS)}
    config["label2id"] = {l: i for i, l in enumerate(LABELS)}
    d = os.path.join(OUT, f"tiny-{arch}-ner")
    os.makedirs(d, exist_ok=True)
    save_file(p, os.path.join(d, "model.safetensors"))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    tok = tokenizer()
    tok.save(os.path.join(d, "tokenizer.json"))
    cls, sep = VOCAB.index("[CLS]"), VOCAB.index("[SEP]")
    expected = []
    for text in TEXTS:
        ids = [cls, *tok.encode(text, add_special_tokens=False).ids, sep]
        logits = forward(p, ids, distil, eps)
        expected.append({"text": text, "ids": ids, "logits": [[float(v) for v in row] for row in logits]})
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f)
    print("wrote", d)


if __name__ == "__main__":
    make(False, 7)
    make(True, 11)
