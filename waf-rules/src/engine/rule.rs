//! Compiled rules: a [`RuleSpec`] with its operator and transformations resolved against the
//! registries, its actions sorted by when they run, and its targets split from exclusions.

use std::path::Path;
use std::sync::Arc;

use crate::actions::{Action, Disruptive};
use crate::engine::store::{KeyHasher, VarKey};
use crate::engine::values::Target;
use crate::engine::CompileError;
use crate::macros::MacroString;
use crate::operators::{self, LoadContext, Operator};
use crate::seclang::{RuleKind, RuleSpec};
use crate::transformations::{self, Lookup, Transformation};
use crate::variables::{Selector, VariableName};

/// A per-match action, with the key of a `setvar` hashed at load when it holds no macro.
#[derive(Debug)]
pub(crate) struct PerMatch {
    pub(crate) action: Action,
    pub(crate) key: Option<VarKey>,
}

/// One compiled rule; chained rules hang off [`Rule::chained`].
#[derive(Debug)]
pub(crate) struct Rule {
    /// The starter's id; 0 for chained rules.
    pub(crate) id: u64,
    pub(crate) phase: u8,
    pub(crate) targets: Vec<Target>,
    /// `!VAR:key` exclusions of this rule.
    pub(crate) exclusions: Vec<(VariableName, Option<Selector>)>,
    pub(crate) operator: Box<dyn Operator>,
    pub(crate) operator_name: &'static str,
    pub(crate) operator_argument: String,
    pub(crate) negated: bool,
    /// `SecAction`: matches once, with no target.
    pub(crate) unconditional: bool,
    pub(crate) transformations: Vec<Transformation>,
    /// Ids of the prefixes of `transformations` (the last one names the whole chain), set by
    /// the rule set; see `engine::cache`.
    pub(crate) chain: Vec<u32>,
    /// The rule set's number for the rules with the same targets and chain, set when this rule
    /// can be skipped on the bytes of its values (see [`Rule::union_key`]).
    pub(crate) union_group: Option<u32>,
    pub(crate) multi_match: bool,
    pub(crate) capture: bool,
    /// Actions run for every match of this rule (v3's "independent of the chain result").
    pub(crate) per_match: Vec<PerMatch>,
    /// Actions run once the whole chain matched (ctl, skip, skipAfter, ...).
    pub(crate) after_match: Vec<Action>,
    pub(crate) msg: Option<MacroString>,
    pub(crate) logdata: Option<MacroString>,
    pub(crate) severity: Option<u8>,
    pub(crate) tags: Vec<MacroString>,
    /// The tags as the log shows them, when none holds a macro (the usual case): computed
    /// once here rather than at every match.
    pub(crate) constant_tags: Option<Vec<String>>,
    /// Tags as written.
    pub(crate) tag_names: Vec<String>,
    /// Their numbers in the rule set, for `ctl:ruleRemoveByTag` and friends.
    pub(crate) tag_ids: Vec<u32>,
    /// Bit `id % 64` set for each of them: a tag whose bit is clear is not the rule's, known
    /// without reading `tag_ids`.
    pub(crate) tag_mask: u64,
    pub(crate) ver: String,
    pub(crate) rev: String,
    pub(crate) maturity: Option<u8>,
    pub(crate) accuracy: Option<u8>,
    pub(crate) log: bool,
    pub(crate) audit_log: bool,
    pub(crate) disruptive: Option<Disruptive>,
    pub(crate) status: Option<u16>,
    pub(crate) chained: Option<Box<Rule>>,
    pub(crate) file: Arc<str>,
    pub(crate) line: u32,
}

impl Rule {
    /// What the rules that test the same values, transformed alike, have in common (their
    /// targets and transformation chain, exclusions aside), when this rule's operator requires
    /// bytes of its input and its targets hold request or response data, which stays put
    /// while a phase runs. Such a rule cannot match when the bytes of all its values together
    /// lack a set its operator requires. `None` for the others: negated or `multiMatch` rules
    /// (which test more than the transformed values), counts, and collections that rules
    /// write (`TX`, `MATCHED_VAR`, ...). Needs [`Rule::chain`] numbered.
    pub(crate) fn union_key(&self) -> Option<String> {
        if self.negated || self.multi_match || self.unconditional || self.operator.required_bytes().is_empty() {
            return None;
        }
        if self.targets.iter().any(|t| t.count || !holds_request_data(t.name)) {
            return None;
        }
        let targets: Vec<_> = self.targets.iter().map(|t| (t.name, &t.selector)).collect();
        Some(format!("{:?} {targets:?}", self.chain.last()))
    }

