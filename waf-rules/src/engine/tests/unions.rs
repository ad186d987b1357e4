//! Rules skipped on the bytes of their values (`Rule::union_key`): a rule whose values
//! together lack a byte its operator requires is not evaluated. Each skippable rule here has a
//! twin that cannot be skipped (an extra `TX` target, which yields nothing), and both must
//! always agree, over generated requests.

use super::*;
use crate::test_rng::Rng;

/// Operators with required bytes, and two without (letters and spaces are not kept as
/// required: nearly every value has them), which must not be grouped.
const OPERATORS: [&str; 8] = [
    r"@rx <script",
    r"@rx (?:\.\./|\.\.\x5c)",
    r"@rx [\x27\x22\x60];",
    r"@rx (?i)union[\s(]+select",
    r"@rx ^[^;]*;",
    "@detectXSS",
    r"@rx [\x00-\x08]",
    "@rx select",
];

const TARGETS: [&str; 3] = [
    "ARGS|ARGS_NAMES|REQUEST_COOKIES|!REQUEST_COOKIES:skip",
    "REQUEST_HEADERS:User-Agent|REQUEST_FILENAME",
    "ARGS:q|REQUEST_BODY",
];

/// Chains whose byte bounds are exact on clean values, and some that are not (`cmdLine`,
/// `htmlEntityDecode` with `&` but no `#`).
const CHAINS: [&str; 5] = [
    "t:none",
    "t:none,t:urlDecodeUni",
    "t:none,t:urlDecodeUni,t:lowercase,t:removeWhitespace",
    "t:none,t:utf8toUnicode,t:urlDecodeUni,t:htmlEntityDecode,t:jsDecode,t:cssDecode,t:removeNulls",
    "t:none,t:cmdLine,t:compressWhitespace,t:htmlEntityDecode,t:replaceComments",
];

/// Rule `id` and its twin `id + 1` for every operator, target list and chain.
fn conf() -> String {
    let mut conf = String::new();
    let mut id = 1000;
    for phase in [1, 2] {
        for op in OPERATORS {
            for targets in TARGETS {
                for chain in CHAINS {
                    for (twin, extra) in [(0, ""), (1, "|TX:none_such")] {
                        conf.push_str(&format!(
                            "SecRule {targets}{extra} \"{op}\" \"id:{},phase:{phase},pass,log,{chain}\"\n",
                            id + twin
                        ));
                    }
                    id += 2;
                }
            }
        }
    }
    conf
}

#[test]
fn skipped_rules_agree_with_their_twins() {
    let rules = on(&conf());
    // The skippable rules are grouped (the operators with required bytes), the twins not.
    let all: Vec<_> = rules.phases.iter().flat_map(|p| &p.rules).collect();
    let grouped = all.iter().filter(|r| r.union_group.is_some()).count();
    assert!(all.iter().filter(|r| r.id % 2 == 1).all(|r| r.union_group.is_none()));
    assert_eq!(grouped, 2 * 6 * TARGETS.len() * CHAINS.len(), "every rule with required bytes and no twin target");
    assert!(!rules.unions.is_empty() && rules.unions.len() < grouped, "rules with the same targets share a group");

    let tokens = [
        "a", "Select", "union", "%20", "+", "(", "<", "script", "%3C", "../", "..%5c", "'", "%27", ";", "%3B", "=",
        "%00", "%01", "..", "%2e", "/", "\\", "`", "x", "&lt;", "&#60;", "&amp", "\\x3c", "\\u003c", "\\3c ", "%09",
        "/*", "*/", "^", ",", "%C3%A4", "%26lt%3B",
    ];
    let mut rng = Rng::new(0x5eed_0001);
    let mut matched_some = 0;
    for _ in 0..400 {
        let word = |rng: &mut Rng| -> String { (0..rng.below(5)).map(|_| *rng.pick(&tokens)).collect() };
        let uri = format!("/{}?q={}&{}={}", word(&mut rng), word(&mut rng), word(&mut rng), word(&mut rng));
        let ua = word(&mut rng);
        let cookie = format!("a={}; skip={}", word(&mut rng), word(&mut rng));
        let body = format!("q={}", word(&mut rng));
        let req = Request::post(&uri, "application/x-www-form-urlencoded", body.as_bytes())
            .header("User-Agent", &ua)
            .header("Cookie", &cookie);
        let (tx, _) = request(&rules, &req);
        let ids = ids(&tx);
        for &id in &ids {
            let twin = if id % 2 == 0 { id + 1 } else { id - 1 };
            assert!(ids.contains(&twin), "{uri} UA {ua:?} cookie {cookie:?} body {body:?}: {id} matched, {twin} not");
        }
        matched_some += usize::from(!ids.is_empty());
    }
    assert!(matched_some > 100, "the generated requests match sometimes ({matched_some} of 400)");
}

