//! rampart's own HTTP/1.1 upstream client against a scripted origin: response framings,
//! strictness about ambiguous responses, informational responses, and pooled connections the
//! origin closed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::harness::{self, addr, client, send};

/// An origin that answers every request on a connection with `answer(request_head)`, and
/// closes the connection after `per_conn` answers. Counts connections.
async fn scripted(per_conn: usize, answer: fn(&str) -> Vec<u8>) -> (SocketAddr, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    let conns = Arc::new(AtomicUsize::new(0));
    let c = conns.clone();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { return };
            c.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(serve(s, per_conn, answer));
        }
    });
    (a, conns)
}

async fn serve(mut s: TcpStream, per_conn: usize, answer: fn(&str) -> Vec<u8>) {
    let mut buf = Vec::new();
    for _ in 0..per_conn {
        let head = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..i + 4]).into_owned();
                buf.drain(..i + 4);
                break head;
            }
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        // Request bodies are drained by Content-Length.
        if let Some(n) = head.lines().find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse::<usize>().unwrap())
        }) {
            while buf.len() < n {
                let mut chunk = [0u8; 4096];
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(k) => buf.extend_from_slice(&chunk[..k]),
                }
            }
            buf.drain(..n);
        }
        if s.write_all(&answer(&head)).await.is_err() {
            return;
        }
    }
}

async fn proxy_to(origin: SocketAddr) -> proxy::Proxy {
    harness::start(&harness::one_origin(origin, ", access_log: false", ", outlier: { consecutive_failures: 0 }")).await
}

#[tokio::test]
async fn response_framings_are_decoded() {
    let (origin, _) = scripted(100, |head| {
        let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
        match path.as_str() {
            "/chunked" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n".to_vec(),
            "/length" => b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
            "/empty" => b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(),
            "/continue" => b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok".to_vec(),
            "/expect" if head.to_ascii_lowercase().contains("expect:") => b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n".to_vec(),
            "/expect" => b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nno-expct".to_vec(),
            _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
        }
    })
    .await;
    let p = proxy_to(origin).await;
    let web = addr(&p, "web").await;
    let c = client();
    for _ in 0..3 {
        let got = harness::get(&c, web, "x", "/chunked").await;
        assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "hello, world"));
        let got = harness::get(&c, web, "x", "/length").await;
        assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "hello"));
        let got = harness::get(&c, web, "x", "/empty").await;
        assert_eq!((got.status, got.body.as_str()), (StatusCode::NO_CONTENT, ""));
        let got = harness::get(&c, web, "x", "/continue").await;
        assert_eq!((got.status, got.body.as_str()), (StatusCode::CREATED, "ok"));
    }
    // `Expect: 100-continue` is answered by rampart and not passed to the origin.
    let (resp, _) = harness::raw(
        web,
        b"POST /expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody",
    )
    .await;
    assert!(resp.contains("200 OK") && resp.ends_with("no-expct"), "{resp}");
}

#[tokio::test]
async fn head_responses_have_no_body_and_the_connection_is_reused() {
    let (origin, conns) = scripted(100, |_| b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec()).await;
    let p = proxy_to(origin).await;
    let web = addr(&p, "web").await;
    let c = client();
    for _ in 0..5 {
        let req = Request::builder()
            .method(Method::HEAD)
            .uri(format!("http://{web}/"))
            .body(Full::<Bytes>::default())
            .unwrap();
        let got = send(&c, req).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.headers["content-length"], "1000");
    }
    assert_eq!(conns.load(Ordering::Relaxed), 1, "HEAD exchanges should share one upstream connection");
}

