//! `@detectSQLi` against `libinjectionrs::detect_sqli`, the reference: the single-pass
//! [`detect`] and the [`plain`] fast path, over the CRS regression strings and generated inputs.

use libinjectionrs::sqli::sqli_data::{lookup_word, SQL_KEYWORDS};
use libinjectionrs::sqli::{SqliTokenizer, TokenType};
use libinjectionrs::{detect_sqli, SqliFlags};

use super::plain::{tokens, Kind, PlainText, TOKENS_CHECKED};
use super::*;
use crate::operators::corpus::{crs_strings, Rng};

/// Number forms that `parse_number` treats specially, and words the tokenizer dispatches to
/// other parsers (`b'..'`, `n'..'`, `q'..'`, `u&'..'`, `x'..'`, `e'..'`).
const NUMBERS: &[&str] = &[
    "0", "1", "7", "1234", "0x", "0X1f", "0xg", "0x1fz", "0b", "0B101", "0b2", "0b1z", "1e", "1E5", "1e5f", "12f",
    "1fu", "1Fu", "1d", "1D", "3f9a", "00", "09", "1e5d", "1ex", "2ef", "5u", "0e", "0d",
];
const WORDS: &[&str] = &[
    "lorem",
    "ipsum",
    "id",
    "home",
    "a",
    "b",
    "e",
    "n",
    "q",
    "u",
    "x",
    "_",
    "N",
    "Q",
    "U",
    "X",
    "E",
    "B",
    "sp_password",
    "john",
    "smith",
    "field1",
    "do",
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "select_",
    "union1",
];

/// A random mix of SQL keywords (whole, multi-word ones also cut into words), number forms and
/// plain words, in random case, joined by spaces or nothing.
fn generated(count: usize, seed: u64) -> Vec<Vec<u8>> {
    let keywords: Vec<&str> = SQL_KEYWORDS
        .iter()
        .map(|k| k.word)
        .filter(|w| w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' '))
        .collect();
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let mut input = Vec::new();
        for _ in 0..=rng.below(9) {
            let item = match rng.below(4) {
                0 | 1 => rng.pick(&keywords),
                2 => rng.pick(NUMBERS),
                _ => rng.pick(WORDS),
            };
            let mut item = item.as_bytes().to_vec();
            match rng.below(3) {
                0 => item.make_ascii_lowercase(),
                1 => item.iter_mut().filter(|_| rng.one_in(2)).for_each(u8::make_ascii_lowercase),
                _ => {}
            }
            if rng.one_in(4) {
                let space = item.iter().position(|&b| b == b' ').unwrap_or(item.len());
                item.truncate(space);
            }
            input.extend_from_slice(&item);
            input.extend_from_slice(&b"    "[..[0, 1, 1, 1, 2][rng.below(5)]]);
        }
        if rng.one_in(3) {
            input.retain(|&b| b != b' ' || rng.one_in(2));
        }
        out.push(input);
    }
    out
}

/// Operators here read no macro.
struct NoMacros;

impl crate::macros::Resolve for NoMacros {
    fn resolve(&self, _: &str, _: Option<&str>) -> Option<std::borrow::Cow<'_, [u8]>> {
        None
    }
}

/// Inputs built from libinjection's blacklisted fingerprints whose tokens can all be written
/// with letters, digits and spaces (`1UE`: a number, `UNION`, `SELECT`), so that many are
/// injections in the fast path's alphabet.
fn from_fingerprints(count: usize, seed: u64) -> Vec<Vec<u8>> {
    let plain = |w: &str| w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ');
    let of_type = |types: &[u8]| -> Vec<&'static str> {
        SQL_KEYWORDS.iter().filter(|k| types.contains(&k.token_type) && plain(k.word)).map(|k| k.word).collect()
    };
    // A fingerprint letter (upper-cased by the blacklist) and the words that make such a token.
    let choices: Vec<(u8, Vec<&str>)> = vec![
        (b'K', of_type(b"k")),
        (b'F', of_type(b"f")),
        (b'O', of_type(b"o")),
        (b'T', of_type(b"tT")),
        (b'E', of_type(b"E")),
        (b'U', of_type(b"U")),
        (b'B', of_type(b"B")),
        (b'A', of_type(b"A")),
        (b'&', of_type(b"&")),
        (b'N', WORDS.to_vec()),
        (b'1', NUMBERS.to_vec()),
    ];
    let templates: Vec<&[u8]> = SQL_KEYWORDS
        .iter()
        .filter(|k| k.token_type == b'F')
        .map(|k| &k.word.as_bytes()[1..])
        .filter(|fp| fp.iter().all(|c| choices.iter().any(|(t, _)| t == c)))
        .collect();
    assert!(templates.len() > 100, "{} templates", templates.len());
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let mut input = Vec::new();
            for c in *rng.pick(&templates) {
                let words = choices.iter().find(|(t, _)| t == c).map(|(_, w)| w.as_slice()).unwrap_or_default();
                input.extend_from_slice(rng.pick(words).as_bytes());
                input.push(b' ');
            }
            if rng.one_in(2) {
                input.make_ascii_lowercase();
            }
            input
        })
        .collect()
}

fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

#[test]
fn detect_answers_as_detect_sqli() {
    let mut inputs = crs_strings();
    inputs.extend(generated(20_000, 7));
    inputs.extend(from_fingerprints(20_000, 9));
    let mut injections = 0;
    for input in &inputs {
        let reference = detect_sqli(input);
        let fingerprint =
            reference.fingerprint.as_ref().map(|f| f.as_str().to_owned()).filter(|_| reference.is_injection());
        let ours = detect(input).map(|f| f.as_str().to_owned());
        assert_eq!(ours, fingerprint, "{}", show(input));
        injections += usize::from(ours.is_some());
    }
    assert!(injections > 1000, "only {injections} injections among {} inputs", inputs.len());
}

#[test]
fn tokens_are_libinjections() {
    let flags = SqliFlags::FLAG_QUOTE_NONE | SqliFlags::FLAG_SQL_ANSI;
    let plain = |input: &[u8]| input.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ');
    let mut checked = 0;
    for input in generated(100_000, 11).iter().chain(crs_strings().iter()).filter(|i| plain(i)) {
        let mut tokenizer = SqliTokenizer::new(input, flags);
        for (range, kind) in tokens(input) {
            let token = tokenizer.next_token().unwrap_or_else(|| panic!("{}: fewer tokens", show(input)));
            assert_eq!(token.pos, range.start, "{}: token {range:?}", show(input));
            assert_eq!(token.len, range.len().min(31), "{}: token {range:?}", show(input));
            match kind {
                Kind::Number => assert_eq!(token.token_type, TokenType::Number, "{}", show(input)),
                Kind::NumericBareword => assert_eq!(token.token_type, TokenType::Bareword, "{}", show(input)),
                Kind::Word => {
                    let word = std::str::from_utf8(&input[range.clone()]).unwrap_or_default();
                    let looked_up = if word.len() < 32 { lookup_word(word) } else { TokenType::Bareword };
                    assert_eq!(token.token_type, looked_up, "{}", show(input));
                }
            }
            checked += 1;
        }
        assert!(tokenizer.next_token().is_none(), "{}: more tokens", show(input));
    }
    assert!(checked > 100_000, "{checked} tokens");
}

#[test]
fn fast_path_never_hides_an_injection() {
    let fast = PlainText::new();
    let mut inputs = crs_strings();
    inputs.extend(generated(200_000, 3));
    inputs.extend(from_fingerprints(100_000, 5));
    let (mut taken, mut injections) = (0, 0);
    for input in &inputs {
        let injection = detect_sqli(input).is_injection();
        if fast.cannot_be_sqli(input) {
            assert!(!injection, "the fast path passed the injection {}", show(input));
            taken += 1;
        }
        injections += usize::from(injection);
    }
    // The generator must produce both: injections the fast path has to leave to libinjection,
    // and plain values it takes.
    assert!(taken > 20_000 && injections > 20_000, "{taken} taken, {injections} injections of {}", inputs.len());
}

#[test]
fn fast_path_takes_plain_values_only() {
    let fast = PlainText::new();
    for plain in ["", "1234", "home", "lorem ipsum dolor sit amet consectetur", "John Smith", "field12", "do", "x"] {
        assert!(fast.cannot_be_sqli(plain.as_bytes()), "{plain}");
    }
    // The first eight tokens are checked, whatever follows.
    assert!(fast.cannot_be_sqli(b"a b c d e f g h union select"));
    assert_eq!(TOKENS_CHECKED, 8);
    for other in [
        "1 union select 1",
        "union",
        "1union",
        "SELECT",
        "group by",
        "john.smith",
        "1' or '1'='1",
        "a b c d e f g union",
        "x\t",
        "\u{e9}",
    ] {
        assert!(!fast.cannot_be_sqli(other.as_bytes()), "{other}");
    }
}

#[test]
fn operator_captures_the_fingerprint() {
    let op = DetectSqli::new();
    let mut captures = crate::operators::Captures::new();
    let resolver = NoMacros;
    let mut cx = OpContext { resolver: &resolver, captures: Some(&mut captures) };
    assert!(op.evaluate(&mut cx, b"1' or '1'='1"));
    assert_eq!(captures.get(0), Some(&b"s&sos"[..]));
    let mut cx = OpContext { resolver: &resolver, captures: Some(&mut captures) };
    assert!(!op.evaluate(&mut cx, b"lorem ipsum"));
    assert_eq!(captures.get(0), Some(&b"s&sos"[..]), "a failed match leaves the captures alone");
}
