//! Splits an action list (`id:1,msg:'a, b',t:none`) into names and raw values.
//!
//! A value is either single-quoted (it may then hold commas and double quotes; `\'` does not end
//! it) or bare, running to the next unescaped `,`. Escapes are kept as written, as
//! libmodsecurity keeps them. Inside a double-quoted directive argument the list ends at the
//! first unescaped `"` that is not inside a quoted value.

use super::{ActionError, ActionErrorKind};

/// One `name[:value]` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawAction<'a> {
    /// The action name as written.
    pub name: &'a str,
    /// Byte offset of the name.
    pub offset: usize,
    /// The value after `:`, if any.
    pub value: Option<RawValue<'a>>,
}

/// The value of an action, without its surrounding quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawValue<'a> {
    /// The text between the quotes, or the bare text (trailing blanks trimmed).
    pub text: &'a str,
    /// Byte offset of the first character of `text`.
    pub offset: usize,
}

/// Splits `text`. With `in_quotes`, the list must end at an unescaped `"` whose offset is
/// returned; otherwise it runs to the end of `text` (whose length is returned).
pub(crate) fn split(text: &str, in_quotes: bool) -> Result<(Vec<RawAction<'_>>, usize), ActionError> {
    let bytes = text.as_bytes();
    let is_end = |pos: usize| match bytes.get(pos) {
        None => true,
        Some(b'"') => in_quotes,
        Some(_) => false,
    };
    let finish = |pos: usize, actions| {
        if pos >= bytes.len() && in_quotes {
            Err(ActionError::new(pos, ActionErrorKind::MissingClosingQuote))
        } else {
            Ok((actions, pos))
        }
    };
    let mut actions = Vec::new();
    let mut pos = skip_blanks(bytes, 0);
    if is_end(pos) {
        return finish(pos, actions);
    }
    loop {
        pos = skip_blanks(bytes, pos);
        if is_end(pos) || bytes.get(pos) == Some(&b',') {
            return Err(ActionError::new(pos, ActionErrorKind::EmptyAction));
        }
        let name_start = pos;
        while let Some(&c) = bytes.get(pos) {
            if matches!(c, b':' | b',' | b' ' | b'\t') || (c == b'"' && in_quotes) {
                break;
            }
            pos += 1;
        }
        let name = &text[name_start..pos];
        let mut value = None;
        if bytes.get(pos) == Some(&b':') {
            pos += 1;
            if bytes.get(pos) == Some(&b'\'') {
                let close = closing_quote(bytes, pos + 1)
                    .ok_or_else(|| ActionError::new(pos, ActionErrorKind::UnterminatedQuote))?;
                value = Some(RawValue { text: &text[pos + 1..close], offset: pos + 1 });
                pos = close + 1;
            } else {
                let start = pos;
                while let Some(&c) = bytes.get(pos) {
                    match c {
                        b'\\' => pos += 1 + text[pos + 1..].chars().next().map_or(0, char::len_utf8),
                        b',' => break,
                        b'"' if in_quotes => break,
                        _ => pos += 1,
                    }
                }
                let raw = &text[start..pos];
                value = Some(RawValue { text: raw.trim_end_matches([' ', '\t']), offset: start });
            }
        }
        actions.push(RawAction { name, offset: name_start, value });
        pos = skip_blanks(bytes, pos);
        if is_end(pos) {
            return finish(pos, actions);
        }
        if bytes.get(pos) != Some(&b',') {
            let found: String =
                text[pos..].chars().take_while(|c| *c != ',' && !(in_quotes && *c == '"')).take(20).collect();
            return Err(ActionError::new(pos, ActionErrorKind::ExpectedComma { found }));
        }
        pos += 1;
    }
}

fn skip_blanks(bytes: &[u8], mut pos: usize) -> usize {
    while matches!(bytes.get(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    pos
}

/// Offset of the first `'` at or after `from` that is not escaped by a backslash.
fn closing_quote(bytes: &[u8], from: usize) -> Option<usize> {
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
