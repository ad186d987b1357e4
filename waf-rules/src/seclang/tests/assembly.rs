//! Assembly: chains, default actions, removals and updates.

use super::syntax::{first, load};
use crate::actions::{Action, Disruptive, Phase};
use crate::seclang::Item;
use crate::variables::{self, VariableName};

#[test]
fn chains_link_and_inherit_the_phase() {
    let rule = first(
        "SecRule ARGS \"@rx a\" \"id:1,phase:2,deny,chain\"\n\
         SecRule ARGS_NAMES \"@rx b\" \"chain,t:lowercase\"\n\
         SecRule REQUEST_URI \"@rx c\" \"setvar:tx.x=1\"\n\
         SecRule ARGS \"@rx d\" \"id:2\"\n",
    );
    let chain: Vec<_> = rule.chain().collect();
    assert_eq!(chain.len(), 3);
    assert_eq!(chain.iter().map(|r| r.id).collect::<Vec<_>>(), [Some(1), None, None]);
    assert!(chain.iter().all(|r| r.phase == Phase::RequestBody));
    assert_eq!(chain[1].variables[0].name, VariableName::ArgsNames);
    assert_eq!(chain[2].operator.argument, "c");
    assert_eq!(chain[1].transformations, ["lowercase"]);
    assert_eq!(rule.disruptive, Some(Disruptive::Deny));
    assert_eq!(chain[1].disruptive, None);
    assert_eq!(chain[2].location.to_string(), "test.conf:3:1");
}

#[test]
fn rules_without_phase_run_in_phase_one() {
    assert_eq!(first("SecRule ARGS \"@rx a\" \"id:1\"").phase, Phase::RequestHeaders);
    assert_eq!(first("SecAction \"id:1\"").phase, Phase::DEFAULT);
}

#[test]
fn default_actions_merge_as_in_libmodsecurity() {
    let spec = load(
        "SecRule ARGS \"@rx before\" \"id:1,phase:2,block,t:lowercase\"\n\
         SecDefaultAction \"phase:2,log,auditlog,deny,status:403,t:urlDecode,tag:'default'\"\n\
         SecRule ARGS \"@rx own\" \"id:2,phase:2,pass,nolog,t:trim\"\n\
         SecRule ARGS \"@rx none\" \"id:3,phase:2,t:lowercase,t:none,t:trim,chain\"\n\
         SecRule ARGS \"@rx child\" \"t:length\"\n\
         SecRule ARGS \"@rx noblock\" \"id:4,phase:2\"\n\
         SecRule ARGS \"@rx other\" \"id:5,phase:1,block,t:trim\"\n\
         SecRule ARGS \"@rx back\" \"id:6,phase:2,nolog,auditlog\"\n",
    );
    let rule = |id| spec.rule(id).unwrap();
    // Written before the SecDefaultAction, still merged: defaults apply to the whole phase.
    assert_eq!(rule(1).transformations, ["urlDecode", "lowercase"]);
    assert_eq!(rule(1).disruptive, Some(Disruptive::Deny));
    assert_eq!(rule(1).log(), Some(true));
    assert_eq!(rule(1).audit_log(), Some(true));
    assert_eq!(rule(1).tags().map(|t| t.as_str()).collect::<Vec<_>>(), ["default"]);
    assert_eq!(rule(1).own_tags().count(), 0);
    // Own actions come after the defaults: nolog wins, pass is the rule's own disruptive action.
    assert_eq!(rule(2).transformations, ["urlDecode", "trim"]);
    assert_eq!(rule(2).disruptive, Some(Disruptive::Pass));
    assert_eq!(rule(2).log(), Some(false));
    // nolog keeps the match out of the audit log too (ModSecurity's regression test
    // action/10-logging.t, "nolog (pass)"), unless an auditlog comes after it.
    assert_eq!(rule(2).audit_log(), Some(false));
    // t:none drops the defaults and everything before it; the chained rule has none of its own,
    // so it gets the defaults.
    assert_eq!(rule(3).transformations, ["trim"]);
    let child = rule(3).chained.as_deref().unwrap();
    assert_eq!(child.transformations, ["urlDecode", "length"]);
    assert_eq!(child.defaults, rule(3).defaults);
    // No block: the default disruptive action does not apply (libmodsecurity 3.0.x).
    assert_eq!(rule(4).disruptive, None);
    assert_eq!(rule(4).own_disruptive(), None);
    // Phase 1 has no SecDefaultAction: block does nothing and nothing is inherited.
    assert_eq!(rule(5).disruptive, None);
    assert!(rule(5).defaults.is_empty());
    assert_eq!(rule(5).transformations, ["trim"]);
    assert_eq!((rule(6).log(), rule(6).audit_log()), (Some(false), Some(true)));
    assert_eq!(spec.default_actions.len(), 1);
    assert_eq!(spec.default_actions[0].phase, Phase::RequestBody);
    assert!(!spec.default_actions[0].actions.contains(&Action::Phase(Phase::RequestBody)));
}

