//! WAF policies compiled for the data path: the SecLang rule set of each `waf:` policy (an OWASP
//! CRS checkout, rule files and globs, inline directives), its mode and limits, and the
//! per-policy counters the metrics show.
//!
//! Compiling the CRS takes a fraction of a second, so compiled rule sets are cached across
//! config reloads by what they were built from (the generated SecLang text and the size and
//! modification time of every file it names).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

use model::{WafMode, WafPolicy};
use waf_rules::actions::RuleEngine;
use waf_rules::crs::{self, CrsLayout, CrsMode};
use waf_rules::engine::{Collections, RuleSet};

/// Why a WAF policy did not compile.
#[derive(Debug, thiserror::Error)]
#[error("waf[{index}] ({name}): {message}")]
pub struct WafError {
    /// Policy index in the config.
    pub index: usize,
    /// Policy name.
    pub name: String,
    /// What failed (with the rule file, line and column when a rule is at fault).
    pub message: String,
}

/// A compiled policy.
#[derive(Debug)]
pub struct Policy {
    /// Name, for metrics and logs.
    pub name: Arc<str>,
    /// The rules.
    pub rules: Arc<RuleSet>,
    /// The engine mode every transaction starts in.
    pub mode: RuleEngine,
    /// Request body bytes buffered for inspection.
    pub request_body_limit: u64,
    /// Run phases 3 and 4.
    pub inspect_responses: bool,
    /// Response body bytes inspected.
    pub response_body_limit: u64,
    /// Write audit lines.
    pub audit_log: bool,
    /// Counters.
    pub stats: Arc<WafStats>,
    /// The policy's persistent collections (`initcol:ip=...`), kept across reloads by name.
    pub collections: Arc<Collections>,
}

/// Counters of one policy.
#[derive(Debug, Default)]
pub struct WafStats {
    /// Requests inspected.
    pub requests: AtomicU64,
    /// Requests blocked.
    pub blocked: AtomicU64,
    /// Requests on which some logging rule matched without blocking.
    pub detected: AtomicU64,
    /// Matches by rule id.
    rules: Mutex<BTreeMap<u64, u64>>,
}

impl WafStats {
    /// Counts a match of `rule`.
    pub fn rule_matched(&self, rule: u64) {
        *self.rules.lock().unwrap().entry(rule).or_insert(0) += 1;
    }

    /// `(rule id, matches)`, by id.
    pub fn rule_matches(&self) -> Vec<(u64, u64)> {
        self.rules.lock().unwrap().iter().map(|(k, v)| (*k, *v)).collect()
    }
}

/// Compiled rule sets and counters that outlive one config.
#[derive(Debug, Default)]
pub struct WafRegistry {
    compiled: Mutex<HashMap<String, Weak<RuleSet>>>,
    stats: Mutex<BTreeMap<String, Arc<WafStats>>>,
    /// Persistent collections by policy name: a reload keeps the counters rules built up.
    collections: Mutex<BTreeMap<String, Arc<Collections>>>,
}

impl WafRegistry {
    /// The counters of policy `name`.
    pub fn stats(&self, name: &str) -> Arc<WafStats> {
        self.stats.lock().unwrap().entry(name.to_owned()).or_default().clone()
    }

    /// Every policy's counters, by name.
    /// The persistent collections of policy `name`.
    pub fn collections(&self, name: &str) -> Arc<Collections> {
        self.collections.lock().unwrap().entry(name.to_owned()).or_default().clone()
    }

    /// Drops the persistent collections of the policies `keep` says no to.
    pub fn retain_collections(&self, keep: impl Fn(&str) -> bool) {
        self.collections.lock().unwrap().retain(|name, _| keep(name));
    }

