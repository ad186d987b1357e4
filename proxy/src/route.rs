//! HTTP routing with Kubernetes Ingress v1 semantics: picks a value by request host, then by path.
//!
//! # Organization
//! - `host`: request host normalization and the exact / wildcard / any-host index.
//! - `path`: `Exact` and `Prefix` path matching within one host group.
//!
//! # Semantics
//! A table is a set of *host groups*: one per exact host, one per wildcard parent domain
//! (`*.example.com`), and one for rules without a host. A request is matched against exactly one
//! group, the most specific that exists for its host: exact, then wildcard (one extra label), then
//! the host-less group. When no path in that group matches, the lookup fails; it does not fall back
//! to a less specific group (each host behaves like its own ingress-nginx server block).
//!
//! Within a group the longest matching path wins, and on equal length `Exact` beats `Prefix`
//! (`ImplementationSpecific` is treated as `Prefix`). See the `path` module for the element-wise rules.

mod host;
mod path;
#[cfg(test)]
mod tests;

use model::PathType;

use self::host::HostIndex;
use self::path::PathTable;

/// One host+path rule and the value it routes to.
#[derive(Debug, Clone)]
pub struct Rule<T> {
    /// Exact or `*.` wildcard host; any host when None.
    pub host: Option<String>,
    /// The path; starts with `/`.
    pub path: String,
    /// How the path matches.
    pub path_type: PathType,
    /// What a match yields.
    pub value: T,
}

/// A compiled routing table, built once per config snapshot and read on every request.
#[derive(Debug)]
pub struct RouteTable<T> {
    hosts: HostIndex<PathTable<T>>,
    /// Rules without a host: used only when the request host has no exact or wildcard group.
    any_host: PathTable<T>,
}

// === impl RouteTable ===

impl<T> RouteTable<T> {
    /// Compiles rules given in config order.
    ///
    /// Rule hosts are compared case-insensitively (a trailing dot is ignored). Of two `Prefix` rules
    /// in one host group that differ only by a trailing slash (`/foo` and `/foo/`), the first wins.
    pub fn new(rules: Vec<Rule<T>>) -> Self {
        let mut hosts = HostIndex::default();
        let mut any_host = PathTable::default();
        for rule in rules {
            let group = match &rule.host {
                Some(host) if !host.is_empty() => hosts.group_mut(host),
                _ => &mut any_host,
            };
            group.insert(&rule.path, rule.path_type, rule.value);
        }
        Self { hosts, any_host }
    }

    /// The value of the best rule for `host` and `path`, or None when nothing matches.
    ///
    /// `host` is the request's Host or `:authority`: any case, optionally with a `:port` and a
    /// trailing dot; IP literals (`10.0.0.1`, `[::1]:8080`) only match host-less rules. `path` is
    /// the raw request path without the query; it is compared byte for byte (no percent-decoding).
    pub fn lookup(&self, host: &str, path: &str) -> Option<&T> {
        self.hosts.find(host).unwrap_or(&self.any_host).lookup(path)
    }

    /// True when the table has no rules at all.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.any_host.is_empty()
    }
}

impl<T> Default for RouteTable<T> {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}
