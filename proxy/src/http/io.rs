//! Small I/O adapters for downstream connections.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Replays bytes already read (while sniffing the protocol) before reading from `io`.
#[derive(Debug)]
pub struct Rewind<IO> {
    prefix: Bytes,
    io: IO,
}

impl<IO> Rewind<IO> {
    /// `prefix` is returned by the first reads, then `io`'s bytes.
    pub fn new(prefix: Bytes, io: IO) -> Self {
        Self { prefix, io }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Rewind<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Rewind<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Whether a downstream connection is moving bytes, and how many requests it has in flight.
/// Reads and writes bump a counter (no clock read on the hot path); the idle watchdog samples it.
#[derive(Debug, Default)]
pub struct Activity {
    events: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    /// A fresh connection.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn touch(&self) {
        self.events.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request in flight until the guard drops.
    pub fn request(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        RequestGuard(self.clone())
    }

    fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) > 0
    }
}

/// One request in flight on a connection.
#[derive(Debug)]
pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Records every read and write in an [`Activity`].
#[derive(Debug)]
pub struct Watched<IO> {
    io: IO,
    activity: Arc<Activity>,
}

impl<IO> Watched<IO> {
    /// Wraps `io`.
    pub fn new(io: IO, activity: Arc<Activity>) -> Self {
        Self { io, activity }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if r.is_ready() {
            self.activity.touch();
        }
        r
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if r.is_ready() {
            self.activity.touch();
        }
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if r.is_ready() {
            self.activity.touch();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Samples per idle period: a connection is closed after between `idle` and 1.25 × `idle`
/// without a byte moved or a request in flight.
const IDLE_SAMPLES: u32 = 4;

/// Resolves once `activity` has moved no byte and had no request in flight for `idle`.
pub fn idle_for(activity: &Activity, idle: Duration) -> IdleFor<'_> {
    let step = (idle / IDLE_SAMPLES).max(Duration::from_millis(5));
    IdleFor {
        activity,
        step,
        quiet: 0,
        seen: activity.events.load(Ordering::Relaxed),
        sleep: Box::pin(tokio::time::sleep(step)),
        armed: false,
    }
}

/// The future of [`idle_for`]. It sits beside a connection's serving future in a `select!`,
/// which polls it on every wake-up of the connection (twice per request): until its timer
/// fires, a poll only reads the timer's elapsed flag, because the timer already holds this
/// task's waker.
#[derive(Debug)]
pub struct IdleFor<'a> {
    activity: &'a Activity,
    step: Duration,
    quiet: u32,
    seen: u64,
    sleep: Pin<Box<tokio::time::Sleep>>,
    /// The timer was polled (so holds the waker) since it was last set.
    armed: bool,
}

impl Future for IdleFor<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            if this.armed && !this.sleep.is_elapsed() {
                return Poll::Pending;
            }
            // Out of budget, tokio answers Pending without reaching the timer (so without
            // giving it the waker): only a poll made with budget arms the shortcut above.
            let budget = tokio::task::coop::has_budget_remaining();
            if this.sleep.as_mut().poll(cx).is_pending() {
                this.armed = budget;
                return Poll::Pending;
            }
            let now = this.activity.events.load(Ordering::Relaxed);
            if now != this.seen || this.activity.busy() {
                this.seen = now;
                this.quiet = 0;
            } else {
                this.quiet += 1;
                if this.quiet >= IDLE_SAMPLES {
                    return Poll::Ready(());
                }
            }
            let next = tokio::time::Instant::now() + this.step;
            this.sleep.as_mut().reset(next);
            this.armed = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn prefix_then_stream() {
        let (mut a, b) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut a, b" world").await.unwrap();
        drop(a);
        let mut r = Rewind::new(Bytes::from_static(b"hello"), b);
        let mut s = String::new();
        r.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "hello world");
    }

    #[tokio::test]
    async fn idle_needs_quiet_and_nothing_in_flight() {
        let a = Activity::new();
        let idle = Duration::from_millis(100);
        let g = a.request();
        let r = tokio::time::timeout(Duration::from_millis(300), idle_for(&a, idle)).await;
        assert!(r.is_err(), "a request in flight is never idle");
        drop(g);
        let start = std::time::Instant::now();
        tokio::time::timeout(Duration::from_millis(400), idle_for(&a, idle)).await.expect("idle after ~100ms");
        assert!(start.elapsed() >= idle, "closed early: {:?}", start.elapsed());
        // Bytes moving keep it alive.
        let b = Activity::new();
        let ticker = async {
            for _ in 0..20 {
                b.touch();
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            _ = idle_for(&b, idle) => panic!("idle while bytes were moving"),
            _ = ticker => {}
        }
    }
}
