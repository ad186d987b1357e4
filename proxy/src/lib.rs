//! rampart's data planes: the L7 HTTP proxy and the L4 TCP/UDP proxy, reading one immutable
//! compiled config at a time.
//!
//! # Organization
//! - [`Proxy`] (this file): starts listeners, applies new snapshots atomically, shuts down.
//! - [`runtime`]: a snapshot compiled for the data path (routes, balancers, pools, TLS).
//! - [`endpoint`]: live per-endpoint state (health, in-flight, ejection) that survives swaps.
//! - [`fast_hash`]: a keyless hasher for config-built lookup tables.
//! - [`balance`]: round robin, least request (P2C), Maglev and ring consistent hashing.
//! - [`health`]: active HTTP health checks per endpoint.
//! - [`route`]: Ingress v1 host and path matching.
//! - [`tls`]: rustls server configs with SNI certificate selection.
//! - [`http`]: the L7 proxy: downstream servers, request handling, upstream pools.
//! - [`l4`]: the L4 proxy: TCP (splice) and UDP forwarding, PROXY protocol, affinity.
//! - [`admin`]: `/metrics`, `/healthz`, `/config`.
//! - [`metrics`]: counters and histograms in Prometheus text format.
//! - [`waf`]: WAF policies compiled from SecLang (the OWASP CRS), cached across reloads.

pub mod admin;
pub mod balance;
pub mod endpoint;
pub mod fast_hash;
pub mod health;
pub mod http;
pub mod l4;
pub mod metrics;
pub mod route;
pub mod runtime;
pub mod tls;
pub mod waf;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use model::{Protocol, Snapshot};
use tokio::net::TcpListener;
use tokio::sync::{watch, Mutex};

use crate::health::HealthChecker;
use crate::metrics::Metrics;
use crate::runtime::{CompileError, Registries, Runtime};

/// Why a snapshot was not applied. The running config is unchanged when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The snapshot could not be compiled (e.g. a certificate did not load).
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// A new listener's address could not be bound.
    #[error("listeners[{index}] ({name}): cannot bind {address}: {source}")]
    Bind {
        /// Listener index.
        index: usize,
        /// Listener name.
        name: String,
        /// Address.
        address: SocketAddr,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
    /// The admin address could not be bound.
    #[error("admin: cannot bind {address}: {source}")]
    AdminBind {
        /// Address.
        address: SocketAddr,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
}

/// State shared by every task of one proxy.
#[derive(Debug)]
pub struct Shared {
    /// The running compiled config, swapped whole.
    pub runtime: ArcSwap<Runtime>,
    /// Every metric.
    pub metrics: Metrics,
    /// Registries that make endpoint state and pools outlive snapshots.
    pub registries: Registries,
    /// Turns true when the process shuts down; connections finish gracefully.
    pub shutdown: watch::Sender<bool>,
}

#[derive(Debug)]
struct RunningListener {
    configured: SocketAddr,
    protocol: Protocol,
    local: SocketAddr,
    stop: watch::Sender<bool>,
    /// A duplicate of a TCP listening socket (http, https, tcp), so that a config switching the
    /// listener between HTTP and TCP forwarding hands the socket over instead of binding the
    /// address again while it is still bound.
    tcp: Option<std::net::TcpListener>,
}

impl RunningListener {
    /// A new handle on the TCP listening socket, for a listener taking it over as `protocol`.
    fn hand_over(&self, protocol: Protocol) -> Option<std::io::Result<Bound>> {
        let socket = self.tcp.as_ref().filter(|_| protocol != Protocol::Udp)?;
        Some(socket.try_clone().and_then(|s| {
            s.set_nonblocking(true)?;
            // Listening again only sets the backlog each accept loop binds with.
            let backlog = if protocol.is_http() { HTTP_BACKLOG } else { l4::listen::BACKLOG };
            socket2::SockRef::from(&s).listen(backlog)?;
            let listener = TcpListener::from_std(s)?;
            Ok(if protocol.is_http() { Bound::Http(listener) } else { Bound::L4(l4::Socket::Tcp(listener)) })
        }))
    }
}

/// The backlog of HTTP listeners: tokio's `TcpListener::bind` listens with it.
const HTTP_BACKLOG: i32 = 1024;

/// A newly bound listener socket.
enum Bound {
    Http(TcpListener),
    L4(l4::Socket),
}

impl Bound {
    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Self::Http(l) => l.local_addr(),
            Self::L4(s) => s.local_addr(),
        }
    }

    /// A duplicate of the socket when it is a TCP listener (see [`RunningListener::tcp`]).
    fn tcp_duplicate(&self) -> Option<std::net::TcpListener> {
        let listener = match self {
            Self::Http(l) | Self::L4(l4::Socket::Tcp(l)) => l,
            Self::L4(l4::Socket::Udp(_)) => return None,
        };
        socket2::SockRef::from(listener).try_clone().ok().map(std::net::TcpListener::from)
    }
}

