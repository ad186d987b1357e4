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
    part(input, start, input.len())
}

/// `t:trimRight`.
pub fn trim_right(input: &[u8]) -> Cow<'_, [u8]> {
    let end = input.iter().rposition(|&b| !is_space(b)).map_or(0, |i| i + 1);
    part(input, 0, end)
}

/// `input[start..end]`, borrowed only when that is all of it: the engine and its cache take a
/// borrowed result for an unchanged value.
fn part(input: &[u8], start: usize, end: usize) -> Cow<'_, [u8]> {
    if start == 0 && end == input.len() {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(input[start..end].to_vec())
    }
}

/// `t:trim`.
pub fn trim(input: &[u8]) -> Cow<'_, [u8]> {
    match trim_right(input) {
        Cow::Borrowed(right) => trim_left(right),
        Cow::Owned(right) => Cow::Owned(trim_left(&right).into_owned()),
    }
}
