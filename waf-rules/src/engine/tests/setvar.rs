//! `setvar`: set, add, subtract, set-to-one and delete; macros in keys and values; numbers read
//! the way libmodsecurity reads them (leading integer, 0 when there is none).

use super::*;

/// Runs one phase-1 `SecAction` per action list and returns the transaction.
fn run(actions: &[&str]) -> Transaction<'static> {
    let mut conf = String::new();
    for (i, a) in actions.iter().enumerate() {
        conf.push_str(&format!("SecAction \"id:{},phase:1,pass,{a}\"\n", i + 1));
    }
    let rules: &'static RuleSet = Box::leak(Box::new(on(&conf)));
    headers(rules, &Request::get("/?name=color&value=blue&n=7")).0
}

#[test]
fn set_add_subtract_one_and_delete() {
    let tx = run(&["setvar:tx.a=5", "setvar:tx.a=+3", "setvar:tx.b=5", "setvar:tx.b=-10", "setvar:tx.c"]);
    assert_eq!(tx_var(&tx, "a").as_deref(), Some("8"));
    // `=-` subtracts; it never sets a negative literal.
    assert_eq!(tx_var(&tx, "b").as_deref(), Some("-5"));
    assert_eq!(tx_var(&tx, "c").as_deref(), Some("1"));
    let tx = run(&["setvar:tx.a=5", "setvar:!tx.a", "setvar:!tx.never"]);
    assert_eq!(tx_var(&tx, "a"), None);
    let tx = run(&["setvar:tx.a=", "setvar:'tx.b=x y, z'"]);
    assert_eq!(tx_var(&tx, "a").as_deref(), Some(""));
    assert_eq!(tx_var(&tx, "b").as_deref(), Some("x y, z"));
}

#[test]
fn arithmetic_on_missing_and_non_numeric_values() {
    let tx = run(&[
        "setvar:tx.missing=+2",
        "setvar:tx.word=abc",
        "setvar:tx.word=+2",
        "setvar:tx.lead=12abc",
        "setvar:tx.lead=+1",
        "setvar:tx.by_word=10",
        "setvar:tx.by_word=+abc",
        "setvar:tx.neg=-3x",
        "setvar:tx.neg=-4",
        "setvar:'tx.space= 7'",
        "setvar:tx.space=+1",
        "setvar:tx.minus=5",
        "setvar:tx.minus=+-7",
    ]);
    assert_eq!(tx_var(&tx, "missing").as_deref(), Some("2"));
    assert_eq!(tx_var(&tx, "word").as_deref(), Some("2"));
    assert_eq!(tx_var(&tx, "lead").as_deref(), Some("13"));
    assert_eq!(tx_var(&tx, "by_word").as_deref(), Some("10"));
    // `=-3x` subtracts the leading integer 3 from nothing, then 4 more.
    assert_eq!(tx_var(&tx, "neg").as_deref(), Some("-7"));
    assert_eq!(tx_var(&tx, "space").as_deref(), Some("8"));
    assert_eq!(tx_var(&tx, "minus").as_deref(), Some("-2"));
}

#[test]
fn macros_in_keys_and_values() {
    let tx = run(&[
        "setvar:'tx.%{ARGS.name}=%{ARGS.value}'",
        "setvar:'tx.rule_%{RULE.id}=%{RULE.id}'",
        "setvar:tx.score=+%{ARGS.n}",
        "setvar:tx.score=+%{tx.score}",
        "setvar:'tx.s=%{tx.s}a'",
        "setvar:'tx.s=%{tx.s}b'",
        "setvar:'tx.unknown=[%{tx.nothing}][%{ARGS.nothing}]'",
    ]);
    assert_eq!(tx_var(&tx, "color").as_deref(), Some("blue"));
    assert_eq!(tx_var(&tx, "rule_2").as_deref(), Some("2"));
    assert_eq!(tx_var(&tx, "score").as_deref(), Some("14"));
    assert_eq!(tx_var(&tx, "s").as_deref(), Some("ab"));
    assert_eq!(tx_var(&tx, "unknown").as_deref(), Some("[][]"));
}

#[test]
fn keys_are_case_insensitive() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,setvar:tx.MixedCase=3"
SecAction "id:2,phase:1,pass,setvar:tx.mixedcase=+1"
SecRule TX:MIXEDCASE "@eq 4" "id:3,phase:1,pass,setvar:'tx.seen=%{TX.mixedCASE}'"
"#);
    let (tx, _) = headers(&rules, &Request::get("/"));
    assert_eq!(ids(&tx), [1, 2, 3]);
    assert_eq!(tx_var(&tx, "seen").as_deref(), Some("4"));
}

#[test]
fn other_collections_are_transaction_local() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,initcol:ip=%{REMOTE_ADDR},setvar:ip.hits=+1,setvar:global.g=x,setvar:session.s=1,\
    setvar:user.u=1,setvar:resource.r=1,setenv:MODE=strict"
SecRule IP:hits "@eq 1" "id:2,phase:1,pass"
SecRule GLOBAL:g "@streq x" "id:3,phase:1,pass"
SecRule &SESSION:s|&USER:u|&RESOURCE:r "@eq 1" "id:4,phase:1,pass,setvar:tx.n=+1"
SecRule ENV:mode "@streq strict" "id:5,phase:1,pass,setvar:'tx.env=%{ENV.mode}'"
"#);
    for _ in 0..2 {
        // A second transaction starts from empty collections: nothing persists.
        let (tx, _) = headers(&rules, &Request::get("/"));
        assert_eq!(ids(&tx), [1, 2, 3, 4, 5]);
        assert_eq!(tx_var(&tx, "n").as_deref(), Some("3"));
        assert_eq!(tx_var(&tx, "env").as_deref(), Some("strict"));
    }
}

#[test]
fn tx_set_before_the_rules_is_visible() {
    let rules = on(r#"SecRule TX:blocking_paranoia_level "@ge 2" "id:1,phase:1,pass""#);
    let mut tx = Transaction::new(&rules, &connection());
    tx.set_tx("Blocking_Paranoia_Level", "3");
    tx.process_request_headers(b"GET", b"/", b"HTTP/1.1", []);
    assert_eq!(ids(&tx), [1]);
}
