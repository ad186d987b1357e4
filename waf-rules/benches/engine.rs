//! The rule engine alone, without a network or a proxy: the OWASP CRS at paranoia level 1 in
//! blocking mode (benches/crs-pl1.conf), one full transaction (phases 1, 2 and 5) per iteration
//! for a clean browser GET, a clean 4 KB urlencoded POST with 35 arguments (the body
//! ModSecurity was measured with) and an XSS attack that the CRS blocks.
//!
//! `cargo bench -p waf-rules --bench engine`; the target of issue 3 is a clean GET under 50 µs.

#[path = "common/requests.rs"]
mod requests;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use waf_rules::engine::RuleSet;

use crate::requests::{attack_get, clean_get, clean_post, conf, connection, run};

fn engine(c: &mut Criterion) {
    let rules = RuleSet::from_file(conf()).unwrap_or_else(|e| panic!("{e}"));
    let conn = connection();
    let get = clean_get();
    let post = clean_post();
    let attack = attack_get();
    assert_eq!(post.body.len(), 4073);

    // What is measured must be what it says: clean requests pass untouched, the attack is blocked
    // by the anomaly score (949110) at the end of phase 2's inbound evaluation... or phase 1's.
    for (name, req) in [("clean GET", &get), ("clean POST", &post)] {
        let (decided, matched) = run(&rules, &conn, req);
        assert!(decided.is_none() && matched.is_empty(), "{name}: {decided:?}, rules {matched:?} matched");
    }
    let (decided, _) = run(&rules, &conn, &attack);
    assert_eq!(decided.map(|i| (i.status, i.rule_id)), Some((403, 949110)), "the attack is blocked");

    let mut group = c.benchmark_group("crs_pl1_blocking");
    group.throughput(Throughput::Elements(1));
    group.bench_function("clean_get", |b| b.iter(|| run(&rules, &conn, black_box(&get))));
    group.bench_function("clean_post_4k", |b| b.iter(|| run(&rules, &conn, black_box(&post))));
    group.bench_function("attack_get_xss", |b| b.iter(|| run(&rules, &conn, black_box(&attack))));
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
