//! What a transaction reports: the ModSecurity error-log line of each logged match and the JSON
//! audit entry.

use super::*;

const RULES: &str = r#"
SecRule ARGS:a "@rx att(a)ck" \
    "id:942100,phase:2,deny,status:403,t:none,t:lowercase,capture,\
    msg:'SQL Injection via %{MATCHED_VAR_NAME}',logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}',\
    severity:'CRITICAL',ver:'OWASP_CRS/4.0.0',rev:'2',maturity:'9',accuracy:'8',\
    tag:'attack-sqli',tag:'paranoia-level/1'"
SecAction "id:900,phase:1,pass,log,msg:'setup'"
SecAction "id:901,phase:1,pass,nolog,noauditlog"
SecAction "id:902,phase:1,pass,nolog,auditlog,msg:'audit only'"
"#;

#[test]
fn log_line_of_a_blocking_match() {
    let rules = on(RULES);
    let (tx, i) = request(&rules, &Request::get("/shop/item?id=3&a=xATTaCKx"));
    assert_eq!(i.map(|i| i.rule_id), Some(942100));
    let lines = tx.log_lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(
        lines[0],
        "ModSecurity: Warning. Unconditional match in SecAction. [file \"test.conf\"] [line \"8\"] [id \"900\"] \
[rev \"\"] [msg \"setup\"] [data \"\"] [severity \"0\"] [ver \"\"] [maturity \"0\"] [accuracy \"0\"] \
[hostname \"198.51.100.1\"] [uri \"/shop/item\"] [unique_id \"test-1\"]"
    );
    // The value shown is the one the client sent (before t:lowercase), as libmodsecurity logs it.
    assert_eq!(
        lines[1],
        "ModSecurity: Access denied with code 403 (phase 2). Matched \"Operator `Rx' with parameter `att(a)ck' \
against variable `ARGS:a' (Value: `xATTaCKx' ) [file \"test.conf\"] [line \"3\"] [id \"942100\"] [rev \"2\"] \
[msg \"SQL Injection via ARGS:a\"] [data \"Matched Data: attack found within ARGS:a: xattackx\"] \
[severity \"2\"] [ver \"OWASP_CRS/4.0.0\"] [maturity \"9\"] [accuracy \"8\"] [tag \"attack-sqli\"] \
[tag \"paranoia-level/1\"] [hostname \"198.51.100.1\"] [uri \"/shop/item\"] [unique_id \"test-1\"]"
    );
}

#[test]
fn log_line_in_detection_only_is_a_warning() {
    let rules = load(&format!("SecRuleEngine DetectionOnly\n{RULES}"));
    let (tx, i) = request(&rules, &Request::get("/?a=attack"));
    assert_eq!(i, None);
    let line = tx.log_lines().pop().unwrap();
    assert!(line.starts_with("ModSecurity: Warning. Matched \"Operator `Rx'"), "{line}");
}

