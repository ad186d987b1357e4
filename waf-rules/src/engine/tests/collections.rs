//! Persistent collections: `initcol` (and `setsid`, `setuid`, `setrsc`) open a record of a
//! [`Collections`] store that outlives the transaction; `setvar` writes through to it,
//! `expirevar` and `SecCollectionTimeout` expire it, and the store stays bounded.

use std::time::Duration;

use super::*;
use crate::actions::Collection;
use crate::engine::Collections;

/// A rate limit as rule writers use one: count the client's requests in `IP`, answer 429
/// from the fourth on.
const RATE_LIMIT: &str = r#"
SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:ip.hits=+1"
SecRule IP:hits "@gt 3" "id:2,phase:1,deny,status:429,log"
"#;

/// Runs phase 1 of a GET from `client` with `store` as the persistent collections.
fn from<'r>(rules: &'r RuleSet, store: &'r Collections, client: &str) -> (Transaction<'r>, Option<Intervention>) {
    let conn = Connection { client_ip: client.into(), ..connection() };
    let mut tx = Transaction::new(rules, &conn);
    tx.set_collections(store);
    let i = tx.process_request_headers(b"GET", b"/", b"HTTP/1.1", [(&b"Host"[..], &b"example.com"[..])]);
    (tx, i)
}

/// Variable `var` of record `key` of `collection`, as text.
fn var(store: &Collections, collection: Collection, key: &str, var: &str) -> Option<String> {
    store.get(collection, key.as_bytes(), var).map(|v| String::from_utf8_lossy(&v).into_owned())
}

fn status(i: Option<Intervention>) -> Option<u16> {
    i.map(|i| i.status)
}

#[test]
fn a_counter_in_ip_survives_across_transactions_per_client() {
    let rules = on(RATE_LIMIT);
    let store = Collections::new();
    for n in 1..=3 {
        assert_eq!(status(from(&rules, &store, "192.0.2.1").1), None, "request {n} is under the limit");
    }
    let (tx, i) = from(&rules, &store, "192.0.2.1");
    assert_eq!(status(i), Some(429), "the fourth request from the same client is refused");
    assert_eq!(ids(&tx), vec![1, 2]);
    // Another client has a record of its own.
    assert_eq!(status(from(&rules, &store, "192.0.2.2").1), None);
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "HITS").as_deref(), Some("4"));
    assert_eq!(var(&store, Collection::Ip, "192.0.2.2", "hits").as_deref(), Some("1"));
    assert_eq!(store.records(), 2);
}

#[test]
fn without_a_store_the_collections_live_one_transaction() {
    let rules = on(RATE_LIMIT);
    for _ in 0..5 {
        let (tx, i) = headers(&rules, &Request::get("/"));
        assert_eq!(i, None);
        assert_eq!(ids(&tx), vec![1], "rule 2 never sees more than 1 hit");
    }
}

#[test]
fn global_is_shared_by_every_client_and_values_are_copied_in_at_initcol() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,nolog,initcol:global=global,setvar:global.seen=+1,setvar:'global.last=%{REMOTE_ADDR}'"
SecRule GLOBAL:seen "@eq 3" "id:2,phase:1,pass,log,setvar:'tx.previous=%{GLOBAL.last}'"
"#);
    let store = Collections::new();
    from(&rules, &store, "192.0.2.1");
    from(&rules, &store, "192.0.2.2");
    let (tx, _) = from(&rules, &store, "192.0.2.3");
    assert_eq!(ids(&tx), vec![1, 2], "the third request, from a third client, sees seen=3");
    // `setvar` wrote this transaction's address before the check read it.
    assert_eq!(tx_var(&tx, "previous").as_deref(), Some("192.0.2.3"));
    assert_eq!(var(&store, Collection::Global, "global", "seen").as_deref(), Some("3"));
}

