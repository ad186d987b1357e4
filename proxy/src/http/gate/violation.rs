//! Why the gate refused a request: the [`Violation`] reasons and their per-reason counters.

use std::sync::atomic::{AtomicU64, Ordering};

/// One way an HTTP/1.1 request can be ambiguously framed or malformed.
///
/// Each reason is counted (see [`rejected`]) and has a stable metrics label ([`Violation::as_str`]).
/// A violation in a request head makes hyper answer `400` (or `431` for
/// [`Violation::HeadTooLarge`]) and close; one in a chunked body fails the body stream with an
/// [`std::io::Error`] of kind `InvalidData` whose inner error is this enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// A LF not preceded by CR in the head or in a chunk line; only CRLF ends a line.
    #[error("bare LF in request framing")]
    BareLf,
    /// A CR not followed by LF in the head or in a chunk line.
    #[error("bare CR in request framing")]
    BareCr,
    /// The head (request line and header fields) is larger than `max_head_bytes`.
    #[error("request head too large")]
    HeadTooLarge,
    /// The request line is not `method SP request-target SP HTTP-version` with single spaces.
    #[error("malformed request line")]
    InvalidRequestLine,
    /// The method is empty or contains a byte that is not a token character.
    #[error("invalid method")]
    InvalidMethod,
    /// The request target contains a control character, a space or a non-ASCII byte.
    #[error("invalid request target")]
    InvalidTarget,
    /// The HTTP version is not `HTTP/1.1` or `HTTP/1.0`.
    #[error("unsupported HTTP version")]
    UnsupportedVersion,
    /// A header line starts with SP or HTAB (obsolete line folding).
    #[error("obsolete line folding")]
    ObsFold,
    /// A header line has nothing before its colon.
    #[error("empty header name")]
    EmptyHeaderName,
    /// A header name contains a byte that is not a token character, or the line has no colon.
    #[error("invalid header name")]
    InvalidHeaderName,
    /// Whitespace between a header name and its colon.
    #[error("whitespace before header colon")]
    WhitespaceBeforeColon,
    /// A header value contains a control character other than HTAB (NUL, VT, DEL, ...).
    #[error("control character in header value")]
    InvalidHeaderValue,
    /// Both Content-Length and Transfer-Encoding are present.
    #[error("Content-Length with Transfer-Encoding")]
    ContentLengthWithTransferEncoding,
    /// More than one Content-Length field, or a list value such as `5, 5`.
    #[error("duplicate Content-Length")]
    DuplicateContentLength,
    /// A Content-Length that is not 1*DIGIT after trimming OWS.
    #[error("invalid Content-Length")]
    InvalidContentLength,
    /// A Content-Length that does not fit in 64 bits.
    #[error("Content-Length overflow")]
    ContentLengthOverflow,
    /// More than one Transfer-Encoding field.
    #[error("duplicate Transfer-Encoding")]
    DuplicateTransferEncoding,
    /// A Transfer-Encoding other than exactly `chunked`.
    #[error("unsupported Transfer-Encoding")]
    UnsupportedTransferEncoding,
    /// Transfer-Encoding in an HTTP/1.0 request.
    #[error("Transfer-Encoding in HTTP/1.0 request")]
    TransferEncodingHttp10,
    /// An HTTP/1.1 request without Host (RFC 9112 section 3.2).
    #[error("missing Host")]
    MissingHost,
    /// More than one Host field.
    #[error("duplicate Host")]
    DuplicateHost,
    /// A chunk size that is not 1*HEXDIG (whitespace, sign, `0x`, empty).
    #[error("invalid chunk size")]
    InvalidChunkSize,
    /// A chunk size of more than 16 hex digits.
    #[error("chunk size overflow")]
    ChunkSizeOverflow,
    /// A chunk extension that is not `;token[=token|quoted-string]`.
    #[error("invalid chunk extension")]
    InvalidChunkExtension,
    /// Chunk data not followed by CRLF.
    #[error("missing CRLF after chunk data")]
    MissingChunkCrlf,
    /// The trailer section is larger than `max_head_bytes`.
    #[error("trailers too large")]
    TrailersTooLarge,
}

