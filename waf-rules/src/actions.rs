//! Rule actions (`id`, `phase`, `msg`, `t:`, `setvar`, `ctl`, `chain`, ...), parsed from the
//! comma-separated action list into the typed [`Action`] enum at load time.
//!
//! Names match ASCII case-insensitively, as in libmodsecurity v3. Values are kept as written,
//! escapes included (`msg:'it\'s'` keeps the backslash, as libmodsecurity does). Actions that
//! libmodsecurity v3 rejects as unsupported (`append`, `prepend`, `proxy`, `pause`,
//! `deprecatevar`) and `exec` (Lua) are errors.
//!
//! # Organization
//! - `list`: splitting the list into names and raw values (quoting rules).
//! - `parse`: one raw action to one [`Action`].
//! - [`values`](Phase): phases, severities, disruptive actions, id ranges, engine switches.
//! - [`setvar`](SetVar): `setvar`, `expirevar`, `initcol`, `setenv`.
//! - [`ctl`](Ctl): `ctl:` options.
//! - [`transformation`](canonical_transformation): the `t:` names.
//! - `tests.rs`: unit tests.

mod ctl;
pub(crate) mod list;
mod parse;
mod setvar;
#[cfg(test)]
mod tests;
mod transformation;
mod values;

use crate::macros::MacroString;
use crate::variables::VariableErrorKind;

pub use ctl::{AuditLogParts, Ctl, PartsOp};
pub use setvar::{Collection, ExpireVar, InitCol, SetEnv, SetVar, SetVarOp};
pub use transformation::{canonical_transformation, TRANSFORMATIONS};
pub use values::{AllowScope, AuditEngine, BodyProcessor, Disruptive, IdRange, Phase, RuleEngine, Severity};

pub(crate) use ctl::valid_parts;
pub(crate) use values::parse_on_off;

/// One rule action.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// `id:N` (positive).
    Id(u64),
    /// `phase:N` / `phase:request|response|logging`.
    Phase(Phase),
    /// `msg:'text'`
    Msg(MacroString),
    /// `logdata:'text'`
    LogData(MacroString),
    /// `severity:NAME|N`
    Severity(Severity),
    /// `tag:'text'` (may appear many times).
    Tag(MacroString),
    /// `ver:'text'`
    Ver(String),
    /// `rev:'text'`
    Rev(String),
    /// `maturity:N`
    Maturity(u8),
    /// `accuracy:N`
    Accuracy(u8),
    /// `chain`: the next `SecRule` must also match.
    Chain,
    /// `capture`: regex groups go to `TX:0`..`TX:9`.
    Capture,
    /// `multiMatch`: run the operator after every transformation.
    MultiMatch,
    /// `log`
    Log,
    /// `nolog`
    NoLog,
    /// `auditlog`
    AuditLog,
    /// `noauditlog`
    NoAuditLog,
    /// `skip:N`: skip the next N rules (chains count as one).
    Skip(u32),
    /// `skipAfter:MARKER`
    SkipAfter(String),
    /// `status:N`: the HTTP status of a disruptive action.
    Status(u16),
    /// `allow`, `block`, `deny`, `drop`, `pass`, `redirect`.
    Disruptive(Disruptive),
    /// `t:NAME`, canonical name; `t:none` clears the transformations listed before it
    /// (including those of `SecDefaultAction`).
    Transformation(&'static str),
    /// `setvar:...`
    SetVar(SetVar),
    /// `expirevar:...`
    ExpireVar(ExpireVar),
    /// `initcol:...`
    InitCol(InitCol),
    /// `setenv:name=value`
    SetEnv(SetEnv),
    /// `setuid:KEY`: opens the USER collection.
    SetUid(MacroString),
    /// `setsid:KEY`: opens the SESSION collection.
    SetSid(MacroString),
    /// `setrsc:KEY`: opens the RESOURCE collection.
    SetRsc(MacroString),
    /// `sanitiseArg:NAME`
    SanitiseArg(String),
    /// `sanitiseMatched`
    SanitiseMatched,
    /// `sanitiseMatchedBytes[:a/b]`
    SanitiseMatchedBytes(Option<String>),
    /// `sanitiseRequestHeader:NAME`
    SanitiseRequestHeader(String),
    /// `sanitiseResponseHeader:NAME`
    SanitiseResponseHeader(String),
    /// `ctl:option=value`
    Ctl(Ctl),
    /// `xmlns:prefix=uri`
    XmlNs {
        /// The namespace prefix.
        prefix: String,
        /// The namespace URI.
        uri: String,
    },
}

