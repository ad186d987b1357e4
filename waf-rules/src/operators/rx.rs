//! `@rx`: a PCRE regular expression searched in the input (also the operator of a rule that names
//! none). v3 compiles it with `DOTALL | MULTILINE` on bytes; [`pcre`](super::pcre) translates it
//! to the `regex` crate with the same meaning.
//!
//! - An empty pattern always matches, without captures (v3).
//! - `^.*$` (the CRS's "every header name" rule, 920450) matches every subject whole under
//!   `DOTALL | MULTILINE`: it is answered without a search, group 0 the whole input.
//! - With `capture`, group 0 is the whole match and group *n* the *n*th parenthesized group,
//!   for every group of the pattern that took part in the match (v3 sets all of them, not only
//!   0 to 9).
//! - A pattern with macros (`@rx ^%{tx.prefix}`) is expanded and compiled per evaluation, as in
//!   v3, through a small cache; one that then fails to compile does not match (v3 logs and
//!   answers false).
//! - Unlike v3, which loads a rule whose pattern does not compile and never matches it, a
//!   constant pattern that cannot be compiled is an error at load.
//!
//! v3: src/operators/rx.cc, src/utils/regex.cc.
//!
//! ```text
//! SecRule ARGS "@rx (?i)<script[^>]*>" "id:1,phase:2,t:none,t:urlDecodeUni,deny"
//! SecRule REQUEST_HEADERS:Content-Type "@rx ^([^;]+)" "id:2,phase:1,capture,setvar:tx.ct=%{tx.1}"
//! ```

use std::sync::{Arc, Mutex};

use super::pcre::{Limits, Regex};
use super::{ByteSet, Captures, LoadContext, OpContext, Operator, OperatorError};
use crate::macros::MacroString;

/// How many expanded patterns a macro `@rx` keeps compiled.
const CACHE_SIZE: usize = 16;

/// The operator.
#[derive(Debug)]
pub struct Rx {
    pattern: Pattern,
}

/// Expanded patterns and their compilation (`None`: it does not compile), most recent last.
type Cache = Mutex<Vec<(Vec<u8>, Option<Arc<Regex>>)>>;

#[derive(Debug)]
enum Pattern {
    /// `@rx` with an empty argument: always true.
    Empty,
    /// `^.*$`: always true, the whole input matched.
    Whole,
    /// Compiled at load.
    Fixed(Regex),
    /// Expanded per evaluation.
    Macro { text: MacroString, cache: Cache },
}

impl Rx {
    /// Compiles `pattern` (SecLang text, macros allowed).
    pub fn new(pattern: &str) -> Result<Self, OperatorError> {
        let text = MacroString::parse(pattern);
        let pattern = match text.constant() {
            Some([]) => Pattern::Empty,
            Some(b"^.*$") => Pattern::Whole,
            Some(_) => match Regex::new(pattern, Limits::default()) {
                Ok((regex, _)) => Pattern::Fixed(regex),
                Err(source) => return Err(OperatorError::Regex { pattern: pattern.to_owned(), source }),
            },
            None => Pattern::Macro { text, cache: Mutex::new(Vec::with_capacity(CACHE_SIZE)) },
        };
        Ok(Self { pattern })
    }

    /// The regex for an expanded macro pattern, compiled once per distinct expansion.
    fn expanded(text: &MacroString, cache: &Cache, cx: &OpContext<'_>) -> Option<Arc<Regex>> {
        let expanded = text.expand(cx.resolver);
        let pattern: &[u8] = if expanded.is_empty() { b".*" } else { &expanded };
        let mut cache = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = cache.iter().position(|(p, _)| p == pattern) {
            let entry = cache.remove(i);
            let regex = entry.1.clone();
            cache.push(entry);
            return regex;
        }
        let regex = Regex::new(pattern, Limits::default()).ok().map(|(r, _)| Arc::new(r));
        if cache.len() >= CACHE_SIZE {
            cache.remove(0);
        }
        cache.push((pattern.to_vec(), regex.clone()));
        regex
    }
}

/// Runs `regex`, filling `captures` when asked.
fn search(regex: &Regex, input: &[u8], captures: Option<&mut Captures>) -> bool {
    // Most values do not match: the DFA answers that without the slots captures need.
    let Some(captures) = captures else {
        return regex.is_match(input);
    };
    if !regex.is_match(input) {
        return false;
    }
    let mut locations = regex.capture_locations();
    if !regex.captures_read(&mut locations, input) {
        return false;
    }
    captures.clear();
    for group in 0..locations.len() {
        if let Some((start, end)) = locations.get(group) {
            captures.set(group, &input[start..end]);
        }
    }
    true
}

impl Operator for Rx {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        match &self.pattern {
            Pattern::Empty => true,
            Pattern::Whole => {
                if let Some(captures) = cx.captures.as_deref_mut() {
                    captures.clear();
                    captures.set(0, input);
                }
                true
            }
            Pattern::Fixed(regex) => search(regex, input, cx.captures.as_deref_mut()),
            Pattern::Macro { text, cache } => match Self::expanded(text, cache, cx) {
                Some(regex) => search(&regex, input, cx.captures.as_deref_mut()),
                None => false,
            },
        }
    }

    /// The prefilter's sets: [`search`] answers false, before any regex runs, for an input
    /// that lacks a byte of one of them.
    fn required_bytes(&self) -> &[ByteSet] {
        match &self.pattern {
            Pattern::Fixed(regex) => regex.prefilter().map_or(&[], |p| p.required()),
            Pattern::Empty | Pattern::Whole | Pattern::Macro { .. } => &[],
        }
    }
}

/// Builds `@rx` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(Rx::new(argument)?))
}
