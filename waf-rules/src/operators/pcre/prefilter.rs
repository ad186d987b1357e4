//! A required-byte prefilter for [`Regex`](super::Regex): from the pattern's syntax tree, sets of
//! bytes of which every match must contain at least one (`;` for `'[^']*;`, one of `"'` for
//! `["']`), checked with `memchr` before the regex runs. An input that lacks one of them cannot
//! match, so the regex is skipped; any other input goes to the regex, so answers never change.
//!
//! # Why it is exact
//!
//! `required` computes, for a syntax tree `h`, sets `S1..Sn` such that every string that `h`
//! matches contains a byte of each `Si`:
//! - a literal requires each of its bytes, a class requires itself (an empty class, which
//!   matches nothing, requires the empty set: nothing matches, nothing is scanned for);
//! - a concatenation requires what each of its parts requires (each part matches a substring);
//! - a repetition requires what its body requires when it repeats at least once, nothing
//!   otherwise; a capture group requires what its body requires;
//! - an alternation requires, for one set chosen in each branch, their union (whichever
//!   branch matches contains a byte of its set); a branch that requires nothing makes the
//!   alternation require nothing;
//! - look-around assertions and the empty pattern require nothing.
//!
//! Sets holding letters, digits, `_` or a space are dropped (nearly every value has one, so
//! they would only cost time); of the rest, the [`MAX_CHECKS`] smallest are kept. The tree is
//! parsed from the translated pattern with the options [`Regex`](super::Regex) compiles it with,
//! by the `regex-syntax` the `regex` crate uses.

use memchr::{memchr, memchr2, memchr3};
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::operators::ByteSet;

#[cfg(test)]
mod tests;

/// At most this many sets are checked per search.
pub const MAX_CHECKS: usize = 3;

/// Holds a byte that nearly every value has.
fn is_common(set: &ByteSet) -> bool {
    set.bytes().any(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ')
}

/// The sets every match of `hir` needs a byte of (see the module documentation). `None` when
/// the tree holds something this analysis does not know (a non-ASCII Unicode class); then
/// nothing is required.
fn required(hir: &Hir) -> Option<Vec<ByteSet>> {
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Vec::new(),
        HirKind::Literal(literal) => literal
            .0
            .iter()
            .map(|&b| {
                let mut set = ByteSet::EMPTY;
                set.insert(b);
                set
            })
            .collect(),
        HirKind::Class(class) => vec![class_set(class)?],
        HirKind::Repetition(repetition) if repetition.min == 0 => Vec::new(),
        HirKind::Repetition(repetition) => required(&repetition.sub)?,
        HirKind::Capture(capture) => required(&capture.sub)?,
        HirKind::Concat(parts) => {
            let mut sets = Vec::new();
            for part in parts {
                sets.extend(required(part)?);
            }
            sets
        }
        HirKind::Alternation(branches) => {
            let mut union = ByteSet::EMPTY;
            for branch in branches {
                match best(required(branch)?) {
                    Some(set) => union = union.union(&set),
                    None => return Some(Vec::new()),
                }
            }
            vec![union]
        }
    })
}

/// The bytes of a class.
fn class_set(class: &Class) -> Option<ByteSet> {
    let mut set = ByteSet::EMPTY;
    match class {
        Class::Bytes(bytes) => {
            for range in bytes.iter() {
                (range.start()..=range.end()).for_each(|b| set.insert(b));
            }
        }
        Class::Unicode(chars) => {
            for range in chars.iter() {
                let start = u8::try_from(u32::from(range.start())).ok().filter(u8::is_ascii)?;
                let end = u8::try_from(u32::from(range.end())).ok().filter(u8::is_ascii)?;
                (start..=end).for_each(|b| set.insert(b));
            }
        }
    }
    Some(set)
}

/// The most useful of `sets` for an alternation's union: the smallest uncommon one, else the
/// smallest.
fn best(sets: Vec<ByteSet>) -> Option<ByteSet> {
    sets.into_iter().min_by_key(|s| (is_common(s), s.len()))
}

/// One scan: the input must hold one of these bytes.
#[derive(Debug, Clone)]
enum Check {
    Empty,
    One(u8),
    Two(u8, u8),
    Three(u8, u8, u8),
    Set(Box<[bool; 256]>),
}

impl Check {
    fn new(set: &ByteSet) -> Self {
        let bytes: Vec<u8> = set.bytes().collect();
        match bytes[..] {
            [] => Self::Empty,
            [a] => Self::One(a),
            [a, b] => Self::Two(a, b),
            [a, b, c] => Self::Three(a, b, c),
            _ => {
                let mut table = Box::new([false; 256]);
                bytes.iter().for_each(|&b| table[usize::from(b)] = true);
                Self::Set(table)
            }
        }
    }

    fn passes(&self, input: &[u8]) -> bool {
        match self {
            Self::Empty => false,
            Self::One(a) => memchr(*a, input).is_some(),
            Self::Two(a, b) => memchr2(*a, *b, input).is_some(),
            Self::Three(a, b, c) => memchr3(*a, *b, *c, input).is_some(),
            Self::Set(table) => input.iter().any(|&b| table[usize::from(b)]),
        }
    }
}

/// The prefilter of one pattern.
#[derive(Debug, Clone)]
pub struct Prefilter {
    checks: Vec<Check>,
    /// The sets the checks scan for, in the same order.
    sets: Vec<ByteSet>,
}

impl Prefilter {
    /// The prefilter of `pattern`, a translated pattern ([`super::Translation::pattern`]);
    /// `None` when no useful set is required.
    pub fn new(pattern: &str) -> Option<Self> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .dot_matches_new_line(true)
            .multi_line(true)
            .build()
            .parse(pattern)
            .ok()?;
        let mut sets: Vec<ByteSet> = required(&hir)?.into_iter().filter(|s| !is_common(s)).collect();
        sets.sort_unstable_by_key(|s| (s.len(), *s));
        sets.dedup();
        sets.truncate(MAX_CHECKS);
        (!sets.is_empty()).then(|| Self { checks: sets.iter().map(Check::new).collect(), sets })
    }

    /// False when `input` cannot match the pattern; true when it may.
    pub fn may_match(&self, input: &[u8]) -> bool {
        self.checks.iter().all(|check| check.passes(input))
    }

    /// The sets checked: an input matching the pattern holds a byte of each.
    pub fn required(&self) -> &[ByteSet] {
        &self.sets
    }

    /// The bytes of each set checked, for tests and diagnostics.
    pub fn sets(&self) -> Vec<Vec<u8>> {
        self.checks
            .iter()
            .map(|check| match check {
                Check::Empty => Vec::new(),
                Check::One(a) => vec![*a],
                Check::Two(a, b) => vec![*a, *b],
                Check::Three(a, b, c) => vec![*a, *b, *c],
                Check::Set(table) => (0..=u8::MAX).filter(|&b| table[usize::from(b)]).collect(),
            })
            .collect()
    }
}
