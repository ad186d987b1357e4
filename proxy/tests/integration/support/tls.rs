//! TLS fixtures: a throwaway CA, leaf certificates for given names, PEM files, clients and a server.
//!
//! ```ignore
//! let ca = Ca::new();
//! let dir = tempfile::tempdir().unwrap();
//! let leaf = ca.issue(&["a.example.com"]);
//! let cert = leaf.files(dir.path(), "a"); // a model::Certificate naming a.crt and a.key
//! let server = serve(proxy::tls::server_config(&tls, true).unwrap()).await;
//! let hs = handshake(server, ca.client_config(&["h2"]).into(), Some("a.example.com")).await.unwrap();
//! assert_eq!(hs.leaf, leaf.der);
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme,
    SupportedProtocolVersion,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// The crypto provider every fixture uses, as the proxy does.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// === impl Ca ===

/// A self-signed certificate authority that issues leaf certificates.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    /// A new CA named "rampart test CA" with an ECDSA P-256 key.
    pub fn new() -> Self {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, "rampart test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("self-signed CA");
        Self { cert, key }
    }

    /// The CA certificate's DER.
    pub fn der(&self) -> &CertificateDer<'static> {
        self.cert.der()
    }

    /// The CA certificate as PEM.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A server certificate for `sans` (DNS names, `*.` wildcards allowed), ECDSA P-256.
    pub fn issue(&self, sans: &[&str]) -> Leaf {
        self.issue_with(sans, KeyPair::generate().expect("leaf key"))
    }

    /// A server certificate for `sans` with the given key (`KeyPair::generate_for(&rcgen::PKCS_ED25519)`).
    pub fn issue_with(&self, sans: &[&str], key: KeyPair) -> Leaf {
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans.clone()).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, sans.first().map_or("rampart test leaf", |s| s));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = params.signed_by(&key, &self.cert, &self.key).expect("leaf signed by CA");
        Leaf {
            der: cert.der().clone(),
            cert_pem: cert.pem(),
            chain_pem: format!("{}{}", cert.pem(), self.cert.pem()),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        }
    }

    /// Roots holding only this CA.
    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.der().clone()).expect("CA certificate is a valid trust anchor");
        roots
    }

    /// A client that trusts this CA only, offering `alpn` (e.g. `&["h2", "http/1.1"]`), TLS 1.2 and 1.3.
    pub fn client_config(&self, alpn: &[&str]) -> ClientConfig {
        self.client_config_versions(alpn, rustls::DEFAULT_VERSIONS)
    }

    /// As [`Ca::client_config`], offering only `versions` (`&[&rustls::version::TLS12]`).
    pub fn client_config_versions(
        &self,
        alpn: &[&str],
        versions: &[&'static SupportedProtocolVersion],
    ) -> ClientConfig {
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(versions)
            .expect("ring supports TLS 1.2 and 1.3")
            .with_root_certificates(self.roots())
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        config
    }

    /// As [`Ca::client_config`], but a chain from this CA is accepted whatever names it carries,
    /// so a test can see which certificate a server picks for an unknown name or without SNI.
    pub fn client_config_any_name(&self, alpn: &[&str]) -> ClientConfig {
        let mut config = self.client_config(alpn);
        let inner =
            WebPkiServerVerifier::builder_with_provider(Arc::new(self.roots()), provider()).build().expect("verifier");
        config.dangerous().set_certificate_verifier(Arc::new(AnyName { inner }));
        config
    }
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

impl Default for Ca {
    fn default() -> Self {
        Self::new()
    }
}

// === impl Leaf ===

/// A leaf certificate issued by a [`Ca`], with its key, in the forms a config can name.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// The leaf certificate's DER, as a client sees it.
    pub der: CertificateDer<'static>,
    /// The leaf certificate alone, PEM.
    pub cert_pem: String,
    /// Leaf then CA certificate, PEM.
    pub chain_pem: String,
    /// PKCS#8 private key, PEM.
    pub key_pem: String,
    /// PKCS#8 private key, DER.
    pub key_der: Vec<u8>,
}

impl Leaf {
    /// Writes `{stem}.crt` (the chain) and `{stem}.key` into `dir` and returns a config entry
    /// naming them, with no `server_names`.
    pub fn files(&self, dir: &Path, stem: &str) -> model::Certificate {
        let cert = dir.join(format!("{stem}.crt"));
        let key = dir.join(format!("{stem}.key"));
        std::fs::write(&cert, &self.chain_pem).expect("write certificate");
        std::fs::write(&key, &self.key_pem).expect("write key");
        model::Certificate { cert: Some(cert), key: Some(key), cert_pem: None, key_pem: None, server_names: vec![] }
    }

    /// A config entry with the chain and key inline, as a Kubernetes TLS secret carries them.
    pub fn inline(&self) -> model::Certificate {
        model::Certificate {
            cert: None,
            key: None,
            cert_pem: Some(self.chain_pem.clone()),
            key_pem: Some(self.key_pem.clone()),
            server_names: vec![],
        }
    }
}

/// A listener's TLS settings with these certificates, the first the default.
pub fn listener_tls(certificates: Vec<model::Certificate>) -> model::ListenerTls {
    model::ListenerTls { certificates }
}

// === Handshakes ===

/// Serves TLS with `config` on 127.0.0.1 (port from the OS) until the runtime stops: each
/// connection is handshaken, sent `ok` and closed.
pub async fn serve(config: Arc<ServerConfig>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = tls.write_all(b"ok").await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

/// What a client saw of a completed handshake.
#[derive(Debug)]
pub struct Handshake {
    /// The server's leaf certificate.
    pub leaf: CertificateDer<'static>,
    /// The negotiated ALPN protocol, if any.
    pub alpn: Option<Vec<u8>>,
    /// The negotiated protocol version.
    pub version: rustls::ProtocolVersion,
}

/// Connects to `addr` and handshakes; `sni` is sent when given, otherwise no SNI is sent
/// (and, with [`Ca::client_config_any_name`], any certificate from the CA is accepted).
pub async fn handshake(addr: SocketAddr, mut config: ClientConfig, sni: Option<&str>) -> std::io::Result<Handshake> {
    let name = match sni {
        Some(name) => ServerName::try_from(name.to_owned()).map_err(std::io::Error::other)?,
        None => {
            config.enable_sni = false;
            ServerName::try_from("no-sni.invalid").expect("valid DNS name")
        }
    };
    let tcp = TcpStream::connect(addr).await?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await?;
    let (_, conn) = tls.get_ref();
    Ok(Handshake {
        leaf: conn.peer_certificates().and_then(|c| c.first()).expect("server sent a certificate").clone().into_owned(),
        alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
        version: conn.protocol_version().expect("handshake done"),
    })
}

/// Checks the chain against the CA like webpki, but accepts a certificate for another name.
#[derive(Debug)]
struct AnyName {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
