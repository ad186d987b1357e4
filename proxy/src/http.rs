//! The L7 HTTP proxy.
//!
//! # Organization
//! - [`server`]: accept loops, TLS and protocol detection, serving HTTP/1.1 and HTTP/2.
//! - [`gate`]: the HTTP/1.1 framing guard that turns ambiguous requests away before hyper.
//! - [`handler`]: one request: route, then answer directly or proxy.
//! - [`forward`]: proxying to a service: endpoint choice, retries, passive health.
//! - [`upstream`]: upstream connection pools (HTTP/1.1 keep-alive, shared HTTP/2).
//! - [`headers`]: hop-by-hop removal, forwarding headers, request ids.
//! - [`body`]: the downstream response body type.
//! - [`error`]: failures, who caused them, and their status codes.
//! - [`io`]: small I/O adapters.

pub mod body;
pub mod error;
pub mod forward;
pub mod gate;
pub mod handler;
pub mod headers;
pub mod io;
pub mod server;
pub mod upstream;
