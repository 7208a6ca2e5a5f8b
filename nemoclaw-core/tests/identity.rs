//! Agentic Identity Tokens: issue, delegate, verify, tamper, clock,
//! revocation, widening, proof of possession, golden vectors and the fuzz
//! corpus replay.
// Tests fail by panicking; unwrap/expect/panic are the assertion mechanism here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use nemoclaw_core::identity::vectors::{self, ROOT_IAT, VALID_AT};
use nemoclaw_core::identity::*;
use nemoclaw_core::ErrorCode;
use proptest::prelude::*;

const AUD: &str = "nemoclaw-guard";

struct Fixture {
    issuer: KeyPair,
    planner: KeyPair,
    coder: KeyPair,
    tester: KeyPair,
    root: Token,
    child: Token,
    grandchild: Token,
}

fn cti(n: u8) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = 0xa1;
    c[15] = n;
    c
}

fn fixture() -> Fixture {
    let issuer = vectors::issuer().unwrap();
    let planner = KeyPair::from_seed("planner", &vectors::PLANNER_SEED).unwrap();
    let coder = KeyPair::from_seed("coder", &vectors::CODER_SEED).unwrap();
    let tester = KeyPair::from_seed("tester", &vectors::TESTER_SEED).unwrap();
    let root = TokenBuilder::new()
        .issuer("nemoclaw-issuer")
        .subject("planner")
        .audience(AUD)
        .task("T-42", "fix the failing parser test and open a PR")
        .scopes(
            ScopeSet::parse([
                "fs:rw:/work/repo",
                "fs:ro:/usr",
                "net:*.github.com:443",
                "tool:github.*",
                "exec",
            ])
            .unwrap(),
        )
        .model("llama-3.1-70b", "2024-07")
        .origin(Origin::parse("human:alice").unwrap())
        .ttl(Duration::from_secs(3600))
        .agent_key(planner.public())
        .issue_at(&issuer, ROOT_IAT, &cti(1))
        .unwrap();
    let child = TokenBuilder::new()
        .subject("coder")
        .task("T-42.1", "patch the parser")
        .scopes(ScopeSet::parse(["fs:rw:/work/repo/src", "fs:ro:/usr", "exec"]).unwrap())
        .ttl(Duration::from_secs(1800))
        .agent_key(coder.public())
        .delegate_at(&root, &planner, ROOT_IAT + 60, &cti(2))
        .unwrap();
    let grandchild = TokenBuilder::new()
        .subject("tester")
        .task("T-42.1.1", "run the parser tests")
        .scopes(ScopeSet::parse(["fs:ro:/work/repo/src", "exec"]).unwrap())
        .ttl(Duration::from_secs(600))
        .agent_key(tester.public())
        .delegate_at(&child, &coder, ROOT_IAT + 90, &cti(3))
        .unwrap();
    Fixture {
        issuer,
        planner,
        coder,
        tester,
        root,
        child,
        grandchild,
    }
}

fn verifier(f: &Fixture) -> Verifier {
    let mut trust = TrustStore::new();
    trust.add(f.issuer.public()).unwrap();
    Verifier::new(trust).with_audience(AUD)
}

fn code(r: Result<VerifiedIdentity, IdentityError>) -> ErrorCode {
    r.expect_err("expected the token to be refused").code()
}

#[test]
fn root_verifies_and_exposes_identity() {
    let f = fixture();
    let id = verifier(&f).verify_at(f.root.as_bytes(), VALID_AT).unwrap();
    assert_eq!(id.agent_id(), "planner");
    assert_eq!(id.issuer(), "nemoclaw-issuer");
    assert_eq!(id.audience(), Some(AUD));
    assert_eq!(id.task_id(), "T-42");
    assert_eq!(id.goal(), "fix the failing parser test and open a PR");
    assert_eq!(id.model_name(), "llama-3.1-70b");
    assert_eq!(id.model_version(), "2024-07");
    assert_eq!(id.origin_kind(), OriginKind::Human);
    assert_eq!(id.origin_id(), "alice");
    assert_eq!(id.depth(), 0);
    assert_eq!(id.cti(), &cti(1));
    assert_eq!(id.expires_at(), ROOT_IAT + 3600);
    assert_eq!(id.key(), &f.planner.public());
    assert_eq!(id.root_kid(), "issuer-2026");
    assert_eq!(id.chain_hash(), &f.root.chain_hash());
    assert!(id.scopes().allows_write("/work/repo/README.md"));
    assert!(id.scopes().allows_connect("api.github.com", Some(443)));
    assert!(!id.scopes().allows_connect("github.com", Some(443)));
    assert!(id.scopes().allows_tool("github.create_pr"));
    assert!(id.scopes().allows_action(ActionClass::Exec));
    assert!(!id.scopes().allows_action(ActionClass::Install));
    assert!(
        f.root.as_bytes().len() <= 400,
        "typical root token is {} bytes",
        f.root.as_bytes().len()
    );
}

