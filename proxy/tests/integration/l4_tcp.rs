//! The TCP proxy on loopback: balancing, affinity, Maglev disruption, PROXY protocol both
//! ways, connect retries and ejection, health checks, connection limit, idle timeout, socket
//! send buffers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::harness::{addr, apply, metric, metrics, start};
use crate::support::l4::{client_ip, connect_from, Conn, TcpBackend};

/// A config with tcp listener `db` on `service`'s endpoints; `listener` and `service` are
/// extra flow-mapping fields.
fn tcp_config(endpoints: &[SocketAddr], listener: &str, service: &str) -> String {
    let eps: Vec<String> = endpoints.iter().map(|e| format!("\"{e}\"")).collect();
    format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: db, address: "127.0.0.1:0", protocol: tcp, service: s{listener} }} ]
services: [ {{ name: s, endpoints: [{}]{service} }} ]
"#,
        eps.join(", ")
    )
}

async fn backends(n: usize) -> Vec<TcpBackend> {
    let mut v = Vec::new();
    for i in 0..n {
        v.push(TcpBackend::start(&format!("b{i}")).await);
    }
    v
}

fn addrs(b: &[TcpBackend]) -> Vec<SocketAddr> {
    b.iter().map(|b| b.addr).collect()
}

fn tally(names: impl IntoIterator<Item = String>) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for n in names {
        *m.entry(n).or_insert(0) += 1;
    }
    m
}

#[tokio::test]
async fn round_robin_spreads_connections_and_forwards_bytes() {
    let b = backends(3).await;
    let proxy = start(&tcp_config(&addrs(&b), "", "")).await;
    let at = addr(&proxy, "db").await;
    let mut names = Vec::new();
    for k in 0..30 {
        let mut c = Conn::open(at, None).await;
        c.echo(format!("hello {k}").as_bytes()).await.unwrap();
        names.push(c.backend);
    }
    let t = tally(names);
    assert_eq!(t.values().copied().collect::<Vec<_>>(), [10, 10, 10], "{t:?}");
    let m = metrics(&proxy).await;
    let ep = b[0].addr;
    assert_eq!(
        metric(&m, &format!("rampart_l4_connections_total{{service=\"s\",endpoint=\"{ep}\"}}")),
        Some(10.0),
        "{m}"
    );
    // 3 bytes of "b0\n" plus the echoes, out; "hello k" in.
    let bytes_in = metric(&m, &format!("rampart_l4_bytes_total{{service=\"s\",endpoint=\"{ep}\",direction=\"in\"}}"));
    assert!(bytes_in.is_some_and(|v| v >= 70.0), "{m}");
    assert_eq!(metric(&m, "rampart_l4_listener_accepted_total{listener=\"db\"}"), Some(30.0));
}

