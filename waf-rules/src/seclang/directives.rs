//! One logical line to its effect: a rule, a marker, a default action, an exclusion applied to
//! the rules so far, a setting, or an include for the loader to follow. Directive names match
//! ASCII case-insensitively, as in libmodsecurity.

use std::path::Path;

use crate::actions::IdRange;
use crate::variables;

use super::assemble::{Assembler, ParsedRule, Selection};
use super::error::{ErrorKind, Location, SeclangError};
use super::lexer::{Arg, Args};
use super::operator;
use super::rule::{MarkerSpec, RuleKind};
use super::settings::{self, Settings};
use super::source::Logical;

/// Every directive accepted, for the unknown-directive message (checked by a test against the
/// lists in the code).
pub(crate) const ALL_DIRECTIVES: &str = "Include, IncludeOptional, SecAction, SecArgumentSeparator, \
SecArgumentsLimit, SecAuditEngine, SecAuditLog, SecAuditLog2, SecAuditLogDirMode, SecAuditLogFileMode, \
SecAuditLogFormat, SecAuditLogParts, SecAuditLogRelevantStatus, SecAuditLogStorageDir, SecAuditLogType, \
SecCollectionTimeout, SecComponentSignature, SecCookieFormat, SecCookieV0Separator, SecDataDir, SecDebugLog, \
SecDebugLogLevel, SecDefaultAction, SecGeoLookupDb, SecMarker, SecPcreMatchLimit, SecPcreMatchLimitRecursion, \
SecRequestBodyAccess, SecRequestBodyInMemoryLimit, SecRequestBodyJsonDepthLimit, SecRequestBodyLimit, \
SecRequestBodyLimitAction, SecRequestBodyNoFilesLimit, SecResponseBodyAccess, SecResponseBodyLimit, \
SecResponseBodyLimitAction, SecResponseBodyMimeType, SecResponseBodyMimeTypesClear, SecRule, SecRuleEngine, \
SecRuleRemoveById, SecRuleRemoveByMsg, SecRuleRemoveByTag, SecRuleUpdateActionById, SecRuleUpdateTargetById, \
SecRuleUpdateTargetByMsg, SecRuleUpdateTargetByTag, SecServerSignature, SecStatusEngine, SecTmpDir, \
SecTmpSaveUploadedFiles, SecUnicodeMapFile, SecUploadDir, SecUploadFileLimit, SecUploadFileMode, \
SecUploadKeepFiles, SecWebAppId, SecXmlExternalEntity";

/// The rule and exclusion directives handled here (settings are in [`settings`]).
pub(crate) const RULE_DIRECTIVES: &[&str] = &[
    "Include",
    "IncludeOptional",
    "SecAction",
    "SecDefaultAction",
    "SecMarker",
    "SecRule",
    "SecRuleRemoveById",
    "SecRuleRemoveByMsg",
    "SecRuleRemoveByTag",
    "SecRuleUpdateActionById",
    "SecRuleUpdateTargetById",
    "SecRuleUpdateTargetByMsg",
    "SecRuleUpdateTargetByTag",
];

/// libmodsecurity v3 directives this engine refuses, with the reason.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("SecRuleScript", "Lua rules are not run by this engine"),
    ("SecRemoteRules", "rules are not downloaded at load time; vendor them and use Include"),
    ("SecRemoteRulesFailAction", "SecRemoteRules is not supported"),
];

/// The mutable state a line can change.
pub(crate) struct State {
    pub settings: Settings,
    pub assembler: Assembler,
}

/// What the loader must do after a line.
pub(crate) enum Outcome {
    /// Nothing more.
    Done,
    /// Load the files `pattern` names (relative to the current file's directory).
    Include {
        /// The path or glob as written.
        pattern: String,
        /// `IncludeOptional`: no error when nothing matches.
        optional: bool,
        /// Where the directive is.
        location: Location,
    },
}

