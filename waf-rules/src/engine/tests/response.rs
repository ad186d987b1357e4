//! Response phases: 3 (status line and headers) and 4 (body), which libmodsecurity runs only
//! with `SecResponseBodyAccess On` and, when `SecResponseBodyMimeType` is set, only for those
//! Content-Types.

use super::*;

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
