//! An exact fast path for `@detectSQLi`: values made of ASCII letters, digits, `_` and spaces
//! whose first words are not SQL keywords cannot be SQL injections to libinjection, which then
//! need not run.
//!
//! # Why it is exact
//!
//! [`PlainText::cannot_be_sqli`] answers true only for an input that is empty (libinjection
//! answers false at once) or whose bytes are all in `[A-Za-z0-9_ ]`, and whose first
//! [`TOKENS_CHECKED`] tokens, split as libinjection's tokenizer splits them, include no bareword
//! that is risky (a keyword, or the start of a multi-word one). For such an input, libinjection's `detect`:
//!
//! 1. tokenizes with these parsers only (libinjection's character map, checked by
//!    [`PlainText::new`]): spaces are skipped; a digit starts `parse_number` (mirrored by
//!    [`tokens`]: a number, or a bareword such as `1e` or `0x`); a letter or `_` starts
//!    `parse_word` (the `b' e' n' q' u&' x'` string forms need a quote or `&`), which takes
//!    the word up to the next space (the only delimiter in the alphabet) and gives it the type
//!    the keyword table has for it, a bareword when it has none. No comment, string, operator,
//!    parenthesis, dot or variable token can occur.
//! 2. gets only barewords and numbers, since no word of the first tokens is in the table with a
//!    type other than bareword. Two words merge (`GROUP BY`, `AT TIME ZONE`) only when the first
//!    one starts a multi-word entry of the table; those first words are risky too, so nothing
//!    merges. None of the other folding rules applies to barewords and numbers alone (they all
//!    need an operator, a string, a parenthesis, a comma, a dot, ...), so the folding loop keeps
//!    every token and reads at most six of them (five, plus one to look ahead): checking
//!    [`TOKENS_CHECKED`] covers them.
//! 3. builds a fingerprint of one to five `n` and `1`, and none of those 62 fingerprints is in
//!    libinjection's blacklist (checked by [`PlainText::new`], which otherwise disables the fast
//!    path), so the first pass (ANSI, no quote context) answers false;
//! 4. does not reparse as MySQL (that needs a `--` or `#` comment) nor in a quote context (that
//!    needs a `'` or `"` in the input), and answers false.
//!
//! The unit tests check the agreement with libinjection over the CRS regression payloads and
//! millions of generated inputs built from keywords, multi-word keywords and number forms.

use std::collections::HashSet;
use std::ops::Range;

use libinjectionrs::sqli::blacklist::is_blacklisted;
use libinjectionrs::sqli::sqli_data::{get_char_type, CharType, SQL_KEYWORDS};

/// How many tokens are checked (libinjection reads at most six here, see the module docs).
pub const TOKENS_CHECKED: usize = 8;

/// libinjection looks words up only when they are shorter than this (its token size).
const LOOKUP_LIMIT: usize = 32;

/// The bytes of the fast path's alphabet.
fn is_plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b' '
}

/// The fast path and its tables.
#[derive(Debug, Clone)]
pub struct PlainText {
    /// Upper-cased words that are keywords (any type but bareword) or start a multi-word
    /// keyword.
    risky: HashSet<Box<[u8]>>,
    /// The premises of the proof hold for the libinjection linked in.
    enabled: bool,
    /// `is_plain` as a table.
    plain: [bool; 256],
}

impl Default for PlainText {
    fn default() -> Self {
        Self::new()
    }
}

impl PlainText {
    /// Builds the tables from libinjection's keyword table and checks the premises of the proof
    /// (see the module documentation) against the linked libinjection.
    pub fn new() -> Self {
        let mut risky = HashSet::new();
        for keyword in SQL_KEYWORDS {
            let word = keyword.word.as_bytes().to_ascii_uppercase();
            if let Some(space) = word.iter().position(|&b| b == b' ') {
                risky.insert(word[..space].into());
            }
            if keyword.token_type != b'n' {
                risky.insert(word.into());
            }
        }
        let mut plain = [false; 256];
        for (byte, slot) in (0..=u8::MAX).zip(plain.iter_mut()) {
            *slot = is_plain(byte);
        }
        Self { risky, enabled: char_map_as_expected() && no_plain_fingerprint_is_blacklisted(), plain }
    }

    /// True when libinjection would find no SQL injection in `input`, proven without running
    /// it (see the module documentation). False means "run libinjection".
    pub fn cannot_be_sqli(&self, input: &[u8]) -> bool {
        if input.is_empty() {
            return true;
        }
        if !self.enabled || !input.iter().all(|&b| self.plain[usize::from(b)]) {
            return false;
        }
        tokens(input).take(TOKENS_CHECKED).all(|(range, kind)| kind == Kind::Number || !self.is_risky(&input[range]))
    }

