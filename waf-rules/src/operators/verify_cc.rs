//! `@verifyCC`: finds credit card numbers. The argument is a regex for candidates (usually
//! `\d{13,16}` or a list of issuer prefixes); a candidate whose digits pass the Luhn check is a
//! match, and with `capture` it becomes `TX:0`. Candidates are tried leftmost first, and one
//! that fails the check is retried from its next byte, as v3 restarts its search one byte
//! further each time: the tails of a long digit run are candidates too (`4111111111111112`
//! fails whole, but its tail `1111111111112` passes). Non-digits inside a candidate
//! (`4111-1111-...`) are skipped by the check; a candidate without digits never passes.
//!
//! The pattern is compiled as `@rx` compiles its own (`DOTALL | MULTILINE`), as v3 does. Unlike
//! v3, the candidates of one input are checked only until their lengths add up to
//! [`CANDIDATE_BUDGET`]: with an open-ended pattern (`\d+`), a long run of digits would
//! otherwise cost time quadratic in its length.
//! v3: src/operators/verify_cc.cc.
//!
//! ```text
//! SecRule RESPONSE_BODY "@verifyCC \d{13,16}" "id:1,phase:4,deny,capture,logdata:'%{TX.0}'"
//! ```

use super::pcre::{Limits, Regex};
use super::{LoadContext, OpContext, Operator, OperatorError};

/// Bytes of candidates checked per input at most (see the module documentation).
pub const CANDIDATE_BUDGET: usize = 1 << 20;

/// The operator.
#[derive(Debug)]
pub struct VerifyCc {
    candidates: Regex,
}

/// The Luhn (mod 10) check over the digits of `candidate`, the rightmost digit undoubled.
pub fn luhn(candidate: &[u8]) -> bool {
    let digits = candidate.iter().rev().filter(|b| b.is_ascii_digit()).map(|b| u32::from(b - b'0'));
    let mut sum = 0;
    let mut any = false;
    for (i, d) in digits.enumerate() {
        any = true;
        sum += if i % 2 == 1 { [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][d as usize] } else { d };
    }
    any && sum % 10 == 0
}

impl Operator for VerifyCc {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let mut from = 0;
        let mut budget = CANDIDATE_BUDGET;
        while from < input.len() {
            let Some((start, end)) = self.candidates.find_at(input, from) else { return false };
            budget = match budget.checked_sub(end - start + 1) {
                Some(left) => left,
                None => return false,
            };
            if luhn(&input[start..end]) {
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

/// Builds `@verifyCC` from its argument (a regex).
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    let (candidates, _) = Regex::new(argument, Limits::default())
        .map_err(|source| OperatorError::Regex { pattern: argument.to_owned(), source })?;
    Ok(Box::new(VerifyCc { candidates }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_on_known_numbers() {
        for good in ["4111111111111111", "5500005555555559", "378282246310005", "79927398713", "4111-1111-1111-1111"] {
            assert!(luhn(good.as_bytes()), "{good}");
        }
        for bad in ["4111111111111112", "79927398710", "", "----", "1"] {
            assert!(!luhn(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn candidates_are_checked_within_a_budget() {
        struct NoMacros;
        impl crate::macros::Resolve for NoMacros {
            fn resolve(&self, _: &str, _: Option<&str>) -> Option<std::borrow::Cow<'_, [u8]>> {
                None
            }
        }
        let op = compile(r"\d+", &LoadContext { base_dir: std::path::Path::new(".") }).unwrap();
        let mut cx = OpContext { resolver: &NoMacros, captures: None };
        // A failing run, then a card: found while the run is short...
        assert!(op.evaluate(&mut cx, b"0001 4111111111111111"));
        // ...not once the run alone is over the budget: each of its tails would be a candidate
        // for `\d+`, quadratic work that the budget refuses.
        let mut input = vec![b'0'; CANDIDATE_BUDGET];
        input.extend_from_slice(b"1 4111111111111111");
        assert!(!op.evaluate(&mut cx, &input));
    }
}
