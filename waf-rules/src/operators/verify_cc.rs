//! `@verifyCC`: finds credit card numbers. The argument is a regex for candidates (usually
//! `\d{13,16}` or a list of issuer prefixes); a candidate whose digits pass the Luhn check is a
//! match (the search is [`Candidates`]'s). The tails of a long digit run are candidates too
//! (`4111111111111112` fails whole, but its tail `1111111111112` passes). Non-digits inside a
//! candidate (`4111-1111-...`) are skipped by the check; a candidate without digits never
//! passes. v3: src/operators/verify_cc.cc.
//!
//! ```text
//! SecRule RESPONSE_BODY "@verifyCC \d{13,16}" "id:1,phase:4,deny,capture,logdata:'%{TX.0}'"
//! ```

use super::candidates::Candidates;
use super::{LoadContext, Operator, OperatorError};

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

/// Builds `@verifyCC` from its argument (a regex).
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Candidates::compile(argument, luhn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::candidates::CANDIDATE_BUDGET;
    use crate::operators::OpContext;

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
