//! The rule skip on required bytes: rules with the same targets and transformation chain form a
//! union group (`Rule::union_group`); once per phase the bytes its rules require are looked
//! for in the group's transformed values, and a rule whose operator requires a byte none of
//! them holds is not evaluated (`Transaction::find`).

use super::*;

impl<'r> Transaction<'r> {
    /// Whether `rule` can be skipped: the values of its group lack a byte its operator requires.
    pub(super) fn skipped(&self, rule: &Rule) -> bool {
        let Some(group) = rule.union_group else { return false };
        let present = self.union_of(rule, group);
        rule.operator.required_bytes().iter().any(|set| !set.intersects(&present))
    }

    /// The bytes the rules of `group` (same targets, same chain) require that the values of
    /// `rule`'s targets hold once transformed, exclusions aside: computed once per phase for
    /// the whole group.
    fn union_of(&self, rule: &Rule, group: u32) -> ByteSet {
        let i = group as usize;
        if let Some(Some(set)) = self.unions.borrow().get(i) {
            return *set;
        }
        // Only the bytes some rule of the group requires are collected, and no more values are
        // read once all of them were seen.
        let Some(wanted) = self.rules.unions.get(i) else { return ByteSet::FULL };
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
        if let Some(slot) = self.unions.borrow_mut().get_mut(i) {
            *slot = Some(set);
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
        unions.resize(self.rules.unions.len(), None);
    }
}
