//! One downstream request: route it, then answer directly or proxy it to a service endpoint.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::{LengthLimitError, Limited};
use hyper::body::Incoming;
use model::{HashOn, Policy, UpstreamProtocol};

use crate::balance::hash_key;
use crate::http::body::{ExchangeGuard, ProxyBody};
use crate::http::error::{ProxyError, Side};
use crate::http::headers;
use crate::http::upstream::{self, Conn, UpBody};
use crate::runtime::{Action, DirectResponse, RouteTarget, ServiceRuntime};
use crate::Shared;

/// What every request on one downstream connection shares.
#[derive(Debug)]
pub struct ConnContext {
    /// Process-wide state.
    pub shared: Arc<Shared>,
    /// Listener name.
    pub listener: Arc<str>,
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
struct Outcome {
    upstream: Option<SocketAddr>,
    error: Option<ProxyError>,
}

/// Handles one request; never fails (errors become responses).
pub async fn handle(ctx: Arc<ConnContext>, req: Request<Incoming>) -> Result<Response<ProxyBody>, Infallible> {
    let start = Instant::now();
    let _in_flight = ctx.activity.request();
    let rt = ctx.shared.runtime.load_full();
    let Some(listener) = rt.listeners.get(&ctx.listener) else {
        let e = ProxyError::ListenerGone(ctx.listener.clone());
        return Ok(error_response(&e));
    };
    let target = listener.routes.lookup(request_host(&req), req.uri().path()).unwrap_or(&listener.fallback).clone();
    let log = listener
        .config
        .access_log
        .then(|| (req.method().clone(), req.uri().clone(), req.version(), request_host(&req).to_owned()));

    let (resp, outcome) = match &target.action {
        Action::Respond(d) => (direct(d), Outcome { upstream: None, error: None }),
        Action::Backend(svc) => proxy(&ctx, &target, svc, req).await,
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
            listener = %ctx.listener,
            method = %method,
            host = %host,
            path = uri.path(),
            version = ?version,
            status = status.as_u16(),
            route = &*target.route,
            service,
            upstream = outcome.upstream.map(|a| a.to_string()).unwrap_or_default(),
            duration_us = start.elapsed().as_micros() as u64,
            error = outcome.error.as_ref().map(|e| e.to_string()).unwrap_or_default(),
        );
    } else if let Some(e) = &outcome.error {
        tracing::debug!(error = %e, "request failed");
    }
    Ok(resp)
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

fn hash_for(svc: &ServiceRuntime, req: &Request<Incoming>, client: SocketAddr) -> Option<u64> {
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

async fn proxy(
    ctx: &ConnContext,
    target: &RouteTarget,
    svc: &Arc<ServiceRuntime>,
    mut req: Request<Incoming>,
) -> (Response<ProxyBody>, Outcome) {
    let fail = |e: ProxyError, upstream| (error_response(&e), Outcome { upstream, error: Some(e) });

    // Refuse oversized bodies before touching an upstream.
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|s| s.parse::<u64>().ok());
    if declared.is_some_and(|n| n > target.max_body) {
        return fail(ProxyError::BodyTooLarge(target.max_body), None);
    }
    let hash = hash_for(svc, &req, ctx.client);

    // Build the upstream request head.
    let downstream_version = req.version();
    let upgrade = if downstream_version == Version::HTTP_11 { headers::upgrade_protocol(req.headers()) } else { None };
    let on_downstream_upgrade = upgrade.as_ref().map(|_| hyper::upgrade::on(&mut req));
    let (mut parts, body) = req.into_parts();
    let host = match parts.headers.get(header::HOST) {
        Some(h) => Some(h.clone()),
        None => parts.uri.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()),
    };
    let wants_trailers = parts.headers.get(header::TE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    headers::strip_hop_by_hop(&mut parts.headers);
    if let Some(proto) = &upgrade {
        parts.headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, proto.clone());
    }
    headers::add_forwarding(&mut parts.headers, &ctx.client_ip, ctx.proto, host.as_ref());
    match svc.config.protocol {
        UpstreamProtocol::Http1 => {
            parts.version = Version::HTTP_11;
            // Origin-form targets (every HTTP/1.1 request but absolute-form ones) go as they are.
            if parts.uri.scheme().is_some() || parts.uri.authority().is_some() {
                let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                parts.uri = Uri::try_from(pq).unwrap_or_else(|_| Uri::from_static("/"));
            }
            if let Some(h) = &host {
                parts.headers.insert(header::HOST, h.clone());
            }
        }
        UpstreamProtocol::Http2 => {
            parts.version = Version::HTTP_2;
            let authority = host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            parts.uri = Uri::try_from(format!("http://{authority}{pq}"))
                .unwrap_or_else(|_| Uri::from_static("http://localhost/"));
            parts.headers.remove(header::HOST);
            if wants_trailers {
                parts.headers.insert(header::TE, HeaderValue::from_static("trailers"));
            }
        }
    }
    let mut req = Some(Request::from_parts(parts, Limited::new(body, target.max_body as usize)));

