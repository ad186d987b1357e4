//! `t:base64DecodeExt`: forgiving Base64 decoding (v3's `decode_forgiven`, src/utils/base64.cc):
//! bytes outside the alphabet are skipped, `=` is ignored, and the bits of an incomplete group
//! are dropped. v3 answers "" when a single `=` (not followed by another `=`) comes right after
//! the first symbol of a group, and, a quirk kept here, when the last byte is `=` or `9` (whose
//! value, 61, v3 mistakes for `=`) while the symbols end one past a group.
//!
//! ```text
//! SecRule ARGS "@rx <script" "id:1,phase:2,t:none,t:base64DecodeExt,deny"
//! ```

use std::borrow::Cow;

use super::base64_decode::symbol_value;

/// See the [module documentation](self).
pub fn base64_decode_ext(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(&last) = input.last() else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut pending: u8 = 0;
    let mut symbols = 0usize;
    for (i, &byte) in input.iter().enumerate() {
        if byte == b'=' {
            if input.get(i + 1) != Some(&b'=') && symbols % 4 == 1 {
                return Cow::Owned(Vec::new());
            }
            continue;
        }
        let Some(value) = symbol_value(byte) else { continue };
        match symbols % 4 {
            0 => pending = value << 2,
            1 => {
                out.push(pending | (value >> 4));
                pending = (value & 0x0f) << 4;
            }
            2 => {
                out.push(pending | (value >> 2));
                pending = (value & 0x03) << 6;
            }
            _ => out.push(pending | value),
        }
        symbols += 1;
    }
    // v3 tests the last value it read against '=' (61): a last `=` or `9` both count.
    if (last == b'=' || last == b'9') && symbols % 4 == 1 {
        return Cow::Owned(Vec::new());
    }
    Cow::Owned(out)
}
