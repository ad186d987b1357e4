//! `@verifyCPF`: finds Brazilian taxpayer numbers (CPF, `ddd.ddd.ddd-dd`). The argument is a
//! regex for candidates; a candidate is a CPF when its first 11 digits (other bytes skipped,
//! reading stops at a NUL byte) end in the two mod-11 check digits of the nine before them, and
//! are not one of the placeholder numbers (`00000000000`, `11111111111`, ..., `01234567890`).
//! The search is [`Candidates`]'s. v3: src/operators/verify_cpf.cc.
//!
//! ```text
//! SecRule ARGS "@verifyCPF ([0-9]{3}\.){2}[0-9]{3}-[0-9]{2}" "id:1,phase:2,deny,capture"
//! ```

use super::candidates::{leading_digits, Candidates};
use super::{LoadContext, Operator, OperatorError};

/// Whether `candidate` holds a valid CPF (see the module documentation).
pub fn cpf(candidate: &[u8]) -> bool {
    let Some(d) = leading_digits::<11>(candidate) else { return false };
    if d.iter().all(|&x| x == d[0]) || d == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0] {
        return false;
    }
    // Check digit over the digits before it, weighted from len + 1 down to 2.
    let check = |digits: &[u8]| {
        let weights = (2..=digits.len() as u32 + 1).rev();
        let sum: u32 = digits.iter().zip(weights).map(|(&x, w)| u32::from(x) * w).sum();
        match sum % 11 {
            0..=1 => 0,
            r => 11 - r,
        }
    };
    u32::from(d[9]) == check(&d[..9]) && u32::from(d[10]) == check(&d[..10])
}

/// Builds `@verifyCPF` from its argument (a regex).
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Candidates::compile(argument, cpf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_and_placeholders() {
        for good in ["111.444.777-35", "11144477735", "529.982.247-25", "x 529982247-25 y"] {
            assert!(cpf(good.as_bytes()), "{good}");
        }
        for bad in [
            "111.444.777-36",
            "111.444.777-3",
            "529.982.247-52",
            "000.000.000-00",
            "999.999.999-99",
            "012.345.678-90",
            "",
            "111.444\u{0}.777-35",
        ] {
            assert!(!cpf(bad.as_bytes()), "{bad}");
        }
        // Digits past the eleventh are not read.
        assert!(cpf(b"11144477735999"));
    }
}
