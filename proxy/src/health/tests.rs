//! Tests of probes and check tasks against real loopback backends.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::http_check::{parse_status_line, CheckError, Probe};
use super::*;

/// How the fixture backend answers.
const CLOSE: u16 = 0;
const GARBAGE: u16 = 1;
const HANG: u16 = 2;

/// A loopback HTTP backend whose answer can be flipped while checks run.
struct Backend {
    addr: SocketAddr,
    /// A status code, or [`CLOSE`], [`GARBAGE`], [`HANG`].
    answer: Arc<AtomicU16>,
    connections: Arc<AtomicUsize>,
    last_request: Arc<Mutex<String>>,
    task: JoinHandle<()>,
}

impl Backend {
    async fn start(answer: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let answer = Arc::new(AtomicU16::new(answer));
        let connections = Arc::new(AtomicUsize::new(0));
        let last_request = Arc::new(Mutex::new(String::new()));
        let (a, c, l) = (answer.clone(), connections.clone(), last_request.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                c.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, a.clone(), l.clone()));
            }
        });
        Self { addr, answer, connections, last_request, task }
    }

    fn set(&self, answer: u16) {
        self.answer.store(answer, Ordering::SeqCst);
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, answer: Arc<AtomicU16>, last: Arc<Mutex<String>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    *last.lock().unwrap() = String::from_utf8_lossy(&head).into_owned();
    let reply = match answer.load(Ordering::SeqCst) {
        CLOSE => return,
        GARBAGE => "SSH-2.0-OpenSSH_9.6\r\n".to_owned(),
        HANG => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        code => format!("HTTP/1.1 {code} Whatever\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
    };
    let _ = stream.write_all(reply.as_bytes()).await;
}

fn endpoint(addr: SocketAddr) -> Arc<EndpointState> {
    Arc::new(EndpointState::new(Arc::from("svc"), addr))
}

fn check(interval_ms: u64) -> model::HealthCheck {
    model::HealthCheck {
        protocol: model::HealthCheckProtocol::Http,
        path: "/healthz".to_owned(),
        host: None,
        interval: model::Duration::from_millis(interval_ms),
        timeout: model::Duration::from_millis(300),
        healthy_threshold: 2,
        unhealthy_threshold: 3,
    }
}

fn target(endpoint: &Arc<EndpointState>, check: model::HealthCheck) -> CheckTarget {
    CheckTarget { endpoint: endpoint.clone(), check }
}

async fn probe(addr: SocketAddr) -> Result<u16, CheckError> {
    Probe::new(addr, &check(50)).unwrap().run().await
}

/// Waits until `f` holds, up to 3 s.
async fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// An address nothing listens on.
async fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

// === probe ===

#[test]
fn status_lines() {
    assert_eq!(parse_status_line(b"HTTP/1.1 200 OK\r").unwrap(), 200);
    assert_eq!(parse_status_line(b"HTTP/1.0 503 Service Unavailable").unwrap(), 503);
    assert_eq!(parse_status_line(b"HTTP/1.1 204").unwrap(), 204);
    for bad in [&b"HTTP/2 200 OK"[..], b"HTTP/1.1 20 OK", b"HTTP/1.1 2000", b"http/1.1 200 OK", b"", b"HTTP/1.1 2x0"] {
        assert!(matches!(parse_status_line(bad), Err(CheckError::Malformed)), "{bad:?}");
    }
}

#[tokio::test]
async fn probe_sends_the_documented_request() {
    let b = Backend::start(200).await;
    assert_eq!(probe(b.addr).await.unwrap(), 200);
    let want =
        format!("GET /healthz HTTP/1.1\r\nHost: {}\r\nUser-Agent: rampart-health\r\nConnection: close\r\n\r\n", b.addr);
    assert_eq!(*b.last_request.lock().unwrap(), want);

    let mut c = check(50);
    c.host = Some("app.example".to_owned());
    c.path = "/ready?full=1".to_owned();
    Probe::new(b.addr, &c).unwrap().run().await.unwrap();
    assert!(b.last_request.lock().unwrap().starts_with("GET /ready?full=1 HTTP/1.1\r\nHost: app.example\r\n"));
}

#[tokio::test]
async fn probe_judges_answers() {
    let b = Backend::start(200).await;
    assert_eq!(probe(b.addr).await.unwrap(), 200);
    b.set(302);
    assert_eq!(probe(b.addr).await.unwrap(), 302);
    b.set(503);
    assert!(matches!(probe(b.addr).await, Err(CheckError::Status(503))));
    b.set(404);
    assert!(matches!(probe(b.addr).await, Err(CheckError::Status(404))));
    b.set(GARBAGE);
    assert!(matches!(probe(b.addr).await, Err(CheckError::Malformed)));
    b.set(CLOSE);
    assert!(matches!(probe(b.addr).await, Err(CheckError::Closed | CheckError::Io(_))));
    b.set(HANG);
    let started = tokio::time::Instant::now();
    assert!(matches!(probe(b.addr).await, Err(CheckError::Timeout(_))));
    assert!(started.elapsed() < Duration::from_secs(2), "the timeout bounds the probe");
    assert!(matches!(probe(closed_port().await).await, Err(CheckError::Connect(_))));
}

#[test]
fn probe_rejects_header_injection() {
    let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
    let mut c = check(50);
    c.path = "/x\r\nX-Evil: 1".to_owned();
    assert!(matches!(Probe::new(addr, &c), Err(CheckError::InvalidRequest("path"))));
    let mut c = check(50);
    c.host = Some("a\nb".to_owned());
    assert!(matches!(Probe::new(addr, &c), Err(CheckError::InvalidRequest("host"))));
    let mut c = check(50);
    c.path = String::new();
    assert!(Probe::new(addr, &c).unwrap().request().starts_with(b"GET / HTTP/1.1\r\n"));
}

// === checker ===

#[test]
fn checker_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<HealthChecker>();
}

