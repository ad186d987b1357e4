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

#[path = "common/requests.rs"]
mod requests;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, Criterion};
use waf_rules::engine::RuleSet;
use waf_rules::macros::Resolve;
use waf_rules::operators::{Captures, Factory, LoadContext, OpContext, Operator, OperatorError, Registry};

use crate::requests::{clean_get, clean_post, conf, connection, run, Request};

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

/// The operator calls of one transaction.
fn trace(rules: &RuleSet, req: &Request) -> Vec<Call> {
    TRACE.with_borrow_mut(|t| *t = Some(Vec::new()));
    assert!(run(rules, &connection(), req).0.is_none(), "a clean request passes");
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
                total += usize::from(run(&rules, &conn, black_box(&req)).0.is_some());
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
