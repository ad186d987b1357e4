//! Variable specifications: the targets of a `SecRule` (`ARGS:foo|!ARGS:bar|&TX:x`), parsed and
//! checked at load time. Extracting the values from a transaction is not done here.
//!
//! A target is an optional `&` (count the values) or `!` (exclude them), a [`VariableName`], and
//! for collections an optional selector after `:` (or `.`): an exact key, a `/regex/` (quoted
//! `'/regex/'` when it contains `|`), or for `XML` an XPath expression.
//!
//! Following libmodsecurity v3: collection keys compare case-insensitively (exact keys are
//! stored lower case; `ENV` is the exception), and key regexes are compiled caseless, with `.`
//! matching newlines and `^`/`$` matching at line ends (PCRE `CASELESS|DOTALL|MULTILINE`), on
//! bytes with ASCII classes. An empty regex (`//`) is not a regex: it is the key `//`.
//!
//! # Organization
//! - [`names`](VariableName): the enum of ModSecurity v3 variables and how their keys compare.
//! - `tests.rs`: unit tests.

mod names;
#[cfg(test)]
mod tests;

use std::fmt;

pub use names::{KeyMatching, VariableName};

/// One target of a rule: `[!|&]NAME[:selector]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableSpec {
    /// Which variable.
    pub name: VariableName,
    /// Which members of a collection; `None` means all of them (or the scalar itself).
    pub selector: Option<Selector>,
    /// `!`: the selected values are removed from the rule's other targets.
    pub exclude: bool,
    /// `&`: the rule inspects the number of selected values instead of the values.
    pub count: bool,
}

/// Which members of a collection a target selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// One key, lower-cased when the collection compares keys case-insensitively.
    Key(String),
    /// Keys matching a regular expression (compiled once, at load).
    Regex(KeyRegex),
    /// An XPath expression (`XML:/*`), kept as written.
    XPath(String),
}

/// A compiled key regex with the pattern it came from.
#[derive(Clone)]
pub struct KeyRegex {
    pattern: String,
    regex: regex::bytes::Regex,
}

impl KeyRegex {
    /// Compiles `pattern` the way libmodsecurity compiles variable regexes.
    pub fn new(pattern: &str) -> Result<Self, regex::Error> {
        let regex = regex::bytes::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .dot_matches_new_line(true)
            .multi_line(true)
            .unicode(false)
            .build()?;
        Ok(Self { pattern: pattern.to_owned(), regex })
    }

    /// The pattern as written between the slashes.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The compiled regex.
    pub fn regex(&self) -> &regex::bytes::Regex {
        &self.regex
    }

    /// True when the key matches anywhere (libmodsecurity searches, it does not anchor).
    pub fn is_match(&self, key: &[u8]) -> bool {
        self.regex.is_match(key)
    }
}

impl fmt::Debug for KeyRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyRegex(/{}/)", self.pattern)
    }
}

impl PartialEq for KeyRegex {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

impl Eq for KeyRegex {}

impl fmt::Display for VariableSpec {
    /// Writes the target back in SecLang form (`!REQUEST_COOKIES:/__utm/`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.exclude {
            f.write_str("!")?;
        }
        if self.count {
            f.write_str("&")?;
        }
        f.write_str(self.name.as_str())?;
        match &self.selector {
            None => Ok(()),
            Some(Selector::Key(key)) | Some(Selector::XPath(key)) => write!(f, ":{key}"),
            Some(Selector::Regex(re)) => write!(f, ":/{}/", re.pattern),
        }
    }
}

/// Why a target list did not parse. `offset` is a byte offset into the parsed text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct VariableError {
    /// Byte offset of the problem in the text given to [`parse_list`].
    pub offset: usize,
    /// What is wrong.
    pub kind: VariableErrorKind,
}

