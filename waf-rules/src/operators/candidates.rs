//! The search the `@verify*` operators share: their argument is a regex for candidates, and a
//! check on a candidate's digits decides ([`luhn`](super::verify_cc::luhn) for `@verifyCC`, a
//! CPF's or an SVNR's check digits, an SSN's number ranges). The first candidate that passes
//! is a match, and with `capture` it becomes `TX:0`.
//!
//! Candidates are tried leftmost first, and one that fails the check is retried from its next
//! byte, as v3 restarts its search one byte further each time: the tails of a long digit run
//! are candidates too. The pattern is compiled as `@rx` compiles its own
//! (`DOTALL | MULTILINE`), as v3 does. Unlike v3, the candidates of one input are checked only
//! until their lengths add up to [`CANDIDATE_BUDGET`]: with an open-ended pattern (`\d+`), a
//! long run of digits would otherwise cost time quadratic in its length.

use super::pcre::{Limits, Regex};
use super::{OpContext, Operator, OperatorError};

/// Bytes of candidates checked per input at most (see the module documentation).
pub const CANDIDATE_BUDGET: usize = 1 << 20;

/// A regex for candidates and the check that confirms one.
#[derive(Debug)]
pub struct Candidates {
    regex: Regex,
    check: fn(&[u8]) -> bool,
}

impl Candidates {
    /// Compiles `argument` (a regex) for candidates that `check` confirms.
    pub fn compile(argument: &str, check: fn(&[u8]) -> bool) -> Result<Box<dyn Operator>, OperatorError> {
        let (regex, _) = Regex::new(argument, Limits::default())
            .map_err(|source| OperatorError::Regex { pattern: argument.to_owned(), source })?;
        Ok(Box::new(Candidates { regex, check }))
    }
}

impl Operator for Candidates {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let mut from = 0;
        let mut budget = CANDIDATE_BUDGET;
        while from < input.len() {
            let Some((start, end)) = self.regex.find_at(input, from) else { return false };
            budget = match budget.checked_sub(end - start + 1) {
                Some(left) => left,
                None => return false,
            };
            if (self.check)(&input[start..end]) {
                if let Some(captures) = cx.captures.as_deref_mut() {
                    captures.clear();
                    captures.set(0, &input[start..end]);
                }
                return true;
            }
            from = start + 1;
        }
        false
    }
}

/// The first `N` digits of `candidate` when it has at least `N` before any NUL byte (v3 reads
/// the CPF and SVNR candidates as C strings), ignoring every other byte.
pub(crate) fn leading_digits<const N: usize>(candidate: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let mut n = 0;
    for &b in candidate.iter().take_while(|&&b| b != 0) {
        if b.is_ascii_digit() {
            out[n] = b - b'0';
            n += 1;
            if n == N {
                return Some(out);
            }
        }
    }
    None
}
