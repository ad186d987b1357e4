//! Pipes and splice(2): moving socket bytes through the kernel without copying them to user
//! space (Linux only).
//!
//! A [`Pipe`] is the kernel buffer between `splice(socket -> pipe)` and
//! `splice(pipe -> socket)`; both ends are non-blocking, so every call returns `WouldBlock`
//! instead of waiting, and the caller waits for socket readiness through tokio.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Pipe capacity asked for (`F_SETPIPE_SZ`); the kernel's default (64 KiB) is kept when the
/// request is refused (`/proc/sys/fs/pipe-max-size`, per-user pipe page limits). Measured on
/// loopback iperf3: 1 MiB costs the least CPU per byte but moves bytes in bursts large enough
/// to stall the sender; 256 KiB gave the best throughput.
pub const PIPE_SIZE: usize = 256 * 1024;

/// A non-blocking pipe.
#[derive(Debug)]
pub struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
    capacity: usize,
}

impl Pipe {
    /// A new pipe of about `size` bytes.
    pub fn new(size: usize) -> io::Result<Self> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let want = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
        // SAFETY: F_SETPIPE_SZ / F_GETPIPE_SZ on a pipe descriptor we own; no pointers involved.
        let capacity = unsafe {
            let _ = libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, want);
            libc::fcntl(write.as_raw_fd(), libc::F_GETPIPE_SZ)
        };
        let capacity = usize::try_from(capacity).unwrap_or(64 * 1024).max(4096);
        Ok(Self { read, write, capacity })
    }

    /// Bytes the pipe holds at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The read end.
    pub fn read_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// The write end.
    pub fn write_fd(&self) -> RawFd {
        self.write.as_raw_fd()
    }
}

/// Moves up to `len` bytes from `from` to `to` (one of them a pipe), never blocking.
/// `more` hints that more data follows (`SPLICE_F_MORE`, like `MSG_MORE`).
pub fn splice(from: RawFd, to: RawFd, len: usize, more: bool) -> io::Result<usize> {
    let mut flags = libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK;
    if more {
        flags |= libc::SPLICE_F_MORE;
    }
    // SAFETY: null offsets ask splice to use (and advance) the descriptors' own positions; the
    // descriptors are borrowed from live sockets and pipes for the duration of the call.
    let n = unsafe { libc::splice(from, std::ptr::null_mut(), to, std::ptr::null_mut(), len, flags) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    use super::*;

    #[test]
    fn bytes_cross_a_pipe_between_sockets() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (b, _) = l.accept().unwrap();
        let l2 = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l2.local_addr().unwrap()).unwrap();
        let (mut d, _) = l2.accept().unwrap();
        let pipe = Pipe::new(PIPE_SIZE).unwrap();
        assert!(pipe.capacity() >= 64 * 1024);
        a.write_all(b"hello, splice").unwrap();
        b.set_nonblocking(true).unwrap();
        let n = loop {
            match splice(b.as_raw_fd(), pipe.write_fd(), pipe.capacity(), false) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                r => break r.unwrap(),
            }
        };
        assert_eq!(n, 13);
        assert_eq!(splice(pipe.read_fd(), c.as_raw_fd(), n, false).unwrap(), 13);
        let mut got = [0u8; 13];
        d.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello, splice");
        let e = splice(b.as_raw_fd(), pipe.write_fd(), 100, false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "non-blocking on an empty socket");
    }
}
