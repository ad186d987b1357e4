//! The L7 HTTP proxy.
//!
//! # Organization
//! - [`server`]: accept loops, TLS and protocol detection, serving HTTP/1.1 and HTTP/2.
//! - [`h1_server`]: rampart's own HTTP/1.1 server loop for plain requests (hyper serves the rest).
//! - [`gate`]: the HTTP/1.1 framing checks that turn ambiguous requests away, and the IO guard
//!   in front of hyper's HTTP/1 server.
//! - [`handler`]: one request: route, then answer directly or proxy.
//! - [`forward`]: proxying to a service: endpoint choice, retries, passive health.
//! - [`upstream`]: upstream connection pools (HTTP/1.1 keep-alive, shared HTTP/2).
//! - [`headers`]: hop-by-hop removal, forwarding headers, request ids.
//! - [`body`]: the response and request body types.
//! - [`error`]: failures, who caused them, and their status codes.
//! - [`io`]: small I/O adapters.
//! - [`waf`]: a request through its route's WAF policy (phases 1-5).

pub mod body;
pub mod error;
pub mod forward;
pub mod gate;
pub mod h1_server;
pub mod handler;
pub mod headers;
pub mod io;
pub mod server;
pub mod upstream;
pub mod waf;
