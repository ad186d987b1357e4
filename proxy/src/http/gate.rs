//! The HTTP/1.1 request-smuggling gate: an IO wrapper in front of hyper's HTTP/1 server that lets
//! through only requests whose framing has exactly one reading.
//!
//! hyper's parser (httparse) tolerates some ambiguous framing: bare LF line ends, Content-Length
//! together with Transfer-Encoding, identical duplicate Content-Length, `chunked, chunked`,
//! whitespace after chunk sizes. An origin or another hop may read such bytes differently, which
//! is how requests are smuggled. [`Gate`] sits between the downstream socket (TCP or TLS) and
//! `hyper::server::conn::http1` and follows the request framing on the read side:
//!
//! - **Head**: buffer the head until CRLF CRLF, validate it ([`Violation`] lists the rules), then
//!   release it to hyper. A rejected head is never released: hyper is handed a poison head its
//!   own parser refuses, so hyper answers `400` (or `431` for an oversized head) and closes.
//! - **Body**: count Content-Length bytes, or check chunked framing byte by byte, reading straight
//!   into hyper's buffer. A violation in a chunked body fails the read with an
//!   [`io::Error`] of kind `InvalidData` wrapping the [`Violation`]; the body stream hyper hands
//!   the service fails with it, and the end of the message never reaches hyper.
//! - After a request with `Upgrade` or a `CONNECT`, reads wait until hyper writes that request's
//!   final response (responses are tracked on the write side): `101` (or `2xx` to CONNECT) turns
//!   the gate into a passthrough, anything else returns to **Head**.
//!
//! Every rejection is logged at debug level and counted per reason ([`rejected_by_reason`]).
//!
//! # Organization
//! - [`head`]: end-of-head search and request head validation.
//! - [`chunked`]: strict in-place chunked decoding, for request bodies and tracked responses.
//! - [`response`]: write-side response framing, to see upgrades and tunnels.
//! - [`poison`]: the heads that make hyper answer 400 or 431.
//! - [`violation`]: the rejection reasons and their counters.

mod chunked;
mod head;
mod poison;
mod response;
mod violation;

#[cfg(test)]
mod tests;

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use self::chunked::ChunkedDecoder;
pub(crate) use self::head::{validate as validate_head, Framing, HeadScan, RequestHead};
use self::poison::Poison;
use self::response::{Exchange, Outcome, ResponseTracker};
pub(crate) use self::violation::count as count_violation;
pub use self::violation::{rejected, rejected_by_reason, rejected_total, Violation};

/// Default limit of a request head (and of a trailer section).
pub const DEFAULT_MAX_HEAD_BYTES: usize = 64 * 1024;

/// How much is read from the socket at a time while a head is buffered.
const HEAD_READ_CHUNK: usize = 8 * 1024;

/// Limits of a [`Gate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateConfig {
    /// Largest request head, request line to the empty line, also the limit of a trailer
    /// section; a larger head is answered with 431.
    pub max_head_bytes: usize,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig { max_head_bytes: DEFAULT_MAX_HEAD_BYTES }
    }
}

/// An [`AsyncRead`] + [`AsyncWrite`] wrapper that hands hyper only unambiguously framed HTTP/1
/// requests. See the [module documentation](self).
pub struct Gate<IO> {
    io: IO,
    config: GateConfig,
    /// Bytes read from `io` and not yet handed to hyper; the first `ready` of them are validated.
    buf: BytesMut,
    ready: usize,
    read: ReadState,
    scan: HeadScan,
    /// The request being read is an upgrade or CONNECT: after its body, wait for its response.
    awaits_response: bool,
    /// A decline that arrived before the read side started waiting for it.
    declined: bool,
    responses: ResponseTracker,
    read_waker: Option<Waker>,
}

#[derive(Debug)]
enum ReadState {
    Head,
    Length(u64),
    Chunked(ChunkedDecoder),
    /// Waiting for the response to an upgrade or CONNECT request.
    Awaiting,
    Passthrough,
    Poisoned(Poison),
    Closed,
}

// === impl Gate ===

impl<IO: AsyncRead + AsyncWrite + Unpin> Gate<IO> {
    /// Wraps `io`; `prefix` holds bytes already read from it (e.g. while sniffing for the HTTP/2
    /// preface), which are processed first.
    pub fn new(io: IO, prefix: Bytes, config: GateConfig) -> Self {
        Gate {
            io,
            config,
            buf: BytesMut::from(&prefix[..]),
            ready: 0,
            read: ReadState::Head,
            scan: HeadScan::default(),
            awaits_response: false,
            declined: false,
            responses: ResponseTracker::new(),
            read_waker: None,
        }
    }

