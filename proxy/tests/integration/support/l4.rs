//! L4 fixtures: TCP backends that name themselves and echo, a backend that records the raw
//! bytes it receives, UDP echo backends, and clients bound to chosen loopback source addresses.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

/// A TCP backend: on each connection it writes `"{name}\n"`, then echoes every byte until
/// the client closes. Dropping (or [`TcpBackend::kill`]) stops it and every connection.
#[derive(Debug)]
pub struct TcpBackend {
    pub addr: SocketAddr,
    pub name: String,
    /// Connections accepted.
    pub connections: Arc<AtomicUsize>,
    /// The first bytes of each connection (up to 256, read within 200 ms), when recording.
    pub first_bytes: Arc<Mutex<Vec<Vec<u8>>>>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl TcpBackend {
    /// An echo backend named `name`.
    pub async fn start(name: &str) -> Self {
        Self::spawn(name, false).await
    }

    /// A backend that records what each connection sends first (PROXY headers), then echoes.
    pub async fn recording(name: &str) -> Self {
        Self::spawn(name, true).await
    }

    async fn spawn(name: &str, record: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind backend");
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let first_bytes = Arc::new(Mutex::new(Vec::new()));
        let tasks = Arc::new(Mutex::new(Vec::new()));
        let (c, f, t, n) = (connections.clone(), first_bytes.clone(), tasks.clone(), name.to_owned());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else { return };
                c.fetch_add(1, Ordering::SeqCst);
                let (f, n) = (f.clone(), n.clone());
                let task = tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    if record {
                        let mut got = Vec::new();
                        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
                        while got.len() < 256 {
                            match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
                                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                                Ok(Ok(k)) => got.extend_from_slice(&buf[..k]),
                            }
                        }
                        f.lock().unwrap().push(got);
                    }
                    if s.write_all(format!("{n}\n").as_bytes()).await.is_err() {
                        return;
                    }
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => {
                                if s.write_all(&buf[..k]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
                t.lock().unwrap().push(task);
            }
        });
        tasks.lock().unwrap().push(accept);
        Self { addr, name: name.to_owned(), connections, first_bytes, tasks }
    }

    /// Stops listening and resets every open connection.
    pub fn kill(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TcpBackend {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A client connection through the proxy, with the name of the backend that took it.
pub struct Conn {
    pub reader: BufReader<TcpStream>,
    pub backend: String,
}

impl Conn {
    /// Connects to `addr` (from `source` when given) and reads the backend's name line.
    pub async fn open(addr: SocketAddr, source: Option<IpAddr>) -> Self {
        Self::try_open(addr, source).await.unwrap_or_else(|e| panic!("connection through {addr}: {e}"))
    }

    /// As [`Conn::open`], but a failure is returned (closed before the name line, timeout).
    pub async fn try_open(addr: SocketAddr, source: Option<IpAddr>) -> Result<Self, String> {
        let stream = connect_from(addr, source).await.map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        match tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line)).await {
            Ok(Ok(0)) => Err("closed before the backend's name".into()),
            Ok(Ok(_)) => Ok(Self { reader, backend: line.trim_end().to_owned() }),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no backend name within 5 s".into()),
        }
    }

    /// Sends `msg` and reads the echo back.
    pub async fn echo(&mut self, msg: &[u8]) -> Result<(), String> {
        self.reader.get_mut().write_all(msg).await.map_err(|e| e.to_string())?;
        let mut back = vec![0u8; msg.len()];
        match tokio::time::timeout(Duration::from_secs(5), self.reader.read_exact(&mut back)).await {
            Ok(Ok(_)) if back == msg => Ok(()),
            Ok(Ok(_)) => Err("echo differs".into()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no echo within 5 s".into()),
        }
    }

    /// Waits up to `limit` for the proxy to close the connection.
    pub async fn closed_within(&mut self, limit: Duration) -> bool {
        let mut b = [0u8; 1];
        matches!(tokio::time::timeout(limit, self.reader.read(&mut b)).await, Ok(Ok(0)) | Ok(Err(_)))
    }
}

/// A TCP connection to `addr` from `source` (any loopback address works on Linux).
pub async fn connect_from(addr: SocketAddr, source: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    tokio::time::timeout(Duration::from_secs(5), socket.connect(addr))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))?
}

/// The n-th distinct loopback client address: 127.1.x.y.
pub fn client_ip(n: usize) -> IpAddr {
    IpAddr::from([127, 1, (n / 250) as u8, (n % 250 + 1) as u8])
}

/// A UDP backend answering each datagram with `"{name}|{payload}"` after a pseudo-random
/// delay of up to 5 ms, so answers to different clients interleave.
#[derive(Debug)]
pub struct UdpEcho {
    pub addr: SocketAddr,
    pub received: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl UdpEcho {
    pub async fn start(name: &str) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp backend");
        proxy::l4::udp::grow_receive_buffer(&socket2::SockRef::from(&socket), 4 << 20);
        let socket = Arc::new(socket);
        let addr = socket.local_addr().unwrap();
        let received = Arc::new(AtomicUsize::new(0));
        let (r, name) = (received.clone(), name.to_owned());
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else { return };
                let k = r.fetch_add(1, Ordering::SeqCst);
                let mut reply = format!("{name}|").into_bytes();
                reply.extend_from_slice(&buf[..n]);
                let s = socket.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_micros((k as u64 * 7919) % 5000)).await;
                    let _ = s.send_to(&reply, from).await;
                });
            }
        });
        Self { addr, received, task }
    }
}

impl Drop for UdpEcho {
    fn drop(&mut self) {
        self.task.abort();
    }
}