#[tokio::test]
async fn close_delimited_bodies_end_at_eof_and_are_not_pooled() {
    let (origin, conns) = scripted(1, |_| b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end".to_vec()).await;
    let p = proxy_to(origin).await;
    let web = addr(&p, "web").await;
    let c = client();
    for _ in 0..3 {
        let got = harness::get(&c, web, "x", "/").await;
        assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "until the end"));
    }
    assert_eq!(conns.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn ambiguous_or_broken_responses_are_502() {
    let (origin, _) = scripted(100, |head| match head.split(' ').nth(1).unwrap_or("/") {
        "/both" => {
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec()
        }
        "/two-lengths" => b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd".to_vec(),
        "/garbage" => b"HTTP/1.1 2x0 OK\r\n\r\n".to_vec(),
        _ => b"nonsense\r\n\r\n".to_vec(),
    })
    .await;
    let p = proxy_to(origin).await;
    let web = addr(&p, "web").await;
    let c = client();
    for path in ["/both", "/two-lengths", "/garbage", "/switch", "/other"] {
        let got = harness::get(&c, web, "x", path).await;
        assert_eq!(got.status, StatusCode::BAD_GATEWAY, "{path}");
    }
}

#[tokio::test]
async fn origin_closing_idle_connections_is_invisible_to_clients() {
    // The origin answers one request per connection but does not say so (no Connection:
    // close): every pooled connection is dead by the time it is reused.
    let (origin, conns) = scripted(1, |_| b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec()).await;
    let p = proxy_to(origin).await;
    let web = addr(&p, "web").await;
    let c = client();
    for i in 0..10 {
        if i % 2 == 0 {
            // Let the close arrive, so the pool sees it.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let got = harness::get(&c, web, "x", "/").await;
        assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "ok"), "request {i}");
    }
    // POST with a body too: a dead pooled connection is detected before the body is sent.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let req = Request::post(format!("http://{web}/")).body(Full::new(Bytes::from_static(b"data"))).unwrap();
    assert_eq!(send(&c, req).await.status, StatusCode::OK);
    assert!(conns.load(Ordering::Relaxed) >= 11);
}

#[tokio::test]
async fn request_bodies_are_framed_for_the_origin() {
    let backend = crate::support::backend::Backend::start("a").await;
    let p = harness::start(&harness::one_origin(backend.addr, "", "")).await;
    let web = addr(&p, "web").await;
    // Chunked from the client: re-framed as chunked (length unknown up front).
    let (resp, _) = harness::raw(
        web,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 200") && resp.ends_with("abcde"), "{resp}");
    // Content-Length from the client: passed as Content-Length.
    let (resp, _) =
        harness::raw(web, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz").await;
    assert!(resp.ends_with("xyz"), "{resp}");
    let seen = backend.received();
    assert_eq!(seen[0].headers.get("transfer-encoding").map(|v| v.to_str().unwrap()), Some("chunked"));
    assert_eq!(seen[1].headers["content-length"], "3");
    assert_eq!(&seen[1].body[..], b"xyz");
}

/// An origin's response fields pass as sent, hop-by-hop ones removed (RFC 9110 7.6.1: the
/// fields `Connection` lists and the fixed ones), on rampart's own HTTP/1.1 writer (which copies
/// the origin's bytes) and over HTTP/2 (which gets a header map made from them); a field value
/// with a control byte makes the response a 502.
#[tokio::test]
async fn response_hop_by_hop_fields_are_removed_and_the_rest_pass_as_sent() {
    let (origin, _) = scripted(100, |head| match head.split(' ').nth(1).unwrap_or("/") {
        "/ctl" => b"HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        _ => b"HTTP/1.1 200 OK\r\nConnection: X-Secret, keep-alive\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\n\
Proxy-Connection: x\r\nTrailer: x\r\nHTTP2-Settings: AAA\r\nX-Kept: yes\r\nServer: Origin/1\r\nSet-Cookie: a=1\r\n\
Set-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok"
            .to_vec(),
    })
    .await;
    let p = proxy_to(origin).await;
    let web = addr(&p, "web").await;
    let (got, _) = harness::raw(web, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let lower = got.to_ascii_lowercase();
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n") && got.ends_with("\r\n\r\nok"), "{got}");
    assert!(got.contains("\r\nX-Kept: yes\r\n") && got.contains("\r\nServer: Origin/1\r\n"), "{got}");
    assert!(got.contains("\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"), "{got}");
    assert!(lower.contains("\r\ncontent-length: 2\r\n") && lower.contains("\r\ndate: "), "{got}");
    for h in ["x-secret", "keep-alive", "proxy-connection", "trailer", "http2-settings"] {
        assert!(!lower.contains(&format!("\r\n{h}:")), "{h} passed: {got}");
    }
    let h2 = harness::h2c_client();
    let got = send(&h2, Request::get(format!("http://{web}/")).body(Full::default()).unwrap()).await;
    assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "ok"));
    assert_eq!(got.headers["x-kept"], "yes");
    assert_eq!(got.headers.get_all("set-cookie").iter().count(), 2);
    for h in ["x-secret", "keep-alive", "proxy-connection", "trailer", "http2-settings", "connection"] {
        assert!(got.headers.get(h).is_none(), "{h} passed over HTTP/2: {:?}", got.headers);
    }
    assert_eq!(harness::get(&client(), web, "x", "/ctl").await.status, StatusCode::BAD_GATEWAY);
}
