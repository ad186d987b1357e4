//! Tests of the go-ftw runner.
//!
//! - `crs`: every vendored CRS test file loads; the requests of the whole suite are readable.
//! - `build`: request bytes for sample CRS tests, checked byte for byte.
//! - `runner`: comparison logic, overrides, ignore list and filter with fixed-outcome targets.
//! - `albedo`: the `/reflect` contract.
//! - `support`: Go encodings and templates.

mod albedo;
mod build;
mod crs;
mod runner;
mod support;

use super::load::Suite;
use std::path::PathBuf;

/// The vendored CRS regression tests.
fn crs_tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../third_party/coreruleset/tests/regression")
}

/// The vendored suite, loaded once per test that needs it.
fn crs_suite() -> Suite {
    match Suite::load_dir(&crs_tests_dir().join("tests")) {
        Ok(suite) => suite,
        Err(e) => panic!("CRS tests do not load: {e}"),
    }
}
