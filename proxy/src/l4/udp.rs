//! UDP listeners: a flow per client address, each with its own socket connected to the
//! endpoint the flow was balanced to, so replies map back to their client without any
//! parsing. Replies leave from the address the client sent to (`IP_PKTINFO`), so a client
//! that checks the source (every DNS resolver) accepts them even on a wildcard listener.
//!
//! One task per listener reads client datagrams and owns the flow table; one task per flow
//! relays the endpoint's replies. A flow ends after `timeouts.flow_idle` without a datagram
//! either way, at a drain deadline, or when the endpoint refuses (ICMP port unreachable);
//! the client's next datagram then starts a new flow. A removed listener takes no new flows
//! and keeps its socket until its flows end or drain.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use socket2::{SockAddr, SockRef};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::stats::{EndpointStats, Open};
use super::L4Listener;
use crate::endpoint::{now_ms, EndpointState, InFlight};
use crate::Shared;

/// Largest datagram relayed (the UDP maximum).
const MAX_DATAGRAM: usize = 65_536;

/// One client's flow.
#[derive(Debug)]
struct Flow {
    upstream: Arc<UdpSocket>,
    endpoint: Arc<EndpointState>,
    stats: Arc<EndpointStats>,
    /// `now_ms()` of the last datagram either way.
    seen: Arc<AtomicU64>,
    /// The endpoint refused (ICMP unreachable): replace the flow on the next datagram.
    dead: Arc<AtomicBool>,
    deadline: Option<Instant>,
    replies: JoinHandle<()>,
    _open: Open,
    _in_flight: InFlight,
}

impl Drop for Flow {
    fn drop(&mut self) {
        self.replies.abort();
    }
}

