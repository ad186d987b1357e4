//! Moving bytes both ways between a client and an endpoint, in one task, until both
//! directions have ended.
//!
//! Each direction ([`Half`]) starts in copy mode: `recv` into a 16 KiB buffer and `send` it
//! on, the cheapest path for small exchanges. When a read fills the whole buffer (a bulk
//! transfer), the direction switches for good to splice(2) through a pipe on Linux: the bytes
//! then never enter user space, which is what doubles bulk throughput. Elsewhere it stays in
//! copy mode.
//!
//! Both sockets are driven through tokio readiness (`poll_*_ready` + `try_io`), one system
//! call per move. A copy read that returns less than the buffer clears the read readiness
//! without the extra `recv` that would only say `EAGAIN`: TCP reads stop short only when the
//! receive queue is empty (or at a FIN, which tokio keeps as a `READ_CLOSED` readiness that is
//! never cleared), and new data raises a new edge. HAProxy does the same (`fd_cant_recv`).
//!
//! A half ends when its source has sent FIN and everything read was written: the destination
//! then gets a FIN too (`shutdown(SHUT_WR)`), so half-closed protocols work.

use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::io::Interest;
use tokio::net::TcpStream;

#[cfg(target_os = "linux")]
use super::splice::{self, Pipe};

/// Copy-mode buffer per direction; a read that fills it switches the direction to splice.
pub const COPY_BUFFER: usize = 16 * 1024;

/// Both directions of one connection.
#[derive(Debug)]
pub struct Forward<'a> {
    client: &'a TcpStream,
    upstream: &'a TcpStream,
    up: Half,
    down: Half,
    events: u64,
}

/// One direction: bytes read from a source and not yet written to the destination.
#[derive(Debug)]
pub struct Half {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    #[cfg(target_os = "linux")]
    pipe: Option<Pipe>,
    /// Bytes in the pipe.
    #[cfg(target_os = "linux")]
    piped: usize,
    /// A read filled the buffer: splice from the next read on.
    bulk: bool,
    /// The source sent FIN.
    eof: bool,
    /// The destination got its FIN: this direction is over.
    done: bool,
    bytes: Arc<AtomicU64>,
}

impl Half {
    /// A direction whose forwarded bytes are added to `bytes`, and that first writes
    /// `prefix` (a PROXY protocol header, bytes read ahead of the data) to its destination.
    pub fn new(bytes: Arc<AtomicU64>, prefix: &[u8]) -> Self {
        let mut buf = vec![0u8; COPY_BUFFER.max(prefix.len())].into_boxed_slice();
        buf[..prefix.len()].copy_from_slice(prefix);
        Self {
            buf,
            start: 0,
            end: prefix.len(),
            #[cfg(target_os = "linux")]
            pipe: None,
            #[cfg(target_os = "linux")]
            piped: 0,
            bulk: false,
            eof: false,
            done: false,
            bytes,
        }
    }

    /// True once this direction switched to splice(2).
    pub fn is_spliced(&self) -> bool {
        #[cfg(target_os = "linux")]
        return self.pipe.is_some();
        #[cfg(not(target_os = "linux"))]
        false
    }

