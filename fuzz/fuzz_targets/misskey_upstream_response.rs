//! A Misskey REST response (status byte, body) through the Misskey client's response decoding
//! and the pnut REST front's translation of notes, users and drive files.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pnutkey::fuzzing::misskey_upstream_response(data);
});
