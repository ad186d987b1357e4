//! Bounds on the bytes a transformation's output holds, from the bytes of its input: the engine
//! skips a rule whose operator requires a byte that no transformed value can hold, and with
//! these it can often tell that from the bytes of the values as they are, without transforming
//! them (`engine::transaction::unions`).
//!
//! A bound is `(bytes, exact)`. `bytes` must hold every byte any output can hold when every
//! input byte is in the input set. `exact` says more: for any values whose bytes together are
//! the input set, their outputs together hold exactly `bytes`. Most decoders are exact on
//! inputs without the byte that starts what they decode (`%` for `urlDecode`, `&` for
//! `htmlEntityDecode`, ...), where they change nothing; elsewhere they answer every byte.
//!
//! The unit tests check every bound against its transformation over generated values.

use crate::operators::ByteSet;

/// The bytes the outputs may hold, and whether that is exact (see the module documentation).
pub type Bound = (ByteSet, bool);

/// `isspace` in the C locale: what `compressWhitespace`, `trim` and `cmdLine` treat as blanks.
const SPACES: ByteSet = ByteSet::of(b" \t\n\x0b\x0c\r");

const BACKSLASH: ByteSet = ByteSet::of(b"\\");
const NON_ASCII_OR_NUL: ByteSet = ByteSet::range(0x80, 0xff).union(&ByteSet::of(b"\0"));
const PATH: ByteSet = ByteSet::of(b"./");
const PATH_WIN: ByteSet = ByteSet::of(b"./\\");
const STAR: ByteSet = ByteSet::of(b"*");
const COMMENT_MARKS: ByteSet = ByteSet::of(b"*-<#");
const NAMED_ENTITIES: ByteSet = ByteSet::of(b"\"&<>\xa0");
const NUL: ByteSet = ByteSet::of(b"\0");
const WHITESPACE: ByteSet = SPACES.union(&ByteSet::of(b"\xa0\xc2"));
const CMD_SEPARATORS: ByteSet = ByteSet::of(b" ,;\t\r\n");
const CMD_DELETED: ByteSet = CMD_SEPARATORS.union(&ByteSet::of(b"\"'\\^"));
const PLUS: ByteSet = ByteSet::of(b"+");
const DIGITS: ByteSet = ByteSet::range(b'0', b'9');
const HEX_DIGITS: ByteSet = DIGITS.union(&ByteSet::range(b'a', b'f'));

/// Any byte: the bound of a transformation nothing is known of.
pub fn unknown(_input: ByteSet) -> Bound {
    (ByteSet::FULL, false)
}

/// The input unchanged (exact) when it holds none of `trigger`, otherwise any byte.
fn unchanged_without(input: ByteSet, trigger: &ByteSet) -> Bound {
    if input.intersects(trigger) {
        (ByteSet::FULL, false)
    } else {
        (input, true)
    }
}

/// `urlDecode`, `urlDecodeUni`: without `%` escapes, they only turn `+` into a space.
pub fn url_decode(input: ByteSet) -> Bound {
    if input.contains(b'%') {
        return (ByteSet::FULL, false);
    }
    if !input.contains(b'+') {
        return (input, true);
    }
    let mut out = input.difference(&PLUS);
    out.insert(b' ');
    (out, true)
}

/// `htmlEntityDecode`: entities start with `&`; without `#` only the named ones decode, to
/// `"`, `&`, `<`, `>` and `0xa0`.
pub fn html_entity_decode(input: ByteSet) -> Bound {
    if !input.contains(b'&') {
        (input, true)
    } else if input.contains(b'#') {
        (ByteSet::FULL, false)
    } else {
        (input.union(&NAMED_ENTITIES), false)
    }
}

/// `jsDecode`, `cssDecode`, `escapeSeqDecode`: escapes start with a backslash.
pub fn backslash_escapes(input: ByteSet) -> Bound {
    unchanged_without(input, &BACKSLASH)
}

/// `utf8toUnicode`: ASCII without NUL is left alone (a NUL is dropped unless it ends the
/// value, which a set of bytes cannot tell).
pub fn utf8_to_unicode(input: ByteSet) -> Bound {
    unchanged_without(input, &NON_ASCII_OR_NUL)
}

/// `normalizePath`: without `.` and `/` there is no segment to resolve.
pub fn normalize_path(input: ByteSet) -> Bound {
    unchanged_without(input, &PATH)
}

/// `normalizePathWin`: as `normalizePath`, backslashes being separators too.
pub fn normalize_path_win(input: ByteSet) -> Bound {
    unchanged_without(input, &PATH_WIN)
}

/// `replaceComments`: a comment opens with `/*`.
pub fn replace_comments(input: ByteSet) -> Bound {
    unchanged_without(input, &STAR)
}

/// `removeComments`, `removeCommentsChar`: their markers are `/*`, `*/`, `<!--`, `-->`, `--`
/// and `#`.
pub fn comments(input: ByteSet) -> Bound {
    unchanged_without(input, &COMMENT_MARKS)
}

/// `lowercase`.
pub fn lowercase(input: ByteSet) -> Bound {
    (input.to_ascii_lowercase(), true)
}

/// `uppercase`.
pub fn uppercase(input: ByteSet) -> Bound {
    (input.to_ascii_uppercase(), true)
}

