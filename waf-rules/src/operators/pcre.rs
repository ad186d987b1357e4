//! Translates a PCRE pattern, as libmodsecurity v3 compiles it, into the syntax of the `regex`
//! crate, so that the [`Regex`] built from it matches the same bytes.
//!
//! v3 compiles `@rx` with PCRE2 (or PCRE) in its default, non-UTF mode, with `DOTALL` and
//! `MULTILINE` (src/utils/regex.cc): the subject is bytes, `.` matches any byte, `^`/`$` match at
//! line starts and ends, `\d \w \s \b` and case folding are ASCII only. [`Regex`] sets the same
//! options (Unicode off, `s`, `m`) and this module rewrites the constructs whose spelling or
//! meaning differs (and [`Regex`] corrects `^` after a final newline):
//!
//! - every literal that is not an ASCII letter, digit or `_` is written `\xHH`, so a non-ASCII byte in
//!   the pattern (or in a class) is one byte, as in PCRE, and `\<`, `\>` stay literals (they are
//!   word boundaries in `regex`);
//! - escapes `regex` lacks: `\e`, `\cX`, octal `\0`, `\012`, `\o{...}`, `\h`, `\H`, `\v`, `\V`
//!   (vertical space in PCRE, a tab in `regex`), `\R`, `\N`, `\Q...\E`, `\x` with fewer than two
//!   digits, `\x{...}`;
//! - classes are rebuilt item by item: a leading `]` or a `[` is literal, a `-` next to an end
//!   is literal, `&&`, `--`, `~~` are not set operators; POSIX classes (`[:alpha:]`) are kept;
//! - a `{` that does not start a valid quantifier is a literal;
//! - named groups `(?<n>`, `(?'n'` become `(?P<n>`; `(?#...)` comments are dropped.
//!
//! Some constructs can only be approximated and are reported in [`Translation::approximations`]:
//! possessive quantifiers and atomic groups lose their no-backtracking property, and `\Z` becomes
//! `\z` (it no longer matches before a final newline). Constructs with no equivalent make
//! [`translate`] fail: lookarounds, back references, recursion, conditionals, `\G`, `\K`,
//! branch-reset groups, Unicode properties, the `x` flag and `(*VERB)`s. The Core Rule Set v4
//! needs none of them (its regexes are also run by RE2-based engines).
//!
//! [`Regex`] skips the search when its [`prefilter`] proves that the input lacks bytes every
//! match needs (most clean values have none of the punctuation attacks are made of).

pub mod prefilter;
#[cfg(test)]
mod tests;

use prefilter::Prefilter;

/// Why a pattern cannot be translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PcreError {
    /// A PCRE feature with no `regex` crate equivalent.
    #[error("unsupported PCRE construct {construct} at byte {offset}")]
    Unsupported {
        /// The construct, e.g. `lookahead (?=`.
        construct: &'static str,
        /// Byte offset in the pattern.
        offset: usize,
    },
    /// The pattern is not valid PCRE either.
    #[error("invalid pattern at byte {offset}: {reason}")]
    Invalid {
        /// What is wrong.
        reason: &'static str,
        /// Byte offset in the pattern.
        offset: usize,
    },
}

/// The result of [`translate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// The pattern in `regex` syntax, to be compiled with Unicode off, `s` and `m` on.
    pub pattern: String,
    /// Constructs rendered with a slightly different meaning (see the module documentation).
    pub approximations: Vec<&'static str>,
    /// The pattern holds a `^` (see [`Regex`]).
    pub has_caret: bool,
}

/// Options of [`Regex::new`]: the limits of the `regex` crate. The default compiled-size limit
/// (64 MiB) leaves room for large custom patterns: every Core Rule Set v4 pattern compiles within
/// 1 MiB. The lazy DFA cache (2 MiB, the crate's default) is per pattern and per searching
/// thread, so it bounds memory; a search that outgrows it stays correct, only slower.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Compiled program size limit, bytes.
    pub size: usize,
    /// Lazy DFA cache size limit per search thread, bytes.
    pub dfa_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { size: 64 << 20, dfa_size: 2 << 20 }
    }
}

/// Why [`Regex::new`] failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The pattern uses PCRE syntax that has no translation.
    #[error(transparent)]
    Pcre(#[from] PcreError),
    /// The translated pattern was refused by the `regex` crate (too large, ...).
    #[error("{0}")]
    Regex(String),
}

