//! Unit tests of action parsing.

use super::*;
use crate::variables::{Selector, VariableName};

fn one(text: &str) -> Action {
    match parse_list(text) {
        Ok(mut list) if list.len() == 1 => list.remove(0),
        Ok(list) => panic!("{text}: {} actions", list.len()),
        Err(e) => panic!("{text}: {e} at {}", e.offset),
    }
}

fn error(text: &str) -> (usize, String) {
    let e = parse_list(text).expect_err(text);
    (e.offset, e.to_string())
}

fn m(text: &str) -> MacroString {
    MacroString::parse(text)
}

#[test]
fn metadata_actions() {
    assert_eq!(one("id:942100"), Action::Id(942100));
    assert_eq!(one("id:'200000'"), Action::Id(200000));
    assert_eq!(one("msg:'SQL Injection, detected'"), Action::Msg(m("SQL Injection, detected")));
    assert_eq!(one("logdata:'%{TX.0}'"), Action::LogData(m("%{TX.0}")));
    assert_eq!(one("tag:'attack-sqli'"), Action::Tag(m("attack-sqli")));
    assert_eq!(one("ver:'OWASP_CRS/4.29.0-dev'"), Action::Ver("OWASP_CRS/4.29.0-dev".to_owned()));
    assert_eq!(one("rev:2"), Action::Rev("2".to_owned()));
    assert_eq!(one("maturity:'9'"), Action::Maturity(9));
    assert_eq!(one("accuracy:8"), Action::Accuracy(8));
    assert_eq!(one("status:403"), Action::Status(403));
    assert_eq!(one("skip:2"), Action::Skip(2));
    assert_eq!(one("skipAfter:END-REQUEST-910"), Action::SkipAfter("END-REQUEST-910".to_owned()));
}

#[test]
fn phases_by_number_and_name() {
    assert_eq!(one("phase:1"), Action::Phase(Phase::RequestHeaders));
    assert_eq!(one("phase:'2'"), Action::Phase(Phase::RequestBody));
    assert_eq!(one("phase:request"), Action::Phase(Phase::RequestBody));
    assert_eq!(one("phase:RESPONSE"), Action::Phase(Phase::ResponseBody));
    assert_eq!(one("phase:logging"), Action::Phase(Phase::Logging));
    assert_eq!(one("phase:3"), Action::Phase(Phase::ResponseHeaders));
    assert_eq!(
        error("phase:0").1,
        "invalid value \"0\" for action \"phase\" (expected 1-5, request, response or logging)"
    );
    assert_eq!(error("phase:6").0, 6);
}

#[test]
fn severities_by_name_and_number() {
    assert_eq!(one("severity:'CRITICAL'"), Action::Severity(Severity::Critical));
    assert_eq!(one("severity:warning"), Action::Severity(Severity::Warning));
    assert_eq!(one("severity:2"), Action::Severity(Severity::Critical));
    assert_eq!(one("severity:0"), Action::Severity(Severity::Emergency));
    assert_eq!(Severity::Notice.number(), 5);
    assert!(error("severity:8").1.starts_with("invalid value \"8\" for action \"severity\""));
}

#[test]
fn flags_and_disruptive_actions() {
    let list = parse_list("chain,capture,multiMatch,log,nolog,auditlog,noauditlog,sanitiseMatched").unwrap();
    assert_eq!(
        list,
        [
            Action::Chain,
            Action::Capture,
            Action::MultiMatch,
            Action::Log,
            Action::NoLog,
            Action::AuditLog,
            Action::NoAuditLog,
            Action::SanitiseMatched
        ]
    );
    assert_eq!(one("block"), Action::Disruptive(Disruptive::Block));
    assert_eq!(one("DENY"), Action::Disruptive(Disruptive::Deny));
    assert_eq!(one("drop"), Action::Disruptive(Disruptive::Drop));
    assert_eq!(one("pass"), Action::Disruptive(Disruptive::Pass));
    assert_eq!(one("allow"), Action::Disruptive(Disruptive::Allow(AllowScope::Transaction)));
    assert_eq!(one("allow:phase"), Action::Disruptive(Disruptive::Allow(AllowScope::Phase)));
    assert_eq!(one("allow:REQUEST"), Action::Disruptive(Disruptive::Allow(AllowScope::Request)));
    assert_eq!(
        one("redirect:'http://x/?a=%{tx.a}'"),
        Action::Disruptive(Disruptive::Redirect(m("http://x/?a=%{tx.a}")))
    );
    assert_eq!(error("chain:1"), (6, "action \"chain\" takes no value".to_owned()));
    assert_eq!(
        error("allow:all").1,
        "invalid value \"all\" for action \"allow\" (expected nothing, 'phase' or 'request')"
    );
}

