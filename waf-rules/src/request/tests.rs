//! Tests of the raw request parser: what Apache accepts, how it frames bodies, what it refuses.

use super::*;

fn ok(raw: &str) -> RawRequest {
    match RawRequest::parse(raw.as_bytes()) {
        Ok(r) => r,
        Err(e) => panic!("{raw:?} rejected: {e}"),
    }
}

fn status(raw: &[u8]) -> Option<u16> {
    match RawRequest::parse(raw) {
        Ok(r) => panic!("{:?} accepted as {r:?}", String::from_utf8_lossy(raw)),
        Err(e) => e.status(),
    }
}

const HOST: &str = "Host: localhost\r\n";

#[test]
fn plain_get() {
    let r = ok("GET /a?b=c HTTP/1.1\r\nHost: localhost\r\nUser-Agent: x\r\n\r\n");
    assert_eq!(r.method, b"GET");
    assert_eq!(r.uri, b"/a?b=c");
    assert_eq!(r.protocol, b"HTTP/1.1");
    assert_eq!(r.headers, vec![(b"Host".to_vec(), b"localhost".to_vec()), (b"User-Agent".to_vec(), b"x".to_vec())]);
    assert!(r.body.is_empty());
    assert_eq!(r.header("user-agent"), Some(&b"x"[..]));
    assert_eq!(derived::request_line(&r), b"GET /a?b=c HTTP/1.1");
    assert_eq!(derived::filename(&r), b"/a");
    assert_eq!(derived::query_string(&r), Some(b"b=c".to_vec()));
}

#[test]
fn tolerated_request_lines() {
    // Leading empty lines are skipped; any token is a method (LenientMethods).
    let r = ok(&format!("\r\n\r\n|GET /get HTTP/1.1\r\n{HOST}\r\n"));
    assert_eq!(r.method, b"|GET");
    // Any HTTP major.minor except 0.x is accepted; rule 920430 judges it.
    assert_eq!(ok(&format!("GET / HTTP/4.0\r\n{HOST}\r\n")).protocol, b"HTTP/4.0");
    // OPTIONS * and CONNECT host:port targets.
    assert_eq!(ok(&format!("OPTIONS * HTTP/1.1\r\n{HOST}\r\n")).uri, b"*");
    assert_eq!(ok(&format!("CONNECT 1.2.3.4:80 HTTP/1.1\r\n{HOST}\r\n")).uri, b"1.2.3.4:80");
    // obs-text and an absolute URI without path.
    assert_eq!(ok(&format!("GET /\u{e9} HTTP/1.1\r\n{HOST}\r\n")).uri, "/\u{e9}".as_bytes());
    assert_eq!(ok(&format!("GET http://localhost HTTP/1.1\r\n{HOST}\r\n")).uri, b"http://localhost");
    // A leading `//` is a path, not an authority.
    assert_eq!(ok(&format!("GET //etc/passwd HTTP/1.1\r\n{HOST}\r\n")).uri, b"//etc/passwd");
}

#[test]
fn simple_request_is_http09_without_headers() {
    // go-ftw with `version: ""` sends `GET / ` followed by headers: Apache reads only the line.
    let r = ok("GET / \r\nHost: localhost\r\nAccept: */*\r\n\r\n");
    assert!(r.is_simple());
    assert_eq!(r.protocol, b"HTTP/0.9");
    assert!(r.headers.is_empty());
    assert_eq!(derived::request_line(&r), b"GET /");
    assert!(ok("GET /x\r\n").is_simple());
    // Only GET may be simple.
    assert_eq!(status(b"POST /\r\n\r\n"), Some(400));
    assert_eq!(status(b"HEAD /\r\n\r\n"), Some(400));
}

