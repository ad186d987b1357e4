//! Semantic checks of a parsed [`Config`]: every problem is reported with its path.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::{Certificate, Config, DirectResponse, HashOn, PathType, Policy, Protocol, Target, WAF_OFF};

/// One problem found in a config, at a path such as `routes[3].paths[0].backend`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a config; never empty when returned as an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem { path: path.into(), message: message.into() });
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Checks `config` and returns every problem found.
pub fn validate(config: &Config) -> Result<(), Problems> {
    let mut p = Problems::default();
    let services: HashSet<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
    let mut http_listeners = HashSet::new();

    let mut names = HashMap::new();
    let mut addrs = HashMap::new();
    for (i, l) in config.listeners.iter().enumerate() {
        let at = format!("listeners[{i}]");
        check_name(&mut p, &format!("{at}.name"), &l.name);
        if let Some(j) = names.insert(l.name.as_str(), i) {
            p.push(format!("{at}.name"), format!("duplicate listener name {:?} (also listeners[{j}])", l.name));
        }
        let udp = l.protocol == Protocol::Udp;
        // Port 0 asks the OS for a free port, so it never clashes.
        let fixed = l.address.port() != 0;
        if let Some(j) = addrs.insert((l.address, udp), i).filter(|_| fixed) {
            p.push(format!("{at}.address"), format!("address {} already used by listeners[{j}]", l.address));
        }
        if fixed && config.admin.enabled && l.address == config.admin.address && !udp {
            p.push(format!("{at}.address"), format!("address {} is the admin listener's", l.address));
        }
        match (l.protocol, &l.tls) {
            (Protocol::Https, None) => p.push(format!("{at}.tls"), "required for protocol https"),
            (Protocol::Https, Some(tls)) => {
                if tls.certificates.is_empty() {
                    p.push(format!("{at}.tls.certificates"), "at least one certificate is required");
                }
                for (k, c) in tls.certificates.iter().enumerate() {
                    check_certificate(&mut p, &format!("{at}.tls.certificates[{k}]"), c);
                }
            }
            (_, Some(_)) => p.push(format!("{at}.tls"), format!("only allowed for protocol https, not {}", l.protocol)),
            _ => {}
        }
        if l.protocol.is_http() {
            http_listeners.insert(l.name.as_str());
            if l.service.is_some() {
                p.push(format!("{at}.service"), "only for tcp/udp listeners; HTTP listeners use routes");
            }
            if let Some(t) = &l.default_backend {
                check_target(&mut p, &format!("{at}.default_backend"), t, &services);
            }
        } else {
            match &l.service {
                None => p.push(format!("{at}.service"), format!("required for protocol {}", l.protocol)),
                Some(s) if !services.contains(s.as_str()) => {
                    p.push(format!("{at}.service"), format!("unknown service {s:?}"))
                }
                Some(_) => {}
            }
            if l.default_backend.is_some() {
                p.push(format!("{at}.default_backend"), "only for http/https listeners");
            }
        }
        if l.timeouts.request_header.get().is_zero() {
            p.push(format!("{at}.timeouts.request_header"), "must be greater than zero");
        }
        check_l4_listener(&mut p, &at, l, config);
    }

    let mut seen_rules = HashMap::new();
    for (i, r) in config.routes.iter().enumerate() {
        let at = format!("routes[{i}]");
        if let Some(h) = &r.host {
            if let Err(m) = check_host(h) {
                p.push(format!("{at}.host"), m);
            }
        }
        if r.paths.is_empty() {
            p.push(format!("{at}.paths"), "at least one path is required");
        }
        for (k, l) in r.listeners.iter().enumerate() {
            if !http_listeners.contains(l.as_str()) {
                p.push(format!("{at}.listeners[{k}]"), format!("unknown http/https listener {l:?}"));
            }
        }
        for (k, rp) in r.paths.iter().enumerate() {
            let pat = format!("{at}.paths[{k}]");
            if !rp.path.starts_with('/') {
                p.push(format!("{pat}.path"), format!("must start with '/': {:?}", rp.path));
            }
            if rp.path.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'?' || b == b'#') {
                p.push(
                    format!("{pat}.path"),
                    format!("must not contain spaces, control characters, '?' or '#': {:?}", rp.path),
                );
            }
            check_target(&mut p, &pat, &rp.target(), &services);
            let kind = if rp.path_type == PathType::Exact { "Exact" } else { "Prefix" };
            let key =
                (r.host.clone().unwrap_or_default().to_ascii_lowercase(), rp.path.clone(), kind, r.listeners.clone());
            if let Some(prev) = seen_rules.insert(key, pat.clone()) {
                p.push(
                    format!("{pat}.path"),
                    format!("{kind} path {:?} for this host is already routed by {prev}", rp.path),
                );
            }
        }
    }

    check_waf(&mut p, config);

    let mut snames = HashMap::new();
    for (i, s) in config.services.iter().enumerate() {
        let at = format!("services[{i}]");
        check_name(&mut p, &format!("{at}.name"), &s.name);
        if let Some(j) = snames.insert(s.name.as_str(), i) {
            p.push(format!("{at}.name"), format!("duplicate service name {:?} (also services[{j}])", s.name));
        }
        let mut eps = HashSet::new();
        for (k, e) in s.endpoints.iter().enumerate() {
            if e.weight == 0 {
                p.push(format!("{at}.endpoints[{k}].weight"), "must be at least 1");
            }
            if e.address.port() == 0 {
                p.push(format!("{at}.endpoints[{k}].address"), "port must not be 0");
            }
            if !eps.insert(e.address) {
                p.push(format!("{at}.endpoints[{k}]"), format!("duplicate endpoint {}", e.address));
            }
        }
        let b = &s.balance;
        if b.policy == Policy::ConsistentHash && b.hash_on != HashOn::ClientIp {
            match &b.hash_key {
                None => p.push(format!("{at}.balance.hash_key"), "required when hash_on is header or cookie"),
                Some(k) if k.is_empty() || !k.bytes().all(is_token_byte) => {
                    p.push(format!("{at}.balance.hash_key"), format!("not a valid header or cookie name: {k:?}"))
                }
                Some(_) => {}
            }
        }
        if let Some(h) = &s.health_check {
            let hat = format!("{at}.health_check");
            if !h.path.starts_with('/') {
                p.push(format!("{hat}.path"), format!("must start with '/': {:?}", h.path));
            }
            if h.interval.get().is_zero() {
                p.push(format!("{hat}.interval"), "must be greater than zero");
            }
            if h.timeout.get().is_zero() {
                p.push(format!("{hat}.timeout"), "must be greater than zero");
            }
            if h.healthy_threshold == 0 {
                p.push(format!("{hat}.healthy_threshold"), "must be at least 1");
            }
            if h.unhealthy_threshold == 0 {
                p.push(format!("{hat}.unhealthy_threshold"), "must be at least 1");
            }
        }
        if s.timeouts.connect.get().is_zero() {
            p.push(format!("{at}.timeouts.connect"), "must be greater than zero");
        }
        if s.timeouts.response.get().is_zero() {
            p.push(format!("{at}.timeouts.response"), "must be greater than zero");
        }
        if s.session_affinity.is_some_and(|a| a.timeout.get().is_zero()) {
            p.push(format!("{at}.session_affinity.timeout"), "must be greater than zero");
        }
        if s.send_buffer_bytes != 0 {
            check_send_buffer(&mut p, &format!("{at}.send_buffer_bytes"), s.send_buffer_bytes);
        }
    }

    if p.is_empty() {
        Ok(())
    } else {
        Err(p)
    }
}