#[tokio::test]
async fn least_connections_fills_the_emptiest_endpoint() {
    let b = backends(3).await;
    let proxy = start(&tcp_config(&addrs(&b), "", ", balance: { policy: least_connections }")).await;
    let at = addr(&proxy, "db").await;
    let mut held = Vec::new();
    for _ in 0..9 {
        held.push(Conn::open(at, None).await);
    }
    let t = tally(held.iter().map(|c| c.backend.clone()));
    assert_eq!(t.values().copied().collect::<Vec<_>>(), [3, 3, 3], "{t:?}");
    // Close two of b1's connections: the next two go to b1.
    let mut closed = 0;
    held.retain(|c| {
        let drop_it = c.backend == "b1" && closed < 2;
        closed += usize::from(drop_it);
        !drop_it
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..2 {
        let c = Conn::open(at, None).await;
        assert_eq!(c.backend, "b1");
        held.push(c);
    }
}

#[tokio::test]
async fn session_affinity_keeps_a_client_ip_on_its_endpoint_until_the_timeout() {
    let b = backends(3).await;
    let proxy = start(&tcp_config(&addrs(&b), "", ", session_affinity: { timeout: 300ms }")).await;
    let at = addr(&proxy, "db").await;
    let mut first = HashMap::new();
    for round in 0..4 {
        for n in 0..6 {
            let c = Conn::open(at, Some(client_ip(n))).await;
            let was = first.entry(n).or_insert_with(|| c.backend.clone());
            assert_eq!(*was, c.backend, "client {n} moved in round {round}");
        }
    }
    let spread = tally(first.values().cloned());
    assert_eq!(spread.len(), 3, "round robin still spreads new clients: {spread:?}");
    // After the timeout a client is balanced afresh: with the round robin shifted by one new
    // client, every one of them moves.
    tokio::time::sleep(Duration::from_millis(400)).await;
    Conn::open(at, Some(client_ip(100))).await;
    let mut moved = 0;
    for n in 0..6 {
        let c = Conn::open(at, Some(client_ip(n))).await;
        moved += usize::from(c.backend != first[&n]);
    }
    assert_eq!(moved, 6, "clients re-balanced after the affinity timeout");
}

#[tokio::test]
async fn maglev_moves_only_the_removed_endpoints_clients() {
    const CLIENTS: usize = 300;
    const N: usize = 5;
    let b = backends(N).await;
    let proxy = start(&tcp_config(&addrs(&b), "", ", balance: { policy: consistent_hash }")).await;
    let at = addr(&proxy, "db").await;
    let mut before = Vec::new();
    for n in 0..CLIENTS {
        before.push(Conn::open(at, Some(client_ip(n))).await.backend);
    }
    let spread = tally(before.iter().cloned());
    assert!(spread.values().all(|&c| c > CLIENTS / N / 2), "uneven: {spread:?}");
    // Same client IP, same endpoint, from any source port.
    for (n, was) in before.iter().enumerate().take(20) {
        assert_eq!(&Conn::open(at, Some(client_ip(n))).await.backend, was);
    }
    let fewer: Vec<SocketAddr> = b.iter().filter(|x| x.name != "b2").map(|x| x.addr).collect();
    apply(&proxy, &tcp_config(&fewer, "", ", balance: { policy: consistent_hash }")).await.unwrap();
    let mut moved = 0;
    let mut survivors_moved = 0;
    for (n, was) in before.iter().enumerate() {
        let now = Conn::open(at, Some(client_ip(n))).await.backend;
        if &now != was {
            moved += 1;
            survivors_moved += usize::from(was != "b2");
        }
    }
    let share = moved as f64 / CLIENTS as f64;
    let ideal = spread["b2"] as f64 / CLIENTS as f64;
    eprintln!("maglev: removing 1 of {N} endpoints moved {moved}/{CLIENTS} flows ({share:.3}; b2 held {ideal:.3})");
    // Maglev rebuilds its table: a few slots may change hands between survivors (~1%).
    assert!(survivors_moved <= CLIENTS / 50, "{survivors_moved} flows of surviving endpoints moved");
    assert!(share >= ideal, "every flow of the removed endpoint moved");
    assert!(share < 1.0 / N as f64 + 0.08, "moved {share:.3}, bound {:.3}", 1.0 / N as f64 + 0.08);
}

#[tokio::test]
async fn proxy_protocol_v1_and_v2_headers_reach_the_endpoint() {
    for (version, v2) in [("v1", false), ("v2", true)] {
        let b = TcpBackend::recording("pp").await;
        let proxy = start(&tcp_config(&[b.addr], "", &format!(", proxy_protocol: {version}"))).await;
        let at = addr(&proxy, "db").await;
        let mut s = connect_from(at, Some(client_ip(7))).await.unwrap();
        let client = s.local_addr().unwrap();
        s.write_all(b"DATA").await.unwrap();
        let mut name = [0u8; 3];
        s.read_exact(&mut name).await.unwrap();
        let got = b.first_bytes.lock().unwrap()[0].clone();
        let want = if v2 {
            let mut h = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
            h.extend_from_slice(&[127, 1, 0, 8, 127, 0, 0, 1]);
            h.extend_from_slice(&client.port().to_be_bytes());
            h.extend_from_slice(&at.port().to_be_bytes());
            h
        } else {
            format!("PROXY TCP4 127.1.0.8 127.0.0.1 {} {}\r\n", client.port(), at.port()).into_bytes()
        };
        assert_eq!(got, [want, b"DATA".to_vec()].concat(), "{version}: {:?}", String::from_utf8_lossy(&got));
    }
}

#[tokio::test]
async fn accepted_proxy_protocol_sets_the_client_address() {
    let b = TcpBackend::recording("pp").await;
    let yaml = tcp_config(&[b.addr], ", accept_proxy_protocol: true", ", proxy_protocol: v1");
    let proxy = start(&yaml).await;
    let at = addr(&proxy, "db").await;
    // A downstream LB's v2 header, with client data in the same segment.
    let mut s = connect_from(at, None).await.unwrap();
    let mut h = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
    h.extend_from_slice(&[203, 0, 113, 7, 198, 51, 100, 1, 0x10, 0x92, 0x01, 0xbb]);
    h.extend_from_slice(b"hi");
    s.write_all(&h).await.unwrap();
    let mut name = [0u8; 3];
    s.read_exact(&mut name).await.unwrap();
    let got = b.first_bytes.lock().unwrap()[0].clone();
    assert_eq!(String::from_utf8_lossy(&got), "PROXY TCP4 203.0.113.7 198.51.100.1 4242 443\r\nhi");
    // v1 in, with the header split over two writes.
    let mut s = connect_from(at, None).await.unwrap();
    s.write_all(b"PROXY TCP6 2001:db8::7 2001:db8::1 ").await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    s.write_all(b"5000 80\r\n").await.unwrap();
    s.read_exact(&mut name).await.unwrap();
    let got = b.first_bytes.lock().unwrap()[1].clone();
    assert_eq!(String::from_utf8_lossy(&got), "PROXY TCP6 2001:db8::7 2001:db8::1 5000 80\r\n");
    // No header: closed, counted, and the endpoint never sees it.
    let mut s = connect_from(at, None).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut name)).await.expect("closed in time");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    assert_eq!(b.connections(), 2);
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_l4_listener_closed_total{listener=\"db\",reason=\"proxy_protocol\"}"), Some(1.0));
}

