//! A config snapshot compiled for the data path: route tables, balancers, pools, TLS configs.
//!
//! Compiling is the only place a snapshot can still be refused (a certificate that does not
//! load); once built, a [`Runtime`] is immutable and swapped in whole.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;
use model::{Protocol, Snapshot};

use crate::balance::Balancer;
use crate::endpoint::{EndpointState, Registry};
use crate::health::CheckTarget;
use crate::http::upstream::{EndpointPool, PoolRegistry};
use crate::metrics::{Metrics, RouteStats, ServiceStats};
use crate::route::{RouteTable, Rule};

/// Why a snapshot could not be compiled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// A WAF policy's rules did not load or compile.
    #[error(transparent)]
    Waf(#[from] crate::waf::WafError),
    /// A listener's certificates did not load.
    #[error("listeners[{index}].tls.{source}")]
    Tls {
        /// Listener index in the config.
        index: usize,
        /// What failed.
        #[source]
        source: crate::tls::TlsError,
    },
}

/// The compiled form of one snapshot.
#[derive(Debug)]
pub struct Runtime {
    /// The snapshot this was compiled from.
    pub snapshot: Snapshot,
    /// HTTP listeners by name (looked up per request).
    pub listeners: crate::fast_hash::FastMap<Arc<str>, Arc<ListenerRuntime>>,
    /// Services by name.
    pub services: HashMap<Arc<str>, Arc<ServiceRuntime>>,
    /// TCP and UDP listeners.
    pub l4: crate::l4::L4Runtime,
}

/// One HTTP/HTTPS listener's routing.
#[derive(Debug)]
pub struct ListenerRuntime {
    /// The listener's config.
    pub config: model::Listener,
    /// Host and path rules.
    pub routes: RouteTable<Arc<RouteTarget>>,
    /// What unmatched requests get: the default backend, or 404.
    pub fallback: Arc<RouteTarget>,
    /// TLS settings for HTTPS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// What a matched route path does.
#[derive(Debug)]
pub struct RouteTarget {
    /// Route label for metrics and logs.
    pub route: Arc<str>,
    /// Path label for metrics.
    pub path: Arc<str>,
    /// Body size limit.
    pub max_body: u64,
    /// The action.
    pub action: Action,
    /// Response counters.
    pub stats: Arc<RouteStats>,
    /// The WAF policy inspecting these requests, if any.
    pub waf: Option<Arc<crate::waf::Policy>>,
}

/// The action of a route.
#[derive(Debug)]
pub enum Action {
    /// Proxy to a service.
    Backend(Arc<ServiceRuntime>),
    /// Answer directly.
    Respond(DirectResponse),
}

/// A precompiled direct response.
#[derive(Debug)]
pub struct DirectResponse {
    /// Status code.
    pub status: http::StatusCode,
    /// Content type.
    pub content_type: HeaderValue,
    /// Body.
    pub body: Bytes,
}

/// A service ready to take requests.
#[derive(Debug)]
pub struct ServiceRuntime {
    /// Name.
    pub name: Arc<str>,
    /// Config.
    pub config: model::Service,
    /// Endpoint picker (holds the endpoint states).
    pub balancer: Balancer,
    /// Connection pools, by the balancer's endpoint index.
    pub pools: Vec<Arc<EndpointPool>>,
    /// Latency and error counters.
    pub stats: Arc<ServiceStats>,
}

/// Shared registries that make state outlive one snapshot.
#[derive(Debug, Default)]
pub struct Registries {
    /// Endpoint health and load.
    pub endpoints: Registry,
    /// Upstream connection pools.
    pub pools: PoolRegistry,
    /// Compiled WAF rule sets and WAF counters.
    pub waf: crate::waf::WafRegistry,
    /// L4 affinity tables and the swap signal.
    pub l4: crate::l4::Registry,
}

/// What an accept loop and its connections know their listener by: its name, the address it
/// is configured with, and its transport. A listener renamed in a new config keeps its socket
/// (same address), so its connections go on under the new name (see [`ListenerId::find`]).
#[derive(Debug, Clone)]
pub struct ListenerId {
    /// The name when the socket was bound or handed over.
    pub name: Arc<str>,
    /// The configured address (`0.0.0.0:80`, not the accepting side's address).
    pub address: std::net::SocketAddr,
    /// A UDP listener (datagrams), not a TCP one (`tcp`, `http`, `https`): a TCP and a UDP
    /// listener may share an address.
    pub udp: bool,
}

impl ListenerId {
    /// The id of `listener`.
    pub fn of(listener: &model::Listener) -> Self {
        Self {
            name: Arc::from(listener.name.as_str()),
            address: listener.address,
            udp: listener.protocol == Protocol::Udp,
        }
    }

