//! Every load error names file:line:column and what was expected.

use crate::seclang;

fn error(text: &str) -> String {
    match seclang::load_str("rules/x.conf", text, ".") {
        Ok(_) => panic!("should fail: {text}"),
        Err(e) => e.to_string(),
    }
}

fn assert_error(text: &str, expected: &str) {
    assert_eq!(error(text), expected, "{text}");
}

fn assert_error_starts(text: &str, expected: &str) {
    let message = error(text);
    assert!(message.starts_with(expected), "{text}:\n  got      {message}\n  expected {expected}...");
}

#[test]
fn unknown_names() {
    assert_error_starts(
        "\n  SecFoo bar\n",
        "rules/x.conf:2:3: unknown directive \"SecFoo\" (expected one of Include, ",
    );
    assert_error_starts(
        "SecRule ARGS \"@rx a\" \"id:1,\\\n    foo\"",
        "rules/x.conf:2:5: unknown action \"foo\" (expected one of accuracy, allow, auditlog, ",
    );
    assert_error(
        "SecRule ARGS|REQUEST_HEADER \"@rx a\" \"id:1\"",
        "rules/x.conf:1:14: unknown variable \"REQUEST_HEADER\" (did you mean REQUEST_HEADERS?)",
    );
    assert_error_starts(
        "SecRule ARGS \"!@foo a\" \"id:1\"",
        "rules/x.conf:1:16: unknown operator \"@foo\" (expected one of @beginsWith, ",
    );
    assert_error_starts(
        "SecRule ARGS \"@rx a\" \"id:1,t:rot13\"",
        "rules/x.conf:1:30: unknown transformation \"rot13\"",
    );
    assert_error(
        "SecRuleScript /x.lua",
        "rules/x.conf:1:1: SecRuleScript is not supported: Lua rules are not run by this engine",
    );
}

#[test]
fn operator_arguments() {
    assert_error("SecRule ARGS \"@rx\" \"id:1\"", "rules/x.conf:1:15: operator @rx needs an argument");
    assert_error("SecRule ARGS \"\" \"id:1\"", "rules/x.conf:1:15: operator @rx needs an argument");
    assert_error(
        "SecRule ARGS \"@detectSQLi x\" \"id:1\"",
        "rules/x.conf:1:27: operator @detectSQLi takes no argument (found \"x\")",
    );
}

#[test]
fn missing_and_extra_arguments() {
    assert_error(
        "SecRule ARGS",
        "rules/x.conf:1:1: SecRule: missing operator (usage: SecRule VARIABLES \"OPERATOR\" [\"ACTIONS\"])",
    );
    assert_error("SecAction", "rules/x.conf:1:1: SecAction: missing actions (usage: SecAction \"ACTIONS\")");
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1\" extra",
        "rules/x.conf:1:29: SecRule: unexpected argument \"extra\" (usage: SecRule VARIABLES \"OPERATOR\" [\"ACTIONS\"])",
    );
    assert_error(
        "SecRuleEngine On Off",
        "rules/x.conf:1:18: SecRuleEngine: unexpected argument \"Off\" (usage: SecRuleEngine On|Off|DetectionOnly)",
    );
    assert_error(
        "SecRuleEngine",
        "rules/x.conf:1:1: SecRuleEngine: missing mode (usage: SecRuleEngine On|Off|DetectionOnly)",
    );
}

#[test]
fn invalid_setting_values() {
    assert_error(
        "SecRuleEngine Maybe",
        "rules/x.conf:1:15: SecRuleEngine: invalid value \"Maybe\" (expected On, Off or DetectionOnly)",
    );
    assert_error(
        "SecRequestBodyLimit 10MB",
        "rules/x.conf:1:21: SecRequestBodyLimit: invalid value \"10MB\" (expected a non-negative integer)",
    );
    assert_error(
        "SecRequestBodyLimitAction Drop",
        "rules/x.conf:1:27: SecRequestBodyLimitAction: invalid value \"Drop\" (expected Reject or ProcessPartial)",
    );
    assert_error(
        "SecArgumentSeparator ;;",
        "rules/x.conf:1:22: SecArgumentSeparator: invalid value \";;\" (expected a single character)",
    );
    assert_error(
        "SecAuditLogParts ABX",
        "rules/x.conf:1:18: SecAuditLogParts: invalid value \"ABX\" (expected audit log part letters A-K and Z)",
    );
    assert_error(
        "SecUploadKeepFiles RelevantOnly",
        "rules/x.conf:1:20: SecUploadKeepFiles: invalid value \"RelevantOnly\" (expected On or Off (RelevantOnly is not supported))",
    );
    assert_error(
        "SecRuleRemoveById 12a",
        "rules/x.conf:1:19: SecRuleRemoveById: invalid value \"12a\" (expected rule ids or ranges such as 942100 or 942100-942199)",
    );
}

#[test]
fn quoting() {
    assert_error("SecRule ARGS \"@rx a", "rules/x.conf:1:14: missing closing \" quote");
    assert_error("SecMarker 'END", "rules/x.conf:1:11: missing closing ' quote");
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1,deny",
        "rules/x.conf:1:22: missing closing '\"' at the end of the action list",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1,msg:'x\"",
        "rules/x.conf:1:32: unterminated single quote in action value",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1,,deny\"",
        "rules/x.conf:1:28: expected an action (found an empty item in the list)",
    );
    assert_error("SecAction \"id:1,msg:'a'b\"", "rules/x.conf:1:24: expected ',' between actions, found \"b\"");
}