/// Sets the socket option that reports each datagram's destination address.
pub fn enable_pktinfo(socket: &SockRef<'_>, addr: SocketAddr) -> io::Result<()> {
    let (level, name) = match addr {
        SocketAddr::V4(_) => (libc::IPPROTO_IP, libc::IP_PKTINFO),
        SocketAddr::V6(_) => (libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO),
    };
    let on: libc::c_int = 1;
    // SAFETY: a valid int option value of the right size, on a socket we own.
    let r = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Asks for a receive buffer of `bytes`: beyond `net.core.rmem_max` when privileged
/// (`SO_RCVBUFFORCE`), else as much as `SO_RCVBUF` allows.
pub fn grow_receive_buffer(socket: &SockRef<'_>, bytes: usize) {
    let v = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: a valid int option value of the right size, on a socket we own.
    let forced = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&v as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if forced != 0 {
        let _ = socket.set_recv_buffer_size(bytes);
    }
}

/// Serves UDP listener `name` until `stop` turns true, then drains its flows.
pub async fn serve(socket: UdpSocket, name: Arc<str>, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let socket = Arc::new(socket);
    // A socket bound to one address answers from it anyway; a wildcard one must say which.
    let wildcard = socket.local_addr().is_ok_and(|a| a.ip().is_unspecified());
    let mut flows: HashMap<SocketAddr, Flow> = HashMap::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut swaps = shared.registries.l4.subscribe();
    let mut last = shared.runtime.load().l4.listener(&name).cloned();
    let mut stopping: Option<Instant> = None;
    let mut reap = tokio::time::interval(reap_period(last.as_deref()));
    loop {
        tokio::select! {
            r = recv_from_to(&socket, &mut buf) => match r {
                Ok((n, client, to)) => {
                    let current = shared.runtime.load().l4.listener(&name).cloned();
                    if let Some(l) = current.filter(|_| stopping.is_none()) {
                        last = Some(l);
                    }
                    let Some(l) = &last else { continue };
                    let to = if wildcard { to } else { None };
                    datagram(&buf[..n], client, to, l, stopping.is_none(), &socket, &mut flows);
                }
                Err(error) => {
                    tracing::debug!(listener = %name, %error, "UDP receive failed");
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            },
            _ = reap.tick() => {
                if let Some(l) = &last {
                    reap_flows(&mut flows, l);
                }
                if stopping.is_some_and(|d| Instant::now() >= d) || (stopping.is_some() && flows.is_empty()) {
                    break;
                }
            }
            r = swaps.changed(), if is_open(&swaps) => {
                if r.is_ok() {
                    if let Some(l) = shared.runtime.load().l4.listener(&name).filter(|_| stopping.is_none()) {
                        last = Some(l.clone());
                    }
                    mark_drains(&shared, &mut flows, last.as_deref());
                    reap = tokio::time::interval(reap_period(last.as_deref()));
                }
            }
            _ = crate::stopped(&mut stop), if stopping.is_none() => {
                let drain = last.as_ref().map_or(Duration::ZERO, |l| l.config.timeouts.drain.get());
                tracing::info!(listener = %name, flows = flows.len(), ?drain, "UDP listener removed; draining its flows");
                stopping = Some(Instant::now() + drain);
            }
        }
    }
    if let Some(l) = &last {
        l.stats.drain_closed.fetch_add(flows.len() as u64, Ordering::Relaxed);
    }
    tracing::info!(listener = %name, "UDP listener stopped");
}

/// False once the swap channel is closed (the proxy is gone), to stop polling it.
fn is_open(rx: &watch::Receiver<u64>) -> bool {
    rx.has_changed().is_ok()
}

/// How often flows are checked for idleness and drain deadlines: a quarter of the shorter
/// of the two timeouts, between 10 ms and 5 s.
fn reap_period(l: Option<&L4Listener>) -> Duration {
    let t = l.map_or(Duration::from_secs(30), |l| l.config.timeouts.flow_idle.get().min(l.config.timeouts.drain.get()));
    (t / 4).clamp(Duration::from_millis(10), Duration::from_secs(5))
}

/// Forwards one client datagram, starting a flow for a new client.
fn datagram(
    data: &[u8],
    client: SocketAddr,
    to: Option<IpAddr>,
    l: &Arc<L4Listener>,
    accept_new: bool,
    socket: &Arc<UdpSocket>,
    flows: &mut HashMap<SocketAddr, Flow>,
) {
    if flows.get(&client).is_some_and(|f| f.dead.load(Ordering::Relaxed)) {
        flows.remove(&client);
    }
    let flow = match flows.entry(client) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) => {
            if !accept_new {
                return;
            }
            let open = l.stats.active.load(Ordering::Relaxed);
            if l.config.max_connections.is_some_and(|max| open >= i64::from(max)) {
                super::tcp::refuse(l, client);
                return;
            }
            match start_flow(client, to, l, socket) {
                Ok(f) => e.insert(f),
                Err(error) => {
                    l.stats.no_endpoint.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(listener = %l.name, %client, %error, "no flow for datagram");
                    return;
                }
            }
        }
    };
    flow.seen.store(now_ms(), Ordering::Relaxed);
    match send_now(flow.upstream.as_raw_fd(), data) {
        Ok(n) => {
            flow.stats.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
        }
        // A full socket buffer drops the datagram, as the network would.
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(error) => {
            tracing::debug!(listener = %l.name, %client, endpoint = %flow.endpoint.address, %error, "UDP send failed");
            if error.kind() == io::ErrorKind::ConnectionRefused {
                flow.dead.store(true, Ordering::Relaxed);
            }
        }
    }
}