    let timeouts = svc.config.timeouts;
    let outlier = svc.config.outlier;
    let mut skip = None;
    let mut last_addr = None;
    // One retry on another endpoint when a connect fails; never once bytes went upstream.
    for attempt in 0..2 {
        let Some(idx) = svc.balancer.pick(hash, skip) else {
            return fail(ProxyError::NoEndpoint(svc.name.clone()), last_addr);
        };
        let endpoint = &svc.balancer.endpoints()[idx];
        let pool = &svc.pools[idx];
        let addr = endpoint.address;
        last_addr = Some(addr);
        let mut conn = match pool.checkout(timeouts.connect.get(), timeouts.idle.get()).await {
            Ok(c) => c,
            Err(e) => {
                endpoint.record_failure(outlier.consecutive_failures, outlier.ejection_time.get());
                svc.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                if attempt == 0 {
                    svc.stats.retries.fetch_add(1, Ordering::Relaxed);
                    skip = Some(idx);
                    continue;
                }
                return fail(e.into(), Some(addr));
            }
        };
        let in_flight = endpoint.start_request();
        let sent_at = Instant::now();
        let Some(r) = req.take() else { break };
        let reused = matches!(conn, Conn::H1 { reused: true, .. });
        let result = match send_timed(&mut conn, r, timeouts.response.get()).await {
            // A pooled connection the origin closed while idle: the request was not written,
            // so it goes again on a fresh connection to the same endpoint.
            Err(SendError::NotSent(_, r)) if reused => match pool.connect_fresh(timeouts.connect.get()).await {
                Ok(c) => {
                    conn = c;
                    send_timed(&mut conn, r, timeouts.response.get()).await
                }
                Err(e) => Err(SendError::Connect(e, r)),
            },
            other => other,
        };
        let mut resp = match result {
            Ok(resp) => resp,
            // Nothing was written upstream: safe to try another endpoint once.
            Err(SendError::NotSent(_, r) | SendError::Connect(_, r)) if attempt == 0 => {
                endpoint.record_failure(outlier.consecutive_failures, outlier.ejection_time.get());
                svc.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                svc.stats.retries.fetch_add(1, Ordering::Relaxed);
                req = Some(r);
                skip = Some(idx);
                continue;
            }
            Err(e) => {
                let err = match e {
                    SendError::Timeout => ProxyError::Timeout(addr, timeouts.response.get()),
                    SendError::Connect(e, _) => e.into(),
                    SendError::NotSent(e, _) | SendError::Failed(e) => classify(addr, e, target.max_body),
                };
                if err.side() == Side::Upstream {
                    endpoint.record_failure(outlier.consecutive_failures, outlier.ejection_time.get());
                    svc.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                }
                return fail(err, Some(addr));
            }
        };
        svc.stats.observe(sent_at.elapsed());
        if resp.status().is_server_error() {
            endpoint.record_failure(outlier.consecutive_failures, outlier.ejection_time.get());
        } else {
            endpoint.record_success();
        }

        if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
            if let Some(down) = on_downstream_upgrade {
                let up = hyper::upgrade::on(&mut resp);
                tokio::spawn(tunnel(down, up, in_flight));
                let (mut parts, _) = resp.into_parts();
                let proto = parts.headers.get(header::UPGRADE).cloned();
                headers::strip_hop_by_hop(&mut parts.headers);
                parts.headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
                if let Some(p) = proto {
                    parts.headers.insert(header::UPGRADE, p);
                }
                return (
                    Response::from_parts(parts, ProxyBody::empty()),
                    Outcome { upstream: Some(addr), error: None },
                );
            }
        }

        let (mut parts, body) = resp.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers);
        if upgrade.is_some() {
            // The upgrade was refused: the rest of this connection is not worth re-framing.
            parts.headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        let pooled = match conn {
            Conn::H1 { sender, .. } => Some((pool.clone(), sender)),
            Conn::H2(_) => None,
        };
        let body = ProxyBody::upstream(body, ExchangeGuard { conn: pooled, in_flight });
        return (Response::from_parts(parts, body), Outcome { upstream: Some(addr), error: None });
    }
    fail(ProxyError::NoEndpoint(svc.name.clone()), last_addr)
}

enum SendError {
    Timeout,
    Connect(upstream::ConnectError, Request<UpBody>),
    NotSent(hyper::Error, Request<UpBody>),
    Failed(hyper::Error),
}

async fn send_timed(conn: &mut Conn, req: Request<UpBody>, limit: Duration) -> Result<Response<Incoming>, SendError> {
    match tokio::time::timeout(limit, upstream::send(conn, req)).await {
        Err(_) => Err(SendError::Timeout),
        Ok(Ok(r)) => Ok(r),
        Ok(Err((e, Some(r)))) => Err(SendError::NotSent(e, r)),
        Ok(Err((e, None))) => Err(SendError::Failed(e)),
    }
}

/// Maps a failed exchange to who caused it: a body over the limit, a broken downstream body,
/// or an upstream failure.
fn classify(addr: SocketAddr, e: hyper::Error, max_body: u64) -> ProxyError {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = src {
        if s.is::<LengthLimitError>() {
            return ProxyError::BodyTooLarge(max_body);
        }
        src = s.source();
    }
    if e.is_user() {
        return ProxyError::BadBody(e);
    }
    ProxyError::Upstream(addr, e)
}

async fn tunnel(down: hyper::upgrade::OnUpgrade, up: hyper::upgrade::OnUpgrade, in_flight: crate::endpoint::InFlight) {
    let (down, up) = match tokio::try_join!(down, up) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::debug!(error = %e, "upgrade failed");
            return;
        }
    };
    let mut down = hyper_util::rt::TokioIo::new(down);
    let mut up = hyper_util::rt::TokioIo::new(up);
    if let Err(e) = tokio::io::copy_bidirectional(&mut down, &mut up).await {
        tracing::debug!(error = %e, "upgraded tunnel ended with error");
    }
    drop(in_flight);
}
