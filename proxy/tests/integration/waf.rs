//! WAF policies in the proxy: the OWASP CRS (vendored) blocking attacks before the origin sees
//! them, per-route overrides, detection-only mode, request bodies, response inspection,
//! metrics by rule, and a policy whose rules do not load being refused while the old config
//! keeps serving.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;

use crate::support::backend::Backend;
use crate::support::harness::{self, addr, client, get, h2c_client, metric, metrics, raw, send};

const CRS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../third_party/coreruleset");

fn config(origin: std::net::SocketAddr, mode: &str, extra_policy: &str) -> String {
    format!(
        r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: web, address: "127.0.0.1:0", protocol: http, waf: crs }} ]
routes:
  - {{ paths: [ {{ path: /, backend: a }} ] }}
  - {{ paths: [ {{ path: /open, backend: a }} ], waf: "off" }}
  - {{ paths: [ {{ path: /custom, backend: a }} ], waf: custom }}
services: [ {{ name: a, endpoints: ["{origin}"] }} ]
waf:
  - {{ name: crs, mode: {mode}, rules: ["{CRS}"], crs: {{ paranoia_level: 1 }}{extra_policy} }}
  - name: custom
    directives: |
      SecRule REQUEST_HEADERS:X-Block "@streq yes" "id:10001,phase:1,deny,status:418,msg:'custom block'"
      SecRule ARGS:token "@rx ^secret" "id:10002,phase:2,deny,log,msg:'token leak'"
      SecRule REQUEST_HEADERS:X-Drop "@streq yes" "id:10003,phase:1,drop,msg:'dropped'"
"#
    )
}

