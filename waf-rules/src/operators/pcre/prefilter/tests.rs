//! The required-byte prefilter: the sets it finds, and, for every CRS `@rx` pattern, that no
//! input it rejects matches the regex (the CRS regression strings, and the strings that match
//! with the required bytes taken out or replaced).

use super::*;
use crate::operators::corpus::{crs_strings, Rng};
use crate::operators::pcre::{Limits, Regex};
use crate::operators::tests::crs_rx_patterns;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern, Limits::default()).unwrap_or_else(|e| panic!("{pattern}: {e}")).0
}

fn sets(pattern: &str) -> Vec<Vec<u8>> {
    regex(pattern).prefilter().map(Prefilter::sets).unwrap_or_default()
}

#[test]
fn required_sets() {
    assert_eq!(sets(r"^'[^']*;"), [b"'".to_vec(), b";".to_vec()]);
    assert_eq!(sets(r#"["'`]x"#), [b"\"'`".to_vec()]);
    assert_eq!(sets(r"(?:<|>)+x*"), [b"<>".to_vec()]);
    assert_eq!(sets(r"a(?:\(|\[\]|\x5c{2})"), [b"([\\".to_vec()]);
    assert_eq!(sets(r"(?i)select.*\("), [b"(".to_vec()]);
    // Nothing required, or only common bytes: no prefilter.
    for pattern in [r"(?i)select", r";?x", r"(?:;|x)", r"x|;", r"[^a]", r"\b", r"", r"\s+", r"(?:;)*"] {
        assert!(regex(pattern).prefilter().is_none(), "{pattern}");
    }
    // An empty class matches nothing: everything is rejected.
    let never = regex(r"a[^\x00-\xFF]");
    assert!(!never.may_match(b"a") && !never.is_match_unfiltered(b"a"));
    // At most MAX_CHECKS sets, the smallest.
    assert_eq!(sets(r"<[\(\)]![\[\]\{\}]@#").len(), MAX_CHECKS);
    assert_eq!(sets(r"<[\(\)]![\[\]\{\}]@#")[0].len(), 1);
}

#[test]
fn rejects_only_what_cannot_match() {
    let r = regex(r"(?i)union[\s\x0b]+select[^;]*;");
    assert!(!r.may_match(b"union select 1"));
    assert!(r.may_match(b"union select 1;") && r.is_match(b"union select 1;"));
    assert!(!r.is_match(b"union select 1"));
}

/// Takes the bytes of `set` out of `input`, or replaces each by a byte of `others`.
fn without(input: &[u8], set: &[u8], rng: &mut Rng) -> [Vec<u8>; 2] {
    const OTHERS: &[u8] = b" a0_.-/\\'\";:<>()[]{}=&|!@#$%^*+,?`~\n\t\x00\xff";
    let removed = input.iter().copied().filter(|b| !set.contains(b)).collect();
    let replaced = input
        .iter()
        .map(|&b| {
            if set.contains(&b) {
                *rng.pick(&OTHERS.iter().copied().filter(|o| !set.contains(o)).collect::<Vec<u8>>())
            } else {
                b
            }
        })
        .collect();
    [removed, replaced]
}

#[test]
fn no_crs_pattern_loses_a_match() {
    let corpus = crs_strings();
    let mut rng = Rng::new(17);
    let (mut with_prefilter, mut rejected, mut mutated) = (0, 0, 0);
    for (place, pattern) in crs_rx_patterns() {
        let regex = regex(&pattern);
        let Some(prefilter) = regex.prefilter() else { continue };
        with_prefilter += 1;
        let sets = prefilter.sets();
        for input in &corpus {
            if !regex.may_match(input) {
                rejected += 1;
                assert!(
                    !regex.is_match_unfiltered(input),
                    "{place}: the prefilter rejects a match: {}",
                    input.escape_ascii()
                );
            } else if regex.is_match_unfiltered(input) {
                // A match: without the bytes of any required set it must stop matching, and
                // the prefilter must let through whatever still matches.
                for set in &sets {
                    for variant in without(input, set, &mut rng) {
                        mutated += 1;
                        let lost = !regex.may_match(&variant) && regex.is_match_unfiltered(&variant);
                        assert!(!lost, "{place}: the prefilter rejects a match: {}", variant.escape_ascii());
                    }
                }
            }
        }
    }
    println!("{with_prefilter} CRS patterns with a prefilter, {rejected} inputs rejected, {mutated} mutations");
    assert!(with_prefilter > 100, "only {with_prefilter} CRS patterns have a prefilter");
    assert!(rejected > 100_000 && mutated > 1000, "{rejected} rejected, {mutated} mutations");
}
