//! rampart's data planes: the L7 HTTP proxy (and, later, L4 TCP/UDP) reading one immutable
//! config snapshot at a time.
//!
//! # Organization
//! - [`endpoint`]: live per-endpoint state (health, in-flight, ejection) that survives swaps.
//! - [`balance`]: round robin, least request (P2C), Maglev and ring consistent hashing.
//! - [`health`]: active HTTP health checks per endpoint.
//! - [`route`]: Ingress v1 host and path matching.
//! - [`tls`]: rustls server configs with SNI certificate selection.
//! - [`http`]: the L7 proxy: downstream servers, request handling, upstream pool.

pub mod balance;
pub mod endpoint;
pub mod health;
pub mod route;
pub mod tls;
// TEMPORARY (gate branch): the lead wires `gate` into `http.rs`.
pub mod http {
    pub mod gate;
}
