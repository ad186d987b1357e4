//! What matched rules do to the transaction: `setvar` and `setenv` per match, then `skip`,
//! `skipAfter` and `ctl` once the chain matched.

use super::*;

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
                match &sv.op {
                    SetVarOp::Delete => {
                        if let Some(c) = self.store.vars_mut(name) {
                            c.remove(key.as_str());
                        }
                    }
                    SetVarOp::SetToOne => self.write_var(name, &key, b"1"),
                    SetVarOp::Set(v) => {
                        v.expand_into(&View { store: &self.store }, &mut scratch);
                        self.write_var(name, &key, &scratch);
                    }
                    SetVarOp::Add(v) | SetVarOp::Sub(v) => {
                        v.expand_into(&View { store: &self.store }, &mut scratch);
                        let delta = leading_int(&scratch);
                        if let Some(slot) = self.store.vars_mut(name).map(|c| key.value_mut(c)) {
                            let current = leading_int(slot);
                            let n = if matches!(sv.op, SetVarOp::Add(_)) {
                                current.saturating_add(delta)
                            } else {
                                current.saturating_sub(delta)
                            };
                            slot.clear();
                            let _ = write!(slot, "{n}");
                        }
                    }
                }
                self.scratch = scratch;
            }
            Action::SetEnv(e) => {
                let v = self.expand(&e.value).into_owned();
                self.store.env.set(&e.name, v);
            }
            _ => {}
        }
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
            Action::InitCol(_) | Action::ExpireVar(_) | Action::SetUid(_) | Action::SetSid(_) | Action::SetRsc(_) => {
                // Persistent collections are transaction-local here: nothing to open or expire.
            }
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
    fn value_mut<'v>(&self, vars: &'v mut Vars<'k>) -> &'v mut Vec<u8> {
        match self {
            Key::Hashed(k) => vars.value_mut_key(k),
            Key::Text(t) => vars.value_mut(t),
        }
    }
}

/// The leading integer of a value, as `atoi` reads it (0 when there is none).
fn leading_int(v: &[u8]) -> i64 {
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
