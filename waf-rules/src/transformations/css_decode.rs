//! `t:cssDecode`: decodes CSS 2 escapes.
//!
//! - `\` + 1 to 6 hex digits: one byte, from the last two digits (the only digit when there is
//!   one); with 4 digits, or 5 or 6 digits led by zeros, full-width ASCII (`FF01`..`FF5E`) gets
//!   0x20 added; one whitespace byte right after the digits is consumed;
//! - `\` + newline: both removed;
//! - `\` + any other byte: that byte;
//! - a `\` at the very end: removed.
//!
//! v3: src/actions/transformations/css_decode.cc.
//!
//! ```text
//! SecRule ARGS "@rx expression\(" "id:1,phase:2,t:none,t:cssDecode,t:lowercase,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::{hex_pair, hex_value, is_hex, is_space};

fn is_ff(byte: u8) -> bool {
    matches!(byte, b'f' | b'F')
}

/// Decodes the `n` (1..=6) hex digits of `digits[..n]`.
fn decode_hex(digits: &[u8], n: usize) -> u8 {
    if n == 1 {
        return hex_value(digits[0]);
    }
    let mut byte = hex_pair(digits[n - 2], digits[n - 1]);
    let full_check = match n {
        4 => true,
        5 => digits[0] == b'0',
        6 => digits[0] == b'0' && digits[1] == b'0',
        _ => false,
    };
    if full_check && byte > 0x00 && byte < 0x5f && is_ff(digits[n - 3]) && is_ff(digits[n - 4]) {
        byte += 0x20;
    }
    byte
}

/// See the [module documentation](self).
pub fn css_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&b'\\') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        if byte != b'\\' {
            out.push(byte);
            i += 1;
            continue;
        }
        let rest = input.get(i + 1..).unwrap_or_default();
        let n = rest.iter().take(6).take_while(|&&b| is_hex(b)).count();
        if n > 0 {
            out.push(decode_hex(rest, n));
            let skip_space = rest.get(n).is_some_and(|&b| is_space(b));
            i += 1 + n + usize::from(skip_space);
        } else if let Some(&next) = rest.first() {
            if next != b'\n' {
                out.push(next);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    Cow::Owned(out)
}
