//! `rampart waf test` and `rampart waf eval` as a user runs them, on the vendored CRS.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rampart");
const CRS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/third_party/coreruleset");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run rampart");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn waf_test_runs_crs_tests_and_prints_a_summary() {
    let tests = format!("{CRS}/tests/regression/tests");
    let (code, out, err) = run(&["waf", "test", "--rules", CRS, "--tests", &tests, "--filter", "942100", "-v"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.lines().any(|l| l == "942100-1 passed"), "{out}");
    assert_eq!(out.lines().last(), Some("15 passed, 0 failed, 0 ignored"), "{out}");

    // Rules that detect nothing: the tests expecting detections fail, and the exit code says so.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("none.conf");
    std::fs::write(&empty, "SecRuleEngine On\n").unwrap();
    let (code, out, _) =
        run(&["waf", "test", "--rules", empty.to_str().unwrap(), "--tests", &tests, "--filter", "942100"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("942100-1 FAILED"), "{out}");
    assert!(out.lines().last().unwrap().ends_with("failed, 0 ignored"), "{out}");
}

#[test]
fn waf_eval_prints_matched_rules_and_the_decision() {
    let (code, out, err) = run(&["waf", "eval", "--rules", CRS, "GET /?q=<script>alert(1)</script>"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("941100  XSS Attack Detected via libinjection"), "{out}");
    assert!(out.contains("decision: 403 (rule 949110)"), "{out}");
    // Detection only: the same rules match, nothing is blocked.
    let (_, out, _) =
        run(&["waf", "eval", "--rules", CRS, "--mode", "detection-only", "GET /?q=<script>alert(1)</script>"]);
    assert!(out.contains("941100") && out.contains("decision: pass"), "{out}");
    // A clean request passes with no rule.
    let (_, out, _) = run(&[
        "waf",
        "eval",
        "--rules",
        CRS,
        "GET /index.html",
        "-H",
        "User-Agent: Mozilla/5.0",
        "-H",
        "Accept: text/html",
    ]);
    assert_eq!(out.trim(), "decision: pass\ninbound anomaly score: 0", "{out}");
    // A raw request file, and JSON output.
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("req.http");
    std::fs::write(&raw, "POST /login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 25\r\n\r\nuser=admin' OR '1'='1'--x").unwrap();
    let (_, out, _) = run(&["waf", "eval", "--rules", CRS, "--file", raw.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["decision"], "blocked", "{out}");
    assert!(v["rules"].as_array().unwrap().iter().any(|r| r["id"] == 942100), "{out}");
}

#[test]
fn waf_rules_with_errors_are_refused_with_their_location() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "SecRuleEngine On\nSecRule ARGS \"@rx a\" \"id:1,phase:2,deny,bogus:1\"\n").unwrap();
    let (code, _, err) = run(&["waf", "eval", "--rules", bad.to_str().unwrap(), "GET /"]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.conf:2:") && err.contains("bogus"), "{err}");
}
