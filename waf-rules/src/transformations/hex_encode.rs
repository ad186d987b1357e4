//! `t:hexEncode`: each byte as two lower-case hex digits.
//! v3: src/actions/transformations/hex_encode.cc.
//!
//! ```text
//! SecRule REQUEST_BODY "@rx 3c736372697074" "id:1,phase:2,t:none,t:hexEncode,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::HEX_DIGITS;

/// See the [module documentation](self).
pub fn hex_encode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    for &byte in input {
        out.push(HEX_DIGITS[usize::from(byte >> 4)]);
        out.push(HEX_DIGITS[usize::from(byte & 0x0f)]);
    }
    Cow::Owned(out)
}
