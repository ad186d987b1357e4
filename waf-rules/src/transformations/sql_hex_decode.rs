//! `t:sqlHexDecode`: decodes SQL hex literals `0xHHHH...` (at least one pair after `0x`, `0X`);
//! the decoding stops at the first incomplete or invalid pair. Other bytes are unchanged.
//! v3: src/actions/transformations/sql_hex_decode.cc.
//!
//! ```text
//! SecRule ARGS "@rx union select" "id:1,phase:2,t:none,t:sqlHexDecode,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::{hex_pair, is_hex};

fn pair_at(input: &[u8], i: usize) -> Option<u8> {
    match input.get(i..i + 2) {
        Some(&[high, low]) if is_hex(high) && is_hex(low) => Some(hex_pair(high, low)),
        _ => None,
    }
}

fn literal_at(input: &[u8], i: usize) -> bool {
    matches!(input.get(i..i + 2), Some([b'0', b'x' | b'X'])) && pair_at(input, i + 2).is_some()
}

/// See the [module documentation](self).
pub fn sql_hex_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if !(0..input.len()).any(|i| literal_at(input, i)) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        if literal_at(input, i) {
            i += 2;
            while let Some(decoded) = pair_at(input, i) {
                out.push(decoded);
                i += 2;
            }
        } else {
            out.push(byte);
            i += 1;
        }
    }
    Cow::Owned(out)
}
