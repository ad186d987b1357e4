//! What a transaction knows: the request and response pieces ModSecurity variables read, and
//! the mutable collections (`TX`, the persistent-style ones, `MATCHED_VARS`).

use std::borrow::Cow;

use std::hash::{BuildHasher as _, RandomState};

use indexmap::map::raw_entry_v1::{RawEntryApiV1 as _, RawEntryMut};
use indexmap::IndexMap;

use crate::body::{Arg, BodyOutcome, ReqBodyStatus};
use crate::engine::cache::Slots;

/// The hasher of a rule set's collections: SipHash with keys drawn when the rule set is
/// compiled, so that the keys written in the rules (`TX:anomaly_score`, `setvar:tx.x=1`) are
/// hashed once, at load, into [`VarKey`]s. `id` tells hashers apart.
#[derive(Debug, Clone)]
pub(crate) struct KeyHasher {
    state: RandomState,
    id: u64,
}

impl Default for KeyHasher {
    fn default() -> Self {
        let state = RandomState::new();
        let id = state.hash_one("rampart/waf-rules/KeyHasher");
        KeyHasher { state, id }
    }
}

impl KeyHasher {
    /// `key` lower case with its hash.
    pub(crate) fn key(&self, key: &str) -> VarKey {
        let text = lower(key).into_owned();
        let hash = self.state.hash_one(text.as_str());
        VarKey { text, hash, hasher: self.id }
    }
}

/// A collection key known at load time: lower case, hashed by a [`KeyHasher`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarKey {
    text: String,
    hash: u64,
    /// The id of the hasher that hashed it.
    hasher: u64,
}

impl VarKey {
    /// The key, lower case.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

/// A collection whose keys compare ASCII case-insensitively (stored lower case), kept in
/// insertion order for iteration. Each key is stored once; keys written in the rules are
/// borrowed from the rule set.
#[derive(Debug, Default, Clone)]
pub(crate) struct Vars<'r> {
    map: IndexMap<Cow<'r, str>, VarValue, RandomState>,
    /// The id of the [`KeyHasher`] whose state `map` hashes with; 0 for another state.
    hasher: u64,
}

/// The value of a collection variable. The CRS writes some eighty short values a request
/// (scores, flags, thresholds): up to 22 bytes they live in the entry, without an allocation.
pub(crate) type VarValue = smallvec::SmallVec<[u8; 22]>;

