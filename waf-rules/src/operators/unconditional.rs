//! `@unconditionalMatch` (always matches) and `@noMatch` (never matches). Both ignore their
//! argument and the input. v3: src/operators/unconditional_match.cc, no_match.cc.
//!
//! ```text
//! SecRule REQUEST_URI "@unconditionalMatch" "id:1,phase:1,pass,setvar:tx.seen=1"
//! SecRule REQUEST_URI "@noMatch" "id:2,phase:1,deny"
//! ```

use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator: a constant answer.
#[derive(Debug, Clone, Copy)]
pub struct Constant(bool);

impl Operator for Constant {
    fn evaluate(&self, _cx: &mut OpContext<'_>, _input: &[u8]) -> bool {
        self.0
    }
}

/// `@unconditionalMatch`.
pub fn compile_unconditional(_argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Constant(true)))
}

/// `@noMatch`.
pub fn compile_no_match(_argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Constant(false)))
}
