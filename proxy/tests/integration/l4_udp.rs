//! The UDP proxy: per-client flows, replies that never cross between clients and leave from
//! the address the client sent to, flow idle timeout and flow limit.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::support::harness::{addr, apply, metric, metrics, start};
use crate::support::l4::UdpEcho;

fn udp_config(listen: &str, endpoints: &[SocketAddr], listener: &str) -> String {
    let eps: Vec<String> = endpoints.iter().map(|e| format!("\"{e}\"")).collect();
    format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: dns, address: "{listen}", protocol: udp, service: s{listener} }} ]
services: [ {{ name: s, endpoints: [{}] }} ]
"#,
        eps.join(", ")
    )
}

/// A client socket connected to `to`: it only accepts datagrams whose source is `to`.
async fn client(to: SocketAddr) -> UdpSocket {
    let local = if to.is_ipv4() { "127.0.0.1:0" } else { "[::1]:0" };
    let s = UdpSocket::bind(local).await.unwrap();
    s.connect(to).await.unwrap();
    s
}

async fn ask(s: &UdpSocket, q: &str) -> Option<String> {
    // Like a resolver, resend a query that got no answer: UDP may drop a datagram on a busy
    // machine. A reply that leaves from the wrong address never arrives, however often asked.
    let mut buf = [0u8; 512];
    for _ in 0..3 {
        s.send(q.as_bytes()).await.unwrap();
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(1500), s.recv(&mut buf)).await {
            return Some(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    None
}

/// One query, one wait: for checking that no answer comes.
async fn ask_once(s: &UdpSocket, q: &str) -> Option<String> {
    s.send(q.as_bytes()).await.unwrap();
    let mut buf = [0u8; 512];
    match tokio::time::timeout(Duration::from_millis(1000), s.recv(&mut buf)).await {
        Ok(Ok(n)) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn a_hundred_concurrent_clients_get_only_their_own_replies() {
    const CLIENTS: usize = 100;
    const QUERIES: usize = 10;
    let (u0, u1) = (UdpEcho::start("u0").await, UdpEcho::start("u1").await);
    let proxy = start(&udp_config("127.0.0.1:0", &[u0.addr, u1.addr], "")).await;
    let at = addr(&proxy, "dns").await;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        tasks.push(tokio::spawn(async move {
            let s = Arc::new(client(at).await);
            // Every query in flight at once: the replies come back interleaved. Like a
            // resolver, the client resends what is still unanswered after a while (a burst
            // of 1000 datagrams may overflow a socket buffer somewhere on the way).
            let mine: HashSet<String> = (0..QUERIES).map(|q| format!("client-{c}-query-{q}")).collect();
            let mut want = mine.clone();
            let mut backends = HashSet::new();
            let mut buf = [0u8; 512];
            for attempt in 0..10 {
                for q in &want {
                    s.send(q.as_bytes()).await.unwrap();
                }
                let until = tokio::time::Instant::now() + Duration::from_millis(300 + 100 * attempt);
                while !want.is_empty() {
                    let Ok(r) = tokio::time::timeout_at(until, s.recv(&mut buf)).await else { break };
                    let reply = String::from_utf8_lossy(&buf[..r.unwrap()]).into_owned();
                    let (backend, query) = reply.split_once('|').unwrap_or_else(|| panic!("malformed reply {reply:?}"));
                    assert!(mine.contains(query), "client {c} got a reply not meant for it: {reply:?}");
                    want.remove(query);
                    backends.insert(backend.to_owned());
                }
                if want.is_empty() {
                    break;
                }
            }
            assert!(want.is_empty(), "client {c}: {} queries never answered", want.len());
            assert_eq!(backends.len(), 1, "client {c}'s flow switched endpoints: {backends:?}");
            backends.into_iter().next().unwrap()
        }));
    }
    let mut per_backend = [0usize; 2];
    for t in tasks {
        let b = t.await.unwrap();
        per_backend[usize::from(b == "u1")] += 1;
    }
    assert_eq!(per_backend, [50, 50], "flows are round-robined");
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_l4_listener_active{listener=\"dns\"}"), Some(CLIENTS as f64), "{m}");
    assert_eq!(metric(&m, "rampart_l4_listener_accepted_total{listener=\"dns\"}"), Some(CLIENTS as f64));
    let flows = metric(&m, &format!("rampart_l4_connections_total{{service=\"s\",endpoint=\"{}\"}}", u0.addr));
    assert_eq!(flows, Some(50.0));
}

#[tokio::test]
async fn wildcard_listener_answers_from_the_address_the_client_targeted() {
    let u = UdpEcho::start("u0").await;
    for (listen, targets) in
        [("0.0.0.0:0", vec!["127.0.0.1", "127.0.0.3", "127.9.8.7"]), ("[::]:0", vec!["127.0.0.4", "::1"])]
    {
        let proxy = start(&udp_config(listen, &[u.addr], "")).await;
        let port = addr(&proxy, "dns").await.port();
        for ip in targets {
            let to = SocketAddr::new(ip.parse().unwrap(), port);
            // A connected socket drops datagrams from any other source: a reply that left
            // from the wrong address never arrives.
            let s = client(to).await;
            assert_eq!(ask(&s, "q").await.as_deref(), Some("u0|q"), "{listen}: no reply from {to}");
        }
    }
}

#[tokio::test]
async fn idle_flows_are_forgotten_and_the_flow_limit_holds() {
    let (u0, u1) = (UdpEcho::start("u0").await, UdpEcho::start("u1").await);
    let yaml = udp_config("127.0.0.1:0", &[u0.addr, u1.addr], ", max_connections: 2, timeouts: { flow_idle: 200ms }");
    let proxy = start(&yaml).await;
    let at = addr(&proxy, "dns").await;
    let (a, b, c) = (client(at).await, client(at).await, client(at).await);
    let first = ask(&a, "x").await.expect("a answered");
    assert!(ask(&b, "x").await.is_some());
    assert_eq!(ask_once(&c, "x").await, None, "a third flow got through a limit of 2");
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_l4_listener_closed_total{listener=\"dns\",reason=\"max_connections\"}"), Some(1.0));
    // Both flows idle out; then there is room, and a's new flow is balanced afresh.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_l4_listener_active{listener=\"dns\"}"), Some(0.0), "{m}");
    assert_eq!(metric(&m, "rampart_l4_listener_closed_total{listener=\"dns\",reason=\"idle\"}"), Some(2.0));
    assert!(ask(&c, "x").await.is_some());
    let again = ask(&a, "x").await.expect("a answered again");
    assert_ne!(first.split('|').next(), again.split('|').next(), "a new flow, round-robined elsewhere");
}

#[tokio::test]
async fn flows_of_a_removed_endpoint_drain_then_move() {
    let (u0, u1) = (UdpEcho::start("u0").await, UdpEcho::start("u1").await);
    let timeouts = ", timeouts: { flow_idle: 10s, drain: 300ms }";
    let proxy = start(&udp_config("127.0.0.1:0", &[u0.addr, u1.addr], timeouts)).await;
    let at = addr(&proxy, "dns").await;
    let (a, b) = (client(at).await, client(at).await);
    assert_eq!(ask(&a, "1").await.as_deref(), Some("u0|1"));
    assert_eq!(ask(&b, "1").await.as_deref(), Some("u1|1"));
    apply(&proxy, &udp_config("127.0.0.1:0", &[u1.addr], timeouts)).await.unwrap();
    // The flow keeps its endpoint until the deadline...
    assert_eq!(ask(&a, "2").await.as_deref(), Some("u0|2"));
    tokio::time::sleep(Duration::from_millis(450)).await;
    // ...then the client's next datagram starts a flow on the remaining endpoint.
    assert_eq!(ask(&a, "3").await.as_deref(), Some("u1|3"));
    assert_eq!(ask(&b, "3").await.as_deref(), Some("u1|3"), "flows of kept endpoints are untouched");
    let m = metrics(&proxy).await;
    assert_eq!(metric(&m, "rampart_l4_listener_closed_total{listener=\"dns\",reason=\"drain_deadline\"}"), Some(1.0));
}
