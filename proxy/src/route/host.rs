//! Request host normalization and the index from host patterns to host groups.
//!
//! Hosts are ASCII case-insensitive. A request host is reduced to a lowercase DNS name (port and
//! one trailing dot removed) without allocating: it is borrowed as is when already lowercase and
//! copied into a stack buffer otherwise. IP literals never match a host pattern.

use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Longest DNS name (RFC 1035 section 2.3.4); a longer host cannot match any pattern.
const MAX_NAME: usize = 253;

/// Host groups by exact host and by wildcard parent domain.
#[derive(Debug)]
pub(super) struct HostIndex<G> {
    /// Exact hosts, lowercase, without a trailing dot.
    exact: HashMap<Box<str>, G>,
    /// Wildcard patterns by parent domain: `*.example.com` is stored under `example.com`.
    wildcard: HashMap<Box<str>, G>,
}

// === impl HostIndex ===

impl<G> Default for HostIndex<G> {
    fn default() -> Self {
        Self { exact: HashMap::new(), wildcard: HashMap::new() }
    }
}

impl<G: Default> HostIndex<G> {
    /// The group for a rule's host pattern (`foo.example.com` or `*.example.com`), created empty.
    pub(super) fn group_mut(&mut self, pattern: &str) -> &mut G {
        let pattern = pattern.strip_suffix('.').unwrap_or(pattern).to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(parent) => self.wildcard.entry(parent.into()).or_default(),
            None => self.exact.entry(pattern.into_boxed_str()).or_default(),
        }
    }
}

impl<G> HostIndex<G> {
    /// The most specific group for a request host: its exact group, else the wildcard group of its
    /// parent domain (exactly one label more), else None.
    pub(super) fn find(&self, host: &str) -> Option<&G> {
        if self.is_empty() {
            return None;
        }
        let mut buf = [0; MAX_NAME];
        let name = dns_name(host, &mut buf)?;
        if let Some(group) = self.exact.get(name) {
            return Some(group);
        }
        match name.split_once('.') {
            Some((label, parent)) if !label.is_empty() => self.wildcard.get(parent),
            _ => None,
        }
    }

    /// True when no rule has a host.
    pub(super) fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.wildcard.is_empty()
    }
}

/// The request host (`Host` or `:authority`) as a lowercase DNS name without port or trailing dot.
///
/// None when the host is empty, an IP literal (`10.0.0.1`, `[::1]:80`, bare `::1`) or longer than
/// any DNS name; such a host can only match host-less rules. `buf` holds the lowercased copy when
/// the host has uppercase letters.
pub(super) fn dns_name<'a>(host: &'a str, buf: &'a mut [u8; MAX_NAME]) -> Option<&'a str> {
    if host.starts_with('[') {
        return None;
    }
    let name = match host.split_once(':') {
        // A second colon: a bare IPv6 literal, not a name with a port.
        Some((_, port)) if port.contains(':') => return None,
        Some((name, _port)) => name,
        None => host,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > MAX_NAME {
        return None;
    }
    // No top-level domain is numeric, so only a name ending in a digit can be an IPv4 address.
    if name.ends_with(|c: char| c.is_ascii_digit()) && name.parse::<Ipv4Addr>().is_ok() {
        return None;
    }
    if !name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some(name);
    }
    let buf = &mut buf[..name.len()];
    buf.copy_from_slice(name.as_bytes());
    // Only ASCII bytes change, so the copy stays valid UTF-8.
    buf.make_ascii_lowercase();
    std::str::from_utf8(buf).ok()
}