#[tokio::test]
async fn connect_failures_retry_elsewhere_and_eject_the_endpoint() {
    let b = backends(2).await;
    let yaml = tcp_config(&addrs(&b), "", ", outlier: { consecutive_failures: 2, ejection_time: 30s }");
    let proxy = start(&yaml).await;
    let at = addr(&proxy, "db").await;
    assert!(Conn::open(at, None).await.echo(b"x").await.is_ok());
    b[0].kill();
    // Every connection still gets through: the refused connect is retried on b1.
    for _ in 0..10 {
        let mut c = Conn::open(at, None).await;
        assert_eq!(c.backend, "b1");
        c.echo(b"still here").await.unwrap();
    }
    let m = metrics(&proxy).await;
    let dead = b[0].addr;
    assert_eq!(
        metric(&m, &format!("rampart_endpoint_healthy{{service=\"s\",endpoint=\"{dead}\",state=\"ejected\"}}")),
        Some(0.0),
        "{m}"
    );
    assert_eq!(
        metric(&m, &format!("rampart_endpoint_ejections_total{{service=\"s\",endpoint=\"{dead}\"}}")),
        Some(1.0)
    );
    let failures = metric(&m, &format!("rampart_l4_connect_failures_total{{service=\"s\",endpoint=\"{dead}\"}}"));
    assert_eq!(failures, Some(2.0), "ejected after 2 failures, then never tried: {m}");
    assert_eq!(metric(&m, "rampart_upstream_retries_total{service=\"s\"}"), Some(2.0));
}

#[tokio::test]
async fn tcp_health_checks_take_a_dead_endpoint_out() {
    let b = backends(2).await;
    let yaml = tcp_config(
        &addrs(&b),
        "",
        ", health_check: { protocol: tcp, interval: 50ms, timeout: 200ms, unhealthy_threshold: 1, healthy_threshold: 1 }, outlier: { consecutive_failures: 0 }",
    );
    let proxy = start(&yaml).await;
    let at = addr(&proxy, "db").await;
    b[1].kill();
    let dead = b[1].addr;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let m = metrics(&proxy).await;
        if metric(&m, &format!("rampart_endpoint_healthy{{service=\"s\",endpoint=\"{dead}\",state=\"unhealthy\"}}"))
            .is_some()
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never marked unhealthy: {m}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..6 {
        assert_eq!(Conn::open(at, None).await.backend, "b0");
    }
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_upstream_retries_total{service=\"s\"}"), Some(0.0), "no connect was wasted: {m}");
}

