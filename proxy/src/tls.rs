//! TLS termination: rustls server configs (ring provider) that pick a certificate by SNI.
//!
//! # Organization
//! - `load`: certificate chains and private keys from PEM files or inline PEM, checked to match.
//! - `sni`: [`SniResolver`], exact names, then one-label wildcards, then the default certificate.
//!
//! [`server_config`] is the entry point: it loads every certificate of a listener, indexes it by
//! name and returns a config offering TLS 1.2 and 1.3, ALPN `h2` (when asked) and `http/1.1`,
//! and session resumption by both the server-side cache and tickets.

mod load;
mod sni;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::ServerConfig;

pub use self::load::{load_certificate, Loaded};
pub use self::sni::SniResolver;

/// ALPN protocol id for HTTP/2.
pub const ALPN_H2: &[u8] = b"h2";
/// ALPN protocol id for HTTP/1.1.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// Why a listener's TLS settings could not be turned into a server config.
///
/// Every message starts with where the problem is, as the config loader reports paths:
/// `certificates[1].cert: /etc/x.pem: no certificate found in PEM`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The listener has no certificates at all.
    #[error("certificates: at least one certificate is required")]
    NoCertificates,
    /// A certificate entry sets neither a file nor inline PEM for its chain or key.
    #[error("{at}: one of {field} or {field}_pem is required")]
    Missing {
        /// Entry (`certificates[0]`).
        at: Entry,
        /// `cert` or `key`.
        field: &'static str,
    },
    /// A PEM file could not be read.
    #[error("{at}: {}", io_reason(.source))]
    Read {
        /// Where the file was named.
        at: PemSource,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The PEM text is malformed (bad base64, a section without its end line).
    #[error("{at}: malformed PEM: {}", pem_reason(.source))]
    Pem {
        /// Which PEM text.
        at: PemSource,
        /// What the PEM decoder found.
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    /// The chain's PEM has no `CERTIFICATE` section.
    #[error("{at}: no certificate found in PEM")]
    NoCertificate {
        /// Which PEM text.
        at: PemSource,
    },
    /// The key's PEM has no `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` section.
    #[error("{at}: no private key found in PEM (expected PKCS#8, PKCS#1 RSA or SEC1 EC)")]
    NoKey {
        /// Which PEM text.
        at: PemSource,
    },
    /// The private key is corrupt, or of a type the ring provider cannot sign with
    /// (it supports RSA, ECDSA P-256/P-384 and Ed25519).
    #[error("{at}: unusable private key: {}", rustls_reason(.source))]
    Key {
        /// Which PEM text.
        at: PemSource,
        /// rustls' reason.
        #[source]
        source: rustls::Error,
    },
    /// The leaf certificate is not valid X.509 DER.
    #[error("{at}: invalid leaf certificate: {source}")]
    Certificate {
        /// Which PEM text.
        at: PemSource,
        /// webpki's reason.
        #[source]
        source: webpki::Error,
    },
    /// The private key is not the one for the leaf certificate's public key.
    #[error("{at}: private key does not match certificate")]
    KeyMismatch {
        /// Entry (`certificates[0]`).
        at: Entry,
    },
    /// A `server_names` entry is not a DNS name or `*.` followed by one.
    #[error("{at}.server_names[{position}]: invalid name {name:?}")]
    ServerName {
        /// Entry (`certificates[0]`).
        at: Entry,
        /// Its place in `server_names`.
        position: usize,
        /// The offending name.
        name: String,
    },
    /// rustls refused the assembled config (not expected with the ring provider).
    #[error("building the TLS server config: {0}")]
    Config(#[source] rustls::Error),
}

/// One entry of a listener's `certificates` list, displayed as `certificates[0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry(pub usize);

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "certificates[{}]", self.0)
    }
}

/// Where some PEM came from, displayed as `certificates[1].cert: /etc/x.pem` for a file and
/// `certificates[1].cert_pem` for inline text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PemSource {
    /// The certificate entry.
    pub entry: Entry,
    /// `cert` or `key`.
    pub field: &'static str,
    /// The file, or `None` for inline PEM.
    pub path: Option<PathBuf>,
}

impl fmt::Display for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}.{}: {}", self.entry, self.field, path.display()),
            None => write!(f, "{}.{}_pem", self.entry, self.field),
        }
    }
}

/// A rustls server config for `tls`, ALPN `h2` offered when `http2`.
///
/// Reads the certificate files now (blocking), so call it when a config is loaded, not per
/// connection. The first certificate is served to clients without SNI or with an unknown name.
pub fn server_config(tls: &model::ListenerTls, http2: bool) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let resolver = resolver(tls, &provider)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = alpn(http2);
    // Stateless resumption on top of the default stateful cache; keys rotate every 6 hours.
    config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(TlsError::Config)?;
    Ok(Arc::new(config))
}

/// The ALPN ids a listener offers, most preferred first.
pub fn alpn(http2: bool) -> Vec<Vec<u8>> {
    if http2 {
        vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()]
    } else {
        vec![ALPN_HTTP11.to_vec()]
    }
}

/// Loads every certificate of `tls` and indexes it by its names.
pub fn resolver(tls: &model::ListenerTls, provider: &CryptoProvider) -> Result<SniResolver, TlsError> {
    let mut loaded = Vec::with_capacity(tls.certificates.len());
    for (i, cert) in tls.certificates.iter().enumerate() {
        loaded.push(load_certificate(Entry(i), cert, provider)?);
    }
    SniResolver::new(loaded)
}

/// As the config validator words I/O errors.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// PEM decoder errors, with their byte strings shown as text.
fn pem_reason(e: &rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error;
    match e {
        Error::MissingSectionEnd { end_marker } => {
            format!("no \"-----END {}-----\" line", String::from_utf8_lossy(end_marker))
        }
        Error::IllegalSectionStart { line } => format!("bad BEGIN line {:?}", String::from_utf8_lossy(line)),
        Error::Base64Decode(e) => format!("bad base64: {e}"),
        e => e.to_string(),
    }
}

/// rustls errors without the "unexpected error: " of `General`.
fn rustls_reason(e: &rustls::Error) -> String {
    match e {
        rustls::Error::General(reason) => reason.clone(),
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests;
