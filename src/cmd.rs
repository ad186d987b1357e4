//! The subcommands.
//!
//! - [`proxy`]: run the proxy with live reloads and graceful shutdown.
//! - [`check`]: validate a config file.

pub mod check;
pub mod proxy;
