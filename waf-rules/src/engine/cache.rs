//! Transformation results cached within a transaction, as libmodsecurity caches them: the CRS
//! applies the same few transformation chains (`t:none,t:urlDecodeUni`, the XSS chain, ...) to
//! the same request values rule after rule, and a chain is a pure function of its input.
//!
//! A value is identified by where it lives in the transaction's store (address and length),
//! so only values that cannot change while a phase runs are cached (request and response data,
//! never `TX` or `MATCHED_VAR`), and the cache is emptied when a phase starts.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::variables::VariableName;

/// A stored value (address, length) and the rule's transformation chain id.
type Key = (usize, usize, u32);

/// Results by value and chain: `None` when the chain leaves the value unchanged.
#[derive(Debug)]
pub(crate) struct TransformCache {
    map: HashMap<Key, Option<Box<[u8]>>, BuildHasherDefault<WordHasher>>,
}

impl Default for TransformCache {
    /// Room for what a browser request produces under the CRS (about 400 value and prefix
    /// pairs), so that a phase does not rehash as it fills the cache.
    fn default() -> Self {
        TransformCache { map: HashMap::with_capacity_and_hasher(512, BuildHasherDefault::default()) }
    }
}

impl TransformCache {
    /// Forgets every result (a new phase may bring new values).
    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    /// `Some(None)`: cached, unchanged; `Some(Some(bytes))`: cached, transformed.
    pub(crate) fn get(&self, value: &[u8], chain: u32) -> Option<Option<&[u8]>> {
        self.map.get(&key(value, chain)).map(Option::as_deref)
    }

    /// Records the result of `chain` on `value`.
    pub(crate) fn insert(&mut self, value: &[u8], chain: u32, result: Option<Box<[u8]>>) {
        self.map.insert(key(value, chain), result);
    }
}

fn key(value: &[u8], chain: u32) -> Key {
    (value.as_ptr() as usize, value.len(), chain)
}

/// Whether the values of `name` stay put while a phase runs (request and response data), so
/// that a borrowed value can be cached by its address.
pub(crate) fn is_stable(name: VariableName) -> bool {
    use VariableName as V;
    matches!(
        name,
        V::Args
            | V::ArgsNames
            | V::ArgsGet
            | V::ArgsGetNames
            | V::ArgsPost
            | V::ArgsPostNames
            | V::RequestHeaders
            | V::RequestHeadersNames
            | V::RequestCookies
            | V::RequestCookiesNames
            | V::RequestFilename
            | V::RequestBasename
            | V::RequestUri
            | V::RequestUriRaw
            | V::RequestLine
            | V::RequestMethod
            | V::RequestProtocol
            | V::QueryString
            | V::RequestBody
            | V::Files
            | V::FilesNames
            | V::MultipartFilename
            | V::MultipartName
            | V::MultipartPartHeaders
            | V::Xml
            | V::ResponseHeaders
            | V::ResponseHeadersNames
            | V::ResponseBody
    )
}

/// A multiply-rotate hasher for keys made of machine words (FxHash's scheme); the keys are
/// addresses and lengths the client cannot choose, so SipHash's flooding resistance buys
/// nothing here.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_keyed_by_value_and_chain() {
        let value = b"a+b".to_vec();
        let mut cache = TransformCache::default();
        assert_eq!(cache.get(&value, 1), None);
        cache.insert(&value, 1, Some(b"a b".to_vec().into_boxed_slice()));
        cache.insert(&value, 2, None);
        assert_eq!(cache.get(&value, 1), Some(Some(&b"a b"[..])));
        assert_eq!(cache.get(&value, 2), Some(None));
        assert_eq!(cache.get(&value[..1], 1), None, "same address, other length");
        cache.clear();
        assert_eq!(cache.get(&value, 1), None);
    }
}
