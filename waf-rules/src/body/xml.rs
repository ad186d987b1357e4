//! XML request bodies, reduced to what the CRS reads from them: `XML:/*` (the text content of
//! the root element, one value, as libxml2's `xmlNodeGetContent` returns it for the XPath `/*`)
//! and `XML://@*` (every attribute value, in document order).
//!
//! v3 builds a libxml2 tree and reports `XML: Failed parsing document.` when the document is
//! not well-formed; the tree built up to the error stays available to `XML:` variables, so the
//! text read before an error is kept here too. Well-formedness is checked with quick-xml plus
//! what it leaves out: one root element, nothing but markup and whitespace outside it, valid
//! names, no `<` in attribute values, no `]]>` in text, declared entities, legal characters
//! and UTF-8 (or a declared ISO-8859-1 / UTF-16 with BOM).
//!
//! Entities: the five predefined ones and character references are decoded; internal general
//! entities declared in the DOCTYPE are expanded (bounded in depth and size, as libxml2 guards
//! against "billion laughs"); external entities are never loaded and expand to nothing, as v3
//! does with `SecXmlExternalEntity Off`. `xmlns` declarations are not attributes.
//!
//! ```text
//! SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" \
//!     "id:200000,phase:1,pass,nolog,ctl:requestBodyProcessor=XML"
//! SecRule XML:/*|XML://@* "@rx <script" "id:2,phase:2,deny"
//! ```

mod entities;

#[cfg(test)]
mod tests;

use super::Arg;
use entities::Entities;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// v3's message for any XML failure.
pub const PARSE_ERROR: &str = "XML: Failed parsing document.";

/// What an XML body yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmlDocument {
    /// `XML:/*`: the concatenated text of the root element; `None` when no root element began.
    pub root_text: Option<Vec<u8>>,
    /// `XML://@*`: attributes (qualified name, value) in document order.
    pub attributes: Vec<Arg>,
    /// v3's error message when the document is not well-formed.
    pub error: Option<String>,
}

impl XmlDocument {
    /// The values of an `XML:` variable for the XPath expressions the CRS uses: `/*` and
    /// `//@*`. Other expressions yield `None` (not supported).
    pub fn select(&self, xpath: &str) -> Option<Vec<&[u8]>> {
        match xpath.trim() {
            "/*" => Some(self.root_text.iter().map(Vec::as_slice).collect()),
            "//@*" => Some(self.attributes.iter().map(|a| a.value.as_slice()).collect()),
            _ => None,
        }
    }
}

/// Parses an XML body.
pub fn parse(body: &[u8]) -> XmlDocument {
    let mut doc = XmlDocument::default();
    let (text, mut failed) = match decode(body) {
        Ok(text) => (text, false),
        Err(prefix) => (prefix, true),
    };
    if Walker::new(&text, &mut doc).run().is_err() {
        failed = true;
    }
    if failed {
        doc.error = Some(PARSE_ERROR.to_owned());
    }
    doc
}

