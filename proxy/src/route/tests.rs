//! Table-driven tests of Ingress v1 host and path matching.

use model::PathType::{self, Exact, ImplementationSpecific, Prefix};

use super::{RouteTable, Rule};

/// A rule whose value is a label naming it, so a failing case shows which rule won.
fn rule(host: Option<&str>, path: &str, path_type: PathType, value: &'static str) -> Rule<&'static str> {
    Rule { host: host.map(str::to_owned), path: path.to_owned(), path_type, value }
}

/// A host-less table where each rule's value is `"<type> <path>"`.
fn paths(rules: &[(PathType, &str)]) -> RouteTable<String> {
    RouteTable::new(
        rules
            .iter()
            .map(|&(path_type, path)| Rule {
                host: None,
                path: path.to_owned(),
                path_type,
                value: format!("{path_type:?} {path}"),
            })
            .collect(),
    )
}

/// Asserts every `(host, path, expected value)` case against `table`.
fn check(table: &RouteTable<&'static str>, cases: &[(&str, &str, Option<&str>)]) {
    for &(host, path, want) in cases {
        assert_eq!(table.lookup(host, path).copied(), want, "host {host:?} path {path:?}");
    }
}

/// One docs row: the rules, the request paths, and the rule every one of them hits (None: no match).
type DocsRow<'a> = (&'a [(PathType, &'a str)], &'a [&'a str], Option<&'a str>);

/// One rule and, per request path, whether it matches.
type MatchRow<'a> = (PathType, &'a str, &'a [(&'a str, bool)]);

/// Every row of the "Examples" table in the Kubernetes Ingress docs (path matching section).
#[test]
fn ingress_docs_examples() {
    let all = ["/", "/foo", "/foo/bar", "/aaa/bbb/", "/x%20y", ""];
    #[rustfmt::skip]
    let rows: &[DocsRow] = &[
        // Prefix `/`, (all paths): yes.
        (&[(Prefix, "/")], &all, Some("Prefix /")),
        // Exact `/foo`, `/foo`: yes.
        (&[(Exact, "/foo")], &["/foo"], Some("Exact /foo")),
        // Exact `/foo`, `/bar`: no.
        (&[(Exact, "/foo")], &["/bar"], None),
        // Exact `/foo`, `/foo/`: no.
        (&[(Exact, "/foo")], &["/foo/"], None),
        // Exact `/foo/`, `/foo`: no.
        (&[(Exact, "/foo/")], &["/foo"], None),
        // Prefix `/foo`, `/foo` and `/foo/`: yes.
        (&[(Prefix, "/foo")], &["/foo", "/foo/"], Some("Prefix /foo")),
        // Prefix `/foo/`, `/foo` and `/foo/`: yes.
        (&[(Prefix, "/foo/")], &["/foo", "/foo/"], Some("Prefix /foo/")),
        // Prefix `/aaa/bb`, `/aaa/bbb`: no.
        (&[(Prefix, "/aaa/bb")], &["/aaa/bbb"], None),
        // Prefix `/aaa/bbb`, `/aaa/bbb`: yes.
        (&[(Prefix, "/aaa/bbb")], &["/aaa/bbb"], Some("Prefix /aaa/bbb")),
        // Prefix `/aaa/bbb/`, `/aaa/bbb`: yes, ignores trailing slash.
        (&[(Prefix, "/aaa/bbb/")], &["/aaa/bbb"], Some("Prefix /aaa/bbb/")),
        // Prefix `/aaa/bbb`, `/aaa/bbb/`: yes, matches trailing slash.
        (&[(Prefix, "/aaa/bbb")], &["/aaa/bbb/"], Some("Prefix /aaa/bbb")),
        // Prefix `/aaa/bbb`, `/aaa/bbb/ccc`: yes, matches subpath.
        (&[(Prefix, "/aaa/bbb")], &["/aaa/bbb/ccc"], Some("Prefix /aaa/bbb")),
        // Prefix `/aaa/bbb`, `/aaa/bbbxyz`: no, does not match string prefix.
        (&[(Prefix, "/aaa/bbb")], &["/aaa/bbbxyz"], None),
        // Prefix `/`, `/aaa`; `/aaa/ccc`: yes, matches `/aaa` prefix.
        (&[(Prefix, "/"), (Prefix, "/aaa")], &["/aaa/ccc"], Some("Prefix /aaa")),
        // Prefix `/`, `/aaa`, `/aaa/bbb`; `/aaa/bbb`: yes, matches `/aaa/bbb` prefix.
        (&[(Prefix, "/"), (Prefix, "/aaa"), (Prefix, "/aaa/bbb")], &["/aaa/bbb"], Some("Prefix /aaa/bbb")),
        // Prefix `/`, `/aaa`, `/aaa/bbb`; `/ccc`: yes, matches `/` prefix.
        (&[(Prefix, "/"), (Prefix, "/aaa"), (Prefix, "/aaa/bbb")], &["/ccc"], Some("Prefix /")),
        // Prefix `/aaa`, `/ccc`: no, uses default backend.
        (&[(Prefix, "/aaa")], &["/ccc"], None),
        // Mixed: `/foo` (Prefix), `/foo` (Exact); `/foo`: yes, prefers Exact.
        (&[(Prefix, "/foo"), (Exact, "/foo")], &["/foo"], Some("Exact /foo")),
    ];
    for (rules, requests, want) in rows {
        let table = paths(rules);
        for path in *requests {
            assert_eq!(table.lookup("example.com", path).map(String::as_str), *want, "rules {rules:?} path {path:?}");
        }
    }
}

