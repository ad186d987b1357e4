//! The OWASP CRS regression suite (go-ftw YAML, third_party/coreruleset/tests/regression) run
//! in-process against rampart's engine, as the CRS project runs it: DetectionOnly, blocking
//! paranoia level 4 (`waf_rules::crs::CrsMode::RegressionTests`), no platform overrides, and an ignore list where every
//! entry has a reason (tests/crs/ignore.yaml).
//!
//! Fails when fewer tests pass than the count recorded in tests/crs/passing.txt; raise that
//! number when the engine improves. Set `CRS_FILTER=942100` to run a subset and
//! `CRS_VERBOSE=1` to print every failure.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use waf_rules::crs::{self, CrsLayout, CrsMode};
use waf_rules::engine::RuleSet;
use waf_rules::ftw::{Filter, IgnoreList, Runner, Suite, Verdict, WafTarget};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

#[test]
fn crs_regression_suite() {
    let started = std::time::Instant::now();
    let crs_root = root().join("../third_party/coreruleset");
    let layout = CrsLayout::find(&crs_root).expect("the vendored CRS");
    let setup = crs::config(&layout, CrsMode::RegressionTests);
    let rules = RuleSet::from_str("crs-regression-setup", &setup, ".").unwrap_or_else(|e| panic!("{e}"));
    eprintln!("compiled {} rules in {:?}", rules.rule_count(), started.elapsed());
    let crs = crs_root.join("tests/regression");
    let suite = Suite::load_dir(&crs.join("tests")).unwrap_or_else(|e| panic!("{e}"));
    let ignore = IgnoreList::load(&root().join("tests/crs/ignore.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let target = WafTarget::new(Arc::new(rules));
    // No platform overrides: the engine in regression-test mode and an Apache-like front end
    // meets the tests' own expectations (httpd-overrides.yaml only undoes two of them).
    let mut runner = Runner::new(&target).with_ignore(ignore);
    let filtered = std::env::var("CRS_FILTER").ok();
    if let Some(f) = &filtered {
        runner = runner.with_filter(Filter::parse(f).unwrap_or_else(|e| panic!("CRS_FILTER: {e}")));
    }
    let run_started = std::time::Instant::now();
    let report = runner.run(&suite);
    let summary = report.summary();
    let verbose = std::env::var_os("CRS_VERBOSE").is_some();
    let mut failures = 0;
    for r in &report.results {
        if let Verdict::Failed { .. } = r.verdict {
            failures += 1;
            if verbose || failures <= 40 {
                eprintln!("{r}");
            }
        }
    }
    eprintln!("CRS regression suite: {summary} (in {:?})", run_started.elapsed());
    assert!(
        report.stale_ignores.is_empty() || filtered.is_some(),
        "ignore list names unknown tests: {:?}",
        report.stale_ignores
    );
    if filtered.is_none() {
        let recorded: usize = std::fs::read_to_string(root().join("tests/crs/passing.txt"))
            .expect("tests/crs/passing.txt")
            .trim()
            .parse()
            .expect("a number in tests/crs/passing.txt");
        assert!(
            summary.passed >= recorded,
            "{} tests passed, fewer than the {recorded} recorded in tests/crs/passing.txt",
            summary.passed
        );
    }
}