#[derive(Debug)]
struct RunningAdmin {
    configured: SocketAddr,
    local: SocketAddr,
    stop: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct Running {
    listeners: HashMap<String, RunningListener>,
    admin: Option<RunningAdmin>,
}

/// A running proxy.
#[derive(Debug)]
pub struct Proxy {
    shared: Arc<Shared>,
    health: HealthChecker,
    running: Mutex<Running>,
}

impl Proxy {
    /// Compiles `snapshot`, binds every listener and the admin listener, and starts serving.
    /// Must be called within a tokio runtime.
    pub async fn start(snapshot: Snapshot) -> Result<Self, ApplyError> {
        let metrics = Metrics::default();
        let registries = Registries::default();
        let rt = Runtime::compile(snapshot, &registries, &metrics)?;
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared { runtime: ArcSwap::from_pointee(rt), metrics, registries, shutdown });
        let proxy = Self { shared, health: HealthChecker::new(), running: Mutex::new(Running::default()) };
        proxy.reconcile(None).await?;
        Ok(proxy)
    }

    /// Applies a new snapshot: compiled and bound first, then swapped in whole. On error the
    /// running config keeps serving and the failure is counted.
    pub async fn apply(&self, snapshot: Snapshot) -> Result<(), ApplyError> {
        let r = self.try_apply(snapshot).await;
        match &r {
            Ok(()) => self.shared.metrics.reloads_ok.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.shared.metrics.reloads_failed.fetch_add(1, Ordering::Relaxed),
        };
        r
    }

    async fn try_apply(&self, snapshot: Snapshot) -> Result<(), ApplyError> {
        let rt = Runtime::compile(snapshot, &self.shared.registries, &self.shared.metrics)?;
        self.reconcile(Some(rt)).await
    }

