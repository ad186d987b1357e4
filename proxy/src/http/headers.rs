//! Request and response header rewriting: hop-by-hop removal (RFC 9110 7.6.1), forwarding
//! headers, request ids.

use std::cell::RefCell;
use std::net::IpAddr;

use http::header::{self, Entry, HeaderMap, HeaderName, HeaderValue};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// `X-Forwarded-For`.
pub static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Proto`.
pub static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `X-Forwarded-Host`.
pub static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Request-Id`.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");

/// Removes every hop-by-hop header: `Connection` and each header it names, `Keep-Alive`,
/// `Proxy-Connection`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`, `HTTP2-Settings`.
///
/// One walk over the field names decides whether anything is to be removed; most requests
/// and responses carry at most `Connection`, so the map is rarely searched by name.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let mut connection = false;
    let mut fixed = false;
    for name in headers.keys() {
        if *name == header::CONNECTION {
            connection = true;
        } else if is_fixed_hop_by_hop(name) {
            fixed = true;
        }
    }
    if connection && only_persistence_tokens(headers) {
        // `Connection: keep-alive` or `close`, the usual case: nothing else to look up. (A
        // field named `close` is listed too, however odd.)
        headers.remove(header::CONNECTION);
        headers.remove(&KEEP_ALIVE);
        headers.remove("close");
    } else if connection {
        // Token names parse case-insensitively: `HeaderName::from_bytes` lowercases.
        let listed: Vec<HeaderName> = headers
            .get_all(header::CONNECTION)
            .iter()
            .flat_map(|v| v.as_bytes().split(|&b| b == b','))
            .filter_map(|t| HeaderName::from_bytes(t.trim_ascii()).ok())
            .collect();
        headers.remove(header::CONNECTION);
        for name in listed {
            headers.remove(name);
        }
    }
    if fixed {
        for name in FIXED_HOP_BY_HOP {
            headers.remove(name);
        }
    }
}

/// Whether every `Connection` token is `keep-alive` or `close` (or empty).
fn only_persistence_tokens(headers: &HeaderMap) -> bool {
    headers.get_all(header::CONNECTION).iter().all(|v| {
        v.as_bytes().split(|&b| b == b',').all(|t| {
            let t = t.trim_ascii();
            t.is_empty() || t.eq_ignore_ascii_case(b"keep-alive") || t.eq_ignore_ascii_case(b"close")
        })
    })
}

/// The hop-by-hop fields removed whether or not `Connection` names them (lower case).
pub const FIXED_HOP_BY_HOP: [&str; 7] =
    ["te", "trailer", "transfer-encoding", "upgrade", "keep-alive", "proxy-connection", "http2-settings"];

fn is_fixed_hop_by_hop(name: &HeaderName) -> bool {
    FIXED_HOP_BY_HOP.contains(&name.as_str())
}

/// An IP address as a header value.
pub fn ip_value(ip: IpAddr) -> HeaderValue {
    HeaderValue::from_str(&ip.to_string()).unwrap_or(HeaderValue::from_static("unknown"))
}

/// The protocol of an `Upgrade` request rampart passes through (never `h2c`).
pub fn upgrade_protocol(headers: &HeaderMap) -> Option<HeaderValue> {
    let up = headers.get(header::UPGRADE)?;
    let connection_says_upgrade = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    if !connection_says_upgrade {
        return None;
    }
    let s = up.to_str().ok()?;
    if s.split(',').any(|p| p.trim().to_ascii_lowercase().starts_with("h2c")) {
        return None;
    }
    Some(up.clone())
}

/// Sets `X-Forwarded-For` (appending the client), `-Proto` and `-Host`, and makes sure the
/// request has an `X-Request-Id`. Returns the request id.
pub fn add_forwarding(
    headers: &mut HeaderMap,
    client_ip: &HeaderValue,
    proto: &'static str,
    host: Option<&HeaderValue>,
) -> HeaderValue {
    // One hash lookup per field: `entry` finds or makes its slot.
    match headers.entry(X_FORWARDED_FOR.clone()) {
        Entry::Vacant(e) => {
            e.insert(client_ip.clone());
        }
        Entry::Occupied(mut e) => {
            // Several XFF headers are one list; fold them, skipping blank ones.
            let all: Vec<&str> = e.iter().filter_map(|v| v.to_str().ok()).filter(|v| !v.trim().is_empty()).collect();
            let xff = if all.is_empty() {
                client_ip.clone()
            } else {
                let ip = client_ip.to_str().unwrap_or("unknown");
                HeaderValue::from_str(&format!("{}, {ip}", all.join(", "))).unwrap_or_else(|_| client_ip.clone())
            };
            e.insert(xff);
        }
    }
    headers.insert(X_FORWARDED_PROTO.clone(), HeaderValue::from_static(proto));
    if let Some(h) = host {
        headers.insert(X_FORWARDED_HOST.clone(), h.clone());
    }
    match headers.entry(X_REQUEST_ID.clone()) {
        Entry::Occupied(mut e) if valid_request_id(e.get()) => {
            let id = e.get().clone();
            // The upstream sees the one id rampart logs and answers with.
            if e.iter().nth(1).is_some() {
                e.insert(id.clone());
            }
            id
        }
        Entry::Occupied(mut e) => {
            let id = new_request_id();
            e.insert(id.clone());
            id
        }
        Entry::Vacant(e) => e.insert(new_request_id()).clone(),
    }
}