/// A PCRE pattern compiled as v3 compiles it (`DOTALL | MULTILINE`, bytes), with PCRE's
/// multiline `^`: unlike the `regex` crate's, it does not match after a newline that ends the
/// subject. A pattern with a `^` is compiled a second time with `^` as `\A`, used to settle a
/// match that starts at the very end of a subject ending in `\n` (there, PCRE's `^` is false
/// like `\A`, and the leftmost match of the main regex tells that no earlier start matches).
/// A match that starts earlier but uses `^` at that end (`a\n^`) is not corrected.
#[derive(Debug, Clone)]
pub struct Regex {
    main: regex::bytes::Regex,
    /// The pattern with every `^` read as `\A`.
    at_end: Option<regex::bytes::Regex>,
    /// Bytes every match of `main` needs ([`prefilter`]): without them, `main` (and so
    /// `at_end`, whose matches are matches of `main`) is not run.
    prefilter: Option<Prefilter>,
}

fn build(pattern: &str, limits: Limits) -> Result<regex::bytes::Regex, CompileError> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .dot_matches_new_line(true)
        .multi_line(true)
        .size_limit(limits.size)
        .dfa_size_limit(limits.dfa_size)
        .build()
        .map_err(|e| CompileError::Regex(e.to_string()))
}

impl Regex {
    /// Translates and compiles `pattern`.
    pub fn new(pattern: impl AsRef<[u8]>, limits: Limits) -> Result<(Self, Translation), CompileError> {
        let translation = translate(&pattern)?;
        let main = build(&translation.pattern, limits)?;
        let at_end = if translation.has_caret {
            let variant = translate_with(pattern.as_ref(), true)?;
            Some(build(&variant.pattern, limits)?)
        } else {
            None
        };
        let prefilter = Prefilter::new(&translation.pattern);
        Ok((Self { main, at_end, prefilter }, translation))
    }

    /// The variant to use when the leftmost match of `main` starts at `start`.
    fn settle(&self, input: &[u8], start: usize) -> Option<&regex::bytes::Regex> {
        match &self.at_end {
            Some(at_end) if start == input.len() && input.last() == Some(&b'\n') => Some(at_end),
            _ => None,
        }
    }

    /// True when the pattern matches somewhere in `input`.
    pub fn is_match(&self, input: &[u8]) -> bool {
        self.may_match(input) && self.is_match_unfiltered(input)
    }

    /// [`Regex::is_match`] without the prefilter (tests check the prefilter against it).
    pub fn is_match_unfiltered(&self, input: &[u8]) -> bool {
        if self.at_end.is_none() || input.last() != Some(&b'\n') {
            return self.main.is_match(input);
        }
        match self.main.find(input) {
            None => false,
            Some(found) => match self.settle(input, found.start()) {
                Some(at_end) => at_end.find_at(input, found.start()).is_some(),
                None => true,
            },
        }
    }

    /// False when the [`prefilter`] proves that `input` cannot match.
    pub fn may_match(&self, input: &[u8]) -> bool {
        self.prefilter.as_ref().is_none_or(|p| p.may_match(input))
    }

    /// The leftmost match that starts at or after `start`, as `(start, end)`.
    pub fn find_at(&self, input: &[u8], start: usize) -> Option<(usize, usize)> {
        if start == 0 && !self.may_match(input) {
            return None;
        }
        let found = self.main.find_at(input, start)?;
        match self.settle(input, found.start()) {
            Some(at_end) => at_end.find_at(input, found.start()).map(|m| (m.start(), m.end())),
            None => Some((found.start(), found.end())),
        }
    }

    /// The prefilter, when the pattern has one.
    pub fn prefilter(&self) -> Option<&Prefilter> {
        self.prefilter.as_ref()
    }

    /// Slots for [`Regex::captures_read`].
    pub fn capture_locations(&self) -> regex::bytes::CaptureLocations {
        self.main.capture_locations()
    }

    /// Finds the leftmost match and fills `locations` with its groups; false when none.
    pub fn captures_read(&self, locations: &mut regex::bytes::CaptureLocations, input: &[u8]) -> bool {
        if !self.may_match(input) {
            return false;
        }
        let Some(found) = self.main.captures_read(locations, input) else {
            return false;
        };
        match self.settle(input, found.start()) {
            Some(at_end) => at_end.captures_read_at(locations, input, found.start()).is_some(),
            None => true,
        }
    }
}

