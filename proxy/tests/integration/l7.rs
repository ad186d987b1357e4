//! The L7 proxy end to end: routing, header handling, protocols, limits, timeouts, retries,
//! smuggling, and graceful shutdown, with real origins on loopback.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, Version};
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::backend::Backend;
use crate::support::harness::{self, addr, client, get, h2c_client, raw, send};
use crate::support::smuggling_cases::{cases, Expect};

/// Two origins behind host and path rules, a default backend on a second listener.
async fn routed() -> (proxy::Proxy, Backend, Backend, Backend) {
    let (a, b, d) = (Backend::start("a").await, Backend::start("b").await, Backend::start("d").await);
    let yaml = format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners:
  - {{ name: web, address: "127.0.0.1:0", protocol: http }}
  - name: withdefault
    address: "127.0.0.1:0"
    protocol: http
    default_backend: {{ backend: d }}
routes:
  - host: foo.example.com
    paths:
      - {{ path: /foo, path_type: Prefix, backend: a }}
      - {{ path: /foo/exact, path_type: Exact, backend: b }}
  - host: "*.wild.example.com"
    paths: [ {{ path: /, backend: b }} ]
  - paths:
      - {{ path: /any, backend: a }}
      - {{ path: /empty, backend: empty }}
      - {{ path: /hello, respond: {{ status: 201, body: "hi\n" }} }}
services:
  - {{ name: a, endpoints: ["{}"] }}
  - {{ name: b, endpoints: ["{}"] }}
  - {{ name: d, endpoints: ["{}"] }}
  - {{ name: empty, endpoints: [] }}
"#,
        a.addr, b.addr, d.addr
    );
    (harness::start(&yaml).await, a, b, d)
}

#[tokio::test]
async fn ingress_routing_through_the_proxy() {
    let (p, _a, _b, _d) = routed().await;
    let web = addr(&p, "web").await;
    let c = client();
    for (host, path, want) in [
        ("foo.example.com", "/foo", "a"),
        ("foo.example.com", "/foo/", "a"),
        ("foo.example.com", "/foo/bar", "a"),
        ("FOO.example.com:8080", "/foo/bar", "a"),
        ("foo.example.com", "/foo/exact", "b"),
        ("foo.example.com", "/foo/exact/", "a"),
        ("x.wild.example.com", "/anything", "b"),
        ("other.test", "/any/thing", "a"),
    ] {
        let got = get(&c, web, host, path).await;
        assert_eq!((got.status, got.backend()), (StatusCode::OK, want), "{host}{path}");
    }
    for (host, path) in [("foo.example.com", "/foobar"), ("y.x.wild.example.com", "/"), ("other.test", "/anyx")] {
        let got = get(&c, web, host, path).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{host}{path} should not match");
        assert_eq!(got.backend(), "");
    }
    // A host group with no matching path does not fall back to host-less rules.
    assert_eq!(get(&c, web, "foo.example.com", "/any").await.status, StatusCode::NOT_FOUND);
    let got = get(&c, web, "x", "/hello").await;
    assert_eq!((got.status, got.body.as_str()), (StatusCode::CREATED, "hi\n"));
    assert_eq!(get(&c, web, "x", "/empty").await.status, StatusCode::SERVICE_UNAVAILABLE);

    let other = addr(&p, "withdefault").await;
    let got = get(&c, other, "nomatch.test", "/zzz").await;
    assert_eq!((got.status, got.backend()), (StatusCode::OK, "d"));
}

