//! Loads one certificate entry: the chain and key from PEM, the key checked against the leaf.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls::InconsistentKeys;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{Entry, PemSource, TlsError};

/// A certificate ready to serve, and the names it answers to.
#[derive(Debug)]
pub struct Loaded {
    /// Its place in the listener's list.
    pub entry: Entry,
    /// Lower-case names, exact (`a.example.com`) or wildcard (`*.example.com`): the configured
    /// `server_names`, else the leaf's DNS subject alternative names. May be empty.
    pub names: Vec<String>,
    /// Chain and signing key.
    pub key: Arc<CertifiedKey>,
}

/// Loads the chain and key of `cert`, checks that they match, and collects its names.
pub fn load_certificate(
    entry: Entry,
    cert: &model::Certificate,
    provider: &CryptoProvider,
) -> Result<Loaded, TlsError> {
    let (chain_at, chain_pem) = pem_text(entry, "cert", cert.cert.as_deref(), cert.cert_pem.as_deref())?;
    let (key_at, key_pem) = pem_text(entry, "key", cert.key.as_deref(), cert.key_pem.as_deref())?;

    let chain = chain(&chain_at, &chain_pem)?;
    let key_der = private_key(&key_at, &key_pem)?;
    let signer = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|source| TlsError::Key { at: key_at.clone(), source })?;

    let leaf = webpki::EndEntityCert::try_from(&chain[0])
        .map_err(|source| TlsError::Certificate { at: chain_at.clone(), source })?;
    let names = if cert.server_names.is_empty() {
        leaf.valid_dns_names().filter_map(normalize).collect()
    } else {
        configured_names(entry, &cert.server_names)?
    };

    let key = CertifiedKey::new(chain, signer);
    match key.keys_match() {
        Ok(()) => {}
        // The key cannot tell its public half; rustls' own loaders accept that too.
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {
            tracing::debug!(certificate = %entry, "cannot check that the key matches the certificate");
        }
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            return Err(TlsError::KeyMismatch { at: entry });
        }
        Err(source) => return Err(TlsError::Key { at: key_at, source }),
    }
    tracing::debug!(certificate = %entry, chain = key.cert.len(), ?names, "loaded TLS certificate");
    Ok(Loaded { entry, names, key: Arc::new(key) })
}

/// The PEM text of `field`, read from its file or taken inline.
fn pem_text(
    entry: Entry,
    field: &'static str,
    file: Option<&Path>,
    inline: Option<&str>,
) -> Result<(PemSource, Vec<u8>), TlsError> {
    match (file, inline) {
        (Some(path), _) => {
            let at = PemSource { entry, field, path: Some(path.to_owned()) };
            match std::fs::read(path) {
                Ok(bytes) => Ok((at, bytes)),
                Err(source) => Err(TlsError::Read { at, source }),
            }
        }
        (None, Some(text)) => Ok((PemSource { entry, field, path: None }, text.as_bytes().to_vec())),
        (None, None) => Err(TlsError::Missing { at: entry, field }),
    }
}

/// Every `CERTIFICATE` section, leaf first; other sections are skipped.
fn chain(at: &PemSource, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Pem { at: at.clone(), source })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { at: at.clone() });
    }
    Ok(chain)
}

/// The first PKCS#8, PKCS#1 or SEC1 key section.
fn private_key(at: &PemSource, pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoKey { at: at.clone() },
        source => TlsError::Pem { at: at.clone(), source },
    })
}

/// `server_names` as given, lower-cased, each a DNS name or `*.` and one (as Ingress hosts).
fn configured_names(entry: Entry, names: &[String]) -> Result<Vec<String>, TlsError> {
    names
        .iter()
        .enumerate()
        .map(|(position, name)| {
            normalize(name).filter(|n| model::validate::check_host(n).is_ok()).ok_or_else(|| TlsError::ServerName {
                at: entry,
                position,
                name: name.clone(),
            })
        })
        .collect()
}

/// Lower case, without a trailing dot; `None` when nothing is left.
pub(super) fn normalize(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}
