//! `@validateByteRange`: matches when the input holds a byte outside the allowed set. The
//! argument is a comma-separated list of byte values and ranges (`9,10,13,32-126,128-255`),
//! each number read like C++ `std::stoi` (leading spaces, trailing text ignored); an empty
//! item, a value outside 0..=255 or a reversed range is an error at load, as in v3. Macros are
//! not expanded. v3: src/operators/validate_byte_range.cc.
//!
//! ```text
//! SecRule ARGS "@validateByteRange 1-255" "id:1,phase:2,deny"
//! ```

use super::{ByteSet, LoadContext, OpContext, Operator, OperatorError};
use crate::transformations::cbytes::is_space;

/// The operator: a 256-bit set of allowed bytes.
#[derive(Debug, Clone)]
pub struct ValidateByteRange {
    allowed: [bool; 256],
    /// The bytes not allowed: every input it matches holds one.
    required: [ByteSet; 1],
}

fn error(reason: String) -> OperatorError {
    OperatorError::Argument { operator: "validateByteRange", reason }
}

/// `std::stoi`, throwing (here: `None`) where it throws.
fn stoi(text: &str) -> Option<i64> {
    let trimmed = text.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let (sign, digits_start) = match trimmed.as_bytes().first() {
        Some(b'-') => (-1, 1),
        Some(b'+') => (1, 1),
        _ => (1, 0),
    };
    let digits: &str = &trimmed[digits_start..];
    let n = digits.bytes().take_while(u8::is_ascii_digit).count();
    let value: i64 = digits[..n].parse().ok()?;
    i32::try_from(sign * value).ok().map(i64::from)
}

fn byte_value(text: &str, what: &str) -> Result<usize, OperatorError> {
    let value = stoi(text).ok_or_else(|| error(format!("not able to convert '{text}' into a number")))?;
    usize::try_from(value).ok().filter(|&v| v <= 255).ok_or_else(|| error(format!("invalid {what}: {value}")))
}

impl ValidateByteRange {
    /// Parses the list of allowed bytes.
    pub fn new(argument: &str) -> Result<Self, OperatorError> {
        let mut allowed = [false; 256];
        for item in argument.split(',') {
            match item.split_once('-') {
                None => allowed[byte_value(item, "byte value")?] = true,
                Some((start, end)) => {
                    let start = byte_value(start, "range start value")?;
                    let end = byte_value(end, "range end value")?;
                    if start > end {
                        return Err(error(format!("invalid range: {start}-{end}")));
                    }
                    allowed[start..=end].iter_mut().for_each(|a| *a = true);
                }
            }
        }
        let mut outside = ByteSet::EMPTY;
        (0..=u8::MAX).filter(|&b| !allowed[usize::from(b)]).for_each(|b| outside.insert(b));
        Ok(Self { allowed, required: [outside] })
    }
}

impl Operator for ValidateByteRange {
    fn evaluate(&self, _cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        input.iter().any(|&b| !self.allowed[usize::from(b)])
    }

    /// A byte not allowed.
    fn required_bytes(&self) -> &[ByteSet] {
        &self.required
    }
}

/// Builds `@validateByteRange` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(ValidateByteRange::new(argument)?))
}
