//! L4 counters: connections, bytes and connect failures by service and endpoint, and
//! connections, flows and refusals by listener, rendered in Prometheus text format.
//!
//! As the L7 stats, they live in [`crate::metrics::Metrics`] (not in a snapshot), keyed by
//! name and address, so a config swap does not reset them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Traffic to one endpoint of one service.
#[derive(Debug, Default)]
pub struct EndpointStats {
    /// TCP connections made to the endpoint (UDP: flows started).
    pub connections: AtomicU64,
    /// Connections (flows) open now.
    pub active: AtomicI64,
    /// Bytes from clients to the endpoint (shared with the connections' forwarders).
    pub bytes_in: Arc<AtomicU64>,
    /// Bytes from the endpoint to clients.
    pub bytes_out: Arc<AtomicU64>,
    /// Connects that failed or timed out.
    pub connect_failures: AtomicU64,
}

/// One listener's connections.
#[derive(Debug, Default)]
pub struct ListenerStats {
    /// TCP connections (UDP: client flows) open now.
    pub active: AtomicI64,
    /// Connections accepted (UDP: flows started).
    pub accepted: AtomicU64,
    /// Connections refused by `max_connections` (UDP: datagrams of refused new flows).
    pub refused_limit: AtomicU64,
    /// Connections closed for a bad or missing PROXY protocol header.
    pub refused_proxy_protocol: AtomicU64,
    /// Connections closed because no endpoint was available or reachable.
    pub no_endpoint: AtomicU64,
    /// Connections closed by the idle timeout.
    pub idle_closed: AtomicU64,
    /// Connections closed at a drain deadline.
    pub drain_closed: AtomicU64,
    /// `now_ms()` of the last "connection limit reached" log line.
    pub(crate) limit_logged_ms: AtomicU64,
}

