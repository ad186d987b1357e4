//! Maglev consistent hashing (Eisenbud et al., NSDI 2016): a prime-sized lookup table.
//!
//! Each endpoint derives a permutation of the table slots from two hashes of its address
//! (`offset`, `skip`); endpoints take turns claiming their next free preferred slot until the
//! table is full. Every endpoint ends up with a near-equal share of slots (proportional to its
//! weight), and removing one endpoint reassigns mostly that endpoint's slots.
//!
//! A key looks up `table[hash % M]`. When that endpoint is unavailable or skipped, the key
//! walks on to the following slots, which belong to pseudo-random other endpoints: the choice
//! is deterministic per key and keys of healthy endpoints never move.

use super::{endpoint_hash, Usable};
use crate::endpoint::EndpointState;
use std::sync::Arc;

/// Prime table sizes; the smallest at least [`SLOTS_PER_ENDPOINT`] times the endpoint count
/// is used (the largest for more endpoints).
const SIZES: [usize; 5] = [65_537, 131_071, 262_147, 524_287, 1_048_573];

/// Slots per endpoint below which the spread gets uneven (the paper advises M > 100 N).
const SLOTS_PER_ENDPOINT: usize = 100;

/// Salts of the two permutation hashes.
const OFFSET_SEED: u64 = 0x6d61_676c_6576_6f66; // "maglevof"
const SKIP_SEED: u64 = 0x6d61_676c_6576_736b; // "maglevsk"

/// Marks a slot nobody has claimed yet during the build.
const EMPTY: u32 = u32::MAX;

/// The Maglev lookup table.
#[derive(Debug)]
pub struct Maglev {
    /// Endpoint index per slot; empty when there are no endpoints.
    table: Box<[u32]>,
}

impl Maglev {
    /// Builds the table for `endpoints` of `weights` (same length, all weights at least 1).
    pub fn new(endpoints: &[Arc<EndpointState>], weights: &[u32]) -> Self {
        let n = endpoints.len();
        if n == 0 {
            return Self { table: Box::new([]) };
        }
        let m = table_size(n);
        let m64 = m as u64;
        // Current slot and step of each endpoint's permutation; `skip` is coprime with the
        // prime `m`, so every permutation visits all slots.
        let mut pos: Vec<u64> = endpoints.iter().map(|e| endpoint_hash(e, OFFSET_SEED) % m64).collect();
        let skip: Vec<u64> = endpoints.iter().map(|e| endpoint_hash(e, SKIP_SEED) % (m64 - 1) + 1).collect();
        let weights: Vec<u64> = (0..n).map(|i| u64::from(weights.get(i).copied().unwrap_or(1).max(1))).collect();
        let max_weight = weights.iter().copied().max().unwrap_or(1);

        let mut table = vec![EMPTY; m];
        let mut filled = 0;
        let mut round: u64 = 0;
        while filled < m {
            for i in 0..n {
                // The heaviest endpoints claim a slot every round, lighter ones in proportion.
                let w = weights[i];
                if (round + 1) * w / max_weight == round * w / max_weight {
                    continue;
                }
                loop {
                    let slot = pos[i] as usize;
                    pos[i] = (pos[i] + skip[i]) % m64;
                    if table[slot] == EMPTY {
                        table[slot] = i as u32;
                        filled += 1;
                        break;
                    }
                }
                if filled == m {
                    break;
                }
            }
            round += 1;
        }
        Self { table: table.into_boxed_slice() }
    }

    /// The table: the endpoint index of each slot.
    pub fn table(&self) -> &[u32] {
        &self.table
    }

    /// The endpoint for key `hash`: its slot's, or the next usable one after it.
    pub(crate) fn pick(&self, hash: u64, usable: &Usable<'_>) -> Option<usize> {
        let m = self.table.len();
        if m == 0 {
            return None;
        }
        let start = (hash % m as u64) as usize;
        // Enough slots that some usable endpoint is almost surely among them.
        let probes = m.min(8 * usable.len() + 32);
        for k in 0..probes {
            let i = self.table[(start + k) % m] as usize;
            if usable.get(i) {
                return Some(i);
            }
        }
        usable.scan_from(hash)
    }
}

/// The table size for `n` endpoints.
fn table_size(n: usize) -> usize {
    let want = n.saturating_mul(SLOTS_PER_ENDPOINT);
    SIZES.iter().copied().find(|&m| m >= want).unwrap_or(SIZES[SIZES.len() - 1])
}

#[cfg(test)]
pub(super) fn sizes() -> &'static [usize] {
    &SIZES
}
