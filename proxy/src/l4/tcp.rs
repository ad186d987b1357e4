//! TCP listeners: accept, enforce the connection limit, read a PROXY header when the
//! listener expects one, pick and connect an endpoint (retrying others before any byte is
//! forwarded), then forward until both sides are done, the connection idles out, or a drain
//! deadline passes.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use super::forward::{Forward, Half};
use super::proxy_protocol::{self, Header, Parsed};
use super::stats::Open;
use super::{L4Listener, L4Service};
use crate::endpoint::{now_ms, InFlight};
use crate::runtime::ListenerId;
use crate::Shared;

/// Why a connection ended before any forwarding.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TcpError {
    /// The client's PROXY protocol header was malformed.
    #[error("PROXY protocol header: {0}")]
    ProxyHeader(#[from] proxy_protocol::ParseError),
    /// The client did not send a whole PROXY header in time.
    #[error("no PROXY protocol header within {0:?}")]
    ProxyHeaderTimeout(Duration),
    /// The client closed before a whole PROXY header.
    #[error("client closed before a whole PROXY protocol header")]
    ProxyHeaderClosed,
    /// Reading from the client failed.
    #[error("client: {0}")]
    Client(#[source] io::Error),
}

/// Idle checks per idle timeout: a connection idle for `idle` closes within `idle * 5/4`.
const IDLE_CHECKS: u32 = 4;

/// Accepts connections of listener `id` until `stop` turns true.
pub async fn accept_loop(listener: TcpListener, id: ListenerId, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let name = id.name.clone();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    let rt = shared.runtime.load();
                    match rt.l4.listener_at(&id).cloned() {
                        Some(l) => spawn_accepted(stream, peer, l, &shared),
                        // Accepted just as the listener switched to HTTP on this socket.
                        None if rt.http_listener(&id).is_some() => {
                            tokio::spawn(crate::http::server::serve(stream, peer, id.clone(), shared.clone()));
                        }
                        None => {}
                    }
                }
                Err(e) => {
                    // Out of descriptors or a transient error: back off instead of spinning.
                    tracing::warn!(listener = %name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = crate::stopped(&mut stop) => break,
        }
    }
    tracing::info!(listener = %name, "listener stopped accepting");
}

/// Serves a connection accepted for `l`, or closes it when the listener is at its limit.
pub(crate) fn spawn_accepted(stream: TcpStream, peer: SocketAddr, l: Arc<L4Listener>, shared: &Arc<Shared>) {
    let open = l.stats.active.load(Ordering::Relaxed);
    if l.config.max_connections.is_some_and(|max| open >= i64::from(max)) {
        refuse(&l, peer);
        return;
    }
    let open = Open::listener(l.stats.clone());
    tokio::spawn(serve(stream, peer, l, shared.clone(), open));
}

/// Closes a connection over the limit: counted always, logged at most once a second.
pub(crate) fn refuse(l: &L4Listener, peer: SocketAddr) {
    let total = l.stats.refused_limit.fetch_add(1, Ordering::Relaxed) + 1;
    let now = now_ms();
    let last = l.stats.limit_logged_ms.load(Ordering::Relaxed);
    if (last == 0 || now.saturating_sub(last) >= 1000)
        && l.stats.limit_logged_ms.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    {
        tracing::warn!(
            listener = %l.name,
            max_connections = l.config.max_connections.unwrap_or(0),
            refused_total = total,
            client = %peer,
            "connection limit reached; closing new connections (metric rampart_l4_listener_closed_total{{reason=\"max_connections\"}})"
        );
    }
}

/// Counts a downstream connection in the process-wide gauges until dropped.
struct ConnGuard(Arc<Shared>);

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.0.metrics.connections_active.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn serve(stream: TcpStream, peer: SocketAddr, l: Arc<L4Listener>, shared: Arc<Shared>, mut open: Open) {
    shared.metrics.connections_total.fetch_add(1, Ordering::Relaxed);
    shared.metrics.connections_active.fetch_add(1, Ordering::Relaxed);
    let _guard = ConnGuard(shared.clone());
    let _ = stream.set_nodelay(true);
    if let Some(bytes) = l.config.send_buffer_bytes {
        set_send_buffer(&stream, bytes);
    }
    let local = stream.local_addr().unwrap_or(l.config.address);

    let (client, target, early) = if l.config.accept_proxy_protocol {
        match read_proxy_header(&stream, l.config.timeouts.request_header.get()).await {
            Ok((Header::Proxied { source, destination }, rest)) => (source, destination, rest),
            Ok((Header::Local, rest)) => (peer, local, rest),
            Err(error) => {
                l.stats.refused_proxy_protocol.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(listener = %l.name, client = %peer, %error, "closing connection");
                return;
            }
        }
    } else {
        (peer, local, Vec::new())
    };

    let svc = &l.service;
    let Some((upstream, index, _in_flight)) = connect(svc, client.ip(), &l).await else {
        l.stats.no_endpoint.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let _ = upstream.set_nodelay(true);
    let stats = svc.endpoint_stats[index].clone();
    open.set_endpoint(stats.clone());
    let endpoint = svc.service.balancer.endpoints()[index].address;

    let mut prefix = match svc.service.config.proxy_protocol {
        Some(v) => proxy_protocol::encode(v, client, target),
        None => Vec::new(),
    };
    prefix.extend_from_slice(&early);
    let mut fwd = Forward::new(
        &stream,
        &upstream,
        Half::new(stats.bytes_in.clone(), &prefix),
        Half::new(stats.bytes_out.clone(), b""),
    );

    let idle = l.config.timeouts.idle.get().max(Duration::from_millis(IDLE_CHECKS.into()));
    let period = idle / IDLE_CHECKS;
    let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut seen, mut quiet) = (0, 0);
    let mut swaps = shared.registries.l4.subscribe();
    let mut deadline: Option<Instant> = None;
    loop {
        tokio::select! {
            biased;
            r = &mut fwd => {
                if let Err(error) = r {
                    tracing::debug!(listener = %l.name, client = %client, %endpoint, %error, "connection ended with an error");
                }
                return;
            }
            _ = ticks.tick() => {
                if fwd.events() != seen {
                    (seen, quiet) = (fwd.events(), 0);
                } else {
                    quiet += 1;
                    if quiet >= IDLE_CHECKS {
                        l.stats.idle_closed.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(listener = %l.name, client = %client, %endpoint, ?idle, "closing idle connection");
                        return;
                    }
                }
            }
            () = swapped(&mut swaps) => {
                let rt = shared.runtime.load();
                if rt.l4.keeps(&l.name, l.config.address, l.config.protocol, &svc.service.name, endpoint) {
                    deadline = None;
                } else if deadline.is_none() {
                    let drain = rt.l4.listener(&l.name).map_or(l.config.timeouts.drain, |n| n.config.timeouts.drain).get();
                    tracing::info!(listener = %l.name, client = %client, %endpoint, ?drain, "listener or endpoint removed; connection draining");
                    deadline = Some(Instant::now() + drain);
                }
            }
            _ = sleep_until(deadline) => {
                l.stats.drain_closed.fetch_add(1, Ordering::Relaxed);
                tracing::info!(listener = %l.name, client = %client, %endpoint, "drain deadline passed; closing connection");
                return;
            }
        }
    }
}

