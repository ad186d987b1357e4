//! The request target as libmodsecurity splits it (`REQUEST_URI`, `REQUEST_FILENAME`,
//! `REQUEST_BASENAME`, `QUERY_STRING`), and the host name of a `Host` header.

use crate::engine::store::Store;

/// Splits the request target into the `REQUEST_URI`, `REQUEST_FILENAME`, `REQUEST_BASENAME` and
/// `QUERY_STRING` pieces, as libmodsecurity's `processURI` does.
pub(crate) fn split_uri(store: &mut Store<'_>, uri: &[u8]) {
    // A fragment only ever stays in the raw URI.
    let uri = uri.iter().position(|&b| b == b'#').map_or(uri, |i| &uri[..i]);
    let query_at = uri.iter().position(|&b| b == b'?');
    store.query_string = query_at.map(|i| uri[i + 1..].to_vec());
    let decoded = uri_decode(uri);
    // An absolute target loses its scheme and authority.
    let mut path_and_query: &[u8] = &decoded;
    for scheme in [&b"http://"[..], &b"https://"[..]] {
        if decoded.len() >= scheme.len() && decoded[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let rest = &decoded[scheme.len()..];
            path_and_query = rest.iter().position(|&b| b == b'/').map_or(&b""[..], |i| &rest[i..]);
        }
    }
    store.uri = path_and_query.to_vec();
    let path = path_and_query.iter().position(|&b| b == b'?').map_or(path_and_query, |i| &path_and_query[..i]);
    store.filename = path.to_vec();
    store.basename = match path.iter().rposition(|&b| b == b'/' || b == b'\\') {
        Some(i) if path.len() > i + 1 => Some(path[i + 1..].to_vec()),
        Some(_) => None,
        None => Some(path.to_vec()),
    };
}

/// `%XX` decoding of a request target, as libmodsecurity's `uri_decode`: only well-formed
/// escapes are decoded, `+` stays.
fn uri_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%' && i + 2 < input.len() {
            if let (Some(h), Some(l)) = (hex(input[i + 1]), hex(input[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

/// Host header without its port.
pub(crate) trait HostPort {
    fn rsplit_once_port(&self) -> &[u8];
}

impl HostPort for [u8] {
    fn rsplit_once_port(&self) -> &[u8] {
        if self.starts_with(b"[") {
            return self.iter().position(|&b| b == b']').map_or(self, |i| &self[..=i]);
        }
        self.iter().rposition(|&b| b == b':').map_or(self, |i| &self[..i])
    }
}