impl Action {
    /// The action name as SecLang spells it (`skipAfter`; `t` for transformations).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Id(_) => "id",
            Action::Phase(_) => "phase",
            Action::Msg(_) => "msg",
            Action::LogData(_) => "logdata",
            Action::Severity(_) => "severity",
            Action::Tag(_) => "tag",
            Action::Ver(_) => "ver",
            Action::Rev(_) => "rev",
            Action::Maturity(_) => "maturity",
            Action::Accuracy(_) => "accuracy",
            Action::Chain => "chain",
            Action::Capture => "capture",
            Action::MultiMatch => "multiMatch",
            Action::Log => "log",
            Action::NoLog => "nolog",
            Action::AuditLog => "auditlog",
            Action::NoAuditLog => "noauditlog",
            Action::Skip(_) => "skip",
            Action::SkipAfter(_) => "skipAfter",
            Action::Status(_) => "status",
            Action::Disruptive(d) => d.name(),
            Action::Transformation(_) => "t",
            Action::SetVar(_) => "setvar",
            Action::ExpireVar(_) => "expirevar",
            Action::InitCol(_) => "initcol",
            Action::SetEnv(_) => "setenv",
            Action::SetUid(_) => "setuid",
            Action::SetSid(_) => "setsid",
            Action::SetRsc(_) => "setrsc",
            Action::SanitiseArg(_) => "sanitiseArg",
            Action::SanitiseMatched => "sanitiseMatched",
            Action::SanitiseMatchedBytes(_) => "sanitiseMatchedBytes",
            Action::SanitiseRequestHeader(_) => "sanitiseRequestHeader",
            Action::SanitiseResponseHeader(_) => "sanitiseResponseHeader",
            Action::Ctl(_) => "ctl",
            Action::XmlNs { .. } => "xmlns",
        }
    }

    /// True for the actions libmodsecurity treats as rule configuration ("ConfigurationKind"):
    /// they describe the rule rather than do something when it matches, so `SecDefaultAction`
    /// and `SecRuleUpdateActionById` reject them.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Action::Id(_)
                | Action::Phase(_)
                | Action::Ver(_)
                | Action::Rev(_)
                | Action::Maturity(_)
                | Action::Accuracy(_)
                | Action::Chain
        )
    }
}

/// The action names this parser knows, for error messages.
pub const ACTION_NAMES: &[&str] = &[
    "accuracy",
    "allow",
    "auditlog",
    "block",
    "capture",
    "chain",
    "ctl",
    "deny",
    "drop",
    "expirevar",
    "id",
    "initcol",
    "log",
    "logdata",
    "maturity",
    "msg",
    "multiMatch",
    "noauditlog",
    "nolog",
    "pass",
    "phase",
    "redirect",
    "rev",
    "sanitiseArg",
    "sanitiseMatched",
    "sanitiseMatchedBytes",
    "sanitiseRequestHeader",
    "sanitiseResponseHeader",
    "setenv",
    "setrsc",
    "setsid",
    "setuid",
    "setvar",
    "severity",
    "skip",
    "skipAfter",
    "status",
    "t",
    "tag",
    "ver",
    "xmlns",
];

