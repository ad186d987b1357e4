//! The request line, read and checked as Apache's `read_request_line` and
//! `ap_parse_request_line` do in strict mode.

use super::uri::{self, ParsedUri};
use super::{is_space, is_tchar, Limits, Rejection};

/// Apache skips at most this many empty lines before the request line
/// (`DEFAULT_LIMIT_BLANK_LINES`, plus the first read).
const BLANK_LINES: usize = 11;

/// Why a line could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineError {
    /// No LF before the end of input.
    Unterminated,
    /// Longer than the limit.
    TooLong,
    /// LF not preceded by CR (strict mode requires CRLF).
    BareLf,
    /// A NUL byte inside the line.
    Nul,
}

/// Reads CRLF-terminated lines from the start of a byte buffer.
#[derive(Debug)]
pub(super) struct LineReader<'a> {
    rest: &'a [u8],
}

impl<'a> LineReader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        LineReader { rest: bytes }
    }

    /// The next line without its CRLF.
    pub(super) fn next_line(&mut self, limit: usize) -> Result<&'a [u8], LineError> {
        let Some(lf) = self.rest.iter().position(|&b| b == b'\n') else {
            return Err(if self.rest.len() > limit { LineError::TooLong } else { LineError::Unterminated });
        };
        let raw = &self.rest[..lf];
        self.rest = &self.rest[lf + 1..];
        let line = raw.strip_suffix(b"\r").ok_or(LineError::BareLf)?;
        if line.len() > limit {
            return Err(LineError::TooLong);
        }
        if line.contains(&0) {
            return Err(LineError::Nul);
        }
        Ok(line)
    }

    /// Whatever follows the lines read so far.
    pub(super) fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// A request line Apache accepted.
#[derive(Debug, Clone)]
pub(super) struct RequestLine {
    pub(super) method: Vec<u8>,
    pub(super) uri: Vec<u8>,
    pub(super) protocol: Vec<u8>,
    /// HTTP/0.9 simple request: no protocol on the line.
    pub(super) simple: bool,
    /// Major and minor version (0.9 for a simple request).
    pub(super) version: (u8, u8),
    /// The request target split up (`apr_uri_parse`, or host:port for `CONNECT`).
    pub(super) target: ParsedUri,
}

/// Reads past leading empty lines, then reads and checks the request line.
pub(super) fn read_request_line(reader: &mut LineReader<'_>, limits: &Limits) -> Result<RequestLine, Rejection> {
    let mut line: &[u8] = b"";
    for _ in 0..BLANK_LINES {
        line = reader.next_line(limits.request_line).map_err(|e| match e {
            LineError::Unterminated => Rejection::Incomplete,
            LineError::TooLong => Rejection::RequestLineTooLong(limits.request_line),
            LineError::BareLf => Rejection::BadRequestLine("line not terminated by CRLF"),
            LineError::Nul => Rejection::BadRequestLine("NUL byte in request line"),
        })?;
        if !line.is_empty() {
            break;
        }
    }
    parse_request_line(line)
}

/// Splits and checks one request line (without CRLF, without NUL bytes).
pub(super) fn parse_request_line(line: &[u8]) -> Result<RequestLine, Rejection> {
    let bad = Rejection::BadRequestLine;
    if line.first().is_some_and(|&b| is_space(b)) {
        return Err(bad("whitespace before the method"));
    }
    let method_end = line.iter().position(|&b| !is_tchar(b)).unwrap_or(line.len());
    if method_end == 0 {
        return Err(bad("invalid method token"));
    }
    let Some(&sep) = line.get(method_end) else {
        return Err(bad("missing URI"));
    };
    if !is_space(sep) {
        return Err(bad("invalid method token"));
    }
    let method = &line[..method_end];
    let after_method = &line[method_end..];
    check_single_space(after_method)?;

    let uri_start = method_end + 1;
    let uri_end = scan_vchar_obstext(line, uri_start);
    if uri_end == uri_start {
        return Err(if uri_start >= line.len() { bad("missing URI") } else { bad("URI incorrectly encoded") });
    }
    let uri_bytes = &line[uri_start..uri_end];
    let (protocol, simple) = match line.get(uri_end) {
        None => (&line[line.len()..], true),
        Some(&b) if !is_space(b) => return Err(bad("URI incorrectly encoded")),
        Some(_) => {
            let after_uri = &line[uri_end..];
            check_single_space(after_uri)?;
            let proto_start = uri_end + 1;
            let proto_end = scan_vchar_obstext(line, proto_start);
            if let Some(&b) = line.get(proto_end) {
                return Err(if is_space(b) {
                    bad("excess whitespace after the protocol")
                } else {
                    bad("unrecognized protocol")
                });
            }
            let protocol = &line[proto_start..proto_end];
            (protocol, protocol.is_empty())
        }
    };

    let version = if simple {
        if method != b"GET" {
            return Err(bad("only GET is allowed for HTTP/0.9 requests"));
        }
        (0, 9)
    } else {
        match protocol {
            [b'H', b'T', b'T', b'P', b'/', major @ b'1'..=b'9', b'.', minor @ b'0'..=b'9'] => {
                (major - b'0', minor - b'0')
            }
            _ => return Err(bad("unrecognized protocol")),
        }
    };

    let target = if method == b"CONNECT" {
        uri::parse_hostinfo(uri_bytes).ok_or(bad("unable to parse URI"))?
    } else {
        let mut collapsed = uri_bytes;
        while collapsed.starts_with(b"//") {
            collapsed = &collapsed[1..];
        }
        uri::parse(collapsed).ok_or(bad("unable to parse URI"))?
    };
    if let Some(path) = &target.path {
        if path.first() != Some(&b'/') && !(method == b"OPTIONS" && path == b"*") {
            return Err(bad("invalid request target"));
        }
    }
    if target.fragment.is_some() {
        return Err(bad("URI must not contain a fragment"));
    }
    if target.user.is_some() || target.password.is_some() {
        return Err(bad("URI must not contain a username/password"));
    }

    Ok(RequestLine {
        method: method.to_vec(),
        uri: uri_bytes.to_vec(),
        protocol: protocol.to_vec(),
        simple,
        version,
        target,
    })
}

/// `rest` starts with the whitespace after a token: it must be exactly one SP, not followed by
/// more whitespace (strict mode).
fn check_single_space(rest: &[u8]) -> Result<(), Rejection> {
    match rest {
        [b' '] => Ok(()),
        [b' ', next, ..] if !is_space(*next) => Ok(()),
        [b' ', ..] => Err(Rejection::BadRequestLine("excess whitespace")),
        _ => Err(Rejection::BadRequestLine("invalid whitespace")),
    }
}

/// End of the run of visible characters and obs-text starting at `from`.
fn scan_vchar_obstext(line: &[u8], from: usize) -> usize {
    let from = from.min(line.len());
    line[from..].iter().position(|&b| !(0x21..=0x7e).contains(&b) && b < 0x80).map_or(line.len(), |p| from + p)
}