/// The body as UTF-8. On bad encoding or an illegal character, the part before it (to parse
/// up to the error, as libxml2 does) is returned as the error.
fn decode(body: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    let utf8 = if let Some(rest) = body.strip_prefix(b"\xef\xbb\xbf") {
        rest.to_vec()
    } else if let Some(rest) = body.strip_prefix(b"\xff\xfe") {
        utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = body.strip_prefix(b"\xfe\xff") {
        utf16(rest, u16::from_be_bytes)?
    } else if declares_latin1(body) {
        body.iter().map(|&b| char::from(b)).collect::<String>().into_bytes()
    } else {
        body.to_vec()
    };
    let valid = match std::str::from_utf8(&utf8) {
        Ok(_) => utf8.len(),
        Err(e) => e.valid_up_to(),
    };
    // XML 1.0 forbids the C0 controls other than tab, line feed and carriage return.
    let legal = utf8[..valid].iter().position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')).unwrap_or(valid);
    if legal == utf8.len() {
        Ok(utf8)
    } else {
        let mut prefix = utf8;
        prefix.truncate(legal);
        Err(prefix)
    }
}

fn utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> Result<Vec<u8>, Vec<u8>> {
    let units = bytes.chunks(2).map(|c| word([c[0], c.get(1).copied().unwrap_or(0)]));
    let mut out = String::new();
    for unit in char::decode_utf16(units) {
        match unit {
            Ok(c) => out.push(c),
            Err(_) => return Err(out.into_bytes()),
        }
    }
    if bytes.len() % 2 == 1 {
        return Err(out.into_bytes());
    }
    Ok(out.into_bytes())
}

/// Whether the XML declaration names ISO-8859-1 (which libxml2 converts natively).
fn declares_latin1(body: &[u8]) -> bool {
    let Some(decl) = body.strip_prefix(b"<?xml") else { return false };
    let end = decl.windows(2).position(|w| w == b"?>").unwrap_or(decl.len());
    let decl = decl[..end].to_ascii_lowercase();
    [&b"iso-8859-1"[..], b"iso_8859-1", b"latin1", b"iso-latin-1"]
        .iter()
        .any(|name| decl.windows(name.len() + 1).any(|w| &w[1..] == *name && (w[0] == b'"' || w[0] == b'\'')))
}

/// Marks the document as not well-formed.
#[derive(Debug)]
struct Malformed;

/// Walks the quick-xml events, checking what quick-xml does not and collecting text.
#[derive(Debug)]
struct Walker<'a, 'd> {
    reader: Reader<&'a [u8]>,
    doc: &'d mut XmlDocument,
    entities: Entities,
    depth: usize,
    root_done: bool,
    seen_event: bool,
    seen_doctype: bool,
}

impl<'a, 'd> Walker<'a, 'd> {
    fn new(text: &'a [u8], doc: &'d mut XmlDocument) -> Self {
        let mut reader = Reader::from_reader(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
        let budget = entities::expansion_budget(text.len());
        Self {
            reader,
            doc,
            entities: Entities::new(budget),
            depth: 0,
            root_done: false,
            seen_event: false,
            seen_doctype: false,
        }
    }

    fn run(&mut self) -> Result<(), Malformed> {
        loop {
            let event = self.reader.read_event().map_err(|_| Malformed)?;
            let first = !self.seen_event;
            self.seen_event = true;
            match event {
                Event::Eof => {
                    return if self.depth == 0 && self.root_done { Ok(()) } else { Err(Malformed) };
                }
                Event::Decl(_) => {
                    if !first {
                        return Err(Malformed);
                    }
                }
                Event::DocType(content) => {
                    if self.seen_doctype || self.depth > 0 || self.root_done {
                        return Err(Malformed);
                    }
                    self.seen_doctype = true;
                    self.entities.declare_from_doctype(&content)?;
                }
                Event::Start(start) => {
                    self.element(&start)?;
                    self.depth += 1;
                }
                Event::Empty(start) => {
                    self.element(&start)?;
                    if self.depth == 0 {
                        self.root_done = true;
                    }
                }
                Event::End(_) => {
                    self.depth = self.depth.checked_sub(1).ok_or(Malformed)?;
                    if self.depth == 0 {
                        self.root_done = true;
                    }
                }
                Event::Text(text) => {
                    if self.depth == 0 {
                        if !text.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
                            return Err(Malformed);
                        }
                    } else {
                        if text.windows(3).any(|w| w == b"]]>") {
                            return Err(Malformed);
                        }
                        let normalized = normalize_line_ends(&text);
                        self.push_text(&normalized);
                    }
                }
                Event::CData(data) => {
                    if self.depth == 0 {
                        return Err(Malformed);
                    }
                    let normalized = normalize_line_ends(&data);
                    self.push_text(&normalized);
                }
                Event::GeneralRef(reference) => {
                    if self.depth == 0 {
                        return Err(Malformed);
                    }
                    let mut out = Vec::new();
                    self.entities.expand_reference(&reference, &mut out, false)?;
                    self.push_text(&out);
                }
                Event::Comment(_) => {}
                Event::PI(pi) => {
                    if pi.target().eq_ignore_ascii_case(b"xml") || !valid_name(pi.target()) {
                        return Err(Malformed);
                    }
                }
            }
        }
    }

    fn push_text(&mut self, text: &[u8]) {
        if let Some(root) = self.doc.root_text.as_mut() {
            root.extend_from_slice(text);
        }
    }

    /// A start or empty tag: name, attributes, and the root element rule. Nothing is recorded
    /// for a malformed tag: libxml2 creates the element only once its tag parsed.
    fn element(&mut self, start: &BytesStart<'_>) -> Result<(), Malformed> {
        if self.depth == 0 && self.root_done {
            return Err(Malformed);
        }
        if !valid_name(start.name().as_ref()) {
            return Err(Malformed);
        }
        let mut found = Vec::new();
        let mut attributes = start.attributes();
        attributes.with_checks(true);
        for attribute in attributes {
            let attribute = attribute.map_err(|_| Malformed)?;
            let key = attribute.key.as_ref();
            if !valid_name(key) || attribute.value.contains(&b'<') {
                return Err(Malformed);
            }
            let value = self.entities.attribute_value(&attribute.value)?;
            if key != b"xmlns" && !key.starts_with(b"xmlns:") {
                found.push(Arg { name: key.to_vec(), value });
            }
        }
        if self.depth == 0 {
            self.doc.root_text = Some(Vec::new());
        }
        self.doc.attributes.extend(found);
        Ok(())
    }
}

/// XML end-of-line handling: `\r\n` and lone `\r` become `\n`.
fn normalize_line_ends(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        if b == b'\r' {
            out.push(b'\n');
            if text.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// An XML name, approximately: a letter, `_`, `:` or non-ASCII first, then also digits, `-`, `.`.
fn valid_name(name: &[u8]) -> bool {
    let Some((&first, rest)) = name.split_first() else { return false };
    let start = |b: u8| b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80;
    start(first) && rest.iter().all(|&b| start(b) || b.is_ascii_digit() || b == b'-' || b == b'.')
}