    /// Moves bytes from `src` to `dst` until both would block (Pending) or the direction is
    /// over (Ready). `events` counts every move, for the idle timeout.
    fn poll_move(
        &mut self,
        cx: &mut Context<'_>,
        src: &TcpStream,
        dst: &TcpStream,
        events: &mut u64,
    ) -> Poll<io::Result<()>> {
        loop {
            // Write out what is pending first.
            if self.start < self.end {
                ready!(dst.poll_write_ready(cx))?;
                let chunk = &self.buf[self.start..self.end];
                match dst.try_io(Interest::WRITABLE, || send(dst, chunk)) {
                    Ok(n) => self.wrote(n, events),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Poll::Ready(Err(e)),
                }
                continue;
            }
            #[cfg(target_os = "linux")]
            if let Some(pipe) = self.pipe.as_ref().filter(|_| self.piped > 0) {
                ready!(dst.poll_write_ready(cx))?;
                let (from, len) = (pipe.read_fd(), self.piped);
                match dst.try_io(Interest::WRITABLE, || splice::splice(from, dst.as_raw_fd(), len, false)) {
                    Ok(n) => {
                        self.piped -= n;
                        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
                        *events += 1;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Poll::Ready(Err(e)),
                }
                continue;
            }
            if self.eof {
                if !self.done {
                    self.done = true;
                    // The peer may be gone already; the other direction reports real errors.
                    let _ = socket2::SockRef::from(dst).shutdown(Shutdown::Write);
                }
                return Poll::Ready(Ok(()));
            }
            // Then read.
            ready!(src.poll_read_ready(cx))?;
            #[cfg(target_os = "linux")]
            if self.bulk && self.pipe.is_none() {
                match Pipe::new(splice::PIPE_SIZE) {
                    Ok(p) => self.pipe = Some(p),
                    Err(error) => {
                        // Out of descriptors or pipe pages: copying still works.
                        tracing::debug!(%error, "no pipe for splice; copying");
                        self.bulk = false;
                    }
                }
            }
            #[cfg(target_os = "linux")]
            if let Some(pipe) = &self.pipe {
                let (to, cap) = (pipe.write_fd(), pipe.capacity());
                match src.try_io(Interest::READABLE, || splice::splice(src.as_raw_fd(), to, cap, false)) {
                    Ok(0) => self.eof = true,
                    Ok(n) => {
                        self.piped = n;
                        *events += 1;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Poll::Ready(Err(e)),
                }
                continue;
            }
            match read_drained(src, &mut self.buf) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    (self.start, self.end) = (0, n);
                    self.bulk = n == self.buf.len();
                    *events += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn wrote(&mut self, n: usize, events: &mut u64) {
        self.start += n;
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        *events += 1;
    }
}

/// `recv` into `buf`; a short read also clears the read readiness (see the module docs).
fn read_drained(src: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let mut short = 0;
    let r = src.try_io(Interest::READABLE, || {
        let n = recv(src, buf)?;
        if n > 0 && n < buf.len() {
            short = n;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    });
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock && short > 0 => Ok(short),
        r => r,
    }
}

// On Linux `recv` and `send` are made as raw system calls: glibc's wrappers are thread
// cancellation points and bracket every call with cancellation bookkeeping, about 1% of the
// proxy's CPU on small exchanges, and rampart never cancels threads. `syscall` sets `errno` as
// the wrappers do. Integer arguments are widened to `long`, the width `syscall` reads.

fn recv(s: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` writable bytes; the descriptor is a live socket;
    // recvfrom with null address arguments is recv.
    #[cfg(target_os = "linux")]
    let n = unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            libc::c_long::from(s.as_raw_fd()),
            buf.as_mut_ptr(),
            buf.len(),
            0 as libc::c_long,
            std::ptr::null_mut::<libc::sockaddr>(),
            std::ptr::null_mut::<libc::socklen_t>(),
        )
    };
    // SAFETY: as above.
    #[cfg(not(target_os = "linux"))]
    let n = unsafe { libc::recv(s.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

fn send(s: &TcpStream, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` readable bytes; the descriptor is a live socket.
    // MSG_NOSIGNAL: a closed peer is an EPIPE error, not a SIGPIPE. sendto with a null
    // address is send.
    #[cfg(target_os = "linux")]
    let n = unsafe {
        libc::syscall(
            libc::SYS_sendto,
            libc::c_long::from(s.as_raw_fd()),
            buf.as_ptr(),
            buf.len(),
            libc::c_long::from(libc::MSG_NOSIGNAL),
            std::ptr::null::<libc::sockaddr>(),
            0 as libc::c_long,
        )
    };
    // SAFETY: as above.
    #[cfg(not(target_os = "linux"))]
    let n = unsafe { libc::send(s.as_raw_fd(), buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

// === impl Forward ===

impl<'a> Forward<'a> {
    /// Forwards `client` <-> `upstream`; `up` carries client bytes, `down` endpoint bytes.
    pub fn new(client: &'a TcpStream, upstream: &'a TcpStream, up: Half, down: Half) -> Self {
        Self { client, upstream, up, down, events: 0 }
    }

    /// Moves so far (reads and writes), for idle detection.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Whether each direction (up, down) switched to splice.
    pub fn spliced(&self) -> (bool, bool) {
        (self.up.is_spliced(), self.down.is_spliced())
    }
}

impl Future for Forward<'_> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let up = if this.up.done {
            true
        } else {
            this.up.poll_move(cx, this.client, this.upstream, &mut this.events)?.is_ready()
        };
        let down = if this.down.done {
            true
        } else {
            this.down.poll_move(cx, this.upstream, this.client, &mut this.events)?.is_ready()
        };
        if up && down {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    async fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (b, _) = l.accept().await.unwrap();
        (a, b)
    }

    #[tokio::test]
    async fn small_and_bulk_both_ways_with_half_close() {
        let (mut client, proxy_client) = pair().await;
        let (proxy_up, mut server) = pair().await;
        let (bin, bout) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let task = tokio::spawn({
            let (bin, bout) = (bin.clone(), bout.clone());
            async move {
                let mut f = Forward::new(&proxy_client, &proxy_up, Half::new(bin, b"HDR "), Half::new(bout, b""));
                (&mut f).await.unwrap();
                f.spliced()
            }
        });
        client.write_all(b"ping").await.unwrap();
        let mut got = [0u8; 8];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"HDR ping", "prefix first, then the client's bytes");
        // 4 MiB down: the down direction switches to splice on Linux.
        let big: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
        let writer = tokio::spawn({
            let big = big.clone();
            async move {
                server.write_all(&big).await.unwrap();
                server.shutdown().await.unwrap();
                let mut rest = Vec::new();
                server.read_to_end(&mut rest).await.unwrap();
                rest
            }
        });
        let mut down = vec![0u8; big.len()];
        client.read_exact(&mut down).await.unwrap();
        assert!(down == big, "bulk bytes arrive intact and in order");
        assert_eq!(client.read(&mut [0u8; 1]).await.unwrap(), 0, "the server's FIN is passed on");
        // Half-closed: the client can still talk after the server finished.
        client.write_all(b"after").await.unwrap();
        client.shutdown().await.unwrap();
        assert_eq!(writer.await.unwrap(), b"after");
        let (up_spliced, down_spliced) = task.await.unwrap();
        assert!(!up_spliced);
        assert_eq!(down_spliced, cfg!(target_os = "linux"));
        assert_eq!(bin.load(Ordering::Relaxed), 4 + 4 + 5);
        assert_eq!(bout.load(Ordering::Relaxed), big.len() as u64);
    }
}
