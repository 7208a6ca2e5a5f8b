//! Decode and verify arbitrary bytes as an Agentic Identity Token.
//! Seed corpus: `testdata/identity/fuzz-corpus/` (also replayed by
//! `cargo test -p nemoclaw-core --test identity fuzz_corpus`).
//!
//! From the repository root (new inputs go to the first, ignored, directory):
//! mkdir -p fuzz/corpus/decode_verify
//! cargo +nightly fuzz run decode_verify fuzz/corpus/decode_verify testdata/identity/fuzz-corpus -- -max_total_time=300
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = nemoclaw_core::identity::vectors::decode_and_verify(data);
});