    /// Compiles `spec` (and its chain).
    pub(crate) fn compile(
        spec: &RuleSpec,
        ops: &operators::Registry,
        trs: &transformations::Registry,
        keys: &KeyHasher,
    ) -> Result<Rule, CompileError> {
        let at = || spec.location.to_string();
        let base_dir = Path::new(&*spec.location.file).parent().unwrap_or(Path::new("."));
        let unconditional = spec.kind == RuleKind::SecAction;
        let operator = ops
            .compile(spec.operator.name, &spec.operator.argument, &LoadContext { base_dir })
            .map_err(|e| CompileError::Operator { at: at(), message: e.to_string() })?;
        let mut transformations = Vec::with_capacity(spec.transformations.len());
        for name in &spec.transformations {
            match trs.get(name) {
                Some(Lookup::Apply(t)) => transformations.push(t),
                Some(Lookup::Reset) => transformations.clear(),
                None => return Err(CompileError::Transformation { at: at(), name: (*name).to_owned() }),
            }
        }
        let mut targets = Vec::new();
        let mut exclusions = Vec::new();
        for v in &spec.variables {
            if v.exclude {
                exclusions.push((v.name, v.selector.clone()));
            } else {
                let key = match &v.selector {
                    Some(Selector::Key(k)) => Some(keys.key(k)),
                    _ => None,
                };
                targets.push(Target::new(v.name, v.selector.clone(), v.count, key));
            }
        }
        let mut per_match = Vec::new();
        let mut after_match = Vec::new();
        let mut multi_match = false;
        let mut capture = false;
        let mut status = None;
        let mut ver = String::new();
        let mut rev = String::new();
        let mut maturity = None;
        let mut accuracy = None;
        let mut tag_names = Vec::new();
        for a in spec.all_actions() {
            match a {
                Action::SetVar(sv) => {
                    let key = sv.key.constant().map(|k| keys.key(&String::from_utf8_lossy(k)));
                    per_match.push(PerMatch { action: a.clone(), key });
                }
                // In the order written: `initcol:ip=...,setvar:ip.hits=+1` opens the record
                // before adding to it.
                Action::SetEnv(_)
                | Action::InitCol(_)
                | Action::ExpireVar(_)
                | Action::SetUid(_)
                | Action::SetSid(_)
                | Action::SetRsc(_) => per_match.push(PerMatch { action: a.clone(), key: None }),
                Action::Ctl(_) | Action::Skip(_) | Action::SkipAfter(_) => after_match.push(a.clone()),
                Action::MultiMatch => multi_match = true,
                Action::Capture => capture = true,
                Action::Status(s) => status = Some(*s),
                Action::Ver(v) => ver.clone_from(v),
                Action::Rev(r) => rev.clone_from(r),
                Action::Maturity(m) => maturity = Some(*m),
                Action::Accuracy(m) => accuracy = Some(*m),
                _ => {}
            }
        }
        for a in &spec.actions {
            if let Action::Tag(t) = a {
                tag_names.push(t.as_str().to_owned());
            }
        }
        let chained = match &spec.chained {
            Some(c) => Some(Box::new(Rule::compile(c, ops, trs, keys)?)),
            None => None,
        };
        Ok(Rule {
            id: spec.id.unwrap_or(0),
            phase: spec.phase.number(),
            targets,
            exclusions,
            operator,
            operator_name: spec.operator.name,
            operator_argument: spec.operator.argument.clone(),
            negated: spec.operator.negated,
            unconditional,
            transformations,
            chain: Vec::new(),
            union_group: None,
            multi_match,
            capture,
            per_match,
            after_match,
            msg: spec.msg().cloned(),
            logdata: spec.logdata().cloned(),
            severity: spec.severity().map(|s| s.number()),
            tags: spec.tags().cloned().collect(),
            constant_tags: spec
                .tags()
                .map(|t| t.constant().map(crate::engine::log::log_text))
                .collect::<Option<Vec<String>>>(),
            tag_names,
            tag_ids: Vec::new(),
            tag_mask: 0,
            ver,
            rev,
            maturity,
            accuracy,
            log: spec.log().unwrap_or(true),
            audit_log: spec.audit_log().unwrap_or(true),
            disruptive: spec.disruptive.clone(),
            status,
            chained,
            file: spec.location.file.clone(),
            line: spec.location.line,
        })
    }

    /// Whether the rule (its own tags) carries the tag numbered `tag` in the rule set.
    pub(crate) fn has_tag(&self, tag: u32) -> bool {
        self.tag_mask & tag_bit(tag) != 0 && self.tag_ids.contains(&tag)
    }

    /// Whether `key` of `name` is excluded by this rule's own `!` targets.
    pub(crate) fn excludes(&self, name: VariableName, key: &[u8]) -> bool {
        self.exclusions.iter().any(|(n, sel)| *n == name && selector_matches(sel, key))
    }
}

/// The bit of tag number `tag` in [`Rule::tag_mask`].
pub(crate) fn tag_bit(tag: u32) -> u64 {
    1 << (tag % 64)
}

/// Whether an exclusion selector covers `key` (no selector: the whole collection).
pub(crate) fn selector_matches(sel: &Option<Selector>, key: &[u8]) -> bool {
    match sel {
        None => true,
        Some(Selector::Key(k)) => k.as_bytes().eq_ignore_ascii_case(key),
        Some(Selector::Regex(r)) => r.is_match(key),
        Some(Selector::XPath(x)) => x.as_bytes() == key,
    }
}

/// Variables whose values come from the request or the response and stay put while a phase
/// runs (the rules write none of them).
fn holds_request_data(name: VariableName) -> bool {
    use VariableName as V;
    matches!(
        name,
        V::Args
            | V::ArgsGet
            | V::ArgsGetNames
            | V::ArgsNames
            | V::ArgsPost
            | V::ArgsPostNames
            | V::Files
            | V::FilesNames
            | V::MultipartFilename
            | V::MultipartName
            | V::MultipartPartHeaders
            | V::QueryString
            | V::RequestBasename
            | V::RequestBody
            | V::RequestCookies
            | V::RequestCookiesNames
            | V::RequestFilename
            | V::RequestHeaders
            | V::RequestHeadersNames
            | V::RequestLine
            | V::RequestMethod
            | V::RequestProtocol
            | V::RequestUri
            | V::RequestUriRaw
            | V::ResponseBody
            | V::ResponseHeaders
            | V::ResponseHeadersNames
            | V::Xml
    )
}
