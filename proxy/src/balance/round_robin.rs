//! Smooth weighted round robin: a precomputed schedule walked by one atomic cursor.
//!
//! The schedule holds `sum(weights)` slots. Endpoint `i` of weight `w` owns the `w` slots at
//! virtual times `(k + phase_i) / w` for `k in 0..w`, sorted: each endpoint's turns are spread
//! evenly over the cycle, and the per-endpoint phase keeps endpoints of equal weight from
//! bunching up. Weights 5,1,1 give `a a a b a a c`, never `a a a a a b c`.
//!
//! A pick takes the next slot. When its endpoint is unavailable (or skipped) the pick probes a
//! few pseudo-random slots, which keeps the survivors' shares proportional to their weights,
//! and falls back to a linear scan when the unavailable endpoints own nearly all slots.

use std::cmp::Ordering as CmpOrdering;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{mix64, Usable};

/// Largest schedule kept; larger weight sums are scaled down proportionally.
const MAX_SCHEDULE: u64 = 1 << 16;

/// Random slots probed after the cursor's slot turns out unusable.
const PROBES: usize = 16;

/// Weighted round robin state.
#[derive(Debug)]
pub struct RoundRobin {
    /// Endpoint index per slot.
    schedule: Box<[u32]>,
    cursor: AtomicUsize,
}

impl RoundRobin {
    /// Builds the schedule for `weights` (all at least 1).
    pub fn new(weights: &[u32]) -> Self {
        Self { schedule: schedule(weights).into_boxed_slice(), cursor: AtomicUsize::new(0) }
    }

    /// The endpoint index of each slot of one cycle.
    pub fn schedule(&self) -> &[u32] {
        &self.schedule
    }

    /// The next usable endpoint.
    pub(crate) fn pick(&self, usable: &Usable<'_>) -> Option<usize> {
        let len = self.schedule.len();
        if len == 0 {
            return None;
        }
        let c = self.cursor.fetch_add(1, Ordering::Relaxed);
        let first = self.schedule[c % len] as usize;
        if usable.get(first) {
            return Some(first);
        }
        let mut seed = c as u64;
        for _ in 0..PROBES {
            seed = mix64(seed.wrapping_add(0x9e37_79b9_7f4a_7c15));
            let i = self.schedule[(seed % len as u64) as usize] as usize;
            if usable.get(i) {
                return Some(i);
            }
        }
        usable.scan_from(c as u64)
    }
}

/// One slot of the schedule before sorting: endpoint `index` at time `num / den`.
#[derive(Clone, Copy)]
struct Slot {
    num: u64,
    den: u64,
    index: u32,
}

/// The slots of one cycle, in order.
fn schedule(weights: &[u32]) -> Vec<u32> {
    let n = weights.len() as u64;
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let scaled = |w: u32| -> u64 {
        if total <= MAX_SCHEDULE {
            u64::from(w)
        } else {
            (u64::from(w) * MAX_SCHEDULE / total).max(1)
        }
    };
    let mut slots = Vec::new();
    for (i, &w) in weights.iter().enumerate() {
        let w = scaled(w);
        // time = (k + (2i + 1) / 2n) / w = (2nk + 2i + 1) / (2nw)
        let den = 2 * n * w;
        for k in 0..w {
            slots.push(Slot { num: 2 * n * k + 2 * i as u64 + 1, den, index: i as u32 });
        }
    }
    slots.sort_unstable_by(|a, b| {
        let lhs = u128::from(a.num) * u128::from(b.den);
        let rhs = u128::from(b.num) * u128::from(a.den);
        match lhs.cmp(&rhs) {
            CmpOrdering::Equal => a.index.cmp(&b.index),
            o => o,
        }
    });
    slots.into_iter().map(|s| s.index).collect()
}
