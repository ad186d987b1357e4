//! The transformation cache: rules whose chains share prefixes, run one after the other on the
//! same values, see what the chains computed without a cache give (generated values).

use super::*;
use crate::transformations::{apply_all, Lookup, Registry, Transformation};

/// Chains sharing prefixes in several ways, and one that starts alike and then differs.
const CHAINS: [&str; 7] = [
    "urlDecodeUni",
    "urlDecodeUni,lowercase",
    "urlDecodeUni,lowercase,removeWhitespace",
    "urlDecodeUni,htmlEntityDecode",
    "lowercase,urlDecodeUni",
    "urlDecodeUni,lowercase,compressWhitespace,removeNulls",
    "urlDecodeUni,lowercase,removeWhitespace",
];

fn chain(registry: &Registry, names: &str) -> Vec<Transformation> {
    names
        .split(',')
        .map(|n| match registry.get(n) {
            Some(Lookup::Apply(t)) => t,
            _ => panic!("{n}"),
        })
        .collect()
}

/// How many values the operator sees under `multiMatch`: the value, then each step that
/// changes it.
fn multi_match_count(chain: &[Transformation], value: &[u8]) -> usize {
    let mut current = value.to_vec();
    let mut seen = 1;
    for t in chain {
        let next = t.apply(&current).into_owned();
        if next != current {
            seen += 1;
            current = next;
        }
    }
    seen
}

#[test]
fn cached_chains_agree_with_chains_applied_directly() {
    let registry = Registry::with_builtin();
    let mut conf =
        String::from(r#"SecRule ARGS:v "@unconditionalMatch" "id:1,phase:2,pass,t:none,setvar:tx.raw=%{MATCHED_VAR}""#);
    conf.push('\n');
    // Each chain twice (the second run finds every result cached), then under multiMatch.
    for round in 0..2 {
        for (i, names) in CHAINS.iter().enumerate() {
            let ts: String = names.split(',').map(|n| format!("t:{n},")).collect();
            conf.push_str(&format!(
                "SecRule ARGS:v \"@unconditionalMatch\" \"id:{},phase:2,pass,t:none,{ts}setvar:tx.r{round}_{i}=%{{MATCHED_VAR}}\"\n",
                100 + 10 * round + i
            ));
        }
    }
    for (i, names) in CHAINS.iter().enumerate() {
        let ts: String = names.split(',').map(|n| format!("t:{n},")).collect();
        conf.push_str(&format!(
            "SecRule ARGS:v \"@unconditionalMatch\" \"id:{},phase:2,pass,t:none,{ts}multiMatch,setvar:tx.m{i}=+1\"\n",
            200 + i
        ));
    }
    let rules = on(&conf);
    let tokens = ["a", "B", "%2541", "+", "%20", "%26amp%3B", "%2500", "%25u0041", "%C3%A9", "%09", "Z", "%2B", "%25"];
    let mut seed: u32 = 0x0bad_5eed;
    for _ in 0..300 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let len = (seed >> 16) as usize % 12;
        let mut query = String::from("/?v=");
        for _ in 0..len {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            query.push_str(tokens[(seed >> 16) as usize % tokens.len()]);
        }
        let (tx, _) = request(&rules, &Request::get(&query));
        let raw = tx.tx("raw").unwrap_or_else(|| panic!("{query}: no value")).to_vec();
        for (i, names) in CHAINS.iter().enumerate() {
            let ts = chain(&registry, names);
            let want = apply_all(&ts, &raw);
            for round in 0..2 {
                assert_eq!(tx.tx(&format!("r{round}_{i}")), Some(&want[..]), "{query}: {names}, round {round}");
            }
            let count = multi_match_count(&ts, &raw).to_string();
            assert_eq!(tx.tx(&format!("m{i}")), Some(count.as_bytes()), "{query}: {names} under multiMatch");
        }
    }
}

/// `t:trim` leaves a part of its input: the rule must see that part, not the value as sent
/// (a borrowed result would read as "unchanged" to the cache).
#[test]
fn a_trimmed_value_is_what_the_operator_sees() {
    let rules = on(concat!(
        "SecRule ARGS:a \"@streq abc\" \"id:1,phase:2,pass,log,t:none,t:trim\"\n",
        "SecRule ARGS:a \"@streq abc\" \"id:2,phase:2,pass,log,t:none,t:urlDecodeUni,t:trimLeft\"\n",
        "SecRule ARGS:a \"@streq  abc\" \"id:3,phase:2,pass,log,t:none,t:trimRight\"\n",
    ));
    let req = Request::get("/?a=%20abc%20");
    let (tx, _) = request(&rules, &req);
    assert_eq!(ids(&tx), [1, 3]);
}
