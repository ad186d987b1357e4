//! JSON tests: the table in `testdata/json.json`, then limits and byte-level cases.

use super::*;
use serde_json::Value;

fn text(v: &Value) -> Vec<u8> {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).as_bytes().to_vec()
}

#[test]
fn json_vectors() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("../testdata/json.json")).unwrap();
    assert!(cases.len() >= 30);
    for case in &cases {
        let body = text(&case["body"]);
        let got = parse(&body, &JsonLimits::default());
        let args: Vec<Arg> =
            case["args"].as_array().unwrap().iter().map(|a| Arg::new(text(&a[0]), text(&a[1]))).collect();
        let label = String::from_utf8_lossy(&body);
        assert_eq!(got.args, args, "{label}: args");
        assert_eq!(got.error.as_deref(), case.get("error").and_then(Value::as_str), "{label}: error");
    }
}

#[test]
fn lone_surrogates_decode_as_yajl_does() {
    let got = parse(br#"{"a":"\ud800xy","b":"\udc00","c":"\ud800\n","d":"\u0000"}"#, &JsonLimits::default());
    assert_eq!(got.error, None);
    let values: Vec<&[u8]> = got.args.iter().map(|a| &a.value[..]).collect();
    // A high surrogate not followed by `\u` becomes `?` and swallows the next byte.
    assert_eq!(values, vec![&b"?y"[..], &b"\xed\xb0\x80"[..], &b"?n"[..], &b"\x00"[..]]);
}

#[test]
fn invalid_utf8_is_a_lexical_error() {
    for body in [&b"[\"\xff\"]"[..], b"[\"\xc3(\"]", b"[\"\xe2\x82\"]", b"[\"\xf8\x88\x80\x80\x80\"]"] {
        let got = parse(body, &JsonLimits::default());
        assert_eq!(got.error.as_deref(), Some("lexical error: invalid bytes in UTF8 string.\n"), "{body:?}");
    }
    // Structure only: an overlong encoding passes, as in yajl.
    assert_eq!(parse(b"[\"\xc0\x80\"]", &JsonLimits::default()).error, None);
    // Bytes outside strings are invalid characters.
    assert_eq!(
        parse(b"\xef\xbb\xbf[]", &JsonLimits::default()).error.as_deref(),
        Some("lexical error: invalid char in json text.\n")
    );
}

#[test]
fn depth_limit_counts_open_containers() {
    let limits = JsonLimits { depth: 2, args: None };
    assert_eq!(parse(br#"{"a":[1]}"#, &limits).error, None);
    let got = parse(br#"{"a":{"b":[1]}}"#, &limits);
    assert_eq!(got.error.as_deref(), Some(DEPTH_ERROR));
    assert!(got.args.is_empty());
    // Siblings do not add up.
    assert_eq!(parse(br#"[[1],[2],[3]]"#, &limits).error, None);
    // 0 is no limit.
    let deep = format!("{}1{}", "[".repeat(50_000), "]".repeat(50_000));
    let got = parse(deep.as_bytes(), &JsonLimits { depth: 0, args: None });
    assert_eq!(got.error, None);
    assert_eq!(got.args.len(), 1);
    assert_eq!(got.args[0].name.len(), "json".len() + 50_000 * ".array_0".len());
    let got = parse(deep.as_bytes(), &JsonLimits::default());
    assert_eq!(got.error.as_deref(), Some(DEPTH_ERROR));
}

#[test]
fn arguments_limit_cancels_the_parse() {
    let limits = JsonLimits { depth: 0, args: Some(2) };
    let got = parse(br#"{"a":1,"b":2}"#, &limits);
    assert_eq!(got.error, None);
    assert_eq!(got.args.len(), 2);
    let got = parse(br#"{"a":1,"b":2,"c":3}"#, &limits);
    assert_eq!(got.error.as_deref(), Some(CANCELLED_ERROR));
    assert_eq!(got.args.len(), 2);
    let got = parse(br#"[1]"#, &JsonLimits { depth: 0, args: Some(0) });
    assert_eq!(got.error.as_deref(), Some(CANCELLED_ERROR));
}

#[test]
fn many_values_in_deep_array_stay_linear() {
    // Building names must not re-walk the container stack for every value.
    let depth = 500;
    let body = format!("{}{}{}", "[".repeat(depth), "1,".repeat(20_000) + "1", "]".repeat(depth));
    let start = std::time::Instant::now();
    let got = parse(body.as_bytes(), &JsonLimits::default());
    assert_eq!(got.error, None);
    assert_eq!(got.args.len(), 20_001);
    assert!(got.args[20_000].name.ends_with(b".array_20000"));
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}
