//! One request through the rule set: the phase entry points, rule and chain evaluation, and the
//! actions that change the transaction (`setvar`, `ctl`, `skipAfter`, disruptive actions).

use crate::actions::{Action, AllowScope, Ctl, Disruptive, IdRange, RuleEngine, SetVarOp};
use crate::body::{self, BodyConfig, BodyProcessor};
use crate::engine::cache::{Cell, Slots, TransformCache, NO_SLOT};
use crate::engine::collections::Collections;
use crate::engine::log::{log_text, MatchedRule, RuleLog};
use crate::engine::rule::{selector_matches, PerMatch, Rule};
use crate::engine::store::{Pairs, Store, VarKey, VarValue, Vars};
use crate::engine::uri::{split_uri, HostPort as _};
use crate::engine::values::{self, Excluded, Value};
use crate::engine::{Entry, RuleSet};
use crate::macros::{MacroString, Resolve};
use crate::operators::{ByteSet, Captures, OpContext};
use crate::transformations::Transformation;
use crate::variables::{Selector, VariableName};
use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Write as _;

mod effects;
mod unions;

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
    /// The tag's number in the rule set.
    tag: Option<u32>,
    name: VariableName,
    selector: Option<Selector>,
}

impl RemovedTarget {
    /// Whether the removal names `starter` (by id or tag).
    fn applies_to(&self, starter: &Rule) -> bool {
        self.ids.as_ref().is_some_and(|ids| ids.iter().any(|r| r.contains(starter.id)))
            || self.tag.is_some_and(|tag| starter.has_tag(tag))
    }
}

/// The values a rule matched (full name, value after transformations), their values as the
/// request carried them (for the log) and their capture groups, kept until the rule's actions
/// run.
#[derive(Debug, Default)]
struct Found {
    pairs: Pairs,
    raw: Pairs,
    captures: Vec<Option<Captures>>,
}

impl Found {
    fn push(&mut self, v: &Value<'_>, value: &[u8], captures: Option<Captures>) {
        self.pairs.push(&v.full_name(), value);
        self.raw.push(&[], &v.value);
        self.captures.push(captures);
    }

    fn clear(&mut self) {
        self.pairs.clear();
        self.raw.clear();
        self.captures.clear();
    }
}

