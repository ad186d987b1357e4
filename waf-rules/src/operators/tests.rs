//! Tests of the operators: the vectors of tests/data/operators.tsv, the registry, and every
//! operator of the vendored OWASP Core Rule Set (all `@rx` patterns, all data files).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::*;
use crate::transformations::tests::{unescape, vector_lines};

const VECTORS: &str = include_str!("../../tests/data/operators.tsv");

/// The fixed transaction the vectors' macros resolve against.
struct Fixture;

impl Resolve for Fixture {
    fn resolve(&self, name: &str, key: Option<&str>) -> Option<Cow<'_, [u8]>> {
        let value: &[u8] = match (name, key?) {
            ("TX", "allowed_methods") => b"GET HEAD POST OPTIONS",
            ("TX", "threshold") => b"5",
            ("TX", "big") => b"99999999999",
            ("TX", "empty") => b"",
            ("TX", "prefix") => b"ad",
            ("TX", "2") => b"abc",
            ("REQUEST_HEADERS", "host") => b"example.com",
            _ => return None,
        };
        Some(Cow::Borrowed(value))
    }
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn crs_rules_dir() -> PathBuf {
    manifest_dir().join("../third_party/coreruleset/rules")
}

fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn evaluate(op: &dyn Operator, input: &[u8], captures: Option<&mut Captures>) -> bool {
    let mut cx = OpContext { resolver: &Fixture, captures };
    op.evaluate(&mut cx, input)
}

