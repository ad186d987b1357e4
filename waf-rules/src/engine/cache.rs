//! Transformation results cached within a transaction, as libmodsecurity caches them: the CRS
//! applies the same few transformation chains (`t:none,t:urlDecodeUni`, the XSS chain, ...) to
//! the same request values rule after rule, and a chain is a pure function of its input.
//!
//! A value is identified by its [slot](Slots): where it lives in the transaction's store
//! (the third request header's value, the query string, ...). Only values that cannot change
//! while a phase runs have a slot (request and response data, never `TX` or `MATCHED_VAR`), and
//! the cache is emptied when a phase starts, with the slots of that phase's data.
//!
//! The cache is a dense table, one row per slot used and one column per chain id (the rule
//! set numbers chains and their prefixes, see `engine::number_chains`), and the results are
//! kept back to back in one buffer: a lookup is two indexings, and a request's results cost a
//! handful of allocations in all rather than one per result.

use crate::engine::store::Store;

/// The slot of a value that is not cached (computed values, `TX`, ...).
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// Slots of the request and response scalars that stay put during a phase.
pub(crate) mod scalar {
    pub(crate) const REQUEST_FILENAME: u32 = 0;
    pub(crate) const REQUEST_BASENAME: u32 = 1;
    pub(crate) const REQUEST_URI: u32 = 2;
    pub(crate) const REQUEST_URI_RAW: u32 = 3;
    pub(crate) const REQUEST_LINE: u32 = 4;
    pub(crate) const REQUEST_METHOD: u32 = 5;
    pub(crate) const REQUEST_PROTOCOL: u32 = 6;
    pub(crate) const QUERY_STRING: u32 = 7;
    pub(crate) const REQUEST_BODY: u32 = 8;
    pub(crate) const RESPONSE_BODY: u32 = 9;
    pub(crate) const XML_ROOT: u32 = 10;
    /// How many there are.
    pub(crate) const COUNT: u32 = 11;
}

/// Where the slots of each list of the store start. Entries of the lists with names have two
/// slots (value at `base + 2 * i`, name at `base + 2 * i + 1`); the others one.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slots {
    pub(crate) args_get: u32,
    pub(crate) args_post: u32,
    pub(crate) args_body_only: u32,
    pub(crate) request_headers: u32,
    pub(crate) cookies: u32,
    pub(crate) response_headers: u32,
    /// `FILES` (file name) and `FILES_NAMES` (part name).
    pub(crate) files: u32,
    pub(crate) multipart_filenames: u32,
    pub(crate) multipart_names: u32,
    pub(crate) multipart_part_headers: u32,
    pub(crate) xml_attributes: u32,
    /// How many slots there are; 0 when the store is too large to number (nothing is cached).
    pub(crate) total: u32,
}

impl Slots {
    /// Numbers the values of `store` as they are now.
    pub(crate) fn of(store: &Store<'_>) -> Slots {
        let multipart = store.body.as_ref().and_then(|b| b.multipart.as_ref());
        let xml = store.body.as_ref().and_then(|b| b.xml.as_ref());
        let lists = [
            2 * store.args_get.len(),
            2 * store.args_post.len(),
            2 * store.args_body_only.len(),
            2 * store.request_headers.len(),
            2 * store.cookies.len(),
            2 * store.response_headers.len(),
            2 * multipart.map_or(0, |m| m.files.len()),
            multipart.map_or(0, |m| m.filenames.len()),
            multipart.map_or(0, |m| m.names.len()),
            multipart.map_or(0, |m| m.part_headers.len()),
            xml.map_or(0, |x| x.attributes.len()),
        ];
        let mut bases = [0u32; 11];
        let mut next = u64::from(scalar::COUNT);
        for (base, len) in bases.iter_mut().zip(lists) {
            *base = u32::try_from(next).unwrap_or(u32::MAX);
            next = next.saturating_add(len as u64);
        }
        // Slot numbers stay below NO_SLOT; a store too large for that is not cached at all.
        let Ok(total) = u32::try_from(next).map(|t| if t == u32::MAX { 0 } else { t }) else {
            return Slots::default();
        };
        let [args_get, args_post, args_body_only, request_headers, cookies, response_headers, files, multipart_filenames, multipart_names, multipart_part_headers, xml_attributes] =
            bases;
        Slots {
            args_get,
            args_post,
            args_body_only,
            request_headers,
            cookies,
            response_headers,
            files,
            multipart_filenames,
            multipart_names,
            multipart_part_headers,
            xml_attributes,
            total,
        }
    }

