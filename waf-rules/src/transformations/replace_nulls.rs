//! `t:replaceNulls`: replaces every NUL byte by a space.
//! v3: src/actions/transformations/replace_nulls.cc.
//!
//! ```text
//! SecRule ARGS "@rx a b" "id:1,phase:2,t:none,t:replaceNulls,deny"
//! ```

use std::borrow::Cow;

/// See the [module documentation](self).
pub fn replace_nulls(input: &[u8]) -> Cow<'_, [u8]> {
    if input.contains(&0) {
        Cow::Owned(input.iter().map(|&b| if b == 0 { b' ' } else { b }).collect())
    } else {
        Cow::Borrowed(input)
    }
}
