//! Client IP session affinity (Kubernetes `sessionAffinity: ClientIP`): a client's new
//! connections go to the endpoint its first one got, while that endpoint is available and
//! the client came back within the timeout.
//!
//! The table is keyed by endpoint address, not index, and lives in the L4 registry by
//! service name, so it outlives config swaps and survives endpoints being added or removed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::endpoint::now_ms;

/// Entries checked for expiry at once when the table has grown by this many since the last sweep.
const SWEEP_EVERY: usize = 1024;

/// Client IP to endpoint, with the time each client was last seen.
#[derive(Debug, Default)]
pub struct Affinity {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<IpAddr, Entry>,
    /// Table size after the last sweep.
    swept_at: usize,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    endpoint: SocketAddr,
    seen_ms: u64,
}

impl Affinity {
    /// The endpoint `client` is bound to, if it came within `timeout`; refreshes its time.
    pub fn lookup(&self, client: IpAddr, timeout: Duration) -> Option<SocketAddr> {
        let now = now_ms();
        let mut inner = self.lock();
        let e = inner.map.get_mut(&client)?;
        if now.saturating_sub(e.seen_ms) > timeout.as_millis() as u64 {
            inner.map.remove(&client);
            return None;
        }
        e.seen_ms = now;
        Some(e.endpoint)
    }

    /// Binds `client` to `endpoint` from now on; sweeps expired entries now and then.
    pub fn bind(&self, client: IpAddr, endpoint: SocketAddr, timeout: Duration) {
        let now = now_ms();
        let mut inner = self.lock();
        inner.map.insert(client, Entry { endpoint, seen_ms: now });
        if inner.map.len() >= inner.swept_at + SWEEP_EVERY {
            let ttl = timeout.as_millis() as u64;
            inner.map.retain(|_, e| now.saturating_sub(e.seen_ms) <= ttl);
            inner.swept_at = inner.map.len();
        }
    }

    /// Clients in the table (expired ones included until swept).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// True when no client is bound.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update is a single insert or remove: the map is consistent after a panic.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_refreshes_and_expires() {
        let a = Affinity::default();
        let (c, e) = ("10.0.0.1".parse().unwrap(), "10.1.0.1:80".parse().unwrap());
        assert_eq!(a.lookup(c, Duration::from_secs(1)), None);
        a.bind(c, e, Duration::from_secs(1));
        assert_eq!(a.lookup(c, Duration::from_secs(1)), Some(e));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(a.lookup(c, Duration::from_millis(10)), None, "expired");
        assert!(a.is_empty(), "an expired entry is dropped when seen");
    }

    #[test]
    fn sweeps_expired_clients() {
        let a = Affinity::default();
        let e = "10.1.0.1:80".parse().unwrap();
        for i in 0..SWEEP_EVERY as u32 - 1 {
            a.bind(IpAddr::from(i.to_be_bytes()), e, Duration::from_secs(60));
        }
        std::thread::sleep(Duration::from_millis(20));
        a.bind("10.9.9.9".parse().unwrap(), e, Duration::from_millis(5));
        assert!(a.len() < 10, "{} entries left after the sweep", a.len());
    }
}
