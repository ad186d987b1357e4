//! `t:compressWhitespace`: turns each run of C-locale whitespace (space, `\t \n \v \f \r`) into
//! one space. Unlike ModSecurity v2, v3 (3.0.12 and later) leaves 0xA0 alone.
//! v3: src/actions/transformations/compress_whitespace.cc.
//!
//! ```text
//! SecRule ARGS "@rx union select" "id:1,phase:2,t:none,t:compressWhitespace,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::is_space;

/// See the [module documentation](self).
pub fn compress_whitespace(input: &[u8]) -> Cow<'_, [u8]> {
    let unchanged = input.windows(2).all(|w| !(is_space(w[0]) && is_space(w[1])))
        && input.iter().all(|&b| b == b' ' || !is_space(b));
    if unchanged {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &byte in input {
        if is_space(byte) {
            if !in_space {
                out.push(b' ');
                in_space = true;
            }
        } else {
            out.push(byte);
            in_space = false;
        }
    }
    Cow::Owned(out)
}