    /// The listener this id stands for in a running config, always one on its transport: the
    /// one of its name at its address; else the one at its address (renamed since; port 0 names
    /// no address, so not for it); else the one of its name (moved to another address since).
    /// `named` is the one of its name, `all` every listener.
    pub(crate) fn find<'a, T>(
        &self,
        named: Option<&'a T>,
        mut all: impl Iterator<Item = &'a T>,
        config: impl Fn(&T) -> &model::Listener,
    ) -> Option<&'a T> {
        let transport = |l: &T| (config(l).protocol == Protocol::Udp) == self.udp;
        let named = named.filter(|l| transport(l));
        if let Some(l) = named.filter(|l| config(l).address == self.address) {
            return Some(l);
        }
        let renamed = if self.address.port() == 0 {
            None
        } else {
            all.find(|l| config(l).address == self.address && transport(l))
        };
        renamed.or(named)
    }
}

impl Runtime {
    /// The HTTP listener `id` stands for ([`ListenerId::find`]).
    pub fn http_listener(&self, id: &ListenerId) -> Option<&Arc<ListenerRuntime>> {
        id.find(self.listeners.get(&*id.name), self.listeners.values(), |l| &l.config)
    }

    /// Compiles `snapshot`.
    pub fn compile(snapshot: Snapshot, reg: &Registries, metrics: &Metrics) -> Result<Self, CompileError> {
        let config = snapshot.config();
        let mut services = HashMap::new();
        for s in &config.services {
            let name: Arc<str> = Arc::from(s.name.as_str());
            let states: Vec<Arc<EndpointState>> =
                s.endpoints.iter().map(|e| reg.endpoints.get(&s.name, e.address)).collect();
            let pools = s.endpoints.iter().map(|e| reg.pools.get(e.address, s.protocol)).collect();
            let weights = s.endpoints.iter().map(|e| e.weight).collect();
            let balancer = Balancer::new(&s.balance, states, weights);
            let stats = metrics.service(&s.name);
            services.insert(name.clone(), Arc::new(ServiceRuntime { name, config: s.clone(), balancer, pools, stats }));
        }

        let mut policies = HashMap::new();
        for (index, w) in config.waf.iter().enumerate() {
            policies.insert(w.name.as_str(), reg.waf.compile(index, w)?);
        }
        let policy = |name: Option<&String>| name.and_then(|n| policies.get(n.as_str()).cloned());

        let mut listeners = crate::fast_hash::FastMap::default();
        for (index, l) in config.listeners.iter().enumerate() {
            if !l.protocol.is_http() {
                continue;
            }
            let listener_waf = policy(l.waf.as_ref());
            let tls = match (&l.tls, l.protocol) {
                (Some(tls), Protocol::Https) => Some(
                    crate::tls::server_config(tls, l.http2).map_err(|source| CompileError::Tls { index, source })?,
                ),
                _ => None,
            };
            let mut rules = Vec::new();
            for (i, r) in config.routes.iter().enumerate() {
                if !r.listeners.is_empty() && !r.listeners.contains(&l.name) {
                    continue;
                }
                let route_label = r.name.clone().unwrap_or_else(|| format!("routes[{i}]"));
                // A route's own policy (or `off`) wins over the listener's.
                let waf = match &r.waf {
                    Some(w) if w == model::WAF_OFF => None,
                    Some(w) => policy(Some(w)),
                    None => listener_waf.clone(),
                };
                for p in &r.paths {
                    let target = target(
                        &route_label,
                        &p.path,
                        &p.target(),
                        p.max_request_body_bytes.unwrap_or(l.max_request_body_bytes),
                        &services,
                        metrics,
                        waf.clone(),
                    );
                    rules.push(Rule {
                        host: r.host.clone(),
                        path: p.path.clone(),
                        path_type: p.path_type,
                        value: target,
                    });
                }
            }
            let fallback = match &l.default_backend {
                Some(t) => target("default", "", t, l.max_request_body_bytes, &services, metrics, listener_waf.clone()),
                None => Arc::new(RouteTarget {
                    route: Arc::from("none"),
                    path: Arc::from(""),
                    max_body: l.max_request_body_bytes,
                    action: Action::Respond(DirectResponse {
                        status: http::StatusCode::NOT_FOUND,
                        content_type: HeaderValue::from_static("text/plain; charset=utf-8"),
                        body: Bytes::from_static(b"no route for this host and path\n"),
                    }),
                    stats: metrics.route("none", ""),
                    waf: listener_waf.clone(),
                }),
            };
            listeners.insert(
                Arc::from(l.name.as_str()),
                Arc::new(ListenerRuntime { config: l.clone(), routes: RouteTable::new(rules), fallback, tls }),
            );
        }
        let l4 = crate::l4::L4Runtime::compile(config, &services, &reg.l4, metrics);
        Ok(Self { snapshot, listeners, services, l4 })
    }