#[test]
fn trailing_slash_and_string_prefix() {
    #[rustfmt::skip]
    let rows: &[MatchRow] = &[
        (Prefix, "/foo", &[("/foo", true), ("/foo/", true), ("/foo/bar", true), ("/foobar", false), ("/fo", false)]),
        (Prefix, "/foo/", &[("/foo", true), ("/foo/", true), ("/foo/bar", true), ("/foobar", false), ("/", false)]),
        (ImplementationSpecific, "/foo", &[("/foo", true), ("/foo/", true), ("/foo/bar", true), ("/foobar", false)]),
        (ImplementationSpecific, "/foo/", &[("/foo", true), ("/foo/", true), ("/foo/bar", true), ("/foobar", false)]),
        (Exact, "/foo", &[("/foo", true), ("/foo/", false), ("/foo/bar", false), ("/foobar", false)]),
        (Exact, "/foo/", &[("/foo", false), ("/foo/", true), ("/foo/bar", false), ("/foobar", false)]),
        // Element-wise, so an empty element (`//`) is still a boundary; case-sensitive.
        (Prefix, "/foo", &[("/foo//bar", true), ("/Foo", false), ("/FOO/bar", false)]),
        (Prefix, "/a/b", &[("/a/b/c/d", true), ("/a", false), ("/a/", false), ("/a/bc", false)]),
    ];
    for &(path_type, rule_path, requests) in rows {
        let table = paths(&[(path_type, rule_path)]);
        for &(path, want) in requests {
            assert_eq!(table.lookup("h", path).is_some(), want, "{path_type:?} {rule_path:?} vs {path:?}");
        }
    }
}

