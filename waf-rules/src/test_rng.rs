//! A small seeded pseudo-random generator (xorshift64*) for the tests that generate or mutate
//! inputs: the same seed gives the same inputs, so a failure reproduces.

/// xorshift64*.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from a seed (0, which xorshift cannot leave, is taken as 1).
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n`; 0 when `n` is 0.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        match u64::try_from(n) {
            Ok(0) => 0,
            Ok(m) => usize::try_from(self.next() % m).unwrap_or(0),
            Err(_) => usize::try_from(self.next()).unwrap_or(0),
        }
    }

    /// One of `items` (which must not be empty).
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability 1/n.
    pub(crate) fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_numbers_and_bounds_hold() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..100).map(|_| a.next()).collect();
        assert!(xs.iter().all(|&x| x == b.next()));
        assert!(xs.windows(2).any(|w| w[0] != w[1]), "not constant");
        assert_eq!(a.below(0), 0);
        assert!((0..1000).all(|_| a.below(10) < 10));
        assert_ne!(Rng::new(0).next(), 0, "a zero seed still moves");
    }
}
