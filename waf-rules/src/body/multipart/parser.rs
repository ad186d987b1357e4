//! The multipart line machine, a port of v3's `Multipart::process` and its helpers.
//!
//! Bytes accumulate in a buffer of at most [`BUF_SIZE`] bytes until a line feed, a full buffer,
//! or a `\r` that would be the buffer's last byte (it then waits for the next buffer so that
//! `\r\n` stays together). Each buffer is then a boundary, a part header line or part data.
//! Where v3 uses C string functions on the buffer, the same NUL-terminated view is used here.

use super::boundary::{until_nul, Boundary};
use super::disposition::Disposition;
use super::{FilePart, Multipart, MultipartFlags, MultipartOptions, PartHeader, BUF_SIZE};
use crate::body::{is_c_space, Arg};

/// The kind of a part, decided at the end of its headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Kind {
    /// A form field (also the kind of a part whose headers never ended).
    #[default]
    FormData,
    /// A file upload.
    File,
}

/// The part being built (v3's `MultipartPart`).
#[derive(Debug, Default)]
struct Part {
    kind: Kind,
    name: Vec<u8>,
    filename: Vec<u8>,
    /// Form field value, or file content when extracting.
    value: Vec<u8>,
    size: u64,
    /// Whether a temporary file was "created" for it (counts against the file limit).
    has_file: bool,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    last_header_name: Vec<u8>,
    last_header_line: Vec<u8>,
    header_lines: Vec<Vec<u8>>,
}

impl Part {
    /// Header lookup, case-insensitive as v3's map.
    fn header(&self, name: &[u8]) -> Option<&Vec<u8>> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    fn header_mut(&mut self, name: &[u8]) -> Option<&mut Vec<u8>> {
        self.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// Moves the last complete header line to the recorded ones.
    fn record_last_header_line(&mut self) {
        if !self.last_header_line.is_empty() {
            self.header_lines.push(std::mem::take(&mut self.last_header_line));
        }
    }
}

/// v3's flag fields.
#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    error: bool,
    data_before: bool,
    data_after: bool,
    header_folding: bool,
    boundary_quoted: bool,
    boundary_whitespace: bool,
    lf_line: bool,
    crlf_line: bool,
    unmatched_boundary: u8,
    missing_semicolon: bool,
    invalid_quoting: bool,
    invalid_part: bool,
    invalid_header_folding: bool,
    file_limit_exceeded: bool,
}

impl Flags {
    /// The variables as `multipart_complete` sets them.
    fn report(&self) -> MultipartFlags {
        MultipartFlags {
            strict_error: self.error
                || self.boundary_quoted
                || self.boundary_whitespace
                || self.data_before
                || self.data_after
                || self.header_folding
                || self.lf_line
                || self.missing_semicolon
                || self.invalid_quoting
                || self.invalid_part
                || self.invalid_header_folding
                || self.file_limit_exceeded,
            boundary_quoted: self.boundary_quoted,
            boundary_whitespace: self.boundary_whitespace,
            data_before: self.data_before,
            data_after: self.data_after,
            header_folding: self.header_folding,
            lf_line: self.lf_line,
            crlf_lf_lines: self.crlf_line && self.lf_line,
            missing_semicolon: self.missing_semicolon,
            invalid_quoting: self.invalid_quoting,
            invalid_part: self.invalid_part,
            invalid_header_folding: self.invalid_header_folding,
            file_limit_exceeded: self.file_limit_exceeded,
            unmatched_boundary: self.unmatched_boundary,
        }
    }
}

/// Line-ending state before the current position (v3's `m_crlf_state`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum LineEnd {
    #[default]
    None,
    Cr,
    Lf,
    CrLf,
}

/// The parser state (v3's `Multipart`).
#[derive(Debug)]
pub(super) struct Parser<'o> {
    options: &'o MultipartOptions,
    boundary: Vec<u8>,
    buf: Vec<u8>,
    buf_contains_line: bool,
    line_end: LineEnd,
    line_end_at_buf_end: LineEnd,
    part: Option<Part>,
    /// v3's `m_mpp_state == 1`: reading data rather than headers.
    in_data: bool,
    /// v3's `m_mpp_substate_part_data_read`.
    data_read: bool,
    /// Line break held back from the previous data line (dropped if a boundary follows).
    reserve: Vec<u8>,
    seen_data: bool,
    complete: bool,
    boundary_count: usize,
    files_extracted: usize,
    flags: Flags,
    parts: Vec<Part>,
    out: Multipart,
}

