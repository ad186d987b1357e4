//! Recording HTTP origins on loopback (HTTP/1.1 and h2c), with a few behaviours chosen by path:
//! `/status/NNN`, `/sleep/MS`, `/echo` (body back), `/bytes/N`, `/healthz`, `/sqlerror`, and `Upgrade`
//! requests answered with 101 and an echo of the upgraded stream.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// One request as the origin received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub uri: String,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A running origin; stops when dropped.
#[derive(Debug)]
pub struct Backend {
    pub addr: SocketAddr,
    pub name: String,
    pub log: Arc<Mutex<Vec<Recorded>>>,
    /// What `/healthz` answers: 200 when true, 503 when false.
    pub healthy: Arc<AtomicBool>,
    /// Connections accepted.
    pub connections: Arc<AtomicUsize>,
    stop: watch::Sender<bool>,
}

impl Backend {
    /// Starts an origin named `name` on a port from the OS.
    pub async fn start(name: &str) -> Self {
        Self::start_at(name, "127.0.0.1:0".parse().unwrap()).await
    }

    /// Starts an origin on `addr` (e.g. to bring a stopped one back on its port).
    pub async fn start_at(name: &str, addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.expect("bind backend");
        let addr = listener.local_addr().unwrap();
        let (stop, stop_rx) = watch::channel(false);
        let b = Self {
            addr,
            name: name.to_owned(),
            log: Arc::default(),
            healthy: Arc::new(AtomicBool::new(true)),
            connections: Arc::default(),
            stop,
        };
        let ctx = Arc::new(Ctx { name: name.to_owned(), log: b.log.clone(), healthy: b.healthy.clone() });
        let conns = b.connections.clone();
        tokio::spawn(async move {
            let mut stop_rx = stop_rx;
            loop {
                let stream = tokio::select! {
                    r = listener.accept() => match r { Ok((s, _)) => s, Err(_) => continue },
                    _ = stop_rx.wait_for(|s| *s) => return,
                };
                conns.fetch_add(1, Ordering::Relaxed);
                let ctx = ctx.clone();
                let mut stop_conn = stop_rx.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| answer(ctx.clone(), req));
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop_conn.wait_for(|s| *s) => {}
                    }
                });
            }
        });
        b
    }

    /// Closes the listener and every connection, as a crashed process would.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Requests received so far.
    pub fn received(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    /// How many requests were received.
    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Debug)]
struct Ctx {
    name: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    healthy: Arc<AtomicBool>,
}

async fn answer(ctx: Arc<Ctx>, mut req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    if path == "/healthz" {
        let ok = ctx.healthy.load(Ordering::Relaxed);
        return Ok(reply(&ctx, if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, "health"));
    }
    if req.headers().contains_key(http::header::UPGRADE) {
        record(&ctx, &req, Bytes::new());
        let on = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(up) = on.await {
                let mut io = TokioIo::new(up);
                let mut buf = [0u8; 4096];
                loop {
                    match io.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if io.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            }
        });
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        r.headers_mut().insert("connection", "upgrade".parse().unwrap());
        r.headers_mut().insert("upgrade", req.headers()["upgrade"].clone());
        return Ok(r);
    }
    let (parts, body) = req.into_parts();
    // Only complete requests are recorded: a body cut off mid-way is not a request an
    // application would act on.
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Ok(reply(&ctx, StatusCode::BAD_REQUEST, "incomplete body"));
    };
    let req = Request::from_parts(parts, ());
    record(&ctx, &req, body.clone());
    if let Some(code) = path.strip_prefix("/status/").and_then(|s| s.parse::<u16>().ok()) {
        return Ok(reply(&ctx, StatusCode::from_u16(code).unwrap(), &ctx.name));
    }
    if let Some(ms) = path.strip_prefix("/sleep/").and_then(|s| s.parse::<u64>().ok()) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if path == "/sqlerror" {
        // An origin leaking a database error, for the WAF's outbound rules (an HTML page: as in
        // libmodsecurity, phase 4 only reads the Content-Types of SecResponseBodyMimeType).
        let mut r =
            Response::new(Full::new(Bytes::from_static(b"<html>ORA-00933: SQL command not properly ended</html>")));
        r.headers_mut().insert("content-type", "text/html; charset=utf-8".parse().unwrap());
        return Ok(r);
    }
    if path == "/echo" {
        let mut r = Response::new(Full::new(body));
        r.headers_mut().insert("x-backend", ctx.name.parse().unwrap());
        return Ok(r);
    }
    if let Some(n) = path.strip_prefix("/bytes/").and_then(|s| s.parse::<usize>().ok()) {
        let mut r = Response::new(Full::new(Bytes::from(vec![b'x'; n])));
        r.headers_mut().insert("x-backend", ctx.name.parse().unwrap());
        return Ok(r);
    }
    Ok(reply(&ctx, StatusCode::OK, &ctx.name))
}

fn record<B>(ctx: &Ctx, req: &Request<B>, body: Bytes) {
    ctx.log.lock().unwrap().push(Recorded {
        method: req.method().clone(),
        uri: req.uri().to_string(),
        version: req.version(),
        headers: req.headers().clone(),
        body,
    });
}

fn reply(ctx: &Ctx, status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_owned())));
    *r.status_mut() = status;
    r.headers_mut().insert("x-backend", ctx.name.parse().unwrap());
    // A hop-by-hop header the proxy must not pass on.
    r.headers_mut().insert("keep-alive", "timeout=5".parse().unwrap());
    r
}
