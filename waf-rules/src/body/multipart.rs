//! `multipart/form-data` bodies, parsed as libmodsecurity's `RequestBodyProcessor::Multipart`.
//!
//! The parser is a faithful port of v3's line machine, quirks included, because the
//! `MULTIPART_*` flags and the CRS 920/922 tests depend on them:
//! - the body is read in lines of at most 4096 bytes; part header lines longer than that are a
//!   fatal error, data lines are split;
//! - errors in part headers (no colon, bad characters, missing `Content-Disposition`, ...) are
//!   not fatal: the message is recorded (it becomes `REQBODY_ERROR_MSG`; a later error replaces
//!   an earlier one) and parsing goes on, the part staying in header mode; a duplicate part
//!   header is dropped silently;
//! - a form field's value loses the line break at the end of each of its lines, so
//!   `a\r\nb` arrives as `ab` (v3 overwrites the held-back line break instead of prepending
//!   it); file sizes do count those line breaks;
//! - when the final boundary is missing (or no boundary was ever seen) nothing is exported:
//!   no `ARGS_POST`, no `FILES`;
//! - `MULTIPART_UNMATCHED_BOUNDARY` is `2` in an ordinary body (every matched boundary after
//!   the first sets it to 2) and `1` when a line merely resembles the boundary;
//! - `MULTIPART_STRICT_ERROR` is computed once, before a final boundary that lacks its line
//!   break is handled, so what that handling flags afterwards reaches only the variables v3
//!   updates explicitly.
//!
//! ```text
//! SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,deny,status:400"
//! SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" "id:200004,phase:2,deny"
//! SecRule MULTIPART_PART_HEADERS "@rx ^content-type\s*:\s*(.*)$" "id:922150,phase:2,pass,capture"
//! ```
//!
//! # Organization
//! - `boundary`: the boundary from the `Content-Type` header (v3's `init`).
//! - `disposition`: the part's `Content-Disposition` parameters.
//! - `parser`: the line machine (v3's `process`, `process_part_header`, `process_part_data`,
//!   `process_boundary`, `multipart_complete`).

mod boundary;
mod disposition;
mod parser;

#[cfg(test)]
mod tests;

use super::Arg;

/// v3's `MULTIPART_BUF_SIZE`: the longest line the parser holds at once.
pub const BUF_SIZE: usize = 4096;

/// Settings of the multipart processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartOptions {
    /// `SecUploadFileLimit`: how many files may be extracted; 0 for no limit. As in v3 it is only
    /// enforced when files are extracted (see [`extract_files`](Self::extract_files)), and it is
    /// checked on each data line of a file, so with a limit of 1 a file of two lines exceeds it.
    pub file_limit: usize,
    /// Whether uploaded files are extracted (`SecUploadKeepFiles On` or
    /// `SecTmpSaveUploadedFiles On`): file contents are then kept in
    /// [`FilePart::content`] (`FILES_TMP_CONTENT`) and counted against the limit.
    pub extract_files: bool,
    /// Accept a body that ends without the final boundary (partial processing of a truncated
    /// body, as a pending libmodsecurity change does) instead of failing with
    /// `Final boundary missing`. Released v3 behaves as `false`.
    pub allow_partial: bool,
}

impl Default for MultipartOptions {
    fn default() -> Self {
        Self { file_limit: 100, extract_files: false, allow_partial: false }
    }
}

/// A file part: `FILES`, `FILES_NAMES`, `FILES_SIZES`, `FILES_TMP_CONTENT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The form field name (`FILES_NAMES` value, key of the other `FILES*` collections).
    pub name: Vec<u8>,
    /// The file name the client sent (`FILES` value).
    pub filename: Vec<u8>,
    /// The size in bytes (`FILES_SIZES`).
    pub size: u64,
    /// The part's own `Content-Type` header, if any (v3 has no variable for it).
    pub content_type: Option<Vec<u8>>,
    /// The content when files are extracted (`FILES_TMP_CONTENT`). Like v3 it lacks the line
    /// breaks between lines (it counts them in the size, and writes them to the temporary file).
    pub content: Option<Vec<u8>>,
}

/// One line of `MULTIPART_PART_HEADERS`, keyed by the name of the part it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHeader {
    /// The part's `name` parameter (empty when the part had none).
    pub part: Vec<u8>,
    /// The header line as sent, without its line break (a folded header is rebuilt as
    /// `Name: value continued`).
    pub line: Vec<u8>,
}

