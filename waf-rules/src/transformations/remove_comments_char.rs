//! `t:removeCommentsChar`: removes the comment markers `/*`, `*/`, `<!--`, `-->`, `--` and `#`
//! (the markers only, not the text between them).
//! v3: src/actions/transformations/remove_comments_char.cc.
//!
//! ```text
//! SecRule ARGS "@rx union select" "id:1,phase:2,t:none,t:removeCommentsChar,deny"
//! ```

use std::borrow::Cow;

/// The markers in the order v3 tries them (`-->` before `--`).
const MARKERS: &[&[u8]] = &[b"/*", b"*/", b"<!--", b"-->", b"--", b"#"];

/// See the [module documentation](self).
pub fn remove_comments_char(input: &[u8]) -> Cow<'_, [u8]> {
    let marker_start = |w: &[u8]| matches!(w, b"/*" | b"*/" | b"<!" | b"--");
    if !input.contains(&b'#') && !input.windows(2).any(marker_start) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        let rest = &input[i..];
        match MARKERS.iter().find(|m| rest.starts_with(m)) {
            Some(marker) => i += marker.len(),
            None => {
                out.push(byte);
                i += 1;
            }
        }
    }
    if out.len() == input.len() {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(out)
    }
}
