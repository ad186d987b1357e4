//! `@streq`: the input equals the argument, byte for byte (case-sensitive). The argument may hold
//! macros. v3: src/operators/str_eq.cc.
//!
//! ```text
//! SecRule REQUEST_METHOD "@streq POST" "id:1,phase:1,pass,setvar:tx.post=1"
//! SecRule ARGS:_method "!@streq %{REQUEST_METHOD}" "id:2,phase:2,deny"
//! ```

use super::argument::Argument;
use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone)]
pub struct StrEq {
    expected: Argument,
}

impl Operator for StrEq {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        *self.expected.expand(cx.resolver) == *input
    }
}

/// Builds `@streq` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(StrEq { expected: Argument::parse(argument) }))
}
