//! What a transaction reports: one [`MatchedRule`] per rule (chain) that matched, rendered as a
//! ModSecurity-style error-log line, and the JSON [`AuditEntry`] of the whole transaction.

use std::borrow::Cow;

use serde::Serialize;

use crate::engine::rule::Rule;
use crate::engine::transaction::{Intervention, Transaction};

/// What a chain recorded while it matched (the name of the variable that matched last is the
/// transaction's `MATCHED_VAR_NAME` once the chain is through; the value it had in the request,
/// before transformations, is kept by the transaction).
#[derive(Debug, Default)]
pub(crate) struct RuleLog<'r> {
    pub(crate) msg: Option<Vec<u8>>,
    pub(crate) data: Option<Vec<u8>>,
    pub(crate) operator: Option<(&'static str, &'r str)>,
    /// The rule's tags, expanded (borrowed from the rule when they hold no macro).
    pub(crate) tags: Cow<'r, [String]>,
}

/// A rule (with its chain) that matched. The rule's own texts (file, version, constant tags)
/// are borrowed from the rule set, so recording the many `nolog` matches of a request is cheap.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedRule<'r> {
    /// Rule id.
    pub id: u64,
    /// Phase it ran in.
    pub phase: u8,
    /// `msg`, expanded. This and the other texts (`data`, `matched_var`, `matched_value`)
    /// are empty for a match that no log reports: a rule that neither logs, nor goes to the
    /// audit log, nor intervened.
    pub msg: String,
    /// `logdata`, expanded (cut at 200 bytes, as libmodsecurity logs it).
    pub data: String,
    /// Severity number (0 emergency ... 7 debug).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<u8>,
    /// Tags, expanded.
    pub tags: Cow<'r, [String]>,
    /// The variable that matched last (`ARGS:id`).
    pub matched_var: String,
    /// Its value as the request carried it, before transformations (as libmodsecurity logs
    /// it): cut at 100 bytes, followed by ` (N characters omitted)` when longer.
    pub matched_value: String,
    /// Whether the rule writes to the error log (`log`, not `nolog`).
    pub log: bool,
    /// Whether it goes to the audit log.
    pub audit_log: bool,
    /// Whether this rule intervened (in blocking mode).
    pub disruptive: bool,
    /// The rule file.
    pub file: &'r str,
    /// Its line.
    pub line: u32,
    /// `ver`.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub ver: &'r str,
    /// Operator and its argument, for the log line.
    #[serde(skip)]
    operator: (&'static str, &'r str),
    /// The decision, for the log line.
    #[serde(skip)]
    intervention: Option<(u16, u8)>,
    #[serde(skip)]
    maturity: Option<u8>,
    #[serde(skip)]
    accuracy: Option<u8>,
    #[serde(skip)]
    rev: &'r str,
}

impl<'r> MatchedRule<'r> {
    /// `matched_name` is the variable that matched last (`MATCHED_VAR_NAME`).
    pub(crate) fn new(
        rule: &'r Rule,
        phase: u8,
        log: RuleLog<'r>,
        matched_name: &[u8],
        matched_value: &[u8],
        intervention: Option<&Intervention>,
    ) -> Self {
        // The texts of a match no log reports (`nolog`, no intervention: the CRS's setup and
        // bookkeeping rules, dozens a request) are not rendered.
        let reported = rule.log || rule.audit_log || intervention.is_some();
        let text = |b: &[u8]| if reported { log_text(b) } else { String::new() };
        let limited = |max: usize, b: &[u8]| if reported { limit_to(max, b) } else { String::new() };
        MatchedRule {
            id: rule.id,
            phase,
            msg: log.msg.as_deref().map(text).unwrap_or_default(),
            data: log.data.as_deref().map(|d| limited(200, d)).unwrap_or_default(),
            severity: rule.severity,
            tags: log.tags,
            matched_var: text(matched_name),
            matched_value: limited(100, matched_value),
            log: rule.log,
            audit_log: rule.audit_log,
            disruptive: intervention.is_some(),
            file: &rule.file,
            line: rule.line,
            ver: &rule.ver,
            operator: log.operator.unwrap_or(("unconditionalMatch", "")),
            intervention: intervention.map(|i| (i.status, i.phase)),
            maturity: rule.maturity,
            accuracy: rule.accuracy,
            rev: &rule.rev,
        }
    }