    /// Every policy's persistent collections, by name.
    pub fn all_collections(&self) -> Vec<(String, Arc<Collections>)> {
        self.collections.lock().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn all_stats(&self) -> Vec<(String, Arc<WafStats>)> {
        self.stats.lock().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Compiles `policy` (the `index`th of the config), reusing an identical earlier build.
    pub fn compile(&self, index: usize, policy: &WafPolicy) -> Result<Arc<Policy>, WafError> {
        let err = |message: String| WafError { index, name: policy.name.clone(), message };
        let text = seclang(policy).map_err(err)?;
        let key = format!("{text}\n#{}", fingerprint(policy));
        let cached = self.compiled.lock().unwrap().get(&key).and_then(Weak::upgrade);
        let rules = match cached {
            Some(r) => r,
            None => {
                let started = std::time::Instant::now();
                let r = Arc::new(
                    RuleSet::from_str(&format!("waf policy {}", policy.name), &text, ".")
                        .map_err(|e| err(e.to_string()))?,
                );
                tracing::info!(policy = %policy.name, rules = r.rule_count(), ms = started.elapsed().as_millis() as u64, "WAF rules compiled");
                let mut map = self.compiled.lock().unwrap();
                map.retain(|_, w| w.strong_count() > 0);
                map.insert(key, Arc::downgrade(&r));
                r
            }
        };
        Ok(Arc::new(Policy {
            name: Arc::from(policy.name.as_str()),
            rules,
            mode: match policy.mode {
                WafMode::Off => RuleEngine::Off,
                WafMode::DetectionOnly => RuleEngine::DetectionOnly,
                WafMode::Blocking => RuleEngine::On,
            },
            request_body_limit: policy.request_body_limit,
            inspect_responses: policy.inspect_responses,
            response_body_limit: policy.response_body_limit,
            audit_log: policy.audit_log,
            stats: self.stats(&policy.name),
            collections: self.collections(&policy.name),
        }))
    }
}

/// The CRS setup variables a policy asks for.
fn crs_vars(policy: &WafPolicy) -> Vec<(String, String)> {
    let Some(c) = &policy.crs else { return Vec::new() };
    let mut v = vec![
        ("blocking_paranoia_level".to_owned(), c.paranoia_level.to_string()),
        ("inbound_anomaly_score_threshold".to_owned(), c.inbound_anomaly_threshold.to_string()),
        ("outbound_anomaly_score_threshold".to_owned(), c.outbound_anomaly_threshold.to_string()),
    ];
    if let Some(d) = c.detection_paranoia_level {
        v.push(("detection_paranoia_level".to_owned(), d.to_string()));
    }
    v
}

/// The SecLang text of a policy: each `rules` entry is a CRS checkout (directory), or a file or
/// glob to include; then the inline directives.
fn seclang(policy: &WafPolicy) -> Result<String, String> {
    let vars = crs_vars(policy);
    let mut out = String::new();
    if policy.inspect_responses {
        // The policy asks for phase 4; the rule files may still turn it off.
        out.push_str("SecResponseBodyAccess On\n");
    }
    let mut vars_placed = false;
    let mut base_placed = false;
    for entry in &policy.rules {
        let path = Path::new(entry);
        if path.is_dir() {
            let layout = CrsLayout::find(path).ok_or_else(|| {
                format!("{entry}: a directory must be a CRS checkout (crs-setup.conf[.example] and rules/)")
            })?;
            out.push_str(&crs::config_with(&layout, CrsMode::Setup(vars.clone()), !base_placed));
            base_placed = true;
            vars_placed = true;
        } else {
            if !vars_placed {
                // Before any rule file, so the CRS initialisation sees them.
                out.push_str(&crs::setup_action(&vars));
                vars_placed = true;
            }
            if !entry.contains(['*', '?', '[']) && !path.is_file() {
                return Err(format!("{entry}: file not found"));
            }
            out.push_str(&format!("Include \"{entry}\"\n"));
        }
    }
    if !vars_placed {
        out.push_str(&crs::setup_action(&vars));
    }
    if let Some(d) = &policy.directives {
        out.push_str(d);
        out.push('\n');
    }
    Ok(out)
}

/// Sizes and modification times of the files a policy names (directories: their `rules/`).
fn fingerprint(policy: &WafPolicy) -> String {
    let mut out = String::new();
    let mut add = |p: &Path| {
        if let Ok(m) = std::fs::metadata(p) {
            let t = m.modified().ok().and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok()).unwrap_or_default();
            out.push_str(&format!("{}:{}:{};", p.display(), m.len(), t.as_nanos()));
        }
    };
    for entry in &policy.rules {
        let path = Path::new(entry);
        let dir = if path.is_dir() { Some(path.join("rules")) } else { path.parent().map(Path::to_path_buf) };
        add(path);
        if let Some(dir) = dir {
            if let Ok(rd) = std::fs::read_dir(&dir) {
                let mut files: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                files.sort();
                for f in files {
                    add(&f);
                }
            }
        }
    }
    out
}

// === counters in Prometheus text ===

/// Appends the WAF counters of `registry` to `out`.
pub fn render_metrics(registry: &WafRegistry, out: &mut String) {
    use std::fmt::Write;
    let all = registry.all_stats();
    if all.is_empty() {
        return;
    }
    out.push_str("# HELP rampart_waf_requests_total Requests inspected by a WAF policy, by decision.\n");
    out.push_str("# TYPE rampart_waf_requests_total counter\n");
    for (name, s) in &all {
        let total = s.requests.load(Ordering::Relaxed);
        let blocked = s.blocked.load(Ordering::Relaxed);
        let detected = s.detected.load(Ordering::Relaxed);
        let clean = total.saturating_sub(blocked + detected);
        for (decision, n) in [("blocked", blocked), ("detected", detected), ("clean", clean)] {
            let _ = writeln!(out, "rampart_waf_requests_total{{policy=\"{name}\",decision=\"{decision}\"}} {n}");
        }
    }
    out.push_str("# HELP rampart_waf_rule_matches_total Logged rule matches, by policy and rule id.\n");
    out.push_str("# TYPE rampart_waf_rule_matches_total counter\n");
    for (name, s) in &all {
        for (rule, n) in s.rule_matches() {
            let _ = writeln!(out, "rampart_waf_rule_matches_total{{policy=\"{name}\",rule=\"{rule}\"}} {n}");
        }
    }
    out.push_str(
        "# HELP rampart_waf_collection_records Records in a policy's persistent collections (IP, GLOBAL, ...).\n",
    );
    out.push_str("# TYPE rampart_waf_collection_records gauge\n");
    let collections = registry.all_collections();
    for (name, c) in &collections {
        let _ = writeln!(out, "rampart_waf_collection_records{{policy=\"{name}\"}} {}", c.records());
    }
    out.push_str(
        "# HELP rampart_waf_collection_evictions_total Live records evicted to keep a policy's collections bounded.\n",
    );
    out.push_str("# TYPE rampart_waf_collection_evictions_total counter\n");
    for (name, c) in &collections {
        let _ = writeln!(out, "rampart_waf_collection_evictions_total{{policy=\"{name}\"}} {}", c.evicted());
    }
    out.push_str(
        "# HELP rampart_waf_collection_refused_total Record opens and writes refused: the key alone was over an eighth of the store.\n",
    );
    out.push_str("# TYPE rampart_waf_collection_refused_total counter\n");
    for (name, c) in &collections {
        let _ = writeln!(out, "rampart_waf_collection_refused_total{{policy=\"{name}\"}} {}", c.refused());
    }
}