/// Socket buffer sizes the kernel takes as asked: a page at least, and what `SO_SNDBUF`'s
/// `int` holds once doubled.
fn check_send_buffer(p: &mut Problems, at: &str, bytes: u64) {
    const MIN: u64 = 4096;
    const MAX: u64 = (1 << 30) - 1;
    if !(MIN..=MAX).contains(&bytes) {
        p.push(at.to_owned(), format!("must be between {MIN} and {MAX} bytes (1 GiB), not {bytes}"));
    }
}

/// The L4 settings of listener `l` (at `at`): only where they apply, with sane values.
fn check_l4_listener(p: &mut Problems, at: &str, l: &crate::Listener, config: &Config) {
    if l.accept_proxy_protocol && l.protocol != Protocol::Tcp {
        p.push(format!("{at}.accept_proxy_protocol"), format!("only for tcp listeners, not {}", l.protocol));
    }
    match l.max_connections {
        Some(_) if l.protocol.is_http() => {
            p.push(format!("{at}.max_connections"), format!("only for tcp/udp listeners, not {}", l.protocol))
        }
        Some(0) => p.push(format!("{at}.max_connections"), "must be at least 1"),
        _ => {}
    }
    if let Some(bytes) = l.send_buffer_bytes {
        if l.protocol == Protocol::Tcp {
            check_send_buffer(p, &format!("{at}.send_buffer_bytes"), bytes);
        } else {
            p.push(format!("{at}.send_buffer_bytes"), format!("only for tcp listeners, not {}", l.protocol));
        }
    }
    if l.protocol == Protocol::Udp {
        if l.timeouts.flow_idle.get().is_zero() {
            p.push(format!("{at}.timeouts.flow_idle"), "must be greater than zero");
        }
        let service = l.service.as_deref().and_then(|name| config.services.iter().find(|s| s.name == name));
        if let Some(s) = service.filter(|s| s.proxy_protocol.is_some()) {
            p.push(
                format!("{at}.service"),
                format!("service {:?} sends the PROXY protocol, which udp listeners do not support", s.name),
            );
        }
    }
    if l.protocol != Protocol::Tcp && l.protocol != Protocol::Udp {
        return;
    }
    if l.timeouts.idle.get().is_zero() {
        p.push(format!("{at}.timeouts.idle"), "must be greater than zero");
    }
}

