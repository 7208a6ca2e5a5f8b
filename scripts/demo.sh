#!/usr/bin/env bash
# End-to-end walk-through. Uses the release binary built by `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
NC=${NC:-target/release/nemoclaw}
if [ ! -x "$NC" ] && [ -n "${CARGO_TARGET_DIR:-}" ]; then NC="$CARGO_TARGET_DIR/release/nemoclaw"; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== keygen: an issuer key and an agent key"
"$NC" keygen --out "$work/keys" --kid issuer
"$NC" keygen --out "$work/keys" --kid agent

# ---- Agentic Identity Tokens ------------------------------------------------
# expect_refusal CODE CMD...: the command must exit 1 and name CODE on stderr.
expect_refusal() {
    local code=$1; shift
    local rc=0
    "$@" >"$work/out" 2>"$work/err" || rc=$?
    if [ "$rc" -ne 1 ] || ! grep -q "$code" "$work/err"; then
        echo "   UNEXPECTED: exit $rc, stderr: $(cat "$work/err")" >&2
        exit 1
    fi
    echo "   refused (exit 1): $(cat "$work/err")"
}

echo
echo "== identity: a sub-agent key, then a root token for 'planner' (issuer-signed)"
"$NC" keygen --out "$work/keys" --kid subagent >/dev/null
"$NC" token issue --key "$work/keys/issuer.key" --agent planner \
    --task-id T-42 --goal "fix the failing parser test" \
    --scope fs:rw:/work/repo --scope net:*.github.com:443 --scope tool:github.* --scope exec \
    --model llama-3.1-70b@2024-07 --origin human:alice --ttl 1h \
    --agent-key "$work/keys/agent.pub" --aud nemoclaw-guard >"$work/root.ait"
echo "   root token: $(wc -c <"$work/root.ait") bytes (binary COSE_Sign1)"
"$NC" token inspect "$work/root.ait" | grep -E '"(sub|iss|aud|exp|cti)"' | sed 's/^/   /'

echo
echo "== identity: verify the root token against the issuer's public key"
"$NC" token verify --trust "$work/keys/issuer.pub" --aud nemoclaw-guard "$work/root.ait" | sed 's/^/   /'

echo
echo "== identity: 'planner' delegates a narrower token to 'coder' (signed with its own key, base64)"
"$NC" token delegate --parent "$work/root.ait" --parent-key "$work/keys/agent.key" \
    --agent coder --agent-key "$work/keys/subagent.pub" \
    --scope fs:ro:/work/repo/src --scope exec --ttl 10m --base64 >"$work/child.b64"
echo "   child token (base64): $(cut -c1-60 "$work/child.b64")..."
echo "   verify the whole chain offline (root signature, child signature, scopes within parent):"
"$NC" token verify --trust "$work/keys/issuer.pub" --aud nemoclaw-guard "$work/child.b64" | sed 's/^/   /'

echo
echo "== identity: proof of possession: 'coder' signs a challenge with its key"
proof=$("$NC" token prove --token "$work/child.b64" --key "$work/keys/subagent.key" --challenge nonce-8f2a)
"$NC" token verify --trust "$work/keys/issuer.pub" --aud nemoclaw-guard \
    --challenge nonce-8f2a --proof "$proof" "$work/child.b64" | sed 's/^/   /'
echo "   the same proof for another challenge:"
expect_refusal token_proof_of_possession "$NC" token verify --trust "$work/keys/issuer.pub" \
    --aud nemoclaw-guard --challenge nonce-other --proof "$proof" "$work/child.b64"

echo
echo "== identity: tamper with one byte of the signed claims (widen /work/repo to /work/rEpo)"
sed 's#/work/repo#/work/rEpo#' "$work/root.ait" >"$work/tampered.ait"
cmp -s "$work/root.ait" "$work/tampered.ait" && { echo "   tamper did not change the token" >&2; exit 1; }
expect_refusal token_bad_signature "$NC" token verify --trust "$work/keys/issuer.pub" --aud nemoclaw-guard "$work/tampered.ait"

echo
echo "== identity: a token signed by a key the verifier does not trust"
"$NC" keygen --out "$work/rogue" --kid issuer >/dev/null
"$NC" token issue --key "$work/rogue/issuer.key" --agent planner --task-id T-42 --goal x \
    --scope fs:rw:/ --model m@1 --origin human:mallory --ttl 1h \
    --agent-key "$work/keys/agent.pub" --aud nemoclaw-guard >"$work/rogue.ait"
expect_refusal token_bad_signature "$NC" token verify --trust "$work/keys/issuer.pub" --aud nemoclaw-guard "$work/rogue.ait"

echo
echo "== identity: an expired token (2 s lifetime, checked 3 s later with no clock leeway)"
"$NC" token issue --key "$work/keys/issuer.key" --agent planner --task-id T-42 --goal x \
    --scope exec --model m@1 --origin human:alice --ttl 2s \
    --agent-key "$work/keys/agent.pub" >"$work/short.ait"
"$NC" token verify --trust "$work/keys/issuer.pub" --leeway 0 "$work/short.ait" | sed 's/^/   /'
sleep 3
expect_refusal token_expired "$NC" token verify --trust "$work/keys/issuer.pub" --leeway 0 "$work/short.ait"

echo
echo "== identity: revoke the root token: the delegated child is revoked with it"
cti=$("$NC" token inspect "$work/root.ait" | sed -n 's/^  "cti": "\([0-9a-f]*\)".*/\1/p')
printf '# revoked after incident 7\n%s\n' "$cti" >"$work/revoked.txt"
echo "   revoked.txt: $cti"
expect_refusal token_revoked "$NC" token verify --trust "$work/keys/issuer.pub" --aud nemoclaw-guard \
    --revoked "$work/revoked.txt" "$work/child.b64"

echo
echo "== identity: the wrong audience"
expect_refusal token_wrong_audience "$NC" token verify --trust "$work/keys/issuer.pub" --aud billing-service "$work/root.ait"

echo
echo "== identity: widened delegations are refused when minting"
for wide in fs:rw:/etc fs:rw:/work/repo/../../etc/shadow net:evil.example.com:443 tool:shell install; do
    echo "   asking for --scope $wide"
    rc=0
    "$NC" token delegate --parent "$work/root.ait" --parent-key "$work/keys/agent.key" \
        --agent coder --agent-key "$work/keys/subagent.pub" --scope "$wide" \
        >/dev/null 2>"$work/err" || rc=$?
    if [ "$rc" -eq 0 ]; then echo "   UNEXPECTED: widened delegation minted" >&2; exit 1; fi
    echo "   refused (exit $rc): $(cat "$work/err")"
done
echo "   asking for a lifetime longer than the parent's:"
expect_refusal token_scope_escalation "$NC" token delegate --parent "$work/root.ait" \
    --parent-key "$work/keys/agent.key" --agent coder --agent-key "$work/keys/subagent.pub" --ttl 2h

echo
echo "== identity: only the holder of the parent's key can delegate"
expect_refusal token_proof_of_possession "$NC" token delegate --parent "$work/root.ait" \
    --parent-key "$work/keys/subagent.key" --agent coder --agent-key "$work/keys/subagent.pub"

echo
echo "== identity walk-through: every check behaved as expected"
