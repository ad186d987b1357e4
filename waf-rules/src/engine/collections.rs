//! Persistent collections: `IP`, `GLOBAL`, `RESOURCE`, `SESSION` and `USER` records that live
//! across transactions, as libmodsecurity's in-memory collection backend keeps them.
//!
//! A transaction opens a record with `initcol:ip=%{REMOTE_ADDR}` (or `setsid`, `setuid`,
//! `setrsc`): the record's variables are copied into the transaction, which reads its copy.
//! Every `setvar` on an opened collection is written through to the record at once, under the
//! store's lock, so concurrent transactions never lose an update: `setvar:ip.hits=+1` adds to
//! the record's current value and the transaction gets the sum back. `expirevar` gives one
//! variable a deadline; a record nobody wrote to for `SecCollectionTimeout` seconds (3600 by
//! default) is dropped.
//!
//! The store is bounded: when it holds `max_records` records and a new key arrives, expired
//! records go first, then the eighth least recently written (counted in
//! [`Collections::evicted`]). One store belongs to one policy (the proxy keeps it across
//! config reloads); a transaction without a store keeps these collections to itself, as
//! before `initcol` existed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::actions::Collection;

/// Records kept by default before the least recently written are evicted.
pub const DEFAULT_MAX_RECORDS: usize = 100_000;

/// `SecCollectionTimeout`'s default, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 3600;

/// A store of persistent collection records, shared by the transactions of one policy.
#[derive(Debug)]
pub struct Collections {
    inner: Mutex<Inner>,
    max_records: usize,
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<(Collection, Vec<u8>), Record>,
    evicted: u64,
}

#[derive(Debug)]
struct Record {
    /// Variable names are lower case, as the transaction's collections keep them.
    vars: HashMap<String, Var>,
    /// The last write (or the creation); the record expires `timeout` after it.
    updated: Instant,
    timeout: Duration,
}

#[derive(Debug)]
struct Var {
    value: Vec<u8>,
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
}

impl Collections {
    /// An empty store holding up to [`DEFAULT_MAX_RECORDS`] records.
    pub fn new() -> Self {
        Self::with_max_records(DEFAULT_MAX_RECORDS)
    }

    /// An empty store holding up to `max` records (at least 1).
    pub fn with_max_records(max: usize) -> Self {
        Collections { inner: Mutex::new(Inner::default()), max_records: max.max(1) }
    }

    /// How many records the store holds (expired ones included until they are swept).
    pub fn records(&self) -> usize {
        self.lock().records.len()
    }

    /// How many live records were evicted to make room for new ones.
    pub fn evicted(&self) -> u64 {
        self.lock().evicted
    }

    /// The live value of `var` in record `key` of `collection`, as a rule would read it.
    pub fn get(&self, collection: Collection, key: &[u8], var: &str) -> Option<Vec<u8>> {
        let now = Instant::now();
        let inner = self.lock();
        let record = inner.records.get(&(collection, key.to_vec())).filter(|r| !r.expired(now))?;
        record.vars.get(&var.to_ascii_lowercase()).filter(|v| v.live(now)).map(|v| v.value.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves whole records behind: keep serving them.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens (creating when missing or expired) record `key` of `collection` and returns its
    /// live variables.
    pub(crate) fn open(&self, collection: Collection, key: &[u8], timeout: Duration) -> Vec<(String, Vec<u8>)> {
        let now = Instant::now();
        let mut inner = self.lock();
        let record = inner.record(collection, key, timeout, now, self.max_records);
        record.vars.retain(|_, v| v.live(now));
        record.vars.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect()
    }

    /// Applies `write` to `var` of record `key` and returns the variable's new value (`None`
    /// once deleted).
    pub(crate) fn write(
        &self,
        collection: Collection,
        key: &[u8],
        var: &str,
        write: Write<'_>,
        timeout: Duration,
    ) -> Option<Vec<u8>> {
        let now = Instant::now();
        let mut inner = self.lock();
        let record = inner.record(collection, key, timeout, now, self.max_records);
        record.updated = now;
        let var = var.to_ascii_lowercase();
        if let Write::Delete = write {
            record.vars.remove(&var);
            return None;
        }
        let slot = record.vars.entry(var).or_insert(Var { value: Vec::new(), expires: None });
        if !slot.live(now) {
            *slot = Var { value: Vec::new(), expires: None };
        }
        match write {
            Write::Set(v) => {
                slot.value.clear();
                slot.value.extend_from_slice(v);
            }
            Write::Add(delta) => {
                let n = leading_int(&slot.value).saturating_add(delta);
                slot.value = n.to_string().into_bytes();
            }
            Write::Delete => {}
        }
        Some(slot.value.clone())
    }

    /// `expirevar`: `var` of record `key` disappears `after` from now.
    pub(crate) fn expire(&self, collection: Collection, key: &[u8], var: &str, after: Duration, timeout: Duration) {
        let now = Instant::now();
        let mut inner = self.lock();
        let record = inner.record(collection, key, timeout, now, self.max_records);
        if let Some(v) = record.vars.get_mut(&var.to_ascii_lowercase()) {
            // A deadline past what the clock can hold is no deadline.
            v.expires = now.checked_add(after);
        }
    }
}

impl Inner {
    /// Record `key` of `collection`, created empty when missing or expired.
    fn record(
        &mut self,
        collection: Collection,
        key: &[u8],
        timeout: Duration,
        now: Instant,
        max: usize,
    ) -> &mut Record {
        let id = (collection, key.to_vec());
        let fresh = || Record { vars: HashMap::new(), updated: now, timeout };
        if self.records.get(&id).is_some_and(|r| r.expired(now)) {
            self.records.remove(&id);
        }
        if !self.records.contains_key(&id) && self.records.len() >= max {
            self.make_room(now, max);
        }
        let record = self.records.entry(id).or_insert_with(fresh);
        record.timeout = timeout;
        record
    }

    /// Sweeps expired records, then evicts the least recently written eighth when still full.
    fn make_room(&mut self, now: Instant, max: usize) {
        self.records.retain(|_, r| !r.expired(now));
        if self.records.len() < max {
            return;
        }
        let mut ages: Vec<Instant> = self.records.values().map(|r| r.updated).collect();
        let n = (max / 8).max(1).min(ages.len());
        let (_, &mut cutoff, _) = ages.select_nth_unstable(n - 1);
        let before = self.records.len();
        let mut left = n;
        self.records.retain(|_, r| {
            if left > 0 && r.updated <= cutoff {
                left -= 1;
                false
            } else {
                true
            }
        });
        self.evicted += (before - self.records.len()) as u64;
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
