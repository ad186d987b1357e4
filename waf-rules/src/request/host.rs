//! Host name checks of Apache's `ap_check_request_header`: `fix_hostname` with the strict host
//! check, the HTTP/1.1 host requirement and `Expect`.

use super::line::RequestLine;
use super::{merged, Header, Rejection};

/// Validates the host (absolute URI or `Host`) and `Expect`; rewrites `Host` from an absolute
/// `http://` target as Apache does.
pub(super) fn check(line: &RequestLine, headers: &mut Vec<Header>) -> Result<(), Rejection> {
    let from_url =
        line.method == b"CONNECT" || line.target.scheme.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(b"http"));
    let host_header = merged(headers, "Host");
    let mut hostname: Option<Vec<u8>> = None;
    if let (true, Some(url_host)) = (from_url, line.target.hostname.as_ref()) {
        hostname = Some(url_host.clone());
        if let Some(fixed) = fix_hostname(url_host, false)? {
            let v6 = fixed.contains(&b':');
            if host_header.is_some() {
                let mut value = Vec::new();
                if v6 {
                    value.push(b'[');
                }
                value.extend_from_slice(&fixed);
                if v6 {
                    value.push(b']');
                }
                if let Some(port) = &line.target.port_str {
                    value.push(b':');
                    value.extend_from_slice(port);
                }
                replace_host(headers, value);
            }
        }
    } else if let Some(value) = &host_header {
        hostname = fix_hostname(value, true)?;
    }
    let (major, minor) = line.version;
    let no_host_header = host_header.is_none();
    if (hostname.is_none() && (major, minor) >= (1, 1)) || ((major, minor) == (1, 1) && no_host_header) {
        return Err(Rejection::MissingHost);
    }
    if let Some(expect) = merged(headers, "Expect") {
        if !expect.is_empty() && !expect.eq_ignore_ascii_case(b"100-continue") {
            return Err(Rejection::UnsupportedExpectation);
        }
    }
    Ok(())
}

/// Puts `value` in place of the first `Host` field and drops the others.
fn replace_host(headers: &mut Vec<Header>, value: Vec<u8>) {
    let mut value = Some(value);
    headers.retain_mut(|(name, v)| {
        if !name.eq_ignore_ascii_case(b"Host") {
            return true;
        }
        match value.take() {
            Some(new) => {
                *v = new;
                true
            }
            None => false,
        }
    });
}

/// `fix_hostname` in strict mode. `from_header` is true for a `Host` value (which may carry a
/// port and IPv6 brackets), false for the host part of an absolute URI. Returns the lower-cased
/// host, or `None` for an empty value (which Apache leaves alone).
fn fix_hostname(src: &[u8], from_header: bool) -> Result<Option<Vec<u8>>, Rejection> {
    if src.is_empty() {
        return Ok(None);
    }
    if src.iter().all(u8::is_ascii_digit) {
        return Err(Rejection::BadHost);
    }
    let (mut host, v6) = if from_header {
        (parse_addr_port(src).ok_or(Rejection::BadHost)?, src.first() == Some(&b'['))
    } else {
        (src.to_vec(), src.contains(&b':'))
    };
    if v6 {
        fix_v6_literal(&mut host)?;
    } else {
        fix_non_v6(&mut host)?;
        strict_check(&host)?;
    }
    Ok(Some(host))
}

/// `apr_parse_addr_port`: strips a `:port` (1..=65535) and IPv6 brackets; scope ids refused.
fn parse_addr_port(src: &[u8]) -> Option<Vec<u8>> {
    let digits = src.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let mut end = src.len();
    if digits > 0 && src.len() > digits && src[src.len() - digits - 1] == b':' {
        let colon = src.len() - digits - 1;
        if colon == 0 {
            return None;
        }
        let port: u64 = std::str::from_utf8(&src[colon + 1..]).ok()?.parse().unwrap_or(u64::MAX);
        if !(1..=65535).contains(&port) {
            return None;
        }
        end = colon;
    }
    let host = &src[..end];
    if host.first() == Some(&b'[') {
        let inner = host.strip_prefix(b"[")?.strip_suffix(b"]")?;
        if inner.contains(&b'%') || inner.contains(&b']') {
            return None;
        }
        std::str::from_utf8(inner).ok()?.parse::<std::net::Ipv6Addr>().ok()?;
        return Some(inner.to_vec());
    }
    Some(host.to_vec())
}

/// `fix_hostname_v6_literal`: hex digits, colons (one `::`), dots of an embedded IPv4.
fn fix_v6_literal(host: &mut [u8]) -> Result<(), Rejection> {
    let mut double_colon = false;
    for i in 0..host.len() {
        let next = host.get(i + 1).copied();
        match host[i] {
            b if b.is_ascii_hexdigit() => host[i] = b.to_ascii_lowercase(),
            b':' if next == Some(b':') => {
                if double_colon {
                    return Err(Rejection::BadHost);
                }
                double_colon = true;
            }
            b':' if next == Some(b'.') => return Err(Rejection::BadHost),
            b':' => {}
            b'.' if matches!(next, Some(b':' | b'.')) => return Err(Rejection::BadHost),
            b'.' => {}
            _ => return Err(Rejection::BadHost),
        }
    }
    Ok(())
}

/// `fix_hostname_non_v6`: lower-cases, refuses `..`, `/` and `\`, strips one trailing dot.
fn fix_non_v6(host: &mut Vec<u8>) -> Result<(), Rejection> {
    for i in 0..host.len() {
        match host[i] {
            b'.' if host.get(i + 1) == Some(&b'.') => return Err(Rejection::BadHost),
            b'/' | b'\\' => return Err(Rejection::BadHost),
            b => host[i] = b.to_ascii_lowercase(),
        }
    }
    if host.last() == Some(&b'.') {
        host.pop();
    }
    Ok(())
}

/// `strict_hostname_check`: letters, digits, `-` and `.` only; a dotted-decimal address has four
/// parts without leading zeros; the top-level label starts with a letter.
fn strict_check(host: &[u8]) -> Result<(), Rejection> {
    let mut dotted_decimal = true;
    let mut leading_zeroes = false;
    let mut dots = 0;
    for (i, &b) in host.iter().enumerate() {
        if b.is_ascii_alphabetic() || b == b'-' {
            dotted_decimal = false;
        } else if b == b'.' {
            dots += 1;
            if host.get(i + 1) == Some(&b'0') && host.get(i + 2).is_some_and(u8::is_ascii_digit) {
                leading_zeroes = true;
            }
        } else if !b.is_ascii_digit() {
            return Err(Rejection::BadHost);
        }
    }
    if dotted_decimal {
        if host.first() == Some(&b'.') || (host.first() == Some(&b'0') && host.get(1).is_some_and(u8::is_ascii_digit)) {
            leading_zeroes = true;
        }
        if leading_zeroes || dots != 3 {
            return Err(Rejection::BadHost);
        }
    } else if let Some(dot) = host.iter().rposition(|&b| b == b'.') {
        if host.get(dot + 1).is_some_and(|b| !b.is_ascii_alphabetic()) {
            return Err(Rejection::BadHost);
        }
    }
    Ok(())
}