#[test]
fn vectors_match_libmodsecurity() {
    let registry = Registry::with_builtin();
    let base_dir = manifest_dir().join("tests/data/operators");
    let cx = LoadContext { base_dir: &base_dir };
    let mut failures = Vec::new();
    let mut count = 0;
    for (line, fields) in vector_lines(VECTORS) {
        let [name, argument, input, result, capture_fields @ ..] = &fields[..] else {
            panic!("line {line}: want at least 4 tab-separated fields");
        };
        count += 1;
        let argument = String::from_utf8(unescape(argument)).expect("arguments are UTF-8");
        let input = unescape(input);
        let compiled = registry.compile(name, &argument, &cx);
        let op = match (compiled, *result) {
            (Err(_), "error") => continue,
            (Ok(_), "error") => {
                failures.push(format!("line {line}: @{name} {argument:?} compiled, want an error"));
                continue;
            }
            (Err(e), _) => {
                failures.push(format!("line {line}: @{name} {argument:?}: {e}"));
                continue;
            }
            (Ok(op), _) => op,
        };
        let want = *result == "1";
        let got = evaluate(op.as_ref(), &input, None);
        if got != want {
            failures.push(format!("line {line}: @{name} {argument:?} on {} = {got}, want {want}", show(&input)));
        }
        let mut want_captures = Captures::new();
        for field in capture_fields {
            let (index, value) = field.split_once('=').unwrap_or_else(|| panic!("line {line}: bad capture {field}"));
            want_captures.set(index.parse().expect("capture index"), &unescape(value));
        }
        let mut captures = Captures::new();
        let got = evaluate(op.as_ref(), &input, Some(&mut captures));
        if got != want || captures != want_captures {
            failures.push(format!(
                "line {line}: @{name} {argument:?} on {} with capture = {got} {:?}, want {want} {:?}",
                show(&input),
                captures.iter().map(|(i, v)| format!("{i}={}", show(v))).collect::<Vec<_>>(),
                want_captures.iter().map(|(i, v)| format!("{i}={}", show(v))).collect::<Vec<_>>(),
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {count} vectors fail:\n{}", failures.len(), failures.join("\n"));
    assert!(count > 250, "only {count} vectors");
}

#[test]
fn vectors_cover_every_operator() {
    let mut covered: Vec<String> =
        vector_lines(VECTORS).map(|(_, fields)| fields[0].to_ascii_lowercase()).collect::<Vec<_>>();
    covered.sort();
    covered.dedup();
    let missing: Vec<&str> = BUILTIN
        .iter()
        .map(|(name, _)| *name)
        .filter(|n| covered.binary_search(&n.to_ascii_lowercase()).is_err())
        .collect();
    assert!(missing.is_empty(), "operators without vectors: {missing:?}");
}

#[test]
fn registry_names() {
    let registry = Registry::with_builtin();
    let cx = LoadContext { base_dir: Path::new(".") };
    for name in
        ["rx", "@rx", "RX", "@Rx", "pmf", "PmFromFile", "ipMatchF", "ipmatchfromfile", "detectSQLi", "detectsqli"]
    {
        assert!(registry.contains(name), "{name}");
    }
    assert!(matches!(registry.compile("@nope", "", &cx), Err(OperatorError::Unknown(n)) if n == "nope"));
    assert!(matches!(registry.compile("@rbl", "x", &cx), Err(OperatorError::Unsupported(n)) if n == "rbl"));
    let mut registry = Registry::with_builtin();
    assert!(matches!(registry.register("RX", rx::compile), Err(RegistryError::Duplicate(n)) if n == "RX"));
    assert!(registry.register("myOperator", unconditional::compile_unconditional).is_ok());
    assert!(registry.compile("@myoperator", "", &cx).is_ok());
    assert!(format!("{registry:?}").contains("pmfromfile"));
    for name in UNSUPPORTED {
        assert!(!registry.contains(name), "{name} is both implemented and listed as unsupported");
    }
}

#[test]
fn rx_captures_every_group_and_replaces_old_ones() {
    let op = rx::Rx::new("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)").unwrap();
    let mut captures = Captures::new();
    captures.set(20, b"stale");
    assert!(evaluate(&op, b"xabcdefghijklx", Some(&mut captures)));
    assert_eq!(captures.get(0), Some(&b"abcdefghijkl"[..]));
    assert_eq!(captures.get(12), Some(&b"l"[..]));
    assert_eq!(captures.get(20), None);
    assert_eq!(captures.iter().count(), 13);
    // No match: the captures are left alone.
    assert!(!evaluate(&op, b"nothing", Some(&mut captures)));
    assert_eq!(captures.iter().count(), 13);
}

#[test]
fn rx_whole_input_shortcut_agrees_with_the_regex() {
    // `^.*$` is answered without a search; the regex it stands for gives the same answers and
    // group 0, newlines, empty and non-UTF-8 subjects included.
    let fast = rx::Rx::new("^.*$").unwrap();
    let (regex, _) = pcre::Regex::new("^.*$", pcre::Limits::default()).unwrap();
    let inputs: [&[u8]; 8] = [b"", b"user-agent", b"a\nb", b"a\n", b"\n", b"\nx\n\n", b"\x00\xff\xc3", b"  spaced  "];
    for input in inputs {
        let mut locations = regex.capture_locations();
        assert!(regex.captures_read(&mut locations, input), "{}", show(input));
        let whole = locations.get(0).map(|(s, e)| &input[s..e]);
        let mut captures = Captures::new();
        captures.set(3, b"stale");
        assert!(evaluate(&fast, input, Some(&mut captures)));
        assert_eq!(captures.get(0), whole, "{}", show(input));
        assert_eq!(captures.iter().count(), 1);
        assert!(evaluate(&fast, input, None));
    }
}

#[test]
fn rx_with_macros_compiles_each_expansion_once() {
    struct Prefix<'a>(&'a [u8]);
    impl Resolve for Prefix<'_> {
        fn resolve(&self, _name: &str, _key: Option<&str>) -> Option<Cow<'_, [u8]>> {
            Some(Cow::Borrowed(self.0))
        }
    }
    let op = rx::Rx::new("^%{tx.p}$").unwrap();
    for round in 0..3 {
        for (p, input, want) in [(&b"a+"[..], &b"aaa"[..], true), (b"b", b"aaa", false), (b"(", b"(", false)] {
            let mut cx = OpContext { resolver: &Prefix(p), captures: None };
            assert_eq!(op.evaluate(&mut cx, input), want, "round {round}: {}", show(p));
        }
    }
    for i in 0..40 {
        let p = format!("x{i}");
        let mut cx = OpContext { resolver: &Prefix(p.as_bytes()), captures: None };
        assert!(op.evaluate(&mut cx, p.as_bytes()));
    }
}

/// Every operator string (`"@rx ..."`, `"!@pm ..."`) of a rule file, with its line number, as
/// v3's lexer passes it on: the text between the quotes, `\"` kept as it is.
fn operator_strings(text: &str) -> Vec<(usize, String, String)> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices("\"@").chain(text.match_indices("\"!@")) {
        let line = text[..start].matches('\n').count() + 1;
        let body = text[start + 1..].trim_start_matches('!').trim_start_matches('@');
        let mut end = 0;
        let bytes = body.as_bytes();
        while end < bytes.len() && bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        let operator = &body[..end.min(body.len())];
        let (name, argument) = operator.split_once(' ').unwrap_or((operator, ""));
        found.push((line, name.to_owned(), argument.to_owned()));
    }
    found.sort();
    found
}

