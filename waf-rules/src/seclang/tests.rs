//! Unit tests of the SecLang parser: syntax, errors with locations, assembly, includes,
//! loading the vendored CRS and the reference lab configuration, and the fuzz target's seeds.

mod assembly;
mod crs;
mod errors;
mod fuzz;
mod includes;
mod labs;
mod syntax;
