//! The CRS regression suite (go-ftw YAML tests) run in-process, with no network: each stage's
//! request is built byte for byte as go-ftw sends it, read as Apache httpd reads it, handed to a
//! [`Target`], and the outcome compared as go-ftw compares it.
//!
//! # Organization
//! - [`schema`]: the test and overrides file formats.
//! - [`load`]: reading a test directory into a [`Suite`] of cases (`RULE-TEST` ids).
//! - [`build`]: the exact bytes go-ftw sends for a stage.
//! - [`template`]: the Go-template subset `data` may use.
//! - [`goenc`]: Go's base64, query escaping and header-name canonicalisation.
//! - [`check`]: go-ftw's comparison of outcome and expectation.
//! - [`runner`]: the [`Target`] trait, [`Runner`], results and summary.
//! - [`ignore`]: the ignore list (test id + mandatory reason).
//! - [`albedo`]: the reflecting backend response-phase tests need.
//! - [`waf`]: the rule engine as a [`Target`].

pub mod albedo;
pub mod build;
pub mod check;
pub mod goenc;
pub mod ignore;
pub mod load;
pub mod runner;
pub mod schema;
pub mod template;
pub mod waf;

#[cfg(test)]
mod tests;

pub use ignore::IgnoreList;
pub use load::{Case, Suite};
pub use runner::{Filter, Outcome, Report, Runner, Summary, Target, TestResult, Verdict};
pub use waf::WafTarget;

use std::fmt;

/// A test's id as go-ftw prints it: `RULE-TEST` (`920100-4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TestId {
    /// The rule the test targets.
    pub rule: u64,
    /// The test's number within the rule.
    pub test: u64,
}

impl fmt::Display for TestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.rule, self.test)
    }
}

impl std::str::FromStr for TestId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?}: expected RULE-TEST, e.g. 920100-4");
        let (rule, test) = text.split_once('-').ok_or_else(bad)?;
        let number = |s: &str| if s.bytes().all(|b| b.is_ascii_digit()) { s.parse().ok() } else { None };
        Ok(TestId { rule: number(rule).ok_or_else(bad)?, test: number(test).ok_or_else(bad)? })
    }
}
