//! Phases 1-5: order, which variables hold what in which phase, and the logging phase after an
//! intervention.

use super::*;

#[test]
fn rules_run_by_phase_then_file_order() {
    // Written out of phase order: each phase runs its own rules, in file order.
    let rules = on(r#"
SecResponseBodyAccess On
SecAction "id:5,phase:5,pass,setvar:tx.order=%{tx.order}5"
SecAction "id:4,phase:4,pass,setvar:tx.order=%{tx.order}4"
SecAction "id:3,phase:3,pass,setvar:tx.order=%{tx.order}3"
SecAction "id:22,phase:2,pass,setvar:tx.order=%{tx.order}b"
SecAction "id:2,phase:request,pass,setvar:tx.order=%{tx.order}2"
SecAction "id:1,phase:1,pass,setvar:tx.order=%{tx.order}1"
SecAction "id:6,pass,setvar:tx.order=%{tx.order}d"
"#);
    let (tx, _) = headers(&rules, &Request::get("/"));
    // A rule without `phase:` runs in phase 1, as libmodsecurity v3 places it.
    assert_eq!(tx_var(&tx, "order").as_deref(), Some("1d"));
    let (tx, i) = full(&rules, &Request::get("/"), b"");
    assert_eq!(i, None);
    assert_eq!(tx_var(&tx, "order").as_deref(), Some("1db2345"));
    assert_eq!(ids(&tx), [1, 6, 22, 2, 3, 4, 5]);
}

#[test]
fn request_pieces() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,setvar:'tx.line=%{REQUEST_LINE}',setvar:'tx.uri=%{REQUEST_URI}',\
    setvar:'tx.raw=%{REQUEST_URI_RAW}',setvar:'tx.file=%{REQUEST_FILENAME}',setvar:'tx.base=%{REQUEST_BASENAME}',\
    setvar:'tx.qs=%{QUERY_STRING}',setvar:'tx.method=%{REQUEST_METHOD}',setvar:'tx.proto=%{REQUEST_PROTOCOL}',\
    setvar:'tx.host=%{REQUEST_HEADERS.host}',setvar:'tx.server=%{SERVER_NAME}',setvar:'tx.remote=%{REMOTE_ADDR}',\
    setvar:'tx.rport=%{REMOTE_PORT}',setvar:'tx.local=%{SERVER_ADDR}:%{SERVER_PORT}',setvar:'tx.id=%{UNIQUE_ID}',\
    setvar:'tx.arg=%{ARGS.b}',setvar:'tx.argget=%{ARGS_GET.a}'"
"#);
    let req = Request { headers: vec![("Host", "Example.com:8080")], ..Request::get("/a%20b/c.php?a=1&b=x%41#frag") };
    let (tx, _) = headers(&rules, &req);
    let v = |k| tx_var(&tx, k).unwrap_or_else(|| panic!("tx.{k} unset"));
    assert_eq!(v("line"), "GET /a%20b/c.php?a=1&b=x%41#frag HTTP/1.1");
    assert_eq!(v("uri"), "/a b/c.php?a=1&b=xA");
    assert_eq!(v("raw"), "/a%20b/c.php?a=1&b=x%41#frag");
    assert_eq!(v("file"), "/a b/c.php");
    assert_eq!(v("base"), "c.php");
    assert_eq!(v("qs"), "a=1&b=x%41");
    assert_eq!(v("method"), "GET");
    assert_eq!(v("proto"), "HTTP/1.1");
    assert_eq!(v("host"), "Example.com:8080");
    assert_eq!(v("server"), "Example.com");
    assert_eq!(v("remote"), "192.0.2.7");
    assert_eq!(v("rport"), "40123");
    assert_eq!(v("local"), "198.51.100.1:8080");
    assert_eq!(v("id"), "test-1");
    assert_eq!(v("arg"), "xA");
    assert_eq!(v("argget"), "1");
}

