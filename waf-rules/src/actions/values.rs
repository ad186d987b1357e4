//! Typed action arguments shared with the directives: phases, severities, disruptive actions,
//! rule id ranges and the engine switches that both `ctl:` and directives set.

use std::fmt;

use crate::macros::MacroString;

/// A processing phase (`phase:1` .. `phase:5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// 1: request headers.
    RequestHeaders = 1,
    /// 2: request body (`phase:request`).
    RequestBody = 2,
    /// 3: response headers.
    ResponseHeaders = 3,
    /// 4: response body (`phase:response`).
    ResponseBody = 4,
    /// 5: logging (`phase:logging`).
    Logging = 5,
}

impl Phase {
    /// All phases in order.
    pub const ALL: [Phase; 5] =
        [Phase::RequestHeaders, Phase::RequestBody, Phase::ResponseHeaders, Phase::ResponseBody, Phase::Logging];

    /// The phase of a rule that names none. libmodsecurity v3 puts such rules in phase 1
    /// (`Rule` starts at `RequestHeadersPhase`); ModSecurity v2 used phase 2.
    pub const DEFAULT: Phase = Phase::RequestHeaders;

    /// The SecLang number, 1 to 5.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The phase with SecLang number `n`.
    pub fn from_number(n: u8) -> Option<Phase> {
        Self::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// Parses `1`..`5`, `request`, `response` or `logging` (any case).
    pub fn parse(text: &str) -> Option<Phase> {
        match text.to_ascii_lowercase().as_str() {
            "request" => Some(Phase::RequestBody),
            "response" => Some(Phase::ResponseBody),
            "logging" => Some(Phase::Logging),
            n => Self::from_number(n.parse().ok()?),
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// `severity:` levels (syslog numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// 0
    Emergency = 0,
    /// 1
    Alert = 1,
    /// 2
    Critical = 2,
    /// 3
    Error = 3,
    /// 4
    Warning = 4,
    /// 5
    Notice = 5,
    /// 6
    Info = 6,
    /// 7
    Debug = 7,
}

impl Severity {
    const ALL: [Severity; 8] = [
        Severity::Emergency,
        Severity::Alert,
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Notice,
        Severity::Info,
        Severity::Debug,
    ];

    /// The number, 0 (emergency) to 7 (debug).
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The upper-case name (`CRITICAL`).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Emergency => "EMERGENCY",
            Severity::Alert => "ALERT",
            Severity::Critical => "CRITICAL",
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Notice => "NOTICE",
            Severity::Info => "INFO",
            Severity::Debug => "DEBUG",
        }
    }

    /// Parses a name (any case) or a number 0 to 7.
    pub fn parse(text: &str) -> Option<Severity> {
        if let Ok(n) = text.parse::<usize>() {
            return Self::ALL.get(n).copied();
        }
        Self::ALL.iter().copied().find(|s| s.name().eq_ignore_ascii_case(text))
    }
}

/// What `allow` lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowScope {
    /// `allow`: the rest of the transaction.
    Transaction,
    /// `allow:phase`: the rest of the current phase.
    Phase,
    /// `allow:request`: the rest of the request phases; response phases still run.
    Request,
}

/// A disruptive action. A rule's last one wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disruptive {
    /// `allow`, `allow:phase`, `allow:request`.
    Allow(AllowScope),
    /// `block`: use the disruptive action of the phase's `SecDefaultAction`.
    Block,
    /// `deny`: stop the transaction (status from `status:` or 403).
    Deny,
    /// `drop`: close the connection.
    Drop,
    /// `pass`: continue with the next rule.
    Pass,
    /// `redirect:URL`.
    Redirect(MacroString),
}

impl Disruptive {
    /// The action name (`deny`).
    pub fn name(&self) -> &'static str {
        match self {
            Disruptive::Allow(_) => "allow",
            Disruptive::Block => "block",
            Disruptive::Deny => "deny",
            Disruptive::Drop => "drop",
            Disruptive::Pass => "pass",
            Disruptive::Redirect(_) => "redirect",
        }
    }
}

/// A rule id or an inclusive range of ids (`942100`, `1-5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdRange {
    /// First id.
    pub start: u64,
    /// Last id (equal to `start` for a single id).
    pub end: u64,
}

impl IdRange {
    /// True when `id` is in the range.
    pub fn contains(&self, id: u64) -> bool {
        (self.start..=self.end).contains(&id)
    }

    /// Parses `N` or `N-M` with `N <= M`.
    pub fn parse(text: &str) -> Option<IdRange> {
        let text = text.trim();
        let (start, end) = match text.split_once('-') {
            Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
            None => {
                let id = text.parse().ok()?;
                (id, id)
            }
        };
        (start <= end).then_some(IdRange { start, end })
    }

    /// Parses ids and ranges separated by blanks or commas (`1 2 10-20`); `None` if any is
    /// malformed or there is none.
    pub fn parse_list(text: &str) -> Option<Vec<IdRange>> {
        let ranges: Option<Vec<_>> = text
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|s| !s.is_empty())
            .map(Self::parse)
            .collect();
        ranges.filter(|r| !r.is_empty())
    }
}

impl fmt::Display for IdRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// `SecRuleEngine` / `ctl:ruleEngine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleEngine {
    /// Rules run and disruptive actions are carried out.
    On,
    /// Rules do not run.
    Off,
    /// Rules run, but nothing is disrupted.
    DetectionOnly,
}

impl RuleEngine {
    /// Parses `On`, `Off` or `DetectionOnly` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "on" => Some(Self::On),
            "off" => Some(Self::Off),
            "detectiononly" => Some(Self::DetectionOnly),
            _ => None,
        }
    }
}

/// `SecAuditEngine` / `ctl:auditEngine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEngine {
    /// Log every transaction.
    On,
    /// Log nothing.
    Off,
    /// Log transactions that matched a rule or have a relevant status.
    RelevantOnly,
}

impl AuditEngine {
    /// Parses `On`, `Off` or `RelevantOnly` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "on" => Some(Self::On),
            "off" => Some(Self::Off),
            "relevantonly" => Some(Self::RelevantOnly),
            _ => None,
        }
    }
}

/// A request body processor (`ctl:requestBodyProcessor=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyProcessor {
    /// `URLENCODED`
    UrlEncoded,
    /// `MULTIPART`
    Multipart,
    /// `XML`
    Xml,
    /// `JSON`
    Json,
}

impl BodyProcessor {
    /// Parses `URLENCODED`, `MULTIPART`, `XML` or `JSON` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "URLENCODED" => Some(Self::UrlEncoded),
            "MULTIPART" => Some(Self::Multipart),
            "XML" => Some(Self::Xml),
            "JSON" => Some(Self::Json),
            _ => None,
        }
    }
}

/// Parses `On`/`Off` (any case) as a boolean.
pub(crate) fn parse_on_off(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}
