//! The README's config reference parses, validates (but for files) and names every field of
//! the model types, so it cannot fall behind them.

use std::collections::BTreeSet;
use std::path::PathBuf;

use model::*;

const README: &str = include_str!("../../README.md");

fn reference_block() -> &'static str {
    let start = README.find("<!-- reference:start -->").expect("reference start marker");
    let end = README.find("<!-- reference:end -->").expect("reference end marker");
    let block = &README[start..end];
    let yaml_start = block.find("```yaml\n").expect("yaml fence") + "```yaml\n".len();
    let yaml_end = block[yaml_start..].find("```").expect("closing fence") + yaml_start;
    &block[yaml_start..yaml_end]
}

/// A config with every optional field set and every list non-empty. Written as struct
/// literals, so a new model field does not compile until it is added here, and then this test
/// fails until the README documents it.
fn everything() -> Config {
    let pem = Some("x".to_owned());
    Config {
        admin: Admin { address: Admin::default_address(), enabled: true },
        listeners: vec![Listener {
            name: "l".into(),
            address: "127.0.0.1:1".parse().unwrap(),
            protocol: Protocol::Https,
            tls: Some(ListenerTls {
                certificates: vec![Certificate {
                    cert: Some(PathBuf::from("c")),
                    key: Some(PathBuf::from("k")),
                    cert_pem: pem.clone(),
                    key_pem: pem,
                    server_names: vec!["a".into()],
                }],
            }),
            service: Some("s".into()),
            default_backend: Some(Target {
                backend: Some("s".into()),
                respond: Some(DirectResponse { status: 200, content_type: "t".into(), body: "b".into() }),
            }),
            max_request_body_bytes: 1,
            http2: true,
            access_log: true,
            timeouts: ListenerTimeouts::default(),
            waf: Some("w".into()),
            accept_proxy_protocol: false,
            max_connections: Some(1),
            send_buffer_bytes: Some(4096),
        }],
        routes: vec![Route {
            name: Some("r".into()),
            host: Some("h".into()),
            paths: vec![RoutePath {
                path: "/".into(),
                path_type: PathType::Prefix,
                backend: Some("s".into()),
                respond: Some(DirectResponse { status: 200, content_type: "t".into(), body: "b".into() }),
                max_request_body_bytes: Some(1),
            }],
            listeners: vec!["l".into()],
            waf: Some("w".into()),
        }],
        services: vec![Service {
            name: "s".into(),
            endpoints: vec![Endpoint::new("127.0.0.1:2".parse().unwrap())],
            balance: Balance { hash_key: Some("k".into()), ..Balance::default() },
            protocol: UpstreamProtocol::Http1,
            health_check: Some(HealthCheck {
                protocol: HealthCheckProtocol::Http,
                path: "/".into(),
                host: Some("h".into()),
                interval: Duration::from_secs(1),
                timeout: Duration::from_secs(1),
                healthy_threshold: 1,
                unhealthy_threshold: 1,
            }),
            outlier: Outlier::default(),
            timeouts: ServiceTimeouts::default(),
            proxy_protocol: Some(ProxyProtocol::V2),
            session_affinity: Some(SessionAffinity::default()),
            send_buffer_bytes: 4096,
        }],
        waf: vec![WafPolicy {
            name: "w".into(),
            mode: WafMode::Blocking,
            rules: vec!["r".into()],
            directives: Some("SecRuleEngine On".into()),
            crs: Some(CrsSetup { detection_paranoia_level: Some(2), ..CrsSetup::default() }),
            request_body_limit: 1,
            inspect_responses: true,
            response_body_limit: 1,
            audit_log: true,
        }],
    }
}

fn keys(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn reference_names_every_model_field() {
    let block = reference_block();
    let mut all = BTreeSet::new();
    keys(&serde_json::to_value(everything()).unwrap(), &mut all);
    // Endpoint objects serialize as {address, weight}.
    let missing: Vec<_> = all.iter().filter(|k| !block.contains(&format!("{k}:"))).collect();
    assert!(missing.is_empty(), "README config reference lacks fields: {missing:?}");
}

#[test]
fn reference_parses_and_only_file_problems_remain() {
    let config = load::parse(reference_block(), "README").unwrap_or_else(|e| panic!("{e}"));
    // The example names certificate files that do not exist here, and mixes file and inline
    // PEM and backend and respond to show both; those, and only those, are reported.
    let problems = validate(&config).err().map(|p| p.to_string()).unwrap_or_default();
    for line in problems.lines() {
        let expected = line.contains("file not found")
            || line.contains("not both")
            || line.contains("only for tcp/udp")
            || line.contains("only for tcp listeners")
            || line.contains("one of cert or cert_pem")
            || line.contains("one of key or key_pem");
        assert!(expected, "unexpected problem in the README reference: {line}");
    }
}

#[test]
fn example_configs_load() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/examples");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            load_file(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 2, "expected example configs in {dir}");
}
