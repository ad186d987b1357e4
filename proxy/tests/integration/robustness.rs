//! Randomized robustness: mutated requests and mutated origin responses never panic the
//! proxy, never hang it, and never stop it from serving the next well-formed request.
//! Seeded, so a failure reproduces.

use std::sync::{Mutex, Once};
use std::thread::ThreadId;
use std::time::Duration;

use http::StatusCode;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::backend::Backend;
use crate::support::harness::{self, addr, client, get};
use crate::support::smuggling_cases::cases;

static PANICS: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());

/// Records the thread of every panic, keeping the default report. Each `#[tokio::test]` runs
/// its runtime, and so its proxy's tasks, on its own thread.
fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.lock().unwrap_or_else(|e| e.into_inner()).push(std::thread::current().id());
            prev(info);
        }));
    });
}

/// Panics so far on this thread.
fn panics_here() -> usize {
    let me = std::thread::current().id();
    PANICS.lock().unwrap_or_else(|e| e.into_inner()).iter().filter(|t| **t == me).count()
}

/// Flips, inserts, deletes or duplicates a few bytes.
fn mutate(rng: &mut SmallRng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.random_range(1..4) {
        if v.is_empty() {
            v.push(rng.random());
            continue;
        }
        let i = rng.random_range(0..v.len());
        match rng.random_range(0..5) {
            0 => v[i] = rng.random(),
            1 => v.insert(i, *b"\r\n:; \t\x000-9aZ,".get(rng.random_range(0..15)).unwrap_or(&b'x')),
            2 => {
                v.remove(i);
            }
            3 => {
                let end = (i + rng.random_range(1..16)).min(v.len());
                let dup = v[i..end].to_vec();
                v.splice(i..i, dup);
            }
            _ => v.truncate(i),
        }
    }
    v
}

/// Writes `bytes`, half-closes, and reads whatever comes back within a bound.
async fn poke(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.expect("proxy accepts");
    let _ = s.write_all(bytes).await;
    let _ = s.shutdown().await;
    let mut out = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    assert!(r.is_ok(), "proxy hung on {:?}", String::from_utf8_lossy(bytes));
    out
}

#[tokio::test]
async fn mutated_requests_never_panic_or_hang() {
    count_panics();
    let a = Backend::start("a").await;
    let p = harness::start(&harness::one_origin(a.addr, ", access_log: false", "")).await;
    let web = addr(&p, "web").await;
    let seeds: Vec<Vec<u8>> = cases().into_iter().map(|c| c.raw).collect();
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let before = panics_here();
    for _ in 0..600 {
        let seed = &seeds[rng.random_range(0..seeds.len())];
        let input = mutate(&mut rng, seed);
        let out = poke(web, &input).await;
        // Whatever was answered is an HTTP/1.x response, never anything else.
        assert!(
            out.is_empty() || out.starts_with(b"HTTP/1.1 ") || out.starts_with(b"HTTP/1.0 "),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
    assert_eq!(panics_here(), before, "the proxy panicked");
    let got = get(&client(), web, "x", "/after").await;
    assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "a"));
}

#[tokio::test]
async fn mutated_origin_responses_never_panic_or_hang() {
    count_panics();
    const GOOD: &[&[u8]] = &[
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbye",
    ];
    // An origin that answers each connection's first request with a mutated response, then
    // closes.
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = l.local_addr().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        while let Some(resp) = rx.recv().await {
            let Ok((mut s, _)) = l.accept().await else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(&resp).await;
            let _ = s.shutdown().await;
        }
    });
    let p = harness::start(&harness::one_origin(
        origin,
        ", access_log: false",
        ", outlier: { consecutive_failures: 0 }, timeouts: { response: 2s }",
    ))
    .await;
    let web = addr(&p, "web").await;
    let mut rng = SmallRng::seed_from_u64(0xfeed);
    let before = panics_here();
    for _ in 0..300 {
        let pick = rng.random_range(0..GOOD.len());
        let resp = mutate(&mut rng, GOOD[pick]);
        tx.send(resp.clone()).unwrap();
        let out = poke(web, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(out.starts_with(b"HTTP/1.1 ") || out.is_empty(), "origin sent {:?}", String::from_utf8_lossy(&resp));
    }
    assert_eq!(panics_here(), before, "the proxy panicked");
}