impl<'o> Parser<'o> {
    /// Parses a whole body: v3's `init`, `process` and `multipart_complete`.
    pub(super) fn run(content_type: &[u8], body: &[u8], options: &'o MultipartOptions) -> Multipart {
        let init = Boundary::parse(content_type);
        let mut parser = Parser {
            options,
            boundary: Vec::new(),
            buf: Vec::with_capacity(BUF_SIZE),
            buf_contains_line: true,
            line_end: LineEnd::None,
            line_end_at_buf_end: LineEnd::None,
            part: None,
            in_data: false,
            data_read: false,
            reserve: Vec::new(),
            seen_data: false,
            complete: false,
            boundary_count: 0,
            files_extracted: 0,
            flags: Flags {
                error: init.strict_error,
                boundary_quoted: init.quoted,
                boundary_whitespace: init.whitespace,
                missing_semicolon: init.missing_semicolon,
                ..Flags::default()
            },
            parts: Vec::new(),
            out: Multipart { error: init.error.map(str::to_owned), ..Multipart::default() },
        };
        if let Some(boundary) = init.value {
            parser.boundary = boundary;
            parser.out.boundary = Some(parser.boundary.clone());
            parser.process(body);
        }
        parser.finish()
    }

    fn fail(&mut self, message: String) {
        self.out.error = Some(message);
    }

    /// v3's `process`: feed the body one byte at a time, handling each full buffer.
    fn process(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.seen_data = true;
        let mut i = 0;
        while let Some(&c) = data.get(i) {
            let mut hold_cr = false;
            if c == b'\r' && self.buf.len() == BUF_SIZE - 1 {
                hold_cr = true;
            } else {
                i += 1;
                self.buf.push(c);
            }
            if c == b'\n' || self.buf.len() == BUF_SIZE || hold_cr {
                if !self.handle_buffer(hold_cr) {
                    return;
                }
                self.buf.clear();
                self.buf_contains_line = c == b'\n';
                if c == b'\n' {
                    self.line_end = if self.line_end == LineEnd::Cr { LineEnd::CrLf } else { LineEnd::Lf };
                }
                self.line_end_at_buf_end = self.line_end;
            }
            if c == b'\r' {
                self.line_end = LineEnd::Cr;
            } else if c != b'\n' {
                self.line_end = LineEnd::None;
            }
            if self.complete && i < data.len() {
                self.flags.data_after = true;
                return;
            }
        }
    }

    /// One buffer: boundary, header line or data. False on a fatal error.
    fn handle_buffer(&mut self, hold_cr: bool) -> bool {
        let blen = self.boundary.len();
        let line = until_nul(&self.buf);
        let mut was_boundary = false;
        if self.buf_contains_line && line.len() > 3 && line.starts_with(b"--") {
            if line.len() >= blen + 2 && line[2..2 + blen] == self.boundary[..] {
                if self.line_end_at_buf_end == LineEnd::Lf {
                    self.flags.lf_line = true;
                }
                if !self.data_read && self.boundary_count > 0 {
                    // The boundary where part data should begin.
                    self.flags.invalid_part = true;
                } else {
                    if self.boundary_count > 0 {
                        self.flags.unmatched_boundary = 2;
                    }
                    let mut end = 2 + blen;
                    let last = line.get(end..end + 2) == Some(b"--");
                    if last {
                        end += 2;
                        if self.complete {
                            self.flags.error = true;
                            self.fail("Multipart: Invalid boundary (final duplicate).".to_owned());
                            return false;
                        }
                    }
                    let rest = line.get(end..).unwrap_or_default();
                    if rest == b"\r\n" || rest == b"\n" {
                        if rest == b"\n" {
                            self.flags.lf_line = true;
                        } else {
                            self.flags.crlf_line = true;
                        }
                        self.process_boundary(last);
                        if last {
                            self.complete = true;
                        }
                        was_boundary = true;
                        self.boundary_count += 1;
                    } else {
                        self.flags.error = true;
                        let message = format!("Multipart: Invalid boundary: {}", String::from_utf8_lossy(line));
                        self.fail(message);
                        return false;
                    }
                }
            } else {
                if self.flags.boundary_quoted
                    && line.len() >= blen + 3
                    && line.get(2) == Some(&b'"')
                    && line[3..3 + blen] == self.boundary[..]
                {
                    self.flags.error = true;
                    self.fail("Multipart: Invalid boundary (quotes).".to_owned());
                    return false;
                }
                let spaces = line[2..].iter().take_while(|&&b| is_c_space(b)).count();
                if spaces > 0 && line[2 + spaces..].starts_with(&self.boundary) {
                    self.flags.error = true;
                    self.fail("Multipart: Invalid boundary (whitespace).".to_owned());
                    return false;
                }
                self.flags.unmatched_boundary = 1;
            }
        } else if self.buf_contains_line {
            let buf = &self.buf;
            let resembles = (0..buf.len())
                .any(|i| buf.get(i..i + 2) == Some(b"--") && buf.get(i + 2..i + 2 + blen) == Some(&self.boundary[..]));
            if resembles {
                self.flags.unmatched_boundary = 1;
            }
        }

        if !was_boundary {
            if self.part.is_none() {
                self.flags.data_before = true;
            } else if !self.in_data {
                if self.buf.len() == BUF_SIZE || hold_cr {
                    self.flags.error = true;
                    self.fail(format!("Multipart: Part header line over {BUF_SIZE} bytes long"));
                    return false;
                }
                self.process_part_header();
            } else {
                self.process_part_data();
            }
        }
        true
    }

