//! `t:escapeSeqDecode`: decodes ANSI C escapes: `\a \b \f \n \r \t \v \\ \? \' \"`, `\xHH`
//! (exactly two hex digits) and `\O` to `\OOO` octal (the low byte: `\777` is 0xFF). Any other
//! `\C`, an invalid `\x` included, is `C`; a `\` at the very end stays.
//! v3: src/actions/transformations/escape_seq_decode.cc.
//!
//! ```text
//! SecRule ARGS "@rx /bin/sh" "id:1,phase:2,t:none,t:escapeSeqDecode,deny"
//! ```

use std::borrow::Cow;

use super::cbytes::{hex_pair, is_hex, is_octal};

/// See the [module documentation](self).
pub fn escape_seq_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&b'\\') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        let rest = input.get(i + 1..).unwrap_or_default();
        let (b'\\', [next, ..]) = (byte, rest) else {
            out.push(byte);
            i += 1;
            continue;
        };
        let simple = match next {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            c @ (b'\\' | b'?' | b'\'' | b'"') => Some(*c),
            _ => None,
        };
        if let Some(decoded) = simple {
            out.push(decoded);
            i += 2;
        } else if let [b'x' | b'X', high, low, ..] = rest {
            if is_hex(*high) && is_hex(*low) {
                out.push(hex_pair(*high, *low));
                i += 4;
            } else {
                out.push(*next);
                i += 2;
            }
        } else if is_octal(*next) {
            let digits = rest.iter().take(3).take_while(|&&b| is_octal(b)).count();
            let value = rest[..digits].iter().fold(0u32, |acc, &d| acc * 8 + u32::from(d - b'0'));
            out.push(value as u8);
            i += 1 + digits;
        } else {
            out.push(*next);
            i += 2;
        }
    }
    Cow::Owned(out)
}
