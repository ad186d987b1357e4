//! `rampart check` and `rampart proxy` as a user runs them: exit codes, messages, the embedded
//! quickstart, reloads on file change and SIGHUP, and SIGTERM.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rampart");

/// A free loopback port (bound and released; good enough for a test).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// GET over HTTP/1.0; None when nothing answers.
fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.get(9..12)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    assert_eq!(rc, 0, "kill failed");
}

fn config(port: u16, admin: u16, body: &str) -> String {
    format!(
        r#"
admin: {{ address: "127.0.0.1:{admin}" }}
listeners: [ {{ name: web, address: "127.0.0.1:{port}", protocol: http }} ]
routes: [ {{ paths: [ {{ path: /, respond: {{ body: "{body}" }} }} ] }} ]
"#
    )
}

fn metric(admin: SocketAddr, name: &str) -> f64 {
    let (_, text) = get(admin, "/metrics").expect("metrics answer");
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in {text}"))
}

#[test]
fn check_accepts_a_good_config() {
    let out = Command::new(BIN)
        .args(["check", concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/examples/quickstart.yaml")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok (1 listeners, 1 routes, 0 services)"));
}

#[test]
fn check_lists_every_problem_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        r#"
listeners:
  - { name: web, address: "127.0.0.1:8080", protocol: https }
routes:
  - paths: [ { path: /, backend: nope } ]
services:
  - { name: a, endpoints: ["127.0.0.1:1", "127.0.0.1:1"] }
"#,
    )
    .unwrap();
    let out = Command::new(BIN).arg("check").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "3 problem(s)",
        "listeners[0].tls: required for protocol https",
        "routes[0].paths[0].backend: unknown service \"nope\"",
        "services[0].endpoints[1]: duplicate endpoint 127.0.0.1:1",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }

    std::fs::write(&file, "listeners:\n  - { name: web, adress: \"127.0.0.1:1\" }\n").unwrap();
    let out = Command::new(BIN).arg("check").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `adress`") && err.contains("line 2"), "{err}");
}

#[test]
fn proxy_reloads_on_change_keeps_old_config_on_error_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rampart.yaml");
    let (port, admin_port) = (free_port(), free_port());
    let web: SocketAddr = ([127, 0, 0, 1], port).into();
    let admin: SocketAddr = ([127, 0, 0, 1], admin_port).into();
    std::fs::write(&file, config(port, admin_port, "v1")).unwrap();
    let child = Command::new(BIN)
        .args(["--log-format", "text", "proxy", "--watch-interval", "100ms", "--config"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut p = Running(child);
    wait_for("the proxy to answer", || get(web, "/").is_some());
    assert_eq!(get(web, "/").unwrap(), (200, "v1".to_owned()));
    assert_eq!(get(admin, "/healthz").unwrap().0, 200);

    // A broken config is refused; the old one keeps serving.
    write_atomically(&file, "listeners: [ { name: web } ]\n");
    wait_for("the rejection to be counted", || metric(admin, "rampart_config_reloads_failed_total") == 1.0);
    assert_eq!(get(web, "/").unwrap(), (200, "v1".to_owned()));

    // A good one is picked up from the file change.
    write_atomically(&file, &config(port, admin_port, "v2"));
    wait_for("v2", || get(web, "/").is_some_and(|(_, b)| b == "v2"));
    assert_eq!(metric(admin, "rampart_config_reloads_ok_total"), 1.0);
    let (_, running) = get(admin, "/config").unwrap();
    assert!(running.contains("\"v2\""), "{running}");

    // SIGHUP forces a reload even when the bytes did not change.
    signal(&p.0, libc::SIGHUP);
    wait_for("the SIGHUP reload", || metric(admin, "rampart_config_reloads_ok_total") == 2.0);

    signal(&p.0, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = p.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "rampart did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(get(web, "/").is_none(), "still answering after exit");
}

#[test]
fn embedded_quickstart_serves_its_page() {
    let probe = TcpListener::bind("127.0.0.1:8080").and_then(|_| TcpListener::bind("127.0.0.1:9901")).map(|_| ());
    assert!(probe.is_ok(), "the quickstart needs 127.0.0.1:8080 and :9901 free: {probe:?}");
    let child = Command::new(BIN).arg("proxy").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let _p = Running(child);
    let web: SocketAddr = ([127, 0, 0, 1], 8080).into();
    wait_for("the quickstart page", || get(web, "/").is_some());
    let (status, body) = get(web, "/").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("rampart is running"), "{body}");
    let (status, _) = get(([127, 0, 0, 1], 9901).into(), "/metrics").unwrap();
    assert_eq!(status, 200);
}

/// Replaces `path` in one rename, as editors and ConfigMap updates do.
fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn access_log_lines_are_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rampart.yaml");
    let (port, admin_port) = (free_port(), free_port());
    std::fs::write(&file, config(port, admin_port, "logged")).unwrap();
    let log = dir.path().join("stderr.log");
    let child = Command::new(BIN)
        .args(["proxy", "--config"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let p = Running(child);
    let web: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_for("the proxy to answer", || get(web, "/").is_some());
    assert_eq!(get(web, "/some/path?q=1").unwrap(), (200, "logged".to_owned()));
    drop(p);
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["target"] == "rampart::access" && v["path"] == "/some/path")
        .unwrap_or_else(|| panic!("no JSON access line for /some/path in:\n{text}"));
    assert_eq!(line["status"], 200);
    assert_eq!(line["method"], "GET");
    assert_eq!(line["host"], "test");
    assert_eq!(line["listener"], "web");
    assert!(line["duration_us"].is_u64(), "{line}");
}
