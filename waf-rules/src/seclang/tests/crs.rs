//! Loads the vendored OWASP CRS the way it is deployed and checks the result against counts
//! taken independently from the files.

use std::path::{Path, PathBuf};

use std::collections::BTreeSet;

use crate::actions::{Action, Disruptive, Phase};
use crate::seclang::{self, RuleKind, RuleSetSpec};
use crate::variables;

fn crs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../third_party/coreruleset")
}

/// crs-setup.conf.example then rules/*.conf (sorted; the *.conf.example exclusion files are
/// not included, as `rules/*.conf` does not match them).
fn load_crs() -> RuleSetSpec {
    let dir = crs_dir();
    let main = "Include crs-setup.conf.example\nInclude rules/*.conf\n";
    match seclang::load_str("crs-main.conf", main, &dir) {
        Ok(spec) => spec,
        Err(e) => panic!("CRS failed to load: {e}"),
    }
}

/// Non-comment lines of the files the deployment loads, joined per file.
fn crs_text() -> Vec<(String, String)> {
    let dir = crs_dir();
    let mut files = vec![dir.join("crs-setup.conf.example")];
    let mut rules: Vec<PathBuf> = std::fs::read_dir(dir.join("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    rules.sort();
    files.extend(rules);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
            (p.display().to_string(), code.join("\n"))
        })
        .collect()
}

/// Positions of `word` as a whole action token (after `"`, `,`, `'` or a blank; before `,`,
/// `"`, `\\`, `:` or a blank).
fn action_tokens<'a>(text: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(word).filter_map(move |(i, _)| {
        let before = text[..i].chars().next_back().unwrap_or(' ');
        let after = text[i + word.len()..].chars().next().unwrap_or(' ');
        let starts = matches!(before, '"' | ',' | '\'' | ' ' | '\t' | '\n');
        let ends = matches!(after, ',' | '"' | '\\' | ' ' | '\t' | '\n' | ':');
        (starts && ends).then_some(i)
    })
}

#[test]
fn crs_rule_ids_match_the_files() {
    let spec = load_crs();
    let mut expected = BTreeSet::new();
    for (_, text) in crs_text() {
        for i in action_tokens(&text, "id") {
            let digits: String =
                text[i + 3..].chars().skip_while(|c| *c == '\'').take_while(char::is_ascii_digit).collect();
            assert!(expected.insert(digits.parse::<u64>().unwrap()), "id {digits} twice in the files");
        }
    }
    let loaded: BTreeSet<u64> = spec.rules().map(|r| r.id.expect("top-level rules have ids")).collect();
    assert_eq!(spec.rules().count(), loaded.len());
    assert_eq!(loaded, expected);
    assert_eq!(loaded.len(), 630, "629 rules in rules/*.conf and 1 SecAction in crs-setup");
}

#[test]
fn crs_rules_have_phases_and_chains_link_up() {
    let spec = load_crs();
    let chain_actions: usize = crs_text().iter().map(|(_, text)| action_tokens(text, "chain").count()).sum();
    assert_eq!(chain_actions, 73);
    let mut links = 0;
    for rule in spec.rules() {
        assert!(rule.actions.iter().any(|a| matches!(a, Action::Phase(_))), "rule {:?} has no phase", rule.id);
        for (depth, link) in rule.chain().enumerate() {
            assert_eq!(link.phase, rule.phase);
            let has_chain = link.actions.contains(&Action::Chain);
            assert_eq!(has_chain, link.chained.is_some(), "rule {:?} link {depth}", rule.id);
            if depth > 0 {
                links += 1;
                assert_eq!(link.id, None);
                assert_eq!(link.kind, RuleKind::SecRule);
                assert_eq!(link.disruptive, None);
            }
        }
    }
    assert_eq!(links, 73);
}

#[test]
fn crs_update_target_lines_are_applied() {
    let spec = load_crs();
    let mut applied = 0;
    for (file, text) in crs_text() {
        for line in text.lines().filter(|l| l.starts_with("SecRuleUpdateTargetById")) {
            let mut parts = line.split_whitespace().skip(1);
            let id: u64 = parts.next().unwrap().parse().unwrap();
            let target = parts.next().unwrap().trim_matches('"');
            let target = variables::parse_one(target).unwrap();
            assert!(target.exclude);
            let rule = spec.rule(id).unwrap_or_else(|| panic!("{file}: rule {id} not loaded"));
            assert!(rule.variables.contains(&target), "{id} lacks {target}");
            applied += 1;
        }
    }
    assert_eq!(applied, 55);
    // 942290 is excluded from two cookie families (via the 999 file) on top of its own targets.
    let excluded = spec.rule(942290).unwrap().variables.iter().filter(|v| v.exclude).count();
    assert!(excluded >= 2, "942290 has {excluded} exclusions");
}

#[test]
fn crs_default_actions_are_merged() {
    let spec = load_crs();
    assert_eq!(spec.default_actions.len(), 5);
    for (d, phase) in spec.default_actions.iter().zip(Phase::ALL) {
        assert_eq!(d.phase, phase);
        assert_eq!(d.actions, vec![Action::Log, Action::AuditLog, Action::Disruptive(Disruptive::Pass)]);
    }
    let blocking = spec.rules().filter(|r| r.own_disruptive() == Some(&Disruptive::Block)).count();
    let block_actions: usize = crs_text().iter().map(|(_, text)| action_tokens(text, "block").count()).sum();
    assert_eq!(blocking, block_actions);
    for rule in spec.rules() {
        if rule.own_disruptive() == Some(&Disruptive::Block) {
            assert_eq!(rule.disruptive, Some(Disruptive::Pass), "{:?}", rule.id);
        }
        assert_eq!(rule.log(), Some(!rule.actions.contains(&Action::NoLog)), "{:?}", rule.id);
        assert!(!rule.transformations.contains(&"none"));
    }
    // 949110 denies on its own.
    assert_eq!(spec.rule(949110).unwrap().disruptive, Some(Disruptive::Deny));
    assert_eq!(spec.settings.component_signatures, vec!["OWASP_CRS/4.29.0-dev".to_owned()]);
}
