//! `t:hexDecode`: decodes pairs of hex digits; a final odd digit is dropped.
//!
//! Like v3 the digits are not validated: a non-hex byte decodes with C's wrapping `x2c`
//! arithmetic. One difference: for a one-byte value v3 overruns its buffer (its loop bound
//! `len - 2` underflows); rampart returns an empty value there.
//! v3: src/actions/transformations/hex_decode.cc.
//!
//! ```text
//! SecRule ARGS:payload "@rx <script" "id:1,phase:2,t:none,t:hexDecode,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::hex_pair;

/// See the [module documentation](self).
pub fn hex_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.chunks_exact(2).map(|pair| hex_pair(pair[0], pair[1])).collect())
}
