//! Strict chunked transfer coding (RFC 9112 section 7.1), checked in place as the bytes stream by.

use super::head::{is_tchar, parse_field};
use super::Violation;

/// Follows one chunked body byte by byte without copying chunk data.
///
/// Chunk sizes must be 1*HEXDIG (at most 16 digits), extensions `;token[=token|quoted-string]`
/// with no whitespace, chunk data must be followed by CRLF, and trailer fields obey the same rules
/// as header fields.
#[derive(Debug)]
pub(super) struct ChunkedDecoder {
    state: State,
    size: u64,
    digits: u8,
    /// The trailer line being read; trailers are the only part of a body that is buffered.
    line: Vec<u8>,
    trailer_bytes: usize,
    max_trailer_bytes: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Size,
    /// In an extension name; counts its bytes so far.
    ExtName(usize),
    ExtValueStart,
    ExtToken,
    Quoted,
    QuotedEscape,
    ExtAfterQuoted,
    /// CR seen at the end of the chunk-size line.
    SizeLf,
    Data(u64),
    DataCr,
    DataLf,
    TrailerLine,
    TrailerLf,
    Done,
}

// === impl ChunkedDecoder ===

impl ChunkedDecoder {
    pub(super) fn new(max_trailer_bytes: usize) -> Self {
        ChunkedDecoder { state: State::Size, size: 0, digits: 0, line: Vec::new(), trailer_bytes: 0, max_trailer_bytes }
    }

    /// The last chunk and the trailer section have been read.
    pub(super) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Checks the next bytes of the body and returns how many belong to it: all of them, unless
    /// the body ends inside `bytes` (then [`ChunkedDecoder::is_done`] is true).
    pub(super) fn feed(&mut self, bytes: &[u8]) -> Result<usize, Violation> {
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                State::Done => return Ok(i),
                State::Data(remaining) => {
                    let take = remaining.min((bytes.len() - i) as u64);
                    i += take as usize;
                    self.state = if take == remaining { State::DataCr } else { State::Data(remaining - take) };
                }
                _ => {
                    self.step(bytes[i])?;
                    i += 1;
                }
            }
        }
        Ok(i)
    }

    fn step(&mut self, b: u8) -> Result<(), Violation> {
        self.state = match (self.state, b) {
            (State::Done | State::Data(_), _) => unreachable!("handled by feed"),
            (State::Size, _) if b.is_ascii_hexdigit() => {
                if self.digits == 16 {
                    return Err(Violation::ChunkSizeOverflow);
                }
                self.digits += 1;
                self.size = self.size << 4 | u64::from(hex_value(b));
                State::Size
            }
            (State::Size, b';') if self.digits > 0 => State::ExtName(0),
            (State::Size, b'\r') if self.digits > 0 => State::SizeLf,
            (State::Size, _) => return Err(bare_lf_or(b, Violation::InvalidChunkSize)),

            (State::ExtName(len), _) if is_tchar(b) => State::ExtName(len + 1),
            (State::ExtName(len), b'=') if len > 0 => State::ExtValueStart,
            (State::ExtName(len), b';') if len > 0 => State::ExtName(0),
            (State::ExtName(len), b'\r') if len > 0 => State::SizeLf,
            (State::ExtValueStart, b'"') => State::Quoted,
            (State::ExtValueStart | State::ExtToken, _) if is_tchar(b) => State::ExtToken,
            (State::ExtToken | State::ExtAfterQuoted, b';') => State::ExtName(0),
            (State::ExtToken | State::ExtAfterQuoted, b'\r') => State::SizeLf,
            (State::Quoted, b'"') => State::ExtAfterQuoted,
            (State::Quoted, b'\\') => State::QuotedEscape,
            (State::Quoted, b'\t' | b' ' | 0x21..=0x7e | 0x80..) => State::Quoted,
            (State::QuotedEscape, b'\t' | b' ' | 0x21..=0x7e | 0x80..) => State::Quoted,
            (
                State::ExtName(_)
                | State::ExtValueStart
                | State::ExtToken
                | State::Quoted
                | State::QuotedEscape
                | State::ExtAfterQuoted,
                _,
            ) => return Err(bare_lf_or(b, Violation::InvalidChunkExtension)),

            (State::SizeLf, b'\n') if self.size == 0 => State::TrailerLine,
            (State::SizeLf, b'\n') => State::Data(self.size),
            (State::SizeLf, _) => return Err(Violation::BareCr),

            (State::DataCr, b'\r') => State::DataLf,
            (State::DataLf, b'\n') => {
                self.size = 0;
                self.digits = 0;
                State::Size
            }
            (State::DataCr | State::DataLf, _) => return Err(Violation::MissingChunkCrlf),

            (State::TrailerLine, b'\r') => State::TrailerLf,
            (State::TrailerLine, b'\n') => return Err(Violation::BareLf),
            (State::TrailerLine, _) => {
                self.trailer_bytes += 1;
                if self.trailer_bytes > self.max_trailer_bytes {
                    return Err(Violation::TrailersTooLarge);
                }
                self.line.push(b);
                State::TrailerLine
            }
            (State::TrailerLf, b'\n') if self.line.is_empty() => State::Done,
            (State::TrailerLf, b'\n') => {
                parse_field(&self.line)?;
                self.line.clear();
                State::TrailerLine
            }
            (State::TrailerLf, _) => return Err(Violation::BareCr),
        };
        Ok(())
    }
}

/// A LF where a chunk line may not end is reported as a bare LF; anything else as `otherwise`.
fn bare_lf_or(b: u8, otherwise: Violation) -> Violation {
    if b == b'\n' {
        Violation::BareLf
    } else {
        otherwise
    }
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}