    /// v3's `process_part_header`. Its failures are never fatal: they only set the message.
    fn process_part_header(&mut self) {
        let Some(mut part) = self.part.take() else { return };
        let buf = std::mem::take(&mut self.buf);
        self.part_header(&mut part, &buf);
        self.buf = buf;
        self.part = Some(part);
    }

    fn part_header(&mut self, part: &mut Part, buf: &[u8]) {
        if buf.contains(&0) {
            self.fail("Multipart: Nul byte in part headers.".to_owned());
            return;
        }
        let len = buf.len();
        self.out.no_files_length += len as u64;
        let mut content_len = len.saturating_sub(1);
        if len > 1 && buf.get(len - 2) == Some(&b'\r') {
            self.flags.crlf_line = true;
            content_len -= 1;
        } else {
            self.flags.lf_line = true;
        }

        if buf == b"\r\n" || buf == b"\n" {
            part.record_last_header_line();
            let Some(disposition) = part.header(b"Content-Disposition").cloned() else {
                self.fail("Multipart: Part missing Content-Disposition header.".to_owned());
                return;
            };
            let rc = Disposition {
                name: &mut part.name,
                filename: &mut part.filename,
                names_seen: &mut self.out.names,
                filenames_seen: &mut self.out.filenames,
                invalid_quoting: &mut self.flags.invalid_quoting,
            }
            .parse(&disposition);
            if rc < 0 {
                let message = format!(
                    "Multipart: Invalid Content-Disposition header ({rc}): {}",
                    String::from_utf8_lossy(until_nul(&disposition))
                );
                self.fail(message);
                return;
            }
            if part.name.is_empty() {
                self.fail("Multipart: Content-Disposition header missing name field.".to_owned());
                return;
            }
            if part.filename.is_empty() {
                part.kind = Kind::FormData;
            } else {
                // Some parsers find `filename=` crudely; make sure they would have too.
                if super::boundary::find(&disposition, b"filename=").is_none() {
                    self.fail("Multipart: Invalid Content-Disposition header (filename).".to_owned());
                    return;
                }
                part.kind = Kind::File;
            }
            self.in_data = true;
            self.data_read = false;
            part.last_header_name.clear();
        } else if buf.first().copied().is_some_and(is_c_space) {
            // Folding: a continuation of the previous header.
            self.flags.header_folding = true;
            if !matches!(buf.first(), Some(b'\t' | b' ')) {
                self.flags.invalid_header_folding = true;
            }
            if part.last_header_name.is_empty() {
                self.fail("Multipart: Invalid part header (folding error).".to_owned());
                return;
            }
            let indent = buf.iter().take_while(|&&b| is_c_space(b)).count();
            if buf[..indent].iter().any(|&b| b != b'\t' && b != b' ') {
                self.flags.invalid_header_folding = true;
            }
            let continuation = chomp(&buf[indent..]);
            let name = part.last_header_name.clone();
            let Some(value) = part.header_mut(&name) else { return };
            value.push(b' ');
            value.extend_from_slice(continuation);
            let folded = value.clone();
            if folded.len() > BUF_SIZE {
                self.fail("Multipart: Part header too long.".to_owned());
                return;
            }
            let mut line = name;
            line.extend_from_slice(b": ");
            line.extend_from_slice(&folded);
            part.last_header_line = line;
        } else {
            part.record_last_header_line();
            let Some(colon) = buf.iter().position(|&b| b == b':') else {
                let message =
                    format!("Multipart: Invalid part header (colon missing): {}", String::from_utf8_lossy(buf));
                self.fail(message);
                return;
            };
            let name = &buf[..colon];
            if name.is_empty() {
                self.fail("Multipart: Invalid part header (header name missing).".to_owned());
                return;
            }
            if name.iter().any(|&b| !(33..=126).contains(&b)) {
                self.fail("Multipart: Invalid part header (contains invalid character).".to_owned());
                return;
            }
            let after = &buf[colon + 1..];
            let skip = after.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
            let value = chomp(&after[skip..]).to_vec();
            if part.header(name).is_some() {
                // v3 drops a duplicate part header without a message.
                return;
            }
            part.last_header_name = name.to_vec();
            part.headers.push((name.to_vec(), value));
            part.last_header_line = buf.get(..content_len).unwrap_or_default().to_vec();
        }
    }