fn start_flow(
    client: SocketAddr,
    to: Option<IpAddr>,
    l: &Arc<L4Listener>,
    socket: &Arc<UdpSocket>,
) -> io::Result<Flow> {
    let svc = &l.service;
    let index =
        svc.pick(client.ip(), None).ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no available endpoint"))?;
    let endpoint = svc.service.balancer.endpoints()[index].clone();
    let stats = svc.endpoint_stats[index].clone();
    let local: SocketAddr =
        if endpoint.address.is_ipv4() { (Ipv4Addr::UNSPECIFIED, 0).into() } else { (Ipv6Addr::UNSPECIFIED, 0).into() };
    let std_socket = std::net::UdpSocket::bind(local)?;
    std_socket.connect(endpoint.address)?;
    std_socket.set_nonblocking(true)?;
    let upstream = Arc::new(UdpSocket::from_std(std_socket)?);
    let mut open = Open::listener(l.stats.clone());
    open.set_endpoint(stats.clone());
    let seen = Arc::new(AtomicU64::new(now_ms()));
    let dead = Arc::new(AtomicBool::new(false));
    let relay = Relay {
        upstream: upstream.clone(),
        listener: socket.clone(),
        client,
        from: to,
        seen: seen.clone(),
        dead: dead.clone(),
        endpoint: endpoint.clone(),
        bytes: stats.bytes_out.clone(),
        outlier: svc.service.config.outlier,
    };
    let replies = tokio::spawn(relay.run());
    tracing::debug!(listener = %l.name, %client, endpoint = %endpoint.address, "UDP flow started");
    Ok(Flow {
        upstream,
        _in_flight: endpoint.start_request(),
        endpoint,
        stats,
        seen,
        dead,
        deadline: None,
        replies,
        _open: open,
    })
}

/// Forgets flows idle for `flow_idle` or past their drain deadline.
fn reap_flows(flows: &mut HashMap<SocketAddr, Flow>, l: &L4Listener) {
    let idle = l.config.timeouts.flow_idle.get().as_millis() as u64;
    let (now, now_i) = (now_ms(), Instant::now());
    flows.retain(|client, f| {
        if f.deadline.is_some_and(|d| now_i >= d) {
            l.stats.drain_closed.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(listener = %l.name, %client, "UDP flow drained");
            return false;
        }
        let idle_for = now.saturating_sub(f.seen.load(Ordering::Relaxed));
        if idle_for > idle {
            l.stats.idle_closed.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        true
    });
}

/// After a swap: flows whose listener or endpoint is gone get a drain deadline.
fn mark_drains(shared: &Shared, flows: &mut HashMap<SocketAddr, Flow>, l: Option<&L4Listener>) {
    let Some(l) = l else { return };
    let rt = shared.runtime.load();
    let drain = rt.l4.listener(&l.name).map_or(l.config.timeouts.drain, |n| n.config.timeouts.drain).get();
    for f in flows.values_mut() {
        let keep =
            rt.l4.keeps(&l.name, l.config.address, l.config.protocol, &l.service.service.name, f.endpoint.address);
        if keep {
            f.deadline = None;
        } else if f.deadline.is_none() {
            f.deadline = Some(Instant::now() + drain);
        }
    }
}

/// Relays one flow's replies to its client.
struct Relay {
    upstream: Arc<UdpSocket>,
    listener: Arc<UdpSocket>,
    client: SocketAddr,
    from: Option<IpAddr>,
    seen: Arc<AtomicU64>,
    dead: Arc<AtomicBool>,
    endpoint: Arc<EndpointState>,
    bytes: Arc<AtomicU64>,
    outlier: model::Outlier,
}

impl Relay {
    async fn run(self) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            match self.upstream.recv(&mut buf).await {
                Ok(n) => {
                    self.seen.store(now_ms(), Ordering::Relaxed);
                    self.endpoint.record_success();
                    let sent = self
                        .listener
                        .async_io(Interest::WRITABLE, || {
                            send_from(self.listener.as_raw_fd(), &buf[..n], self.client, self.from)
                        })
                        .await;
                    match sent {
                        Ok(n) => {
                            self.bytes.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(error) => tracing::debug!(client = %self.client, %error, "UDP reply not sent"),
                    }
                }
                Err(error) => {
                    // ICMP port unreachable: nothing listens on the endpoint.
                    if error.kind() == io::ErrorKind::ConnectionRefused {
                        self.endpoint
                            .record_failure(self.outlier.consecutive_failures, self.outlier.ejection_time.get());
                        self.dead.store(true, Ordering::Relaxed);
                    }
                    tracing::debug!(client = %self.client, endpoint = %self.endpoint.address, %error, "UDP flow ended");
                    return;
                }
            }
        }
    }
}