/// WAF policies: unique names, something to load, sane CRS values, and references that exist.
fn check_waf(p: &mut Problems, config: &Config) {
    let mut names = HashMap::new();
    for (i, w) in config.waf.iter().enumerate() {
        let at = format!("waf[{i}]");
        check_name(p, &format!("{at}.name"), &w.name);
        if w.name == WAF_OFF {
            p.push(format!("{at}.name"), format!("{WAF_OFF:?} is reserved (it turns the WAF off on a route)"));
        }
        if let Some(j) = names.insert(w.name.as_str(), i) {
            p.push(format!("{at}.name"), format!("duplicate WAF policy name {:?} (also waf[{j}])", w.name));
        }
        if w.rules.is_empty() && w.directives.as_deref().is_none_or(|d| d.trim().is_empty()) {
            p.push(format!("{at}.rules"), "at least one rule file or some directives are required");
        }
        for (k, r) in w.rules.iter().enumerate() {
            if r.trim().is_empty() {
                p.push(format!("{at}.rules[{k}]"), "empty path");
            }
        }
        if let Some(c) = &w.crs {
            if !(1..=4).contains(&c.paranoia_level) {
                p.push(format!("{at}.crs.paranoia_level"), format!("must be 1 to 4, not {}", c.paranoia_level));
            }
            if let Some(d) = c.detection_paranoia_level {
                if !(1..=4).contains(&d) || d < c.paranoia_level {
                    p.push(
                        format!("{at}.crs.detection_paranoia_level"),
                        format!("must be paranoia_level ({}) to 4, not {d}", c.paranoia_level),
                    );
                }
            }
            if c.inbound_anomaly_threshold == 0 {
                p.push(format!("{at}.crs.inbound_anomaly_threshold"), "must be at least 1");
            }
            if c.outbound_anomaly_threshold == 0 {
                p.push(format!("{at}.crs.outbound_anomaly_threshold"), "must be at least 1");
            }
        }
        if w.request_body_limit == 0 {
            p.push(format!("{at}.request_body_limit"), "must be at least 1");
        }
    }
    let known = |name: &str| names.contains_key(name);
    for (i, l) in config.listeners.iter().enumerate() {
        match &l.waf {
            Some(_) if !l.protocol.is_http() => {
                p.push(format!("listeners[{i}].waf"), format!("only for http/https listeners, not {}", l.protocol))
            }
            Some(w) if w != WAF_OFF && !known(w) => {
                p.push(format!("listeners[{i}].waf"), format!("unknown WAF policy {w:?}"))
            }
            _ => {}
        }
    }
    for (i, r) in config.routes.iter().enumerate() {
        if let Some(w) = &r.waf {
            if w != WAF_OFF && !known(w) {
                p.push(format!("routes[{i}].waf"), format!("unknown WAF policy {w:?}"));
            }
        }
    }
}

