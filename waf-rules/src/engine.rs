//! The rule engine: a [`RuleSet`] compiled once from SecLang, and a [`Transaction`] per request
//! that runs the phases against it.
//!
//! ```text
//! seclang::load_file ─▶ RuleSetSpec ─▶ RuleSet::compile ─▶ Arc<RuleSet> (immutable, shared)
//!                                                         │
//!                 request ─▶ Transaction::new(&rules) ─▶ phase 1..5 ─▶ Intervention / log
//! ```
//!
//! The semantics follow libmodsecurity v3: per-match actions (`setvar`) run for every matching
//! value, flow actions (`ctl`, `skipAfter`) and the disruptive action once the whole chain
//! matched; `block` takes the phase's `SecDefaultAction`; `DetectionOnly` logs but never
//! intervenes; the logging phase always runs. `engine/tests/` checks these rules one by one.
//!
//! # Deliberate differences from libmodsecurity v3
//! - `REQUEST_BODY` is not filled for XML bodies unless `ctl:forceRequestBodyVariable=On`:
//!   element names would trip the CRS's `REQUEST_BODY` rules, which its tests (written for
//!   ModSecurity v2) count as false positives.
//! - Request bodies are inspected unless `SecRequestBodyAccess Off` (v3: only when On).
//! - Persistent collections (`IP`, `GLOBAL`, `SESSION`, `USER`, `RESOURCE`) live for one
//!   transaction: `initcol`, `setsid`, `setuid`, `setrsc` and `expirevar` do nothing.
//! - `MATCHED_VAR`, `MATCHED_VAR_NAME` and `MATCHED_VARS` start empty for every rule, as
//!   libmodsecurity does since its PR 3422; 3.0.x releases before it left a matching rule's
//!   values to the next rule.
//! - `msg` and `logdata` are expanded once the chain matched (libmodsecurity's v3/master;
//!   3.0.x releases expand them at each match of the rule that carries them).
//! - `ctl:ruleRemoveById` removes `SecAction`s too (v3 never checks it for them).
//! - `skip` and `skipAfter` end with their phase; v3 carries a pending skip count or marker
//!   search into the next phases (a `skipAfter` to a marker that does not exist then skips
//!   every later rule of the transaction).
//! - `!` exclusions and `ctl:ruleRemoveTarget*` compare keys case-insensitively and take
//!   `/regex/` keys, as target selection does; v3 compares `COLLECTION:key` exactly.
//! - `SecResponseBodyMimeType` types compare case-insensitively.
//! - A disruptive action answers with its own rule's `status:`; v3 keeps the last `status:`
//!   of any rule that matched for the whole transaction.
//!
//! # Organization
//! - [`rule`]: compiled rules.
//! - [`cache`]: transformation results cached within a transaction.
//! - [`store`]: what a transaction knows (request, response, collections).
//! - [`values`]: the values a rule target yields.
//! - [`transaction`]: the phases, rule evaluation and actions.
//! - [`uri`]: the request target split as libmodsecurity splits it.
//! - [`log`]: error-log lines (ModSecurity's format) and the JSON audit entry.

mod cache;
mod collections;
mod log;
mod rule;
mod store;
mod transaction;
mod uri;
mod values;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

pub use self::collections::{Collections, DEFAULT_MAX_RECORDS, DEFAULT_TIMEOUT_SECS};
pub use self::log::{AuditEntry, MatchedRule};
use self::rule::Rule;
use self::store::{KeyHasher, VarKey};
pub use self::transaction::{Connection, Intervention, Transaction};
use crate::actions::RuleEngine;
use crate::operators::ByteSet;
use crate::seclang::{Item, RuleSetSpec, Settings};
use crate::{operators, transformations};

