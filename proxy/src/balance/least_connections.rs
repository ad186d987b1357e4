//! Least connections: every usable endpoint is compared, the one with the fewest open
//! connections per unit of weight wins.
//!
//! Load is the endpoint's in-flight count, which the L4 proxy holds for a connection's whole
//! life (the L7 proxy for a request's). Unlike [`super::least_request`], the scan is exact,
//! as HAProxy's `leastconn`: right for long-lived connections, where a wrong pick lasts.
//! Ties go to the first endpoint after a rotating start, so equal endpoints take turns.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::Usable;

/// Least connections state: the weights and the rotating tie-break start.
#[derive(Debug)]
pub struct LeastConnections {
    weights: Box<[u32]>,
    cursor: AtomicUsize,
}

impl LeastConnections {
    /// A picker for endpoints of `weights` (all at least 1).
    pub fn new(weights: &[u32]) -> Self {
        Self { weights: weights.into(), cursor: AtomicUsize::new(0) }
    }

    /// The usable endpoint with the least `(in_flight + 1) / weight`.
    pub(crate) fn pick(&self, usable: &Usable<'_>) -> Option<usize> {
        let n = usable.len();
        if n == 0 {
            return None;
        }
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % n;
        let eps = usable.endpoints();
        let weight = |i: usize| u64::from(self.weights.get(i).copied().unwrap_or(1).max(1));
        let mut best: Option<(usize, u64, u64)> = None;
        for i in (0..n).map(|k| (start + k) % n).filter(|&i| usable.get(i)) {
            let (load, w) = (u64::from(eps[i].in_flight()) + 1, weight(i));
            // load_i / w_i < load_b / w_b, without division.
            if best.is_none_or(|(_, bl, bw)| load * bw < bl * w) {
                best = Some((i, load, w));
            }
        }
        best.map(|(i, _, _)| i)
    }
}
