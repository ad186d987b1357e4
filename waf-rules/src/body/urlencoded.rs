//! `application/x-www-form-urlencoded` and query-string arguments, split and decoded as
//! libmodsecurity's `Transaction::extractArguments` does.
//!
//! The input is split on the separator (`SecArgumentSeparator`, `&` by default) the way C++
//! `getline` splits: a trailing separator yields no empty piece, but a leading or doubled one
//! does, and that empty piece becomes an argument with an empty name and value. Each piece is
//! split at its first `=` (none: the whole piece is the name, the value is empty), then name and
//! value are decoded: `+` becomes a space, `%XY` with two hex digits becomes that byte, and any
//! other `%` is kept as it is and counted as invalid, which sets `URLENCODED_ERROR`.
//! Repeated names are all kept, in order. Once `SecArgumentsLimit` is reached further arguments
//! are dropped, but still decoded (so they can still set `URLENCODED_ERROR`).
//!
//! ```text
//! SecRule ARGS_GET:q "@contains attack" "id:1,phase:1,deny"
//! SecRule URLENCODED_ERROR "@eq 1" "id:2,phase:2,deny"
//! ```

use super::Arg;

/// The arguments of one query string or urlencoded body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlEncoded {
    /// Decoded arguments, in input order, at most the limit given.
    pub args: Vec<Arg>,
    /// Whether some `%` was not followed by two hex digits (`URLENCODED_ERROR`).
    pub invalid_encoding: bool,
    /// How many arguments the limit dropped.
    pub skipped: usize,
}

/// Splits and decodes `input`. `max_args` is how many more arguments `ARGS` may take
/// (`SecArgumentsLimit` minus those already present); `None` for no limit.
pub fn parse(input: &[u8], separator: u8, max_args: Option<usize>) -> UrlEncoded {
    let mut out = UrlEncoded::default();
    for piece in getline_split(input, separator) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(eq) => (&piece[..eq], piece.get(eq + 1..).unwrap_or_default()),
            None => (piece, &b""[..]),
        };
        let (name, bad_name) = decode(name);
        let (value, bad_value) = decode(value);
        out.invalid_encoding |= bad_name || bad_value;
        if max_args.is_some_and(|max| out.args.len() >= max) {
            out.skipped += 1;
        } else {
            out.args.push(Arg { name, value });
        }
    }
    out
}

/// v3's `urldecode_nonstrict`: `+` to space, valid `%XY` to a byte, anything else kept.
/// Returns the decoded bytes and whether an invalid escape was seen.
pub fn decode(input: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(input.len());
    let mut invalid = false;
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'%' => match (input.get(i + 1).copied().and_then(hex), input.get(i + 2).copied().and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    invalid = true;
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    (out, invalid)
}

/// C++ `std::getline` splitting: pieces between separators, no empty piece after a trailing one.
pub(crate) fn getline_split(input: &[u8], separator: u8) -> impl Iterator<Item = &[u8]> {
    let body = input.strip_suffix(&[separator]).unwrap_or(input);
    let pieces = body.split(move |&b| b == separator);
    pieces.take(if input.is_empty() { 0 } else { usize::MAX })
}

/// The value of an ASCII hex digit.
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