    /// The slot of entry `i` of a list starting at `base` (`per` slots an entry, `offset` of
    /// them: 0 for the value, 1 for the name); [`NO_SLOT`] when there are no slots.
    pub(crate) fn at(&self, base: u32, per: u32, i: usize, offset: u32) -> u32 {
        if self.total == 0 {
            return NO_SLOT;
        }
        u32::try_from(i)
            .ok()
            .and_then(|i| i.checked_mul(per))
            .and_then(|s| base.checked_add(s)?.checked_add(offset))
            .filter(|&s| s < self.total)
            .unwrap_or(NO_SLOT)
    }

    /// The slot of a scalar, when there are slots.
    pub(crate) fn scalar(&self, slot: u32) -> u32 {
        if self.total == 0 {
            NO_SLOT
        } else {
            slot
        }
    }
}

/// What the table holds for a slot and chain.
const UNKNOWN: u32 = 0;
const UNCHANGED: u32 = 1;
/// `RESULT + i` is result `i`.
const RESULT: u32 = 2;

/// A known result of a chain on a slot's value: the value itself, or bytes kept by the cache.
/// Steps that change nothing share the cell of the step before them, so that a result is
/// stored once however many steps leave it as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell(u32);

impl Cell {
    /// The value as it is in the store.
    pub(crate) const UNCHANGED: Cell = Cell(UNCHANGED);
}

/// Results by slot and chain id.
#[derive(Debug, Default)]
pub(crate) struct TransformCache {
    /// Columns of the table: the chain ids of the rule set, 0 included (never used).
    chains: usize,
    /// Per slot, where its row starts in `table`; `usize::MAX` until the slot is first used.
    rows: Vec<usize>,
    /// [`UNKNOWN`], [`UNCHANGED`] or `RESULT + i`.
    table: Vec<u32>,
    /// Result `i` is `bytes[results[i].0..results[i].1]`.
    results: Vec<(usize, usize)>,
    bytes: Vec<u8>,
}

impl TransformCache {
    /// An empty cache for a rule set with chain ids `1..chains`.
    pub(crate) fn new(chains: usize) -> Self {
        TransformCache { chains, ..TransformCache::default() }
    }

    /// Forgets every result and makes room for `slots` slots (a new phase may bring new values).
    pub(crate) fn clear(&mut self, slots: u32) {
        self.rows.clear();
        self.rows.resize(slots as usize, usize::MAX);
        self.table.clear();
        self.results.clear();
        self.bytes.clear();
    }

    /// `Some(None)`: cached, unchanged; `Some(Some(bytes))`: cached, transformed.
    pub(crate) fn get(&self, slot: u32, chain: u32) -> Option<Option<&[u8]>> {
        let cell = self.cell(slot, chain)?;
        Some(self.result(cell))
    }

    /// The cell of `chain` on the value in `slot`, when known.
    pub(crate) fn cell(&self, slot: u32, chain: u32) -> Option<Cell> {
        let row = *self.rows.get(slot as usize)?;
        match *self.table.get(row.checked_add(chain as usize)?)? {
            UNKNOWN => None,
            n => Some(Cell(n)),
        }
    }

