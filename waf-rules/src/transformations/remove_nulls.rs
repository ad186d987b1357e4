//! `t:removeNulls`: removes every NUL byte. v3: src/actions/transformations/remove_nulls.cc.
//!
//! ```text
//! SecRule ARGS "@rx <script" "id:1,phase:2,t:none,t:removeNulls,deny"
//! ```

use std::borrow::Cow;

/// See the [module documentation](self).
pub fn remove_nulls(input: &[u8]) -> Cow<'_, [u8]> {
    if input.contains(&0) {
        Cow::Owned(input.iter().copied().filter(|&b| b != 0).collect())
    } else {
        Cow::Borrowed(input)
    }
}
