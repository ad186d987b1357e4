//! Unit tests of variable specifications.

use super::*;

fn specs(text: &str) -> Vec<String> {
    match parse_list(text) {
        Ok(list) => list.iter().map(ToString::to_string).collect(),
        Err(e) => panic!("{text}: {e} at {}", e.offset),
    }
}

fn error(text: &str) -> (usize, String) {
    let e = parse_list(text).expect_err(text);
    (e.offset, e.to_string())
}

#[test]
fn the_documented_example_parses() {
    let text = "REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|REQUEST_COOKIES_NAMES|ARGS|XML:/*|&TX:foo|ARGS:'/^id_/'|\
                TX:/^HEADER_NAME_/|REQUEST_HEADERS:User-Agent";
    let list = parse_list(text).unwrap();
    assert_eq!(list.len(), 9);
    assert_eq!(
        list[0],
        VariableSpec { name: VariableName::RequestCookies, selector: None, exclude: false, count: false }
    );
    assert!(list[1].exclude && !list[1].count);
    assert!(matches!(&list[1].selector, Some(Selector::Regex(r)) if r.pattern() == "__utm"));
    assert_eq!(list[4].selector, Some(Selector::XPath("/*".to_owned())));
    assert!(list[5].count);
    assert_eq!(list[5].selector, Some(Selector::Key("foo".to_owned())));
    assert!(matches!(&list[6].selector, Some(Selector::Regex(r)) if r.pattern() == "^id_"));
    assert!(matches!(&list[7].selector, Some(Selector::Regex(r)) if r.pattern() == "^HEADER_NAME_"));
    assert_eq!(list[8].selector, Some(Selector::Key("user-agent".to_owned())));
    assert_eq!(
        specs(text),
        [
            "REQUEST_COOKIES",
            "!REQUEST_COOKIES:/__utm/",
            "REQUEST_COOKIES_NAMES",
            "ARGS",
            "XML:/*",
            "&TX:foo",
            "ARGS:/^id_/",
            "TX:/^HEADER_NAME_/",
            "REQUEST_HEADERS:user-agent",
        ]
    );
}

#[test]
fn names_are_case_insensitive_and_canonical() {
    assert_eq!(specs("args|Request_Headers:Host|tx.Score"), ["ARGS", "REQUEST_HEADERS:host", "TX:score"]);
    assert_eq!(VariableName::from_name("files_tmpnames"), Some(VariableName::FilesTmpNames));
    assert_eq!(VariableName::from_name("NOPE"), None);
}

#[test]
fn keys_follow_the_collection_case_rules() {
    // libmodsecurity compares collection keys case-insensitively, except ENV (environment names)
    // and XML (XPath).
    assert_eq!(specs("ARGS:Foo|REQUEST_COOKIES:SessionID|TX:ABC"), ["ARGS:foo", "REQUEST_COOKIES:sessionid", "TX:abc"]);
    assert_eq!(specs("ENV:Path"), ["ENV:Path"]);
    assert_eq!(specs("XML://@Name"), ["XML://@Name"]);
    assert_eq!(VariableName::Env.key_matching(), KeyMatching::CaseSensitive);
    assert_eq!(VariableName::RequestUri.key_matching(), KeyMatching::Scalar);
    assert!(!VariableName::RequestUri.is_collection());
}

#[test]
fn key_regexes_are_caseless_dotall_multiline_and_unanchored() {
    let list = parse_list("ARGS:/^id_.x$/").unwrap();
    let Some(Selector::Regex(re)) = &list[0].selector else { panic!("not a regex") };
    assert!(re.is_match(b"ID_\nX"));
    assert!(re.is_match(b"first\nid_ax"));
    assert!(!re.is_match(b"xid_ax"));
    // Bytes and ASCII classes: invalid UTF-8 keys still match `.`.
    let list = parse_list(r"ARGS:/^\w.$/").unwrap();
    let Some(Selector::Regex(re)) = &list[0].selector else { panic!("not a regex") };
    assert!(re.is_match(b"a\xff"));
    assert!(!re.is_match("é!".as_bytes()));
}

#[test]
fn regex_selectors_may_hold_slashes_commas_and_quoted_pipes() {
    assert_eq!(specs("ARGS:/a{1,3}/|ARGS_NAMES:/x/y/"), ["ARGS:/a{1,3}/", "ARGS_NAMES:/x/y/"]);
    assert_eq!(specs("ARGS:'/^(a|b)$/'|ARGS"), ["ARGS:/^(a|b)$/", "ARGS"]);
    // `//` has nothing between the slashes: it is a key, as in libmodsecurity.
    assert_eq!(specs("ARGS://"), ["ARGS://"]);
    assert!(matches!(parse_list("ARGS://").unwrap()[0].selector, Some(Selector::Key(_))));
    // A quoted key is the text between the quotes.
    assert_eq!(specs("ARGS:'a b'"), ["ARGS:a b"]);
}

#[test]
fn separators_and_blanks() {
    assert_eq!(specs("ARGS,ARGS_NAMES"), ["ARGS", "ARGS_NAMES"]);
    assert_eq!(specs(" ARGS | !ARGS:x "), ["ARGS", "!ARGS:x"]);
    assert_eq!(specs("ARGS:foo,ARGS:bar"), ["ARGS:foo", "ARGS:bar"]);
    assert_eq!(parse_one("&ARGS").unwrap().to_string(), "&ARGS");
}

#[test]
fn errors_name_the_problem_and_its_offset() {
    assert_eq!(
        error("ARGS|FOO"),
        (
            5,
            "unknown variable \"FOO\" (expected a ModSecurity v3 variable such as ARGS, REQUEST_HEADERS or TX)"
                .to_owned()
        )
    );
    assert_eq!(
        error("ARGS|REQUEST_HEADER:Host"),
        (5, "unknown variable \"REQUEST_HEADER\" (did you mean REQUEST_HEADERS?)".to_owned())
    );
    assert_eq!(
        error("REQUEST_URI:x"),
        (11, "variable REQUEST_URI is not a collection and takes no key (found \":x\")".to_owned())
    );
    assert_eq!(error("ARGS:"), (5, "expected a key or /regex/ after \"ARGS:\"".to_owned()));
    assert_eq!(error("ARGS|"), (5, "expected a variable after '|'".to_owned()));
    assert_eq!(error("ARGS||TX"), (5, "expected a variable after '|'".to_owned()));
    assert_eq!(error(""), (0, "expected a variable (e.g. ARGS or REQUEST_HEADERS:User-Agent)".to_owned()));
    assert_eq!(error("ARGS:'/x/"), (5, "unterminated quote in selector".to_owned()));
    assert_eq!(error("!&ARGS"), (0, "a target cannot be both excluded ('!') and counted ('&')".to_owned()));
    assert_eq!(
        error("ARGS ARGS"),
        (5, "unexpected \"ARGS\" after variable (expected '|' or the end of the target list)".to_owned())
    );
    let (offset, message) = error("ARGS:/(?<=a)b/");
    assert_eq!(offset, 5);
    assert!(message.starts_with("invalid key regex /(?<=a)b/: "), "{message}");
}

#[test]
fn closest_name_needs_to_be_close() {
    assert_eq!(VariableName::closest("REQEST_URI"), Some(VariableName::RequestUri));
    assert_eq!(VariableName::closest("completely_different"), None);
}
