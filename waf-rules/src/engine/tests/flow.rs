//! Flow control: `skip`, `skipAfter` with markers, and `allow` with its three scopes.

use super::*;

#[test]
fn skip_jumps_over_the_next_rules_when_the_rule_matches() {
    let rules = on(r#"
SecRule ARGS:s "@streq 1" "id:1,phase:1,pass,skip:2"
SecAction "id:2,phase:1,pass"
SecRule ARGS:x "@streq 1" "id:3,phase:1,pass,chain"
    SecRule ARGS:y "@streq 1" ""
SecAction "id:4,phase:1,pass"
SecAction "id:5,phase:2,pass"
"#);
    let (tx, _) = request(&rules, &Request::get("/?s=1&x=1&y=1"));
    // A chain counts as one rule.
    assert_eq!(ids(&tx), [1, 4, 5]);
    let (tx, _) = request(&rules, &Request::get("/?s=0&x=1&y=1"));
    assert_eq!(ids(&tx), [2, 3, 4, 5]);
}

#[test]
fn skip_after_resumes_after_the_marker() {
    let rules = on(r#"
SecRule ARGS:s "@streq 1" "id:1,phase:1,pass,skipAfter:END"
SecAction "id:2,phase:1,pass"
SecMarker OTHER
SecAction "id:3,phase:1,pass"
SecMarker END
SecAction "id:4,phase:1,pass"
"#);
    let (tx, _) = headers(&rules, &Request::get("/?s=1"));
    assert_eq!(ids(&tx), [1, 4]);
    let (tx, _) = headers(&rules, &Request::get("/?s=0"));
    assert_eq!(ids(&tx), [2, 3, 4]);
}

#[test]
fn markers_exist_in_every_phase() {
    // The CRS pattern: one marker written once, skipped to from phases 1 and 2.
    let rules = on(r#"
SecRule ARGS:s "@streq 1" "id:1,phase:1,pass,skipAfter:END-911"
SecRule ARGS:s "@streq 1" "id:2,phase:2,pass,skipAfter:END-911"
SecAction "id:3,phase:1,pass"
SecAction "id:4,phase:2,pass"
SecMarker "END-911"
SecAction "id:5,phase:1,pass"
SecAction "id:6,phase:2,pass"
SecAction "id:7,phase:3,pass"
"#);
    let (tx, _) = full(&rules, &Request::get("/?s=1"), b"");
    assert_eq!(ids(&tx), [1, 5, 2, 6, 7]);
}

#[test]
fn skip_after_a_marker_that_is_not_ahead_ends_the_phase_only() {
    let rules = on(r#"
SecMarker BEFORE
SecRule ARGS:s "@streq 1" "id:1,phase:1,pass,skipAfter:BEFORE"
SecAction "id:2,phase:1,pass"
SecRule ARGS:s "@rx ^[12]$" "id:3,phase:1,pass,skipAfter:NOWHERE"
SecAction "id:5,phase:1,pass"
SecAction "id:4,phase:2,pass"
"#);
    let (tx, _) = request(&rules, &Request::get("/?s=1"));
    assert_eq!(ids(&tx), [1, 4]);
    // A marker that does not exist ends the phase, not the transaction (a deliberate
    // difference: libmodsecurity would go on looking for it in every later phase).
    let (tx, _) = request(&rules, &Request::get("/?s=2"));
    assert_eq!(ids(&tx), [2, 3, 4]);
}

#[test]
fn skip_after_in_a_chain_waits_for_the_chain() {
    let rules = on(r#"
SecRule ARGS:a "@streq 1" "id:1,phase:1,pass,skipAfter:END,chain"
    SecRule ARGS:b "@streq 1" ""
SecAction "id:2,phase:1,pass"
SecMarker END
"#);
    let (tx, _) = headers(&rules, &Request::get("/?a=1&b=0"));
    assert_eq!(ids(&tx), [2]);
    let (tx, _) = headers(&rules, &Request::get("/?a=1&b=1"));
    assert_eq!(ids(&tx), [1]);
}

const ALLOW: &str = r#"
SecResponseBodyAccess On
SecAction "id:1,phase:1,pass"
SecAction "id:2,phase:1,pass"
SecAction "id:3,phase:2,pass"
SecAction "id:4,phase:3,pass"
SecAction "id:5,phase:3,pass"
SecAction "id:6,phase:4,pass"
SecAction "id:7,phase:5,pass"
SecAction "id:8,phase:5,pass"
"#;

/// [`ALLOW`] with an `allow` rule (`action`) inserted before the rule with id `before`.
fn with_allow(action: &str, phase: u8, before: u64) -> RuleSet {
    let allow = format!("SecAction \"id:99,phase:{phase},{action}\"\n");
    let at = ALLOW.find(&format!("\"id:{before},")).unwrap();
    let line_start = ALLOW[..at].rfind('\n').unwrap() + 1;
    on(&format!("{}{allow}{}", &ALLOW[..line_start], &ALLOW[line_start..]))
}

#[test]
fn allow_skips_every_later_rule_but_logging() {
    let rules = with_allow("allow", 1, 2);
    let (tx, i) = full(&rules, &Request::get("/"), b"");
    assert_eq!(i, None, "allow is not an intervention");
    assert_eq!(ids(&tx), [1, 99, 7, 8]);
}

#[test]
fn allow_phase_skips_the_rest_of_its_phase() {
    let rules = with_allow("allow:phase", 1, 2);
    let (tx, _) = full(&rules, &Request::get("/"), b"");
    assert_eq!(ids(&tx), [1, 99, 3, 4, 5, 6, 7, 8]);
    let rules = with_allow("allow:phase", 3, 5);
    let (tx, _) = full(&rules, &Request::get("/"), b"");
    assert_eq!(ids(&tx), [1, 2, 3, 4, 99, 6, 7, 8]);
}

#[test]
fn allow_in_the_logging_phase_ends_it() {
    let rules = with_allow("allow", 5, 8);
    let (tx, _) = full(&rules, &Request::get("/"), b"");
    assert_eq!(ids(&tx), [1, 2, 3, 4, 5, 6, 7, 99]);
}

#[test]
fn allow_is_disruptive_so_detection_only_ignores_it() {
    let rules = load(&format!("SecRuleEngine DetectionOnly\nSecAction \"id:99,phase:1,allow\"\n{ALLOW}"));
    let (tx, _) = full(&rules, &Request::get("/"), b"");
    assert_eq!(ids(&tx), [99, 1, 2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn allow_then_deny_in_a_later_phase_does_not_block() {
    let rules = on(r#"
SecAction "id:1,phase:1,allow"
SecAction "id:2,phase:2,deny"
SecAction "id:3,phase:4,deny"
"#);
    let (tx, i) = full(&rules, &Request::get("/"), b"");
    assert_eq!(i, None);
    assert_eq!(ids(&tx), [1]);
}

#[test]
fn allow_request_skips_the_request_phases_only() {
    let rules = with_allow("allow:request", 1, 2);
    let (tx, _) = full(&rules, &Request::get("/"), b"");
    assert_eq!(ids(&tx), [1, 99, 4, 5, 6, 7, 8]);
    // From phase 3, allow:request ends that phase only.
    let rules = with_allow("allow:request", 3, 5);
    let (tx, _) = full(&rules, &Request::get("/"), b"");
    assert_eq!(ids(&tx), [1, 2, 3, 4, 99, 6, 7, 8]);
}

#[test]
fn skip_counts_markers() {
    // libmodsecurity v3 keeps markers in its rule lists: `skip` steps over them too.
    let rules = on(r#"
SecAction "id:1,phase:1,pass,skip:1"
SecMarker M
SecAction "id:2,phase:1,pass"
"#);
    let (tx, _) = headers(&rules, &Request::get("/"));
    assert_eq!(ids(&tx), [1, 2]);
}
