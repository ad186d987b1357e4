//! The operators alone, on exactly the calls the CRS makes for the requests of the engine bench
//! (benches/engine.rs): the rule set is compiled with a registry whose operators record every
//! call (operator, transformed input, capture or not, the macro values it read, its answer)
//! while one clean GET and one clean POST go through the engine; the calls are then replayed
//! against the same compiled operators, grouped by operator.
//!
//! `cargo bench -p waf-rules --bench operators`. For instruction counts, which a loaded machine
//! does not distort, `WAFOPS_COUNT=<what> WAFOPS_ITERS=<n>` runs `<what>` n times without
//! criterion: `engine-get`, `engine-post` (whole transactions with the builtin registry),
//! `ops-get`, `ops-post` (the recorded operator calls), `top-get`, `top-post` (prints the operators
//! that take the most time), e.g.
//! `WAFOPS_COUNT=engine-get WAFOPS_ITERS=2000 perf stat -e instructions target/release/deps/operators-*`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, Criterion};
use waf_rules::engine::{Connection, RuleSet, Transaction};
use waf_rules::macros::Resolve;
use waf_rules::operators::{Captures, Factory, LoadContext, OpContext, Operator, OperatorError, Registry};

// === recording ===

/// Macro values an operator read: `(name, key, value)`.
type Resolved = Vec<(String, Option<String>, Option<Vec<u8>>)>;

/// One operator call made by the engine.
struct Call {
    /// Index in [`Recorder`]'s list of compiled operators.
    op: usize,
    input: Vec<u8>,
    capture: bool,
    /// The macro values the operator read.
    resolved: Resolved,
    matched: bool,
}

/// A compiled operator and its name.
struct Compiled {
    name: &'static str,
    argument: String,
    op: Arc<dyn Operator>,
}

thread_local! {
    static COMPILED: RefCell<Vec<Compiled>> = const { RefCell::new(Vec::new()) };
    static TRACE: RefCell<Option<Vec<Call>>> = const { RefCell::new(None) };
}

/// An operator that records its calls into [`TRACE`] while recording is on.
#[derive(Debug)]
struct Recording {
    index: usize,
    inner: Arc<dyn Operator>,
}

/// Wraps a resolver to remember what it answered.
struct Remember<'a> {
    inner: &'a dyn Resolve,
    seen: RefCell<Resolved>,
}

impl Resolve for Remember<'_> {
    fn resolve(&self, name: &str, key: Option<&str>) -> Option<Cow<'_, [u8]>> {
        let value = self.inner.resolve(name, key).map(|v| v.into_owned());
        self.seen.borrow_mut().push((name.to_owned(), key.map(str::to_owned), value.clone()));
        value.map(Cow::Owned)
    }
}

/// Answers with recorded macro values.
struct Replay<'a>(&'a Resolved);

impl Resolve for Replay<'_> {
    fn resolve(&self, name: &str, key: Option<&str>) -> Option<Cow<'_, [u8]>> {
        self.0
            .iter()
            .find(|(n, k, _)| n == name && k.as_deref() == key)
            .and_then(|(_, _, v)| v.as_deref().map(Cow::Borrowed))
    }
}

impl Operator for Recording {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let remember = Remember { inner: cx.resolver, seen: RefCell::new(Vec::new()) };
        let capture = cx.captures.is_some();
        let matched = {
            let mut inner_cx = OpContext { resolver: &remember, captures: cx.captures.as_deref_mut() };
            self.inner.evaluate(&mut inner_cx, input)
        };
        TRACE.with_borrow_mut(|trace| {
            if let Some(trace) = trace {
                let resolved = remember.seen.into_inner();
                trace.push(Call { op: self.index, input: input.to_vec(), capture, resolved, matched });
            }
        });
        matched
    }
}

fn record(name: &'static str, argument: &str, cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    let inner: Arc<dyn Operator> = Arc::from(Registry::with_builtin().compile(name, argument, cx)?);
    let index = COMPILED.with_borrow_mut(|compiled| {
        compiled.push(Compiled { name, argument: argument.to_owned(), op: inner.clone() });
        compiled.len() - 1
    });
    Ok(Box::new(Recording { index, inner }))
}

macro_rules! recording_registry {
    ($($name:literal),* $(,)?) => {{
        let mut registry = Registry::empty();
        $(
            let factory: Factory = |argument, cx| record($name, argument, cx);
            registry.register($name, factory).expect("distinct names");
        )*
        registry
    }};
}

