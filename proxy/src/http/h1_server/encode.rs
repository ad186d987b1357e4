//! Writing HTTP/1.1 responses: the head, the body framed by what is known of its length
//! (`Content-Length`, chunked, or until close for HTTP/1.0 clients), gathered into as few
//! vectored writes as the body's arrival allows.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::ops::Range;
use std::pin::Pin;
use std::task::Poll;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::{Response, StatusCode, Version};
use http_body::Body;
use http_body_util::BodyExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::http::body::ProxyBody;

/// Body bytes gathered before a write even when more are ready.
const FLUSH_AT: usize = 64 * 1024;

/// What the response depends on from its request.
#[derive(Clone, Copy, Debug)]
pub(in crate::http) struct Options {
    /// The request's version.
    pub(in crate::http) version: Version,
    /// A `HEAD` request: no body is sent.
    pub(in crate::http) head_method: bool,
    /// The client and the server both want the connection kept open.
    pub(in crate::http) keep_alive: bool,
    /// The client sent `TE: trailers`.
    pub(in crate::http) wants_trailers: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    Close,
}

/// A piece of the next write: bytes in the writer's own buffer, or body data.
enum Segment {
    Own(Range<usize>),
    Data(Bytes),
}

/// Encodes responses onto a connection; keeps its buffers across responses.
pub(in crate::http) struct Writer {
    buf: Vec<u8>,
    segments: Vec<Segment>,
    /// Bytes in `segments`.
    pending: usize,
}

// === impl Writer ===

impl Writer {
    pub(in crate::http) fn new() -> Self {
        Writer { buf: Vec::with_capacity(1024), segments: Vec::with_capacity(8), pending: 0 }
    }

    /// Writes `resp`; returns whether the connection stays open for another request.
    pub(in crate::http) async fn write_response<IO: AsyncWrite + Unpin>(
        &mut self,
        io: &mut IO,
        resp: Response<ProxyBody>,
        opts: Options,
    ) -> io::Result<bool> {
        let (parts, mut body) = resp.into_parts();
        let status = parts.status;
        let mut keep_alive = opts.keep_alive && !asks_close(&parts.headers);
        let bodiless = opts.head_method
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        let framing = if bodiless {
            Framing::None
        } else {
            match body.size_hint().exact() {
                Some(n) => Framing::Length(n),
                None if opts.version == Version::HTTP_11 => Framing::Chunked,
                None => Framing::Close,
            }
        };
        if framing == Framing::Close {
            keep_alive = false;
        }
        match &body {
            // An origin's fields, copied as they came (hop-by-hop ones skipped).
            ProxyBody::H1 { raw: Some(raw), .. } if parts.headers.is_empty() => {
                self.head(status, raw.fields(), framing, keep_alive, opts.version, bodiless)
            }
            _ => self.head(status, map_fields(&parts.headers), framing, keep_alive, opts.version, bodiless),
        }

        let mut written = 0u64;
        let mut trailers = None;
        loop {
            // Take what the body has ready; write what is gathered before waiting for more.
            let frame = match poll_fn(|cx| Poll::Ready(Pin::new(&mut body).poll_frame(cx))).await {
                Poll::Ready(f) => f,
                Poll::Pending => {
                    self.flush(io).await?;
                    body.frame().await
                }
            };
            let frame = match frame {
                None => break,
                Some(Ok(f)) => f,
                Some(Err(e)) => return Err(io::Error::other(e)),
            };
            let data = match frame.into_data() {
                Ok(d) => d,
                Err(f) => {
                    trailers = f.into_trailers().ok();
                    continue;
                }
            };
            if data.is_empty() || framing == Framing::None {
                continue;
            }
            written += data.len() as u64;
            if framing == Framing::Chunked {
                self.own(format_args!("{:x}\r\n", data.len()));
                self.data(data);
                self.own(format_args!("\r\n"));
            } else {
                self.data(data);
            }
            if self.pending >= FLUSH_AT {
                self.flush(io).await?;
            }
        }
        match framing {
            Framing::Length(n) if written != n => {
                return Err(io::Error::other(format!("body of {written} bytes where {n} were announced")));
            }
            Framing::Chunked => {
                self.own(format_args!("0\r\n"));
                if let Some(t) = trailers.filter(|_| opts.wants_trailers) {
                    for (name, value) in &t {
                        self.own(format_args!("{}: ", name.as_str()));
                        self.own_bytes(value.as_bytes());
                        self.own(format_args!("\r\n"));
                    }
                }
                self.own(format_args!("\r\n"));
            }
            _ => {}
        }
        self.flush(io).await?;
        if !keep_alive {
            let _ = io.shutdown().await;
        }
        Ok(keep_alive)
    }

