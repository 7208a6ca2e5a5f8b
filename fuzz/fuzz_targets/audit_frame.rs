//! cargo +nightly fuzz run audit_frame fuzz/corpus/audit_frame
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = nemoclaw_core::audit::fuzzing::frame_decoder(data) {
        // an invariant broke (decoding errors are fine and not reported here)
        panic!("{e}");
    }
});
