//! One downstream request: route it, then answer directly or proxy it to a service endpoint.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::header::{self, HeaderValue};
use http::{Request, Response};
use model::{HashOn, Policy};

use crate::balance::hash_key;
use crate::http::body::{ProxyBody, RequestBody};
use crate::http::error::ProxyError;
use crate::http::forward::proxy;
use crate::http::headers;
use crate::runtime::ListenerId;
use crate::runtime::{Action, DirectResponse, RouteTarget, ServiceRuntime};
use crate::Shared;

/// What every request on one downstream connection shares.
#[derive(Debug)]
pub struct ConnContext {
    /// Process-wide state.
    pub shared: Arc<Shared>,
    /// The listener the connection came in on.
    pub listener: ListenerId,
    /// Client address.
    pub client: SocketAddr,
    /// The client's IP as a header value, made once per connection.
    pub client_ip: HeaderValue,
    /// `http` or `https`.
    pub proto: &'static str,
    /// Byte and request activity, for the idle timeout.
    pub activity: Arc<crate::http::io::Activity>,
}

/// Where a proxied request went, for the access log.
pub(crate) struct Outcome {
    pub(crate) upstream: Option<SocketAddr>,
    pub(crate) error: Option<ProxyError>,
}

/// Marks a response that must not be sent: the connection is closed instead (a WAF rule's
/// `drop`). HTTP/1 connections are closed with no byte of an answer (a FIN, or a reset when
/// unread request bytes remain); an HTTP/2 connection is closed with all its streams.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// The error the HTTP/1 and HTTP/2 services return for a [`DropConnection`] response, so that
/// hyper closes the connection (HTTP/1), or the HTTP/2 server closes it (see `serve_h2`).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by a WAF rule")]
pub struct Dropped;

/// [`handle`] for hyper's services: a response marked [`DropConnection`] becomes [`Dropped`].
pub async fn handle_or_drop(ctx: Arc<ConnContext>, req: Request<RequestBody>) -> Result<Response<ProxyBody>, Dropped> {
    let mut resp = match handle(ctx, req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if resp.extensions().get::<DropConnection>().is_some() {
        return Err(Dropped);
    }
    // hyper writes the header map: an origin's raw head goes into it.
    crate::http::upstream::h1::materialize(&mut resp);
    Ok(resp)
}

/// Handles one request; never fails (errors become responses).
pub async fn handle(ctx: Arc<ConnContext>, req: Request<RequestBody>) -> Result<Response<ProxyBody>, Infallible> {
    let _in_flight = ctx.activity.request();
    let rt = ctx.shared.runtime.load_full();
    let Some(listener) = rt.http_listener(&ctx.listener) else {
        let e = ProxyError::ListenerGone(ctx.listener.name.clone());
        return Ok(error_response(&e));
    };
    // The clock is read only for the access log.
    let start = listener.config.access_log.then(Instant::now);
    let target = listener.routes.lookup(request_host(&req), req.uri().path()).unwrap_or(&listener.fallback).clone();
    let log = listener
        .config
        .access_log
        .then(|| (req.method().clone(), req.uri().clone(), req.version(), request_host(&req).to_owned()));

    let waf = target.waf.as_deref().filter(|p| p.mode != waf_rules::actions::RuleEngine::Off);
    let (resp, outcome) = match waf {
        Some(policy) => crate::http::waf::inspect(&ctx, &target, policy, req).await,
        None => dispatch(&ctx, &target, req).await,
    };
    let status = resp.status();
    target.stats.record(status.as_u16());
    if let Some((method, uri, version, host)) = log {
        let service = match &target.action {
            Action::Backend(s) => &*s.name,
            Action::Respond(_) => "",
        };
        tracing::info!(
            target: "rampart::access",
            client = %ctx.client.ip(),
            listener = %ctx.listener.name,
            method = %method,
            host = %host,
            path = uri.path(),
            version = ?version,
            status = status.as_u16(),
            route = &*target.route,
            service,
            upstream = outcome.upstream.map(|a| a.to_string()).unwrap_or_default(),
            duration_us = start.map_or(0, |s| s.elapsed().as_micros() as u64),
            error = outcome.error.as_ref().map(|e| e.to_string()).unwrap_or_default(),
        );
    } else if let Some(e) = &outcome.error {
        tracing::debug!(error = %e, "request failed");
    }
    Ok(resp)
}

/// Answers directly or proxies, as the route says.
pub(crate) async fn dispatch(
    ctx: &ConnContext,
    target: &RouteTarget,
    req: Request<RequestBody>,
) -> (Response<ProxyBody>, Outcome) {
    match &target.action {
        Action::Respond(d) => (direct(d), Outcome { upstream: None, error: None }),
        Action::Backend(svc) => proxy(ctx, target, svc, req).await,
    }
}

/// The request's host: `Host` for HTTP/1, `:authority` for HTTP/2 ("" when absent).
fn request_host<B>(req: &Request<B>) -> &str {
    if let Some(a) = req.uri().authority() {
        return a.as_str();
    }
    req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("")
}

fn direct(d: &DirectResponse) -> Response<ProxyBody> {
    let mut r = Response::new(ProxyBody::full(d.body.clone()));
    *r.status_mut() = d.status;
    r.headers_mut().insert(header::CONTENT_TYPE, d.content_type.clone());
    r
}

/// The response for a failed request.
pub fn error_response(e: &ProxyError) -> Response<ProxyBody> {
    let status = e.status();
    let mut r = Response::new(ProxyBody::full(format!("{}\n", status.canonical_reason().unwrap_or("error"))));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    if e.closes_connection() {
        r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

pub(crate) fn hash_for<B>(svc: &ServiceRuntime, req: &Request<B>, client: SocketAddr) -> Option<u64> {
    let b = &svc.config.balance;
    if b.policy != Policy::ConsistentHash {
        return None;
    }
    let key = b.hash_key.as_deref().unwrap_or("");
    match b.hash_on {
        HashOn::ClientIp => Some(match client.ip() {
            std::net::IpAddr::V4(ip) => hash_key(&ip.octets()),
            std::net::IpAddr::V6(ip) => hash_key(&ip.octets()),
        }),
        HashOn::Header => req.headers().get(key).map(|v| hash_key(v.as_bytes())),
        HashOn::Cookie => headers::cookie(req.headers(), key).map(|v| hash_key(v.as_bytes())),
    }
}
