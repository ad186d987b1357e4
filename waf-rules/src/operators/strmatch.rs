//! `@strmatch`: the argument occurs in the input (v3 implements it as a plain substring search,
//! like `@contains`; an empty argument always matches). v3: src/operators/str_match.cc.
//!
//! ```text
//! SecRule REQUEST_HEADERS:User-Agent "@strmatch WebZIP" "id:1,phase:1,deny"
//! ```

use super::argument::Argument;
use super::contains::find;
use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone)]
pub struct StrMatch {
    needle: Argument,
}

impl Operator for StrMatch {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        find(input, &self.needle.expand(cx.resolver)).is_some()
    }
}

/// Builds `@strmatch` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(StrMatch { needle: Argument::parse(argument) }))
}