#[test]
fn longest_match_and_exact_over_prefix() {
    let table = RouteTable::new(vec![
        rule(None, "/", Prefix, "root"),
        rule(None, "/api", Prefix, "api"),
        rule(None, "/api/v1/", ImplementationSpecific, "v1"),
        rule(None, "/api/v1/users", Exact, "users exact"),
        rule(None, "/api/v1/users", Prefix, "users prefix"),
        rule(None, "/api/v1", Exact, "v1 exact"),
        rule(None, "/static/", Exact, "static exact"),
        rule(None, "/static", Prefix, "static"),
    ]);
    check(
        &table,
        &[
            ("h", "/", Some("root")),
            ("h", "/apix", Some("root")),
            ("h", "/api", Some("api")),
            ("h", "/api/v2", Some("api")),
            ("h", "/api/v1/", Some("v1")),
            ("h", "/api/v1/x", Some("v1")),
            // Equal length: Exact beats Prefix, whichever comes first in config.
            ("h", "/api/v1", Some("v1 exact")),
            ("h", "/api/v1/users", Some("users exact")),
            ("h", "/api/v1/users/", Some("users prefix")),
            ("h", "/api/v1/users/7", Some("users prefix")),
            // A rule's trailing slash does not make it longer than the path it matches.
            ("h", "/static/", Some("static exact")),
            ("h", "/static", Some("static")),
            ("h", "/static/app.js", Some("static")),
        ],
    );
}

#[test]
fn duplicate_prefix_keys_first_rule_wins() {
    let table = RouteTable::new(vec![
        rule(None, "/foo/", Prefix, "first"),
        rule(None, "/foo", ImplementationSpecific, "second"),
        rule(None, "/foo", Prefix, "third"),
    ]);
    check(&table, &[("h", "/foo", Some("first")), ("h", "/foo/x", Some("first"))]);
}

#[test]
fn exact_wildcard_any_host_precedence() {
    let table = RouteTable::new(vec![
        rule(None, "/", Prefix, "any"),
        rule(Some("*.example.com"), "/", Prefix, "wildcard"),
        rule(Some("foo.example.com"), "/", Prefix, "exact"),
        rule(Some("example.com"), "/", Prefix, "apex"),
    ]);
    check(
        &table,
        &[
            ("foo.example.com", "/", Some("exact")),
            ("bar.example.com", "/x", Some("wildcard")),
            ("example.com", "/", Some("apex")),
            ("other.org", "/", Some("any")),
            ("", "/", Some("any")),
        ],
    );
}

#[test]
fn wildcard_matches_exactly_one_label() {
    let table =
        RouteTable::new(vec![rule(Some("*.example.com"), "/", Prefix, "wildcard"), rule(None, "/", Prefix, "any")]);
    check(
        &table,
        &[
            ("foo.example.com", "/", Some("wildcard")),
            ("FOO.Example.COM:443", "/", Some("wildcard")),
            ("foo.example.com.", "/", Some("wildcard")),
            ("bar.foo.example.com", "/", Some("any")),
            ("example.com", "/", Some("any")),
            (".example.com", "/", Some("any")),
            ("fooexample.com", "/", Some("any")),
            ("foo.example.com.evil", "/", Some("any")),
        ],
    );
}

#[test]
fn host_case_port_and_trailing_dot() {
    let table = RouteTable::new(vec![
        rule(Some("Foo.Example.com"), "/", Prefix, "foo"),
        rule(Some("bar.example.com."), "/", Prefix, "bar"),
    ]);
    check(
        &table,
        &[
            ("foo.example.com", "/", Some("foo")),
            ("FOO.EXAMPLE.COM", "/", Some("foo")),
            ("Foo.Example.Com:8080", "/", Some("foo")),
            ("foo.example.com.", "/", Some("foo")),
            ("FOO.example.com.:443", "/", Some("foo")),
            ("foo.example.com:", "/", Some("foo")),
            ("bar.example.com", "/", Some("bar")),
            ("bar.example.com.", "/", Some("bar")),
            ("foo.example.com..", "/", None),
            ("foo.example.co", "/", None),
        ],
    );
}

