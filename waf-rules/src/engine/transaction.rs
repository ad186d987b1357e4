//! One request through the rule set: the phase entry points, rule and chain evaluation, and the
//! actions that change the transaction (`setvar`, `ctl`, `skipAfter`, disruptive actions).

use std::borrow::Cow;
use std::sync::Arc;

use crate::actions::{Action, AllowScope, Ctl, Disruptive, IdRange, RuleEngine, SetVarOp};
use crate::body::{self, BodyConfig, BodyProcessor};
use crate::engine::log::{MatchedRule, RuleLog};
use crate::engine::rule::{selector_matches, Rule};
use crate::engine::store::{RuleInfo, Store};
use crate::engine::values::{self, Value};
use crate::engine::{Entry, RuleSet};
use crate::macros::{MacroString, Resolve};
use crate::operators::{Captures, OpContext};
use crate::transformations::Transformation;
use crate::variables::{Selector, VariableName};

/// Where the request came from and went to.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// Client address (`REMOTE_ADDR`).
    pub client_ip: String,
    /// Client port.
    pub client_port: u16,
    /// Local address (`SERVER_ADDR`).
    pub server_ip: String,
    /// Local port.
    pub server_port: u16,
    /// `UNIQUE_ID`; a request id.
    pub unique_id: String,
}

/// What a disruptive rule asks the proxy to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intervention {
    /// The status to answer with (403 by default for `deny`).
    pub status: u16,
    /// `redirect:`: where to send the client (with a 302 unless `status` says otherwise).
    pub redirect: Option<String>,
    /// `drop`: close the connection without an answer.
    pub drop: bool,
    /// The rule that decided.
    pub rule_id: u64,
    /// The phase it ran in.
    pub phase: u8,
}

/// A target removed from rules at run time (`ctl:ruleRemoveTarget*`).
#[derive(Debug)]
struct RemovedTarget {
    ids: Option<Vec<IdRange>>,
    tag: Option<String>,
    name: VariableName,
    selector: Option<Selector>,
}

/// One value that matched, kept until the rule's actions run.
struct Found {
    name: Vec<u8>,
    value: Vec<u8>,
    captures: Option<Captures>,
}

/// The state of one request.
#[derive(Debug)]
pub struct Transaction<'r> {
    rules: &'r RuleSet,
    pub(crate) store: Store,
    mode: RuleEngine,
    removed_ids: Vec<IdRange>,
    removed_tags: Vec<String>,
    removed_targets: Vec<RemovedTarget>,
    skip_after: Option<String>,
    skip: u32,
    allow: Option<AllowScope>,
    intervention: Option<Intervention>,
    pub(crate) matched: Vec<MatchedRule>,
    /// `ctl:requestBodyProcessor`.
    body_processor: Option<BodyProcessor>,
    /// The processor the request's Content-Type asks for.
    body_type: Option<BodyProcessor>,
    force_body_variable: bool,
    request_body_access: bool,
    /// msg/logdata of the chain being evaluated, expanded at match time.
    current: RuleLog,
    phases_run: u8,
}

impl<'r> Transaction<'r> {
    /// Starts a transaction on `rules`.
    pub fn new(rules: &'r RuleSet, conn: &Connection) -> Self {
        let store = Store {
            remote_addr: conn.client_ip.clone().into_bytes(),
            remote_port: conn.client_port,
            server_addr: conn.server_ip.clone().into_bytes(),
            server_port: conn.server_port,
            unique_id: conn.unique_id.clone().into_bytes(),
            highest_severity: u8::MAX,
            started: Some(std::time::Instant::now()),
            ..Store::default()
        };
        Transaction {
            rules,
            store,
            mode: rules.mode,
            removed_ids: Vec::new(),
            removed_tags: Vec::new(),
            removed_targets: Vec::new(),
            skip_after: None,
            skip: 0,
            allow: None,
            intervention: None,
            matched: Vec::new(),
            body_processor: None,
            body_type: None,
            force_body_variable: false,
            // rampart inspects bodies unless `SecRequestBodyAccess Off` says otherwise.
            request_body_access: rules.settings.request_body_access.unwrap_or(true),
            current: RuleLog::default(),
            phases_run: 0,
        }
    }

    /// Overrides the engine mode (`SecRuleEngine`), e.g. from a proxy policy.
    pub fn set_mode(&mut self, mode: RuleEngine) {
        self.mode = mode;
    }

