//! The header block, read as Apache's `ap_get_mime_headers_core` does in strict mode.

use super::line::{LineError, LineReader};
use super::{is_tchar, Header, Limits, Rejection};

/// Reads header lines up to the empty line that ends the head.
pub(super) fn read_headers(reader: &mut LineReader<'_>, limits: &Limits) -> Result<Vec<Header>, Rejection> {
    let mut headers = Vec::new();
    // The field being assembled: it may still grow by obs-fold lines.
    let mut pending: Option<Vec<u8>> = None;
    loop {
        let mut line = reader.next_line(limits.field_size).map_err(|e| match e {
            LineError::Unterminated => Rejection::Incomplete,
            LineError::TooLong => Rejection::HeaderTooLong(limits.field_size),
            LineError::BareLf => Rejection::BadHeader("line not terminated by CRLF"),
            LineError::Nul => Rejection::BadHeader("NUL byte in header line"),
        })?;
        while line.len() > 1 && matches!(line.last(), Some(b' ' | b'\t')) {
            line = &line[..line.len() - 1];
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            let Some(field) = pending.as_mut() else {
                return Err(Rejection::BadHeader("line folding before the first header"));
            };
            if line.len() == 1 {
                return Err(Rejection::BadHeader("empty folded line"));
            }
            let continuation = line.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(line.len());
            if field.len() + line.len() - continuation + 2 >= limits.field_size {
                return Err(Rejection::HeaderTooLong(limits.field_size));
            }
            field.push(b' ');
            field.extend_from_slice(&line[continuation..]);
            continue;
        }
        if let Some(field) = pending.take() {
            if headers.len() >= limits.fields {
                return Err(Rejection::TooManyHeaders(limits.fields));
            }
            headers.push(split_field(&field)?);
        }
        if line.is_empty() {
            return Ok(headers);
        }
        pending = Some(line.to_vec());
    }
}

/// `name: value` with a token name directly followed by the colon and a value made of visible
/// characters, blanks and obs-text only.
fn split_field(field: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Rejection> {
    let name_end = field.iter().position(|&b| !is_tchar(b)).unwrap_or(field.len());
    if name_end == 0 || field.get(name_end) != Some(&b':') {
        return Err(Rejection::BadHeader("malformed field name"));
    }
    let value = &field[name_end + 1..];
    let start = value.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(value.len());
    let value = &value[start..];
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(Rejection::BadHeader("control character in field value"));
    }
    Ok((field[..name_end].to_vec(), value.to_vec()))
}
