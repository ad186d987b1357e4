//! Response phases: 3 (status line and headers) and 4 (body), which libmodsecurity runs only
//! with `SecResponseBodyAccess On` and, when `SecResponseBodyMimeType` is set, only for those
//! Content-Types.

use super::*;

#[test]
fn phase_3_sees_the_status_line_and_headers() {
    let rules = on(r#"
SecAction "id:1,phase:3,pass,setvar:'tx.status=%{RESPONSE_STATUS}',setvar:'tx.proto=%{RESPONSE_PROTOCOL}',\
    setvar:'tx.type=%{RESPONSE_CONTENT_TYPE}',setvar:'tx.server=%{RESPONSE_HEADERS.server}'"
SecRule RESPONSE_HEADERS_NAMES "@streq Set-Cookie" "id:2,phase:3,pass"
SecRule RESPONSE_STATUS "@rx ^5" "id:3,phase:3,deny,status:502"
"#);
    let headers = [("Server", "nginx"), ("Content-Type", "text/html; charset=UTF-8"), ("Set-Cookie", "s=1")];
    let (tx, i) = full_with(&rules, &Request::get("/"), 200, &headers, b"");
    assert_eq!(i, None);
    assert_eq!(ids(&tx), [1, 2]);
    assert_eq!(tx_var(&tx, "status").as_deref(), Some("200"));
    assert_eq!(tx_var(&tx, "proto").as_deref(), Some("HTTP/1.1"));
    // RESPONSE_CONTENT_TYPE is the header up to its first ';', as libmodsecurity stores it.
    assert_eq!(tx_var(&tx, "type").as_deref(), Some("text/html"));
    assert_eq!(tx_var(&tx, "server").as_deref(), Some("nginx"));
    let (tx, i) = full_with(&rules, &Request::get("/"), 503, &headers, b"");
    assert_eq!(i.map(|i| (i.status, i.phase)), Some((502, 3)));
    assert_eq!(ids(&tx), [1, 2, 3]);
}

/// A rule set with response body access and `mime`, a phase-4 rule on the body and one that
/// does not look at it.
fn phase_4(settings: &str) -> RuleSet {
    on(&format!(
        r#"{settings}
SecRule RESPONSE_BODY "@contains secret" "id:1,phase:4,deny,status:500"
SecAction "id:2,phase:4,pass"
SecAction "id:3,phase:5,pass"
"#
    ))
}

/// Runs `rules` with a response of `content_type`; returns (matched ids, denied).
fn respond(rules: &RuleSet, content_type: &str) -> (Vec<u64>, bool) {
    let (tx, i) = full_with(rules, &Request::get("/"), 200, &[("Content-Type", content_type)], b"a secret");
    (ids(&tx), i.is_some_and(|i| i.phase == 4 && i.status == 500))
}

#[test]
fn phase_4_inspects_listed_mime_types() {
    let rules = phase_4("SecResponseBodyAccess On\nSecResponseBodyMimeType text/plain text/html");
    assert_eq!(respond(&rules, "text/html"), (vec![1, 3], true));
    assert_eq!(respond(&rules, "text/html; charset=utf-8"), (vec![1, 3], true));
    assert_eq!(respond(&rules, "text/plain"), (vec![1, 3], true));
    // Not listed: libmodsecurity skips the whole phase.
    assert_eq!(respond(&rules, "application/json"), (vec![3], false));
    assert_eq!(respond(&rules, "image/png"), (vec![3], false));
}

#[test]
fn phase_4_without_a_mime_list_inspects_everything() {
    let rules = phase_4("SecResponseBodyAccess On");
    assert_eq!(respond(&rules, "image/png"), (vec![1, 3], true));
}

#[test]
fn a_cleared_mime_list_inspects_nothing() {
    let rules = phase_4("SecResponseBodyAccess On\nSecResponseBodyMimeType text/html\nSecResponseBodyMimeTypesClear");
    assert_eq!(respond(&rules, "text/html"), (vec![3], false));
}

#[test]
fn phase_4_needs_response_body_access() {
    let rules = phase_4("SecResponseBodyMimeType text/html");
    assert_eq!(respond(&rules, "text/html"), (vec![3], false));
    let rules = phase_4("SecResponseBodyAccess Off");
    assert_eq!(respond(&rules, "text/html"), (vec![3], false));
}

#[test]
fn an_intervention_in_phase_3_skips_phase_4() {
    let rules = on(r#"
SecResponseBodyAccess On
SecAction "id:1,phase:3,deny,status:403"
SecAction "id:2,phase:4,pass"
SecAction "id:3,phase:5,pass"
"#);
    let (tx, i) = full(&rules, &Request::get("/"), b"");
    assert_eq!(i.map(|i| i.phase), Some(3));
    assert_eq!(ids(&tx), [1, 3]);
}

#[test]
fn truncated_responses_set_outbound_data_error() {
    let rules = on(r#"
SecResponseBodyAccess On
SecRule OUTBOUND_DATA_ERROR "@eq 1" "id:1,phase:4,pass"
SecRule RESPONSE_BODY "@streq abc" "id:2,phase:4,pass"
"#);
    let (mut tx, _) = request(&rules, &Request::get("/"));
    tx.process_response_headers(200, b"HTTP/1.1", [(&b"Content-Type"[..], &b"text/html"[..])]);
    tx.process_response_body(b"abc", true);
    assert_eq!(ids(&tx), [1, 2]);
}
