//! A Misskey client's `/streaming` text frame through `pnutkey::misskey::parse_client_message`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(json) = pnutkey::fuzzing::misskey_client_frame(data) {
        // What the bridge re-serialises must parse back.
        assert!(
            pnutkey::misskey::parse_client_message(&json).is_ok(),
            "{json}"
        );
    }
});
