//! Builds the rule list as directives arrive: links chains, checks ids, applies
//! `SecRuleRemove*` / `SecRuleUpdate*` to the rules loaded so far, and at the end merges each
//! phase's `SecDefaultAction` into its rules.
//!
//! libmodsecurity v3 keeps one `SecDefaultAction` per phase and applies it at run time to every
//! rule of that phase, wherever the rule is written; so the merge happens once, after loading.
//! What it inherits (3.0.x `RuleWithActions`): the default transformations, unless the rule has
//! `t:none`; the default disruptive action, only for rules that say `block`; the other default
//! actions (`log`, `auditlog`, `tag`, `setvar`, ...) run before the rule's own.

use std::collections::HashMap;

use crate::actions::{Action, Disruptive, IdRange, Phase};
use crate::variables::VariableSpec;

use super::error::{ErrorKind, Location, SeclangError};
use super::lexer::Located;
use super::operator::OperatorSpec;
use super::rule::{DefaultActionSpec, Item, MarkerSpec, RuleKind, RuleSetSpec, RuleSpec};
use super::settings::Settings;

/// A `SecRule` or `SecAction` as parsed, before assembly.
#[derive(Debug)]
pub(crate) struct ParsedRule {
    pub kind: RuleKind,
    pub variables: Vec<VariableSpec>,
    pub operator: OperatorSpec,
    pub actions: Vec<Located<Action>>,
    pub location: Location,
}

/// The rule list under construction.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    items: Vec<Item>,
    ids: HashMap<u64, Location>,
    /// The rule whose `chain` still waits for its next `SecRule`.
    open_chain: Option<Location>,
    defaults: Vec<DefaultActionSpec>,
}

/// The most rules one chain may link (the CRS uses at most a handful); bounds recursion.
pub const MAX_CHAIN: usize = 256;

const CONFIGURATION_REASON: &str = "id, phase, chain, ver, rev, maturity and accuracy describe the rule";

impl Assembler {
    /// Adds a rule: a chain link when the previous rule has `chain`, otherwise a new rule.
    pub fn add_rule(&mut self, rule: ParsedRule) -> Result<(), SeclangError> {
        let has_chain = rule.actions.iter().any(|(a, _)| *a == Action::Chain);
        if let Some(starter) = self.open_chain.take() {
            if rule.kind == RuleKind::SecAction {
                return Err(SeclangError::new(starter, ErrorKind::DanglingChain { next: Some("SecAction") }));
            }
            for (action, location) in &rule.actions {
                if matches!(action, Action::Id(_) | Action::Phase(_) | Action::Disruptive(_)) {
                    let kind = ErrorKind::NotInChainedRule { action: action.name() };
                    return Err(SeclangError::new(location.clone(), kind));
                }
            }
            let location = rule.location.clone();
            let Some(Item::Rule(top)) = self.items.last_mut() else {
                return Err(SeclangError::new(starter, ErrorKind::DanglingChain { next: None }));
            };
            let length = top.chain().count() + 1;
            if length > MAX_CHAIN {
                return Err(SeclangError::new(location, ErrorKind::ChainTooLong { max: MAX_CHAIN }));
            }
            let phase = top.phase;
            attach(top, spec(rule, None, phase));
            if has_chain {
                self.open_chain = Some(location);
            }
            return Ok(());
        }
        if rule.kind == RuleKind::SecAction && has_chain {
            let location = located(&rule.actions, &Action::Chain).unwrap_or_else(|| rule.location.clone());
            let kind = ErrorKind::ActionNotAllowed {
                directive: "SecAction",
                action: "chain",
                reason: "only SecRule starts a chain",
            };
            return Err(SeclangError::new(location, kind));
        }
        let id = rule.actions.iter().rev().find_map(|(a, _)| if let Action::Id(id) = a { Some(*id) } else { None });
        let Some(id) = id else {
            return Err(SeclangError::new(rule.location, ErrorKind::MissingId));
        };
        if let Some(first) = self.ids.get(&id) {
            let location = located(&rule.actions, &Action::Id(id)).unwrap_or_else(|| rule.location.clone());
            return Err(SeclangError::new(location, ErrorKind::DuplicateId { id, first: first.clone() }));
        }
        self.ids.insert(id, rule.location.clone());
        let phase = rule
            .actions
            .iter()
            .rev()
            .find_map(|(a, _)| if let Action::Phase(p) = a { Some(*p) } else { None })
            .unwrap_or(Phase::DEFAULT);
        if has_chain {
            self.open_chain = Some(rule.location.clone());
        }
        self.items.push(Item::Rule(spec(rule, Some(id), phase)));
        Ok(())
    }

