//! A Misskey stream frame through the Misskey stream decode and the pnut front's hub
//! translation (Misskey → pnut events).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pnutkey::fuzzing::misskey_upstream_frame(data);
});