#[test]
fn chain_verifies_offline() {
    let f = fixture();
    let v = verifier(&f);
    let id = v.verify_at(f.grandchild.as_bytes(), VALID_AT).unwrap();
    assert_eq!(id.agent_id(), "tester");
    assert_eq!(id.issuer(), "coder");
    assert_eq!(id.depth(), 2);
    assert_eq!(id.origin_kind(), OriginKind::Agent);
    assert_eq!(id.origin_id(), "coder");
    assert_eq!(id.model_name(), "llama-3.1-70b", "model inherited");
    assert_eq!(id.audience(), Some(AUD), "audience inherited");
    assert_eq!(id.chain_agents(), ["planner", "coder", "tester"]);
    assert_eq!(id.chain_ctis().len(), 3);
    assert_eq!(id.expires_at(), ROOT_IAT + 90 + 600);
    assert_eq!(id.scopes().to_strings(), ["exec", "fs:ro:/work/repo/src"]);
    assert_eq!(f.grandchild.chain().len(), 3);
    assert_eq!(f.grandchild.parent().unwrap(), &f.child);
    // base64 input is accepted as well
    let decoded = Token::decode_any(f.grandchild.to_base64().as_bytes()).unwrap();
    assert_eq!(decoded, f.grandchild);
}

#[test]
fn every_byte_tampered_is_refused() {
    let f = fixture();
    let v = verifier(&f);
    for token in [&f.root, &f.child] {
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80] {
                let mut t = bytes.to_vec();
                t[i] ^= flip;
                assert!(
                    v.verify_at(&t, VALID_AT).is_err(),
                    "flip {flip:#x} at byte {i} of {} still verifies",
                    bytes.len()
                );
            }
        }
        for len in 0..bytes.len() {
            assert!(
                v.verify_at(&bytes[..len], VALID_AT).is_err(),
                "truncated {len}"
            );
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(
            code(v.verify_at(&longer, VALID_AT)),
            ErrorCode::TokenMalformed
        );
    }
    // a flipped signature byte is specifically a bad signature
    let mut t = f.root.as_bytes().to_vec();
    let last = t.len() - 1;
    t[last] ^= 1;
    assert_eq!(
        code(v.verify_at(&t, VALID_AT)),
        ErrorCode::TokenBadSignature
    );
}

#[test]
fn expiry_and_not_before_follow_the_injected_clock() {
    let f = fixture();
    let strict = verifier(&f).with_leeway(Duration::ZERO);
    let root = f.root.as_bytes();
    let exp = ROOT_IAT + 3600;
    assert!(strict.verify_at(root, ROOT_IAT).is_ok());
    assert!(strict.verify_at(root, exp - 1).is_ok());
    assert_eq!(code(strict.verify_at(root, exp)), ErrorCode::TokenExpired);
    assert_eq!(
        code(strict.verify_at(root, ROOT_IAT - 1)),
        ErrorCode::TokenNotYetValid
    );
    let lenient = verifier(&f).with_leeway(Duration::from_secs(30));
    assert!(lenient.verify_at(root, exp + 29).is_ok());
    assert_eq!(
        code(lenient.verify_at(root, exp + 30)),
        ErrorCode::TokenExpired
    );
    assert!(lenient.verify_at(root, ROOT_IAT - 30).is_ok());
    assert_eq!(
        code(lenient.verify_at(root, ROOT_IAT - 31)),
        ErrorCode::TokenNotYetValid
    );
    // the grandchild expires before its ancestors
    let gc_exp = ROOT_IAT + 90 + 600;
    assert_eq!(
        code(strict.verify_at(f.grandchild.as_bytes(), gc_exp)),
        ErrorCode::TokenExpired
    );
    // and is not valid before its own nbf even though its parents are
    assert_eq!(
        code(strict.verify_at(f.grandchild.as_bytes(), ROOT_IAT + 89)),
        ErrorCode::TokenNotYetValid
    );
}