/// The kinds of [`VariableError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VariableErrorKind {
    /// The text holds no target at all.
    #[error("expected a variable (e.g. ARGS or REQUEST_HEADERS:User-Agent)")]
    Empty,
    /// A `|` with nothing after it, or two in a row.
    #[error("expected a variable after '|'")]
    MissingVariable,
    /// The name is not a ModSecurity v3 variable.
    #[error("unknown variable \"{name}\"{}", suggestion.map(|s| format!(" (did you mean {s}?)")).unwrap_or_else(|| " (expected a ModSecurity v3 variable such as ARGS, REQUEST_HEADERS or TX)".to_owned()))]
    UnknownVariable {
        /// The name as written.
        name: String,
        /// A known name that is spelled almost the same.
        suggestion: Option<&'static str>,
    },
    /// A `:key` on a variable that is not a collection.
    #[error("variable {name} is not a collection and takes no key (found \":{key}\")")]
    NotACollection {
        /// The scalar variable.
        name: VariableName,
        /// The selector that was given.
        key: String,
    },
    /// `ARGS:` with nothing after the colon.
    #[error("expected a key or /regex/ after \"{name}:\"")]
    EmptySelector {
        /// The collection.
        name: VariableName,
    },
    /// A `'` that is never closed.
    #[error("unterminated quote in selector")]
    UnterminatedQuote,
    /// The selector regex does not compile.
    #[error("invalid key regex /{pattern}/: {message}")]
    InvalidRegex {
        /// The pattern between the slashes.
        pattern: String,
        /// The compiler's message.
        message: String,
    },
    /// `!` and `&` together.
    #[error("a target cannot be both excluded ('!') and counted ('&')")]
    ExcludeAndCount,
    /// Something else where a `|` or the end was expected.
    #[error("unexpected \"{found}\" after variable (expected '|' or the end of the target list)")]
    Unexpected {
        /// The unexpected text.
        found: String,
    },
}

impl VariableError {
    fn new(offset: usize, kind: VariableErrorKind) -> Self {
        Self { offset, kind }
    }
}

/// Parses a target list: targets separated by `|` (or `,`, as libmodsecurity also accepts).
/// Whitespace around separators is allowed.
pub fn parse_list(text: &str) -> Result<Vec<VariableSpec>, VariableError> {
    let mut out = Vec::new();
    let mut pos = skip_ws(text, 0);
    if pos == text.len() {
        return Err(VariableError::new(pos, VariableErrorKind::Empty));
    }
    loop {
        let (spec, end) = parse_at(text, pos)?;
        out.push(spec);
        pos = skip_ws(text, end);
        match text.as_bytes().get(pos) {
            None => return Ok(out),
            Some(b'|') | Some(b',') => {
                pos = skip_ws(text, pos + 1);
                if pos == text.len() {
                    return Err(VariableError::new(pos, VariableErrorKind::MissingVariable));
                }
            }
            Some(_) => {
                let found: String = text[pos..].chars().take(20).collect();
                return Err(VariableError::new(pos, VariableErrorKind::Unexpected { found }));
            }
        }
    }
}

/// Parses exactly one target (`ARGS:foo`).
pub fn parse_one(text: &str) -> Result<VariableSpec, VariableError> {
    let start = skip_ws(text, 0);
    if start == text.len() {
        return Err(VariableError::new(start, VariableErrorKind::Empty));
    }
    let (spec, end) = parse_at(text, start)?;
    let end = skip_ws(text, end);
    if end < text.len() {
        let found: String = text[end..].chars().take(20).collect();
        return Err(VariableError::new(end, VariableErrorKind::Unexpected { found }));
    }
    Ok(spec)
}

