//! A proxy started from a YAML string, and small clients to talk to it.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use proxy::Proxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Starts a proxy on `yaml` (listeners and admin should use port 0).
pub async fn start(yaml: &str) -> Proxy {
    let snapshot = model::load_str(yaml).unwrap_or_else(|e| panic!("test config invalid: {e}"));
    Proxy::start(snapshot).await.expect("proxy starts")
}

/// A config with one HTTP listener `web` routing everything to service `a` at `origin`;
/// `listener` and `service` are extra flow-mapping fields (e.g. `", access_log: false"`).
pub fn one_origin(origin: SocketAddr, listener: &str, service: &str) -> String {
    format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: web, address: "127.0.0.1:0", protocol: http{listener} }} ]
routes: [ {{ paths: [ {{ path: /, backend: a }} ] }} ]
services: [ {{ name: a, endpoints: ["{origin}"]{service} }} ]
"#
    )
}

/// Parses and applies `yaml` to a running proxy.
pub async fn apply(proxy: &Proxy, yaml: &str) -> Result<(), proxy::ApplyError> {
    let snapshot = model::load_str(yaml).unwrap_or_else(|e| panic!("test config invalid: {e}"));
    proxy.apply(snapshot).await
}

/// The address of listener `name`.
pub async fn addr(proxy: &Proxy, name: &str) -> SocketAddr {
    proxy.listener_addr(name).await.unwrap_or_else(|| panic!("no listener {name}"))
}

/// An HTTP/1.1 keep-alive client.
pub fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build_http()
}

/// An h2c (prior knowledge) client.
pub fn h2c_client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).http2_only(true).build_http()
}

/// A response, collected.
#[derive(Debug)]
pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Got {
    /// The `x-backend` header: which origin answered.
    pub fn backend(&self) -> &str {
        self.headers.get("x-backend").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// Sends `req` with `client` and collects the answer.
pub async fn send(client: &Client<HttpConnector, Full<Bytes>>, req: Request<Full<Bytes>>) -> Got {
    let resp = tokio::time::timeout(Duration::from_secs(10), client.request(req))
        .await
        .expect("response within 10s")
        .expect("request succeeds");
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Got { status: parts.status, headers: parts.headers, body: String::from_utf8_lossy(&body).into_owned() }
}

/// GET `http://addr{path}` with `Host: host`.
pub async fn get(client: &Client<HttpConnector, Full<Bytes>>, addr: SocketAddr, host: &str, path: &str) -> Got {
    let req = Request::get(format!("http://{addr}{path}")).header("host", host).body(Full::default()).unwrap();
    send(client, req).await
}

/// Writes `raw` on a fresh connection and reads until the peer closes, or until it has been
/// silent for a second (a kept-alive connection). Returns what was read and whether the peer
/// closed the connection.
pub async fn raw(addr: SocketAddr, raw: &[u8]) -> (String, bool) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(raw).await.expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(1), s.read(&mut buf)).await {
            Ok(Ok(0)) => break true,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => break true,
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

/// The admin listener's `/metrics` text.
pub async fn metrics(proxy: &Proxy) -> String {
    let admin = proxy.admin_addr().await.expect("admin listener");
    let got = get(&client(), admin, "admin", "/metrics").await;
    assert_eq!(got.status, StatusCode::OK);
    got.body
}

/// The value of the metric line that starts with `prefix` (name and labels).
pub fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
}
