//! `t:base64Encode`: standard Base64 with `=` padding; an empty value stays empty.
//! v3: src/utils/base64.cc (`mbedtls_base64_encode`).
//!
//! ```text
//! SecRule ARGS:token "@streq YWRtaW4=" "id:1,phase:2,t:none,t:base64Encode,deny"
//! ```

use std::borrow::Cow;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn symbol(bits: u32) -> u8 {
    ALPHABET[(bits & 0x3f) as usize]
}

/// See the [module documentation](self).
pub fn base64_encode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(symbol(n >> 18));
        out.push(symbol(n >> 12));
        out.push(if chunk.len() > 1 { symbol(n >> 6) } else { b'=' });
        out.push(if chunk.len() > 2 { symbol(n) } else { b'=' });
    }
    Cow::Owned(out)
}