    /// Adds a `SecMarker`.
    pub fn add_marker(&mut self, marker: MarkerSpec) -> Result<(), SeclangError> {
        self.close_chain("SecMarker")?;
        self.items.push(Item::Marker(marker));
        Ok(())
    }

    /// Fails when a rule's `chain` is still waiting and `next` arrives instead of a `SecRule`.
    fn close_chain(&mut self, next: &'static str) -> Result<(), SeclangError> {
        match self.open_chain.take() {
            Some(starter) => Err(SeclangError::new(starter, ErrorKind::DanglingChain { next: Some(next) })),
            None => Ok(()),
        }
    }

    /// Records a `SecDefaultAction`, checked as libmodsecurity v3 checks it (plus the phase the
    /// ModSecurity reference requires).
    pub fn set_default(&mut self, actions: Vec<Located<Action>>, location: Location) -> Result<(), SeclangError> {
        let directive = "SecDefaultAction";
        let mut phase = None;
        let mut disruptive = false;
        let mut kept = Vec::new();
        for (action, at) in actions {
            match action {
                Action::Phase(p) => phase = Some(p),
                Action::Transformation("none") => {
                    let reason = "it would clear the transformations it sets";
                    return Err(SeclangError::new(
                        at,
                        ErrorKind::ActionNotAllowed { directive, action: "t:none", reason },
                    ));
                }
                a if a.is_configuration() => {
                    let kind =
                        ErrorKind::ActionNotAllowed { directive, action: a.name(), reason: CONFIGURATION_REASON };
                    return Err(SeclangError::new(at, kind));
                }
                a => {
                    disruptive |= matches!(a, Action::Disruptive(ref d) if *d != Disruptive::Block);
                    kept.push(a);
                }
            }
        }
        let Some(phase) = phase else {
            return Err(SeclangError::new(location, ErrorKind::DefaultActionIncomplete("a phase (e.g. phase:2)")));
        };
        if !disruptive {
            let what = "a disruptive action (pass, deny, drop, allow or redirect; block does not count)";
            return Err(SeclangError::new(location, ErrorKind::DefaultActionIncomplete(what)));
        }
        if let Some(first) = self.defaults.iter().find(|d| d.phase == phase) {
            let kind = ErrorKind::DuplicateDefaultAction { phase: phase.number(), first: first.location.clone() };
            return Err(SeclangError::new(location, kind));
        }
        self.defaults.push(DefaultActionSpec { phase, actions: kept, location });
        Ok(())
    }

    /// `SecRuleRemoveById`: drops the matching rules loaded so far.
    pub fn remove_by_id(&mut self, ranges: &[IdRange]) {
        self.items.retain(|item| !matches!(item, Item::Rule(r) if in_ranges(r, ranges)));
    }

    /// `SecRuleRemoveByTag`: drops the rules loaded so far that carry exactly this tag.
    pub fn remove_by_tag(&mut self, tag: &str) {
        self.items.retain(|item| !matches!(item, Item::Rule(r) if r.own_tags().any(|t| t == tag)));
    }

    /// `SecRuleRemoveByMsg`: drops the rules loaded so far whose `msg` is exactly this text.
    pub fn remove_by_msg(&mut self, msg: &str) {
        self.items.retain(|item| !matches!(item, Item::Rule(r) if own_msg(r) == Some(msg)));
    }

    /// `SecRuleUpdateTargetBy*`: appends targets (exclusions included) to the matching rules
    /// loaded so far. Returns how many rules changed.
    pub fn update_targets(&mut self, which: &Selection<'_>, targets: &[VariableSpec]) -> usize {
        let mut changed = 0;
        for rule in self.rules_mut().filter(|r| which.selects(r)) {
            rule.variables.extend_from_slice(targets);
            changed += 1;
        }
        changed
    }

    /// `SecRuleUpdateActionById`: appends actions to the rule (last one wins where an action
    /// can appear once). `id`, `phase`, `chain` and the other rule metadata cannot be changed.
    pub fn update_actions(&mut self, ranges: &[IdRange], actions: Vec<Located<Action>>) -> Result<usize, SeclangError> {
        for (action, at) in &actions {
            if action.is_configuration() {
                let kind = ErrorKind::ActionNotAllowed {
                    directive: "SecRuleUpdateActionById",
                    action: action.name(),
                    reason: CONFIGURATION_REASON,
                };
                return Err(SeclangError::new(at.clone(), kind));
            }
        }
        let mut changed = 0;
        for rule in self.rules_mut().filter(|r| in_ranges(r, ranges)) {
            rule.actions.extend(actions.iter().map(|(a, _)| a.clone()));
            changed += 1;
        }
        Ok(changed)
    }

