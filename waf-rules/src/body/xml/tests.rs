//! XML tests: the table in `testdata/xml.json`, then encodings and entity bombs.

use super::*;
use serde_json::Value;

fn text(v: &Value) -> Vec<u8> {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).as_bytes().to_vec()
}

#[test]
fn xml_vectors() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("../testdata/xml.json")).unwrap();
    assert!(cases.len() >= 30);
    for case in &cases {
        let body = text(&case["body"]);
        let label = String::from_utf8_lossy(&body);
        let got = parse(&body);
        let expected_text = (!case["text"].is_null()).then(|| text(&case["text"]));
        assert_eq!(got.root_text, expected_text, "{label}: XML:/*");
        let attributes: Vec<Arg> =
            case["attributes"].as_array().unwrap().iter().map(|a| Arg::new(text(&a[0]), text(&a[1]))).collect();
        assert_eq!(got.attributes, attributes, "{label}: XML://@*");
        let failed = case.get("error").and_then(Value::as_bool).unwrap_or(false);
        assert_eq!(got.error.as_deref(), failed.then_some(PARSE_ERROR), "{label}: error");
    }
}

#[test]
fn select_serves_the_crs_xpaths() {
    let doc = parse(b"<r a=\"1\"><s b=\"2\">x</s>y</r>");
    assert_eq!(doc.select("/*"), Some(vec![&b"xy"[..]]));
    assert_eq!(doc.select("//@*"), Some(vec![&b"1"[..], &b"2"[..]]));
    assert_eq!(doc.select("/r/s"), None);
    assert_eq!(parse(b"junk").select("/*"), Some(vec![]));
}

#[test]
fn encodings() {
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r a=\"\xe9\">caf\xe9</r>";
    let doc = parse(latin1);
    assert_eq!(doc.error, None);
    assert_eq!(doc.root_text.as_deref(), Some("café".as_bytes()));
    assert_eq!(doc.attributes[0].value, "é".as_bytes());

    let utf16: Vec<u8> = [0xfeff_u16].into_iter().chain("<r>ü</r>".encode_utf16()).flat_map(u16::to_le_bytes).collect();
    let doc = parse(&utf16);
    assert_eq!(doc.error, None);
    assert_eq!(doc.root_text.as_deref(), Some("ü".as_bytes()));

    // Invalid UTF-8: the text before it is kept, the document fails.
    let doc = parse(b"<r>ok\xff</r>");
    assert_eq!(doc.error.as_deref(), Some(PARSE_ERROR));
    assert_eq!(doc.root_text.as_deref(), Some(&b"ok"[..]));
}

#[test]
fn entity_bombs_fail_within_bounds() {
    let mut body = String::from("<!DOCTYPE r [<!ENTITY a0 \"xxxxxxxxxx\">");
    for i in 1..12 {
        let prev = format!("&a{};", i - 1);
        body.push_str(&format!("<!ENTITY a{i} \"{}\">", prev.repeat(10)));
    }
    body.push_str("]><r>&a11;</r>");
    let start = std::time::Instant::now();
    let doc = parse(body.as_bytes());
    assert_eq!(doc.error.as_deref(), Some(PARSE_ERROR));
    assert!(doc.root_text.is_some_and(|t| t.len() <= 1 << 20));
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn deep_nesting_is_iterative() {
    let depth = 100_000;
    let body = format!("{}x{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let doc = parse(body.as_bytes());
    assert_eq!(doc.error, None);
    assert_eq!(doc.root_text.as_deref(), Some(&b"x"[..]));
}
