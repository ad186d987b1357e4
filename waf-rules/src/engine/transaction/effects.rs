//! What matched rules do to the transaction: `setvar` and `setenv` per match, then `skip`,
//! `skipAfter` and `ctl` once the chain matched.

use super::*;
use crate::actions::Collection;
use crate::engine::collections::{leading_int, Collections, Write, DEFAULT_TIMEOUT_SECS};

impl<'r> Transaction<'r> {
    pub(super) fn run_per_match(&mut self, per_match: &'r PerMatch) {
        match &per_match.action {
            Action::SetVar(sv) => {
                // A key without macros was lower-cased and hashed at load.
                let key = match &per_match.key {
                    Some(k) => Key::Hashed(k),
                    None => Key::Text(String::from_utf8_lossy(&self.expand(&sv.key)).into_owned()),
                };
                let name = sv.collection.as_str();
                // The new value is written over the old one: no allocation once the key exists.
                let mut scratch = std::mem::take(&mut self.scratch);
                scratch.clear();
                let persistent = self.opened(sv.collection);
                match &sv.op {
                    SetVarOp::Delete => {
                        if let Some(c) = self.store.vars_mut(name) {
                            c.remove(key.as_str());
                        }
                        if let Some((store, record)) = persistent {
                            store.write(sv.collection, &record, key.as_str(), Write::Delete, self.collection_timeout());
                        }
                    }
                    SetVarOp::SetToOne | SetVarOp::Set(_) => {
                        match &sv.op {
                            SetVarOp::Set(v) => v.expand_into(&View { store: &self.store }, &mut scratch),
                            _ => scratch.push(b'1'),
                        }
                        self.write_var(name, &key, &scratch);
                        if let Some((store, record)) = persistent {
                            let write = Write::Set(&scratch);
                            store.write(sv.collection, &record, key.as_str(), write, self.collection_timeout());
                        }
                    }
                    SetVarOp::Add(v) | SetVarOp::Sub(v) => {
                        v.expand_into(&View { store: &self.store }, &mut scratch);
                        let delta = leading_int(&scratch);
                        let delta = if matches!(sv.op, SetVarOp::Add(_)) { delta } else { delta.saturating_neg() };
                        // An opened record adds to its own value, which other transactions may
                        // have moved since it was opened: the sum comes back to this one.
                        let stored = persistent.and_then(|(store, record)| {
                            store.write(
                                sv.collection,
                                &record,
                                key.as_str(),
                                Write::Add(delta),
                                self.collection_timeout(),
                            )
                        });
                        if let Some(slot) = self.store.vars_mut(name).map(|c| key.value_mut(c)) {
                            match stored {
                                Some(v) => *slot = VarValue::from_vec(v),
                                None => {
                                    let n = leading_int(slot).saturating_add(delta);
                                    slot.clear();
                                    let _ = write!(slot, "{n}");
                                }
                            }
                        }
                    }
                }
                self.scratch = scratch;
            }
            Action::SetEnv(e) => {
                let v = self.expand(&e.value).into_owned();
                self.store.env.set(&e.name, &v);
            }
            Action::InitCol(i) => {
                let key = self.expand(&i.key).into_owned();
                self.open_collection(i.collection, key);
            }
            Action::SetSid(k) => self.open_collection(Collection::Session, self.expand(k).into_owned()),
            Action::SetUid(k) => self.open_collection(Collection::User, self.expand(k).into_owned()),
            Action::SetRsc(k) => self.open_collection(Collection::Resource, self.expand(k).into_owned()),
            Action::ExpireVar(e) => {
                if let Some((store, record)) = self.opened(e.collection) {
                    let var = String::from_utf8_lossy(&self.expand(&e.key)).into_owned();
                    // As v3, seconds that are not a plain number leave the variable alone.
                    let seconds = self.expand(&e.seconds);
                    let secs = std::str::from_utf8(seconds.trim_ascii()).ok().and_then(|s| s.parse::<u64>().ok());
                    if let Some(secs) = secs.filter(|_| seconds.trim_ascii().iter().all(u8::is_ascii_digit)) {
                        let after = std::time::Duration::from_secs(secs);
                        store.expire(e.collection, &record, &var, after, self.collection_timeout());
                    }
                }
            }
            _ => {}
        }
    }

    /// The store and record key of `collection` when a persistent record of it is open.
    fn opened(&self, collection: Collection) -> Option<(&'r Collections, Vec<u8>)> {
        let store = self.collections?;
        let key = self.opened.get(persistent_index(collection)?)?.as_ref()?;
        Some((store, key.clone()))
    }

