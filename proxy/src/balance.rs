//! Endpoint selection for one service: the [`Balancer`] facade over the balancing policies.
//!
//! # Organization
//! - [`round_robin`]: smooth weighted round robin over a precomputed schedule and an atomic cursor.
//! - [`least_request`]: power of two choices on in-flight requests, biased by weight.
//! - [`least_connections`]: the fewest open connections (in-flight count) by exact scan.
//! - [`maglev`]: Google's Maglev lookup table for consistent hashing.
//! - [`ring`]: ketama-style consistent hash ring.
//!
//! Every policy picks only endpoints that are available ([`EndpointState::is_available`]) and
//! not the `skip` index of a retry. A pick is lock-free and allocation-free; the tables are
//! built once in [`Balancer::new`], so a config change builds a new balancer.

pub mod least_connections;
pub mod least_request;
pub mod maglev;
pub mod ring;
pub mod round_robin;

#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use model::{HashAlgorithm, Policy};

use crate::endpoint::EndpointState;

use self::least_connections::LeastConnections;
use self::least_request::LeastRequest;
use self::maglev::Maglev;
use self::ring::Ring;
use self::round_robin::RoundRobin;

/// Picks endpoints for one service.
#[derive(Debug)]
pub struct Balancer {
    endpoints: Vec<Arc<EndpointState>>,
    policy: Picker,
}

/// The policy and its precomputed state.
#[derive(Debug)]
enum Picker {
    RoundRobin(RoundRobin),
    LeastRequest(LeastRequest),
    LeastConnections(LeastConnections),
    /// Requests without a key fall back to round robin.
    Maglev(Maglev, RoundRobin),
    Ring(Ring, RoundRobin),
}

// === impl Balancer ===

impl Balancer {
    /// Builds the balancer; `weights[i]` belongs to `endpoints[i]`. A missing or zero weight
    /// counts as 1 (config validation rejects zero weights before they get here).
    pub fn new(balance: &model::Balance, endpoints: Vec<Arc<EndpointState>>, weights: Vec<u32>) -> Self {
        let weights: Vec<u32> = (0..endpoints.len()).map(|i| weights.get(i).copied().unwrap_or(1).max(1)).collect();
        let policy = match (balance.policy, balance.algorithm) {
            (Policy::RoundRobin, _) => Picker::RoundRobin(RoundRobin::new(&weights)),
            (Policy::LeastRequest, _) => Picker::LeastRequest(LeastRequest::new(&weights)),
            (Policy::LeastConnections, _) => Picker::LeastConnections(LeastConnections::new(&weights)),
            (Policy::ConsistentHash, HashAlgorithm::Maglev) => {
                Picker::Maglev(Maglev::new(&endpoints, &weights), RoundRobin::new(&weights))
            }
            (Policy::ConsistentHash, HashAlgorithm::Ring) => {
                Picker::Ring(Ring::new(&endpoints, &weights), RoundRobin::new(&weights))
            }
        };
        Self { endpoints, policy }
    }

    /// The endpoints, in config order.
    pub fn endpoints(&self) -> &[Arc<EndpointState>] {
        &self.endpoints
    }

    /// Index of an available endpoint, or None when none is; `hash` is the request's key for
    /// consistent hashing (ignored by the other policies; None falls back to round robin);
    /// `skip` an index to avoid (a retry).
    pub fn pick(&self, hash: Option<u64>, skip: Option<usize>) -> Option<usize> {
        let usable = Usable { endpoints: &self.endpoints, skip };
        match (&self.policy, hash) {
            (Picker::RoundRobin(rr), _) => rr.pick(&usable),
            (Picker::LeastRequest(lr), _) => lr.pick(&usable),
            (Picker::LeastConnections(lc), _) => lc.pick(&usable),
            (Picker::Maglev(m, _), Some(h)) => m.pick(h, &usable),
            (Picker::Ring(r, _), Some(h)) => r.pick(h, &usable),
            (Picker::Maglev(_, rr) | Picker::Ring(_, rr), None) => rr.pick(&usable),
        }
    }
}

/// Which endpoints a pick may return.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usable<'a> {
    endpoints: &'a [Arc<EndpointState>],
    skip: Option<usize>,
}

impl Usable<'_> {
    /// Number of endpoints, usable or not.
    pub(crate) fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// True when endpoint `i` is available and not skipped.
    pub(crate) fn get(&self, i: usize) -> bool {
        self.skip != Some(i) && self.endpoints.get(i).is_some_and(|e| e.is_available())
    }

    /// The endpoints, for policies that look at load.
    pub(crate) fn endpoints(&self) -> &[Arc<EndpointState>] {
        self.endpoints
    }

    /// The first usable endpoint at or after `start % len`, wrapping: the last resort of every policy,
    /// reached only when most endpoints are down.
    pub(crate) fn scan_from(&self, start: u64) -> Option<usize> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let start = (start % n as u64) as usize;
        (0..n).map(|k| (start + k) % n).find(|&i| self.get(i))
    }
}

// === hashing ===

/// Stable 64-bit hash of a key (client IP bytes, header or cookie value).
///
/// FNV-1a over the bytes, then the MurmurHash3 64-bit finalizer so every input bit affects
/// every output bit (FNV alone leaves the high bits weak for short keys). The value never
/// changes between releases or hosts: it decides which endpoint a key sticks to.
pub fn hash_key(bytes: &[u8]) -> u64 {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let h = bytes.iter().fold(FNV_OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME));
    mix64(h ^ bytes.len() as u64)
}

/// MurmurHash3's `fmix64`: a bijective avalanche of 64 bits.
pub(crate) const fn mix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// Hash of an endpoint's identity (its address) salted with `seed`, for placing it in tables.
pub(crate) fn endpoint_hash(endpoint: &EndpointState, seed: u64) -> u64 {
    use std::io::Write;
    // "255.255.255.255:65535" and "[v6]:port" fit; longer never happens for a SocketAddr.
    let mut buf = [0u8; 64];
    let mut w = &mut buf[..];
    let len = match write!(w, "{}", endpoint.address) {
        Ok(()) => 64 - w.len(),
        Err(_) => 64,
    };
    mix64(hash_key(&buf[..len]) ^ mix64(seed))
}

// === randomness ===

/// A fast per-thread pseudo-random number (xorshift64*), seeded from the OS-keyed std hasher.
/// Not for anything secret; only to spread load.
pub(crate) fn random_u64() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    fn seed() -> u64 {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        RandomState::new().hash_one(n) | 1
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// A random index below `n` (`n > 0`), by multiply-shift (no modulo bias worth caring about).
pub(crate) fn random_below(n: usize) -> usize {
    ((u128::from(random_u64()) * n as u128) >> 64) as usize
}
