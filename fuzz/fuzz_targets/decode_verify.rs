//! Decode and verify arbitrary bytes as an Agentic Identity Token.
//! Seed corpus: `testdata/identity/fuzz-corpus/` (also replayed by
//! `cargo test -p nemoclaw-core --test identity fuzz_corpus`).
//!
//! From the repository root (new inputs go to the first, ignored, directory):
//! mkdir -p fuzz/corpus/decode_verify
//! cargo +nightly fuzz run decode_verify fuzz/corpus/decode_verify testdata/identity/fuzz-corpus -- -max_total_time=300
#![no_main]

use nemoclaw_core::identity::{vectors, Token};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = vectors::decode_and_verify(data);
    // Whatever decodes is in the one deterministic encoding: re-encoding
    // the claims gives back exactly the signed payload, at every depth.
    if let Ok(token) = Token::decode_any(data) {
        for t in token.chain() {
            let payload = t.claims().to_cbor().expect("decoded claims re-encode");
            assert!(
                t.signed_data().ends_with(&payload),
                "non-canonical payload accepted"
            );
        }
    }
});