#[test]
fn remove_directives_affect_earlier_rules_only() {
    let spec = load(
        "SecRule ARGS \"@rx a\" \"id:1,tag:'attack-sqli'\"\n\
         SecRule ARGS \"@rx a\" \"id:2,msg:'bad thing'\"\n\
         SecRule ARGS \"@rx a\" \"id:3\"\n\
         SecRule ARGS \"@rx a\" \"id:10\"\n\
         SecRule ARGS \"@rx a\" \"id:11\"\n\
         SecRuleRemoveByTag attack-sqli\n\
         SecRuleRemoveByMsg \"bad thing\"\n\
         SecRuleRemoveById 3 10-19 \"40\"\n\
         SecRule ARGS \"@rx a\" \"id:12,tag:'attack-sqli'\"\n\
         SecRule ARGS \"@rx a\" \"id:13\"\n\
         SecMarker END\n",
    );
    let ids: Vec<_> = spec.rules().filter_map(|r| r.id).collect();
    assert_eq!(ids, [12, 13]);
    assert!(matches!(spec.items.last(), Some(Item::Marker(_))));
    // Tags compare exactly (libmodsecurity v3 does not treat them as regexes).
    let spec = load("SecRule ARGS \"@rx a\" \"id:1,tag:'attack-sqli'\"\nSecRuleRemoveByTag attack\n");
    assert_eq!(spec.rules().count(), 1);
}

#[test]
fn update_target_adds_and_excludes() {
    let spec = load(
        "SecRule ARGS \"@rx a\" \"id:1,tag:'t1'\"\n\
         SecRule ARGS \"@rx a\" \"id:2,msg:'m2'\"\n\
         SecRuleUpdateTargetById 1 \"!ARGS:foo|REQUEST_HEADERS:X-Foo\"\n\
         SecRuleUpdateTargetById 1 !ARGS:/^bar/\n\
         SecRuleUpdateTargetByTag t1 ARGS_NAMES\n\
         SecRuleUpdateTargetByMsg \"m2\" \"!ARGS:x\"\n\
         SecRuleUpdateTargetById 3 \"!ARGS:z\"\n\
         SecRule ARGS \"@rx a\" \"id:3\"\n",
    );
    let targets = |id| spec.rule(id).unwrap().variables.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(targets(1), ["ARGS", "!ARGS:foo", "REQUEST_HEADERS:x-foo", "!ARGS:/^bar/", "ARGS_NAMES"]);
    assert_eq!(targets(2), ["ARGS", "!ARGS:x"]);
    // Rule 3 came after its update.
    assert_eq!(targets(3), ["ARGS"]);
    assert_eq!(spec.rule(1).unwrap().variables[1], variables::parse_one("!ARGS:foo").unwrap());
}

#[test]
fn update_action_appends_and_last_wins() {
    let spec = load(
        "SecDefaultAction \"phase:2,log,deny\"\n\
         SecRule ARGS \"@rx a\" \"id:1,phase:2,pass,msg:'old',t:lowercase\"\n\
         SecRuleUpdateActionById 1 \"block,msg:'new',t:none,t:trim\"\n",
    );
    let rule = spec.rule(1).unwrap();
    assert_eq!(rule.msg().unwrap().as_str(), "new");
    assert_eq!(rule.disruptive, Some(Disruptive::Deny));
    assert_eq!(rule.transformations, ["trim"]);
}