/// The `MULTIPART_*` flags, as v3 sets the variables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MultipartFlags {
    /// `MULTIPART_STRICT_ERROR`: any of the flags below except `crlf_lf_lines` and
    /// `unmatched_boundary`, or a fatal error in the `Content-Type` or the body.
    pub strict_error: bool,
    /// `MULTIPART_BOUNDARY_QUOTED`.
    pub boundary_quoted: bool,
    /// `MULTIPART_BOUNDARY_WHITESPACE`.
    pub boundary_whitespace: bool,
    /// `MULTIPART_DATA_BEFORE`.
    pub data_before: bool,
    /// `MULTIPART_DATA_AFTER`.
    pub data_after: bool,
    /// `MULTIPART_HEADER_FOLDING`.
    pub header_folding: bool,
    /// `MULTIPART_LF_LINE`.
    pub lf_line: bool,
    /// `MULTIPART_CRLF_LF_LINES`: both CRLF and bare LF line ends were seen.
    pub crlf_lf_lines: bool,
    /// `MULTIPART_MISSING_SEMICOLON` (v2 name `MULTIPART_SEMICOLON_MISSING`).
    pub missing_semicolon: bool,
    /// `MULTIPART_INVALID_QUOTING`.
    pub invalid_quoting: bool,
    /// `MULTIPART_INVALID_PART`.
    pub invalid_part: bool,
    /// `MULTIPART_INVALID_HEADER_FOLDING`.
    pub invalid_header_folding: bool,
    /// The file limit was exceeded. v3 folds it into `MULTIPART_STRICT_ERROR` but never sets
    /// `MULTIPART_FILE_LIMIT_EXCEEDED` itself; the engine may expose it there.
    pub file_limit_exceeded: bool,
    /// `MULTIPART_UNMATCHED_BOUNDARY`: 0, 1 (a line resembled the boundary) or 2 (a boundary
    /// matched after the first one; the value of any ordinary body).
    pub unmatched_boundary: u8,
}

impl MultipartFlags {
    /// The flags as (variable name, value) pairs, the way the engine sets them.
    pub fn variables(&self) -> [(&'static str, u8); 13] {
        [
            ("MULTIPART_STRICT_ERROR", u8::from(self.strict_error)),
            ("MULTIPART_BOUNDARY_QUOTED", u8::from(self.boundary_quoted)),
            ("MULTIPART_BOUNDARY_WHITESPACE", u8::from(self.boundary_whitespace)),
            ("MULTIPART_DATA_BEFORE", u8::from(self.data_before)),
            ("MULTIPART_DATA_AFTER", u8::from(self.data_after)),
            ("MULTIPART_HEADER_FOLDING", u8::from(self.header_folding)),
            ("MULTIPART_LF_LINE", u8::from(self.lf_line)),
            ("MULTIPART_CRLF_LF_LINES", u8::from(self.crlf_lf_lines)),
            ("MULTIPART_MISSING_SEMICOLON", u8::from(self.missing_semicolon)),
            ("MULTIPART_INVALID_QUOTING", u8::from(self.invalid_quoting)),
            ("MULTIPART_INVALID_PART", u8::from(self.invalid_part)),
            ("MULTIPART_INVALID_HEADER_FOLDING", u8::from(self.invalid_header_folding)),
            ("MULTIPART_UNMATCHED_BOUNDARY", self.unmatched_boundary),
        ]
    }
}

/// Everything a multipart body yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multipart {
    /// Form fields (`ARGS_POST`, `ARGS`), in body order.
    pub args: Vec<Arg>,
    /// File parts, in body order.
    pub files: Vec<FilePart>,
    /// `MULTIPART_PART_HEADERS`, in body order.
    pub part_headers: Vec<PartHeader>,
    /// `MULTIPART_NAME`: every `name` parameter seen, valid part or not.
    pub names: Vec<Vec<u8>>,
    /// `MULTIPART_FILENAME`: every `filename` parameter seen.
    pub filenames: Vec<Vec<u8>>,
    /// The flags.
    pub flags: MultipartFlags,
    /// Bytes of part headers and form fields (files excluded), what v3 compares with
    /// `SecRequestBodyNoFilesLimit`.
    pub no_files_length: u64,
    /// The boundary in use, when the `Content-Type` yielded one.
    pub boundary: Option<Vec<u8>>,
    /// The last error message (v3's `Multipart: ...`), which sets `REQBODY_ERROR`.
    pub error: Option<String>,
}

impl Multipart {
    /// `FILES_COMBINED_SIZE`; `None` without files (v3 then leaves the variable unset).
    pub fn combined_size(&self) -> Option<u64> {
        if self.files.is_empty() {
            None
        } else {
            Some(self.files.iter().map(|f| f.size).sum())
        }
    }
}

/// Parses a multipart body. `content_type` is the `Content-Type` request header value.
pub fn parse(content_type: &[u8], body: &[u8], options: &MultipartOptions) -> Multipart {
    parser::Parser::run(content_type, body, options)
}

/// Only the boundary of a `Content-Type` value, with the flags its syntax sets and v3's error.
pub fn boundary(content_type: &[u8]) -> Boundary {
    Boundary::parse(content_type)
}

pub use boundary::Boundary;