#[test]
fn absolute_request_target_loses_scheme_and_host() {
    let rules =
        on(r#"SecAction "id:1,phase:1,pass,setvar:'tx.uri=%{REQUEST_URI}',setvar:'tx.file=%{REQUEST_FILENAME}'""#);
    let (tx, _) = headers(&rules, &Request::get("http://example.com/p/q?x=1"));
    assert_eq!(tx_var(&tx, "uri").as_deref(), Some("/p/q?x=1"));
    assert_eq!(tx_var(&tx, "file").as_deref(), Some("/p/q"));
}

/// One `&VAR "@eq N"` rule per phase; returns the ids that matched.
fn counts(var: &str, expected: [u32; 5]) -> String {
    let mut conf = String::from("SecResponseBodyAccess On\n");
    for (i, n) in expected.iter().enumerate() {
        let phase = i + 1;
        conf.push_str(&format!("SecRule &{var} \"@eq {n}\" \"id:{phase},phase:{phase},pass,nolog\"\n"));
    }
    conf
}

#[test]
fn variables_exist_from_their_phase_on() {
    let req = Request::post("/?q=1", "application/x-www-form-urlencoded", b"a=1&b=2").header("Cookie", "c=3");
    let response_headers = [("Content-Type", "text/html"), ("X-Backend", "b1")];
    let cases: &[(&str, [u32; 5])] = &[
        ("ARGS_GET", [1, 1, 1, 1, 1]),
        ("ARGS_POST", [0, 2, 2, 2, 2]),
        ("ARGS", [1, 3, 3, 3, 3]),
        ("ARGS_NAMES", [1, 3, 3, 3, 3]),
        ("REQUEST_COOKIES", [1, 1, 1, 1, 1]),
        ("REQUEST_HEADERS", [3, 3, 3, 3, 3]),
        ("RESPONSE_HEADERS", [0, 0, 2, 2, 2]),
        ("RESPONSE_HEADERS_NAMES", [0, 0, 2, 2, 2]),
        // Scalars ModSecurity anchors exist (empty) before they are filled.
        ("REQUEST_BODY", [1, 1, 1, 1, 1]),
        ("RESPONSE_BODY", [1, 1, 1, 1, 1]),
        ("RESPONSE_STATUS", [1, 1, 1, 1, 1]),
        ("REQBODY_ERROR", [1, 1, 1, 1, 1]),
        // 255 until a rule with a severity matches, as in libmodsecurity.
        ("HIGHEST_SEVERITY", [1, 1, 1, 1, 1]),
        // Variables with no value do not exist.
        ("GEO", [0, 0, 0, 0, 0]),
        ("FILES", [0, 0, 0, 0, 0]),
    ];
    for (var, expected) in cases {
        let rules = on(&counts(var, *expected));
        let (tx, _) = full_with(&rules, &req, 200, &response_headers, b"<html>");
        assert_eq!(ids(&tx), [1, 2, 3, 4, 5], "&{var} per phase should be {expected:?}");
    }
}

#[test]
fn values_fill_in_as_the_phases_go() {
    let rules = on(r#"
SecRule REQUEST_BODY "@streq a=1" "id:11,phase:1,pass"
SecRule REQUEST_BODY "@streq a=1" "id:21,phase:2,pass"
SecRule ARGS_POST:a "@streq 1" "id:12,phase:1,pass"
SecRule ARGS_POST:a "@streq 1" "id:22,phase:2,pass"
SecRule RESPONSE_STATUS "@streq 201" "id:23,phase:2,pass"
SecRule RESPONSE_STATUS "@streq 201" "id:31,phase:3,pass"
SecRule RESPONSE_HEADERS:X-Backend "@streq b1" "id:32,phase:3,pass"
SecRule RESPONSE_BODY "@contains secret" "id:33,phase:3,pass"
SecRule RESPONSE_BODY "@contains secret" "id:41,phase:4,pass"
SecRule RESPONSE_BODY "@contains secret" "id:51,phase:5,pass"
"#);
    let req = Request::post("/", "application/x-www-form-urlencoded", b"a=1");
    let (tx, i) = full_with(&rules, &req, 201, &[("Content-Type", "text/html"), ("X-Backend", "b1")], b"a secret");
    assert_eq!(i, None);
    assert_eq!(ids(&tx), [21, 22, 31, 32]);
    // Phase 4 runs, and RESPONSE_BODY is filled, only with SecResponseBodyAccess On.
    let rules = on(r#"
SecResponseBodyAccess On
SecRule RESPONSE_BODY "@contains secret" "id:33,phase:3,pass"
SecRule RESPONSE_BODY "@contains secret" "id:41,phase:4,pass"
SecRule RESPONSE_BODY "@contains secret" "id:51,phase:5,pass"
"#);
    let (tx, _) = full(&rules, &req, b"a secret");
    assert_eq!(ids(&tx), [41, 51]);
}

#[test]
fn logging_phase_runs_after_an_intervention() {
    let rules = on(r#"
SecResponseBodyAccess On
SecRule ARGS:attack "@streq 1" "id:1,phase:1,deny,status:403"
SecAction "id:2,phase:2,pass"
SecAction "id:3,phase:3,pass"
SecAction "id:4,phase:4,pass"
SecAction "id:5,phase:5,pass"
SecAction "id:6,phase:5,pass"
"#);
    let (tx, i) = full(&rules, &Request::get("/?attack=1"), b"");
    let i = i.expect("denied");
    assert_eq!((i.status, i.rule_id, i.phase), (403, 1, 1));
    assert_eq!(ids(&tx), [1, 5, 6]);
    // Without the attack every phase runs.
    let (tx, i) = full(&rules, &Request::get("/?attack=0"), b"");
    assert_eq!(i, None);
    assert_eq!(ids(&tx), [2, 3, 4, 5, 6]);
}

#[test]
fn a_decided_transaction_stays_decided() {
    let rules = on(r#"
SecAction "id:1,phase:1,deny,status:429"
SecAction "id:2,phase:2,pass,setvar:tx.ran=1"
"#);
    let (mut tx, i) = headers(&rules, &Request::get("/"));
    assert_eq!(i.as_ref().map(|i| i.status), Some(429));
    // A caller that goes on anyway gets the same intervention back and no rule runs.
    assert_eq!(tx.process_request_body(b"", false), i);
    assert_eq!(tx.process_response_headers(200, b"HTTP/1.1", []), i);
    assert_eq!(tx.process_response_body(b"", false), i);
    assert_eq!(tx_var(&tx, "ran"), None);
    assert_eq!(tx.intervention(), i.as_ref());
}

#[test]
fn logging_phase_runs_once() {
    let rules = on(r#"SecAction "id:1,phase:5,pass,setvar:tx.n=+1""#);
    let (mut tx, _) = full(&rules, &Request::get("/"), b"");
    tx.process_logging();
    assert_eq!(tx_var(&tx, "n").as_deref(), Some("1"));
}

#[test]
fn highest_severity_starts_at_255() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,setvar:tx.before=%{HIGHEST_SEVERITY}"
SecAction "id:2,phase:1,pass,severity:WARNING"
SecAction "id:3,phase:1,pass,severity:CRITICAL"
SecAction "id:4,phase:1,pass,severity:NOTICE"
SecRule HIGHEST_SEVERITY "@eq 2" "id:5,phase:1,pass"
"#);
    let (tx, _) = headers(&rules, &Request::get("/"));
    assert_eq!(tx_var(&tx, "before").as_deref(), Some("255"));
    assert_eq!(ids(&tx), [1, 2, 3, 4, 5]);
}

#[test]
fn an_intervention_in_the_logging_phase_ends_it_but_keeps_the_decision() {
    let rules = on(r#"
SecRule ARGS:attack "@streq 1" "id:1,phase:1,deny,status:403"
SecAction "id:5,phase:5,deny,status:500"
SecAction "id:6,phase:5,pass"
"#);
    let (tx, i) = full(&rules, &Request::get("/?attack=1"), b"");
    assert_eq!(i.map(|i| i.rule_id), Some(1));
    assert_eq!(ids(&tx), [1, 5]);
    assert_eq!(tx.intervention().map(|i| (i.rule_id, i.status)), Some((1, 403)));
    assert_eq!(tx.audit_entry().blocked_by, Some(1));
}

#[test]
fn args_combined_size_counts_names_and_values() {
    let rules = on(r#"SecAction "id:1,phase:2,pass,setvar:tx.size=%{ARGS_COMBINED_SIZE}""#);
    // q=1 (2 bytes) from the query string, ab=xyz (5) and c= (1) from the body.
    let (tx, _) = request(&rules, &Request::post("/?q=1", "application/x-www-form-urlencoded", b"ab=xyz&c="));
    assert_eq!(tx_var(&tx, "size").as_deref(), Some("8"));
}
