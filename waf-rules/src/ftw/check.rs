//! Comparing a stage's outcome with its expected output exactly as go-ftw's `checkResult` does:
//! an expected error settles the stage alone; otherwise status, then `response_contains`, then
//! the log expectations.

use super::runner::Outcome;
use super::schema::Output;
use regex::bytes::Regex;
use std::collections::BTreeSet;
use std::fmt;

/// Why a stage failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mismatch {
    /// `expect_error` was set but a response arrived.
    ExpectedError {
        /// The status that arrived.
        got: u16,
    },
    /// No readable response arrived and none was expected to be missing.
    NoResponse,
    /// The status is not among the expected ones.
    Status {
        /// Acceptable statuses.
        expected: Vec<u16>,
        /// What arrived.
        got: u16,
    },
    /// `response_contains` did not match the response.
    ResponseContains(String),
    /// `log.match_regex` matched no log line.
    MatchRegex(String),
    /// Rules in `log.expect_ids` did not trigger.
    MissingIds(Vec<u64>),
    /// `isolated` was set but other rules triggered too.
    NotIsolated(Vec<u64>),
    /// `log.no_match_regex` matched a log line.
    NoMatchRegex(String),
    /// Rules in `log.no_expect_ids` triggered.
    UnexpectedIds(Vec<u64>),
    /// A regular expression of the test does not compile.
    BadRegex(String),
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::ExpectedError { got } => write!(f, "expected no response (error), got status {got}"),
            Mismatch::NoResponse => f.write_str("no response (connection closed or unreadable)"),
            Mismatch::Status { expected, got } => write!(f, "expected status {expected:?}, got {got}"),
            Mismatch::ResponseContains(re) => write!(f, "response does not match {re:?}"),
            Mismatch::MatchRegex(re) => write!(f, "no log line matches {re:?}"),
            Mismatch::MissingIds(ids) => write!(f, "rules {ids:?} did not trigger"),
            Mismatch::NotIsolated(ids) => write!(f, "isolated test triggered rules {ids:?}"),
            Mismatch::NoMatchRegex(re) => write!(f, "a log line matches {re:?}"),
            Mismatch::UnexpectedIds(ids) => write!(f, "rules {ids:?} triggered"),
            Mismatch::BadRegex(e) => write!(f, "bad regular expression: {e}"),
        }
    }
}

/// Compares outcomes with expectations; holds the compiled log-id pattern.
#[derive(Debug, Clone)]
pub struct Checker {
    id_pattern: Regex,
}

impl Default for Checker {
    fn default() -> Self {
        Self::new()
    }
}

impl Checker {
    /// Compiles go-ftw's rule-id pattern.
    pub fn new() -> Self {
        let id_pattern = Regex::new(r#"\[id \\?"(\d+)\\?"\]|"id":\s*"?(\d+)"?"#).expect("constant pattern compiles");
        Checker { id_pattern }
    }

    /// Checks `outcome` against `expected`; `Ok` when the stage passes.
    pub fn check(&self, expected: &Output, outcome: &Outcome) -> Result<(), Mismatch> {
        if expected.expect_error == Some(true) {
            return match outcome.status {
                None => Ok(()),
                Some(got) => Err(Mismatch::ExpectedError { got }),
            };
        }
        let Some(status) = outcome.status else {
            return Err(Mismatch::NoResponse);
        };
        if !expected.status.accepts(status) {
            return Err(Mismatch::Status { expected: expected.status.0.clone(), got: status });
        }
        if let Some(pattern) = expected.response_contains.as_deref().filter(|p| !p.is_empty()) {
            if !compile(pattern)?.is_match(&outcome.full_response()) {
                return Err(Mismatch::ResponseContains(pattern.to_owned()));
            }
        }
        let log = &expected.log;
        let triggered = self.triggered_rules(outcome);
        if let Some(pattern) = log.match_regex.as_deref().filter(|p| !p.is_empty()) {
            if !any_line_matches(&compile(pattern)?, &outcome.log) {
                return Err(Mismatch::MatchRegex(pattern.to_owned()));
            }
        }
        let missing: Vec<u64> = log.expect_ids.iter().copied().filter(|id| !triggered.contains(id)).collect();
        if !missing.is_empty() {
            return Err(Mismatch::MissingIds(missing));
        }
        if expected.isolated && triggered.len() != 1 {
            return Err(Mismatch::NotIsolated(triggered.into_iter().collect()));
        }
        if let Some(pattern) = log.no_match_regex.as_deref().filter(|p| !p.is_empty()) {
            if any_line_matches(&compile(pattern)?, &outcome.log) {
                return Err(Mismatch::NoMatchRegex(pattern.to_owned()));
            }
        }
        let found: Vec<u64> = log.no_expect_ids.iter().copied().filter(|id| triggered.contains(id)).collect();
        if !found.is_empty() {
            return Err(Mismatch::UnexpectedIds(found));
        }
        Ok(())
    }
}

impl Checker {
    /// Rules that triggered: the outcome's list plus every `[id "N"]` (or JSON `"id": N`) in the
    /// log, which is all go-ftw itself can see.
    pub fn triggered_rules(&self, outcome: &Outcome) -> BTreeSet<u64> {
        let mut ids: BTreeSet<u64> = outcome.matched_rule_ids.iter().copied().collect();
        for caps in self.id_pattern.captures_iter(outcome.log.as_bytes()) {
            let digits = caps.get(1).or_else(|| caps.get(2)).map(|m| m.as_bytes()).unwrap_or_default();
            if let Some(id) = std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok()) {
                ids.insert(id);
            }
        }
        ids
    }
}

fn compile(pattern: &str) -> Result<Regex, Mismatch> {
    Regex::new(pattern).map_err(|e| Mismatch::BadRegex(e.to_string()))
}

/// go-ftw matches log expressions line by line.
fn any_line_matches(re: &Regex, log: &str) -> bool {
    log.lines().any(|line| re.is_match(line.as_bytes()))
}