    /// The engine mode now (rules may change it with `ctl:ruleEngine`).
    pub fn mode(&self) -> RuleEngine {
        self.mode
    }

    /// Sets a `TX` variable before the rules run (CRS setup values, for instance).
    pub fn set_tx(&mut self, key: &str, value: &str) {
        self.store.tx.set(key, value.as_bytes().to_vec());
    }

    /// A `TX` variable, for inspection.
    pub fn tx(&self, key: &str) -> Option<&[u8]> {
        self.store.tx.get(key)
    }

    /// The rules that matched so far, in order.
    pub fn matched(&self) -> &[MatchedRule] {
        &self.matched
    }

    /// The intervention decided so far, if any.
    pub fn intervention(&self) -> Option<&Intervention> {
        self.intervention.as_ref()
    }

    // === phases ===

    /// Phase 1: the request line and headers. `uri` is the request target as sent.
    pub fn process_request_headers<'h>(
        &mut self,
        method: &[u8],
        uri: &[u8],
        protocol: &[u8],
        headers: impl IntoIterator<Item = (&'h [u8], &'h [u8])>,
    ) -> Option<Intervention> {
        self.store.method = method.to_vec();
        self.store.protocol = protocol.to_vec();
        self.store.uri_raw = uri.to_vec();
        let mut line = method.to_vec();
        line.push(b' ');
        line.extend_from_slice(uri);
        if !protocol.is_empty() {
            line.push(b' ');
            line.extend_from_slice(protocol);
        }
        self.store.request_line = line;
        split_uri(&mut self.store, uri);
        let separator = self.rules.settings.argument_separator.map_or(b'&', |c| c as u8);
        if let Some(q) = &self.store.query_string {
            let parsed = body::urlencoded::parse(q, separator, self.args_limit());
            self.store.urlencoded_error |= parsed.invalid_encoding;
            for a in &parsed.args {
                self.store.args_combined_size += (a.name.len() + a.value.len()) as u64;
            }
            self.store.args_get = parsed.args;
        }
        for (name, value) in headers {
            if name.eq_ignore_ascii_case(b"content-type") {
                if let Some(p) = BodyProcessor::from_content_type(value) {
                    self.body_type = Some(p);
                    self.store.reqbody_processor = Some(p.name());
                }
            }
            if name.eq_ignore_ascii_case(b"cookie") {
                self.store.cookies.extend(body::cookies::parse(value));
            }
            if name.eq_ignore_ascii_case(b"host") && self.store.server_name.is_empty() {
                let host = value.rsplit_once_port();
                self.store.server_name = host.to_vec();
            }
            self.store.request_headers.push((name.to_vec(), value.to_vec()));
        }
        self.run_phase(1)
    }

    /// Phase 2: the request body (empty when there is none), as buffered by the caller.
    /// `truncated` says the body went over the caller's limit and only a prefix is given.
    pub fn process_request_body(&mut self, body: &[u8], truncated: bool) -> Option<Intervention> {
        self.store.inbound_data_error = truncated;
        if self.intervention.is_some() || self.mode == RuleEngine::Off {
            return self.intervention.clone();
        }
        // As libmodsecurity: a processor chosen by `ctl` wins; otherwise the Content-Type's
        // (multipart or urlencoded); otherwise nothing is parsed and REQBODY_ERROR is 0.
        let processor = self.body_processor.or(self.body_type);
        let content_type = self.store.request_header(b"content-type").map(<[u8]>::to_vec);
        let config = BodyConfig {
            argument_separator: self.rules.settings.argument_separator.map_or(b'&', |c| c as u8),
            args_remaining: self.args_limit().map(|l| l.saturating_sub(self.store.args_get.len())),
            ..BodyConfig::default()
        };
        let mut outcome = body::process(processor, content_type.as_deref(), body, &config);
        self.store.urlencoded_error |= outcome.urlencoded_error;
        let args = std::mem::take(&mut outcome.args);
        if outcome.args_counted {
            for a in &args {
                self.store.args_combined_size += (a.name.len() + a.value.len()) as u64;
            }
        }
        if outcome.args_post {
            self.store.args_post = args;
        } else {
            self.store.args_body_only = args;
        }
        self.store.body = Some(outcome);
        if !self.request_body_access {
            return None;
        }
        if !body.is_empty() {
            // REQUEST_BODY holds the raw body, as libmodsecurity v3 fills it, except for XML
            // bodies unless a rule forces it (`ctl:forceRequestBodyVariable`): element names
            // would otherwise trip REQUEST_BODY rules, which the CRS tests (written for
            // ModSecurity v2, which fills it only for urlencoded bodies) treat as false
            // positives.
            if self.force_body_variable || processor != Some(BodyProcessor::Xml) {
                self.store.request_body = Some(body.to_vec());
            }
            self.store.request_body_length = Some(body.len() as u64);
        }
        self.run_phase(2)
    }

    /// Phase 3: the response status line and headers.
    pub fn process_response_headers<'h>(
        &mut self,
        status: u16,
        protocol: &[u8],
        headers: impl IntoIterator<Item = (&'h [u8], &'h [u8])>,
    ) -> Option<Intervention> {
        self.store.status = Some(status);
        self.store.response_protocol = protocol.to_vec();
        self.store.response_headers = headers.into_iter().map(|(n, v)| (n.to_vec(), v.to_vec())).collect();
        self.run_phase(3)
    }

    /// Phase 4: the response body (a prefix of it when `truncated`).
    pub fn process_response_body(&mut self, body: &[u8], truncated: bool) -> Option<Intervention> {
        self.store.outbound_data_error = truncated;
        if self.rules.settings.response_body_access.unwrap_or(false) {
            self.store.response_body = Some(body.to_vec());
        }
        self.run_phase(4)
    }

    /// Phase 5: logging. Runs even after an intervention.
    pub fn process_logging(&mut self) {
        if self.phases_run < 5 {
            self.allow = None;
            self.run_rules(5);
            self.phases_run = 5;
        }
    }

    /// Runs a request phase unless the transaction is already decided.
    fn run_phase(&mut self, phase: u8) -> Option<Intervention> {
        self.phases_run = self.phases_run.max(phase);
        if self.intervention.is_some() {
            return self.intervention.clone();
        }
        match self.allow {
            Some(AllowScope::Transaction) => return None,
            Some(AllowScope::Request) if phase <= 2 => return None,
            Some(AllowScope::Phase) => self.allow = None,
            _ => {}
        }
        self.run_rules(phase);
        self.intervention.clone()
    }

    fn run_rules(&mut self, phase: u8) {
        if self.mode == RuleEngine::Off {
            return;
        }
        let rules = self.rules;
        self.skip_after = None;
        self.skip = 0;
        for entry in &rules.phases[usize::from(phase - 1)] {
            let rule = match entry {
                Entry::Marker(name) => {
                    if self.skip_after.as_deref() == Some(&**name) {
                        self.skip_after = None;
                    }
                    continue;
                }
                Entry::Rule(r) => r,
            };
            if self.skip_after.is_some() {
                continue;
            }
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            if self.is_removed(rule) {
                continue;
            }
            self.evaluate_starter(rule, phase);
            if (self.intervention.is_some() && phase < 5) || self.allow.is_some() {
                break;
            }
        }
    }

    fn is_removed(&self, rule: &Rule) -> bool {
        self.removed_ids.iter().any(|r| r.contains(rule.id)) || self.removed_tags.iter().any(|t| rule.has_tag(t))
    }

    // === rules ===

    fn evaluate_starter(&mut self, rule: &Arc<Rule>, phase: u8) {
        self.store.matched_vars.clear();
        self.current = RuleLog::default();
        self.store.rule = RuleInfo {
            id: rule.id,
            severity: rule.severity,
            rev: rule.rev.clone(),
            ver: rule.ver.clone(),
            ..RuleInfo::default()
        };
        if !self.evaluate(rule, rule) {
            return;
        }
        if let Some(s) = rule.severity {
            self.store.highest_severity = self.store.highest_severity.min(s);
        }
        // msg and logdata describe the whole chain: expanded once it matched, so that
        // `%{TX.0}` and `%{MATCHED_VAR}` are what its last rules captured.
        if let Some(m) = &rule.msg {
            let msg = self.expand(m).into_owned();
            self.store.rule.msg = msg.clone();
            self.current.msg = Some(msg);
        }
        if let Some(d) = &rule.logdata {
            let data = self.expand(d).into_owned();
            self.store.rule.logdata = data.clone();
            self.current.data = Some(data);
        }
        let disruptive = self.mode == RuleEngine::On;
        let mut intervened = None;
        match &rule.disruptive {
            Some(Disruptive::Deny) if disruptive => {
                intervened = Some(Intervention {
                    status: rule.status.unwrap_or(403),
                    redirect: None,
                    drop: false,
                    rule_id: rule.id,
                    phase,
                })
            }
            Some(Disruptive::Drop) if disruptive => {
                intervened = Some(Intervention {
                    status: rule.status.unwrap_or(403),
                    redirect: None,
                    drop: true,
                    rule_id: rule.id,
                    phase,
                })
            }
            Some(Disruptive::Redirect(to)) if disruptive => {
                let to = String::from_utf8_lossy(&self.expand(to)).into_owned();
                intervened = Some(Intervention {
                    status: rule.status.unwrap_or(302),
                    redirect: Some(to),
                    drop: false,
                    rule_id: rule.id,
                    phase,
                })
            }
            Some(Disruptive::Allow(scope)) if disruptive => self.allow = Some(*scope),
            _ => {}
        }
        let log = std::mem::take(&mut self.current);
        self.matched.push(MatchedRule::new(rule, phase, log, intervened.as_ref()));
        if intervened.is_some() {
            self.intervention = intervened;
        }
    }

    /// Evaluates `rule` (part of `starter`'s chain); true when it and its chain matched.
    fn evaluate(&mut self, starter: &Rule, rule: &Rule) -> bool {
        let found = self.find(starter, rule);
        if found.is_empty() {
            return false;
        }
        for f in found {
            self.apply_match(rule, f);
        }
        if let Some(child) = &rule.chained {
            if !self.evaluate(starter, child) {
                return false;
            }
        }
        for a in &rule.after_match {
            self.run_after(a);
        }
        true
    }

    /// The values of `rule`'s targets that its operator matches.
    fn find(&self, starter: &Rule, rule: &Rule) -> Vec<Found> {
        let mut out = Vec::new();
        let resolver = View { store: &self.store };
        if rule.unconditional {
            let mut cx = OpContext { resolver: &resolver, captures: None };
            if rule.operator.evaluate(&mut cx, b"") != rule.negated {
                out.push(Found { name: Vec::new(), value: Vec::new(), captures: None });
            }
            return out;
        }
        let excluded =
            |name: VariableName, key: &[u8]| rule.excludes(name, key) || self.removed_target(starter, name, key);
        let mut vals: Vec<Value<'_>> = Vec::new();
        for target in &rule.targets {
            vals.clear();
            values::collect(&self.store, target, &excluded, &mut vals);
            for v in &vals {
                let mut captures = rule.capture.then(Captures::new);
                if rule.multi_match {
                    // The operator sees the value before and after each transformation.
                    let mut current: Cow<'_, [u8]> = Cow::Borrowed(&v.value);
                    let mut hit = self.test(rule, &resolver, &current, &mut captures);
                    if hit {
                        out.push(Found { name: v.full_name(), value: current.to_vec(), captures: captures.take() });
                    }
                    for t in &rule.transformations {
                        let next = t.apply(&current).into_owned();
                        if next[..] == current[..] {
                            continue;
                        }
                        current = Cow::Owned(next);
                        captures = rule.capture.then(Captures::new);
                        hit = self.test(rule, &resolver, &current, &mut captures);
                        if hit {
                            out.push(Found { name: v.full_name(), value: current.to_vec(), captures: captures.take() });
                        }
                    }
                } else {
                    let transformed = apply_all(&rule.transformations, &v.value);
                    if self.test(rule, &resolver, &transformed, &mut captures) {
                        out.push(Found { name: v.full_name(), value: transformed.into_owned(), captures });
                    }
                }
            }
        }
        out
    }

    fn test(&self, rule: &Rule, resolver: &View<'_>, input: &[u8], captures: &mut Option<Captures>) -> bool {
        let mut cx = OpContext { resolver, captures: captures.as_mut() };
        rule.operator.evaluate(&mut cx, input) != rule.negated
    }

    /// Whether a `ctl:ruleRemoveTarget*` removed `name:key` from `starter`.
    fn removed_target(&self, starter: &Rule, name: VariableName, key: &[u8]) -> bool {
        self.removed_targets.iter().any(|t| {
            t.name == name
                && selector_matches(&t.selector, key)
                && (t.ids.as_ref().is_some_and(|ids| ids.iter().any(|r| r.contains(starter.id)))
                    || t.tag.as_ref().is_some_and(|tag| starter.has_tag(tag)))
        })
    }

    /// One match: captures, matched variables, per-match actions, msg and logdata.
    fn apply_match(&mut self, rule: &Rule, f: Found) {
        if let Some(c) = &f.captures {
            for (i, v) in c.iter().take(10) {
                self.store.tx.set(&i.to_string(), v.to_vec());
            }
        }
        if !rule.unconditional {
            self.store.matched_var = f.value.clone();
            self.store.matched_var_name = f.name.clone();
            self.store.matched_vars.push((f.name, f.value));
        }
        for a in &rule.per_match {
            self.run_per_match(a);
        }
        self.current.matched_name = self.store.matched_var_name.clone();
        self.current.matched_value = self.store.matched_var.clone();
        if self.current.operator.is_none() {
            self.current.operator = Some((rule.operator_name, rule.operator_argument.clone()));
        }
    }

    fn expand<'m>(&self, m: &'m MacroString) -> Cow<'m, [u8]> {
        m.expand(&View { store: &self.store })
    }

    fn run_per_match(&mut self, action: &Action) {
        match action {
            Action::SetVar(sv) => {
                let key = String::from_utf8_lossy(&self.expand(&sv.key)).into_owned();
                let name = sv.collection.as_str();
                let new = match &sv.op {
                    SetVarOp::Delete => {
                        if let Some(c) = self.store.vars_mut(name) {
                            c.remove(&key);
                        }
                        return;
                    }
                    SetVarOp::SetToOne => b"1".to_vec(),
                    SetVarOp::Set(v) => self.expand(v).into_owned(),
                    SetVarOp::Add(v) | SetVarOp::Sub(v) => {
                        let delta = leading_int(&self.expand(v));
                        let current = self.store.vars(name).and_then(|c| c.get(&key)).map_or(0, leading_int);
                        let n = if matches!(sv.op, SetVarOp::Add(_)) {
                            current.saturating_add(delta)
                        } else {
                            current.saturating_sub(delta)
                        };
                        n.to_string().into_bytes()
                    }
                };
                if let Some(c) = self.store.vars_mut(name) {
                    c.set(&key, new);
                }
            }
            Action::SetEnv(e) => {
                let v = self.expand(&e.value).into_owned();
                self.store.env.set(&e.name, v);
            }
            _ => {}
        }
    }

    fn run_after(&mut self, action: &Action) {
        match action {
            Action::Skip(n) => self.skip = *n,
            Action::SkipAfter(m) => self.skip_after = Some(m.clone()),
            Action::Ctl(c) => self.run_ctl(c),
            Action::InitCol(_) | Action::ExpireVar(_) | Action::SetUid(_) | Action::SetSid(_) | Action::SetRsc(_) => {
                // Persistent collections are transaction-local here: nothing to open or expire.
            }
            _ => {}
        }
    }

    fn run_ctl(&mut self, ctl: &Ctl) {
        match ctl {
            Ctl::RuleEngine(m) => self.mode = *m,
            Ctl::RuleRemoveById(ids) => self.removed_ids.extend_from_slice(ids),
            Ctl::RuleRemoveByTag(tag) => self.removed_tags.push(tag.clone()),
            Ctl::RuleRemoveTargetById { ids, targets } => {
                for t in targets {
                    self.removed_targets.push(RemovedTarget {
                        ids: Some(ids.clone()),
                        tag: None,
                        name: t.name,
                        selector: t.selector.clone(),
                    });
                }
            }
            Ctl::RuleRemoveTargetByTag { tag, targets } => {
                for t in targets {
                    self.removed_targets.push(RemovedTarget {
                        ids: None,
                        tag: Some(tag.clone()),
                        name: t.name,
                        selector: t.selector.clone(),
                    });
                }
            }
            Ctl::RequestBodyProcessor(p) => {
                self.body_processor = Some(match p {
                    crate::actions::BodyProcessor::UrlEncoded => BodyProcessor::UrlEncoded,
                    crate::actions::BodyProcessor::Multipart => BodyProcessor::Multipart,
                    crate::actions::BodyProcessor::Xml => BodyProcessor::Xml,
                    crate::actions::BodyProcessor::Json => BodyProcessor::Json,
                });
                if let Some(b) = self.body_processor {
                    self.store.reqbody_processor = Some(b.name());
                }
            }
            Ctl::ForceRequestBodyVariable(on) => self.force_body_variable = *on,
            Ctl::RequestBodyAccess(on) => self.request_body_access = *on,
            // Audit settings and limits are the proxy's: nothing to change per transaction here.
            _ => {}
        }
    }

    fn args_limit(&self) -> Option<usize> {
        self.rules.settings.arguments_limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    }
}

