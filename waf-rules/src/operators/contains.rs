//! `@contains`: the argument occurs in the input (case-sensitive; an empty argument always
//! matches). The argument may hold macros. v3: src/operators/contains.cc.
//!
//! ```text
//! SecRule REQUEST_HEADERS:Content-Type "@contains multipart" "id:1,phase:1,pass"
//! ```

use super::argument::Argument;
use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone)]
pub struct Contains {
    needle: Argument,
}

/// Where `needle` first occurs in `haystack` (`std::string::find` semantics: "" is found at 0).
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

impl Operator for Contains {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        find(input, &self.needle.expand(cx.resolver)).is_some()
    }
}

/// Builds `@contains` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Contains { needle: Argument::parse(argument) }))
}
