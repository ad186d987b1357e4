//! Tests of the dispatch, the fuzz seed corpus (smoke run of the fuzz targets on stable), and
//! randomized robustness: mutated valid inputs must never panic and must finish quickly.

use super::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::test_rng::Rng;

const MULTIPART_CT: &[u8] = b"multipart/form-data; boundary=b";

#[test]
fn dispatch_urlencoded_leaves_reqbody_error_unset() {
    let out = process(Some(BodyProcessor::UrlEncoded), None, b"a=1&b=%zz", &BodyConfig::default());
    assert_eq!(out.args, vec![Arg::new("a", "1"), Arg::new("b", "%zz")]);
    assert!(out.args_post && out.args_counted && out.urlencoded_error);
    assert_eq!(out.status, ReqBodyStatus::NotSet);
    assert_eq!(out.status.flag(), None);
}

#[test]
fn dispatch_limits_and_separator() {
    let config = BodyConfig { argument_separator: b';', args_remaining: Some(1), ..BodyConfig::default() };
    let out = process(Some(BodyProcessor::UrlEncoded), None, b"a=1;b=2", &config);
    assert_eq!(out.args, vec![Arg::new("a", "1")]);
    assert_eq!(out.args_skipped, 1);
    let out = process(Some(BodyProcessor::Json), None, br#"{"a":1,"b":2}"#, &config);
    assert_eq!(
        out.status.message(),
        Some("JSON parsing error: parse error: client cancelled parse via callback return value\n")
    );
}

#[test]
fn dispatch_multipart() {
    let body = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--b--\r\n";
    let out = process(Some(BodyProcessor::Multipart), Some(MULTIPART_CT), body, &BodyConfig::default());
    assert_eq!(out.args, vec![Arg::new("a", "v")]);
    assert!(out.args_post && !out.args_counted);
    assert_eq!(out.status, ReqBodyStatus::Ok);
    let details = out.multipart.as_ref().unwrap();
    assert!(details.args.is_empty(), "args moved to the outcome");
    assert_eq!(details.flags.unmatched_boundary, 2);

    let out = process(Some(BodyProcessor::Multipart), Some(MULTIPART_CT), b"--b\r\n", &BodyConfig::default());
    assert_eq!(out.status.message(), Some("Multipart parsing error: Multipart: Final boundary missing."));
    assert_eq!(out.status.flag(), Some("1"));

    // Without a Content-Type v3 does not run the multipart parser at all.
    let out = process(Some(BodyProcessor::Multipart), None, body, &BodyConfig::default());
    assert!(out.multipart.is_none() && out.args.is_empty());
    assert_eq!(out.status, ReqBodyStatus::Ok);
}

#[test]
fn dispatch_json_and_xml() {
    let out = process(Some(BodyProcessor::Json), None, br#"{"a":[1]}"#, &BodyConfig::default());
    assert_eq!(out.args, vec![Arg::new("json.a.array_0", "1")]);
    assert!(!out.args_post && out.args_counted);
    assert_eq!(out.status, ReqBodyStatus::Ok);
    // An empty JSON body is not an error (v3 checks the size), a blank one is.
    assert_eq!(process(Some(BodyProcessor::Json), None, b"", &BodyConfig::default()).status, ReqBodyStatus::Ok);
    let out = process(Some(BodyProcessor::Json), None, b" ", &BodyConfig::default());
    assert_eq!(out.status.message(), Some("JSON parsing error: parse error: premature EOF\n"));

    let out = process(Some(BodyProcessor::Xml), None, b"<a>x</a>", &BodyConfig::default());
    assert_eq!(out.xml.as_ref().and_then(|d| d.root_text.clone()), Some(b"x".to_vec()));
    assert_eq!(out.status, ReqBodyStatus::Ok);
    let out = process(Some(BodyProcessor::Xml), None, b"", &BodyConfig::default());
    assert_eq!(out.status.message(), Some("XML parsing error: XML: Failed parsing document."));

    let out = process(None, None, b"anything", &BodyConfig::default());
    assert_eq!(out.status.flag(), Some("0"));
    assert!(out.args.is_empty());
}

#[test]
fn no_files_limit_counts_headers_and_fields_not_files() {
    // libmodsecurity's own regression case: 161 bytes of part headers and fields.
    let body = b"--------------------------305d3b6fb72cf618\r\n\
Content-Disposition: form-data; name=\"token\"\r\n\r\nblah\r\n\
--------------------------305d3b6fb72cf618\r\n\
Content-Disposition: form-data; name=\"attachments\"; filename=\"simple_empty.txt\"\r\n\
Content-Type: text/plain\r\n\r\na\r\n--------------------------305d3b6fb72cf618--\r\n";
    let ct = b"multipart/form-data; boundary=------------------------305d3b6fb72cf618";
    let run = |limit| {
        let config = BodyConfig { no_files_limit: Some(limit), ..BodyConfig::default() };
        process(Some(BodyProcessor::Multipart), Some(ct), body, &config)
    };
    assert_eq!(run(161).no_files_length, 161);
    assert_eq!(run(161).status, ReqBodyStatus::Ok);
    assert_eq!(
        run(160).status.message(),
        Some("Request body no files data length is larger than the configured limit (160).")
    );
    let config = BodyConfig { no_files_limit: Some(8), ..BodyConfig::default() };
    assert_eq!(process(Some(BodyProcessor::UrlEncoded), None, b"login=foo", &config).status.flag(), Some("1"));
    let config = BodyConfig { no_files_limit: Some(9), ..BodyConfig::default() };
    assert_eq!(process(Some(BodyProcessor::UrlEncoded), None, b"login=foo", &config).status, ReqBodyStatus::NotSet);
}

#[test]
fn processor_selection() {
    assert_eq!(BodyProcessor::from_content_type(b"Multipart/Form-Data; boundary=x"), Some(BodyProcessor::Multipart));
    assert_eq!(
        BodyProcessor::from_content_type(b"application/x-www-form-urlencoded; charset=utf-8"),
        Some(BodyProcessor::UrlEncoded)
    );
    assert_eq!(BodyProcessor::from_content_type(b"application/json"), None);
    let cases: &[(&[u8], Option<BodyProcessor>)] = &[
        (b"application/json; charset=utf-8", Some(BodyProcessor::Json)),
        (b"Application/JSON", Some(BodyProcessor::Json)),
        (b"application/vnd.api+json", Some(BodyProcessor::Json)),
        (b"application/ld+json", Some(BodyProcessor::Json)),
        (b"application/+json", None),
        (b"text/json", None),
        (b"text/xml", Some(BodyProcessor::Xml)),
        (b"application/xml", Some(BodyProcessor::Xml)),
        (b"application/soap+xml; charset=utf-8", Some(BodyProcessor::Xml)),
        (b"application/atom+xml", None),
        (b"text/plain", None),
    ];
    for (ct, expected) in cases {
        assert_eq!(BodyProcessor::recommended_for(ct), *expected, "{}", String::from_utf8_lossy(ct));
    }
    assert_eq!(BodyProcessor::from_name("json"), Some(BodyProcessor::Json));
    assert_eq!(BodyProcessor::from_name("URLENCODED").map(BodyProcessor::name), Some("URLENCODED"));
    assert_eq!(BodyProcessor::from_name("xml2"), None);
}

/// A fuzz target body.
type Target = fn(&[u8]);

/// The fuzz targets and their bodies.
const TARGETS: [(&str, Target); 4] = [
    ("body_multipart", fuzz::multipart),
    ("body_json", fuzz::json),
    ("body_xml", fuzz::xml),
    ("body_urlencoded", fuzz::urlencoded),
];

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seed corpus {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    entries.into_iter().map(|path| std::fs::read(path).unwrap()).collect()
}

#[test]
fn fuzz_seed_corpus_smoke() {
    for (target, run) in TARGETS {
        let seeds = corpus(target);
        assert!(seeds.len() >= 5, "{target}: too few seeds");
        for seed in &seeds {
            run(seed);
        }
    }
}

/// Tokens that matter to the parsers, for insertions.
const TOKENS: &[&[u8]] = &[
    b"--b",
    b"--b--",
    b"\r\n",
    b"\n",
    b"\r",
    b"\"",
    b"'",
    b";",
    b"=",
    b":",
    b" ",
    b"\t",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b"<",
    b">",
    b"</",
    b"/>",
    b"&",
    b"&amp;",
    b"&#",
    b"%",
    b"%4",
    b"+",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\\u",
    b"\\ud800",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"<!DOCTYPE r [<!ENTITY e \"&e;\">]>",
    b"Content-Disposition: form-data; name=\"x\"; filename=\"f\"\r\n",
    b"Content-Type: text/plain\r\n",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            2 if at < data.len() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            3 if at < data.len() => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                let chunk = data[at..end].to_vec();
                data.splice(at..at, chunk);
            }
            4 => data.truncate(at),
            _ => data.insert(at, rng.next() as u8),
        }
    }
    data
}

