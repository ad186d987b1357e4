//! The serde types of a rampart config file.
//!
//! Every struct rejects unknown fields, and every optional field has a named default, so a
//! typo is an error instead of a silently ignored setting. Semantic checks (references between
//! sections, value ranges, files) live in [`crate::validate`].

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::Duration;

/// A whole config file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The admin listener (metrics, health, running config).
    #[serde(default)]
    pub admin: Admin,
    /// Where rampart accepts traffic.
    #[serde(default)]
    pub listeners: Vec<Listener>,
    /// Host and path rules for HTTP and HTTPS listeners, with Kubernetes Ingress v1 semantics.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Upstream services and their endpoints.
    #[serde(default)]
    pub services: Vec<Service>,
    /// WAF policies, attached to listeners and routes by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waf: Vec<crate::WafPolicy>,
}

// === Admin ===

/// The admin listener: `/metrics`, `/healthz`, `/config`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admin {
    /// Address to bind; loopback by default, as it exposes the running config.
    #[serde(default = "Admin::default_address")]
    pub address: SocketAddr,
    /// Set to false to run without an admin listener.
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Admin {
    /// `127.0.0.1:9901`.
    pub fn default_address() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 9901))
    }
}

impl Default for Admin {
    fn default() -> Self {
        Self { address: Self::default_address(), enabled: true }
    }
}

// === Listeners ===

/// What a listener speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Plain-text HTTP/1.1 and HTTP/2 (prior knowledge).
    Http,
    /// TLS-terminated HTTP/1.1 and HTTP/2 (chosen by ALPN).
    Https,
    /// Layer-4 TCP forwarding to one service.
    Tcp,
    /// Layer-4 UDP forwarding to one service.
    Udp,
}

impl Protocol {
    /// True for HTTP and HTTPS.
    pub fn is_http(self) -> bool {
        matches!(self, Self::Http | Self::Https)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Http => "http",
            Self::Https => "https",
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        })
    }
}

/// One address rampart accepts traffic on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// Unique name, used in metrics and by routes.
    pub name: String,
    /// `ip:port` to bind.
    pub address: SocketAddr,
    /// What this listener speaks.
    pub protocol: Protocol,
    /// Certificates, required for `https`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ListenerTls>,
    /// Service for `tcp`/`udp` listeners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// What an HTTP listener does when no route matches (404 when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_backend: Option<Target>,
    /// Largest request body accepted, in bytes; larger ones get 413.
    #[serde(default = "Listener::default_max_request_body")]
    pub max_request_body_bytes: u64,
    /// Accept HTTP/2 (ALPN `h2` over TLS, prior knowledge in clear text).
    #[serde(default = "yes")]
    pub http2: bool,
    /// Downstream timeouts.
    #[serde(default)]
    pub timeouts: ListenerTimeouts,
    /// Log one JSON line per request (target `access`).
    #[serde(default = "yes")]
    pub access_log: bool,
    /// WAF policy for requests on this listener (routes may override it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waf: Option<String>,
    // --- L4 (tcp/udp) listeners ---
    /// tcp: every connection starts with a PROXY protocol header (v1 or v2) from a downstream
    /// load balancer; the client address it carries is used for balancing and forwarding.
    #[serde(default)]
    pub accept_proxy_protocol: bool,
    /// tcp: most connections open at once; udp: most client flows. Unlimited when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// tcp: the send buffer (`SO_SNDBUF`) of client connections, in bytes. Unset leaves the
    /// kernel's autotuning, which suits clients far away: a fixed buffer caps a connection at
    /// about twice this value per round trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_buffer_bytes: Option<u64>,
}

impl Listener {
    /// 1 MiB, as nginx's `client_max_body_size`.
    pub const fn default_max_request_body() -> u64 {
        1024 * 1024
    }
}

/// Timeouts on the downstream side of a listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerTimeouts {
    /// Time allowed to receive a complete request head.
    #[serde(default = "ListenerTimeouts::default_request_header")]
    pub request_header: Duration,
    /// A keep-alive connection with no request in flight is closed after this long; for tcp
    /// listeners, a connection with no byte moving either way.
    #[serde(default = "ListenerTimeouts::default_idle")]
    pub idle: Duration,
    /// tcp/udp: when a config change removes the listener or the endpoint a connection (or
    /// flow) goes to, the connection may finish until this long after the change.
    #[serde(default = "ListenerTimeouts::default_drain")]
    pub drain: Duration,
    /// udp: a client flow with no datagram either way for this long is forgotten.
    #[serde(default = "ListenerTimeouts::default_flow_idle")]
    pub flow_idle: Duration,
}

