//! Operators (`@rx`, `@pm`, `@detectSQLi`, ...): compiled once when the rules load, then
//! evaluated against each (transformed) value, faithful to libmodsecurity v3 (3.0.14).
//!
//! [`Registry::compile`] turns an operator name and its argument, as written in the rule, into a
//! `Box<dyn` [`Operator`]`>`. Expensive work (regex translation and compilation, Aho-Corasick
//! automata, data files) happens there. Negation (`!@rx`) is the engine's job, not the
//! operator's.
//!
//! Arguments may hold macros (`@within %{tx.allowed_methods}`): wherever v3 expands them per
//! evaluation, so do these operators, through [`OpContext::resolver`]; a constant argument is
//! pre-computed at load. v3 does not expand macros in the arguments of `@pm`, `@pmFromFile`,
//! `@ipMatch`, `@ipMatchFromFile` and `@validateByteRange`: they are taken literally here too.
//!
//! # Organization
//! - [`pcre`]: the PCRE to `regex` translation used by [`rx`], with a required-byte prefilter.
//! - pattern matching: [`rx`], [`pm`], [`pm_from_file`].
//! - string comparisons: [`streq`], [`contains`], [`contains_word`], [`begins_with`],
//!   [`ends_with`], [`within`], [`strmatch`].
//! - numbers: [`compare`] (`@eq @ge @gt @le @lt`).
//! - addresses: [`ip_match`], [`ip_match_from_file`].
//! - validation: [`validate_byte_range`], [`validate_url_encoding`], [`validate_utf8_encoding`],
//!   [`verify_cc`] (credit card numbers), [`verify_cpf`], [`verify_ssn`], [`verify_svnr`]
//!   (identity numbers), all searching through [`candidates`].
//! - libinjection: [`detect_sqli`], [`detect_xss`].
//! - constants: [`unconditional`] (`@unconditionalMatch`, `@noMatch`).
//! - [`argument`]: operator arguments that may hold macros.
//! - [`byte_set`]: the bytes an operator requires of its input ([`Operator::required_bytes`]).

pub mod argument;
pub mod begins_with;
pub mod byte_set;
pub mod candidates;
pub mod compare;
pub mod contains;
pub mod contains_word;
pub mod detect_sqli;
pub mod detect_xss;
pub mod ends_with;
pub mod ip_match;
pub mod ip_match_from_file;
pub mod pcre;
pub mod pm;
pub mod pm_from_file;
pub mod rx;
pub mod streq;
pub mod strmatch;
pub mod unconditional;
pub mod validate_byte_range;
pub mod validate_url_encoding;
pub mod validate_utf8_encoding;
pub mod verify_cc;
pub mod verify_cpf;
pub mod verify_ssn;
pub mod verify_svnr;
pub mod within;

#[cfg(test)]
pub(crate) mod corpus;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::macros::Resolve;

pub use self::byte_set::ByteSet;

/// A compiled operator.
pub trait Operator: Send + Sync + fmt::Debug {
    /// Evaluates the operator against `input`, the value after its transformations. Returns
    /// true on a match (before any negation, which the engine applies).
    ///
    /// When `cx.captures` is `Some` (the rule has the `capture` action) and the operator matches,
    /// the operators that capture in v3 replace its content: `@rx` with its groups (0 = the whole
    /// match, as many groups as the pattern has, unset groups left out), `@pm`/`@pmFromFile` with
    /// the phrase found, `@detectSQLi` with the libinjection fingerprint, `@detectXSS` with the
    /// whole input. Other operators, and a failed match, leave it alone. The engine then writes
    /// each group present to `TX.<n>`; v3 leaves the other `TX.<n>` as they were.
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool;

    /// Sets of bytes such that every input [`evaluate`](Operator::evaluate) returns true for
    /// holds a byte of each (`@rx` with a prefilter, `@detectXSS`). The engine skips a rule when
    /// all the values it would test together lack one of them; an operator must only list
    /// sets for which that is exact. The default, no set, never lets a rule be skipped.
    fn required_bytes(&self) -> &[ByteSet] {
        &[]
    }
}

/// What an operator may use while evaluating.
pub struct OpContext<'a> {
    /// Expands the macros of the operator's argument (`%{tx.allowed_methods}`).
    pub resolver: &'a dyn Resolve,
    /// `Some` when the rule captures (see [`Operator::evaluate`]).
    pub captures: Option<&'a mut Captures>,
}

impl fmt::Debug for OpContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpContext").field("captures", &self.captures).finish_non_exhaustive()
    }
}

/// Capture groups filled by a matching operator: group `i` becomes `TX.i`. A group can be
/// unset (`(a)(b)?(c)` against `ac`), which a plain list of values could not tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captures {
    groups: Vec<Option<Vec<u8>>>,
}

impl Captures {
    /// No groups.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every group (keeps the allocation).
    pub fn clear(&mut self) {
        self.groups.clear();
    }

    /// Sets group `index` to `value`.
    pub fn set(&mut self, index: usize, value: &[u8]) {
        if self.groups.len() <= index {
            self.groups.resize(index + 1, None);
        }
        self.groups[index] = Some(value.to_vec());
    }

    /// Group `index`, if it was set.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.groups.get(index).and_then(Option::as_deref)
    }

    /// The groups that were set, in order: `(index, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.groups.iter().enumerate().filter_map(|(i, g)| g.as_deref().map(|v| (i, v)))
    }

    /// True when no group is set.
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(Option::is_none)
    }
}

