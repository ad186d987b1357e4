//! `t:trim`, `t:trimLeft`, `t:trimRight`: remove C-locale whitespace (space, `\t \n \v \f \r`)
//! from both ends, the start, or the end. v3: src/actions/transformations/trim.cc.
//!
//! ```text
//! SecRule ARGS:id "@rx ^[0-9]+$" "id:1,phase:2,t:none,t:trim,pass"
//! ```

use std::borrow::Cow;

use super::cbytes::is_space;

/// `t:trimLeft`.
pub fn trim_left(input: &[u8]) -> Cow<'_, [u8]> {
    let start = input.iter().position(|&b| !is_space(b)).unwrap_or(input.len());
    Cow::Borrowed(&input[start..])
}

/// `t:trimRight`.
pub fn trim_right(input: &[u8]) -> Cow<'_, [u8]> {
    let end = input.iter().rposition(|&b| !is_space(b)).map_or(0, |i| i + 1);
    Cow::Borrowed(&input[..end])
}

/// `t:trim`.
pub fn trim(input: &[u8]) -> Cow<'_, [u8]> {
    match trim_right(input) {
        Cow::Borrowed(right) => trim_left(right),
        Cow::Owned(right) => Cow::Owned(trim_left(&right).into_owned()),
    }
}