    /// The wrapped IO.
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// The read side no longer validates: after a protocol switch or tunnel.
    pub fn is_passthrough(&self) -> bool {
        matches!(self.read, ReadState::Passthrough)
    }

    /// Refuses a request head: none of it reaches hyper, which gets the poison head instead.
    fn reject(&mut self, violation: Violation) {
        violation::count(violation);
        tracing::debug!(reason = violation.as_str(), "gate: rejected request head: {violation}");
        self.buf.clear();
        self.ready = 0;
        self.read = ReadState::Poisoned(Poison::for_status(violation.status()));
    }

    /// Fails the request body being read.
    fn body_error(&mut self, violation: Violation) -> io::Error {
        violation::count(violation);
        tracing::debug!(reason = violation.as_str(), "gate: rejected request body: {violation}");
        self.buf.clear();
        self.ready = 0;
        self.read = ReadState::Closed;
        io::Error::new(io::ErrorKind::InvalidData, violation)
    }

    /// Releases a validated head of `len` bytes and moves on to its body.
    fn accept(&mut self, len: usize, head: RequestHead) {
        self.ready = len;
        self.scan = HeadScan::default();
        self.awaits_response = head.upgrade || head.connect;
        let exchange = Exchange { head_method: head.head_method, connect: head.connect, awaits: self.awaits_response };
        if let Some(outcome) = self.responses.push(exchange) {
            self.on_outcome(outcome);
        }
        self.read = match head.framing {
            Framing::None | Framing::Length(0) => self.after_body(),
            Framing::Length(n) => ReadState::Length(n),
            Framing::Chunked => ReadState::Chunked(ChunkedDecoder::new(self.config.max_head_bytes)),
        };
    }

    fn after_body(&mut self) -> ReadState {
        if !self.awaits_response {
            ReadState::Head
        } else if std::mem::take(&mut self.declined) {
            self.awaits_response = false;
            ReadState::Head
        } else {
            ReadState::Awaiting
        }
    }

    /// Applies the write side's verdict on an upgrade or CONNECT request.
    fn on_outcome(&mut self, outcome: Outcome) {
        match (&self.read, outcome) {
            (ReadState::Poisoned(_) | ReadState::Closed, _) => {}
            (_, Outcome::Switched) => {
                tracing::debug!("gate: protocol switched, passing reads through");
                self.read = ReadState::Passthrough;
            }
            (ReadState::Awaiting, Outcome::Declined) => {
                self.awaits_response = false;
                self.read = ReadState::Head;
            }
            (_, Outcome::Declined) => self.declined = true,
        }
        if let Some(waker) = self.read_waker.take() {
            waker.wake();
        }
    }

    fn observe_written(&mut self, bytes: &[u8]) {
        if let Some(outcome) = self.responses.observe(bytes) {
            self.on_outcome(outcome);
        }
    }