/// Applies `chain` in order, borrowing when nothing changes.
fn apply_all<'a>(chain: &[Transformation], input: &'a [u8]) -> Cow<'a, [u8]> {
    let mut out = Cow::Borrowed(input);
    for t in chain {
        out = match t.apply(&out) {
            Cow::Borrowed(_) => out,
            Cow::Owned(v) => Cow::Owned(v),
        };
    }
    out
}

/// The leading integer of a value, as `atoi` reads it (0 when there is none).
fn leading_int(v: &[u8]) -> i64 {
    let s = v.trim_ascii_start();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

/// Splits the request target into the `REQUEST_URI`, `REQUEST_FILENAME`, `REQUEST_BASENAME` and
/// `QUERY_STRING` pieces, as libmodsecurity's `processURI` does.
fn split_uri(store: &mut Store, uri: &[u8]) {
    // A fragment only ever stays in the raw URI.
    let uri = uri.iter().position(|&b| b == b'#').map_or(uri, |i| &uri[..i]);
    let query_at = uri.iter().position(|&b| b == b'?');
    store.query_string = query_at.map(|i| uri[i + 1..].to_vec());
    let decoded = uri_decode(uri);
    // An absolute target loses its scheme and authority.
    let mut path_and_query: &[u8] = &decoded;
    for scheme in [&b"http://"[..], &b"https://"[..]] {
        if decoded.len() >= scheme.len() && decoded[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let rest = &decoded[scheme.len()..];
            path_and_query = rest.iter().position(|&b| b == b'/').map_or(&b""[..], |i| &rest[i..]);
        }
    }
    store.uri = path_and_query.to_vec();
    let path = path_and_query.iter().position(|&b| b == b'?').map_or(path_and_query, |i| &path_and_query[..i]);
    store.filename = path.to_vec();
    store.basename = match path.iter().rposition(|&b| b == b'/' || b == b'\\') {
        Some(i) if path.len() > i + 1 => Some(path[i + 1..].to_vec()),
        Some(_) => None,
        None => Some(path.to_vec()),
    };
}

/// `%XX` decoding of a request target, as libmodsecurity's `uri_decode`: only well-formed
/// escapes are decoded, `+` stays.
fn uri_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%' && i + 2 < input.len() {
            if let (Some(h), Some(l)) = (hex(input[i + 1]), hex(input[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

/// Host header without its port.
trait HostPort {
    fn rsplit_once_port(&self) -> &[u8];
}

impl HostPort for [u8] {
    fn rsplit_once_port(&self) -> &[u8] {
        if self.starts_with(b"[") {
            return self.iter().position(|&b| b == b']').map_or(self, |i| &self[..=i]);
        }
        self.iter().rposition(|&b| b == b':').map_or(self, |i| &self[..i])
    }
}

/// Macro expansion over a store.
pub(crate) struct View<'s> {
    pub(crate) store: &'s Store,
}

impl Resolve for View<'_> {
    fn resolve(&self, name: &str, key: Option<&str>) -> Option<Cow<'_, [u8]>> {
        let store = self.store;
        if let (Some(vars), Some(k)) = (store.vars(name), key) {
            return vars.get(k).map(Cow::Borrowed);
        }
        let var = VariableName::from_name(name)?;
        match key {
            None if !var.is_collection() => values::scalar(store, var),
            None => None,
            Some(k) => {
                let target = values::Target { name: var, selector: Some(Selector::Key(k.to_owned())), count: false };
                let mut out = Vec::new();
                values::collect(store, &target, &|_, _| false, &mut out);
                out.into_iter().next().map(|v| Cow::Owned(v.value.into_owned()))
            }
        }
    }
}