fn crs_rule_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(crs_rules_dir())
        .expect("third_party/coreruleset/rules")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    assert!(files.len() > 25, "CRS rule files not found");
    files
}

/// Every `@rx` pattern of the CRS rule files, with its place (`file:line`).
pub(crate) fn crs_rx_patterns() -> Vec<(String, String)> {
    let mut patterns = Vec::new();
    for file in crs_rule_files() {
        let text = std::fs::read_to_string(&file).expect("rule file");
        for (line, name, argument) in operator_strings(&text) {
            if name == "rx" {
                patterns.push((format!("{}:{line}", file.file_name().unwrap_or_default().to_string_lossy()), argument));
            }
        }
    }
    assert!(patterns.len() >= 300, "only {} @rx patterns found", patterns.len());
    patterns
}

#[test]
fn every_crs_rx_pattern_compiles() {
    let patterns = crs_rx_patterns();
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut approximations = Vec::new();
    for (place, pattern) in &patterns {
        match pcre::Regex::new(pattern, pcre::Limits::default()) {
            Ok((_, translation)) if !translation.approximations.is_empty() => {
                approximations.push(format!("{place}: {:?}", translation.approximations));
            }
            Ok(_) => {}
            Err(e) => failures.push(format!("{place}: {e}")),
        }
        // SecLang's `\"` unescaped gives the same regex.
        if pattern.contains("\\\"") {
            assert!(pcre::Regex::new(pattern.replace("\\\"", "\""), pcre::Limits::default()).is_ok(), "{place}");
        }
    }
    let elapsed = started.elapsed();
    println!("compiled {} CRS @rx patterns in {elapsed:?}", patterns.len());
    assert!(failures.is_empty(), "{} CRS patterns do not compile:\n{}", failures.len(), failures.join("\n"));
    assert!(approximations.is_empty(), "CRS patterns translated approximately:\n{}", approximations.join("\n"));
    assert!(elapsed.as_secs() < 60, "compiling the CRS regexes took {elapsed:?}");
}

