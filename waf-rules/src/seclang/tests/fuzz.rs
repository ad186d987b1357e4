//! The `seclang` fuzz target on stable: every seed of `fuzz/corpus/seclang/`, then deterministic
//! mutations of them (`SECLANG_FUZZ_ROUNDS=20000` and `SECLANG_FUZZ_SEED=n` run a longer or
//! different campaign locally).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::test_rng::Rng;

use crate::seclang::{self, fuzz};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/seclang");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seed corpus {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn fuzz_seed_corpus_smoke() {
    let seeds = corpus();
    assert!(seeds.len() >= 20, "too few seeds");
    let mut loaded = 0;
    for (name, seed) in &seeds {
        let result = std::panic::catch_unwind(|| fuzz::seclang(seed));
        assert!(result.is_ok(), "seed {name} panicked");
        loaded += usize::from(seclang::load_str("fuzz.conf", &String::from_utf8_lossy(seed), "/nonexistent").is_ok());
    }
    // Most seeds are valid configurations, so that mutations reach the compiler and the engine.
    assert!(loaded * 4 >= seeds.len() * 3, "only {loaded} of {} seeds load", seeds.len());
}

/// Pieces of SecLang syntax, for insertions.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'",
    b"\\",
    b"\\\n",
    b"\n",
    b"\r\n",
    b",",
    b"|",
    b":",
    b"!",
    b"&",
    b"@",
    b"%{",
    b"}",
    b"%{tx.a}",
    b"chain",
    b",chain",
    b"SecMarker M\n",
    b"skipAfter:M",
    b"t:none,",
    b"multiMatch,",
    b"capture,",
    b"ctl:ruleRemoveById=1-9,",
    b"ctl:ruleRemoveTargetById=1;ARGS:a,",
    b"setvar:tx.x=+1,",
    b"deny,",
    b"allow,",
    b"phase:5,",
    b"ARGS:/a/|",
    b"!ARGS:a|",
    b"&ARGS|",
    b"(",
    b"[",
    b"\x00",
    b"\xc3\xa9",
    b"\xff",
    b"#",
];

/// One random edit of `seed`.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 => out.truncate(at),
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            2 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            3 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] = rng.next() as u8;
            }
            _ => {
                // Duplicate a line elsewhere (duplicate ids, repeated directives).
                let lines: Vec<&[u8]> = seed.split(|&b| b == b'\n').collect();
                let line = lines[rng.below(lines.len())].to_vec();
                out.splice(at..at, line.into_iter().chain([b'\n']));
            }
        }
    }
    out
}

#[test]
fn mutated_configurations_never_panic_and_stay_fast() {
    let rounds = std::env::var("SECLANG_FUZZ_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(4000);
    let seed = std::env::var("SECLANG_FUZZ_SEED").ok().and_then(|r| r.parse().ok()).unwrap_or(0x5ec1_a49f_0cc5_2026);
    let mut rng = Rng::new(seed);
    let seeds = corpus();
    let mut slowest = Duration::ZERO;
    for round in 0..rounds {
        let (name, seed) = &seeds[round % seeds.len()];
        let input = mutate(&mut rng, seed);
        let start = Instant::now();
        let result = std::panic::catch_unwind(|| fuzz::seclang(&input));
        assert!(result.is_ok(), "mutation of {name} panicked on {:?}", String::from_utf8_lossy(&input));
        slowest = slowest.max(start.elapsed());
    }
    assert!(slowest < Duration::from_secs(5), "slowest input took {slowest:?}");
    eprintln!("seclang: {rounds} inputs, slowest {slowest:?}");
}