/// `key` lower case, borrowed when it already is.
fn lower(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

impl<'r> Vars<'r> {
    /// An empty collection hashing with `hasher`, with room for `n` entries.
    pub(crate) fn with_hasher(hasher: &KeyHasher, n: usize) -> Self {
        Vars { map: IndexMap::with_capacity_and_hasher(n, hasher.state.clone()), hasher: hasher.id }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&[u8]> {
        self.map.get(&*lower(key)).map(VarValue::as_slice)
    }

    pub(crate) fn set(&mut self, key: &str, value: &[u8]) {
        let slot = self.value_mut(key);
        slot.clear();
        slot.extend_from_slice(value);
    }

    /// The value of `key` to overwrite in place, inserted empty when missing.
    pub(crate) fn value_mut(&mut self, key: &str) -> &mut VarValue {
        let key = lower(key);
        let i = match self.map.get_index_of(&*key) {
            Some(i) => i,
            None => self.map.insert_full(Cow::Owned(key.into_owned()), VarValue::new()).0,
        };
        &mut self.map[i]
    }

    /// [`value_mut`](Self::value_mut) of a key hashed at load time.
    pub(crate) fn value_mut_key(&mut self, key: &'r VarKey) -> &mut VarValue {
        if key.hasher != self.hasher {
            return self.value_mut(&key.text);
        }
        match self.map.raw_entry_mut_v1().from_hash(key.hash, |k| *k == key.text) {
            RawEntryMut::Occupied(e) => e.into_mut(),
            RawEntryMut::Vacant(e) => e.insert_hashed_nocheck(key.hash, Cow::Borrowed(&key.text), VarValue::new()).1,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    pub(crate) fn remove(&mut self, key: &str) {
        self.map.shift_remove(&*lower(key));
    }

    /// The entry of `key` as stored (its key lower case), for a target that names one key.
    pub(crate) fn entry(&self, key: &str) -> Option<(&str, &[u8])> {
        self.map.get_key_value(&*lower(key)).map(|(k, v)| (k.as_ref(), v.as_slice()))
    }

    /// [`entry`](Self::entry) of a key hashed at load time.
    pub(crate) fn entry_key(&self, key: &VarKey) -> Option<(&str, &[u8])> {
        if key.hasher != self.hasher {
            return self.entry(&key.text);
        }
        let (k, v) = self.map.raw_entry_v1().from_hash(key.hash, |k| *k == key.text)?;
        Some((k.as_ref(), v.as_slice()))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.map.iter().map(|(k, v)| (k.as_ref(), v.as_slice()))
    }
}

/// Name and value pairs kept back to back in one buffer (`MATCHED_VARS`, the matches of the
/// rule being evaluated): nothing is allocated per pair once the buffer has grown.
#[derive(Debug, Default, Clone)]
pub(crate) struct Pairs {
    bytes: Vec<u8>,
    /// Where each pair's name and value end in `bytes`.
    ends: Vec<(usize, usize)>,
}

impl Pairs {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Adds a pair whose name is the concatenation of `name`.
    pub(crate) fn push(&mut self, name: &[&[u8]], value: &[u8]) {
        for part in name {
            self.bytes.extend_from_slice(part);
        }
        let name_end = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.ends.push((name_end, self.bytes.len()));
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, end)| {
            let pair = (&self.bytes[start..name_end], &self.bytes[name_end..end]);
            start = end;
            pair
        })
    }
}

/// The request and response data of one transaction, and its collections.
#[derive(Debug, Default)]
pub(crate) struct Store<'r> {
    // --- connection ---
    pub(crate) remote_addr: Vec<u8>,
    pub(crate) remote_port: u16,
    pub(crate) server_addr: Vec<u8>,
    pub(crate) server_port: u16,
    pub(crate) server_name: Vec<u8>,
    pub(crate) unique_id: Vec<u8>,

    // --- request line ---
    pub(crate) method: Vec<u8>,
    pub(crate) protocol: Vec<u8>,
    pub(crate) request_line: Vec<u8>,
    /// `REQUEST_URI`: decoded, without scheme and host.
    pub(crate) uri: Vec<u8>,
    /// `REQUEST_URI_RAW`: as sent.
    pub(crate) uri_raw: Vec<u8>,
    pub(crate) filename: Vec<u8>,
    pub(crate) basename: Option<Vec<u8>>,
    pub(crate) query_string: Option<Vec<u8>>,

    // --- request headers and arguments ---
    pub(crate) request_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) cookies: Vec<Arg>,
    pub(crate) args_get: Vec<Arg>,
    pub(crate) args_post: Vec<Arg>,
    /// Body arguments that go to `ARGS` only (JSON leaves).
    pub(crate) args_body_only: Vec<Arg>,
    pub(crate) args_combined_size: u64,
    pub(crate) urlencoded_error: bool,

    // --- request body ---
    pub(crate) request_body: Option<Vec<u8>>,
    pub(crate) request_body_length: Option<u64>,
    pub(crate) body: Option<BodyOutcome>,
    pub(crate) reqbody_processor: Option<&'static str>,
    pub(crate) inbound_data_error: bool,

    // --- response ---
    pub(crate) status: Option<u16>,
    pub(crate) response_protocol: Vec<u8>,
    pub(crate) response_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) response_body: Option<Vec<u8>>,
    pub(crate) outbound_data_error: bool,

    // --- collections ---
    pub(crate) tx: Vars<'r>,
    pub(crate) env: Vars<'r>,
    /// `IP`, `GLOBAL`, `SESSION`, `USER`, `RESOURCE`: transaction-local (no persistent storage).
    pub(crate) ip: Vars<'r>,
    pub(crate) global: Vars<'r>,
    pub(crate) session: Vars<'r>,
    pub(crate) user: Vars<'r>,
    pub(crate) resource: Vars<'r>,

    // --- matching state ---
    pub(crate) matched_var: Vec<u8>,
    pub(crate) matched_var_name: Vec<u8>,
    pub(crate) matched_vars: Pairs,
    /// Lowest severity number seen (0 is the most severe); 255 when none.
    pub(crate) highest_severity: u8,
    /// The rule being evaluated, for `%{RULE.*}` macros.
    pub(crate) rule: RuleInfo<'r>,
    /// Microseconds since the transaction started, set when read.
    pub(crate) started: Option<std::time::Instant>,
    /// The slots of the values, numbered when a phase starts (see `engine::cache`).
    pub(crate) slots: Slots,
}

/// `RULE.id`, `RULE.msg`, ... of the rule being evaluated; its texts borrowed from the rule set.
#[derive(Debug, Default, Clone)]
pub(crate) struct RuleInfo<'r> {
    pub(crate) id: u64,
    pub(crate) msg: Vec<u8>,
    pub(crate) severity: Option<u8>,
    pub(crate) rev: &'r str,
    pub(crate) ver: &'r str,
    pub(crate) logdata: Vec<u8>,
}

