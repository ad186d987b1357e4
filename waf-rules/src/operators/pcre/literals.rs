//! A required-literal prefilter for [`Regex`](super::Regex): from the pattern's syntax tree, a
//! small set of strings of which every match must contain one (`select`, `union` for
//! `(?i)\b(?:select|union)\b`), looked for, ignoring ASCII case, with one Aho-Corasick scan
//! before the regex runs. An input that contains none of them cannot match, so the regex is
//! skipped; any other input goes to the regex, so answers never change. It complements
//! [`prefilter`](super::prefilter), which looks for rare bytes, and the `regex` crate's own
//! prefilter, which gives up on case-insensitive alternations (too many case variants).
//!
//! # Why it is exact
//!
//! [`required`] computes, for a syntax tree `h`, a set of strings such that every string `h`
//! matches contains one of them, ignoring ASCII case (the strings are stored lower case; a
//! case-sensitive match contains the string in some case, so ignoring case only lets more
//! inputs through):
//! - a literal requires itself; a class whose bytes are one byte in either ASCII case (`[Ss]`,
//!   how `(?i)s` is parsed) requires that byte;
//! - a concatenation requires what any one of its parts requires, and each run of adjacent
//!   literals and one-byte classes in it (a match contains the run's bytes in a row); the
//!   longest requirement is kept;
//! - a repetition requires what its body requires when it repeats at least once; a capture
//!   group requires what its body requires;
//! - an alternation requires the union of what its branches require, and nothing when a
//!   branch requires nothing;
//! - anything else (other classes, look-around assertions, the empty pattern) requires nothing.
//!
//! A set is used only when its shortest string has at least [`MIN_LEN`] bytes and it has at
//! most [`MAX_STRINGS`] strings, and only for case-insensitive patterns (for the others, the
//! `regex` crate's prefilter is faster).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

/// The shortest required string worth a scan.
pub const MIN_LEN: usize = 3;

/// The most strings a set may have.
pub const MAX_STRINGS: usize = 64;

/// A set of lower-case strings (see [`required`]).
type Strings = Vec<Vec<u8>>;

/// How useful a set is: longer shortest string first, then fewer strings.
fn score(set: &Strings) -> (usize, std::cmp::Reverse<usize>) {
    (set.iter().map(Vec::len).min().unwrap_or(0), std::cmp::Reverse(set.len()))
}

/// The bytes a literal or a one-byte class matches, lower-cased.
fn fixed_bytes(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(literal) => Some(literal.0.to_ascii_lowercase()),
        HirKind::Class(Class::Bytes(class)) => {
            let mut folded = class.iter().flat_map(|r| r.start()..=r.end()).map(|b| b.to_ascii_lowercase());
            let first = folded.next()?;
            folded.all(|b| b == first).then(|| vec![first])
        }
        HirKind::Class(Class::Unicode(class)) => {
            let mut folded = class
                .iter()
                .flat_map(|r| u32::from(r.start())..=u32::from(r.end()))
                .map(|c| u8::try_from(c).ok().filter(u8::is_ascii).map(|b| b.to_ascii_lowercase()));
            let first = folded.next()??;
            folded.all(|b| b == Some(first)).then(|| vec![first])
        }
        _ => None,
    }
}

/// What every match of `hir` contains one of (see the module documentation), if known.
fn required(hir: &Hir) -> Option<Strings> {
    if let Some(bytes) = fixed_bytes(hir) {
        return Some(vec![bytes]);
    }
    match hir.kind() {
        HirKind::Repetition(repetition) if repetition.min > 0 => required(&repetition.sub),
        HirKind::Capture(capture) => required(&capture.sub),
        HirKind::Concat(parts) => {
            let mut candidates: Vec<Strings> = Vec::new();
            let mut run: Vec<u8> = Vec::new();
            for part in parts {
                match fixed_bytes(part) {
                    Some(bytes) => run.extend(bytes),
                    None => {
                        if !run.is_empty() {
                            candidates.push(vec![std::mem::take(&mut run)]);
                        }
                        candidates.extend(required(part));
                    }
                }
            }
            if !run.is_empty() {
                candidates.push(vec![run]);
            }
            candidates.into_iter().max_by_key(score)
        }
        HirKind::Alternation(branches) => {
            let mut union = Vec::new();
            for branch in branches {
                union.extend(required(branch)?);
                if union.len() > MAX_STRINGS {
                    return None;
                }
            }
            union.sort_unstable();
            union.dedup();
            Some(union)
        }
        _ => None,
    }
}

/// True when `hir` holds a class of one letter in both cases (`(?i)`).
fn folds_case(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Class(Class::Bytes(class)) => {
            let bytes: Vec<u8> = class.iter().flat_map(|r| r.start()..=r.end()).take(3).collect();
            matches!(bytes[..], [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(&b))
        }
        HirKind::Repetition(repetition) => folds_case(&repetition.sub),
        HirKind::Capture(capture) => folds_case(&capture.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().any(folds_case),
        _ => false,
    }
}

/// The prefilter of one pattern.
#[derive(Debug, Clone)]
pub struct Literals {
    strings: Strings,
    automaton: AhoCorasick,
}

impl Literals {
    /// The prefilter of the syntax tree of a translated pattern; `None` when no useful set of
    /// strings is required.
    pub fn new(hir: &Hir) -> Option<Self> {
        // The `regex` crate's own prefilter finds case-sensitive literals faster than this
        // scan; it is case-insensitive ones that it gives up on.
        if !folds_case(hir) {
            return None;
        }
        let mut strings = required(hir)?;
        strings.sort_unstable();
        strings.dedup();
        if strings.is_empty() || strings.len() > MAX_STRINGS || strings.iter().any(|s| s.len() < MIN_LEN) {
            return None;
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&strings)
            .ok()?;
        Some(Self { strings, automaton })
    }

    /// False when `input` cannot match the pattern; true when it may.
    pub fn may_match(&self, input: &[u8]) -> bool {
        self.automaton.is_match(input)
    }

    /// The required strings (lower case), for tests and diagnostics.
    pub fn strings(&self) -> &[Vec<u8>] {
        &self.strings
    }
}
