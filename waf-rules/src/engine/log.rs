//! What a transaction reports: one [`MatchedRule`] per rule (chain) that matched, rendered as a
//! ModSecurity-style error-log line, and the JSON [`AuditEntry`] of the whole transaction.

use serde::Serialize;

use crate::engine::rule::Rule;
use crate::engine::transaction::{Intervention, Transaction};

/// What a chain recorded while it matched.
#[derive(Debug, Default)]
pub(crate) struct RuleLog {
    pub(crate) msg: Option<Vec<u8>>,
    pub(crate) data: Option<Vec<u8>>,
    pub(crate) matched_name: Vec<u8>,
    pub(crate) matched_value: Vec<u8>,
    pub(crate) operator: Option<(&'static str, String)>,
}

/// A rule (with its chain) that matched.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedRule {
    /// Rule id.
    pub id: u64,
    /// Phase it ran in.
    pub phase: u8,
    /// `msg`, expanded.
    pub msg: String,
    /// `logdata`, expanded.
    pub data: String,
    /// Severity number (0 emergency ... 7 debug).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<u8>,
    /// Tags, expanded.
    pub tags: Vec<String>,
    /// The variable that matched last (`ARGS:id`).
    pub matched_var: String,
    /// Its value after transformations (truncated to 200 bytes).
    pub matched_value: String,
    /// Whether the rule writes to the error log (`log`, not `nolog`).
    pub log: bool,
    /// Whether it goes to the audit log.
    pub audit_log: bool,
    /// Whether this rule intervened (in blocking mode).
    pub disruptive: bool,
    /// The rule file.
    pub file: String,
    /// Its line.
    pub line: u32,
    /// `ver`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ver: String,
    /// Operator and its argument, for the log line.
    #[serde(skip)]
    operator: (&'static str, String),
    /// The decision, for the log line.
    #[serde(skip)]
    intervention: Option<(u16, u8)>,
    #[serde(skip)]
    maturity: Option<u8>,
    #[serde(skip)]
    accuracy: Option<u8>,
    #[serde(skip)]
    rev: String,
}

impl MatchedRule {
    pub(crate) fn new(rule: &Rule, phase: u8, log: RuleLog, intervention: Option<&Intervention>) -> Self {
        let text = |b: &[u8]| log_text(b);
        let mut value = log.matched_value;
        value.truncate(200);
        MatchedRule {
            id: rule.id,
            phase,
            msg: log.msg.as_deref().map(text).unwrap_or_default(),
            data: log.data.as_deref().map(text).unwrap_or_default(),
            severity: rule.severity,
            tags: rule.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            matched_var: text(&log.matched_name),
            matched_value: text(&value),
            log: rule.log,
            audit_log: rule.audit_log,
            disruptive: intervention.is_some(),
            file: rule.file.to_string(),
            line: rule.line,
            ver: rule.ver.clone(),
            operator: log.operator.unwrap_or(("unconditionalMatch", String::new())),
            intervention: intervention.map(|i| (i.status, i.phase)),
            maturity: rule.maturity,
            accuracy: rule.accuracy,
            rev: rule.rev.clone(),
        }
    }

    /// The line libmodsecurity writes to the error log for this match, e.g.
    /// `ModSecurity: Warning. Matched "Operator `Rx' ..." [file "..."] [line "12"] [id "942100"] [msg "..."] ...`.
    pub fn log_line(&self, uri: &str, unique_id: &str) -> String {
        use std::fmt::Write;
        let mut s = String::from("ModSecurity: ");
        match self.intervention {
            Some((status, phase)) => {
                let _ = write!(s, "Access denied with code {status} (phase {phase}). ");
            }
            None => s.push_str("Warning. "),
        }
        let (op, arg) = &self.operator;
        if self.matched_var.is_empty() {
            s.push_str("Unconditional match in SecAction.");
        } else {
            let mut name = op.to_string();
            if let Some(first) = name.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            let _ = write!(
                s,
                "Matched \"Operator `{name}' with parameter `{}' against variable `{}' (Value: `{}' )",
                escape(arg),
                escape(&self.matched_var),
                escape(&self.matched_value)
            );
        }
        let _ =
            write!(s, " [file \"{}\"] [line \"{}\"] [id \"{}\"] [rev \"{}\"]", self.file, self.line, self.id, self.rev);
        let _ = write!(s, " [msg \"{}\"] [data \"{}\"]", escape(&self.msg), escape(&self.data));
        let _ = write!(s, " [severity \"{}\"] [ver \"{}\"]", self.severity.map_or(0, u32::from), self.ver);
        let _ =
            write!(s, " [maturity \"{}\"] [accuracy \"{}\"]", self.maturity.unwrap_or(0), self.accuracy.unwrap_or(0));
        for t in &self.tags {
            let _ = write!(s, " [tag \"{}\"]", escape(t));
        }
        let _ = write!(s, " [uri \"{}\"] [unique_id \"{unique_id}\"]", escape(uri));
        s
    }
}

/// Bytes as log text: printable ASCII as is, everything else as `\xHH`, so a value can never
/// break a log line (libmodsecurity escapes the same way).
fn log_text(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Quotes are escaped so a log line stays parseable.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One JSON audit record for a transaction.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// `UNIQUE_ID`.
    pub unique_id: String,
    /// Client address.
    pub client: String,
    /// The request line.
    pub request_line: String,
    /// The response status, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `blocked`, `detected` (rules matched, nothing blocked) or `clean`.
    pub decision: &'static str,
    /// The blocking rule, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<u64>,
    /// Every rule that matched and is audit-logged.
    pub rules: Vec<MatchedRule>,
}

impl Transaction<'_> {
    /// The error-log lines of this transaction's logged matches.
    pub fn log_lines(&self) -> Vec<String> {
        let uri = String::from_utf8_lossy(&self.store.uri);
        let id = String::from_utf8_lossy(&self.store.unique_id);
        self.matched.iter().filter(|m| m.log).map(|m| m.log_line(&uri, &id)).collect()
    }

    /// The audit record of this transaction.
    pub fn audit_entry(&self) -> AuditEntry {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let blocked_by = self.intervention().map(|i| i.rule_id);
        let rules: Vec<MatchedRule> = self.matched.iter().filter(|m| m.audit_log).cloned().collect();
        let decision = if blocked_by.is_some() {
            "blocked"
        } else if self.matched.iter().any(|m| m.log) {
            "detected"
        } else {
            "clean"
        };
        AuditEntry {
            unique_id: text(&self.store.unique_id),
            client: text(&self.store.remote_addr),
            request_line: text(&self.store.request_line),
            status: self.store.status,
            decision,
            blocked_by,
            rules,
        }
    }
}
