//! Least request by the power of two choices: of two random endpoints, the less loaded wins.
//!
//! Load is `(in_flight + 1) / weight`, so a heavier endpoint takes proportionally more
//! concurrent requests. Two random candidates avoid the herd that "globally least loaded"
//! causes when many pickers see the same counts at once, at O(1) cost per pick.

use super::{random_below, Usable};

/// Candidate pairs drawn before falling back to a scan (most endpoints unusable).
const ROUNDS: usize = 4;

/// Least request state: only the weights; the load lives in the endpoints.
#[derive(Debug)]
pub struct LeastRequest {
    weights: Box<[u32]>,
}

impl LeastRequest {
    /// A picker for endpoints of `weights` (all at least 1).
    pub fn new(weights: &[u32]) -> Self {
        Self { weights: weights.into() }
    }

    /// The less loaded of two random usable endpoints.
    pub(crate) fn pick(&self, usable: &Usable<'_>) -> Option<usize> {
        let n = usable.len();
        match n {
            0 => return None,
            1 => return usable.get(0).then_some(0),
            _ => {}
        }
        for _ in 0..ROUNDS {
            let a = random_below(n);
            let mut b = random_below(n - 1);
            if b >= a {
                b += 1;
            }
            match (usable.get(a), usable.get(b)) {
                (true, true) => return Some(if self.lighter(usable, b, a) { b } else { a }),
                (true, false) => return Some(a),
                (false, true) => return Some(b),
                (false, false) => {}
            }
        }
        // Few usable endpoints left: take the least loaded of them.
        let start = random_below(n);
        (0..n).map(|k| (start + k) % n).filter(|&i| usable.get(i)).reduce(|best, i| {
            if self.lighter(usable, i, best) {
                i
            } else {
                best
            }
        })
    }

    /// True when endpoint `a` is strictly less loaded than `b`, weight considered.
    fn lighter(&self, usable: &Usable<'_>, a: usize, b: usize) -> bool {
        let eps = usable.endpoints();
        let weight = |i: usize| u64::from(self.weights.get(i).copied().unwrap_or(1));
        let load_a = (u64::from(eps[a].in_flight()) + 1) * weight(b);
        let load_b = (u64::from(eps[b].in_flight()) + 1) * weight(a);
        load_a < load_b
    }
}