/// The state of one request.
#[derive(Debug)]
pub struct Transaction<'r> {
    rules: &'r RuleSet,
    pub(crate) store: Store<'r>,
    mode: RuleEngine,
    removed_ids: Vec<IdRange>,
    /// Numbers of the removed tags (a tag no rule carries removes nothing and is not kept).
    removed_tags: Vec<u32>,
    removed_targets: Vec<RemovedTarget>,
    skip_after: Option<&'r str>,
    skip: u32,
    allow: Option<AllowScope>,
    intervention: Option<Intervention>,
    pub(crate) matched: Vec<MatchedRule<'r>>,
    /// `ctl:requestBodyProcessor`.
    body_processor: Option<BodyProcessor>,
    /// The processor the request's Content-Type asks for.
    body_type: Option<BodyProcessor>,
    force_body_variable: bool,
    request_body_access: bool,
    /// msg/logdata of the chain being evaluated, expanded at match time.
    current: RuleLog<'r>,
    /// The value that matched last in the chain being evaluated, before transformations (a
    /// buffer reused from rule to rule).
    matched_value: Vec<u8>,
    phases_run: u8,
    /// A reusable buffer for macro expansions.
    scratch: Vec<u8>,
    /// Transformation results of this phase.
    transformed: RefCell<TransformCache>,
    /// The matches of the rule being evaluated (a buffer reused from rule to rule).
    found: Found,
    /// Per union group of the rule set (see [`Rule::union_group`]): what is known in this phase
    /// of the bytes its rules require that its transformed values hold.
    unions: RefCell<Vec<unions::Known>>,
    /// Per slot, the bytes of the value in it, once a union asked in this phase.
    value_bytes: RefCell<Vec<Option<ByteSet>>>,
    /// The store of persistent collections, when the caller gave one.
    collections: Option<&'r Collections>,
    /// The record key each persistent collection was opened with (`IP`, `GLOBAL`,
    /// `RESOURCE`, `SESSION`, `USER`; see `effects::persistent_index`).
    opened: [Option<Vec<u8>>; 5],
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
            // The CRS sets about 80 TX variables on every request: no rehashing on the way.
            tx: Vars::with_hasher(&rules.keys, 128),
            env: Vars::with_hasher(&rules.keys, 0),
            ip: Vars::with_hasher(&rules.keys, 0),
            global: Vars::with_hasher(&rules.keys, 0),
            session: Vars::with_hasher(&rules.keys, 0),
            user: Vars::with_hasher(&rules.keys, 0),
            resource: Vars::with_hasher(&rules.keys, 0),
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
            // The CRS's setup and bookkeeping rules match about 65 times on a clean request.
            matched: Vec::with_capacity(128),
            body_processor: None,
            body_type: None,
            force_body_variable: false,
            // rampart inspects bodies unless `SecRequestBodyAccess Off` says otherwise.
            request_body_access: rules.settings.request_body_access.unwrap_or(true),
            current: RuleLog::default(),
            matched_value: Vec::new(),
            phases_run: 0,
            scratch: Vec::new(),
            transformed: RefCell::new(TransformCache::new(rules.chain_ids)),
            found: Found::default(),
            unions: RefCell::new(Vec::new()),
            value_bytes: RefCell::new(Vec::new()),
            collections: None,
            opened: Default::default(),
        }
    }

    /// Keeps the persistent collections (`initcol:ip=...`) in `store`, across transactions;
    /// without one they live as long as this transaction.
    pub fn set_collections(&mut self, store: &'r Collections) {
        self.collections = Some(store);
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
        self.store.tx.set(key, value.as_bytes());
    }

    /// A `TX` variable, for inspection.
    pub fn tx(&self, key: &str) -> Option<&[u8]> {
        self.store.tx.get(key)
    }

    /// The rules that matched so far, in order.
    pub fn matched(&self) -> &[MatchedRule<'r>] {
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
        let settings = &self.rules.settings;
        let defaults = BodyConfig::default();
        let config = BodyConfig {
            argument_separator: settings.argument_separator.map_or(b'&', |c| c as u8),
            args_remaining: self.args_limit().map(|l| l.saturating_sub(self.store.args_get.len())),
            json_depth_limit: settings
                .request_body_json_depth_limit
                .map_or(defaults.json_depth_limit, |d| usize::try_from(d).unwrap_or(usize::MAX)),
            no_files_limit: settings.request_body_no_files_limit,
            multipart: body::multipart::MultipartOptions {
                file_limit: settings
                    .upload_file_limit
                    .map_or(defaults.multipart.file_limit, |n| usize::try_from(n).unwrap_or(usize::MAX)),
                extract_files: settings.upload_keep_files == Some(true)
                    || settings.tmp_save_uploaded_files == Some(true),
                ..defaults.multipart
            },
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

    /// Phase 4: the response body (a prefix of it when `truncated`). As libmodsecurity, the
    /// phase runs only when [`inspects_response_body`](Self::inspects_response_body) says so;
    /// otherwise its rules are skipped and the body is not looked at.
    pub fn process_response_body(&mut self, body: &[u8], truncated: bool) -> Option<Intervention> {
        if !self.inspects_response_body() {
            self.phases_run = self.phases_run.max(4);
            return self.intervention.clone();
        }
        self.store.outbound_data_error = truncated;
        self.store.response_body = Some(body.to_vec());
        self.run_phase(4)
    }

    /// Whether phase 4 will look at the response body: `SecResponseBodyAccess On` and, when
    /// `SecResponseBodyMimeType` is set, a `RESPONSE_CONTENT_TYPE` in that list (compared
    /// ASCII case-insensitively; libmodsecurity compares exactly). Known once the response
    /// headers are in, so a proxy can skip buffering bodies that are not inspected.
    pub fn inspects_response_body(&self) -> bool {
        let settings = &self.rules.settings;
        if settings.response_body_access != Some(true) {
            return false;
        }
        let Some(types) = &settings.response_body_mime_types else {
            return true;
        };
        let content_type = self.store.response_content_type().unwrap_or_default().trim_ascii();
        types.iter().any(|t| t.as_bytes().eq_ignore_ascii_case(content_type))
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
        // As libmodsecurity's RulesSet::evaluate: a phase that an `allow` does not skip starts
        // with the allow forgotten (`allow:phase` ended with its phase, `allow:request` with
        // phase 2).
        match self.allow {
            Some(AllowScope::Transaction) => return None,
            Some(AllowScope::Request) if phase <= 2 => return None,
            _ => self.allow = None,
        }
        self.run_rules(phase);
        self.intervention.clone()
    }

    fn run_rules(&mut self, phase: u8) {
        if self.mode == RuleEngine::Off {
            return;
        }
        let rules = self.rules;
        self.store.slots = Slots::of(&self.store);
        self.transformed.get_mut().clear(self.store.slots.total);
        self.forget_unions();
        self.forget_value_bytes();
        self.skip_after = None;
        self.skip = 0;
        let Some(list) = rules.phases.get(usize::from(phase - 1)) else { return };
        for entry in &list.entries {
            // As libmodsecurity's RulesSet::evaluate: looking for a marker comes first, then
            // `skip`, which counts markers too (they are entries of the phase's rule list).
            if let Some(wanted) = self.skip_after {
                if matches!(entry, Entry::Marker(name) if **name == *wanted) {
                    self.skip_after = None;
                }
                continue;
            }
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            let Some(rule) = (match entry {
                Entry::Rule(i) => list.rules.get(*i),
                Entry::Marker(_) => None,
            }) else {
                continue;
            };
            if self.is_removed(rule) {
                continue;
            }
            // A rule whose values lack a byte its operator requires cannot match: it is passed
            // over before any of its bookkeeping (`find` would find nothing).
            if !rule.unconditional && self.skipped(rule) {
                continue;
            }
            // An intervention ends the phase, as in libmodsecurity; in the logging phase too,
            // where it no longer changes the answer.
            if self.evaluate_starter(rule, phase) || self.allow.is_some() {
                break;
            }
        }
    }

    fn is_removed(&self, rule: &Rule) -> bool {
        self.removed_ids.iter().any(|r| r.contains(rule.id)) || self.removed_tags.iter().any(|&t| rule.has_tag(t))
    }

    // === rules ===

    /// Evaluates a rule and its chain; true when it intervened.
    fn evaluate_starter(&mut self, rule: &'r Rule, phase: u8) -> bool {
        // MATCHED_VAR, MATCHED_VAR_NAME and MATCHED_VARS start empty for every rule and
        // accumulate along its chain (libmodsecurity since its PR 3422; before, a rule that
        // matched left them to the next one).
        self.store.matched_vars.clear();
        self.store.matched_var.clear();
        self.store.matched_var_name.clear();
        self.current = RuleLog::default();
        self.matched_value.clear();
        let info = &mut self.store.rule;
        info.id = rule.id;
        info.severity = rule.severity;
        info.rev = &rule.rev;
        info.ver = &rule.ver;
        info.msg.clear();
        info.logdata.clear();
        if !self.evaluate(rule, rule) {
            return false;
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
        self.current.tags = match &rule.constant_tags {
            Some(tags) => Cow::Borrowed(tags),
            None => Cow::Owned(rule.tags.iter().map(|t| log_text(&self.expand(t))).collect()),
        };
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
                    // libmodsecurity keeps a `status:` only when it is a redirect (301-307).
                    status: rule.status.filter(|s| (301..=307).contains(s)).unwrap_or(302),
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
        let (name, value) = (&self.store.matched_var_name, &self.matched_value);
        self.matched.push(MatchedRule::new(rule, phase, log, name, value, intervened.as_ref()));
        let decided = intervened.is_some();
        // The first intervention is the transaction's decision; one in the logging phase after
        // it cannot replace it.
        if self.intervention.is_none() {
            self.intervention = intervened;
        }
        decided
    }

    /// Evaluates `rule` (part of `starter`'s chain); true when it and its chain matched.
    fn evaluate(&mut self, starter: &Rule, rule: &'r Rule) -> bool {
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        self.find(starter, rule, &mut found);
        let raw = found.raw.iter().map(|(_, raw)| raw);
        for (((name, value), raw), captures) in found.pairs.iter().zip(raw).zip(&mut found.captures) {
            self.apply_match(rule, name, value, raw, captures.take());
        }
        let matched = !found.pairs.is_empty();
        self.found = found;
        if !matched {
            return false;
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
    fn find(&self, starter: &Rule, rule: &Rule, out: &mut Found) {
        let resolver = View { store: &self.store };
        if rule.unconditional {
            let mut cx = OpContext { resolver: &resolver, captures: None };
            if rule.operator.evaluate(&mut cx, b"") != rule.negated {
                out.pairs.push(&[], b"");
                out.raw.push(&[], b"");
                out.captures.push(None);
            }
            return;
        }
        // No value can match when together they lack a byte the operator requires. (A starter
        // rule was asked already, by `run_rules`.)
        if !std::ptr::eq(starter, rule) && self.skipped(rule) {
            return;
        }
        let excludes =
            |name: VariableName, key: &[u8]| rule.excludes(name, key) || self.removed_target(starter, name, key);
        // Checked per value only when some exclusion can apply to this rule at all.
        let removed = self.removed_targets.iter().any(|t| t.applies_to(starter));
        let excluded: Option<Excluded<'_>> = (!rule.exclusions.is_empty() || removed).then_some(&excludes);
        for target in &rule.targets {
            values::for_each(&self.store, target, excluded, &mut |v| self.test_value(rule, &resolver, &v, out));
        }
    }

    /// Transforms one value and runs the operator on it; a match goes to `out`.
    #[inline]
    fn test_value(&self, rule: &Rule, resolver: &View<'_>, v: &Value<'_>, out: &mut Found) {
        // The common cases, compiled into the loops over the values: no transformation, or a
        // value this chain already saw (one lookup).
        if !rule.multi_match {
            let value: &[u8] = &v.value;
            let cached = self.transformed.borrow();
            let input = match rule.chain.last() {
                None => Some(value),
                Some(_) if v.slot == NO_SLOT => None,
                Some(&id) => cached.get(v.slot, id).map(|r| r.unwrap_or(value)),
            };
            if let Some(input) = input {
                let mut captures = rule.capture.then(Captures::new);
                if self.test(rule, resolver, input, &mut captures) {
                    out.push(v, input, captures);
                }
                return;
            }
        }
        self.test_value_slow(rule, resolver, v, out);
    }

    /// [`test_value`](Self::test_value) in full: multiMatch rules, and values whose
    /// transformations are not cached yet (or cannot be).
    #[inline(never)]
    fn test_value_slow(&self, rule: &Rule, resolver: &View<'_>, v: &Value<'_>, out: &mut Found) {
        let mut captures = rule.capture.then(Captures::new);
        let value: &[u8] = &v.value;
        let slot = v.slot;
        let cacheable = !rule.chain.is_empty() && slot != NO_SLOT;
        if cacheable && self.fill_cache(rule, slot, value) {
            let cached = self.transformed.borrow();
            let step = |id: u32| cached.get(slot, id).flatten().unwrap_or(value);
            if rule.multi_match {
                // The operator sees the value before and after each transformation that changes it.
                let mut previous = value;
                if self.test(rule, resolver, value, &mut captures) {
                    out.push(v, value, captures.take());
                }
                for &id in &rule.chain {
                    let current = step(id);
                    if current == previous {
                        continue;
                    }
                    previous = current;
                    captures = rule.capture.then(Captures::new);
                    if self.test(rule, resolver, current, &mut captures) {
                        out.push(v, current, captures.take());
                    }
                }
            } else {
                let input = rule.chain.last().map_or(value, |&id| step(id));
                if self.test(rule, resolver, input, &mut captures) {
                    out.push(v, input, captures);
                }
            }
        } else if rule.multi_match {
            let mut current: Cow<'_, [u8]> = Cow::Borrowed(value);
            if self.test(rule, resolver, &current, &mut captures) {
                out.push(v, &current, captures.take());
            }
            for t in &rule.transformations {
                let next = match t.apply(&current) {
                    Cow::Owned(next) if next[..] != current[..] => next,
                    _ => continue,
                };
                current = Cow::Owned(next);
                captures = rule.capture.then(Captures::new);
                if self.test(rule, resolver, &current, &mut captures) {
                    out.push(v, &current, captures.take());
                }
            }
        } else {
            let transformed = apply_all(&rule.transformations, value);
            if self.test(rule, resolver, &transformed, &mut captures) {
                out.push(v, &transformed, captures);
            }
        }
    }

    /// Computes (and caches) the result of every prefix of `rule`'s transformations on `value`,
    /// starting after the longest prefix already known; false when the cache could not keep
    /// them all (the value is then transformed without it).
    fn fill_cache(&self, rule: &Rule, slot: u32, value: &[u8]) -> bool {
        let mut cache = self.transformed.borrow_mut();
        if rule.chain.last().is_some_and(|&id| cache.cell(slot, id).is_some()) {
            return true;
        }
        // The longest prefix already known, and its result.
        let mut start = 0;
        let mut current = Cell::UNCHANGED;
        for (i, &id) in rule.chain.iter().enumerate().rev() {
            if let Some(cell) = cache.cell(slot, id) {
                (start, current) = (i + 1, cell);
                break;
            }
        }
        for (t, &id) in rule.transformations.iter().zip(&rule.chain).skip(start) {
            // A step that changes nothing shares the result before it.
            let input = cache.result(current).unwrap_or(value);
            let changed = match t.apply(input) {
                Cow::Borrowed(_) => None,
                Cow::Owned(bytes) => Some(bytes),
            };
            if let Some(bytes) = changed {
                match cache.add(&bytes) {
                    Some(cell) => current = cell,
                    None => return false,
                }
            }
            cache.set(slot, id, current);
        }
        rule.chain.last().is_some_and(|&id| cache.cell(slot, id).is_some())
    }

    fn test(&self, rule: &Rule, resolver: &View<'_>, input: &[u8], captures: &mut Option<Captures>) -> bool {
        let mut cx = OpContext { resolver, captures: captures.as_mut() };
        rule.operator.evaluate(&mut cx, input) != rule.negated
    }

    /// Whether a `ctl:ruleRemoveTarget*` removed `name:key` from `starter`.
    fn removed_target(&self, starter: &Rule, name: VariableName, key: &[u8]) -> bool {
        self.removed_targets
            .iter()
            .any(|t| t.name == name && selector_matches(&t.selector, key) && t.applies_to(starter))
    }

    /// One match: captures, matched variables, per-match actions, msg and logdata.
    fn apply_match(&mut self, rule: &'r Rule, name: &[u8], value: &[u8], raw: &[u8], captures: Option<Captures>) {
        if let Some(c) = &captures {
            let groups = &self.rules.groups;
            for (i, v) in c.iter().take(10) {
                let key = groups.get(i).map_or_else(|| effects::Key::Text(i.to_string()), effects::Key::Hashed);
                self.write_var("TX", &key, v);
            }
        }
        if !rule.unconditional {
            let store = &mut self.store;
            store.matched_var.clear();
            store.matched_var.extend_from_slice(value);
            store.matched_var_name.clear();
            store.matched_var_name.extend_from_slice(name);
            store.matched_vars.push(&[name], value);
        }
        for a in &rule.per_match {
            self.run_per_match(a);
        }
        self.matched_value.clear();
        self.matched_value.extend_from_slice(raw);
        if self.current.operator.is_none() {
            self.current.operator = Some((rule.operator_name, &rule.operator_argument));
        }
    }

    fn expand<'m>(&self, m: &'m MacroString) -> Cow<'m, [u8]> {
        m.expand(&View { store: &self.store })
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

/// Macro expansion over a store.
pub(crate) struct View<'s> {
    pub(crate) store: &'s Store<'s>,
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
                let target = values::Target::new(var, Some(Selector::Key(k.to_owned())), false, None);
                let mut out = Vec::new();
                values::collect(store, &target, &|_, _| false, &mut out);
                out.into_iter().next().map(|v| Cow::Owned(v.value.into_owned()))
            }
        }
    }
}
