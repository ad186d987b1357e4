//! The subcommands.
//!
//! - [`proxy`]: run the proxy with live reloads and graceful shutdown.
//! - [`check`]: validate a config file.
//! - [`waf`]: run WAF regression tests, evaluate a request against rules.

pub mod check;
pub mod proxy;
pub mod waf;