#[test]
fn revoking_a_parent_revokes_descendants() {
    let f = fixture();
    let mut list = RevocationList::new();
    list.revoke(&f.child.claims().cti);
    let v = verifier(&f).with_revocations(list.clone());
    assert!(v.verify_at(f.root.as_bytes(), VALID_AT).is_ok());
    assert_eq!(
        code(v.verify_at(f.child.as_bytes(), VALID_AT)),
        ErrorCode::TokenRevoked
    );
    assert_eq!(
        code(v.verify_at(f.grandchild.as_bytes(), VALID_AT)),
        ErrorCode::TokenRevoked
    );
    let parsed = RevocationList::parse(&format!("# revoked\n\n{}", list.to_text())).unwrap();
    assert_eq!(parsed, list);
    assert!(RevocationList::parse("not-hex").is_err());
}

#[test]
fn audience_is_checked() {
    let f = fixture();
    let mut trust = TrustStore::new();
    trust.add(f.issuer.public()).unwrap();
    let other = Verifier::new(trust.clone()).with_audience("someone-else");
    assert_eq!(
        code(other.verify_at(f.root.as_bytes(), VALID_AT)),
        ErrorCode::TokenWrongAudience
    );
    let none = Verifier::new(trust);
    assert_eq!(
        code(none.verify_at(f.root.as_bytes(), VALID_AT)),
        ErrorCode::TokenWrongAudience,
        "a token naming an audience is refused by a verifier that names none"
    );
}

#[test]
fn unknown_and_rotated_keys() {
    let f = fixture();
    let stranger = KeyPair::from_seed("issuer-2026", &[9u8; 32]).unwrap();
    let mut trust = TrustStore::new();
    trust.add(stranger.public()).unwrap();
    assert_eq!(
        code(
            Verifier::new(trust)
                .with_audience(AUD)
                .verify_at(f.root.as_bytes(), VALID_AT)
        ),
        ErrorCode::TokenBadSignature
    );
    let other_kid = KeyPair::from_seed("issuer-2027", &vectors::ISSUER_SEED).unwrap();
    let mut trust = TrustStore::new();
    trust.add(other_kid.public()).unwrap();
    assert_eq!(
        code(
            Verifier::new(trust)
                .with_audience(AUD)
                .verify_at(f.root.as_bytes(), VALID_AT)
        ),
        ErrorCode::TokenUnknownKey
    );
    // rotation windows apply to the issue time
    for (nb, na, ok) in [
        (Some(ROOT_IAT), None, true),
        (Some(ROOT_IAT + 1), None, false),
        (None, Some(ROOT_IAT), true),
        (None, Some(ROOT_IAT - 1), false),
    ] {
        let mut trust = TrustStore::new();
        trust.add_with_window(f.issuer.public(), nb, na).unwrap();
        let r = Verifier::new(trust)
            .with_audience(AUD)
            .verify_at(f.root.as_bytes(), VALID_AT);
        assert_eq!(r.is_ok(), ok, "{nb:?} {na:?}");
        if !ok {
            assert_eq!(code(r), ErrorCode::TokenUnknownKey);
        }
    }
    let mut trust = TrustStore::new();
    trust.add(f.issuer.public()).unwrap();
    assert!(trust.add(stranger.public()).is_err(), "kid clash");
}

fn widen(f: &Fixture, parent_scopes: &[&str], child_scopes: &[&str]) {
    // a parent holding `parent_scopes`, a child asking for `child_scopes`
    let parent = TokenBuilder::new()
        .subject("planner")
        .audience(AUD)
        .task("T", "g")
        .scopes(ScopeSet::parse(parent_scopes).unwrap())
        .model("m", "1")
        .origin(Origin::parse("service:ci").unwrap())
        .ttl(Duration::from_secs(3600))
        .agent_key(f.planner.public())
        .issue_at(&f.issuer, ROOT_IAT, &cti(10))
        .unwrap();
    let wide = ScopeSet::parse(child_scopes).unwrap();
    let err = TokenBuilder::new()
        .subject("coder")
        .scopes(wide.clone())
        .agent_key(f.coder.public())
        .delegate_at(&parent, &f.planner, ROOT_IAT + 1, &cti(11))
        .unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::TokenScopeEscalation,
        "{child_scopes:?}"
    );
    // forge it anyway with the parent's key: the verifier must catch it
    let narrow = TokenBuilder::new()
        .subject("coder")
        .scopes(ScopeSet::new())
        .agent_key(f.coder.public())
        .delegate_at(&parent, &f.planner, ROOT_IAT + 1, &cti(11))
        .unwrap();
    let mut claims = narrow.claims().clone();
    claims.task.scopes = wide;
    let forged = Token::sign_claims(&claims, &f.planner).unwrap();
    assert_eq!(
        code(verifier(f).verify_at(forged.as_bytes(), VALID_AT)),
        ErrorCode::TokenScopeEscalation,
        "forged {child_scopes:?}"
    );
    assert!(verifier(f).verify_at(narrow.as_bytes(), VALID_AT).is_ok());
}