/// Translates a PCRE pattern (non-UTF mode: each byte of `pattern` is one character) into
/// `regex` syntax.
pub fn translate(pattern: impl AsRef<[u8]>) -> Result<Translation, PcreError> {
    translate_with(pattern.as_ref(), false)
}

fn translate_with(pattern: &[u8], caret_is_text_start: bool) -> Result<Translation, PcreError> {
    let mut t = Translator {
        src: pattern,
        pos: 0,
        out: String::with_capacity(pattern.len() * 2),
        approx: Vec::new(),
        in_quote: false,
        caret_is_text_start,
        has_caret: false,
    };
    t.run()?;
    Ok(Translation { pattern: t.out, approximations: t.approx, has_caret: t.has_caret })
}

/// One element of a character class.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ClassItem {
    Byte(u8),
    /// Already in `regex` syntax: `\d`, `[:alpha:]`, a nested `[^\t ]`.
    Set(String),
}

struct Translator<'a> {
    src: &'a [u8],
    pos: usize,
    out: String,
    approx: Vec<&'static str>,
    /// Inside `\Q...\E` within a class.
    in_quote: bool,
    /// Write `^` as `\A` (see [`Regex`]).
    caret_is_text_start: bool,
    has_caret: bool,
}

fn push_byte(out: &mut String, byte: u8) {
    if byte.is_ascii_alphanumeric() || byte == b'_' {
        out.push(char::from(byte));
    } else {
        out.push_str(&format!("\\x{byte:02X}"));
    }
}

const fn unsupported(construct: &'static str, offset: usize) -> PcreError {
    PcreError::Unsupported { construct, offset }
}

const fn invalid(reason: &'static str, offset: usize) -> PcreError {
    PcreError::Invalid { reason, offset }
}

/// `\h`, `\v` and their negations as `regex` classes (PCRE non-UTF tables).
const HSPACE: &str = r"[\x09\x20\xA0]";
const NOT_HSPACE: &str = r"[^\x09\x20\xA0]";
const VSPACE: &str = r"[\x0A-\x0D\x85]";
const NOT_VSPACE: &str = r"[^\x0A-\x0D\x85]";