impl ListenerTimeouts {
    /// 10 s.
    pub const fn default_request_header() -> Duration {
        Duration::from_secs(10)
    }
    /// 60 s.
    pub const fn default_idle() -> Duration {
        Duration::from_secs(60)
    }
    /// 30 s.
    pub const fn default_drain() -> Duration {
        Duration::from_secs(30)
    }
    /// 30 s, as the Linux conntrack timeout of an unreplied UDP flow.
    pub const fn default_flow_idle() -> Duration {
        Duration::from_secs(30)
    }
}

impl Default for ListenerTimeouts {
    fn default() -> Self {
        Self {
            request_header: Self::default_request_header(),
            idle: Self::default_idle(),
            drain: Self::default_drain(),
            flow_idle: Self::default_flow_idle(),
        }
    }
}

/// TLS settings of an HTTPS listener.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerTls {
    /// Certificates; SNI picks among them, the first one serves clients without SNI.
    pub certificates: Vec<Certificate>,
}

/// One certificate chain and its private key, from files or inline PEM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// PEM file with the chain, leaf first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    /// PEM file with the private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
    /// The chain as inline PEM (as a Kubernetes TLS secret carries it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_pem: Option<String>,
    /// The key as inline PEM.
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "redact")]
    pub key_pem: Option<String>,
    /// Names this certificate serves (`*.example.com` allowed); when empty, the certificate's
    /// own subject alternative names are used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_names: Vec<String>,
}

fn redact<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("<redacted>"),
        None => s.serialize_none(),
    }
}

// === Routes ===

/// Where a matched request goes: a service, or a response rampart writes itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Name of a service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// A fixed response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond: Option<DirectResponse>,
}

/// A response rampart writes without an upstream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectResponse {
    /// Status code, 200 by default.
    #[serde(default = "DirectResponse::default_status")]
    pub status: u16,
    /// `Content-Type` of the body.
    #[serde(default = "DirectResponse::default_content_type")]
    pub content_type: String,
    /// The body.
    #[serde(default)]
    pub body: String,
}

impl DirectResponse {
    /// 200.
    pub const fn default_status() -> u16 {
        200
    }
    /// `text/plain; charset=utf-8`.
    pub fn default_content_type() -> String {
        "text/plain; charset=utf-8".to_owned()
    }
}

/// Host and path rules, as one Kubernetes Ingress v1 rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Optional name for metrics and logs; `routes[i]` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Exact host (`foo.example.com`) or wildcard of one label (`*.example.com`); any host
    /// when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Path rules; the longest match across all routes of the host wins.
    pub paths: Vec<RoutePath>,
    /// Listeners this route applies to; every HTTP/HTTPS listener when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listeners: Vec<String>,
    /// WAF policy for this route's requests, overriding the listener's; `off` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waf: Option<String>,
}

/// How a path rule compares the request path (Ingress v1 `pathType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PathType {
    /// The path must equal the rule, byte for byte.
    Exact,
    /// The rule's `/`-separated segments must prefix the path's segments.
    Prefix,
    /// Treated as `Prefix`, as ingress-nginx does for plain paths.
    ImplementationSpecific,
}

/// One path of a route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutePath {
    /// Path to match; must start with `/`.
    #[serde(default = "RoutePath::default_path")]
    pub path: String,
    /// How to match it.
    #[serde(default = "RoutePath::default_path_type")]
    pub path_type: PathType,
    /// Name of a service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// A fixed response instead of a service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond: Option<DirectResponse>,
    /// Overrides the listener's body limit for this path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_request_body_bytes: Option<u64>,
}

impl RoutePath {
    /// `/`.
    pub fn default_path() -> String {
        "/".to_owned()
    }
    /// `Prefix`.
    pub const fn default_path_type() -> PathType {
        PathType::Prefix
    }
    /// The path's target as a [`Target`].
    pub fn target(&self) -> Target {
        Target { backend: self.backend.clone(), respond: self.respond.clone() }
    }
}

// === Services ===

