//! The rule engine as a go-ftw [`Target`]: each request runs through the phases of a
//! [`Transaction`], the built-in albedo backend answers what the WAF lets through, and the
//! outcome carries the error-log lines go-ftw would read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::albedo;
use super::runner::{Outcome, Target};
use crate::engine::{Collections, Connection, RuleSet, Transaction};
use crate::request::RawRequest;

/// Runs requests through a compiled rule set and the albedo backend.
#[derive(Debug)]
pub struct WafTarget {
    rules: Arc<RuleSet>,
    next_id: AtomicU64,
    /// Persistent collections, shared by the run's requests as a server shares them.
    collections: Collections,
}

impl WafTarget {
    /// A target for `rules`.
    pub fn new(rules: Arc<RuleSet>) -> Self {
        WafTarget { rules, next_id: AtomicU64::new(1), collections: Collections::new() }
    }

    /// Runs one request and returns the finished transaction's outcome.
    pub fn run(&self, request: &RawRequest) -> Outcome {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Connection {
            client_ip: "127.0.0.1".into(),
            client_port: 40000 + (n % 20000) as u16,
            server_ip: "127.0.0.1".into(),
            server_port: 80,
            unique_id: format!("ftw-{n:08}"),
        };
        let mut tx = Transaction::new(&self.rules, &conn);
        tx.set_collections(&self.collections);
        let merged = merge_headers(&request.headers);
        let headers = merged.iter().map(|(n, v)| (n.as_slice(), v.as_slice()));
        let mut intervention = tx.process_request_headers(&request.method, &request.uri, &request.protocol, headers);
        if intervention.is_none() && request.body_error.is_none() {
            intervention = tx.process_request_body(&request.body, false);
        }
        let mut outcome = Outcome::default();
        match intervention {
            Some(i) => outcome.status = (!i.drop).then_some(i.status),
            None if request.body_error.is_some() => {}
            None => {
                let answer = albedo::respond(request);
                let headers = answer.headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice()));
                let mut decided = tx.process_response_headers(answer.status, b"HTTP/1.1", headers);
                if decided.is_none() {
                    decided = tx.process_response_body(&answer.body, false);
                }
                match decided {
                    Some(i) => outcome.status = (!i.drop).then_some(i.status),
                    None => {
                        outcome.status = Some(answer.status);
                        outcome.response_headers = answer.headers;
                        outcome.response_body = answer.body;
                    }
                }
            }
        }
        tx.process_logging();
        outcome.matched_rule_ids = tx.matched().iter().filter(|m| m.log).map(|m| m.id).collect();
        outcome.log = tx.log_lines().join("\n");
        outcome
    }
}

/// Same-name request headers joined with `, `, as Apache hands them to ModSecurity.
fn merge_headers(headers: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        match out.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, v)) => {
                v.extend_from_slice(b", ");
                v.extend_from_slice(value);
            }
            None => out.push((name.clone(), value.clone())),
        }
    }
    out
}

impl Target for WafTarget {
    fn handle(&self, request: &RawRequest) -> Outcome {
        self.run(request)
    }
}
