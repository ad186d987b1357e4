//! One TCP health probe: the endpoint is healthy when it accepts a connection in time.
//!
//! The connection is closed at once without a byte sent, as HAProxy's plain `check` on a
//! `mode tcp` server and Kubernetes' `tcpSocket` probe do.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use super::http_check::CheckError;

/// Connects to `address` within `timeout`.
pub async fn probe(address: SocketAddr, timeout: Duration) -> Result<(), CheckError> {
    match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(e)) => Err(CheckError::Connect(e)),
        Err(_) => Err(CheckError::Timeout(timeout)),
    }
}