/// A set of endpoints and how to reach them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Unique name, referenced by routes and L4 listeners.
    pub name: String,
    /// Upstream addresses; an empty list answers 503.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    /// How requests are spread over endpoints.
    #[serde(default)]
    pub balance: Balance,
    /// Protocol spoken to the endpoints.
    #[serde(default)]
    pub protocol: UpstreamProtocol,
    /// Active health checking; endpoints are healthy until proven otherwise when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Passive ejection of failing endpoints.
    #[serde(default)]
    pub outlier: Outlier,
    /// Upstream timeouts.
    #[serde(default)]
    pub timeouts: ServiceTimeouts,
    // --- L4 (tcp/udp) services ---
    /// tcp: a PROXY protocol header sent to the endpoint before the client's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_protocol: Option<ProxyProtocol>,
    /// tcp/udp: keep each client IP on one endpoint (Kubernetes `sessionAffinity: ClientIP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity: Option<SessionAffinity>,
    /// tcp: the send buffer (`SO_SNDBUF`) of connections to the endpoints, in bytes; 0 leaves
    /// the kernel's autotuning. See [`Service::default_send_buffer`].
    #[serde(default = "Service::default_send_buffer")]
    pub send_buffer_bytes: u64,
}

impl Service {
    /// 256 KiB (the kernel doubles it for its bookkeeping). Bounding what a connection may
    /// queue towards an endpoint keeps a bulk transfer's bytes few and recently touched, and
    /// the reading endpoint busy rather than woken for every segment: through the spliced
    /// path on this machine kind, 256 KiB moved 1.5x the bytes per second of autotuning
    /// (bench/l4.sh). Endpoints are near (a cluster's pods); a connection's rate is bounded by
    /// about 512 KiB per round trip, 4 Gbit/s at 1 ms.
    pub const fn default_send_buffer() -> u64 {
        256 * 1024
    }
}

/// PROXY protocol version (haproxy's proxy-protocol.txt).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyProtocol {
    /// The text header: `PROXY TCP4 src dst sport dport\r\n`.
    V1,
    /// The binary header.
    V2,
}

/// Client IP session affinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionAffinity {
    /// A client IP is forgotten this long after its last new connection (or flow); its next
    /// one is balanced afresh.
    #[serde(default = "SessionAffinity::default_timeout")]
    pub timeout: Duration,
}

impl SessionAffinity {
    /// 3 h, Kubernetes' `sessionAffinityConfig.clientIP.timeoutSeconds` default (10800).
    pub const fn default_timeout() -> Duration {
        Duration::from_secs(10_800)
    }
}

impl Default for SessionAffinity {
    fn default() -> Self {
        Self { timeout: Self::default_timeout() }
    }
}

/// One upstream address, written `ip:port` or `{address, weight}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Endpoint {
    /// `ip:port`.
    pub address: SocketAddr,
    /// Relative share of traffic (round robin and hashing), 1 by default.
    pub weight: u32,
}

impl Endpoint {
    /// An endpoint of weight 1.
    pub const fn new(address: SocketAddr) -> Self {
        Self { address, weight: 1 }
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            address: SocketAddr,
            #[serde(default = "one")]
            weight: u32,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Endpoint;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"ip:port\" or {address, weight}")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Endpoint, E> {
                s.parse()
                    .map(Endpoint::new)
                    .map_err(|_| E::custom(format!("invalid endpoint address {s:?}: expected ip:port")))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Endpoint, A::Error> {
                let f = Full::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(Endpoint { address: f.address, weight: f.weight })
            }
        }
        d.deserialize_any(V)
    }
}

/// Protocol spoken to a service's endpoints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamProtocol {
    /// HTTP/1.1 over pooled keep-alive connections.
    #[default]
    Http1,
    /// HTTP/2 with prior knowledge (h2c).
    Http2,
}

/// Balancing policy of a service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Each endpoint in turn, in proportion to weight.
    #[default]
    RoundRobin,
    /// The less loaded of two random endpoints (power of two choices).
    LeastRequest,
    /// The endpoint with the fewest open connections (in-flight requests), weight
    /// considered; every endpoint is compared.
    LeastConnections,
    /// Same key, same endpoint, with minimal movement when endpoints change.
    ConsistentHash,
}

/// What a consistent hash is computed on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashOn {
    /// The client's IP address.
    #[default]
    ClientIp,
    /// The value of request header `hash_key`.
    Header,
    /// The value of cookie `hash_key`.
    Cookie,
}