/// Resolves after each config swap; never once the proxy is gone (the connection then runs
/// until it ends by itself).
async fn swapped(rx: &mut watch::Receiver<u64>) {
    if rx.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Connects to an endpoint for `client`, trying others after a failed or timed-out
/// connect. Failures feed passive ejection. The endpoint's in-flight count (least
/// connections) holds until the returned guard drops.
async fn connect(svc: &L4Service, client: IpAddr, l: &L4Listener) -> Option<(TcpStream, usize, InFlight)> {
    let s = &svc.service;
    let timeout = s.config.timeouts.connect.get();
    let outlier = s.config.outlier;
    let attempts = svc.attempts();
    let mut skip = None;
    for attempt in 1..=attempts {
        let Some(i) = svc.pick(client, skip) else {
            tracing::warn!(listener = %l.name, service = %s.name, "no available endpoint; closing connection");
            return None;
        };
        let ep = &s.balancer.endpoints()[i];
        let in_flight = ep.start_request();
        let error = match tokio::time::timeout(timeout, connect_to(ep.address, s.config.send_buffer_bytes)).await {
            Ok(Ok(stream)) => {
                ep.record_success();
                return Some((stream, i, in_flight));
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("timed out after {timeout:?}"),
        };
        drop(in_flight);
        ep.record_failure(outlier.consecutive_failures, outlier.ejection_time.get());
        svc.endpoint_stats[i].connect_failures.fetch_add(1, Ordering::Relaxed);
        s.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
        let retry = attempt < attempts;
        if retry {
            s.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
        tracing::warn!(listener = %l.name, service = %s.name, endpoint = %ep.address, %error, retry, "connect failed");
        skip = Some(i);
    }
    None
}

/// Connects to `address`; a nonzero `send_buffer` is the socket's `SO_SNDBUF` (the kernel
/// clamps it to `net.core.wmem_max`).
async fn connect_to(address: SocketAddr, send_buffer: u64) -> io::Result<TcpStream> {
    let socket = if address.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_nodelay(true)?;
    if send_buffer != 0 {
        if let Err(error) = socket.set_send_buffer_size(u32::try_from(send_buffer).unwrap_or(u32::MAX)) {
            // Not the endpoint's fault: connect anyway, with the kernel's autotuning.
            tracing::debug!(%error, send_buffer, "SO_SNDBUF refused; the kernel's autotuning stays");
        }
    }
    socket.connect(address).await
}

/// Sets an accepted connection's `SO_SNDBUF`; the kernel clamps it to `net.core.wmem_max`.
fn set_send_buffer(stream: &TcpStream, bytes: u64) {
    if let Err(error) =
        socket2::SockRef::from(stream).set_send_buffer_size(usize::try_from(bytes).unwrap_or(usize::MAX))
    {
        tracing::debug!(%error, bytes, "SO_SNDBUF refused; the kernel's autotuning stays");
    }
}

/// Reads a PROXY protocol header; returns it and any client bytes read past it.
async fn read_proxy_header(stream: &TcpStream, limit: Duration) -> Result<(Header, Vec<u8>), TcpError> {
    let read = async {
        let mut buf = Vec::with_capacity(256);
        let mut chunk = [0u8; 512];
        loop {
            stream.readable().await.map_err(TcpError::Client)?;
            match stream.try_read(&mut chunk) {
                Ok(0) => return Err(TcpError::ProxyHeaderClosed),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(TcpError::Client(e)),
            }
            if let Parsed::Done { header, len } = proxy_protocol::parse(&buf)? {
                return Ok((header, buf.split_off(len)));
            }
        }
    };
    match tokio::time::timeout(limit, read).await {
        Ok(r) => r,
        Err(_) => Err(TcpError::ProxyHeaderTimeout(limit)),
    }
}