    /// Answers a refused request head with `status` and no body, then closes the write side.
    pub(in crate::http) async fn write_error<IO: AsyncWrite + Unpin>(
        &mut self,
        io: &mut IO,
        status: u16,
    ) -> io::Result<()> {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        self.head(status, std::iter::empty(), Framing::Length(0), false, Version::HTTP_11, false);
        self.flush(io).await?;
        io.shutdown().await
    }

    fn head<'h>(
        &mut self,
        status: StatusCode,
        headers: impl Iterator<Item = (&'h [u8], &'h [u8])>,
        framing: Framing,
        keep_alive: bool,
        version: Version,
        bodiless: bool,
    ) {
        let start = self.buf.len();
        self.buf.extend_from_slice(b"HTTP/1.1 ");
        self.buf.extend_from_slice(status.as_str().as_bytes());
        self.buf.push(b' ');
        self.buf.extend_from_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        let mut has_date = false;
        for (name, value) in headers {
            // Framing and connection management are this writer's; a bodiless response keeps
            // the length the origin announced (HEAD, 304). Names compare without case: an
            // origin's raw fields keep theirs.
            if name.eq_ignore_ascii_case(b"connection")
                || name.eq_ignore_ascii_case(b"transfer-encoding")
                || (name.eq_ignore_ascii_case(b"content-length") && !(bodiless && framing == Framing::None))
            {
                continue;
            }
            if name.eq_ignore_ascii_case(b"date") {
                has_date = true;
            }
            self.buf.extend_from_slice(name);
            self.buf.extend_from_slice(b": ");
            self.buf.extend_from_slice(value);
            self.buf.extend_from_slice(b"\r\n");
        }
        if !has_date {
            self.buf.extend_from_slice(b"date: ");
            with_date(|d| self.buf.extend_from_slice(d));
            self.buf.extend_from_slice(b"\r\n");
        }
        match framing {
            Framing::Length(n) => {
                self.buf.extend_from_slice(b"content-length: ");
                self.buf.extend_from_slice(itoa(n, &mut [0; 20]));
                self.buf.extend_from_slice(b"\r\n");
            }
            Framing::Chunked => self.buf.extend_from_slice(b"transfer-encoding: chunked\r\n"),
            Framing::None | Framing::Close => {}
        }
        if !keep_alive {
            self.buf.extend_from_slice(b"connection: close\r\n");
        } else if version == Version::HTTP_10 {
            self.buf.extend_from_slice(b"connection: keep-alive\r\n");
        }
        self.buf.extend_from_slice(b"\r\n");
        self.pending += self.buf.len() - start;
        self.segments.push(Segment::Own(start..self.buf.len()));
    }

    fn own(&mut self, args: std::fmt::Arguments<'_>) {
        use std::io::Write;
        let start = self.buf.len();
        let _ = self.buf.write_fmt(args);
        self.push_own(start);
    }

    fn own_bytes(&mut self, bytes: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.push_own(start);
    }

    fn push_own(&mut self, start: usize) {
        let end = self.buf.len();
        self.pending += end - start;
        // Adjacent own bytes form one segment.
        if let Some(Segment::Own(r)) = self.segments.last_mut() {
            if r.end == start {
                r.end = end;
                return;
            }
        }
        self.segments.push(Segment::Own(start..end));
    }

    fn data(&mut self, data: Bytes) {
        self.pending += data.len();
        self.segments.push(Segment::Data(data));
    }

    /// Writes everything gathered.
    async fn flush<IO: AsyncWrite + Unpin>(&mut self, io: &mut IO) -> io::Result<()> {
        if self.segments.is_empty() {
            return Ok(());
        }
        {
            let buf = &self.buf;
            let mut slices: Vec<IoSlice<'_>> = self
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Own(r) => IoSlice::new(&buf[r.clone()]),
                    Segment::Data(d) => IoSlice::new(d),
                })
                .collect();
            let mut rest = &mut slices[..];
            while !rest.is_empty() {
                let n = poll_fn(|cx| Pin::new(&mut *io).poll_write_vectored(cx, rest)).await?;
                if n == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                IoSlice::advance_slices(&mut rest, n);
            }
        }
        self.buf.clear();
        self.segments.clear();
        self.pending = 0;
        io.flush().await
    }
}

