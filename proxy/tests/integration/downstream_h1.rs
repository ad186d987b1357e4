//! rampart's own HTTP/1.1 server loop: pipelining, keep-alive rules per version, HEAD, the
//! hand-over to hyper (`Expect`, chunked and large bodies), and head timeouts that no longer
//! cap how long a kept-alive connection may rest.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::backend::Backend;
use crate::support::harness::{self, addr};

/// Reads from `s` until `n` complete responses (each framed by Content-Length) have arrived.
async fn read_responses<R: AsyncRead + Unpin>(s: &mut R, n: usize) -> Vec<(String, String)> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    while out.len() < n {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0usize);
            if buf.len() >= end + 4 + len {
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
                buf.drain(..end + 4 + len);
                out.push((head, body));
                continue;
            }
        }
        let mut chunk = [0u8; 65536];
        let k = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await.expect("response").unwrap();
        assert!(k > 0, "closed after {} responses", out.len());
        buf.extend_from_slice(&chunk[..k]);
    }
    out
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let a = Backend::start("a").await;
    let p = harness::start(&harness::one_origin(a.addr, "", "")).await;
    let mut s = TcpStream::connect(addr(&p, "web").await).await.unwrap();
    // Three requests in one write, one with a body, then a fourth after the answers.
    s.write_all(
        b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /three HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await
    .unwrap();
    let got = read_responses(&mut s, 3).await;
    assert!(got.iter().all(|(h, _)| h.starts_with("HTTP/1.1 200")), "{got:?}");
    assert_eq!(got[1].1, "hello");
    s.write_all(b"GET /four HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    read_responses(&mut s, 1).await;
    let uris: Vec<String> = a.received().iter().map(|r| r.uri.clone()).collect();
    assert_eq!(uris, ["/one", "/echo", "/three", "/four"]);
    // Each response carries a Date.
    assert!(got.iter().all(|(h, _)| h.to_ascii_lowercase().contains("\r\ndate: ")), "{got:?}");
}

#[tokio::test]
async fn keep_alive_follows_the_request_version_and_connection_header() {
    let a = Backend::start("a").await;
    let p = harness::start(&harness::one_origin(a.addr, "", "")).await;
    let web = addr(&p, "web").await;
    // HTTP/1.0 without keep-alive: answered, then closed.
    let (resp, closed) = harness::raw(web, b"GET / HTTP/1.0\r\n\r\n").await;
    assert!(resp.starts_with("HTTP/1.1 200") && closed, "{resp}");
    assert!(resp.to_ascii_lowercase().contains("connection: close"), "{resp}");
    // HTTP/1.0 with keep-alive: kept open, and says so.
    let (resp, closed) = harness::raw(web, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
    assert!(resp.to_ascii_lowercase().contains("connection: keep-alive") && !closed, "{resp}");
    // HTTP/1.1 with Connection: close: closed after the answer.
    let (resp, closed) = harness::raw(web, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(resp.starts_with("HTTP/1.1 200") && closed, "{resp}");
    // HEAD: the head only, and the connection stays usable.
    let mut s = TcpStream::connect(web).await.unwrap();
    s.write_all(b"HEAD /bytes/100 HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    while got.windows(4).filter(|w| w == b"\r\n\r\n").count() < 2 || !got.ends_with(b"xxx") {
        let k = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.unwrap().unwrap();
        assert!(k > 0);
        got.extend_from_slice(&buf[..k]);
    }
    let text = String::from_utf8_lossy(&got);
    let second = text.find("HTTP/1.1 200").and_then(|i| text[i + 1..].find("HTTP/1.1 200")).expect("two responses");
    assert!(text[..second + 1].to_ascii_lowercase().contains("content-length: 100"), "{text}");
    assert!(text[..second + 1].ends_with("\r\n\r\n"), "HEAD response had a body: {text}");
}

#[tokio::test]
async fn expect_chunked_and_large_bodies_are_served_through_hyper() {
    let a = Backend::start("a").await;
    let p = harness::start(&harness::one_origin(a.addr, ", max_request_body_bytes: 1000000", "")).await;
    let web = addr(&p, "web").await;
    // Expect: 100-continue gets its interim response before the body is sent.
    let mut s = TcpStream::connect(web).await.unwrap();
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let k = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&buf[..k]).starts_with("HTTP/1.1 100"), "{}", String::from_utf8_lossy(&buf[..k]));
    s.write_all(b"ping").await.unwrap();
    let got = read_responses(&mut s, 1).await;
    assert_eq!(got[0].1, "ping");
    // A body over the buffered limit streams through, and the connection keeps serving.
    let big = vec![b'z'; 200_000];
    let mut req = format!("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", big.len()).into_bytes();
    req.extend_from_slice(&big);
    req.extend_from_slice(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut s = TcpStream::connect(web).await.unwrap();
    let (mut rd, mut wr) = s.split();
    let write = async { wr.write_all(&req).await.unwrap() };
    let read = read_responses(&mut rd, 2);
    let (_, got) = tokio::join!(write, read);
    assert_eq!(got[0].1.len(), big.len());
    assert!(got[1].0.starts_with("HTTP/1.1 200"));
    let seen = a.received();
    assert_eq!(seen.last().unwrap().uri, "/after");
    assert_eq!(seen[seen.len() - 2].body.len(), big.len());
}

#[tokio::test]
async fn the_head_timeout_does_not_cut_a_resting_keep_alive_connection() {
    let a = Backend::start("a").await;
    let yaml = harness::one_origin(a.addr, ", timeouts: { request_header: 200ms, idle: 3s }", "");
    let p = harness::start(&yaml).await;
    let mut s = TcpStream::connect(addr(&p, "web").await).await.unwrap();
    s.write_all(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    read_responses(&mut s, 1).await;
    // Resting longer than the head timeout, well within idle.
    tokio::time::sleep(Duration::from_millis(700)).await;
    s.write_all(b"GET /2 HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    read_responses(&mut s, 1).await;
    // A head that starts and stalls is cut after the head timeout, long before idle.
    s.write_all(b"GET /3 HTTP/1.1\r\n").await.unwrap();
    let start = std::time::Instant::now();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut buf)).await.expect("stalled head cut").unwrap();
    assert!(start.elapsed() < Duration::from_millis(1500), "{:?}", start.elapsed());
    assert_eq!(a.count(), 2);
}
