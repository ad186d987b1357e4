//! The multipart boundary from a `Content-Type` header value, checked as v3's
//! `Multipart::init` checks it (length, MIME type, single `boundary` parameter, characters).

use crate::body::{is_c_space, starts_with_ignore_case};

/// The longest `Content-Type` value v3 accepts.
const MAX_HEADER: usize = 1024;

/// What the `Content-Type` value yields: the boundary when valid, the flags its syntax set
/// (they are reported even when it is invalid) and v3's error message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Boundary {
    /// The boundary, without quotes; `None` when the header is unusable.
    pub value: Option<Vec<u8>>,
    /// `MULTIPART_BOUNDARY_QUOTED`: the boundary was in double quotes.
    pub quoted: bool,
    /// `MULTIPART_BOUNDARY_WHITESPACE`: whitespace around the `=` of the parameter.
    pub whitespace: bool,
    /// `MULTIPART_MISSING_SEMICOLON`: no `;` between the MIME type and `boundary`.
    pub missing_semicolon: bool,
    /// Whether the failure counts as a strict error (v3's `m_flag_error`). v3 fails without it,
    /// and without a message, on an empty boundary (`boundary=` or `boundary=""`).
    pub strict_error: bool,
    /// v3's error message when the header is unusable.
    pub error: Option<&'static str>,
}

impl Boundary {
    /// Parses a `Content-Type` header value.
    pub fn parse(header: &[u8]) -> Self {
        let mut out = Self::default();
        if let Err(message) = out.extract(header) {
            out.value = None;
            if let Some(message) = message {
                out.strict_error = true;
                out.error = Some(message);
            }
        }
        out
    }

    /// The checks in v3's order. `Err(None)` is v3's silent `return false`.
    fn extract(&mut self, header: &[u8]) -> Result<(), Option<&'static str>> {
        if header.is_empty() {
            return Err(Some("Multipart: Content-Type header not available."));
        }
        if header.len() > MAX_HEADER {
            return Err(Some("Multipart: Invalid boundary in C-T (length)."));
        }
        // v3 works on the C string from here on.
        let header = until_nul(header);
        if !starts_with_ignore_case(header, b"multipart/form-data") {
            return Err(Some("Multipart: Invalid MIME type."));
        }
        if count_boundary_params(header) > 1 {
            return Err(Some("Multipart: Multiple boundary parameters in C-T."));
        }
        let Some(at) = find(header, b"boundary") else {
            return Err(Some(if count_boundary_params(header) > 0 {
                "Multipart: Invalid boundary in C-T (case sensitivity)."
            } else {
                "Multipart: Boundary not found in C-T."
            }));
        };
        let mut seen_semicolon = false;
        for &b in header.get(19..at).unwrap_or_default() {
            if is_c_space(b) {
                continue;
            }
            if !seen_semicolon && b == b';' {
                seen_semicolon = true;
            } else {
                return Err(Some("Multipart: Invalid boundary in C-T (malformed)."));
            }
        }
        self.missing_semicolon = !seen_semicolon;

        let after_name = at + b"boundary".len();
        let Some(eq) = header.get(after_name..).and_then(|rest| rest.iter().position(|&b| b == b'=')) else {
            return Err(Some("Multipart: Invalid boundary in C-T (malformed)."));
        };
        for &b in &header[after_name..after_name + eq] {
            if is_c_space(b) {
                self.whitespace = true;
            } else {
                return Err(Some("Multipart: Invalid boundary in C-T (parameter name)."));
            }
        }
        let value = header.get(after_name + eq + 1..).unwrap_or_default();
        if value.first().copied().is_some_and(is_c_space) {
            self.whitespace = true;
        }
        let quoted = value.len() >= 2 && value.first() == Some(&b'"') && value.last() == Some(&b'"');
        let mut boundary = if quoted {
            value[1..value.len() - 1].to_vec()
        } else {
            if value.first() == Some(&b'"') || (value.len() >= 2 && value.last() == Some(&b'"')) {
                return Err(Some("Multipart: Invalid boundary in C-T (quote)."));
            }
            value.to_vec()
        };
        if boundary.is_empty() {
            return Err(None);
        }
        self.quoted = quoted;
        if count_boundary_params(&boundary) != 0 {
            return Err(Some("Multipart: Invalid boundary in C-T (content)."));
        }
        // Some frameworks append `; charset=...`; v3 tolerates it by cutting at the `;`.
        if !characters_valid(&boundary) {
            if let Some(semicolon) = boundary.iter().position(|&b| b == b';') {
                boundary.truncate(semicolon);
            }
        }
        if !characters_valid(&boundary) {
            return Err(Some("Multipart: Invalid boundary in C-T (characters)."));
        }
        if boundary.is_empty() {
            return Err(Some("Multipart: Invalid boundary in C-T (empty)."));
        }
        self.value = Some(boundary);
        Ok(())
    }
}

