//! `@within`: the input occurs in the argument. v3 looks for the input as a plain substring of
//! the argument (no word boundaries: `ET` is within `GET POST`), and an empty input always
//! matches. The argument may hold macros. v3: src/operators/within.cc.
//!
//! ```text
//! SecRule REQUEST_METHOD "!@within %{tx.allowed_methods}" "id:1,phase:1,deny"
//! ```

use super::argument::Argument;
use super::contains::find;
use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone)]
pub struct Within {
    haystack: Argument,
}

impl Operator for Within {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        input.is_empty() || find(&self.haystack.expand(cx.resolver), input).is_some()
    }
}

/// Builds `@within` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Within { haystack: Argument::parse(argument) }))
}
