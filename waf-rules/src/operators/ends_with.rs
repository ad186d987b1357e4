//! `@endsWith`: the input ends with the argument (case-sensitive; an empty argument always
//! matches). The argument may hold macros. v3: src/operators/ends_with.cc.
//!
//! ```text
//! SecRule REQUEST_HEADERS:Referer "!@endsWith %{request_headers.host}" "id:1,phase:1,pass"
//! ```

use super::argument::Argument;
use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone)]
pub struct EndsWith {
    suffix: Argument,
}

impl Operator for EndsWith {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        input.ends_with(&self.suffix.expand(cx.resolver))
    }
}

/// Builds `@endsWith` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(EndsWith { suffix: Argument::parse(argument) }))
}