/// v3's `count_boundary_params`: occurrences of `boundary` (any case) followed, anywhere
/// later, by an `=`.
fn count_boundary_params(value: &[u8]) -> usize {
    let lower = until_nul(value).to_ascii_lowercase();
    let mut count = 0;
    let mut rest = &lower[..];
    while let Some(at) = find(rest, b"boundary") {
        rest = &rest[at + b"boundary".len()..];
        if rest.contains(&b'=') {
            count += 1;
        }
    }
    count
}

/// RFC 2046 boundary characters; a space is allowed but not last.
fn characters_valid(boundary: &[u8]) -> bool {
    let last = boundary.len().saturating_sub(1);
    boundary
        .iter()
        .enumerate()
        .all(|(i, &c)| c.is_ascii_alphanumeric() || (c == b' ' && i != last) || b"'()+_,-./:=?".contains(&c))
}

/// The bytes before the first NUL, as a C string sees them.
pub(super) fn until_nul(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(nul) => &bytes[..nul],
        None => bytes,
    }
}

/// `strstr`: the first position of `needle` in `haystack`.
pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_table() {
        // (header, boundary, quoted, whitespace, missing semicolon, strict, error)
        type Case = (&'static str, Option<&'static str>, bool, bool, bool, bool, Option<&'static str>);
        let cases: &[Case] = &[
            ("multipart/form-data; boundary=abc", Some("abc"), false, false, false, false, None),
            ("Multipart/Form-Data; boundary=abc", Some("abc"), false, false, false, false, None),
            ("multipart/form-data; boundary=\"a b\"", Some("a b"), true, false, false, false, None),
            ("multipart/form-data boundary=abc", Some("abc"), false, false, true, false, None),
            ("multipart/form-data; boundary =abc", Some("abc"), false, true, false, false, None),
            ("multipart/form-data; boundary= abc", Some(" abc"), false, true, false, false, None),
            ("multipart/form-data; boundary=abc; charset=utf-8", Some("abc"), false, false, false, false, None),
            (
                "multipart/form-data; boundary=abc ; charset=utf-8",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (characters)."),
            ),
            (
                "multipart/form-data; boundary=\"abc",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (quote)."),
            ),
            (
                "multipart/form-data; boundary=abc\"",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (quote)."),
            ),
            ("multipart/form-data; boundary=", None, false, false, false, false, None),
            ("multipart/form-data; boundary=\"\"", None, false, false, false, false, None),
            (
                "multipart/form-data; BOUNDARY=abc",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (case sensitivity)."),
            ),
            (
                "multipart/form-data; charset=utf-8",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Boundary not found in C-T."),
            ),
            (
                "multipart/form-data; boundary=a; boundary=b",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Multiple boundary parameters in C-T."),
            ),
            (
                "multipart/form-data; x; boundary=abc",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (malformed)."),
            ),
            (
                "multipart/form-data;; boundary=abc",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (malformed)."),
            ),
            (
                "multipart/form-data; boundary",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (malformed)."),
            ),
            (
                "multipart/form-data; boundaryx=abc",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (parameter name)."),
            ),
            (
                "multipart/form-data; boundary=----WebKitFormBoundary",
                Some("----WebKitFormBoundary"),
                false,
                false,
                false,
                false,
                None,
            ),
            (
                "multipart/form-data; boundary=xboundaryx=",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Multiple boundary parameters in C-T."),
            ),
            ("multipart/form-data; boundary=\"xboundaryx\"", Some("xboundaryx"), true, false, false, false, None),
            (
                "multipart/form-data; boundary=;x",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (empty)."),
            ),
            (
                "multipart/form-datax; boundary=abc",
                None,
                false,
                false,
                false,
                true,
                Some("Multipart: Invalid boundary in C-T (malformed)."),
            ),
            ("text/plain; boundary=abc", None, false, false, false, true, Some("Multipart: Invalid MIME type.")),
            ("", None, false, false, false, true, Some("Multipart: Content-Type header not available.")),
        ];
        for &(header, value, quoted, whitespace, semicolon, strict, error) in cases {
            let got = Boundary::parse(header.as_bytes());
            let expected = Boundary {
                value: value.map(|v| v.as_bytes().to_vec()),
                quoted,
                whitespace,
                missing_semicolon: semicolon,
                strict_error: strict,
                error,
            };
            assert_eq!(got, expected, "Content-Type: {header:?}");
        }
    }

    #[test]
    fn long_header_is_rejected_before_anything_else() {
        let mut header = b"multipart/form-data; boundary=".to_vec();
        header.resize(1025, b'a');
        assert_eq!(Boundary::parse(&header).error, Some("Multipart: Invalid boundary in C-T (length)."));
        header.truncate(1024);
        assert_eq!(Boundary::parse(&header).value.map(|v| v.len()), Some(1024 - 30));
    }
}
