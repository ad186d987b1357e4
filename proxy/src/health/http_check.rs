//! One HTTP/1.1 health probe: connect, send `GET`, read the status line, judge it.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bytes of the answer read at most while looking for the end of the status line.
const MAX_STATUS_LINE: usize = 512;

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The TCP connection could not be opened.
    #[error("connect failed: {0}")]
    Connect(#[source] io::Error),
    /// Writing the request or reading the answer failed.
    #[error("i/o failed: {0}")]
    Io(#[source] io::Error),
    /// No status line arrived within the check timeout (connect included).
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The endpoint closed the connection before a full status line.
    #[error("connection closed before the status line")]
    Closed,
    /// The answer does not start with an HTTP/1.x status line.
    #[error("malformed status line")]
    Malformed,
    /// The endpoint answered with a status other than 2xx or 3xx.
    #[error("unhealthy status {0}")]
    Status(u16),
    /// The configured path or host cannot be put in a request head (control characters).
    #[error("the check's {0} cannot be sent in a request head")]
    InvalidRequest(&'static str),
}

/// A prepared probe of one endpoint: the request head is rendered once.
#[derive(Debug, Clone)]
pub struct Probe {
    address: SocketAddr,
    request: Box<[u8]>,
    timeout: Duration,
}

impl Probe {
    /// Prepares the probe of `address` described by `check`.
    pub fn new(address: SocketAddr, check: &model::HealthCheck) -> Result<Self, CheckError> {
        let path = if check.path.is_empty() { "/" } else { check.path.as_str() };
        if !is_head_safe(path) || path.contains(' ') {
            return Err(CheckError::InvalidRequest("path"));
        }
        let host = match &check.host {
            Some(h) if !is_head_safe(h) || h.is_empty() => return Err(CheckError::InvalidRequest("host")),
            Some(h) => h.clone(),
            None => address.to_string(),
        };
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: rampart-health\r\nConnection: close\r\n\r\n");
        Ok(Self { address, request: request.into_bytes().into_boxed_slice(), timeout: check.timeout.get() })
    }

    /// The request head sent on each probe.
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Runs the probe once: the status code when it is 2xx or 3xx.
    pub async fn run(&self) -> Result<u16, CheckError> {
        match tokio::time::timeout(self.timeout, self.exchange()).await {
            Ok(result) => result,
            Err(_) => Err(CheckError::Timeout(self.timeout)),
        }
    }

    async fn exchange(&self) -> Result<u16, CheckError> {
        let mut stream = TcpStream::connect(self.address).await.map_err(CheckError::Connect)?;
        // Checks are tiny; don't let Nagle hold the request back.
        let _ = stream.set_nodelay(true);
        stream.write_all(&self.request).await.map_err(CheckError::Io)?;
        let mut buf = [0u8; MAX_STATUS_LINE];
        let mut len = 0;
        loop {
            let n = stream.read(&mut buf[len..]).await.map_err(CheckError::Io)?;
            if n == 0 {
                return Err(CheckError::Closed);
            }
            len += n;
            if let Some(end) = buf[..len].iter().position(|&b| b == b'\n') {
                return judge(parse_status_line(&buf[..end])?);
            }
            if len == buf.len() {
                // An absurdly long reason phrase: the code is in the first bytes anyway.
                return judge(parse_status_line(&buf[..len])?);
            }
        }
    }
}

/// Ok for 2xx and 3xx.
fn judge(status: u16) -> Result<u16, CheckError> {
    if (200..400).contains(&status) {
        Ok(status)
    } else {
        Err(CheckError::Status(status))
    }
}

/// The code of `HTTP/1.x NNN[ reason]` (a trailing `\r` allowed).
pub fn parse_status_line(line: &[u8]) -> Result<u16, CheckError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = line.strip_prefix(b"HTTP/1.").ok_or(CheckError::Malformed)?;
    match rest {
        [minor, b' ', a, b, c, tail @ ..]
            if minor.is_ascii_digit()
                && [a, b, c].iter().all(|d| d.is_ascii_digit())
                && (tail.is_empty() || tail[0] == b' ') =>
        {
            Ok(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => Err(CheckError::Malformed),
    }
}

/// True when `s` holds no control characters (no header injection through config).
fn is_head_safe(s: &str) -> bool {
    !s.bytes().any(|b| b.is_ascii_control())
}