#[test]
fn refused_request_lines() {
    let cases: &[&str] = &[
        "\tGET /get HTTP/1.1",                        // whitespace before the method
        "     GET /get HTTP/1.1",                     // spaces before the method
        "GET  / HTTP/1.1",                            // double space
        "GET\t/ HTTP/1.1",                            // tab separator
        "GET / HTTP/1.1 ",                            // trailing space
        "GET / HTTP/1.1 x",                           // trailing text
        "GE(T / HTTP/1.1",                            // non-token method
        "GET",                                        // no URI
        "GET / HTTP/0.9",                             // explicit 0.9
        "GET / HTTP/1.1x",                            // bad protocol
        "GET / http/1.1",                             // lowercase protocol (strict)
        "GET / 1.1",                                  // version without HTTP/
        "GET / TEST",                                 // junk protocol
        "GET / JUNK/1.0",                             // junk protocol
        "GET / HTTP\\1.0",                            // backslash
        "GET \\ HTTP/1.1",                            // target not starting with /
        "GET \\index.html HTTP\\1.0",                 // both
        "GET * HTTP/1.1",                             // * only for OPTIONS
        "GET index.html HTTP/1.1",                    // relative target
        "GET /a#frag HTTP/1.1",                       // fragment (strict)
        "GET /get/index.html:80?I=Like#tag HTTP/1.1", // fragment after query
        "GET http://u:p@localhost/ HTTP/1.1",         // user info (strict)
        "GET http://localhost:8x/ HTTP/1.1",          // bad port
        "CONNECT www.example.com HTTP/1.1",           // CONNECT needs a port
        "GET /a b HTTP/1.1",                          // space in the URI
        "GET /a\x01 HTTP/1.1",                        // control character in the URI
    ];
    for line in cases {
        let raw = format!("{line}\r\n{HOST}\r\n");
        assert_eq!(status(raw.as_bytes()), Some(400), "{line:?}");
    }
    // NUL and bare LF in the request line.
    assert_eq!(status(b"GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"), Some(400));
    assert_eq!(status(b"GET / HTTP/1.1\nHost: a\r\n\r\n"), Some(400));
    // Too long: 414.
    let long = format!("GET /{} HTTP/1.1\r\n{HOST}\r\n", "a".repeat(9000));
    assert_eq!(status(long.as_bytes()), Some(414));
}

#[test]
fn headers_as_apache_stores_them() {
    let r = ok("GET / HTTP/1.1\r\nHost: localhost\r\nX-A:   padded  \t\r\nX-B: one\r\n  two\r\n\tthree\r\nX-A: again\r\nX-E:\r\n\r\n");
    assert_eq!(r.header("x-a"), Some(&b"padded"[..]));
    assert_eq!(r.header_values("X-A").collect::<Vec<_>>(), vec![&b"padded"[..], &b"again"[..]]);
    assert_eq!(r.header("X-B"), Some(&b"one two three"[..]));
    assert_eq!(r.header("X-E"), Some(&b""[..]));
    // obs-text in values is fine.
    assert_eq!(ok("GET / HTTP/1.1\r\nHost: a\r\nX: \u{e9}\r\n\r\n").header("X"), Some("\u{e9}".as_bytes()));
}

#[test]
fn refused_headers() {
    let cases: &[&[u8]] = &[
        b"X-A : v\r\n",                                   // space before the colon
        b"No colon\r\n",                                  // no colon
        b": empty name\r\n",                              // empty name
        b"X(: v\r\n",                                     // non-token name
        b"SomeHeader: Headerdata\rInjectedHeader: x\r\n", // CR inside the value
        b"X: a\x01b\r\n",                                 // control character
        b"X: a\x7fb\r\n",                                 // DEL
        b"X: a\0b\r\n",                                   // NUL
        b"X: a\n",                                        // bare LF
    ];
    for field in cases {
        let mut raw = b"GET / HTTP/1.1\r\nHost: localhost\r\n".to_vec();
        raw.extend_from_slice(field);
        raw.extend_from_slice(b"\r\n");
        assert_eq!(status(&raw), Some(400), "{:?}", String::from_utf8_lossy(field));
    }
    assert_eq!(status(b"GET / HTTP/1.1\r\n folded first\r\nHost: a\r\n\r\n"), Some(400));
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n \r\n\r\n"), Some(400));
    let many: String = (0..101).map(|i| format!("X-{i}: v\r\n")).collect();
    assert_eq!(status(format!("GET / HTTP/1.1\r\n{HOST}{many}\r\n").as_bytes()), Some(400));
    let big = format!("GET / HTTP/1.1\r\n{HOST}X: {}\r\n\r\n", "v".repeat(9000));
    assert_eq!(status(big.as_bytes()), Some(400));
}

