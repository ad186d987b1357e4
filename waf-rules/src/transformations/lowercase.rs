//! `t:lowercase`: ASCII `A`-`Z` to lower case (C `tolower` in the C locale); other bytes unchanged.
//! v3: src/actions/transformations/lower_case.cc.
//!
//! ```text
//! SecRule REQUEST_METHOD "@streq get" "id:1,phase:1,t:none,t:lowercase,pass"
//! ```

use std::borrow::Cow;

/// See the [module documentation](self).
pub fn lowercase(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().any(u8::is_ascii_uppercase) {
        Cow::Owned(input.to_ascii_lowercase())
    } else {
        Cow::Borrowed(input)
    }
}