#[tokio::test]
async fn connection_limit_closes_extra_connections_and_counts_them() {
    let b = backends(1).await;
    let proxy = start(&tcp_config(&addrs(&b), ", max_connections: 2", "")).await;
    let at = addr(&proxy, "db").await;
    let (c1, c2) = (Conn::open(at, None).await, Conn::open(at, None).await);
    let refused = Conn::try_open(at, None).await;
    assert!(refused.is_err(), "a third connection was served");
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_l4_listener_closed_total{listener=\"db\",reason=\"max_connections\"}"), Some(1.0));
    assert_eq!(metric(&m, "rampart_l4_listener_active{listener=\"db\"}"), Some(2.0));
    drop((c1, c2));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut c = Conn::open(at, None).await;
    c.echo(b"room again").await.unwrap();
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let b = backends(1).await;
    let proxy = start(&tcp_config(&addrs(&b), ", timeouts: { idle: 200ms }", "")).await;
    let at = addr(&proxy, "db").await;
    let mut busy = Conn::open(at, None).await;
    let mut idle = Conn::open(at, None).await;
    // Traffic every 60 ms keeps a connection open well past the idle timeout.
    for _ in 0..8 {
        busy.echo(b"tick").await.unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    assert!(idle.closed_within(Duration::from_millis(50)).await, "idle connection still open after 480 ms");
    busy.echo(b"alive").await.unwrap();
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_l4_listener_closed_total{listener=\"db\",reason=\"idle\"}"), Some(1.0));
}

#[tokio::test]
async fn no_endpoint_closes_the_connection() {
    let proxy = start(&tcp_config(&[], "", "")).await;
    let at = addr(&proxy, "db").await;
    assert!(Conn::try_open(at, None).await.is_err());
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_l4_listener_closed_total{listener=\"db\",reason=\"no_endpoint\"}"), Some(1.0));
}

/// `SO_SNDBUF` of this process's TCP socket from `local` (any port when its port is 0) to
/// `peer`: the proxy runs in the test process, so its sockets are among our descriptors.
fn send_buffer_of(local: SocketAddr, peer: SocketAddr) -> Option<usize> {
    use std::os::fd::BorrowedFd;
    for entry in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd is readable").flatten() {
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let is_socket = std::fs::read_link(entry.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        // SAFETY: the descriptor is open (listed just now) and only borrowed for these calls;
        // a descriptor closed meanwhile makes the calls fail, which skips it.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let s = socket2::SockRef::from(&fd);
        let (Ok(l), Ok(p)) = (s.local_addr(), s.peer_addr()) else { continue };
        let (Some(l), Some(p)) = (l.as_socket(), p.as_socket()) else { continue };
        if p == peer && l.ip() == local.ip() && (local.port() == 0 || l.port() == local.port()) {
            return s.send_buffer_size().ok();
        }
    }
    None
}

#[tokio::test]
async fn send_buffers_are_set_towards_endpoints_and_clients() {
    let b = backends(1).await;
    let be = b[0].addr;
    // Linux doubles SO_SNDBUF for its bookkeeping and clamps it to net.core.wmem_max.
    let wmem_max: usize = std::fs::read_to_string("/proc/sys/net/core/wmem_max")
        .expect("/proc/sys/net/core/wmem_max is readable")
        .trim()
        .parse()
        .unwrap();
    let kernel = |bytes: usize| 2 * bytes.min(wmem_max);

    // Set on both sides.
    let proxy = start(&tcp_config(&[be], ", send_buffer_bytes: 65536", ", send_buffer_bytes: 131072")).await;
    let at = addr(&proxy, "db").await;
    let mut c = Conn::open(at, None).await;
    c.echo(b"sized").await.unwrap();
    let client = c.reader.get_ref().local_addr().unwrap();
    let upstream = send_buffer_of(SocketAddr::new(be.ip(), 0), be);
    let downstream = send_buffer_of(at, client);
    assert_eq!(upstream, Some(kernel(131_072)), "the proxy's socket to the endpoint");
    assert_eq!(downstream, Some(kernel(65_536)), "the proxy's socket to the client");
    drop(c);

    // Defaults: 256 KiB towards endpoints; clients keep autotuning (not a locked size).
    let b2 = backends(1).await;
    let proxy = start(&tcp_config(&[b2[0].addr], "", "")).await;
    let at = addr(&proxy, "db").await;
    let mut c = Conn::open(at, None).await;
    c.echo(b"default").await.unwrap();
    let client = c.reader.get_ref().local_addr().unwrap();
    assert_eq!(send_buffer_of(SocketAddr::new(be.ip(), 0), b2[0].addr), Some(kernel(256 * 1024)));
    let down = send_buffer_of(at, client).expect("the proxy's socket to the client");
    assert_ne!(down, kernel(65_536));
    // `send_buffer_bytes: 0` leaves the endpoint side to the kernel too.
    let b3 = backends(1).await;
    let proxy = start(&tcp_config(&[b3[0].addr], "", ", send_buffer_bytes: 0")).await;
    let mut c = Conn::open(addr(&proxy, "db").await, None).await;
    c.echo(b"auto").await.unwrap();
    let auto = send_buffer_of(SocketAddr::new(be.ip(), 0), b3[0].addr).expect("the proxy's socket to the endpoint");
    assert_ne!(auto, kernel(256 * 1024), "autotuning starts from net.ipv4.tcp_wmem's default, not 256 KiB");
}

