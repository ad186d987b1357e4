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
fn log_line_in_detection_only_is_a_warning() {
    let rules = load(&format!("SecRuleEngine DetectionOnly\n{RULES}"));
    let (tx, i) = request(&rules, &Request::get("/?a=attack"));
    assert_eq!(i, None);
    let line = tx.log_lines().pop().unwrap();
    assert!(line.starts_with("ModSecurity: Warning. Matched \"Operator `Rx'"), "{line}");
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
