//! A pnut REST response (status byte, body) through the pnut client's envelope decoding and
//! the Misskey REST front's translation of posts and users.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pnutkey::fuzzing::pnut_upstream_response(data);
});