/// Consistent hashing algorithm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashAlgorithm {
    /// Maglev lookup table: even spread, minimal disruption.
    #[default]
    Maglev,
    /// Ketama-style hash ring.
    Ring,
}

/// How a service spreads requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Balance {
    /// The policy.
    #[serde(default)]
    pub policy: Policy,
    /// For `consistent_hash`: the key source.
    #[serde(default)]
    pub hash_on: HashOn,
    /// Header or cookie name, for `hash_on: header|cookie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_key: Option<String>,
    /// For `consistent_hash`: the algorithm.
    #[serde(default)]
    pub algorithm: HashAlgorithm,
}

/// What an active health check does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthCheckProtocol {
    /// `GET path`; a 2xx or 3xx answer is healthy.
    #[default]
    Http,
    /// A TCP connect; an accepted connection is healthy (for tcp services).
    Tcp,
}

/// Active health checks of each endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// HTTP request or TCP connect.
    #[serde(default)]
    pub protocol: HealthCheckProtocol,
    /// Path requested with GET; a 2xx or 3xx answer is healthy.
    #[serde(default = "HealthCheck::default_path")]
    pub path: String,
    /// `Host` header to send; the endpoint address when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Time between checks.
    #[serde(default = "HealthCheck::default_interval")]
    pub interval: Duration,
    /// Time allowed for one check.
    #[serde(default = "HealthCheck::default_timeout")]
    pub timeout: Duration,
    /// Consecutive successes that make an unhealthy endpoint healthy.
    #[serde(default = "HealthCheck::default_healthy_threshold")]
    pub healthy_threshold: u32,
    /// Consecutive failures that make a healthy endpoint unhealthy.
    #[serde(default = "HealthCheck::default_unhealthy_threshold")]
    pub unhealthy_threshold: u32,
}

impl HealthCheck {
    /// `/healthz`.
    pub fn default_path() -> String {
        "/healthz".to_owned()
    }
    /// 5 s.
    pub const fn default_interval() -> Duration {
        Duration::from_secs(5)
    }
    /// 1 s.
    pub const fn default_timeout() -> Duration {
        Duration::from_secs(1)
    }
    /// 2.
    pub const fn default_healthy_threshold() -> u32 {
        2
    }
    /// 3.
    pub const fn default_unhealthy_threshold() -> u32 {
        3
    }
}

/// Passive ejection: endpoints that fail consecutive requests are taken out for a while.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outlier {
    /// Consecutive connect errors or 5xx answers that eject an endpoint; 0 disables.
    #[serde(default = "Outlier::default_consecutive_failures")]
    pub consecutive_failures: u32,
    /// How long an ejected endpoint stays out before it is tried again.
    #[serde(default = "Outlier::default_ejection_time")]
    pub ejection_time: Duration,
}

impl Outlier {
    /// 5.
    pub const fn default_consecutive_failures() -> u32 {
        5
    }
    /// 30 s.
    pub const fn default_ejection_time() -> Duration {
        Duration::from_secs(30)
    }
}

impl Default for Outlier {
    fn default() -> Self {
        Self {
            consecutive_failures: Self::default_consecutive_failures(),
            ejection_time: Self::default_ejection_time(),
        }
    }
}

/// Upstream timeouts of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTimeouts {
    /// TCP connect to an endpoint.
    #[serde(default = "ServiceTimeouts::default_connect")]
    pub connect: Duration,
    /// From the request sent to the response head received.
    #[serde(default = "ServiceTimeouts::default_response")]
    pub response: Duration,
    /// Pooled keep-alive connections unused this long are closed.
    #[serde(default = "ServiceTimeouts::default_idle")]
    pub idle: Duration,
}

impl ServiceTimeouts {
    /// 5 s.
    pub const fn default_connect() -> Duration {
        Duration::from_secs(5)
    }
    /// 60 s.
    pub const fn default_response() -> Duration {
        Duration::from_secs(60)
    }
    /// 90 s.
    pub const fn default_idle() -> Duration {
        Duration::from_secs(90)
    }
}

impl Default for ServiceTimeouts {
    fn default() -> Self {
        Self { connect: Self::default_connect(), response: Self::default_response(), idle: Self::default_idle() }
    }
}

pub(crate) fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}
