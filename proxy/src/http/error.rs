//! Why a proxied request failed, who caused it, and the one status each failure maps to.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::http::body::BoxError;
use crate::http::upstream::ConnectError;

/// Who caused a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The client.
    Downstream,
    /// The origin.
    Upstream,
    /// rampart or its config.
    Internal,
}

/// A request that could not be proxied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The service has no endpoint that may take traffic.
    #[error("no healthy endpoint in service {0}")]
    NoEndpoint(Arc<str>),
    /// No connection to the endpoint(s) could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The upstream did not send a response head in time.
    #[error("upstream {0} sent no response within {1:?}")]
    Timeout(std::net::SocketAddr, Duration),
    /// The exchange with the upstream broke.
    #[error("upstream {0}: {1}")]
    Upstream(std::net::SocketAddr, BoxError),
    /// The request body exceeded the route's limit.
    #[error("request body larger than {0} bytes")]
    BodyTooLarge(u64),
    /// The request body could not be read (malformed framing, client gone).
    #[error("request body: {0}")]
    BadBody(BoxError),
    /// The listener no longer exists in the running config.
    #[error("listener {0} was removed")]
    ListenerGone(Arc<str>),
}

impl ProxyError {
    /// The status sent downstream.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NoEndpoint(_) | Self::ListenerGone(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Connect(ConnectError::Timeout(_)) | Self::Timeout(..) => StatusCode::GATEWAY_TIMEOUT,
            Self::Connect(_) | Self::Upstream(..) => StatusCode::BAD_GATEWAY,
            Self::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadBody(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// Who caused it.
    pub fn side(&self) -> Side {
        match self {
            Self::NoEndpoint(_) | Self::ListenerGone(_) => Side::Internal,
            Self::Connect(_) | Self::Timeout(..) | Self::Upstream(..) => Side::Upstream,
            Self::BodyTooLarge(_) | Self::BadBody(_) => Side::Downstream,
        }
    }

    /// True when the request provably never reached an upstream, so another may be tried.
    pub fn retry_safe(&self) -> bool {
        matches!(self, Self::Connect(_))
    }

    /// True when the downstream connection must not be reused after this answer.
    pub fn closes_connection(&self) -> bool {
        self.side() == Side::Downstream
    }
}
