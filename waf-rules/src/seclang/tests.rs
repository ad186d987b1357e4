//! Unit tests of the SecLang parser: syntax, errors with locations, assembly, includes, and
//! loading the vendored CRS and the reference lab configuration.

mod assembly;
mod crs;
mod errors;
mod includes;
mod labs;
mod syntax;