impl Translator<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn approximate(&mut self, what: &'static str) {
        if !self.approx.contains(&what) {
            self.approx.push(what);
        }
    }

    fn run(&mut self) -> Result<(), PcreError> {
        if self.src.starts_with(b"(*") {
            return Err(unsupported("(*VERB)", 0));
        }
        while let Some(byte) = self.peek() {
            match byte {
                b'\\' => self.escape()?,
                b'[' => self.class()?,
                b'(' => self.group()?,
                b'*' | b'+' | b'?' => {
                    self.pos += 1;
                    self.out.push(char::from(byte));
                    self.quantifier_suffix();
                }
                b'{' => {
                    if let Some(len) = self.counted_repetition() {
                        let text = &self.src[self.pos..self.pos + len];
                        self.out.push_str(std::str::from_utf8(text).unwrap_or_default());
                        self.pos += len;
                        self.quantifier_suffix();
                    } else {
                        self.pos += 1;
                        push_byte(&mut self.out, b'{');
                    }
                }
                b'^' => {
                    self.pos += 1;
                    self.has_caret = true;
                    self.out.push_str(if self.caret_is_text_start { r"\A" } else { "^" });
                }
                b'.' | b'$' | b'|' | b')' => {
                    self.pos += 1;
                    self.out.push(char::from(byte));
                }
                _ => {
                    self.pos += 1;
                    push_byte(&mut self.out, byte);
                }
            }
        }
        Ok(())
    }

    /// After a quantifier: keeps a lazy `?`, drops a possessive `+`.
    fn quantifier_suffix(&mut self) {
        match self.peek() {
            Some(b'?') => {
                self.pos += 1;
                self.out.push('?');
            }
            Some(b'+') => {
                self.pos += 1;
                self.approximate("possessive quantifier");
            }
            _ => {}
        }
    }

    /// The length of a `{n}`, `{n,}` or `{n,m}` at `pos`, if there is one.
    fn counted_repetition(&self) -> Option<usize> {
        let rest = &self.src[self.pos..];
        let close = rest.iter().position(|&b| b == b'}')?;
        let inner = &rest[1..close];
        let (low, high) = match inner.iter().position(|&b| b == b',') {
            Some(comma) => (&inner[..comma], Some(&inner[comma + 1..])),
            None => (inner, None),
        };
        let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
        let valid = digits(low) && high.is_none_or(|h| h.is_empty() || digits(h));
        valid.then_some(close + 1)
    }

    fn group(&mut self) -> Result<(), PcreError> {
        let start = self.pos;
        if self.peek_at(1) == Some(b'*') {
            return Err(unsupported("(*VERB)", start));
        }
        if self.peek_at(1) != Some(b'?') {
            self.pos += 1;
            self.out.push('(');
            return Ok(());
        }
        let rest = &self.src[self.pos + 2..];
        match rest {
            [b':', ..] => {
                self.pos += 3;
                self.out.push_str("(?:");
            }
            [b'>', ..] => {
                self.pos += 3;
                self.out.push_str("(?:");
                self.approximate("atomic group");
            }
            [b'=' | b'!', ..] => return Err(unsupported("lookahead", start)),
            [b'<', b'=' | b'!', ..] => return Err(unsupported("lookbehind", start)),
            [b'|', ..] => return Err(unsupported("branch reset group (?|", start)),
            [b'#', ..] => {
                let end = rest.iter().position(|&b| b == b')').ok_or(invalid("unterminated (?# comment", start))?;
                self.pos += 2 + end + 1;
            }
            [b'<', ..] | [b'P', b'<', ..] | [b'\'', ..] => {
                let skip = if rest[0] == b'P' { 2 } else { 1 };
                let terminator = if rest[0] == b'\'' { b'\'' } else { b'>' };
                let name_len = rest[skip..]
                    .iter()
                    .position(|&b| b == terminator)
                    .ok_or(invalid("unterminated group name", start))?;
                let name = &rest[skip..skip + name_len];
                if name.is_empty() || !name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_') {
                    return Err(invalid("bad group name", start));
                }
                self.out.push_str("(?P<");
                self.out.push_str(std::str::from_utf8(name).unwrap_or_default());
                self.out.push('>');
                self.pos += 2 + skip + name_len + 1;
            }
            [b'P', b'=' | b'>', ..] | [b'&', ..] => {
                return Err(unsupported("named back reference or recursion", start))
            }
            [b'R', ..] | [b'0'..=b'9' | b'+' | b'-', b'0'..=b'9', ..] | [b'0'..=b'9', ..] => {
                return Err(unsupported("recursion", start));
            }
            [b'(', ..] => return Err(unsupported("conditional group", start)),
            [b'C', ..] => return Err(unsupported("callout", start)),
            _ => self.flags(start)?,
        }
        Ok(())
    }

    /// `(?flags)` or `(?flags:`.
    fn flags(&mut self, start: usize) -> Result<(), PcreError> {
        let rest = &self.src[self.pos + 2..];
        let end = rest.iter().position(|&b| b == b')' || b == b':').ok_or(invalid("unterminated group", start))?;
        let flags = &rest[..end];
        for &flag in flags {
            match flag {
                b'i' | b'm' | b's' | b'U' | b'-' => {}
                b'x' => return Err(unsupported("extended mode (?x)", start)),
                _ => return Err(unsupported("inline flag", start)),
            }
        }
        self.out.push_str("(?");
        self.out.push_str(std::str::from_utf8(flags).unwrap_or_default());
        self.out.push(char::from(rest[end]));
        self.pos += 2 + end + 1;
        Ok(())
    }

    /// An escape outside a class.
    fn escape(&mut self) -> Result<(), PcreError> {
        let start = self.pos;
        let Some(letter) = self.peek_at(1) else {
            return Err(invalid("\\ at end of pattern", start));
        };
        match letter {
            b'd' | b'D' | b'w' | b'W' | b's' | b'S' | b'b' | b'B' | b'A' | b'z' => {
                self.pos += 2;
                self.out.push('\\');
                self.out.push(char::from(letter));
            }
            b'Z' => {
                self.pos += 2;
                self.out.push_str(r"\z");
                self.approximate(r"\Z as \z");
            }
            b'h' | b'H' | b'v' | b'V' | b'N' => {
                self.pos += 2;
                self.out.push_str(match letter {
                    b'h' => HSPACE,
                    b'H' => NOT_HSPACE,
                    b'v' => VSPACE,
                    b'V' => NOT_VSPACE,
                    _ => r"[^\x0A]",
                });
            }
            b'R' => {
                self.pos += 2;
                self.out.push_str(r"(?:\x0D\x0A|[\x0A-\x0D\x85])");
            }
            b'C' => {
                self.pos += 2;
                self.out.push_str("(?s:.)");
            }
            b'Q' => {
                self.pos += 2;
                while self.pos < self.src.len() {
                    if self.src[self.pos..].starts_with(b"\\E") {
                        self.pos += 2;
                        break;
                    }
                    push_byte(&mut self.out, self.src[self.pos]);
                    self.pos += 1;
                }
            }
            b'E' => self.pos += 2,
            b'G' => return Err(unsupported(r"\G", start)),
            b'K' => return Err(unsupported(r"\K", start)),
            b'X' => return Err(unsupported(r"\X", start)),
            b'p' | b'P' => return Err(unsupported("Unicode property", start)),
            b'g' | b'k' | b'1'..=b'9' => return Err(unsupported("back reference", start)),
            _ => {
                let byte = self.escaped_byte(false)?;
                push_byte(&mut self.out, byte);
            }
        }
        Ok(())
    }

    /// Escapes that stand for one byte, inside or outside a class: `\n`, `\x41`, `\012`, `\cA`,
    /// `\.`. Consumes the escape.
    fn escaped_byte(&mut self, in_class: bool) -> Result<u8, PcreError> {
        let start = self.pos;
        let letter = self.peek_at(1).ok_or(invalid("\\ at end of pattern", start))?;
        self.pos += 2;
        let byte = match letter {
            b'a' => 0x07,
            b'b' if in_class => 0x08,
            b'e' => 0x1b,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'c' => {
                let c = self.peek().ok_or(invalid("\\c at end of pattern", start))?;
                if !c.is_ascii() {
                    return Err(invalid("\\c needs an ASCII character", start));
                }
                self.pos += 1;
                c.to_ascii_uppercase() ^ 0x40
            }
            b'x' => self.hex_escape(start)?,
            b'o' => {
                let rest = &self.src[self.pos..];
                let close = rest.iter().position(|&b| b == b'}');
                match (rest.first(), close) {
                    (Some(b'{'), Some(close)) => {
                        let value = parse_radix(&rest[1..close], 8).ok_or(invalid("bad \\o{...}", start))?;
                        self.pos += close + 1;
                        u8::try_from(value).map_err(|_| invalid("code point above 0xFF in non-UTF mode", start))?
                    }
                    _ => return Err(invalid("\\o needs {...}", start)),
                }
            }
            b'0'..=b'7' if letter == b'0' || in_class => {
                // Up to three octal digits in all, the first one consumed already.
                let more = self.src[self.pos..].iter().take(2).take_while(|b| matches!(b, b'0'..=b'7')).count();
                let digits = &self.src[self.pos - 1..self.pos + more];
                self.pos += more;
                let value = parse_radix(digits, 8).unwrap_or(0);
                u8::try_from(value).map_err(|_| invalid("octal value above 0xFF in non-UTF mode", start))?
            }
            b'8' | b'9' if in_class => letter,
            _ if letter.is_ascii_alphanumeric() => return Err(invalid("unrecognized escape", start)),
            _ => letter,
        };
        Ok(byte)
    }

    /// `\x` (pos after the `x`): `\xHH` with 0 to 2 digits, or `\x{H...}`.
    fn hex_escape(&mut self, start: usize) -> Result<u8, PcreError> {
        let rest = &self.src[self.pos..];
        if rest.first() == Some(&b'{') {
            let close = rest.iter().position(|&b| b == b'}').ok_or(invalid("unterminated \\x{", start))?;
            let value = parse_radix(&rest[1..close], 16).ok_or(invalid("bad \\x{...}", start))?;
            self.pos += close + 1;
            return u8::try_from(value).map_err(|_| invalid("code point above 0xFF in non-UTF mode", start));
        }
        let digits = rest.iter().take(2).take_while(|b| b.is_ascii_hexdigit()).count();
        self.pos += digits;
        Ok(parse_radix(&rest[..digits], 16).unwrap_or(0) as u8)
    }

    fn class(&mut self) -> Result<(), PcreError> {
        let start = self.pos;
        self.pos += 1;
        let negated = self.peek() == Some(b'^');
        if negated {
            self.pos += 1;
        }
        let mut items: Vec<ClassItem> = Vec::new();
        let mut ranges: Vec<(u8, u8)> = Vec::new();
        let mut first = true;
        loop {
            self.skip_quote_markers();
            let Some(byte) = self.peek() else {
                return Err(invalid("missing terminating ] for character class", start));
            };
            if byte == b']' && !first && !self.in_quote {
                self.pos += 1;
                break;
            }
            first = false;
            let item = self.class_item(start)?;
            // A range `a-z`: the item is a byte, then `-`, then a byte that is not the end.
            if let ClassItem::Byte(low) = item {
                if self.range_dash() {
                    let dash = self.pos;
                    self.pos += 1;
                    match self.class_item(start)? {
                        ClassItem::Byte(high) if high >= low => ranges.push((low, high)),
                        ClassItem::Byte(_) => return Err(invalid("range out of order in character class", dash)),
                        ClassItem::Set(_) => return Err(invalid("invalid range in character class", dash)),
                    }
                    continue;
                }
            }
            if let ClassItem::Set(_) = item {
                if self.range_dash() {
                    return Err(invalid("invalid range in character class", self.pos));
                }
            }
            items.push(item);
        }
        self.out.push('[');
        if negated {
            self.out.push('^');
        }
        for (low, high) in ranges {
            push_byte(&mut self.out, low);
            self.out.push('-');
            push_byte(&mut self.out, high);
        }
        for item in items {
            match item {
                ClassItem::Byte(b) => push_byte(&mut self.out, b),
                ClassItem::Set(s) => self.out.push_str(&s),
            }
        }
        self.out.push(']');
        Ok(())
    }

    /// Whether `pos` is a `-` that makes a range (not one before `]` or `\E`).
    fn range_dash(&self) -> bool {
        let rest = &self.src[self.pos..];
        rest.first() == Some(&b'-') && rest.len() > 1 && rest[1] != b']' && !rest[1..].starts_with(b"\\E")
    }

    /// One item of a class at `pos` (not the closing `]`).
    fn class_item(&mut self, class_start: usize) -> Result<ClassItem, PcreError> {
        self.skip_quote_markers();
        let Some(byte) = self.peek() else {
            return Err(invalid("missing terminating ] for character class", class_start));
        };
        if self.in_quote {
            self.pos += 1;
            return Ok(ClassItem::Byte(byte));
        }
        if byte == b'[' && self.peek_at(1) == Some(b':') {
            if let Some(posix) = self.posix_class() {
                return Ok(ClassItem::Set(posix));
            }
        }
        if byte != b'\\' {
            self.pos += 1;
            return Ok(ClassItem::Byte(byte));
        }
        let start = self.pos;
        let letter = self.peek_at(1).ok_or(invalid("\\ at end of pattern", start))?;
        let set = match letter {
            b'd' | b'D' | b'w' | b'W' | b's' | b'S' => format!("\\{}", char::from(letter)),
            b'h' => HSPACE.to_owned(),
            b'H' => NOT_HSPACE.to_owned(),
            b'v' => VSPACE.to_owned(),
            b'V' => NOT_VSPACE.to_owned(),
            b'p' | b'P' => return Err(unsupported("Unicode property", start)),
            b'B' | b'R' | b'X' | b'N' => return Err(invalid("escape not allowed in a character class", start)),
            _ => return Ok(ClassItem::Byte(self.escaped_byte(true)?)),
        };
        self.pos += 2;
        Ok(ClassItem::Set(set))
    }

    /// Steps over `\Q` and `\E` markers inside a class, tracking whether text is quoted.
    fn skip_quote_markers(&mut self) {
        loop {
            let rest = &self.src[self.pos..];
            if rest.starts_with(b"\\E") {
                self.in_quote = false;
            } else if !self.in_quote && rest.starts_with(b"\\Q") {
                self.in_quote = true;
            } else {
                return;
            }
            self.pos += 2;
        }
    }

    /// `[:name:]` or `[:^name:]` at `pos`.
    fn posix_class(&mut self) -> Option<String> {
        let rest = &self.src[self.pos + 2..];
        let end = rest.windows(2).position(|w| w == b":]")?;
        let name = &rest[..end];
        let bare = name.strip_prefix(b"^").unwrap_or(name);
        const NAMES: &[&[u8]] = &[
            b"alnum", b"alpha", b"ascii", b"blank", b"cntrl", b"digit", b"graph", b"lower", b"print", b"punct",
            b"space", b"upper", b"word", b"xdigit",
        ];
        if !NAMES.contains(&bare) {
            return None;
        }
        self.pos += 2 + end + 2;
        Some(format!("[:{}:]", std::str::from_utf8(name).unwrap_or_default()))
    }
}

fn parse_radix(digits: &[u8], radix: u32) -> Option<u32> {
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()
}
