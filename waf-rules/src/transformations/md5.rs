//! `t:md5`: replaces the value by its raw 16-byte MD5 digest (not hex; chain `t:hexEncode` for
//! that). v3: src/actions/transformations/md5.cc.
//!
//! ```text
//! SecRule ARGS:token "@streq 5f4dcc3b5aa765d61d8327deb882cf99" "id:1,phase:2,t:none,t:md5,t:hexEncode,deny"
//! ```

use std::borrow::Cow;

use md5::{Digest, Md5};

/// See the [module documentation](self).
pub fn md5(input: &[u8]) -> Cow<'_, [u8]> {
    Cow::Owned(Md5::digest(input).to_vec())
}
