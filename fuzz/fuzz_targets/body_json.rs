//! Fuzz target: the json request body processor (see `waf_rules::body::fuzz::json`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    waf_rules::body::fuzz::json(data);
});
