//! albedo's `/reflect` contract and default endpoint.

use super::super::albedo::{detect_content_type, reflect, respond, BackendResponse};
use crate::request::RawRequest;

fn post(path: &str, body: &str) -> RawRequest {
    let raw = format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    match RawRequest::parse(raw.as_bytes()) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn headers(response: &BackendResponse) -> Vec<(String, String)> {
    response
        .headers
        .iter()
        .map(|(n, v)| (String::from_utf8_lossy(n).into_owned(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

#[test]
fn reflects_status_headers_and_body() {
    let r = respond(&post(
        "/reflect",
        r#"{"status": 418, "headers": {"x-test": "a", "Content-Type": "text/plain"}, "body": "teapot", "logMessage": "t1"}"#,
    ));
    assert_eq!(r.status, 418);
    assert_eq!(r.body, b"teapot");
    assert_eq!(r.log_message.as_deref(), Some("t1"));
    // Names canonicalised, sorted; Content-Length added.
    assert_eq!(
        headers(&r),
        vec![
            ("Content-Length".into(), "6".into()),
            ("Content-Type".into(), "text/plain".into()),
            ("X-Test".into(), "a".into()),
        ]
    );
}

#[test]
fn defaults_sniffing_and_encoded_bodies() {
    // Status 0 or absent is 200; a body without Content-Type gets Go's sniffed type.
    let r = respond(&post("/reflect", r#"{"body":"<?php echo \"Hello World!\n\" ?>"}"#));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some(&b"text/plain; charset=utf-8"[..]));
    let r = respond(&post("/reflect/", r#"{"body":"<html><body>x</body></html>"}"#));
    assert_eq!(r.header("Content-Type"), Some(&b"text/html; charset=utf-8"[..]));
    // encodedBody is used when body is empty; field names are case-insensitive.
    let r = respond(&post("/reflect/sub?x=1", r#"{"Status": 201, "encodedBody": "aGVsbG8="}"#));
    assert_eq!((r.status, r.body.as_slice()), (201, &b"hello"[..]));
    // body wins over encodedBody.
    assert_eq!(reflect(&post("/reflect", r#"{"body": "a", "encodedBody": "Yg=="}"#)).body, b"a");
    // An empty spec is an empty 200.
    let r = reflect(&post("/reflect", "{}"));
    assert_eq!((r.status, r.body.len(), headers(&r)), (200, 0, vec![("Content-Length".into(), "0".into())]));
}

#[test]
fn errors_answer_400_with_albedos_messages() {
    let r = reflect(&post("/reflect", "not json"));
    assert_eq!((r.status, r.body.as_slice()), (400, &b"Invalid JSON in request body"[..]));
    let r = reflect(&post("/reflect", r#"{"status": "200"}"#));
    assert_eq!(r.status, 400);
    let r = reflect(&post("/reflect", r#"{"status": 600, "headers": {"X-A": "1"}}"#));
    assert_eq!((r.status, r.body.as_slice()), (400, &b"Invalid status code: 600"[..]));
    assert_eq!(r.header("X-A"), Some(&b"1"[..]));
    assert_eq!(reflect(&post("/reflect", r#"{"status": 99}"#)).status, 400);
    // A bad encodedBody keeps the status and answers the error text.
    let r = reflect(&post("/reflect", r#"{"status": 202, "encodedBody": "%%%"}"#));
    assert_eq!((r.status, r.body.as_slice()), (202, &b"invalid base64 encoding of response body"[..]));
}

#[test]
fn invalid_header_fields_are_dropped_or_cleaned() {
    let r = reflect(&post("/reflect", r#"{"headers": {"Bad Name": "x", "X-Split": " a\r\nb "}}"#));
    assert_eq!(r.header("Bad Name"), None);
    assert_eq!(r.header("X-Split"), Some(&b"a  b"[..]));
}

#[test]
fn other_requests_get_an_empty_200() {
    let get = RawRequest::parse(b"GET /reflect HTTP/1.1\r\nHost: a\r\n\r\n").ok();
    let r = get.as_ref().map(respond);
    assert_eq!(r.as_ref().map(|r| (r.status, r.body.len())), Some((200, 0)));
    let r = respond(&post("/post", r#"{"status": 500}"#));
    assert_eq!((r.status, r.body.len()), (200, 0));
    let r = respond(&post("/reflection", r#"{"status": 500}"#));
    assert_eq!(r.status, 200);
}

#[test]
fn content_sniffing_table() {
    let cases: &[(&[u8], &str)] = &[
        (b"  <!DOCTYPE html>", "text/html; charset=utf-8"),
        (b"<p>x", "text/html; charset=utf-8"),
        (b"<pre>", "text/plain; charset=utf-8"),
        (b"\n<?xml version", "text/xml; charset=utf-8"),
        (b"%PDF-1.4", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\x1f\x8b\x08\x00", "application/x-gzip"),
        (b"\xef\xbb\xbfhi", "text/plain; charset=utf-8"),
        (b"plain text", "text/plain; charset=utf-8"),
        (b"bin\x00ary", "application/octet-stream"),
        (b"", "text/plain; charset=utf-8"),
    ];
    for (data, expected) in cases {
        assert_eq!(detect_content_type(data), *expected, "{:?}", String::from_utf8_lossy(data));
    }
}