#[test]
fn deleting_a_variable_removes_it_from_the_record() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:ip.hits=+1"
SecRule IP:hits "@ge 2" "id:2,phase:1,pass,nolog,setvar:!ip.hits"
"#);
    let store = Collections::new();
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits").as_deref(), Some("1"));
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits"), None, "rule 2 deleted it at 2");
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits").as_deref(), Some("1"));
}

#[test]
fn setsid_setuid_and_setrsc_open_their_collections() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,nolog,setsid:%{REQUEST_HEADERS.Host},setvar:session.n=+1"
SecAction "id:2,phase:1,pass,nolog,setuid:alice,setvar:user.n=+2"
SecAction "id:3,phase:1,pass,nolog,setrsc:%{REQUEST_FILENAME},setvar:resource.n=+3"
"#);
    let store = Collections::new();
    from(&rules, &store, "192.0.2.1");
    from(&rules, &store, "192.0.2.2");
    assert_eq!(var(&store, Collection::Session, "example.com", "n").as_deref(), Some("2"));
    assert_eq!(var(&store, Collection::User, "alice", "n").as_deref(), Some("4"));
    assert_eq!(var(&store, Collection::Resource, "/", "n").as_deref(), Some("6"));
}

#[test]
fn concurrent_increments_are_never_lost() {
    let rules = on(RATE_LIMIT);
    let store = Collections::new();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50 {
                    from(&rules, &store, "192.0.2.9");
                }
            });
        }
    });
    assert_eq!(var(&store, Collection::Ip, "192.0.2.9", "hits").as_deref(), Some("400"));
}

#[test]
fn expirevar_drops_a_variable_after_its_seconds() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:ip.hits=+1,expirevar:ip.hits=1,setvar:ip.kept=+1"
"#);
    let store = Collections::new();
    from(&rules, &store, "192.0.2.1");
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits").as_deref(), Some("2"));
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits"), None, "expired after 1 s");
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits").as_deref(), Some("1"), "the count starts over");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "kept").as_deref(), Some("3"));
}

#[test]
fn a_record_left_alone_for_the_collection_timeout_starts_over() {
    let rules = on(r#"
SecCollectionTimeout 1
SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:ip.hits=+1"
"#);
    let store = Collections::new();
    from(&rules, &store, "192.0.2.1");
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits").as_deref(), Some("2"));
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits"), None);
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits").as_deref(), Some("1"));
}

#[test]
fn the_store_stays_bounded_and_evicts_the_least_recently_written() {
    let rules = on(RATE_LIMIT);
    let store = Collections::with_max_records(16);
    for i in 0..40 {
        from(&rules, &store, &format!("198.51.100.{i}"));
        // The first client keeps writing: it is never the oldest.
        from(&rules, &store, "192.0.2.1");
    }
    assert!(store.records() <= 16, "{} records", store.records());
    assert!(store.evicted() >= 24, "{} evicted", store.evicted());
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits").as_deref(), Some("40"));
    assert_eq!(var(&store, Collection::Ip, "198.51.100.0", "hits"), None, "the oldest went first");
    assert!(store.get(Collection::Ip, b"198.51.100.39", "hits").is_some(), "the newest stays");
}

#[test]
fn an_expirevar_too_far_in_the_future_keeps_the_variable() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:ip.hits=+1,expirevar:ip.hits=18446744073709551615"
"#);
    let store = Collections::new();
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "hits").as_deref(), Some("1"));
}

/// Phase 1 of a GET from `client` with header `X-N: n`.
fn with_n<'r>(rules: &'r RuleSet, store: &'r Collections, client: &str, n: &str) -> Option<Intervention> {
    let conn = Connection { client_ip: client.into(), ..connection() };
    let mut tx = Transaction::new(rules, &conn);
    tx.set_collections(store);
    tx.process_request_headers(b"GET", b"/", b"HTTP/1.1", [(&b"Host"[..], &b"example.com"[..]), (b"X-N", n.as_bytes())])
}

