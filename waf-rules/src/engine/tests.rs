//! Engine tests: small rule sets written in SecLang, run through [`Transaction`]s, each checking
//! one piece of libmodsecurity v3's semantics.
//!
//! # Organization
//! - `phases`: which phase runs what, which variables exist when, phase 5 after an intervention.
//! - `cache`: the transformation cache against chains applied directly.
//! - `chains`: chains, per-match actions, msg/logdata, `MATCHED_VAR(S)`, `capture`, `multiMatch`.
//! - `flow`: `skip`, `skipAfter` and markers, `allow` and its scopes.
//! - `ctl`: `ctl:ruleEngine`, `ruleRemoveById/ByTag`, `ruleRemoveTargetById/ByTag`.
//! - `setvar`: `setvar` operations, macros in keys and values, numbers.
//! - `collections`: persistent collections (`initcol`, `expirevar`, `SecCollectionTimeout`).
//! - `targets`: `!` exclusions, `&` counts, selectors, negated operators with no values.
//! - `modes`: `SecRuleEngine` modes, disruptive actions, `status`, `block`.
//! - `bodies`: request body processors and `REQBODY_ERROR`.
//! - `response`: phases 3 and 4, `SecResponseBodyAccess`, `SecResponseBodyMimeType`.
//! - `log`: the error-log line and the JSON audit entry.

mod bodies;
mod cache;
mod chains;
mod collections;
mod ctl;
mod flow;
mod log;
mod modes;
mod phases;
mod response;
mod setvar;
mod targets;
mod unions;

use super::{Connection, Intervention, RuleSet, Transaction};

/// Compiles `conf`; panics with the loader's message when it does not compile.
pub(super) fn load(conf: &str) -> RuleSet {
    RuleSet::from_str("test.conf", conf, ".").unwrap_or_else(|e| panic!("{e}"))
}

/// Compiles `conf` behind `SecRuleEngine On`.
pub(super) fn on(conf: &str) -> RuleSet {
    load(&format!("SecRuleEngine On\n{conf}"))
}

/// A request to run through phases 1 and 2.
#[derive(Debug, Clone)]
pub(super) struct Request<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    pub fn get(uri: &'a str) -> Self {
        Request { method: "GET", uri, headers: vec![("Host", "example.com")], body: b"" }
    }

    pub fn post(uri: &'a str, content_type: &'a str, body: &'a [u8]) -> Self {
        Request { method: "POST", uri, headers: vec![("Host", "example.com"), ("Content-Type", content_type)], body }
    }

    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// A connection with fixed addresses and id `test-1`.
pub(super) fn connection() -> Connection {
    Connection {
        client_ip: "192.0.2.7".into(),
        client_port: 40123,
        server_ip: "198.51.100.1".into(),
        server_port: 8080,
        unique_id: "test-1".into(),
    }
}

/// Runs phase 1 only.
pub(super) fn headers<'r>(rules: &'r RuleSet, req: &Request<'_>) -> (Transaction<'r>, Option<Intervention>) {
    let mut tx = Transaction::new(rules, &connection());
    let hs = req.headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()));
    let i = tx.process_request_headers(req.method.as_bytes(), req.uri.as_bytes(), b"HTTP/1.1", hs);
    (tx, i)
}

/// Runs phases 1 and 2 (phase 2 only when phase 1 let the request through, as a proxy does).
pub(super) fn request<'r>(rules: &'r RuleSet, req: &Request<'_>) -> (Transaction<'r>, Option<Intervention>) {
    let (mut tx, mut i) = headers(rules, req);
    if i.is_none() {
        i = tx.process_request_body(req.body, false);
    }
    (tx, i)
}

/// Runs all five phases with a `200` `text/html` response carrying `body`, stopping at an
/// intervention (the logging phase always runs).
pub(super) fn full<'r>(
    rules: &'r RuleSet,
    req: &Request<'_>,
    response: &[u8],
) -> (Transaction<'r>, Option<Intervention>) {
    full_with(rules, req, 200, &[("Content-Type", "text/html")], response)
}

/// [`full`] with a chosen status and response headers.
pub(super) fn full_with<'r>(
    rules: &'r RuleSet,
    req: &Request<'_>,
    status: u16,
    response_headers: &[(&str, &str)],
    response: &[u8],
) -> (Transaction<'r>, Option<Intervention>) {
    let (mut tx, mut i) = request(rules, req);
    if i.is_none() {
        let hs = response_headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()));
        i = tx.process_response_headers(status, b"HTTP/1.1", hs);
    }
    if i.is_none() {
        i = tx.process_response_body(response, false);
    }
    tx.process_logging();
    (tx, i)
}

/// The ids of the rules that matched, in order.
pub(super) fn ids(tx: &Transaction<'_>) -> Vec<u64> {
    tx.matched().iter().map(|m| m.id).collect()
}

/// A `TX` variable as text (`None` when unset).
pub(super) fn tx_var(tx: &Transaction<'_>, key: &str) -> Option<String> {
    tx.tx(key).map(|v| String::from_utf8_lossy(v).into_owned())
}
