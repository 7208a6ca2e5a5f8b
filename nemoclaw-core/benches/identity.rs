//! Identity benchmarks: issue, verify (root and a depth-3 chain) and, as the
//! baseline in the same run, a bare ed25519-dalek verification of the same
//! signed bytes (the physical floor of a token check).
//!
//! cargo bench -p nemoclaw-core --bench identity -- --warm-up-time 1 --measurement-time 3
// Benchmark set-up fails loudly on broken fixtures; that is the intent here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ed25519_dalek::{Signature, SigningKey, Verifier as _};
use nemoclaw_core::identity::*;

const NOW: u64 = 1_767_225_600;

fn builder(agent: &KeyPair) -> TokenBuilder {
    TokenBuilder::new()
        .subject("planner")
        .audience("nemoclaw-guard")
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
        .agent_key(agent.public())
}

fn bench(c: &mut Criterion) {
    let issuer = KeyPair::from_seed("issuer-2026", &[1u8; 32]).unwrap();
    let agents: Vec<KeyPair> = (0..4u8)
        .map(|i| KeyPair::from_seed(&format!("agent-{i}"), &[10 + i; 32]).unwrap())
        .collect();
    let root = builder(&agents[0])
        .issue_at(&issuer, NOW, &[7u8; 16])
        .unwrap();
    let mut chain = root.clone();
    for depth in 1..=3usize {
        chain = TokenBuilder::new()
            .subject(format!("agent-{depth}"))
            .scopes(ScopeSet::parse(["fs:ro:/work/repo/src", "exec"]).unwrap())
            .agent_key(agents[depth].public())
            .delegate_at(
                &chain,
                &agents[depth - 1],
                NOW + depth as u64,
                &[depth as u8; 16],
            )
            .unwrap();
    }
    let mut trust = TrustStore::new();
    trust.add(issuer.public()).unwrap();
    let verifier = Verifier::new(trust).with_audience("nemoclaw-guard");
    let at = NOW + 60;
    assert!(verifier.verify_at(root.as_bytes(), at).is_ok());
    assert_eq!(verifier.verify_at(chain.as_bytes(), at).unwrap().depth(), 3);
    println!(
        "root token {} bytes; depth-3 chain {} bytes",
        root.as_bytes().len(),
        chain.as_bytes().len()
    );

    // the bare baseline: the same Sig_structure and signature, straight into dalek
    let dalek = SigningKey::from_bytes(&[1u8; 32]).verifying_key();
    let tbs = root.signed_data().to_vec();
    let sig = Signature::from_bytes(root.signature());

    let mut g = c.benchmark_group("identity");
    g.bench_function("bare_ed25519_verify", |b| {
        b.iter(|| dalek.verify(black_box(&tbs), black_box(&sig)).is_ok())
    });
    g.bench_function("bare_ed25519_verify_strict", |b| {
        b.iter(|| {
            dalek
                .verify_strict(black_box(&tbs), black_box(&sig))
                .is_ok()
        })
    });
    g.bench_function("verify_root", |b| {
        b.iter(|| verifier.verify_at(black_box(root.as_bytes()), at).is_ok())
    });
    g.bench_function("verify_chain_depth3", |b| {
        b.iter(|| verifier.verify_at(black_box(chain.as_bytes()), at).is_ok())
    });
    g.bench_function("issue_root", |b| {
        b.iter(|| {
            builder(&agents[0])
                .issue_at(black_box(&issuer), NOW, &[7u8; 16])
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
