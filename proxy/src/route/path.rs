//! Path matching within one host group: `Exact` byte for byte, `Prefix` element-wise by `/`.
//!
//! `Prefix` (and `ImplementationSpecific`) follows Ingress v1: the rule's `/`-separated elements
//! must be a prefix of the request path's elements, and a trailing slash on the rule is ignored.
//! So `/foo` and `/foo/` both match `/foo`, `/foo/` and `/foo/bar` but not `/foobar`, and `/`
//! matches every path. Paths are compared raw: case-sensitive, no percent-decoding.
//!
//! Lookup tries the exact map first: an exact hit equals the whole request path, so it is at least
//! as long as any matching prefix and wins the tie. Otherwise prefixes are probed longest first,
//! one hash lookup per distinct rule length that ends on an element boundary of the request path.
//! The cost is bounded by the config, not by how many slashes a request carries.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use model::PathType;

/// The path rules of one host group.
#[derive(Debug)]
pub(super) struct PathTable<T> {
    /// `Exact` rules by path.
    exact: HashMap<Box<str>, T>,
    /// `Prefix` rules by path without trailing slashes (`/` is stored as the empty string).
    prefix: HashMap<Box<str>, T>,
    /// The distinct lengths of the `prefix` keys, longest first.
    prefix_lens: Vec<usize>,
}

// === impl PathTable ===

impl<T> Default for PathTable<T> {
    fn default() -> Self {
        Self { exact: HashMap::new(), prefix: HashMap::new(), prefix_lens: Vec::new() }
    }
}

impl<T> PathTable<T> {
    /// Adds a rule; of two rules with the same key (`/foo` and `/foo/` as prefixes) the first wins.
    pub(super) fn insert(&mut self, path: &str, path_type: PathType, value: T) {
        match path_type {
            PathType::Exact => {
                self.exact.entry(path.into()).or_insert(value);
            }
            PathType::Prefix | PathType::ImplementationSpecific => {
                let key = path.trim_end_matches('/');
                if let Entry::Vacant(slot) = self.prefix.entry(key.into()) {
                    slot.insert(value);
                    // Descending order: `binary_search_by` wants the element's place relative to the key.
                    if let Err(at) = self.prefix_lens.binary_search_by(|len| key.len().cmp(len)) {
                        self.prefix_lens.insert(at, key.len());
                    }
                }
            }
        }
    }

    /// The value of the longest rule matching `path`, `Exact` before `Prefix` on equal length.
    pub(super) fn lookup(&self, path: &str) -> Option<&T> {
        if let Some(value) = self.exact.get(path) {
            return Some(value);
        }
        let bytes = path.as_bytes();
        for &len in &self.prefix_lens {
            if len == 0 {
                // The rule `/`: matches everything.
                return self.prefix.get("");
            }
            let on_boundary = match bytes.get(len) {
                Some(&next) => next == b'/',
                None => len == bytes.len(),
            };
            if !on_boundary {
                continue;
            }
            // `len` is the end of the path or the index of a `/`, so it is a char boundary.
            if let Some(value) = self.prefix.get(&path[..len]) {
                return Some(value);
            }
        }
        None
    }

    /// True when the group has no rules.
    pub(super) fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefix.is_empty()
    }
}