#[test]
fn widening_each_scope_kind_is_refused() {
    let f = fixture();
    // filesystem: ro -> rw, wider prefix, sibling with common string prefix
    widen(&f, &["fs:ro:/work"], &["fs:rw:/work"]);
    widen(&f, &["fs:rw:/work/repo"], &["fs:ro:/work"]);
    widen(&f, &["fs:rw:/work"], &["fs:rw:/workspace"]);
    // network: other host, dropped port, wildcard wider, apex of wildcard
    widen(&f, &["net:api.github.com:443"], &["net:evil.com:443"]);
    widen(&f, &["net:api.github.com:443"], &["net:api.github.com"]);
    widen(&f, &["net:*.api.github.com"], &["net:*.github.com"]);
    widen(&f, &["net:*.github.com"], &["net:github.com"]);
    widen(&f, &["net:*.github.com"], &["net:*"]);
    // tools: other tool, namespace from a single tool, any tool
    widen(&f, &["tool:search"], &["tool:shell"]);
    widen(&f, &["tool:github.read"], &["tool:github.*"]);
    widen(&f, &["tool:github.*"], &["tool:*"]);
    // action classes
    widen(&f, &["exec"], &["install"]);
    widen(&f, &["fs:rw:/"], &["exec"]);
}

#[test]
fn lifetime_and_audience_cannot_widen() {
    let f = fixture();
    let err = TokenBuilder::new()
        .subject("coder")
        .ttl(Duration::from_secs(7200))
        .agent_key(f.coder.public())
        .delegate_at(&f.root, &f.planner, ROOT_IAT + 60, &cti(20))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::TokenScopeEscalation);
    let err = TokenBuilder::new()
        .subject("coder")
        .audience("elsewhere")
        .agent_key(f.coder.public())
        .delegate_at(&f.root, &f.planner, ROOT_IAT + 60, &cti(20))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::TokenScopeEscalation);
    // forged longer lifetime
    let mut claims = f.child.claims().clone();
    claims.expires_at = ROOT_IAT + 3601;
    let forged = Token::sign_claims(&claims, &f.planner).unwrap();
    assert_eq!(
        code(verifier(&f).verify_at(forged.as_bytes(), VALID_AT)),
        ErrorCode::TokenScopeEscalation
    );
    // default ttl of a child is the parent's remaining lifetime
    let child = TokenBuilder::new()
        .subject("coder")
        .agent_key(f.coder.public())
        .delegate_at(&f.root, &f.planner, ROOT_IAT + 60, &cti(21))
        .unwrap();
    assert_eq!(child.claims().expires_at, f.root.claims().expires_at);
    assert_eq!(child.claims().task.scopes, f.root.claims().task.scopes);
}

#[test]
fn forged_chains_are_detected() {
    let f = fixture();
    let v = verifier(&f);
    // child signed by a key other than the parent's cnf
    let mut claims = f.child.claims().clone();
    let forged = Token::sign_claims(&claims, &f.coder).unwrap();
    assert_eq!(
        code(v.verify_at(forged.as_bytes(), VALID_AT)),
        ErrorCode::TokenUnknownKey
    );
    let impostor = KeyPair::from_seed("planner", &[5u8; 32]).unwrap();
    let forged = Token::sign_claims(&claims, &impostor).unwrap();
    assert_eq!(
        code(v.verify_at(forged.as_bytes(), VALID_AT)),
        ErrorCode::TokenBadSignature
    );
    // issuer that is not the parent's subject
    claims.issuer = "someone".into();
    let forged = Token::sign_claims(&claims, &f.planner).unwrap();
    assert_eq!(
        code(v.verify_at(forged.as_bytes(), VALID_AT)),
        ErrorCode::TokenChainInvalid
    );
    // wrong depth
    let mut claims = f.child.claims().clone();
    claims.delegation.as_mut().unwrap().depth = 2;
    let forged = Token::sign_claims(&claims, &f.planner).unwrap();
    assert_eq!(
        code(v.verify_at(forged.as_bytes(), VALID_AT)),
        ErrorCode::TokenChainInvalid
    );
    // origin other than the parent agent
    let mut claims = f.child.claims().clone();
    claims.origin = Origin::parse("human:mallory").unwrap();
    let forged = Token::sign_claims(&claims, &f.planner).unwrap();
    assert_eq!(
        code(v.verify_at(forged.as_bytes(), VALID_AT)),
        ErrorCode::TokenChainInvalid
    );
    // a delegated token whose embedded parent was tampered with
    let mut claims = f.child.claims().clone();
    let parent = &mut claims.delegation.as_mut().unwrap().parent;
    let n = parent.len();
    parent[n - 1] ^= 1;
    let forged = Token::sign_claims(&claims, &f.planner).unwrap();
    assert_eq!(
        code(v.verify_at(forged.as_bytes(), VALID_AT)),
        ErrorCode::TokenBadSignature
    );
}

