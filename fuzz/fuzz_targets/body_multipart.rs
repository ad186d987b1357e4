//! Fuzz target: the multipart request body processor (see `waf_rules::body::fuzz::multipart`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    waf_rules::body::fuzz::multipart(data);
});