fn valid_request_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty() && b.len() <= 200 && b.iter().all(|c| c.is_ascii_graphic())
}

/// 32 random hex digits, as ingress-nginx's `$req_id`.
pub fn new_request_id() -> HeaderValue {
    thread_local! {
        static RNG: RefCell<SmallRng> = RefCell::new(SmallRng::from_os_rng());
    }
    let n: u128 = RNG.with(|r| r.borrow_mut().random());
    let mut buf = [0u8; 32];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (pair, byte) in buf.chunks_exact_mut(2).zip(n.to_be_bytes()) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0xf)];
    }
    HeaderValue::from_bytes(&buf).unwrap_or(HeaderValue::from_static("0"))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn strips_connection_listed_and_fixed_hop_headers() {
        let mut h = map(&[
            ("connection", "close, X-Custom"),
            ("connection", "x-other"),
            ("x-custom", "1"),
            ("x-other", "2"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("trailer", "x"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("http2-settings", "AAA"),
            ("x-kept", "yes"),
        ]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h["x-kept"], "yes");

        // Without `Connection`, the fixed ones still go; nothing else does.
        let mut h = map(&[("te", "trailers"), ("upgrade", "websocket"), ("x-kept", "yes"), ("keep-alive", "5")]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1, "{h:?}");
        // Listed names match case-insensitively and around spaces; an empty token is ignored.
        let mut h = map(&[("connection", " X-A ,, x-b"), ("x-a", "1"), ("x-b", "2"), ("x-c", "3")]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h["x-c"], "3");
        // Only persistence tokens (the usual case, answered without parsing names).
        let mut h = map(&[("connection", "Keep-Alive, close"), ("keep-alive", "5"), ("close", "x"), ("x-kept", "y")]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h["x-kept"], "y");
        let mut h = map(&[("connection", "keep-alive"), ("x-kept", "y")]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1, "{h:?}");
    }

    #[test]
    fn upgrade_detection_refuses_h2c() {
        assert!(upgrade_protocol(&map(&[("connection", "Upgrade"), ("upgrade", "websocket")])).is_some());
        assert!(upgrade_protocol(&map(&[("connection", "keep-alive, upgrade"), ("upgrade", "websocket")])).is_some());
        assert!(upgrade_protocol(&map(&[("upgrade", "websocket")])).is_none());
        assert!(upgrade_protocol(&map(&[("connection", "Upgrade, HTTP2-Settings"), ("upgrade", "h2c")])).is_none());
    }

    #[test]
    fn forwarding_headers() {
        let mut h = map(&[("x-forwarded-for", "10.0.0.1"), ("x-forwarded-for", "10.0.0.2")]);
        let host = HeaderValue::from_static("example.com");
        let id = add_forwarding(&mut h, &ip_value("192.0.2.7".parse().unwrap()), "https", Some(&host));
        assert_eq!(h["x-forwarded-for"], "10.0.0.1, 10.0.0.2, 192.0.2.7");
        assert_eq!(h["x-forwarded-proto"], "https");
        assert_eq!(h["x-forwarded-host"], "example.com");
        assert_eq!(id.len(), 32);
        assert_eq!(h["x-request-id"], id);

        let mut h = map(&[("x-request-id", "abc-123")]);
        let id = add_forwarding(&mut h, &ip_value("::1".parse().unwrap()), "http", None);
        assert_eq!(id, "abc-123");
        assert_eq!(h["x-forwarded-for"], "::1");
        assert_eq!(h.get_all("x-request-id").iter().count(), 1);
        let mut h = map(&[("x-request-id", "first"), ("x-request-id", "second")]);
        let id = add_forwarding(&mut h, &ip_value("::1".parse().unwrap()), "http", None);
        assert_eq!(id, "first");
        assert_eq!(h.get_all("x-request-id").iter().collect::<Vec<_>>(), ["first"]);

        // Blank XFF fields are skipped; an invalid request id is replaced.
        let mut h = map(&[("x-forwarded-for", " "), ("x-forwarded-for", "10.0.0.3"), ("x-request-id", "a b")]);
        let id = add_forwarding(&mut h, &ip_value("192.0.2.8".parse().unwrap()), "http", None);
        assert_eq!(h["x-forwarded-for"], "10.0.0.3, 192.0.2.8");
        assert_eq!(h.get_all("x-forwarded-for").iter().count(), 1);
        assert_eq!((id.len(), &h["x-request-id"]), (32, &id));
        let mut h = map(&[("x-forwarded-for", "")]);
        add_forwarding(&mut h, &ip_value("192.0.2.9".parse().unwrap()), "http", None);
        assert_eq!(h["x-forwarded-for"], "192.0.2.9");
    }

    #[test]
    fn request_ids_differ() {
        assert_ne!(new_request_id(), new_request_id());
    }

    #[test]
    fn cookie_lookup() {
        let h = map(&[("cookie", "a=1; session=xyz"), ("cookie", "b=2")]);
        assert_eq!(cookie(&h, "session"), Some("xyz"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
