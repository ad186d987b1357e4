//! Live reconfiguration: bad configs are refused with the running one kept, and swaps under
//! load drop no request.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::support::backend::Backend;
use crate::support::harness::{self, addr, client, get};

fn config(a: &Backend, b: &Backend, route_to: &str, extra_route: &str) -> String {
    format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: web, address: "127.0.0.1:0", protocol: http, access_log: false }} ]
routes:
  - paths:
      - {{ path: /, backend: {route_to} }}
{extra_route}
services:
  - {{ name: a, endpoints: ["{}"] }}
  - {{ name: b, endpoints: ["{}"] }}
"#,
        a.addr, b.addr
    )
}

#[tokio::test]
async fn bad_config_is_rejected_and_the_old_one_keeps_serving() {
    let (a, b) = (Backend::start("a").await, Backend::start("b").await);
    let p = harness::start(&config(&a, &b, "a", "")).await;
    let web = addr(&p, "web").await;
    let c = client();
    assert_eq!(get(&c, web, "x", "/").await.backend(), "a");

    // Invalid at validation: every problem is reported with its path.
    let bad = config(&a, &b, "nope", "  - host: \"bad host\"\n    paths: [ { path: nopath, backend: b } ]");
    let err = model::load_str(&bad).unwrap_err().to_string();
    assert!(err.contains("routes[0].paths[0].backend: unknown service \"nope\""), "{err}");
    assert!(err.contains("routes[1].host"), "{err}");
    assert!(err.contains("routes[1].paths[0].path: must start with '/'"), "{err}");

    // Valid YAML but fails to compile: a certificate file that is not a certificate.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let tls = format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners:
  - {{ name: web, address: "127.0.0.1:0", protocol: http }}
  - name: secure
    address: "127.0.0.1:0"
    protocol: https
    tls: {{ certificates: [ {{ cert: "{j}", key: "{j}" }} ] }}
routes: [ {{ paths: [ {{ path: /, backend: b }} ] }} ]
services: [ {{ name: b, endpoints: ["{}"] }} ]
"#,
        b.addr,
        j = junk.display()
    );
    let err = harness::apply(&p, &tls).await.unwrap_err().to_string();
    assert!(err.contains("listeners[1].tls.certificates[0]"), "{err}");
    assert_eq!(get(&c, web, "x", "/").await.backend(), "a", "old config must keep serving");
    let m = harness::metrics(&p).await;
    assert_eq!(harness::metric(&m, "rampart_config_reloads_failed_total"), Some(1.0));
    assert_eq!(harness::metric(&m, "rampart_config_reloads_ok_total"), Some(0.0));

    harness::apply(&p, &config(&a, &b, "b", "")).await.unwrap();
    assert_eq!(get(&c, web, "x", "/").await.backend(), "b");
    let m = harness::metrics(&p).await;
    assert_eq!(harness::metric(&m, "rampart_config_reloads_ok_total"), Some(1.0));
}

#[tokio::test]
async fn listeners_are_added_and_removed_by_reload() {
    let (a, b) = (Backend::start("a").await, Backend::start("b").await);
    let p = harness::start(&config(&a, &b, "a", "")).await;
    let with_second = config(&a, &b, "a", "").replace(
        "listeners: [ { name: web, address: \"127.0.0.1:0\", protocol: http, access_log: false } ]",
        "listeners:\n  - { name: web, address: \"127.0.0.1:0\", protocol: http }\n  - { name: two, address: \"127.0.0.1:0\", protocol: http }",
    );
    let web = addr(&p, "web").await;
    harness::apply(&p, &with_second).await.unwrap();
    assert_eq!(addr(&p, "web").await, web, "unchanged listener keeps its socket");
    let two = addr(&p, "two").await;
    assert_eq!(get(&client(), two, "x", "/").await.backend(), "a");
    harness::apply(&p, &config(&a, &b, "a", "")).await.unwrap();
    assert!(p.listener_addr("two").await.is_none());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(two).await.is_err(), "removed listener still accepts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_swaps_under_keep_alive_load_drop_nothing() {
    let (a, b) = (Backend::start("a").await, Backend::start("b").await);
    let p = Arc::new(harness::start(&config(&a, &b, "a", "")).await);
    let web = addr(&p, "web").await;
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (stop, ok) = (stop.clone(), ok.clone());
        clients.push(tokio::spawn(async move {
            let c = client();
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let got = get(&c, web, "x", "/").await;
                if got.status == StatusCode::OK && (got.backend() == "a" || got.backend() == "b") {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failures.push(format!("{} {:?}", got.status, got.body));
                }
            }
            failures
        }));
    }
    for i in 0..100 {
        let to = if i % 2 == 0 { "b" } else { "a" };
        // Alternate the route and add/remove a second path so each swap changes the tables.
        let extra = if i % 3 == 0 { "      - { path: /extra, backend: a }" } else { "" };
        harness::apply(&p, &config(&a, &b, to, extra)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut failures = Vec::new();
    for c in clients {
        failures.extend(c.await.unwrap());
    }
    assert!(failures.is_empty(), "{} failed requests: {:?}", failures.len(), &failures[..failures.len().min(5)]);
    assert!(ok.load(Ordering::Relaxed) > 200, "too few requests ran: {}", ok.load(Ordering::Relaxed));
    assert!(a.count() > 0 && b.count() > 0, "both configs served");
    // Keep-alive held: far fewer connections than requests.
    let conns = a.connections.load(Ordering::Relaxed) + b.connections.load(Ordering::Relaxed);
    assert!(conns < 64, "{conns} upstream connections for {} requests", ok.load(Ordering::Relaxed));
    let m = harness::metrics(&p).await;
    assert_eq!(harness::metric(&m, "rampart_config_reloads_ok_total"), Some(100.0));
}

#[tokio::test]
async fn listener_switches_from_http_to_https_in_place() {
    use crate::support::tls::Ca;
    let (a, b) = (Backend::start("a").await, Backend::start("b").await);
    let p = harness::start(&config(&a, &b, "a", "")).await;
    let web = addr(&p, "web").await;
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let cert = ca.issue(&["x.test"]).files(dir.path(), "x");
    let https = config(&a, &b, "a", "").replace(
        "protocol: http, access_log: false }",
        &format!(
            "protocol: https, access_log: false, tls: {{ certificates: [ {{ cert: \"{}\", key: \"{}\" }} ] }} }}",
            cert.cert.as_ref().unwrap().display(),
            cert.key.as_ref().unwrap().display()
        ),
    );
    harness::apply(&p, &https).await.unwrap();
    assert_eq!(addr(&p, "web").await, web, "same socket");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(ca.client_config(&["http/1.1"])));
    let tcp = tokio::net::TcpStream::connect(web).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("x.test").unwrap();
    let tls = connector.connect(name, tcp).await.expect("TLS served after the switch");
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let req =
        http::Request::get("/").header("host", "x.test").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-backend"], "a");
}
