//! Forwarding a routed request to a service: the upstream request head, endpoint choice,
//! retries, passive health, and the response on its way back.
//!
//! HTTP/1.1 services go through rampart's own client ([`upstream::h1`]) in this task; upgrades
//! and HTTP/2 services through hyper client connections.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::{LengthLimitError, Limited};
use hyper::body::Incoming;
use model::UpstreamProtocol;

use crate::endpoint::{EndpointState, InFlight};
use crate::http::body::{BoxError, ProxyBody, RequestBody};
use crate::http::error::{ProxyError, Side};
use crate::http::handler::{error_response, hash_for, ConnContext, Outcome};
use crate::http::headers;
use crate::http::upstream::h1::{self, H1Error, Outgoing};
use crate::http::upstream::h1_body::H1Body;
use crate::http::upstream::{self, Conn, UpBody};
use crate::runtime::{RouteTarget, ServiceRuntime};

fn fail(e: ProxyError, upstream: Option<SocketAddr>) -> (Response<ProxyBody>, Outcome) {
    (error_response(&e), Outcome { upstream, error: Some(e) })
}

/// Proxies `req` to `svc`.
pub(crate) async fn proxy(
    ctx: &ConnContext,
    target: &RouteTarget,
    svc: &Arc<ServiceRuntime>,
    mut req: Request<RequestBody>,
) -> (Response<ProxyBody>, Outcome) {
    // Refuse oversized bodies before touching an upstream.
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|s| s.parse::<u64>().ok());
    if declared.is_some_and(|n| n > target.max_body) {
        return fail(ProxyError::BodyTooLarge(target.max_body), None);
    }
    let hash = hash_for(svc, &req, ctx.client);

    // The upstream request head.
    let upgrade = if req.version() == Version::HTTP_11 { headers::upgrade_protocol(req.headers()) } else { None };
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
            // Back in when it came from the target, or `Connection` named it.
            if let Some(h) = host.as_ref().filter(|_| !parts.headers.contains_key(header::HOST)) {
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
    let body = Limited::new(body, target.max_body as usize);
    match on_downstream_upgrade {
        None if svc.config.protocol == UpstreamProtocol::Http1 => {
            proxy_h1(target, svc, Outgoing::new(&parts, body), hash).await
        }
        down => proxy_hyper(target, svc, Request::from_parts(parts, body), hash, down).await,
    }
}

/// Passive health bookkeeping after an exchange.
fn record(endpoint: &EndpointState, svc: &ServiceRuntime, failed: bool) {
    let outlier = svc.config.outlier;
    if failed {
        endpoint.record_failure(outlier.consecutive_failures, outlier.ejection_time.get());
    } else {
        endpoint.record_success();
    }
}

/// The HTTP/1.1 hot path: rampart's own client, run in this task.
async fn proxy_h1(
    target: &RouteTarget,
    svc: &Arc<ServiceRuntime>,
    out: Outgoing,
    hash: Option<u64>,
) -> (Response<ProxyBody>, Outcome) {
    let timeouts = svc.config.timeouts;
    let mut out = Some(out);
    let mut skip = None;
    let mut moved = false;
    // After a pooled connection turned out dead, the same endpoint is tried on a new one.
    let mut fresh_on: Option<usize> = None;
    // The connect failure that sent us looking for another endpoint, if any.
    let mut last: Option<(ProxyError, SocketAddr)> = None;
    loop {
        let fresh = fresh_on.take();
        let Some(idx) = fresh.or_else(|| svc.balancer.pick(hash, skip)) else {
            return match last {
                Some((e, a)) => fail(e, Some(a)),
                None => fail(ProxyError::NoEndpoint(svc.name.clone()), None),
            };
        };
        let endpoint = &svc.balancer.endpoints()[idx];
        let pool = &svc.pools[idx];
        let addr = endpoint.address;
        let checkout = match fresh {
            Some(_) => pool.connect_h1(timeouts.connect.get()).await.map(|c| (c, false)),
            None => pool.checkout_h1(timeouts.connect.get(), timeouts.idle.get()).await,
        };
        let (mut conn, reused) = match checkout {
            Ok(c) => c,
            Err(e) => {
                record(endpoint, svc, true);
                svc.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                // One retry on another endpoint when a connect fails.
                if !moved {
                    moved = true;
                    svc.stats.retries.fetch_add(1, Ordering::Relaxed);
                    skip = Some(idx);
                    last = Some((e.into(), addr));
                    continue;
                }
                return fail(e.into(), Some(addr));
            }
        };
        let Some(o) = out.take() else { return fail(ProxyError::NoEndpoint(svc.name.clone()), Some(addr)) };
        let in_flight = endpoint.start_request();
        let sent_at = Instant::now();
        let deadline = tokio::time::Instant::from_std(sent_at + timeouts.response.get());
        let head = match h1::exchange_by(&mut conn, o, reused, deadline).await {
            Some(Ok(head)) => head,
            Some(Err(H1Error::Resend(o))) => {
                // A pooled connection the origin had closed: nothing was taken, send again.
                out = Some(*o);
                fresh_on = Some(idx);
                continue;
            }
            Some(Err(H1Error::Body(e))) => return fail(classify_body(e, target.max_body), Some(addr)),
            Some(Err(e)) => {
                record(endpoint, svc, true);
                svc.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                return fail(ProxyError::Upstream(addr, Box::new(e)), Some(addr));
            }
            None => {
                record(endpoint, svc, true);
                svc.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                return fail(ProxyError::Timeout(addr, timeouts.response.get()), Some(addr));
            }
        };
        svc.stats.observe(sent_at.elapsed());
        record(endpoint, svc, head.parts.status.is_server_error());
        // The fields stay the origin's bytes (hop-by-hop ones marked) until a consumer needs a
        // header map: the HTTP/1.1 writer copies them as they are.
        let body = H1Body::new(conn, head.framing, head.reusable, pool.clone(), in_flight);
        let body = ProxyBody::H1 { body, raw: Some(Box::new(head.raw)) };
        return (Response::from_parts(head.parts, body), Outcome { upstream: Some(addr), error: None });
    }
}