/// The response asks for the connection to close (`Connection: close`).
/// A header map's fields as byte pairs.
fn map_fields(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers.iter().map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()))
}

fn asks_close(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .any(|v| v.as_bytes().split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close")))
}

/// Formats `n` in decimal into `buf`.
fn itoa(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

thread_local! {
    /// The `Date` value for the current second.
    static DATE: RefCell<(u64, Vec<u8>)> = const { RefCell::new((u64::MAX, Vec::new())) };
}

/// Calls `f` with the current `Date` header value, formatted at most once a second per thread.
fn with_date(f: impl FnOnce(&[u8])) {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with_borrow_mut(|(at, value)| {
        if *at != secs {
            *at = secs;
            *value = httpdate::fmt_http_date(now).into_bytes();
        }
        f(value);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn encode(resp: Response<ProxyBody>, opts: Options) -> (String, bool) {
        let mut out = Vec::new();
        let keep = Writer::new().write_response(&mut out, resp, opts).await.unwrap();
        let text = String::from_utf8(out).unwrap();
        // Drop the date line, which changes.
        let text = text.lines().filter(|l| !l.starts_with("date: ")).collect::<Vec<_>>().join("\n");
        (text, keep)
    }

    const KEEP: Options =
        Options { version: Version::HTTP_11, head_method: false, keep_alive: true, wants_trailers: false };

    #[tokio::test]
    async fn full_body_gets_its_length() {
        let mut r = Response::new(ProxyBody::full("hello"));
        r.headers_mut().insert("x-a", "1".parse().unwrap());
        r.headers_mut().insert(header::CONTENT_LENGTH, "99".parse().unwrap());
        let (text, keep) = encode(r, KEEP).await;
        assert_eq!(text, "HTTP/1.1 200 OK\nx-a: 1\ncontent-length: 5\n\nhello");
        assert!(keep);
    }

    #[tokio::test]
    async fn head_and_304_keep_the_announced_length_and_send_no_body() {
        let mut r = Response::new(ProxyBody::full("ignored"));
        r.headers_mut().insert(header::CONTENT_LENGTH, "7".parse().unwrap());
        let (text, _) = encode(r, Options { head_method: true, ..KEEP }).await;
        assert_eq!(text, "HTTP/1.1 200 OK\ncontent-length: 7\n");
        let mut r = Response::new(ProxyBody::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        let (text, _) = encode(r, KEEP).await;
        assert_eq!(text, "HTTP/1.1 204 No Content\n");
    }

    #[tokio::test]
    async fn closing_and_http10() {
        let mut r = Response::new(ProxyBody::full("x"));
        r.headers_mut().insert(header::CONNECTION, "close".parse().unwrap());
        let (text, keep) = encode(r, KEEP).await;
        assert!(!keep);
        assert_eq!(text, "HTTP/1.1 200 OK\ncontent-length: 1\nconnection: close\n\nx");
        let (text, keep) =
            encode(Response::new(ProxyBody::full("x")), Options { version: Version::HTTP_10, ..KEEP }).await;
        assert!(keep);
        assert_eq!(text, "HTTP/1.1 200 OK\ncontent-length: 1\nconnection: keep-alive\n\nx");
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(itoa(0, &mut [0; 20]), b"0");
        assert_eq!(itoa(16384, &mut [0; 20]), b"16384");
        assert_eq!(itoa(u64::MAX, &mut [0; 20]), u64::MAX.to_string().as_bytes());
        with_date(|d| assert_eq!(d.len(), 29, "{}", String::from_utf8_lossy(d)));
    }
}
