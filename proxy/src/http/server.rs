//! Downstream side: accept loops, TLS, HTTP/1.1-vs-HTTP/2 detection, and serving each
//! connection until it ends or a graceful shutdown asks it to finish.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::http::body::RequestBody;
use crate::http::gate::{Gate, GateConfig, DEFAULT_MAX_HEAD_BYTES};
use crate::http::h1_server::{self, Exit};
use crate::http::handler::{handle_or_drop, ConnContext};
use crate::http::headers;
use crate::http::io::{idle_for, Activity, Rewind, Watched};
use crate::runtime::ListenerId;
use crate::Shared;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Accepts connections on `listener` for listener `id` until `stop` turns true.
pub async fn accept_loop(listener: TcpListener, id: ListenerId, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let name = id.name.clone();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    tokio::spawn(serve(stream, peer, id.clone(), shared.clone()));
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

/// Counts an open downstream connection until dropped.
struct ConnGuard(Arc<Shared>);

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.0.metrics.connections_active.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(crate) async fn serve(stream: TcpStream, peer: SocketAddr, id: ListenerId, shared: Arc<Shared>) {
    let lr = {
        let rt = shared.runtime.load();
        match rt.http_listener(&id).cloned() {
            Some(lr) => lr,
            None => {
                // Accepted just as the listener switched to TCP forwarding on this socket.
                if let Some(l) = rt.l4.listener_at(&id).cloned() {
                    crate::l4::tcp::spawn_accepted(stream, peer, l, &shared);
                }
                return;
            }
        }
    };
    shared.metrics.connections_total.fetch_add(1, Ordering::Relaxed);
    shared.metrics.connections_active.fetch_add(1, Ordering::Relaxed);
    let _guard = ConnGuard(shared.clone());
    let _ = stream.set_nodelay(true);
    let header_timeout = lr.config.timeouts.request_header.get();
    let settings = ConnSettings { header_timeout, idle: lr.config.timeouts.idle.get(), http2: lr.config.http2 };
    let shutdown = shared.shutdown.subscribe();
    let activity = Activity::new();
    let stream = Watched::new(stream, activity.clone());

    if let Some(tls) = &lr.tls {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.clone());
        let tls_stream = match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::debug!(client = %peer, error = %e, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(client = %peer, "TLS handshake timed out");
                return;
            }
        };
        let h2 = tls_stream.get_ref().1.alpn_protocol() == Some(b"h2");
        let ctx = Arc::new(ConnContext {
            shared,
            listener: id.clone(),
            client: peer,
            client_ip: headers::ip_value(peer.ip()),
            proto: "https",
            activity,
        });
        if h2 {
            serve_h2(tls_stream, ctx, settings, shutdown).await;
        } else {
            serve_http1(tls_stream, Bytes::new(), ctx, settings, shutdown).await;
        }
        return;
    }

    let mut stream = stream;
    let Some(prefix) = sniff(&mut stream, header_timeout).await else { return };
    let ctx = Arc::new(ConnContext {
        shared,
        listener: id,
        client: peer,
        client_ip: headers::ip_value(peer.ip()),
        proto: "http",
        activity,
    });
    if settings.http2 && prefix.len() >= H2_PREFACE.len() && prefix.starts_with(H2_PREFACE) {
        serve_h2(Rewind::new(prefix, stream), ctx, settings, shutdown).await;
    } else {
        serve_http1(stream, prefix, ctx, settings, shutdown).await;
    }
}

/// Reads until the first bytes tell HTTP/2 prior knowledge from HTTP/1; None on EOF/timeout.
async fn sniff(stream: &mut Watched<TcpStream>, limit: Duration) -> Option<Bytes> {
    let mut buf = BytesMut::with_capacity(4096);
    let read = async {
        loop {
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            }
            let n = buf.len().min(H2_PREFACE.len());
            if buf[..n] != H2_PREFACE[..n] || buf.len() >= H2_PREFACE.len() {
                return true;
            }
        }
    };
    match tokio::time::timeout(limit, read).await {
        Ok(true) => Some(buf.freeze()),
        _ => None,
    }
}

#[derive(Clone, Copy)]
struct ConnSettings {
    header_timeout: Duration,
    idle: Duration,
    http2: bool,
}

/// HTTP/1: rampart's own loop, handing the connection to hyper for what it does not serve.
async fn serve_http1<IO>(
    io: IO,
    prefix: Bytes,
    ctx: Arc<ConnContext>,
    settings: ConnSettings,
    shutdown: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = ctx.activity.clone();
    let limits = h1_server::Limits { header_timeout: settings.header_timeout, max_head_bytes: DEFAULT_MAX_HEAD_BYTES };
    let lean = h1_server::serve(io, prefix, ctx.clone(), limits, shutdown.clone());
    let exit = tokio::select! {
        exit = lean => exit,
        _ = idle_for(&activity, settings.idle) => {
            tracing::debug!("closing idle connection");
            return;
        }
    };
    if let Exit::Hyper { io, buffered } = exit {
        serve_h1(Gate::new(io, buffered, GateConfig::default()), ctx, settings, shutdown).await;
    }
}

/// HTTP/1 through hyper, behind the smuggling gate.
async fn serve_h1<IO>(io: IO, ctx: Arc<ConnContext>, settings: ConnSettings, mut shutdown: watch::Receiver<bool>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = ctx.activity.clone();
    let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
        handle_or_drop(ctx.clone(), req.map(RequestBody::hyper))
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), svc)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "HTTP/1 connection ended with error");
            }
            return;
        }
        _ = crate::stopped(&mut shutdown) => {}
        _ = idle_for(&activity, settings.idle) => tracing::debug!("closing idle connection"),
    }
    conn.as_mut().graceful_shutdown();
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "HTTP/1 connection ended with error during shutdown");
    }
}

async fn serve_h2<IO>(io: IO, ctx: Arc<ConnContext>, settings: ConnSettings, mut shutdown: watch::Receiver<bool>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = ctx.activity.clone();
    // A WAF `drop` on any stream closes the whole connection, as on HTTP/1: the stream's
    // service says so here, and the connection is dropped below (no GOAWAY, as `drop` means
    // an immediate close).
    let dropped = Arc::new(tokio::sync::Notify::new());
    let drop_signal = dropped.clone();
    let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let (ctx, drop_signal) = (ctx.clone(), drop_signal.clone());
        async move {
            let r = handle_or_drop(ctx, req.map(RequestBody::hyper)).await;
            if r.is_err() {
                drop_signal.notify_one();
            }
            r
        }
    });
    let conn = http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(settings.header_timeout.max(Duration::from_secs(10))))
        .max_concurrent_streams(256)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "HTTP/2 connection ended with error");
            }
            return;
        }
        _ = dropped.notified() => {
            tracing::debug!("closing the HTTP/2 connection: a WAF rule dropped one of its requests");
            return;
        }
        _ = crate::stopped(&mut shutdown) => {}
        _ = idle_for(&activity, settings.idle) => tracing::debug!("closing idle connection"),
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        r = conn => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "HTTP/2 connection ended with error during shutdown");
            }
        }
        _ = dropped.notified() => {
            tracing::debug!("closing the HTTP/2 connection: a WAF rule dropped one of its requests");
        }
    }
}