fn skip_ws(text: &str, mut pos: usize) -> usize {
    while matches!(text.as_bytes().get(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    pos
}

/// Parses one target starting at `start`; returns it and the offset just after it.
fn parse_at(text: &str, start: usize) -> Result<(VariableSpec, usize), VariableError> {
    let bytes = text.as_bytes();
    let mut pos = start;
    let mut exclude = false;
    let mut count = false;
    while let Some(&c) = bytes.get(pos) {
        match c {
            b'!' => exclude = true,
            b'&' => count = true,
            _ => break,
        }
        pos += 1;
    }
    if exclude && count {
        return Err(VariableError::new(start, VariableErrorKind::ExcludeAndCount));
    }
    let name_start = pos;
    while matches!(bytes.get(pos), Some(c) if c.is_ascii_alphanumeric() || *c == b'_') {
        pos += 1;
    }
    let raw_name = &text[name_start..pos];
    if raw_name.is_empty() {
        return Err(VariableError::new(name_start, VariableErrorKind::MissingVariable));
    }
    let Some(name) = VariableName::from_name(raw_name) else {
        let suggestion = VariableName::closest(raw_name).map(VariableName::as_str);
        let kind = VariableErrorKind::UnknownVariable { name: raw_name.to_owned(), suggestion };
        return Err(VariableError::new(name_start, kind));
    };
    let mut spec = VariableSpec { name, selector: None, exclude, count };
    if !matches!(bytes.get(pos), Some(b':' | b'.')) {
        return Ok((spec, pos));
    }
    let sel_start = pos + 1;
    let (selector, end) = parse_selector(text, name, sel_start)?;
    spec.selector = Some(selector);
    Ok((spec, end))
}

/// Parses the selector that starts at `start` (just after the `:`).
fn parse_selector(text: &str, name: VariableName, start: usize) -> Result<(Selector, usize), VariableError> {
    let bytes = text.as_bytes();
    let (raw, end) = if bytes.get(start) == Some(&b'\'') {
        let close = find_closing_quote(text, start + 1)
            .ok_or_else(|| VariableError::new(start, VariableErrorKind::UnterminatedQuote))?;
        (&text[start + 1..close], close + 1)
    } else {
        let end = scan_unquoted(text, start);
        (&text[start..end], end)
    };
    if raw.is_empty() {
        return Err(VariableError::new(start, VariableErrorKind::EmptySelector { name }));
    }
    let matching = name.key_matching();
    if matching == KeyMatching::Scalar {
        let kind = VariableErrorKind::NotACollection { name, key: raw.to_owned() };
        return Err(VariableError::new(start - 1, kind));
    }
    let selector = if matching == KeyMatching::XPath {
        Selector::XPath(raw.to_owned())
    } else if let Some(pattern) = regex_body(raw) {
        let regex = KeyRegex::new(pattern).map_err(|e| {
            let kind = VariableErrorKind::InvalidRegex { pattern: pattern.to_owned(), message: e.to_string() };
            VariableError::new(start, kind)
        })?;
        Selector::Regex(regex)
    } else if matching == KeyMatching::CaseInsensitive {
        Selector::Key(raw.to_ascii_lowercase())
    } else {
        Selector::Key(raw.to_owned())
    };
    Ok((selector, end))
}

/// `'...'` content: the closing quote is the first `'` not escaped by a backslash.
fn find_closing_quote(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\\' => i += 2,
            b'\'' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// End of an unquoted selector. A `/regex/` runs to the last `/` that is followed by a
/// separator, so it may contain `,` and `/`; anything else stops at `|`, `,` or whitespace.
fn scan_unquoted(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    // The run a regex may span: up to `|`, whitespace or a double quote.
    let mut run_end = start;
    while let Some(&c) = bytes.get(run_end) {
        if matches!(c, b'|' | b' ' | b'\t' | b'"') {
            break;
        }
        run_end += 1;
    }
    if bytes.get(start) == Some(&b'/') {
        // The last `/` (after at least one character) that ends the run or precedes a comma.
        let mut best = None;
        for i in start + 2..run_end {
            if bytes.get(i) == Some(&b'/') && (i + 1 == run_end || bytes.get(i + 1) == Some(&b',')) {
                best = Some(i + 1);
            }
        }
        if let Some(end) = best {
            return end;
        }
    }
    let mut end = start;
    while end < run_end && bytes.get(end) != Some(&b',') {
        end += 1;
    }
    end
}

/// The pattern of a `/.../` selector with at least one character between the slashes.
fn regex_body(raw: &str) -> Option<&str> {
    let body = raw.strip_prefix('/')?.strip_suffix('/')?;
    (!body.is_empty()).then_some(body)
}
