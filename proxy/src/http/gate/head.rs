//! Request-head checks: finding where a head ends (CRLF line ends only) and validating its request
//! line and header fields and the message framing they declare (RFC 9112 sections 2.2, 3, 5, 6).

use super::Violation;

/// Incremental search for the end of a head, kept across reads so each byte is looked at once.
///
/// Rejects a LF not preceded by CR and a CR not followed by LF as soon as they arrive. Empty lines
/// before the request line are skipped (RFC 9112 section 2.2) and counted as part of the head.
#[derive(Debug, Default)]
pub(crate) struct HeadScan {
    /// Next byte to look at.
    pos: usize,
    /// Start of the current line.
    line_start: usize,
    /// Length of the leading empty lines.
    leading: usize,
}

// === impl HeadScan ===

impl HeadScan {
    /// Looks at the bytes of `buf` not seen yet; `buf` must start where the head starts and only grow.
    ///
    /// Returns the head's length (up to and including the empty line) once it is complete.
    pub(crate) fn scan(&mut self, buf: &[u8]) -> Result<Option<usize>, Violation> {
        while let Some(&byte) = buf.get(self.pos) {
            let i = self.pos;
            match byte {
                b'\r' => match buf.get(i + 1) {
                    None => return Ok(None),
                    Some(b'\n') => {}
                    Some(_) => return Err(Violation::BareCr),
                },
                b'\n' => {
                    if i == 0 || buf[i - 1] != b'\r' {
                        return Err(Violation::BareLf);
                    }
                    if i + 1 - self.line_start == 2 {
                        if self.line_start == self.leading {
                            self.leading = i + 1;
                        } else {
                            self.pos = i + 1;
                            return Ok(Some(i + 1));
                        }
                    }
                    self.line_start = i + 1;
                }
                _ => {}
            }
            self.pos += 1;
        }
        Ok(None)
    }

    /// Length of the empty lines before the request line.
    pub(crate) fn leading(&self) -> usize {
        self.leading
    }
}

/// How the body of a request is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No Content-Length or Transfer-Encoding: no body.
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// What the gate needs to know about a valid request head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequestHead {
    pub(crate) framing: Framing,
    /// `HEAD`: its response has no body.
    pub(crate) head_method: bool,
    /// `CONNECT`: a 2xx response turns the connection into a tunnel.
    pub(crate) connect: bool,
    /// Has an `Upgrade` field: a 101 response switches protocols.
    pub(crate) upgrade: bool,
}

/// Validates a complete head (as measured by [`HeadScan`], with `leading` empty lines first).
pub(crate) fn validate(head: &[u8], leading: usize) -> Result<RequestHead, Violation> {
    // The scan guarantees `head` ends with CRLF CRLF and has no bare CR or LF, so splitting on LF
    // and dropping the CR before it yields the lines.
    let content = &head[leading..head.len() - 4];
    let mut lines = content.split(|&b| b == b'\n').map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let request_line = lines.next().unwrap_or_default();
    let (method, http10) = request_line_parts(request_line)?;

    let mut content_length = None;
    let mut content_lengths = 0;
    let mut transfer_encoding = None;
    let mut transfer_encodings = 0;
    let mut hosts = 0;
    let mut upgrade = false;
    for line in lines {
        let field = parse_field(line)?;
        if field.name.eq_ignore_ascii_case(b"content-length") {
            content_lengths += 1;
            content_length = Some(field.value);
        } else if field.name.eq_ignore_ascii_case(b"transfer-encoding") {
            transfer_encodings += 1;
            transfer_encoding = Some(field.value);
        } else if field.name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
        } else if field.name.eq_ignore_ascii_case(b"upgrade") {
            upgrade = true;
        }
    }

    let framing = match (content_length, transfer_encoding) {
        (Some(_), Some(_)) => return Err(Violation::ContentLengthWithTransferEncoding),
        (None, Some(_)) if http10 => return Err(Violation::TransferEncodingHttp10),
        (None, Some(_)) if transfer_encodings > 1 => return Err(Violation::DuplicateTransferEncoding),
        (None, Some(te)) if te.eq_ignore_ascii_case(b"chunked") => Framing::Chunked,
        (None, Some(_)) => return Err(Violation::UnsupportedTransferEncoding),
        (Some(_), None) if content_lengths > 1 => return Err(Violation::DuplicateContentLength),
        (Some(cl), None) => Framing::Length(parse_content_length(cl)?),
        (None, None) => Framing::None,
    };
    if hosts > 1 {
        return Err(Violation::DuplicateHost);
    }
    if hosts == 0 && !http10 {
        return Err(Violation::MissingHost);
    }
    Ok(RequestHead { framing, head_method: method == b"HEAD", connect: method == b"CONNECT", upgrade })
}

/// Splits `method SP request-target SP HTTP-version`; returns the method and whether it is HTTP/1.0.
fn request_line_parts(line: &[u8]) -> Result<(&[u8], bool), Violation> {
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Violation::InvalidRequestLine);
    };
    if method.is_empty() || target.is_empty() || version.contains(&b' ') {
        return Err(Violation::InvalidRequestLine);
    }
    if !method.iter().all(|&b| is_tchar(b)) {
        return Err(Violation::InvalidMethod);
    }
    if !target.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(Violation::InvalidTarget);
    }
    match version {
        b"HTTP/1.1" => Ok((method, false)),
        b"HTTP/1.0" => Ok((method, true)),
        _ if version.iter().any(|&b| b.is_ascii_control()) => Err(Violation::InvalidRequestLine),
        _ => Err(Violation::UnsupportedVersion),
    }
}

/// A header field line split into name and OWS-trimmed value.
#[derive(Debug)]
pub(super) struct Field<'a> {
    pub(super) name: &'a [u8],
    pub(super) value: &'a [u8],
}

/// Parses one header (or trailer) field line without its CRLF: `token ":" OWS value OWS`.
pub(super) fn parse_field(line: &[u8]) -> Result<Field<'_>, Violation> {
    if let Some(b' ' | b'\t') = line.first() {
        return Err(Violation::ObsFold);
    }
    let colon = line.iter().position(|&b| b == b':').ok_or(Violation::InvalidHeaderName)?;
    let name = &line[..colon];
    match name.last() {
        None => return Err(Violation::EmptyHeaderName),
        Some(b' ' | b'\t') => return Err(Violation::WhitespaceBeforeColon),
        Some(_) => {}
    }
    if !name.iter().all(|&b| is_tchar(b)) {
        return Err(Violation::InvalidHeaderName);
    }
    let value = &line[colon + 1..];
    if value.iter().any(|&b| b.is_ascii_control() && b != b'\t') {
        return Err(Violation::InvalidHeaderValue);
    }
    Ok(Field { name, value: trim_ows(value) })
}

/// `1*DIGIT`, at most `u64::MAX`; a comma means a list of lengths, which we never accept.
fn parse_content_length(value: &[u8]) -> Result<u64, Violation> {
    if value.contains(&b',') {
        return Err(Violation::DuplicateContentLength);
    }
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(Violation::InvalidContentLength);
    }
    value.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10).and_then(|n| n.checked_add(u64::from(d - b'0'))).ok_or(Violation::ContentLengthOverflow)
    })
}

fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// `tchar` (RFC 9110 section 5.6.2).
pub(super) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
