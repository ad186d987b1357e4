//! The loaded rule-set description: plain data the engine compiles against its operator and
//! transformation registries.

use crate::actions::{Action, Disruptive, Phase, Severity};
use crate::macros::MacroString;
use crate::variables::VariableSpec;

use super::error::Location;
use super::operator::OperatorSpec;
use super::settings::Settings;

/// Everything a configuration defines.
#[derive(Debug, Clone)]
pub struct RuleSetSpec {
    /// Engine settings (`SecRuleEngine`, body limits, ...).
    pub settings: Settings,
    /// Rules and markers in file order (includes expanded in place).
    pub items: Vec<Item>,
    /// The `SecDefaultAction` of each phase that has one; already merged into the rules.
    pub default_actions: Vec<DefaultActionSpec>,
}

impl RuleSetSpec {
    /// The rules (chain starters) in order, skipping markers.
    pub fn rules(&self) -> impl Iterator<Item = &RuleSpec> {
        self.items.iter().filter_map(|item| match item {
            Item::Rule(rule) => Some(rule),
            Item::Marker(_) => None,
        })
    }

    /// The rule with this id, if loaded (and not removed).
    pub fn rule(&self, id: u64) -> Option<&RuleSpec> {
        self.rules().find(|r| r.id == Some(id))
    }
}

/// One entry of the rule list.
#[derive(Debug, Clone)]
pub enum Item {
    /// A `SecRule` (with its chain) or `SecAction`.
    Rule(RuleSpec),
    /// A `SecMarker`, target of `skipAfter`.
    Marker(MarkerSpec),
}

/// `SecMarker NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerSpec {
    /// The name, quotes removed.
    pub name: String,
    /// Where it is defined.
    pub location: Location,
}

/// `SecDefaultAction` for one phase.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultActionSpec {
    /// The phase it applies to.
    pub phase: Phase,
    /// Its actions without `phase`.
    pub actions: Vec<Action>,
    /// Where it is defined.
    pub location: Location,
}

/// Which directive made a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `SecRule VARIABLES OPERATOR ACTIONS`.
    SecRule,
    /// `SecAction ACTIONS`: no variables, operator `@unconditionalMatch`.
    SecAction,
}

/// One rule. Chained rules hang off their starter through [`RuleSpec::chained`].
///
/// `actions` are the rule's own actions in order (with any `SecRuleUpdateActionById` additions
/// appended); where an action can appear once, the last one wins. `defaults` are the actions of
/// the phase's `SecDefaultAction`, which libmodsecurity runs before the rule's own when the rule
/// matches. `transformations` and `disruptive` are already resolved from both.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    /// `id:`; `None` only for chained rules after the starter.
    pub id: Option<u64>,
    /// The rule's phase; chained rules take their starter's. Without `phase:` a rule runs in
    /// [`Phase::DEFAULT`].
    pub phase: Phase,
    /// `SecRule` or `SecAction`.
    pub kind: RuleKind,
    /// Targets, including `!` exclusions (own, then those added by `SecRuleUpdateTarget*`).
    pub variables: Vec<VariableSpec>,
    /// The operator (`@unconditionalMatch` for `SecAction`).
    pub operator: OperatorSpec,
    /// The rule's own actions.
    pub actions: Vec<Action>,
    /// The phase's `SecDefaultAction` actions (without `phase`), empty when there is none.
    pub defaults: Vec<Action>,
    /// The transformations to apply, in order: the default ones unless the rule has `t:none`,
    /// then the rule's own after its last `t:none`. Never contains `none`.
    pub transformations: Vec<&'static str>,
    /// What the rule does when it (and its chain) matches: its own disruptive action; for
    /// `block`, the disruptive action of the phase's `SecDefaultAction`; `None` when it has
    /// neither (libmodsecurity then just continues, like `pass`). Always `None` on chained rules.
    pub disruptive: Option<Disruptive>,
    /// The next rule of the chain, if this one has `chain`.
    pub chained: Option<Box<RuleSpec>>,
    /// Where the rule starts.
    pub location: Location,
}

impl RuleSpec {
    /// This rule and the rules chained after it, starter first.
    pub fn chain(&self) -> impl Iterator<Item = &RuleSpec> {
        std::iter::successors(Some(self), |r| r.chained.as_deref())
    }

    /// Default actions then own actions, in the order libmodsecurity runs them.
    pub fn all_actions(&self) -> impl Iterator<Item = &Action> {
        self.defaults.iter().chain(&self.actions)
    }

    /// True when the rule's own actions include exactly `action` (for flags: `Action::Capture`).
    pub fn has_flag(&self, action: &Action) -> bool {
        self.actions.iter().any(|a| a == action)
    }

    /// `msg:` (the last one).
    pub fn msg(&self) -> Option<&MacroString> {
        self.all_actions().filter_map(|a| if let Action::Msg(m) = a { Some(m) } else { None }).last()
    }

    /// `logdata:` (the last one).
    pub fn logdata(&self) -> Option<&MacroString> {
        self.all_actions().filter_map(|a| if let Action::LogData(m) = a { Some(m) } else { None }).last()
    }

    /// `severity:` (the last one).
    pub fn severity(&self) -> Option<Severity> {
        self.all_actions().filter_map(|a| if let Action::Severity(s) = a { Some(*s) } else { None }).last()
    }

    /// All `tag:`s, default ones first.
    pub fn tags(&self) -> impl Iterator<Item = &MacroString> {
        self.all_actions().filter_map(|a| if let Action::Tag(t) = a { Some(t) } else { None })
    }

    /// The rule's own tags as written (what `SecRuleRemoveByTag` compares against).
    pub fn own_tags(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().filter_map(|a| if let Action::Tag(t) = a { Some(t.as_str()) } else { None })
    }

    /// Whether a match is logged: the last of `log`/`nolog` (defaults first); `None` if neither.
    pub fn log(&self) -> Option<bool> {
        self.last_flag(&Action::Log, &Action::NoLog)
    }

    /// Whether a match goes to the audit log: the last of `auditlog`/`noauditlog`/`nolog`
    /// (defaults first), as `nolog` keeps a match out of both logs unless an `auditlog` after
    /// it brings it back (the reference manual's `nolog`).
    pub fn audit_log(&self) -> Option<bool> {
        self.all_actions()
            .filter_map(|a| match a {
                Action::AuditLog => Some(true),
                Action::NoAuditLog | Action::NoLog => Some(false),
                _ => None,
            })
            .last()
    }

    fn last_flag(&self, on: &Action, off: &Action) -> Option<bool> {
        self.all_actions().filter(|a| *a == on || *a == off).last().map(|a| a == on)
    }

    /// The own disruptive action as written (the last one), `block` included.
    pub fn own_disruptive(&self) -> Option<&Disruptive> {
        self.actions.iter().rev().find_map(|a| if let Action::Disruptive(d) = a { Some(d) } else { None })
    }
}