#[test]
fn record_keys_compare_without_case() {
    let rules = on(r#"SecAction "id:1,phase:1,pass,nolog,setuid:%{REQUEST_HEADERS.X-N},setvar:user.tries=+1""#);
    let store = Collections::new();
    with_n(&rules, &store, "192.0.2.1", "Admin");
    with_n(&rules, &store, "192.0.2.1", "admin");
    with_n(&rules, &store, "192.0.2.1", "ADMIN");
    assert_eq!(var(&store, Collection::User, "aDmIn", "tries").as_deref(), Some("3"));
    assert_eq!(store.records(), 1);
}

#[test]
fn expirevar_before_the_first_setvar_still_applies() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},expirevar:ip.block=1,setvar:ip.block=1"
"#);
    let store = Collections::new();
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "block").as_deref(), Some("1"));
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "block"), None, "the deadline set first held");
}

#[test]
fn expirevar_seconds_that_are_not_a_number_change_nothing() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:ip.a=1,expirevar:ip.a=abc,setvar:ip.b=1,expirevar:ip.b=-5,setvar:ip.c=1,expirevar:ip.c=0"
"#);
    let store = Collections::new();
    from(&rules, &store, "192.0.2.1");
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "a").as_deref(), Some("1"));
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "b").as_deref(), Some("1"));
    assert_eq!(var(&store, Collection::Ip, "192.0.2.1", "c"), None, "0 seconds expires at once");
}

#[test]
fn expired_records_make_room_without_counting_as_evictions() {
    let rules = on(&format!("SecCollectionTimeout 1\n{RATE_LIMIT}"));
    let store = Collections::with_max_records(4);
    for i in 0..4 {
        from(&rules, &store, &format!("198.51.100.{i}"));
    }
    std::thread::sleep(Duration::from_millis(1100));
    for i in 4..8 {
        from(&rules, &store, &format!("198.51.100.{i}"));
    }
    assert_eq!(store.records(), 4);
    assert_eq!(store.evicted(), 0);
}

#[test]
fn the_store_stays_within_its_bytes_and_a_record_within_its_variables() {
    let rules =
        on(r#"SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:'ip.blob=%{REQUEST_HEADERS.X-N}'""#);
    let store = Collections::with_bounds(1000, 8192);
    let blob = "x".repeat(1000);
    for i in 0..20 {
        with_n(&rules, &store, &format!("198.51.100.{i}"), &blob);
        assert!(store.bytes() <= 8192, "{} bytes after {i}", store.bytes());
    }
    assert!(store.evicted() >= 12, "{} evicted", store.evicted());
    assert!(store.get(Collection::Ip, b"198.51.100.19", "blob").is_some(), "the newest stays");

    let rules =
        on(r#"SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:'ip.v_%{REQUEST_HEADERS.X-N}=1'""#);
    let store = Collections::new();
    for i in 0..300 {
        with_n(&rules, &store, "192.0.2.1", &i.to_string());
    }
    let held = (0..300).filter(|i| store.get(Collection::Ip, b"192.0.2.1", &format!("v_{i}")).is_some()).count();
    assert_eq!(held, crate::engine::collections::MAX_VARS_PER_RECORD);
}

#[test]
fn a_key_over_an_eighth_of_the_store_is_refused_and_counted() {
    let rules = on(r#"SecAction "id:1,phase:1,pass,nolog,setuid:%{REQUEST_HEADERS.X-N},setvar:user.tries=+1""#);
    let store = Collections::with_bounds(1000, 8192);
    let long = "u".repeat(1025);
    with_n(&rules, &store, "192.0.2.1", &long);
    with_n(&rules, &store, "192.0.2.1", &long);
    assert_eq!((store.records(), store.bytes()), (0, 0), "nothing of the long key was kept");
    assert!(store.refused() >= 2, "{} refusals", store.refused());
    // A key of an eighth exactly is kept.
    with_n(&rules, &store, "192.0.2.1", &"u".repeat(1024));
    assert_eq!(store.records(), 1);
}
