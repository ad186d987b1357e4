//! Fuzz target: the xml request body processor (see `waf_rules::body::fuzz::xml`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    waf_rules::body::fuzz::xml(data);
});