    /// v3's `process_part_data`: holds back the line break, adds the rest to the part.
    fn process_part_data(&mut self) {
        self.data_read = true;
        let held = if self.buf.ends_with(b"\r\n") {
            2
        } else if self.buf.ends_with(b"\n") {
            1
        } else {
            0
        };
        let data_len = self.buf.len() - held;
        let Some(part) = self.part.as_mut() else { return };
        match part.kind {
            Kind::File => {
                let mut extract = self.options.extract_files;
                if extract && self.options.file_limit != 0 && self.files_extracted >= self.options.file_limit {
                    if !self.flags.file_limit_exceeded {
                        self.flags.file_limit_exceeded = true;
                        self.out.error = Some(format!(
                            "Multipart: Upload file limit exceeded {}. Use SecUploadFileLimit to change the limit.",
                            self.options.file_limit
                        ));
                    }
                    extract = false;
                }
                if extract {
                    if !part.has_file {
                        part.has_file = true;
                        self.files_extracted += 1;
                    }
                    // The held-back line break goes to the file but not to the content.
                    part.size += self.reserve.len() as u64;
                    part.value.extend_from_slice(&self.buf[..data_len]);
                    part.size += data_len as u64;
                } else {
                    part.size += (data_len + self.reserve.len()) as u64;
                }
            }
            Kind::FormData => {
                // Counted, but v3 assigns the held-back line break and then overwrites it: the
                // value loses it.
                self.out.no_files_length += (data_len + self.reserve.len()) as u64;
                part.value.extend_from_slice(&self.buf[..data_len]);
            }
        }
        self.reserve.clear();
        self.reserve.extend_from_slice(&self.buf[data_len..]);
    }

    /// v3's `process_boundary`: close the current part, start the next one unless `last`.
    fn process_boundary(&mut self, last: bool) {
        if let Some(part) = self.part.take() {
            for line in &part.header_lines {
                self.out.part_headers.push(PartHeader { part: part.name.clone(), line: line.clone() });
            }
            if part.name.is_empty() {
                self.flags.invalid_part = true;
            } else {
                self.parts.push(part);
            }
        }
        if !last {
            self.part = Some(Part::default());
            self.in_data = false;
            self.data_read = false;
            self.reserve.clear();
        }
    }

    /// v3's `multipart_complete`: the flags, the final checks, then the export.
    fn finish(mut self) -> Multipart {
        let mut reported = self.flags.report();
        if self.seen_data && !self.complete {
            if self.boundary_count > 0 {
                let mut final_line = b"--".to_vec();
                final_line.extend_from_slice(&self.boundary);
                final_line.extend_from_slice(b"--");
                if self.buf_contains_line && self.buf == final_line {
                    // A final boundary without line break at the very end of the body.
                    if self.line_end_at_buf_end == LineEnd::Lf && !self.flags.lf_line {
                        self.flags.lf_line = true;
                        reported.lf_line = true;
                        reported.crlf_lf_lines = self.flags.crlf_line;
                        reported.strict_error = true;
                    }
                    if !self.data_read && !self.flags.invalid_part {
                        self.flags.invalid_part = true;
                        reported.invalid_part = true;
                        reported.strict_error = true;
                    }
                    self.process_boundary(true);
                    self.complete = true;
                }
                if !self.complete && !self.options.allow_partial {
                    self.out.error = Some("Multipart: Final boundary missing.".to_owned());
                    self.out.flags = reported;
                    return self.out;
                }
            } else {
                self.out.error = Some("Multipart: No boundaries found in payload.".to_owned());
                self.out.flags = reported;
                return self.out;
            }
        }
        self.out.flags = reported;
        for part in std::mem::take(&mut self.parts) {
            match part.kind {
                Kind::File => {
                    let content_type = part.header(b"Content-Type").cloned();
                    let content = self.options.extract_files.then_some(part.value);
                    self.out.files.push(FilePart {
                        name: part.name,
                        filename: part.filename,
                        size: part.size,
                        content_type,
                        content,
                    });
                }
                Kind::FormData => self.out.args.push(Arg { name: part.name, value: part.value }),
            }
        }
        self.out
    }
}

/// v3's `chomp`: strip trailing `\r`/`\n`, unless the text is nothing else.
fn chomp(text: &[u8]) -> &[u8] {
    match text.iter().rposition(|&b| b != b'\r' && b != b'\n') {
        Some(last) => &text[..=last],
        None => text,
    }
}