    /// The line libmodsecurity writes to the error log for this match, e.g.
    /// `ModSecurity: Warning. Matched "Operator `Rx' ..." [file "..."] [line "12"] [id "942100"] [msg "..."] ...`.
    /// `hostname` is the server address, `uri` the decoded path without the query string.
    /// Every field is [`log_text`], so a request can never break the line; the operator
    /// parameter (rule text) keeps its backslashes.
    pub fn log_line(&self, hostname: &str, uri: &[u8], unique_id: &str) -> String {
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
            let param = limit_to(200, arg.as_bytes());
            let _ = write!(
                s,
                "Matched \"Operator `{name}' with parameter `{}' against variable `{}' (Value: `{}' )",
                rule_text(&param),
                self.matched_var,
                self.matched_value
            );
        }
        let (file, rev, ver) = (rule_text(self.file), rule_text(self.rev), rule_text(self.ver));
        let _ = write!(s, " [file \"{file}\"] [line \"{}\"] [id \"{}\"] [rev \"{rev}\"]", self.line, self.id);
        let _ = write!(s, " [msg \"{}\"] [data \"{}\"]", self.msg, self.data);
        let _ = write!(s, " [severity \"{}\"] [ver \"{ver}\"]", self.severity.map_or(0, u32::from));
        let _ =
            write!(s, " [maturity \"{}\"] [accuracy \"{}\"]", self.maturity.unwrap_or(0), self.accuracy.unwrap_or(0));
        for t in self.tags.iter() {
            let _ = write!(s, " [tag \"{t}\"]");
        }
        let _ = write!(s, " [hostname \"{}\"]", log_text(hostname.as_bytes()));
        let _ = write!(s, " [uri \"{}\"] [unique_id \"{}\"]", limit_to(200, uri), log_text(unique_id.as_bytes()));
        s
    }
}

/// Bytes as log text, as libmodsecurity's `toHexIfNeeded` with its special characters: printable
/// ASCII as is except `"` and `\`, everything else as `\xHH`, so that a value can never break
/// or fake a field of a log line.
pub(crate) fn log_text(bytes: &[u8]) -> String {
    use std::fmt::Write;
    // The usual case, text with nothing to escape, is copied whole.
    let plain = |b: &u8| (0x20..0x7f).contains(b) && *b != b'"' && *b != b'\\';
    if bytes.iter().all(plain) {
        // Printable ASCII: valid UTF-8.
        if let Ok(text) = std::str::from_utf8(bytes) {
            return text.to_owned();
        }
    }
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if plain(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Text from the rules (operator parameters, file names): control bytes and `"` as `\xHH`,
/// backslashes kept (regexes are full of them).
fn rule_text(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '"' || c.is_control() {
            for b in c.to_string().bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// libmodsecurity's `limitTo`: at most `max` bytes, then ` (N characters omitted)`, as
/// [`log_text`].
fn limit_to(max: usize, bytes: &[u8]) -> String {
    match bytes.len().checked_sub(max) {
        Some(rest) if rest > 0 => format!("{} ({rest} characters omitted)", log_text(&bytes[..max])),
        _ => log_text(bytes),
    }
}

/// One JSON audit record for a transaction.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry<'r> {
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
    pub rules: Vec<MatchedRule<'r>>,
}

impl<'r> Transaction<'r> {
    /// The error-log lines of this transaction's logged matches.
    pub fn log_lines(&self) -> Vec<String> {
        let host = String::from_utf8_lossy(&self.store.server_addr);
        let id = String::from_utf8_lossy(&self.store.unique_id);
        let uri = &self.store.filename;
        self.matched.iter().filter(|m| m.log).map(|m| m.log_line(&host, uri, &id)).collect()
    }

    /// The audit record of this transaction.
    pub fn audit_entry(&self) -> AuditEntry<'r> {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let blocked_by = self.intervention().map(|i| i.rule_id);
        let rules: Vec<MatchedRule<'r>> = self.matched.iter().filter(|m| m.audit_log).cloned().collect();
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

#[cfg(test)]
mod tests {
    use super::log_text;

    /// `log_text` byte by byte, without its fast path.
    fn escaped(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|&b| match b {
                b'"' | b'\\' => format!("\\x{b:02x}"),
                0x20..0x7f => char::from(b).to_string(),
                _ => format!("\\x{b:02x}"),
            })
            .collect()
    }

    #[test]
    fn log_text_fast_path_agrees_with_escaping_each_byte() {
        assert_eq!(log_text(b"ARGS:id"), "ARGS:id");
        assert_eq!(log_text(b"a\"b\\c\n\xff"), "a\\x22b\\x5cc\\x0a\\xff");
        assert_eq!(log_text(b""), "");
        // Generated inputs: mostly printable, some quotes, backslashes, controls and high bytes.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..400 {
            let input: Vec<u8> = (0..len % 40)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let b = (seed >> 24) as u8;
                    if len % 3 == 0 {
                        b' ' + b % 95
                    } else {
                        b
                    }
                })
                .collect();
            assert_eq!(log_text(&input), escaped(&input), "{input:?}");
        }
    }
}
