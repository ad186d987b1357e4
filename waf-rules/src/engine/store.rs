//! What a transaction knows: the request and response pieces ModSecurity variables read, and
//! the mutable collections (`TX`, the persistent-style ones, `MATCHED_VARS`).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::body::{Arg, BodyOutcome, ReqBodyStatus};

/// A collection whose keys compare ASCII case-insensitively (stored lower case), kept in
/// insertion order for iteration.
#[derive(Debug, Default, Clone)]
pub(crate) struct Vars {
    index: HashMap<String, usize>,
    entries: Vec<(String, Vec<u8>)>,
}

impl Vars {
    pub(crate) fn get(&self, key: &str) -> Option<&[u8]> {
        let lower;
        let key = if key.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = key.to_ascii_lowercase();
            lower.as_str()
        } else {
            key
        };
        self.index.get(key).map(|&i| self.entries[i].1.as_slice())
    }

    pub(crate) fn set(&mut self, key: &str, value: Vec<u8>) {
        let key = key.to_ascii_lowercase();
        match self.index.get(&key) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &str) {
        let key = key.to_ascii_lowercase();
        if let Some(i) = self.index.remove(&key) {
            self.entries.remove(i);
            for v in self.index.values_mut() {
                if *v > i {
                    *v -= 1;
                }
            }
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// The request and response data of one transaction, and its collections.
#[derive(Debug, Default)]
pub(crate) struct Store {
    // --- connection ---
    pub(crate) remote_addr: Vec<u8>,
    pub(crate) remote_port: u16,
    pub(crate) server_addr: Vec<u8>,
    pub(crate) server_port: u16,
    pub(crate) server_name: Vec<u8>,
    pub(crate) unique_id: Vec<u8>,

    // --- request line ---
    pub(crate) method: Vec<u8>,
    pub(crate) protocol: Vec<u8>,
    pub(crate) request_line: Vec<u8>,
    /// `REQUEST_URI`: decoded, without scheme and host.
    pub(crate) uri: Vec<u8>,
    /// `REQUEST_URI_RAW`: as sent.
    pub(crate) uri_raw: Vec<u8>,
    pub(crate) filename: Vec<u8>,
    pub(crate) basename: Option<Vec<u8>>,
    pub(crate) query_string: Option<Vec<u8>>,

    // --- request headers and arguments ---
    pub(crate) request_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) cookies: Vec<Arg>,
    pub(crate) args_get: Vec<Arg>,
    pub(crate) args_post: Vec<Arg>,
    /// Body arguments that go to `ARGS` only (JSON leaves).
    pub(crate) args_body_only: Vec<Arg>,
    pub(crate) args_combined_size: u64,
    pub(crate) urlencoded_error: bool,

    // --- request body ---
    pub(crate) request_body: Option<Vec<u8>>,
    pub(crate) request_body_length: Option<u64>,
    pub(crate) body: Option<BodyOutcome>,
    pub(crate) reqbody_processor: Option<&'static str>,
    pub(crate) inbound_data_error: bool,

    // --- response ---
    pub(crate) status: Option<u16>,
    pub(crate) response_protocol: Vec<u8>,
    pub(crate) response_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) response_body: Option<Vec<u8>>,
    pub(crate) outbound_data_error: bool,

    // --- collections ---
    pub(crate) tx: Vars,
    pub(crate) env: Vars,
    /// `IP`, `GLOBAL`, `SESSION`, `USER`, `RESOURCE`: transaction-local (no persistent storage).
    pub(crate) ip: Vars,
    pub(crate) global: Vars,
    pub(crate) session: Vars,
    pub(crate) user: Vars,
    pub(crate) resource: Vars,

    // --- matching state ---
    pub(crate) matched_var: Vec<u8>,
    pub(crate) matched_var_name: Vec<u8>,
    pub(crate) matched_vars: Vec<(Vec<u8>, Vec<u8>)>,
    /// Lowest severity number seen (0 is the most severe); 255 when none.
    pub(crate) highest_severity: u8,
    /// The rule being evaluated, for `%{RULE.*}` macros.
    pub(crate) rule: RuleInfo,
    /// Microseconds since the transaction started, set when read.
    pub(crate) started: Option<std::time::Instant>,
}

/// `RULE.id`, `RULE.msg`, ... of the rule being evaluated.
#[derive(Debug, Default, Clone)]
pub(crate) struct RuleInfo {
    pub(crate) id: u64,
    pub(crate) msg: Vec<u8>,
    pub(crate) severity: Option<u8>,
    pub(crate) rev: String,
    pub(crate) ver: String,
    pub(crate) logdata: Vec<u8>,
}

impl Store {
    /// The first request header named `name` (ASCII case-insensitive).
    pub(crate) fn request_header(&self, name: &[u8]) -> Option<&[u8]> {
        self.request_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// `REQBODY_ERROR` etc., when set.
    pub(crate) fn reqbody_status(&self) -> Option<&ReqBodyStatus> {
        self.body.as_ref().map(|b| &b.status)
    }

    /// Every `ARGS` entry in order: query string, then body.
    pub(crate) fn args(&self) -> impl Iterator<Item = &Arg> {
        self.args_get.iter().chain(self.args_post.iter()).chain(self.args_body_only.iter())
    }

    /// `ARGS_POST`.
    pub(crate) fn args_post(&self) -> impl Iterator<Item = &Arg> {
        self.args_post.iter()
    }

    /// A persistent-style collection by name (`TX`, `IP`, ...).
    pub(crate) fn vars(&self, name: &str) -> Option<&Vars> {
        Some(match name {
            "TX" => &self.tx,
            "IP" => &self.ip,
            "GLOBAL" => &self.global,
            "SESSION" => &self.session,
            "USER" => &self.user,
            "RESOURCE" => &self.resource,
            "ENV" => &self.env,
            _ => return None,
        })
    }

    /// Mutable access to a persistent-style collection.
    pub(crate) fn vars_mut(&mut self, name: &str) -> Option<&mut Vars> {
        Some(match name {
            "TX" => &mut self.tx,
            "IP" => &mut self.ip,
            "GLOBAL" => &mut self.global,
            "SESSION" => &mut self.session,
            "USER" => &mut self.user,
            "RESOURCE" => &mut self.resource,
            "ENV" => &mut self.env,
            _ => return None,
        })
    }

    /// `RESPONSE_CONTENT_TYPE`.
    pub(crate) fn response_content_type(&self) -> Option<&[u8]> {
        self.response_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(b"content-type")).map(|(_, v)| v.as_slice())
    }

    /// A number as its decimal bytes.
    pub(crate) fn number(n: impl std::fmt::Display) -> Cow<'static, [u8]> {
        Cow::Owned(n.to_string().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_are_case_insensitive_and_ordered() {
        let mut v = Vars::default();
        v.set("Anomaly_Score", b"5".to_vec());
        v.set("b", b"1".to_vec());
        v.set("ANOMALY_SCORE", b"10".to_vec());
        assert_eq!(v.get("anomaly_score"), Some(&b"10"[..]));
        assert_eq!(v.get("AnOmaly_score"), Some(&b"10"[..]));
        assert_eq!(v.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["anomaly_score", "b"]);
        v.remove("ANOMALY_score");
        assert_eq!(v.get("anomaly_score"), None);
        assert_eq!(v.get("b"), Some(&b"1"[..]));
        v.set("c", b"2".to_vec());
        assert_eq!(v.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["b", "c"]);
    }
}