#[tokio::test]
async fn forwarding_and_hop_by_hop_headers() {
    let (p, a, _b, _d) = routed().await;
    let web = addr(&p, "web").await;
    let req = Request::get(format!("http://{web}/any/h?q=1"))
        .header("host", "other.test")
        .header("connection", "keep-alive, x-secret")
        .header("x-secret", "drop me")
        .header("keep-alive", "timeout=5")
        .header("proxy-connection", "keep-alive")
        .header("te", "trailers")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-kept", "yes")
        .body(Full::default())
        .unwrap();
    let got = send(&client(), req).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.headers.get("keep-alive").is_none(), "hop-by-hop response header passed: {:?}", got.headers);
    let seen = a.received();
    let r = seen.last().expect("origin got the request");
    assert_eq!(r.uri, "/any/h?q=1");
    assert_eq!(r.headers["host"], "other.test");
    assert_eq!(r.headers["x-kept"], "yes");
    for h in ["x-secret", "keep-alive", "proxy-connection", "te", "upgrade", "trailer"] {
        assert!(r.headers.get(h).is_none(), "{h} reached the origin");
    }
    assert_eq!(r.headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
    assert_eq!(r.headers["x-forwarded-proto"], "http");
    assert_eq!(r.headers["x-forwarded-host"], "other.test");
    assert_eq!(r.headers["x-request-id"].len(), 32);
}

#[tokio::test]
async fn h2c_downstream_and_h2_upstream() {
    let a = Backend::start("a").await;
    let yaml = harness::one_origin(a.addr, "", ", protocol: http2");
    let p = harness::start(&yaml).await;
    let web = addr(&p, "web").await;
    let got = get(&h2c_client(), web, "h2.test", "/x").await;
    assert_eq!((got.status, got.backend()), (StatusCode::OK, "a"));
    let got = get(&client(), web, "h1.test", "/y").await;
    assert_eq!(got.status, StatusCode::OK);
    let seen = a.received();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.version == Version::HTTP_2), "upstream should be HTTP/2");
    assert!(seen[0].uri.ends_with("/x") && seen[0].uri.contains("h2.test"), "{}", seen[0].uri);
}

#[tokio::test]
async fn websocket_upgrade_passes_through() {
    let (p, a, _b, _d) = routed().await;
    let web = addr(&p, "web").await;
    let mut s = tokio::net::TcpStream::connect(web).await.unwrap();
    s.write_all(
        b"GET /any/ws HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut byte)).await.unwrap().unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: websocket"), "{head}");
    // A masked WebSocket text frame "hello", then raw bytes: the tunnel is byte-transparent.
    let frame = [0x81u8, 0x85, 1, 2, 3, 4, b'h' ^ 1, b'e' ^ 2, b'l' ^ 3, b'l' ^ 4, b'o' ^ 1];
    for _ in 0..3 {
        s.write_all(&frame).await.unwrap();
        let mut back = [0u8; 11];
        tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut back)).await.unwrap().unwrap();
        assert_eq!(back, frame);
    }
    let r = &a.received()[0];
    assert_eq!(r.headers["upgrade"], "websocket");
    assert!(r.headers["connection"].to_str().unwrap().eq_ignore_ascii_case("upgrade"));
}

