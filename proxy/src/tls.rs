//! PLACEHOLDER: replaced by the TLS branch.
use std::sync::Arc;

/// Why a listener's TLS settings could not be turned into a server config.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// Placeholder.
    #[error("{0}")]
    Other(String),
}

/// A rustls server config for `tls`, ALPN `h2` offered when `http2`.
pub fn server_config(_tls: &model::ListenerTls, _http2: bool) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    Err(TlsError::Other("not built yet".into()))
}