/// Applies one logical line.
pub(crate) fn handle(line: &Logical, state: &mut State, base_dir: &Path) -> Result<Outcome, SeclangError> {
    let mut args = Args::new(line);
    let Some(name) = args.next_arg()? else { return Ok(Outcome::Done) };
    let lower = name.text.to_ascii_lowercase();
    let location = args.at(&name, 0);
    if settings::apply(&lower, &mut args, name.offset, &mut state.settings, base_dir)? {
        return Ok(Outcome::Done);
    }
    let Some(&directive) = RULE_DIRECTIVES.iter().find(|d| d.eq_ignore_ascii_case(&lower)) else {
        if let Some((directive, reason)) = UNSUPPORTED.iter().find(|(d, _)| d.eq_ignore_ascii_case(&lower)) {
            return Err(SeclangError::new(location, ErrorKind::UnsupportedDirective { directive, reason }));
        }
        let kind = ErrorKind::UnknownDirective { name: name.text.to_owned(), expected: ALL_DIRECTIVES };
        return Err(SeclangError::new(location, kind));
    };
    let usage = usage(directive);
    let missing =
        |what: &'static str| SeclangError::new(location.clone(), ErrorKind::MissingArgument { directive, what, usage });
    let a = &mut state.assembler;
    match directive {
        "SecRule" => {
            let vars = args.next_arg()?.ok_or_else(|| missing("variables"))?;
            let variables = variables::parse_list(vars.text)
                .map_err(|e| SeclangError::new(args.at(&vars, e.offset), ErrorKind::Variable(e.kind)))?;
            let op = args.next_arg()?.ok_or_else(|| missing("operator"))?;
            let mut op_text = op.text.to_owned();
            if !op.quoted && operator::wants_separate_argument(op.text) {
                if let Some(param) = args.next_arg()? {
                    op_text = format!("{} {}", op.text, param.text);
                }
            }
            let operator = operator::parse(&op_text)
                .map_err(|(offset, kind)| SeclangError::new(args.at(&op, offset), ErrorKind::Operator(kind)))?;
            let actions = args.next_actions()?.unwrap_or_default();
            args.finish(directive, usage)?;
            a.add_rule(ParsedRule { kind: RuleKind::SecRule, variables, operator, actions, location })?;
        }
        "SecAction" => {
            let actions = args.next_actions()?.ok_or_else(|| missing("actions"))?;
            args.finish(directive, usage)?;
            let operator = operator::unconditional();
            a.add_rule(ParsedRule { kind: RuleKind::SecAction, variables: Vec::new(), operator, actions, location })?;
        }
        "SecDefaultAction" => {
            let actions = args.next_actions()?.ok_or_else(|| missing("actions"))?;
            args.finish(directive, usage)?;
            a.set_default(actions, location)?;
        }
        "SecMarker" => {
            let marker = args.next_arg()?.ok_or_else(|| missing("marker name"))?;
            args.finish(directive, usage)?;
            if marker.text.is_empty() {
                return Err(missing("marker name"));
            }
            a.add_marker(MarkerSpec { name: marker.text.to_owned(), location })?;
        }
        "Include" | "IncludeOptional" => {
            let path = args.next_arg()?.ok_or_else(|| missing("path"))?;
            args.finish(directive, usage)?;
            let optional = directive == "IncludeOptional";
            return Ok(Outcome::Include { pattern: path.text.to_owned(), optional, location });
        }
        "SecRuleRemoveById" => {
            let list = args.rest()?;
            if list.is_empty() {
                return Err(missing("rule ids"));
            }
            let mut ranges = Vec::new();
            for arg in &list {
                ranges.extend(id_ranges(&args, arg, directive)?);
            }
            a.remove_by_id(&ranges);
        }
        "SecRuleRemoveByTag" | "SecRuleRemoveByMsg" => {
            let arg = args
                .next_arg()?
                .ok_or_else(|| missing(if directive == "SecRuleRemoveByTag" { "tag" } else { "message" }))?;
            args.finish(directive, usage)?;
            if directive == "SecRuleRemoveByTag" {
                a.remove_by_tag(arg.text);
            } else {
                a.remove_by_msg(arg.text);
            }
        }
        "SecRuleUpdateTargetById" | "SecRuleUpdateTargetByTag" | "SecRuleUpdateTargetByMsg" => {
            let which = args.next_arg()?.ok_or_else(|| missing("rule selector"))?;
            let targets_arg = args.next_arg()?.ok_or_else(|| missing("targets"))?;
            if let Some(extra) = args.next_arg()? {
                let reason = "replacing a target (third argument) is not supported by libmodsecurity v3";
                let kind = ErrorKind::UnsupportedDirective { directive, reason };
                return Err(SeclangError::new(args.at(&extra, 0), kind));
            }
            args.finish(directive, usage)?;
            let targets = variables::parse_list(targets_arg.text)
                .map_err(|e| SeclangError::new(args.at(&targets_arg, e.offset), ErrorKind::Variable(e.kind)))?;
            let ranges;
            let selection = match directive {
                "SecRuleUpdateTargetById" => {
                    ranges = id_ranges(&args, &which, directive)?;
                    Selection::Ids(&ranges)
                }
                "SecRuleUpdateTargetByTag" => Selection::Tag(which.text),
                _ => Selection::Msg(which.text),
            };
            a.update_targets(&selection, &targets);
        }
        "SecRuleUpdateActionById" => {
            let which = args.next_arg()?.ok_or_else(|| missing("rule id"))?;
            let ranges = id_ranges(&args, &which, directive)?;
            let actions = args.next_actions()?.ok_or_else(|| missing("actions"))?;
            args.finish(directive, usage)?;
            a.update_actions(&ranges, actions)?;
        }
        _ => {
            let kind = ErrorKind::UnknownDirective { name: name.text.to_owned(), expected: ALL_DIRECTIVES };
            return Err(SeclangError::new(location, kind));
        }
    }
    Ok(Outcome::Done)
}

