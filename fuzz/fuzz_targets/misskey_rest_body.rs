//! A Misskey REST call (Authorization header line, body) through the front's body parsing,
//! token resolution and typed parameter extraction.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pnutkey::fuzzing::misskey_rest_body(data);
});
