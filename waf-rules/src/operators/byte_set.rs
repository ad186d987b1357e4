//! [`ByteSet`]: a set of byte values, 256 bits. Operators describe with it the bytes every input
//! they match must hold ([`Operator::required_bytes`](super::Operator::required_bytes)), the
//! engine collects in it the bytes of the values a rule would test, and transformations bound
//! with it the bytes of their output ([`Transformation::bound`](crate::transformations::Transformation::bound)).

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

    /// The bytes from `low` to `high`, both included.
    pub const fn range(low: u8, high: u8) -> Self {
        let mut set = Self::EMPTY;
        let mut b = low as usize;
        while b <= high as usize {
            set.0[b >> 6] |= 1 << (b & 63);
            b += 1;
        }
        set
    }

    /// The set of the bytes of `bytes` (as [`of`](Self::of), for values at run time).
    pub fn of_value(bytes: &[u8]) -> Self {
        let mut words = [0u64; 4];
        for &b in bytes {
            words[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        Self(words)
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
    pub const fn union(mut self, other: &Self) -> Self {
        let mut i = 0;
        while i < 4 {
            self.0[i] |= other.0[i];
            i += 1;
        }
        self
    }

    /// The bytes of both sets that are in both.
    #[must_use]
    pub fn intersection(mut self, other: &Self) -> Self {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a &= b;
        }
        self
    }

    /// The bytes of this set that are not in `other`.
    #[must_use]
    pub fn difference(mut self, other: &Self) -> Self {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a &= !b;
        }
        self
    }

    /// The set with its ASCII upper-case letters turned lower-case.
    #[must_use]
    pub fn to_ascii_lowercase(mut self) -> Self {
        // `A`-`Z` are bits 1-26 of the second word, `a`-`z` bits 33-58.
        const UPPER: u64 = ((1 << 26) - 1) << 1;
        let upper = self.0[1] & UPPER;
        self.0[1] = (self.0[1] & !UPPER) | (upper << 32);
        self
    }

    /// The set with its ASCII lower-case letters turned upper-case.
    #[must_use]
    pub fn to_ascii_uppercase(mut self) -> Self {
        const LOWER: u64 = ((1 << 26) - 1) << 33;
        let lower = self.0[1] & LOWER;
        self.0[1] = (self.0[1] & !LOWER) | (lower >> 32);
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

    #[test]
    fn ranges_and_set_algebra() {
        assert_eq!(ByteSet::range(0, 255), ByteSet::FULL);
        assert_eq!(ByteSet::range(b'a', b'c'), ByteSet::of(b"abc"));
        assert_eq!(ByteSet::range(0x80, 0xff).len(), 128);
        let a = ByteSet::of(b"abcXYZ");
        let b = ByteSet::of(b"cX!");
        assert_eq!(a.intersection(&b), ByteSet::of(b"cX"));
        assert_eq!(a.difference(&b), ByteSet::of(b"abYZ"));
        for bytes in [&b"hello"[..], b"", b"\x00\xff\x80", b"The Quick"] {
            assert_eq!(ByteSet::of_value(bytes), ByteSet::of(bytes));
        }
    }

    #[test]
    fn case_mapping_agrees_with_the_bytes_mapped_one_by_one() {
        for b in 0..=u8::MAX {
            let set = ByteSet::of(&[b, b'\n', 0xc3]);
            assert_eq!(set.to_ascii_lowercase(), ByteSet::of(&[b.to_ascii_lowercase(), b'\n', 0xc3]), "{b}");
            assert_eq!(set.to_ascii_uppercase(), ByteSet::of(&[b.to_ascii_uppercase(), b'\n', 0xc3]), "{b}");
        }
        let all = ByteSet::FULL.to_ascii_lowercase();
        assert!(!all.contains(b'A') && all.contains(b'a') && all.contains(b'@') && all.contains(b'['));
    }
}
