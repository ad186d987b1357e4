//! PLACEHOLDER: replaced by the balancing branch.
use std::sync::Arc;

use crate::endpoint::EndpointState;

/// Picks endpoints for one service.
#[derive(Debug)]
pub struct Balancer {
    endpoints: Vec<Arc<EndpointState>>,
}

impl Balancer {
    /// Builds the balancer; `weights[i]` belongs to `endpoints[i]`.
    pub fn new(_balance: &model::Balance, endpoints: Vec<Arc<EndpointState>>, _weights: Vec<u32>) -> Self {
        Self { endpoints }
    }
    /// The endpoints, in config order.
    pub fn endpoints(&self) -> &[Arc<EndpointState>] {
        &self.endpoints
    }
    /// Index of an available endpoint, or None when none is; `hash` is the request's key for
    /// consistent hashing; `skip` an index to avoid (a retry).
    pub fn pick(&self, _hash: Option<u64>, skip: Option<usize>) -> Option<usize> {
        (0..self.endpoints.len()).find(|&i| Some(i) != skip && self.endpoints[i].is_available())
    }
}

/// Stable 64-bit hash of a key (client IP bytes, header or cookie value).
pub fn hash_key(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}