#[test]
fn mutated_inputs_never_panic_and_stay_fast() {
    // BODY_FUZZ_ROUNDS and BODY_FUZZ_SEED run longer or different campaigns locally.
    let rounds = std::env::var("BODY_FUZZ_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(1500);
    let seed = std::env::var("BODY_FUZZ_SEED").ok().and_then(|r| r.parse().ok()).unwrap_or(0x5eed_b0d1_e5ca_fe01);
    let mut rng = Rng::new(seed);
    for (target, run) in TARGETS {
        let seeds = corpus(target);
        let mut slowest = Duration::ZERO;
        for round in 0..rounds {
            let seed = &seeds[round % seeds.len()];
            let input = mutate(&mut rng, seed);
            let start = Instant::now();
            let result = std::panic::catch_unwind(|| run(&input));
            assert!(result.is_ok(), "{target} panicked on {:?}", String::from_utf8_lossy(&input));
            slowest = slowest.max(start.elapsed());
        }
        assert!(slowest < Duration::from_secs(2), "{target}: slowest input took {slowest:?}");
        eprintln!("{target}: {rounds} inputs, slowest {slowest:?}");
    }
}

#[test]
fn large_inputs_stay_linear() {
    // Pathological shapes, 1 MiB each: boundary-like lines, deep nesting, long tokens.
    let mut multipart = MULTIPART_CT.to_vec();
    multipart.push(b'\n');
    multipart.extend_from_slice(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n");
    multipart.extend(b"x--b--b--b\r\n".iter().cycle().take(1 << 20));
    let inputs: [(&str, Target, Vec<u8>); 4] = [
        ("multipart", fuzz::multipart, multipart),
        ("json", fuzz::json, b"[".repeat(1 << 20)),
        ("xml", fuzz::xml, b"<a>".repeat(1 << 18)),
        ("urlencoded", fuzz::urlencoded, b"%&=+".repeat(1 << 18)),
    ];
    for (name, run, input) in inputs {
        let start = Instant::now();
        run(&input);
        assert!(start.elapsed() < Duration::from_secs(20), "{name}: {:?}", start.elapsed());
    }
}
