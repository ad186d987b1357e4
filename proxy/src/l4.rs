//! The L4 data plane: TCP and UDP listeners, each forwarding to one service, balanced by the
//! same [`crate::balance`] policies and [`crate::endpoint`] states as the L7 proxy.
//!
//! # Organization
//! - [`listen`]: binding NodePort (every address) and VIP (one address, `IP_FREEBIND`) sockets.
//! - [`tcp`]: the TCP accept loop, connection limit, endpoint choice with connect retries,
//!   idle timeout and draining.
//! - [`forward`]: moving bytes both ways: copy for small exchanges, splice(2) for bulk.
//! - [`splice`]: pipes and the splice system call (Linux).
//! - [`proxy_protocol`]: PROXY protocol v1 and v2, written to endpoints and read from clients.
//! - [`udp`]: per-client UDP flows, replies sent from the address the client targeted.
//! - [`affinity`]: client IP session affinity that outlives config swaps.
//! - [`stats`]: L4 counters in Prometheus text.
//!
//! A config swap never touches an open connection: each keeps its endpoint socket. After the
//! swap, every connection checks the new [`L4Runtime`]: when its listener or endpoint is gone
//! it drains, i.e. may finish until the listener's `timeouts.drain` deadline.

pub mod affinity;
pub mod forward;
pub mod listen;
pub mod proxy_protocol;
#[cfg(target_os = "linux")]
pub mod splice;
pub mod stats;
pub mod tcp;
pub mod udp;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use model::{Config, Policy, Protocol};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;

use crate::balance::hash_key;
use crate::metrics::Metrics;
use crate::runtime::ListenerId;
use crate::runtime::ServiceRuntime;
use crate::Shared;

use self::affinity::Affinity;
use self::stats::{EndpointStats, ListenerStats};

/// The L4 part of a compiled runtime: tcp and udp listeners by name.
#[derive(Debug, Default)]
pub struct L4Runtime {
    listeners: HashMap<Arc<str>, Arc<L4Listener>>,
}

/// One tcp or udp listener, ready for connections.
#[derive(Debug)]
pub struct L4Listener {
    /// Name.
    pub name: Arc<str>,
    /// Its config.
    pub config: model::Listener,
    /// Where its connections go.
    pub service: Arc<L4Service>,
    /// Its counters.
    pub stats: Arc<ListenerStats>,
}

/// A service as the L4 proxy uses it.
#[derive(Debug)]
pub struct L4Service {
    /// The compiled service (balancer, endpoint states, config).
    pub service: Arc<ServiceRuntime>,
    /// Client IP affinity and its timeout.
    pub affinity: Option<(Arc<Affinity>, Duration)>,
    /// Counters of each endpoint, by balancer index.
    pub endpoint_stats: Vec<Arc<EndpointStats>>,
}

/// L4 state that outlives snapshots: affinity tables, and the swap signal connections watch.
#[derive(Debug)]
pub struct Registry {
    affinity: Mutex<HashMap<String, Weak<Affinity>>>,
    swaps: watch::Sender<u64>,
}

impl Default for Registry {
    fn default() -> Self {
        Self { affinity: Mutex::default(), swaps: watch::Sender::new(0) }
    }
}

impl Registry {
    /// The affinity table of `service`, shared with earlier snapshots that still hold it.
    pub fn affinity(&self, service: &str) -> Arc<Affinity> {
        let mut map = self.affinity.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(a) = map.get(service).and_then(Weak::upgrade) {
            return a;
        }
        let a = Arc::new(Affinity::default());
        map.insert(service.to_owned(), Arc::downgrade(&a));
        map.retain(|_, w| w.strong_count() > 0);
        a
    }

    /// Tells open connections that a new runtime is in place.
    pub fn swapped(&self) {
        self.swaps.send_modify(|g| *g += 1);
    }

    /// Wakes when [`Registry::swapped`] is called.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.swaps.subscribe()
    }
}

// === impl L4Runtime ===

impl L4Runtime {
    /// Compiles the tcp and udp listeners of `config` over the compiled `services`.
    pub fn compile(
        config: &Config,
        services: &HashMap<Arc<str>, Arc<ServiceRuntime>>,
        registry: &Registry,
        metrics: &Metrics,
    ) -> Self {
        let mut compiled: HashMap<&str, Arc<L4Service>> = HashMap::new();
        let mut listeners = HashMap::new();
        for l in config.listeners.iter().filter(|l| !l.protocol.is_http()) {
            // Validation guarantees the service exists.
            let Some(name) = l.service.as_deref() else { continue };
            let Some(svc) = services.get(name) else { continue };
            let service = compiled
                .entry(name)
                .or_insert_with(|| {
                    let endpoint_stats =
                        svc.balancer.endpoints().iter().map(|e| metrics.l4.endpoint(name, e.address)).collect();
                    let affinity = svc.config.session_affinity.map(|a| (registry.affinity(name), a.timeout.get()));
                    Arc::new(L4Service { service: svc.clone(), affinity, endpoint_stats })
                })
                .clone();
            let name: Arc<str> = Arc::from(l.name.as_str());
            let stats = metrics.l4.listener(&l.name);
            listeners.insert(name.clone(), Arc::new(L4Listener { name, config: l.clone(), service, stats }));
        }
        Self { listeners }
    }

