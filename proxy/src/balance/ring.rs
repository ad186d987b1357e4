//! Ketama-style consistent hash ring: 160 points per unit of weight, found by binary search.
//!
//! A key belongs to the first point at or after its hash (wrapping). When that endpoint is
//! unavailable or skipped, the key walks clockwise to the next point of a usable endpoint, so
//! only the keys of the missing endpoint move, and they spread over the others.

use std::sync::Arc;

use super::{endpoint_hash, mix64, Usable};
use crate::endpoint::EndpointState;

/// Points per unit of weight (ketama's 160).
pub const POINTS_PER_WEIGHT: u64 = 160;

/// Largest ring kept; larger totals are scaled down proportionally (at least one point each).
const MAX_POINTS: u64 = 1 << 17;

/// Salt of the point hashes.
const RING_SEED: u64 = 0x6b65_7461_6d61_7269; // "ketamari"

/// The sorted ring.
#[derive(Debug)]
pub struct Ring {
    /// Point positions, ascending.
    hashes: Box<[u64]>,
    /// Endpoint index of each point.
    owners: Box<[u32]>,
}

impl Ring {
    /// Builds the ring for `endpoints` of `weights` (same length, all weights at least 1).
    pub fn new(endpoints: &[Arc<EndpointState>], weights: &[u32]) -> Self {
        let weight = |i: usize| u64::from(weights.get(i).copied().unwrap_or(1).max(1));
        let total: u64 = (0..endpoints.len()).map(|i| weight(i) * POINTS_PER_WEIGHT).sum();
        let mut points: Vec<(u64, u32)> = Vec::with_capacity(total.min(MAX_POINTS) as usize + endpoints.len());
        for (i, e) in endpoints.iter().enumerate() {
            let mut count = weight(i) * POINTS_PER_WEIGHT;
            if total > MAX_POINTS {
                count = (count * MAX_POINTS / total).max(1);
            }
            let base = endpoint_hash(e, RING_SEED);
            for k in 0..count {
                points.push((mix64(base ^ mix64(k + 1)), i as u32));
            }
        }
        points.sort_unstable();
        let (hashes, owners) = points.into_iter().unzip::<_, _, Vec<_>, Vec<_>>();
        Self { hashes: hashes.into_boxed_slice(), owners: owners.into_boxed_slice() }
    }

    /// Number of points on the ring.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// True when the ring has no points (no endpoints).
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The endpoint for key `hash`: the owner of the first point at or after it, or the next
    /// usable owner clockwise.
    pub(crate) fn pick(&self, hash: u64, usable: &Usable<'_>) -> Option<usize> {
        let len = self.hashes.len();
        if len == 0 {
            return None;
        }
        let start = self.hashes.partition_point(|&h| h < hash);
        // Enough points that some usable endpoint is almost surely among them.
        let walk = len.min(8 * usable.len() + 32);
        for k in 0..walk {
            let i = self.owners[(start + k) % len] as usize;
            if usable.get(i) {
                return Some(i);
            }
        }
        usable.scan_from(hash)
    }
}
