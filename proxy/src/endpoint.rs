//! Live state of one upstream endpoint, shared by balancing, health checks and the data path.
//!
//! An [`EndpointState`] outlives config swaps: the [`Registry`] hands the same state to every
//! snapshot that still names the endpoint, so health and in-flight counts carry over.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Milliseconds since the first call, a cheap monotonic clock for ejection deadlines.
pub fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// Why an endpoint is not taking traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Taking traffic.
    Healthy,
    /// Failed its active health check.
    Unhealthy,
    /// Ejected by passive checks until its ejection time passes.
    Ejected,
}

impl Health {
    /// Label used in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
            Self::Ejected => "ejected",
        }
    }
}

/// State of one endpoint of one service.
#[derive(Debug)]
pub struct EndpointState {
    /// Service the endpoint belongs to.
    pub service: Arc<str>,
    /// Upstream address.
    pub address: SocketAddr,
    in_flight: AtomicU32,
    consecutive_failures: AtomicU32,
    /// `now_ms()` until which the endpoint is ejected; 0 when not ejected.
    ejected_until: AtomicU64,
    /// Result of active checks (true until a check says otherwise).
    active_healthy: AtomicBool,
    /// Consecutive active-check results in the direction opposite to `active_healthy`.
    active_streak: AtomicU32,
    /// Times this endpoint was ejected.
    pub ejections: AtomicU64,
}

impl EndpointState {
    /// A fresh, healthy endpoint.
    pub fn new(service: Arc<str>, address: SocketAddr) -> Self {
        Self {
            service,
            address,
            in_flight: AtomicU32::new(0),
            consecutive_failures: AtomicU32::new(0),
            ejected_until: AtomicU64::new(0),
            active_healthy: AtomicBool::new(true),
            active_streak: AtomicU32::new(0),
            ejections: AtomicU64::new(0),
        }
    }

    /// Current health.
    pub fn health(&self) -> Health {
        if !self.active_healthy.load(Ordering::Relaxed) {
            return Health::Unhealthy;
        }
        let until = self.ejected_until.load(Ordering::Relaxed);
        if until != 0 && now_ms() < until {
            return Health::Ejected;
        }
        Health::Healthy
    }

    /// True when the endpoint may be picked for a new request.
    pub fn is_available(&self) -> bool {
        self.health() == Health::Healthy
    }

    /// Requests currently in flight to this endpoint.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a request in flight until the guard drops.
    pub fn start_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Records a successful exchange: resets the passive failure count.
    pub fn record_success(&self) {
        if self.consecutive_failures.load(Ordering::Relaxed) != 0 {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
        // A successful request after the ejection deadline re-admits fully.
        if self.ejected_until.load(Ordering::Relaxed) != 0 && self.health() != Health::Ejected {
            self.ejected_until.store(0, Ordering::Relaxed);
        }
    }

    /// Records a connect error or 5xx. Returns true when this failure ejected the endpoint.
    /// `threshold` 0 disables ejection.
    pub fn record_failure(&self, threshold: u32, ejection: Duration) -> bool {
        let n = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if threshold == 0 || n < threshold {
            return false;
        }
        self.consecutive_failures.store(0, Ordering::Relaxed);
        self.ejected_until.store(now_ms() + ejection.as_millis() as u64, Ordering::Relaxed);
        self.ejections.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(service = %self.service, endpoint = %self.address, ejection_ms = ejection.as_millis() as u64, "endpoint ejected after consecutive failures");
        true
    }

    /// Records one active health-check result against the thresholds. Returns the new
    /// active health when it changed.
    pub fn record_check(&self, ok: bool, healthy_threshold: u32, unhealthy_threshold: u32) -> Option<bool> {
        let healthy = self.active_healthy.load(Ordering::Relaxed);
        if ok == healthy {
            self.active_streak.store(0, Ordering::Relaxed);
            return None;
        }
        let streak = self.active_streak.fetch_add(1, Ordering::Relaxed) + 1;
        let needed = if ok { healthy_threshold } else { unhealthy_threshold };
        if streak < needed.max(1) {
            return None;
        }
        self.active_streak.store(0, Ordering::Relaxed);
        self.active_healthy.store(ok, Ordering::Relaxed);
        if ok {
            // An endpoint that passes active checks again is re-admitted at once.
            self.ejected_until.store(0, Ordering::Relaxed);
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
        tracing::info!(service = %self.service, endpoint = %self.address, healthy = ok, "active health changed");
        Some(ok)
    }
}

/// Guard counting one in-flight request.
#[derive(Debug)]
pub struct InFlight(Arc<EndpointState>);

impl InFlight {
    /// The endpoint.
    pub fn endpoint(&self) -> &Arc<EndpointState> {
        &self.0
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

type Key = (Arc<str>, SocketAddr);

/// Hands out one [`EndpointState`] per (service, address) for as long as any snapshot uses it.
#[derive(Debug, Default)]
pub struct Registry {
    map: Mutex<HashMap<Key, Weak<EndpointState>>>,
}

impl Registry {
    /// The state of `address` in `service`, shared with earlier snapshots when they still hold it.
    pub fn get(&self, service: &str, address: SocketAddr) -> Arc<EndpointState> {
        let mut map = self.map.lock().unwrap();
        let service: Arc<str> = Arc::from(service);
        if let Some(s) = map.get(&(service.clone(), address)).and_then(Weak::upgrade) {
            return s;
        }
        let s = Arc::new(EndpointState::new(service.clone(), address));
        map.insert((service, address), Arc::downgrade(&s));
        // Forget states no snapshot holds any more.
        map.retain(|_, w| w.strong_count() > 0);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep() -> Arc<EndpointState> {
        Arc::new(EndpointState::new(Arc::from("svc"), "127.0.0.1:1".parse().unwrap()))
    }

    #[test]
    fn passive_ejection_and_readmission() {
        let e = ep();
        assert!(!e.record_failure(3, Duration::from_millis(50)));
        assert!(!e.record_failure(3, Duration::from_millis(50)));
        assert!(e.record_failure(3, Duration::from_millis(50)));
        assert_eq!(e.health(), Health::Ejected);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(e.health(), Health::Healthy);
        e.record_success();
        assert_eq!(e.ejected_until.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn success_resets_failure_count() {
        let e = ep();
        e.record_failure(2, Duration::from_secs(10));
        e.record_success();
        assert!(!e.record_failure(2, Duration::from_secs(10)));
        assert!(e.is_available());
    }

    #[test]
    fn active_thresholds() {
        let e = ep();
        assert_eq!(e.record_check(false, 2, 2), None);
        assert_eq!(e.record_check(false, 2, 2), Some(false));
        assert_eq!(e.health(), Health::Unhealthy);
        assert_eq!(e.record_check(true, 2, 2), None);
        assert_eq!(e.record_check(false, 2, 2), None, "streak resets on a result in the current direction");
        assert_eq!(e.record_check(true, 2, 2), None);
        assert_eq!(e.record_check(true, 2, 2), Some(true));
        assert!(e.is_available());
    }

    #[test]
    fn registry_shares_live_states() {
        let r = Registry::default();
        let a = r.get("svc", "127.0.0.1:1".parse().unwrap());
        let b = r.get("svc", "127.0.0.1:1".parse().unwrap());
        assert!(Arc::ptr_eq(&a, &b));
        let c = r.get("other", "127.0.0.1:1".parse().unwrap());
        assert!(!Arc::ptr_eq(&a, &c));
        let in_flight = a.start_request();
        assert_eq!(b.in_flight(), 1);
        drop(in_flight);
        assert_eq!(b.in_flight(), 0);
    }
}
