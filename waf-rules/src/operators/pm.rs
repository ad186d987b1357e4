//! `@pm`: matches when any of the space-separated phrases of the argument occurs in the input,
//! ignoring ASCII case (v3's Aho-Corasick `acmp`, built case-insensitive).
//!
//! The argument is read as v3's `parse_pm_content` does: leading spaces and tabs are skipped, one
//! pair of surrounding double quotes is removed, `|41 42|`-style hex runs become bytes (v3 only
//! accepts hex digits between the bars: a space there, or any other invalid byte, makes v3 fall
//! back to the raw argument), and `\:`, `\;`, `\\`, `\"` are unescaped (another escape also falls
//! back to the raw argument). The result is split on C-locale whitespace. Macros are not expanded.
//!
//! With `capture`, group 0 is the phrase found, as written in the rule. v3: src/operators/pm.cc.
//!
//! ```text
//! SecRule REQUEST_HEADERS:User-Agent "@pm nikto sqlmap" "id:1,phase:1,deny"
//! ```

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::{LoadContext, OpContext, Operator, OperatorError};
use crate::transformations::cbytes::{is_hex, is_space};

/// The most memory a phrase list's DFA may take (the CRS's hot lists take up to 1.4 MB;
/// `lfi-os-files.data` 3.6 MB and `php-errors.data` 23 MB keep the smaller NFA).
pub const DFA_MEMORY_LIMIT: usize = 3 << 19;

/// A case-insensitive multi-phrase matcher, shared with `@pmFromFile`.
#[derive(Debug, Clone)]
pub struct PhraseMatch {
    automaton: AhoCorasick,
    phrases: Vec<Vec<u8>>,
    /// Bytes one of which every phrase holds, none of them a letter or a digit (so that case
    /// folding leaves them alone): an input without any cannot match. Empty (no skip) when a
    /// phrase is all letters and digits.
    required: Vec<super::ByteSet>,
}

impl PhraseMatch {
    /// Builds the automaton; empty phrases are ignored as v3 ignores them. It is a DFA (about
    /// twice as fast as the default NFA on the CRS's lists) unless that takes more than
    /// [`DFA_MEMORY_LIMIT`] (the CRS's longest lists), then the crate's choice.
    pub fn new(phrases: Vec<Vec<u8>>, operator: &'static str) -> Result<Self, OperatorError> {
        let phrases: Vec<Vec<u8>> = phrases.into_iter().filter(|p| !p.is_empty()).collect();
        let mut builder = AhoCorasickBuilder::new();
        builder.ascii_case_insensitive(true).match_kind(MatchKind::Standard);
        let error = |e: aho_corasick::BuildError| OperatorError::Argument { operator, reason: e.to_string() };
        // A DFA takes some 200 bytes per byte of phrase: do not build one that is sure to be
        // too large.
        let total: usize = phrases.iter().map(Vec::len).sum();
        let dfa = if total <= DFA_MEMORY_LIMIT / 128 {
            Some(builder.kind(Some(AhoCorasickKind::DFA)).build(&phrases).map_err(error)?)
        } else {
            None
        };
        let automaton = match dfa {
            Some(dfa) if dfa.memory_usage() <= DFA_MEMORY_LIMIT => dfa,
            _ => builder.kind(None).build(&phrases).map_err(error)?,
        };
        let required = required_punctuation(&phrases).into_iter().collect();
        Ok(Self { automaton, phrases, required })
    }

    /// The number of phrases.
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    /// True without phrases (then nothing matches).
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// The first phrase found (the one that ends first in `input`).
    pub fn find(&self, input: &[u8]) -> Option<&[u8]> {
        let found = self.automaton.find(input)?;
        self.phrases.get(found.pattern().as_usize()).map(Vec::as_slice)
    }
}

impl Operator for PhraseMatch {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        match cx.captures.as_deref_mut() {
            None => self.automaton.is_match(input),
            Some(captures) => match self.find(input) {
                Some(phrase) => {
                    captures.clear();
                    captures.set(0, phrase);
                    true
                }
                None => false,
            },
        }
    }

    /// The punctuation every phrase holds one of (see `required`).
    fn required_bytes(&self) -> &[super::ByteSet] {
        &self.required
    }
}

/// A small set of bytes, none a letter or a digit, that every phrase holds one of (`/` and `.`
/// for the CRS's file lists); `None` when some phrase holds none but letters and digits. Chosen
/// greedily: the byte held by most phrases not yet covered, until all are.
fn required_punctuation(phrases: &[Vec<u8>]) -> Option<super::ByteSet> {
    let mut uncovered: Vec<&[u8]> = phrases.iter().map(Vec::as_slice).collect();
    let mut set = super::ByteSet::EMPTY;
    while !uncovered.is_empty() {
        let mut counts = [0usize; 256];
        for phrase in &uncovered {
            let mut seen = super::ByteSet::EMPTY;
            for &b in phrase.iter().filter(|b| !b.is_ascii_alphanumeric()) {
                if !seen.contains(b) {
                    seen.insert(b);
                    counts[usize::from(b)] += 1;
                }
            }
        }
        let (best, &count) = counts.iter().enumerate().max_by_key(|&(_, c)| c)?;
        if count == 0 {
            return None;
        }
        let best = u8::try_from(best).ok()?;
        set.insert(best);
        uncovered.retain(|p| !p.contains(&best));
    }
    (!set.is_empty()).then_some(set)
}

/// v3's `parse_pm_content`: quotes, `|hex|` runs and escapes. Returns the raw argument wherever
/// v3 does.
pub fn parse_content(argument: &[u8]) -> Vec<u8> {
    let Some(offset) = argument.iter().position(|&b| b != b' ' && b != b'\t') else {
        return argument.to_vec();
    };
    let mut content = &argument[offset..];
    if content.len() >= 2 && content[0] == b'"' && content[content.len() - 1] == b'"' {
        content = &content[1..content.len() - 1];
    }
    if content.is_empty() {
        return argument.to_vec();
    }
    let mut out = Vec::with_capacity(content.len());
    let (mut binary, mut escaped) = (false, false);
    let mut hex: Vec<u8> = Vec::with_capacity(2);
    for &byte in content {
        if byte == b'|' {
            binary = !binary;
        } else if !escaped && byte == b'\\' {
            escaped = true;
        } else if binary {
            if !is_hex(byte) {
                return argument.to_vec();
            }
            hex.push(byte);
            if hex.len() == 2 {
                let text = std::str::from_utf8(&hex).unwrap_or("00");
                out.push(u8::from_str_radix(text, 16).unwrap_or(0));
                hex.clear();
            }
        } else if escaped {
            if !matches!(byte, b':' | b';' | b'\\' | b'"') {
                return argument.to_vec();
            }
            out.push(byte);
            escaped = false;
        } else {
            out.push(byte);
        }
    }
    out
}

/// Builds `@pm` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    let content = parse_content(argument.as_bytes());
    let phrases = content.split(|&b| is_space(b)).filter(|p| !p.is_empty()).map(<[u8]>::to_vec).collect();
    Ok(Box::new(PhraseMatch::new(phrases, "pm")?))
}
