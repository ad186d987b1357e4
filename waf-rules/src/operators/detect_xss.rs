//! `@detectXSS`: libinjection's cross-site scripting detection (the `libinjectionrs` port). With
//! `capture`, group 0 is the whole input, as v3 stores it in `TX.0`. The argument is ignored.
//! v3: src/operators/detect_xss.cc.
//!
//! ```text
//! SecRule ARGS "@detectXSS" "id:1,phase:2,t:none,t:utf8toUnicode,t:urlDecodeUni,t:htmlEntityDecode,deny"
//! ```

use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone, Copy)]
pub struct DetectXss;

impl Operator for DetectXss {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        if !libinjectionrs::detect_xss(input).is_injection() {
            return false;
        }
        if let Some(captures) = cx.captures.as_deref_mut() {
            captures.clear();
            captures.set(0, input);
        }
        true
    }
}

/// Builds `@detectXSS`.
pub fn compile(_argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(DetectXss))
}
