//! Persistent collections: `IP`, `GLOBAL`, `RESOURCE`, `SESSION` and `USER` records that live
//! across transactions, as libmodsecurity's in-memory collection backend keeps them.
//!
//! A transaction opens a record with `initcol:ip=%{REMOTE_ADDR}` (or `setsid`, `setuid`,
//! `setrsc`): the record's variables are copied into the transaction, which reads its copy.
//! Every `setvar` on an opened collection is written through to the record at once, under the
//! store's lock, so concurrent transactions never lose an update: `setvar:ip.hits=+1` adds to
//! the record's current value and the transaction gets the sum back. Record keys and variable
//! names compare without case, as in v3. `expirevar` gives one variable a deadline (also before
//! the variable is first set, as v3 allows); a record nobody wrote to for
//! `SecCollectionTimeout` seconds (3600 by default) is dropped. A `setvar` on a collection that
//! no `initcol` opened stays in the transaction.
//!
//! The store is bounded in records ([`DEFAULT_MAX_RECORDS`]), in bytes of keys, names and values
//! ([`DEFAULT_MAX_BYTES`]) and in variables per record ([`MAX_VARS_PER_RECORD`]; more are not
//! stored). When a new record or a write would pass a bound, expired records go first, then the
//! least recently written until an eighth of the room is free again (counted in
//! [`Collections::evicted`]). One store belongs to one policy (the proxy keeps it across config
//! reloads); a transaction without a store keeps these collections to itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::actions::Collection;

/// Records kept by default before the least recently written are evicted.
pub const DEFAULT_MAX_RECORDS: usize = 100_000;

/// Bytes of record keys, variable names and values kept by default before eviction.
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;

/// Variables one record holds at most; a `setvar` that would add another is not stored.
pub const MAX_VARS_PER_RECORD: usize = 256;

/// `SecCollectionTimeout`'s default, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 3600;

/// A store of persistent collection records, shared by the transactions of one policy.
#[derive(Debug)]
pub struct Collections {
    inner: Mutex<Inner>,
    max_records: usize,
    max_bytes: usize,
}

type Key = (Collection, Vec<u8>);

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<Key, Record>,
    /// Bytes of keys, names and values over all records.
    bytes: usize,
    evicted: u64,
    /// Opens and writes refused because the record's key alone exceeds an eighth of the
    /// store's bytes; the transaction then keeps the collection to itself.
    refused: u64,
}

#[derive(Debug)]
struct Record {
    /// Variable names are lower case, as the transaction's collections keep them.
    vars: HashMap<String, Var>,
    /// The last write (or the creation); the record expires `timeout` after it.
    updated: Instant,
    timeout: Duration,
    /// Bytes of its key, names and values.
    bytes: usize,
}

#[derive(Debug)]
struct Var {
    /// `None` for a variable that only has a deadline so far (`expirevar` before `setvar`).
    value: Option<Vec<u8>>,
    /// Set by `expirevar`.
    expires: Option<Instant>,
}

/// What a `setvar` does to a variable of an opened record.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Write<'a> {
    Set(&'a [u8]),
    /// `=+n` and `=-n` (negative): added to the stored value read as an integer.
    Add(i64),
    Delete,
}

impl Default for Collections {
    fn default() -> Self {
        Self::new()
    }
}

impl Record {
    fn expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.updated) >= self.timeout
    }
}

impl Var {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| now < at)
    }

    /// Its value, when it has one and has not expired.
    fn current(&self, now: Instant) -> Option<&[u8]> {
        self.value.as_deref().filter(|_| self.live(now))
    }

    fn size(name: &str, value: Option<&Vec<u8>>) -> usize {
        name.len() + value.map_or(0, Vec::len)
    }
}

/// A record key as stored: ASCII case folded, as v3 compares keys.
fn record_key(collection: Collection, key: &[u8]) -> Key {
    (collection, key.to_ascii_lowercase())
}

impl Collections {
    /// An empty store with the default bounds.
    pub fn new() -> Self {
        Self::with_bounds(DEFAULT_MAX_RECORDS, DEFAULT_MAX_BYTES)
    }

    /// An empty store holding up to `max` records (at least 1).
    pub fn with_max_records(max: usize) -> Self {
        Self::with_bounds(max, DEFAULT_MAX_BYTES)
    }

    /// An empty store holding up to `records` records and `bytes` bytes of keys, names and
    /// values (each at least 1).
    pub fn with_bounds(records: usize, bytes: usize) -> Self {
        Collections { inner: Mutex::new(Inner::default()), max_records: records.max(1), max_bytes: bytes.max(1) }
    }

    /// How many records the store holds (expired ones included until they are swept).
    pub fn records(&self) -> usize {
        self.lock().records.len()
    }

    /// Bytes of keys, variable names and values the store holds.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// How many live records were evicted to make room for new ones (expired records that
    /// were swept are not counted).
    pub fn evicted(&self) -> u64 {
        self.lock().evicted
    }

    /// How many opens and writes were refused because the record's key alone was over an
    /// eighth of the store's bytes (such a collection stays the transaction's own).
    pub fn refused(&self) -> u64 {
        self.lock().refused
    }