/// The operators of the CRS, recording.
fn recording() -> Registry {
    recording_registry!(
        "beginsWith",
        "contains",
        "containsWord",
        "detectSQLi",
        "detectXSS",
        "endsWith",
        "eq",
        "ge",
        "gt",
        "ipMatch",
        "ipMatchFromFile",
        "le",
        "lt",
        "noMatch",
        "pm",
        "pmFromFile",
        "rx",
        "streq",
        "strmatch",
        "unconditionalMatch",
        "validateByteRange",
        "validateUrlEncoding",
        "validateUtf8Encoding",
        "within",
    )
}

// === the requests (as in benches/engine.rs) ===

/// One request as the proxy hands it to the engine.
struct Request {
    method: &'static [u8],
    uri: &'static [u8],
    headers: Vec<(&'static [u8], Vec<u8>)>,
    body: Vec<u8>,
}

fn clean_get() -> Request {
    let h: [(&[u8], &str); 7] = [
        (b"Host", "www.example.com"),
        (
            b"User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        ),
        (b"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
        (b"Accept-Language", "en-US,en;q=0.9,de;q=0.8"),
        (b"Accept-Encoding", "gzip, deflate, br, zstd"),
        (b"Cookie", "session=3f9a1c2e7b4d8a60c1d2e3f4a5b6c7d8; theme=dark"),
        (b"Referer", "https://www.example.com/products?page=2"),
    ];
    let headers = h.iter().map(|(n, v)| (*n, v.as_bytes().to_vec())).collect();
    Request { method: b"GET", uri: b"/products/view?id=1234&ref=home", headers, body: Vec::new() }
}

fn clean_post() -> Request {
    let words = "lorem+ipsum+dolor+sit+amet+consectetur+adipiscing+elit+sed+do+eiusmod+tempor+incididunt+ut+labore+et+dolore+magna+aliqua";
    let mut body = String::from("name=John+Smith&email=john.smith%40example.com&phone=%2B1+555+0100&city=Springfield");
    let mut i = 0;
    while body.len() < 4000 {
        i += 1;
        body.push_str(&format!("&field{i}={words}"));
    }
    let headers = vec![
        (&b"Host"[..], b"localhost".to_vec()),
        (b"User-Agent", b"wrk-bench/4.1".to_vec()),
        (b"Accept", b"text/html".to_vec()),
        (b"Content-Type", b"application/x-www-form-urlencoded".to_vec()),
        (b"Content-Length", body.len().to_string().into_bytes()),
    ];
    Request { method: b"POST", uri: b"/", headers, body: body.into_bytes() }
}

fn connection() -> Connection {
    Connection {
        client_ip: "192.0.2.10".into(),
        client_port: 51234,
        server_ip: "192.0.2.1".into(),
        server_port: 443,
        unique_id: "bench-0000000001".into(),
    }
}

/// One transaction: phases 1 and 2, then logging.
fn run(rules: &RuleSet, conn: &Connection, req: &Request) -> bool {
    let mut tx = Transaction::new(rules, conn);
    let headers = req.headers.iter().map(|(n, v)| (*n, v.as_slice()));
    let mut decided = tx.process_request_headers(req.method, req.uri, b"HTTP/1.1", headers);
    if decided.is_none() {
        decided = tx.process_request_body(&req.body, false);
    }
    tx.process_logging();
    decided.is_some()
}

fn conf() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/crs-pl1.conf")
}

/// The operator calls of one transaction.
fn trace(rules: &RuleSet, req: &Request) -> Vec<Call> {
    TRACE.with_borrow_mut(|t| *t = Some(Vec::new()));
    assert!(!run(rules, &connection(), req), "a clean request passes");
    TRACE.with_borrow_mut(Option::take).unwrap_or_default()
}

/// Replays `calls`; returns how many matched (and checks each answer against the recorded one).
fn replay(ops: &[Arc<dyn Operator>], calls: &[&Call], captures: &mut Captures) -> usize {
    let mut matched = 0;
    for call in calls {
        let resolver = Replay(&call.resolved);
        let mut cx = OpContext { resolver: &resolver, captures: call.capture.then_some(&mut *captures) };
        let answer = ops[call.op].evaluate(&mut cx, black_box(&call.input));
        debug_assert_eq!(answer, call.matched);
        matched += usize::from(answer);
    }
    matched
}

/// The recorded traces and the operators they call.
struct Recorded {
    names: Vec<&'static str>,
    arguments: Vec<String>,
    ops: Vec<Arc<dyn Operator>>,
    get: Vec<Call>,
    post: Vec<Call>,
}

fn recorded() -> Recorded {
    let spec = waf_rules::seclang::load_file(conf()).unwrap_or_else(|e| panic!("{e}"));
    let rules = RuleSet::compile_with(&spec, &recording(), &waf_rules::transformations::Registry::with_builtin())
        .unwrap_or_else(|e| panic!("{e}"));
    let get = trace(&rules, &clean_get());
    let post = trace(&rules, &clean_post());
    let (names, ops) = COMPILED.with_borrow(|c| c.iter().map(|c| (c.name, c.op.clone())).unzip());
    let arguments = COMPILED.with_borrow(|c| c.iter().map(|c| c.argument.clone()).collect());
    let recorded = Recorded { names, arguments, ops, get, post };
    for calls in [&recorded.get, &recorded.post] {
        let all: Vec<&Call> = calls.iter().collect();
        let expected = all.iter().filter(|c| c.matched).count();
        assert_eq!(replay(&recorded.ops, &all, &mut Captures::new()), expected, "the replay answers as the engine saw");
    }
    recorded
}

/// The calls of `trace` grouped by operator name (and all of them under `all`).
fn by_operator<'a>(recorded: &Recorded, trace: &'a [Call]) -> BTreeMap<&'static str, Vec<&'a Call>> {
    let mut groups: BTreeMap<&'static str, Vec<&Call>> = BTreeMap::new();
    for call in trace {
        groups.entry(recorded.names[call.op]).or_default().push(call);
        groups.entry("all").or_default().push(call);
    }
    groups
}

fn operators(c: &mut Criterion) {
    let recorded = recorded();
    for (request, trace) in [("get", &recorded.get), ("post", &recorded.post)] {
        let mut group = c.benchmark_group(format!("crs_operators_{request}"));
        for (name, calls) in by_operator(&recorded, trace) {
            let bytes: usize = calls.iter().map(|c| c.input.len()).sum();
            eprintln!("{request}: {name}: {} calls, {bytes} input bytes", calls.len());
            let mut captures = Captures::new();
            group.bench_function(name, |b| b.iter(|| replay(&recorded.ops, &calls, &mut captures)));
        }
        group.finish();
    }
}

/// `WAFOPS_COUNT` mode (see the module documentation).
fn count(what: &str, iterations: usize) {
    let mut total = 0usize;
    match what {
        "engine-get" | "engine-post" => {
            let rules = RuleSet::from_file(conf()).unwrap_or_else(|e| panic!("{e}"));
            let req = if what == "engine-get" { clean_get() } else { clean_post() };
            let conn = connection();
            for _ in 0..iterations {
                total += usize::from(run(&rules, &conn, black_box(&req)));
            }
        }
        "ops-get" | "ops-post" => {
            let recorded = recorded();
            let trace = if what == "ops-get" { &recorded.get } else { &recorded.post };
            let calls: Vec<&Call> = trace.iter().collect();
            let mut captures = Captures::new();
            for _ in 0..iterations {
                total += replay(&recorded.ops, black_box(&calls), &mut captures);
            }
        }
        "top-get" | "top-post" => {
            let recorded = recorded();
            top(&recorded, if what == "top-get" { &recorded.get } else { &recorded.post }, iterations);
        }
        other => {
            panic!("WAFOPS_COUNT={other}: expected engine-get, engine-post, ops-get, ops-post, top-get or top-post")
        }
    }
    println!("{what}: {iterations} iterations ({total})");
}

/// Prints the compiled operators that take the most time over `trace` (`WAFOPS_TOP` of them,
/// 25 by default).
fn top(recorded: &Recorded, trace: &[Call], iterations: usize) {
    let mut by_op: BTreeMap<usize, Vec<&Call>> = BTreeMap::new();
    for call in trace {
        by_op.entry(call.op).or_default().push(call);
    }
    let mut captures = Captures::new();
    let mut times: Vec<(std::time::Duration, usize, usize)> = by_op
        .iter()
        .map(|(&op, calls)| {
            let start = std::time::Instant::now();
            for _ in 0..iterations {
                replay(&recorded.ops, black_box(calls), &mut captures);
            }
            (start.elapsed() / u32::try_from(iterations.max(1)).unwrap_or(u32::MAX), op, calls.len())
        })
        .collect();
    times.sort_unstable_by(|a, b| b.cmp(a));
    let shown = std::env::var("WAFOPS_TOP").ok().and_then(|n| n.parse().ok()).unwrap_or(25);
    for (time, op, calls) in times.iter().take(shown) {
        let argument: String = recorded.arguments[*op].chars().take(90).collect();
        println!("{time:>10.2?} {calls:>4} calls @{} {argument}", recorded.names[*op]);
    }
}

criterion_group!(benches, operators);

fn main() {
    if let Ok(what) = std::env::var("WAFOPS_COUNT") {
        let iterations = std::env::var("WAFOPS_ITERS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
        count(&what, iterations);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
