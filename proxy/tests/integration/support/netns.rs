//! Network namespaces for tests: each test creates its own, uniquely named, and deletes them
//! when dropped (also when the test panics). Code runs inside one on a thread that entered
//! it with setns(2): sockets it creates belong to the namespace for good.
//!
//! Needs root and `ip` (iproute2). A test that cannot get them fails, saying why.

use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A unique short tag: interface names are limited to 15 bytes.
fn tag() -> String {
    format!("{}{}", std::process::id() % 100_000, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs `ip args...`, failing the test with its output when it fails.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap_or_else(|e| {
        panic!("network namespace tests need `ip` from iproute2 (apt-get install iproute2) and root: {e}")
    });
    assert!(
        out.status.success(),
        "`ip {}` failed (these tests need root and iproute2): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A network namespace, deleted on drop.
#[derive(Debug)]
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `rampart-<what>-<tag>` with its loopback up.
    pub fn new(what: &str) -> Self {
        let ns = Self { name: format!("rampart-{what}-{}", tag()) };
        ip(&["netns", "add", &ns.name]);
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// Runs `ip -n NAME args...`.
    pub fn ip(&self, args: &[&str]) {
        let mut all = vec!["-n", &self.name];
        all.extend_from_slice(args);
        ip(&all);
    }

    /// Runs `f` on a new thread inside this namespace and returns what it returns (a panic in
    /// `f` fails the caller).
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        match self.spawn(f).join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Starts `f` on a new thread inside this namespace.
    pub fn spawn<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> std::thread::JoinHandle<R> {
        let path = format!("/var/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            // SAFETY: setns on a namespace file descriptor we hold open; it changes only this
            // thread's network namespace.
            let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(r, 0, "setns into {path}: {}", std::io::Error::last_os_error());
            f()
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace deletes the interfaces inside it.
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
    }
}

/// A veth pair between `a` and `b`; returns the interface names (in `a`, in `b`), both up.
pub fn veth(a: &Netns, b: &Netns) -> (String, String) {
    let t = tag();
    let (ia, ib) = (format!("rv{t}a"), format!("rv{t}b"));
    ip(&["link", "add", &ia, "type", "veth", "peer", "name", &ib]);
    // Until they are moved, the pair lives in this namespace: remove it if moving fails.
    let moved = Command::new("ip").args(["link", "set", &ia, "netns", &a.name]).status().is_ok_and(|s| s.success())
        && Command::new("ip").args(["link", "set", &ib, "netns", &b.name]).status().is_ok_and(|s| s.success());
    if !moved {
        let _ = Command::new("ip").args(["link", "del", &ia]).output();
        panic!("could not move veth pair {ia}/{ib} into {} and {}", a.name, b.name);
    }
    a.ip(&["link", "set", &ia, "up"]);
    b.ip(&["link", "set", &ib, "up"]);
    (ia, ib)
}