/// Sends on a connected UDP socket without waiting: a full buffer is `WouldBlock` (and the
/// datagram dropped). Tokio's write readiness is not consulted: a new socket has none until
/// the reactor's next poll, and UDP sends almost never block.
fn send_now(fd: RawFd, data: &[u8]) -> io::Result<usize> {
    // SAFETY: `data` is valid for `data.len()` bytes; `fd` is a live connected UDP socket.
    let n = unsafe { libc::send(fd, data.as_ptr().cast(), data.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

// === recvmsg / sendmsg with packet info ===

/// Control buffer for one packet-info message, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct Control([u8; 128]);

/// Receives one datagram: its length, sender, and the local address it was sent to.
async fn recv_from_to(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, SocketAddr, Option<IpAddr>)> {
    socket.async_io(Interest::READABLE, || recvmsg(socket.as_raw_fd(), buf)).await
}

fn recvmsg(fd: RawFd, buf: &mut [u8]) -> io::Result<(usize, SocketAddr, Option<IpAddr>)> {
    // SAFETY: zeroed sockaddr_storage, msghdr and control buffer are valid initial states.
    let mut name: libc::sockaddr_storage = unsafe { zeroed() };
    let mut control = Control([0; 128]);
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: as above.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
    msg.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = control.0.len() as _;
    // SAFETY: every pointer in `msg` refers to a live buffer of the length given with it.
    let n = unsafe { libc::recvmsg(fd, &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel wrote a socket address of `msg_namelen` bytes into `name`.
    let sender = unsafe { SockAddr::new(name, msg.msg_namelen) }
        .as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "datagram from a non-IP address"))?;
    let mut to = None;
    // SAFETY: CMSG_* walk the control buffer the kernel filled, within `msg_controllen`;
    // each payload is read unaligned, with the size its (level, type) defines.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            let (level, ty) = ((*cmsg).cmsg_level, (*cmsg).cmsg_type);
            if level == libc::IPPROTO_IP && ty == libc::IP_PKTINFO {
                let info: libc::in_pktinfo = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                to = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr))));
            } else if level == libc::IPPROTO_IPV6 && ty == libc::IPV6_PKTINFO {
                let info: libc::in6_pktinfo = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                to = Some(IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)));
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok((n as usize, sender, to))
}

/// Sends `data` to `to`, from local address `from` when given (a wildcard socket).
fn send_from(fd: RawFd, data: &[u8], to: SocketAddr, from: Option<IpAddr>) -> io::Result<usize> {
    let dest = SockAddr::from(to);
    let mut control = Control([0; 128]);
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    // SAFETY: a zeroed msghdr is a valid empty message.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_name = dest.as_ptr() as *mut libc::c_void;
    msg.msg_namelen = dest.len();
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if let Some(from) = from {
        msg.msg_control = control.0.as_mut_ptr().cast();
        // SAFETY: the control buffer holds one cmsg of either payload (128 bytes > CMSG_SPACE
        // of in6_pktinfo); CMSG_FIRSTHDR is non-null once msg_controllen covers a header.
        unsafe {
            let (level, ty, len) = match from {
                IpAddr::V4(_) => (libc::IPPROTO_IP, libc::IP_PKTINFO, size_of::<libc::in_pktinfo>()),
                IpAddr::V6(_) => (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, size_of::<libc::in6_pktinfo>()),
            };
            msg.msg_controllen = libc::CMSG_SPACE(len as u32) as _;
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = level;
            (*cmsg).cmsg_type = ty;
            (*cmsg).cmsg_len = libc::CMSG_LEN(len as u32) as _;
            match from {
                IpAddr::V4(ip) => {
                    let mut info: libc::in_pktinfo = zeroed();
                    info.ipi_spec_dst.s_addr = u32::from(ip).to_be();
                    std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast(), info);
                }
                IpAddr::V6(ip) => {
                    let mut info: libc::in6_pktinfo = zeroed();
                    info.ipi6_addr.s6_addr = ip.octets();
                    std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast(), info);
                }
            }
        }
    }
    // SAFETY: every pointer in `msg` refers to a live buffer of the length given with it.
    let n = unsafe { libc::sendmsg(fd, &msg, 0) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
