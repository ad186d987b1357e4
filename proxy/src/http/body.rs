//! Message bodies: the response body rampart sends downstream (bytes it wrote itself, or an
//! upstream body whose connection goes back to its pool when the body ends), and the request
//! body it forwards (streamed by hyper or already read whole).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use pin_project_lite::pin_project;

use crate::endpoint::InFlight;
use crate::http::upstream::h1::RawHead;
use crate::http::upstream::h1_body::H1Body;

/// Error type of response bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pin_project! {
    /// A downstream response body.
    #[project = ProxyBodyProj]
    #[derive(Debug)]
    pub enum ProxyBody {
        /// A body rampart wrote (errors, direct responses, metrics).
        Full { data: Option<Bytes> },
        /// An upstream body from a hyper connection (HTTP/2, upgrades); the endpoint counts it
        /// in flight until it ends.
        Upstream { #[pin] inner: Incoming, in_flight: Option<InFlight> },
        /// An upstream body read by rampart's own HTTP/1.1 client, with the response's header
        /// fields as the origin sent them until a consumer needs a header map (see
        /// [`RawHead`]). They ride here rather than in the response's extensions, which would
        /// cost a map allocation per response; boxed, as the body is moved several times.
        H1 { body: H1Body, raw: Option<Box<RawHead>> },
        /// Bytes already read (inspected by the WAF), then the rest of the body.
        Prefixed { prefix: Option<Bytes>, rest: Box<ProxyBody> },
    }
}

impl ProxyBody {
    /// A body of `data`.
    pub fn full(data: impl Into<Bytes>) -> Self {
        let data: Bytes = data.into();
        Self::Full { data: if data.is_empty() { None } else { Some(data) } }
    }

    /// No body.
    pub fn empty() -> Self {
        Self::Full { data: None }
    }

    /// An upstream body, counted in flight on its endpoint until it ends.
    pub fn upstream(inner: Incoming, in_flight: InFlight) -> Self {
        // With nothing to read the exchange is over now: hyper may never poll this body.
        let in_flight = (!inner.is_end_stream()).then_some(in_flight);
        Self::Upstream { inner, in_flight }
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project() {
            ProxyBodyProj::Full { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            ProxyBodyProj::Upstream { mut inner, in_flight } => {
                let r = inner.as_mut().poll_frame(cx);
                // The exchange ends at the last frame, an error, or when the body says it has
                // ended (hyper stops polling then, so a `None` may never be asked for).
                if matches!(r, Poll::Ready(None | Some(Err(_)))) || inner.is_end_stream() {
                    in_flight.take();
                }
                r.map_err(|e| Box::new(e) as BoxError)
            }
            ProxyBodyProj::H1 { body, .. } => Pin::new(body).poll_frame(cx),
            ProxyBodyProj::Prefixed { prefix, rest } => match prefix.take() {
                Some(p) => Poll::Ready(Some(Ok(Frame::data(p)))),
                None => Pin::new(&mut **rest).poll_frame(cx),
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full { data } => data.is_none(),
            Self::Upstream { inner, .. } => inner.is_end_stream(),
            Self::H1 { body, .. } => body.is_end_stream(),
            Self::Prefixed { prefix, rest } => prefix.is_none() && rest.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full { data } => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            Self::Upstream { inner, .. } => inner.size_hint(),
            Self::H1 { body, .. } => body.size_hint(),
            Self::Prefixed { prefix, rest } => {
                let p = prefix.as_ref().map_or(0, |b| b.len() as u64);
                let r = rest.size_hint();
                let mut h = SizeHint::new();
                h.set_lower(r.lower() + p);
                if let Some(u) = r.upper() {
                    h.set_upper(u + p);
                }
                h
            }
        }
    }
}

pin_project! {
    /// A downstream request body: streamed by hyper (HTTP/2, and HTTP/1 requests the lean
    /// server hands to hyper), or read whole by rampart's own HTTP/1.1 server.
    #[project = RequestBodyProj]
    #[derive(Debug)]
    pub enum RequestBody {
        /// A body hyper reads.
        Hyper { #[pin] inner: Incoming },
        /// A body already in memory (possibly empty).
        Buffered { data: Option<Bytes> },
    }
}

impl RequestBody {
    /// A body hyper reads.
    pub fn hyper(inner: Incoming) -> Self {
        Self::Hyper { inner }
    }

    /// A body already read.
    pub fn buffered(data: Bytes) -> Self {
        Self::Buffered { data: if data.is_empty() { None } else { Some(data) } }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.project() {
            RequestBodyProj::Hyper { inner } => inner.poll_frame(cx),
            RequestBodyProj::Buffered { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Hyper { inner } => inner.is_end_stream(),
            Self::Buffered { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Hyper { inner } => inner.size_hint(),
            Self::Buffered { data } => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
        }
    }
}
