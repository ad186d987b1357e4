//! The SecLang (ModSecurity v3 configuration) parser: loads files or strings into a validated,
//! assembled [`RuleSetSpec`] (typed rules, markers, settings) for the engine to compile.
//!
//! ```no_run
//! let spec = waf_rules::seclang::load_file("/etc/rampart/waf/main.conf")?;
//! for rule in spec.rules() {
//!     println!("{:?} phase {} @{}", rule.id, rule.phase, rule.operator.name);
//! }
//! # Ok::<(), waf_rules::seclang::SeclangError>(())
//! ```
//!
//! Syntax: one directive per logical line; a `\` at the end of a line continues it; lines
//! starting with `#` are comments; arguments are bare, `"double-quoted"` or `'single-quoted'`,
//! with backslash escapes kept as written. Loading stops at the first error, which names
//! `file:line:column` and what was expected; no partial rule set is returned.
//!
//! Behaviour follows libmodsecurity v3 (3.0.x), the engine the CRS tests assume; where it
//! differs from ModSecurity v2 the module docs say so. Exclusion directives
//! (`SecRuleRemove*`, `SecRuleUpdate*`) apply to the rules loaded before them.
//!
//! # Organization
//! - `source`: logical lines (continuations, comments) with positions.
//! - `lexer`: arguments and action lists of one line.
//! - `directives`: what each directive does.
//! - [`settings`](Settings): the engine settings directives.
//! - [`operator`](OperatorSpec): `[!]@name argument`.
//! - `assemble`: chains, ids, exclusions, `SecDefaultAction` merging.
//! - [`rule`](RuleSpec): the resulting data types.
//! - `include`: `Include` paths and globs.
//! - [`error`](SeclangError): errors with locations.
//! - [`fuzz`]: the body of the `seclang` fuzz target, callable from stable tests.
//! - `tests.rs` (and `tests/`): unit tests and the CRS load test.

mod assemble;
pub(crate) mod directives;
mod error;
pub mod fuzz;
mod include;
mod lexer;
mod operator;
mod rule;
pub(crate) mod settings;
mod source;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use assemble::MAX_CHAIN;
pub use error::{ErrorKind, Location, OperatorErrorKind, SeclangError};
pub use operator::OperatorSpec;
pub use rule::{DefaultActionSpec, Item, MarkerSpec, RuleKind, RuleSetSpec, RuleSpec};
pub use settings::{AuditLogFormat, AuditLogType, AuditSettings, BodyLimitAction, Settings, UnicodeMap};

use directives::{Outcome, State};

/// How deeply `Include`s may nest.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// Loads the configuration file at `path` and everything it includes.
pub fn load_file(path: impl AsRef<Path>) -> Result<RuleSetSpec, SeclangError> {
    let path = path.as_ref();
    let mut loader = Loader::new();
    loader.load_path(path, Arc::from(path.display().to_string()), None)?;
    loader.finish()
}

/// Loads configuration text. `name` is used in error locations; relative `Include` paths are
/// resolved against `base_dir`.
pub fn load_str(name: &str, text: &str, base_dir: impl AsRef<Path>) -> Result<RuleSetSpec, SeclangError> {
    let mut loader = Loader::new();
    loader.load_text(&Arc::from(name), text, base_dir.as_ref())?;
    loader.finish()
}

/// Follows includes and feeds every line to the directive handler.
struct Loader {
    state: State,
    /// Canonical paths of the files being loaded, outermost first.
    stack: Vec<PathBuf>,
}

impl Loader {
    fn new() -> Self {
        Self { state: State { settings: Settings::default(), assembler: Default::default() }, stack: Vec::new() }
    }

    fn finish(self) -> Result<RuleSetSpec, SeclangError> {
        self.state.assembler.finish(self.state.settings)
    }

    /// Loads one file; `from` is the `Include` that names it.
    fn load_path(&mut self, path: &Path, name: Arc<str>, from: Option<&Location>) -> Result<(), SeclangError> {
        let at = || from.cloned().unwrap_or_else(|| Location::file(name.clone()));
        let io_error =
            |source: std::io::Error| SeclangError::new(at(), ErrorKind::Io { path: name.to_string(), source });
        let canonical = std::fs::canonicalize(path).map_err(io_error)?;
        if self.stack.contains(&canonical) {
            return Err(SeclangError::new(at(), ErrorKind::IncludeCycle { path: name.to_string() }));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(SeclangError::new(at(), ErrorKind::IncludeTooDeep { max: MAX_INCLUDE_DEPTH }));
        }
        let text = std::fs::read_to_string(&canonical).map_err(io_error)?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        self.stack.push(canonical);
        let result = self.load_text(&name, &text, &base_dir);
        self.stack.pop();
        result
    }

    fn load_text(&mut self, name: &Arc<str>, text: &str, base_dir: &Path) -> Result<(), SeclangError> {
        for line in source::logical_lines(name, text) {
            match directives::handle(&line, &mut self.state, base_dir)? {
                Outcome::Done => {}
                Outcome::Include { pattern, optional, location } => {
                    self.include(base_dir, &pattern, optional, &location)?;
                }
            }
        }
        Ok(())
    }

    fn include(&mut self, base_dir: &Path, pattern: &str, optional: bool, at: &Location) -> Result<(), SeclangError> {
        let mut paths = include::expand(base_dir, pattern);
        if !include::has_wildcard(pattern) {
            paths.retain(|p| p.exists());
        }
        if paths.is_empty() {
            if optional {
                return Ok(());
            }
            let pattern = base_dir.join(pattern).display().to_string();
            return Err(SeclangError::new(at.clone(), ErrorKind::IncludeNotFound { pattern }));
        }
        for path in paths {
            let name = Arc::from(path.display().to_string());
            self.load_path(&path, name, Some(at))?;
        }
        Ok(())
    }
}
