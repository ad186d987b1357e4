//! `t:uppercase`: ASCII `a`-`z` to upper case (C `toupper` in the C locale); other bytes unchanged.
//! v3: src/actions/transformations/upper_case.cc.
//!
//! ```text
//! SecRule REQUEST_METHOD "@streq GET" "id:1,phase:1,t:none,t:uppercase,pass"
//! ```

use std::borrow::Cow;

/// See the [module documentation](self).
pub fn uppercase(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().any(u8::is_ascii_lowercase) {
        Cow::Owned(input.to_ascii_uppercase())
    } else {
        Cow::Borrowed(input)
    }
}