#[test]
fn every_crs_operator_compiles() {
    let registry = Registry::with_builtin();
    let base_dir = crs_rules_dir();
    let cx = LoadContext { base_dir: &base_dir };
    let mut count = 0;
    let mut failures = Vec::new();
    for file in crs_rule_files() {
        let text = std::fs::read_to_string(&file).expect("rule file");
        for (line, name, argument) in operator_strings(&text) {
            count += 1;
            if let Err(e) = registry.compile(&name, &argument, &cx) {
                failures.push(format!("{}:{line}: @{name}: {e}", file.display()));
            }
        }
    }
    assert!(count > 600, "only {count} operators found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_crs_data_file_loads() {
    let rules = crs_rules_dir();
    let cx = LoadContext { base_dir: &rules };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&rules)
        .expect("rules dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "data"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "only {} data files", files.len());
    for file in files {
        let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let content = std::fs::read(&file).expect("data file");
        let phrases = pm_from_file::phrases(&content);
        assert!(!phrases.is_empty(), "{name}: no phrases");
        assert!(phrases.iter().all(|p| !p.starts_with(b"#") && !p.is_empty()), "{name}: a comment was kept");
        assert!(phrases.iter().all(|p| !p.ends_with(b"\r")), "{name}: CRLF line endings");
        let op = registry_compile_pmf(&name, &cx);
        // Each phrase matches itself, in upper case too.
        for phrase in phrases.iter().step_by(7) {
            assert!(evaluate(op.as_ref(), phrase, None), "{name}: {}", show(phrase));
            assert!(evaluate(op.as_ref(), &phrase.to_ascii_uppercase(), None), "{name}: {}", show(phrase));
        }
    }
    // A relative name is found beside the rules whatever the working directory.
    assert!(cx.resolve("lfi-os-files.data").starts_with(&rules));
    assert_eq!(cx.resolve("/abs/x.data"), Path::new("/abs/x.data"));
}

/// The validation operators require a byte they would refuse (`@validateByteRange`), a byte of
/// 0x80 or more (`@validateUtf8Encoding`) or a `%` (`@validateUrlEncoding`): an input without
/// one never matches (generated inputs), and one with it may.
#[test]
fn validation_operators_require_what_they_refuse() {
    use crate::test_rng::Rng;
    let base = crs_rules_dir();
    let cx = LoadContext { base_dir: &base };
    let mut rng = Rng::new(0xb17e_5e75);
    let alphabet: Vec<u8> = (0..=u8::MAX).collect();
    for (name, argument, matching) in [
        ("validateByteRange", "32-126", &b"tab\there"[..]),
        ("validateByteRange", "1-255", b"nul\0"),
        ("validateByteRange", "9,10,13,32-126,128-255", b"\x7f"),
        ("validateUtf8Encoding", "", b"\xc3("),
        ("validateUrlEncoding", "", b"%zz"),
    ] {
        let op = Registry::with_builtin().compile(name, argument, &cx).unwrap_or_else(|e| panic!("{name}: {e}"));
        let [set] = op.required_bytes() else { panic!("{name} {argument}: one set expected") };
        assert!(evaluate(op.as_ref(), matching, None), "{name} {argument}: {}", show(matching));
        assert!(matching.iter().any(|&b| set.contains(b)));
        for _ in 0..3000 {
            let mut input: Vec<u8> = (0..rng.below(12)).map(|_| *rng.pick(&alphabet)).collect();
            input.retain(|&b| !set.contains(b));
            assert!(!evaluate(op.as_ref(), &input, None), "{name} {argument}: {} matched", show(&input));
        }
    }
}

/// A phrase list's name, its phrases and its operator.
type PhraseList = (String, Vec<Vec<u8>>, Box<dyn Operator>);

/// `@pm` and `@pmFromFile` require a byte of their punctuation set only when every phrase holds
/// one (checked phrase by phrase), and then an input without those bytes never matches, in any
/// letter case (generated inputs built from the phrases' own pieces). The CRS's file lists that
/// the rule skip relies on do get a set.
#[test]
fn phrase_lists_require_their_punctuation_exactly() {
    use crate::test_rng::Rng;
    let rules = crs_rules_dir();
    let cx = LoadContext { base_dir: &rules };
    let mut rng = Rng::new(0x9a11_0b57);
    let mut with_set = Vec::new();
    let mut lists: Vec<PhraseList> = Vec::new();
    for entry in std::fs::read_dir(&rules).expect("rules dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "data") {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let phrases = pm_from_file::phrases(&std::fs::read(&path).expect("data file"));
            lists.push((name.clone(), phrases, registry_compile_pmf(&name, &cx)));
        }
    }
    for (argument, phrases) in
        [("?> <?", vec![&b"?>"[..], b"<?"]), ("AppleWebKit Android", vec![b"AppleWebKit", b"Android"])]
    {
        let op = Registry::with_builtin().compile("pm", argument, &cx).expect("@pm");
        lists.push((argument.to_owned(), phrases.into_iter().map(<[u8]>::to_vec).collect(), op));
    }
    for (name, phrases, op) in &lists {
        let Some(set) = op.required_bytes().first().copied() else {
            assert!(
                phrases.iter().any(|p| p.iter().all(u8::is_ascii_alphanumeric)),
                "{name}: no set, though every phrase holds punctuation"
            );
            continue;
        };
        with_set.push(name.as_str());
        assert!(set.bytes().all(|b| !b.is_ascii_alphanumeric()), "{name}: a letter or digit in {set:?}");
        for phrase in phrases {
            assert!(phrase.iter().any(|&b| set.contains(b)), "{name}: {} holds no byte of the set", show(phrase));
        }
        for _ in 0..300 {
            let mut input = Vec::new();
            for _ in 0..1 + rng.below(4) {
                let phrase = rng.pick(phrases);
                input.extend_from_slice(&phrase[rng.below(phrase.len())..]);
                input.push(*rng.pick(b" aZ9"));
            }
            input.retain(|&b| !set.contains(b));
            for case in [input.to_ascii_lowercase(), input.to_ascii_uppercase(), input] {
                assert!(!evaluate(op.as_ref(), &case, None), "{name}: {} matched without the set", show(&case));
            }
        }
    }
    for list in ["lfi-os-files.data", "unix-shell.data", "ssrf.data", "php-variables.data", "?> <?"] {
        assert!(with_set.contains(&list), "{list} has no punctuation set ({with_set:?})");
    }
    assert!(!with_set.contains(&"AppleWebKit Android") && !with_set.contains(&"scanners-user-agents.data"));
}

