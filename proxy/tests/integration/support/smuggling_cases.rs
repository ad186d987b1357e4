//! The request-smuggling corpus: raw HTTP/1 byte strings and what a gated server must do with them.
//!
//! Shared so that the same table can be run against different fixtures: `tests/smuggling.rs` runs
//! it against a bare hyper HTTP/1 server behind `proxy::http::gate::Gate`; the proxy tests can run
//! it against the full proxy and check what the ORIGIN received. Each [`Case`] is one connection's
//! worth of bytes, written at once:
//!
//! - [`Expect::Reject`]: the head is refused. The client gets this status (`400`, or `431` for an
//!   oversized head) and the connection is closed; the server side received nothing at all, not
//!   the request and not anything smuggled in it.
//! - [`Expect::RejectBody`]: the head is fine but the chunked body is malformed. The handler's body
//!   stream fails, the client gets `400` and the connection is closed; the end of the message and
//!   anything after it never reach the server (a handler streaming the body may see a prefix).
//! - [`Expect::Valid`]: the positive control. Every listed request arrives intact, in order,
//!   with exactly this method, target and (de-chunked) body.
//!
//! Cases never rely on the connection being half-closed: a fixture may append its own request.

/// One entry of the corpus.
#[derive(Debug)]
pub struct Case {
    /// Short unique name, used in failure messages.
    pub name: &'static str,
    /// Everything the client writes on one connection.
    pub raw: Vec<u8>,
    pub expect: Expect,
}

/// What must happen to a [`Case`].
#[derive(Debug)]
pub enum Expect {
    /// Refused at the head with this status; nothing is received.
    Reject(u16),
    /// Refused in the chunked body with 400; no complete request is received.
    RejectBody,
    /// Every request arrives as listed.
    Valid(Vec<Received>),
}

/// A request as the server must see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub method: &'static str,
    /// Path and query.
    pub target: &'static str,
    pub body: &'static [u8],
}

const fn req(method: &'static str, target: &'static str, body: &'static [u8]) -> Received {
    Received { method, target, body }
}

fn reject(name: &'static str, raw: &[u8]) -> Case {
    Case { name, raw: raw.to_vec(), expect: Expect::Reject(400) }
}

fn reject_body(name: &'static str, chunked_body: &[u8]) -> Case {
    let head = b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    let raw = [head.as_slice(), chunked_body, b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"].concat();
    Case { name, raw, expect: Expect::RejectBody }
}

fn valid(name: &'static str, raw: &[u8], received: &[Received]) -> Case {
    Case { name, raw: raw.to_vec(), expect: Expect::Valid(received.to_vec()) }
}

/// The whole corpus.
pub fn cases() -> Vec<Case> {
    let oversized = [b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: ".as_slice(), &[b'a'; 70 * 1024], b"\r\n\r\n"].concat();
    vec![
        // Content-Length and Transfer-Encoding together (CL.TE and TE.CL desync).
        reject("cl_te", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"),
        reject("te_cl", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n23\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n"),
        reject("te_cl_zero", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n23\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n"),
        // Content-Length alone, ambiguous.
        reject("cl_duplicate_identical", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
        reject("cl_duplicate_different", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"),
        reject("cl_list", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello"),
        reject("cl_plus", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello"),
        reject("cl_minus", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
        reject("cl_hex", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello"),
        reject("cl_overflow", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\nhello"),
        reject("cl_overflow_wraps_to_zero", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"),
        // Transfer-Encoding other than exactly one `chunked`.
        reject("te_chunked_chunked", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
        reject("te_two_headers", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        reject("te_two_headers_identity", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n"),
        reject("te_gzip_chunked", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        reject("te_xchunked", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
        reject("te_chunked_vertical_tab", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x0b\r\n\r\n0\r\n\r\n"),
        reject("te_chunked_form_feed", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0cchunked\r\n\r\n0\r\n\r\n"),
        reject("te_space_before_colon", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
        reject("te_obs_fold", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
        reject("te_http10", b"POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        // Line ends and control characters in the head.
        reject("bare_lf_request_line", b"GET / HTTP/1.1\nHost: a\r\n\r\n"),
        reject("bare_lf_header", b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"),
        reject("bare_lf_terminator", b"GET / HTTP/1.1\r\nHost: a\r\n\n"),
        reject("bare_lf_everywhere", b"GET / HTTP/1.1\nHost: a\n\n"),
        reject("bare_cr", b"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"),
        reject("nul_in_value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"),
        reject("nul_in_request_line", b"GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"),
        reject("obs_fold", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n"),
        reject("empty_header_name", b"GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"),
        reject("duplicate_host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        // Request line.
        reject("request_line_two_spaces", b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
        reject("request_line_http12", b"GET / HTTP/1.2\r\nHost: a\r\n\r\n"),
        reject("request_line_http20", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
        reject("request_line_bad_method", b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
        // Oversized head.
        Case { name: "head_too_large", raw: oversized, expect: Expect::Reject(431) },
        // Chunked body framing.
        reject_body("chunk_size_0x", b"0x5\r\nhello\r\n0\r\n\r\n"),
        reject_body("chunk_size_leading_space", b" 5\r\nhello\r\n0\r\n\r\n"),
        reject_body("chunk_size_trailing_space", b"5 \r\nhello\r\n0\r\n\r\n"),
        reject_body("chunk_size_minus", b"-5\r\nhello\r\n0\r\n\r\n"),
        reject_body("chunk_size_17_digits", b"00000000000000005\r\nhello\r\n0\r\n\r\n"),
        reject_body("chunk_size_overflow", b"1ffffffffffffffff5\r\nhello\r\n0\r\n\r\n"),
        reject_body("chunk_ext_bare_lf", b"5;a=b\nhello\r\n0\r\n\r\n"),
        reject_body("chunk_size_bare_lf", b"5\nhello\r\n0\r\n\r\n"),
        reject_body("chunk_missing_crlf", b"5\r\nhelloXX0\r\n\r\n"),
        reject_body("chunk_data_too_long", b"3\r\nhello\r\n0\r\n\r\n"),
        reject_body("last_chunk_bare_lf", b"0\r\n\n"),
        reject_body("trailer_obs_fold", b"0\r\nX: a\r\n b\r\n\r\n"),
        // Positive controls.
        valid("get", b"GET /a?b=c HTTP/1.1\r\nHost: a\r\n\r\n", &[req("GET", "/a?b=c", b"")]),
        valid("post_content_length", b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", &[req("POST", "/p", b"hello")]),
        valid("content_length_ows", b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length:  5 \r\n\r\nhello", &[req("POST", "/p", b"hello")]),
        valid(
            "chunked_extensions_trailers",
            b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;q=\"x y\"\r\nhello\r\n5\r\nworld\r\n0\r\nX-Sum: 1\r\n\r\n",
            &[req("POST", "/c", b"helloworld")],
        ),
        valid("chunked_mixed_case", b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", &[req("POST", "/c", b"abc")]),
        valid("leading_empty_line", b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", &[req("GET", "/", b"")]),
        valid(
            "pipelined_get_post",
            b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
            &[req("GET", "/1", b""), req("POST", "/2", b"abc")],
        ),
        valid(
            "pipelined_chunked_get",
            b"POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
            &[req("POST", "/1", b"hi"), req("GET", "/2", b"")],
        ),
        valid(
            "body_looks_like_request",
            b"POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
            &[req("POST", "/1", b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")],
        ),
        valid("http10", b"GET /old HTTP/1.0\r\n\r\n", &[req("GET", "/old", b"")]),
    ]
}
