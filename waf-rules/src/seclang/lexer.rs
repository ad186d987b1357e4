//! Reads the arguments of one logical line: bare words, `"double-quoted"` and `'single-quoted'`
//! arguments (a backslash escapes the next character; escapes are kept as written), and action
//! lists, whose single-quoted values may themselves hold double quotes.

use crate::actions::{self, Action, ActionErrorKind};

use super::error::{ErrorKind, Location, SeclangError};
use super::source::Logical;

/// One argument: its text without quotes and where that text starts in the line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arg<'a> {
    /// The text, quotes removed, escapes kept.
    pub text: &'a str,
    /// Byte offset of `text` in the logical line.
    pub offset: usize,
    /// Whether it was quoted.
    pub quoted: bool,
}

/// An action with the position of its name.
pub(crate) type Located<T> = (T, Location);

/// A cursor over the arguments of a logical line.
pub(crate) struct Args<'a> {
    line: &'a Logical,
    pos: usize,
}

impl<'a> Args<'a> {
    /// Starts at the beginning of `line`.
    pub fn new(line: &'a Logical) -> Self {
        Self { line, pos: 0 }
    }

    /// The position of byte `offset` of the line.
    pub fn location(&self, offset: usize) -> Location {
        self.line.location(offset)
    }

    /// The location of an argument plus `offset` bytes into it.
    pub fn at(&self, arg: &Arg<'_>, offset: usize) -> Location {
        self.line.location(arg.offset + offset)
    }

    fn skip_blanks(&mut self) {
        let bytes = self.line.text.as_bytes();
        while matches!(bytes.get(self.pos), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// The next argument, or `None` at the end of the line.
    pub fn next_arg(&mut self) -> Result<Option<Arg<'a>>, SeclangError> {
        self.skip_blanks();
        let text: &'a str = &self.line.text;
        let start = self.pos;
        let Some(&first) = text.as_bytes().get(start) else {
            return Ok(None);
        };
        if first == b'"' || first == b'\'' {
            let close = closing(text.as_bytes(), start + 1, first).ok_or_else(|| {
                SeclangError::new(self.location(start), ErrorKind::UnterminatedQuote { quote: char::from(first) })
            })?;
            self.pos = close + 1;
            return Ok(Some(Arg { text: &text[start + 1..close], offset: start + 1, quoted: true }));
        }
        let bytes = text.as_bytes();
        while let Some(&c) = bytes.get(self.pos) {
            if c == b' ' || c == b'\t' {
                break;
            }
            self.pos += 1;
        }
        Ok(Some(Arg { text: &text[start..self.pos], offset: start, quoted: false }))
    }

    /// The next argument, read as an action list; `None` at the end of the line.
    pub fn next_actions(&mut self) -> Result<Option<Vec<Located<Action>>>, SeclangError> {
        self.skip_blanks();
        let text: &'a str = &self.line.text;
        let start = self.pos;
        match text.as_bytes().get(start) {
            None => Ok(None),
            Some(b'"') => {
                let body = &text[start + 1..];
                let (actions, end) = actions::parse_list_spanned(body, true).map_err(|e| {
                    // An unclosed list is best shown at its opening quote.
                    let at = if e.kind == ActionErrorKind::MissingClosingQuote { start } else { start + 1 + e.offset };
                    SeclangError::new(self.location(at), ErrorKind::Action(e.kind))
                })?;
                self.pos = start + 1 + end + 1;
                Ok(Some(self.locate(actions, start + 1)))
            }
            Some(_) => {
                let Some(arg) = self.next_arg()? else { return Ok(None) };
                let (actions, _) = actions::parse_list_spanned(arg.text, false)
                    .map_err(|e| SeclangError::new(self.at(&arg, e.offset), ErrorKind::Action(e.kind)))?;
                Ok(Some(self.locate(actions, arg.offset)))
            }
        }
    }

    fn locate(&self, actions: Vec<(Action, usize)>, base: usize) -> Vec<Located<Action>> {
        actions.into_iter().map(|(a, offset)| (a, self.location(base + offset))).collect()
    }

    /// Fails if anything but a `# comment` is left on the line.
    pub fn finish(&mut self, directive: &'static str, usage: &'static str) -> Result<(), SeclangError> {
        self.skip_blanks();
        if self.line.text.as_bytes().get(self.pos).is_none_or(|c| *c == b'#') {
            return Ok(());
        }
        let start = self.pos;
        let found = self.next_arg()?.map(|a| a.text.to_owned()).unwrap_or_default();
        Err(SeclangError::new(self.location(start), ErrorKind::UnexpectedArgument { directive, found, usage }))
    }

    /// The remaining arguments up to the end of the line (or a `# comment`).
    pub fn rest(&mut self) -> Result<Vec<Arg<'a>>, SeclangError> {
        let mut out = Vec::new();
        loop {
            self.skip_blanks();
            if self.line.text.as_bytes().get(self.pos).is_none_or(|c| *c == b'#') {
                return Ok(out);
            }
            out.extend(self.next_arg()?);
        }
    }
}

/// Offset of the closing `quote` at or after `from`, skipping backslash escapes.
fn closing(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while let Some(&c) = bytes.get(i) {
        if c == b'\\' {
            i += 2;
        } else if c == quote {
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}
