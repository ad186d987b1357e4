//! Test inputs for the operators' fast paths: every string of the CRS regression tests (the
//! payloads the rules are meant to catch and the near misses they must let through), as
//! written, URL-decoded, and cut into the pieces a request's parser makes of them, plus a
//! seeded generator of random inputs.

use std::collections::BTreeSet;
use std::path::Path;

use crate::transformations::url_decode_uni::url_decode_uni;

/// Every string of the CRS regression YAML files, decoded and split (see the module docs),
/// deduplicated and in a stable order.
pub fn crs_strings() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../third_party/coreruleset/tests/regression/tests");
    let mut files = Vec::new();
    collect_yaml(&dir, &mut files);
    assert!(files.len() > 300, "the CRS regression tests are at {}", dir.display());
    let mut strings = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let value: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        collect_strings(&value, &mut strings);
    }
    let mut out = BTreeSet::new();
    for s in strings {
        let bytes = s.into_bytes();
        for piece in pieces(&bytes) {
            out.insert(url_decode_uni(piece).into_owned());
            out.insert(piece.to_vec());
        }
        out.insert(url_decode_uni(&bytes).into_owned());
        out.insert(bytes);
    }
    out.into_iter().collect()
}

fn collect_yaml(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
}

fn collect_strings(value: &serde_yaml_ng::Value, out: &mut BTreeSet<String>) {
    use serde_yaml_ng::Value;
    match value {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Sequence(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Mapping(map) => map.iter().for_each(|(k, v)| {
            collect_strings(k, out);
            collect_strings(v, out);
        }),
        Value::Tagged(tagged) => collect_strings(&tagged.value, out),
        _ => {}
    }
}

/// The pieces a query string, a cookie or a header list is cut into: split on `&`, `;`, `,`,
/// and each piece on its first `=` (name and value).
fn pieces(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    for part in bytes.split(|&b| matches!(b, b'&' | b';' | b',' | b'?')) {
        out.push(part);
        if let Some(eq) = part.iter().position(|&b| b == b'=') {
            out.push(&part[..eq]);
            out.push(&part[eq + 1..]);
        }
        let trimmed = part.trim_ascii();
        if trimmed.len() != part.len() {
            out.push(trimmed);
        }
    }
    out
}

pub(crate) use crate::test_rng::Rng;
