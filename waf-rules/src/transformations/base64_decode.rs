//! `t:base64Decode`: strict Base64 decoding, as v3 does it with mbedTLS 3's
//! `mbedtls_base64_decode` (src/utils/base64.cc):
//!
//! - the value is cut at its first NUL (v3 passes `strlen`);
//! - line breaks (`\n`, `\r\n`) are skipped anywhere, spaces only at the end of a line;
//! - any other byte outside the alphabet, a third `=`, or data after `=` makes the whole
//!   result empty;
//! - a trailing group of fewer than four symbols decodes to nothing.
//!
//! ```text
//! SecRule REQUEST_HEADERS:Authorization "@rx ^admin:" "id:1,phase:1,t:none,t:base64Decode,pass"
//! ```

use std::borrow::Cow;

/// The value of a symbol of the standard alphabet.
pub(crate) fn symbol_value(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Checks `input` the way mbedTLS's first pass does; `false` means v3 returns "".
fn valid(input: &[u8]) -> bool {
    let mut equals = 0;
    let mut i = 0;
    while i < input.len() {
        let mut spaces = false;
        while input.get(i) == Some(&b' ') {
            i += 1;
            spaces = true;
        }
        let Some(&byte) = input.get(i) else { break };
        if (byte == b'\r' && input.get(i + 1) == Some(&b'\n')) || byte == b'\n' {
            i += 1;
            continue;
        }
        if spaces {
            return false;
        }
        if byte == b'=' {
            equals += 1;
            if equals > 2 {
                return false;
            }
        } else if equals != 0 || symbol_value(byte).is_none() {
            return false;
        }
        i += 1;
    }
    true
}

/// See the [module documentation](self).
pub fn base64_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let input = match input.iter().position(|&b| b == 0) {
        Some(nul) => &input[..nul],
        None => input,
    };
    if input.is_empty() || !valid(input) {
        return Cow::Owned(Vec::new());
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut accumulator: u32 = 0;
    let mut digits = 0;
    let mut equals = 0;
    for &byte in input {
        if matches!(byte, b'\r' | b'\n' | b' ') {
            continue;
        }
        accumulator <<= 6;
        match symbol_value(byte) {
            Some(value) => accumulator |= u32::from(value),
            None => equals += 1, // only `=` is left after validation
        }
        digits += 1;
        if digits == 4 {
            digits = 0;
            let [_, b2, b1, b0] = accumulator.to_be_bytes();
            out.push(b2);
            if equals <= 1 {
                out.push(b1);
            }
            if equals == 0 {
                out.push(b0);
            }
        }
    }
    Cow::Owned(out)
}
