//! `t:utf8toUnicode`: rewrites each well-formed multi-byte UTF-8 sequence as `%uXXXX` (lower-case
//! hex, at least four digits), a port of v3's quirks included:
//!
//! - ASCII is copied, except a NUL that is not the last byte, which v3 drops;
//! - a lead byte whose continuation bytes are missing or malformed is dropped, and decoding goes
//!   on at the next byte;
//! - a stray continuation byte or a byte 0xF8..=0xFF is copied;
//! - a lead byte 0xF5..=0xF7 is copied before its sequence is looked at;
//! - after the `%u` form of an overlong sequence or a surrogate, the lead byte is copied again.
//!
//! v3: src/actions/transformations/utf8_to_unicode.cc.
//!
//! ```text
//! SecRule ARGS "@rx %u0430" "id:1,phase:2,t:none,t:utf8toUnicode,deny"
//! ```

use std::borrow::Cow;
use std::io::Write;

fn is_continuation(byte: Option<&u8>) -> bool {
    byte.is_some_and(|b| b & 0xc0 == 0x80)
}

/// Decodes the sequence a lead byte of `len` bytes starts: the code point, or `None` when a
/// continuation byte is missing or malformed (v3 reads the string's NUL terminator there).
fn decode(input: &[u8], start: usize, len: usize, lead_bits: u8) -> Option<u32> {
    let mut code = u32::from(input[start] & lead_bits);
    for k in 1..len {
        let next = input.get(start + k);
        if !is_continuation(next) {
            return None;
        }
        code = (code << 6) | u32::from(next.copied().unwrap_or(0) & 0x3f);
    }
    Some(code)
}

/// See the [module documentation](self).
pub fn utf8_to_unicode(input: &[u8]) -> Cow<'_, [u8]> {
    let last = input.len().saturating_sub(1);
    if input.iter().enumerate().all(|(i, &b)| b & 0x80 == 0 && (b != 0 || i == last)) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    let mut i = 0;
    while let Some(&c) = input.get(i) {
        let (len, lead_bits) = match c {
            _ if c & 0x80 == 0 => {
                if c != 0 || i == last {
                    out.push(c);
                }
                i += 1;
                continue;
            }
            _ if c & 0xe0 == 0xc0 => (2, 0x1f),
            _ if c & 0xf0 == 0xe0 => (3, 0x0f),
            _ if c & 0xf8 == 0xf0 => (4, 0x07),
            _ => {
                out.push(c);
                i += 1;
                continue;
            }
        };
        if c >= 0xf5 {
            out.push(c);
        }
        let Some(code) = decode(input, i, len, lead_bits) else {
            i += 1;
            continue;
        };
        let _ = write!(out, "%u{code:04x}");
        if (0xd800..=0xdfff).contains(&code) {
            out.push(c);
        }
        let min = match len {
            2 => 0x80,
            3 => 0x800,
            _ => 0x10000,
        };
        if code < min {
            out.push(c);
        }
        i += len;
    }
    Cow::Owned(out)
}
