//! `t:htmlEntityDecode`: decodes HTML character references, with or without the final `;`.
//!
//! - `&#DDD` and `&#xHHH` (any number of digits): the low byte of the value; a value too large
//!   for a C `long` saturates, so its low byte is 0xFF;
//! - `&quot` `&amp` `&lt` `&gt` `&nbsp` (case-insensitive; v3 compares only the prefix, so
//!   `&ltfoo;` is `<` too): `"` `&` `<` `>` and 0xA0; the whole run of letters and digits after
//!   `&` is consumed, then one `;` if present;
//! - anything else is copied unchanged.
//!
//! v3: src/actions/transformations/html_entity_decode.cc.
//!
//! ```text
//! SecRule ARGS "@rx <script" "id:1,phase:2,t:none,t:htmlEntityDecode,deny"
//! ```

use std::borrow::Cow;

/// The named references v3 knows, in the order it tries them.
const NAMED: &[(&[u8], u8)] = &[(b"quot", b'"'), (b"amp", b'&'), (b"lt", b'<'), (b"gt", b'>'), (b"nbsp", 0xa0)];

/// `strtol` of a digit run, cast to `unsigned char`: saturates at `LONG_MAX` like C.
fn strtol_low_byte(digits: &[u8], radix: u32) -> u8 {
    let mut value: u64 = 0;
    for &d in digits {
        let digit = char::from(d).to_digit(radix).unwrap_or(0);
        match value.checked_mul(u64::from(radix)).and_then(|v| v.checked_add(u64::from(digit))) {
            Some(v) if v <= i64::MAX as u64 => value = v,
            _ => return 0xff, // LONG_MAX = 0x7fff_ffff_ffff_ffff
        }
    }
    value as u8
}

/// Decodes the reference starting at `input[start] == b'&'`: `(byte, bytes consumed)`, or
/// `Err(n)`: copy `n` bytes unchanged.
fn decode_at(input: &[u8], start: usize) -> Result<(u8, usize), usize> {
    let rest = input.get(start + 1..).unwrap_or_default();
    let (byte, end) = match rest {
        [] => return Err(1),
        [b'#'] => return Err(2),
        [b'#', b'x' | b'X'] => return Err(3),
        [b'#', b'x' | b'X', digits @ ..] => {
            let n = digits.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            if n == 0 {
                return Err(3);
            }
            (strtol_low_byte(&digits[..n], 16), 3 + n)
        }
        [b'#', digits @ ..] => {
            let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return Err(2);
            }
            (strtol_low_byte(&digits[..n], 10), 2 + n)
        }
        name => {
            let n = name.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
            if n == 0 {
                return Err(1);
            }
            let found = NAMED
                .iter()
                .find(|(entity, _)| name.len() >= entity.len() && name[..entity.len()].eq_ignore_ascii_case(entity));
            match found {
                Some(&(_, byte)) => (byte, 1 + n),
                None => return Err(1 + n),
            }
        }
    };
    let consumed = if input.get(start + end) == Some(&b';') { end + 1 } else { end };
    Ok((byte, consumed))
}

/// See the [module documentation](self).
pub fn html_entity_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&b'&') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    let mut changed = false;
    while let Some(&byte) = input.get(i) {
        if byte != b'&' {
            out.push(byte);
            i += 1;
            continue;
        }
        match decode_at(input, i) {
            Ok((decoded, consumed)) => {
                out.push(decoded);
                i += consumed;
                changed = true;
            }
            Err(copy) => {
                let end = (i + copy).min(input.len());
                out.extend_from_slice(&input[i..end]);
                i = end;
            }
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(input)
    }
}
