//! The exact bytes go-ftw sends for a stage input (`getRequestFromTest` and
//! `ftwhttp.BuildRequest`): request line, headers sorted by name, the autocompleted
//! `Content-Type` / `Connection` / `Content-Length`, form-encoded data, CRLF in multipart bodies.

use super::goenc::{base64_decode, canonical_key, query_escape, query_unescape, Base64Error};
use super::schema::Input;
use super::template::{self, TemplateError};

/// Why a stage input does not describe a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `data` and `encoded_request` are both set (go-ftw refuses this too).
    #[error("'data' and 'encoded_request' must not be set simultaneously")]
    DataAndEncodedRequest,
    /// `encoded_request` or `encoded_data` is not valid base64.
    #[error("bad base64: {0}")]
    Base64(#[from] Base64Error),
    /// `data` is a template that cannot be expanded.
    #[error("data template: {0}")]
    Template(#[from] TemplateError),
    /// A schema feature go-ftw's runner does not implement either.
    #[error("unsupported input field '{0}'")]
    Unsupported(&'static str),
}

/// The value go-ftw gives `autocomplete_headers` after loading: the field, else the inverse of
/// the deprecated `stop_magic`, else true.
pub fn autocomplete(input: &Input) -> bool {
    match (input.autocomplete_headers, input.stop_magic) {
        (Some(value), _) => value,
        (None, Some(stop)) => !stop,
        (None, None) => true,
    }
}

/// Builds the bytes go-ftw writes to the socket for `input`.
pub fn request_bytes(input: &Input) -> Result<Vec<u8>, BuildError> {
    if !input.uris.is_empty() {
        return Err(BuildError::Unsupported("uris"));
    }
    if input.follow_redirect == Some(true) {
        return Err(BuildError::Unsupported("follow_redirect"));
    }
    if input.response.is_some() {
        return Err(BuildError::Unsupported("response"));
    }
    let encoded = input.encoded_request.as_deref().unwrap_or("");
    let data_given = input.data.as_deref().is_some_and(|d| !d.is_empty());
    if data_given && !encoded.is_empty() {
        return Err(BuildError::DataAndEncodedRequest);
    }
    if !encoded.is_empty() {
        return Ok(base64_decode(encoded)?);
    }
    if let Some(raw) = input.raw_request.as_deref().filter(|r| !r.is_empty()) {
        // Older go-ftw sent the deprecated raw_request verbatim.
        return Ok(raw.as_bytes().to_vec());
    }

    let method = input.method.as_deref().unwrap_or("GET");
    let uri = input.uri.as_deref().unwrap_or("/");
    let version = input.version.as_deref().unwrap_or("HTTP/1.1");
    let autocomplete = autocomplete(input);

    let mut headers: Vec<(String, String)> = input.headers.0.clone();
    headers.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut data = body_data(input)?;

    if !data.is_empty() && autocomplete {
        if !has_header(&headers, "Content-Type") {
            headers.push(("Content-Type".to_owned(), "application/x-www-form-urlencoded".to_owned()));
        }
        data = encode_form(&headers, data);
    }
    let multipart = headers
        .iter()
        .any(|(n, v)| canonical_key(n) == "Content-Type" && v.to_lowercase().contains("multipart/form-data;"));
    if multipart {
        data = lf_to_crlf(&data);
    }
    if autocomplete {
        if !has_header(&headers, "Connection") {
            headers.push(("Connection".to_owned(), "close".to_owned()));
        }
        if !has_header(&headers, "Content-Length") && (!data.is_empty() || method_permits_body(method)) {
            headers.push(("Content-Length".to_owned(), data.len().to_string()));
        }
    }

    let mut out = Vec::with_capacity(64 + data.len() + headers.len() * 32);
    out.extend_from_slice(format!("{method} {uri} {version}\r\n").as_bytes());
    for (name, value) in &headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&data);
    Ok(out)
}

/// `Input.GetData`: the expanded `data` template, else the decoded `encoded_data`.
fn body_data(input: &Input) -> Result<Vec<u8>, BuildError> {
    if let Some(data) = &input.data {
        return Ok(template::expand(data)?.into_bytes());
    }
    if let Some(encoded) = &input.encoded_data {
        return Ok(base64_decode(encoded)?);
    }
    Ok(Vec::new())
}

/// go-ftw's `Header.HasAny`: a field with the same canonical name exists.
fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| canonical_key(n) == name)
}

/// go-ftw's `methodsWithBodyRegex`, `^POST|PUT|PATCH|DELETE$`, with its precedence as written:
/// starts with POST, contains PUT or PATCH, or ends with DELETE.
fn method_permits_body(method: &str) -> bool {
    method.starts_with("POST") || method.contains("PUT") || method.contains("PATCH") || method.ends_with("DELETE")
}

/// go-ftw's `encodeDataParameters`: with a `Content-Type` of exactly (case-insensitively)
/// `application/x-www-form-urlencoded`, data that unescaping would not change has each key and
/// value of its `&`-separated pairs query-escaped. A trailing `&` is lost, as in go-ftw.
fn encode_form(headers: &[(String, String)], data: Vec<u8>) -> Vec<u8> {
    let urlencoded = headers.iter().any(|(n, v)| {
        canonical_key(n) == "Content-Type" && v.eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if !urlencoded || query_unescape(&data).as_deref() != Some(data.as_slice()) {
        return data;
    }
    let mut out = Vec::with_capacity(data.len() * 2);
    let mut remaining: &[u8] = &data;
    while !remaining.is_empty() {
        let (token, rest) = match remaining.iter().position(|&b| b == b'&') {
            Some(amp) => (&remaining[..amp], &remaining[amp + 1..]),
            None => (remaining, &b""[..]),
        };
        remaining = rest;
        match token.iter().position(|&b| b == b'=') {
            Some(eq) => {
                out.extend_from_slice(&query_escape(&token[..eq]));
                out.push(b'=');
                out.extend_from_slice(&query_escape(&token[eq + 1..]));
            }
            None => out.extend_from_slice(&query_escape(token)),
        }
        out.push(b'&');
    }
    out.pop();
    out
}

/// Every LF becomes CRLF (an existing CRLF becomes CR CR LF, as in go-ftw).
fn lf_to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}
