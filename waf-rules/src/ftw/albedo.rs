//! The albedo backend the CRS tests run behind, as a plain function: `POST /reflect` answers
//! with the status, headers and body described by the JSON request body; every other request
//! gets an empty 200. Response-phase tests (RESPONSE-95x) rely on `/reflect`.
//!
//! Behaviour follows albedo's `server.go` on Go's `net/http`: header names canonicalised and
//! written sorted, invalid names dropped, a `Content-Type` sniffed from the body when none is
//! given (`http.DetectContentType`), `Content-Length` set. The `Date` header is left out.

mod sniff;

use super::goenc::{base64_decode, canonical_key};
use crate::request::{derived, Header, RawRequest};

pub use sniff::detect_content_type;

/// What the backend answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendResponse {
    /// Status code.
    pub status: u16,
    /// Header fields, in the order written.
    pub headers: Vec<Header>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// The spec's `logMessage`, which albedo writes to its own log.
    pub log_message: Option<String>,
}

impl BackendResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v.as_slice())
    }
}

/// Answers `request` as albedo does: `/reflect` for `POST /reflect` and `POST /reflect/...`,
/// an empty 200 for everything else.
pub fn respond(request: &RawRequest) -> BackendResponse {
    let path = derived::filename(request);
    let reflect_path = path == b"/reflect" || path.starts_with(b"/reflect/");
    if request.method == b"POST" && reflect_path {
        reflect(request)
    } else {
        finish(200, Vec::new(), Vec::new(), None, request)
    }
}

/// The `/reflect` endpoint: the body is `{"status": 200, "headers": {..}, "body": "..",
/// "encodedBody": "base64..", "logMessage": ".."}` (field names matched case-insensitively, as
/// Go's `encoding/json` does). Errors answer 400 with albedo's messages.
pub fn reflect(request: &RawRequest) -> BackendResponse {
    let text = String::from_utf8_lossy(&request.body);
    let spec = match serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| Spec::from_json(&v)) {
        Some(spec) => spec,
        None => return finish(400, Vec::new(), b"Invalid JSON in request body".to_vec(), None, request),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in spec.headers {
        headers.push((canonical_key(&name), value));
    }
    if spec.status < 0 {
        // Go's WriteHeader panics; the server drops the connection and the proxy answers 502.
        return finish(502, Vec::new(), Vec::new(), spec.log_message, request);
    }
    if (spec.status > 0 && spec.status < 100) || spec.status >= 600 {
        let body = format!("Invalid status code: {}", spec.status).into_bytes();
        return finish(400, headers, body, spec.log_message, request);
    }
    let status = if spec.status == 0 { 200 } else { spec.status as u16 };
    let body = if !spec.body.is_empty() {
        spec.body.into_bytes()
    } else if spec.encoded_body.is_empty() {
        Vec::new()
    } else {
        // The status line is already written: a decoding error only changes the body.
        base64_decode(&spec.encoded_body).unwrap_or_else(|_| b"invalid base64 encoding of response body".to_vec())
    };
    finish(status, headers, body, spec.log_message, request)
}

/// The fields of a reflection spec.
#[derive(Debug, Default)]
struct Spec {
    status: i64,
    headers: Vec<(String, String)>,
    body: String,
    encoded_body: String,
    log_message: Option<String>,
}

impl Spec {
    /// Reads the spec like Go's `json.Unmarshal` into albedo's struct: unknown fields ignored,
    /// `null` leaves the zero value, a wrong type is an error.
    fn from_json(value: &serde_json::Value) -> Option<Spec> {
        use serde_json::Value;
        if value.is_null() {
            return Some(Spec::default());
        }
        let object = value.as_object()?;
        let field = |name: &str| {
            object.get(name).or_else(|| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
        };
        let string = |name: &str| -> Option<String> {
            match field(name) {
                None | Some(Value::Null) => Some(String::new()),
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => None,
            }
        };
        let status = match field("status") {
            None | Some(Value::Null) => 0,
            Some(Value::Number(n)) => n.as_i64()?,
            Some(_) => return None,
        };
        let headers = match field("headers") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => {
                let mut out = Vec::new();
                for (name, value) in map {
                    match value {
                        Value::String(s) => out.push((name.clone(), s.clone())),
                        Value::Null => out.push((name.clone(), String::new())),
                        _ => return None,
                    }
                }
                out
            }
            Some(_) => return None,
        };
        let log_message = string("logMessage")?;
        Some(Spec {
            status,
            headers,
            body: string("body")?,
            encoded_body: string("encodedBody")?,
            log_message: (!log_message.is_empty()).then_some(log_message),
        })
    }
}

/// What Go's server adds when writing: invalid fields dropped, values cleaned, names sorted,
/// `Content-Type` sniffed, `Content-Length` set (no body for HEAD, 1xx, 204, 304).
fn finish(
    status: u16,
    headers: Vec<(String, String)>,
    mut body: Vec<u8>,
    log_message: Option<String>,
    request: &RawRequest,
) -> BackendResponse {
    let bodyless = request.method == b"HEAD" || (100..200).contains(&status) || status == 204 || status == 304;
    let mut fields: Vec<(String, String)> = headers
        .into_iter()
        .filter(|(name, _)| !name.is_empty() && name.bytes().all(is_token))
        .map(|(name, value)| (name, clean_value(&value)))
        .collect();
    let has = |fields: &[(String, String)], name: &str| fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !bodyless && !body.is_empty() && !has(&fields, "Content-Type") {
        fields.push(("Content-Type".to_owned(), detect_content_type(&body).to_owned()));
    }
    if !bodyless && !has(&fields, "Content-Length") && !has(&fields, "Transfer-Encoding") {
        fields.push(("Content-Length".to_owned(), body.len().to_string()));
    }
    if bodyless {
        body.clear();
    }
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    BackendResponse {
        status,
        headers: fields.into_iter().map(|(n, v)| (n.into_bytes(), v.into_bytes())).collect(),
        body,
        log_message,
    }
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Go writes header values with CR and LF replaced by spaces and surrounding blanks trimmed.
fn clean_value(value: &str) -> String {
    value.replace(['\r', '\n'], " ").trim_matches(|c| c == ' ' || c == '\t').to_owned()
}