/// Rule ids and ranges in one argument.
fn id_ranges(args: &Args<'_>, arg: &Arg<'_>, directive: &'static str) -> Result<Vec<IdRange>, SeclangError> {
    IdRange::parse_list(arg.text).ok_or_else(|| {
        let kind = ErrorKind::InvalidValue {
            directive,
            value: arg.text.to_owned(),
            expected: "rule ids or ranges such as 942100 or 942100-942199",
        };
        SeclangError::new(args.at(arg, 0), kind)
    })
}

fn usage(directive: &str) -> &'static str {
    match directive {
        "SecRule" => "SecRule VARIABLES \"OPERATOR\" [\"ACTIONS\"]",
        "SecAction" => "SecAction \"ACTIONS\"",
        "SecDefaultAction" => "SecDefaultAction \"phase:N,DISRUPTIVE_ACTION,...\"",
        "SecMarker" => "SecMarker NAME",
        "Include" => "Include PATH_OR_GLOB",
        "IncludeOptional" => "IncludeOptional PATH_OR_GLOB",
        "SecRuleRemoveById" => "SecRuleRemoveById ID|FROM-TO ...",
        "SecRuleRemoveByTag" => "SecRuleRemoveByTag TAG",
        "SecRuleRemoveByMsg" => "SecRuleRemoveByMsg MESSAGE",
        "SecRuleUpdateTargetById" => "SecRuleUpdateTargetById ID \"TARGETS\"",
        "SecRuleUpdateTargetByTag" => "SecRuleUpdateTargetByTag TAG \"TARGETS\"",
        "SecRuleUpdateTargetByMsg" => "SecRuleUpdateTargetByMsg MESSAGE \"TARGETS\"",
        "SecRuleUpdateActionById" => "SecRuleUpdateActionById ID \"ACTIONS\"",
        _ => "",
    }
}
