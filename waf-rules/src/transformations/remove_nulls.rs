//! `t:removeNulls`: removes every NUL byte. v3: src/actions/transformations/remove_nulls.cc.
//!
//! ```text
//! SecRule ARGS "@rx <script" "id:1,phase:2,t:none,t:removeNulls,deny"
//! ```

use std::borrow::Cow;

/// See the [module documentation](self).
pub fn remove_nulls(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = memchr::memchr(0, input) else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len() - 1);
    out.extend_from_slice(&input[..first]);
    out.extend(input[first..].iter().copied().filter(|&b| b != 0));
    Cow::Owned(out)
}