/// Why a rule set did not compile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// An operator's argument is invalid (a regex that does not compile, a missing data file).
    #[error("{at}: {message}")]
    Operator {
        /// `file:line:column` of the rule.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A transformation the registry does not know.
    #[error("{at}: unknown transformation t:{name}")]
    Transformation {
        /// `file:line:column` of the rule.
        at: String,
        /// Its name.
        name: String,
    },
    /// The configuration did not load.
    #[error(transparent)]
    Load(#[from] crate::seclang::SeclangError),
}

/// One entry of a phase's rule list.
#[derive(Debug)]
pub(crate) enum Entry {
    /// The phase's rule at this index of [`Phase::rules`].
    Rule(usize),
    Marker(Arc<str>),
}

/// The rules and markers of one phase.
#[derive(Debug, Default)]
pub(crate) struct Phase {
    /// Rules and markers in file order.
    pub(crate) entries: Vec<Entry>,
    /// The rules, in file order, side by side in memory: the rule loop reads them one after
    /// the other.
    pub(crate) rules: Vec<Rule>,
}

/// Numbers the transformation prefixes of each rule (and of each rule of its chain): rules whose
/// transformations start alike (`t:utf8toUnicode,t:urlDecodeUni,...`) share the ids of the
/// common prefix, the keys of the per-transaction cache of transformation results.
fn number_chains(rule: &mut Rule, prefixes: &mut HashMap<(u32, &'static str), u32>) {
    let mut parent = 0;
    rule.chain = rule
        .transformations
        .iter()
        .map(|t| {
            let next = u32::try_from(prefixes.len() + 1).unwrap_or(u32::MAX);
            parent = *prefixes.entry((parent, t.name())).or_insert(next);
            parent
        })
        .collect();
    if let Some(child) = &mut rule.chained {
        number_chains(child, prefixes);
    }
}

/// Numbers the union groups of `rule` and its chain (see [`Rule::union_key`]); needs the
/// transformation chains numbered.
fn number_unions(rule: &mut Rule, groups: &mut HashMap<String, u32>, relevant: &mut Vec<ByteSet>) {
    if let Some(key) = rule.union_key() {
        let next = u32::try_from(groups.len()).unwrap_or(u32::MAX);
        let group = *groups.entry(key).or_insert(next);
        rule.union_group = Some(group);
        let i = group as usize;
        if relevant.len() <= i {
            relevant.resize(i + 1, ByteSet::EMPTY);
        }
        relevant[i] = rule.operator.required_bytes().iter().fold(relevant[i], |all, set| all.union(set));
    }
    if let Some(child) = &mut rule.chained {
        number_unions(child, groups, relevant);
    }
}

/// The bytes the rules of a union group require, as a table for scanning values.
#[derive(Debug)]
pub(crate) struct UnionBytes {
    /// Every byte some rule of the group requires.
    pub(crate) relevant: ByteSet,
    /// `relevant` as a lookup table.
    pub(crate) table: Box<[bool; 256]>,
}

impl UnionBytes {
    fn new(relevant: ByteSet) -> Self {
        let mut table = Box::new([false; 256]);
        relevant.bytes().for_each(|b| table[usize::from(b)] = true);
        UnionBytes { relevant, table }
    }
}

/// Numbers the tags of `rule` (and of its chain) in `tags`, so that `ctl:ruleRemoveByTag` and
/// friends compare numbers at run time.
fn number_tags(rule: &mut Rule, tags: &mut HashMap<String, u32>) {
    rule.tag_ids = rule
        .tag_names
        .iter()
        .map(|t| {
            let next = u32::try_from(tags.len()).unwrap_or(u32::MAX);
            *tags.entry(t.clone()).or_insert(next)
        })
        .collect();
    rule.tag_mask = rule.tag_ids.iter().fold(0, |mask, &t| mask | rule::tag_bit(t));
    if let Some(child) = &mut rule.chained {
        number_tags(child, tags);
    }
}

/// A compiled, immutable rule set; share it with `Arc` and start a [`Transaction`] per request.
#[derive(Debug)]
pub struct RuleSet {
    /// Rules and markers of phases 1 to 5 (index 0 is phase 1), in file order.
    pub(crate) phases: [Phase; 5],
    pub(crate) settings: Settings,
    /// The engine mode before any `ctl:ruleEngine`.
    pub(crate) mode: RuleEngine,
    /// Transformation chain ids are `1..chain_ids` (see [`number_chains`]).
    pub(crate) chain_ids: usize,
    /// The union groups the rules form (see [`number_unions`]), by number.
    pub(crate) unions: Vec<UnionBytes>,
    /// The tags of the rules, numbered (see [`number_tags`]).
    pub(crate) tags: HashMap<String, u32>,
    /// The hasher of the transactions' collections, which hashed the rules' keys.
    pub(crate) keys: KeyHasher,
    /// `TX:0` to `TX:9`, where `capture` puts the groups.
    pub(crate) groups: Vec<VarKey>,
    rule_count: usize,
}

impl RuleSet {
    /// Compiles a loaded configuration with the built-in operators and transformations.
    pub fn compile(spec: &RuleSetSpec) -> Result<RuleSet, CompileError> {
        Self::compile_with(spec, &operators::Registry::with_builtin(), &transformations::Registry::with_builtin())
    }

    /// Compiles with the given registries.
    pub fn compile_with(
        spec: &RuleSetSpec,
        ops: &operators::Registry,
        trs: &transformations::Registry,
    ) -> Result<RuleSet, CompileError> {
        let mut phases: [Phase; 5] = Default::default();
        let mut rule_count = 0;
        let mut chains = HashMap::new();
        let mut tags = HashMap::new();
        let mut unions = HashMap::new();
        let mut relevant = Vec::new();
        let keys = KeyHasher::default();
        for item in &spec.items {
            match item {
                Item::Rule(r) => {
                    let mut rule = Rule::compile(r, ops, trs, &keys)?;
                    number_chains(&mut rule, &mut chains);
                    number_unions(&mut rule, &mut unions, &mut relevant);
                    number_tags(&mut rule, &mut tags);
                    let i = usize::from(rule.phase.clamp(1, 5) - 1);
                    let phase = &mut phases[i];
                    phase.entries.push(Entry::Rule(phase.rules.len()));
                    phase.rules.push(rule);
                    rule_count += 1;
                }
                // As in libmodsecurity, a marker exists in every phase.
                Item::Marker(m) => {
                    let name: Arc<str> = Arc::from(m.name.as_str());
                    for p in &mut phases {
                        p.entries.push(Entry::Marker(name.clone()));
                    }
                }
            }
        }
        // libmodsecurity v3 leaves the mode "not set" without SecRuleEngine: the rules run (only
        // Off stops them) and disruptive actions wait for On, which is DetectionOnly.
        let mode = spec.settings.rule_engine.unwrap_or(RuleEngine::DetectionOnly);
        let chain_ids = chains.len() + 1;
        let groups = (0..10).map(|i| keys.key(&i.to_string())).collect();
        let unions = relevant.into_iter().map(UnionBytes::new).collect();
        Ok(RuleSet { phases, settings: spec.settings.clone(), mode, chain_ids, unions, tags, keys, groups, rule_count })
    }

    /// Loads and compiles a configuration file (and what it includes).
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<RuleSet, CompileError> {
        Self::compile(&crate::seclang::load_file(path)?)
    }

    /// Loads and compiles configuration text; `Include`s are relative to `base_dir`.
    pub fn from_str(name: &str, text: &str, base_dir: impl AsRef<std::path::Path>) -> Result<RuleSet, CompileError> {
        Self::compile(&crate::seclang::load_str(name, text, base_dir)?)
    }

    /// How many rules (chain starters and `SecAction`s) were compiled.
    pub fn rule_count(&self) -> usize {
        self.rule_count
    }

    /// The engine mode set by `SecRuleEngine` (`DetectionOnly` when not set, which is how
    /// libmodsecurity v3 behaves then).
    pub fn mode(&self) -> RuleEngine {
        self.mode
    }

    /// Settings from the directives (body limits, ...).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}
