//! `ctl:option=value`: per-transaction changes to the engine configuration.

use crate::variables::{self, VariableSpec};

use super::setvar::ValueError;
use super::values::{parse_on_off, AuditEngine, BodyProcessor, IdRange, RuleEngine};
use super::ActionErrorKind;

/// A `ctl:` action.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ctl {
    /// `ctl:auditEngine=On|Off|RelevantOnly`
    AuditEngine(AuditEngine),
    /// `ctl:auditLogParts=[+|-]PARTS`
    AuditLogParts(AuditLogParts),
    /// `ctl:forceRequestBodyVariable=On|Off`
    ForceRequestBodyVariable(bool),
    /// `ctl:requestBodyAccess=On|Off`
    RequestBodyAccess(bool),
    /// `ctl:requestBodyLimit=N`
    RequestBodyLimit(u64),
    /// `ctl:requestBodyProcessor=URLENCODED|MULTIPART|XML|JSON`
    RequestBodyProcessor(BodyProcessor),
    /// `ctl:ruleEngine=On|Off|DetectionOnly`
    RuleEngine(RuleEngine),
    /// `ctl:ruleRemoveById=ID|RANGE[ ...]`
    RuleRemoveById(Vec<IdRange>),
    /// `ctl:ruleRemoveByTag=TAG` (exact tag, as libmodsecurity compares it).
    RuleRemoveByTag(String),
    /// `ctl:ruleRemoveTargetById=ID;TARGETS`
    RuleRemoveTargetById {
        /// The rules.
        ids: Vec<IdRange>,
        /// Targets removed from them (`ARGS:foo`).
        targets: Vec<VariableSpec>,
    },
    /// `ctl:ruleRemoveTargetByTag=TAG;TARGETS`
    RuleRemoveTargetByTag {
        /// Rules carrying this exact tag.
        tag: String,
        /// Targets removed from them.
        targets: Vec<VariableSpec>,
    },
}

/// `ctl:auditLogParts`: replace, add or remove audit log parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLogParts {
    /// How the parts combine with the configured ones.
    pub op: PartsOp,
    /// Part letters (`ABIJDEFHZ`).
    pub parts: String,
}

/// See [`AuditLogParts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartsOp {
    /// No sign: replace.
    Set,
    /// `+`: add.
    Add,
    /// `-`: remove.
    Remove,
}

/// The options `ctl:` accepts, for error messages.
pub(crate) const CTL_OPTIONS: &str = "auditEngine, auditLogParts, forceRequestBodyVariable, requestBodyAccess, \
requestBodyLimit, requestBodyProcessor, ruleEngine, ruleRemoveById, ruleRemoveByTag, ruleRemoveTargetById, \
ruleRemoveTargetByTag";

/// True for valid audit log part letters.
pub(crate) fn valid_parts(parts: &str) -> bool {
    !parts.is_empty() && parts.bytes().all(|c| matches!(c, b'A'..=b'K' | b'Z'))
}

/// Parses the value of `ctl:` (the text after `ctl:`).
pub(crate) fn parse_ctl(text: &str) -> Result<Ctl, ValueError> {
    let Some((option, value)) = text.split_once('=') else {
        return Err((
            0,
            ActionErrorKind::InvalidValue { action: "ctl", value: text.to_owned(), expected: "option=value" },
        ));
    };
    let at = option.len() + 1;
    let invalid = |expected: &'static str| {
        (at, ActionErrorKind::InvalidValue { action: "ctl", value: format!("{option}={value}"), expected })
    };
    let ctl = match option.to_ascii_lowercase().as_str() {
        "auditengine" => Ctl::AuditEngine(AuditEngine::parse(value).ok_or_else(|| invalid("On, Off or RelevantOnly"))?),
        "auditlogparts" => {
            let (op, parts) = match value.as_bytes().first() {
                Some(b'+') => (PartsOp::Add, &value[1..]),
                Some(b'-') => (PartsOp::Remove, &value[1..]),
                _ => (PartsOp::Set, value),
            };
            if !valid_parts(parts) {
                return Err(invalid("[+|-] followed by audit log parts A-K, Z"));
            }
            Ctl::AuditLogParts(AuditLogParts { op, parts: parts.to_owned() })
        }
        "forcerequestbodyvariable" => {
            Ctl::ForceRequestBodyVariable(parse_on_off(value).ok_or_else(|| invalid("On or Off"))?)
        }
        "requestbodyaccess" => {
            let on = match value.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                other => parse_on_off(other),
            };
            Ctl::RequestBodyAccess(on.ok_or_else(|| invalid("On or Off"))?)
        }
        "requestbodylimit" => Ctl::RequestBodyLimit(value.parse().map_err(|_| invalid("a number of bytes"))?),
        "requestbodyprocessor" => Ctl::RequestBodyProcessor(
            BodyProcessor::parse(value).ok_or_else(|| invalid("URLENCODED, MULTIPART, XML or JSON"))?,
        ),
        "ruleengine" => Ctl::RuleEngine(RuleEngine::parse(value).ok_or_else(|| invalid("On, Off or DetectionOnly"))?),
        "ruleremovebyid" => {
            Ctl::RuleRemoveById(IdRange::parse_list(value).ok_or_else(|| invalid("rule ids or ranges"))?)
        }
        "ruleremovebytag" => {
            if value.is_empty() {
                return Err(invalid("a tag"));
            }
            Ctl::RuleRemoveByTag(value.to_owned())
        }
        "ruleremovetargetbyid" | "ruleremovetargetbytag" => {
            let Some((which, targets_text)) = value.split_once(';') else {
                return Err(invalid("RULE;TARGET (e.g. 942100;ARGS:foo)"));
            };
            let targets_at = at + which.len() + 1;
            let targets = variables::parse_list(targets_text)
                .map_err(|e| (targets_at + e.offset, ActionErrorKind::InvalidTarget(e.kind)))?;
            if option.eq_ignore_ascii_case("ruleRemoveTargetById") {
                let ids = IdRange::parse_list(which).ok_or_else(|| invalid("a rule id or range before ';'"))?;
                Ctl::RuleRemoveTargetById { ids, targets }
            } else {
                if which.is_empty() {
                    return Err(invalid("a tag before ';'"));
                }
                Ctl::RuleRemoveTargetByTag { tag: which.to_owned(), targets }
            }
        }
        _ => return Err((0, ActionErrorKind::UnknownCtl { option: option.to_owned() })),
    };
    Ok(ctl)
}
