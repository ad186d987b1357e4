//! Tests of the PCRE to `regex` translation: the rewritten syntax, and what it then matches.

use super::*;

fn translated(pattern: &str) -> String {
    translate(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")).pattern
}

fn matches(pattern: &str, input: &[u8]) -> bool {
    let (re, _) = Regex::new(pattern, Limits::default()).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    re.is_match(input)
}

#[test]
fn rewrites_syntax() {
    for (pcre, want) in [
        ("abc", "abc"),
        ("a.b", "a.b"),
        ("^a|b$", "^a|b$"),
        (r"\d+\s*\w\b\B\A\z", r"\d+\s*\w\b\B\A\z"),
        (r"\<script\>", r"\x3Cscript\x3E"),
        (r"\x5c\x{41}\x4\xzz", r"\x5CA\x04\x00zz"),
        (r"\e\cA\ca\0\012\o{101}", r"\x1B\x01\x01\x00\x0AA"),
        (r"\h\H", r"[\x09\x20\xA0][^\x09\x20\xA0]"),
        (r"\v\V\R\N", r"[\x0A-\x0D\x85][^\x0A-\x0D\x85](?:\x0D\x0A|[\x0A-\x0D\x85])[^\x0A]"),
        (r"\Qa.b*\E+", r"a\x2Eb\x2A+"),
        (r#"\.\/\-\'\"\ \#"#, r"\x2E\x2F\x2D\x27\x22\x20\x23"),
        ("a{2}b{2,}c{2,3}d{,3}e{x}{", r"a{2}b{2,}c{2,3}d\x7B\x2C3\x7De\x7Bx\x7D\x7B"),
        ("a*?b+?c??d{2}?", "a*?b+?c??d{2}?"),
        ("a*+b++c?+d{2}+", "a*b+c?d{2}"),
        ("(?:a)(?i)b(?i:c)(?-i)d(?s-m:e)", "(?:a)(?i)b(?i:c)(?-i)d(?s-m:e)"),
        ("(?<n>a)(?P<m>b)(?'o'c)", "(?P<n>a)(?P<m>b)(?P<o>c)"),
        ("a(?#comment)b", "ab"),
        ("(?>ab)", "(?:ab)"),
        ("caf\u{e9}", r"caf\xC3\xA9"),
        ("a]b}", r"a\x5Db\x7D"),
    ] {
        assert_eq!(translated(pcre), want, "{pcre}");
    }
}

#[test]
fn rewrites_classes() {
    for (pcre, want) in [
        ("[abc]", "[abc]"),
        ("[^a-z0-9_]", "[^a-z0-9_]"),
        ("[]a]", r"[\x5Da]"),
        ("[^]a]", r"[^\x5Da]"),
        ("[a-]", r"[a\x2D]"),
        ("[-a]", r"[\x2Da]"),
        (r"[\w.-]", r"[\w\x2E\x2D]"),
        ("[[a]", r"[\x5Ba]"),
        ("[a&&b~~c]", r"[a\x26\x26b\x7E\x7Ec]"),
        ("[--x]", r"[\x2D-x]"),
        ("[[:alpha:][:^digit:]x]", "[[:alpha:][:^digit:]x]"),
        ("[[:foo:]]", r"[\x5B\x3Afoo\x3A]\x5D"),
        (r"[\b\n\t\x41-\x5a\101\8]", r"[A-Z\x08\x0A\x09A8]"),
        (r"[\d\s\h]", r"[\d\s[\x09\x20\xA0]]"),
        (r"[\\\]\-\^]", r"[\x5C\x5D\x2D\x5E]"),
        (r"[\Q]-\E]", r"[\x5D\x2D]"),
        ("[\u{e9}]", r"[\xC3\xA9]"),
        (r"[!-\x2f]", r"[\x21-\x2F]"),
    ] {
        assert_eq!(translated(pcre), want, "{pcre}");
    }
}

#[test]
fn reports_approximations() {
    assert_eq!(translate("a++").unwrap().approximations, vec!["possessive quantifier"]);
    assert_eq!(translate("(?>a)").unwrap().approximations, vec!["atomic group"]);
    assert_eq!(translate(r"a\Z").unwrap().approximations, vec![r"\Z as \z"]);
    assert!(translate("a+b").unwrap().approximations.is_empty());
}

#[test]
fn refuses_what_has_no_equivalent() {
    for pattern in [
        "a(?=b)",
        "a(?!b)",
        "(?<=a)b",
        "(?<!a)b",
        r"(a)\1",
        r"(?<n>a)\k<n>",
        "(?|a|b)",
        "(?R)",
        "(?1)",
        "(?(1)a|b)",
        r"\G",
        r"a\Kb",
        r"\p{L}",
        "(?x) a b",
        "(*UTF)a",
        "[a",
        "[z-a]",
        r"[a-\d]",
        r"\x{100}",
        r"\q",
        "a\\",
    ] {
        assert!(translate(pattern).is_err(), "{pattern} should not translate");
    }
}

#[test]
fn matches_bytes_like_pcre_non_utf() {
    // `.` is any byte, DOTALL: newlines too.
    assert!(matches("^a.b$", b"a\nb"));
    assert!(matches("^a.b$", b"a\xffb"));
    // MULTILINE: ^ and $ at line boundaries.
    assert!(matches("^b$", b"a\nb\nc"));
    // Case folding is ASCII only.
    assert!(matches("(?i)select", b"SeLeCt"));
    assert!(!matches("(?i)\u{e9}", "\u{c9}".as_bytes()));
    // A non-ASCII character in a class is its bytes, each one alone.
    assert!(matches("^[\u{e9}]$", b"\xa9"));
    // \s is ASCII whitespace plus VT, \w is [0-9A-Za-z_], both without Unicode.
    assert!(matches(r"^\s$", b"\x0b"));
    assert!(!matches(r"\s", b"\xa0"));
    assert!(!matches(r"\w", b"\xc3\xa9"));
    // \< is a literal, not a word boundary.
    assert!(matches(r"\<a", b"<a"));
    assert!(!matches(r"\<a", b" a"));
    // \v is vertical space in PCRE.
    assert!(matches(r"a\vb", b"a\nb"));
    assert!(!matches(r"a\vb", b"a\tb"));
    // A literal { that starts no quantifier.
    assert!(matches(r"\${a}", b"${a}"));
    assert!(matches("a{,2}", b"a{,2}"));
}

#[test]
fn caret_does_not_match_after_a_final_newline() {
    // PCRE's multiline ^ matches after an inner newline, not after the one that ends the subject.
    assert!(matches("^$", b"a\n\nb"));
    assert!(!matches("^$", b"a\n"));
    assert!(matches("^$", b""));
    assert!(matches("^$", b"\n"));
    assert!(!matches("^0?$", b"1\n"));
    assert!(matches("^0?$", b"1\n0\n"));
    assert!(matches("x|^$", b"a\nx\n"));
    assert!(matches("$", b"a\n"));
    assert!(!translate("a$").unwrap().has_caret);
    assert!(translate("(?:^a)").unwrap().has_caret);
    let (re, _) = Regex::new("^(a?)$", Limits::default()).unwrap();
    let mut locations = re.capture_locations();
    assert!(!re.captures_read(&mut locations, b"b\n"));
    assert!(re.captures_read(&mut locations, b"b\na\n"));
    assert_eq!(locations.get(1), Some((2, 3)));
}

#[test]
fn huge_alternations_fit_the_limits() {
    let words: Vec<String> = (0..20_000).map(|i| format!("w{i}x")).collect();
    let pattern = format!("(?i)(?:{})", words.join("|"));
    assert!(matches(&pattern, b"..W19999X.."));
}