impl<'r> Store<'r> {
    /// The first request header named `name` (ASCII case-insensitive).
    pub(crate) fn request_header(&self, name: &[u8]) -> Option<&[u8]> {
        self.request_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// `REQBODY_ERROR` etc., when set.
    pub(crate) fn reqbody_status(&self) -> Option<&ReqBodyStatus> {
        self.body.as_ref().map(|b| &b.status)
    }

    /// A persistent-style collection by name (`TX`, `IP`, ...).
    pub(crate) fn vars(&self, name: &str) -> Option<&Vars<'r>> {
        Some(match name {
            "TX" => &self.tx,
            "IP" => &self.ip,
            "GLOBAL" => &self.global,
            "SESSION" => &self.session,
            "USER" => &self.user,
            "RESOURCE" => &self.resource,
            "ENV" => &self.env,
            _ => return None,
        })
    }

    /// Mutable access to a persistent-style collection.
    pub(crate) fn vars_mut(&mut self, name: &str) -> Option<&mut Vars<'r>> {
        Some(match name {
            "TX" => &mut self.tx,
            "IP" => &mut self.ip,
            "GLOBAL" => &mut self.global,
            "SESSION" => &mut self.session,
            "USER" => &mut self.user,
            "RESOURCE" => &mut self.resource,
            "ENV" => &mut self.env,
            _ => return None,
        })
    }

    /// `RESPONSE_CONTENT_TYPE`: the last `Content-Type` response header up to its first `;`
    /// (`text/html` of `text/html; charset=UTF-8`), as libmodsecurity stores it.
    pub(crate) fn response_content_type(&self) -> Option<&[u8]> {
        let (_, value) = self.response_headers.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))?;
        Some(value.split(|&b| b == b';').next().unwrap_or_default())
    }

    /// A number as its decimal bytes.
    pub(crate) fn number(n: impl std::fmt::Display) -> Cow<'static, [u8]> {
        Cow::Owned(n.to_string().into_bytes())
    }

    /// A count (`&ARGS`, `&TX:score`) as its decimal bytes; small ones without allocating.
    pub(crate) fn count(n: usize) -> Cow<'static, [u8]> {
        const DIGITS: &[u8; 10] = b"0123456789";
        match DIGITS.get(n..=n) {
            Some(digit) => Cow::Borrowed(digit),
            None => Self::number(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hashed_at_load_find_what_plain_keys_wrote() {
        let hasher = KeyHasher::default();
        // The keys outlive the collection that borrows them, as the rule set does.
        let new = hasher.key("New");
        let other = KeyHasher::default().key("anomaly_score");
        let generated: Vec<VarKey> = (0..300).map(|i| hasher.key(&format!("K{i}_{}", "x".repeat(i % 7)))).collect();
        let mut v = Vars::with_hasher(&hasher, 4);
        v.set("Anomaly_Score", b"5");
        let key = hasher.key("ANOMALY_score");
        assert_eq!(key.as_str(), "anomaly_score");
        assert_eq!(v.entry_key(&key), Some(("anomaly_score", &b"5"[..])));
        v.value_mut_key(&new).extend_from_slice(b"1");
        assert_eq!(v.get("new"), Some(&b"1"[..]));
        assert_eq!(v.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["anomaly_score", "new"]);
        // A key from another hasher (another rule set) is looked up by its text.
        assert_eq!(v.entry_key(&other), Some(("anomaly_score", &b"5"[..])));
        v.value_mut_key(&other).push(b'0');
        assert_eq!(v.get("anomaly_score"), Some(&b"50"[..]));
        assert_eq!(v.entry_key(&hasher.key("missing")), None);
        // Generated keys: both ways agree with the plain lookups.
        for (i, key) in generated.iter().enumerate() {
            if i % 2 == 0 {
                v.set(&format!("K{i}_{}", "x".repeat(i % 7)), i.to_string().as_bytes());
            } else {
                *v.value_mut_key(key) = i.to_string().as_bytes().into();
            }
        }
        for i in 0..300 {
            let name = format!("k{i}_{}", "X".repeat(i % 7));
            let want = i.to_string().into_bytes();
            assert_eq!(v.get(&name), Some(&want[..]));
            assert_eq!(v.entry_key(&hasher.key(&name)).map(|(_, v)| v), Some(&want[..]));
        }
    }

    #[test]
    fn vars_are_case_insensitive_and_ordered() {
        let mut v = Vars::default();
        v.set("Anomaly_Score", b"5");
        v.set("b", b"1");
        v.set("ANOMALY_SCORE", b"10");
        assert_eq!(v.get("anomaly_score"), Some(&b"10"[..]));
        assert_eq!(v.get("AnOmaly_score"), Some(&b"10"[..]));
        assert_eq!(v.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["anomaly_score", "b"]);
        v.remove("ANOMALY_score");
        assert_eq!(v.get("anomaly_score"), None);
        assert_eq!(v.get("b"), Some(&b"1"[..]));
        v.set("c", b"2");
        assert_eq!(v.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["b", "c"]);
    }
}
