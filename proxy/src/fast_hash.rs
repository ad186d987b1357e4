//! A keyless hasher (FNV-1a) for maps that rampart's own operator fills and the data path only
//! reads: listeners by name. A request chooses which key is looked up, never which keys exist;
//! on the short keys involved FNV-1a costs a few instructions per byte, SipHash about a hundred
//! per lookup whatever the key.
//!
//! Not for keys that someone less trusted writes: FNV-1a collisions are easy to make, so a
//! table of Ingress paths (written by a cluster's tenants) keeps the standard library's keyed
//! SipHash, or thousands of colliding paths could make every reload quadratic.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` hashed with [`Fnv1a`]; only for config-built tables (see the module docs).
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv1a>>;

/// The 64-bit FNV-1a hash.
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_a_working_map() {
        // Reference values of 64-bit FNV-1a.
        let hash = |s: &[u8]| {
            let mut h = Fnv1a::default();
            h.write(s);
            h.finish()
        };
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(b"foobar"), 0x8594_4171_f739_67e8);
        let mut m: FastMap<Box<str>, usize> = FastMap::default();
        for i in 0..1000 {
            m.insert(format!("/path/{i}").into(), i);
        }
        assert!((0..1000).all(|i| m.get(format!("/path/{i}").as_str()) == Some(&i)));
        assert_eq!(m.get("/path/1000"), None);
    }
}
