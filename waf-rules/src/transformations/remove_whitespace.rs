//! `t:removeWhitespace`: removes C-locale whitespace (space, `\t \n \v \f \r`) and every byte
//! 0xA0 and 0xC2 (v3's way of dropping a UTF-8 or Latin-1 non-breaking space: it removes those
//! bytes wherever they appear). v3: src/actions/transformations/remove_whitespace.cc.
//!
//! ```text
//! SecRule ARGS "@rx unionselect" "id:1,phase:2,t:none,t:removeWhitespace,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::is_space;

fn removed(byte: u8) -> bool {
    is_space(byte) || byte == 0xa0 || byte == 0xc2
}

/// See the [module documentation](self).
pub fn remove_whitespace(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = input.iter().position(|&b| removed(b)) else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len() - 1);
    out.extend_from_slice(&input[..first]);
    out.extend(input[first..].iter().copied().filter(|&b| !removed(b)));
    Cow::Owned(out)
}
