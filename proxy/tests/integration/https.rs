//! HTTPS through the proxy: SNI picks among several certificates, ALPN picks HTTP/2 or
//! HTTP/1.1, and requests reach the origin routed by host.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, Version};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

use crate::support::backend::Backend;
use crate::support::harness::{self, addr};
use crate::support::tls::Ca;

struct Answer {
    status: StatusCode,
    version: Version,
    backend: String,
    leaf: CertificateDer<'static>,
}

/// One GET over TLS with `sni` and `alpn`, speaking whichever protocol ALPN chose.
async fn get(addr: SocketAddr, ca: &Ca, sni: &str, alpn: &str, path: &str) -> Answer {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(ca.client_config(&[alpn])));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from(sni.to_owned()).unwrap();
    let tls = tokio::time::timeout(Duration::from_secs(5), connector.connect(name, tcp)).await.unwrap().unwrap();
    let (_, conn) = tls.get_ref();
    let leaf = conn.peer_certificates().unwrap()[0].clone();
    let h2 = conn.alpn_protocol() == Some(b"h2");
    let io = TokioIo::new(tls);
    let resp = if h2 {
        let (mut send, conn) = http2::handshake(TokioExecutor::new(), io).await.unwrap();
        tokio::spawn(conn);
        let req = Request::get(format!("https://{sni}{path}")).body(Empty::<Bytes>::new()).unwrap();
        send.send_request(req).await.unwrap()
    } else {
        let (mut send, conn) = http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        let req = Request::get(path).header("host", sni).body(Empty::<Bytes>::new()).unwrap();
        send.send_request(req).await.unwrap()
    };
    let status = resp.status();
    let version = resp.version();
    let backend = resp.headers().get("x-backend").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    resp.into_body().collect().await.unwrap();
    Answer { status, version, backend, leaf }
}

#[tokio::test]
async fn sni_certificates_and_http2_over_tls() {
    let (a, b) = (Backend::start("a").await, Backend::start("b").await);
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let (leaf_a, leaf_b, leaf_w) =
        (ca.issue(&["a.example.com"]), ca.issue(&["b.example.com"]), ca.issue(&["*.wild.example.com"]));
    let certs = [leaf_a.files(dir.path(), "a"), leaf_b.files(dir.path(), "b"), leaf_w.files(dir.path(), "w")];
    let cert_yaml: Vec<String> = certs
        .iter()
        .map(|c| {
            format!(
                "{{ cert: \"{}\", key: \"{}\" }}",
                c.cert.as_ref().unwrap().display(),
                c.key.as_ref().unwrap().display()
            )
        })
        .collect();
    let yaml = format!(
        r#"
admin: {{ enabled: false }}
listeners:
  - name: secure
    address: "127.0.0.1:0"
    protocol: https
    tls: {{ certificates: [{}] }}
routes:
  - {{ host: a.example.com, paths: [ {{ path: /, backend: a }} ] }}
  - {{ host: b.example.com, paths: [ {{ path: /, backend: b }} ] }}
  - {{ host: "*.wild.example.com", paths: [ {{ path: /, backend: a }} ] }}
services:
  - {{ name: a, endpoints: ["{}"] }}
  - {{ name: b, endpoints: ["{}"] }}
"#,
        cert_yaml.join(", "),
        a.addr,
        b.addr
    );
    let p = harness::start(&yaml).await;
    let secure = addr(&p, "secure").await;
    for (sni, alpn, version, backend, leaf) in [
        ("a.example.com", "h2", Version::HTTP_2, "a", &leaf_a.der),
        ("b.example.com", "h2", Version::HTTP_2, "b", &leaf_b.der),
        ("b.example.com", "http/1.1", Version::HTTP_11, "b", &leaf_b.der),
        ("x.wild.example.com", "h2", Version::HTTP_2, "a", &leaf_w.der),
    ] {
        let got = get(secure, &ca, sni, alpn, "/p").await;
        assert_eq!(got.status, StatusCode::OK, "{sni} {alpn}");
        assert_eq!(got.version, version, "{sni} {alpn}");
        assert_eq!(got.backend, backend, "{sni} {alpn}");
        assert_eq!(&got.leaf, leaf, "{sni}: wrong certificate served");
    }
    // The origin hears plain HTTP/1.1 with the TLS facts in forwarding headers.
    let r = a.received().pop().unwrap();
    assert_eq!(r.version, Version::HTTP_11);
    assert_eq!(r.headers["x-forwarded-proto"], "https");
    assert_eq!(r.headers["host"], "x.wild.example.com");
}

#[tokio::test]
async fn slow_request_heads_time_out() {
    let a = Backend::start("a").await;
    let yaml = harness::one_origin(a.addr, ", timeouts: { request_header: 300ms, idle: 400ms }", "");
    let p = harness::start(&yaml).await;
    let web = addr(&p, "web").await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A client that starts a head and never finishes it is cut off.
    let mut s = TcpStream::connect(web).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut buf)).await;
    assert!(n.is_ok(), "slow head not timed out");
    assert_eq!(a.count(), 0);
    // A kept-alive connection with nothing in flight is closed after the idle time.
    let mut s = TcpStream::connect(web).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let start = std::time::Instant::now();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut buf))
        .await
        .expect("idle connection closed")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
    assert!(start.elapsed() >= Duration::from_millis(250), "closed too early: {:?}", start.elapsed());
}