/// Upgrades and HTTP/2 services, over hyper client connections.
async fn proxy_hyper(
    target: &RouteTarget,
    svc: &Arc<ServiceRuntime>,
    req: Request<UpBody>,
    hash: Option<u64>,
    on_downstream_upgrade: Option<hyper::upgrade::OnUpgrade>,
) -> (Response<ProxyBody>, Outcome) {
    let timeouts = svc.config.timeouts;
    let upgrading = on_downstream_upgrade.is_some();
    let mut req = Some(req);
    let mut skip = None;
    let mut last_addr = None;
    let mut last: Option<ProxyError> = None;
    // One retry on another endpoint when nothing went upstream; never once bytes did.
    for attempt in 0..2 {
        let Some(idx) = svc.balancer.pick(hash, skip) else {
            return fail(last.unwrap_or_else(|| ProxyError::NoEndpoint(svc.name.clone())), last_addr);
        };
        let endpoint = &svc.balancer.endpoints()[idx];
        let pool = &svc.pools[idx];
        let addr = endpoint.address;
        last_addr = Some(addr);
        let Some(r) = req.take() else { break };
        let in_flight = endpoint.start_request();
        let result = match pool.checkout_hyper(timeouts.connect.get()).await {
            Ok(mut conn) => send_timed(&mut conn, r, timeouts.response.get()).await,
            Err(e) => Err(SendError::Connect(e, r)),
        };
        let mut resp = match result {
            Ok(resp) => resp,
            Err(SendError::NotSent(e, r)) if attempt == 0 => {
                record(endpoint, svc, true);
                svc.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                svc.stats.retries.fetch_add(1, Ordering::Relaxed);
                req = Some(r);
                skip = Some(idx);
                last = Some(ProxyError::Upstream(addr, Box::new(e)));
                continue;
            }
            Err(SendError::Connect(e, r)) if attempt == 0 => {
                record(endpoint, svc, true);
                svc.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                svc.stats.retries.fetch_add(1, Ordering::Relaxed);
                req = Some(r);
                skip = Some(idx);
                last = Some(e.into());
                continue;
            }
            Err(e) => {
                let err = match e {
                    SendError::Timeout => ProxyError::Timeout(addr, timeouts.response.get()),
                    SendError::Connect(e, _) => e.into(),
                    SendError::NotSent(e, _) | SendError::Failed(e) => classify(addr, e, target.max_body),
                };
                if err.side() == Side::Upstream {
                    record(endpoint, svc, true);
                    svc.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                }
                return fail(err, Some(addr));
            }
        };
        record(endpoint, svc, resp.status().is_server_error());

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
        if upgrading {
            // The upgrade was refused: the rest of this connection is not worth re-framing.
            parts.headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        let body = ProxyBody::upstream(body, in_flight);
        return (Response::from_parts(parts, body), Outcome { upstream: Some(addr), error: None });
    }
    fail(last.unwrap_or_else(|| ProxyError::NoEndpoint(svc.name.clone())), last_addr)
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

/// A downstream body failure: over the route's limit (413), or malformed or cut (400).
fn classify_body(e: BoxError, max_body: u64) -> ProxyError {
    if caused_by_limit(&*e) {
        ProxyError::BodyTooLarge(max_body)
    } else {
        ProxyError::BadBody(e)
    }
}

fn caused_by_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if s.is::<LengthLimitError>() {
            return true;
        }
        src = s.source();
    }
    false
}

/// Maps a failed hyper exchange to who caused it.
fn classify(addr: SocketAddr, e: hyper::Error, max_body: u64) -> ProxyError {
    if caused_by_limit(&e) {
        return ProxyError::BodyTooLarge(max_body);
    }
    if e.is_user() {
        return ProxyError::BadBody(Box::new(e));
    }
    ProxyError::Upstream(addr, Box::new(e))
}

async fn tunnel(down: hyper::upgrade::OnUpgrade, up: hyper::upgrade::OnUpgrade, in_flight: InFlight) {
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
