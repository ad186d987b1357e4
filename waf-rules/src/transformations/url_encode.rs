//! `t:urlEncode`: percent-encodes every byte but ASCII letters, digits and `*`; a space becomes
//! `+`. Hex digits are lower case. v3: src/actions/transformations/url_encode.cc.
//!
//! ```text
//! SecRule ARGS "@streq a+b%3d" "id:1,phase:2,t:none,t:urlEncode,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::HEX_DIGITS;

fn kept(byte: u8) -> bool {
    byte == b'*' || byte.is_ascii_alphanumeric()
}

/// See the [module documentation](self).
pub fn url_encode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().all(|&b| kept(b)) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() * 3);
    for &byte in input {
        if byte == b' ' {
            out.push(b'+');
        } else if kept(byte) {
            out.push(byte);
        } else {
            out.extend_from_slice(&[b'%', HEX_DIGITS[usize::from(byte >> 4)], HEX_DIGITS[usize::from(byte & 0x0f)]]);
        }
    }
    Cow::Owned(out)
}
