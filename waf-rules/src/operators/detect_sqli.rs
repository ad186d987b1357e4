//! `@detectSQLi`: libinjection's SQL injection detection (the `libinjectionrs` port). With
//! `capture`, group 0 is libinjection's fingerprint (`s&1c`, ...), as v3 stores it in `TX.0`.
//! The argument is ignored. v3: src/operators/detect_sqli.cc.
//!
//! Most values a clean request carries are words, numbers and spaces (`1234`, `John Smith`),
//! which [`plain`] proves harmless without running libinjection; every other value goes to
//! libinjection's `detect` (once: `libinjectionrs::detect_sqli` would fold the tokens a second
//! time to report the fingerprint).
//!
//! ```text
//! SecRule ARGS "@detectSQLi" "id:1,phase:2,t:none,t:utf8toUnicode,t:urlDecodeUni,t:removeNulls,capture,deny"
//! ```

pub mod plain;

#[cfg(test)]
mod tests;

use libinjectionrs::{Fingerprint, SqliFlags, SqliState};

use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug)]
pub struct DetectSqli {
    plain: plain::PlainText,
}

impl DetectSqli {
    /// The operator, with its fast path's tables built from libinjection's keyword table.
    pub fn new() -> Self {
        Self { plain: plain::PlainText::new() }
    }
}

impl Default for DetectSqli {
    fn default() -> Self {
        Self::new()
    }
}

/// libinjection's verdict on `input` and, for an injection, its fingerprint: what
/// `libinjectionrs::detect_sqli` answers, without its second fingerprinting pass.
pub fn detect(input: &[u8]) -> Option<Fingerprint> {
    let mut state = SqliState::new(input, SqliFlags::FLAG_NONE);
    // `detect` returns as soon as one context's fingerprint is an injection, so the state then
    // holds that fingerprint (the one `detect_sqli` recomputes with the same flags).
    state.detect().then(|| Fingerprint::new(state.fingerprint))
}

impl Operator for DetectSqli {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        if self.plain.cannot_be_sqli(input) {
            return false;
        }
        let Some(fingerprint) = detect(input) else {
            return false;
        };
        if let Some(captures) = cx.captures.as_deref_mut() {
            captures.clear();
            captures.set(0, fingerprint.as_str().as_bytes());
        }
        true
    }
}

/// Builds `@detectSQLi`.
pub fn compile(_argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(DetectSqli::new()))
}
