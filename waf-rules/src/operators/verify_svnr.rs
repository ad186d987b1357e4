//! `@verifySVNR`: finds Austrian social insurance numbers (SVNR, `dddd ddmmyy`). The argument is
//! a regex for candidates; a candidate is an SVNR when its first ten digits (other bytes
//! skipped, reading stops at a NUL byte) carry their check digit in fourth place: the other
//! nine weighted 3, 7, 9, 5, 8, 4, 2, 1, 6, summed mod 11 (10 counts as 0). Placeholder
//! numbers (`0000000000` ... `9999999999`, `0123456789`, `1234567890`) never pass; v3 compares
//! against only the first ten of its twelve, so it takes `8888888888` and `9999999999`, whose
//! check digit happens to fit. The search is [`Candidates`]'s. v3:
//! src/operators/verify_svnr.cc.
//!
//! ```text
//! SecRule ARGS "@verifySVNR \d{4} ?\d{6}" "id:1,phase:2,deny,capture"
//! ```

use super::candidates::{leading_digits, Candidates};
use super::{LoadContext, Operator, OperatorError};

/// Whether `candidate` holds a valid SVNR (see the module documentation).
pub fn svnr(candidate: &[u8]) -> bool {
    let Some(d) = leading_digits::<10>(candidate) else { return false };
    let placeholder =
        d.iter().all(|&x| x == d[0]) || d == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] || d == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
    if placeholder {
        return false;
    }
    const WEIGHTS: [u32; 10] = [3, 7, 9, 0, 5, 8, 4, 2, 1, 6];
    let sum: u32 = d.iter().zip(WEIGHTS).map(|(&x, w)| u32::from(x) * w).sum();
    (sum % 11) % 10 == u32::from(d[3])
}

/// Builds `@verifySVNR` from its argument (a regex).
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Candidates::compile(argument, svnr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_and_placeholders() {
        for good in ["1237 010180", "1237010180", "SV 1237-01.01.80"] {
            assert!(svnr(good.as_bytes()), "{good}");
        }
        for bad in
            ["1238 010180", "1237 01018", "0000000000", "8888888888", "9999999999", "0123456789", "", "1237\0 010180"]
        {
            assert!(!svnr(bad.as_bytes()), "{bad}");
        }
    }
}
