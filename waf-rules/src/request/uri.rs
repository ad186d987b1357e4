//! Request targets split into scheme, authority, path, query and fragment the way APR's
//! `apr_uri_parse` (and `apr_uri_parse_hostinfo` for `CONNECT`) does. No decoding happens here.

/// The components of a request target. Absent components are `None`; present but empty ones
/// are `Some(empty)`, as APR distinguishes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedUri {
    /// `http` in `http://host/`.
    pub scheme: Option<Vec<u8>>,
    /// `user:pw@host:80` in `http://user:pw@host:80/`.
    pub hostinfo: Option<Vec<u8>>,
    /// `user` in `http://user:pw@host/`.
    pub user: Option<Vec<u8>>,
    /// `pw` in `http://user:pw@host/`.
    pub password: Option<Vec<u8>>,
    /// `host` (without IPv6 brackets).
    pub hostname: Option<Vec<u8>>,
    /// `80` in `http://host:80/`.
    pub port_str: Option<Vec<u8>>,
    /// `/a/b` in `/a/b?x#y`; `None` when the target has no path at all (`http://host`).
    pub path: Option<Vec<u8>>,
    /// `x` in `/a/b?x#y`.
    pub query: Option<Vec<u8>>,
    /// `y` in `/a/b?x#y`.
    pub fragment: Option<Vec<u8>>,
}

/// Splits a request target; `None` where APR reports an error (bad port, unclosed `[`).
pub fn parse(uri: &[u8]) -> Option<ParsedUri> {
    let mut out = ParsedUri::default();
    if uri.first() == Some(&b'/') {
        if uri.get(1) == Some(&b'/') && uri.get(2) != Some(&b'/') {
            authority(&uri[2..], &mut out)?;
            return Some(out);
        }
        path_and_rest(uri, &mut out);
        return Some(out);
    }
    let scheme_len = scheme_length(uri);
    match scheme_len {
        Some(len) if uri.get(len) == Some(&b':') => {
            out.scheme = Some(uri[..len].to_vec());
            let after = &uri[len + 1..];
            if let Some(rest) = after.strip_prefix(b"//") {
                authority(rest, &mut out)?;
            } else {
                path_and_rest(after, &mut out);
            }
        }
        _ => path_and_rest(uri, &mut out),
    }
    Some(out)
}

/// Splits a `CONNECT` target `host:port` (or `[v6]:port`); the port is mandatory.
pub fn parse_hostinfo(hostinfo: &[u8]) -> Option<ParsedUri> {
    let mut out = ParsedUri { hostinfo: Some(hostinfo.to_vec()), ..ParsedUri::default() };
    let (host, after) = if hostinfo.first() == Some(&b'[') {
        let close = hostinfo.iter().position(|&b| b == b']')?;
        if hostinfo.get(close + 1) != Some(&b':') {
            return None;
        }
        (&hostinfo[1..close], &hostinfo[close + 2..])
    } else {
        let colon = hostinfo.iter().position(|&b| b == b':')?;
        (&hostinfo[..colon], &hostinfo[colon + 1..])
    };
    out.hostname = Some(host.to_vec());
    out.port_str = Some(after.to_vec());
    if after.is_empty() || !after.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(out)
}

/// Length of a leading `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, if any.
fn scheme_length(uri: &[u8]) -> Option<usize> {
    if !uri.first()?.is_ascii_alphabetic() {
        return None;
    }
    Some(uri.iter().position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))).unwrap_or(uri.len()))
}

/// Path (up to `?` or `#`), then query and fragment.
fn path_and_rest(s: &[u8], out: &mut ParsedUri) {
    let end = s.iter().position(|&b| b == b'?' || b == b'#').unwrap_or(s.len());
    if end > 0 {
        out.path = Some(s[..end].to_vec());
    }
    match s.get(end) {
        Some(b'?') => {
            let rest = &s[end + 1..];
            match rest.iter().position(|&b| b == b'#') {
                Some(hash) => {
                    out.query = Some(rest[..hash].to_vec());
                    out.fragment = Some(rest[hash + 1..].to_vec());
                }
                None => out.query = Some(rest.to_vec()),
            }
        }
        Some(_) => out.fragment = Some(s[end + 1..].to_vec()),
        None => {}
    }
}

/// `[user[:password]@]host[:port]` up to `/`, `?` or `#`, then the path.
fn authority(s: &[u8], out: &mut ParsedUri) -> Option<()> {
    let end = s.iter().position(|&b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(s.len());
    let hostinfo = &s[..end];
    out.hostinfo = Some(hostinfo.to_vec());
    let host_part = match hostinfo.iter().rposition(|&b| b == b'@') {
        Some(at) => {
            let userinfo = &hostinfo[..at];
            match userinfo.iter().position(|&b| b == b':') {
                Some(colon) => {
                    out.user = Some(userinfo[..colon].to_vec());
                    out.password = Some(userinfo[colon + 1..].to_vec());
                }
                None => out.user = Some(userinfo.to_vec()),
            }
            &hostinfo[at + 1..]
        }
        None => hostinfo,
    };
    let (host, port) = if host_part.first() == Some(&b'[') {
        let close = host_part.iter().position(|&b| b == b']')?;
        let port = match host_part.get(close + 1) {
            Some(b':') => Some(&host_part[close + 2..]),
            _ => None,
        };
        (&host_part[1..close], port)
    } else {
        match host_part.iter().position(|&b| b == b':') {
            Some(colon) => (&host_part[..colon], Some(&host_part[colon + 1..])),
            None => (host_part, None),
        }
    };
    out.hostname = Some(host.to_vec());
    if let Some(port) = port {
        out.port_str = Some(port.to_vec());
        if !port.is_empty() && !port.iter().all(u8::is_ascii_digit) {
            return None;
        }
    }
    path_and_rest(&s[end..], out);
    Some(())
}