    /// Every endpoint of every service, for metrics.
    pub fn endpoints(&self) -> Vec<Arc<EndpointState>> {
        let mut v: Vec<_> = self.services.values().flat_map(|s| s.balancer.endpoints().iter().cloned()).collect();
        v.sort_by(|a, b| (&*a.service, a.address).cmp(&(&*b.service, b.address)));
        v
    }

    /// The active health checks this runtime wants.
    pub fn health_targets(&self) -> Vec<CheckTarget> {
        let mut v = Vec::new();
        for s in self.services.values() {
            if let Some(check) = &s.config.health_check {
                for e in s.balancer.endpoints() {
                    v.push(CheckTarget { endpoint: e.clone(), check: check.clone() });
                }
            }
        }
        v
    }
}

fn target(
    route: &str,
    path: &str,
    t: &model::Target,
    max_body: u64,
    services: &HashMap<Arc<str>, Arc<ServiceRuntime>>,
    metrics: &Metrics,
    waf: Option<Arc<crate::waf::Policy>>,
) -> Arc<RouteTarget> {
    let action = match (&t.backend, &t.respond) {
        (Some(b), _) => Action::Backend(services[b.as_str()].clone()),
        (None, Some(r)) => Action::Respond(DirectResponse {
            status: http::StatusCode::from_u16(r.status).unwrap_or(http::StatusCode::OK),
            content_type: HeaderValue::from_str(&r.content_type)
                .unwrap_or(HeaderValue::from_static("text/plain; charset=utf-8")),
            body: Bytes::from(r.body.clone()),
        }),
        // Validation guarantees one of the two.
        (None, None) => Action::Respond(DirectResponse {
            status: http::StatusCode::NOT_FOUND,
            content_type: HeaderValue::from_static("text/plain; charset=utf-8"),
            body: Bytes::new(),
        }),
    };
    Arc::new(RouteTarget {
        route: Arc::from(route),
        path: Arc::from(path),
        max_body,
        action,
        stats: metrics.route(route, path),
        waf,
    })
}

#[cfg(test)]
mod listener_id_tests {
    use super::*;

    fn listeners(yaml: &str) -> Vec<model::Listener> {
        let text = format!("admin: {{ address: \"127.0.0.1:0\" }}\nservices: [ {{ name: s, endpoints: [\"127.0.0.1:9\"] }} ]\nlisteners:\n{yaml}");
        model::load::parse(&text, "test").unwrap_or_else(|e| panic!("{e}")).listeners
    }

    fn find<'a>(id: &ListenerId, all: &'a [model::Listener]) -> Option<&'a str> {
        id.find(all.iter().find(|l| *l.name == *id.name), all.iter(), |l| l).map(|l| l.name.as_str())
    }

    fn id(name: &str, address: &str, udp: bool) -> ListenerId {
        ListenerId { name: Arc::from(name), address: address.parse().unwrap(), udp }
    }

    #[test]
    fn a_listener_is_found_by_name_then_by_address_on_its_transport() {
        let all = listeners(concat!(
            "  - { name: web, address: \"127.0.0.1:8080\", protocol: http }\n",
            "  - { name: dns, address: \"127.0.0.1:5353\", protocol: udp, service: s }\n",
            "  - { name: moved, address: \"127.0.0.1:8081\", protocol: tcp, service: s }\n",
            "  - { name: any, address: \"127.0.0.1:0\", protocol: tcp, service: s }\n",
        ));
        // By name, at its address.
        assert_eq!(find(&id("web", "127.0.0.1:8080", false), &all), Some("web"));
        // Renamed: by address, on the same transport only.
        assert_eq!(find(&id("old", "127.0.0.1:8080", false), &all), Some("web"));
        assert_eq!(find(&id("old", "127.0.0.1:5353", false), &all), None, "a TCP id never finds a UDP listener");
        assert_eq!(find(&id("old", "127.0.0.1:5353", true), &all), Some("dns"));
        assert_eq!(find(&id("old", "127.0.0.1:8080", true), &all), None, "a UDP id never finds a TCP listener");
        // Moved to another address: by name, unless another listener took its old address.
        assert_eq!(find(&id("moved", "127.0.0.1:9000", false), &all), Some("moved"));
        assert_eq!(find(&id("moved", "127.0.0.1:8080", false), &all), Some("web"));
        // A name now on the other transport is not it (a tcp listener that became udp).
        assert_eq!(find(&id("dns", "127.0.0.1:5353", false), &all), None);
        // Port 0 names no address.
        assert_eq!(find(&id("other", "127.0.0.1:0", false), &all), None);
        assert_eq!(find(&id("any", "127.0.0.1:0", false), &all), Some("any"));
    }
}
