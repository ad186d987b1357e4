//! Config swaps under open TCP connections: established connections keep their endpoint,
//! removed endpoints and listeners drain until their deadline, new connections follow the
//! new config.

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::harness::{addr, apply, metric, metrics, start};
use crate::support::l4::{connect_from, Conn, TcpBackend};

fn config(listeners: &[(&str, &str)], endpoints: &[SocketAddr], drain: &str) -> String {
    let eps: Vec<String> = endpoints.iter().map(|e| format!("\"{e}\"")).collect();
    let ls: Vec<String> = listeners
        .iter()
        .map(|(name, at)| {
            format!(
                "  - {{ name: {name}, address: \"{at}\", protocol: tcp, service: s, timeouts: {{ drain: {drain} }} }}"
            )
        })
        .collect();
    format!(
        "admin: {{ address: \"127.0.0.1:0\" }}\nlisteners:\n{}\nservices: [ {{ name: s, endpoints: [{}] }} ]\n",
        ls.join("\n"),
        eps.join(", ")
    )
}

/// Echoes a message every 20 ms for `d`: the stream keeps flowing.
async fn keeps_flowing(c: &mut Conn, d: Duration) {
    let end = tokio::time::Instant::now() + d;
    let mut k = 0;
    while tokio::time::Instant::now() < end {
        c.echo(format!("tick {k}\n").as_bytes()).await.unwrap_or_else(|e| panic!("stream broke at tick {k}: {e}"));
        k += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn removed_endpoint_keeps_its_stream_until_done_while_new_connections_move() {
    let (b0, b1) = (TcpBackend::start("b0").await, TcpBackend::start("b1").await);
    let proxy = start(&config(&[("db", "127.0.0.1:0")], &[b0.addr, b1.addr], "30s")).await;
    let at = addr(&proxy, "db").await;
    let mut stream = Conn::open(at, None).await;
    assert_eq!(stream.backend, "b0");
    keeps_flowing(&mut stream, Duration::from_millis(100)).await;

    // b0 leaves the service; the listener (same configured address) keeps its socket.
    let listen = "127.0.0.1:0";
    apply(&proxy, &config(&[("db", listen)], &[b1.addr], "30s")).await.unwrap();
    keeps_flowing(&mut stream, Duration::from_millis(300)).await;
    for _ in 0..4 {
        assert_eq!(Conn::open(at, None).await.backend, "b1", "a new connection went to the removed endpoint");
    }
    // More swaps do not disturb it either.
    for drain in ["29s", "28s"] {
        apply(&proxy, &config(&[("db", listen)], &[b1.addr], drain)).await.unwrap();
        keeps_flowing(&mut stream, Duration::from_millis(100)).await;
    }
    let m = metrics(&proxy).await;
    assert_eq!(
        metric(&m, &format!("rampart_l4_connections_active{{service=\"s\",endpoint=\"{}\"}}", b0.addr)),
        Some(1.0),
        "{m}"
    );
    // The client finishes on its own.
    drop(stream);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let m = metrics(&proxy).await;
    assert_eq!(
        metric(&m, &format!("rampart_l4_connections_active{{service=\"s\",endpoint=\"{}\"}}", b0.addr)),
        Some(0.0)
    );
    assert_eq!(metric(&m, "rampart_l4_listener_closed_total{listener=\"db\",reason=\"drain_deadline\"}"), Some(0.0));
}

#[tokio::test]
async fn drain_deadline_closes_what_is_left() {
    let (b0, b1) = (TcpBackend::start("b0").await, TcpBackend::start("b1").await);
    let proxy = start(&config(&[("db", "127.0.0.1:0")], &[b0.addr, b1.addr], "400ms")).await;
    let at = addr(&proxy, "db").await;
    let mut on_b0 = Conn::open(at, None).await;
    let mut on_b1 = Conn::open(at, None).await;
    assert_eq!((on_b0.backend.as_str(), on_b1.backend.as_str()), ("b0", "b1"));
    apply(&proxy, &config(&[("db", "127.0.0.1:0")], &[b1.addr], "400ms")).await.unwrap();
    keeps_flowing(&mut on_b0, Duration::from_millis(250)).await;
    assert!(on_b0.closed_within(Duration::from_millis(600)).await, "not closed at the drain deadline");
    on_b1.echo(b"untouched").await.unwrap();
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_l4_listener_closed_total{listener=\"db\",reason=\"drain_deadline\"}"), Some(1.0));
}

#[tokio::test]
async fn removed_listener_stops_accepting_and_drains() {
    let b = TcpBackend::start("b0").await;
    let proxy = start(&config(&[("db", "127.0.0.1:0"), ("other", "127.0.0.1:0")], &[b.addr], "500ms")).await;
    let at = addr(&proxy, "db").await;
    let other = addr(&proxy, "other").await;
    let mut stream = Conn::open(at, None).await;
    apply(&proxy, &config(&[("other", "127.0.0.1:0")], &[b.addr], "500ms")).await.unwrap();
    assert!(proxy.listener_addr("db").await.is_none());
    // The socket is closed: new connections are refused.
    let mut refused = false;
    for _ in 0..50 {
        if connect_from(at, None).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "removed listener still accepts");
    keeps_flowing(&mut stream, Duration::from_millis(300)).await;
    assert!(stream.closed_within(Duration::from_millis(700)).await, "not closed at the drain deadline");
    Conn::open(other, None).await.echo(b"other listener unaffected").await.unwrap();
}
