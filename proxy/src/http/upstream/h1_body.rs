//! The body of an HTTP/1.1 upstream response, read straight from the origin's socket; the
//! connection goes back to its pool the moment the body's last byte has been read.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};

use super::h1::{poll_fill, Framing, H1Conn};
use super::EndpointPool;
use crate::endpoint::InFlight;
use crate::http::body::BoxError;

/// Longest chunk-size or trailer line accepted.
const MAX_LINE: usize = 4096;

/// A response body streaming from an origin.
#[derive(Debug)]
pub struct H1Body {
    conn: Option<H1Conn>,
    state: State,
    reusable: bool,
    pool: Arc<EndpointPool>,
    in_flight: Option<InFlight>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Length(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkCrlf,
    Trailers,
    UntilClose,
    Done,
}

impl H1Body {
    /// The body of a response whose head was read from `conn`.
    pub fn new(conn: H1Conn, framing: Framing, reusable: bool, pool: Arc<EndpointPool>, in_flight: InFlight) -> Self {
        let state = match framing {
            Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::ChunkSize,
            Framing::Close => State::UntilClose,
        };
        let mut b = Self { conn: Some(conn), state, reusable, pool, in_flight: Some(in_flight) };
        if b.state == State::Done {
            b.finish();
        }
        b
    }

    /// The exchange is over: the connection goes back to the pool if it can carry another.
    fn finish(&mut self) {
        self.state = State::Done;
        self.in_flight.take();
        if let Some(conn) = self.conn.take() {
            if self.reusable && conn.rbuf.is_empty() {
                self.pool.checkin_h1(conn);
            }
        }
    }

    fn fail(&mut self, e: io::Error) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.state = State::Done;
        self.conn.take();
        self.in_flight.take();
        Poll::Ready(Some(Err(Box::new(e))))
    }
}

fn bad(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Takes one CRLF-terminated line off `buf`, without its CRLF.
fn take_line(buf: &mut BytesMut) -> Result<Option<BytesMut>, io::Error> {
    match memchr_lf(buf) {
        Some(i) => {
            if i == 0 || buf[i - 1] != b'\r' {
                return Err(bad("chunked body: bare LF"));
            }
            let mut line = buf.split_to(i + 1);
            line.truncate(i - 1);
            Ok(Some(line))
        }
        None if buf.len() > MAX_LINE => Err(bad("chunked body: line too long")),
        None => Ok(None),
    }
}

fn memchr_lf(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

fn parse_chunk_size(line: &[u8]) -> Result<u64, io::Error> {
    let digits = line.split(|&b| b == b';').next().unwrap_or(b"");
    if digits.is_empty() || digits.len() > 16 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad("chunked body: invalid chunk size"));
    }
    let s = std::str::from_utf8(digits).map_err(|_| bad("chunked body: invalid chunk size"))?;
    u64::from_str_radix(s, 16).map_err(|_| bad("chunked body: invalid chunk size"))
}

impl Body for H1Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            let Some(conn) = this.conn.as_mut() else { return Poll::Ready(None) };
            // Data already buffered is handed out before any read.
            match this.state {
                State::Done => {
                    this.finish();
                    return Poll::Ready(None);
                }
                State::Length(rem) if !conn.rbuf.is_empty() => {
                    let n = (rem as usize).min(conn.rbuf.len());
                    let data = conn.rbuf.split_to(n).freeze();
                    let rem = rem - n as u64;
                    this.state = State::Length(rem);
                    if rem == 0 {
                        // hyper stops polling once the body says it has ended.
                        this.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                State::UntilClose if !conn.rbuf.is_empty() => {
                    let data = conn.rbuf.split().freeze();
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                State::ChunkSize => match take_line(&mut conn.rbuf) {
                    Err(e) => return this.fail(e),
                    Ok(Some(line)) => {
                        match parse_chunk_size(&line) {
                            Err(e) => return this.fail(e),
                            Ok(0) => this.state = State::Trailers,
                            Ok(n) => this.state = State::ChunkData(n),
                        }
                        continue;
                    }
                    Ok(None) => {}
                },
                State::ChunkData(rem) if !conn.rbuf.is_empty() => {
                    let n = (rem as usize).min(conn.rbuf.len());
                    let data = conn.rbuf.split_to(n).freeze();
                    let rem = rem - n as u64;
                    this.state = if rem == 0 { State::ChunkCrlf } else { State::ChunkData(rem) };
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                State::ChunkCrlf if conn.rbuf.len() >= 2 => {
                    if &conn.rbuf[..2] != b"\r\n" {
                        return this.fail(bad("chunked body: missing CRLF after chunk data"));
                    }
                    conn.rbuf.advance(2);
                    this.state = State::ChunkSize;
                    continue;
                }
                State::Trailers => match take_line(&mut conn.rbuf) {
                    Err(e) => return this.fail(e),
                    // Trailer fields are dropped; an empty line ends the body.
                    Ok(Some(line)) => {
                        if line.is_empty() {
                            this.finish();
                            return Poll::Ready(None);
                        }
                        continue;
                    }
                    Ok(None) => {}
                },
                _ => {}
            }
            // Nothing usable buffered: read more.
            match poll_fill(&mut conn.io, &mut conn.rbuf, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return this.fail(e),
                Poll::Ready(Ok(0)) => {
                    if this.state == State::UntilClose {
                        this.reusable = false;
                        this.finish();
                        return Poll::Ready(None);
                    }
                    return this.fail(io::Error::new(io::ErrorKind::UnexpectedEof, "upstream closed mid-body"));
                }
                Poll::Ready(Ok(_)) => {}
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Done | State::Length(0))
    }

    fn size_hint(&self) -> SizeHint {
        match self.state {
            State::Length(n) => SizeHint::with_exact(n),
            State::Done => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}
