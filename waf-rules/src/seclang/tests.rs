//! Unit tests of the SecLang parser: syntax, errors with locations, assembly, and loading the
//! vendored CRS.

mod crs;
mod labs;
