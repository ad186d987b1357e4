//! Binding L4 listener sockets: NodePort style (`0.0.0.0:port` or `[::]:port`, every local
//! address) or VIP style (one `address:port`), the latter with `IP_FREEBIND` so an address
//! this node does not hold yet can be bound: traffic flows as soon as VRRP (or anyone) adds
//! the address to an interface, without restarting or re-binding anything.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::net::{TcpListener, UdpSocket};

/// Pending connections queued by the kernel (HAProxy and nginx benches use 4096 too).
pub(crate) const BACKLOG: i32 = 4096;

fn socket(addr: SocketAddr, ty: Type, protocol: Protocol) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), ty, Some(protocol))?;
    socket.set_reuse_address(true)?;
    set_freebind(&socket, addr)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_freebind(socket: &Socket, addr: SocketAddr) -> io::Result<()> {
    // IP_FREEBIND and IPV6_FREEBIND: bind to an address that is not (yet) local.
    match addr {
        SocketAddr::V4(_) => socket.set_freebind(true),
        SocketAddr::V6(_) => socket.set_freebind_ipv6(true),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_freebind(_socket: &Socket, _addr: SocketAddr) -> io::Result<()> {
    Ok(())
}

/// A listening TCP socket on `addr`.
pub fn tcp(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = socket(addr, Type::STREAM, Protocol::TCP)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    TcpListener::from_std(socket.into())
}

/// Receive buffer asked for UDP listeners: bursts from many clients must not overflow the
/// default (~208 KiB, a few hundred datagrams), as DNS servers also size theirs.
const UDP_RECEIVE_BUFFER: usize = 4 << 20;

/// A UDP socket on `addr` that learns, for each datagram, the local address it was sent to
/// (`IP_PKTINFO` / `IPV6_RECVPKTINFO`), so replies leave from that address.
pub fn udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = socket(addr, Type::DGRAM, Protocol::UDP)?;
    super::udp::enable_pktinfo(&SockRef::from(&socket), addr)?;
    super::udp::grow_receive_buffer(&SockRef::from(&socket), UDP_RECEIVE_BUFFER);
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}