#[test]
fn ip_hosts_match_only_hostless_rules() {
    let table = RouteTable::new(vec![
        rule(Some("*.0.0.1"), "/", Prefix, "wildcard"),
        rule(Some("localhost"), "/", Prefix, "localhost"),
        rule(None, "/", Prefix, "any"),
    ]);
    check(
        &table,
        &[
            ("127.0.0.1", "/", Some("any")),
            ("127.0.0.1:8080", "/", Some("any")),
            ("[::1]:8080", "/", Some("any")),
            ("[::1]", "/", Some("any")),
            ("::1", "/", Some("any")),
            ("[fe80::1%25eth0]:80", "/", Some("any")),
            ("LOCALHOST:8080", "/", Some("localhost")),
        ],
    );
    let hosted = RouteTable::new(vec![rule(Some("localhost"), "/", Prefix, "localhost")]);
    check(&hosted, &[("127.0.0.1", "/", None), ("[::1]:8080", "/", None)]);
}

#[test]
fn no_fallback_from_host_group() {
    let table = RouteTable::new(vec![
        rule(Some("foo.example.com"), "/api", Prefix, "foo api"),
        rule(Some("*.example.com"), "/web", Prefix, "wildcard web"),
        rule(None, "/", Prefix, "any"),
    ]);
    check(
        &table,
        &[
            ("foo.example.com", "/api/x", Some("foo api")),
            // The exact group exists: neither the wildcard nor the host-less rules apply.
            ("foo.example.com", "/web", None),
            ("foo.example.com", "/", None),
            ("bar.example.com", "/web", Some("wildcard web")),
            ("bar.example.com", "/api", None),
            ("other.org", "/api", Some("any")),
        ],
    );
}

#[test]
fn percent_encoded_paths_compared_raw() {
    let table = RouteTable::new(vec![
        rule(None, "/caf%C3%A9", Exact, "encoded"),
        rule(None, "/café", Prefix, "utf8"),
        rule(None, "/a%2Fb", Prefix, "escaped slash"),
    ]);
    check(
        &table,
        &[
            ("h", "/caf%C3%A9", Some("encoded")),
            ("h", "/caf%c3%a9", None),
            ("h", "/café", Some("utf8")),
            ("h", "/café/x", Some("utf8")),
            ("h", "/cafés", None),
            ("h", "/a%2Fb", Some("escaped slash")),
            ("h", "/a%2Fb/c", Some("escaped slash")),
            ("h", "/a/b", None),
            ("h", "/a%2fb", None),
            // Multi-byte characters around probe lengths must not split a char.
            ("h", "/éé", None),
            ("h", "/caf", None),
        ],
    );
}

#[test]
fn no_match_returns_none() {
    let table =
        RouteTable::new(vec![rule(Some("foo.example.com"), "/api", Exact, "api"), rule(None, "/only", Prefix, "only")]);
    check(
        &table,
        &[
            ("foo.example.com", "/api/", None),
            ("foo.example.com", "/", None),
            ("other.org", "/", None),
            ("other.org", "/onlyx", None),
            ("other.org", "", None),
            ("other.org", "*", None),
        ],
    );
}

#[test]
fn empty_table() {
    let table: RouteTable<&str> = RouteTable::new(Vec::new());
    assert!(table.is_empty());
    check(&table, &[("example.com", "/", None), ("", "", None), ("[::1]:80", "/x", None)]);
    assert!(RouteTable::<()>::default().is_empty());
    assert!(!RouteTable::new(vec![rule(Some("a.b"), "/", Prefix, "x")]).is_empty());
}

#[test]
fn odd_hosts_do_not_panic() {
    let long = format!("{}.example.com", "A".repeat(300));
    let table = RouteTable::new(vec![rule(Some("bücher.example"), "/", Prefix, "idn"), rule(None, "/", Prefix, "any")]);
    check(
        &table,
        &[
            ("BÜCHER.example", "/", Some("any")),
            ("bücher.EXAMPLE", "/", Some("idn")),
            (&long, "/", Some("any")),
            (":", "/", Some("any")),
            (".", "/", Some("any")),
            ("[", "/", Some("any")),
        ],
    );
}
