//! Running test cases in-process: each stage's bytes go through Apache's request checks
//! ([`RawRequest::parse`]) and then to the [`Target`]; the outcome is compared as go-ftw does.

use super::build::{self, BuildError};
use super::check::{Checker, Mismatch};
use super::ignore::IgnoreList;
use super::load::{Case, Suite};
use super::schema::{Output, OverridesFile, TestOverride};
use super::TestId;
use crate::request::{Header, RawRequest};
use std::fmt;

/// The thing under test: the WAF with its backend behind it.
pub trait Target {
    /// Runs one request that Apache accepted through all WAF phases (and the backend, e.g.
    /// [`super::albedo::respond`]) and reports what the client and the error log saw.
    ///
    /// An HTTP/0.9 request ([`RawRequest::is_simple`]) gets a reply the client cannot read;
    /// a request with a [`RawRequest::body_error`] should only go through phase 1 (and logging):
    /// the runner then replaces the status with what the client would get.
    fn handle(&self, request: &RawRequest) -> Outcome;
}

impl<F: Fn(&RawRequest) -> Outcome> Target for F {
    fn handle(&self, request: &RawRequest) -> Outcome {
        self(request)
    }
}

/// What one exchange produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Status of the response the client read; `None` when it read none (connection dropped
    /// by a `drop` action, time-out, HTTP/0.9 reply).
    pub status: Option<u16>,
    /// Rules that wrote an error-log entry (matched and logged), in any order.
    pub matched_rule_ids: Vec<u64>,
    /// The error-log text of the transaction, one entry per line, in ModSecurity's format
    /// (`... [id "920100"] [msg "..."] ...`); `log.match_regex` is matched line by line.
    pub log: String,
    /// Response header fields.
    pub response_headers: Vec<Header>,
    /// Response body.
    pub response_body: Vec<u8>,
}

impl Outcome {
    /// A response with `status` and nothing logged.
    pub fn with_status(status: u16) -> Self {
        Outcome { status: Some(status), ..Outcome::default() }
    }

    /// No readable response.
    pub fn no_response() -> Self {
        Outcome::default()
    }

    /// Status line, headers and body as the client read them (what `response_contains` sees).
    pub fn full_response(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {}\r\n", self.status.unwrap_or(0)).into_bytes();
        for (name, value) in &self.response_headers {
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.response_body);
        out
    }
}

/// Which tests to run: `920100` (or any prefix of rule ids, `9201`) selects rules, `920100-4`
/// one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Rule ids starting with these digits.
    RulePrefix(String),
    /// Exactly this test.
    Test(TestId),
}

impl Filter {
    /// Parses a `--filter` argument.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let text = text.trim();
        if text.contains('-') {
            return text.parse().map(Filter::Test);
        }
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{text:?}: expected a rule id (prefix) or RULE-TEST"));
        }
        Ok(Filter::RulePrefix(text.to_owned()))
    }

    /// True when `id` is selected.
    pub fn matches(&self, id: TestId) -> bool {
        match self {
            Filter::RulePrefix(prefix) => id.rule.to_string().starts_with(prefix.as_str()),
            Filter::Test(test) => *test == id,
        }
    }
}

/// Why a test failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The stage input does not describe a request.
    Build(BuildError),
    /// The outcome did not meet the expectations.
    Mismatch(Mismatch),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Build(e) => write!(f, "cannot build request: {e}"),
            Failure::Mismatch(m) => m.fmt(f),
        }
    }
}

/// The result of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every stage met its expectations.
    Passed,
    /// A stage (numbered from 1) failed.
    Failed {
        /// The first failing stage, from 1.
        stage: usize,
        /// What went wrong.
        failure: Failure,
    },
    /// Not run: listed in the ignore list with this reason.
    Ignored(String),
}

/// One test and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// `RULE-TEST`.
    pub id: TestId,
    /// What happened.
    pub verdict: Verdict,
}

impl fmt::Display for TestResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.verdict {
            Verdict::Passed => write!(f, "{} passed", self.id),
            Verdict::Failed { stage, failure } => write!(f, "{} FAILED (stage {stage}): {failure}", self.id),
            Verdict::Ignored(reason) => write!(f, "{} ignored: {reason}", self.id),
        }
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
    /// Tests not run because they are ignored.
    pub ignored: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed, {} ignored", self.passed, self.failed, self.ignored)
    }
}

