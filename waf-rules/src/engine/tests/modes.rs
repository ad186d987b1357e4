//! Engine modes and disruptive actions: `deny`, `drop`, `redirect` with `status:`, `block`
//! through `SecDefaultAction`, and what `DetectionOnly` and `Off` change.

use super::*;
use crate::actions::RuleEngine;

/// The first intervention of a GET `uri` through phases 1 and 2 of `On` + `conf`.
fn decide(conf: &str, uri: &str) -> Option<Intervention> {
    let rules = on(conf);
    request(&rules, &Request::get(uri)).1
}

#[test]
fn deny_answers_403_or_its_status() {
    let i = decide(r#"SecRule ARGS:a "@streq x" "id:1,phase:2,deny""#, "/?a=x").expect("denied");
    assert_eq!(i, Intervention { status: 403, redirect: None, drop: false, rule_id: 1, phase: 2 });
    let i = decide(r#"SecRule ARGS:a "@streq x" "id:7,phase:1,deny,status:401""#, "/?a=x").unwrap();
    assert_eq!((i.status, i.rule_id, i.phase), (401, 7, 1));
    assert_eq!(decide(r#"SecRule ARGS:a "@streq x" "id:1,phase:1,deny""#, "/?a=y"), None);
}

#[test]
fn the_first_intervention_ends_the_phase() {
    let rules = on(r#"
SecAction "id:1,phase:1,deny,status:410"
SecAction "id:2,phase:1,deny,status:411"
SecAction "id:3,phase:1,pass"
"#);
    let (tx, i) = full(&rules, &Request::get("/"), b"");
    assert_eq!(i.map(|i| i.status), Some(410));
    assert_eq!(ids(&tx), [1]);
}

#[test]
fn drop_closes_the_connection() {
    let i = decide(r#"SecAction "id:1,phase:1,drop""#, "/").unwrap();
    assert!(i.drop);
    assert_eq!((i.rule_id, i.redirect), (1, None));
}

#[test]
fn block_takes_the_default_action_of_its_phase() {
    let conf = r#"
SecDefaultAction "phase:1,log,auditlog,pass"
SecDefaultAction "phase:2,log,auditlog,deny,status:418"
SecRule ARGS:a "@streq 1" "id:1,phase:1,block"
SecRule ARGS:b "@streq 1" "id:2,phase:2,block"
SecRule ARGS:c "@streq 1" "id:3,phase:2,pass"
SecRule ARGS:d "@streq 1" "id:4,phase:2,deny,status:409"
"#;
    assert_eq!(decide(conf, "/?a=1"), None, "phase 1 defaults to pass");
    assert_eq!(decide(conf, "/?b=1").map(|i| (i.status, i.rule_id)), Some((418, 2)));
    assert_eq!(decide(conf, "/?c=1"), None, "an explicit pass is not a block");
    assert_eq!(decide(conf, "/?d=1").map(|i| (i.status, i.rule_id)), Some((409, 4)));
    // No SecDefaultAction for the phase: block does nothing.
    assert_eq!(decide(r#"SecRule ARGS:a "@streq 1" "id:1,phase:2,block""#, "/?a=1"), None);
}

#[test]
fn default_actions_are_inherited() {
    let rules = on(r#"
SecDefaultAction "phase:1,nolog,auditlog,pass,t:lowercase,tag:'default'"
SecRule ARGS:a "@streq abc" "id:1,phase:1,pass"
SecRule ARGS:a "@streq abc" "id:2,phase:1,pass,t:none"
SecRule ARGS:a "@streq abc" "id:3,phase:1,pass,log"
"#);
    let (tx, _) = headers(&rules, &Request::get("/?a=ABC"));
    assert_eq!(ids(&tx), [1, 3], "t:none drops the inherited t:lowercase");
    let logged: Vec<bool> = tx.matched().iter().map(|m| m.log).collect();
    assert_eq!(logged, [false, true]);
    assert_eq!(*tx.matched()[0].tags, ["default"]);
    assert_eq!(tx.log_lines().len(), 1);
}

const DENY_ALL: &str = r#"
SecAction "id:1,phase:1,deny,status:403"
SecAction "id:2,phase:2,pass"
SecAction "id:3,phase:5,pass"
"#;

#[test]
fn detection_only_logs_but_never_intervenes() {
    let rules = load(&format!("SecRuleEngine DetectionOnly\n{DENY_ALL}"));
    assert_eq!(rules.mode(), RuleEngine::DetectionOnly);
    let (tx, i) = full(&rules, &Request::get("/"), b"");
    assert_eq!(i, None);
    assert_eq!(tx.intervention(), None);
    assert_eq!(ids(&tx), [1, 2, 3]);
    assert!(tx.matched().iter().all(|m| !m.disruptive));
    assert!(tx.log_lines()[0].starts_with("ModSecurity: Warning. "), "{}", tx.log_lines()[0]);
    assert_eq!(tx.audit_entry().decision, "detected");
}

#[test]
fn off_runs_nothing() {
    let rules = load(&format!("SecRuleEngine Off\n{DENY_ALL}"));
    let (tx, i) = full(&rules, &Request::get("/"), b"");
    assert_eq!(i, None);
    assert!(ids(&tx).is_empty());
    assert_eq!(tx.audit_entry().decision, "clean");
}

#[test]
fn a_policy_overrides_the_configured_mode() {
    let rules = load(&format!("SecRuleEngine DetectionOnly\n{DENY_ALL}"));
    let mut tx = Transaction::new(&rules, &connection());
    tx.set_mode(RuleEngine::On);
    let i = tx.process_request_headers(b"GET", b"/", b"HTTP/1.1", []);
    assert_eq!(i.map(|i| i.rule_id), Some(1));
    let mut tx = Transaction::new(&rules, &connection());
    tx.set_mode(RuleEngine::Off);
    assert_eq!(tx.process_request_headers(b"GET", b"/", b"HTTP/1.1", []), None);
    assert!(tx.matched().is_empty());
}

#[test]
fn a_disruptive_rule_in_detection_only_still_runs_its_other_actions() {
    let rules = load(
        r#"SecRuleEngine DetectionOnly
SecAction "id:1,phase:1,deny,setvar:tx.score=+5,ctl:ruleRemoveById=2"
SecAction "id:2,phase:1,pass"
"#,
    );
    let (tx, _) = headers(&rules, &Request::get("/"));
    assert_eq!(ids(&tx), [1]);
    assert_eq!(tx_var(&tx, "score").as_deref(), Some("5"));
}

#[test]
fn an_unset_engine_detects_like_libmodsecurity() {
    // libmodsecurity v3 runs the rules when SecRuleEngine is not set (only Off stops them) and
    // carries out disruptive actions only when it is On.
    let rules = load(DENY_ALL);
    assert_eq!(rules.mode(), RuleEngine::DetectionOnly);
    let (tx, i) = full(&rules, &Request::get("/"), b"");
    assert_eq!(i, None);
    assert_eq!(ids(&tx), [1, 2, 3]);
}

#[test]
fn redirect_expands_macros_and_takes_a_redirect_status() {
    let i =
        decide(r#"SecAction "id:1,phase:1,redirect:'https://example.net/blocked?from=%{REQUEST_FILENAME}'""#, "/a/b?x")
            .unwrap();
    assert_eq!(i.redirect.as_deref(), Some("https://example.net/blocked?from=/a/b"));
    assert_eq!(i.status, 302);
    let i = decide(r#"SecAction "id:1,phase:1,status:301,redirect:/moved""#, "/").unwrap();
    assert_eq!((i.status, i.redirect.as_deref()), (301, Some("/moved")));
    // libmodsecurity keeps only a 3xx status (301-307) for a redirect.
    let i = decide(r#"SecAction "id:1,phase:1,status:403,redirect:/moved""#, "/").unwrap();
    assert_eq!(i.status, 302);
}
