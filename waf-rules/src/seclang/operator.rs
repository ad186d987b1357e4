//! The operator of a `SecRule`: `[!]@name argument`, or a bare pattern meaning `@rx`.
//!
//! As in libmodsecurity v3, exactly one space separates the name from its argument (further
//! spaces belong to the argument), and the argument is kept as written: escapes and
//! `%{macros}` are for the engine to interpret when it compiles the operator.

use super::error::OperatorErrorKind;

/// A parsed operator, not yet compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSpec {
    /// Canonical name without `@` (`rx`, `pmFromFile`; aliases such as `pmf` are resolved).
    pub name: &'static str,
    /// The argument as written (may be empty for operators that take none).
    pub argument: String,
    /// `!@...`: the rule matches when the operator does not.
    pub negated: bool,
}

/// One known operator.
struct Known {
    name: &'static str,
    takes_argument: bool,
}

const fn op(name: &'static str, takes_argument: bool) -> Known {
    Known { name, takes_argument }
}

/// The libmodsecurity v3 operators (canonical spelling).
const OPERATORS: &[Known] = &[
    op("beginsWith", true),
    op("contains", true),
    op("containsWord", true),
    op("detectSQLi", false),
    op("detectXSS", false),
    op("endsWith", true),
    op("eq", true),
    op("fuzzyHash", true),
    op("ge", true),
    op("geoLookup", false),
    op("gsbLookup", true),
    op("gt", true),
    op("inspectFile", true),
    op("ipMatch", true),
    op("ipMatchFromFile", true),
    op("le", true),
    op("lt", true),
    op("pm", true),
    op("pmFromFile", true),
    op("rbl", true),
    op("rsub", true),
    op("rx", true),
    op("rxGlobal", true),
    op("streq", true),
    op("strmatch", true),
    op("unconditionalMatch", false),
    op("validateByteRange", true),
    op("validateDTD", true),
    op("validateHash", true),
    op("validateSchema", true),
    op("validateUrlEncoding", false),
    op("validateUtf8Encoding", false),
    op("verifyCC", true),
    op("verifyCPF", true),
    op("verifySSN", true),
    op("verifySVNR", true),
    op("within", true),
];

/// Short names libmodsecurity accepts for the same operators.
const ALIASES: &[(&str, &str)] = &[("pmf", "pmFromFile"), ("ipMatchF", "ipMatchFromFile")];

/// The known operator names, for error messages.
pub(crate) fn operator_list() -> String {
    OPERATORS.iter().map(|o| format!("@{}", o.name)).collect::<Vec<_>>().join(", ")
}

fn lookup(name: &str) -> Option<&'static Known> {
    let canonical = ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(name)).map_or(name, |(_, c)| c);
    OPERATORS.iter().find(|o| o.name.eq_ignore_ascii_case(canonical))
}

/// The operator that `SecAction` rules carry: they match unconditionally.
pub(crate) fn unconditional() -> OperatorSpec {
    OperatorSpec { name: "unconditionalMatch", argument: String::new(), negated: false }
}

/// True when `text` (a bare, unquoted argument) is just an operator name that needs an
/// argument, so the next bare argument is that argument (`SecRule ARGS @rx foo`).
pub(crate) fn wants_separate_argument(text: &str) -> bool {
    let name = text.strip_prefix('!').unwrap_or(text);
    name.strip_prefix('@').and_then(lookup).is_some_and(|k| k.takes_argument)
}

/// Parses the operator text. Errors carry the byte offset they refer to.
pub(crate) fn parse(text: &str) -> Result<OperatorSpec, (usize, OperatorErrorKind)> {
    let (negated, rest, start) = match text.strip_prefix('!') {
        Some(rest) => (true, rest, 1),
        None => (false, text, 0),
    };
    let Some(after_at) = rest.strip_prefix('@') else {
        if rest.is_empty() {
            return Err((start, OperatorErrorKind::MissingArgument { name: "rx" }));
        }
        return Ok(OperatorSpec { name: "rx", argument: rest.to_owned(), negated });
    };
    let name_len = after_at.find([' ', '\t']).unwrap_or(after_at.len());
    let written = &after_at[..name_len];
    let known = lookup(written).ok_or_else(|| (start, OperatorErrorKind::Unknown { name: written.to_owned() }))?;
    // Exactly one blank separates the name from the argument.
    let argument = after_at.get(name_len + 1..).unwrap_or_default();
    let arg_offset = start + 1 + name_len + 1;
    if known.takes_argument && argument.is_empty() {
        return Err((start, OperatorErrorKind::MissingArgument { name: known.name }));
    }
    if !known.takes_argument && !argument.trim().is_empty() {
        let found = argument.trim().to_owned();
        return Err((arg_offset, OperatorErrorKind::UnexpectedArgument { name: known.name, found }));
    }
    let argument = if known.takes_argument { argument.to_owned() } else { String::new() };
    Ok(OperatorSpec { name: known.name, argument, negated })
}
