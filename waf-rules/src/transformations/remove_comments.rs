//! `t:removeComments`: removes `/* ... */` and `<!-- ... -->` comments and cuts the value at the
//! first `--` or `#` outside a comment, with v3's quirks:
//!
//! - the byte right after a closing `*/` or `-->` is copied without being looked at (so a `#`
//!   or `/*` there survives); at the very end of the value that byte is v3's NUL terminator,
//!   which ends up in the output;
//! - an unterminated comment is replaced by one space.
//!
//! v3: src/actions/transformations/remove_comments.cc.
//!
//! ```text
//! SecRule ARGS "@rx union select" "id:1,phase:2,t:none,t:removeComments,deny"
//! ```

use std::borrow::Cow;

/// See the [module documentation](self).
pub fn remove_comments(input: &[u8]) -> Cow<'_, [u8]> {
    let starts_comment = |w: &[u8]| w == b"/*" || w == b"--" || w == b"<!";
    if !input.contains(&b'#') && !input.windows(2).any(starts_comment) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_comment = false;
    let mut changed = false;
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        let rest = &input[i..];
        if !in_comment {
            if rest.starts_with(b"/*") {
                in_comment = true;
                changed = true;
                i += 2;
            } else if rest.starts_with(b"<!--") {
                in_comment = true;
                changed = true;
                i += 4;
            } else if rest.starts_with(b"--") || byte == b'#' {
                changed = true;
                break;
            } else {
                out.push(byte);
                i += 1;
            }
        } else {
            let close = if rest.starts_with(b"*/") {
                2
            } else if rest.starts_with(b"-->") {
                3
            } else {
                0
            };
            if close == 0 {
                i += 1;
                continue;
            }
            in_comment = false;
            i += close;
            // v3 copies the next byte unconditionally; past the end it is the NUL terminator.
            out.push(input.get(i).copied().unwrap_or(0));
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(input)
    }
}