    /// Counts a config that failed before reaching the proxy (parse or validation error).
    pub fn record_rejected_config(&self) {
        self.shared.metrics.reloads_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Binds new listeners, swaps `rt` in (when given), then stops removed listeners.
    async fn reconcile(&self, rt: Option<Runtime>) -> Result<(), ApplyError> {
        let mut running = self.running.lock().await;
        let next = match &rt {
            Some(rt) => rt.snapshot.clone(),
            None => self.shared.runtime.load().snapshot.clone(),
        };
        let config = next.config();

        // Bind everything new before changing anything.
        let mut bound = Vec::new();
        // TCP sockets that their listener leaves (renamed, moved to another address, or removed),
        // by address: a TCP listener on that address in the new config takes the socket over
        // rather than binding the address again while it is still bound. So renames, moves onto
        // a freed address and swaps of addresses all go through. (UDP sockets are not handed
        // over; port 0 names no address.)
        let mut vacated: HashMap<SocketAddr, &RunningListener> = running
            .listeners
            .iter()
            .filter(|(name, r)| {
                let stays = config.listeners.iter().any(|l| &l.name == *name && l.address == r.configured);
                r.tcp.is_some() && r.configured.port() != 0 && !stays
            })
            .map(|(_, r)| (r.configured, r))
            .collect();
        for (index, l) in config.listeners.iter().enumerate() {
            // HTTP and HTTPS share accept loops that read the listener's TLS settings from the
            // running config per connection, so a socket is kept across http <-> https.
            let keep = running.listeners.get(&l.name).is_some_and(|r| {
                r.configured == l.address
                    && (r.protocol == l.protocol || (r.protocol.is_http() && l.protocol.is_http()))
            });
            if keep {
                continue;
            }
            // Same address, switching between HTTP and TCP forwarding, or an address another
            // listener leaves: the socket moves over.
            let handed_over = running.listeners.get(&l.name).filter(|r| r.configured == l.address).or_else(|| {
                if l.protocol == Protocol::Udp {
                    None
                } else {
                    vacated.remove(&l.address)
                }
            });
            let socket = if let Some(socket) = handed_over.and_then(|r| r.hand_over(l.protocol)) {
                socket
            } else if l.protocol.is_http() {
                TcpListener::bind(l.address).await.map(Bound::Http)
            } else {
                l4::Socket::bind(l).map(Bound::L4)
            };
            let socket = socket.map_err(|source| ApplyError::Bind {
                index,
                name: l.name.clone(),
                address: l.address,
                source,
            })?;
            bound.push((l.clone(), socket));
        }
        let admin = &config.admin;
        let admin_changed = match &running.admin {
            Some(a) => !admin.enabled || a.configured != admin.address,
            None => admin.enabled,
        };
        let new_admin = if admin_changed && admin.enabled {
            Some(
                TcpListener::bind(admin.address)
                    .await
                    .map_err(|source| ApplyError::AdminBind { address: admin.address, source })?,
            )
        } else {
            None
        };

        // Swap.
        if let Some(rt) = rt {
            self.shared.runtime.store(Arc::new(rt));
            self.shared.registries.l4.swapped();
            // A policy no longer configured gives up its persistent collections (the old
            // runtime keeps its own reference until it is dropped).
            self.shared.registries.waf.retain_collections(|name| config.waf.iter().any(|w| w.name == name));
        }

        // Start new listeners, stop replaced and removed ones.
        for (l, socket) in bound {
            let local = socket.local_addr().unwrap_or(l.address);
            let tcp = socket.tcp_duplicate();
            let (stop, stop_rx) = watch::channel(false);
            if let Some(old) = running.listeners.remove(&l.name) {
                let _ = old.stop.send(true);
            }
            tracing::info!(listener = %l.name, address = %local, protocol = %l.protocol, "listening");
            let id = runtime::ListenerId::of(&l);
            match socket {
                Bound::Http(listener) => {
                    tokio::spawn(http::server::accept_loop(listener, id, self.shared.clone(), stop_rx));
                }
                Bound::L4(socket) => socket.spawn(id, self.shared.clone(), stop_rx),
            }
            running.listeners.insert(
                l.name.clone(),
                RunningListener { configured: l.address, protocol: l.protocol, local, stop, tcp },
            );
        }
        running.listeners.retain(|name, r| {
            let keep = config.listeners.iter().any(|l| &l.name == name);
            if !keep {
                tracing::info!(listener = %name, "listener removed; draining");
                let _ = r.stop.send(true);
            }
            keep
        });
        if admin_changed {
            if let Some(old) = running.admin.take() {
                let _ = old.stop.send(true);
            }
            if let Some(listener) = new_admin {
                let local = listener.local_addr().unwrap_or(admin.address);
                let (stop, stop_rx) = watch::channel(false);
                tracing::info!(address = %local, "admin listening");
                tokio::spawn(admin::serve(listener, self.shared.clone(), stop_rx));
                running.admin = Some(RunningAdmin { configured: admin.address, local, stop });
            }
        }
        self.health.reconcile(self.shared.runtime.load().health_targets());
        Ok(())
    }

    /// The running compiled config.
    pub fn runtime(&self) -> Arc<Runtime> {
        self.shared.runtime.load_full()
    }

    /// Every metric.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// The address listener `name` is bound to (useful with port 0).
    pub async fn listener_addr(&self, name: &str) -> Option<SocketAddr> {
        self.running.lock().await.listeners.get(name).map(|r| r.local)
    }

    /// The admin listener's address.
    pub async fn admin_addr(&self) -> Option<SocketAddr> {
        self.running.lock().await.admin.as_ref().map(|a| a.local)
    }

    /// Stops accepting, asks every connection to finish its in-flight requests, and waits up
    /// to `grace` for them. Returns true when every connection ended in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        let _ = self.shared.shutdown.send(true);
        let mut running = self.running.lock().await;
        for (_, l) in running.listeners.drain() {
            let _ = l.stop.send(true);
        }
        let deadline = Instant::now() + grace;
        while self.shared.metrics.connections_active.load(Ordering::Relaxed) > 0 {
            if Instant::now() >= deadline {
                tracing::warn!(
                    open = self.shared.metrics.connections_active.load(Ordering::Relaxed),
                    "shutdown deadline passed with connections open"
                );
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Some(a) = running.admin.take() {
            let _ = a.stop.send(true);
        }
        true
    }
}

/// Resolves once `flag` is true (or its sender is gone).
pub(crate) async fn stopped(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|s| *s).await;
}
