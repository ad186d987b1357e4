//! `t:sha1`: replaces the value by its raw 20-byte SHA-1 digest (not hex; chain `t:hexEncode` for
//! that). v3: src/actions/transformations/sha1.cc.
//!
//! ```text
//! SecRule ARGS:token "@streq 5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8" \
//!     "id:1,phase:2,t:none,t:sha1,t:hexEncode,deny"
//! ```

use std::borrow::Cow;

use sha1::{Digest, Sha1};

/// See the [module documentation](self).
pub fn sha1(input: &[u8]) -> Cow<'_, [u8]> {
    Cow::Owned(Sha1::digest(input).to_vec())
}
