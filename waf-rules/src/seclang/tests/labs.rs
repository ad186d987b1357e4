//! The reference nginx + libmodsecurity lab configuration loads (a copy of
//! shared/labs/modsec-nginx's config files, kept in tests/data so a CI clone has them).

use std::path::{Path, PathBuf};

use crate::actions::{Action, AuditEngine, Disruptive, Phase, RuleEngine};
use crate::seclang::{self, AuditLogType, BodyLimitAction, ErrorKind, UnicodeMap};

/// The lab's `modsec-base.conf` and `modsec-crs4.conf`, as copied from the lab.
fn lab_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/seclang/tests/data/modsec-nginx")
}

fn crs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../third_party/coreruleset")
}

#[test]
fn modsec_base_conf_loads_with_its_settings() {
    let spec = match seclang::load_file(lab_dir().join("modsec-base.conf")) {
        Ok(spec) => spec,
        Err(e) => panic!("{e}"),
    };
    let s = &spec.settings;
    assert_eq!(s.rule_engine, Some(RuleEngine::On));
    assert_eq!(s.request_body_access, Some(true));
    assert_eq!(s.request_body_limit, Some(13_107_200));
    assert_eq!(s.request_body_no_files_limit, Some(131_072));
    assert_eq!(s.request_body_limit_action, Some(BodyLimitAction::Reject));
    assert_eq!(s.request_body_json_depth_limit, Some(512));
    assert_eq!(s.arguments_limit, Some(1000));
    assert_eq!(s.pcre_match_limit, Some(1000));
    assert_eq!(s.pcre_match_limit_recursion, Some(1000));
    assert_eq!(s.response_body_access, Some(true));
    let mime: Vec<&str> = s.response_body_mime_types.as_deref().unwrap().iter().map(String::as_str).collect();
    assert_eq!(mime, ["text/plain", "text/html", "text/xml"]);
    assert_eq!(s.response_body_limit, Some(524_288));
    assert_eq!(s.response_body_limit_action, Some(BodyLimitAction::ProcessPartial));
    assert_eq!(s.tmp_dir.as_deref(), Some("/tmp/"));
    assert_eq!(s.data_dir.as_deref(), Some("/tmp/"));
    assert_eq!(s.audit.engine, Some(AuditEngine::RelevantOnly));
    assert_eq!(s.audit.relevant_status.as_deref(), Some("^(?:5|4(?!04))"));
    assert_eq!(s.audit.parts.as_deref(), Some("ABIJDEFHZ"));
    assert_eq!(s.audit.log_type, Some(AuditLogType::Serial));
    assert_eq!(s.audit.log.as_deref(), Some("/tmp/waf-bench/modsec_audit.log"));
    assert_eq!(s.argument_separator, Some('&'));
    assert_eq!(s.cookie_format, Some(0));
    let map = UnicodeMap { path: "/etc/nginx/unicode.mapping".into(), code_page: 20127 };
    assert_eq!(s.unicode_map, Some(map));
    assert_eq!(s.status_engine, Some(false));

    let ids: Vec<u64> = spec.rules().filter_map(|r| r.id).collect();
    assert_eq!(ids, [200000, 200001, 200007, 200002, 200003, 200004, 200005]);
    let xml = spec.rule(200000).unwrap();
    assert_eq!(xml.phase, Phase::RequestHeaders);
    assert_eq!(xml.transformations, ["lowercase"]);
    // The message continued over twelve lines: blanks around each `\` are dropped (libmodsecurity).
    let strict = spec.rule(200003).unwrap();
    let msg = strict.msg().unwrap().as_str();
    assert!(
        msg.starts_with("Multipart request body failed strict validation:PE %{REQBODY_PROCESSOR_ERROR},BQ "),
        "{msg}"
    );
    assert!(msg.ends_with("IH %{MULTIPART_INVALID_HEADER_FOLDING},FL %{MULTIPART_FILE_LIMIT_EXCEEDED}"), "{msg}");
    assert!(strict.actions.contains(&Action::Status(400)));
    assert_eq!(strict.disruptive, Some(Disruptive::Deny));
    // No SecDefaultAction in this file: nothing is inherited.
    assert!(strict.defaults.is_empty());
}

#[test]
fn modsec_crs4_conf_loads_with_the_vendored_crs() {
    let lab = lab_dir();
    let text = std::fs::read_to_string(lab.join("modsec-crs4.conf")).unwrap();
    // As written, its includes name placeholders that start.sh fills in.
    match seclang::load_file(lab.join("modsec-crs4.conf")) {
        Err(e) => {
            assert!(matches!(e.kind, ErrorKind::IncludeNotFound { .. }), "{e}");
            assert!(e.to_string().contains("modsec-crs4.conf:2:1: Include: no file matches"), "{e}");
        }
        Ok(_) => panic!("the placeholders should not resolve"),
    }
    let rendered =
        text.replace("@LAB@", &lab.display().to_string()).replace("@SHARED@/crs", &crs_dir().display().to_string());
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("modsec-crs4.conf");
    std::fs::write(&path, rendered).unwrap();
    let spec = match seclang::load_file(&path) {
        Ok(spec) => spec,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(spec.rules().count(), 7 + 630);
    // SecDefaultAction applies to the phase's rules wherever they are written (libmodsecurity v3),
    // so the lab rules loaded before crs-setup inherit log,auditlog,pass too.
    let early = spec.rule(200005).unwrap();
    assert_eq!(early.defaults, vec![Action::Log, Action::AuditLog, Action::Disruptive(Disruptive::Pass)]);
    assert_eq!(early.log(), Some(true));
    assert_eq!(early.disruptive, Some(Disruptive::Deny));
}
