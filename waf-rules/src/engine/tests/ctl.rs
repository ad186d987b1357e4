//! `ctl:` actions: the engine mode, rule removal by id (ranges) and tag, target removal by id
//! and tag for collections and scalars.

use super::*;
use crate::actions::RuleEngine;

#[test]
fn rule_engine_off_stops_the_later_phases() {
    let rules = on(r#"
SecRule ARGS:off "@streq 1" "id:1,phase:1,pass,ctl:ruleEngine=Off"
SecAction "id:2,phase:1,deny"
SecAction "id:3,phase:2,pass"
SecAction "id:4,phase:5,pass"
"#);
    let (tx, i) = full(&rules, &Request::get("/?off=1"), b"");
    // The rest of the phase is still evaluated (libmodsecurity checks the mode per phase), but
    // a disruptive action needs the engine On.
    assert_eq!(i, None);
    assert_eq!(ids(&tx), [1, 2]);
    assert_eq!(tx.mode(), RuleEngine::Off);
    let (tx, i) = full(&rules, &Request::get("/?off=0"), b"");
    assert_eq!(i.map(|i| i.rule_id), Some(2));
    assert_eq!(ids(&tx), [2, 4]);
}

#[test]
fn rule_engine_detection_only_and_back_on() {
    let rules = on(r#"
SecRule ARGS:mode "@streq detect" "id:1,phase:1,pass,ctl:ruleEngine=DetectionOnly"
SecRule ARGS:mode "@streq on" "id:2,phase:1,pass,ctl:ruleEngine=On"
SecAction "id:3,phase:2,deny,status:406"
SecAction "id:4,phase:2,pass"
"#);
    let (tx, i) = request(&rules, &Request::get("/?mode=detect"));
    assert_eq!(i, None);
    assert_eq!(ids(&tx), [1, 3, 4]);
    let detect = load(&rules_text_with_mode("DetectionOnly"));
    let (tx, i) = request(&detect, &Request::get("/?mode=on"));
    assert_eq!(i.map(|i| (i.status, i.rule_id)), Some((406, 3)));
    assert_eq!(ids(&tx), [2, 3]);
}

fn rules_text_with_mode(mode: &str) -> String {
    format!(
        r#"SecRuleEngine {mode}
SecRule ARGS:mode "@streq on" "id:2,phase:1,pass,ctl:ruleEngine=On"
SecAction "id:3,phase:2,deny,status:406"
"#
    )
}

#[test]
fn rule_remove_by_id_takes_ids_lists_and_ranges() {
    let conf = |ctl: &str| {
        on(&format!(
            r#"
SecAction "id:1,phase:1,pass,ctl:{ctl}"
SecAction "id:2,phase:1,pass"
SecAction "id:15,phase:2,pass"
SecRule ARGS:a "@streq 1" "id:20,phase:2,pass,chain"
    SecRule ARGS:b "@streq 1" ""
SecAction "id:21,phase:3,pass"
SecAction "id:30,phase:5,pass"
"#
        ))
    };
    let run = |ctl: &str| {
        let rules = conf(ctl);
        let (tx, _) = full(&rules, &Request::get("/?a=1&b=1"), b"");
        ids(&tx)
    };
    assert_eq!(run("ruleRemoveById=2"), [1, 15, 20, 21, 30]);
    assert_eq!(run("ruleRemoveById=10-20"), [1, 2, 21, 30]);
    assert_eq!(run("ruleRemoveById=2 21 30"), [1, 15, 20]);
    // A rule cannot remove itself after the fact: it already matched.
    assert_eq!(run("ruleRemoveById=1"), [1, 2, 15, 20, 21, 30]);
}

#[test]
fn rule_remove_by_tag_compares_whole_tags() {
    let rules = on(r#"
SecAction "id:1,phase:1,pass,ctl:ruleRemoveByTag=attack-sqli"
SecAction "id:2,phase:1,pass,tag:'attack-sqli'"
SecAction "id:3,phase:2,pass,tag:'paranoia-level/1',tag:'attack-sqli'"
SecAction "id:4,phase:2,pass,tag:'attack-sqli-extra'"
SecAction "id:5,phase:2,pass,tag:'ATTACK-SQLI'"
"#);
    let (tx, _) = request(&rules, &Request::get("/"));
    assert_eq!(ids(&tx), [1, 4, 5]);
}

const TARGETS: &str = r#"
SecRule ARGS|REQUEST_FILENAME "@rx attack" "id:10,phase:2,pass,tag:'app/x',setvar:tx.hits_10=+1"
SecRule ARGS|REQUEST_FILENAME "@rx attack" "id:11,phase:2,pass,tag:'app/y',setvar:tx.hits_11=+1"
SecRule ARGS:a "@rx attack" "id:12,phase:2,pass,tag:'app/x',setvar:tx.hits_12=+1"
"#;

/// Runs [`TARGETS`] after a phase-1 `SecAction` with `ctl`; returns (matched ids, hits of 10,
/// 11 and 12).
fn remove_targets(ctl: &str) -> (Vec<u64>, [u32; 3]) {
    let rules = on(&format!("SecAction \"id:1,phase:1,pass,nolog,ctl:{ctl}\"\n{TARGETS}"));
    let (tx, _) = request(&rules, &Request::get("/attack.php?a=attack&b=attack"));
    let hits = |id| tx_var(&tx, &format!("hits_{id}")).map_or(0, |v| v.parse().unwrap());
    let ids = ids(&tx).into_iter().filter(|&id| id != 1).collect();
    (ids, [hits(10), hits(11), hits(12)])
}

#[test]
fn rule_remove_target_by_id() {
    assert_eq!(remove_targets("ruleEngine=On"), (vec![10, 11, 12], [3, 3, 1]));
    assert_eq!(remove_targets("ruleRemoveTargetById=10;ARGS:a").1, [2, 3, 1]);
    assert_eq!(remove_targets("ruleRemoveTargetById=10;ARGS").1, [1, 3, 1]);
    assert_eq!(remove_targets("ruleRemoveTargetById=10;REQUEST_FILENAME").1, [2, 3, 1]);
    assert_eq!(remove_targets("ruleRemoveTargetById=10-12;ARGS:a").1, [2, 2, 0]);
    // Every target gone: the rule no longer matches at all.
    assert_eq!(remove_targets("ruleRemoveTargetById=12;ARGS:a").0, [10, 11]);
    // Keys compare case-insensitively, as ARGS:A selects a.
    assert_eq!(remove_targets("ruleRemoveTargetById=10;ARGS:A").1, [2, 3, 1]);
    assert_eq!(remove_targets("ruleRemoveTargetById=10;ARGS:/^[ab]$/").1, [1, 3, 1]);
}

#[test]
fn rule_remove_target_by_tag() {
    assert_eq!(remove_targets("ruleRemoveTargetByTag=app/x;ARGS:b").1, [2, 3, 1]);
    assert_eq!(remove_targets("ruleRemoveTargetByTag=app/x;ARGS:a").1, [2, 3, 0]);
    assert_eq!(remove_targets("ruleRemoveTargetByTag=app/y;REQUEST_FILENAME").1, [3, 2, 1]);
    assert_eq!(remove_targets("ruleRemoveTargetByTag=app;ARGS").1, [3, 3, 1]);
}

#[test]
fn ctl_runs_in_detection_only_too() {
    let rules = load(
        r#"SecRuleEngine DetectionOnly
SecAction "id:1,phase:1,pass,ctl:ruleRemoveById=2"
SecAction "id:2,phase:1,pass"
"#,
    );
    let (tx, _) = headers(&rules, &Request::get("/"));
    assert_eq!(ids(&tx), [1]);
}

#[test]
fn rule_remove_by_tag_among_many_tags() {
    // 200 rules with a tag each (tag numbers past 64 share bits of the rules' tag masks), then
    // a rule that removes one tag: exactly the rules carrying it go, whatever their number.
    let mut conf = String::new();
    for i in 1..=200 {
        conf.push_str(&format!("SecAction \"id:{},phase:2,pass,tag:'t{i}',tag:'all'\"\n", 1000 + i));
    }
    for removed in [1, 5, 64, 65, 69, 128, 133, 200] {
        let rules = on(&format!("SecAction \"id:1,phase:1,pass,ctl:ruleRemoveByTag=t{removed}\"\n{conf}"));
        let (tx, _) = request(&rules, &Request::get("/"));
        let want: Vec<u64> = std::iter::once(1).chain((1..=200).filter(|&i| i != removed).map(|i| 1000 + i)).collect();
        assert_eq!(ids(&tx), want, "t{removed}");
    }
    let rules = on(&format!("SecAction \"id:1,phase:1,pass,ctl:ruleRemoveByTag=t999\"\n{conf}"));
    assert_eq!(ids(&request(&rules, &Request::get("/")).0).len(), 201, "a tag no rule carries removes nothing");
    let rules = on(&format!("SecAction \"id:1,phase:1,pass,ctl:ruleRemoveByTag=all\"\n{conf}"));
    assert_eq!(ids(&request(&rules, &Request::get("/")).0), [1]);
}