/// Every L4 counter.
#[derive(Debug, Default)]
pub struct L4Metrics {
    endpoints: Mutex<BTreeMap<(String, SocketAddr), Arc<EndpointStats>>>,
    listeners: Mutex<BTreeMap<String, Arc<ListenerStats>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl L4Metrics {
    /// The stats of `address` in `service`, created on first use.
    pub fn endpoint(&self, service: &str, address: SocketAddr) -> Arc<EndpointStats> {
        lock(&self.endpoints).entry((service.to_owned(), address)).or_default().clone()
    }

    /// The stats of listener `name`, created on first use.
    pub fn listener(&self, name: &str) -> Arc<ListenerStats> {
        lock(&self.listeners).entry(name.to_owned()).or_default().clone()
    }

    /// Appends every L4 family to `out`.
    pub fn render(&self, out: &mut String) {
        let g = |v: &AtomicU64| v.load(Ordering::Relaxed);
        let endpoints = lock(&self.endpoints);
        let families: [(&str, &str, &str); 4] = [
            ("rampart_l4_connections_total", "counter", "L4 connections (UDP flows) made to the endpoint."),
            ("rampart_l4_connections_active", "gauge", "L4 connections (UDP flows) open to the endpoint."),
            ("rampart_l4_connect_failures_total", "counter", "Failed or timed-out connects to the endpoint."),
            ("rampart_l4_bytes_total", "counter", "Bytes forwarded, by direction: in = client to endpoint."),
        ];
        for (k, (name, kind, help)) in families.into_iter().enumerate() {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((service, address), s) in endpoints.iter() {
                let labels = format!("service=\"{}\",endpoint=\"{address}\"", crate::metrics::escape(service));
                let _ = match k {
                    0 => writeln!(out, "{name}{{{labels}}} {}", g(&s.connections)),
                    1 => writeln!(out, "{name}{{{labels}}} {}", s.active.load(Ordering::Relaxed)),
                    2 => writeln!(out, "{name}{{{labels}}} {}", g(&s.connect_failures)),
                    _ => writeln!(
                        out,
                        "{name}{{{labels},direction=\"in\"}} {}\n{name}{{{labels},direction=\"out\"}} {}",
                        g(&s.bytes_in),
                        g(&s.bytes_out)
                    ),
                };
            }
        }
        drop(endpoints);
        let listeners = lock(&self.listeners);
        let _ = writeln!(
            out,
            "# HELP rampart_l4_listener_active L4 connections (UDP flows) open on the listener.\n# TYPE rampart_l4_listener_active gauge"
        );
        for (name, s) in listeners.iter() {
            let _ = writeln!(
                out,
                "rampart_l4_listener_active{{listener=\"{}\"}} {}",
                crate::metrics::escape(name),
                s.active.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP rampart_l4_listener_accepted_total L4 connections (UDP flows) accepted.\n# TYPE rampart_l4_listener_accepted_total counter"
        );
        for (name, s) in listeners.iter() {
            let _ = writeln!(
                out,
                "rampart_l4_listener_accepted_total{{listener=\"{}\"}} {}",
                crate::metrics::escape(name),
                g(&s.accepted)
            );
        }
        let _ = writeln!(
            out,
            "# HELP rampart_l4_listener_closed_total L4 connections refused or closed early, by reason.\n# TYPE rampart_l4_listener_closed_total counter"
        );
        for (name, s) in listeners.iter() {
            let name = crate::metrics::escape(name);
            for (reason, v) in [
                ("max_connections", &s.refused_limit),
                ("proxy_protocol", &s.refused_proxy_protocol),
                ("no_endpoint", &s.no_endpoint),
                ("idle", &s.idle_closed),
                ("drain_deadline", &s.drain_closed),
            ] {
                let _ = writeln!(
                    out,
                    "rampart_l4_listener_closed_total{{listener=\"{name}\",reason=\"{reason}\"}} {}",
                    g(v)
                );
            }
        }
    }
}

/// Counts one open connection (or flow) on an endpoint and a listener until dropped.
#[derive(Debug)]
pub struct Open {
    endpoint: Option<Arc<EndpointStats>>,
    listener: Arc<ListenerStats>,
}

impl Open {
    /// Counts a connection accepted on `listener`.
    pub fn listener(listener: Arc<ListenerStats>) -> Self {
        listener.active.fetch_add(1, Ordering::Relaxed);
        listener.accepted.fetch_add(1, Ordering::Relaxed);
        Self { endpoint: None, listener }
    }

    /// Counts the connection on `endpoint` too, from now on.
    pub fn set_endpoint(&mut self, endpoint: Arc<EndpointStats>) {
        endpoint.connections.fetch_add(1, Ordering::Relaxed);
        endpoint.active.fetch_add(1, Ordering::Relaxed);
        if let Some(old) = self.endpoint.replace(endpoint) {
            old.active.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.listener.active.fetch_sub(1, Ordering::Relaxed);
        if let Some(e) = &self.endpoint {
            e.active.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_by_service_endpoint_and_listener() {
        let m = L4Metrics::default();
        let e = m.endpoint("db", "10.0.0.1:5432".parse().unwrap());
        e.bytes_in.fetch_add(10, Ordering::Relaxed);
        e.bytes_out.fetch_add(20, Ordering::Relaxed);
        let mut open = Open::listener(m.listener("pg"));
        open.set_endpoint(e.clone());
        m.listener("pg").refused_limit.fetch_add(3, Ordering::Relaxed);
        let mut text = String::new();
        m.render(&mut text);
        for line in [
            "rampart_l4_connections_total{service=\"db\",endpoint=\"10.0.0.1:5432\"} 1",
            "rampart_l4_connections_active{service=\"db\",endpoint=\"10.0.0.1:5432\"} 1",
            "rampart_l4_bytes_total{service=\"db\",endpoint=\"10.0.0.1:5432\",direction=\"in\"} 10",
            "rampart_l4_bytes_total{service=\"db\",endpoint=\"10.0.0.1:5432\",direction=\"out\"} 20",
            "rampart_l4_listener_active{listener=\"pg\"} 1",
            "rampart_l4_listener_closed_total{listener=\"pg\",reason=\"max_connections\"} 3",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        drop(open);
        assert_eq!(e.active.load(Ordering::Relaxed), 0);
        assert_eq!(m.listener("pg").active.load(Ordering::Relaxed), 0);
    }
}
