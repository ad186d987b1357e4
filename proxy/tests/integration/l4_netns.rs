//! The L4 proxy in network namespaces: a VIP listener bound (IP_FREEBIND) before this host
//! holds the address, serving as soon as the address is added to an interface, as VRRP does
//! on failover; a NodePort-style listener reached on the host's other address.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::oneshot;

use crate::support::harness::start;
use crate::support::l4::{Conn, TcpBackend, UdpEcho};
use crate::support::netns::{veth, Netns};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Starts backends and a proxy inside `ns` with listeners on `vip`; returns once it serves,
/// and stops it when the returned sender is dropped.
fn serve_in(ns: &Netns, vip: &'static str) -> (oneshot::Sender<()>, std::thread::JoinHandle<()>) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let handle = ns.spawn(move || {
        runtime().block_on(async move {
            let tcp = TcpBackend::start("vip-backend").await;
            let udp = UdpEcho::start("vip-dns").await;
            let yaml = format!(
                r#"
admin: {{ enabled: false }}
listeners:
  - {{ name: vip-tcp, address: "{vip}:8080", protocol: tcp, service: tcp }}
  - {{ name: vip-udp, address: "{vip}:5353", protocol: udp, service: udp }}
  - {{ name: nodeport, address: "0.0.0.0:30080", protocol: tcp, service: tcp }}
services:
  - {{ name: tcp, endpoints: ["{}"] }}
  - {{ name: udp, endpoints: ["{}"] }}
"#,
                tcp.addr, udp.addr
            );
            let proxy = start(&yaml).await;
            ready_tx.send(()).unwrap();
            let _ = stop_rx.await;
            drop(proxy);
        })
    });
    ready_rx.recv_timeout(Duration::from_secs(10)).expect("proxy in the namespace did not start");
    (stop_tx, handle)
}

#[test]
fn vip_listener_bound_before_the_address_exists_serves_once_it_is_added() {
    let (lb, client) = (Netns::new("lb"), Netns::new("cl"));
    let (lb_if, cl_if) = veth(&lb, &client);
    lb.ip(&["addr", "add", "10.77.0.1/24", "dev", &lb_if]);
    client.ip(&["addr", "add", "10.77.0.2/24", "dev", &cl_if]);

    // The proxy binds 10.77.0.10, which no interface holds yet.
    let (stop, proxy) = serve_in(&lb, "10.77.0.10");
    let vip: SocketAddr = "10.77.0.10:8080".parse().unwrap();
    let before = client.run(move || {
        runtime().block_on(async move {
            let tcp = tokio::time::timeout(Duration::from_millis(500), tokio::net::TcpStream::connect(vip)).await;
            let nodeport = Conn::try_open("10.77.0.1:30080".parse().unwrap(), None).await;
            (tcp.is_ok_and(|r| r.is_ok()), nodeport.map(|c| c.backend))
        })
    });
    assert!(!before.0, "connected to a VIP nobody holds");
    assert_eq!(before.1.as_deref(), Ok("vip-backend"), "NodePort listener on every address");

    // "Failover": the address arrives; no restart, no re-bind.
    lb.ip(&["addr", "add", "10.77.0.10/32", "dev", &lb_if]);
    let after = client.run(move || {
        runtime().block_on(async move {
            let mut c = Conn::try_open(vip, None).await?;
            c.echo(b"through the VIP").await?;
            let udp = UdpSocket::bind("10.77.0.2:0").await.map_err(|e| e.to_string())?;
            udp.connect("10.77.0.10:5353").await.map_err(|e| e.to_string())?;
            udp.send(b"query").await.map_err(|e| e.to_string())?;
            let mut buf = [0u8; 64];
            let n = tokio::time::timeout(Duration::from_secs(2), udp.recv(&mut buf))
                .await
                .map_err(|_| "no UDP reply through the VIP".to_owned())?
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((c.backend, String::from_utf8_lossy(&buf[..n]).into_owned()))
        })
    });
    assert_eq!(after, Ok(("vip-backend".to_owned(), "vip-dns|query".to_owned())));
    drop(stop);
    proxy.join().expect("proxy thread");
}
