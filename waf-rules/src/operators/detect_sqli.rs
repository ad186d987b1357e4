//! `@detectSQLi`: libinjection's SQL injection detection (the `libinjectionrs` port). With
//! `capture`, group 0 is libinjection's fingerprint (`s&1c`, ...), as v3 stores it in `TX.0`.
//! The argument is ignored. v3: src/operators/detect_sqli.cc.
//!
//! ```text
//! SecRule ARGS "@detectSQLi" "id:1,phase:2,t:none,t:utf8toUnicode,t:urlDecodeUni,t:removeNulls,capture,deny"
//! ```

use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone, Copy)]
pub struct DetectSqli;

impl Operator for DetectSqli {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let result = libinjectionrs::detect_sqli(input);
        if !result.is_injection() {
            return false;
        }
        if let (Some(captures), Some(fingerprint)) = (cx.captures.as_deref_mut(), result.fingerprint.as_ref()) {
            captures.clear();
            captures.set(0, fingerprint.as_str().as_bytes());
        }
        true
    }
}

/// Builds `@detectSQLi`.
pub fn compile(_argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(DetectSqli))
}