/// A listener switching between TCP forwarding and HTTP on its (fixed) address keeps its
/// socket: no second bind of a bound address, no refused connections, and connections opened
/// before the switch keep flowing.
#[tokio::test]
async fn a_listener_switches_between_tcp_and_http_on_its_address() {
    let echo = TcpBackend::start("e").await;
    let web = crate::support::backend::Backend::start("w").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let services =
        format!(r#"[ {{ name: e, endpoints: ["{}"] }}, {{ name: w, endpoints: ["{}"] }} ]"#, echo.addr, web.addr);
    let tcp = format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: edge, address: "127.0.0.1:{port}", protocol: tcp, service: e }} ]
services: {services}
"#
    );
    let http = format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: edge, address: "127.0.0.1:{port}", protocol: http }} ]
routes: [ {{ paths: [ {{ path: /, backend: w }} ] }} ]
services: {services}
"#
    );
    let proxy = start(&tcp).await;
    let at = addr(&proxy, "edge").await;
    assert_eq!(at.port(), port);
    let mut before = Conn::open(at, None).await;
    before.echo(b"tcp").await.unwrap();

    apply(&proxy, &http).await.expect("tcp -> http on the same address");
    assert_eq!(addr(&proxy, "edge").await, at);
    let c = crate::support::harness::client();
    assert_eq!(crate::support::harness::get(&c, at, "x", "/").await.status, http::StatusCode::OK);
    before.echo(b"still flowing").await.unwrap();

    apply(&proxy, &tcp).await.expect("http -> tcp on the same address");
    assert_eq!(addr(&proxy, "edge").await, at);
    let mut after = Conn::open(at, None).await;
    assert_eq!(after.backend, "e");
    after.echo(b"tcp again").await.unwrap();
}

/// Switching a listener between `tcp` and `http` back and forth while clients connect: every
/// connection is answered, whichever accept loop took it (the TCP service forwards to the same
/// HTTP origin, so both modes answer a GET).
#[tokio::test]
async fn connections_during_protocol_switches_are_all_answered() {
    switch_while_connecting(false).await;
}

/// As above, the listener also changing its name at every switch: the socket goes by address.
#[tokio::test]
async fn connections_during_renames_and_protocol_switches_are_all_answered() {
    switch_while_connecting(true).await;
}

async fn switch_while_connecting(rename: bool) {
    let web = crate::support::backend::Backend::start("w").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let services = format!(r#"[ {{ name: w, endpoints: ["{}"] }} ]"#, web.addr);
    let tcp = format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: edge, address: "127.0.0.1:{port}", protocol: tcp, service: w }} ]