    /// The live value of `var` in record `key` of `collection`, as a rule would read it.
    pub fn get(&self, collection: Collection, key: &[u8], var: &str) -> Option<Vec<u8>> {
        let inner = self.lock();
        let now = Instant::now();
        let record = inner.records.get(&record_key(collection, key)).filter(|r| !r.expired(now))?;
        record.vars.get(&var.to_ascii_lowercase())?.current(now).map(<[u8]>::to_vec)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves whole records behind: keep serving them.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens (creating when missing or expired) record `key` of `collection` and returns its
    /// live variables.
    pub(crate) fn open(&self, collection: Collection, key: &[u8], timeout: Duration) -> Vec<(String, Vec<u8>)> {
        let mut inner = self.lock();
        let now = Instant::now();
        let Some(record) = inner.record(record_key(collection, key), timeout, now, self) else { return Vec::new() };
        record.vars.iter().filter_map(|(k, v)| Some((k.clone(), v.current(now)?.to_vec()))).collect()
    }

    /// Applies `write` to `var` of record `key` and returns the variable's new value (`None`
    /// once deleted, or when the record cannot take another variable).
    pub(crate) fn write(
        &self,
        collection: Collection,
        key: &[u8],
        var: &str,
        write: Write<'_>,
        timeout: Duration,
    ) -> Option<Vec<u8>> {
        let mut inner = self.lock();
        let now = Instant::now();
        let (result, grown) = {
            let record = inner.record(record_key(collection, key), timeout, now, self)?;
            record.updated = now;
            let var = var.to_ascii_lowercase();
            let before = record.bytes;
            let old = record.vars.remove(&var);
            if let Some(old) = &old {
                record.bytes -= Var::size(&var, old.value.as_ref());
            }
            let value = match write {
                Write::Delete => None,
                _ if old.is_none() && record.vars.len() >= MAX_VARS_PER_RECORD => None,
                Write::Set(v) => Some(v.to_vec()),
                Write::Add(delta) => {
                    let current = old.as_ref().and_then(|o| o.current(now)).map_or(0, leading_int);
                    Some(current.saturating_add(delta).to_string().into_bytes())
                }
            };
            if let Some(v) = &value {
                // A deadline set earlier (even before the first value) still holds.
                let expires = old.filter(|o| o.live(now)).and_then(|o| o.expires);
                record.bytes += Var::size(&var, Some(v));
                record.vars.insert(var, Var { value: Some(v.clone()), expires });
            }
            (value, record.bytes as isize - before as isize)
        };
        inner.bytes = inner.bytes.saturating_add_signed(grown);
        if inner.bytes > self.max_bytes {
            inner.make_room(now, self);
        }
        result
    }

    /// `expirevar`: `var` of record `key` disappears `after` from now (set or not yet).
    pub(crate) fn expire(&self, collection: Collection, key: &[u8], var: &str, after: Duration, timeout: Duration) {
        let mut inner = self.lock();
        let now = Instant::now();
        let mut grown = 0;
        if let Some(record) = inner.record(record_key(collection, key), timeout, now, self) {
            let var = var.to_ascii_lowercase();
            if !record.vars.contains_key(&var) && record.vars.len() >= MAX_VARS_PER_RECORD {
                return;
            }
            let size = var.len();
            let slot = record.vars.entry(var).or_insert_with(|| {
                grown = size;
                Var { value: None, expires: None }
            });
            // A deadline past what the clock can hold is no deadline.
            slot.expires = now.checked_add(after);
            record.bytes += grown;
        }
        inner.bytes += grown;
    }
}

impl Inner {
    /// Record `key`, created empty when missing or expired; `None` when the key alone is
    /// larger than the store may hold.
    fn record(&mut self, key: Key, timeout: Duration, now: Instant, bounds: &Collections) -> Option<&mut Record> {
        if key.1.len() > bounds.max_bytes / 8 {
            self.refused += 1;
            return None;
        }
        if self.records.get(&key).is_some_and(|r| r.expired(now)) {
            if let Some(old) = self.records.remove(&key) {
                self.bytes -= old.bytes;
            }
        }
        if !self.records.contains_key(&key)
            && (self.records.len() >= bounds.max_records || self.bytes + key.1.len() > bounds.max_bytes)
        {
            self.make_room(now, bounds);
        }
        let bytes = &mut self.bytes;
        let record = self.records.entry(key).or_insert_with_key(|k| {
            *bytes += k.1.len();
            Record { vars: HashMap::new(), updated: now, timeout, bytes: k.1.len() }
        });
        record.timeout = timeout;
        Some(record)
    }

    /// Sweeps expired records, then evicts the least recently written until an eighth of the
    /// room (records and bytes) is free, so that the next sweep is far away.
    fn make_room(&mut self, now: Instant, bounds: &Collections) {
        let bytes = &mut self.bytes;
        self.records.retain(|_, r| {
            let keep = !r.expired(now);
            if !keep {
                *bytes -= r.bytes;
            }
            keep
        });
        let records_target = bounds.max_records - bounds.max_records / 8;
        let bytes_target = bounds.max_bytes - bounds.max_bytes / 8;
        if self.records.len() <= records_target && self.bytes <= bytes_target {
            return;
        }
        // Oldest first, exactly (ties broken arbitrarily among equals only).
        let mut ages: Vec<(Instant, Key)> = self.records.iter().map(|(k, r)| (r.updated, k.clone())).collect();
        ages.sort_unstable_by_key(|(at, _)| *at);
        for (_, key) in ages {
            if self.records.len() <= records_target && self.bytes <= bytes_target {
                break;
            }
            if let Some(old) = self.records.remove(&key) {
                self.bytes -= old.bytes;
                self.evicted += 1;
            }
        }
    }
}

/// The leading integer of a value, as `atoi` reads it (0 when there is none).
pub(crate) fn leading_int(v: &[u8]) -> i64 {
    let s = v.trim_ascii_start();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}
