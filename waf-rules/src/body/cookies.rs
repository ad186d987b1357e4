//! The `Cookie` request header, split as libmodsecurity's `Transaction::addRequestHeader` does
//! for `REQUEST_COOKIES` and `REQUEST_COOKIES_NAMES`.
//!
//! The header value is split on `;` (C++ `getline`: no empty piece after a trailing `;`);
//! trailing whitespace is removed from the last piece only. Empty pieces are skipped. Each piece
//! is split at its first `=` (none: all name, empty value); leading whitespace is removed from
//! the name and a piece whose name is then empty is skipped. Nothing else is trimmed: in
//! `a = b` the name is `a ` and the value ` b`. Values are not decoded. This is the version 0
//! cookie format (`SecCookieFormat 0`), the only one v3 implements. Each `Cookie` header is
//! parsed on its own; the engine appends the results.
//!
//! ```text
//! SecRule REQUEST_COOKIES|REQUEST_COOKIES_NAMES "@rx <script" "id:1,phase:1,deny"
//! ```

use super::urlencoded::getline_split;
use super::{is_c_space, Arg};

/// The cookies of one `Cookie` header value, in order, repeated names kept.
pub fn parse(header: &[u8]) -> Vec<Arg> {
    let pieces: Vec<&[u8]> = getline_split(header, b';').collect();
    let last = pieces.len().saturating_sub(1);
    let mut cookies = Vec::new();
    for (index, mut piece) in pieces.into_iter().enumerate() {
        if index == last {
            while let Some((&b, rest)) = piece.split_last() {
                if !is_c_space(b) {
                    break;
                }
                piece = rest;
            }
        }
        if piece.is_empty() {
            continue;
        }
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(eq) => (&piece[..eq], piece.get(eq + 1..).unwrap_or_default()),
            None => (piece, &b""[..]),
        };
        let start = name.iter().position(|&b| !is_c_space(b)).unwrap_or(name.len());
        let name = &name[start..];
        if name.is_empty() {
            continue;
        }
        cookies.push(Arg::new(name, value));
    }
    cookies
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_values(header: &str) -> Vec<(String, String)> {
        parse(header.as_bytes())
            .into_iter()
            .map(|a| (String::from_utf8(a.name).unwrap(), String::from_utf8(a.value).unwrap()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn cookie_table() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("a=b", &[("a", "b")]),
            ("a=b; c=d", &[("a", "b"), ("c", "d")]),
            ("a=b;c=d;", &[("a", "b"), ("c", "d")]),
            (";;a=b", &[("a", "b")]),
            ("a", &[("a", "")]),
            ("a=", &[("a", "")]),
            ("=b", &[]),
            ("   =b; c=d", &[("c", "d")]),
            ("a=b=c", &[("a", "b=c")]),
            ("a = b ", &[("a ", " b")]),
            ("a=b ; c=d  \t", &[("a", "b "), ("c", "d")]),
            ("a=1; a=2", &[("a", "1"), ("a", "2")]),
            ("", &[]),
            ("  ", &[]),
            (";", &[]),
            ("\ta=%41", &[("a", "%41")]),
            ("$Version=1; x=\"y\"", &[("$Version", "1"), ("x", "\"y\"")]),
        ];
        for (header, expected) in cases {
            assert_eq!(names_values(header), pairs(expected), "Cookie: {header:?}");
        }
    }

    #[test]
    fn non_utf8_bytes_pass_through() {
        let parsed = parse(b"k\xff=\x00v\xfe");
        assert_eq!(parsed, vec![Arg::new(&b"k\xff"[..], &b"\x00v\xfe"[..])]);
    }
}
