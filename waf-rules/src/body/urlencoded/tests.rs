//! Urlencoded tests: the table in `testdata/urlencoded.json`.

use super::*;
use serde_json::Value;

fn text(v: &Value) -> Vec<u8> {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).as_bytes().to_vec()
}

#[test]
fn urlencoded_vectors() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("../testdata/urlencoded.json")).unwrap();
    assert!(cases.len() >= 20);
    for case in &cases {
        let input = text(&case["input"]);
        let separator = case.get("separator").map_or(b'&', |s| text(s)[0]);
        let max = case.get("max_args").and_then(Value::as_u64).map(|m| m as usize);
        let got = parse(&input, separator, max);
        let args: Vec<Arg> =
            case["args"].as_array().unwrap().iter().map(|a| Arg::new(text(&a[0]), text(&a[1]))).collect();
        let label = String::from_utf8_lossy(&input);
        assert_eq!(got.args, args, "{label}: args");
        assert_eq!(
            got.invalid_encoding,
            case.get("invalid").and_then(Value::as_bool).unwrap_or(false),
            "{label}: invalid"
        );
        assert_eq!(got.skipped as u64, case.get("skipped").and_then(Value::as_u64).unwrap_or(0), "{label}: skipped");
    }
}

#[test]
fn decoding_is_byte_exact() {
    assert_eq!(decode(b"%00%ff%FF+"), (vec![0, 0xff, 0xff, b' '], false));
    assert_eq!(decode(b"\xff%"), (vec![0xff, b'%'], true));
}
