//! A JSON lexer that accepts and rejects what yajl 2 (libmodsecurity's JSON library) does:
//! `\v` and `\f` count as whitespace, strings must be structurally valid UTF-8 (no overlong or
//! surrogate check), control characters must be escaped, numbers are passed on as their text,
//! comments are refused. Escapes are decoded as `yajl_string_decode` does, lone surrogates
//! included.

/// A token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// `{`
    MapOpen,
    /// `}`
    MapClose,
    /// `[`
    ArrayOpen,
    /// `]`
    ArrayClose,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `true` or `false`.
    Bool(bool),
    /// `null`
    Null,
    /// A string, decoded.
    String(Vec<u8>),
    /// A number, as written.
    Number(&'a [u8]),
    /// End of input before a token completed.
    Eof,
    /// A lexical error, with yajl's text for it.
    Error(&'static str),
}

/// The lexer over the whole input.
#[derive(Debug)]
pub(super) struct Lexer<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(text: &'a [u8]) -> Self {
        Self { text, pos: 0 }
    }

    /// Whether all input was consumed.
    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    /// The next token.
    pub(super) fn next_token(&mut self) -> Token<'a> {
        loop {
            let Some(c) = self.bump() else { return Token::Eof };
            return match c {
                b'{' => Token::MapOpen,
                b'}' => Token::MapClose,
                b'[' => Token::ArrayOpen,
                b']' => Token::ArrayClose,
                b',' => Token::Comma,
                b':' => Token::Colon,
                b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => continue,
                b't' => self.literal(b"rue", Token::Bool(true)),
                b'f' => self.literal(b"alse", Token::Bool(false)),
                b'n' => self.literal(b"ull", Token::Null),
                b'"' => self.string(),
                b'-' | b'0'..=b'9' => {
                    self.pos -= 1;
                    self.number()
                }
                b'/' => {
                    self.pos -= 1;
                    Token::Error("probable comment found in input text, comments are not enabled.")
                }
                _ => Token::Error("invalid char in json text."),
            };
        }
    }

    fn literal(&mut self, rest: &[u8], token: Token<'a>) -> Token<'a> {
        for &want in rest {
            match self.peek() {
                None => return Token::Eof,
                Some(b) if b == want => self.pos += 1,
                Some(_) => return Token::Error("invalid string in json text."),
            }
        }
        token
    }

    fn number(&mut self) -> Token<'a> {
        let start = self.pos;
        let digits = |lexer: &mut Self| {
            let mut n = 0;
            while lexer.peek().is_some_and(|b| b.is_ascii_digit()) {
                lexer.pos += 1;
                n += 1;
            }
            n
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            None => return Token::Eof,
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            Some(_) => return Token::Error("malformed number, a digit is required after the minus sign."),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return match self.peek() {
                    None => Token::Eof,
                    Some(_) => Token::Error("malformed number, a digit is required after the decimal point."),
                };
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return match self.peek() {
                    None => Token::Eof,
                    Some(_) => Token::Error("malformed number, a digit is required after the exponent."),
                };
            }
        }
        // yajl needs the byte after a number to know it ended.
        if self.at_end() {
            return Token::Eof;
        }
        Token::Number(&self.text[start..self.pos])
    }

    fn string(&mut self) -> Token<'a> {
        let start = self.pos;
        let mut escapes = false;
        loop {
            let Some(c) = self.bump() else { return Token::Eof };
            match c {
                b'"' => break,
                b'\\' => {
                    escapes = true;
                    let Some(e) = self.bump() else { return Token::Eof };
                    if e == b'u' {
                        for _ in 0..4 {
                            match self.peek() {
                                None => return Token::Eof,
                                Some(h) if h.is_ascii_hexdigit() => self.pos += 1,
                                Some(_) => {
                                    return Token::Error(
                                        "invalid (non-hex) character occurs after '\\u' inside string.",
                                    )
                                }
                            }
                        }
                    } else if !b"\"\\/bfnrt".contains(&e) {
                        self.pos -= 1;
                        return Token::Error("inside a string, '\\' occurs before a character which it may not.");
                    }
                }
                0x00..=0x1f => {
                    self.pos -= 1;
                    return Token::Error("invalid character inside string.");
                }
                0x80..=0xff => {
                    let continuation = match c {
                        0xc0..=0xdf => 1,
                        0xe0..=0xef => 2,
                        0xf0..=0xf7 => 3,
                        _ => return Token::Error("invalid bytes in UTF8 string."),
                    };
                    for _ in 0..continuation {
                        match self.bump() {
                            None => return Token::Eof,
                            Some(b) if b & 0xc0 == 0x80 => {}
                            Some(_) => return Token::Error("invalid bytes in UTF8 string."),
                        }
                    }
                }
                _ => {}
            }
        }
        let raw = &self.text[start..self.pos - 1];
        Token::String(if escapes { decode(raw) } else { raw.to_vec() })
    }
}

/// `yajl_string_decode`: escapes of a lexed (so well-formed) string.
fn decode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&e) = raw.get(i + 1) else { break };
        i += 2;
        let simple = match e {
            b'r' => Some(b'\r'),
            b'n' => Some(b'\n'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'"' => Some(b'"'),
            b'f' => Some(0x0c),
            b'b' => Some(0x08),
            b't' => Some(b'\t'),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            continue;
        }
        // `\uXXXX`, possibly a surrogate pair.
        let mut codepoint = hex4(raw.get(i..i + 4));
        i += 4;
        if codepoint & 0xfc00 == 0xd800 {
            if raw.get(i..i + 2) == Some(b"\\u") {
                let low = hex4(raw.get(i + 2..i + 6));
                codepoint = ((codepoint & 0x3f) << 10) | ((((codepoint >> 6) & 0xf) + 1) << 16) | (low & 0x3ff);
                i += 6;
            } else {
                // yajl writes `?` and skips the next byte.
                out.push(b'?');
                i += 1;
                continue;
            }
        }
        utf32_to_utf8(codepoint, &mut out);
    }
    out
}

fn hex4(digits: Option<&[u8]>) -> u32 {
    digits.unwrap_or_default().iter().fold(0, |acc, &d| {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => 0,
        };
        (acc << 4) | u32::from(v)
    })
}

/// yajl's `Utf32toUtf8`: no validity check, `?` past 0x1FFFFF.
fn utf32_to_utf8(cp: u32, out: &mut Vec<u8>) {
    // Each `as u8` keeps the low bits on purpose, as the C code's char casts do.
    if cp < 0x80 {
        out.push(cp as u8);
    } else if cp < 0x800 {
        out.extend_from_slice(&[(cp >> 6) as u8 | 0xc0, (cp & 0x3f) as u8 | 0x80]);
    } else if cp < 0x10000 {
        out.extend_from_slice(&[(cp >> 12) as u8 | 0xe0, ((cp >> 6) & 0x3f) as u8 | 0x80, (cp & 0x3f) as u8 | 0x80]);
    } else if cp < 0x20_0000 {
        out.extend_from_slice(&[
            (cp >> 18) as u8 | 0xf0,
            ((cp >> 12) & 0x3f) as u8 | 0x80,
            ((cp >> 6) & 0x3f) as u8 | 0x80,
            (cp & 0x3f) as u8 | 0x80,
        ]);
    } else {
        out.push(b'?');
    }
}
