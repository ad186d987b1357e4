//! `@verifySSN`: finds US social security numbers (`ddd-dd-dddd`). The argument is a regex for
//! candidates; a candidate is an SSN when it holds exactly nine digits (other bytes skipped)
//! that are neither all one digit nor an ascending run (`123456789`), whose area (first three),
//! group (next two) and serial (last four) are not zero, and whose area is neither 666 nor
//! 740 or above (the ranges v3 checks, from before 2011's randomized assignment). The search is
//! [`Candidates`]'s. v3: src/operators/verify_ssn.cc.
//!
//! ```text
//! SecRule RESPONSE_BODY "@verifySSN \d{3}-?\d{2}-?\d{4}" "id:1,phase:4,deny,capture"
//! ```

use super::candidates::Candidates;
use super::{LoadContext, Operator, OperatorError};

/// Whether `candidate` holds a plausible SSN (see the module documentation).
pub fn ssn(candidate: &[u8]) -> bool {
    let mut d = [0u32; 9];
    let mut n = 0;
    for &b in candidate {
        if b.is_ascii_digit() {
            if n == d.len() {
                return false;
            }
            d[n] = u32::from(b - b'0');
            n += 1;
        }
    }
    if n != d.len() {
        return false;
    }
    let pairs = || d.windows(2);
    if pairs().all(|w| w[1] == w[0] + 1) || pairs().all(|w| w[1] == w[0]) {
        return false;
    }
    let number = |digits: &[u32]| digits.iter().fold(0, |acc, &x| acc * 10 + x);
    let (area, group, serial) = (number(&d[..3]), number(&d[3..5]), number(&d[5..]));
    area != 0 && group != 0 && serial != 0 && area < 740 && area != 666
}

/// Builds `@verifySSN` from its argument (a regex).
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Candidates::compile(argument, ssn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_runs_and_lengths() {
        for good in ["078-05-1120", "078051120", "219 09 9999", "665-01-0001", "739-99-9999"] {
            assert!(ssn(good.as_bytes()), "{good}");
        }
        for bad in [
            "000-12-3456",
            "123-00-4567",
            "123-45-0000",
            "666-12-3456",
            "740-12-3456",
            "900-12-3456",
            "123-45-6789",
            "111-11-1111",
            "078-05-112",
            "078-05-11200",
            "",
        ] {
            assert!(!ssn(bad.as_bytes()), "{bad}");
        }
    }
}