    /// Reads more of a head into `buf`; returns how many bytes arrived (0 at EOF).
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        // Read into spare capacity without zeroing it first: this runs on every poll of an
        // idle keep-alive connection.
        self.buf.reserve(HEAD_READ_CHUNK);
        let len = self.buf.len();
        let mut read = ReadBuf::uninit(self.buf.spare_capacity_mut());
        let result = Pin::new(&mut self.io).poll_read(cx, &mut read);
        let n = read.filled().len();
        // SAFETY: `ReadBuf` guarantees its first `filled().len()` bytes were initialized by the
        // reader, and they are the first bytes of `buf`'s spare capacity.
        unsafe { self.buf.set_len(len + n) };
        ready!(result)?;
        Poll::Ready(Ok(n))
    }

    /// Buffers and validates the next head; on return the state has changed (or it is EOF).
    fn poll_head(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let max = self.config.max_head_bytes;
        loop {
            let verdict = match self.scan.scan(&self.buf) {
                Err(violation) => Err(violation),
                Ok(Some(len)) if len > max => Err(Violation::HeadTooLarge),
                Ok(Some(len)) => head::validate(&self.buf[..len], self.scan.leading()).map(|head| Some((len, head))),
                Ok(None) if self.buf.len() >= max => Err(Violation::HeadTooLarge),
                Ok(None) => Ok(None),
            };
            match verdict {
                Err(violation) => {
                    self.reject(violation);
                    return Poll::Ready(Ok(()));
                }
                Ok(Some((len, head))) => {
                    self.accept(len, head);
                    return Poll::Ready(Ok(()));
                }
                Ok(None) => {}
            }
            if ready!(self.poll_fill(cx))? == 0 {
                if !self.buf.is_empty() {
                    tracing::debug!(bytes = self.buf.len(), "gate: connection closed inside a request head");
                }
                self.buf.clear();
                self.read = ReadState::Closed;
                return Poll::Ready(Ok(()));
            }
        }
    }

    /// Hands out body bytes delimited by Content-Length.
    fn poll_length(&mut self, cx: &mut Context<'_>, out: &mut ReadBuf<'_>, remaining: u64) -> Poll<io::Result<()>> {
        let limit = remaining.min(out.remaining() as u64) as usize;
        let n = if !self.buf.is_empty() {
            let n = limit.min(self.buf.len());
            out.put_slice(&self.buf[..n]);
            self.buf.advance(n);
            n
        } else {
            let mut part = out.take(limit);
            let start = part.filled().as_ptr();
            ready!(Pin::new(&mut self.io).poll_read(cx, &mut part))?;
            assert_eq!(start, part.filled().as_ptr(), "reader swapped the buffer");
            let n = part.filled().len();
            // SAFETY: the reader initialized the `n` bytes it filled in `part`, which are the
            // first `n` unfilled bytes of `out`.
            unsafe { out.assume_init(n) };
            out.advance(n);
            n
        };
        if n == 0 {
            tracing::debug!(remaining, "gate: connection closed inside a request body");
            self.read = ReadState::Closed;
        } else if remaining == n as u64 {
            self.read = self.after_body();
        } else {
            self.read = ReadState::Length(remaining - n as u64);
        }
        Poll::Ready(Ok(()))
    }

    /// Hands out chunked body bytes after checking them in place.
    fn poll_chunked(&mut self, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let ReadState::Chunked(decoder) = &mut self.read else { unreachable!("only called when chunked") };
        let checked = if !self.buf.is_empty() {
            let n = self.buf.len().min(out.remaining());
            let checked = decoder.feed(&self.buf[..n]);
            if let Ok(used) = checked {
                out.put_slice(&self.buf[..used]);
                self.buf.advance(used);
            }
            checked
        } else {
            let start = out.filled().len();
            ready!(Pin::new(&mut self.io).poll_read(cx, out))?;
            let n = out.filled().len() - start;
            if n == 0 {
                tracing::debug!("gate: connection closed inside a chunked request body");
                self.read = ReadState::Closed;
                return Poll::Ready(Ok(()));
            }
            let checked = decoder.feed(&out.filled()[start..]);
            match checked {
                Ok(used) if used < n => {
                    // The body ended inside this read: what follows is the next head, unchecked.
                    self.buf.extend_from_slice(&out.filled()[start + used..]);
                    out.set_filled(start + used);
                }
                Ok(_) => {}
                Err(_) => out.set_filled(start),
            }
            checked
        };
        match checked {
            Err(violation) => Poll::Ready(Err(self.body_error(violation))),
            Ok(_) => {
                if decoder.is_done() {
                    self.read = self.after_body();
                }
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Gate<IO> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if out.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            if this.ready > 0 {
                let n = this.ready.min(out.remaining());
                out.put_slice(&this.buf[..n]);
                this.buf.advance(n);
                this.ready -= n;
                return Poll::Ready(Ok(()));
            }
            match &mut this.read {
                ReadState::Head => ready!(this.poll_head(cx))?,
                ReadState::Length(remaining) => {
                    let remaining = *remaining;
                    return this.poll_length(cx, out, remaining);
                }
                ReadState::Chunked(_) => return this.poll_chunked(cx, out),
                ReadState::Awaiting => {
                    this.read_waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                ReadState::Passthrough if !this.buf.is_empty() => {
                    let n = this.buf.len().min(out.remaining());
                    out.put_slice(&this.buf[..n]);
                    this.buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                ReadState::Passthrough => return Pin::new(&mut this.io).poll_read(cx, out),
                ReadState::Poisoned(poison) => {
                    if poison.fill(out) {
                        return Poll::Ready(Ok(()));
                    }
                    this.read = ReadState::Closed;
                }
                ReadState::Closed => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Gate<IO> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.io).poll_write(cx, buf))?;
        this.observe_written(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.io).poll_write_vectored(cx, bufs))?;
        let mut left = n;
        for buf in bufs {
            if left == 0 {
                break;
            }
            let k = buf.len().min(left);
            this.observe_written(&buf[..k]);
            left -= k;
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

impl<IO> std::fmt::Debug for Gate<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("config", &self.config)
            .field("read", &self.read)
            .field("buffered", &self.buf.len())
            .field("ready", &self.ready)
            .finish_non_exhaustive()
    }
}
