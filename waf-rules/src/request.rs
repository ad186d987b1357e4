//! Raw HTTP/1.x requests as a client sent them, read the way Apache httpd reads them.
//!
//! The CRS regression tests were written against Apache httpd (`HttpProtocolOptions Strict
//! LenientMethods Allow0.9`, its default) in front of ModSecurity. Apache refuses some requests
//! before any module sees them; [`RawRequest::parse`] reports those as a [`Rejection`] carrying
//! the status Apache answers, and otherwise hands back the request as Apache passes it to
//! ModSecurity.
//!
//! # Organization
//! - [`line`]: the request line (`ap_parse_request_line`).
//! - [`headers`]: the header block (`ap_get_mime_headers_core`, strict mode).
//! - [`uri`]: the request target split into scheme, authority, path, query (`apr_uri_parse`).
//! - [`host`]: `Host` validation (`fix_hostname` and the strict host check).
//! - [`body`]: `Content-Length` / `Transfer-Encoding` framing and chunked decoding.
//! - [`derived`]: the pieces ModSecurity variables are made of (`REQUEST_LINE`, `QUERY_STRING`, ...).

mod body;
pub mod derived;
mod headers;
mod host;
mod line;
pub mod uri;

#[cfg(test)]
mod tests;

pub use body::BodyError;

/// Apache's request size limits (`LimitRequestLine`, `LimitRequestFieldSize`, `LimitRequestFields`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest request line, CRLF excluded (`LimitRequestLine`, default 8190).
    pub request_line: usize,
    /// Longest header line, CRLF excluded (`LimitRequestFieldSize`, default 8190).
    pub field_size: usize,
    /// Most header fields (`LimitRequestFields`, default 100).
    pub fields: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { request_line: 8190, field_size: 8190, fields: 100 }
    }
}

/// One header field: name and value bytes.
pub type Header = (Vec<u8>, Vec<u8>);

/// A request Apache accepted, as it hands it to ModSecurity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// The method token as sent (`GET`, `|GET`, `REALLYLONGUNREALMETHOD`).
    pub method: Vec<u8>,
    /// The request target exactly as sent (`/a%20b?x=1`, `*`, `http://host/`, `1.2.3.4:80`).
    pub uri: Vec<u8>,
    /// The protocol as sent (`HTTP/1.1`, `HTTP/4.0`); `HTTP/0.9` for a simple request with no
    /// protocol, which Apache answers with a bare body (no status line).
    pub protocol: Vec<u8>,
    /// Header fields in the order sent. Values are trimmed of surrounding blanks and obs-folds
    /// are joined with one space, as Apache stores them; same-name fields are not merged.
    /// Apache's own edits are applied: `Content-Length` is dropped when `Transfer-Encoding` is
    /// present, and `Host` takes the authority of an absolute `http://` request target.
    pub headers: Vec<Header>,
    /// The body after framing: `Content-Length` bytes, or the de-chunked data. Bytes sent after
    /// it belong to the next request on the connection and are not kept.
    pub body: Vec<u8>,
    /// Set when the body could not be read. Apache has then already run ModSecurity phase 1;
    /// reading the body for phase 2 fails. See [`BodyError`].
    pub body_error: Option<BodyError>,
}

/// Why Apache refused a request before ModSecurity saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The connection ended before a complete request line and header block; Apache keeps
    /// waiting and the client sees a timeout, not an answer.
    #[error("request head is incomplete")]
    Incomplete,
    /// The request line is longer than `LimitRequestLine` (414).
    #[error("request line longer than {0} bytes")]
    RequestLineTooLong(usize),
    /// The request line is malformed: bad method token, whitespace, URI, protocol (400).
    #[error("bad request line: {0}")]
    BadRequestLine(&'static str),
    /// A header line is malformed: no colon, bad name, control characters, bad folding (400).
    #[error("bad header field: {0}")]
    BadHeader(&'static str),
    /// A header line is longer than `LimitRequestFieldSize` (400).
    #[error("header field longer than {0} bytes")]
    HeaderTooLong(usize),
    /// More header fields than `LimitRequestFields` (400).
    #[error("more than {0} header fields")]
    TooManyHeaders(usize),
    /// `Content-Length` is not a plain decimal number (400).
    #[error("invalid Content-Length")]
    BadContentLength,
    /// `Transfer-Encoding` does not end in `chunked` (400).
    #[error("unsupported Transfer-Encoding")]
    BadTransferEncoding,
    /// The host name (from `Host` or an absolute URI) is malformed (400).
    #[error("malformed host name")]
    BadHost,
    /// An HTTP/1.1 (or later) request names no host (400).
    #[error("HTTP/1.1 request without host name")]
    MissingHost,
    /// `Expect` holds something other than `100-continue` (417).
    #[error("unsupported expectation")]
    UnsupportedExpectation,
}

impl Rejection {
    /// The status Apache answers with; `None` when the client gets no answer at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            Rejection::Incomplete => None,
            Rejection::RequestLineTooLong(_) => Some(414),
            Rejection::UnsupportedExpectation => Some(417),
            Rejection::BadRequestLine(_)
            | Rejection::BadHeader(_)
            | Rejection::HeaderTooLong(_)
            | Rejection::TooManyHeaders(_)
            | Rejection::BadContentLength
            | Rejection::BadTransferEncoding
            | Rejection::BadHost
            | Rejection::MissingHost => Some(400),
        }
    }
}

// === impl RawRequest ===

impl RawRequest {
    /// Reads one request from the bytes a client sent, with Apache's default limits.
    pub fn parse(bytes: &[u8]) -> Result<RawRequest, Rejection> {
        Self::parse_with(bytes, &Limits::default())
    }

    /// Reads one request from the bytes a client sent.
    pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<RawRequest, Rejection> {
        let mut reader = line::LineReader::new(bytes);
        let parsed = line::read_request_line(&mut reader, limits)?;
        if parsed.simple {
            // HTTP/0.9: Apache reads no headers and no body.
            return Ok(RawRequest {
                method: parsed.method,
                uri: parsed.uri,
                protocol: b"HTTP/0.9".to_vec(),
                headers: Vec::new(),
                body: Vec::new(),
                body_error: None,
            });
        }
        let mut headers = headers::read_headers(&mut reader, limits)?;
        let framing = body::framing(&mut headers)?;
        host::check(&parsed, &mut headers)?;
        let (body, body_error) = body::read(reader.rest(), framing);
        Ok(RawRequest { method: parsed.method, uri: parsed.uri, protocol: parsed.protocol, headers, body, body_error })
    }

    /// True for an HTTP/0.9 simple request (`GET /` with no protocol).
    pub fn is_simple(&self) -> bool {
        self.protocol == b"HTTP/0.9"
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v.as_slice())
    }

    /// All values of header `name` (case-insensitive), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v.as_slice())
    }
}

/// Splits `value` at commas and merges same-name headers as Apache's `apr_table_compress` does,
/// then returns the merged value of `name` (`5, 5` for two `Content-Length: 5`).
fn merged(headers: &[Header], name: &str) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    for (n, v) in headers {
        if n.eq_ignore_ascii_case(name.as_bytes()) {
            match out.as_mut() {
                Some(acc) => {
                    acc.extend_from_slice(b", ");
                    acc.extend_from_slice(v);
                }
                None => out = Some(v.clone()),
            }
        }
    }
    out
}

/// Apache's `apr_isspace`: SP, HT, LF, VT, FF, CR.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// RFC 7230 `tchar`, as `ap_scan_http_token` accepts.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