    /// Listener `name`, when it is a tcp or udp listener of this runtime.
    pub fn listener(&self, name: &str) -> Option<&Arc<L4Listener>> {
        self.listeners.get(name)
    }

    /// The tcp or udp listener `id` stands for ([`ListenerId::find`]).
    pub fn listener_at(&self, id: &ListenerId) -> Option<&Arc<L4Listener>> {
        id.find(self.listeners.get(&*id.name), self.listeners.values(), |l| &l.config)
    }

    /// Whether a connection accepted by listener `listener` (configured as `address`,
    /// `protocol`) and forwarded to `endpoint` of `service` still belongs to this runtime:
    /// false when the listener is gone or moved, or no longer sends to that endpoint. A listener
    /// renamed on the same address still keeps them.
    pub fn keeps(
        &self,
        listener: &str,
        address: SocketAddr,
        protocol: Protocol,
        service: &str,
        endpoint: SocketAddr,
    ) -> bool {
        // A listener renamed since, on the same address and protocol (port 0 names no address).
        let renamed = || {
            let here = |l: &&Arc<L4Listener>| l.config.address == address && l.config.protocol == protocol;
            self.listeners.values().find(|l| address.port() != 0 && here(l))
        };
        self.listeners.get(listener).filter(|l| l.config.address == address).or_else(renamed).is_some_and(|l| {
            l.config.address == address
                && l.config.protocol == protocol
                && &*l.service.service.name == service
                && l.service.index_of(endpoint).is_some()
        })
    }
}

// === impl L4Service ===

/// Connect attempts per connection: the first endpoint and up to two others.
const MAX_ATTEMPTS: usize = 3;

impl L4Service {
    /// An available endpoint for a client at `client` (not `skip`): its affinity endpoint
    /// when it has one, else the balancer's choice (hashed on the client IP for
    /// `consistent_hash`), which becomes its affinity endpoint.
    pub fn pick(&self, client: IpAddr, skip: Option<usize>) -> Option<usize> {
        let endpoints = self.service.balancer.endpoints();
        if let Some((table, timeout)) = &self.affinity {
            let bound = table.lookup(client, *timeout).and_then(|a| self.index_of(a));
            if let Some(i) = bound.filter(|&i| Some(i) != skip && endpoints[i].is_available()) {
                return Some(i);
            }
        }
        let hash = (self.service.config.balance.policy == Policy::ConsistentHash).then(|| client_hash(client));
        let i = self.service.balancer.pick(hash, skip)?;
        if let Some((table, timeout)) = &self.affinity {
            table.bind(client, endpoints[i].address, *timeout);
        }
        Some(i)
    }

    /// The balancer index of the endpoint at `address`.
    pub fn index_of(&self, address: SocketAddr) -> Option<usize> {
        self.service.balancer.endpoints().iter().position(|e| e.address == address)
    }

    /// Connect attempts for one connection.
    pub fn attempts(&self) -> usize {
        self.service.balancer.endpoints().len().clamp(1, MAX_ATTEMPTS)
    }
}

/// The consistent-hash key of a client address, as the L7 proxy computes it.
pub fn client_hash(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(ip) => hash_key(&ip.octets()),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => hash_key(&v4.octets()),
            None => hash_key(&ip.octets()),
        },
    }
}

// === sockets ===

/// A bound L4 listener socket.
#[derive(Debug)]
pub enum Socket {
    /// A listening TCP socket.
    Tcp(TcpListener),
    /// A UDP socket.
    Udp(UdpSocket),
}

impl Socket {
    /// Binds `listener`'s address for its protocol (tcp or udp).
    pub fn bind(listener: &model::Listener) -> io::Result<Self> {
        match listener.protocol {
            Protocol::Udp => listen::udp(listener.address).map(Self::Udp),
            _ => listen::tcp(listener.address).map(Self::Tcp),
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Self::Tcp(s) => s.local_addr(),
            Self::Udp(s) => s.local_addr(),
        }
    }

    /// Serves listener `name` on this socket until `stop` turns true.
    pub fn spawn(self, id: ListenerId, shared: Arc<Shared>, stop: watch::Receiver<bool>) {
        match self {
            Self::Tcp(s) => tokio::spawn(tcp::accept_loop(s, id, shared, stop)),
            Self::Udp(s) => tokio::spawn(udp::serve(s, id.name, shared, stop)),
        };
    }
}
