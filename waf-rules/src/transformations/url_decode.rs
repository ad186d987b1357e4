//! `t:urlDecode`: decodes `%XX` escapes and `+` as a space.
//!
//! A `%` not followed by two hex digits is kept as it is, and so is everything else.
//! v3: `urldecode_nonstrict_inplace` (src/utils/decode.cc).
//!
//! ```text
//! SecRule ARGS "@rx <script" "id:1,phase:2,t:none,t:urlDecode,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::{hex_pair, is_hex};

/// See the [module documentation](self).
pub fn url_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr2(b'%', b'+', input).is_none() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        match (byte, input.get(i + 1), input.get(i + 2)) {
            (b'%', Some(&high), Some(&low)) if is_hex(high) && is_hex(low) => {
                out.push(hex_pair(high, low));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}
