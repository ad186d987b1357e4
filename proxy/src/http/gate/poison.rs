//! Poison heads: bytes handed to hyper instead of a rejected head so that hyper's own parser fails
//! and hyper writes the error response (`400` or `431`) and closes the connection.
//!
//! hyper 1.x answers a head it cannot parse from `Role::on_error`: an invalid token gives
//! `400 Bad Request`; too many header fields (`httparse::Error::TooManyHeaders`) or a head larger
//! than its read buffer (`max_buf_size`) gives `431 Request Header Fields Too Large`. After writing
//! the response it closes the connection.

use tokio::io::ReadBuf;

/// A method byte that is not a token character: `httparse::Error::Token`, hyper answers 400.
const BAD_REQUEST: &[u8] = b"\x7f / HTTP/1.1\r\n\r\n";

/// A request line followed by header fields that never end: whichever of hyper's `max_headers`
/// (default 100) or `max_buf_size` (default ~400 KiB) is reached first, hyper answers 431.
const TOO_LARGE_START: &[u8] = b"GET / HTTP/1.1\r\n";
const TOO_LARGE_FIELD: &[u8] = b"x: x\r\n";
/// Upper bound of the endless head: above hyper's default read buffer limit of 8 KiB + 400 KiB.
/// A hyper configured with both more header slots and a larger buffer sees EOF instead and closes
/// without a response.
const TOO_LARGE_LIMIT: usize = 1024 * 1024;

/// The poison bytes still to hand out.
#[derive(Debug)]
pub(super) struct Poison {
    too_large: bool,
    pos: usize,
}

// === impl Poison ===

impl Poison {
    /// Poison for a rejected head answered with `status` (431, otherwise 400).
    pub(super) fn for_status(status: u16) -> Self {
        Poison { too_large: status == 431, pos: 0 }
    }

    /// Copies the next poison bytes into `buf`; returns false once all have been handed out.
    pub(super) fn fill(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        let start = buf.filled().len();
        if self.too_large {
            while buf.remaining() > 0 && self.pos < TOO_LARGE_LIMIT {
                let (source, at) = match self.pos.checked_sub(TOO_LARGE_START.len()) {
                    None => (TOO_LARGE_START, self.pos),
                    Some(field_pos) => (TOO_LARGE_FIELD, field_pos % TOO_LARGE_FIELD.len()),
                };
                let n = (source.len() - at).min(buf.remaining());
                buf.put_slice(&source[at..at + n]);
                self.pos += n;
            }
        } else if let Some(rest) = BAD_REQUEST.get(self.pos..) {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            self.pos += n;
        }
        buf.filled().len() > start
    }
}
