//! Tests of the transformations: the byte-exact vectors of tests/data/transformations.tsv, the
//! registry's names, and borrowing when nothing changes.

use std::borrow::Cow;
use std::collections::HashSet;

use super::*;
use crate::test_rng::Rng;

const VECTORS: &str = include_str!("../../tests/data/transformations.tsv");

/// Decodes the vector files' escapes: `\xHH` is a byte, `\\` a backslash.
pub(crate) fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'\\', Some(b'\\')) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x')) => {
                let hex = text.get(i + 2..i + 4).expect("\\x needs two hex digits");
                out.push(u8::from_str_radix(hex, 16).expect("\\x needs two hex digits"));
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// The data lines of a vector file, split on tabs, with their line numbers.
pub(crate) fn vector_lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(n, line)| (n + 1, line.split('\t').collect()))
}

fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

#[test]
fn vectors_match_libmodsecurity() {
    let registry = Registry::with_builtin();
    let mut failures = Vec::new();
    let mut count = 0;
    let mut covered = HashSet::new();
    for (line, fields) in vector_lines(VECTORS) {
        let [name, input, expected] = fields[..] else { panic!("line {line}: want 3 tab-separated fields") };
        let Some(Lookup::Apply(t)) = registry.get(name) else { panic!("line {line}: unknown `{name}`") };
        let (input, expected) = (unescape(input), unescape(expected));
        let got = t.apply(&input);
        if got.as_ref() != expected.as_slice() {
            failures.push(format!("line {line}: {name}({}) = {}, want {}", show(&input), show(&got), show(&expected)));
        }
        count += 1;
        covered.insert(t.name());
    }
    assert!(failures.is_empty(), "{} of {count} vectors fail:\n{}", failures.len(), failures.join("\n"));
    let missing: Vec<_> = BUILTIN.iter().map(|(name, _, _)| *name).filter(|n| !covered.contains(n)).collect();
    assert!(missing.is_empty(), "transformations without vectors: {missing:?}");
}

#[test]
fn unchanged_values_are_borrowed() {
    let registry = Registry::with_builtin();
    let borrowed = |name: &str, input: &[u8]| {
        let Some(Lookup::Apply(t)) = registry.get(name) else { panic!("{name}") };
        matches!(t.apply(input), Cow::Borrowed(_))
    };
    for name in [
        "urlDecode",
        "urlDecodeUni",
        "lowercase",
        "jsDecode",
        "htmlEntityDecode",
        "utf8toUnicode",
        "removeNulls",
        "cssDecode",
        "cmdLine",
        "removeWhitespace",
        "replaceComments",
        "normalizePath",
        "normalizePathWin",
        "escapeSeqDecode",
        "compressWhitespace",
        "removeCommentsChar",
        "removeComments",
        "replaceNulls",
        "sqlHexDecode",
        "trim",
    ] {
        assert!(borrowed(name, b"/index.html?a=1"), "{name} copied a clean value");
    }
    assert!(borrowed("normalizePath", b"/static/app.min.js"));
    assert!(borrowed("cmdLine", b"ls -la tmp"));
    assert!(!borrowed("cmdLine", b"ls /tmp"));
    assert!(!borrowed("lowercase", b"GET"));
}

#[test]
fn names_are_case_insensitive_and_none_resets() {
    let registry = Registry::with_builtin();
    assert!(matches!(registry.get("none"), Some(Lookup::Reset)));
    assert!(matches!(registry.get("NONE"), Some(Lookup::Reset)));
    for (name, canonical) in [
        ("urldecodeuni", "urlDecodeUni"),
        ("base64decode", "base64Decode"),
        ("normalisePath", "normalizePath"),
        ("NormalisePathWin", "normalizePathWin"),
        ("utf8toUnicode", "utf8toUnicode"),
    ] {
        let Some(Lookup::Apply(t)) = registry.get(name) else { panic!("{name} not found") };
        assert_eq!(t.name(), canonical);
    }
    assert!(registry.get("alert").is_none());
    assert!(registry.get("lowercaseX").is_none());
    assert!(registry.get("cmd_line").is_none(), "v3's lexer only knows cmdLine");
}