#[tokio::test]
async fn crs_blocks_attacks_before_the_origin_and_lets_clean_requests_through() {
    let a = Backend::start("a").await;
    let p = harness::start(&config(a.addr, "blocking", "")).await;
    let web = addr(&p, "web").await;
    let c = client();
    assert_eq!(get(&c, web, "shop.example", "/products?id=7").await.status, StatusCode::OK);
    let seen = a.count();
    let r = get(&c, web, "shop.example", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = get(&c, web, "shop.example", "/item?id=1%27%20OR%20%271%27=%271").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An attack in a urlencoded body, inspected before any upstream is contacted.
    let req = Request::post(format!("http://{web}/login"))
        .header("host", "shop.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(b"user=admin&pass=1%27%20OR%20%271%27%3D%271%27--")))
        .unwrap();
    assert_eq!(send(&c, req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(a.count(), seen, "the origin saw a blocked request");
    // A route with the WAF off passes the same attack.
    assert_eq!(get(&c, web, "x", "/open?q=%3Cscript%3Ealert(1)%3C/script%3E").await.status, StatusCode::OK);
    // Per-route policy with its own rules and status.
    let req = Request::get(format!("http://{web}/custom")).header("x-block", "yes").body(Full::default()).unwrap();
    assert_eq!(send(&c, req).await.status.as_u16(), 418);
    let req = Request::post(format!("http://{web}/custom"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(b"token=secret123")))
        .unwrap();
    assert_eq!(send(&c, req).await.status, StatusCode::FORBIDDEN);
    // The counters name the rules.
    let m = metrics(&p).await;
    assert!(metric(&m, r#"rampart_waf_rule_matches_total{policy="crs",rule="941100"}"#).unwrap_or(0.0) >= 1.0, "{m}");
    assert!(metric(&m, r#"rampart_waf_rule_matches_total{policy="crs",rule="949110"}"#).unwrap_or(0.0) >= 3.0, "{m}");
    assert!(metric(&m, r#"rampart_waf_requests_total{policy="crs",decision="blocked"}"#).unwrap_or(0.0) >= 3.0, "{m}");
    assert!(metric(&m, r#"rampart_waf_requests_total{policy="crs",decision="clean"}"#).unwrap_or(0.0) >= 1.0, "{m}");
    assert_eq!(metric(&m, r#"rampart_waf_rule_matches_total{policy="custom",rule="10001"}"#), Some(1.0), "{m}");
}

#[tokio::test]
async fn detection_only_logs_and_passes() {
    let a = Backend::start("a").await;
    let p = harness::start(&config(a.addr, "detection_only", "")).await;
    let web = addr(&p, "web").await;
    let r = get(&client(), web, "x", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(a.count(), 1);
    let m = metrics(&p).await;
    assert!(metric(&m, r#"rampart_waf_rule_matches_total{policy="crs",rule="941100"}"#).unwrap_or(0.0) >= 1.0, "{m}");
    assert_eq!(metric(&m, r#"rampart_waf_requests_total{policy="crs",decision="detected"}"#), Some(1.0), "{m}");
}

#[tokio::test]
async fn bodies_over_the_policy_limit_get_413_and_responses_can_be_inspected() {
    let a = Backend::start("a").await;
    let p = harness::start(&config(a.addr, "blocking", ", request_body_limit: 1000, inspect_responses: true")).await;
    let web = addr(&p, "web").await;
    let c = client();
    let req = Request::post(format!("http://{web}/echo"))
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from(vec![b'x'; 5000])))
        .unwrap();
    assert_eq!(send(&c, req).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A clean form post passes with its body intact through phases 3 and 4.
    let req = Request::post(format!("http://{web}/echo"))
        .header("host", "shop.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(b"msg=hello+there")))
        .unwrap();
    let r = send(&c, req).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "msg=hello+there"));
    // An origin leaking a SQL error is stopped by the outbound rules (phase 4).
    let r = get(&c, web, "shop.example", "/sqlerror").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn a_policy_whose_rules_do_not_load_is_refused_and_the_old_config_keeps_serving() {
    let a = Backend::start("a").await;
    let p = harness::start(&config(a.addr, "blocking", "")).await;
    let web = addr(&p, "web").await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "SecRule ARGS \"@rx (\" \"id:1,phase:2,deny\"\n").unwrap();
    let yaml = format!(
        "listeners: [ {{ name: web, address: \"{web}\", protocol: http, waf: w }} ]\nroutes: [ {{ paths: [ {{ path: /, backend: a }} ] }} ]\nservices: [ {{ name: a, endpoints: [\"{}\"] }} ]\nwaf: [ {{ name: w, rules: [\"{}\"] }} ]\n",
        a.addr,
        bad.display()
    );
    let e = harness::apply(&p, &yaml).await.unwrap_err().to_string();
    assert!(e.contains("waf[0] (w)") && e.contains("bad.conf:1:"), "{e}");
    // Still the old config: the CRS still blocks.
    let r = get(&client(), web, "x", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// A rate limit kept in the `IP` collection: the fourth request from a client gets 429, and
/// the count survives a config reload (the policy keeps its collections by name).
#[tokio::test]
async fn persistent_collections_count_across_requests_and_reloads() {
    let a = Backend::start("a").await;
    // The listener and admin addresses stay as written ("port 0"), so a reload keeps them.
    let yaml = |limit: u32| {
        format!(
            r#"
admin: {{ address: "127.0.0.1:0" }}
listeners: [ {{ name: web, address: "127.0.0.1:0", protocol: http, waf: limit }} ]
routes: [ {{ paths: [ {{ path: /, backend: a }} ] }} ]
services: [ {{ name: a, endpoints: ["{}"] }} ]
waf:
  - name: limit
    directives: |
      SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{{REMOTE_ADDR}},setvar:ip.hits=+1"
      SecRule IP:hits "@gt {limit}" "id:2,phase:1,deny,status:429,msg:'rate limited'"
"#,
            a.addr
        )
    };
    let p = harness::start(&yaml(3)).await;
    let web = addr(&p, "web").await;
    let c = client();
    for n in 1..=3 {
        assert_eq!(get(&c, web, "x", "/").await.status, StatusCode::OK, "request {n}");
    }
    assert_eq!(get(&c, web, "x", "/").await.status.as_u16(), 429);
    assert_eq!(a.count(), 3, "the refused request never reached the origin");
    let m = metrics(&p).await;
    assert_eq!(metric(&m, r#"rampart_waf_collection_records{policy="limit"}"#), Some(1.0), "{m}");
    assert_eq!(metric(&m, r#"rampart_waf_collection_evictions_total{policy="limit"}"#), Some(0.0), "{m}");
    assert_eq!(metric(&m, r#"rampart_waf_collection_refused_total{policy="limit"}"#), Some(0.0), "{m}");
    // A new config with a higher limit: the five hits so far are kept, so one more passes.
    harness::apply(&p, &yaml(5)).await.unwrap();
    assert_eq!(get(&c, web, "x", "/").await.status, StatusCode::OK, "hit 5 is under the new limit");
    assert_eq!(get(&c, web, "x", "/").await.status.as_u16(), 429, "hit 6 is over it");
    // A config without the policy drops its records: brought back, it starts from zero.
    let without = yaml(5).replace(", waf: limit", "").split("waf:\n").next().unwrap().to_owned();
    harness::apply(&p, &without).await.unwrap();
    let m = metrics(&p).await;
    assert_eq!(metric(&m, r#"rampart_waf_collection_records{policy="limit"}"#), None, "{m}");
    harness::apply(&p, &yaml(1)).await.unwrap();
    assert_eq!(get(&c, web, "x", "/").await.status, StatusCode::OK, "hit 1 of a fresh count");
    assert_eq!(get(&c, web, "x", "/").await.status.as_u16(), 429);
}

/// `drop` closes the connection without an answer: nothing is written on HTTP/1 (both on
/// rampart's own server and on hyper's, which serves chunked bodies), an HTTP/2 connection is
/// closed with its streams, and the origin never sees the request.
#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let a = Backend::start("a").await;
    let p = harness::start(&config(a.addr, "blocking", "")).await;
    let web = addr(&p, "web").await;
    let (got, closed) = raw(web, b"GET /custom HTTP/1.1\r\nHost: x\r\nX-Drop: yes\r\n\r\n").await;
    assert!(closed, "the connection stays open");
    assert_eq!(got, "", "bytes were written before the close");
    let chunked =
        b"POST /custom HTTP/1.1\r\nHost: x\r\nX-Drop: yes\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let (got, closed) = raw(web, chunked).await;
    assert!(closed && got.is_empty(), "hyper's HTTP/1 path answered: {got:?}");
    // Without the header the same requests are answered and kept alive.
    let (got, closed) = raw(web, b"GET /custom HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(got.starts_with("HTTP/1.1 200") && !closed, "{got:?}");
    // HTTP/2: one connection serves a request, then a dropped one closes it, streams and all.
    let tcp = tokio::net::TcpStream::connect(web).await.unwrap();
    let (mut h2, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(tcp))
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    let req = Request::get(format!("http://{web}/custom")).body(Full::<Bytes>::default()).unwrap();
    assert_eq!(h2.send_request(req).await.unwrap().status(), StatusCode::OK);
    let req = Request::get(format!("http://{web}/custom")).header("x-drop", "yes").body(Full::default()).unwrap();
    h2.send_request(req).await.expect_err("an HTTP/2 answer to a dropped request");
    tokio::time::timeout(Duration::from_secs(5), conn)
        .await
        .expect("the HTTP/2 connection is still open after a drop")
        .unwrap()
        .ok();
    let req = Request::get(format!("http://{web}/custom")).body(Full::default()).unwrap();
    assert!(h2.send_request(req).await.is_err(), "a stream on the dropped connection was served");
    // A new connection is served as usual.
    let req = Request::get(format!("http://{web}/custom")).body(Full::default()).unwrap();
    assert_eq!(send(&h2c_client(), req).await.status, StatusCode::OK);
    assert_eq!(a.count(), 3, "the origin saw a dropped request");
}

/// The other streams of an HTTP/2 connection that a `drop` closes are abandoned with it: their
/// upstream exchanges end at once, not when the origin answers nobody.
#[tokio::test]
async fn a_drop_on_http2_abandons_the_other_streams() {
    let a = Backend::start("a").await;
    let p = harness::start(&config(a.addr, "blocking", "")).await;
    let web = addr(&p, "web").await;
    let in_flight = format!(r#"rampart_endpoint_in_flight{{service="a",endpoint="{}"}}"#, a.addr);
    let tcp = tokio::net::TcpStream::connect(web).await.unwrap();
    let (h2, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let slow = {
        let mut h2 = h2.clone();
        let req = Request::get(format!("http://{web}/sleep/5000")).body(Full::<Bytes>::default()).unwrap();
        tokio::spawn(async move { h2.send_request(req).await })
    };
    let started = std::time::Instant::now();
    while metric(&metrics(&p).await, &in_flight) != Some(1.0) {
        assert!(started.elapsed() < Duration::from_secs(3), "the slow request never reached the origin");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut h2 = h2;
    let req = Request::get(format!("http://{web}/custom")).header("x-drop", "yes").body(Full::default()).unwrap();
    h2.send_request(req).await.expect_err("an HTTP/2 answer to a dropped request");
    let dropped = std::time::Instant::now();
    while metric(&metrics(&p).await, &in_flight) != Some(0.0) {
        assert!(
            dropped.elapsed() < Duration::from_secs(2),
            "the other stream still waits on the origin {:?} after the drop",
            dropped.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(slow.await.unwrap().is_err(), "the other stream was answered on a dropped connection");
}