    /// `initcol`, `setsid`, `setuid`, `setrsc`: the transaction's copy of `collection` becomes
    /// record `key` of the store (without a store, the collection stays the transaction's own).
    fn open_collection(&mut self, collection: Collection, key: Vec<u8>) {
        let (Some(store), Some(i)) = (self.collections, persistent_index(collection)) else { return };
        let vars = store.open(collection, &key, self.collection_timeout());
        if let Some(local) = self.store.vars_mut(collection.as_str()) {
            local.clear();
            for (k, v) in vars {
                local.set(&k, &v);
            }
        }
        self.opened[i] = Some(key);
    }

    fn collection_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.rules.settings.collection_timeout.unwrap_or(DEFAULT_TIMEOUT_SECS))
    }

    /// Sets `key` of collection `name` (`TX`, ...) to `value`, reusing the old value's buffer.
    pub(super) fn write_var(&mut self, name: &str, key: &Key<'r>, value: &[u8]) {
        if let Some(c) = self.store.vars_mut(name) {
            let slot = key.value_mut(c);
            slot.clear();
            slot.extend_from_slice(value);
        }
    }

    pub(super) fn run_after(&mut self, action: &'r Action) {
        match action {
            Action::Skip(n) => self.skip = *n,
            Action::SkipAfter(m) => self.skip_after = Some(m),
            Action::Ctl(c) => self.run_ctl(c),
            _ => {}
        }
    }

    pub(super) fn run_ctl(&mut self, ctl: &Ctl) {
        // The body processor or the body variable may change what values the rules see.
        self.forget_unions();
        match ctl {
            Ctl::RuleEngine(m) => self.mode = *m,
            Ctl::RuleRemoveById(ids) => self.removed_ids.extend_from_slice(ids),
            Ctl::RuleRemoveByTag(tag) => {
                // A tag that no rule carries removes nothing.
                if let Some(&t) = self.rules.tags.get(tag) {
                    self.removed_tags.push(t);
                }
            }
            Ctl::RuleRemoveTargetById { ids, targets } => {
                for t in targets {
                    self.removed_targets.push(RemovedTarget {
                        ids: Some(ids.clone()),
                        tag: None,
                        name: t.name,
                        selector: t.selector.clone(),
                    });
                }
            }
            Ctl::RuleRemoveTargetByTag { tag, targets } => {
                let Some(&tag) = self.rules.tags.get(tag) else { return };
                for t in targets {
                    self.removed_targets.push(RemovedTarget {
                        ids: None,
                        tag: Some(tag),
                        name: t.name,
                        selector: t.selector.clone(),
                    });
                }
            }
            Ctl::RequestBodyProcessor(p) => {
                self.body_processor = Some(match p {
                    crate::actions::BodyProcessor::UrlEncoded => BodyProcessor::UrlEncoded,
                    crate::actions::BodyProcessor::Multipart => BodyProcessor::Multipart,
                    crate::actions::BodyProcessor::Xml => BodyProcessor::Xml,
                    crate::actions::BodyProcessor::Json => BodyProcessor::Json,
                });
                if let Some(b) = self.body_processor {
                    self.store.reqbody_processor = Some(b.name());
                }
            }
            Ctl::ForceRequestBodyVariable(on) => self.force_body_variable = *on,
            Ctl::RequestBodyAccess(on) => self.request_body_access = *on,
            // Audit settings and limits are the proxy's: nothing to change per transaction here.
            _ => {}
        }
    }
}

/// The key a `setvar` writes: hashed at load, or expanded now.
pub(super) enum Key<'k> {
    Hashed(&'k VarKey),
    Text(String),
}

impl<'k> Key<'k> {
    fn as_str(&self) -> &str {
        match self {
            Key::Hashed(k) => k.as_str(),
            Key::Text(t) => t,
        }
    }

    /// Its value in `vars`, inserted empty when missing.
    fn value_mut<'v>(&self, vars: &'v mut Vars<'k>) -> &'v mut VarValue {
        match self {
            Key::Hashed(k) => vars.value_mut_key(k),
            Key::Text(t) => vars.value_mut(t),
        }
    }
}

/// Where the record key of a persistent collection is kept in `Transaction::opened`.
pub(super) fn persistent_index(collection: Collection) -> Option<usize> {
    Some(match collection {
        Collection::Tx => return None,
        Collection::Ip => 0,
        Collection::Global => 1,
        Collection::Resource => 2,
        Collection::Session => 3,
        Collection::User => 4,
    })
}
