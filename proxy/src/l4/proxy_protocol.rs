//! The PROXY protocol, versions 1 (text) and 2 (binary), as haproxy's `proxy-protocol.txt`
//! specifies them: written to endpoints so they see the real client, read from a downstream
//! load balancer that sends it.
//!
//! Mixed address families (an IPv4 client on a dual-stack IPv6 socket) are written as IPv6
//! with the IPv4 address mapped (`::ffff:a.b.c.d`); IPv4-mapped addresses on both sides are
//! written as IPv4.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// The 12 bytes every version 2 header starts with (section 2.2).
pub const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// A version 1 header is at most 107 bytes, CRLF included (section 2.1).
pub const V1_MAX_LEN: usize = 107;

/// Largest version 2 header accepted: the 16 fixed bytes plus addresses and TLVs. The
/// protocol allows 64 KiB of TLVs; load balancers send a few dozen bytes.
pub const V2_MAX_LEN: usize = 16 + 2048;

/// Transport of the proxied connection, for version 2's family byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP (`STREAM`).
    Stream,
    /// UDP (`DGRAM`).
    Datagram,
}

/// What a received header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// A proxied connection from `source` to `destination`.
    Proxied {
        /// The client.
        source: SocketAddr,
        /// The address the client connected to.
        destination: SocketAddr,
    },
    /// The sender's own connection (v2 `LOCAL`, e.g. a health check) or an unknown family
    /// (v1 `UNKNOWN`): the connection's own addresses apply.
    Local,
}

/// A header parsed from the front of a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed to decide.
    Incomplete,
    /// A header of `len` bytes; the client's data follows it.
    Done {
        /// What it says.
        header: Header,
        /// Its length in bytes.
        len: usize,
    },
}

/// Why a received header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Neither signature: the peer does not speak the PROXY protocol.
    #[error("no PROXY protocol signature")]
    NoSignature,
    /// A version 1 line that breaks the grammar of section 2.1.
    #[error("malformed PROXY v1 header: {0}")]
    V1(&'static str),
    /// A version 2 header that breaks section 2.2.
    #[error("malformed PROXY v2 header: {0}")]
    V2(&'static str),
}

// === writing ===

/// The version 1 line for a connection from `source` to `destination`.
pub fn encode_v1(source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
    let (s, d) = same_family(source, destination);
    let proto = if s.is_ipv4() { "TCP4" } else { "TCP6" };
    format!("PROXY {proto} {} {} {} {}\r\n", s.ip(), d.ip(), s.port(), d.port()).into_bytes()
}

/// The version 2 `PROXY` header for a connection from `source` to `destination`.
pub fn encode_v2(source: SocketAddr, destination: SocketAddr, transport: Transport) -> Vec<u8> {
    let (s, d) = same_family(source, destination);
    let t = match transport {
        Transport::Stream => 0x1,
        Transport::Datagram => 0x2,
    };
    let mut out = Vec::with_capacity(16 + 36);
    out.extend_from_slice(&V2_SIGNATURE);
    out.push(0x21); // version 2, command PROXY
    match (s, d) {
        (SocketAddr::V4(s), SocketAddr::V4(d)) => {
            out.push(0x10 | t);
            out.extend_from_slice(&12u16.to_be_bytes());
            out.extend_from_slice(&s.ip().octets());
            out.extend_from_slice(&d.ip().octets());
        }
        _ => {
            out.push(0x20 | t);
            out.extend_from_slice(&36u16.to_be_bytes());
            out.extend_from_slice(&v6(s.ip()).octets());
            out.extend_from_slice(&v6(d.ip()).octets());
        }
    }
    out.extend_from_slice(&s.port().to_be_bytes());
    out.extend_from_slice(&d.port().to_be_bytes());
    out
}

/// The header of `version` for a TCP connection.
pub fn encode(version: model::ProxyProtocol, source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
    match version {
        model::ProxyProtocol::V1 => encode_v1(source, destination),
        model::ProxyProtocol::V2 => encode_v2(source, destination, Transport::Stream),
    }
}

/// Both addresses in one family: IPv4 when both are IPv4 (or mapped), else IPv6.
fn same_family(s: SocketAddr, d: SocketAddr) -> (SocketAddr, SocketAddr) {
    let (s, d) = (unmap(s), unmap(d));
    if s.is_ipv4() == d.is_ipv4() {
        return (s, d);
    }
    let up = |a: SocketAddr| SocketAddr::V6(SocketAddrV6::new(v6(a.ip()), a.port(), 0, 0));
    (up(s), up(d))
}

fn unmap(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V6(v) => match v.ip().to_ipv4_mapped() {
            Some(ip) => SocketAddr::V4(SocketAddrV4::new(ip, v.port())),
            None => a,
        },
        v4 => v4,
    }
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(ip) => ip.to_ipv6_mapped(),
        IpAddr::V6(ip) => ip,
    }
}

// === reading ===