fn check_target(p: &mut Problems, at: &str, t: &Target, services: &HashSet<&str>) {
    match (&t.backend, &t.respond) {
        (Some(_), Some(_)) => p.push(at.to_owned(), "set either backend or respond, not both"),
        (None, None) => p.push(at.to_owned(), "one of backend or respond is required"),
        (Some(b), None) if !services.contains(b.as_str()) => {
            p.push(format!("{at}.backend"), format!("unknown service {b:?}"))
        }
        (None, Some(r)) => check_response(p, &format!("{at}.respond"), r),
        _ => {}
    }
}

fn check_response(p: &mut Problems, at: &str, r: &DirectResponse) {
    if !(100..=599).contains(&r.status) || (100..200).contains(&r.status) {
        p.push(format!("{at}.status"), format!("must be 200-599, not {}", r.status));
    }
    if r.content_type.bytes().any(|b| b.is_ascii_control()) {
        p.push(format!("{at}.content_type"), "must not contain control characters");
    }
}

fn check_certificate(p: &mut Problems, at: &str, c: &Certificate) {
    for (field, file, inline) in [("cert", &c.cert, c.cert_pem.is_some()), ("key", &c.key, c.key_pem.is_some())] {
        match (file, inline) {
            (Some(_), true) => p.push(format!("{at}.{field}"), format!("set either {field} or {field}_pem, not both")),
            (None, false) => p.push(format!("{at}.{field}"), format!("one of {field} or {field}_pem is required")),
            (Some(path), false) => {
                if let Err(e) = std::fs::metadata(path) {
                    p.push(format!("{at}.{field}"), format!("{}: {}", path.display(), io_reason(&e)));
                }
            }
            (None, true) => {}
        }
    }
    for (k, n) in c.server_names.iter().enumerate() {
        if let Err(m) = check_host(n) {
            p.push(format!("{at}.server_names[{k}]"), m);
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// Listener and service names: 1-63 of `[a-z0-9-]`, as Kubernetes DNS labels, plus `.`/`_`
/// so `namespace.name` style names fit.
fn check_name(p: &mut Problems, at: &str, name: &str) {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_' | b'/'));
    if !ok {
        p.push(at.to_owned(), format!("invalid name {name:?}: use 1-253 of a-z, 0-9, '-', '.', '_', '/'"));
    }
}

/// Hosts as Ingress v1 allows them: a DNS name, or `*.` followed by one.
pub fn check_host(host: &str) -> Result<(), String> {
    let name = host.strip_prefix("*.").unwrap_or(host);
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("invalid host {host:?}: expected a DNS name, optionally starting with \"*.\""))
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use crate::load::{load_str, LoadError};

    fn problems(yaml: &str) -> Vec<String> {
        match load_str(yaml) {
            Err(LoadError::Invalid { problems, .. }) => problems.0.iter().map(|p| p.to_string()).collect(),
            Err(e) => panic!("expected validation problems, got {e}"),
            Ok(_) => Vec::new(),
        }
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let got = problems(
            r#"
admin: { address: "127.0.0.1:9000" }
listeners:
  - { name: Web, address: "127.0.0.1:9000", protocol: http, service: s }
  - { name: dup, address: "127.0.0.1:81", protocol: tcp }
  - { name: dup, address: "127.0.0.1:81", protocol: https, tls: { certificates: [] } }
routes:
  - host: "a..b"
    listeners: [nope]
    paths:
      - { path: x, backend: missing }
      - { path: /a, backend: s, respond: { body: "" } }
      - { path: /r, respond: { status: 99 } }
      - { path: /r, respond: { status: 200 } }
services:
  - name: s
    endpoints: [ { address: "127.0.0.1:0", weight: 0 } ]
    balance: { policy: consistent_hash, hash_on: header }
    health_check: { path: hz, interval: 0s, healthy_threshold: 0 }
"#,
        );
        let want = [
            "listeners[0].name: invalid name \"Web\"",
            "listeners[0].address: address 127.0.0.1:9000 is the admin listener's",
            "listeners[0].service: only for tcp/udp listeners",
            "listeners[1].service: required for protocol tcp",
            "listeners[2].name: duplicate listener name \"dup\" (also listeners[1])",
            "listeners[2].address: address 127.0.0.1:81 already used by listeners[1]",
            "listeners[2].tls.certificates: at least one certificate is required",
            "routes[0].host: invalid host \"a..b\"",
            "routes[0].listeners[0]: unknown http/https listener \"nope\"",
            "routes[0].paths[0].path: must start with '/'",
            "routes[0].paths[0].backend: unknown service \"missing\"",
            "routes[0].paths[1]: set either backend or respond, not both",
            "routes[0].paths[2].respond.status: must be 200-599, not 99",
            "routes[0].paths[3].path: Prefix path \"/r\" for this host is already routed by routes[0].paths[2]",
            "services[0].endpoints[0].weight: must be at least 1",
            "services[0].endpoints[0].address: port must not be 0",
            "services[0].balance.hash_key: required when hash_on is header or cookie",
            "services[0].health_check.path: must start with '/'",
            "services[0].health_check.interval: must be greater than zero",
            "services[0].health_check.healthy_threshold: must be at least 1",
        ];
        for w in want {
            assert!(got.iter().any(|g| g.starts_with(w)), "missing {w:?} in {got:#?}");
        }
        assert_eq!(got.len(), want.len(), "{got:#?}");
    }

    #[test]
    fn waf_policies_and_references() {
        let got = problems(
            r#"
listeners:
  - { name: web, address: "127.0.0.1:0", protocol: http, waf: nope }
  - { name: raw, address: "127.0.0.1:0", protocol: tcp, service: s, waf: crs }
routes:
  - { waf: missing, paths: [ { backend: s } ] }
  - { waf: "off", paths: [ { path: /x, backend: s } ] }
services: [ { name: s, endpoints: ["127.0.0.1:1"] } ]
waf:
  - { name: crs, rules: [rules.conf], crs: { paranoia_level: 5, detection_paranoia_level: 1, inbound_anomaly_threshold: 0 } }
  - { name: crs, directives: "  " }
  - { name: "off", rules: [a] }
"#,
        );
        assert_eq!(
            got,
            [
                "waf[0].crs.paranoia_level: must be 1 to 4, not 5",
                "waf[0].crs.detection_paranoia_level: must be paranoia_level (5) to 4, not 1",
                "waf[0].crs.inbound_anomaly_threshold: must be at least 1",
                "waf[1].name: duplicate WAF policy name \"crs\" (also waf[0])",
                "waf[1].rules: at least one rule file or some directives are required",
                "waf[2].name: \"off\" is reserved (it turns the WAF off on a route)",
                "listeners[0].waf: unknown WAF policy \"nope\"",
                "listeners[1].waf: only for http/https listeners, not tcp",
                "routes[0].waf: unknown WAF policy \"missing\"",
            ]
        );
        let ok = load_str("waf: [ { name: w, directives: \"SecRuleEngine On\" } ]").unwrap();
        let w = &ok.config().waf[0];
        assert_eq!(
            (w.mode, w.request_body_limit, w.inspect_responses, w.audit_log),
            (crate::WafMode::Blocking, 1 << 20, false, true)
        );
    }

    #[test]
    fn l4_settings_only_where_they_apply() {
        let got = problems(
            r#"
listeners:
  - { name: web, address: "127.0.0.1:0", protocol: http, accept_proxy_protocol: true, max_connections: 5, send_buffer_bytes: 65536 }
  - { name: dns, address: "127.0.0.1:0", protocol: udp, service: pp, accept_proxy_protocol: true, timeouts: { flow_idle: 0s } }
  - { name: db, address: "127.0.0.1:0", protocol: tcp, service: s, max_connections: 0, timeouts: { idle: 0s }, send_buffer_bytes: 100 }
  - { name: ok, address: "10.9.9.9:53", protocol: tcp, service: pp, accept_proxy_protocol: true, max_connections: 10, send_buffer_bytes: 4096 }
routes: [ { paths: [ { backend: s } ] } ]
services:
  - { name: s, endpoints: ["127.0.0.1:1"], session_affinity: { timeout: 0s }, send_buffer_bytes: 2147483648 }
  - { name: pp, endpoints: ["127.0.0.1:2"], proxy_protocol: v2, balance: { policy: least_connections }, send_buffer_bytes: 0 }
"#,
        );
        assert_eq!(
            got,
            [
                "listeners[0].accept_proxy_protocol: only for tcp listeners, not http",
                "listeners[0].max_connections: only for tcp/udp listeners, not http",
                "listeners[0].send_buffer_bytes: only for tcp listeners, not http",
                "listeners[1].accept_proxy_protocol: only for tcp listeners, not udp",
                "listeners[1].timeouts.flow_idle: must be greater than zero",
                "listeners[1].service: service \"pp\" sends the PROXY protocol, which udp listeners do not support",
                "listeners[2].max_connections: must be at least 1",
                "listeners[2].send_buffer_bytes: must be between 4096 and 1073741823 bytes (1 GiB), not 100",
                "listeners[2].timeouts.idle: must be greater than zero",
                "services[0].session_affinity.timeout: must be greater than zero",
                "services[0].send_buffer_bytes: must be between 4096 and 1073741823 bytes (1 GiB), not 2147483648",
            ]
        );
        let ok = load_str(
            r#"
listeners: [ { name: db, address: "0.0.0.0:0", protocol: tcp, service: s } ]
services: [ { name: s, session_affinity: {}, proxy_protocol: v1, health_check: { protocol: tcp } } ]
"#,
        )
        .unwrap();
        let (l, s) = (&ok.config().listeners[0], &ok.config().services[0]);
        assert_eq!((l.accept_proxy_protocol, l.max_connections, l.send_buffer_bytes), (false, None, None));
        assert_eq!(s.send_buffer_bytes, 256 * 1024);
        assert_eq!(
            (l.timeouts.drain, l.timeouts.flow_idle),
            (crate::Duration::from_secs(30), crate::Duration::from_secs(30))
        );
        assert_eq!(s.session_affinity.map(|a| a.timeout), Some(crate::Duration::from_secs(10_800)));
        assert_eq!(s.proxy_protocol, Some(crate::ProxyProtocol::V1));
        assert_eq!(s.health_check.as_ref().map(|h| h.protocol), Some(crate::HealthCheckProtocol::Tcp));
        let e = load_str("services: [ { name: s, proxy_protocol: v3 } ]").unwrap_err().to_string();
        assert!(e.contains("unknown variant `v3`"), "{e}");
    }

    #[test]
    fn parse_errors_name_the_line() {
        let e =
            load_str("listeners:\n  - { name: a, address: \"1.2.3.4:5\", protocol: http, tls_: {} }\n").unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, LoadError::Parse { .. }), "{msg}");
        assert!(msg.contains("unknown field `tls_`") && msg.contains("line 2"), "{msg}");
        let e = load_str("services: [ { name: a, endpoints: [\"nope\"] } ]").unwrap_err().to_string();
        assert!(e.contains("invalid endpoint address \"nope\""), "{e}");
        let e = load_str("services: [ { name: a, timeouts: { connect: 5 } } ]").unwrap_err().to_string();
        assert!(e.contains("invalid duration"), "{e}");
    }

    #[test]
    fn defaults_and_endpoint_forms() {
        let s = load_str(
            r#"
listeners: [ { name: web, address: "127.0.0.1:0", protocol: http } ]
routes: [ { host: "*.example.com", paths: [ { backend: s } ] } ]
services: [ { name: s, endpoints: ["127.0.0.1:1", { address: "[::1]:2", weight: 3 }] } ]
"#,
        )
        .unwrap();
        let c = s.config();
        assert_eq!(c.admin.address.to_string(), "127.0.0.1:9901");
        assert_eq!(c.listeners[0].max_request_body_bytes, 1 << 20);
        assert_eq!(c.routes[0].paths[0].path, "/");
        assert_eq!(c.routes[0].paths[0].path_type, crate::PathType::Prefix);
        assert_eq!(c.services[0].endpoints[1].weight, 3);
        assert_eq!(c.services[0].endpoints[0].weight, 1);
        assert!(load_str("").unwrap().config().listeners.is_empty(), "an empty file is an empty config");
    }
}
