//! Request bodies: the processor the Content-Type picks (urlencoded, multipart) or a rule picks
//! (`ctl:requestBodyProcessor`: JSON, XML, URLENCODED), what each fills, `REQBODY_ERROR`, and
//! body access.

use super::*;

/// Rules that copy what the body produced into `TX` for inspection.
const REPORT: &str = r#"
SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:Content-Type "@rx ^text/xml" "id:2,phase:1,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "@rx ^text/form" "id:3,phase:1,pass,nolog,ctl:requestBodyProcessor=URLENCODED"
SecRule ARGS:force "@streq 1" "id:4,phase:1,pass,nolog,ctl:forceRequestBodyVariable=On"
SecAction "id:10,phase:2,pass,nolog,setvar:'tx.error=%{REQBODY_ERROR}',setvar:'tx.error_msg=%{REQBODY_ERROR_MSG}',\
    setvar:'tx.processor=%{REQBODY_PROCESSOR}',setvar:'tx.body=%{REQUEST_BODY}',setvar:'tx.length=%{REQUEST_BODY_LENGTH}'"
SecRule ARGS_POST "@rx ." "id:11,phase:2,pass,nolog,setvar:'tx.post=%{tx.post}%{MATCHED_VAR_NAME}=%{MATCHED_VAR};'"
SecRule ARGS "@rx ." "id:12,phase:2,pass,nolog,setvar:'tx.args=%{tx.args}%{MATCHED_VAR_NAME}=%{MATCHED_VAR};'"
SecRule FILES "@rx ." "id:13,phase:2,pass,nolog,setvar:'tx.files=%{tx.files}%{MATCHED_VAR_NAME}=%{MATCHED_VAR};'"
SecRule XML:/* "@rx ." "id:14,phase:2,pass,nolog,setvar:'tx.xml=%{MATCHED_VAR}'"
SecRule REQBODY_ERROR "!@eq 0" "id:15,phase:2,deny,status:400"
"#;

/// Runs a POST through [`REPORT`]; returns the transaction's `TX` view and the intervention.
fn post(uri: &str, content_type: &str, body: &[u8]) -> (Report, Option<Intervention>) {
    post_with("", uri, content_type, body)
}

fn post_with(extra: &str, uri: &str, content_type: &str, body: &[u8]) -> (Report, Option<Intervention>) {
    let rules = on(&format!("{extra}\n{REPORT}"));
    let (tx, i) = request(&rules, &Request::post(uri, content_type, body));
    let get = |k: &str| tx_var(&tx, k).unwrap_or_default();
    let report = Report {
        error: get("error"),
        error_msg: get("error_msg"),
        processor: get("processor"),
        body: get("body"),
        length: get("length"),
        post: get("post"),
        args: get("args"),
        files: get("files"),
        xml: get("xml"),
    };
    (report, i)
}

#[derive(Debug, Default)]
struct Report {
    error: String,
    error_msg: String,
    processor: String,
    body: String,
    length: String,
    post: String,
    args: String,
    files: String,
    xml: String,
}

#[test]
fn urlencoded_by_content_type() {
    let (r, i) = post("/?q=1", "application/x-www-form-urlencoded; charset=utf-8", b"a=1&b=%41");
    assert_eq!(i, None);
    assert_eq!(r.processor, "URLENCODED");
    assert_eq!(r.post, "ARGS_POST:a=1;ARGS_POST:b=A;");
    assert_eq!(r.args, "ARGS:q=1;ARGS:a=1;ARGS:b=A;");
    assert_eq!(r.body, "a=1&b=%41");
    assert_eq!(r.length, "9");
    // libmodsecurity leaves REQBODY_ERROR empty for urlencoded bodies; "!@eq 0" is false for it.
    assert_eq!(r.error, "");
}

#[test]
fn multipart_by_content_type() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.php\"\r\nContent-Type: text/plain\r\n\r\n\
<?php ?>\r\n--XyZ--\r\n";
    let (r, i) = post("/", "multipart/form-data; boundary=XyZ", body);
    assert_eq!(i, None);
    assert_eq!(r.processor, "MULTIPART");
    assert_eq!(r.error, "0");
    assert_eq!(r.post, "ARGS_POST:field=value;");
    assert_eq!(r.files, "FILES:upload=a.php;");
}

#[test]
fn broken_multipart_sets_reqbody_error() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n";
    let (r, i) = post("/", "multipart/form-data; boundary=XyZ", body);
    assert_eq!(r.error, "1");
    assert_eq!(r.error_msg, "Multipart parsing error: Multipart: Final boundary missing.");
    assert_eq!(i.map(|i| (i.status, i.rule_id)), Some((400, 15)));
}

#[test]
fn json_when_a_rule_asks_for_it() {
    let (r, i) = post("/", "application/json", br#"{"user":{"name":"x","ids":[1,2]}}"#);
    assert_eq!(i, None);
    assert_eq!(r.processor, "JSON");
    assert_eq!(r.error, "0");
    // JSON leaves go to ARGS only, named the v3 way.
    assert_eq!(r.args, "ARGS:json.user.name=x;ARGS:json.user.ids.array_0=1;ARGS:json.user.ids.array_1=2;");
    assert_eq!(r.post, "");
    let (r, i) = post("/", "application/json", br#"{"user": "#);
    assert_eq!(r.error, "1");
    assert!(r.error_msg.starts_with("JSON parsing error: "), "{}", r.error_msg);
    assert_eq!(i.map(|i| i.rule_id), Some(15));
}

#[test]
fn json_content_type_alone_is_not_parsed() {
    let rules = on(&REPORT.replace("ctl:requestBodyProcessor=JSON", "ctl:ruleEngine=On"));
    let (tx, _) = request(&rules, &Request::post("/", "application/json", br#"{"a":"1"}"#));
    assert_eq!(tx_var(&tx, "args"), None, "no ARGS at all");
    assert_eq!(tx_var(&tx, "error").as_deref(), Some("0"));
    assert_eq!(tx_var(&tx, "processor").as_deref(), Some(""));
}

#[test]
fn xml_when_a_rule_asks_for_it() {
    let body = b"<?xml version=\"1.0\"?><root><a>hello</a><b>world</b></root>";
    let (r, i) = post("/", "text/xml", body);
    assert_eq!(i, None);
    assert_eq!(r.processor, "XML");
    assert_eq!(r.error, "0");
    assert_eq!(r.xml, "helloworld");
    // rampart leaves REQUEST_BODY empty for XML unless forced (see the engine docs).
    assert_eq!(r.body, "");
    assert_eq!(r.length, body.len().to_string());
    let (r, _) = post("/?force=1", "text/xml", body);
    assert_eq!(r.body, String::from_utf8_lossy(body));
    let (r, i) = post("/", "text/xml", b"<root><a></root>");
    assert_eq!(r.error, "1");
    assert!(r.error_msg.starts_with("XML parsing error: "), "{}", r.error_msg);
    assert_eq!(i.map(|i| i.rule_id), Some(15));
}

#[test]
fn ctl_urlencoded_for_another_content_type() {
    let (r, _) = post("/", "text/form", b"x=1&y=2");
    assert_eq!(r.processor, "URLENCODED");
    assert_eq!(r.post, "ARGS_POST:x=1;ARGS_POST:y=2;");
}

#[test]
fn unknown_content_type_is_not_parsed() {
    let (r, i) = post("/", "text/plain", b"a=1&b=2");
    assert_eq!(i, None);
    assert_eq!((r.processor.as_str(), r.error.as_str(), r.post.as_str()), ("", "0", ""));
    assert_eq!(r.body, "a=1&b=2");
}

#[test]
fn body_access_off_skips_phase_2_but_still_parses() {
    let rules = on(r#"
SecRequestBodyAccess Off
SecRule ARGS_POST:a "@streq 1" "id:1,phase:2,deny"
SecRule ARGS_POST:a "@streq 1" "id:2,phase:3,pass"
SecRule REQUEST_BODY "@rx ." "id:3,phase:3,pass"
"#);
    let req = Request::post("/", "application/x-www-form-urlencoded", b"a=1");
    let (tx, i) = full(&rules, &req, b"");
    assert_eq!(i, None);
    // As libmodsecurity: the body processor ran, the phase-2 rules did not, REQUEST_BODY is
    // not filled.
    assert_eq!(ids(&tx), [2]);

    let rules = on(r#"
SecRequestBodyAccess Off
SecAction "id:1,phase:1,pass,ctl:requestBodyAccess=On"
SecRule ARGS_POST:a "@streq 1" "id:2,phase:2,deny"
"#);
    let (_, i) = request(&rules, &req);
    assert_eq!(i.map(|i| i.rule_id), Some(2));

    let rules = on(r#"
SecAction "id:1,phase:1,pass,ctl:requestBodyAccess=Off"
SecRule ARGS_POST:a "@streq 1" "id:2,phase:2,deny"
"#);
    let (_, i) = request(&rules, &req);
    assert_eq!(i, None);
}

#[test]
fn truncated_bodies_set_inbound_data_error() {
    let rules = on(r#"SecRule INBOUND_DATA_ERROR "@eq 1" "id:1,phase:2,pass""#);
    let (mut tx, _) = headers(&rules, &Request::post("/", "application/x-www-form-urlencoded", b""));
    tx.process_request_body(b"a=1", true);
    assert_eq!(ids(&tx), [1]);
    let (tx, _) = request(&rules, &Request::post("/", "application/x-www-form-urlencoded", b"a=1"));
    assert!(ids(&tx).is_empty());
}

#[test]
fn json_depth_limit_comes_from_the_settings() {
    let (r, _) = post_with("SecRequestBodyJsonDepthLimit 2", "/", "application/json", br#"{"a":{"b":{"c":1}}}"#);
    assert_eq!(r.error, "1");
    let (r, _) = post_with("SecRequestBodyJsonDepthLimit 3", "/", "application/json", br#"{"a":{"b":{"c":1}}}"#);
    assert_eq!(r.error, "0");
}

#[test]
fn no_files_limit_comes_from_the_settings() {
    let (r, i) = post_with("SecRequestBodyNoFilesLimit 8", "/", "application/x-www-form-urlencoded", b"login=foo");
    assert_eq!(r.error, "1");
    assert_eq!(r.error_msg, "Request body no files data length is larger than the configured limit (8).");
    assert_eq!(i.map(|i| i.rule_id), Some(15));
    let (r, _) = post_with("SecRequestBodyNoFilesLimit 9", "/", "application/x-www-form-urlencoded", b"login=foo");
    assert_eq!(r.error, "");
}

#[test]
fn upload_file_limit_comes_from_the_settings() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"f1\"; filename=\"a.txt\"\r\n\r\na\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"f2\"; filename=\"b.txt\"\r\n\r\nb\r\n--XyZ--\r\n";
    let exceeded = |settings: &str| {
        let rules = on(&format!(
            "{settings}\nSecRule MULTIPART_FILE_LIMIT_EXCEEDED \"@eq 1\" \"id:1,phase:2,pass\"\n\
             SecRule FILES_TMP_CONTENT:f1 \"@streq a\" \"id:2,phase:2,pass\""
        ));
        let (tx, _) = request(&rules, &Request::post("/", "multipart/form-data; boundary=XyZ", body));
        ids(&tx)
    };
    assert_eq!(exceeded("SecUploadKeepFiles On\nSecUploadFileLimit 1"), [1, 2]);
    assert_eq!(exceeded("SecUploadKeepFiles On\nSecUploadFileLimit 2"), [2]);
    // Files are only counted (and their content kept) when they are extracted.
    assert_eq!(exceeded("SecUploadFileLimit 1"), Vec::<u64>::new());
}
