//! Request bytes go-ftw would send, for sample CRS tests and for each building rule.

use super::super::build::{request_bytes, BuildError};
use super::super::schema::{Headers, Input, Stage};
use super::super::TestId;
use super::crs_suite;

const ACCEPT: &str =
    "text/xml,application/xml,application/xhtml+xml,text/html;q=0.9,text/plain;q=0.8,image/png,*/*;q=0.5";

fn crs_stage(rule: u64, test: u64) -> Stage {
    let suite = crs_suite();
    match suite.cases.into_iter().find(|c| c.id == TestId { rule, test }) {
        Some(case) => case.test.stages.into_iter().next().unwrap_or_default(),
        None => panic!("{rule}-{test} missing"),
    }
}

fn built(input: &Input) -> String {
    match request_bytes(input) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn crs_get_with_sorted_headers_and_connection_close() {
    // 920100-1: headers written sorted by name, then Connection: close; no body, no length.
    let expected = format!(
        "GET /get HTTP/1.1\r\nAccept: {ACCEPT}\r\nHost: localhost\r\nUser-Agent: OWASP CRS test agent\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(built(&crs_stage(920100, 1).input), expected);
}

#[test]
fn crs_post_data_gets_form_type_encoding_and_length() {
    // 933160-2: `data: eval($foo)` without Content-Type: go-ftw adds the form type, escapes the
    // data (no '=' in it, so all of it) and appends Connection and Content-Length.
    let expected = format!(
        "POST /post HTTP/1.1\r\nAccept: {ACCEPT}\r\nHost: localhost\r\nUser-Agent: OWASP CRS test agent\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: 16\r\n\r\neval%28%24foo%29"
    );
    assert_eq!(built(&crs_stage(933160, 2).input), expected);
}

#[test]
fn crs_data_without_autocomplete_is_sent_as_written() {
    // 920460-1: autocomplete_headers false: no extra headers, data not escaped.
    let expected = format!(
        "POST / HTTP/1.1\r\nAccept: {ACCEPT}\r\nContent-Length: 22\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Host: localhost\r\nUser-Agent: OWASP CRS test agent\r\n\r\nfile=cat+/etc/\\passw\\d"
    );
    assert_eq!(built(&crs_stage(920460, 1).input), expected);
    // 920180-3: POST without data or autocomplete: no Content-Length at all.
    let text = built(&crs_stage(920180, 3).input);
    assert!(!text.contains("\r\nContent-Length:") && !text.contains("\r\nConnection:"), "{text}");
}

#[test]
fn crs_encoded_request_is_decoded_verbatim() {
    // 920171-1: base64 with line breaks inside (go ignores them).
    let expected = "POST / HTTP/1.1\r\nAccept: */*\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\
                    User-Agent: ModSecurity CRS 3 Tests\r\n\r\n3\r\nHi \r\n3\r\nCRS\r\n0\r\n\r\n";
    assert_eq!(built(&crs_stage(920171, 1).input), expected);
    // 920290-4: HTTP/1.0 with an empty Host; uri/version fields are ignored.
    assert_eq!(built(&crs_stage(920290, 4).input), "GET / HTTP/1.0\r\nHost:\r\n\r\n");
}

#[test]
fn crs_multipart_template_data() {
    // 920400-2: `{{ "1" | repeat 152 }}` expands; multipart data gets CRLF line ends; the
    // length counts the converted body.
    let body = format!(
        "----------111111\r\nContent-Disposition: form-data; name=\"smallfile\"; filename=\"file.txt\"\r\n\
         Content-Type: text/plain\r\n{}\r\n----------111111--\r\n",
        "1".repeat(152)
    );
    let expected = format!(
        "POST / HTTP/1.1\r\nAccept: {ACCEPT}\r\nContent-Type: multipart/form-data; boundary=--------111111\r\n\
         Host: localhost\r\nUser-Agent: OWASP CRS test agent\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(built(&crs_stage(920400, 2).input), expected);
}

#[test]
fn crs_empty_version_sends_no_protocol() {
    let text = built(&crs_stage(920430, 5).input);
    assert!(text.starts_with("GET / \r\nAccept: "), "{text}");
}

fn input(yaml: &str) -> Input {
    match serde_yaml_ng::from_str(yaml) {
        Ok(input) => input,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn defaults_and_scalar_headers() {
    let i = input("headers:\n  X-Num: 22\n  X-Bool: true\n  X-Null:\n  a-lower: x\n");
    assert_eq!(
        i.headers,
        Headers(vec![
            ("X-Num".into(), "22".into()),
            ("X-Bool".into(), "true".into()),
            ("X-Null".into(), "".into()),
            ("a-lower".into(), "x".into()),
        ])
    );
    // Defaults GET / HTTP/1.1; byte-order sort puts upper case first.
    assert_eq!(
        built(&i),
        "GET / HTTP/1.1\r\nX-Bool: true\r\nX-Null: \r\nX-Num: 22\r\na-lower: x\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn form_encoding_rules() {
    let form = |data: &str| {
        let i = input(&format!("method: POST\nautocomplete_headers: true\ndata: {data:?}\n"));
        let text = built(&i);
        text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
    };
    assert_eq!(form("a=1 2&b=<x>"), "a=1+2&b=%3Cx%3E");
    assert_eq!(form("k=v=w"), "k=v%3Dw");
    // A trailing '&' is lost, empty pairs kept.
    assert_eq!(form("a=1&&b=2&"), "a=1&&b=2");
    // Data that unescaping changes ('+', valid %XX) or cannot unescape is left alone.
    assert_eq!(form("a=1+2"), "a=1+2");
    assert_eq!(form("a=%41 b"), "a=%41 b");
    assert_eq!(form("a=%zz b"), "a=%zz b");
    // A different Content-Type: no escaping.
    let i = input("method: POST\nheaders:\n  content-type: application/json\ndata: 'a b'\n");
    assert!(built(&i).ends_with("content-type: application/json\r\nConnection: close\r\nContent-Length: 3\r\n\r\na b"));
}

#[test]
fn content_length_for_body_methods_and_existing_headers() {
    // Methods matching go-ftw's `^POST|PUT|PATCH|DELETE$` get `Content-Length: 0`.
    for (method, has) in [
        ("POST", true),
        ("PUT", true),
        ("XPUTX", true),
        ("PATCH", true),
        ("DELETE", true),
        ("GET", false),
        ("DELETEX", false),
    ] {
        let text = built(&input(&format!("method: {method}\n")));
        assert_eq!(text.contains("Content-Length: 0\r\n"), has, "{method}");
    }
    // Existing Connection / Content-Length (any case) are kept as they are.
    let text = built(&input("method: POST\nheaders:\n  connection: keep-alive\n  content-length: 5\ndata: abc\n"));
    assert_eq!(text, "POST / HTTP/1.1\r\nconnection: keep-alive\r\ncontent-length: 5\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nabc");
    // stop_magic is the deprecated inverse of autocomplete_headers.
    assert_eq!(built(&input("stop_magic: true\n")), "GET / HTTP/1.1\r\n\r\n");
}

#[test]
fn multipart_crlf_applies_without_autocomplete_too() {
    let i = input("autocomplete_headers: false\nheaders:\n  Content-Type: 'multipart/form-data; boundary=x'\ndata: \"--x\\nA\\r\\n\"\n");
    assert_eq!(built(&i), "GET / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\n\r\n--x\r\nA\r\r\n");
}

#[test]
fn encoded_data_and_errors() {
    assert!(built(&input("method: POST\nencoded_data: YT0x\n")).ends_with("\r\n\r\na=1"));
    assert_eq!(request_bytes(&input("data: x\nencoded_request: YQ==\n")), Err(BuildError::DataAndEncodedRequest));
    assert!(matches!(request_bytes(&input("encoded_request: 'Y*=='\n")), Err(BuildError::Base64(_))));
    assert!(matches!(request_bytes(&input("data: '{{ nope }}'\n")), Err(BuildError::Template(_))));
    assert_eq!(request_bytes(&input("uris: [/a, /b]\n")), Err(BuildError::Unsupported("uris")));
    assert_eq!(
        request_bytes(&input("raw_request: \"GET /x HTTP/1.0\\r\\n\\r\\n\"\n")),
        Ok(b"GET /x HTTP/1.0\r\n\r\n".to_vec())
    );
}