#[test]
fn registry_rejects_duplicates() {
    let mut registry = Registry::with_builtin();
    let lower = Transformation::new("lowercase", lowercase::lowercase);
    let err = registry.register("LowerCase", Lookup::Apply(lower)).unwrap_err();
    assert!(matches!(err, RegistryError::Duplicate(ref n) if n == "LowerCase"), "{err}");
    assert!(Registry::try_builtin().is_ok());
    // Every CRS transformation is there.
    for name in [
        "none",
        "urlDecodeUni",
        "lowercase",
        "jsDecode",
        "htmlEntityDecode",
        "utf8toUnicode",
        "removeNulls",
        "cssDecode",
        "cmdLine",
        "removeWhitespace",
        "replaceComments",
        "normalizePath",
        "escapeSeqDecode",
        "compressWhitespace",
        "normalizePathWin",
        "length",
        "base64Decode",
        "sha1",
        "hexEncode",
        "removeCommentsChar",
    ] {
        assert!(registry.get(name).is_some(), "{name}");
    }
    assert_eq!(registry.names().count(), BUILTIN.len() + ALIASES.len() + 1);
}

#[test]
fn chains_apply_in_order() {
    let registry = Registry::with_builtin();
    let chain: Vec<Transformation> = ["urlDecodeUni", "htmlEntityDecode", "lowercase"]
        .iter()
        .map(|name| match registry.get(name) {
            Some(Lookup::Apply(t)) => t,
            _ => panic!("{name}"),
        })
        .collect();
    assert_eq!(apply_all(&chain, b"%26LT%3BScript").as_ref(), b"<script");
    assert!(matches!(apply_all(&chain, b"clean"), Cow::Borrowed(b"clean")));
    assert_eq!(format!("{:?}", chain[0]), "t:urlDecodeUni");
}

#[test]
fn hex_decode_of_one_byte_is_empty() {
    // v3 overruns its buffer here; rampart answers an empty value.
    assert_eq!(hex_decode::hex_decode(b"4").as_ref(), b"");
}

/// Up to `max_len - 1` bytes of `alphabet`.
fn random_bytes(rng: &mut Rng, alphabet: &[u8], max_len: usize) -> Vec<u8> {
    (0..rng.below(max_len)).map(|_| *rng.pick(alphabet)).collect()
}

#[test]
fn no_transformation_panics_on_arbitrary_bytes() {
    let registry = Registry::with_builtin();
    let mut rng = Rng::new(0x1234_5678);
    let alphabet = b"%uU+\\/*-#<!>&;#xX0aF9.\x00 \t\n\r\xc3\xa9\xe2\x82\xf0\x9f=QUJD";
    for _ in 0..2000 {
        let input = random_bytes(&mut rng, alphabet, 24);
        for &(name, _, _) in BUILTIN {
            let Some(Lookup::Apply(t)) = registry.get(name) else { panic!("{name}") };
            let _ = t.apply(&input);
        }
    }
}

#[test]
fn removals_agree_with_a_plain_filter() {
    let mut rng = Rng::new(0x9e37_79b9);
    let alphabet = b"ab \t\n\x0b\x0c\r\x00\xa0\xc2\xc3Z";
    for _ in 0..3000 {
        let input = random_bytes(&mut rng, alphabet, 40);
        let whitespace: Vec<u8> =
            input.iter().copied().filter(|&b| !(b" \t\n\x0b\x0c\r".contains(&b) || b == 0xa0 || b == 0xc2)).collect();
        assert_eq!(remove_whitespace::remove_whitespace(&input).as_ref(), whitespace, "{input:?}");
        let nulls: Vec<u8> = input.iter().copied().filter(|&b| b != 0).collect();
        assert_eq!(remove_nulls::remove_nulls(&input).as_ref(), nulls, "{input:?}");
    }
}

/// The engine and its cache take a borrowed result for the value unchanged: a transformation
/// that changes a value must return it owned, even when it is a part of the input (`trim`).
#[test]
fn a_borrowed_result_is_always_the_whole_input() {
    let mut rng = Rng::new(0x7e11_ab0e);
    let alphabet = b" \t\r\nab%2+&lt;\\x41/.*-#<!\0\xc2\xa0\xffZ";
    for &(name, func, _) in BUILTIN {
        for _ in 0..3000 {
            let len = rng.below(10);
            let value: Vec<u8> = (0..len).map(|_| *rng.pick(alphabet)).collect();
            if let Cow::Borrowed(out) = func(&value) {
                assert!(std::ptr::eq(out, &value[..]), "{name}: {value:?} came back borrowed as {out:?}");
            }
        }
    }
    assert!(matches!(trim::trim(b"  abc \t"), Cow::Owned(v) if v == b"abc"));
}
