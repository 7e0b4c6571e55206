//! `config.toml` text through `pnutkey::config::parse_str` (parse + validation) and masked
//! printing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(masked) = pnutkey::fuzzing::config(data) {
        // The masked print of a valid config is itself a valid config.
        assert!(pnutkey::config::parse_str(&masked).is_ok(), "{masked}");
    }
});
