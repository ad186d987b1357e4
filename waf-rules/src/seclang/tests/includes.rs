//! `Include` / `IncludeOptional`: relative paths, globs, order, cycles.

use std::fs;

use crate::seclang::{self, ErrorKind};

#[test]
fn includes_resolve_against_the_including_file_and_globs_sort() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::create_dir_all(root.join("conf/rules")).unwrap();
    fs::write(root.join("main.conf"), "Include conf/setup.conf\nIncludeOptional conf/absent.conf\n").unwrap();
    fs::write(root.join("conf/setup.conf"), "SecRuleEngine On\nInclude rules/*.conf\nIncludeOptional none/*.conf\n")
        .unwrap();
    fs::write(root.join("conf/rules/b.conf"), "SecRule ARGS \"@rx b\" \"id:2\"\n").unwrap();
    fs::write(root.join("conf/rules/a.conf"), "SecRule ARGS \"@rx a\" \"id:1\"\n").unwrap();
    fs::write(root.join("conf/rules/c.conf.example"), "SecRule ARGS \"@rx c\" \"id:3\"\n").unwrap();
    fs::write(root.join("conf/rules/.hidden.conf"), "SecRule ARGS \"@rx h\" \"id:4\"\n").unwrap();
    let spec = match seclang::load_file(root.join("main.conf")) {
        Ok(spec) => spec,
        Err(e) => panic!("{e}"),
    };
    let ids: Vec<_> = spec.rules().filter_map(|r| r.id).collect();
    assert_eq!(ids, [1, 2]);
    let second = spec.rule(2).unwrap();
    assert_eq!(second.location.file.as_ref(), root.join("conf/rules/b.conf").display().to_string());
    assert_eq!(spec.settings.rule_engine, Some(crate::actions::RuleEngine::On));
    // The same through load_str with a base directory.
    let spec = seclang::load_str("inline", "Include conf/rules/a.conf", root).unwrap();
    assert_eq!(spec.rules().count(), 1);
}

#[test]
fn include_cycles_and_errors_in_included_files_are_located() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::write(root.join("a.conf"), "Include b.conf\n").unwrap();
    fs::write(root.join("b.conf"), "\nInclude a.conf\n").unwrap();
    let e = seclang::load_file(root.join("a.conf")).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::IncludeCycle { .. }), "{e}");
    assert_eq!(e.location.line, 2);
    assert!(e.location.file.ends_with("b.conf"));
    assert!(e.to_string().ends_with("a.conf is already being loaded"), "{e}");

    fs::write(root.join("c.conf"), "Include d.conf\n").unwrap();
    fs::write(root.join("d.conf"), "SecRule ARGS \"@rx a\" \"id:1,nope\"\n").unwrap();
    let e = seclang::load_file(root.join("c.conf")).unwrap_err();
    let d = root.join("d.conf").display().to_string();
    assert!(e.to_string().starts_with(&format!("{d}:1:28: unknown action \"nope\"")), "{e}");

    // A self-including file nested deeper than the limit is a cycle first; deep distinct files hit the limit.
    for i in 0..40 {
        fs::write(root.join(format!("n{i}.conf")), format!("Include n{}.conf\n", i + 1)).unwrap();
    }
    fs::write(root.join("n40.conf"), "").unwrap();
    let e = seclang::load_file(root.join("n0.conf")).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::IncludeTooDeep { max: 32 }), "{e}");
}
