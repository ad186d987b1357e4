//! SecLang rule engine: loads ModSecurity v3 configuration (the OWASP Core Rule Set unchanged),
//! compiles it once into an immutable rule set and evaluates requests against it.
//!
//! # Organization
//! - [`seclang`]: the configuration parser (directives, quoting, continuations, `Include`).
//! - [`variables`]: variable specifications (`ARGS:foo|!ARGS:bar|&TX:x`).
//! - [`operators`]: `@rx`, `@pm`, `@detectSQLi`, ... compiled once, evaluated per value.
//! - [`transformations`]: `t:lowercase`, `t:urlDecodeUni`, ... pure byte functions.
//! - [`actions`]: rule actions (`id`, `phase`, `setvar`, `chain`, `ctl`, ...).
//! - [`body`]: request body processors (urlencoded, multipart, JSON, XML) and cookies.
//! - [`request`]: raw HTTP/1.x requests as sent, read the way Apache httpd reads them.
//! - [`ftw`]: the CRS regression suite (go-ftw YAML tests) run in-process.
//! - [`crs`]: loading an OWASP CRS checkout for serving or for its regression tests.
//! - [`engine`]: the compiled rule set and the per-request transaction that runs the phases.
//! - [`macros`]: `%{tx.score}` macro strings, parsed at load and expanded per request.

pub mod actions;
pub mod body;
pub mod crs;
pub mod engine;
pub mod ftw;
pub mod macros;
pub mod operators;
pub mod request;
pub mod seclang;
pub mod transformations;
pub mod variables;

#[cfg(test)]
mod test_rng;