/// All results of a run, in suite order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// One per selected test.
    pub results: Vec<TestResult>,
    /// Ignore-list entries naming no test of the suite (only computed without a filter).
    pub stale_ignores: Vec<TestId>,
}

impl Report {
    /// Counts the verdicts.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for result in &self.results {
            match result.verdict {
                Verdict::Passed => summary.passed += 1,
                Verdict::Failed { .. } => summary.failed += 1,
                Verdict::Ignored(_) => summary.ignored += 1,
            }
        }
        summary
    }
}

/// Runs cases against a [`Target`], with overrides, an ignore list and a filter.
pub struct Runner<'a> {
    target: &'a dyn Target,
    overrides: Vec<TestOverride>,
    ignore: IgnoreList,
    filter: Option<Filter>,
    checker: Checker,
}

impl fmt::Debug for Runner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("overrides", &self.overrides.len())
            .field("ignore", &self.ignore)
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl<'a> Runner<'a> {
    /// A runner with no overrides, nothing ignored, every test selected.
    pub fn new(target: &'a dyn Target) -> Self {
        Runner { target, overrides: Vec::new(), ignore: IgnoreList::default(), filter: None, checker: Checker::new() }
    }

    /// Replaces the outputs of the tests an overrides file names (later entries win).
    pub fn with_overrides(mut self, file: OverridesFile) -> Self {
        self.overrides.extend(file.test_overrides);
        self
    }

    /// Skips the listed tests.
    pub fn with_ignore(mut self, ignore: IgnoreList) -> Self {
        self.ignore = ignore;
        self
    }

    /// Runs only the tests `filter` selects.
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Runs every selected case of `suite`.
    pub fn run(&self, suite: &Suite) -> Report {
        let results: Vec<TestResult> = suite
            .cases
            .iter()
            .filter(|case| self.filter.as_ref().is_none_or(|f| f.matches(case.id)))
            .map(|case| self.run_case(case))
            .collect();
        let stale_ignores = if self.filter.is_none() {
            self.ignore.ids().filter(|id| !suite.cases.iter().any(|c| c.id == *id)).collect()
        } else {
            Vec::new()
        };
        Report { results, stale_ignores }
    }

    /// Runs one case: every stage in order, stopping at the first failure.
    pub fn run_case(&self, case: &Case) -> TestResult {
        let id = case.id;
        if let Some(reason) = self.ignore.reason(id) {
            return TestResult { id, verdict: Verdict::Ignored(reason.to_owned()) };
        }
        for (index, stage) in case.test.stages.iter().enumerate() {
            let expected = self.expected_output(id, index, &stage.output);
            let mut result = self.run_stage(&stage.input, &expected);
            if result.is_err() && expected.retry_once == Some(true) {
                result = self.run_stage(&stage.input, &expected);
            }
            if let Err(failure) = result {
                return TestResult { id, verdict: Verdict::Failed { stage: index + 1, failure } };
            }
        }
        TestResult { id, verdict: Verdict::Passed }
    }

    /// Sends raw request bytes through Apache's checks and the target.
    pub fn exchange(&self, bytes: &[u8]) -> Outcome {
        match RawRequest::parse(bytes) {
            Err(rejection) => Outcome { status: rejection.status(), ..Outcome::default() },
            Ok(request) => {
                let mut outcome = self.target.handle(&request);
                if request.is_simple() {
                    outcome.status = None;
                } else if let Some(error) = &request.body_error {
                    outcome.status = error.status();
                }
                outcome
            }
        }
    }

    fn run_stage(&self, input: &super::schema::Input, expected: &Output) -> Result<(), Failure> {
        let bytes = build::request_bytes(input).map_err(Failure::Build)?;
        let outcome = self.exchange(&bytes);
        self.checker.check(expected, &outcome).map_err(Failure::Mismatch)
    }

    /// The stage's output after platform overrides: an override naming the rule (and the test,
    /// unless it lists none; and the 0-based stage, unless it lists none) replaces it.
    fn expected_output(&self, id: TestId, stage: usize, output: &Output) -> Output {
        let mut expected = output.clone();
        for entry in &self.overrides {
            let test_selected = entry.test_ids.is_empty() || entry.test_ids.contains(&id.test);
            let stage_selected = entry.stage_ids.is_empty() || entry.stage_ids.contains(&stage);
            if entry.rule_id == id.rule && test_selected && stage_selected {
                expected = entry.output.clone();
                if entry.retry_once.is_some() {
                    expected.retry_once = entry.retry_once;
                }
            }
        }
        expected
    }
}
