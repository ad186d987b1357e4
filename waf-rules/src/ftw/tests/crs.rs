//! The vendored CRS suite: every file parses, the counts are right, every stage builds and its
//! request reads the way the tests' expectations say Apache reads it.

use super::super::build::request_bytes;
use super::super::load::{load_overrides, Suite};
use super::super::TestId;
use super::{crs_suite, crs_tests_dir};
use crate::request::RawRequest;

#[test]
fn every_file_loads_with_the_true_counts() {
    let suite = crs_suite();
    // go-ftw globs `**/*.yaml`: 322 files (one of them only comments), 5,045 tests.
    assert_eq!(suite.files, 322);
    assert_eq!(suite.cases.len(), 5045);
    let stages: usize = suite.cases.iter().map(|c| c.test.stages.len()).sum();
    assert_eq!(stages, 5051);
    // Every test has at least one stage.
    assert!(suite.cases.iter().all(|c| !c.test.stages.is_empty()));
    // Ids as go-ftw names them.
    let first = &suite.cases[0];
    assert_eq!(first.id.to_string(), "911100-1");
    assert!(suite.cases.iter().any(|c| c.id == TestId { rule: 934120, test: 43 } && c.test.stages.len() == 6));
}

#[test]
fn yml_files_are_not_part_of_the_suite_but_parse() {
    // go-ftw never reads the `.yml` file; it still must be a valid test file.
    let path = crs_tests_dir().join("tests/REQUEST-999-COMMON-EXCEPTIONS-AFTER/999999.yml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut suite = Suite::default();
    if let Err(e) = suite.add_file(&path, &text) {
        panic!("{e}");
    }
    assert_eq!(suite.cases.len(), 37);
}

#[test]
fn every_overrides_file_loads() {
    for name in ["httpd-overrides.yaml", "nginx-overrides.yaml", "coraza-overrides.yaml"] {
        let file = match load_overrides(&crs_tests_dir().join(name)) {
            Ok(file) => file,
            Err(e) => panic!("{e}"),
        };
        assert!(!file.test_overrides.is_empty(), "{name}");
        assert!(file.test_overrides.iter().all(|o| o.rule_id > 0 && !o.reason.trim().is_empty()), "{name}");
    }
    let nginx = load_overrides(&crs_tests_dir().join("nginx-overrides.yaml")).unwrap_or_default();
    let first = &nginx.test_overrides[0];
    assert_eq!((first.rule_id, first.test_ids.as_slice()), (920100, &[4][..]));
    assert_eq!(first.output.status.0, vec![400]);
}

/// Every stage of the suite builds, and what Apache makes of it agrees with the test: tests
/// that expect only a 400 are refused (or get no readable answer), tests that expect rules to
/// trigger are accepted.
#[test]
fn every_stage_builds_and_reads_as_the_tests_expect() {
    let suite = crs_suite();
    let mut refused = Vec::new();
    for case in &suite.cases {
        for stage in &case.test.stages {
            let bytes = match request_bytes(&stage.input) {
                Ok(bytes) => bytes,
                Err(e) => panic!("{}: {e}", case.id),
            };
            let parsed = RawRequest::parse(&bytes);
            let output = &stage.output;
            match &parsed {
                Err(rejection) => {
                    refused.push(case.id.to_string());
                    assert!(output.log.expect_ids.is_empty(), "{} refused ({rejection}) but expects rules", case.id);
                    if output.status.is_required() {
                        assert!(output.status.accepts(rejection.status().unwrap_or(0)), "{}: {rejection}", case.id);
                    }
                }
                Ok(request) => {
                    let only_400 = output.status.0 == [400] && output.log.expect_ids.is_empty();
                    assert!(!only_400, "{} expects Apache's 400 but was accepted: {request:?}", case.id);
                    if request.body_error.is_some() {
                        panic!("{}: body error {:?}", case.id, request.body_error);
                    }
                }
            }
        }
    }
    refused.sort();
    let expected: Vec<String> = [
        "920100-11",
        "920100-12",
        "920100-13",
        "920100-15",
        "920100-2",
        "920100-5",
        "920100-7",
        "920100-8",
        "920160-1",
        "920160-2",
        "920160-3",
        "920160-5",
        "920270-4",
        "920274-1",
        "920280-3",
        "920290-1",
        "920290-2",
        "920430-10",
        "920430-3",
        "920430-4",
        "920430-6",
        "920430-7",
        "920430-9",
        "920610-2",
        "921140-1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(refused, expected);
}

#[test]
fn simple_request_test_is_http09() {
    let suite = crs_suite();
    let Some(case) = suite.cases.iter().find(|c| c.id == TestId { rule: 920430, test: 5 }) else {
        panic!("920430-5 missing");
    };
    let bytes = request_bytes(&case.test.stages[0].input).unwrap_or_default();
    assert!(bytes.starts_with(b"GET / \r\n"));
    let request = RawRequest::parse(&bytes).ok();
    assert!(request.is_some_and(|r| r.is_simple()));
}