#[tokio::test]
async fn endpoint_goes_unhealthy_and_back_by_thresholds() {
    let b = Backend::start(200).await;
    let ep = endpoint(b.addr);
    let checker = HealthChecker::new();
    checker.reconcile(vec![target(&ep, check(20))]);
    eventually("a few passing checks", || checker.stats().checks >= 3).await;
    assert!(ep.is_available());
    assert_eq!(checker.stats().failures, 0);

    // Failing: unhealthy after exactly `unhealthy_threshold` (3) consecutive failures. The
    // counters move before the result is recorded, and all runs on this one thread.
    b.set(503);
    let base = checker.stats().failures;
    loop {
        let failures = checker.stats().failures - base;
        let available = ep.is_available();
        assert!(available || failures >= 3, "unhealthy after only {failures} failures");
        assert!(!available || failures <= 3, "still healthy after {failures} failures");
        if !available {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    // Passing again: healthy after `healthy_threshold` (2) consecutive successes.
    b.set(200);
    let passes = || {
        let s = checker.stats();
        s.checks - s.failures
    };
    let base = passes();
    loop {
        let ok = passes() - base;
        let available = ep.is_available();
        assert!(!available || ok >= 2, "healthy after only {ok} passes");
        assert!(available || ok <= 2, "still unhealthy after {ok} passes");
        if available {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn closed_backend_goes_unhealthy() {
    let b = Backend::start(200).await;
    let ep = endpoint(b.addr);
    let checker = HealthChecker::new();
    let mut c = check(20);
    c.unhealthy_threshold = 1;
    checker.reconcile(vec![target(&ep, c)]);
    eventually("a passing check", || checker.stats().checks >= 1).await;
    drop(b);
    eventually("unhealthy", || !ep.is_available()).await;
}

#[tokio::test]
async fn tcp_checks_follow_whether_the_endpoint_accepts() {
    // A listener that never answers a byte: only the TCP check can pass on it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(tcp_check::probe(addr, Duration::from_millis(300)).await.is_ok());
    let ep = endpoint(addr);
    let checker = HealthChecker::new();
    let mut c = check(20);
    c.protocol = model::HealthCheckProtocol::Tcp;
    c.unhealthy_threshold = 1;
    c.healthy_threshold = 1;
    checker.reconcile(vec![target(&ep, c)]);
    eventually("passing TCP checks", || checker.stats().checks >= 3).await;
    assert_eq!(checker.stats().failures, 0);
    assert!(ep.is_available());
    drop(listener);
    eventually("unhealthy once nothing listens", || !ep.is_available()).await;
    let err = tcp_check::probe(addr, Duration::from_millis(300)).await.unwrap_err();
    assert!(matches!(err, CheckError::Connect(_)), "{err}");
}

#[tokio::test]
async fn reconcile_stops_removed_checks() {
    let (a, b) = (Backend::start(200).await, Backend::start(200).await);
    let (ea, eb) = (endpoint(a.addr), endpoint(b.addr));
    let checker = HealthChecker::new();
    checker.reconcile(vec![target(&ea, check(20)), target(&eb, check(20))]);
    eventually("both checked", || a.connections() >= 2 && b.connections() >= 2).await;
    assert_eq!(checker.stats().running, 2);

    checker.reconcile(vec![target(&ea, check(20))]);
    assert_eq!(checker.stats().running, 1);
    let b_then = b.connections();
    let a_then = a.connections();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(b.connections(), b_then, "removed check still probing");
    assert!(a.connections() >= a_then + 4, "kept check stalled");

    checker.reconcile(Vec::new());
    assert_eq!(checker.stats().running, 0);
}

#[tokio::test]
async fn reconcile_leaves_unchanged_checks_running() {
    let b = Backend::start(200).await;
    let ep = endpoint(b.addr);
    let checker = HealthChecker::new();
    checker.reconcile(vec![target(&ep, check(200))]);
    eventually("the first check", || b.connections() >= 1).await;
    let started = checker.stats().started;
    assert_eq!(started, 1);

    // A restart would probe again right away (after at most 100 ms of jitter).
    for _ in 0..5 {
        checker.reconcile(vec![target(&ep, check(200))]);
    }
    let before = b.connections();
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(checker.stats().started, 1);
    assert!(b.connections() <= before + 1, "{} probes in 120 ms of a 200 ms interval", b.connections() - before);

    // A changed check restarts; so does a new state for the same endpoint.
    checker.reconcile(vec![target(&ep, check(150))]);
    assert_eq!(checker.stats().started, 2);
    let fresh = endpoint(b.addr);
    checker.reconcile(vec![target(&fresh, check(150))]);
    assert_eq!(checker.stats().started, 3);
    // The same address in another service is a separate check; duplicates are dropped.
    let other = Arc::new(EndpointState::new(Arc::from("other"), b.addr));
    checker.reconcile(vec![target(&fresh, check(150)), target(&other, check(150)), target(&other, check(150))]);
    assert_eq!(checker.stats(), CheckStats { running: 2, started: 4, ..checker.stats() });
}

#[tokio::test]
async fn dropping_the_checker_stops_checks() {
    let b = Backend::start(200).await;
    let ep = endpoint(b.addr);
    let checker = HealthChecker::new();
    checker.reconcile(vec![target(&ep, check(20))]);
    eventually("checks", || b.connections() >= 2).await;
    drop(checker);
    tokio::time::sleep(Duration::from_millis(30)).await;
    let then = b.connections();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(b.connections(), then);
    assert_eq!(Arc::strong_count(&ep), 1, "the aborted task released the endpoint");
}

#[test]
fn reconcile_outside_a_runtime_does_nothing() {
    let checker = HealthChecker::new();
    checker.reconcile(vec![target(&endpoint("127.0.0.1:1".parse().unwrap()), check(20))]);
    assert_eq!(checker.stats(), CheckStats::default());
}