    fn rules_mut(&mut self) -> impl Iterator<Item = &mut RuleSpec> {
        self.items.iter_mut().filter_map(|item| match item {
            Item::Rule(rule) => Some(rule),
            Item::Marker(_) => None,
        })
    }

    /// Finishes: checks that no chain is left open and merges the default actions.
    pub fn finish(mut self, settings: Settings) -> Result<RuleSetSpec, SeclangError> {
        if let Some(starter) = self.open_chain.take() {
            return Err(SeclangError::new(starter, ErrorKind::DanglingChain { next: None }));
        }
        self.defaults.sort_by_key(|d| d.phase);
        for item in &mut self.items {
            if let Item::Rule(rule) = item {
                let defaults = self.defaults.iter().find(|d| d.phase == rule.phase);
                resolve(rule, defaults, true);
            }
        }
        Ok(RuleSetSpec { settings, items: self.items, default_actions: self.defaults })
    }
}

/// Which rules a `SecRuleUpdateTarget*` directive addresses.
#[derive(Debug)]
pub(crate) enum Selection<'a> {
    /// By id or range.
    Ids(&'a [IdRange]),
    /// By exact tag.
    Tag(&'a str),
    /// By exact `msg`.
    Msg(&'a str),
}

impl Selection<'_> {
    fn selects(&self, rule: &RuleSpec) -> bool {
        match self {
            Selection::Ids(ranges) => in_ranges(rule, ranges),
            Selection::Tag(tag) => rule.own_tags().any(|t| t == *tag),
            Selection::Msg(msg) => own_msg(rule) == Some(*msg),
        }
    }
}

fn in_ranges(rule: &RuleSpec, ranges: &[IdRange]) -> bool {
    rule.id.is_some_and(|id| ranges.iter().any(|r| r.contains(id)))
}

fn own_msg(rule: &RuleSpec) -> Option<&str> {
    rule.actions.iter().rev().find_map(|a| if let Action::Msg(m) = a { Some(m.as_str()) } else { None })
}

fn located(actions: &[Located<Action>], wanted: &Action) -> Option<Location> {
    actions.iter().find(|(a, _)| a == wanted).map(|(_, at)| at.clone())
}

/// Appends `child` at the end of `rule`'s chain.
fn attach(rule: &mut RuleSpec, child: RuleSpec) {
    match rule.chained.as_deref_mut() {
        Some(next) => attach(next, child),
        None => rule.chained = Some(Box::new(child)),
    }
}

fn spec(rule: ParsedRule, id: Option<u64>, phase: Phase) -> RuleSpec {
    RuleSpec {
        id,
        phase,
        kind: rule.kind,
        variables: rule.variables,
        operator: rule.operator,
        actions: rule.actions.into_iter().map(|(a, _)| a).collect(),
        defaults: Vec::new(),
        transformations: Vec::new(),
        disruptive: None,
        chained: None,
        location: rule.location,
    }
}

/// Fills `defaults`, `transformations` and `disruptive` of a rule and its chain.
fn resolve(rule: &mut RuleSpec, defaults: Option<&DefaultActionSpec>, starter: bool) {
    rule.defaults = defaults.map(|d| d.actions.clone()).unwrap_or_default();
    let own: Vec<&'static str> =
        rule.actions.iter().filter_map(|a| if let Action::Transformation(t) = a { Some(*t) } else { None }).collect();
    rule.transformations = match own.iter().rposition(|t| *t == "none") {
        Some(last_none) => own.get(last_none + 1..).unwrap_or_default().to_vec(),
        None => {
            let inherited =
                rule.defaults.iter().filter_map(|a| if let Action::Transformation(t) = a { Some(*t) } else { None });
            inherited.chain(own).collect()
        }
    };
    rule.disruptive = if starter {
        match rule.own_disruptive() {
            Some(Disruptive::Block) => rule.defaults.iter().rev().find_map(|a| match a {
                Action::Disruptive(d) if *d != Disruptive::Block => Some(d.clone()),
                _ => None,
            }),
            other => other.cloned(),
        }
    } else {
        None
    };
    if let Some(next) = rule.chained.as_deref_mut() {
        resolve(next, defaults, false);
    }
}
