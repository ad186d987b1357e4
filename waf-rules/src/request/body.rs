//! Body framing: `Content-Length` and `Transfer-Encoding` checks as in Apache's
//! `ap_read_request`, and chunked decoding as its `HTTP_IN` filter does.

use super::{merged, Header, Rejection};

/// Why the body could not be read. Apache notices this only when the body is read, after
/// ModSecurity phase 1 ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// Fewer bytes than announced arrived: the server keeps waiting and the client times out.
    #[error("body truncated: {got} of {expected} bytes")]
    Truncated {
        /// Bytes announced by `Content-Length`, or needed by the current chunk.
        expected: u64,
        /// Bytes that arrived.
        got: u64,
    },
    /// The chunked encoding is malformed (bad size line, missing CRLF after data).
    #[error("bad chunked encoding: {0}")]
    BadChunk(&'static str),
}

impl BodyError {
    /// The status the client finally reads; `None` when it gets no answer (time-out).
    pub fn status(&self) -> Option<u16> {
        match self {
            BodyError::Truncated { .. } => None,
            BodyError::BadChunk(_) => Some(400),
        }
    }
}

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// No body.
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
}

/// Checks `Content-Length` and `Transfer-Encoding`; drops `Content-Length` when both are sent,
/// as Apache does.
pub(super) fn framing(headers: &mut Vec<Header>) -> Result<Framing, Rejection> {
    let length = match merged(headers, "Content-Length") {
        Some(value) => Some(strict_length(&value).ok_or(Rejection::BadContentLength)?),
        None => None,
    };
    if let Some(coding) = merged(headers, "Transfer-Encoding") {
        if !is_chunked(&coding) {
            return Err(Rejection::BadTransferEncoding);
        }
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(b"Content-Length"));
        return Ok(Framing::Chunked);
    }
    Ok(match length {
        Some(0) | None => Framing::None,
        Some(n) => Framing::Length(n),
    })
}

/// Reads the body that follows the head.
pub(super) fn read(rest: &[u8], framing: Framing) -> (Vec<u8>, Option<BodyError>) {
    match framing {
        Framing::None => (Vec::new(), None),
        Framing::Length(n) => {
            let available = rest.len() as u64;
            if available < n {
                (rest.to_vec(), Some(BodyError::Truncated { expected: n, got: available }))
            } else {
                let end = usize::try_from(n).unwrap_or(rest.len()).min(rest.len());
                (rest[..end].to_vec(), None)
            }
        }
        Framing::Chunked => dechunk(rest),
    }
}

/// `ap_parse_strict_length`: one or more decimal digits, nothing else, no overflow.
fn strict_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse::<i64>().ok().and_then(|n| u64::try_from(n).ok())
}

/// `ap_is_chunked`: the last coding in the list is `chunked`.
fn is_chunked(value: &[u8]) -> bool {
    let trimmed = value.strip_suffix(b" ").unwrap_or(value);
    let Some(start) = trimmed.len().checked_sub(7) else { return false };
    if !trimmed[start..].eq_ignore_ascii_case(b"chunked") {
        return false;
    }
    start == 0 || matches!(trimmed[start - 1], b',' | b' ' | b'\t')
}

/// Decodes a chunked body: `size[;ext] CRLF data CRLF ... 0 CRLF [trailers] CRLF`.
fn dechunk(mut rest: &[u8]) -> (Vec<u8>, Option<BodyError>) {
    let mut body = Vec::new();
    loop {
        let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
            let got = body.len() as u64;
            return (body, Some(BodyError::Truncated { expected: got + 1, got }));
        };
        let line = rest[..lf].strip_suffix(b"\r").unwrap_or(&rest[..lf]);
        rest = &rest[lf + 1..];
        let Some(size) = chunk_size(line) else {
            return (body, Some(BodyError::BadChunk("invalid chunk size line")));
        };
        if size == 0 {
            return match skip_trailers(rest) {
                Some(()) => (body, None),
                None => {
                    let got = body.len() as u64;
                    (body, Some(BodyError::Truncated { expected: got + 1, got }))
                }
            };
        }
        let available = rest.len() as u64;
        if available < size {
            body.extend_from_slice(rest);
            let got = body.len() as u64;
            return (body, Some(BodyError::Truncated { expected: got - available + size, got }));
        }
        let size = usize::try_from(size).unwrap_or(rest.len()).min(rest.len());
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size..];
        if let Some(after) = rest.strip_prefix(b"\r\n").or_else(|| rest.strip_prefix(b"\n")) {
            rest = after;
        } else if rest.is_empty() || rest == b"\r" {
            let got = body.len() as u64;
            return (body, Some(BodyError::Truncated { expected: got + 2, got }));
        } else {
            return (body, Some(BodyError::BadChunk("chunk data not followed by CRLF")));
        }
    }
}

/// Hex size, optionally followed by blanks and `;extensions`.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line.iter().position(|b| !b.is_ascii_hexdigit()).unwrap_or(line.len());
    if digits == 0 || digits > 16 {
        return None;
    }
    let after = &line[digits..];
    let after = &after[after.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(after.len())..];
    if !after.is_empty() && after[0] != b';' {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(&line[..digits]).ok()?, 16).ok()
}

/// Trailer fields after the last chunk, up to the empty line. `None` when it never comes.
fn skip_trailers(mut rest: &[u8]) -> Option<()> {
    loop {
        let lf = rest.iter().position(|&b| b == b'\n')?;
        let line = rest[..lf].strip_suffix(b"\r").unwrap_or(&rest[..lf]);
        if line.is_empty() {
            return Some(());
        }
        rest = &rest[lf + 1..];
    }
}