/// `removeNulls`.
pub fn remove_nulls(input: ByteSet) -> Bound {
    (input.difference(&NUL), true)
}

/// `removeWhitespace`: blanks, and the bytes of a UTF-8 no-break space (`0xc2 0xa0`).
pub fn remove_whitespace(input: ByteSet) -> Bound {
    (input.difference(&WHITESPACE), true)
}

/// `compressWhitespace`: every run of blanks becomes one space.
pub fn compress_whitespace(input: ByteSet) -> Bound {
    if input.intersects(&SPACES) {
        let mut out = input.difference(&SPACES);
        out.insert(b' ');
        (out, true)
    } else {
        (input, true)
    }
}

/// `trim`, `trimLeft`, `trimRight`: a part of the input (which blanks it loses depends on
/// where they are).
pub fn subset(input: ByteSet) -> Bound {
    (input, false)
}

/// `cmdLine`: lower-cased, quotes, backslashes and carets deleted, `,` `;` space, tab, CR and
/// LF turned into spaces (not `\v` or `\f`).
pub fn cmd_line(input: ByteSet) -> Bound {
    let mut out = input.difference(&CMD_DELETED).to_ascii_lowercase();
    if input.intersects(&CMD_SEPARATORS) {
        out.insert(b' ');
    }
    (out, false)
}

/// `hexEncode`: lower-case hex digits.
pub fn hex_encode(input: ByteSet) -> Bound {
    if input.is_empty() {
        return (input, false);
    }
    (HEX_DIGITS, false)
}

/// `length`: decimal digits.
pub fn length(_input: ByteSet) -> Bound {
    (DIGITS, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;
    use crate::transformations::BUILTIN;

    /// Values made of bytes that the transformations treat specially, and plain ones.
    fn value(rng: &mut Rng, alphabet: &[u8]) -> Vec<u8> {
        let len = rng.below(12);
        (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect()
    }

    const ALPHABETS: [&[u8]; 5] = [
        b"abcXYZ019 ",
        b"aZ %+2f3Cu00",
        b"a&#;x3clt \\u0041\"'^,;\t",
        b"./\\*-<!#/ab",
        b"\0\x80\xc2\xa0\xffA \r\n\x0bz",
    ];

    fn random_set(rng: &mut Rng) -> Vec<Vec<u8>> {
        let alphabet = ALPHABETS[rng.below(ALPHABETS.len())];
        let other = ALPHABETS[rng.below(ALPHABETS.len())];
        let mixed: Vec<u8> = alphabet.iter().chain(other.iter().take(rng.below(3))).copied().collect();
        (0..1 + rng.below(4)).map(|_| value(rng, &mixed)).collect()
    }

    #[test]
    fn every_bound_holds_the_bytes_of_the_outputs_and_exact_ones_no_more() {
        let mut rng = Rng::new(0x5eed_b0d5);
        for &(name, func, bound) in BUILTIN {
            let mut exact_seen = 0;
            for _ in 0..4000 {
                let values = random_set(&mut rng);
                let input = values.iter().fold(ByteSet::EMPTY, |all, v| all.union(&ByteSet::of(v)));
                let output = values.iter().fold(ByteSet::EMPTY, |all, v| all.union(&ByteSet::of(&func(v))));
                let (bytes, exact) = bound(input);
                assert_eq!(
                    output.difference(&bytes),
                    ByteSet::EMPTY,
                    "{name}: {values:?} gave bytes outside its bound"
                );
                if exact {
                    exact_seen += 1;
                    assert_eq!(output, bytes, "{name}: {values:?}: an exact bound must be the outputs' bytes");
                }
            }
            // Those whose bound is never exact (digests, encoders, decoders of anything).
            const NEVER_EXACT: [&str; 18] = [
                "base64Decode",
                "base64DecodeExt",
                "base64Encode",
                "cmdLine",
                "hexDecode",
                "hexEncode",
                "length",
                "md5",
                "parityEven7bit",
                "parityOdd7bit",
                "parityZero7bit",
                "replaceNulls",
                "sha1",
                "sqlHexDecode",
                "trim",
                "trimLeft",
                "trimRight",
                "urlEncode",
            ];
            let never_exact = NEVER_EXACT.contains(&name);
            assert!(never_exact || exact_seen > 100, "{name}: exact on too few generated sets ({exact_seen})");
        }
    }

    #[test]
    fn clean_values_keep_their_bytes_through_the_crs_chains() {
        let ua = ByteSet::of(b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36");
        for f in [url_decode, html_entity_decode, backslash_escapes, utf8_to_unicode, replace_comments] {
            assert_eq!(f(ua), (ua, true));
        }
        assert_eq!(url_decode(ByteSet::of(b"a%41")), (ByteSet::FULL, false));
        assert_eq!(url_decode(ByteSet::of(b"xhtml+xml")), (ByteSet::of(b"xhtml ml"), true));
        assert_eq!(html_entity_decode(ByteSet::of(b"a&b")), (ByteSet::of(b"a&b\"<>\xa0"), false));
        let (lower, exact) = lowercase(ua);
        assert!(exact && lower.contains(b'm') && !lower.contains(b'M'));
        let (cmd, exact) = cmd_line(ByteSet::of(b"Ls;'x"));
        assert!(!exact && cmd == ByteSet::of(b"ls x"));
    }
}
