//! Upstream connections: a keep-alive pool of HTTP/1.1 connections per endpoint, or one
//! shared HTTP/2 connection per endpoint.
//!
//! A connection is checked out for one exchange and comes back when the response body has
//! been read to its end; a response that is dropped half-read closes its connection instead,
//! so no pooled connection ever carries leftover bytes.
//!
//! - [`h1`]: HTTP/1.1 exchanges run in the request's own task (the hot path).
//! - [`h1_body`]: their response bodies.
//!
//! `Upgrade` requests (WebSocket) and HTTP/2 services use hyper's client connections.

pub mod h1;
pub mod h1_body;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use model::UpstreamProtocol;
use tokio::net::TcpStream;

/// Body type sent upstream: the downstream body under the route's size limit.
pub type UpBody = http_body_util::Limited<crate::http::body::RequestBody>;

/// Why no connection could be had. No byte of the request was sent, so a retry is safe.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// TCP connect failed.
    #[error("connect to {addr}: {source}")]
    Io {
        /// Endpoint.
        addr: SocketAddr,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
    /// TCP connect took longer than the service's connect timeout.
    #[error("connect to {0}: timed out")]
    Timeout(SocketAddr),
    /// The HTTP/2 handshake failed.
    #[error("handshake with {addr}: {source}")]
    Handshake {
        /// Endpoint.
        addr: SocketAddr,
        /// What hyper said.
        #[source]
        source: hyper::Error,
    },
}

struct Idle {
    conn: h1::H1Conn,
    since: Instant,
}

/// Connections to one endpoint address.
pub struct EndpointPool {
    address: SocketAddr,
    protocol: UpstreamProtocol,
    idle: Mutex<Vec<Idle>>,
    h2: Mutex<Option<http2::SendRequest<UpBody>>>,
}

impl std::fmt::Debug for EndpointPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointPool").field("address", &self.address).field("protocol", &self.protocol).finish()
    }
}

/// Most idle HTTP/1.1 connections kept per endpoint.
const MAX_IDLE: usize = 256;

/// A hyper client connection, for upgrades and HTTP/2.
#[derive(Debug)]
pub enum Conn {
    /// A fresh HTTP/1.1 connection for one `Upgrade` exchange; never pooled.
    H1(http1::SendRequest<UpBody>),
    /// A handle on the shared HTTP/2 connection.
    H2(http2::SendRequest<UpBody>),
}

impl EndpointPool {
    fn new(address: SocketAddr, protocol: UpstreamProtocol) -> Self {
        Self { address, protocol, idle: Mutex::new(Vec::new()), h2: Mutex::new(None) }
    }

    /// The endpoint address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// An idle HTTP/1.1 connection if one is usable, else a new one; true when reused.
    pub async fn checkout_h1(
        &self,
        connect_timeout: Duration,
        idle_timeout: Duration,
    ) -> Result<(h1::H1Conn, bool), ConnectError> {
        if let Some(conn) = self.pop_idle(idle_timeout) {
            return Ok((conn, true));
        }
        Ok((self.connect_h1(connect_timeout).await?, false))
    }

    /// A new HTTP/1.1 connection.
    pub async fn connect_h1(&self, connect_timeout: Duration) -> Result<h1::H1Conn, ConnectError> {
        Ok(h1::H1Conn::new(self.tcp(connect_timeout).await?.into_inner()))
    }

    /// A hyper connection: a fresh HTTP/1.1 one for an upgrade, or the shared HTTP/2 one.
    pub async fn checkout_hyper(&self, connect_timeout: Duration) -> Result<Conn, ConnectError> {
        match self.protocol {
            UpstreamProtocol::Http1 => Ok(Conn::H1(self.connect_hyper_h1(connect_timeout).await?)),
            UpstreamProtocol::Http2 => {
                if let Some(s) = self.h2.lock().unwrap().as_ref() {
                    if !s.is_closed() {
                        return Ok(Conn::H2(s.clone()));
                    }
                }
                let s = self.connect_h2(connect_timeout).await?;
                *self.h2.lock().unwrap() = Some(s.clone());
                Ok(Conn::H2(s))
            }
        }
    }