/// Parses a header at the front of `buf`.
pub fn parse(buf: &[u8]) -> Result<Parsed, ParseError> {
    let n = buf.len().min(V2_SIGNATURE.len());
    if buf[..n] == V2_SIGNATURE[..n] {
        return if n < V2_SIGNATURE.len() { Ok(Parsed::Incomplete) } else { parse_v2(buf) };
    }
    let n = buf.len().min(6);
    if buf[..n] == b"PROXY "[..n] {
        return if n < 6 { Ok(Parsed::Incomplete) } else { parse_v1(buf) };
    }
    Err(ParseError::NoSignature)
}

fn parse_v1(buf: &[u8]) -> Result<Parsed, ParseError> {
    let window = &buf[..buf.len().min(V1_MAX_LEN)];
    let Some(cr) = window.iter().position(|&b| b == b'\r') else {
        return if buf.len() >= V1_MAX_LEN {
            Err(ParseError::V1("no CRLF within 107 bytes"))
        } else if window.contains(&b'\n') {
            Err(ParseError::V1("bare LF"))
        } else {
            Ok(Parsed::Incomplete)
        };
    };
    match buf.get(cr + 1) {
        None => return Ok(Parsed::Incomplete),
        Some(b'\n') => {}
        Some(_) => return Err(ParseError::V1("CR not followed by LF")),
    }
    let line = std::str::from_utf8(&buf[6..cr]).map_err(|_| ParseError::V1("not ASCII"))?;
    let len = cr + 2;
    let mut fields = line.split(' ');
    let proto = fields.next().unwrap_or("");
    if proto == "UNKNOWN" {
        // The rest of the line is to be ignored (section 2.1).
        return Ok(Parsed::Done { header: Header::Local, len });
    }
    let v4 = match proto {
        "TCP4" => true,
        "TCP6" => false,
        _ => return Err(ParseError::V1("protocol is not TCP4, TCP6 or UNKNOWN")),
    };
    let mut next = || fields.next().ok_or(ParseError::V1("missing field"));
    let (sip, dip, sport, dport) = (next()?, next()?, next()?, next()?);
    if fields.next().is_some() {
        return Err(ParseError::V1("extra field"));
    }
    let ip = |s: &str| -> Result<IpAddr, ParseError> {
        let ip = if v4 { s.parse::<Ipv4Addr>().map(IpAddr::V4) } else { s.parse::<Ipv6Addr>().map(IpAddr::V6) };
        ip.map_err(|_| ParseError::V1("bad address for the protocol"))
    };
    let port = |s: &str| -> Result<u16, ParseError> {
        // No sign, no leading zeros (section 2.1: "0" or a number without leading zero).
        if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::V1("bad port"));
        }
        s.parse().map_err(|_| ParseError::V1("bad port"))
    };
    let header = Header::Proxied {
        source: SocketAddr::new(ip(sip)?, port(sport)?),
        destination: SocketAddr::new(ip(dip)?, port(dport)?),
    };
    Ok(Parsed::Done { header, len })
}

fn parse_v2(buf: &[u8]) -> Result<Parsed, ParseError> {
    let Some(fixed) = buf.get(..16) else { return Ok(Parsed::Incomplete) };
    let (ver_cmd, fam) = (fixed[12], fixed[13]);
    if ver_cmd >> 4 != 2 {
        return Err(ParseError::V2("version is not 2"));
    }
    let body_len = usize::from(u16::from_be_bytes([fixed[14], fixed[15]]));
    let len = 16 + body_len;
    if len > V2_MAX_LEN {
        return Err(ParseError::V2("header longer than 2 KiB"));
    }
    let Some(body) = buf.get(16..len) else { return Ok(Parsed::Incomplete) };
    match ver_cmd & 0x0f {
        // LOCAL: the addresses, if any, are to be ignored.
        0x0 => return Ok(Parsed::Done { header: Header::Local, len }),
        0x1 => {}
        _ => return Err(ParseError::V2("unknown command")),
    }
    let header = match fam >> 4 {
        0x0 => Header::Local,
        0x1 => {
            let a = body.get(..12).ok_or(ParseError::V2("IPv4 addresses cut short"))?;
            let ip = |o: usize| Ipv4Addr::new(a[o], a[o + 1], a[o + 2], a[o + 3]);
            let port = |o: usize| u16::from_be_bytes([a[o], a[o + 1]]);
            Header::Proxied {
                source: SocketAddr::new(IpAddr::V4(ip(0)), port(8)),
                destination: SocketAddr::new(IpAddr::V4(ip(4)), port(10)),
            }
        }
        0x2 => {
            let a = body.get(..36).ok_or(ParseError::V2("IPv6 addresses cut short"))?;
            let ip = |o: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&a[o..o + 16]);
                Ipv6Addr::from(b)
            };
            let port = |o: usize| u16::from_be_bytes([a[o], a[o + 1]]);
            Header::Proxied {
                source: SocketAddr::new(IpAddr::V6(ip(0)), port(32)),
                destination: SocketAddr::new(IpAddr::V6(ip(16)), port(34)),
            }
        }
        // AF_UNIX and unknown families carry nothing an IP proxy can use.
        _ => Header::Local,
    };
    Ok(Parsed::Done { header, len })
}

#[cfg(test)]
mod tests;
