//! HTTP/1.1 upstream exchanges driven from the request's own task.
//!
//! The request head is serialized once and written in one call, the response head is parsed
//! with httparse, and the body ([`H1Body`]) streams straight from the socket. Unlike a hyper
//! client connection, there is no connection task and no channel between it and the request:
//! on a proxy's hot path those hand-offs cost as much as the parsing.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};
use http_body::Body as _;
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::http::upstream::UpBody;

/// Largest response head accepted from an origin.
const MAX_HEAD: usize = 64 * 1024;
/// Most response header fields accepted.
const MAX_HEADERS: usize = 128;
const READ_CHUNK: usize = 16 * 1024;

/// One HTTP/1.1 connection to an origin, with its read buffer.
#[derive(Debug)]
pub struct H1Conn {
    pub(super) io: TcpStream,
    pub(super) rbuf: BytesMut,
    timer: ResponseTimer,
}

impl H1Conn {
    /// Wraps a connected socket.
    pub fn new(io: TcpStream) -> Self {
        Self { io, rbuf: BytesMut::with_capacity(READ_CHUNK), timer: ResponseTimer::default() }
    }

    /// True when an idle connection shows it is unusable: the origin closed it, or sent bytes
    /// nobody asked for. Costs no syscall unless the socket has signalled readiness.
    pub fn is_stale(&self) -> bool {
        if !self.rbuf.is_empty() {
            return true;
        }
        let mut cx = Context::from_waker(Waker::noop());
        match self.io.poll_read_ready(&mut cx) {
            Poll::Pending => false,
            Poll::Ready(Err(_)) => true,
            Poll::Ready(Ok(())) => {
                let mut probe = [0u8; 1];
                !matches!(self.io.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            }
        }
    }
}

/// A request ready to go: its head serialized, its body still to stream.
#[derive(Debug)]
pub struct Outgoing {
    head: Vec<u8>,
    body: UpBody,
    chunked: bool,
    has_body: bool,
    head_method: bool,
}

impl Outgoing {
    /// Serializes `parts` (origin-form target, hop-by-hop headers already removed) and frames
    /// `body` by its size: `Content-Length` when known, chunked otherwise.
    pub fn new(parts: &http::request::Parts, body: UpBody) -> Self {
        let hint = body.size_hint();
        let known = hint.exact();
        let has_body = !(body.is_end_stream() || known == Some(0));
        let chunked = has_body && known.is_none();
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut head = Vec::with_capacity(256 + parts.headers.len() * 32);
        head.extend_from_slice(parts.method.as_str().as_bytes());
        head.push(b' ');
        head.extend_from_slice(target.as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in &parts.headers {
            // Framing is ours to set; `Expect: 100-continue` was already answered to the client
            // by hyper, and forwarding it would make the origin wait for a body we hold back.
            if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING || name == header::EXPECT {
                continue;
            }
            head.extend_from_slice(name.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        if chunked {
            head.extend_from_slice(b"transfer-encoding: chunked\r\n");
        } else if let Some(n) = known.filter(|&n| n > 0 || expects_body(&parts.method)) {
            head.extend_from_slice(b"content-length: ");
            head.extend_from_slice(n.to_string().as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        Self { head, body, chunked, has_body, head_method: parts.method == Method::HEAD }
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe)
}

fn expects_body(m: &Method) -> bool {
    matches!(*m, Method::POST | Method::PUT | Method::PATCH)
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum H1Error {
    /// Nothing of the request reached the origin (a dead pooled connection); it can be sent
    /// again on another connection.
    #[error("connection closed before the request was taken")]
    Resend(Box<Outgoing>),
    /// Reading or writing the upstream socket failed.
    #[error("upstream i/o: {0}")]
    Io(#[from] io::Error),
    /// The origin closed the connection before a complete response head.
    #[error("upstream closed the connection before a complete response")]
    Closed,
    /// The origin's response is not valid HTTP/1.1.
    #[error("invalid response from upstream: {0}")]
    BadResponse(&'static str),
    /// The downstream request body failed (too large, malformed, client gone).
    #[error("request body: {0}")]
    Body(crate::http::body::BoxError),
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy)]
pub enum Framing {
    /// `Content-Length` (or no body at all: 0).
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the origin closes; the connection cannot be reused.
    Close,
}

/// A response head and what follows it.
#[derive(Debug)]
pub struct Head {
    /// Status and version; the header fields are in `raw`.
    pub parts: http::response::Parts,
    /// Body framing.
    pub framing: Framing,
    /// The connection may carry another exchange once the body is read.
    pub reusable: bool,
    /// The header fields as the origin sent them, hop-by-hop ones marked.
    pub raw: RawHead,
}

/// A response's header fields kept as the origin's bytes, for a downstream HTTP/1.1 writer to
/// copy without building a [`HeaderMap`]; [`RawHead::to_header_map`] makes one for the
/// consumers that need it (HTTP/2, the WAF's response phases). Hop-by-hop fields (RFC 9110
/// 7.6.1: `Connection`, every field it lists, and the fixed ones) are marked and skipped.
#[derive(Debug, Clone)]
pub struct RawHead {
    head: bytes::Bytes,
    fields: Vec<FieldAt>,
}

impl RawHead {
    /// The end-to-end fields, `(name, value)`, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.fields.iter().filter(|f| !f.hop).map(|f| (&self.head[f.name()], &self.head[f.value()]))
    }

    /// The end-to-end fields as a header map.
    pub fn to_header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.fields.len());
        for f in self.fields.iter().filter(|f| !f.hop) {
            // Both were checked when the head was parsed.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(&self.head[f.name()]),
                HeaderValue::from_maybe_shared(self.head.slice(f.value())),
            ) {
                map.append(name, value);
            }
        }
        map
    }
}

/// Moves a response's raw head (see [`RawHead`]) into its header map, for consumers that read
/// headers; a response without one is left as it is.
pub fn materialize(resp: &mut http::Response<crate::http::body::ProxyBody>) {
    let raw = match resp.body_mut() {
        crate::http::body::ProxyBody::H1 { raw, .. } => raw.take(),
        _ => None,
    };
    if let Some(raw) = raw {
        let mut map = raw.to_header_map();
        // Fields set on the response since (none today) come after the origin's.
        append_all(&mut map, resp.headers_mut());
        *resp.headers_mut() = map;
    }
}

/// Moves every value of `from` to the end of `to`, repeated names included (`drain` names a
/// field once, before the first of its values).
fn append_all(to: &mut HeaderMap, from: &mut HeaderMap) {
    let mut last = None;
    for (name, value) in from.drain() {
        if let Some(name) = name {
            last = Some(name);
        }
        if let Some(name) = &last {
            to.append(name.clone(), value);
        }
    }
}

/// The hop-by-hop fields removed whether or not `Connection` names them.
fn fixed_hop_by_hop(name: &[u8]) -> bool {
    crate::http::headers::FIXED_HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h.as_bytes()))
}

/// Whether a field value holds only what a header value may: visible ASCII, SP, HTAB and
/// obs-text (as `HeaderValue` checks).
fn valid_value(v: &[u8]) -> bool {
    v.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// The timer that bounds a connection's exchanges, kept with the connection. Registering a timer
/// and cancelling it for every exchange is a measurable share of a proxied request; instead the
/// timer stays armed at some earlier exchange's deadline, and when it fires while a later
/// exchange runs it is moved to that exchange's deadline. So it is re-armed about once per
/// response timeout per connection, not once per exchange.
#[derive(Debug, Default)]
struct ResponseTimer {
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl ResponseTimer {
    /// Ready once `deadline` has passed; until then `cx` is woken at or before it.
    fn poll_expired(&mut self, cx: &mut Context<'_>, deadline: tokio::time::Instant) -> Poll<()> {
        let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() > deadline {
            // A shorter response timeout since (a reload): never later than asked.
            sleep.as_mut().reset(deadline);
        }
        while sleep.as_mut().poll(cx).is_ready() {
            if sleep.deadline() >= deadline {
                return Poll::Ready(());
            }
            // An earlier exchange's deadline passed: this one's has not.
            sleep.as_mut().reset(deadline);
        }
        Poll::Pending
    }
}

/// [`exchange`] on `conn`, bounded by `deadline`: `None` when the deadline passed first.
pub async fn exchange_by(
    conn: &mut H1Conn,
    out: Outgoing,
    reused: bool,
    deadline: tokio::time::Instant,
) -> Option<Result<Head, H1Error>> {
    let H1Conn { io, rbuf, timer } = conn;
    let work = exchange(io, rbuf, out, reused);
    tokio::pin!(work);
    poll_fn(|cx| match work.as_mut().poll(cx) {
        Poll::Ready(r) => Poll::Ready(Some(r)),
        Poll::Pending => timer.poll_expired(cx, deadline).map(|()| None),
    })
    .await
}

/// Sends `out` on the connection (`io` and its read buffer `rbuf`) and reads the response head.
/// `reused` says whether the connection came from the idle pool: only then can an early close
/// mean the request was never seen.
async fn exchange(io: &mut TcpStream, rbuf: &mut BytesMut, mut out: Outgoing, reused: bool) -> Result<Head, H1Error> {
    if let Err(e) = io.write_all(&out.head).await {
        return if reused { Err(H1Error::Resend(Box::new(out))) } else { Err(e.into()) };
    }
    let mut complete = true;
    if out.has_body {
        let (mut rd, mut wr) = io.split();
        let send = send_body(&mut wr, &mut out.body, out.chunked);
        let early = read_head_bytes(&mut rd, rbuf);
        tokio::pin!(send, early);
        tokio::select! {
            biased;
            r = &mut send => r?,
            r = &mut early => {
                // The origin answered before taking the whole body: use its answer, but the
                // connection is mid-request and cannot be reused.
                r?;
                complete = false;
            }
        }
    }
    loop {
        match parse_head(rbuf, out.head_method)? {
            Some(head) => {
                if head.parts.status == StatusCode::SWITCHING_PROTOCOLS {
                    // Upgrades never take this path.
                    return Err(H1Error::BadResponse("101 to a request that asked for no upgrade"));
                }
                if head.parts.status.is_informational() {
                    continue;
                }
                let reusable = head.reusable && complete;
                return Ok(Head { reusable, ..head });
            }
            None => {
                // A pooled connection the origin had already closed shows as EOF or a reset
                // before any byte of a response; a body-less request is then sent again.
                let resend = reused && !out.has_body && rbuf.is_empty();
                let n = match poll_fn(|cx| poll_fill(io, rbuf, cx)).await {
                    Ok(n) => n,
                    Err(e) if resend && is_reset(&e) => return Err(H1Error::Resend(Box::new(out))),
                    Err(e) => return Err(e.into()),
                };
                if n == 0 {
                    if resend {
                        return Err(H1Error::Resend(Box::new(out)));
                    }
                    return Err(H1Error::Closed);
                }
                if rbuf.len() > MAX_HEAD {
                    return Err(H1Error::BadResponse("response head too large"));
                }
            }
        }
    }
}

async fn send_body(wr: &mut tokio::net::tcp::WriteHalf<'_>, body: &mut UpBody, chunked: bool) -> Result<(), H1Error> {
    let mut frame_buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(H1Error::Body)?;
        let Ok(data) = frame.into_data() else { continue };
        if data.is_empty() {
            continue;
        }
        if chunked {
            frame_buf.clear();
            frame_buf.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
            frame_buf.extend_from_slice(&data);
            frame_buf.extend_from_slice(b"\r\n");
            wr.write_all(&frame_buf).await?;
        } else {
            wr.write_all(&data).await?;
        }
    }
    if chunked {
        wr.write_all(b"0\r\n\r\n").await?;
    }
    Ok(())
}

/// Reads until `rbuf` holds at least a complete response head (or the origin closes).
async fn read_head_bytes(rd: &mut tokio::net::tcp::ReadHalf<'_>, rbuf: &mut BytesMut) -> Result<(), H1Error> {
    loop {
        if rbuf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(());
        }
        let n = poll_fn(|cx| poll_fill(rd, rbuf, cx)).await?;
        if n == 0 {
            return Err(H1Error::Closed);
        }
        if rbuf.len() > MAX_HEAD {
            return Err(H1Error::BadResponse("response head too large"));
        }
    }
}

/// Parses one response head from the start of `buf` and takes it out of `buf`; None when more
/// bytes are needed. Header values share the head's bytes instead of copying them.
fn parse_head(buf: &mut BytesMut, head_method: bool) -> Result<Option<Head>, H1Error> {
    // Uninitialized slots: zeroing 128 of them for every response is measurable.
    let mut slots = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut resp, buf, &mut slots) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(H1Error::BadResponse("too many header fields")),
        Err(_) => return Err(H1Error::BadResponse("malformed response head")),
    };
    let code = resp.code.unwrap_or(0);
    let http11 = resp.version == Some(1);
    // Where each field sits in the head, so the head can leave `buf` before values are made.
    let base = buf.as_ptr() as usize;
    let mut fields: Vec<FieldAt> = resp
        .headers
        .iter()
        .map(|h| {
            // Offsets fit: the head is at most `MAX_HEAD` plus one read.
            let off = |p: *const u8| (p as usize - base) as u32;
            FieldAt {
                name: off(h.name.as_ptr()),
                name_len: h.name.len() as u32,
                value: off(h.value.as_ptr()),
                value_len: h.value.len() as u32,
                hop: false,
            }
        })
        .collect();
    let head = buf.split_to(len).freeze();
    let status = StatusCode::from_u16(code).map_err(|_| H1Error::BadResponse("invalid status code"))?;
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut te = false;
    let mut close = !http11;
    let mut lists_fields = false;
    for f in fields.iter_mut() {
        let name = &head[f.name()];
        let raw = &head[f.value()];
        // httparse refuses every other byte in a value (NUL, CR, LF, other controls, DEL).
        debug_assert!(valid_value(raw), "httparse let a control byte through");
        if name.eq_ignore_ascii_case(b"content-length") {
            let n = std::str::from_utf8(raw)
                .ok()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or(H1Error::BadResponse("invalid content-length"))?;
            if length.is_some_and(|m| m != n) {
                return Err(H1Error::BadResponse("conflicting content-length"));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            te = true;
            f.hop = true;
            chunked = raw
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            f.hop = true;
            let tokens = || raw.split(|&b| b == b',').map(<[u8]>::trim_ascii);
            if tokens().any(|t| t.eq_ignore_ascii_case(b"close")) {
                close = true;
            } else if !http11 && tokens().any(|t| t.eq_ignore_ascii_case(b"keep-alive")) {
                close = false;
            }
            lists_fields |= tokens()
                .any(|t| !t.is_empty() && !t.eq_ignore_ascii_case(b"close") && !t.eq_ignore_ascii_case(b"keep-alive"));
        } else if fixed_hop_by_hop(name) {
            f.hop = true;
        }
    }
    if lists_fields {
        // Fields that `Connection` names are hop-by-hop too.
        let listed: Vec<Vec<u8>> = fields
            .iter()
            .filter(|f| head[f.name()].eq_ignore_ascii_case(b"connection"))
            .flat_map(|f| head[f.value()].split(|&b| b == b',').map(|t| t.trim_ascii().to_ascii_lowercase()))
            .filter(|t| !t.is_empty())
            .collect();
        for f in fields.iter_mut() {
            if listed.iter().any(|l| head[f.name()].eq_ignore_ascii_case(l)) {
                f.hop = true;
            }
        }
    }
    if te && length.is_some() {
        return Err(H1Error::BadResponse("both content-length and transfer-encoding"));
    }
    let no_body = head_method
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let framing = if no_body {
        Framing::Length(0)
    } else if te {
        if chunked {
            Framing::Chunked
        } else {
            Framing::Close
        }
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::Close
    };
    let reusable = !close && !matches!(framing, Framing::Close);
    let mut parts = http::Response::new(()).into_parts().0;
    parts.status = status;
    parts.version = Version::HTTP_11;
    Ok(Some(Head { parts, framing, reusable, raw: RawHead { head, fields } }))
}

/// Offsets of one header field within a response head.
#[derive(Clone, Copy, Default, Debug)]
struct FieldAt {
    name: u32,
    name_len: u32,
    value: u32,
    value_len: u32,
    /// A hop-by-hop field, not passed on.
    hop: bool,
}

impl FieldAt {
    fn name(&self) -> std::ops::Range<usize> {
        self.name as usize..(self.name + self.name_len) as usize
    }