    /// True when the bareword `word` could become something else than a bareword: it is looked
    /// up (shorter than [`LOOKUP_LIMIT`]) and is a keyword or starts a multi-word keyword.
    fn is_risky(&self, word: &[u8]) -> bool {
        let mut upper = [0u8; LOOKUP_LIMIT];
        let Some(slot) = upper.get_mut(..word.len()) else {
            return false;
        };
        slot.copy_from_slice(word);
        slot.make_ascii_uppercase();
        self.risky.contains(&*slot)
    }
}

/// What a token of [`tokens`] is to libinjection before the keyword lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A word (`parse_word`): a bareword unless the keyword table says otherwise.
    Word,
    /// A number (`parse_number`).
    Number,
    /// What `parse_number` makes a bareword (`0x`, `0b` without digits, `1e` without exponent).
    NumericBareword,
}

/// The tokens libinjection's tokenizer cuts `input` into, for an input in the fast path's
/// alphabet: byte ranges and kinds.
pub fn tokens(input: &[u8]) -> impl Iterator<Item = (Range<usize>, Kind)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while input.get(pos) == Some(&b' ') {
            pos += 1;
        }
        let first = *input.get(pos)?;
        let start = pos;
        let kind;
        (pos, kind) = if first.is_ascii_digit() {
            number_end(input, pos)
        } else {
            (input[pos..].iter().position(|&b| b == b' ').map_or(input.len(), |n| pos + n), Kind::Word)
        };
        Some((start..pos, kind))
    })
}

/// Where libinjection's `parse_number` ends a token that starts with a digit at `pos`, for an
/// input in the fast path's alphabet (no `.`, sign or `;`, and a space is the only white
/// byte), and the token's kind.
fn number_end(input: &[u8], pos: usize) -> (usize, Kind) {
    let len = input.len();
    let bareword_if = |bareword: bool| if bareword { Kind::NumericBareword } else { Kind::Number };
    if input[pos] == b'0' && pos + 1 < len {
        let radix: Option<fn(&u8) -> bool> = match input[pos + 1] {
            b'x' | b'X' => Some(u8::is_ascii_hexdigit),
            b'b' | b'B' => Some(|b| matches!(b, b'0' | b'1')),
            _ => None,
        };
        if let Some(is_digit) = radix {
            let end = pos + 2 + input[pos + 2..].iter().take_while(|b| is_digit(b)).count();
            return (end, bareword_if(end == pos + 2));
        }
    }
    let mut end = pos + input[pos..].iter().take_while(|b| b.is_ascii_digit()).count();
    let (mut have_e, mut have_exp) = (false, false);
    if end < len && matches!(input[end], b'e' | b'E') {
        have_e = true;
        end += 1;
        let digits = input[end..].iter().take_while(|b| b.is_ascii_digit()).count();
        have_exp = digits > 0;
        end += digits;
    }
    if end < len && matches!(input[end], b'd' | b'D' | b'f' | b'F') {
        // libinjection's Oracle suffix: taken at the end, before white space or `;`, or before
        // `u` (`1fUNION`).
        if end + 1 == len || matches!(input[end + 1], b' ' | b'u' | b'U') {
            end += 1;
        }
    }
    (end, bareword_if(have_e && !have_exp))
}

/// The character classes the proof relies on (module documentation, step 1).
fn char_map_as_expected() -> bool {
    (0..=u8::MAX).filter(|&b| is_plain(b)).all(|b| {
        let class = get_char_type(b);
        match b {
            b' ' => class == CharType::White,
            b'0'..=b'9' => class == CharType::Number,
            b'_' => class == CharType::Word,
            _ => matches!(
                class,
                CharType::Word
                    | CharType::BString
                    | CharType::EString
                    | CharType::NQString
                    | CharType::QString
                    | CharType::UString
                    | CharType::XString
            ),
        }
    })
}

/// No fingerprint of one to five barewords (`n`) and numbers (`1`) is blacklisted (module
/// documentation, step 3).
fn no_plain_fingerprint_is_blacklisted() -> bool {
    let mut fingerprints = vec![String::new()];
    for _ in 0..libinjectionrs::sqli::LIBINJECTION_SQLI_MAX_TOKENS {
        fingerprints = fingerprints.iter().flat_map(|f| [format!("{f}n"), format!("{f}1")]).collect();
        if fingerprints.iter().any(|f| is_blacklisted(f)) {
            return false;
        }
    }
    true
}
