//! rampart's own HTTP/1.1 server loop, for the plain requests that make up most traffic.
//!
//! Each head is found and validated by the smuggling gate's checks ([`gate`]), parsed once
//! into an [`http::Request`] whose header values share the head's bytes, handled, and its
//! response written with one vectored write when the body is at hand. No connection task,
//! no channels, no second copy of the head.
//!
//! A request this loop does not serve itself hands the whole connection, buffered bytes
//! included, to hyper's HTTP/1 server behind the full [`gate::Gate`]: an `Upgrade` or
//! `CONNECT` (tunnels), `Expect: 100-continue`, a chunked body, or a body larger than
//! [`BUFFERED_BODY_MAX`]. The connection stays with hyper from then on.
//!
//! Timeouts: the request head must complete within `request_header` of its first byte arriving
//! late (a head that arrives in one read never arms a timer); between requests the connection
//! may rest for `idle`, which the caller's watchdog enforces.

mod encode;

use std::io;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request, Uri, Version};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::watch;

use self::encode::Writer;
use crate::http::body::RequestBody;
use crate::http::gate::{self, Framing, HeadScan, Violation};
use crate::http::handler::{handle, ConnContext, DropConnection};

/// Largest request body read whole before handling; larger ones are streamed by hyper.
pub const BUFFERED_BODY_MAX: u64 = 64 * 1024;

/// Header fields parsed per request; more is answered with 431, as hyper does.
const MAX_HEADERS: usize = 100;

/// Read size while a head or body is buffered.
const READ_CHUNK: usize = 8 * 1024;

/// How a connection left the loop.
pub(super) enum Exit<IO> {
    /// Done: closed, failed, or shut down.
    Closed,
    /// Hand the connection to hyper; `buffered` holds the bytes read and not yet served.
    Hyper { io: IO, buffered: Bytes },
}

/// Settings of the loop.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    pub(super) header_timeout: std::time::Duration,
    pub(super) max_head_bytes: usize,
}

/// Serves requests on `io` until the connection ends or needs hyper. `prefix` holds bytes
/// already read (while sniffing for HTTP/2).
pub(super) async fn serve<IO>(
    mut io: IO,
    prefix: Bytes,
    ctx: Arc<ConnContext>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) -> Exit<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::with_capacity(READ_CHUNK.max(prefix.len()));
    buf.extend_from_slice(&prefix);
    let mut writer = Writer::new();
    // One shutdown waiter for the connection's life: registering a new one per request costs
    // a lock on the shared notifier.
    let shutting_down = shutdown.clone();
    let stop = crate::stopped(&mut shutdown);
    tokio::pin!(stop);
    loop {
        // --- the head ---
        let mut scan = HeadScan::default();
        let mut deadline: Option<Instant> = None;
        let head_len = loop {
            let verdict = match scan.scan(&buf) {
                Err(v) => Err(v),
                Ok(Some(len)) if len > limits.max_head_bytes => Err(Violation::HeadTooLarge),
                Ok(Some(len)) => Ok(Some(len)),
                Ok(None) if buf.len() >= limits.max_head_bytes => Err(Violation::HeadTooLarge),
                Ok(None) => Ok(None),
            };
            match verdict {
                Ok(Some(len)) => break len,
                Err(v) => return reject(&mut io, &mut writer, v).await,
                Ok(None) => {}
            }
            let read = if buf.is_empty() {
                // Between requests: wait for a byte, or for shutdown (the caller's watchdog
                // closes connections idle for too long).
                tokio::select! {
                    biased;
                    r = read_more(&mut io, &mut buf) => r,
                    _ = &mut stop => return Exit::Closed,
                }
            } else {
                // Inside a head: it must be complete within the header timeout.
                let at = *deadline.get_or_insert_with(|| Instant::now() + limits.header_timeout);
                match tokio::time::timeout_at(at.into(), read_more(&mut io, &mut buf)).await {
                    Ok(r) => r,
                    Err(_) => {
                        tracing::debug!(client = %ctx.client, "request head timed out");
                        return Exit::Closed;
                    }
                }
            };
            match read {
                Ok(0) | Err(_) => {
                    if !buf.is_empty() {
                        tracing::debug!(bytes = buf.len(), "connection closed inside a request head");
                    }
                    return Exit::Closed;
                }
                Ok(_) => {}
            }
        };
        let checked = match gate::validate_head(&buf[..head_len], scan.leading()) {
            Ok(h) => h,
            Err(v) => return reject(&mut io, &mut writer, v).await,
        };
        let body_len = match checked.framing {
            _ if checked.upgrade || checked.connect => return Exit::Hyper { io, buffered: buf.freeze() },
            Framing::Chunked => return Exit::Hyper { io, buffered: buf.freeze() },
            Framing::Length(n) if n > BUFFERED_BODY_MAX => return Exit::Hyper { io, buffered: buf.freeze() },
            Framing::Length(n) => n as usize,
            Framing::None => 0,
        };

        // --- parse it into a request ---
        let head = buf.split_to(head_len).freeze();
        let parsed = match parse(&head, scan.leading()) {
            Ok(p) => p,
            Err(Parsed::Reject(v)) => return reject(&mut io, &mut writer, v).await,
            Err(Parsed::Hyper) => {
                let mut all = BytesMut::with_capacity(head.len() + buf.len());
                all.extend_from_slice(&head);
                all.extend_from_slice(&buf);
                return Exit::Hyper { io, buffered: all.freeze() };
            }
        };

        // --- its body ---
        while buf.len() < body_len {
            buf.reserve(body_len - buf.len());
            match io.read_buf(&mut buf).await {
                Ok(0) | Err(_) => {
                    tracing::debug!(missing = body_len - buf.len(), "connection closed inside a request body");
                    return Exit::Closed;
                }
                Ok(_) => {}
            }
        }
        let body = buf.split_to(body_len).freeze();
        let Head { req, keep_alive, wants_trailers } = parsed;
        let req = req.map(|()| RequestBody::buffered(body));
        let version = req.version();

        // --- answer ---
        let resp = match handle(ctx.clone(), req).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        if resp.extensions().get::<DropConnection>().is_some() {
            tracing::debug!(client = %ctx.client, "connection dropped without an answer");
            return Exit::Closed;
        }
        let keep_alive = keep_alive && !*shutting_down.borrow();
        let opts = encode::Options { version, head_method: checked.head_method, keep_alive, wants_trailers };
        match writer.write_response(&mut io, resp, opts).await {
            Ok(true) => {}
            Ok(false) => return Exit::Closed,
            Err(e) => {
                tracing::debug!(error = %e, "writing a response failed");
                return Exit::Closed;
            }
        }
    }
}