#[test]
fn transformations_are_canonical() {
    assert_eq!(one("t:none"), Action::Transformation("none"));
    assert_eq!(one("t:base64decode"), Action::Transformation("base64Decode"));
    assert_eq!(one("t:URLDECODEUNI"), Action::Transformation("urlDecodeUni"));
    assert_eq!(one("t:normalisePath"), Action::Transformation("normalizePath"));
    assert_eq!(one("t:normalizePathWin"), Action::Transformation("normalizePathWin"));
    let (offset, message) = error("id:1,t:lowercase,t:rot13");
    assert_eq!(offset, 19);
    assert!(message.starts_with("unknown transformation \"rot13\" (expected one of base64Decode, "), "{message}");
}

#[test]
fn setvar_forms() {
    let set = |text: &str| match one(text) {
        Action::SetVar(s) => s,
        other => panic!("{other:?}"),
    };
    let s = set("setvar:'tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}'");
    assert_eq!(s.collection, Collection::Tx);
    assert_eq!(s.key, m("anomaly_score_pl1"));
    assert_eq!(s.op, SetVarOp::Add(m("%{tx.critical_anomaly_score}")));
    assert_eq!(set("setvar:tx.x=-5").op, SetVarOp::Sub(m("5")));
    assert_eq!(set("setvar:tx.x=-%{tx.y}").op, SetVarOp::Sub(m("%{tx.y}")));
    assert_eq!(set("setvar:TX.Blocking=1").key, m("blocking"));
    assert_eq!(set("setvar:tx.x=").op, SetVarOp::Set(m("")));
    assert_eq!(set("setvar:tx.flag").op, SetVarOp::SetToOne);
    assert_eq!(set("setvar:!tx.flag").op, SetVarOp::Delete);
    assert_eq!(set("setvar:ip.reput_block_flag=1").collection, Collection::Ip);
    // Keys may hold macros; values keep their case.
    let s = set("setvar:'tx.%{rule.id}-OWASP_CRS/%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'");
    assert_eq!(s.key.as_str(), "%{rule.id}-owasp_crs/%{matched_var_name}");
    assert_eq!(s.op, SetVarOp::Set(m("%{MATCHED_VAR}")));
    assert_eq!(
        error("setvar:foo.x=1").1,
        "unknown collection \"foo\" in \"setvar\" (expected tx, ip, global, resource, session or user)"
    );
    assert_eq!(error("setvar:tx=1").0, 7);
    assert_eq!(error("setvar:tx.=1").0, 10);
    assert_eq!(error("setvar:tx.x=+").0, 13);
    assert!(error("setvar:!tx.x=1").1.contains("no value when deleting"));
}

#[test]
fn collection_actions() {
    assert_eq!(
        one("expirevar:ip.block=60"),
        Action::ExpireVar(ExpireVar { collection: Collection::Ip, key: m("block"), seconds: m("60") })
    );
    assert_eq!(
        one("initcol:ip=%{REMOTE_ADDR}"),
        Action::InitCol(InitCol { collection: Collection::Ip, key: m("%{REMOTE_ADDR}") })
    );
    assert!(error("initcol:tx=x").1.starts_with("unknown collection \"tx\" in \"initcol\""));
    assert_eq!(one("setenv:ATTACK=1"), Action::SetEnv(SetEnv { name: "ATTACK".to_owned(), value: m("1") }));
    assert_eq!(one("setenv:FLAG"), Action::SetEnv(SetEnv { name: "FLAG".to_owned(), value: m("1") }));
    assert_eq!(one("setuid:%{ARGS.user}"), Action::SetUid(m("%{ARGS.user}")));
    assert_eq!(one("setsid:%{REQUEST_COOKIES.sid}"), Action::SetSid(m("%{REQUEST_COOKIES.sid}")));
    assert_eq!(one("setrsc:%{REQUEST_URI}"), Action::SetRsc(m("%{REQUEST_URI}")));
    assert_eq!(one("sanitiseArg:password"), Action::SanitiseArg("password".to_owned()));
    assert_eq!(one("sanitiseMatchedBytes:1/4"), Action::SanitiseMatchedBytes(Some("1/4".to_owned())));
    assert_eq!(one("sanitiseMatchedBytes"), Action::SanitiseMatchedBytes(None));
    assert_eq!(one("sanitiseRequestHeader:Authorization"), Action::SanitiseRequestHeader("Authorization".to_owned()));
    assert_eq!(one("sanitiseResponseHeader:Set-Cookie"), Action::SanitiseResponseHeader("Set-Cookie".to_owned()));
    assert_eq!(
        one("xmlns:xsd=http://www.w3.org/2001/XMLSchema"),
        Action::XmlNs { prefix: "xsd".to_owned(), uri: "http://www.w3.org/2001/XMLSchema".to_owned() }
    );
}

