//! Splits a file into logical lines: one directive each, with `\` continuations joined, comment
//! and blank lines dropped, and a map from every byte back to its file line and column.
//!
//! Joining follows libmodsecurity v3: blanks around a `\`-newline are removed; inside a
//! double-quoted argument nothing is put in their place (`"id:1,\` + `  phase:2"` reads
//! `"id:1,phase:2"`), outside quotes a single space separates the two parts. A comment line
//! that ends with `\` continues onto the next line, as in Apache.

use std::sync::Arc;

use super::error::Location;

/// One directive's text and where each piece came from.
#[derive(Debug)]
pub(crate) struct Logical {
    /// The joined text, leading blanks removed.
    pub text: String,
    file: Arc<str>,
    /// Pieces of `text` in order: each starts at a text offset and a file position.
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    offset: usize,
    line: u32,
    column: u32,
}

impl Logical {
    /// The file position of byte `offset` of `text` (clamped to the text).
    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let index = self.pieces.partition_point(|p| p.offset <= offset).saturating_sub(1);
        let Some(piece) = self.pieces.get(index) else {
            return Location::file(self.file.clone());
        };
        let chars = self.text.get(piece.offset..offset).map_or(0, |s| s.chars().count());
        let column = piece.column + u32::try_from(chars).unwrap_or(u32::MAX - piece.column);
        Location { file: self.file.clone(), line: piece.line, column }
    }
}

/// Splits `text` (the content of `file`) into logical lines.
pub(crate) fn logical_lines(file: &Arc<str>, text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut current: Option<Logical> = None;
    let mut in_quotes = false;
    let mut in_comment = false;
    for (index, physical) in text.split('\n').enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        let continues = physical.ends_with('\\');
        if in_comment {
            in_comment = continues;
            continue;
        }
        let body = if continues { physical[..physical.len() - 1].trim_end_matches([' ', '\t']) } else { physical };
        let trimmed = body.trim_start_matches([' ', '\t']);
        let column = 1 + u32::try_from(body[..body.len() - trimmed.len()].chars().count()).unwrap_or(0);
        let logical = match current.as_mut() {
            Some(logical) => {
                if !in_quotes && !trimmed.is_empty() {
                    logical.text.push(' ');
                }
                logical
            }
            None => {
                if trimmed.is_empty() {
                    continue;
                }
                if trimmed.starts_with('#') {
                    in_comment = continues;
                    continue;
                }
                in_quotes = false;
                current.insert(Logical { text: String::new(), file: file.clone(), pieces: Vec::new() })
            }
        };
        logical.pieces.push(Piece { offset: logical.text.len(), line, column });
        logical.text.push_str(trimmed);
        in_quotes = quote_state(trimmed, in_quotes);
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current.take());
    out
}

/// Whether a double-quoted argument is still open after `piece`, given the state before it.
/// A backslash escapes the next character.
fn quote_state(piece: &str, mut in_quotes: bool) -> bool {
    let mut escaped = false;
    for c in piece.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_quotes = !in_quotes;
        }
    }
    in_quotes
}
