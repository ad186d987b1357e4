//! `t:replaceComments`: replaces each C comment `/* ... */` by one space; an unterminated
//! comment runs to the end and still becomes a space. A lone `*/` is kept.
//! v3: src/actions/transformations/replace_comments.cc.
//!
//! ```text
//! SecRule ARGS "@rx union select" "id:1,phase:2,t:none,t:replaceComments,deny"
//! ```

use std::borrow::Cow;

/// See the [module documentation](self).
pub fn replace_comments(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.windows(2).any(|w| w == b"/*") {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_comment = false;
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        let next = input.get(i + 1).copied();
        if !in_comment {
            if byte == b'/' && next == Some(b'*') {
                in_comment = true;
                i += 2;
            } else {
                out.push(byte);
                i += 1;
            }
        } else if byte == b'*' && next == Some(b'/') {
            in_comment = false;
            out.push(b' ');
            i += 2;
        } else {
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    Cow::Owned(out)
}
