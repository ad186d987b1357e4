//! Numeric comparisons `@eq`, `@ge`, `@gt`, `@le`, `@lt`: the input compared with the argument,
//! both read as integers the way v3 reads them. The argument may hold macros.
//!
//! - `@eq` uses C++ `std::stoi`: leading whitespace, an optional sign, decimal digits, anything
//!   after ignored; no digits, or a value outside a 32-bit `int`, reads as 0.
//! - `@ge @gt @le @lt` use C `atoll`: the same syntax, no digits reads as 0, and a value outside
//!   64 bits saturates.
//!
//! v3: src/operators/eq.cc, ge.cc, gt.cc, le.cc, lt.cc.
//!
//! ```text
//! SecRule TX:DETECTION_PARANOIA_LEVEL "@lt 2" "id:1,phase:1,pass,skipAfter:END"
//! SecRule TX:BLOCKING_INBOUND_ANOMALY_SCORE "@ge %{tx.inbound_anomaly_score_threshold}" "id:2,phase:2,deny"
//! SecRule &REQUEST_HEADERS:Host "@eq 0" "id:3,phase:1,deny"
//! ```

use std::cmp::Ordering;

use super::argument::Argument;
use super::{LoadContext, OpContext, Operator, OperatorError};
use crate::transformations::cbytes::is_space;

/// Reads `[space]* [+-]? digits` like `strtoll`: `None` without digits, saturated on overflow.
fn parse_c_integer(text: &[u8]) -> Option<(i128, bool)> {
    let start = text.iter().position(|&b| !is_space(b)).unwrap_or(text.len());
    let mut rest = &text[start..];
    let negative = match rest.first() {
        Some(b'-') => {
            rest = &rest[1..];
            true
        }
        Some(b'+') => {
            rest = &rest[1..];
            false
        }
        _ => false,
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut value: i128 = 0;
    let mut overflow = false;
    for &d in &rest[..digits] {
        value = value * 10 + i128::from(d - b'0');
        if value > i128::from(u64::MAX) {
            overflow = true;
            value = i128::from(u64::MAX);
        }
    }
    Some((if negative { -value } else { value }, overflow))
}

/// C `atoll` (glibc: `strtoll`, saturating).
pub fn atoll(text: &[u8]) -> i64 {
    match parse_c_integer(text) {
        None => 0,
        Some((value, _)) => value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
    }
}

/// C++ `std::stoi` as v3 calls it: 0 when it would throw.
pub fn stoi(text: &[u8]) -> i64 {
    match parse_c_integer(text) {
        Some((value, false)) if i128::from(i32::MIN) <= value && value <= i128::from(i32::MAX) => value as i64,
        _ => 0,
    }
}

/// Which comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `@eq` (with `stoi`).
    Eq,
    /// `@ge`.
    Ge,
    /// `@gt`.
    Gt,
    /// `@le`.
    Le,
    /// `@lt`.
    Lt,
}

impl Kind {
    fn parse(self, text: &[u8]) -> i64 {
        if self == Kind::Eq {
            stoi(text)
        } else {
            atoll(text)
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Kind::Eq => ordering == Ordering::Equal,
            Kind::Ge => ordering != Ordering::Less,
            Kind::Gt => ordering == Ordering::Greater,
            Kind::Le => ordering != Ordering::Greater,
            Kind::Lt => ordering == Ordering::Less,
        }
    }
}

/// The operator: `input <kind> argument`.
#[derive(Debug, Clone)]
pub struct Compare {
    kind: Kind,
    /// The argument's value when it holds no macro.
    constant: Option<i64>,
    argument: Argument,
}

impl Compare {
    /// Builds the comparison `kind` against `argument`.
    pub fn new(kind: Kind, argument: &str) -> Self {
        let argument = Argument::parse(argument);
        Self { kind, constant: argument.constant().map(|c| kind.parse(c)), argument }
    }
}

impl Operator for Compare {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let expected = match self.constant {
            Some(value) => value,
            None => self.kind.parse(&self.argument.expand(cx.resolver)),
        };
        self.kind.holds(self.kind.parse(input).cmp(&expected))
    }
}

/// `@eq`.
pub fn compile_eq(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Compare::new(Kind::Eq, argument)))
}

/// `@ge`.
pub fn compile_ge(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Compare::new(Kind::Ge, argument)))
}

/// `@gt`.
pub fn compile_gt(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Compare::new(Kind::Gt, argument)))
}

/// `@le`.
pub fn compile_le(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Compare::new(Kind::Le, argument)))
}

/// `@lt`.
pub fn compile_lt(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Compare::new(Kind::Lt, argument)))
}
