//! `t:parityEven7bit`, `t:parityOdd7bit`, `t:parityZero7bit`: set the high bit of each byte so
//! that a 7-bit character gets even (odd) parity, or clear it. Like v3, the parity test counts
//! all eight bits of the input byte, so a byte with the high bit already set is flipped the
//! other way round.
//! v3: src/actions/transformations/parity_even_7bit.h, parity_zero_7bit.cc.
//!
//! ```text
//! SecRule ARGS "@rx select" "id:1,phase:2,t:none,t:parityZero7bit,deny"
//! ```

use std::borrow::Cow;

/// Sets bit 7 when the byte (all eight bits) has an odd (`even == true`) or even number of ones.
fn with_parity(input: &[u8], even: bool) -> Cow<'_, [u8]> {
    let encode = |byte: u8| {
        let odd_ones = byte.count_ones() % 2 == 1;
        if odd_ones == even {
            byte | 0x80
        } else {
            byte & 0x7f
        }
    };
    if input.iter().all(|&b| encode(b) == b) {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(input.iter().map(|&b| encode(b)).collect())
    }
}

/// `t:parityEven7bit`.
pub fn parity_even_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    with_parity(input, true)
}

/// `t:parityOdd7bit`.
pub fn parity_odd_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    with_parity(input, false)
}

/// `t:parityZero7bit`.
pub fn parity_zero_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().all(|&b| b < 0x80) {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(input.iter().map(|&b| b & 0x7f).collect())
    }
}