#[test]
fn host_rules() {
    // HTTP/1.1 needs a non-empty host; HTTP/1.0 does not.
    assert_eq!(status(b"GET / HTTP/1.1\r\n\r\n"), Some(400));
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: \r\n\r\n"), Some(400));
    assert!(RawRequest::parse(b"GET / HTTP/1.0\r\nHost:\r\n\r\n").is_ok());
    assert!(RawRequest::parse(b"GET / HTTP/1.0\r\n\r\n").is_ok());
    // An absolute URI names the host; Apache rewrites Host to it.
    let r = ok("GET http://Example.COM./x HTTP/1.1\r\nHost: other\r\n\r\n");
    assert_eq!(r.header("Host"), Some(&b"example.com"[..]));
    let r = ok("GET http://localhost:8080/x HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.header("Host"), Some(&b"localhost:8080"[..]));
    // HTTP/1.1 needs the Host field even with an absolute URI; HTTP/1.0 does not.
    assert_eq!(status(b"GET http://localhost/ HTTP/1.1\r\n\r\n"), Some(400));
    assert!(RawRequest::parse(b"GET http://localhost/ HTTP/1.0\r\n\r\n").is_ok());
    // Strict host names.
    for bad in [
        "localhost%00",
        "localhost%1F",
        "%00",
        "a_b",
        "1.2.3",
        "01.2.3.4",
        "a..b",
        "a/b",
        "80",
        "[::1%eth0]",
        "a,b",
        "host.123",
    ] {
        let raw = format!("GET / HTTP/1.1\r\nHost: {bad}\r\n\r\n");
        assert_eq!(status(raw.as_bytes()), Some(400), "{bad}");
    }
    for good in
        ["localhost", "LocalHost:80", "127.0.0.1", "127.0.0.1:8080", "[::1]", "[::1]:80", "www.example.com.", "a-b.c"]
    {
        let raw = format!("GET / HTTP/1.1\r\nHost: {good}\r\n\r\n");
        assert!(RawRequest::parse(raw.as_bytes()).is_ok(), "{good}");
    }
    // Two Host fields merge into "a, b", which is not a host name.
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), Some(400));
    // Expect other than 100-continue.
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n"), Some(417));
    assert!(RawRequest::parse(b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n").is_ok());
}

#[test]
fn content_length_framing() {
    let r = ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcdef");
    assert_eq!(r.body, b"abc");
    assert_eq!(r.body_error, None);
    let r = ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    assert_eq!(r.body, b"abc");
    assert_eq!(r.body_error, Some(BodyError::Truncated { expected: 10, got: 3 }));
    assert_eq!(r.body_error.as_ref().and_then(BodyError::status), None);
    // Without framing, trailing bytes are the next request, not a body.
    assert!(ok("POST / HTTP/1.1\r\nHost: a\r\n\r\nhi=test").body.is_empty());
    for bad in ["NotDigits", "123x", "3;", "-1", "+3", "99999999999999999999"] {
        let raw = format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {bad}\r\n\r\n");
        assert_eq!(status(raw.as_bytes()), Some(400), "{bad}");
    }
    // Two Content-Length fields merge into "3, 3".
    assert_eq!(status(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"), Some(400));
}

#[test]
fn chunked_framing() {
    let r = ok("POST / HTTP/1.1\r\nAccept: */*\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nHi \r\n3;ext=1\r\nCRS\r\n0\r\nTrailer: x\r\n\r\n");
    assert_eq!(r.body, b"Hi CRS");
    assert_eq!(r.body_error, None);
    // Content-Length is dropped when Transfer-Encoding is present.
    let r = ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nfoo=bar\r\n0\r\n\r\n");
    assert_eq!(r.body, b"foo=bar");
    assert_eq!(r.header("Content-Length"), None);
    assert!(ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n").body.is_empty());
    assert_eq!(status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"), Some(400));
    assert_eq!(status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), Some(400));
    let r = ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    assert_eq!(r.body_error.as_ref().and_then(BodyError::status), Some(400));
    let r = ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n");
    assert!(matches!(r.body_error, Some(BodyError::BadChunk(_))));
    let r = ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
    assert!(matches!(r.body_error, Some(BodyError::Truncated { .. })));
}

#[test]
fn incomplete_heads_get_no_answer() {
    assert_eq!(status(b""), None);
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: a\r\n"), None);
    assert_eq!(status(b"GET / HTTP/1.1"), None);
}

#[test]
fn never_panics_on_prefixes_of_odd_input() {
    let inputs: &[&[u8]] = &[
        b"GET http://[::1 HTTP/1.1\r\n\r\n",
        b"CONNECT [::1] HTTP/1.1\r\n\r\n",
        b"CONNECT [::1]:80 HTTP/1.1\r\n\r\n",
        b"GET http://[::1]:/ HTTP/1.1\r\nHost: [\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab",
        b"\xff\xfe / HTTP/1.1\r\n\r\n",
    ];
    for input in inputs {
        for end in 0..=input.len() {
            let _ = RawRequest::parse(&input[..end]);
        }
    }
}
