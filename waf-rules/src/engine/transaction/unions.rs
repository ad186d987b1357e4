//! The rule skip on required bytes: rules with the same targets and transformation chain form a
//! union group (`Rule::union_group`); once per phase the bytes its rules require are looked
//! for in the group's transformed values, and a rule whose operator requires a byte none of
//! them holds is not evaluated (`Transaction::run_rules` for a rule starting a chain,
//! `Transaction::find` for the rules chained to it).
//!
//! The bytes are first bounded from the values as they are, through the chain's
//! [bounds](crate::transformations::bounds), which costs no transformation: on clean values
//! most chains change nothing and the bound is exact. Only when the bound cannot decide are the
//! values transformed and scanned.

use super::*;

/// What a phase knows of the relevant bytes (those its rules require) of a group's values.
#[derive(Debug, Clone, Copy, Default)]
pub(super) enum Known {
    /// Nothing yet.
    #[default]
    Nothing,
    /// At most these.
    Bound(ByteSet),
    /// Exactly these.
    Exact(ByteSet),
}

impl<'r> Transaction<'r> {
    /// Whether `rule` can be skipped: the values of its group lack a byte its operator requires.
    pub(super) fn skipped(&self, rule: &Rule) -> bool {
        let Some(group) = rule.union_group else { return false };
        let required = rule.operator.required_bytes();
        let lacks = |present: &ByteSet| required.iter().any(|set| !set.intersects(present));
        let i = group as usize;
        let known = self.unions.borrow().get(i).copied().unwrap_or_default();
        let bound = match known {
            Known::Exact(present) => return lacks(&present),
            Known::Bound(bound) => bound,
            Known::Nothing => {
                let (bound, exact) = self.bound_of(rule, group);
                if exact {
                    self.remember(i, Known::Exact(bound));
                    return lacks(&bound);
                }
                self.remember(i, Known::Bound(bound));
                bound
            }
        };
        if lacks(&bound) {
            return true;
        }
        let present = self.union_of(rule, group);
        self.remember(i, Known::Exact(present));
        lacks(&present)
    }

    fn remember(&self, group: usize, known: Known) {
        if let Some(slot) = self.unions.borrow_mut().get_mut(group) {
            *slot = known;
        }
    }

    /// A bound on the relevant bytes of `group`'s transformed values (see [`Known`]), from the
    /// bytes of the values before transformation; whether it is exact.
    fn bound_of(&self, rule: &Rule, group: u32) -> (ByteSet, bool) {
        let Some(wanted) = self.rules.unions.get(group as usize) else { return (ByteSet::FULL, false) };
        let mut bytes = ByteSet::EMPTY;
        for target in &rule.targets {
            values::for_each(&self.store, target, None, &mut |v| bytes = bytes.union(&self.bytes_of(&v)));
        }
        let (bound, exact) = rule.transformations.iter().fold((bytes, true), |(bytes, exact), t| {
            let (next, next_exact) = t.bound(bytes);
            (next, exact && next_exact)
        });
        (bound.intersection(&wanted.relevant), exact)
    }

    /// The bytes of `v` (from the phase's cache when it has a slot).
    fn bytes_of(&self, v: &Value<'_>) -> ByteSet {
        let Some(slot) = usize::try_from(v.slot).ok().filter(|_| v.slot != NO_SLOT) else {
            return ByteSet::of_value(&v.value);
        };
        let mut cache = self.value_bytes.borrow_mut();
        match cache.get_mut(slot) {
            Some(Some(bytes)) => *bytes,
            Some(entry) => *entry.insert(ByteSet::of_value(&v.value)),
            None => ByteSet::of_value(&v.value),
        }
    }

    /// The bytes the rules of `group` (same targets, same chain) require that the values of
    /// `rule`'s targets hold once transformed, exclusions aside.
    fn union_of(&self, rule: &Rule, group: u32) -> ByteSet {
        // Only the bytes some rule of the group requires are collected, and no more values are
        // read once all of them were seen.
        let Some(wanted) = self.rules.unions.get(group as usize) else { return ByteSet::FULL };
        let mut set = ByteSet::EMPTY;
        for target in &rule.targets {
            values::for_each(&self.store, target, None, &mut |v| {
                if set == wanted.relevant {
                    return;
                }
                self.with_transformed(rule, &v, |bytes| {
                    for &b in bytes {
                        if wanted.table[usize::from(b)] {
                            set.insert(b);
                        }
                    }
                });
            });
        }
        set
    }

    /// Calls `f` with `v` transformed by `rule`'s chain (from the cache when it can).
    fn with_transformed(&self, rule: &Rule, v: &Value<'_>, f: impl FnOnce(&[u8])) {
        let value: &[u8] = &v.value;
        let Some(&last) = rule.chain.last() else {
            return f(value);
        };
        if v.slot != NO_SLOT && self.fill_cache(rule, v.slot, value) {
            if let Some(result) = self.transformed.borrow().get(v.slot, last) {
                return f(result.unwrap_or(value));
            }
        }
        f(&apply_all(&rule.transformations, value));
    }

    /// Empties the union cache: a new phase, or a `ctl` that may change what values exist.
    pub(super) fn forget_unions(&mut self) {
        let unions = self.unions.get_mut();
        unions.clear();
        unions.resize(self.rules.unions.len(), Known::Nothing);
    }

    /// Empties the cache of the values' bytes: a new phase, with its slots. (A `ctl` changes
    /// no value in a slot: the bytes stay good until the phase ends.)
    pub(super) fn forget_value_bytes(&mut self) {
        let slots = usize::try_from(self.store.slots.total).unwrap_or(0);
        let bytes = self.value_bytes.get_mut();
        bytes.clear();
        bytes.resize(slots, None);
    }
}
