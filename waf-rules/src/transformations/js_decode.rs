//! `t:jsDecode`: decodes JavaScript escapes.
//!
//! - `\uHHHH`: the low byte only, plus 0x20 for full-width ASCII (`\uFF01`..`\uFF5E`);
//! - `\xHH`: the byte;
//! - `\OOO`: up to three octal digits, only two when the first is above `3` (one byte at most);
//! - `\a \b \f \n \r \t \v`: the control character; any other `\C` is `C` (`\u`, `\x` without
//!   valid digits included);
//! - a `\` at the very end stays.
//!
//! v3: src/actions/transformations/js_decode.cc.
//!
//! ```text
//! SecRule ARGS "@rx alert\(" "id:1,phase:2,t:none,t:jsDecode,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::{hex_pair, is_hex, is_octal};

/// See the [module documentation](self).
pub fn js_decode(input: &[u8]) -> Cow<'_, [u8]> {
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
        match rest {
            [b'u', a, b, c, d, ..] if is_hex(*a) && is_hex(*b) && is_hex(*c) && is_hex(*d) => {
                let mut decoded = hex_pair(*c, *d);
                let full_width = matches!(a, b'f' | b'F') && matches!(b, b'f' | b'F');
                if decoded > 0x00 && decoded < 0x5f && full_width {
                    decoded += 0x20;
                }
                out.push(decoded);
                i += 6;
            }
            [b'x', high, low, ..] if is_hex(*high) && is_hex(*low) => {
                out.push(hex_pair(*high, *low));
                i += 4;
            }
            [first, ..] if is_octal(*first) => {
                let mut digits = rest.iter().take(3).take_while(|&&b| is_octal(b)).count();
                if digits == 3 && *first > b'3' {
                    digits = 2;
                }
                let value = rest[..digits].iter().fold(0u32, |acc, &d| acc * 8 + u32::from(d - b'0'));
                out.push(value as u8);
                i += 1 + digits;
            }
            [escaped, ..] => {
                out.push(match escaped {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'v' => 0x0b,
                    other => *other,
                });
                i += 2;
            }
            [] => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}
