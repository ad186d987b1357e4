//! The runner's comparison logic with fixed-outcome targets: pass and fail for each kind of
//! expectation, Apache refusals, overrides, the ignore list and filters.

use super::super::check::{Checker, Mismatch};
use super::super::load::Suite;
use super::super::runner::{Failure, Filter, Outcome, Runner, Verdict};
use super::super::schema::{Output, OverridesFile};
use super::super::{IgnoreList, TestId};
use crate::request::RawRequest;
use std::path::Path;

fn output(yaml: &str) -> Output {
    match serde_yaml_ng::from_str(yaml) {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    }
}

fn outcome(status: u16, ids: &[u64], log: &str) -> Outcome {
    Outcome { status: Some(status), matched_rule_ids: ids.to_vec(), log: log.to_owned(), ..Outcome::default() }
}

fn check(expected: &str, got: &Outcome) -> Result<(), Mismatch> {
    Checker::new().check(&output(expected), got)
}

#[test]
fn status_expectations() {
    assert_eq!(check("status: 403", &outcome(403, &[], "")), Ok(()));
    assert_eq!(check("status: 403", &outcome(200, &[], "")), Err(Mismatch::Status { expected: vec![403], got: 200 }));
    assert_eq!(check("status: [200, 404]", &outcome(404, &[], "")), Ok(()));
    assert!(check("status: [200, 404]", &outcome(403, &[], "")).is_err());
    // No status, or 0, accepts anything.
    assert_eq!(check("{}", &outcome(599, &[], "")), Ok(()));
    assert_eq!(check("status: 0", &outcome(599, &[], "")), Ok(()));
}