#[test]
fn depth_is_limited() {
    let f = fixture();
    let mut token = f.root.clone();
    let mut holder = f.planner.clone();
    for depth in 1..=5u8 {
        let next = KeyPair::from_seed(&format!("agent-{depth}"), &[depth; 32]).unwrap();
        let r = TokenBuilder::new()
            .subject(format!("agent-{depth}"))
            .agent_key(next.public())
            .delegate_at(&token, &holder, ROOT_IAT + 60, &cti(30 + depth));
        if u32::from(depth) > DEFAULT_MAX_DEPTH {
            assert_eq!(r.unwrap_err().code(), ErrorCode::TokenChainTooDeep);
            token = TokenBuilder::new()
                .subject(format!("agent-{depth}"))
                .agent_key(next.public())
                .max_depth(8)
                .delegate_at(&token, &holder, ROOT_IAT + 60, &cti(30 + depth))
                .unwrap();
        } else {
            token = r.unwrap();
        }
        holder = next;
    }
    let v = verifier(&f);
    assert_eq!(
        code(v.verify_at(token.as_bytes(), VALID_AT)),
        ErrorCode::TokenChainTooDeep
    );
    assert!(v
        .clone()
        .with_max_depth(5)
        .verify_at(token.as_bytes(), VALID_AT)
        .is_ok());
    assert_eq!(
        code(
            v.with_max_depth(1)
                .verify_at(f.grandchild.as_bytes(), VALID_AT)
        ),
        ErrorCode::TokenChainTooDeep
    );
}

#[test]
fn delegation_needs_the_parent_key_and_a_live_parent() {
    let f = fixture();
    let r = TokenBuilder::new()
        .subject("coder")
        .agent_key(f.coder.public())
        .delegate_at(&f.root, &f.coder, ROOT_IAT + 60, &cti(40));
    assert_eq!(r.unwrap_err().code(), ErrorCode::TokenProofOfPossession);
    let r = TokenBuilder::new()
        .subject("coder")
        .agent_key(f.coder.public())
        .delegate_at(&f.root, &f.planner, ROOT_IAT + 3600, &cti(40));
    assert_eq!(r.unwrap_err().code(), ErrorCode::TokenExpired);
}

#[test]
fn proof_of_possession() {
    let f = fixture();
    let v = verifier(&f);
    let challenge = b"sha256:0123456789abcdef request digest";
    let proof = sign_proof(&f.coder, &f.child, challenge).unwrap();
    let id = v
        .verify_with_proof_at(f.child.as_bytes(), challenge, &proof, VALID_AT)
        .unwrap();
    assert_eq!(id.agent_id(), "coder");
    assert_eq!(
        code(v.verify_with_proof_at(f.child.as_bytes(), b"other", &proof, VALID_AT)),
        ErrorCode::TokenProofOfPossession
    );
    // a proof made for another token with the same key does not transfer
    let other = TokenBuilder::new()
        .subject("coder")
        .agent_key(f.coder.public())
        .delegate_at(&f.root, &f.planner, ROOT_IAT + 60, &cti(50))
        .unwrap();
    assert_eq!(
        code(v.verify_with_proof_at(other.as_bytes(), challenge, &proof, VALID_AT)),
        ErrorCode::TokenProofOfPossession
    );
    let wrong = f
        .tester
        .sign(&pop_message(&f.child.claims().cti, challenge).unwrap());
    assert_eq!(
        code(v.verify_with_proof_at(f.child.as_bytes(), challenge, &wrong, VALID_AT)),
        ErrorCode::TokenProofOfPossession
    );
    assert!(sign_proof(&f.tester, &f.child, challenge).is_err());
    assert!(id.check_proof(b"", &proof).is_err());
    assert!(id.check_proof(challenge, b"short").is_err());
}

