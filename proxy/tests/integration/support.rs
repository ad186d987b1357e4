//! Fixtures shared by the integration tests: each test starts its own.
//!
//! - [`tls`]: a test CA, leaf certificates, TLS clients.
//! - [`backend`]: recording HTTP origins.
//! - [`harness`]: a proxy from a YAML string, and clients.
//! - [`smuggling_cases`]: the request-smuggling corpus.
#![allow(dead_code)]

pub mod backend;
pub mod harness;
pub mod smuggling_cases;
pub mod tls;
