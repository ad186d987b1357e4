//! One raw `name[:value]` to one typed [`Action`].

use crate::macros::MacroString;

use super::list::{RawAction, RawValue};
use super::values::{AllowScope, Disruptive, Phase, Severity};
use super::{ctl, setvar, transformation, Action, ActionError, ActionErrorKind};

/// Actions libmodsecurity v3 knows but rejects (or that need Lua), with the reason.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("append", "libmodsecurity v3 does not support content injection"),
    ("prepend", "libmodsecurity v3 does not support content injection"),
    ("deprecatevar", "libmodsecurity v3 does not support it"),
    ("exec", "external scripts (Lua) are not run by this engine"),
    ("pause", "libmodsecurity v3 does not support it"),
    ("proxy", "libmodsecurity v3 does not support it"),
];

/// Converts one raw action.
pub(crate) fn parse_raw(raw: &RawAction<'_>) -> Result<Action, ActionError> {
    let lower = raw.name.to_ascii_lowercase();
    let flag = |action: Action| -> Result<Action, ActionError> {
        match raw.value {
            Some(v) => Err(ActionError::new(v.offset, ActionErrorKind::UnexpectedValue { action: action.name() })),
            None => Ok(action),
        }
    };
    let action = match lower.as_str() {
        "chain" => flag(Action::Chain)?,
        "capture" => flag(Action::Capture)?,
        "multimatch" => flag(Action::MultiMatch)?,
        "log" => flag(Action::Log)?,
        "nolog" => flag(Action::NoLog)?,
        "auditlog" => flag(Action::AuditLog)?,
        "noauditlog" => flag(Action::NoAuditLog)?,
        "block" => flag(Action::Disruptive(Disruptive::Block))?,
        "deny" => flag(Action::Disruptive(Disruptive::Deny))?,
        "drop" => flag(Action::Disruptive(Disruptive::Drop))?,
        "pass" => flag(Action::Disruptive(Disruptive::Pass))?,
        "sanitisematched" => flag(Action::SanitiseMatched)?,
        "allow" => {
            let scope = match raw.value {
                None => AllowScope::Transaction,
                Some(v) => match v.text.to_ascii_lowercase().as_str() {
                    "phase" => AllowScope::Phase,
                    "request" => AllowScope::Request,
                    _ => return Err(invalid(v, "allow", "nothing, 'phase' or 'request'")),
                },
            };
            Action::Disruptive(Disruptive::Allow(scope))
        }
        "sanitisematchedbytes" => Action::SanitiseMatchedBytes(raw.value.map(|v| v.text.to_owned())),
        _ => parse_valued(raw, &lower)?,
    };
    Ok(action)
}

