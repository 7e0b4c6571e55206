//! A pnut user-stream frame through the pnut stream decode and the Misskey front's delivery
//! (pnut → Misskey translation).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for frame in pnutkey::fuzzing::pnut_upstream_frame(data) {
        // Every frame sent to a Misskey client is one JSON object.
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(&frame);
        assert!(parsed.is_ok_and(|v| v.is_object()), "{frame}");
    }
});
