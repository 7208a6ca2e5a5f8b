//! cargo +nightly fuzz run audit_record fuzz/corpus/audit_record
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = nemoclaw_core::audit::fuzzing::record_decoder(data) {
        // an invariant broke (decoding errors are fine and not reported here)
        panic!("{e}");
    }
});
