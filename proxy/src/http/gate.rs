//! PLACEHOLDER passthrough: replaced by the gate branch.
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::http::io::Rewind;

/// Gate settings.
#[derive(Debug, Clone, Copy)]
pub struct GateConfig {
    /// Largest request head.
    pub max_head_bytes: usize,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self { max_head_bytes: 64 * 1024 }
    }
}

/// Passthrough placeholder.
#[derive(Debug)]
pub struct Gate<IO>(Rewind<IO>);

impl<IO: AsyncRead + AsyncWrite + Unpin> Gate<IO> {
    /// Wraps `io`.
    pub fn new(io: IO, prefix: Bytes, _config: GateConfig) -> Self {
        Self(Rewind::new(prefix, io))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Gate<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Gate<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