/// Actions that need a value.
fn parse_valued(raw: &RawAction<'_>, lower: &str) -> Result<Action, ActionError> {
    let need = |action: &'static str, expected: &'static str| {
        raw.value.ok_or_else(|| ActionError::new(raw.offset, ActionErrorKind::MissingValue { action, expected }))
    };
    let action = match lower {
        "id" => {
            let v = need("id", "a positive number")?;
            match v.text.parse::<u64>() {
                Ok(id) if id > 0 => Action::Id(id),
                _ => return Err(invalid(v, "id", "a positive number")),
            }
        }
        "phase" => {
            let v = need("phase", "1-5, request, response or logging")?;
            Action::Phase(Phase::parse(v.text).ok_or_else(|| invalid(v, "phase", "1-5, request, response or logging"))?)
        }
        "msg" => Action::Msg(MacroString::parse(need("msg", "a message")?.text)),
        "logdata" => Action::LogData(MacroString::parse(need("logdata", "the data to log")?.text)),
        "tag" => Action::Tag(MacroString::parse(need("tag", "a tag")?.text)),
        "severity" => {
            let v = need("severity", "a name or 0-7")?;
            let expected = "0-7 or EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG";
            Action::Severity(Severity::parse(v.text).ok_or_else(|| invalid(v, "severity", expected))?)
        }
        "ver" => Action::Ver(need("ver", "a version")?.text.to_owned()),
        "rev" => Action::Rev(need("rev", "a revision")?.text.to_owned()),
        "maturity" => Action::Maturity(number(need("maturity", "a number")?, "maturity", "a number 0-255")?),
        "accuracy" => Action::Accuracy(number(need("accuracy", "a number")?, "accuracy", "a number 0-255")?),
        "skip" => {
            let v = need("skip", "a number of rules")?;
            match v.text.parse::<u32>() {
                Ok(n) if n > 0 => Action::Skip(n),
                _ => return Err(invalid(v, "skip", "a positive number of rules")),
            }
        }
        "skipafter" => {
            let v = need("skipAfter", "a marker name")?;
            if v.text.is_empty() {
                return Err(invalid(v, "skipAfter", "a marker name"));
            }
            Action::SkipAfter(v.text.to_owned())
        }
        "status" => Action::Status(number(need("status", "an HTTP status")?, "status", "an HTTP status code")?),
        "redirect" => Action::Disruptive(Disruptive::Redirect(MacroString::parse(need("redirect", "a URL")?.text))),
        "t" => {
            let v = need("t", "a transformation name")?;
            let name = transformation::canonical_transformation(v.text).ok_or_else(|| {
                ActionError::new(v.offset, ActionErrorKind::UnknownTransformation { name: v.text.to_owned() })
            })?;
            Action::Transformation(name)
        }
        "setvar" => {
            let v = need("setvar", "collection.key[=value]")?;
            Action::SetVar(setvar::parse_setvar(v.text).map_err(|e| located(v, e))?)
        }
        "expirevar" => {
            let v = need("expirevar", "collection.key=seconds")?;
            Action::ExpireVar(setvar::parse_expirevar(v.text).map_err(|e| located(v, e))?)
        }
        "initcol" => {
            let v = need("initcol", "collection=key")?;
            Action::InitCol(setvar::parse_initcol(v.text).map_err(|e| located(v, e))?)
        }
        "setenv" => {
            let v = need("setenv", "name=value")?;
            Action::SetEnv(setvar::parse_setenv(v.text).map_err(|e| located(v, e))?)
        }
        "setuid" => Action::SetUid(MacroString::parse(need("setuid", "a user id")?.text)),
        "setsid" => Action::SetSid(MacroString::parse(need("setsid", "a session id")?.text)),
        "setrsc" => Action::SetRsc(MacroString::parse(need("setrsc", "a resource name")?.text)),
        "sanitisearg" => Action::SanitiseArg(need("sanitiseArg", "an argument name")?.text.to_owned()),
        "sanitiserequestheader" => {
            Action::SanitiseRequestHeader(need("sanitiseRequestHeader", "a header name")?.text.to_owned())
        }
        "sanitiseresponseheader" => {
            Action::SanitiseResponseHeader(need("sanitiseResponseHeader", "a header name")?.text.to_owned())
        }
        "ctl" => {
            let v = need("ctl", "option=value")?;
            Action::Ctl(ctl::parse_ctl(v.text).map_err(|e| located(v, e))?)
        }
        "xmlns" => {
            let v = need("xmlns", "prefix=uri")?;
            match v.text.split_once('=') {
                Some((prefix, uri)) if !prefix.is_empty() && !uri.is_empty() => {
                    Action::XmlNs { prefix: prefix.to_owned(), uri: uri.to_owned() }
                }
                _ => return Err(invalid(v, "xmlns", "prefix=uri")),
            }
        }
        _ => {
            let kind = match UNSUPPORTED.iter().find(|(name, _)| *name == lower) {
                Some((_, reason)) => ActionErrorKind::Unsupported { name: raw.name.to_owned(), reason },
                None => ActionErrorKind::UnknownAction { name: raw.name.to_owned() },
            };
            return Err(ActionError::new(raw.offset, kind));
        }
    };
    Ok(action)
}

fn invalid(v: RawValue<'_>, action: &'static str, expected: &'static str) -> ActionError {
    ActionError::new(v.offset, ActionErrorKind::InvalidValue { action, value: v.text.to_owned(), expected })
}

fn number<T: std::str::FromStr>(
    v: RawValue<'_>,
    action: &'static str,
    expected: &'static str,
) -> Result<T, ActionError> {
    v.text.parse().map_err(|_| invalid(v, action, expected))
}

/// Places an error from a value parser at its position in the list.
fn located(v: RawValue<'_>, (offset, kind): setvar::ValueError) -> ActionError {
    ActionError::new(v.offset + offset, kind)
}
