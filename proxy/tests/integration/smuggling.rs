//! The request-smuggling corpus (`support/smuggling_cases.rs`) against a real hyper HTTP/1 server
//! behind the gate, over loopback TCP: every ambiguous request gets 400 (or 431) and a closed
//! connection and reaches no handler; every valid counterpart arrives intact.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use proxy::http::gate::{Gate, GateConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::smuggling_cases::{cases, Expect, Received};

/// A request as the recording service saw it, body complete.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    target: String,
    body: Bytes,
}

/// A hyper HTTP/1 server behind the gate, recording every complete request it receives.
struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let conn_log = log.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let log = conn_log.clone();
                tokio::spawn(async move {
                    let io = TokioIo::new(Gate::new(stream, Bytes::new(), GateConfig::default()));
                    let service = service_fn(move |req| record(req, log.clone()));
                    let _ = http1::Builder::new().serve_connection(io, service).with_upgrades().await;
                });
            }
        });
        Server { addr, log }
    }

    fn received(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }
}

/// Records the request once its body is complete and answers 200; a failed body (the gate found
/// a violation in it) is answered 400 with `connection: close`, as the proxy does.
async fn record(req: Request<Incoming>, log: Arc<Mutex<Vec<Recorded>>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let target = parts.uri.path_and_query().map_or_else(|| parts.uri.to_string(), |p| p.to_string());
    if parts.headers.contains_key("x-upgrade-echo") {
        return Ok(upgrade_echo(Request::from_parts(parts, body)));
    }
    let response = match body.collect().await {
        Ok(body) => {
            let body = body.to_bytes();
            log.lock().unwrap().push(Recorded { method: parts.method.to_string(), target, body });
            Response::new(Full::new(Bytes::from_static(b"ok")))
        }
        Err(_) => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response.headers_mut().insert("connection", "close".parse().unwrap());
            response
        }
    };
    Ok(response)
}

/// Answers 101 and echoes whatever follows on the upgraded connection.
fn upgrade_echo(req: Request<Incoming>) -> Response<Full<Bytes>> {
    tokio::spawn(async move {
        let upgraded = hyper::upgrade::on(req).await.unwrap();
        let mut io = TokioIo::new(upgraded);
        let mut buf = [0; 1024];
        loop {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => io.write_all(&buf[..n]).await.unwrap(),
            }
        }
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    response.headers_mut().insert("connection", "upgrade".parse().unwrap());
    response.headers_mut().insert("upgrade", "echo".parse().unwrap());
    response
}

/// Writes `raw` and reads until the server closes; panics if it does not close in time.
async fn exchange(addr: SocketAddr, raw: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may close before reading everything (oversized head): a failed write is fine.
    let _ = stream.write_all(raw).await;
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.unwrap_or_else(|_| panic!("connection not closed; got {:?}", String::from_utf8_lossy(&response)));
    response
}

fn status_line(response: &[u8]) -> String {
    let end = response.windows(2).position(|w| w == b"\r\n").unwrap_or(response.len());
    String::from_utf8_lossy(&response[..end]).into_owned()
}

fn assert_received(name: &str, got: &[Recorded], want: &[Received]) {
    let got: Vec<_> = got.iter().map(|r| (r.method.as_str(), r.target.as_str(), &r.body[..])).collect();
    let want: Vec<_> = want.iter().map(|r| (r.method, r.target, r.body)).collect();
    assert_eq!(got, want, "{name}: received requests");
}

/// Appended to valid cases so that the server closes once it has answered them.
const CLOSE: &[u8] = b"GET /close HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn corpus_rejects_every_smuggling_attempt() {
    for case in cases() {
        let status = match case.expect {
            Expect::Reject(status) => status,
            Expect::RejectBody => 400,
            Expect::Valid(_) => continue,
        };
        let server = Server::start().await;
        let response = exchange(server.addr, &case.raw).await;
        let line = status_line(&response);
        assert!(line.starts_with(&format!("HTTP/1.1 {status} ")), "{}: got {line:?}", case.name);
        assert_eq!(response.windows(9).filter(|w| w.starts_with(b"HTTP/1.")).count(), 1, "{}: one response", case.name);
        assert_received(case.name, &server.received(), &[]);
    }
}

#[tokio::test]
async fn corpus_valid_requests_arrive_intact() {
    for case in cases() {
        let Expect::Valid(want) = &case.expect else { continue };
        let server = Server::start().await;
        let response = exchange(server.addr, &[&case.raw[..], CLOSE].concat()).await;
        assert!(status_line(&response).ends_with(" 200 OK"), "{}: {response:?}", case.name);
        let got: Vec<_> = server.received().into_iter().filter(|r| r.target != "/close").collect();
        assert_received(case.name, &got, want);
    }
}

#[tokio::test]
async fn rejection_after_valid_request_on_same_connection() {
    for case in cases() {
        if !matches!(case.expect, Expect::Reject(400)) {
            continue;
        }
        let server = Server::start().await;
        let first = b"POST /first HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok";
        let response = exchange(server.addr, &[&first[..], &case.raw].concat()).await;
        let text = String::from_utf8_lossy(&response);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{}: {text:?}", case.name);
        assert!(text.contains("\r\n\r\nokHTTP/1.1 400 Bad Request\r\n"), "{}: {text:?}", case.name);
        let want = [Received { method: "POST", target: "/first", body: b"ok" }];
        assert_received(case.name, &server.received(), &want);
    }
}

#[tokio::test]
async fn upgrade_passes_through_after_101() {
    let server = Server::start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\nX-Upgrade-Echo: 1\r\n\r\n";
    stream.write_all(head).await.unwrap();
    let mut response = Vec::new();
    let mut buf = [0; 1024];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert_ne!(n, 0, "closed before 101");
        response.extend_from_slice(&buf[..n]);
    }
    assert!(response.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"), "{:?}", String::from_utf8_lossy(&response));
    // Not HTTP: bare LFs, NUL, a fake conflicting head.
    let payload = b"\0\n\rPOST / HTTP/1.1\nContent-Length: 1\r\nTransfer-Encoding: chunked\n\n";
    stream.write_all(payload).await.unwrap();
    let mut echoed = vec![0; payload.len()];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut echoed)).await.unwrap().unwrap();
    assert_eq!(&echoed[..], payload);
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn declined_upgrade_keeps_validating() {
    let server = Server::start().await;
    let raw = b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\n\r\nGET / HTTP/1.1\nHost: a\r\n\r\n";
    let response = String::from_utf8_lossy(&exchange(server.addr, raw).await).into_owned();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response:?}");
    assert!(response.contains("okHTTP/1.1 400 Bad Request\r\n"), "{response:?}");
    assert_received("declined upgrade", &server.received(), &[Received { method: "GET", target: "/ws", body: b"" }]);
}