#[test]
fn log_id_expectations() {
    assert_eq!(check("log: {expect_ids: [1, 2]}", &outcome(200, &[2, 1, 3], "")), Ok(()));
    assert_eq!(check("log: {expect_ids: [1, 2]}", &outcome(200, &[1], "")), Err(Mismatch::MissingIds(vec![2])));
    assert_eq!(check("log: {no_expect_ids: [5]}", &outcome(200, &[1], "")), Ok(()));
    assert_eq!(check("log: {no_expect_ids: [5, 6]}", &outcome(200, &[6], "")), Err(Mismatch::UnexpectedIds(vec![6])));
    // Ids written in the log count too, as go-ftw only reads the log.
    let log = r#"ModSecurity: Warning. Matched "Operator `Rx'" [file "x.conf"] [line "1"] [id "920100"] [msg "m"]"#;
    assert_eq!(check("log: {expect_ids: [920100]}", &outcome(200, &[], log)), Ok(()));
    assert!(check("log: {no_expect_ids: [920100]}", &outcome(200, &[], log)).is_err());
    assert_eq!(check("log: {expect_ids: [7]}", &outcome(200, &[], r#"{"id": "7"}"#)), Ok(()));
}

#[test]
fn log_regex_expectations() {
    let log = "first line\n[id \"920540\"] found within ARGS:testarg: x\n";
    assert_eq!(check("log: {match_regex: 'ARGS:testarg'}", &outcome(200, &[], log)), Ok(()));
    assert_eq!(
        check("log: {match_regex: 'ARGS:other'}", &outcome(200, &[], log)),
        Err(Mismatch::MatchRegex("ARGS:other".into()))
    );
    // Line by line: '.' never spans two lines.
    assert!(check("log: {match_regex: 'first.*920540'}", &outcome(200, &[], log)).is_err());
    assert_eq!(check(r#"log: {no_match_regex: '\[id "\d+"\]'}"#, &outcome(200, &[], "nothing")), Ok(()));
    assert!(check(r#"log: {no_match_regex: '\[id "\d+"\]'}"#, &outcome(200, &[], log)).is_err());
    // The deprecated forms become regexes after loading.
    let mut suite = Suite::default();
    let text =
        "rule_id: 1\ntests:\n  - stages:\n      - output: {log_contains: 'id \"1\"', no_log_contains: 'id \"2\"'}\n";
    assert!(suite.add_file(Path::new("1.yaml"), text).is_ok());
    let log = &suite.cases[0].test.stages[0].output.log;
    assert_eq!((log.match_regex.as_deref(), log.no_match_regex.as_deref()), (Some("id \"1\""), Some("id \"2\"")));
    assert!(matches!(check("log: {match_regex: '('}", &outcome(200, &[], "")), Err(Mismatch::BadRegex(_))));
}

#[test]
fn response_contains_is_a_regex_over_the_whole_response() {
    let mut got = outcome(200, &[], "");
    got.response_headers = vec![(b"Content-Type".to_vec(), b"text/html".to_vec())];
    got.response_body = b"<html>hello</html>".to_vec();
    assert_eq!(check("response_contains: 'hel+o'", &got), Ok(()));
    assert_eq!(check("response_contains: 'Content-Type: text/html'", &got), Ok(()));
    assert!(check("response_contains: 'goodbye'", &got).is_err());
}

#[test]
fn expected_errors_settle_the_stage_alone() {
    // An expected error passes on no response whatever else is expected (go-ftw returns early).
    assert_eq!(check("{expect_error: true, status: 200, log: {expect_ids: [1]}}", &Outcome::no_response()), Ok(()));
    assert_eq!(check("expect_error: true", &outcome(200, &[], "")), Err(Mismatch::ExpectedError { got: 200 }));
    // An unexpected error fails even without other expectations.
    assert_eq!(check("{}", &Outcome::no_response()), Err(Mismatch::NoResponse));
}

#[test]
fn isolated_requires_a_single_rule() {
    assert_eq!(check("{isolated: true, log: {expect_ids: [1]}}", &outcome(200, &[1], "")), Ok(()));
    assert_eq!(
        check("{isolated: true, log: {expect_ids: [1]}}", &outcome(200, &[1, 2], "")),
        Err(Mismatch::NotIsolated(vec![1, 2]))
    );
}

const SUITE: &str = "
rule_id: 920100
tests:
  - test_id: 1
    stages:
      - input: {headers: {Host: localhost}, uri: /ok}
        output: {log: {expect_ids: [920100]}}
  - test_id: 2
    stages:
      - input: {method: \"\\tGET\", headers: {Host: localhost}}
        output: {status: 400}
  - test_id: 3
    stages:
      - input: {headers: {Host: localhost}, uri: /ok}
        output: {log: {no_expect_ids: [920100]}}
  - test_id: 4
    stages:
      - input: {headers: {Host: localhost}, uri: /first}
        output: {status: 200}
      - input: {headers: {Host: localhost}, uri: /second}
        output: {status: 200}
  - test_id: 5
    stages:
      - input: {version: '', headers: {Host: localhost}}
        output: {expect_error: true}
  - test_id: 6
    stages:
      - input: {method: \"\\tGET\", headers: {Host: localhost}}
        output: {log: {expect_ids: [920100]}}
";

/// Answers 200, triggers 920100 for `/ok` and answers 403 for `/second`.
fn target(request: &RawRequest) -> Outcome {
    match request.uri.as_slice() {
        b"/ok" => outcome(200, &[920100], "[id \"920100\"]"),
        b"/second" => outcome(403, &[], ""),
        _ => outcome(200, &[], ""),
    }
}

fn suite() -> Suite {
    let mut suite = Suite::default();
    if let Err(e) = suite.add_file(Path::new("920100.yaml"), SUITE) {
        panic!("{e}");
    }
    suite
}

fn verdicts(runner: &Runner<'_>) -> Vec<String> {
    runner.run(&suite()).results.iter().map(ToString::to_string).collect()
}

#[test]
fn runner_runs_stages_through_apache_checks() {
    let report = Runner::new(&target).run(&suite());
    let lines: Vec<String> = report.results.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "920100-1 passed",
            "920100-2 passed",
            "920100-3 FAILED (stage 1): rules [920100] triggered",
            "920100-4 FAILED (stage 2): expected status [200], got 403",
            "920100-5 passed",
            "920100-6 FAILED (stage 1): rules [920100] did not trigger",
        ]
    );
    assert_eq!(report.summary().to_string(), "3 passed, 3 failed, 0 ignored");
}

#[test]
fn overrides_replace_outputs() {
    let overrides: OverridesFile = match serde_yaml_ng::from_str(
        "version: v0\nmeta: {engine: e, platform: p, annotations: [{os: x}]}\ntest_overrides:\n\
         - {rule_id: 920100, test_ids: [3], reason: r, output: {log: {expect_ids: [920100]}}}\n\
         - {rule_id: 920100, test_ids: [4], stage_ids: [1], reason: r, output: {status: 403}}\n\
         - {rule_id: 920100, reason: all tests of the rule, test_ids: [6], output: {status: 400}}\n",
    ) {
        Ok(file) => file,
        Err(e) => panic!("{e}"),
    };
    let runner = Runner::new(&target).with_overrides(overrides);
    let report = runner.run(&suite());
    assert_eq!(report.summary().to_string(), "6 passed, 0 failed, 0 ignored");
}

#[test]
fn ignore_list_and_filter() {
    let ignore: IgnoreList =
        match "ignore:\n  - test: 920100-3\n    reason: engine gap\n  - test: 1-1\n    reason: gone\n".parse() {
            Ok(list) => list,
            Err(e) => panic!("{e}"),
        };
    let runner = Runner::new(&target).with_ignore(ignore.clone());
    let report = runner.run(&suite());
    assert_eq!(report.results[2].verdict, Verdict::Ignored("engine gap".into()));
    assert_eq!(report.summary().to_string(), "3 passed, 2 failed, 1 ignored");
    assert_eq!(report.stale_ignores, vec![TestId { rule: 1, test: 1 }]);

    let one = Runner::new(&target).with_filter(Filter::parse("920100-4").unwrap_or(Filter::RulePrefix("x".into())));
    assert_eq!(verdicts(&one), vec!["920100-4 FAILED (stage 2): expected status [200], got 403"]);
    let none = Runner::new(&target).with_filter(Filter::RulePrefix("921".into()));
    assert!(verdicts(&none).is_empty());
    let prefix = Runner::new(&target).with_filter(Filter::RulePrefix("9201".into()));
    assert_eq!(verdicts(&prefix).len(), 6);
    assert!(Filter::parse("92x").is_err());
    assert!(Filter::parse("920100-").is_err());
}

#[test]
fn ignore_list_problems_are_all_reported() {
    let text = "ignore:\n  - {test: 920100-1, reason: ''}\n  - {test: x-1, reason: r}\n  - {test: 920100-1, reason: twice}\n  - {test: 920100-2, reason: \"two\\nlines\"}\n";
    let errors = text.parse::<IgnoreList>().err().unwrap_or_default();
    assert!(errors.contains("ignore[0].reason: empty"), "{errors}");
    assert!(errors.contains("ignore[1].test"), "{errors}");
    assert!(errors.contains("ignore[2].test: 920100-1 is listed twice"), "{errors}");
    assert!(errors.contains("ignore[3].reason: must be one line"), "{errors}");
    assert!("ignore:\n  - {test: 1-1}\n".parse::<IgnoreList>().is_err());
}

#[test]
fn body_errors_and_build_errors() {
    let runner = Runner::new(&target);
    // Truncated body: the client times out.
    assert_eq!(runner.exchange(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc").status, None);
    // Bad chunking: 400 whatever the target said.
    let bad = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    assert_eq!(runner.exchange(bad).status, Some(400));
    let mut suite = Suite::default();
    let text = "rule_id: 2\ntests:\n  - stages:\n      - input: {data: '{{ nope }}'}\n";
    assert!(suite.add_file(Path::new("2.yaml"), text).is_ok());
    let report = runner.run(&suite);
    assert!(matches!(&report.results[0].verdict, Verdict::Failed { stage: 1, failure: Failure::Build(_) }));
}
