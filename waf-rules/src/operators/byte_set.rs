//! [`ByteSet`]: a set of byte values, 256 bits. Operators describe with it the bytes every input
//! they match must hold ([`Operator::required_bytes`](super::Operator::required_bytes)), and the
//! engine collects in it the bytes of the values a rule would test.

/// A set of bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    /// No byte.
    pub const EMPTY: Self = Self([0; 4]);

    /// Every byte.
    pub const FULL: Self = Self([u64::MAX; 4]);

    /// The set of `bytes`.
    pub const fn of(bytes: &[u8]) -> Self {
        let mut set = Self::EMPTY;
        let mut i = 0;
        while i < bytes.len() {
            set.0[(bytes[i] >> 6) as usize] |= 1 << (bytes[i] & 63);
            i += 1;
        }
        set
    }

    /// Adds `byte`.
    pub fn insert(&mut self, byte: u8) {
        self.0[usize::from(byte >> 6)] |= 1 << (byte & 63);
    }

    /// Whether `byte` is in the set.
    pub fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte >> 6)] & (1 << (byte & 63)) != 0
    }

    /// The bytes of both sets.
    #[must_use]
    pub fn union(mut self, other: &Self) -> Self {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        self
    }

    /// Whether the sets share a byte.
    pub fn intersects(&self, other: &Self) -> bool {
        self.0.iter().zip(other.0).any(|(a, b)| a & b != 0)
    }

    /// How many bytes the set holds.
    pub fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// Whether the set holds no byte.
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// The bytes, in increasing order.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=u8::MAX).filter(|&b| self.contains(b))
    }
}

#[cfg(test)]
mod tests {
    use super::ByteSet;

    #[test]
    fn set_operations() {
        let mut a = ByteSet::of(b"<=");
        assert!(a.contains(b'<') && a.contains(b'=') && !a.contains(b'>'));
        assert_eq!(a.len(), 2);
        let b = ByteSet::of(b"\x00\xff");
        assert!(!a.intersects(&b));
        a.insert(b'x');
        a.insert(0xff);
        assert!(a.intersects(&b));
        assert_eq!(a.union(&b).bytes().collect::<Vec<_>>(), [0, b'<', b'=', b'x', 0xff]);
        assert!(ByteSet::EMPTY.is_empty() && !a.is_empty());
    }
}
