//! `@validateUtf8Encoding`: matches when the input is not valid UTF-8 by v3's rules: a sequence
//! cut short, a bad continuation byte, an overlong form, a surrogate (U+D800..U+DFFF), a lead
//! byte 0xF5..=0xFF or a stray continuation byte. Like v3 it lets four-byte forms above U+10FFFF
//! through when their lead byte is 0xF4. The argument is ignored.
//! v3: src/operators/validate_utf8_encoding.cc.
//!
//! ```text
//! SecRule ARGS "@validateUtf8Encoding" "id:1,phase:2,deny"
//! ```

use super::{ByteSet, LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone, Copy)]
pub struct ValidateUtf8Encoding;

/// The length of the valid character at the start of `bytes`, or `None` when it is invalid.
fn character(bytes: &[u8]) -> Option<usize> {
    let lead = *bytes.first()?;
    let (len, bits, min) = match lead {
        0x00..=0x7f => return Some(1),
        _ if lead & 0xe0 == 0xc0 => (2, 0x1f, 0x80),
        _ if lead & 0xf0 == 0xe0 => (3, 0x0f, 0x800),
        0xf0..=0xf4 => (4, 0x07, 0x1_0000),
        _ => return None,
    };
    let sequence = bytes.get(..len)?;
    let mut code = u32::from(lead & bits);
    for &byte in &sequence[1..] {
        if byte & 0xc0 != 0x80 {
            return None;
        }
        code = (code << 6) | u32::from(byte & 0x3f);
    }
    if (0xd800..=0xdfff).contains(&code) || code < min {
        return None;
    }
    Some(len)
}

/// True when v3 finds `input` valid.
pub fn valid(input: &[u8]) -> bool {
    let mut rest = input;
    while !rest.is_empty() {
        match character(rest) {
            Some(len) => rest = &rest[len..],
            None => return false,
        }
    }
    true
}

impl Operator for ValidateUtf8Encoding {
    fn evaluate(&self, _cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        !valid(input)
    }

    /// ASCII is valid UTF-8: an invalid input holds a byte of 0x80 or more.
    fn required_bytes(&self) -> &[ByteSet] {
        const NON_ASCII: [ByteSet; 1] = [ByteSet::range(0x80, 0xff)];
        &NON_ASCII
    }
}

/// Builds `@validateUtf8Encoding`.
pub fn compile(_argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(ValidateUtf8Encoding))
}
