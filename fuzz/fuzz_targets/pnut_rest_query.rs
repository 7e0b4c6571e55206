//! A pnut REST request target (`path?query`) through the front's query parsing, pagination
//! and pnut → Misskey id mapping.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pnutkey::fuzzing::pnut_rest_query(data);
});
