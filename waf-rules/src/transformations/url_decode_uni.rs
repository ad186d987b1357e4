//! `t:urlDecodeUni`: like `urlDecode`, and also decodes IIS-style `%uXXXX` escapes.
//!
//! Without a `SecUnicodeMapFile` (rampart has none) v3 keeps only the low byte of a `%uXXXX`
//! code point, adding 0x20 for full-width ASCII (`%uFF01`..`%uFF5E` become `!`..`~`). A `%u`
//! without four hex digits is copied as is (both characters), as is a `%` without two hex
//! digits; `+` becomes a space. v3: src/actions/transformations/url_decode_uni.cc.
//!
//! ```text
//! SecRule ARGS "@rx select" "id:1,phase:2,t:none,t:urlDecodeUni,t:lowercase,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::{hex_pair, is_hex};

/// See the [module documentation](self).
pub fn url_decode_uni(input: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr2(b'%', b'+', input).is_none() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        if byte == b'+' {
            out.push(b' ');
            i += 1;
            continue;
        }
        if byte != b'%' {
            out.push(byte);
            i += 1;
            continue;
        }
        let next = input.get(i + 1).copied();
        if matches!(next, Some(b'u' | b'U')) {
            match input.get(i + 2..i + 6) {
                Some(&[a, b, c, d]) if is_hex(a) && is_hex(b) && is_hex(c) && is_hex(d) => {
                    let mut decoded = hex_pair(c, d);
                    let full_width = matches!(a, b'f' | b'F') && matches!(b, b'f' | b'F');
                    if decoded > 0x00 && decoded < 0x5f && full_width {
                        decoded += 0x20;
                    }
                    out.push(decoded);
                    i += 6;
                }
                _ => {
                    // Invalid or too short: copy `%u` and go on after it.
                    out.extend_from_slice(&input[i..i + 2]);
                    i += 2;
                }
            }
            continue;
        }
        match (next, input.get(i + 2)) {
            (Some(high), Some(&low)) if is_hex(high) && is_hex(low) => {
                out.push(hex_pair(high, low));
                i += 3;
            }
            _ => {
                out.push(b'%');
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}
