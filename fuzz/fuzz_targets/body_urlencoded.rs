//! Fuzz target: the urlencoded request body processor (see `waf_rules::body::fuzz::urlencoded`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    waf_rules::body::fuzz::urlencoded(data);
});
