//! `@validateUrlEncoding`: matches when the input holds an invalid `%` escape: a `%` not
//! followed by two hex digits (including one too close to the end). An empty input does not
//! match. The argument is ignored. v3: src/operators/validate_url_encoding.cc.
//!
//! ```text
//! SecRule REQUEST_URI_RAW "@validateUrlEncoding" "id:1,phase:1,deny"
//! ```

use super::{ByteSet, LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone, Copy)]
pub struct ValidateUrlEncoding;

/// True when every `%` starts a valid `%XX`.
pub fn valid(input: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        if byte != b'%' {
            i += 1;
            continue;
        }
        match input.get(i + 1..i + 3) {
            Some(&[high, low]) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => i += 3,
            _ => return false,
        }
    }
    true
}

impl Operator for ValidateUrlEncoding {
    fn evaluate(&self, _cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        !input.is_empty() && !valid(input)
    }

    /// Only a `%` can start a bad escape.
    fn required_bytes(&self) -> &[ByteSet] {
        const PERCENT: [ByteSet; 1] = [ByteSet::of(b"%")];
        &PERCENT
    }
}

/// Builds `@validateUrlEncoding`.
pub fn compile(_argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(ValidateUrlEncoding))
}