    fn pop_idle(&self, idle_timeout: Duration) -> Option<h1::H1Conn> {
        let mut idle = self.idle.lock().unwrap();
        while let Some(i) = idle.pop() {
            if i.since.elapsed() < idle_timeout && !i.conn.is_stale() {
                return Some(i.conn);
            }
        }
        None
    }

    /// Returns a connection whose exchange finished cleanly.
    pub fn checkin_h1(&self, conn: h1::H1Conn) {
        let mut idle = self.idle.lock().unwrap();
        if idle.len() < MAX_IDLE {
            idle.push(Idle { conn, since: Instant::now() });
        }
    }

    async fn tcp(&self, connect_timeout: Duration) -> Result<TokioIo<TcpStream>, ConnectError> {
        let addr = self.address;
        let stream = match tokio::time::timeout(connect_timeout, TcpStream::connect(addr)).await {
            Err(_) => return Err(ConnectError::Timeout(addr)),
            Ok(Err(source)) => return Err(ConnectError::Io { addr, source }),
            Ok(Ok(s)) => s,
        };
        let _ = stream.set_nodelay(true);
        Ok(TokioIo::new(stream))
    }

    async fn connect_hyper_h1(&self, connect_timeout: Duration) -> Result<http1::SendRequest<UpBody>, ConnectError> {
        let io = self.tcp(connect_timeout).await?;
        // The HTTP/1 client handshake does no I/O; it cannot fail on a fresh socket in practice.
        let (sender, conn) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(|source| ConnectError::Handshake { addr: self.address, source })?;
        let addr = self.address;
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!(upstream = %addr, error = %e, "upstream connection ended with error");
            }
        });
        Ok(sender)
    }

    async fn connect_h2(&self, connect_timeout: Duration) -> Result<http2::SendRequest<UpBody>, ConnectError> {
        let io = self.tcp(connect_timeout).await?;
        let (sender, conn) = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .handshake(io)
            .await
            .map_err(|source| ConnectError::Handshake { addr: self.address, source })?;
        let addr = self.address;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(upstream = %addr, error = %e, "upstream h2 connection ended with error");
            }
        });
        Ok(sender)
    }
}

type PoolKey = (SocketAddr, UpstreamProtocol);

/// One pool per (address, protocol), shared by every snapshot that uses it.
#[derive(Debug, Default)]
pub struct PoolRegistry {
    map: Mutex<HashMap<PoolKey, Weak<EndpointPool>>>,
}

impl PoolRegistry {
    /// The pool for `address`, created on first use.
    pub fn get(&self, address: SocketAddr, protocol: UpstreamProtocol) -> Arc<EndpointPool> {
        let mut map = self.map.lock().unwrap();
        if let Some(p) = map.get(&(address, protocol)).and_then(Weak::upgrade) {
            return p;
        }
        let p = Arc::new(EndpointPool::new(address, protocol));
        map.insert((address, protocol), Arc::downgrade(&p));
        map.retain(|_, w| w.strong_count() > 0);
        p
    }
}

/// Sends `req` on `conn`. On failure before the request was written, the request comes back
/// so it can be sent elsewhere.
pub async fn send(
    conn: &mut Conn,
    req: Request<UpBody>,
) -> Result<Response<Incoming>, (hyper::Error, Option<Request<UpBody>>)> {
    let r = match conn {
        Conn::H1(sender) => {
            if let Err(e) = sender.ready().await {
                return Err((e, Some(req)));
            }
            sender.try_send_request(req).await
        }
        Conn::H2(sender) => {
            if let Err(e) = sender.ready().await {
                return Err((e, Some(req)));
            }
            sender.try_send_request(req).await
        }
    };
    r.map_err(|mut e| {
        let back = e.take_message();
        (e.into_error(), back)
    })
}
