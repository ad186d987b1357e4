//! Lexical syntax: continuations, comments, quoting, operators, directive names.

use crate::actions::{Action, Disruptive, Phase};
use crate::seclang::{self, RuleKind, RuleSetSpec, RuleSpec};
use crate::variables::VariableName;

pub(super) fn load(text: &str) -> RuleSetSpec {
    match seclang::load_str("test.conf", text, ".") {
        Ok(spec) => spec,
        Err(e) => panic!("{e}"),
    }
}

pub(super) fn first(text: &str) -> RuleSpec {
    load(text).rules().next().expect("a rule").clone()
}

#[test]
fn a_rule_continued_over_lines() {
    let rule = first("SecRule ARGS \"@rx a\" \\\n    \"id:1,\\\n    phase:2,\\\n    deny\"\n");
    assert_eq!(rule.id, Some(1));
    assert_eq!(rule.phase, Phase::RequestBody);
    assert_eq!(rule.actions, [Action::Id(1), Action::Phase(Phase::RequestBody), Action::Disruptive(Disruptive::Deny)]);
    assert_eq!(rule.location.to_string(), "test.conf:1:1");
}

#[test]
fn continuation_blanks_vanish_inside_quotes_and_separate_outside() {
    let rule = first("SecRule ARGS \\\n   \"@rx a\" \"id:1,msg:'one \\\n   two'\"");
    assert_eq!(rule.msg().unwrap().as_str(), "onetwo");
    assert_eq!(rule.operator.argument, "a");
    let spec = load("SecRule ARGS \"@rx a\" \"id:1\"\nSecRule ARGS \"@rx a\" \"id:2\"\nSecRuleRemoveById 1 \\\n  2\n");
    assert_eq!(spec.rules().count(), 0);
}

#[test]
fn comments_blank_lines_and_crlf() {
    let text = "# a comment\r\n\r\n   # indented comment\r\n#SecRule ARGS \"x\" \\\r\n    \"id:9\"\r\n\
                SecRule ARGS \"@rx a\" \"id:1\"\r\nSecRuleEngine DetectionOnly # trailing comment\r\n";
    let spec = load(text);
    let ids: Vec<_> = spec.rules().map(|r| r.id).collect();
    assert_eq!(ids, [Some(1)]);
    assert_eq!(spec.settings.rule_engine, Some(crate::actions::RuleEngine::DetectionOnly));
    assert_eq!(spec.rules().next().unwrap().location.to_string(), "test.conf:6:1");
}

