//! The body of the `seclang` fuzz target in the repository's `fuzz/` crate, as a plain function
//! so that stable tests can run it over the seed corpus (`fuzz/corpus/seclang/`) and mutations
//! of it. It loads the input as a configuration, checks what any loaded rule set must satisfy,
//! compiles it and runs one request through it; a broken invariant panics, which the fuzzer
//! reports like a crash.
//!
//! Inputs that could make the loader or the compiler read files (`Include`, `@pmFromFile`,
//! `@ipMatchFromFile`) stop before that step: a fuzzer must not read `/dev/zero`.

use std::collections::HashSet;

use super::{load_str, Item, RuleSetSpec};
use crate::engine::{Connection, RuleSet, Transaction};

/// `seclang`: the whole input is a configuration file (invalid UTF-8 is replaced).
pub fn seclang(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if mentions_include(&text) {
        return;
    }
    let spec = match load_str("fuzz.conf", &text, "/nonexistent/rampart-fuzz") {
        Ok(spec) => spec,
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("fuzz.conf"), "error without the file name: {message}");
            let lines = text.split('\n').count() as u32;
            assert!(e.location.line <= lines, "error on line {} of {lines}: {message}", e.location.line);
            return;
        }
    };
    check(&spec);
    if reads_files(&spec) {
        return;
    }
    let Ok(rules) = RuleSet::compile(&spec) else { return };
    assert_eq!(rules.rule_count(), spec.rules().count());
    run(&rules, &spec);
}

/// What every loaded rule set satisfies.
fn check(spec: &RuleSetSpec) {
    let mut ids = HashSet::new();
    for item in &spec.items {
        match item {
            Item::Rule(rule) => {
                let id = rule.id.expect("a rule without an id");
                assert!(ids.insert(id), "duplicate id {id}");
                for (i, link) in rule.chain().enumerate() {
                    assert_eq!(link.phase, rule.phase, "a chain link in another phase");
                    assert!(!link.transformations.contains(&"none"), "t:none left in the transformations");
                    if i > 0 {
                        assert_eq!(link.id, None, "an id on a chained rule");
                        assert_eq!(link.disruptive, None, "a disruptive action on a chained rule");
                    }
                }
                assert!(rule.chain().count() <= super::MAX_CHAIN);
            }
            Item::Marker(m) => assert!(!m.name.is_empty(), "a marker without a name"),
        }
    }
    let mut phases = HashSet::new();
    for d in &spec.default_actions {
        assert!(phases.insert(d.phase), "two SecDefaultAction for phase {}", d.phase);
    }
}

/// Whether compiling would read a data file.
fn reads_files(spec: &RuleSetSpec) -> bool {
    spec.rules().flat_map(|r| r.chain()).any(|r| matches!(r.operator.name, "pmFromFile" | "ipMatchFromFile"))
}

/// Whether a directive of the text is `Include` or `IncludeOptional` (any case), read the way
/// the loader reads it (continuations joined).
fn mentions_include(text: &str) -> bool {
    let lines = super::source::logical_lines(&std::sync::Arc::from("fuzz.conf"), text);
    lines.iter().any(|l| l.text.as_bytes().get(..7).is_some_and(|head| head.eq_ignore_ascii_case(b"include")))
}

/// Runs one request and response through every phase; what matched must be rules of the set.
fn run(rules: &RuleSet, spec: &RuleSetSpec) {
    let conn = Connection { client_ip: "192.0.2.1".into(), unique_id: "fuzz".into(), ..Connection::default() };
    let mut tx = Transaction::new(rules, &conn);
    let headers: [(&[u8], &[u8]); 4] = [
        (b"Host", b"example.com"),
        (b"User-Agent", b"fuzz' OR 1=1 --"),
        (b"Cookie", b"s=<script>alert(1)</script>"),
        (b"Content-Type", b"application/x-www-form-urlencoded"),
    ];
    let mut decided = tx.process_request_headers(b"POST", b"/a/../b.php?id=1%27&x=%00", b"HTTP/1.1", headers);
    if decided.is_none() {
        decided = tx.process_request_body(b"user=admin&pass=x%20y&json={\"a\":1}", false);
    }
    if decided.is_none() {
        decided = tx.process_response_headers(200, b"HTTP/1.1", [(&b"Content-Type"[..], &b"text/html"[..])]);
    }
    if decided.is_none() {
        tx.process_response_body(b"<html>root:x:0:0</html>", false);
    }
    tx.process_logging();
    let known: HashSet<u64> = spec.rules().filter_map(|r| r.id).collect();
    for m in tx.matched() {
        assert!(known.contains(&m.id), "matched rule {} is not in the set", m.id);
    }
    if let Some(i) = tx.intervention() {
        assert!(known.contains(&i.rule_id));
        assert!(tx.matched().iter().any(|m| m.id == i.rule_id && m.disruptive));
    }
    for line in tx.log_lines() {
        assert!(!line.contains('\n') && line.starts_with("ModSecurity: "), "bad log line {line:?}");
    }
    let _ = serde_json::to_string(&tx.audit_entry()).expect("audit entry serializes");
}
