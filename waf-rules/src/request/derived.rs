//! The request-line pieces ModSecurity variables are made of, derived from a [`RawRequest`]
//! without decoding anything.
//!
//! | variable | function |
//! | --- | --- |
//! | `REQUEST_LINE` | [`request_line`] |
//! | `REQUEST_METHOD`, `REQUEST_PROTOCOL`, `REQUEST_URI_RAW` | the fields of [`RawRequest`] |
//! | `REQUEST_URI` | [`RawRequest::uri`] (ModSecurity v3 keeps it undecoded) |
//! | `REQUEST_FILENAME` | [`filename`] |
//! | `REQUEST_BASENAME` | [`basename`] |
//! | `QUERY_STRING` | [`query_string`] |

use super::uri::{self, ParsedUri};
use super::RawRequest;

/// `METHOD SP URI [SP PROTOCOL]`, rebuilt with single spaces as Apache's `the_request`; a
/// simple (HTTP/0.9) request has no protocol part.
pub fn request_line(request: &RawRequest) -> Vec<u8> {
    let mut line = request.method.clone();
    line.push(b' ');
    line.extend_from_slice(&request.uri);
    if !request.is_simple() {
        line.push(b' ');
        line.extend_from_slice(&request.protocol);
    }
    line
}

/// The request target split up (host and port for `CONNECT`).
pub fn target(request: &RawRequest) -> ParsedUri {
    let parsed =
        if request.method == b"CONNECT" { uri::parse_hostinfo(&request.uri) } else { uri::parse(&request.uri) };
    parsed.unwrap_or_default()
}

/// The path of the target, undecoded (`/a%20b` for `/a%20b?x=1`); empty when there is none.
pub fn filename(request: &RawRequest) -> Vec<u8> {
    target(request).path.unwrap_or_default()
}

/// The last segment of [`filename`] (`b.php` for `/a/b.php`).
pub fn basename(request: &RawRequest) -> Vec<u8> {
    let path = filename(request);
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => path[slash + 1..].to_vec(),
        None => path,
    }
}

/// What follows the first `?` of the target, undecoded; `None` without `?`.
pub fn query_string(request: &RawRequest) -> Option<Vec<u8>> {
    target(request).query
}
