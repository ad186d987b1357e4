//! The admin listener: `/metrics` (Prometheus text), `/healthz`, `/config` (running snapshot).

use std::convert::Infallible;
use std::sync::Arc;

use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::http::body::ProxyBody;
use crate::Shared;

/// Serves admin requests on `listener` until `stop` turns true.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            r = listener.accept() => {
                let Ok((stream, _)) = r else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| answer(shared.clone(), req));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
            _ = crate::stopped(&mut stop) => break,
        }
    }
}

async fn answer(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<ProxyBody>, Infallible> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(text(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "GET only\n".into()));
    }
    Ok(match req.uri().path() {
        "/healthz" => {
            if *shared.shutdown.borrow() {
                text(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "shutting down\n".into())
            } else {
                text(StatusCode::OK, "text/plain", "ok\n".into())
            }
        }
        "/metrics" => {
            let rt = shared.runtime.load();
            let mut body = shared.metrics.render(&rt.endpoints());
            crate::waf::render_metrics(&shared.registries.waf, &mut body);
            text(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", body)
        }
        "/config" => {
            let rt = shared.runtime.load();
            let doc = serde_json::json!({
                "generation": rt.snapshot.generation(),
                "config": rt.snapshot.config(),
            });
            let body = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            text(StatusCode::OK, "application/json", body + "\n")
        }
        _ => text(StatusCode::NOT_FOUND, "text/plain", "try /metrics, /healthz or /config\n".into()),
    })
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<ProxyBody> {
    let mut r = Response::new(ProxyBody::full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