#[test]
fn quoted_arguments_keep_their_escapes() {
    let rule = first(r#"SecRule ARGS "@rx a\"b\\" "id:1""#);
    assert_eq!(rule.operator.argument, r#"a\"b\\"#);
    let rule = first(r"SecRule ARGS '@rx a b' 'id:1,deny'");
    assert_eq!(rule.operator.argument, "a b");
    assert_eq!(rule.disruptive, Some(Disruptive::Deny));
    let rule = first(r#"SecRule ARGS "@rx x" "id:1,msg:'He said "hi", twice'""#);
    assert_eq!(rule.msg().unwrap().as_str(), r#"He said "hi", twice"#);
}

#[test]
fn bare_arguments() {
    let rule = first("SecRule REQUEST_URI foo id:5,deny");
    assert_eq!(rule.operator.name, "rx");
    assert_eq!(rule.operator.argument, "foo");
    assert_eq!(rule.actions, [Action::Id(5), Action::Disruptive(Disruptive::Deny)]);
    let rule = first("SecRule REQUEST_URI @contains foo id:6");
    assert_eq!((rule.operator.name, rule.operator.argument.as_str()), ("contains", "foo"));
    let rule = first("SecRule \"ARGS|ARGS_NAMES\" \"@detectSQLi\" \"id:7\"");
    assert_eq!(rule.variables.len(), 2);
    assert_eq!(rule.operator.name, "detectSQLi");
}

#[test]
fn operators() {
    let op = |text: &str| first(&format!("SecRule ARGS \"{text}\" \"id:1\"")).operator;
    let o = op("!@rx ^a");
    assert_eq!((o.name, o.argument.as_str(), o.negated), ("rx", "^a", true));
    let o = op("^a b");
    assert_eq!((o.name, o.argument.as_str(), o.negated), ("rx", "^a b", false));
    let o = op("!^a");
    assert_eq!((o.name, o.argument.as_str(), o.negated), ("rx", "^a", true));
    let o = op("@pm a b c");
    assert_eq!((o.name, o.argument.as_str()), ("pm", "a b c"));
    let o = op("@PMF lfi-os-files.data");
    assert_eq!((o.name, o.argument.as_str()), ("pmFromFile", "lfi-os-files.data"));
    assert_eq!(op("@ipMatchF ips.txt").name, "ipMatchFromFile");
    assert_eq!(op("@within %{tx.allowed_methods}").argument, "%{tx.allowed_methods}");
    // Exactly one blank separates name and argument (libmodsecurity v3).
    assert_eq!(op("@streq  two").argument, " two");
    let o = op("@detectXSS");
    assert_eq!((o.name, o.argument.as_str()), ("detectXSS", ""));
    assert_eq!(op("@unconditionalMatch").name, "unconditionalMatch");
    assert_eq!(op("@eq 0").name, "eq");
}

#[test]
fn sec_action_is_an_unconditional_rule() {
    let rule = first("SecAction \"id:900990,phase:1,pass,nolog,setvar:tx.crs_setup_version=4290\"");
    assert_eq!(rule.kind, RuleKind::SecAction);
    assert!(rule.variables.is_empty());
    assert_eq!(rule.operator.name, "unconditionalMatch");
    assert_eq!(rule.log(), Some(false));
}

#[test]
fn directive_names_are_case_insensitive() {
    let spec = load("secrule ARGS \"@rx a\" \"id:1\"\nSECMARKER END\nsecruleengine on\n");
    assert_eq!(spec.items.len(), 2);
    assert_eq!(spec.settings.rule_engine, Some(crate::actions::RuleEngine::On));
}

#[test]
fn markers_lose_their_quotes() {
    let spec = load("SecMarker \"END-REQUEST-910-IP-REPUTATION\"\nSecMarker BEGIN\n");
    let names: Vec<_> = spec
        .items
        .iter()
        .map(|i| match i {
            seclang::Item::Marker(m) => m.name.clone(),
            seclang::Item::Rule(_) => panic!("rule"),
        })
        .collect();
    assert_eq!(names, ["END-REQUEST-910-IP-REPUTATION", "BEGIN"]);
}

#[test]
fn variables_in_rules() {
    let rule = first("SecRule REQUEST_HEADERS:User-Agent|!REQUEST_COOKIES:/__utm/|&TX:foo \"@rx a\" \"id:1\"");
    assert_eq!(rule.variables[0].name, VariableName::RequestHeaders);
    assert!(rule.variables[1].exclude);
    assert!(rule.variables[2].count);
}

#[test]
fn settings_directives() {
    let text = "SecRuleEngine Off\nSecRequestBodyAccess On\nSecResponseBodyAccess Off\nSecRequestBodyLimit 100\n\
        SecRequestBodyNoFilesLimit 50\nSecRequestBodyInMemoryLimit 10\nSecRequestBodyLimitAction ProcessPartial\n\
        SecResponseBodyLimit 200\nSecResponseBodyLimitAction Reject\nSecResponseBodyMimeType text/plain TEXT/html\n\
        SecResponseBodyMimeType \"application/json application/xml\"\nSecArgumentsLimit 7\n\
        SecRequestBodyJsonDepthLimit 3\nSecCollectionTimeout 600\nSecComponentSignature \"core ruleset/1\"\n\
        SecServerSignature \"Apache\"\nSecXmlExternalEntity Off\nSecUploadKeepFiles Off\nSecUploadFileMode 0640\n\
        SecTmpSaveUploadedFiles On\nSecUploadDir /tmp/up\nSecDebugLog /dev/null\nSecDebugLogLevel 3\n\
        SecAuditLogFormat JSON\nSecAuditLogType Concurrent\nSecAuditLogStorageDir /var/audit\nSecCookieFormat 1\n";
    let s = load(text).settings;
    assert_eq!(s.rule_engine, Some(crate::actions::RuleEngine::Off));
    assert_eq!(s.request_body_access, Some(true));
    assert_eq!(s.response_body_access, Some(false));
    assert_eq!(
        (s.request_body_limit, s.request_body_no_files_limit, s.request_body_in_memory_limit),
        (Some(100), Some(50), Some(10))
    );
    assert_eq!(s.request_body_limit_action, Some(seclang::BodyLimitAction::ProcessPartial));
    assert_eq!(s.response_body_limit, Some(200));
    assert_eq!(s.response_body_limit_action, Some(seclang::BodyLimitAction::Reject));
    assert_eq!(s.response_body_mime_types.unwrap(), ["text/plain", "text/html", "application/json", "application/xml"]);
    assert_eq!(
        (s.arguments_limit, s.request_body_json_depth_limit, s.collection_timeout),
        (Some(7), Some(3), Some(600))
    );
    assert_eq!(s.component_signatures, ["core ruleset/1"]);
    assert_eq!(s.server_signature.as_deref(), Some("Apache"));
    assert_eq!(
        (s.xml_external_entity, s.upload_keep_files, s.tmp_save_uploaded_files),
        (Some(false), Some(false), Some(true))
    );
    assert_eq!(s.upload_file_mode, Some(0o640));
    assert_eq!(s.upload_dir.as_deref(), Some("/tmp/up"));
    assert_eq!((s.debug_log.as_deref(), s.debug_log_level), (Some("/dev/null"), Some(3)));
    assert_eq!(s.audit.format, Some(seclang::AuditLogFormat::Json));
    assert_eq!(s.audit.log_type, Some(seclang::AuditLogType::Concurrent));
    assert_eq!(s.audit.storage_dir.as_deref(), Some("/var/audit"));
    assert_eq!(s.cookie_format, Some(1));
    let cleared = load("SecResponseBodyMimeType text/plain\nSecResponseBodyMimeTypesClear\n").settings;
    assert_eq!(cleared.response_body_mime_types, Some(Vec::new()));
    assert_eq!(load("").settings, seclang::Settings::default());
}