/// Where the rule being compiled comes from.
#[derive(Debug, Clone, Copy)]
pub struct LoadContext<'a> {
    /// The directory of the rule file: relative data files (`@pmFromFile`, `@ipMatchFromFile`)
    /// are looked up there first, then in the process's working directory (v3 tries the working
    /// directory first; a rule set that relies on that order is rare).
    pub base_dir: &'a Path,
}

impl LoadContext<'_> {
    /// Finds a data file named in a rule.
    pub fn resolve(&self, name: &str) -> PathBuf {
        let path = Path::new(name);
        if path.is_absolute() {
            return path.to_path_buf();
        }
        let beside = self.base_dir.join(path);
        if beside.exists() || !path.exists() {
            beside
        } else {
            path.to_path_buf()
        }
    }
}

/// Why an operator could not be compiled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorError {
    /// No operator has that name.
    #[error("unknown operator `@{0}`")]
    Unknown(String),
    /// v3 knows the operator but rampart does not implement it.
    #[error("operator `@{0}` is not supported")]
    Unsupported(String),
    /// The `@rx` pattern could not be translated or compiled.
    #[error("@rx pattern {pattern:?}: {source}")]
    Regex {
        /// The pattern as written.
        pattern: String,
        /// What went wrong.
        source: pcre::CompileError,
    },
    /// A data file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file, as resolved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The argument is not valid for the operator.
    #[error("@{operator}: {reason}")]
    Argument {
        /// The operator's name.
        operator: &'static str,
        /// What is wrong with the argument.
        reason: String,
    },
}

/// Errors building a [`Registry`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two operators share a name (compared case-insensitively).
    #[error("operator name `{0}` is registered twice")]
    Duplicate(String),
}

/// Builds an operator from its argument as written in the rule.
pub type Factory = fn(&str, &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError>;

/// The operators a rule set may name. Built once, read-only afterwards.
#[derive(Default)]
pub struct Registry {
    by_name: HashMap<String, Factory>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Registry").field("operators", &names).finish()
    }
}

/// The operators rampart implements, under every name v3's lexer accepts.
const BUILTIN: &[(&str, Factory)] = &[
    ("beginsWith", begins_with::compile),
    ("contains", contains::compile),
    ("containsWord", contains_word::compile),
    ("detectSQLi", detect_sqli::compile),
    ("detectXSS", detect_xss::compile),
    ("endsWith", ends_with::compile),
    ("eq", compare::compile_eq),
    ("ge", compare::compile_ge),
    ("gt", compare::compile_gt),
    ("ipMatch", ip_match::compile),
    ("ipMatchF", ip_match_from_file::compile),
    ("ipMatchFromFile", ip_match_from_file::compile),
    ("le", compare::compile_le),
    ("lt", compare::compile_lt),
    ("noMatch", unconditional::compile_no_match),
    ("pm", pm::compile),
    ("pmf", pm_from_file::compile),
    ("pmFromFile", pm_from_file::compile),
    ("rx", rx::compile),
    ("streq", streq::compile),
    ("strmatch", strmatch::compile),
    ("unconditionalMatch", unconditional::compile_unconditional),
    ("validateByteRange", validate_byte_range::compile),
    ("validateUrlEncoding", validate_url_encoding::compile),
    ("validateUtf8Encoding", validate_utf8_encoding::compile),
    ("verifyCC", verify_cc::compile),
    ("verifyCPF", verify_cpf::compile),
    ("verifySSN", verify_ssn::compile),
    ("verifySVNR", verify_svnr::compile),
    ("within", within::compile),
];

/// Operators of v3 that rampart leaves out: compiling one is [`OperatorError::Unsupported`].
pub const UNSUPPORTED: &[&str] = &[
    "fuzzyHash",
    "geoLookup",
    "gsbLookup",
    "inspectFile",
    "rbl",
    "rsub",
    "rxGlobal",
    "validateDTD",
    "validateHash",
    "validateSchema",
];

impl Registry {
    /// A registry with no operators.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every operator rampart implements (see the module documentation).
    pub fn with_builtin() -> Self {
        let mut registry = Self::empty();
        for &(name, factory) in BUILTIN {
            registry.register(name, factory).expect("the builtin operator names are unique (checked by a unit test)");
        }
        registry
    }

    /// Adds an operator under `name` (without `@`, matched case-insensitively).
    pub fn register(&mut self, name: &str, factory: Factory) -> Result<(), RegistryError> {
        let key = name.to_ascii_lowercase();
        if self.by_name.contains_key(&key) {
            return Err(RegistryError::Duplicate(name.to_owned()));
        }
        self.by_name.insert(key, factory);
        Ok(())
    }

    /// True when `name` (with or without `@`) is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(&key_of(name))
    }

    /// Compiles operator `name` (`rx`, `@rx`, `PmFromFile`, ...) with `argument`, the text after
    /// the name as SecLang unquoted it (`@rx` implied by a rule with no operator is the caller's
    /// business).
    pub fn compile(
        &self,
        name: &str,
        argument: &str,
        cx: &LoadContext<'_>,
    ) -> Result<Box<dyn Operator>, OperatorError> {
        let key = key_of(name);
        match self.by_name.get(&key) {
            Some(factory) => factory(argument, cx),
            None if UNSUPPORTED.iter().any(|u| u.eq_ignore_ascii_case(&key)) => {
                Err(OperatorError::Unsupported(name.trim_start_matches('@').to_owned()))
            }
            None => Err(OperatorError::Unknown(name.trim_start_matches('@').to_owned())),
        }
    }
}

fn key_of(name: &str) -> String {
    name.strip_prefix('@').unwrap_or(name).to_ascii_lowercase()
}