// === impl Violation ===

impl Violation {
    /// Every reason, in declaration order (the order of [`rejected_by_reason`]).
    pub const ALL: [Violation; REASONS] = [
        Violation::BareLf,
        Violation::BareCr,
        Violation::HeadTooLarge,
        Violation::InvalidRequestLine,
        Violation::InvalidMethod,
        Violation::InvalidTarget,
        Violation::UnsupportedVersion,
        Violation::ObsFold,
        Violation::EmptyHeaderName,
        Violation::InvalidHeaderName,
        Violation::WhitespaceBeforeColon,
        Violation::InvalidHeaderValue,
        Violation::ContentLengthWithTransferEncoding,
        Violation::DuplicateContentLength,
        Violation::InvalidContentLength,
        Violation::ContentLengthOverflow,
        Violation::DuplicateTransferEncoding,
        Violation::UnsupportedTransferEncoding,
        Violation::TransferEncodingHttp10,
        Violation::MissingHost,
        Violation::DuplicateHost,
        Violation::InvalidChunkSize,
        Violation::ChunkSizeOverflow,
        Violation::InvalidChunkExtension,
        Violation::MissingChunkCrlf,
        Violation::TrailersTooLarge,
    ];

    /// The stable metrics label, snake_case.
    pub fn as_str(self) -> &'static str {
        match self {
            Violation::BareLf => "bare_lf",
            Violation::BareCr => "bare_cr",
            Violation::HeadTooLarge => "head_too_large",
            Violation::InvalidRequestLine => "invalid_request_line",
            Violation::InvalidMethod => "invalid_method",
            Violation::InvalidTarget => "invalid_target",
            Violation::UnsupportedVersion => "unsupported_version",
            Violation::ObsFold => "obs_fold",
            Violation::EmptyHeaderName => "empty_header_name",
            Violation::InvalidHeaderName => "invalid_header_name",
            Violation::WhitespaceBeforeColon => "whitespace_before_colon",
            Violation::InvalidHeaderValue => "invalid_header_value",
            Violation::ContentLengthWithTransferEncoding => "content_length_with_transfer_encoding",
            Violation::DuplicateContentLength => "duplicate_content_length",
            Violation::InvalidContentLength => "invalid_content_length",
            Violation::ContentLengthOverflow => "content_length_overflow",
            Violation::DuplicateTransferEncoding => "duplicate_transfer_encoding",
            Violation::UnsupportedTransferEncoding => "unsupported_transfer_encoding",
            Violation::TransferEncodingHttp10 => "transfer_encoding_http10",
            Violation::MissingHost => "missing_host",
            Violation::DuplicateHost => "duplicate_host",
            Violation::InvalidChunkSize => "invalid_chunk_size",
            Violation::ChunkSizeOverflow => "chunk_size_overflow",
            Violation::InvalidChunkExtension => "invalid_chunk_extension",
            Violation::MissingChunkCrlf => "missing_chunk_crlf",
            Violation::TrailersTooLarge => "trailers_too_large",
        }
    }

    /// The status hyper answers with when this violation is found in a request head.
    pub fn status(self) -> u16 {
        match self {
            Violation::HeadTooLarge => 431,
            _ => 400,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

const REASONS: usize = Violation::TrailersTooLarge as usize + 1;

static REJECTED: [AtomicU64; REASONS] = [const { AtomicU64::new(0) }; REASONS];

/// Counts one rejection for `reason`.
pub(crate) fn count(reason: Violation) {
    REJECTED[reason.index()].fetch_add(1, Ordering::Relaxed);
}

/// Requests rejected for `reason` since the process started.
pub fn rejected(reason: Violation) -> u64 {
    REJECTED[reason.index()].load(Ordering::Relaxed)
}

/// Requests rejected for any reason since the process started.
pub fn rejected_total() -> u64 {
    REJECTED.iter().map(|c| c.load(Ordering::Relaxed)).sum()
}

/// `(reason, count)` for every reason, including those never seen, for a metrics exporter.
pub fn rejected_by_reason() -> impl Iterator<Item = (Violation, u64)> {
    Violation::ALL.iter().map(|&v| (v, rejected(v)))
}