#[test]
fn log_line_escapes_and_limits_values() {
    let rules = on(r#"SecRule ARGS "@rx x" "id:1,phase:1,pass,logdata:'%{MATCHED_VAR}'""#);
    let long = format!("/?v=\"%0a\\{}", "x".repeat(150));
    let (tx, _) = headers(&rules, &Request::get(&long));
    let line = tx.log_lines().pop().unwrap();
    // Quotes, backslashes and control bytes are hex-encoded (libmodsecurity's toHexIfNeeded);
    // the value is cut to 100 characters with the count of the rest, as libmodsecurity does.
    let value = format!("\\x22\\x0a\\x5c{} (53 characters omitted)", "x".repeat(97));
    assert!(line.contains(&format!("(Value: `{value}' )")), "{line}");
    assert!(!line.contains('\n'));
    let data = line.split("[data \"").nth(1).unwrap().split("\"] [severity").next().unwrap();
    assert!(data.starts_with("\\x22\\x0a\\x5cxxx"), "{data}");
    // logdata is cut at 200 characters.
    let rules = on(r#"SecRule ARGS "@rx x" "id:1,phase:1,pass,logdata:'%{MATCHED_VAR}'""#);
    let (tx, _) = headers(&rules, &Request::get(&format!("/?v={}", "x".repeat(250))));
    assert!(tx.log_lines()[0].contains(&format!("[data \"{} (50 characters omitted)\"]", "x".repeat(200))));
}

#[test]
fn audit_entry() {
    let rules = on(RULES);
    let (mut tx, _) = request(&rules, &Request::get("/?a=attack"));
    tx.process_logging();
    let entry = serde_json::to_value(tx.audit_entry()).unwrap();
    assert_eq!(entry["unique_id"], "test-1");
    assert_eq!(entry["client"], "192.0.2.7");
    assert_eq!(entry["request_line"], "GET /?a=attack HTTP/1.1");
    assert_eq!(entry["decision"], "blocked");
    assert_eq!(entry["blocked_by"], 942100);
    assert!(entry.get("status").is_none(), "no response yet");
    let rules_json = entry["rules"].as_array().unwrap();
    let audited: Vec<u64> = rules_json.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(audited, [900, 902, 942100], "noauditlog rules are left out");
    let sqli = &rules_json[2];
    assert_eq!(sqli["phase"], 2);
    assert_eq!(sqli["msg"], "SQL Injection via ARGS:a");
    assert_eq!(sqli["data"], "Matched Data: attack found within ARGS:a: attack");
    assert_eq!(sqli["severity"], 2);
    assert_eq!(sqli["tags"], serde_json::json!(["attack-sqli", "paranoia-level/1"]));
    assert_eq!(sqli["matched_var"], "ARGS:a");
    assert_eq!(sqli["matched_value"], "attack");
    assert_eq!(sqli["disruptive"], true);
    assert_eq!(sqli["ver"], "OWASP_CRS/4.0.0");
    assert_eq!(sqli["file"], "test.conf");
    assert_eq!(sqli["line"], 3);
    assert_eq!(rules_json[1]["log"], false);
    assert!(rules_json[0].get("severity").is_none());
}

#[test]
fn audit_entry_decisions() {
    let rules = load("SecRuleEngine On\nSecRule ARGS:a \"@streq 1\" \"id:1,phase:1,pass,log\"\nSecAction \"id:2,phase:1,pass,nolog\"");
    let (tx, _) = full(&rules, &Request::get("/?a=1"), b"");
    let entry = tx.audit_entry();
    assert_eq!((entry.decision, entry.blocked_by, entry.status), ("detected", None, Some(200)));
    let (tx, _) = full(&rules, &Request::get("/?a=0"), b"");
    assert_eq!(tx.audit_entry().decision, "clean", "a nolog match is not a detection");
}

#[test]
fn nolog_matches_stay_out_of_the_audit_entry_and_are_not_rendered() {
    let rules = load(concat!(
        "SecRuleEngine On\n",
        "SecRule ARGS:a \"@streq 1\" \"id:1,phase:1,pass,log,msg:'seen %{MATCHED_VAR}'\"\n",
        "SecRule ARGS:a \"@streq 1\" \"id:2,phase:1,pass,nolog,msg:'quiet %{MATCHED_VAR}'\"\n",
        "SecRule ARGS:a \"@streq 1\" \"id:3,phase:1,pass,nolog,auditlog,msg:'audited'\"\n",
    ));
    let (tx, _) = full(&rules, &Request::get("/?a=1"), b"");
    let m = tx.matched();
    assert_eq!(m.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2, 3], "every match is recorded");
    assert_eq!((m[0].msg.as_str(), m[0].matched_var.as_str(), m[0].matched_value.as_str()), ("seen 1", "ARGS:a", "1"));
    assert_eq!((m[1].msg.as_str(), m[1].matched_var.as_str(), m[1].matched_value.as_str()), ("", "", ""));
    assert_eq!((m[2].msg.as_str(), m[2].matched_var.as_str()), ("audited", "ARGS:a"));
    let audited: Vec<u64> = tx.audit_entry().rules.iter().map(|r| r.id).collect();
    assert_eq!(audited, [1, 3]);
}

#[test]
fn log_line_uri_cannot_break_the_line() {
    let rules = on(r#"SecAction "id:1,phase:1,pass""#);
    let (tx, _) = headers(&rules, &Request::get("/a%0a%22b?q=%0a"));
    let line = tx.log_lines().pop().unwrap();
    assert!(line.ends_with(r#"[uri "/a\x0a\x22b"] [unique_id "test-1"]"#), "{line}");
}

#[test]
fn tags_are_expanded() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,nolog,setvar:tx.app=shop"
SecAction "id:2,phase:1,pass,tag:'app/%{tx.app}',tag:'plain'"
"#);
    let (tx, _) = headers(&rules, &Request::get("/"));
    assert_eq!(*tx.matched()[1].tags, ["app/shop", "plain"]);
    assert!(tx.log_lines()[0].contains(r#"[tag "app/shop"] [tag "plain"]"#));
}
