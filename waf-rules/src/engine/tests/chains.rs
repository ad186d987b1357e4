//! Chains and what a match leaves behind: per-match actions, msg/logdata, `MATCHED_VAR(S)`,
//! `capture` into `TX.0`-`TX.9`, `multiMatch`.

use super::*;

const THREE_LINKS: &str = r#"
SecRule ARGS:a "@streq 1" "id:1,phase:1,pass,setvar:tx.first=+1,ctl:ruleRemoveById=9,chain"
    SecRule ARGS:b "@streq 2" "setvar:tx.second=+1,chain"
    SecRule ARGS:c "@streq 3" "setvar:tx.third=+1"
SecAction "id:9,phase:1,pass"
"#;

#[test]
fn a_chain_matches_only_when_every_link_does() {
    let rules = on(THREE_LINKS);
    let (tx, _) = headers(&rules, &Request::get("/?a=1&b=2&c=3"));
    assert_eq!(ids(&tx), [1]);
    for uri in ["/?a=1&b=2&c=4", "/?a=1&b=0&c=3", "/?a=0&b=2&c=3", "/"] {
        let (tx, _) = headers(&rules, &Request::get(uri));
        assert_eq!(ids(&tx), [9], "{uri}");
    }
}

#[test]
fn per_match_setvar_runs_even_when_the_chain_fails() {
    // As libmodsecurity v3: setvar belongs to the link that matched, not to the chain; the
    // after-match actions (here ctl) wait for the whole chain.
    let rules = on(THREE_LINKS);
    let (tx, _) = headers(&rules, &Request::get("/?a=1&b=2&c=4"));
    assert_eq!(tx_var(&tx, "first").as_deref(), Some("1"));
    assert_eq!(tx_var(&tx, "second").as_deref(), Some("1"));
    assert_eq!(tx_var(&tx, "third"), None);
    assert_eq!(ids(&tx), [9], "ctl:ruleRemoveById ran although the chain failed");

    let (tx, _) = headers(&rules, &Request::get("/?a=1&b=0&c=3"));
    assert_eq!(tx_var(&tx, "first").as_deref(), Some("1"));
    assert_eq!(tx_var(&tx, "second"), None);
}

