//! Entity references in XML text and attribute values: character references, the predefined
//! entities, and internal general entities declared in the DOCTYPE's internal subset.
//! External entities are never loaded: they expand to nothing. Expansion is bounded in depth
//! and in total size, so recursive or exponential declarations fail instead of exhausting
//! memory.

use super::Malformed;

/// Deepest nesting of entity references inside entity replacement texts.
const MAX_DEPTH: usize = 16;

/// How many bytes entity expansion may produce for a document of `input_len` bytes.
pub(super) fn expansion_budget(input_len: usize) -> usize {
    input_len.saturating_mul(10).max(1 << 20)
}

/// The entities a document declared, and what expansion may still produce.
#[derive(Debug)]
pub(super) struct Entities {
    /// Internal general entities: name and replacement text (first declaration wins).
    internal: Vec<(Vec<u8>, Vec<u8>)>,
    /// External general entities, never loaded.
    external: Vec<Vec<u8>>,
    /// Undeclared entities are tolerated when declarations may live outside the document
    /// (an external subset or parameter entity references), as libxml2 does.
    lenient: bool,
    budget: usize,
}

impl Entities {
    pub(super) fn new(budget: usize) -> Self {
        Self { internal: Vec::new(), external: Vec::new(), lenient: false, budget }
    }

    /// Reads the declarations of a DOCTYPE (the text after `<!DOCTYPE`).
    pub(super) fn declare_from_doctype(&mut self, doctype: &[u8]) -> Result<(), Malformed> {
        let open = find_unquoted(doctype, b'[');
        let head = &doctype[..open.unwrap_or(doctype.len())];
        if contains(head, b"SYSTEM") || contains(head, b"PUBLIC") {
            self.lenient = true;
        }
        let Some(open) = open else { return Ok(()) };
        let subset = &doctype[open + 1..];
        let mut i = 0;
        while i < subset.len() {
            let rest = &subset[i..];
            if rest.starts_with(b"<!--") {
                i += find(rest, b"-->").map_or(rest.len(), |end| end + 3);
            } else if rest.starts_with(b"<!ENTITY") {
                let len = declaration_len(rest);
                self.entity_declaration(&rest[b"<!ENTITY".len()..len]);
                i += len.max(1);
            } else if rest.starts_with(b"<") {
                i += declaration_len(rest).max(1);
            } else if rest.starts_with(b"%") {
                self.lenient = true;
                i += 1;
            } else if rest.starts_with(b"]") {
                break;
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    /// One `<!ENTITY ...>` body (between the keyword and the closing `>`).
    fn entity_declaration(&mut self, decl: &[u8]) {
        let decl = trim_start(decl);
        if decl.starts_with(b"%") {
            return; // A parameter entity: only used inside the DTD.
        }
        let name_len = decl.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(decl.len());
        let (name, rest) = decl.split_at(name_len);
        let rest = trim_start(rest);
        if self.declared(name) {
            return;
        }
        match rest.first() {
            Some(&quote @ (b'"' | b'\'')) => {
                let value = &rest[1..];
                let end = value.iter().position(|&b| b == quote).unwrap_or(value.len());
                self.internal.push((name.to_vec(), value[..end].to_vec()));
            }
            _ => self.external.push(name.to_vec()),
        }
    }

    fn declared(&self, name: &[u8]) -> bool {
        self.internal.iter().any(|(n, _)| n == name) || self.external.iter().any(|n| n == name)
    }

    /// Appends the expansion of `&name;` (the name without `&` and `;`).
    pub(super) fn expand_reference(
        &mut self,
        name: &[u8],
        out: &mut Vec<u8>,
        in_attribute: bool,
    ) -> Result<(), Malformed> {
        self.reference(name, out, in_attribute, 0)
    }

    fn reference(&mut self, name: &[u8], out: &mut Vec<u8>, in_attribute: bool, depth: usize) -> Result<(), Malformed> {
        if let Some(number) = name.strip_prefix(b"#") {
            let c = char_reference(number).ok_or(Malformed)?;
            let mut buf = [0; 4];
            return self.emit(c.encode_utf8(&mut buf).as_bytes(), out);
        }
        let predefined: &[u8] = match name {
            b"lt" => b"<",
            b"gt" => b">",
            b"amp" => b"&",
            b"apos" => b"'",
            b"quot" => b"\"",
            _ => b"",
        };
        if !predefined.is_empty() {
            return self.emit(predefined, out);
        }
        if let Some(replacement) = self.internal.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()) {
            if depth >= MAX_DEPTH {
                return Err(Malformed);
            }
            return self.text(&replacement, out, in_attribute, depth + 1);
        }
        if self.external.iter().any(|n| n == name) {
            // Never loaded; libxml2 refuses external entities in attribute values.
            return if in_attribute { Err(Malformed) } else { Ok(()) };
        }
        if self.lenient {
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    /// Expands a replacement text: references recursively, markup dropped (its text kept).
    fn text(&mut self, text: &[u8], out: &mut Vec<u8>, in_attribute: bool, depth: usize) -> Result<(), Malformed> {
        let mut i = 0;
        while let Some(&b) = text.get(i) {
            match b {
                b'&' => {
                    let end = text[i..].iter().position(|&c| c == b';').ok_or(Malformed)?;
                    self.reference(&text[i + 1..i + end], out, in_attribute, depth)?;
                    i += end + 1;
                }
                b'<' if in_attribute => return Err(Malformed),
                b'<' => i += text[i..].iter().position(|&c| c == b'>').ok_or(Malformed)? + 1,
                _ => {
                    let byte = if in_attribute && matches!(b, b'\t' | b'\n' | b'\r') { b' ' } else { b };
                    self.emit(&[byte], out)?;
                    i += 1;
                }
            }
        }
        Ok(())
    }

    /// An attribute value: line ends normalized, whitespace to spaces, references expanded.
    pub(super) fn attribute_value(&mut self, raw: &[u8]) -> Result<Vec<u8>, Malformed> {
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while let Some(&b) = raw.get(i) {
            match b {
                b'&' => {
                    let end = raw[i..].iter().position(|&c| c == b';').ok_or(Malformed)?;
                    self.reference(&raw[i + 1..i + end], &mut out, true, 0)?;
                    i += end + 1;
                }
                b'\r' => {
                    out.push(b' ');
                    i += if raw.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                }
                b'\t' | b'\n' => {
                    out.push(b' ');
                    i += 1;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        Ok(out)
    }

    fn emit(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), Malformed> {
        self.budget = self.budget.checked_sub(bytes.len()).ok_or(Malformed)?;
        out.extend_from_slice(bytes);
        Ok(())
    }
}

/// `#x41` / `#65` (without the `#`) to a character allowed in XML 1.0.
fn char_reference(number: &[u8]) -> Option<char> {
    let text = std::str::from_utf8(number).ok()?;
    let value = match text.strip_prefix('x') {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()?
        }
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok()?,
        _ => return None,
    };
    let c = char::from_u32(value)?;
    let allowed = matches!(value, 0x9 | 0xa | 0xd | 0x20..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff);
    allowed.then_some(c)
}

/// Length of a markup declaration up to and including its `>`, skipping quoted text.
fn declaration_len(text: &[u8]) -> usize {
    let mut quote = None;
    for (i, &b) in text.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return i + 1,
            None => {}
        }
    }
    text.len()
}

fn find_unquoted(text: &[u8], wanted: u8) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in text.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == wanted => return Some(i),
            None => {}
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn trim_start(text: &[u8]) -> &[u8] {
    let skip = text.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &text[skip..]
}
