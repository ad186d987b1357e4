//! Targets: key and regex selectors, `!` exclusions, `&` counts, and negated operators when a
//! target yields no value.

use super::*;

/// Runs `conf` on a GET with a query string and a few headers; returns the matched ids and the
/// `TX` variable `n` (how many values matched, when the rules count with `setvar:tx.n=+1`).
fn run(conf: &str, uri: &str) -> (Vec<u64>, u32) {
    let rules = on(conf);
    let req = Request::get(uri).header("User-Agent", "attack").header("X-Extra", "attack").header("Cookie", "c=attack");
    let (tx, _) = headers(&rules, &req);
    (ids(&tx), tx_var(&tx, "n").map_or(0, |n| n.parse().unwrap()))
}

#[test]
fn selectors() {
    let count = |targets: &str| {
        run(
            &format!("SecRule {targets} \"@rx attack\" \"id:1,phase:1,pass,setvar:tx.n=+1\""),
            "/?a1=attack&a2=attack&B=attack&a=attack&a=attack",
        )
        .1
    };
    assert_eq!(count("ARGS"), 5);
    assert_eq!(count("ARGS:a"), 2, "both values of a repeated key");
    assert_eq!(count("ARGS:b"), 1, "keys select case-insensitively");
    assert_eq!(count("ARGS:/^a[0-9]$/"), 2);
    assert_eq!(count("ARGS:missing"), 0);
    assert_eq!(count("ARGS_NAMES"), 0);
    assert_eq!(count("REQUEST_HEADERS:user-agent|REQUEST_COOKIES|ARGS:a1"), 3);
    assert_eq!(count("REQUEST_HEADERS"), 3);
}

#[test]
fn exclusions() {
    let count = |targets: &str| {
        run(
            &format!("SecRule {targets} \"@rx attack\" \"id:1,phase:1,pass,setvar:tx.n=+1\""),
            "/?a1=attack&a2=attack&b=attack",
        )
        .1
    };
    assert_eq!(count("ARGS|!ARGS:b"), 2);
    assert_eq!(count("ARGS|!ARGS:B"), 2, "exclusions compare keys case-insensitively");
    assert_eq!(count("ARGS|!ARGS:/^a/"), 1);
    assert_eq!(count("!ARGS:a1|ARGS"), 2, "an exclusion applies wherever it is written");
    assert_eq!(count("ARGS|!ARGS"), 0);
    assert_eq!(count("REQUEST_HEADERS|!REQUEST_HEADERS:User-Agent"), 2);
    assert_eq!(count("ARGS|REQUEST_HEADERS|!ARGS:a1"), 5, "only ARGS loses a1");
}

#[test]
fn exclusions_added_by_update_target() {
    let conf = r#"
SecRule ARGS "@rx attack" "id:1,phase:1,pass,setvar:tx.n=+1"
SecRuleUpdateTargetById 1 "!ARGS:a1"
SecRuleUpdateTargetById 1 "REQUEST_HEADERS:X-Extra"
"#;
    assert_eq!(run(conf, "/?a1=attack&a2=attack").1, 2);
}

#[test]
fn counts() {
    let conf = r#"
SecRule &ARGS "@eq 4" "id:1,phase:1,pass"
SecRule &ARGS:a "@eq 2" "id:2,phase:1,pass"
SecRule &ARGS:/^a/ "@eq 3" "id:3,phase:1,pass"
SecRule &TX:missing "@eq 0" "id:4,phase:1,pass"
SecRule &REQUEST_HEADERS:HOST "@eq 1" "id:5,phase:1,pass"
SecRule &ARGS|!ARGS:b "@eq 3" "id:6,phase:1,pass"
SecRule &REQUEST_COOKIES_NAMES "@eq 1" "id:7,phase:1,pass"
SecRule &QUERY_STRING "@eq 1" "id:8,phase:1,pass"
SecRule &ARGS:a|&ARGS:b "@eq 1" "id:9,phase:1,pass,setvar:tx.n=+1"
"#;
    let (ids, n) = run(conf, "/?a=1&a=2&ab=3&b=4");
    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // &ARGS:a is 2, &ARGS:b is 1: one count matched.
    assert_eq!(n, 1);
}

#[test]
fn a_count_is_a_value_even_when_zero() {
    let (ids, _) = run(r#"SecRule &ARGS:missing "!@eq 1" "id:1,phase:1,pass""#, "/");
    assert_eq!(ids, [1]);
}

#[test]
fn negated_operators_need_a_value_to_match() {
    let conf = r#"
SecRule ARGS:missing "!@rx x" "id:1,phase:1,pass"
SecRule ARGS:a "!@rx x" "id:2,phase:1,pass,setvar:'tx.v=%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'"
SecRule ARGS:a "!@rx y" "id:3,phase:1,pass"
SecRule TX:missing "!@eq 1" "id:4,phase:1,pass"
SecRule REQUEST_COOKIES:nope|ARGS:nope "!@streq x" "id:5,phase:1,pass"
"#;
    let rules = on(conf);
    let (tx, _) = headers(&rules, &Request::get("/?a=y"));
    assert_eq!(ids(&tx), [2]);
    assert_eq!(tx_var(&tx, "v").as_deref(), Some("ARGS:a=y"));
}

#[test]
fn every_target_value_is_tested_and_each_match_counts() {
    let conf = r#"SecRule ARGS|ARGS_NAMES|REQUEST_COOKIES "@rx ^a" "id:1,phase:1,pass,setvar:tx.n=+1,\
        setvar:'tx.names=%{tx.names} %{MATCHED_VAR_NAME}'""#;
    let rules = on(conf);
    let (tx, _) = headers(&rules, &Request::get("/?ax=ay&b=a").header("Cookie", "k=av"));
    assert_eq!(tx_var(&tx, "n").as_deref(), Some("4"));
    // Targets in the order written, values in request order.
    assert_eq!(tx_var(&tx, "names").as_deref(), Some(" ARGS:ax ARGS:b ARGS_NAMES:ax REQUEST_COOKIES:k"));
}
