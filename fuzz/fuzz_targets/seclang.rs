//! Fuzz target: the SecLang loader, compiler and one request through the result (see
//! `waf_rules::seclang::fuzz::seclang`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    waf_rules::seclang::fuzz::seclang(data);
});
