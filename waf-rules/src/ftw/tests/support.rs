//! Go encodings, the template subset and test ids.

use super::super::goenc::{base64_decode, canonical_key, query_escape, query_unescape};
use super::super::template::{expand, TemplateError};
use super::super::TestId;

#[test]
fn base64_as_go_decodes_it() {
    assert_eq!(base64_decode("aGVsbG8="), Ok(b"hello".to_vec()));
    assert_eq!(base64_decode("aGVs\nbG8=\r\n"), Ok(b"hello".to_vec()));
    assert_eq!(base64_decode(""), Ok(Vec::new()));
    assert_eq!(base64_decode("YWI="), Ok(b"ab".to_vec()));
    assert!(base64_decode("aGVsbG8").is_err()); // padding required
    assert!(base64_decode("aGVs*G8=").is_err());
    assert!(base64_decode("YQ==YQ==").is_err());
    assert!(base64_decode("Y===").is_err());
}

#[test]
fn query_escaping_as_go() {
    assert_eq!(query_escape(b"a b&c=d/\xe9~-_."), b"a+b%26c%3Dd%2F%E9~-_.");
    assert_eq!(query_unescape(b"a+b%41"), Some(b"a bA".to_vec()));
    assert_eq!(query_unescape(b"100%"), None);
    assert_eq!(query_unescape(b"%g0"), None);
}

#[test]
fn canonical_header_keys() {
    assert_eq!(canonical_key("content-type"), "Content-Type");
    assert_eq!(canonical_key("X-FORWARDED-for"), "X-Forwarded-For");
    assert_eq!(canonical_key("bad key"), "bad key");
}

#[test]
fn templates() {
    assert_eq!(expand("no actions {{"), Err(TemplateError::Unclosed));
    assert_eq!(expand("plain } text"), Ok("plain } text".into()));
    assert_eq!(expand("a{{ \"xy\" | repeat 3 }}b"), Ok("axyxyxyb".into()));
    assert_eq!(expand("{{ repeat 2 `r` }}"), Ok("rr".into()));
    assert_eq!(expand("a  {{- \"x\" -}}  b"), Ok("axb".into()));
    assert_eq!(expand("a{{/* note */}}b"), Ok("ab".into()));
    assert_eq!(expand("{{ \"q\\n\" }}"), Ok("q\n".into()));
    assert_eq!(expand("{{ \"x\" | upper }}"), Err(TemplateError::UnknownFunction("upper".into())));
    assert_eq!(expand("{{ \"x\" | repeat \"n\" }}"), Err(TemplateError::BadArguments("repeat")));
    assert!(expand("{{ }}").is_err());
}

#[test]
fn test_ids() {
    assert_eq!("920100-4".parse::<TestId>(), Ok(TestId { rule: 920100, test: 4 }));
    assert_eq!(TestId { rule: 1, test: 22 }.to_string(), "1-22");
    for bad in ["920100", "a-1", "1-", "-1", "1-2-3", "1 -2"] {
        assert!(bad.parse::<TestId>().is_err(), "{bad}");
    }
}
