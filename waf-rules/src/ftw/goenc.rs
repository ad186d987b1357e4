//! The Go standard-library encodings go-ftw relies on, reproduced byte for byte:
//! `base64.StdEncoding.DecodeString`, `url.QueryEscape`, `url.QueryUnescape` and
//! `textproto.CanonicalMIMEHeaderKey`.

/// Why base64 text could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal base64 data at input byte {0}")]
pub struct Base64Error(pub usize);

/// `base64.StdEncoding.DecodeString`: standard alphabet, padding required, CR and LF ignored.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut quad = [0u8; 4];
    let mut filled = 0;
    let mut padding = 0;
    for (at, &b) in text.as_bytes().iter().enumerate() {
        if b == b'\r' || b == b'\n' {
            continue;
        }
        if b == b'=' {
            if filled < 2 {
                return Err(Base64Error(at));
            }
            padding += 1;
            quad[filled] = 0;
            filled += 1;
        } else {
            if padding > 0 {
                return Err(Base64Error(at));
            }
            quad[filled] = sextet(b).ok_or(Base64Error(at))?;
            filled += 1;
        }
        if filled == 4 {
            let n = (u32::from(quad[0]) << 18)
                | (u32::from(quad[1]) << 12)
                | (u32::from(quad[2]) << 6)
                | u32::from(quad[3]);
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - padding]);
            filled = 0;
            if padding > 0 {
                // Only line breaks may follow the padding.
                if let Some(extra) = text.as_bytes()[at + 1..].iter().position(|&b| b != b'\r' && b != b'\n') {
                    return Err(Base64Error(at + 1 + extra));
                }
                return Ok(out);
            }
        }
    }
    if filled != 0 {
        return Err(Base64Error(text.len()));
    }
    Ok(out)
}

fn sextet(b: u8) -> Option<u8> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// `url.QueryEscape`: unreserved bytes kept, space as `+`, everything else `%XX` (upper case).
pub fn query_escape(bytes: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b);
        } else if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
    out
}

/// `url.QueryUnescape`: `+` is a space, `%XX` a byte; `None` for a `%` without two hex digits.
pub fn query_unescape(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16))?;
                let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16))?;
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// `textproto.CanonicalMIMEHeaderKey`: `content-type` → `Content-Type`; names with bytes that
/// are not token characters come back unchanged.
pub fn canonical_key(name: &str) -> String {
    let valid = name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return name.to_owned();
    }
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
            upper = c == '-';
            out
        })
        .collect()
}
