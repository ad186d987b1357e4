//! The proxy crate's integration tests: one binary, every fixture on loopback with ports from
//! the OS, each test starting its own.

mod support;

mod balancing;
mod downstream_h1;
mod https;
mod l4_drain;
mod l4_netns;
mod l4_tcp;
mod l4_udp;
mod l7;
mod reload;
mod robustness;
mod smuggling;
mod tls;
mod upstream_h1;
mod waf;
