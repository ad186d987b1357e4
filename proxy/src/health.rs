//! Active health checks: one tokio task per checked endpoint, reconciled against config.
//!
//! # Organization
//! - [`http_check`]: one HTTP probe: connect, `GET`, read and judge the status line.
//! - [`tcp_check`]: one TCP probe: the endpoint accepts a connection.
//!
//! Each task probes its endpoint every `interval` (the first probe after a small random
//! jitter, so a config load does not fire every check at once) and feeds the result to
//! [`EndpointState::record_check`], which applies the thresholds and logs health changes.
//! [`HealthChecker::reconcile`] keeps running the checks that did not change, so their
//! schedule carries over config swaps; the tasks stop when the checker is dropped.

pub mod http_check;
pub mod tcp_check;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::endpoint::EndpointState;

use self::http_check::Probe;

/// Shortest interval honoured, so a bad config cannot spin a task.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// Upper bound of the start jitter (also at most half the interval).
const MAX_JITTER: Duration = Duration::from_secs(1);

/// One endpoint to check, and how.
#[derive(Debug, Clone)]
pub struct CheckTarget {
    /// The endpoint whose state the results go to.
    pub endpoint: Arc<EndpointState>,
    /// The check.
    pub check: model::HealthCheck,
}

/// Totals since the checker was created, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckStats {
    /// Check tasks running now.
    pub running: usize,
    /// Check tasks ever started (a changed check restarts its task).
    pub started: u64,
    /// Probes completed.
    pub checks: u64,
    /// Probes that failed.
    pub failures: u64,
}

/// Runs active health checks.
#[derive(Debug, Default)]
pub struct HealthChecker {
    running: Mutex<HashMap<Key, Running>>,
    counters: Arc<Counters>,
}

/// A check is identified by the endpoint it feeds: one task per (service, address).
type Key = (Arc<str>, SocketAddr);

/// A running check task and what it was started with.
#[derive(Debug)]
struct Running {
    endpoint: Arc<EndpointState>,
    check: model::HealthCheck,
    task: JoinHandle<()>,
}

#[derive(Debug, Default)]
struct Counters {
    started: AtomicU64,
    checks: AtomicU64,
    failures: AtomicU64,
}

// === impl HealthChecker ===

impl HealthChecker {
    /// A checker with nothing to check.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the running checks match `targets`: starts checks of new endpoints, restarts
    /// checks whose settings (or endpoint state) changed, stops checks no longer listed and
    /// leaves the others running. Must be called within a tokio runtime (else it logs an
    /// error and changes nothing). When a (service, address) is listed twice the first wins.
    pub fn reconcile(&self, targets: Vec<CheckTarget>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!("health checks need a tokio runtime; reconcile ignored");
            return;
        };
        let mut running = self.lock();
        let mut next = HashMap::with_capacity(targets.len());
        for CheckTarget { endpoint, check } in targets {
            let key = (endpoint.service.clone(), endpoint.address);
            if next.contains_key(&key) {
                tracing::warn!(service = %key.0, endpoint = %key.1, "endpoint listed twice for health checks; first kept");
                continue;
            }
            let kept = match running.remove(&key) {
                Some(r) if r.check == check && Arc::ptr_eq(&r.endpoint, &endpoint) && !r.task.is_finished() => r,
                old => {
                    if let Some(old) = old {
                        old.task.abort();
                    }
                    self.counters.started.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(service = %key.0, endpoint = %key.1, "health check started");
                    let task = runtime.spawn(run(endpoint.clone(), check.clone(), self.counters.clone()));
                    Running { endpoint, check, task }
                }
            };
            next.insert(key, kept);
        }
        for ((service, address), old) in running.drain() {
            old.task.abort();
            tracing::debug!(%service, endpoint = %address, "health check stopped");
        }
        *running = next;
    }

    /// Totals for metrics.
    pub fn stats(&self) -> CheckStats {
        CheckStats {
            running: self.lock().len(),
            started: self.counters.started.load(Ordering::Relaxed),
            checks: self.counters.checks.load(Ordering::Relaxed),
            failures: self.counters.failures.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Running>> {
        // The map stays consistent even if a holder panicked: every update is one assignment.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for HealthChecker {
    fn drop(&mut self) {
        for r in self.lock().values() {
            r.task.abort();
        }
    }
}

/// The task of one check: probe every interval, record each result.
async fn run(endpoint: Arc<EndpointState>, check: model::HealthCheck, counters: Arc<Counters>) {
    let (service, address) = (&endpoint.service, endpoint.address);
    let probe = match Probe::new(address, &check) {
        Ok(p) => Some(p),
        Err(error) => {
            tracing::warn!(%service, endpoint = %address, %error, "health check cannot be sent; every check fails");
            None
        }
    };
    let interval = check.interval.get().max(MIN_INTERVAL);
    tokio::time::sleep(jitter(interval)).await;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let result = match (&probe, check.protocol) {
            (_, model::HealthCheckProtocol::Tcp) => tcp_check::probe(address, check.timeout.get()).await.map(|()| 0),
            (Some(p), model::HealthCheckProtocol::Http) => p.run().await,
            (None, model::HealthCheckProtocol::Http) => Err(http_check::CheckError::InvalidRequest("request")),
        };
        counters.checks.fetch_add(1, Ordering::Relaxed);
        match &result {
            Ok(status) => tracing::debug!(%service, endpoint = %address, status, "health check passed"),
            Err(error) => {
                counters.failures.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%service, endpoint = %address, %error, "health check failed");
            }
        }
        endpoint.record_check(result.is_ok(), check.healthy_threshold, check.unhealthy_threshold);
    }
}

/// A random delay before the first probe: up to half the interval, at most [`MAX_JITTER`].
fn jitter(interval: Duration) -> Duration {
    let max = (interval / 2).min(MAX_JITTER).as_millis() as u64;
    Duration::from_millis(SmallRng::from_os_rng().random_range(0..=max))
}