/// Reads at least one more byte into `buf`.
async fn read_more<IO: AsyncRead + Unpin>(io: &mut IO, buf: &mut BytesMut) -> io::Result<usize> {
    buf.reserve(READ_CHUNK);
    io.read_buf(buf).await
}

/// Answers a refused head with its status and closes.
async fn reject<IO: AsyncWrite + Unpin>(io: &mut IO, writer: &mut Writer, v: Violation) -> Exit<IO> {
    gate::count_violation(v);
    tracing::debug!(reason = v.as_str(), "rejected request head: {v}");
    if let Err(e) = writer.write_error(io, v.status()).await {
        tracing::debug!(error = %e, "writing a rejection failed");
    }
    Exit::Closed
}

/// A parsed request head, its body still to come.
struct Head {
    req: Request<()>,
    keep_alive: bool,
    wants_trailers: bool,
}

/// Why a validated head is not served here.
enum Parsed {
    Reject(Violation),
    /// Needs hyper (`Expect`).
    Hyper,
}

/// Parses a head the gate validated; header values share `head`'s bytes.
fn parse(head: &Bytes, leading: usize) -> Result<Head, Parsed> {
    // Uninitialized slots: zeroing 100 of them for every request is measurable.
    let mut fields = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut raw = httparse::Request::new(&mut []);
    match raw.parse_with_uninit_headers(&head[leading..], &mut fields) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => return Err(Parsed::Reject(Violation::HeadTooLarge)),
        // The gate's checks are stricter than httparse's; anything else is a plain 400.
        Ok(httparse::Status::Partial) | Err(_) => return Err(Parsed::Reject(Violation::InvalidRequestLine)),
    }
    let bad = Parsed::Reject(Violation::InvalidRequestLine);
    let method = Method::from_bytes(raw.method.unwrap_or_default().as_bytes())
        .map_err(|_| Parsed::Reject(Violation::InvalidMethod))?;
    let path = raw.path.unwrap_or_default();
    let uri = Uri::from_maybe_shared(head.slice_ref(path.as_bytes()))
        .map_err(|_| Parsed::Reject(Violation::InvalidTarget))?;
    let version = if raw.version == Some(0) { Version::HTTP_10 } else { Version::HTTP_11 };
    let mut keep_alive = version == Version::HTTP_11;
    let mut wants_trailers = false;
    let mut builder = Request::builder().method(method).uri(uri).version(version);
    let headers = builder.headers_mut().ok_or(bad)?;
    // Room for the forwarding headers the proxy adds (X-Forwarded-For/-Proto/-Host,
    // X-Request-Id): no rehash on the way upstream.
    headers.reserve(raw.headers.len() + 4);
    for f in raw.headers.iter() {
        let name =
            HeaderName::from_bytes(f.name.as_bytes()).map_err(|_| Parsed::Reject(Violation::InvalidHeaderName))?;
        if name == header::EXPECT {
            return Err(Parsed::Hyper);
        }
        if name == header::CONNECTION {
            for token in f.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && version == Version::HTTP_10 {
                    keep_alive = true;
                }
            }
        } else if name == header::TE {
            wants_trailers = f.value.split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"trailers"));
        }
        // SAFETY-free: the gate allowed only visible ASCII, SP, HTAB and obs-text in values.
        let value = HeaderValue::from_maybe_shared(head.slice_ref(f.value))
            .map_err(|_| Parsed::Reject(Violation::InvalidHeaderValue))?;
        headers.append(name, value);
    }
    let req = builder.body(()).map_err(|_| Parsed::Reject(Violation::InvalidRequestLine))?;
    Ok(Head { req, keep_alive, wants_trailers })
}