    fn value(&self) -> std::ops::Range<usize> {
        self.value as usize..(self.value + self.value_len) as usize
    }
}

/// Reads once from `io` into the spare capacity of `buf`; returns the byte count (0 at EOF).
pub(super) fn poll_fill<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(READ_CHUNK);
    }
    let len = buf.len();
    let mut read = ReadBuf::uninit(buf.spare_capacity_mut());
    let r = Pin::new(io).poll_read(cx, &mut read);
    let n = read.filled().len();
    // SAFETY: `ReadBuf` guarantees its first `filled().len()` bytes were initialized by the
    // reader, and they are the first bytes of `buf`'s spare capacity.
    unsafe { buf.set_len(len + n) };
    match r {
        Poll::Ready(Ok(())) => Poll::Ready(Ok(n)),
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Pending => Poll::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_heads_keep_end_to_end_fields_and_late_fields_keep_every_value() {
        let mut buf = BytesMut::from(
            &b"HTTP/1.1 200 OK\r\nA: 1\r\nConnection: close, X-Hop\r\nX-Hop: h\r\nA: 2\r\nContent-Length: 0\r\n\r\n"[..],
        );
        let head = parse_head(&mut buf, false).unwrap().expect("a complete head");
        assert!(!head.reusable);
        let mut map = head.raw.to_header_map();
        assert_eq!(map.get_all("a").iter().collect::<Vec<_>>(), ["1", "2"]);
        assert!(map.get("x-hop").is_none() && map.get("connection").is_none());
        let mut late = HeaderMap::new();
        late.append("b", HeaderValue::from_static("x"));
        late.append("b", HeaderValue::from_static("y"));
        late.append("a", HeaderValue::from_static("3"));
        append_all(&mut map, &mut late);
        assert_eq!(map.get_all("b").iter().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(map.get_all("a").iter().collect::<Vec<_>>(), ["1", "2", "3"]);
        // A control byte in a value is refused by the parser itself.
        let mut bad = BytesMut::from(&b"HTTP/1.1 200 OK\r\nA: x\x01y\r\n\r\n"[..]);
        assert!(parse_head(&mut bad, false).is_err());
    }
}
