//! The requests both engine benchmarks send (benches/engine.rs and benches/operators.rs), the
//! connection they arrive on, the rule set they meet, and one transaction over them.

#![allow(dead_code)] // Each bench uses its own part.

use std::path::PathBuf;

use waf_rules::engine::{Connection, Intervention, RuleSet, Transaction};

/// One request as the proxy hands it to the engine.
pub struct Request {
    pub method: &'static [u8],
    pub uri: &'static [u8],
    pub headers: Vec<(&'static [u8], Vec<u8>)>,
    pub body: Vec<u8>,
}

/// Headers a desktop browser sends for a page it follows a link to.
pub fn browser_headers() -> Vec<(&'static [u8], Vec<u8>)> {
    let h: [(&[u8], &str); 7] = [
        (b"Host", "www.example.com"),
        (
            b"User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        ),
        (b"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
        (b"Accept-Language", "en-US,en;q=0.9,de;q=0.8"),
        (b"Accept-Encoding", "gzip, deflate, br, zstd"),
        (b"Cookie", "session=3f9a1c2e7b4d8a60c1d2e3f4a5b6c7d8; theme=dark"),
        (b"Referer", "https://www.example.com/products?page=2"),
    ];
    h.iter().map(|(n, v)| (*n, v.as_bytes().to_vec())).collect()
}

pub fn clean_get() -> Request {
    Request { method: b"GET", uri: b"/products/view?id=1234&ref=home", headers: browser_headers(), body: Vec::new() }
}

pub fn attack_get() -> Request {
    Request { method: b"GET", uri: b"/?q=<script>alert(1)</script>", headers: browser_headers(), body: Vec::new() }
}

/// The body of shared/labs/modsec-nginx/wrk-post4k.lua: 4,073 bytes, 35 arguments.
pub fn post_body() -> Vec<u8> {
    let words = "lorem+ipsum+dolor+sit+amet+consectetur+adipiscing+elit+sed+do+eiusmod+tempor+incididunt+ut+labore+et+dolore+magna+aliqua";
    let mut body = String::from("name=John+Smith&email=john.smith%40example.com&phone=%2B1+555+0100&city=Springfield");
    let mut i = 0;
    while body.len() < 4000 {
        i += 1;
        body.push_str(&format!("&field{i}={words}"));
    }
    body.into_bytes()
}

/// The POST as wrk sends it with that script.
pub fn clean_post() -> Request {
    let body = post_body();
    let headers = vec![
        (&b"Host"[..], b"localhost".to_vec()),
        (b"User-Agent", b"wrk-bench/4.1".to_vec()),
        (b"Accept", b"text/html".to_vec()),
        (b"Content-Type", b"application/x-www-form-urlencoded".to_vec()),
        (b"Content-Length", body.len().to_string().into_bytes()),
    ];
    Request { method: b"POST", uri: b"/", headers, body }
}

/// The client connection of every bench request.
pub fn connection() -> Connection {
    Connection {
        client_ip: "192.0.2.10".into(),
        client_port: 51234,
        server_ip: "192.0.2.1".into(),
        server_port: 443,
        unique_id: "bench-0000000001".into(),
    }
}

/// The rule set: the CRS at paranoia level 1, blocking (benches/crs-pl1.conf).
pub fn conf() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/crs-pl1.conf")
}

/// One transaction: phases 1 and 2 (unless phase 1 decided), then logging. Returns the
/// intervention and the ids of the logging rules that matched (the CRS's `nolog` setup and
/// bookkeeping rules match on every request).
pub fn run(rules: &RuleSet, conn: &Connection, req: &Request) -> (Option<Intervention>, Vec<u64>) {
    let mut tx = Transaction::new(rules, conn);
    let headers = req.headers.iter().map(|(n, v)| (*n, v.as_slice()));
    let mut decided = tx.process_request_headers(req.method, req.uri, b"HTTP/1.1", headers);
    if decided.is_none() {
        decided = tx.process_request_body(&req.body, false);
    }
    tx.process_logging();
    (decided, tx.matched().iter().filter(|m| m.log).map(|m| m.id).collect())
}
