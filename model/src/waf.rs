//! WAF policies: which SecLang rules (the OWASP CRS, or your own) inspect the requests of a
//! listener or route, and whether a match blocks or is only logged.
//!
//! ```yaml
//! waf:
//!   - name: crs
//!     mode: blocking
//!     rules: [ "crs/crs-setup.conf", "crs/rules/*.conf" ]
//!     crs: { paranoia_level: 1, inbound_anomaly_threshold: 5 }
//! listeners:
//!   - { name: web, address: "0.0.0.0:80", protocol: http, waf: crs }
//! routes:
//!   - { host: static.example.com, waf: "off", paths: [ ... ] }
//! ```

use serde::{Deserialize, Serialize};

/// A named WAF policy, attached to listeners and routes by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WafPolicy {
    /// Unique name; `off` is reserved (it turns the WAF off on a route).
    pub name: String,
    /// What a rule that decides to block does.
    #[serde(default)]
    pub mode: WafMode,
    /// SecLang files or globs, loaded in order (relative to the config file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// SecLang text loaded after `rules`, for a few rules of your own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directives: Option<String>,
    /// OWASP CRS setup variables, set before any rule runs (as `crs-setup.conf` would).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<CrsSetup>,
    /// Request body bytes buffered for inspection; a larger body gets 413.
    #[serde(default = "WafPolicy::default_request_body_limit")]
    pub request_body_limit: u64,
    /// Inspect response headers and bodies too (phases 3 and 4).
    #[serde(default)]
    pub inspect_responses: bool,
    /// Response body bytes buffered for inspection when `inspect_responses` is on; the rest
    /// streams through uninspected.
    #[serde(default = "WafPolicy::default_response_body_limit")]
    pub response_body_limit: u64,
    /// Write one JSON audit line per request that matched a logging rule (target
    /// `rampart::waf`).
    #[serde(default = "crate::config::yes")]
    pub audit_log: bool,
}

impl WafPolicy {
    /// 1 MiB, as a listener's default body limit.
    pub const fn default_request_body_limit() -> u64 {
        1024 * 1024
    }

    /// 512 KiB, as ModSecurity's recommended `SecResponseBodyLimit`.
    pub const fn default_response_body_limit() -> u64 {
        512 * 1024
    }
}

/// What the WAF does with a request its rules decide to block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WafMode {
    /// Rules are not evaluated (`SecRuleEngine Off`).
    Off,
    /// Rules run and log; nothing is blocked (`SecRuleEngine DetectionOnly`).
    DetectionOnly,
    /// Rules run, log and block (`SecRuleEngine On`).
    #[default]
    Blocking,
}

/// The usual OWASP CRS setup variables (`tx.*` in `crs-setup.conf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrsSetup {
    /// `tx.blocking_paranoia_level`, 1 to 4.
    #[serde(default = "CrsSetup::default_paranoia")]
    pub paranoia_level: u8,
    /// `tx.detection_paranoia_level`, at least `paranoia_level` (rules above the blocking
    /// level log without adding to the blocking score).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_paranoia_level: Option<u8>,
    /// `tx.inbound_anomaly_score_threshold`.
    #[serde(default = "CrsSetup::default_inbound")]
    pub inbound_anomaly_threshold: u32,
    /// `tx.outbound_anomaly_score_threshold`.
    #[serde(default = "CrsSetup::default_outbound")]
    pub outbound_anomaly_threshold: u32,
}

impl CrsSetup {
    const fn default_paranoia() -> u8 {
        1
    }
    const fn default_inbound() -> u32 {
        5
    }
    const fn default_outbound() -> u32 {
        4
    }
}

impl Default for CrsSetup {
    fn default() -> Self {
        CrsSetup {
            paranoia_level: Self::default_paranoia(),
            detection_paranoia_level: None,
            inbound_anomaly_threshold: Self::default_inbound(),
            outbound_anomaly_threshold: Self::default_outbound(),
        }
    }
}

/// The reserved policy name that turns the WAF off for a route.
pub const WAF_OFF: &str = "off";