#[test]
fn rule_structure() {
    assert_error(
        "\nSecRule ARGS \"@rx a\" \"phase:2\"",
        "rules/x.conf:2:1: rule has no id (every SecRule and SecAction needs id:N, except the chained rules after the first)",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:7\"\nSecAction \"pass,\\\n  id:7\"",
        "rules/x.conf:3:3: duplicate rule id 7 (first defined at rules/x.conf:1:1)",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecRule ARGS \"@rx b\" \"id:2\"",
        "rules/x.conf:2:23: action \"id\" is not allowed in a chained rule; only the chain starter may have it",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecRule ARGS \"@rx b\" \"t:none,phase:2\"",
        "rules/x.conf:2:30: action \"phase\" is not allowed in a chained rule; only the chain starter may have it",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecRule ARGS \"@rx b\" \"deny\"",
        "rules/x.conf:2:23: action \"deny\" is not allowed in a chained rule; only the chain starter may have it",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1,chain\"\n",
        "rules/x.conf:1:1: rule has \"chain\" but no SecRule follows it",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecMarker X",
        "rules/x.conf:1:1: rule has \"chain\" but no SecRule follows it (found SecMarker)",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecAction \"id:2\"",
        "rules/x.conf:1:1: rule has \"chain\" but no SecRule follows it (found SecAction)",
    );
    assert_error(
        "SecAction \"id:1,chain\"",
        "rules/x.conf:1:17: SecAction: action \"chain\" is not allowed here (only SecRule starts a chain)",
    );
    let long: String = std::iter::once("SecRule ARGS \"@rx a\" \"id:1,chain\"\n".to_owned())
        .chain((0..300).map(|_| "SecRule ARGS \"@rx a\" \"chain\"\n".to_owned()))
        .collect();
    assert_error(&long, "rules/x.conf:257:1: chain longer than 256 rules");
}

#[test]
fn default_action_checks() {
    assert_error(
        "SecDefaultAction \"log,deny\"",
        "rules/x.conf:1:1: SecDefaultAction must specify a phase (e.g. phase:2)",
    );
    assert_error(
        "SecDefaultAction \"phase:2,log,block\"",
        "rules/x.conf:1:1: SecDefaultAction must specify a disruptive action (pass, deny, drop, allow or redirect; block does not count)",
    );
    assert_error(
        "SecDefaultAction \"phase:2,t:none,pass\"",
        "rules/x.conf:1:27: SecDefaultAction: action \"t:none\" is not allowed here (it would clear the transformations it sets)",
    );
    assert_error(
        "SecDefaultAction \"phase:2,id:5,pass\"",
        "rules/x.conf:1:27: SecDefaultAction: action \"id\" is not allowed here (id, phase, chain, ver, rev, maturity and accuracy describe the rule)",
    );
    assert_error(
        "SecDefaultAction \"phase:2,pass\"\n\nSecDefaultAction \"phase:2,deny\"",
        "rules/x.conf:3:1: SecDefaultAction for phase 2 was already given at rules/x.conf:1:1",
    );
    assert_error(
        "SecRule ARGS \"@rx a\" \"id:1\"\nSecRuleUpdateActionById 1 \"phase:2\"",
        "rules/x.conf:2:28: SecRuleUpdateActionById: action \"phase\" is not allowed here (id, phase, chain, ver, rev, maturity and accuracy describe the rule)",
    );
}

#[test]
fn include_errors() {
    assert_error(
        "Include missing.conf",
        "rules/x.conf:1:1: Include: no file matches \"./missing.conf\" (use IncludeOptional for files that may be absent)",
    );
    assert_error(
        "Include nothing/*.conf",
        "rules/x.conf:1:1: Include: no file matches \"./nothing/*.conf\" (use IncludeOptional for files that may be absent)",
    );
    let e = seclang::load_file("/nonexistent/main.conf").unwrap_err();
    assert!(e.to_string().starts_with("/nonexistent/main.conf: cannot read /nonexistent/main.conf: "), "{e}");
}

#[test]
fn loading_stops_at_the_first_error() {
    let text = "SecRule ARGS \"@rx a\" \"id:1\"\nSecRule ARGS \"@rx a\" \"id:2,bogus\"\nSecRule NOPE \"x\" \"id:3\"";
    let e = seclang::load_str("a.conf", text, ".").unwrap_err();
    assert_eq!(e.location.line, 2);
    assert!(matches!(e.kind, seclang::ErrorKind::Action(_)));
}

#[test]
fn directive_list_is_complete() {
    let mut names: Vec<&str> = seclang::directives::RULE_DIRECTIVES.to_vec();
    names.extend(seclang::settings::SETTING_DIRECTIVES);
    names.sort_unstable();
    assert_eq!(names.join(", "), seclang::directives::ALL_DIRECTIVES);
}

#[test]
fn mutated_input_never_panics() {
    // Deterministic mutations of a real rule file: truncations and inserted quote, escape,
    // separator and multi-byte characters at many positions. Any Ok/Err is fine; panics are not.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../third_party/coreruleset/rules/REQUEST-920-PROTOCOL-ENFORCEMENT.conf");
    let text = std::fs::read_to_string(path).unwrap();
    let inserts = ["\"", "'", "\\", "\\\n", ",", "|", ":", "é", "%{", "!", "@", "#", "\u{0}"];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..300 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut at = usize::try_from(state % text.len() as u64).unwrap();
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mutated = if round % 3 == 0 {
            text[..at].to_owned()
        } else {
            format!("{}{}{}", &text[..at], inserts[round % inserts.len()], &text[at..])
        };
        let _ = seclang::load_str("m.conf", &mutated, ".");
    }
}