#[tokio::test]
async fn h2c_upgrade_is_not_passed_to_the_origin() {
    let (p, a, _b, _d) = routed().await;
    let web = addr(&p, "web").await;
    let (resp, _) = raw(
        web,
        b"GET /any/h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\
          HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let r = &a.received()[0];
    for h in ["upgrade", "http2-settings", "connection"] {
        assert!(r.headers.get(h).is_none(), "{h} reached the origin: {:?}", r.headers);
    }
}

#[tokio::test]
async fn body_limit_gives_413() {
    let a = Backend::start("a").await;
    let yaml = format!(
        r#"
admin: {{ enabled: false }}
listeners: [ {{ name: web, address: "127.0.0.1:0", protocol: http, max_request_body_bytes: 1000 }} ]
routes:
  - paths:
      - {{ path: /echo, backend: a }}
      - {{ path: /big, backend: a, max_request_body_bytes: 5000 }}
services: [ {{ name: a, endpoints: ["{}"] }} ]
"#,
        a.addr
    );
    let p = harness::start(&yaml).await;
    let web = addr(&p, "web").await;
    let c = client();
    let post = |path: &str, n: usize| {
        Request::post(format!("http://{web}{path}")).body(Full::new(Bytes::from(vec![b'x'; n]))).unwrap()
    };
    let got = send(&c, post("/echo", 1000)).await;
    assert_eq!((got.status, got.body.len()), (StatusCode::OK, 1000));
    assert_eq!(send(&c, post("/echo", 1001)).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(send(&c, post("/big", 4000)).await.status, StatusCode::OK);
    // Chunked (no Content-Length): refused once the limit is crossed.
    let (resp, closed) = raw(
        web,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n"
            .iter()
            .copied()
            .chain(vec![b'y'; 1000])
            .chain(b"\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n".iter().copied())
            .collect::<Vec<u8>>()
            .as_slice(),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(closed);
    assert!(
        a.received().iter().all(|r| r.uri != "/echo" || r.body.len() <= 1000),
        "over-limit body reached the origin"
    );
}

#[tokio::test]
async fn upstream_timeout_connect_retry_and_no_endpoint() {
    let a = Backend::start("a").await;
    // A port with nothing listening: connect is refused at once.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let yaml = format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: web, address: "127.0.0.1:0", protocol: http }} ]
routes:
  - paths:
      - {{ path: /sleep, backend: slow }}
      - {{ path: /, backend: mixed }}
services:
  - name: slow
    endpoints: ["{a}"]
    timeouts: {{ response: 200ms }}
  - name: mixed
    endpoints: ["{dead}", "{a}"]
    outlier: {{ consecutive_failures: 0 }}
"#,
        a = a.addr
    );
    let p = harness::start(&yaml).await;
    let web = addr(&p, "web").await;
    let c = client();
    assert_eq!(get(&c, web, "x", "/sleep/1000").await.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(get(&c, web, "x", "/sleep/10").await.status, StatusCode::OK);
    // Round robin hits the dead endpoint every other request; each is retried on `a`.
    for _ in 0..6 {
        let got = get(&c, web, "x", "/r").await;
        assert_eq!((got.status, got.backend()), (StatusCode::OK, "a"));
    }
    let m = harness::metrics(&p).await;
    assert!(harness::metric(&m, "rampart_upstream_retries_total{service=\"mixed\"}").unwrap() >= 3.0, "{m}");
    drop(a);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Both endpoints refuse: one retry, then 502.
    assert_eq!(get(&c, web, "x", "/r").await.status, StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn smuggling_corpus_through_the_proxy() {
    let a = Backend::start("a").await;
    let yaml = harness::one_origin(a.addr, ", access_log: false", "");
    let p = harness::start(&yaml).await;
    let web = addr(&p, "web").await;
    for case in cases() {
        let before = a.count();
        let (resp, closed) = raw(web, &case.raw).await;
        let got = &a.received()[before..];
        match &case.expect {
            Expect::Reject(status) => {
                assert!(resp.starts_with(&format!("HTTP/1.1 {status}")), "{}: answered {resp:?}", case.name);
                assert!(closed, "{}: connection left open", case.name);
                assert!(got.is_empty(), "{}: origin received {got:?}", case.name);
            }
            Expect::RejectBody => {
                assert!(resp.contains("HTTP/1.1 400"), "{}: answered {resp:?}", case.name);
                assert!(closed, "{}: connection left open", case.name);
                // The origin may have seen the start of the body, never a complete request
                // after it.
                assert!(got.iter().all(|r| r.uri != "/smuggled"), "{}: smuggled {got:?}", case.name);
            }
            Expect::Valid(want) => {
                let targets: Vec<&str> = got.iter().map(|r| r.uri.as_str()).collect();
                let want_targets: Vec<&str> = want.iter().map(|w| w.target).collect();
                assert_eq!(targets, want_targets, "{}: origin received", case.name);
                for (r, w) in got.iter().zip(want) {
                    assert_eq!(r.method.as_str(), w.method, "{}", case.name);
                    assert_eq!(&r.body[..], w.body, "{}", case.name);
                }
            }
        }
    }
    // Every refusal is counted by reason. The counters are process-wide, so other tests can
    // only add to them.
    let rejects = cases().iter().filter(|c| matches!(c.expect, Expect::Reject(_))).count() as f64;
    let m = harness::metrics(&p).await;
    let counted: f64 = m
        .lines()
        .filter(|l| l.starts_with("rampart_http_rejected_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(counted >= rejects, "{counted} rejections counted for {rejects} rejected cases:\n{m}");
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let a = Backend::start("a").await;
    let yaml = harness::one_origin(a.addr, "", "");
    let p = std::sync::Arc::new(harness::start(&yaml).await);
    let web = addr(&p, "web").await;
    let slow = tokio::spawn(async move { get(&client(), web, "x", "/sleep/300").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let p2 = p.clone();
    let done = tokio::spawn(async move { p2.shutdown(Duration::from_secs(5)).await });
    let got = slow.await.unwrap();
    assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "a"));
    assert!(done.await.unwrap(), "shutdown should end cleanly");
    assert!(tokio::net::TcpStream::connect(web).await.is_err(), "listener still accepting after shutdown");
}

#[tokio::test]
async fn connect_timeout_gives_504_not_503() {
    // A listener that never accepts, with its backlog full: further connects hang.
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    sock.listen(0).unwrap();
    let black = sock.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_millis(100), tokio::net::TcpStream::connect(black)).await
        {
            fillers.push(s);
        }
    }
    let yaml = format!(
        r#"
admin: {{ enabled: false }}
listeners: [ {{ name: web, address: "127.0.0.1:0", protocol: http }} ]
routes: [ {{ paths: [ {{ path: /, backend: hole }} ] }} ]
services:
  - name: hole
    endpoints: ["{black}"]
    timeouts: {{ connect: 200ms }}
"#
    );
    let p = harness::start(&yaml).await;
    let web = addr(&p, "web").await;
    let start = std::time::Instant::now();
    let got = get(&client(), web, "x", "/").await;
    assert_eq!(got.status, StatusCode::GATEWAY_TIMEOUT);
    // One endpoint: there is nowhere to retry, so the answer is the connect timeout itself.
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(190) && took < Duration::from_secs(2), "took {took:?}");
    drop(fillers);
}

/// The response timeout of exchanges on one pooled upstream connection, which share a timer
/// re-armed lazily: a deadline that passed while the connection sat idle, or that passes
/// during a later exchange, does not cut that exchange short; a slow answer still gets 504 at
/// its own deadline.
#[tokio::test]
async fn response_timeouts_on_a_reused_connection_count_from_each_request() {
    let a = Backend::start("a").await;
    let yaml = format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: web, address: "127.0.0.1:0", protocol: http }} ]
routes: [ {{ paths: [ {{ path: /, backend: slow }} ] }} ]
services:
  - name: slow
    endpoints: ["{}"]
    timeouts: {{ response: 400ms }}
    outlier: {{ consecutive_failures: 0 }}
"#,
        a.addr
    );
    let p = harness::start(&yaml).await;
    let web = addr(&p, "web").await;
    let c = client();
    assert_eq!(get(&c, web, "x", "/sleep/10").await.status, StatusCode::OK);
    // The first exchange's deadline passes while the connection is idle in the pool.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get(&c, web, "x", "/sleep/10").await.status, StatusCode::OK, "cut short by a stale deadline");
    // The previous exchange's deadline passes during this one (at about 240 of its 300 ms).
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(get(&c, web, "x", "/sleep/300").await.status, StatusCode::OK, "cut short by an earlier deadline");
    let start = std::time::Instant::now();
    assert_eq!(get(&c, web, "x", "/sleep/2000").await.status, StatusCode::GATEWAY_TIMEOUT);
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(380) && took < Duration::from_millis(1500), "504 after {took:?}");
    assert_eq!(get(&c, web, "x", "/sleep/10").await.status, StatusCode::OK);
}