#[test]
fn ctl_options() {
    let ctl = |text: &str| match one(text) {
        Action::Ctl(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(ctl("ctl:ruleRemoveById=920420"), Ctl::RuleRemoveById(vec![IdRange { start: 920420, end: 920420 }]));
    assert_eq!(ctl("ctl:ruleRemoveById=1-5"), Ctl::RuleRemoveById(vec![IdRange { start: 1, end: 5 }]));
    assert_eq!(ctl("ctl:ruleRemoveByTag=OWASP_CRS"), Ctl::RuleRemoveByTag("OWASP_CRS".to_owned()));
    let Ctl::RuleRemoveTargetById { ids, targets } = ctl("ctl:ruleRemoveTargetById=942100;ARGS:foo") else {
        panic!("wrong ctl")
    };
    assert_eq!(ids, [IdRange { start: 942100, end: 942100 }]);
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].name, VariableName::Args);
    assert_eq!(targets[0].selector, Some(Selector::Key("foo".to_owned())));
    let Ctl::RuleRemoveTargetByTag { tag, targets } =
        ctl("ctl:ruleRemoveTargetByTag=xss-perf-disable;REQUEST_FILENAME")
    else {
        panic!("wrong ctl")
    };
    assert_eq!(tag, "xss-perf-disable");
    assert_eq!(targets[0].name, VariableName::RequestFilename);
    assert_eq!(ctl("ctl:requestBodyProcessor=URLENCODED"), Ctl::RequestBodyProcessor(BodyProcessor::UrlEncoded));
    assert_eq!(ctl("ctl:requestBodyProcessor=multipart"), Ctl::RequestBodyProcessor(BodyProcessor::Multipart));
    assert_eq!(ctl("ctl:requestBodyProcessor=XML"), Ctl::RequestBodyProcessor(BodyProcessor::Xml));
    assert_eq!(ctl("ctl:requestBodyProcessor=JSON"), Ctl::RequestBodyProcessor(BodyProcessor::Json));
    assert_eq!(ctl("ctl:forceRequestBodyVariable=On"), Ctl::ForceRequestBodyVariable(true));
    assert_eq!(ctl("ctl:auditEngine=Off"), Ctl::AuditEngine(AuditEngine::Off));
    assert_eq!(
        ctl("ctl:auditLogParts=+E"),
        Ctl::AuditLogParts(AuditLogParts { op: PartsOp::Add, parts: "E".to_owned() })
    );
    assert_eq!(
        ctl("ctl:auditLogParts=ABZ"),
        Ctl::AuditLogParts(AuditLogParts { op: PartsOp::Set, parts: "ABZ".to_owned() })
    );
    assert_eq!(ctl("ctl:ruleEngine=DetectionOnly"), Ctl::RuleEngine(RuleEngine::DetectionOnly));
    assert_eq!(ctl("ctl:requestBodyAccess=off"), Ctl::RequestBodyAccess(false));
    assert_eq!(ctl("ctl:requestBodyLimit=1048576"), Ctl::RequestBodyLimit(1_048_576));
    let (offset, message) = error("ctl:bogus=1");
    assert_eq!(offset, 4);
    assert!(message.starts_with("unknown ctl option \"bogus\" (expected one of auditEngine, "), "{message}");
    assert_eq!(
        error("ctl:ruleEngine=Maybe"),
        (15, "invalid value \"ruleEngine=Maybe\" for action \"ctl\" (expected On, Off or DetectionOnly)".to_owned())
    );
    assert_eq!(error("ctl:ruleRemoveTargetById=1;NOPE:x").0, 27);
    assert!(error("ctl:ruleRemoveTargetById=1;NOPE:x").1.starts_with("invalid target: unknown variable \"NOPE\""));
}