#[test]
fn each_phase_sees_its_own_values() {
    // Phase 1 sees the query's arguments only; phase 2 also the body's, with the `<` the rule
    // needs: the bytes known in phase 1 must not skip the rule in phase 2.
    let rules = on(concat!(
        "SecRule ARGS \"@rx <b\" \"id:1,phase:1,pass,log,t:none\"\n",
        "SecRule ARGS \"@rx <b\" \"id:2,phase:2,pass,log,t:none\"\n",
    ));
    assert!(rules.phases[0].rules[0].union_group.is_some());
    let req = Request::post("/?a=1", "application/x-www-form-urlencoded", b"c=<b>");
    let (tx, _) = request(&rules, &req);
    assert_eq!(ids(&tx), [2]);
}

#[test]
fn a_ctl_that_changes_the_body_processor_is_seen() {
    // The body is parsed as a form only after the ctl of rule 1: the union of rule 3's values
    // taken before (rule 2, REQUEST_BODY unparsed) must not hide the argument from it.
    let rules = on(concat!(
        "SecRequestBodyAccess On\n",
        "SecRule REQUEST_HEADERS:X-Form \"@streq 1\" \"id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=URLENCODED\"\n",
        "SecRule ARGS \"@rx <b\" \"id:2,phase:1,pass,log,t:none\"\n",
        "SecRule ARGS \"@rx <b\" \"id:3,phase:2,pass,log,t:none\"\n",
    ));
    let req = Request::post("/", "text/plain", b"c=<b>").header("X-Form", "1");
    let (tx, _) = request(&rules, &req);
    assert_eq!(ids(&tx), [1, 3]);
}

/// The CRS at blocking paranoia level 4 (every rule on), with and without the skip, on
/// requests carrying the CRS regression strings in arguments, a cookie and a header: the same
/// rules match.
#[test]
fn the_crs_matches_the_same_rules_with_and_without_skips() {
    use crate::crs::{self, CrsLayout, CrsMode};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../third_party/coreruleset");
    let layout = CrsLayout::find(&root).expect("the vendored CRS");
    let setup = crs::config(&layout, CrsMode::RegressionTests);
    let with = RuleSet::from_str("crs", &setup, ".").unwrap_or_else(|e| panic!("{e}"));
    let mut without = RuleSet::from_str("crs", &setup, ".").unwrap_or_else(|e| panic!("{e}"));
    // No rule in a group: every rule is evaluated, as before the skip existed.
    fn ungroup(rule: &mut crate::engine::rule::Rule) {
        rule.union_group = None;
        if let Some(child) = &mut rule.chained {
            ungroup(child);
        }
    }
    without.phases.iter_mut().flat_map(|p| &mut p.rules).for_each(ungroup);
    let grouped =
        |rules: &RuleSet| rules.phases.iter().flat_map(|p| &p.rules).filter(|r| r.union_group.is_some()).count();
    assert!(grouped(&with) > 100 && grouped(&without) == 0);

    let corpus = crate::operators::corpus::crs_strings();
    let mut rng = Rng::new(0x5eed_0002);
    let (mut compared, mut triggering) = (0, 0);
    for _ in 0..300 {
        let value = String::from_utf8_lossy(rng.pick(&corpus).as_slice()).into_owned();
        let other = String::from_utf8_lossy(rng.pick(&corpus).as_slice()).into_owned();
        // Percent-encoded into the query and body, raw (when it fits a header) elsewhere.
        let encoded: String = value.bytes().map(|b| format!("%{b:02X}")).collect();
        let uri = format!("/shop/item?q={encoded}&id=7");
        let body = format!("comment={}", other.bytes().map(|b| format!("%{b:02X}")).collect::<String>());
        let header_safe = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
        let mut req = Request::post(&uri, "application/x-www-form-urlencoded", body.as_bytes())
            .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)")
            .header("Accept", "text/html");
        let cookie = format!("session={other}");
        if header_safe(&value) {
            req = req.header("Referer", &value);
        }
        if header_safe(&other) && !other.contains(';') {
            req = req.header("Cookie", &cookie);
        }
        let (a, _) = request(&with, &req);
        let (b, _) = request(&without, &req);
        assert_eq!(ids(&a), ids(&b), "value {value:?}, other {other:?}");
        assert_eq!(tx_var(&a, "blocking_inbound_anomaly_score"), tx_var(&b, "blocking_inbound_anomaly_score"));
        compared += 1;
        triggering += usize::from(!ids(&a).is_empty());
    }
    assert_eq!(compared, 300);
    assert!(triggering > 100, "the strings trigger rules ({triggering} of 300)");
}
