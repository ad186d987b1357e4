//! Load errors, each with the file, line and column it is about.

use std::fmt;
use std::sync::Arc;

use crate::actions::ActionErrorKind;
use crate::variables::VariableErrorKind;

/// A position in a configuration file: `rules/x.conf:12:40`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file as it was named (the path given, or joined to the including file's directory).
    pub file: Arc<str>,
    /// 1-based line; 0 when the error is about the file as a whole.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Location {
    /// The whole file (line and column 0).
    pub fn file(file: Arc<str>) -> Self {
        Self { file, line: 0, column: 0 }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// Why a configuration did not load. Loading stops at the first error; nothing is returned.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct SeclangError {
    /// Where.
    pub location: Location,
    /// What.
    pub kind: ErrorKind,
}

impl SeclangError {
    pub(crate) fn new(location: Location, kind: ErrorKind) -> Self {
        Self { location, kind }
    }
}

/// The kinds of [`SeclangError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path tried.
        path: String,
        /// The system error.
        source: std::io::Error,
    },
    /// A directive name that is not SecLang (or not supported).
    #[error("unknown directive \"{name}\" (expected one of {expected})")]
    UnknownDirective {
        /// The name as written.
        name: String,
        /// The directives accepted.
        expected: &'static str,
    },
    /// A directive libmodsecurity v3 knows but this engine does not accept.
    #[error("{directive} is not supported: {reason}")]
    UnsupportedDirective {
        /// The directive.
        directive: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A required argument is missing.
    #[error("{directive}: missing {what} (usage: {usage})")]
    MissingArgument {
        /// The directive.
        directive: &'static str,
        /// The argument that is missing.
        what: &'static str,
        /// The directive's syntax.
        usage: &'static str,
    },
    /// More arguments than the directive takes.
    #[error("{directive}: unexpected argument \"{found}\" (usage: {usage})")]
    UnexpectedArgument {
        /// The directive.
        directive: &'static str,
        /// The extra argument.
        found: String,
        /// The directive's syntax.
        usage: &'static str,
    },
    /// An argument with a value the directive does not accept.
    #[error("{directive}: invalid value \"{value}\" (expected {expected})")]
    InvalidValue {
        /// The directive.
        directive: &'static str,
        /// The value as written.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A quoted argument that is never closed.
    #[error("missing closing {quote} quote")]
    UnterminatedQuote {
        /// `"` or `'`.
        quote: char,
    },
    /// A bad target list.
    #[error("{0}")]
    Variable(VariableErrorKind),
    /// A bad operator.
    #[error("{0}")]
    Operator(OperatorErrorKind),
    /// A bad action.
    #[error("{0}")]
    Action(ActionErrorKind),
    /// A rule (not part of a chain) without `id`.
    #[error("rule has no id (every SecRule and SecAction needs id:N, except the chained rules after the first)")]
    MissingId,
    /// Two rules with the same id.
    #[error("duplicate rule id {id} (first defined at {first})")]
    DuplicateId {
        /// The id.
        id: u64,
        /// Where it was first used.
        first: Location,
    },
    /// An action that a chained rule (after the first) may not carry.
    #[error("action \"{action}\" is not allowed in a chained rule; only the chain starter may have it")]
    NotInChainedRule {
        /// The action.
        action: &'static str,
    },
    /// `chain` with no `SecRule` after it.
    #[error("rule has \"chain\" but no SecRule follows it{}", next.map(|n| format!(" (found {n})")).unwrap_or_default())]
    DanglingChain {
        /// The directive found instead, if any.
        next: Option<&'static str>,
    },
    /// More chained rules than [`MAX_CHAIN`](super::MAX_CHAIN) in one chain.
    #[error("chain longer than {max} rules")]
    ChainTooLong {
        /// The limit.
        max: usize,
    },
    /// An action not allowed in a particular directive.
    #[error("{directive}: action \"{action}\" is not allowed here ({reason})")]
    ActionNotAllowed {
        /// The directive.
        directive: &'static str,
        /// The action.
        action: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// `SecDefaultAction` without a phase or without a disruptive action.
    #[error("SecDefaultAction must specify {0}")]
    DefaultActionIncomplete(&'static str),
    /// A second `SecDefaultAction` for the same phase.
    #[error("SecDefaultAction for phase {phase} was already given at {first}")]
    DuplicateDefaultAction {
        /// The phase.
        phase: u8,
        /// The first one.
        first: Location,
    },
    /// An `Include` whose file or pattern matches nothing.
    #[error("Include: no file matches \"{pattern}\" (use IncludeOptional for files that may be absent)")]
    IncludeNotFound {
        /// The path or pattern, resolved against the including file's directory.
        pattern: String,
    },
    /// A file that (indirectly) includes itself.
    #[error("Include cycle: {path} is already being loaded")]
    IncludeCycle {
        /// The file.
        path: String,
    },
    /// Includes nested too deeply.
    #[error("Include nesting deeper than {max} files")]
    IncludeTooDeep {
        /// The limit.
        max: usize,
    },
}

/// Operator problems.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorErrorKind {
    /// `@name` that is not a ModSecurity v3 operator.
    #[error("unknown operator \"@{name}\" (expected one of {})", super::operator::operator_list())]
    Unknown {
        /// The name as written.
        name: String,
    },
    /// An operator that needs an argument has none (`@rx` alone, or an empty pattern).
    #[error("operator @{name} needs an argument")]
    MissingArgument {
        /// The operator.
        name: &'static str,
    },
    /// An operator that takes no argument was given one.
    #[error("operator @{name} takes no argument (found \"{found}\")")]
    UnexpectedArgument {
        /// The operator.
        name: &'static str,
        /// The argument.
        found: String,
    },
}
