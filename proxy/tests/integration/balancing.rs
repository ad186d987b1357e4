//! Balancing policies, passive ejection and active health checks through the proxy.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use http::{Request, StatusCode};
use http_body_util::Full;

use crate::support::backend::Backend;
use crate::support::harness::{self, addr, client, get, send};

async fn backends(n: usize) -> Vec<Backend> {
    let mut v = Vec::new();
    for i in 0..n {
        v.push(Backend::start(&format!("b{i}")).await);
    }
    v
}

fn config(backends: &[Backend], service_extra: &str) -> String {
    let eps: Vec<String> = backends.iter().map(|b| format!("\"{}\"", b.addr)).collect();
    format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: web, address: "127.0.0.1:0", protocol: http, access_log: false }} ]
routes: [ {{ paths: [ {{ path: /, backend: svc }} ] }} ]
services:
  - name: svc
    endpoints: [{}]
{service_extra}
"#,
        eps.join(", ")
    )
}

async fn tally(p: &proxy::Proxy, n: usize, header: Option<(&str, String)>) -> HashMap<String, usize> {
    let web = addr(p, "web").await;
    let c = client();
    let mut counts = HashMap::new();
    for i in 0..n {
        let mut req = Request::get(format!("http://{web}/t")).header("host", "x");
        if let Some((h, v)) = &header {
            req = req.header(*h, format!("{v}{i}"));
        }
        let got = send(&c, req.body(Full::default()).unwrap()).await;
        assert_eq!(got.status, StatusCode::OK);
        *counts.entry(got.backend().to_owned()).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn round_robin_spreads_evenly() {
    let b = backends(3).await;
    let p = harness::start(&config(&b, "")).await;
    let counts = tally(&p, 300, None).await;
    for be in &b {
        assert_eq!(counts.get(&be.name), Some(&100), "{counts:?}");
    }
}

#[tokio::test]
async fn weighted_round_robin_follows_weights() {
    let b = backends(2).await;
    let yaml = config(&b, "").replace(
        &format!("endpoints: [\"{}\", \"{}\"]", b[0].addr, b[1].addr),
        &format!("endpoints: [{{ address: \"{}\", weight: 3 }}, \"{}\"]", b[0].addr, b[1].addr),
    );
    let p = harness::start(&yaml).await;
    let counts = tally(&p, 400, None).await;
    assert_eq!((counts["b0"], counts["b1"]), (300, 100), "{counts:?}");
}

#[tokio::test]
async fn least_request_avoids_the_busy_endpoint() {
    let b = backends(2).await;
    let p = harness::start(&config(&b, "    balance: { policy: least_request }")).await;
    let web = addr(&p, "web").await;
    // One long request occupies an endpoint...
    let slow = tokio::spawn(async move { get(&client(), web, "x", "/sleep/800").await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let busy = if b[0].count() == 1 { "b0" } else { "b1" };
    // ...so with two endpoints, power of two choices sends everything else to the other one.
    let counts = tally(&p, 40, None).await;
    assert_eq!(counts.get(busy), None, "{counts:?}");
    assert_eq!(slow.await.unwrap().status, StatusCode::OK);
}

#[tokio::test]
async fn consistent_hash_on_header_and_cookie_is_sticky() {
    for (hash_on, algorithm) in [("header", "maglev"), ("cookie", "ring")] {
        let b = backends(4).await;
        let extra = format!(
            "    balance: {{ policy: consistent_hash, hash_on: {hash_on}, hash_key: user, algorithm: {algorithm} }}"
        );
        let p = harness::start(&config(&b, &extra)).await;
        let web = addr(&p, "web").await;
        let c = client();
        let mut seen = HashMap::new();
        for round in 0..3 {
            for user in 0..40 {
                let mut req = Request::get(format!("http://{web}/t"));
                req = match hash_on {
                    "header" => req.header("user", format!("u{user}")),
                    _ => req.header("cookie", format!("a=b; user=u{user}")),
                };
                let got = send(&c, req.body(Full::default()).unwrap()).await;
                let prev = seen.insert(user, got.backend().to_owned());
                if round > 0 {
                    assert_eq!(prev.as_deref(), Some(got.backend()), "{hash_on}: user {user} moved");
                }
            }
        }
        let distinct: std::collections::HashSet<_> = seen.values().collect();
        assert!(distinct.len() >= 3, "{hash_on}: 40 keys landed on only {distinct:?}");
    }
}

#[tokio::test]
async fn consistent_hash_on_client_ip_pins_one_client() {
    let b = backends(3).await;
    let p = harness::start(&config(&b, "    balance: { policy: consistent_hash, hash_on: client_ip }")).await;
    let counts = tally(&p, 30, None).await;
    assert_eq!(counts.len(), 1, "one client address, one endpoint: {counts:?}");
}

#[tokio::test]
async fn killed_endpoint_is_ejected_and_readmitted() {
    let b = backends(2).await;
    let extra = "    outlier: { consecutive_failures: 2, ejection_time: 1s }";
    let p = harness::start(&config(&b, extra)).await;
    let web = addr(&p, "web").await;
    let c = client();
    let dead_addr = b[1].addr;
    b[1].stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Every request still succeeds: connect failures are retried on b0.
    for _ in 0..10 {
        let got = get(&c, web, "x", "/t").await;
        assert_eq!((got.status, got.backend()), (StatusCode::OK, "b0"));
    }
    let m = harness::metrics(&p).await;
    let label = format!("rampart_endpoint_healthy{{service=\"svc\",endpoint=\"{dead_addr}\",state=\"ejected\"}}");
    assert_eq!(harness::metric(&m, &label), Some(0.0), "{m}");
    assert!(
        harness::metric(&m, &format!("rampart_endpoint_ejections_total{{service=\"svc\",endpoint=\"{dead_addr}\"}}"))
            .unwrap()
            >= 1.0
    );
    let retries_before = harness::metric(&m, "rampart_upstream_retries_total{service=\"svc\"}").unwrap();
    // While ejected, b1 is not even tried: no more retries.
    for _ in 0..6 {
        assert_eq!(get(&c, web, "x", "/t").await.backend(), "b0");
    }
    let m = harness::metrics(&p).await;
    assert_eq!(harness::metric(&m, "rampart_upstream_retries_total{service=\"svc\"}").unwrap(), retries_before);

    // Back on its port: after the ejection time it takes traffic again.
    let revived = Backend::start_at("b1", dead_addr).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let counts = tally(&p, 20, None).await;
    assert!(counts.get("b1").copied().unwrap_or(0) >= 8, "{counts:?}");
    assert!(revived.count() >= 8);
}

#[tokio::test]
async fn five_hundreds_eject_passively() {
    let b = backends(2).await;
    let extra = "    outlier: { consecutive_failures: 3, ejection_time: 10s }";
    let p = harness::start(&config(&b, extra)).await;
    let web = addr(&p, "web").await;
    let c = client();
    // Round robin alternates; /status/500 fails on both, so both reach 3 consecutive failures.
    for _ in 0..6 {
        assert_eq!(get(&c, web, "x", "/status/500").await.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    assert_eq!(get(&c, web, "x", "/t").await.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn active_health_check_removes_and_restores() {
    let b = backends(2).await;
    let extra = "    health_check: { path: /healthz, interval: 50ms, timeout: 200ms, healthy_threshold: 2, unhealthy_threshold: 2 }";
    let p = harness::start(&config(&b, extra)).await;
    b[1].healthy.store(false, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let counts = tally(&p, 20, None).await;
    assert_eq!(counts.get("b0"), Some(&20), "unhealthy b1 still got traffic: {counts:?}");
    let m = harness::metrics(&p).await;
    assert!(m.contains(&format!("endpoint=\"{}\",state=\"unhealthy\"}} 0", b[1].addr)), "{m}");
    b[1].healthy.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let counts = tally(&p, 20, None).await;
    assert_eq!(counts.get("b1"), Some(&10), "{counts:?}");
}