#[test]
fn hostile_inputs_are_errors() {
    let f = fixture();
    let v = verifier(&f);
    let huge = vec![0xd2u8; MAX_TOKEN_BYTES + 1];
    for input in [
        &b""[..],
        b"\xd2",
        b"\xd2\x84",
        b"\xd2\x9f\xff",
        b"\xd2\x84\x5b\xff\xff\xff\xff\xff\xff\xff\xff",
        b"\xd2\x84\x9b\xff\xff\xff\xff\xff\xff\xff\xff",
        &[0x81; 4000],
        &huge,
        b"not base64 !!",
    ] {
        assert!(v.verify_at(input, VALID_AT).is_err());
        assert!(Token::decode_any(input).is_err());
    }
    // deeply nested arrays
    let mut nested = vec![0xd2u8];
    nested.extend(std::iter::repeat_n(0x81u8, 10_000));
    assert!(Token::decode(&nested).is_err());
}

#[test]
fn bad_builder_inputs_are_errors() {
    let f = fixture();
    let base = || {
        TokenBuilder::new()
            .subject("a")
            .task("t", "g")
            .model("m", "1")
            .origin(Origin::parse("human:x").unwrap())
            .ttl(Duration::from_secs(60))
            .agent_key(f.coder.public())
    };
    assert!(base().issue_at(&f.issuer, ROOT_IAT, &cti(60)).is_ok());
    assert!(base()
        .subject("")
        .issue_at(&f.issuer, ROOT_IAT, &cti(60))
        .is_err());
    assert!(base()
        .ttl(Duration::ZERO)
        .issue_at(&f.issuer, ROOT_IAT, &cti(60))
        .is_err());
    assert!(base()
        .ttl(Duration::from_secs(u64::MAX))
        .issue_at(&f.issuer, ROOT_IAT, &cti(60))
        .is_err());
    assert!(base().issue_at(&f.issuer, ROOT_IAT, &[1, 2]).is_err());
    assert!(TokenBuilder::new()
        .subject("a")
        .issue_at(&f.issuer, ROOT_IAT, &cti(60))
        .is_err());
    assert!(Origin::parse("robot:x").is_err());
    assert!(Origin::parse("human").is_err());
    assert!(Model::parse("noversion").is_err());
    assert_eq!(
        Model::parse("org/m@sha256:ab").unwrap().version,
        "sha256:ab"
    );
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._:@/-]{1,40}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn claims_round_trip(
        sub in text(), iss in text(), aud in prop::option::of(text()),
        task_id in text(), goal in "[ -~\\n]{0,80}", name in text(), version in text(),
        origin_id in text(), kind in 0u8..3,
        iat in 0u64..4_000_000_000, life in 1u64..1_000_000,
        cti_bytes in prop::collection::vec(any::<u8>(), 8..=32),
        scope_idx in prop::collection::vec(0usize..8, 0..6),
    ) {
        const POOL: [&str; 8] = ["fs:ro:/a", "fs:rw:/b/c", "net:*.x.org", "net:[::1]:80",
            "tool:t.*", "tool:x", "exec", "install"];
        let agent = KeyPair::from_seed("agent", &[3u8; 32]).unwrap();
        let issuer = KeyPair::from_seed("iss", &[4u8; 32]).unwrap();
        let claims = Claims {
            issuer: iss, subject: sub, audience: aud,
            issued_at: iat, not_before: iat, expires_at: iat + life,
            cti: cti_bytes,
            confirmation: agent.public(),
            task: Task { id: task_id, goal, scopes: ScopeSet::parse(scope_idx.iter().map(|&i| POOL[i])).unwrap() },
            model: Model { name, version },
            origin: Origin { kind: [OriginKind::Human, OriginKind::Agent, OriginKind::Service][kind as usize], id: origin_id },
            delegation: None,
        };
        let payload = claims.to_cbor().unwrap();
        prop_assert_eq!(&Claims::from_cbor(&payload).unwrap(), &claims);
        let token = Token::sign_claims(&claims, &issuer).unwrap();
        let back = Token::decode(token.as_bytes()).unwrap();
        prop_assert_eq!(back.claims(), &claims);
        prop_assert_eq!(Token::decode_any(token.to_base64().as_bytes()).unwrap(), token);
    }

    #[test]
    fn random_bytes_never_verify(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(vectors::decode_and_verify(&bytes).is_err());
    }
}

// ---- golden vectors -------------------------------------------------------

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/identity")
}