fn registry_compile_pmf(name: &str, cx: &LoadContext<'_>) -> Box<dyn Operator> {
    Registry::with_builtin().compile("pmFromFile", name, cx).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn crs_operators_on_clean_values_are_cheap() {
    // The regexes and phrase lists of the CRS against a clean request's values. A smoke test of
    // the engine choice that prints its timing, not a benchmark: it fails only if a search
    // takes absurdly long.
    let registry = Registry::with_builtin();
    let base_dir = crs_rules_dir();
    let cx = LoadContext { base_dir: &base_dir };
    let mut ops = Vec::new();
    for file in crs_rule_files() {
        let text = std::fs::read_to_string(&file).expect("rule file");
        for (_, name, argument) in operator_strings(&text) {
            if name == "rx" || name == "pmFromFile" || name == "pm" {
                ops.push(registry.compile(&name, &argument, &cx).expect("CRS operator"));
            }
        }
    }
    let values: [&[u8]; 4] = [b"/index.html", b"page=2", b"Mozilla/5.0 (X11; Linux x86_64)", b"example.com"];
    for op in &ops {
        for value in values {
            evaluate(op.as_ref(), value, None);
        }
    }
    let started = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        for op in &ops {
            for value in values {
                std::hint::black_box(evaluate(op.as_ref(), value, None));
            }
        }
    }
    let per_round = started.elapsed() / rounds;
    println!("{} CRS @rx/@pm operators x {} clean values: {per_round:?} per round", ops.len(), values.len());
    assert!(per_round.as_millis() < 200, "{per_round:?} per round");
}

#[test]
fn arbitrary_arguments_and_inputs_never_panic() {
    let registry = Registry::with_builtin();
    let base_dir = manifest_dir().join("tests/data/operators");
    let cx = LoadContext { base_dir: &base_dir };
    let alphabet: &[u8] = b"\\[]()?*+{},-^$|.:=!<>#'PQEabcdxhvsz0179/%{}@ \t\n\xc3\xa9\xff";
    let mut seed: u32 = 0x9e37_79b9;
    let mut next = move |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as usize % bound
    };
    let mut compiled = 0;
    for _ in 0..4000 {
        let argument: Vec<u8> = (0..next(16)).map(|_| alphabet[next(alphabet.len())]).collect();
        let input: Vec<u8> = (0..next(16)).map(|_| alphabet[next(alphabet.len())]).collect();
        let argument = String::from_utf8_lossy(&argument);
        for &(name, _) in BUILTIN {
            if name.eq_ignore_ascii_case("pmFromFile")
                || name.eq_ignore_ascii_case("pmf")
                || name.starts_with("ipMatchF")
            {
                continue;
            }
            if let Ok(op) = registry.compile(name, &argument, &cx) {
                compiled += 1;
                let mut captures = Captures::new();
                evaluate(op.as_ref(), &input, Some(&mut captures));
                evaluate(op.as_ref(), &input, None);
            }
        }
    }
    assert!(compiled > 50_000, "only {compiled} operators compiled");
}
