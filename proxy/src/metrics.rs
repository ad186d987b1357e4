//! Counters and histograms of the data planes, rendered in Prometheus text format.
//!
//! Hot-path updates are single relaxed atomic operations on stats objects that the compiled
//! runtime holds directly; the maps below are only touched when a config is compiled and when
//! `/metrics` is scraped. Stats live in the [`Metrics`] registry, not in a snapshot, so a
//! config swap does not reset them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::endpoint::EndpointState;

/// Upper bounds of the upstream latency histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Requests answered for one route path, by status code.
#[derive(Debug)]
pub struct RouteStats {
    by_status: Box<[AtomicU64]>,
}

impl RouteStats {
    fn new() -> Self {
        Self { by_status: (0..600).map(|_| AtomicU64::new(0)).collect() }
    }

    /// Counts one response with `status`.
    pub fn record(&self, status: u16) {
        if let Some(c) = self.by_status.get(status as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Responses counted with `status`.
    pub fn count(&self, status: u16) -> u64 {
        self.by_status.get(status as usize).map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

/// Upstream latency of one service (request sent to response head received).
#[derive(Debug)]
pub struct ServiceStats {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    /// Upstream failures (connect errors, timeouts, broken exchanges).
    pub upstream_errors: AtomicU64,
    /// Retries on another endpoint after a connect failure.
    pub retries: AtomicU64,
}

impl ServiceStats {
    fn new() -> Self {
        Self {
            buckets: Default::default(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
            upstream_errors: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        }
    }

    /// Records one upstream latency.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&b| secs <= b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }
}

/// Every metric of one proxy process.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Downstream connections open now.
    pub connections_active: AtomicI64,
    /// Downstream connections accepted.
    pub connections_total: AtomicU64,
    /// Configs applied.
    pub reloads_ok: AtomicU64,
    /// Configs rejected (the running one stayed).
    pub reloads_failed: AtomicU64,
    routes: Mutex<BTreeMap<(String, String), Arc<RouteStats>>>,
    services: Mutex<BTreeMap<String, Arc<ServiceStats>>>,
    /// The L4 proxy's counters.
    pub l4: crate::l4::stats::L4Metrics,
}

impl Metrics {
    /// The stats of route `route`, path `path`, created on first use.
    pub fn route(&self, route: &str, path: &str) -> Arc<RouteStats> {
        let mut m = self.routes.lock().unwrap();
        m.entry((route.to_owned(), path.to_owned())).or_insert_with(|| Arc::new(RouteStats::new())).clone()
    }

    /// The stats of service `name`, created on first use.
    pub fn service(&self, name: &str) -> Arc<ServiceStats> {
        let mut m = self.services.lock().unwrap();
        m.entry(name.to_owned()).or_insert_with(|| Arc::new(ServiceStats::new())).clone()
    }

    /// Renders everything in Prometheus text format; `endpoints` are the running config's.
    pub fn render(&self, endpoints: &[Arc<EndpointState>]) -> String {
        let mut out = String::with_capacity(4096);
        let g = |v: &AtomicU64| v.load(Ordering::Relaxed);

        out.push_str("# HELP rampart_http_requests_total HTTP responses by route, path and status.\n");
        out.push_str("# TYPE rampart_http_requests_total counter\n");
        for ((route, path), s) in self.routes.lock().unwrap().iter() {
            for (status, c) in s.by_status.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "rampart_http_requests_total{{route=\"{}\",path=\"{}\",status=\"{status}\"}} {n}",
                        escape(route),
                        escape(path)
                    );
                }
            }
        }

        out.push_str("# HELP rampart_upstream_latency_seconds Time from request sent to response head, by service.\n");
        out.push_str("# TYPE rampart_upstream_latency_seconds histogram\n");
        let services = self.services.lock().unwrap();
        for (name, s) in services.iter() {
            let name = escape(name);
            let mut cum = 0;
            for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
                cum += g(&s.buckets[i]);
                let _ = writeln!(out, "rampart_upstream_latency_seconds_bucket{{service=\"{name}\",le=\"{b}\"}} {cum}");
            }
            let count = g(&s.count);
            let _ = writeln!(out, "rampart_upstream_latency_seconds_bucket{{service=\"{name}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(
                out,
                "rampart_upstream_latency_seconds_sum{{service=\"{name}\"}} {}",
                g(&s.sum_micros) as f64 / 1e6
            );
            let _ = writeln!(out, "rampart_upstream_latency_seconds_count{{service=\"{name}\"}} {count}");
        }
        out.push_str("# HELP rampart_upstream_errors_total Failed upstream exchanges by service.\n");
        out.push_str("# TYPE rampart_upstream_errors_total counter\n");
        for (name, s) in services.iter() {
            let _ = writeln!(
                out,
                "rampart_upstream_errors_total{{service=\"{}\"}} {}",
                escape(name),
                g(&s.upstream_errors)
            );
        }
        out.push_str("# HELP rampart_upstream_retries_total Retries on another endpoint after a connect failure.\n");
        out.push_str("# TYPE rampart_upstream_retries_total counter\n");
        for (name, s) in services.iter() {
            let _ = writeln!(out, "rampart_upstream_retries_total{{service=\"{}\"}} {}", escape(name), g(&s.retries));
        }
        drop(services);

        out.push_str("# HELP rampart_endpoint_healthy 1 when the endpoint takes traffic, by health state.\n");
        out.push_str("# TYPE rampart_endpoint_healthy gauge\n");
        for e in endpoints {
            let h = e.health();
            let _ = writeln!(
                out,
                "rampart_endpoint_healthy{{service=\"{}\",endpoint=\"{}\",state=\"{}\"}} {}",
                escape(&e.service),
                e.address,
                h.as_str(),
                u8::from(e.is_available())
            );
        }
        out.push_str("# HELP rampart_endpoint_in_flight Requests in flight to the endpoint.\n");
        out.push_str("# TYPE rampart_endpoint_in_flight gauge\n");
        for e in endpoints {
            let _ = writeln!(
                out,
                "rampart_endpoint_in_flight{{service=\"{}\",endpoint=\"{}\"}} {}",
                escape(&e.service),
                e.address,
                e.in_flight()
            );
        }
        out.push_str("# HELP rampart_endpoint_ejections_total Passive ejections of the endpoint.\n");
        out.push_str("# TYPE rampart_endpoint_ejections_total counter\n");
        for e in endpoints {
            let _ = writeln!(
                out,
                "rampart_endpoint_ejections_total{{service=\"{}\",endpoint=\"{}\"}} {}",
                escape(&e.service),
                e.address,
                g(&e.ejections)
            );
        }

        self.l4.render(&mut out);

        out.push_str(
            "# HELP rampart_http_rejected_requests_total HTTP/1.1 requests refused for malformed or ambiguous framing, by reason.\n",
        );
        out.push_str("# TYPE rampart_http_rejected_requests_total counter\n");
        for (reason, n) in crate::http::gate::rejected_by_reason() {
            let _ = writeln!(out, "rampart_http_rejected_requests_total{{reason=\"{}\"}} {n}", reason.as_str());
        }

        let simple: [(&str, &str, &str, u64); 4] = [
            ("rampart_connections_total", "counter", "Downstream connections accepted.", g(&self.connections_total)),
            ("rampart_config_reloads_ok_total", "counter", "Configs applied.", g(&self.reloads_ok)),
            (
                "rampart_config_reloads_failed_total",
                "counter",
                "Configs rejected; the running config stayed.",
                g(&self.reloads_failed),
            ),
            ("rampart_up", "gauge", "1 while the proxy runs.", 1),
        ];
        for (name, kind, help, v) in simple {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        }
        let _ = writeln!(
            out,
            "# HELP rampart_connections_active Downstream connections open now.\n# TYPE rampart_connections_active gauge\nrampart_connections_active {}",
            self.connections_active.load(Ordering::Relaxed)
        );
        out
    }
}

/// Escapes a Prometheus label value.
pub(crate) fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_histogram() {
        let m = Metrics::default();
        let r = m.route("web", "/api");
        r.record(200);
        r.record(200);
        r.record(503);
        m.service("api").observe(Duration::from_millis(3));
        let text = m.render(&[]);
        assert!(text.contains("rampart_http_requests_total{route=\"web\",path=\"/api\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("status=\"503\"} 1"));
        assert!(text.contains("rampart_upstream_latency_seconds_bucket{service=\"api\",le=\"0.005\"} 1"));
        assert!(text.contains("rampart_upstream_latency_seconds_bucket{service=\"api\",le=\"0.0025\"} 0"));
        assert!(text.contains("rampart_upstream_latency_seconds_count{service=\"api\"} 1"));
        // The same key gives the same stats, so swaps keep counting.
        assert!(Arc::ptr_eq(&r, &m.route("web", "/api")));
    }

    #[test]
    fn escapes_labels() {
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