/// Every golden file and its expected bytes, computed from the fixed seeds.
fn golden_files(f: &Fixture) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for key in [&f.issuer, &f.planner, &f.coder, &f.tester] {
        out.push((
            format!("keys/{}.key", key.kid()),
            key.to_cose_bytes().unwrap(),
        ));
        out.push((
            format!("keys/{}.pub", key.kid()),
            key.public().to_cose_bytes().unwrap(),
        ));
    }
    // Keys sorted at every level, whatever serde_json features the build has
    // (`preserve_order` would keep the json! macro's insertion order).
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let mut e: Vec<_> = m.into_iter().collect();
                e.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(e.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    let json = |v: serde_json::Value| {
        let mut s = serde_json::to_string_pretty(&sorted(v)).unwrap();
        s.push('\n');
        s.into_bytes()
    };
    let v = verifier(f);
    for (name, token) in [
        ("root", &f.root),
        ("child", &f.child),
        ("grandchild", &f.grandchild),
    ] {
        out.push((format!("{name}.ait"), token.as_bytes().to_vec()));
        out.push((
            format!("{name}.ait.b64"),
            format!("{}\n", token.to_base64()).into_bytes(),
        ));
        out.push((format!("{name}.claims.json"), json(token.to_json())));
        let id = v.verify_at(token.as_bytes(), VALID_AT).unwrap();
        out.push((format!("{name}.identity.json"), json(id.to_json())));
    }
    // negative vectors
    let mut bad_sig = f.root.as_bytes().to_vec();
    let n = bad_sig.len();
    bad_sig[n - 1] ^= 0x01;
    out.push(("invalid/bad-signature.ait".into(), bad_sig));
    let mut claims = f.child.claims().clone();
    claims.task.scopes = ScopeSet::parse(["fs:rw:/", "exec"]).unwrap();
    out.push((
        "invalid/scope-escalation.ait".into(),
        Token::sign_claims(&claims, &f.planner)
            .unwrap()
            .as_bytes()
            .to_vec(),
    ));
    let mut claims = f.child.claims().clone();
    claims.issuer = "mallory".into();
    out.push((
        "invalid/chain-invalid.ait".into(),
        Token::sign_claims(&claims, &f.planner)
            .unwrap()
            .as_bytes()
            .to_vec(),
    ));
    out.push((
        "revoked.txt".into(),
        format!(
            "# cti of child.ait: revokes child and grandchild, not root\n{}\n",
            hex::encode(&f.child.claims().cti)
        )
        .into_bytes(),
    ));
    let proof = sign_proof(&f.coder, &f.child, b"nemoclaw-challenge").unwrap();
    out.push((
        "child.pop.hex".into(),
        format!("{}\n", hex::encode(proof)).into_bytes(),
    ));
    out.push(("vectors.json".into(), json(manifest(f))));
    out
}

fn manifest(f: &Fixture) -> serde_json::Value {
    serde_json::json!({
        "description": "NemoClaw AIT golden vectors; see README.md and docs/tokens.md",
        "seeds": {
            "issuer-2026": hex::encode(vectors::ISSUER_SEED),
            "planner": hex::encode(vectors::PLANNER_SEED),
            "coder": hex::encode(vectors::CODER_SEED),
            "tester": hex::encode(vectors::TESTER_SEED),
        },
        "trusted_issuer": "keys/issuer-2026.pub",
        "audience": AUD,
        "leeway_s": 60,
        "valid_at": VALID_AT,
        "tokens": {
            "root": { "file": "root.ait", "cti": hex::encode(&f.root.claims().cti),
                "chain_hash": hex::encode(f.root.chain_hash()), "signer": "issuer-2026" },
            "child": { "file": "child.ait", "cti": hex::encode(&f.child.claims().cti),
                "chain_hash": hex::encode(f.child.chain_hash()), "signer": "planner" },
            "grandchild": { "file": "grandchild.ait", "cti": hex::encode(&f.grandchild.claims().cti),
                "chain_hash": hex::encode(f.grandchild.chain_hash()), "signer": "coder" },
        },
        "cases": [
            { "token": "root.ait", "at": VALID_AT, "expect": "valid" },
            { "token": "child.ait", "at": VALID_AT, "expect": "valid" },
            { "token": "grandchild.ait", "at": VALID_AT, "expect": "valid" },
            { "token": "root.ait", "at": ROOT_IAT + 3600 + 60, "expect": "token_expired" },
            { "token": "grandchild.ait", "at": ROOT_IAT + 90 + 600 + 60, "expect": "token_expired" },
            { "token": "root.ait", "at": ROOT_IAT - 61, "expect": "token_not_yet_valid" },
            { "token": "root.ait", "at": VALID_AT, "audience": "someone-else", "expect": "token_wrong_audience" },
            { "token": "child.ait", "at": VALID_AT, "revoked": "revoked.txt", "expect": "token_revoked" },
            { "token": "grandchild.ait", "at": VALID_AT, "revoked": "revoked.txt", "expect": "token_revoked" },
            { "token": "root.ait", "at": VALID_AT, "revoked": "revoked.txt", "expect": "valid" },
            { "token": "invalid/bad-signature.ait", "at": VALID_AT, "expect": "token_bad_signature" },
            { "token": "invalid/scope-escalation.ait", "at": VALID_AT, "expect": "token_scope_escalation" },
            { "token": "invalid/chain-invalid.ait", "at": VALID_AT, "expect": "token_chain_invalid" },
        ],
        "proof_of_possession": {
            "token": "child.ait", "challenge_utf8": "nemoclaw-challenge", "proof_file": "child.pop.hex",
            "message": "\"NemoClaw-AIT-PoP-v1\\0\" || len(cti) (1 byte) || cti || challenge",
        },
    })
}

