//! The response body rampart sends downstream: bytes it wrote itself, or an upstream body
//! whose connection goes back to its pool when the body ends.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use pin_project_lite::pin_project;

use crate::endpoint::InFlight;
use crate::http::upstream::h1_body::H1Body;

/// Error type of response bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Keeps an upstream exchange accounted for until its response body ends.
#[derive(Debug)]
pub struct ExchangeGuard {
    /// The endpoint's in-flight count.
    pub in_flight: InFlight,
}

impl ExchangeGuard {
    fn finish(self) {}
}

pin_project! {
    /// A downstream response body.
    #[project = ProxyBodyProj]
    #[derive(Debug)]
    pub enum ProxyBody {
        /// A body rampart wrote (errors, direct responses, metrics).
        Full { data: Option<Bytes> },
        /// An upstream body from a hyper connection (HTTP/2, upgrades).
        Upstream { #[pin] inner: Incoming, guard: Option<ExchangeGuard> },
        /// An upstream body read by rampart's own HTTP/1.1 client.
        H1 { body: H1Body },
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

    /// An upstream body; `guard` is released when it ends.
    pub fn upstream(inner: Incoming, guard: ExchangeGuard) -> Self {
        if inner.is_end_stream() {
            // Nothing to read: the exchange is over now (hyper may never poll this body).
            guard.finish();
            return Self::Upstream { inner, guard: None };
        }
        Self::Upstream { inner, guard: Some(guard) }
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project() {
            ProxyBodyProj::Full { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            ProxyBodyProj::Upstream { mut inner, guard } => match inner.as_mut().poll_frame(cx) {
                Poll::Ready(None) => {
                    if let Some(g) = guard.take() {
                        g.finish();
                    }
                    Poll::Ready(None)
                }
                Poll::Ready(Some(Err(e))) => {
                    // Broken upstream body: drop the connection rather than pool it.
                    guard.take();
                    Poll::Ready(Some(Err(Box::new(e))))
                }
                Poll::Ready(Some(Ok(frame))) => {
                    // hyper stops polling once the body says it has ended, so the exchange
                    // is finished here rather than at a `None` that may never be asked for.
                    if inner.is_end_stream() {
                        if let Some(g) = guard.take() {
                            g.finish();
                        }
                    }
                    Poll::Ready(Some(Ok(frame)))
                }
                Poll::Pending => Poll::Pending,
            },
            ProxyBodyProj::H1 { body } => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full { data } => data.is_none(),
            Self::Upstream { inner, .. } => inner.is_end_stream(),
            Self::H1 { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full { data } => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            Self::Upstream { inner, .. } => inner.size_hint(),
            Self::H1 { body } => body.size_hint(),
        }
    }
}