#[test]
fn quoting_commas_and_escapes() {
    let list = parse_list("id:1, msg:'a, b', tag:'x' ,pass").unwrap();
    assert_eq!(
        list,
        [Action::Id(1), Action::Msg(m("a, b")), Action::Tag(m("x")), Action::Disruptive(Disruptive::Pass)]
    );
    // Escapes are kept as written (libmodsecurity keeps them too).
    assert_eq!(one(r"msg:'lama\'s\'hell'"), Action::Msg(m(r"lama\'s\'hell")));
    assert_eq!(one(r#"msg:'the \"magic\" number'"#), Action::Msg(m(r#"the \"magic\" number"#)));
    assert_eq!(one(r"msg:a\,b"), Action::Msg(m(r"a\,b")));
    // A bare value runs to the comma, trailing blanks trimmed.
    assert_eq!(parse_list("msg:hello world ,pass").unwrap()[0], Action::Msg(m("hello world")));
}

#[test]
fn in_a_double_quoted_argument_the_list_ends_at_the_closing_quote() {
    let text = r#"id:1,msg:'He said "hi"',deny" trailing"#;
    let (actions, end) = parse_list_spanned(text, true).unwrap();
    assert_eq!(actions.len(), 3);
    assert_eq!(actions[1], (Action::Msg(m(r#"He said "hi""#)), 5));
    assert_eq!(&text[end..], "\" trailing");
    let e = parse_list_spanned("id:1,deny", true).unwrap_err();
    assert_eq!((e.offset, e.to_string()), (9, "missing closing '\"' at the end of the action list".to_owned()));
    let (actions, end) = parse_list_spanned(r#""rest"#, true).unwrap();
    assert!(actions.is_empty());
    assert_eq!(end, 0);
}

#[test]
fn list_errors() {
    let (offset, message) = error("id:1,foo,deny");
    assert_eq!(offset, 5);
    assert!(
        message.starts_with("unknown action \"foo\" (expected one of accuracy, allow, auditlog, block, "),
        "{message}"
    );
    assert!(message.ends_with(", t, tag, ver, xmlns)"), "{message}");
    assert_eq!(error("id:1,,deny"), (5, "expected an action (found an empty item in the list)".to_owned()));
    assert_eq!(error("id:1,"), (5, "expected an action (found an empty item in the list)".to_owned()));
    assert_eq!(error("msg:'abc"), (4, "unterminated single quote in action value".to_owned()));
    assert_eq!(error("msg:'a'b,deny"), (7, "expected ',' between actions, found \"b\"".to_owned()));
    assert_eq!(error("id"), (0, "action \"id\" needs a value (a positive number)".to_owned()));
    assert_eq!(error("id:0"), (3, "invalid value \"0\" for action \"id\" (expected a positive number)".to_owned()));
    assert_eq!(error("id:x1"), (3, "invalid value \"x1\" for action \"id\" (expected a positive number)".to_owned()));
    assert_eq!(error("skip:0").0, 5);
    assert_eq!(error("status:abc").0, 7);
    assert_eq!(
        error("exec:/usr/bin/x"),
        (0, "action \"exec\" is not supported: external scripts (Lua) are not run by this engine".to_owned())
    );
    assert!(error("proxy:http://x").1.starts_with("action \"proxy\" is not supported"));
    assert!(error("append:'x'").1.starts_with("action \"append\" is not supported"));
}

#[test]
fn configuration_kind_and_names() {
    assert!(Action::Id(1).is_configuration());
    assert!(Action::Chain.is_configuration());
    assert!(!Action::Log.is_configuration());
    assert!(!Action::Transformation("none").is_configuration());
    assert_eq!(Action::Disruptive(Disruptive::Deny).name(), "deny");
    assert_eq!(Action::SkipAfter(String::new()).name(), "skipAfter");
    for name in ACTION_NAMES {
        let text = match *name {
            "id" | "skip" | "maturity" | "accuracy" | "status" => format!("{name}:1"),
            "phase" => "phase:1".to_owned(),
            "severity" => "severity:2".to_owned(),
            "t" => "t:none".to_owned(),
            "setvar" | "expirevar" => format!("{name}:tx.a=1"),
            "initcol" => "initcol:ip=x".to_owned(),
            "ctl" => "ctl:ruleEngine=On".to_owned(),
            "xmlns" => "xmlns:a=b".to_owned(),
            "allow"
            | "block"
            | "capture"
            | "chain"
            | "deny"
            | "drop"
            | "log"
            | "multiMatch"
            | "noauditlog"
            | "nolog"
            | "pass"
            | "auditlog"
            | "sanitiseMatched"
            | "sanitiseMatchedBytes" => (*name).to_owned(),
            _ => format!("{name}:x"),
        };
        assert_eq!(one(&text).name(), *name, "{text}");
    }
}

#[test]
fn id_ranges() {
    assert_eq!(IdRange::parse("5"), Some(IdRange { start: 5, end: 5 }));
    assert_eq!(IdRange::parse(" 1-5 "), Some(IdRange { start: 1, end: 5 }));
    assert_eq!(IdRange::parse("5-1"), None);
    assert_eq!(IdRange::parse("a"), None);
    assert_eq!(IdRange::parse_list("1 2,10-20").map(|r| r.len()), Some(3));
    assert_eq!(IdRange::parse_list(""), None);
    assert!(IdRange { start: 1, end: 5 }.contains(5));
    assert!(!IdRange { start: 1, end: 5 }.contains(6));
    assert_eq!(IdRange { start: 1, end: 5 }.to_string(), "1-5");
}
