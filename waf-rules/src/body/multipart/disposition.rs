//! A part's `Content-Disposition` header, parsed as v3's `parse_content_disposition`: only
//! `form-data` with `name`, `filename` and `filename*` parameters, quoted with `"` (or `'`,
//! which sets `MULTIPART_INVALID_QUOTING`) or bare tokens. The negative codes are v3's; they
//! appear in its error message (`Invalid Content-Disposition header (-12): ...`).

use super::boundary::until_nul;

/// Characters allowed in a `filename*` charset besides letters and digits.
const MIME_CHARSET_SPECIAL: &[u8] = b"!#$%&+-^_`{}~";
/// Characters allowed in a `filename*` value besides letters, digits and `%XX`.
const ATTR_CHAR_SPECIAL: &[u8] = b"!#$&+-.^_`~";

/// Where the parameters go: the part being built and the collections v3 fills while parsing.
#[derive(Debug)]
pub(super) struct Disposition<'a> {
    /// The part's name; already set means a duplicate `name`.
    pub name: &'a mut Vec<u8>,
    /// The part's file name.
    pub filename: &'a mut Vec<u8>,
    /// `MULTIPART_NAME`.
    pub names_seen: &'a mut Vec<Vec<u8>>,
    /// `MULTIPART_FILENAME`.
    pub filenames_seen: &'a mut Vec<Vec<u8>>,
    /// `MULTIPART_INVALID_QUOTING`.
    pub invalid_quoting: &'a mut bool,
}

impl Disposition<'_> {
    /// Parses the header value; 1 on success, v3's negative code otherwise. Parameters parsed
    /// before a failure stay recorded, as in v3.
    pub fn parse(&mut self, value: &[u8]) -> i32 {
        let v = until_nul(value);
        // The byte at `p`, or NUL past the end, as C reads it.
        let at = |p: usize| v.get(p).copied().unwrap_or(0);
        let skip_ws = |mut p: usize| {
            while matches!(at(p), b' ' | b'\t') {
                p += 1;
            }
            p
        };
        if !v.starts_with(b"form-data") {
            return -1;
        }
        let mut p = skip_ws(9);
        if at(p) == 0 {
            return 1;
        }
        if at(p) != b';' {
            return -2;
        }
        p += 1;
        let mut filename_star: Vec<u8> = Vec::new();
        while at(p) != 0 {
            p = skip_ws(p);
            if at(p) == 0 {
                return -3;
            }
            let start = p;
            while !matches!(at(p), 0 | b'=' | b'\t' | b' ') {
                p += 1;
            }
            if at(p) == 0 {
                return -4;
            }
            let param = &v[start..p];
            p = skip_ws(p);
            if at(p) == 0 {
                return -5;
            }
            if at(p) != b'=' {
                return -13;
            }
            p = skip_ws(p + 1);
            if at(p) == 0 {
                return -6;
            }
            let mut quote = 0u8;
            let mut val = Vec::new();
            if param == b"filename*" {
                // filename*=charset'[language]'filename
                let charset = p;
                while at(p) != 0 && (at(p).is_ascii_alphanumeric() || MIME_CHARSET_SPECIAL.contains(&at(p))) {
                    p += 1;
                }
                if at(p) != b'\'' || p == charset {
                    return -16;
                }
                p += 1;
                while at(p) != 0 && at(p) != b'\'' {
                    p += 1;
                }
                if at(p) != b'\'' {
                    return -17;
                }
                p += 1;
                let name_start = p;
                while at(p) != 0 && at(p) != b';' {
                    if at(p) == b'%' {
                        if at(p + 1) == 0 || !at(p + 1).is_ascii_hexdigit() || !at(p + 2).is_ascii_hexdigit() {
                            return -18;
                        }
                        p += 3;
                    } else if at(p).is_ascii_alphanumeric() || ATTR_CHAR_SPECIAL.contains(&at(p)) {
                        p += 1;
                    } else {
                        return -19;
                    }
                }
                val.extend_from_slice(&v[name_start..p]);
            } else if at(p) == b'"' || at(p) == b'\'' {
                quote = at(p);
                if quote == b'\'' {
                    *self.invalid_quoting = true;
                }
                p += 1;
                if at(p) == 0 {
                    return -7;
                }
                while at(p) != 0 {
                    if at(p) == b'\\' {
                        if at(p + 1) == 0 {
                            return -8;
                        }
                        // Only the quote and the backslash can be escaped; v3 keeps other
                        // backslashes (IE sends them).
                        if at(p + 1) == quote || at(p + 1) == b'\\' {
                            p += 1;
                        }
                    } else if at(p) == quote {
                        break;
                    }
                    val.push(at(p));
                    p += 1;
                }
                // Over the closing quote; past the end when there was none (v3 reads on).
                p += 1;
            } else {
                let token = p;
                while at(p) != 0 && is_token_char(at(p)) {
                    p += 1;
                }
                val.extend_from_slice(&v[token..p]);
            }

            match param {
                b"name" => {
                    self.validate_quotes(&val, quote);
                    self.names_seen.push(val.clone());
                    if !self.name.is_empty() {
                        return -14;
                    }
                    *self.name = val;
                }
                b"filename" => {
                    self.validate_quotes(&val, quote);
                    self.filenames_seen.push(val.clone());
                    if !self.filename.is_empty() {
                        return -15;
                    }
                    *self.filename = val;
                }
                b"filename*" => {
                    if !filename_star.is_empty() {
                        return -20;
                    }
                    filename_star = val;
                }
                _ => return -11,
            }

            if at(p) != 0 {
                p = skip_ws(p);
                if at(p) != 0 {
                    if at(p) != b';' {
                        if matches!(p.checked_sub(1).map(at), Some(b'\'' | b'"')) {
                            *self.invalid_quoting = true;
                        }
                        return -12;
                    }
                    p += 1;
                }
            }
        }
        if !filename_star.is_empty() && self.filename.is_empty() {
            return -21;
        }
        1
    }

    /// A `'` inside a value not quoted with `"` sets `MULTIPART_INVALID_QUOTING`.
    fn validate_quotes(&mut self, value: &[u8], quote: u8) {
        if quote != b'"' && value.contains(&b'\'') {
            *self.invalid_quoting = true;
        }
    }
}

