//! `@containsWord`: the argument occurs in the input as a word, that is with no ASCII letter
//! right before or after it (v3 counts digits and `_` as boundaries). An empty argument always
//! matches; an empty input never does (unless the argument is empty). The argument may hold
//! macros. v3: src/operators/contains_word.cc.
//!
//! ```text
//! SecRule ARGS "@containsWord select" "id:1,phase:2,t:lowercase,deny"
//! ```

use super::argument::Argument;
use super::{LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone)]
pub struct ContainsWord {
    word: Argument,
}

fn boundary(byte: Option<&u8>) -> bool {
    byte.is_some_and(|b| !b.is_ascii_alphabetic())
}

/// v3's search: a match at the start needs a boundary after it, one at the end a boundary before
/// it, one inside boundaries on both sides (a match covering the whole input was accepted
/// earlier).
fn contains_word(input: &[u8], word: &[u8]) -> bool {
    if word.is_empty() {
        return true;
    }
    if input.is_empty() {
        return false;
    }
    if input == word {
        return true;
    }
    let n = word.len();
    (0..input.len().saturating_sub(n - 1)).filter(|&pos| &input[pos..pos + n] == word).any(|pos| {
        let before = pos.checked_sub(1).and_then(|p| input.get(p));
        let after = input.get(pos + n);
        (pos == 0 && boundary(after))
            || (pos + n == input.len() && boundary(before))
            || (boundary(before) && boundary(after))
    })
}

impl Operator for ContainsWord {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        contains_word(input, &self.word.expand(cx.resolver))
    }
}

/// Builds `@containsWord` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(ContainsWord { word: Argument::parse(argument) }))
}