    /// The bytes of `cell`; `None` for the value as it is in the store.
    pub(crate) fn result(&self, cell: Cell) -> Option<&[u8]> {
        let i = cell.0.checked_sub(RESULT)?;
        let &(start, end) = self.results.get(i as usize)?;
        self.bytes.get(start..end)
    }

    /// Keeps `bytes` as a new result; `None` when the cache is full (4G results).
    pub(crate) fn add(&mut self, bytes: &[u8]) -> Option<Cell> {
        let cell = u32::try_from(self.results.len()).ok()?.checked_add(RESULT)?;
        let start = self.bytes.len();
        self.bytes.extend_from_slice(bytes);
        self.results.push((start, self.bytes.len()));
        Some(Cell(cell))
    }

    /// Records `cell` as the result of `chain` on the value in `slot`. Slots and chains out of
    /// range are not recorded.
    pub(crate) fn set(&mut self, slot: u32, chain: u32, cell: Cell) {
        let chain = chain as usize;
        if chain >= self.chains {
            return;
        }
        let Some(row) = self.rows.get_mut(slot as usize) else { return };
        if *row == usize::MAX {
            *row = self.table.len();
            self.table.resize(self.table.len() + self.chains, UNKNOWN);
        }
        if let Some(c) = self.table.get_mut(*row + chain) {
            *c = cell.0;
        }
    }

    /// Records the result of `chain` on the value in `slot` (`None`: unchanged).
    #[cfg(test)]
    pub(crate) fn insert(&mut self, slot: u32, chain: u32, result: Option<&[u8]>) {
        let cell = match result {
            None => Some(Cell::UNCHANGED),
            Some(bytes) => self.add(bytes),
        };
        if let Some(cell) = cell {
            self.set(slot, chain, cell);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_keyed_by_slot_and_chain() {
        let mut cache = TransformCache::new(4);
        cache.clear(3);
        assert_eq!(cache.get(0, 1), None);
        cache.insert(0, 1, Some(b"a b"));
        cache.insert(0, 2, None);
        cache.insert(2, 1, Some(b""));
        assert_eq!(cache.get(0, 1), Some(Some(&b"a b"[..])));
        assert_eq!(cache.get(0, 2), Some(None));
        assert_eq!(cache.get(0, 3), None);
        assert_eq!(cache.get(1, 1), None, "other slot");
        assert_eq!(cache.get(2, 1), Some(Some(&b""[..])));
        // Out of range: ignored, never a panic.
        cache.insert(7, 1, None);
        cache.insert(0, 9, None);
        assert_eq!(cache.get(7, 1), None);
        assert_eq!(cache.get(0, 9), None);
        assert_eq!(cache.get(NO_SLOT, 1), None);
        cache.clear(3);
        assert_eq!(cache.get(0, 1), None);
    }

    #[test]
    fn slots_number_every_list_entry_once() {
        let store = Store {
            args_get: vec![crate::body::Arg::new("a", "1"), crate::body::Arg::new("b", "2")],
            request_headers: vec![(b"Host".to_vec(), b"x".to_vec())],
            cookies: vec![crate::body::Arg::new("c", "3")],
            ..Store::default()
        };
        let s = Slots::of(&store);
        let mut seen = std::collections::HashSet::new();
        for slot in (0..scalar::COUNT)
            .chain((0..2).flat_map(|i| [s.at(s.args_get, 2, i, 0), s.at(s.args_get, 2, i, 1)]))
            .chain([s.at(s.request_headers, 2, 0, 0), s.at(s.request_headers, 2, 0, 1)])
            .chain([s.at(s.cookies, 2, 0, 0), s.at(s.cookies, 2, 0, 1)])
        {
            assert!(slot < s.total, "slot {slot} of {}", s.total);
            assert!(seen.insert(slot), "slot {slot} given twice");
        }
        assert_eq!(s.total as usize, seen.len());
        assert_eq!(s.at(s.cookies, 2, 1, 0), NO_SLOT, "past the end");
    }
}
