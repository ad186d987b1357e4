//! `@beginsWith`: the input starts with the argument (case-sensitive; an empty argument always
//! matches). The argument may hold macros. v3: src/operators/begins_with.cc.
//!
//! ```text
//! SecRule REQUEST_LINE "!@beginsWith GET /" "id:1,phase:1,deny"
//! ```

use super::argument::Argument;
use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone)]
pub struct BeginsWith {
    prefix: Argument,
}

impl Operator for BeginsWith {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        input.starts_with(&self.prefix.expand(cx.resolver))
    }
}

/// Builds `@beginsWith` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(BeginsWith { prefix: Argument::parse(argument) }))
}
