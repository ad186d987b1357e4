//! TLS termination over loopback: SNI picks the certificate, ALPN follows `http2`.

use std::sync::Arc;

use crate::support::tls::{handshake, listener_tls, serve, Ca, Leaf};

/// Four certificates as an ingress would have them: a default first, then named ones.
struct Site {
    ca: Ca,
    default: Leaf,
    a: Leaf,
    b: Leaf,
    wild: Leaf,
    _dir: tempfile::TempDir,
    tls: model::ListenerTls,
}

impl Site {
    fn new() -> Self {
        let ca = Ca::new();
        let dir = tempfile::tempdir().unwrap();
        let default = ca.issue(&["default.example.com"]);
        let a = ca.issue(&["a.example.com"]);
        let b = ca.issue(&["b.example.com"]);
        let wild = ca.issue(&["*.wild.example.com"]);
        let tls = listener_tls(vec![
            default.files(dir.path(), "default"),
            a.files(dir.path(), "a"),
            b.inline(),
            wild.files(dir.path(), "wild"),
        ]);
        Self { ca, default, a, b, wild, _dir: dir, tls }
    }

    async fn serve(&self, http2: bool) -> std::net::SocketAddr {
        serve(proxy::tls::server_config(&self.tls, http2).unwrap()).await
    }
}

#[tokio::test]
async fn sni_selects_certificate_by_exact_name() {
    let site = Site::new();
    let addr = site.serve(true).await;
    for (name, leaf) in [("a.example.com", &site.a), ("b.example.com", &site.b), ("A.Example.COM", &site.a)] {
        // Strict verification: the client checks the certificate is valid for the name it asked.
        let hs = handshake(addr, site.ca.client_config(&["http/1.1"]), Some(name)).await.unwrap();
        assert_eq!(hs.leaf, leaf.der, "{name}");
    }
}

#[tokio::test]
async fn wildcard_matches_exactly_one_label() {
    let site = Site::new();
    let addr = site.serve(true).await;
    let hs = handshake(addr, site.ca.client_config(&[]), Some("x.wild.example.com")).await.unwrap();
    assert_eq!(hs.leaf, site.wild.der);
    for name in ["x.y.wild.example.com", "wild.example.com"] {
        let hs = handshake(addr, site.ca.client_config_any_name(&[]), Some(name)).await.unwrap();
        assert_eq!(hs.leaf, site.default.der, "{name} falls back to the default");
    }
}

#[tokio::test]
async fn unknown_or_missing_sni_gets_the_default() {
    let site = Site::new();
    let addr = site.serve(false).await;
    let hs = handshake(addr, site.ca.client_config_any_name(&[]), Some("unknown.example.org")).await.unwrap();
    assert_eq!(hs.leaf, site.default.der);
    let hs = handshake(addr, site.ca.client_config_any_name(&[]), None).await.unwrap();
    assert_eq!(hs.leaf, site.default.der);
}

#[tokio::test]
async fn alpn_offers_h2_only_when_http2() {
    let site = Site::new();
    let both = &["h2", "http/1.1"];
    let h2 = site.serve(true).await;
    let hs = handshake(h2, site.ca.client_config(both), Some("a.example.com")).await.unwrap();
    assert_eq!(hs.alpn.as_deref(), Some(&b"h2"[..]));
    let h1 = site.serve(false).await;
    let hs = handshake(h1, site.ca.client_config(both), Some("a.example.com")).await.unwrap();
    assert_eq!(hs.alpn.as_deref(), Some(&b"http/1.1"[..]));
    // A client without ALPN still connects.
    let hs = handshake(h1, site.ca.client_config(&[]), Some("a.example.com")).await.unwrap();
    assert_eq!(hs.alpn, None);
}

#[tokio::test]
async fn tls12_and_tls13_are_both_accepted() {
    let site = Site::new();
    let addr = site.serve(true).await;
    let tls12 = site.ca.client_config_versions(&["h2"], &[&rustls::version::TLS12]);
    let hs = handshake(addr, tls12, Some("b.example.com")).await.unwrap();
    assert_eq!(hs.version, rustls::ProtocolVersion::TLSv1_2);
    assert_eq!(hs.leaf, site.b.der);
    let hs = handshake(addr, site.ca.client_config(&["h2"]), Some("b.example.com")).await.unwrap();
    assert_eq!(hs.version, rustls::ProtocolVersion::TLSv1_3);
}

#[tokio::test]
async fn sessions_resume() {
    let site = Site::new();
    let addr = site.serve(true).await;
    // One client config, so one session cache, across both connections.
    let config = Arc::new(site.ca.client_config(&["h2"]));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("a.example.com").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(config.clone()).connect(name, tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.handshake_kind(), Some(rustls::HandshakeKind::Full));
    // Read the server's "ok" so the TLS 1.3 tickets sent before it are stored.
    let mut buf = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut tls, &mut buf).await.unwrap();
    assert_eq!(buf, b"ok");
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("a.example.com").unwrap();
    let tls = tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.handshake_kind(), Some(rustls::HandshakeKind::Resumed));
}

#[tokio::test]
async fn server_names_override_the_certificates_own() {
    let ca = Ca::new();
    let leaf = ca.issue(&["a.example.com"]);
    let other = ca.issue(&["other.example.com"]);
    let mut renamed = leaf.inline();
    renamed.server_names = vec!["alias.example.com".into()];
    let tls = listener_tls(vec![other.inline(), renamed]);
    let addr = serve(proxy::tls::server_config(&tls, true).unwrap()).await;
    let hs = handshake(addr, ca.client_config_any_name(&[]), Some("alias.example.com")).await.unwrap();
    assert_eq!(hs.leaf, leaf.der);
    // The certificate's own SAN is no longer indexed.
    let hs = handshake(addr, ca.client_config_any_name(&[]), Some("a.example.com")).await.unwrap();
    assert_eq!(hs.leaf, other.der);
}