#[test]
fn setvar_runs_once_per_matching_value() {
    let rules = on(r#"
SecRule ARGS "@rx ^x" "id:1,phase:1,pass,setvar:tx.hits=+1,chain"
    SecRule REQUEST_METHOD "@streq POST" "setvar:tx.posts=+1"
"#);
    let (tx, _) = headers(&rules, &Request::get("/?a=x1&b=y&c=x2&d=x3"));
    assert_eq!(tx_var(&tx, "hits").as_deref(), Some("3"));
    assert_eq!(tx_var(&tx, "posts"), None);
    assert!(ids(&tx).is_empty());
}

#[test]
fn msg_and_logdata_are_expanded_after_the_chain() {
    let rules = on(r#"
SecRule ARGS:a "@rx (x+)" "id:1,phase:1,pass,capture,msg:'got %{TX.1}',\
    logdata:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR} first=%{tx.first}',setvar:tx.first=%{TX.1},chain"
    SecRule ARGS:b "@rx (y+)" "capture"
"#);
    let (tx, _) = headers(&rules, &Request::get("/?a=xx&b=yyy"));
    let m = &tx.matched()[0];
    assert_eq!(m.msg, "got yyy");
    assert_eq!(m.data, "ARGS:b=yyy first=xx");
    assert_eq!((m.matched_var.as_str(), m.matched_value.as_str()), ("ARGS:b", "yyy"));
}

#[test]
fn chained_rules_see_the_matched_vars_of_earlier_links() {
    let rules = on(r#"
SecRule ARGS "@rx ^abc" "id:1,phase:1,pass,t:none,t:lowercase,chain"
    SecRule MATCHED_VAR "@streq abcdef" "chain"
    SecRule MATCHED_VARS_NAMES "@streq ARGS:second" "setvar:tx.name=%{MATCHED_VAR_NAME}"
SecRule ARGS "@rx ^abc" "id:2,phase:1,pass,t:none,t:lowercase,chain"
    SecRule &MATCHED_VARS "@eq 2" ""
"#);
    // Both values match the starters (after t:lowercase); MATCHED_VAR is the last one.
    let (tx, _) = headers(&rules, &Request::get("/?first=ABCx&second=ABCDEF"));
    assert_eq!(ids(&tx), [1, 2]);
    // MATCHED_VARS_NAMES matched ARGS:second, whose name is now MATCHED_VAR_NAME.
    assert_eq!(tx_var(&tx, "name").as_deref(), Some("MATCHED_VARS_NAMES:ARGS:second"));
    // Order matters: when the last matching value is not abcdef, link 2 of rule 1 fails.
    let (tx, _) = headers(&rules, &Request::get("/?second=ABCDEF&first=ABCx"));
    assert_eq!(ids(&tx), [2]);
    let (tx, _) = headers(&rules, &Request::get("/?second=ABCDEF"));
    assert_eq!(ids(&tx), [1]);
}

#[test]
fn matched_var_is_the_transformed_value_and_its_name() {
    let rules = on(r#"
SecRule REQUEST_HEADERS:User-Agent "@contains evil" "id:1,phase:1,pass,t:lowercase,\
    setvar:'tx.v=%{MATCHED_VAR}',setvar:'tx.n=%{MATCHED_VAR_NAME}'"
SecRule REQUEST_FILENAME "@endsWith .php" "id:2,phase:1,pass,setvar:'tx.f=%{MATCHED_VAR_NAME}'"
"#);
    let (tx, _) = headers(&rules, &Request::get("/x.php").header("User-Agent", "EVIL bot"));
    assert_eq!(ids(&tx), [1, 2]);
    assert_eq!(tx_var(&tx, "v").as_deref(), Some("evil bot"));
    assert_eq!(tx_var(&tx, "n").as_deref(), Some("REQUEST_HEADERS:User-Agent"));
    assert_eq!(tx_var(&tx, "f").as_deref(), Some("REQUEST_FILENAME"));
}

#[test]
fn capture_fills_tx_0_to_9() {
    let rules = on(r#"
SecRule ARGS:a "@rx (a)(b)(c)" "id:1,phase:1,pass,capture"
SecRule ARGS:b "@rx (x)(y)?" "id:2,phase:1,pass,capture"
SecRule ARGS:c "@rx (1)(2)(3)(4)(5)(6)(7)(8)(9)(0)(z)" "id:3,phase:1,pass,capture"
SecRule ARGS:d "@rx (q)" "id:4,phase:1,pass"
"#);
    let (tx, _) = headers(&rules, &Request::get("/?a=-abc-&b=x&d=q"));
    assert_eq!(ids(&tx), [1, 2, 4]);
    let v = |k| tx_var(&tx, k);
    assert_eq!(v("0").as_deref(), Some("x"));
    assert_eq!(v("1").as_deref(), Some("x"));
    // An unset group leaves the earlier value in place, as libmodsecurity does.
    assert_eq!(v("2").as_deref(), Some("b"));
    assert_eq!(v("3").as_deref(), Some("c"));
    // No `capture`: nothing written.
    assert_ne!(v("1").as_deref(), Some("q"));

    let (tx, _) = headers(&rules, &Request::get("/?c=1234567890z"));
    assert_eq!(tx_var(&tx, "9").as_deref(), Some("9"));
    assert_eq!(tx_var(&tx, "0").as_deref(), Some("1234567890z"));
    // Only groups 0 to 9 are kept.
    assert_eq!(tx_var(&tx, "10"), None);
    assert_eq!(tx_var(&tx, "11"), None);
}

#[test]
fn multi_match_tries_every_intermediate_value() {
    let conf = |extra: &str| {
        on(&format!(
            r#"SecRule ARGS:a "@streq a bc" "id:1,phase:1,pass,t:none,t:lowercase,t:removeWhitespace,\
                setvar:tx.n=+1,setvar:'tx.v=%{{MATCHED_VAR}}'{extra}""#
        ))
    };
    let plain = conf("");
    let (tx, _) = headers(&plain, &Request::get("/?a=A%20BC"));
    assert!(ids(&tx).is_empty(), "only the final value is tested");
    let multi = conf(",multiMatch");
    let (tx, _) = headers(&multi, &Request::get("/?a=A%20BC"));
    assert_eq!(ids(&tx), [1]);
    assert_eq!(tx_var(&tx, "v").as_deref(), Some("a bc"));
    assert_eq!(tx_var(&tx, "n").as_deref(), Some("1"));
}

#[test]
fn multi_match_tests_the_original_and_each_changed_value() {
    let rules = on(r#"
SecRule ARGS:a "@rx ." "id:1,phase:1,pass,t:none,t:lowercase,t:uppercase,t:uppercase,multiMatch,setvar:tx.n=+1"
"#);
    // "abc" (original) matches; lowercase leaves it unchanged (not retested); uppercase gives
    // "ABC" (tested); the second uppercase changes nothing.
    let (tx, _) = headers(&rules, &Request::get("/?a=abc"));
    assert_eq!(tx_var(&tx, "n").as_deref(), Some("2"));
}

#[test]
fn matched_vars_start_empty_for_every_rule() {
    let rules = on(r#"
SecRule ARGS "@rx ." "id:1,phase:1,pass"
SecRule &MATCHED_VARS "@eq 0" "id:2,phase:1,pass"
SecRule MATCHED_VAR "@rx ^$" "id:3,phase:1,pass"
SecAction "id:4,phase:1,pass,setvar:'tx.mv=%{MATCHED_VAR}'"
"#);
    let (tx, _) = headers(&rules, &Request::get("/?a=1&b=2"));
    assert_eq!(ids(&tx), [1, 2, 3, 4]);
    assert_eq!(tx_var(&tx, "mv").as_deref(), Some(""));
}

#[test]
fn after_match_actions_of_chained_links_wait_for_the_whole_chain() {
    let rules = on(r#"
SecRule ARGS:a "@streq 1" "id:1,phase:1,pass,chain"
    SecRule ARGS:b "@streq 1" "ctl:ruleRemoveById=3,chain"
    SecRule ARGS:c "@streq 1" ""
SecAction "id:3,phase:1,pass"
"#);
    let (tx, _) = headers(&rules, &Request::get("/?a=1&b=1&c=0"));
    assert_eq!(ids(&tx), [3]);
    let (tx, _) = headers(&rules, &Request::get("/?a=1&b=1&c=1"));
    assert_eq!(ids(&tx), [1]);
}

#[test]
fn target_removals_apply_to_every_link_of_the_chain() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,nolog,ctl:ruleRemoveTargetById=2;ARGS:b"
SecRule ARGS "@streq x" "id:2,phase:1,pass,chain"
    SecRule ARGS "@streq y" ""
"#);
    let (tx, _) = headers(&rules, &Request::get("/?a=x&b=y"));
    assert_eq!(ids(&tx), [1], "b is no target of the second link either");
    let (tx, _) = headers(&rules, &Request::get("/?a=x&c=y"));
    assert_eq!(ids(&tx), [1, 2]);
}
