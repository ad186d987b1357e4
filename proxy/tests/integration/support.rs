//! Fixtures shared by the integration tests: each test starts its own.
//!
//! - [`tls`]: a test CA, leaf certificates, TLS clients.
//! - [`backend`]: recording HTTP origins.
//! - [`harness`]: a proxy from a YAML string, and clients.
//! - [`l4`]: TCP and UDP backends and clients for the L4 proxy.
//! - [`netns`]: network namespaces and veth pairs, created and deleted by each test.
//! - [`smuggling_cases`]: the request-smuggling corpus.
#![allow(dead_code)]

pub mod backend;
pub mod harness;
pub mod l4;
pub mod netns;
pub mod smuggling_cases;
pub mod tls;