services: {services}
"#
    );
    let mut http = tcp.replace("protocol: tcp, service: w", "protocol: http")
        + "routes: [ { paths: [ { path: /, backend: w } ] } ]\n";
    if rename {
        http = http.replace("name: edge,", "name: front,");
    }
    let proxy = start(&tcp).await;
    let at = addr(&proxy, "edge").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let (mut served, mut failed) = (0u32, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut s = tokio::net::TcpStream::connect(at).await.expect("connect");
                s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
                let mut got = Vec::new();
                let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut got)).await;
                if got.starts_with(b"HTTP/1.1 200") {
                    served += 1;
                } else {
                    failed.push(String::from_utf8_lossy(&got).into_owned());
                }
            }
            (served, failed)
        })
    };
    for i in 0..40 {
        let yaml = if i % 2 == 0 { &http } else { &tcp };
        apply(&proxy, yaml).await.unwrap_or_else(|e| panic!("switch {i}: {e}"));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (served, failed) = client.await.unwrap();
    assert!(
        failed.is_empty(),
        "{} of {} connections unanswered: {:?}",
        failed.len(),
        served as usize + failed.len(),
        &failed[..failed.len().min(3)]
    );
    assert!(served >= 20, "only {served} connections during the switches");
}

/// A listener renamed in a new config (same address, same protocol) keeps its socket: the
/// config is not refused for binding a bound address, a keep-alive connection opened under the
/// old name goes on being served, and a TCP connection of a renamed `tcp` listener keeps its
/// endpoint without draining.
#[tokio::test]
async fn a_renamed_listener_keeps_its_socket_and_its_connections() {
    let web = crate::support::backend::Backend::start("w").await;
    let echo = TcpBackend::start("e").await;
    let (http_port, tcp_port) = (free_port(), free_port());
    let config = |web_name: &str, tcp_name: &str| {
        format!(
            r#"
admin: {{ address: "127.0.0.1:0" }}
listeners:
  - {{ name: {web_name}, address: "127.0.0.1:{http_port}", protocol: http }}
  - {{ name: {tcp_name}, address: "127.0.0.1:{tcp_port}", protocol: tcp, service: e, timeouts: {{ drain: 200ms }} }}
routes: [ {{ paths: [ {{ path: /, backend: w }} ] }} ]
services: [ {{ name: w, endpoints: ["{}"] }}, {{ name: e, endpoints: ["{}"] }} ]
"#,
            web.addr, echo.addr
        )
    };
    let proxy = start(&config("web", "db")).await;
    let web_at = addr(&proxy, "web").await;
    let mut kept = tokio::net::TcpStream::connect(web_at).await.unwrap();
    let get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert!(exchange(&mut kept, get).await.starts_with("HTTP/1.1 200"));
    let mut db = Conn::open(addr(&proxy, "db").await, None).await;
    db.echo(b"before").await.unwrap();

    apply(&proxy, &config("site", "store")).await.expect("renaming listeners keeps their sockets");
    assert_eq!(addr(&proxy, "site").await, web_at);
    assert_eq!(proxy.listener_addr("web").await, None);
    assert!(exchange(&mut kept, get).await.starts_with("HTTP/1.1 200"), "the keep-alive connection is served");
    let c = crate::support::harness::client();
    assert_eq!(crate::support::harness::get(&c, web_at, "x", "/").await.status, http::StatusCode::OK);
    // Past the old listener's drain deadline, the TCP connection still flows.
    tokio::time::sleep(Duration::from_millis(400)).await;
    db.echo(b"after the rename").await.expect("the connection of a renamed listener does not drain");
    let mut fresh = Conn::open(addr(&proxy, "store").await, None).await;
    fresh.echo(b"new").await.unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Writes `request` and reads one response head and its `Content-Length` body.
async fn exchange(s: &mut tokio::net::TcpStream, request: &[u8]) -> String {
    s.write_all(request).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.expect("a response").unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            if body.len() >= len {
                return text;
            }
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// A TCP and a UDP listener may share an address. Renaming the TCP one while a UDP listener
/// appears beside it (listed first) or stays, keeps the TCP socket and its connections; the
/// UDP listener binds its own socket and answers.
#[tokio::test]
async fn a_renamed_tcp_listener_beside_a_udp_one_on_its_address() {
    let echo = TcpBackend::start("e").await;
    let dns = crate::support::l4::UdpEcho::start("u").await;
    // A port free for both TCP and UDP.
    let port = loop {
        let port = free_port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            break port;
        }
    };
    let config = |listeners: &str| {
        format!(
            r#"
admin: {{ address: "127.0.0.1:0" }}
listeners:
{listeners}
services: [ {{ name: e, endpoints: ["{}"] }}, {{ name: d, endpoints: ["{}"] }} ]
"#,
            echo.addr, dns.addr
        )
    };
    let tcp = |name: &str| {
        format!("  - {{ name: {name}, address: \"127.0.0.1:{port}\", protocol: tcp, service: e, timeouts: {{ drain: 200ms }} }}\n")
    };
    let udp =
        |name: &str| format!("  - {{ name: {name}, address: \"127.0.0.1:{port}\", protocol: udp, service: d }}\n");
    let proxy = start(&config(&tcp("t"))).await;
    let at = addr(&proxy, "t").await;
    let mut conn = Conn::open(at, None).await;
    conn.echo(b"before").await.unwrap();

    // The UDP listener comes first: it must not take the TCP listener's socket.
    apply(&proxy, &config(&(udp("u") + &tcp("t2")))).await.expect("a UDP listener and a renamed TCP one");
    assert_eq!(addr(&proxy, "t2").await, at);
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client.send_to(b"ping", at).await.unwrap();
    let mut buf = [0u8; 64];
    let (n, _) =
        tokio::time::timeout(Duration::from_secs(3), client.recv_from(&mut buf)).await.expect("a UDP answer").unwrap();
    assert!(buf[..n].ends_with(b"ping"), "{:?}", String::from_utf8_lossy(&buf[..n]));

    // Renamed once more beside the UDP listener: past the drain deadline, the connection flows.
    apply(&proxy, &config(&(udp("u") + &tcp("t3")))).await.expect("renamed again");
    tokio::time::sleep(Duration::from_millis(400)).await;
    conn.echo(b"after two renames").await.expect("a connection of a renamed TCP listener never drains");
    Conn::open(at, None).await.echo(b"new").await.unwrap();
}

/// Two listeners swap their addresses, and one then moves to a fresh address while the other
/// takes the address it left: every config goes through (each listener takes over the socket
/// the other leaves), and a keep-alive connection belongs to its address: after the swap its
/// requests go to the listener now there.
#[tokio::test]
async fn listeners_swap_addresses_and_move_onto_vacated_ones() {
    let a = crate::support::backend::Backend::start("a").await;
    let b = crate::support::backend::Backend::start("b").await;
    let (p1, p2, p3) = (free_port(), free_port(), free_port());
    let config = |one: u16, two: u16| {
        format!(
            r#"
admin: {{ address: "127.0.0.1:0" }}
listeners:
  - {{ name: one, address: "127.0.0.1:{one}", protocol: http, default_backend: {{ backend: a }} }}
  - {{ name: two, address: "127.0.0.1:{two}", protocol: http, default_backend: {{ backend: b }} }}
services: [ {{ name: a, endpoints: ["{}"] }}, {{ name: b, endpoints: ["{}"] }} ]
"#,
            a.addr, b.addr
        )
    };
    let backend_of = |response: &str| {
        response.lines().find_map(|l| l.strip_prefix("x-backend: ").map(str::to_owned)).unwrap_or_default()
    };
    let proxy = start(&config(p1, p2)).await;
    let at1: SocketAddr = format!("127.0.0.1:{p1}").parse().unwrap();
    let mut kept = tokio::net::TcpStream::connect(at1).await.unwrap();
    let get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_eq!(backend_of(&exchange(&mut kept, get).await), "a");

    apply(&proxy, &config(p2, p1)).await.expect("two listeners swap their addresses");
    assert_eq!(addr(&proxy, "two").await, at1);
    assert_eq!(backend_of(&exchange(&mut kept, get).await), "b", "the connection follows its address");
    let c = crate::support::harness::client();
    assert_eq!(crate::support::harness::get(&c, at1, "x", "/").await.backend(), "b");
    let at2: SocketAddr = format!("127.0.0.1:{p2}").parse().unwrap();
    assert_eq!(crate::support::harness::get(&c, at2, "x", "/").await.backend(), "a");

    // `two` moves to a fresh port and `one` onto the port `two` leaves.
    apply(&proxy, &config(p1, p3)).await.expect("a move onto a vacated address");
    assert_eq!(crate::support::harness::get(&c, at1, "x", "/").await.backend(), "a");
    let at3: SocketAddr = format!("127.0.0.1:{p3}").parse().unwrap();
    assert_eq!(crate::support::harness::get(&c, at3, "x", "/").await.backend(), "b");
    // Nothing listens on the port no listener has any more.
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(at2).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the address both listeners left still accepts");
}