/// RFC 2045 token characters.
fn is_token_char(c: u8) -> bool {
    c > 32 && c < 127 && !b"()<>@,;:\\\"/[]?=".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (rc, name, filename, names and filenames seen, invalid quoting)
    type Outcome = (i32, String, String, usize, bool);

    fn run(value: &str) -> Outcome {
        let (mut name, mut filename, mut names, mut filenames, mut iq) = (vec![], vec![], vec![], vec![], false);
        let rc = Disposition {
            name: &mut name,
            filename: &mut filename,
            names_seen: &mut names,
            filenames_seen: &mut filenames,
            invalid_quoting: &mut iq,
        }
        .parse(value.as_bytes());
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (rc, text(name), text(filename), names.len() + filenames.len(), iq)
    }

    #[test]
    fn disposition_table() {
        type Expected = (i32, &'static str, &'static str, usize, bool);
        let cases: &[(&str, Expected)] = &[
            ("form-data; name=\"a\"", (1, "a", "", 1, false)),
            ("form-data; name=\"a\"; filename=\"f.txt\"", (1, "a", "f.txt", 2, false)),
            ("form-data;name=a;filename=b", (1, "a", "b", 2, false)),
            ("form-data", (1, "", "", 0, false)),
            ("form-data  ", (1, "", "", 0, false)),
            ("attachment; name=a", (-1, "", "", 0, false)),
            ("form-data x", (-2, "", "", 0, false)),
            ("form-data; name=a; ", (-3, "a", "", 1, false)),
            ("form-data; name", (-4, "", "", 0, false)),
            ("form-data; name ", (-5, "", "", 0, false)),
            ("form-data; name=", (-6, "", "", 0, false)),
            ("form-data; name=\"", (-7, "", "", 0, false)),
            ("form-data; name=\"a\\", (-8, "", "", 0, false)),
            ("form-data; size=3", (-11, "", "", 0, false)),
            ("form-data; name=\"a\"x", (-12, "a", "", 1, true)),
            ("form-data; name=a b", (-12, "a", "", 1, false)),
            ("form-data; name x", (-13, "", "", 0, false)),
            ("form-data; name=a; name=b", (-14, "a", "", 2, false)),
            ("form-data; name=a; filename=x; filename=y", (-15, "a", "x", 3, false)),
            ("form-data; name='a'", (1, "a", "", 1, true)),
            ("form-data; name=\"it's\"", (1, "it's", "", 1, false)),
            ("form-data; name=it's", (1, "it's", "", 1, true)),
            ("form-data; name=\"a\\\"b\"", (1, "a\"b", "", 1, false)),
            ("form-data; name=\"a\\xb\"", (1, "a\\xb", "", 1, false)),
            ("form-data; name=\"a\\\\b\"", (1, "a\\b", "", 1, false)),
            ("form-data; name=\"unterminated", (1, "unterminated", "", 1, false)),
            ("form-data; name=a; filename*=UTF-8''f%20x.txt; filename=f", (1, "a", "f", 2, false)),
            ("form-data; name=a; filename*=UTF-8''f.txt", (-21, "a", "", 1, false)),
            ("form-data; name=a; filename*=''f", (-16, "a", "", 1, false)),
            ("form-data; name=a; filename*=UTF-8'en", (-17, "a", "", 1, false)),
            ("form-data; name=a; filename*=UTF-8''%zz", (-18, "a", "", 1, false)),
            ("form-data; name=a; filename*=UTF-8''a b", (-19, "a", "", 1, false)),
            ("form-data; name=a; filename*=UTF-8''a; filename*=UTF-8''b", (-20, "a", "", 1, false)),
        ];
        for &(value, (rc, name, filename, seen, iq)) in cases {
            assert_eq!(run(value), (rc, name.to_string(), filename.to_string(), seen, iq), "{value:?}");
        }
    }
}
