//! A pnut REST post body (Content-Type header line, body) through the front's JSON/form
//! decoding and `reply_to` id mapping.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pnutkey::fuzzing::pnut_rest_body(data);
});
