//! PROXY protocol bytes against the examples and rules of haproxy's `proxy-protocol.txt`.

use super::*;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn v1_spec_examples() {
    // Section 2.1: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n".
    assert_eq!(
        encode_v1(sa("192.168.0.1:56324"), sa("192.168.0.11:443")),
        b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
    );
    // The worst cases of section 2.1: 56 bytes for TCP4, 104 for TCP6.
    let v4 = encode_v1(sa("255.255.255.255:65535"), sa("255.255.255.255:65535"));
    assert_eq!(v4, b"PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
    assert_eq!(v4.len(), 56);
    let max6 = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";
    let v6 = encode_v1(sa(max6), sa(max6));
    assert_eq!(
        v6,
        b"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"
    );
    assert_eq!(v6.len(), 104);
    assert!(v6.len() <= V1_MAX_LEN);
}

#[test]
fn v1_parse_examples_and_unknown() {
    let mut buf = b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n".to_vec();
    let want = Header::Proxied { source: sa("192.168.0.1:56324"), destination: sa("192.168.0.11:443") };
    assert_eq!(parse(&buf), Ok(Parsed::Done { header: want, len: 47 }));
    // Byte by byte, every prefix is Incomplete until the CRLF.
    for end in 0..47 {
        assert_eq!(parse(&buf[..end]), Ok(Parsed::Incomplete), "prefix of {end} bytes");
    }
    // "PROXY UNKNOWN\r\n" and UNKNOWN with addresses (to be ignored).
    assert_eq!(parse(b"PROXY UNKNOWN\r\n"), Ok(Parsed::Done { header: Header::Local, len: 15 }));
    let long = b"PROXY UNKNOWN ffff:f:f:f:f:f:f:f ffff:f:f:f:f:f:f:f 65535 65535\r\n";
    assert_eq!(parse(long), Ok(Parsed::Done { header: Header::Local, len: long.len() }));
    let v6 = b"PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n";
    let want = Header::Proxied { source: sa("[2001:db8::1]:1"), destination: sa("[2001:db8::2]:65535") };
    assert_eq!(parse(v6), Ok(Parsed::Done { header: want, len: v6.len() }));
    buf.truncate(0);
}

#[test]
fn v1_refusals() {
    for bad in [
        &b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"[..],
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",
        b"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",
        b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
        b"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
        b"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
        b"GET / HTTP/1.1\r\n",
    ] {
        assert!(parse(bad).is_err(), "accepted {:?}", String::from_utf8_lossy(bad));
    }
    let endless = [b"PROXY TCP4 ".as_slice(), &[b'1'; 120]].concat();
    assert_eq!(parse(&endless), Err(ParseError::V1("no CRLF within 107 bytes")));
}

#[test]
fn v2_spec_layout_ipv4() {
    // Section 2.2: signature, 0x21 (v2, PROXY), 0x11 (AF_INET, STREAM), length 12, then
    // src addr, dst addr, src port, dst port, all in network byte order.
    let h = encode_v2(sa("192.168.0.1:56324"), sa("192.168.0.11:443"), Transport::Stream);
    let want: Vec<u8> = [
        &[0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A][..],
        &[0x21, 0x11, 0x00, 0x0C],
        &[192, 168, 0, 1, 192, 168, 0, 11],
        &[0xDC, 0x04, 0x01, 0xBB],
    ]
    .concat();
    assert_eq!(h, want);
    assert_eq!(h.len(), 16 + 12);
    let want = Header::Proxied { source: sa("192.168.0.1:56324"), destination: sa("192.168.0.11:443") };
    assert_eq!(parse(&h), Ok(Parsed::Done { header: want, len: 28 }));
    for end in 0..h.len() {
        assert_eq!(parse(&h[..end]), Ok(Parsed::Incomplete), "prefix of {end} bytes");
    }
    // UDP over IPv4 is family byte 0x12.
    assert_eq!(encode_v2(sa("1.2.3.4:1"), sa("5.6.7.8:2"), Transport::Datagram)[13], 0x12);
}

#[test]
fn v2_spec_layout_ipv6_and_mixed_families() {
    let h = encode_v2(sa("[2001:db8::1]:1000"), sa("[2001:db8::2]:80"), Transport::Stream);
    assert_eq!(&h[12..16], &[0x21, 0x21, 0x00, 0x24], "AF_INET6 STREAM, 36 bytes of addresses");
    assert_eq!(h.len(), 16 + 36);
    assert_eq!(&h[16..32], &sa("[2001:db8::1]:0").ip().to_string().parse::<Ipv6Addr>().unwrap().octets());
    assert_eq!(&h[48..52], &[0x03, 0xE8, 0x00, 0x50]);
    // An IPv4 client on a dual-stack socket: both sides written as IPv6.
    let mixed = encode_v2(sa("10.0.0.1:5"), sa("[2001:db8::2]:80"), Transport::Stream);
    assert_eq!(mixed[13], 0x21);
    assert_eq!(&mixed[16..32], &"::ffff:10.0.0.1".parse::<Ipv6Addr>().unwrap().octets());
    // Mapped addresses on both sides are plain IPv4.
    let mapped = encode_v1(sa("[::ffff:10.0.0.1]:5"), sa("[::ffff:10.0.0.2]:6"));
    assert_eq!(mapped, b"PROXY TCP4 10.0.0.1 10.0.0.2 5 6\r\n");
}

#[test]
fn v2_local_tlvs_and_refusals() {
    // LOCAL (0x20) with AF_UNSPEC: the connection's own addresses apply.
    let local = [&V2_SIGNATURE[..], &[0x20, 0x00, 0x00, 0x00]].concat();
    assert_eq!(parse(&local), Ok(Parsed::Done { header: Header::Local, len: 16 }));
    // TLVs after the addresses are skipped by their length.
    let mut h = encode_v2(sa("1.2.3.4:1"), sa("5.6.7.8:2"), Transport::Stream);
    h[15] = 12 + 7;
    h.extend_from_slice(&[0x04, 0x00, 0x04, b'n', b'o', b'o', b'p']);
    h.extend_from_slice(b"client data");
    assert!(matches!(parse(&h), Ok(Parsed::Done { len: 35, .. })));
    let mut bad_version = local.clone();
    bad_version[12] = 0x11;
    assert_eq!(parse(&bad_version), Err(ParseError::V2("version is not 2")));
    let mut bad_cmd = local.clone();
    bad_cmd[12] = 0x22;
    assert_eq!(parse(&bad_cmd), Err(ParseError::V2("unknown command")));
    let short = [&V2_SIGNATURE[..], &[0x21, 0x11, 0x00, 0x04, 1, 2, 3, 4]].concat();
    assert_eq!(parse(&short), Err(ParseError::V2("IPv4 addresses cut short")));
    let huge = [&V2_SIGNATURE[..], &[0x21, 0x11, 0xff, 0xff]].concat();
    assert_eq!(parse(&huge), Err(ParseError::V2("header longer than 2 KiB")));
    assert_eq!(parse(b"\r\n\r\n\0\r\nQUIX\n1234"), Err(ParseError::NoSignature));
}
