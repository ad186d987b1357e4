//! `t:length`: replaces the value by its length in bytes, in decimal.
//! v3: src/actions/transformations/length.cc.
//!
//! ```text
//! SecRule ARGS "@gt 400" "id:1,phase:2,t:none,t:length,deny"
//! ```

use std::borrow::Cow;

/// See the [module documentation](self).
pub fn length(input: &[u8]) -> Cow<'_, [u8]> {
    Cow::Owned(input.len().to_string().into_bytes())
}
