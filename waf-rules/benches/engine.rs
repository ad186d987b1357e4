//! The rule engine alone, without a network or a proxy: the OWASP CRS at paranoia level 1 in
//! blocking mode (benches/crs-pl1.conf), one full transaction (phases 1, 2 and 5) per iteration
//! for a clean browser GET, a clean 4 KB urlencoded POST with 35 arguments (the body
//! ModSecurity was measured with) and an XSS attack that the CRS blocks.
//!
//! `cargo bench -p waf-rules --bench engine`; the target of issue 3 is a clean GET under 50 µs.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use waf_rules::engine::{Connection, Intervention, RuleSet, Transaction};

/// One request as the proxy hands it to the engine.
struct Request {
    method: &'static [u8],
    uri: &'static [u8],
    headers: Vec<(&'static [u8], Vec<u8>)>,
    body: Vec<u8>,
}

/// Headers a desktop browser sends for a page it follows a link to.
fn browser_headers() -> Vec<(&'static [u8], Vec<u8>)> {
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

fn clean_get() -> Request {
    Request { method: b"GET", uri: b"/products/view?id=1234&ref=home", headers: browser_headers(), body: Vec::new() }
}

fn attack_get() -> Request {
    Request { method: b"GET", uri: b"/?q=<script>alert(1)</script>", headers: browser_headers(), body: Vec::new() }
}

/// The body of shared/labs/modsec-nginx/wrk-post4k.lua: 4,073 bytes, 35 arguments.
fn post_body() -> Vec<u8> {
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
fn clean_post() -> Request {
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

/// One transaction: phases 1 and 2 (unless phase 1 decided), then logging. Returns the
/// intervention and the ids of the logging rules that matched (the CRS's `nolog` setup and
/// bookkeeping rules match on every request).
fn run(rules: &RuleSet, conn: &Connection, req: &Request) -> (Option<Intervention>, Vec<u64>) {
    let mut tx = Transaction::new(rules, conn);
    let headers = req.headers.iter().map(|(n, v)| (*n, v.as_slice()));
    let mut decided = tx.process_request_headers(req.method, req.uri, b"HTTP/1.1", headers);
    if decided.is_none() {
        decided = tx.process_request_body(&req.body, false);
    }
    tx.process_logging();
    (decided, tx.matched().iter().filter(|m| m.log).map(|m| m.id).collect())
}

fn engine(c: &mut Criterion) {
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/crs-pl1.conf");
    let rules = RuleSet::from_file(&conf).unwrap_or_else(|e| panic!("{e}"));
    let conn = Connection {
        client_ip: "192.0.2.10".into(),
        client_port: 51234,
        server_ip: "192.0.2.1".into(),
        server_port: 443,
        unique_id: "bench-0000000001".into(),
    };
    let get = clean_get();
    let post = clean_post();
    let attack = attack_get();
    assert_eq!(post.body.len(), 4073);

    // What is measured must be what it says: clean requests pass untouched, the attack is blocked
    // by the anomaly score (949110) at the end of phase 2's inbound evaluation... or phase 1's.
    for (name, req) in [("clean GET", &get), ("clean POST", &post)] {
        let (decided, matched) = run(&rules, &conn, req);
        assert!(decided.is_none() && matched.is_empty(), "{name}: {decided:?}, rules {matched:?} matched");
    }
    let (decided, _) = run(&rules, &conn, &attack);
    assert_eq!(decided.map(|i| (i.status, i.rule_id)), Some((403, 949110)), "the attack is blocked");

    let mut group = c.benchmark_group("crs_pl1_blocking");
    group.throughput(Throughput::Elements(1));
    group.bench_function("clean_get", |b| b.iter(|| run(&rules, &conn, black_box(&get))));
    group.bench_function("clean_post_4k", |b| b.iter(|| run(&rules, &conn, black_box(&post))));
    group.bench_function("attack_get_xss", |b| b.iter(|| run(&rules, &conn, black_box(&attack))));
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