#[test]
fn golden_vectors_match_byte_for_byte() {
    let f = fixture();
    let dir = golden_dir();
    let regen = std::env::var_os("NEMOCLAW_REGEN_GOLDEN").is_some();
    for (name, bytes) in golden_files(&f) {
        let path = dir.join(&name);
        if regen {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            continue;
        }
        let found = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (NEMOCLAW_REGEN_GOLDEN=1 regenerates)",
                path.display()
            )
        });
        assert!(found == bytes, "{name} differs from the golden file");
    }
}

#[test]
fn golden_cases_have_the_expected_outcome() {
    let dir = golden_dir();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("vectors.json")).unwrap()).unwrap();
    let issuer = PublicKey::read_file(&dir.join("keys/issuer-2026.pub")).unwrap();
    let mut trust = TrustStore::new();
    trust.add(issuer).unwrap();
    for case in manifest["cases"].as_array().unwrap() {
        let token = std::fs::read(dir.join(case["token"].as_str().unwrap())).unwrap();
        let mut v = Verifier::new(trust.clone())
            .with_audience(case["audience"].as_str().unwrap_or(AUD))
            .with_leeway(Duration::from_secs(60));
        if let Some(file) = case["revoked"].as_str() {
            v = v.with_revocations(RevocationList::read_file(&dir.join(file)).unwrap());
        }
        let got = match v.verify_at(&token, case["at"].as_u64().unwrap()) {
            Ok(_) => "valid".to_owned(),
            Err(e) => e.code().name().to_owned(),
        };
        assert_eq!(got, case["expect"].as_str().unwrap(), "{case}");
        // base64 copies decode to the same bytes
        let b64 = dir.join(format!("{}.b64", case["token"].as_str().unwrap()));
        if b64.exists() {
            assert_eq!(
                token_bytes_from_any(&std::fs::read(b64).unwrap()).unwrap(),
                token
            );
        }
    }
    let child = std::fs::read(dir.join("child.ait")).unwrap();
    let proof = hex::decode(
        std::fs::read_to_string(dir.join("child.pop.hex"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    Verifier::new(trust)
        .with_audience(AUD)
        .verify_with_proof_at(&child, b"nemoclaw-challenge", &proof, VALID_AT)
        .unwrap();
}

#[test]
fn fuzz_corpus_replays_without_panic() {
    let dir = golden_dir().join("fuzz-corpus");
    let mut count = 0;
    let mut valid = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        // the fuzz target's invariant: what decodes is canonical
        if let Ok(token) = Token::decode_any(&bytes) {
            for t in token.chain() {
                assert!(t.signed_data().ends_with(&t.claims().to_cbor().unwrap()));
            }
        }
        if vectors::decode_and_verify(&bytes).is_ok() {
            valid += 1;
        }
        count += 1;
    }
    assert!(count >= 5, "corpus has {count} inputs");
    assert!(valid >= 1, "the corpus holds at least one valid token");
}

#[test]
fn shared_types_are_send_and_sync() {
    fn check<T: Send + Sync + Clone + std::fmt::Debug>() {}
    check::<Verifier>();
    check::<VerifiedIdentity>();
    check::<Token>();
    check::<TrustStore>();
    check::<RevocationList>();
    check::<ScopeSet>();
    check::<PublicKey>();
}