/// Why an action list did not parse. `offset` is a byte offset into the parsed text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ActionError {
    /// Byte offset of the problem in the text given to [`parse_list`].
    pub offset: usize,
    /// What is wrong.
    pub kind: ActionErrorKind,
}

impl ActionError {
    pub(crate) fn new(offset: usize, kind: ActionErrorKind) -> Self {
        Self { offset, kind }
    }
}

/// The kinds of [`ActionError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionErrorKind {
    /// The name is not an action.
    #[error("unknown action \"{name}\" (expected one of {})", ACTION_NAMES.join(", "))]
    UnknownAction {
        /// The name as written.
        name: String,
    },
    /// An action libmodsecurity v3 knows but this engine does not run.
    #[error("action \"{name}\" is not supported: {reason}")]
    Unsupported {
        /// The name as written.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// An action that needs a value has none (`id` alone).
    #[error("action \"{action}\" needs a value ({expected})")]
    MissingValue {
        /// The action.
        action: &'static str,
        /// What the value looks like.
        expected: &'static str,
    },
    /// A flag action was given a value (`chain:1`).
    #[error("action \"{action}\" takes no value")]
    UnexpectedValue {
        /// The action.
        action: &'static str,
    },
    /// The value is malformed.
    #[error("invalid value \"{value}\" for action \"{action}\" (expected {expected})")]
    InvalidValue {
        /// The action.
        action: &'static str,
        /// The value as written.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// `t:NAME` with an unknown transformation.
    #[error("unknown transformation \"{name}\" (expected one of {})", TRANSFORMATIONS.join(", "))]
    UnknownTransformation {
        /// The name as written.
        name: String,
    },
    /// `setvar`/`initcol`/`expirevar` on a collection that cannot be written.
    #[error("unknown collection \"{name}\" in \"{action}\" (expected {})", if *action == "initcol" { "ip, global, resource, session or user" } else { "tx, ip, global, resource, session or user" })]
    UnknownCollection {
        /// The action.
        action: &'static str,
        /// The collection name as written.
        name: String,
    },
    /// `ctl:` with an unknown option.
    #[error("unknown ctl option \"{option}\" (expected one of {})", ctl::CTL_OPTIONS)]
    UnknownCtl {
        /// The option as written.
        option: String,
    },
    /// The target of `ctl:ruleRemoveTarget*` does not parse.
    #[error("invalid target: {0}")]
    InvalidTarget(VariableErrorKind),
    /// A single-quoted value is never closed.
    #[error("unterminated single quote in action value")]
    UnterminatedQuote,
    /// The double-quoted action list is never closed.
    #[error("missing closing '\"' at the end of the action list")]
    MissingClosingQuote,
    /// Nothing between two commas (or a leading/trailing comma).
    #[error("expected an action (found an empty item in the list)")]
    EmptyAction,
    /// Something other than a comma after an action.
    #[error("expected ',' between actions, found \"{found}\"")]
    ExpectedComma {
        /// The text found.
        found: String,
    },
}

/// Parses an action list given without its surrounding double quotes
/// (`id:1,phase:2,deny,msg:'a, b'`).
pub fn parse_list(text: &str) -> Result<Vec<Action>, ActionError> {
    let (actions, end) = parse_list_spanned(text, false)?;
    debug_assert_eq!(end, text.len());
    Ok(actions.into_iter().map(|(action, _)| action).collect())
}

/// Parses an action list, returning each action with the byte offset of its name. With
/// `in_quotes` the list ends at an unescaped `"` (see [`list`]); the returned offset is where
/// the list ended.
pub(crate) fn parse_list_spanned(text: &str, in_quotes: bool) -> Result<(Vec<(Action, usize)>, usize), ActionError> {
    let (raw, end) = list::split(text, in_quotes)?;
    let actions = raw.iter().map(|r| parse::parse_raw(r).map(|a| (a, r.offset))).collect::<Result<_, _>>()?;
    Ok((actions, end))
}
